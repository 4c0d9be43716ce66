//! Property tests: round trip and CRC for random valid inputs (Latin, Khmer, emoji), and a
//! decoder that never panics on arbitrary or mutated strings.

use crate::support::khqr_fixtures;
use khqr_bot::khqr::{Amount, Currency, KhqrInput, crc16, decode, md5_hex, verify};
use proptest::prelude::*;

/// Characters from the scripts a Cambodian merchant uses, plus astral ones (2 UTF-16 units).
fn any_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range(' ', '~'),
        4 => proptest::char::range('\u{1780}', '\u{17FF}'), // Khmer
        1 => proptest::char::range('\u{19E0}', '\u{19FF}'), // Khmer symbols
        1 => proptest::char::range('\u{00C0}', '\u{024F}'), // Latin accents
        1 => proptest::char::range('\u{1F600}', '\u{1F64F}'), // emoji
        1 => Just('ក'),
    ]
}

/// Non-empty text of at most `max` UTF-16 units.
fn text(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any_char(), 1..=max).prop_filter_map("fits", move |chars| {
        let mut s = String::new();
        let mut units = 0;
        for c in chars {
            if units + c.len_utf16() > max {
                break;
            }
            units += c.len_utf16();
            s.push(c);
        }
        (!s.is_empty()).then_some(s)
    })
}

fn opt_text(max: usize) -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(0.4, text(max))
}

fn account_id() -> impl Strategy<Value = String> {
    ("[a-z0-9._]{1,20}", "[a-z]{1,8}").prop_map(|(user, bank)| format!("{user}@{bank}"))
}

fn amount(currency: Currency) -> impl Strategy<Value = Option<Amount>> {
    let max = match currency {
        Currency::Khr => 9_999_999_999_999u64,
        Currency::Usd => 999_999_999_999u64,
    };
    proptest::option::weighted(
        0.7,
        prop_oneof![Just(0u64), 1u64..=1_000_000, 1u64..=max]
            .prop_map(move |m| Amount::from_minor(m, currency).unwrap()),
    )
}

prop_compose! {
    fn valid_input()(
        merchant in any::<bool>(),
        account_id in account_id(),
        merchant_id in text(32),
        bank in opt_text(32),
        account_information in opt_text(32),
        merchant_name in text(25),
        merchant_city in opt_text(15),
        mcc in proptest::option::of("[0-9]{4}"),
        usd in any::<bool>(),
        amount_khr in amount(Currency::Khr),
        amount_usd in amount(Currency::Usd),
        extra in (opt_text(25), opt_text(25), opt_text(25), opt_text(25), opt_text(25)),
        language in proptest::option::of(("[a-z]{1,2}", text(25))),
        alt_merchant_city in opt_text(15),
        upi in opt_text(99),
        expires_in in 0u64..=86_400_000,
    ) -> KhqrInput {
        let currency = if usd { Currency::Usd } else { Currency::Khr };
        let (bill, mobile, store, terminal, purpose) = extra;
        let (language_preference, alt_merchant_name) = language.unzip();
        KhqrInput {
            merchant_id: merchant.then_some(merchant_id),
            account_id,
            account_information: if merchant { None } else { account_information },
            acquiring_bank: if merchant { Some(bank.unwrap_or_else(|| "Dev Bank".into())) } else { bank },
            merchant_name,
            merchant_city,
            merchant_category_code: mcc,
            currency,
            amount: if usd { amount_usd } else { amount_khr },
            bill_number: bill,
            mobile_number: mobile,
            store_label: store,
            terminal_label: terminal,
            purpose,
            language_preference,
            alt_merchant_name,
            alt_merchant_city,
            upi_merchant_account: if usd { None } else { upi },
            // Resolved against `now` in the test.
            expiration_ms: Some(expires_in),
        }
    }
}

/// Applies one edit at a character boundary.
fn mutate(s: &str, op: u8, pos: usize, len: usize, c: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    let pos = pos % (chars.len() + 1);
    let end = (pos + len).min(chars.len());
    let mut out: Vec<char> = chars[..pos].to_vec();
    match op % 4 {
        0 => out.extend_from_slice(&chars[end..]), // delete
        1 => {
            out.push(c); // insert
            out.extend_from_slice(&chars[pos..]);
        }
        2 => {
            out.push(c); // replace
            out.extend_from_slice(&chars[end.max(pos + 1).min(chars.len())..]);
        }
        _ => {
            // duplicate a span
            out.extend_from_slice(&chars[pos..end]);
            out.extend_from_slice(&chars[pos..]);
        }
    }
    out.into_iter().collect()
}

