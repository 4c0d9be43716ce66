//! Every user-facing string comes from `locales/{en,km}/khqr_bot.ftl` (Fluent).
//!
//! `t!(lang, "message-id", arg = value)` formats a message; the id and argument names are
//! checked at compile time against the English file. One loader per language, built once.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use i18n_embed::LanguageLoader;
use i18n_embed::fluent::{FluentLanguageLoader, fluent_language_loader};
use i18n_embed::unic_langid::LanguageIdentifier;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "locales/"]
struct Localizations;

/// The languages the bot speaks.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "km")]
    Km,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Km];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Km => "km",
        }
    }

    /// Telegram's `language_code` hint: Khmer (`km`, `km-KH`) → Khmer, anything else → English.
    pub fn from_telegram(code: Option<&str>) -> Lang {
        match code {
            Some(c)
                if c.eq_ignore_ascii_case("km") || c.to_ascii_lowercase().starts_with("km-") =>
            {
                Lang::Km
            }
            _ => Lang::En,
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown language {0:?} (expected en or km)")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "en" | "english" => Ok(Lang::En),
            "km" | "kh" | "khmer" | "ខ្មែរ" => Ok(Lang::Km),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }
}

fn build_loader(lang: Lang) -> FluentLanguageLoader {
    let loader: FluentLanguageLoader = fluent_language_loader!();
    let mut ids: Vec<LanguageIdentifier> = Vec::new();
    // Embedded at compile time and covered by the locale tests: parsing cannot fail here.
    ids.push(lang.code().parse().expect("language code")); // ok: constant "en"/"km"
    if lang != Lang::En {
        ids.push(loader.fallback_language().clone());
    }
    loader
        .load_languages(&Localizations, &ids)
        .expect("embedded Fluent files load"); // ok: compile-time assets, checked by tests
    loader.set_use_isolating(false);
    loader
}

static EN: LazyLock<FluentLanguageLoader> = LazyLock::new(|| build_loader(Lang::En));
static KM: LazyLock<FluentLanguageLoader> = LazyLock::new(|| build_loader(Lang::Km));

/// The message loader for `lang`.
pub fn loader(lang: Lang) -> &'static FluentLanguageLoader {
    match lang {
        Lang::En => &EN,
        Lang::Km => &KM,
    }
}

/// Formats a localized message: `t!(lang, "id")` or `t!(lang, "id", name = value, …)`.
#[macro_export]
macro_rules! t {
    ($lang:expr, $id:literal) => {
        i18n_embed_fl::fl!($crate::i18n::loader($lang), $id)
    };
    ($lang:expr, $id:literal, $($key:ident = $value:expr),+ $(,)?) => {
        i18n_embed_fl::fl!($crate::i18n::loader($lang), $id, $($key = $value),+)
    };
}

/// The raw Fluent sources, for tests that check both locales carry the same messages.
pub fn source(lang: Lang) -> Option<String> {
    let file = Localizations::get(&format!("{}/khqr_bot.ftl", lang.code()))?;
    String::from_utf8(file.data.into_owned()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_hint() {
        assert_eq!(Lang::from_telegram(Some("km")), Lang::Km);
        assert_eq!(Lang::from_telegram(Some("KM-kh")), Lang::Km);
        assert_eq!(Lang::from_telegram(Some("en-US")), Lang::En);
        assert_eq!(Lang::from_telegram(Some("kmr")), Lang::En);
        assert_eq!(Lang::from_telegram(None), Lang::En);
    }

    #[test]
    fn parse_lang_argument() {
        assert_eq!("KM".parse::<Lang>(), Ok(Lang::Km));
        assert_eq!(" en ".parse::<Lang>(), Ok(Lang::En));
        assert!("fr".parse::<Lang>().is_err());
    }

    #[test]
    fn messages_come_out_in_each_language_without_isolation_marks() {
        let en = t!(Lang::En, "help-title");
        let km = t!(Lang::Km, "help-title");
        assert!(!en.is_empty() && !km.is_empty());
        assert_ne!(en, km);
        let with_arg = t!(Lang::Km, "setup-shop-too-long", max = 25);
        assert!(with_arg.contains("25") && !with_arg.contains('\u{2068}'));
    }
}
