//! A ZXing-family decoder reads every QR code the crate draws as exactly its KHQR string.
//!
//! rxing (the Rust port of ZXing) decodes like the scanners inside Android's ML Kit and most
//! banking apps: it returns *text*, turning each segment into characters with the segment's
//! mode and ZXing's charset guess. `rqrr` returns the raw bytes and cannot see a wrong mode;
//! this test can: a Kanji segment reads back as Shift-JIS mojibake and the bank app rejects
//! the CRC. Every card and plain QR is read as sent, at half size and as a quality-75 JPEG.

use crate::support::render::*;
use khqr_bot::khqr::{Amount, Currency, KhqrInput};
use khqr_bot::render::{CardSpec, card_png, plain_png, qr_code};

/// 1 Jan 2026 00:00 UTC, in Unix milliseconds: creation time of every dynamic KHQR here.
const NOW_MS: u64 = 1_767_225_600_000;

/// Khmer text to cut fields from (each character is one UTF-16 unit, three UTF-8 bytes).
const KHMER: &str = "ហាងលក់គ្រឿងទេសនិងម្ហូបខ្មែរដ៏ឆ្ងាញ់បំផុតនៅក្រុងសៀមរាបទិញទំនិញសម្រាប់ពិធីមង្គលការស្ករអង្ករប្រេងឆាទឹកត្រីនិងគ្រឿងទេសផ្សេងៗទៀតជាច្រើនមុខ";

fn khmer(chars: usize) -> String {
    let text: String = KHMER.chars().cycle().take(chars).collect();
    assert_eq!(text.chars().count(), chars);
    text
}

fn card(payload: &str, shop_name: &str, note: Option<&str>) -> Vec<u8> {
    card_png(&CardSpec {
        payload,
        shop_name,
        amount_text: "12,000 ៛",
        usd: false,
        note,
        expires_line: Some("ផុតកំណត់ ម៉ោង 14:05"),
        // Every card the bot sends names its charge's reference beside the expiry.
        reference: Some("#XK9RW3"),
    })
    .expect("card renders")
}

/// A dynamic KHR KHQR with the given texts (all optional fields left out when `None`).
fn khqr(input: KhqrInput) -> String {
    KhqrInput {
        currency: Currency::Khr,
        amount: Some(Amount::parse_decimal("12000", Currency::Khr).unwrap()),
        expiration_ms: Some(NOW_MS + 600_000),
        ..input
    }
    .build(NOW_MS)
    .expect("valid KHQR")
    .encode()
}

/// Real KHQR strings whose Khmer runs are each long enough to look like Shift-JIS to an
/// optimising encoder: shop name, city, the note (purpose), the other tag-62 labels, and the
/// alternate-language name and city.
fn khmer_payloads() -> Vec<(&'static str, String)> {
    vec![
        ("fixture: Khmer name and city", DYNAMIC_KHR_KHMER.to_owned()),
        ("fixture: longest SDK payload", LONGEST.to_owned()),
        (
            "shop name",
            khqr(KhqrInput {
                account_id: "sreymom_shop@wing".into(),
                merchant_name: "ហាងកាហ្វេស្រីមុំ".into(),
                ..KhqrInput::default()
            }),
        ),
        (
            "city",
            khqr(KhqrInput {
                account_id: "dara_market@abaa".into(),
                merchant_name: "Dara Market".into(),
                merchant_city: Some("ក្រុងសៀមរាប".into()),
                ..KhqrInput::default()
            }),
        ),
        (
            "note (purpose) and bill number",
            khqr(KhqrInput {
                account_id: "dara_market@abaa".into(),
                merchant_name: "Dara Market".into(),
                bill_number: Some("វិក្កយបត្រ-០០៤២".into()),
                purpose: Some("កាហ្វេទឹកដោះគោទឹកកក ២ កែវ".into()),
                ..KhqrInput::default()
            }),
        ),
        (
            "store and terminal labels",
            khqr(KhqrInput {
                account_id: "dara_market@abaa".into(),
                merchant_name: "Dara Market".into(),
                store_label: Some("សាខាផ្សារចាស់".into()),
                terminal_label: Some("បញ្ជរទី១".into()),
                ..KhqrInput::default()
            }),
        ),
        (
            "alternate name and city",
            khqr(KhqrInput {
                merchant_id: Some("M-0001".into()),
                account_id: "coffee.shop@wing".into(),
                acquiring_bank: Some("ACLEDA Bank".into()),
                merchant_name: "Coffee Shop".into(),
                language_preference: Some("km".into()),
                alt_merchant_name: Some("ហាងកាហ្វេ ២៤ ម៉ោង".into()),
                alt_merchant_city: Some("ភ្នំពេញ".into()),
                ..KhqrInput::default()
            }),
        ),
        (
            "everything Khmer",
            khqr(KhqrInput {
                account_id: "sreymom_shop@wing".into(),
                merchant_name: "ហាងកាហ្វេស្រីមុំ".into(),
                merchant_city: Some("សៀមរាប".into()),
                purpose: Some("នំបញ្ចុក".into()),
                language_preference: Some("km".into()),
                alt_merchant_name: Some("ហាងកាហ្វេស្រីមុំ".into()),
                alt_merchant_city: Some("សៀមរាប".into()),
                ..KhqrInput::default()
            }),
        ),
    ]
}