/// Replaces the trailing CRC so the mutation reaches the structural checks.
fn with_fixed_crc(s: &str) -> String {
    let body = match s.char_indices().rev().nth(7) {
        Some((i, _)) if s.is_char_boundary(i) && s[i..].is_ascii() => &s[..i],
        _ => s,
    };
    let mut out = format!("{body}6304");
    out.push_str(&format!("{:04X}", crc16(out.as_bytes())));
    out
}

fn vector_qrs() -> Vec<String> {
    khqr_fixtures::load("vectors.jsonl")
        .into_iter()
        .map(|v| v["qr"].as_str().unwrap().to_owned())
        .collect()
}

/// Decoding must not panic; whatever it accepts must re-encode to something that decodes
/// to the same value.
fn check_decoder(s: &str) {
    if let Ok(k) = decode(s) {
        let again = k.encode();
        assert_eq!(decode(&again).as_ref(), Ok(&k), "{s:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn round_trip_and_crc(mut input in valid_input(), now in 1_000_000_000_000u64..9_000_000_000_000) {
        input.expiration_ms = input.expiration_ms.map(|d| now + d);
        let khqr = match input.build(now) {
            Ok(k) => k,
            // Random fields can overflow a template (> 99): the one legitimate rejection.
            Err(e) if e.code() == 8 => return Err(TestCaseError::reject("template too long")),
            Err(e) => return Err(TestCaseError::fail(format!("{e} for {input:?}"))),
        };
        let qr = khqr.encode();

        let (body, crc) = qr.split_at(qr.len() - 4);
        prop_assert!(body.ends_with("6304"));
        prop_assert_eq!(crc, format!("{:04X}", crc16(body.as_bytes())));
        prop_assert_eq!(md5_hex(&qr).len(), 32);

        prop_assert_eq!(decode(&qr), Ok(khqr.clone()));
        prop_assert_eq!(verify(&qr, now), Ok(khqr.clone()));
        prop_assert_eq!(decode(&qr).unwrap().encode(), qr.clone());

        prop_assert_eq!(khqr.to_input().build(now), Ok(khqr.clone()));

        prop_assert_eq!(khqr.merchant_name(), input.merchant_name.as_str());
        prop_assert_eq!(khqr.account_id(), input.account_id.as_str());
        prop_assert_eq!(khqr.currency(), input.currency);
        prop_assert_eq!(khqr.bill_number(), input.bill_number.as_deref());
        let dynamic = input.amount.is_some_and(|a| !a.is_zero());
        prop_assert_eq!(khqr.is_dynamic(), dynamic);
        prop_assert_eq!(khqr.is_merchant(), input.merchant_id.is_some());
        if dynamic {
            prop_assert_eq!(khqr.created_at_ms(), Some(now));
            prop_assert_eq!(khqr.expires_at_ms(), input.expiration_ms);
            let amount = khqr.amount().unwrap().to_string();
            let tag54 = format!("54{:02}{amount}", amount.len());
            prop_assert!(qr.contains(&tag54), "{} lacks {}", qr, tag54);
            // Expired one millisecond after its expiration, not before.
            let expires = khqr.expires_at_ms().unwrap();
            prop_assert!(verify(&qr, expires).is_ok());
            prop_assert_eq!(verify(&qr, expires + 1).unwrap_err().code(), 46);
        } else {
            // No tag 99 (timestamps) in a static KHQR. Asked of the decoded value: the text
            // "9934" can occur by chance inside a random name or bill number.
            prop_assert_eq!(khqr.created_at_ms(), None);
            prop_assert_eq!(khqr.expires_at_ms(), None);
            prop_assert!(verify(&qr, u64::MAX).is_ok());
        }
    }

    #[test]
    fn decoder_never_panics_on_arbitrary_strings(s in any::<String>()) {
        check_decoder(&s);
        check_decoder(&with_fixed_crc(&s));
    }

    #[test]
    fn decoder_never_panics_on_tlv_shaped_noise(s in "([0-9]{4}[ -~ក😀]{0,6}){0,12}") {
        check_decoder(&with_fixed_crc(&s));
        check_decoder(&with_fixed_crc(&format!("000201010211{s}")));
    }

    #[test]
    fn decoder_never_panics_on_mutated_vectors(
        which in any::<prop::sample::Index>(),
        edits in proptest::collection::vec((any::<u8>(), any::<usize>(), 0usize..6, any_char()), 1..4),
        fix_crc in any::<bool>(),
    ) {
        let qrs = vector_qrs();
        let mut s = qrs[which.index(qrs.len())].clone();
        for (op, pos, len, c) in edits {
            s = mutate(&s, op, pos, len, c);
        }
        if fix_crc {
            s = with_fixed_crc(&s);
        }
        check_decoder(&s);
        let _ = verify(&s, 1_767_225_600_000);
    }
}
