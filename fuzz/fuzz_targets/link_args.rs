//! `/link` arguments (`bot::links::args::parse_link`), which any seller types: never a panic,
//! and whatever it accepts is a link the seller can read back. An option keyword never ends
//! up in the item, the limits are in range, and the link written out canonically
//! (`<amount> <currency> <item> uses N until D`, or `any <currency> … min … max …`) parses
//! to the same link.
#![no_main]

use khqr_bot::bot::links::args::{LinkArgs, MAX_USES_LIMIT, parse_link};
use khqr_bot::khqr::Currency;
use khqr_bot::store::LinkPrice;
use khqr_bot::time::LocalDate;
use libfuzzer_sys::fuzz_target;

const KEYWORDS: [&str; 5] = ["max", "min", "uses", "limit", "until"];

fn canonical(args: &LinkArgs) -> String {
    let mut line = match args.price {
        LinkPrice::Fixed(amount) => format!("{amount} {}", amount.currency().alpha()),
        LinkPrice::Any(any) => format!("any {}", any.currency().alpha()),
    };
    if let Some(note) = &args.note {
        line.push(' ');
        line.push_str(note);
    }
    if let LinkPrice::Any(any) = args.price {
        let alpha = any.currency().alpha();
        if let Some(min) = any.min() {
            line.push_str(&format!(" min {min} {alpha}"));
        }
        if let Some(max) = any.max() {
            line.push_str(&format!(" max {max} {alpha}"));
        }
    }
    if let Some(uses) = args.max_uses {
        line.push_str(&format!(" uses {uses}"));
    }
    if let Some(until) = args.until {
        line.push_str(&format!(" until {until}"));
    }
    line
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let today = LocalDate::new(2026, 12, 1).expect("a valid date"); // ok: a constant date
    for default in [Currency::Usd, Currency::Khr] {
        let Ok(args) = parse_link(text, default, today) else {
            continue;
        };
        if let Some(note) = &args.note {
            for word in note.split_whitespace() {
                assert!(
                    !KEYWORDS.iter().any(|k| word.eq_ignore_ascii_case(k)),
                    "{text:?}: option word {word:?} left in the item {note:?}"
                );
            }
        }
        assert!(
            args.max_uses.is_none_or(|n| (1..=MAX_USES_LIMIT).contains(&n)),
            "{text:?}"
        );
        assert!(args.until.is_none_or(|d| d >= today), "{text:?}");
        let line = canonical(&args);
        assert_eq!(
            parse_link(&line, default, today).as_ref(),
            Ok(&args),
            "{text:?} → {line:?}"
        );
    }
});
