//! `/charge` arguments (also inline queries and pay-link amounts) come from any Telegram user:
//! `parse_charge` must never panic, and whatever it accepts must be a charge the bot can make
//! and show: an amount within the currency's limits, a note without control, bidirectional
//! or invisible characters and within its length, and a canonical text that reads back to
//! the same charge whatever the seller's default currency.
#![no_main]

use khqr_bot::bot::charge::args::{max_amount, parse_charge};
use khqr_bot::bot::charge::note::{MAX_NOTE_CLUSTERS, cluster_count};
use khqr_bot::khqr::{Currency, is_bidi_control, is_invisible};
use libfuzzer_sys::fuzz_target;

fn check(text: &str, default: Currency) {
    let Ok(args) = parse_charge(text, default) else {
        return;
    };
    let amount = args.amount;
    assert!(amount.minor() > 0, "{text:?}");
    assert!(
        amount.minor() <= max_amount(amount.currency()).minor(),
        "{text:?}"
    );
    if let Some(note) = &args.note {
        assert!(!note.is_empty(), "{text:?}");
        assert!(cluster_count(note) <= MAX_NOTE_CLUSTERS, "{text:?}");
        assert!(
            !note
                .chars()
                .any(|c| c.is_control() || is_bidi_control(c) || is_invisible(c)),
            "{text:?}"
        );
    }
    let other = match default {
        Currency::Usd => Currency::Khr,
        Currency::Khr => Currency::Usd,
    };
    assert_eq!(parse_charge(&args.to_string(), other), Ok(args), "{text:?}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(text, Currency::Usd);
    check(text, Currency::Khr);
});
