//! Conformance with NBC's official SDK (`bakong-khqr` 1.0.20): every fixture line.

use crate::support::khqr_fixtures::{InputError, load, now, to_input};
use khqr_bot::bot::charge::note::qr_purpose;
use khqr_bot::khqr::{Khqr, decode, md5_hex, verify};
use serde_json::Value;

fn opt(v: &Value) -> Option<&str> {
    v.as_str()
}

/// Our decoded fields against the SDK decoder's view of the same string.
fn assert_matches_sdk_view(id: &str, k: &Khqr, d: &Value, qr: &str) {
    let merchant_type = if k.is_merchant() { "30" } else { "29" };
    assert_eq!(d["merchantType"], merchant_type, "{id}");
    assert_text_fields_match_sdk_view(id, k, d);
    let poi = if k.is_dynamic() { "12" } else { "11" };
    assert_eq!(d["pointofInitiationMethod"], poi, "{id}");
    assert_eq!(d["payloadFormatIndicator"], "01", "{id}");
    assert_eq!(
        opt(&d["transactionCurrency"]),
        Some(k.currency().numeric()),
        "{id}"
    );
    assert_eq!(
        opt(&d["transactionAmount"]).map(str::to_owned),
        k.amount().map(|a| a.to_string()),
        "{id}"
    );
    assert_eq!(d["countryCode"], "KH", "{id}");
    assert_eq!(opt(&d["crc"]), Some(&qr[qr.len() - 4..]), "{id}");
}

/// The fields both decoders return as written in the string (text, and tag 99's
/// timestamps, which the SDK returns for a static KHQR too).
fn assert_text_fields_match_sdk_view(id: &str, k: &Khqr, d: &Value) {
    assert_eq!(opt(&d["bakongAccountID"]), Some(k.account_id()), "{id}");
    assert_eq!(opt(&d["merchantID"]), k.merchant_id(), "{id}");
    assert_eq!(
        opt(&d["accountInformation"]),
        k.account_information(),
        "{id}"
    );
    assert_eq!(opt(&d["acquiringBank"]), k.acquiring_bank(), "{id}");
    assert_eq!(opt(&d["billNumber"]), k.bill_number(), "{id}");
    assert_eq!(opt(&d["mobileNumber"]), k.mobile_number(), "{id}");
    assert_eq!(opt(&d["storeLabel"]), k.store_label(), "{id}");
    assert_eq!(opt(&d["terminalLabel"]), k.terminal_label(), "{id}");
    assert_eq!(opt(&d["purposeOfTransaction"]), k.purpose(), "{id}");
    assert_eq!(
        opt(&d["languagePreference"]),
        k.language_preference(),
        "{id}"
    );
    assert_eq!(
        opt(&d["merchantNameAlternateLanguage"]),
        k.alt_merchant_name(),
        "{id}"
    );
    assert_eq!(
        opt(&d["merchantCityAlternateLanguage"]),
        k.alt_merchant_city(),
        "{id}"
    );
    assert_eq!(
        opt(&d["unionPayMerchant"]),
        k.upi_merchant_account(),
        "{id}"
    );
    assert_eq!(
        opt(&d["creationTimestamp"]).map(str::to_owned),
        k.created_at_ms().map(|t| t.to_string()),
        "{id}"
    );
    assert_eq!(
        opt(&d["expirationTimestamp"]).map(str::to_owned),
        k.expires_at_ms().map(|t| t.to_string()),
        "{id}"
    );
    assert_eq!(
        opt(&d["merchantCategoryCode"]),
        Some(k.merchant_category_code()),
        "{id}"
    );
    assert_eq!(opt(&d["merchantName"]), Some(k.merchant_name()), "{id}");
    assert_eq!(opt(&d["merchantCity"]), Some(k.merchant_city()), "{id}");
}

#[test]
fn every_vector_is_reproduced_byte_for_byte() {
    let vectors = load("vectors.jsonl");
    assert_eq!(vectors.len(), 60);
    let (mut dynamic, mut merchant, mut khmer) = (0, 0, 0);
    for v in &vectors {
        let id = v["id"].as_str().unwrap();
        let input = &v["input"];
        let qr = v["qr"].as_str().unwrap();
        let md5 = v["md5"].as_str().unwrap();
        let khqr = to_input(input)
            .unwrap_or_else(|e| panic!("{id}: {e:?}"))
            .build(now(input))
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        let encoded = khqr.encode();
        assert_eq!(encoded, qr, "{id}: qr");
        assert_eq!(md5_hex(&encoded), md5, "{id}: md5");

        let mut appended = String::from("prefix:");
        khqr.encode_into(&mut appended);
        assert_eq!(&appended["prefix:".len()..], qr, "{id}: encode_into");

        let decoded = verify(qr, now(input)).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(decoded, khqr, "{id}: decode(encode(x)) == x");
        assert_matches_sdk_view(id, &decoded, &v["decoded"], qr);

        dynamic += usize::from(khqr.is_dynamic());
        merchant += usize::from(khqr.is_merchant());
        khmer += usize::from(!qr.is_ascii());
    }
    // The fixture exercises each kind (guards against a silently thinned-out file).
    assert!(
        dynamic > 20 && merchant > 15 && khmer > 10,
        "{dynamic} {merchant} {khmer}"
    );
}

