//! Both locales carry exactly the same messages, each non-empty, with the same arguments.

use std::collections::{BTreeMap, BTreeSet};

use fluent_syntax::ast::{Entry, Expression, InlineExpression, Pattern, PatternElement};
use khqr_bot::i18n::{Lang, source};

/// message id → (text of the pattern, variable names used)
fn messages(lang: Lang) -> BTreeMap<String, (String, BTreeSet<String>)> {
    let text = source(lang).unwrap_or_else(|| panic!("locales/{lang}/khqr_bot.ftl is embedded"));
    let resource = fluent_syntax::parser::parse(text.as_str())
        .unwrap_or_else(|(_, errors)| panic!("{lang}: Fluent syntax errors: {errors:?}"));
    let mut out = BTreeMap::new();
    for entry in resource.body {
        match entry {
            Entry::Message(m) => {
                let id = m.id.name.to_owned();
                let (flat, vars) = m.value.as_ref().map(flatten).unwrap_or_default();
                assert!(
                    out.insert(id.clone(), (flat, vars)).is_none(),
                    "{lang}: message {id} defined twice"
                );
            }
            Entry::Term(t) => panic!("{lang}: unexpected term -{}", t.id.name),
            Entry::Junk { content } => panic!("{lang}: junk in file: {content}"),
            _ => {}
        }
    }
    out
}

fn flatten(p: &Pattern<&str>) -> (String, BTreeSet<String>) {
    let mut text = String::new();
    let mut vars = BTreeSet::new();
    for el in &p.elements {
        match el {
            PatternElement::TextElement { value } => text.push_str(value),
            PatternElement::Placeable { expression } => match expression {
                Expression::Inline(InlineExpression::VariableReference { id }) => {
                    vars.insert(id.name.to_owned());
                    text.push_str("{}");
                }
                other => panic!("unsupported placeable {other:?}"),
            },
        }
    }
    (text, vars)
}

#[test]
fn both_locales_have_the_same_messages_and_arguments() {
    let en = messages(Lang::En);
    let km = messages(Lang::Km);
    let en_ids: BTreeSet<_> = en.keys().collect();
    let km_ids: BTreeSet<_> = km.keys().collect();
    let only_en: Vec<_> = en_ids.difference(&km_ids).collect();
    let only_km: Vec<_> = km_ids.difference(&en_ids).collect();
    assert!(only_en.is_empty(), "missing in km: {only_en:?}");
    assert!(only_km.is_empty(), "missing in en: {only_km:?}");
    for (id, (_, en_vars)) in &en {
        let (_, km_vars) = &km[id];
        assert_eq!(en_vars, km_vars, "{id}: arguments differ between en and km");
    }
    assert!(en.len() > 40, "suspiciously few messages: {}", en.len());
}

#[test]
fn no_message_is_empty() {
    for lang in Lang::ALL {
        for (id, (text, _)) in messages(lang) {
            assert!(!text.trim().is_empty(), "{lang}: {id} is empty");
        }
    }
}

#[test]
fn khmer_messages_are_actually_khmer() {
    // Each Khmer message that is more than a command list must contain Khmer script, so an
    // English text pasted into km/ does not pass unnoticed.
    let en = messages(Lang::En);
    for (id, (text, _)) in messages(Lang::Km) {
        let khmer = text.chars().any(|c| ('\u{1780}'..='\u{17FF}').contains(&c));
        assert!(khmer, "km: {id} has no Khmer text: {text:?}");
        assert_ne!(text, en[&id].0, "km: {id} is the English text");
    }
}