#[test]
fn khmer_cards_read_back_exactly() {
    let mut failures = Vec::new();
    for (what, payload) in khmer_payloads() {
        let png = card(&payload, "ហាងកាហ្វេស្រីមុំ", Some("កាហ្វេទឹកដោះគោទឹកកក ២ កែវ"));
        for misread in rxing_misreads(&png, &payload) {
            failures.push(format!("card, {what}, {misread}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn khmer_plain_qrs_read_back_exactly() {
    let mut failures = Vec::new();
    for (what, payload) in khmer_payloads() {
        let png = plain_png(&payload).expect("plain QR renders");
        for misread in rxing_misreads(&png, &payload) {
            failures.push(format!("plain, {what}, {misread}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn latin_cards_and_plain_qrs_read_back_exactly() {
    let mut failures = Vec::new();
    for payload in [STATIC_USD, STATIC_KHR, DYNAMIC_USD] {
        let card = card(payload, "Sokha Coffee", Some("2 × iced latte"));
        let plain = plain_png(payload).expect("plain QR renders");
        for (kind, png) in [("card", card), ("plain", plain)] {
            for misread in rxing_misreads(&png, payload) {
                failures.push(format!("{kind}, {payload}, {misread}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// KHQR strings from a short static one to the longest: every field grown one character
/// at a time, in Khmer wherever the field takes free text, up to its limit (and the tag-30 and
/// tag-62 templates up to 99 characters). The last one is the longest KHQR the codec builds
/// in bytes: 32-character account, Khmer bank name, name, city, labels and alternates, the
/// largest amount, the UnionPay account, timestamps.
fn growing_payloads() -> Vec<String> {
    const ACCOUNT: &str = "longest_possible_account_id@aclb";
    // Tag 30 holds at most 99 characters: 32 + 22 + 32 plus three 4-character headers = 98.
    const MERCHANT_ID: &str = "MERCHANT-0000000000001";
    // Limits, in the order the fields grow: name, city, alternate name, alternate city,
    // bank, purpose, store label, terminal label, bill number (tag 62: four 4-character
    // headers leave 83 characters for the values), amount digits.
    const LIMITS: [usize; 10] = [25, 15, 25, 15, 32, 25, 25, 25, 8, 13];
    let build = |lens: &[usize; 10]| {
        let opt = |n: usize| (n > 0).then(|| khmer(n));
        let amount = (lens[9] > 0)
            .then(|| Amount::parse_decimal(&"9".repeat(lens[9]), Currency::Khr).unwrap());
        KhqrInput {
            merchant_id: Some(MERCHANT_ID.into()),
            account_id: ACCOUNT.into(),
            merchant_name: khmer(lens[0].max(1)),
            merchant_city: opt(lens[1]),
            language_preference: (lens[2] > 0).then(|| "km".into()),
            alt_merchant_name: opt(lens[2]),
            alt_merchant_city: opt(lens[3]),
            acquiring_bank: Some(khmer(lens[4].max(1))),
            purpose: opt(lens[5]),
            store_label: opt(lens[6]),
            terminal_label: opt(lens[7]),
            bill_number: opt(lens[8]),
            currency: Currency::Khr,
            amount,
            upi_merchant_account: Some("5204000000000000000000000000000000001".into()),
            expiration_ms: Some(NOW_MS + 600_000),
            ..KhqrInput::default()
        }
        .build(NOW_MS)
        .unwrap_or_else(|e| panic!("{lens:?}: {e}"))
        .encode()
    };
    // Before them, the smallest KHQRs: a static individual one whose Khmer name and city
    // grow to their limits.
    let mut out = Vec::new();
    for (name, city) in (1..=25).map(|n| (n, 0)).chain((1..=15).map(|c| (25, c))) {
        let small = KhqrInput {
            account_id: "dara@abaa".into(),
            merchant_name: khmer(name),
            merchant_city: (city > 0).then(|| khmer(city)),
            currency: Currency::Khr,
            ..KhqrInput::default()
        };
        out.push(small.build(NOW_MS).expect("valid KHQR").encode());
    }
    let mut lens = [0usize; 10];
    loop {
        out.push(build(&lens));
        let Some(i) = (0..lens.len()).find(|&i| lens[i] < LIMITS[i]) else {
            break;
        };
        lens[i] += 1;
    }
    out
}

/// QR version of the symbol the crate draws for `payload`.
fn symbol_version(payload: &str) -> i16 {
    match qr_code(payload).expect("encodes").version() {
        qrcode::Version::Normal(v) => v,
        qrcode::Version::Micro(v) => panic!("micro QR {v}"),
    }
}

/// Every symbol version a card can carry, from the shortest KHQR to the longest, is read
/// back exactly, as a card and as a plain QR, in all three copies.
#[test]
fn every_symbol_version_a_khmer_card_can_carry_reads_back_exactly() {
    let payloads = growing_payloads();
    // The longest payload of each version: the fullest symbol of that size.
    let mut by_version: std::collections::BTreeMap<i16, String> = Default::default();
    for payload in payloads {
        by_version.insert(symbol_version(&payload), payload);
    }
    let versions: Vec<i16> = by_version.keys().copied().collect();
    let (first, last) = (versions[0], versions[versions.len() - 1]);
    assert_eq!(
        versions,
        (first..=last).collect::<Vec<_>>(),
        "a version was skipped"
    );
    // Version 4 is a short static KHQR; 22 the longest one the codec builds (838 bytes).
    assert_eq!((first, last), (4, 22), "versions covered: {versions:?}");

    let mut failures = Vec::new();
    for (version, payload) in &by_version {
        let card = card(payload, "ហាងលក់គ្រឿងទេស", Some("ទិញទំនិញ"));
        let plain = plain_png(payload).expect("plain QR renders");
        for (kind, png) in [("card", card), ("plain", plain)] {
            for misread in rxing_misreads(&png, payload) {
                failures.push(format!("version {version} {kind}, {misread}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "versions {versions:?}; failures: {failures:#?}"
    );
}