/// A seller's note longer than the purpose of transaction becomes a purpose the SDK builds
/// and verifies: the bot's cut copy (`qr_purpose`) is the one recorded with the SDK's output,
/// and the codec encodes it byte for byte as the SDK did.
#[test]
fn every_shortened_note_is_a_purpose_the_sdk_builds_byte_for_byte() {
    let lines = load("purposes.jsonl");
    assert_eq!(lines.len(), 8);
    let mut cut = 0;
    for l in &lines {
        let id = l["id"].as_str().unwrap();
        let (note, input) = (l["note"].as_str().unwrap(), &l["input"]);
        let purpose = qr_purpose(note);
        assert_eq!(
            Some(&*purpose),
            input["purposeOfTransaction"].as_str(),
            "{id}"
        );
        cut += usize::from(purpose != note);
        let qr = l["qr"].as_str().unwrap();
        let khqr = to_input(input).unwrap().build(now(input)).unwrap();
        assert_eq!(khqr.encode(), qr, "{id}: qr");
        assert_eq!(md5_hex(qr), l["md5"].as_str().unwrap(), "{id}: md5");
        let decoded = verify(qr, now(input)).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(decoded.purpose(), Some(&*purpose), "{id}");
        assert_matches_sdk_view(id, &decoded, &l["decoded"], qr);
    }
    assert_eq!(
        cut, 7,
        "the fixture's notes are, but for one, too long for the tag"
    );
}

/// Lines the SDK accepts but emits a broken (or no) QR for: our chosen code.
fn code_for_sdk_defect(name: &str) -> u8 {
    match name {
        n if n.contains("all five tag-62 fields") => 8,
        n if n.contains("merchant tag 30 at max sub-lengths") => 8,
        n if n.contains("alternate name without languagePreference") => 37,
        n if n.contains("1e21") => 4,
        n if n.contains("amount string with a space") => 4,
        other => panic!("unknown SDK-defect line {other:?}: decide its code"),
    }
}

#[test]
fn every_invalid_gen_line_is_rejected_with_the_sdk_code() {
    let lines = load("invalid.jsonl");
    let mut checked = 0;
    for l in lines.iter().filter(|l| l["op"] == "gen") {
        let name = l["name"].as_str().unwrap();
        assert_eq!(l["expect"], "reject", "{name}");
        let expected = match l["error"]["code"].as_u64() {
            Some(code) if l.get("note").is_none() => Some(u8::try_from(code).unwrap()),
            _ if l.get("note").is_some() => Some(code_for_sdk_defect(name)),
            _ => None, // the SDK throws without a code (wrong JSON type)
        };
        let input = &l["input"];
        let result = to_input(input).and_then(|i| i.build(now(input)).map_err(InputError::Khqr));
        match (result, expected) {
            (Err(InputError::Khqr(e)), Some(code)) => {
                assert_eq!(e.code(), code, "{name}: {e}");
                assert!(
                    e.to_string().starts_with(&format!("KHQR error {code}: ")),
                    "{e}"
                );
            }
            (Err(InputError::Type(_)), None) => {}
            (other, _) => panic!("{name}: expected rejection with {expected:?}, got {other:?}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 55);
}

#[test]
fn every_verify_line_gets_the_sdk_verdict() {
    let lines = load("invalid.jsonl");
    let mut checked = 0;
    for l in lines.iter().filter(|l| l["op"] == "verify") {
        let name = l["name"].as_str().unwrap();
        let qr = l["qr"].as_str().unwrap();
        let result = verify(qr, now(l));
        match l["expect"].as_str().unwrap() {
            "valid" => {
                let k = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                assert_eq!(decode(qr).unwrap(), k);
            }
            "invalid" => {
                // Where the SDK gives no code (no CRC field, or it never returns) we say 8.
                let code = l["error"]["code"].as_u64().unwrap_or(8);
                let e = result.expect_err(name);
                assert_eq!(u64::from(e.code()), code, "{name}: {e}");
            }
            other => panic!("{name}: unknown expectation {other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, 26);
}

/// Codes of our rules beyond the SDK's (see `khqr::decode`): what a string the SDK accepts
/// may still be refused with.
const STRICTER_CODES: [u8; 11] = [3, 4, 8, 16, 20, 30, 31, 44, 48, 49, 51];

/// Malformed strings made from SDK output, each with the SDK verifier's verdict at its
/// `now` (`tests/fixtures/khqr/README.md` says how they were made): where the SDK rejects
/// one with a code, ours is the same code; where it rejects one without (it never returns),
/// ours is a rejection; where it accepts one, we accept it with the SDK's view of its
/// fields (tag 99's timestamps of a static KHQR included) or refuse it by one of our
/// stricter rules.
#[test]
fn every_malformed_string_gets_the_sdk_verdict_and_code() {
    let lines = load("malformed.jsonl");
    let (mut coded, mut uncoded, mut accepted, mut stricter) = (0, 0, 0, 0);
    let mut static_stamps = 0;
    for l in &lines {
        let name = format!("{} ({})", l["name"].as_str().unwrap(), l["from"]);
        let qr = l["qr"].as_str().unwrap();
        let result = verify(qr, now(l));
        if l["valid"] == true {
            match result {
                Ok(k) => {
                    assert_text_fields_match_sdk_view(&name, &k, &l["decoded"]);
                    static_stamps += usize::from(!k.is_dynamic() && k.created_at_ms().is_some());
                    accepted += 1;
                }
                Err(e) => {
                    assert!(STRICTER_CODES.contains(&e.code()), "{name}: {e}");
                    stricter += 1;
                }
            }
            continue;
        }
        let e = result.expect_err(&name);
        match l["error"]["code"].as_u64() {
            Some(code) => {
                assert_eq!(u64::from(e.code()), code, "{name}: {qr:?}: {e}");
                coded += 1;
            }
            None => uncoded += 1,
        }
    }
    // The file keeps its spread (guards against a silently thinned-out fixture).
    assert!(
        coded > 200 && uncoded > 0 && accepted > 30 && stricter > 10 && static_stamps > 10,
        "{coded} {uncoded} {accepted} {stricter} {static_stamps}"
    );
}
