//! Hand-picked cases beyond the SDK fixtures: SPEC examples, decoder strictness, defaults.

use khqr_bot::khqr::{
    Amount, BakongAccountId, Currency, KhqrErrorKind, KhqrInput, crc16, decode, md5_hex, verify,
};

const NOW: u64 = 1_767_225_600_000;

/// `body` + `6304` + its CRC.
fn qr_from(body: &str) -> String {
    let mut s = format!("{body}6304");
    s.push_str(&format!("{:04X}", crc16(s.as_bytes())));
    s
}

fn code(s: &str) -> u8 {
    decode(s).unwrap_err().code()
}

fn john() -> KhqrInput {
    KhqrInput {
        account_id: "john_smith@devb".into(),
        merchant_name: "John Smith".into(),
        ..KhqrInput::default()
    }
}

#[test]
fn spec_worked_examples() {
    let k = john().build(NOW).unwrap();
    let qr = k.encode();
    assert_eq!(
        qr,
        "00020101021129190015john_smith@devb5204599953031165802KH5910John Smith6010Phnom Penh63046BFA"
    );
    assert_eq!(md5_hex(&qr), "851710edf362c4a9091f7b4739cbe1a3");
    assert!(!k.is_dynamic() && !k.is_merchant());
    assert_eq!(k.merchant_city(), "Phnom Penh");
    assert_eq!(k.merchant_category_code(), "5999");
    assert_eq!(k.currency(), Currency::Khr);

    let khmer = KhqrInput {
        merchant_name: "ចន ស្មីន".into(),
        merchant_city: Some("សៀមរាប".into()),
        ..john()
    }
    .build(NOW)
    .unwrap()
    .encode();
    assert!(khmer.ends_with("5908ចន ស្មីន6006សៀមរាប6304E06A"), "{khmer}");
}

#[test]
fn static_input_ignores_expiry_and_zero_amount_is_static() {
    let k = KhqrInput {
        currency: Currency::Usd,
        amount: Some(Amount::zero(Currency::Usd)),
        expiration_ms: Some(1),
        ..john()
    }
    .build(NOW)
    .unwrap();
    assert!(!k.is_dynamic());
    assert_eq!(k.amount(), None);
    assert_eq!(k.expires_at_ms(), None);
    assert!(!k.encode().contains("54"));
}

#[test]
fn build_rules_beyond_the_sdk_fixtures() {
    let usd5 = Some(Amount::parse_decimal("5", Currency::Usd).unwrap());
    let dynamic = KhqrInput {
        currency: Currency::Usd,
        amount: usd5,
        expiration_ms: Some(NOW),
        ..john()
    };
    // Expiring exactly at creation is allowed.
    let k = dynamic.build(NOW).unwrap();
    assert_eq!(k.expires_at_ms(), Some(NOW));
    assert!(verify(&k.encode(), NOW).is_ok());
    assert_eq!(verify(&k.encode(), NOW + 1).unwrap_err().code(), 46);
    // Zero expiration counts as missing (JS falsy).
    let e = KhqrInput {
        expiration_ms: Some(0),
        ..dynamic.clone()
    }
    .build(NOW)
    .unwrap_err();
    assert_eq!(e.code(), 45);
    // A clock that is not in milliseconds.
    let e = dynamic.build(1_767_225_600).unwrap_err();
    assert_eq!(
        (e.code(), e.kind()),
        (49, KhqrErrorKind::TimestampLengthInvalid)
    );
    // Amount in another currency than the KHQR's.
    let e = KhqrInput {
        currency: Currency::Khr,
        ..dynamic.clone()
    }
    .build(NOW)
    .unwrap_err();
    assert_eq!(e.code(), 4);
    // Empty optional strings are absent; merchant QRs ignore account information.
    let k = KhqrInput {
        bill_number: Some(String::new()),
        merchant_city: Some(String::new()),
        merchant_category_code: Some(String::new()),
        merchant_id: Some("M1".into()),
        acquiring_bank: Some("Dev Bank".into()),
        account_information: Some("ignored".into()),
        ..john()
    }
    .build(NOW)
    .unwrap();
    assert_eq!(k.bill_number(), None);
    assert_eq!(k.merchant_city(), "Phnom Penh");
    assert_eq!(k.account_information(), None);
    assert_eq!(k.merchant_id(), Some("M1"));
    assert_eq!(
        k.encode(),
        qr_from(&base(
            "11",
            &acct(
                "30",
                &[("00", "john_smith@devb"), ("01", "M1"), ("02", "Dev Bank")]
            ),
            "116",
            None
        ))
    );
    // Merchant ID given but empty.
    let e = KhqrInput {
        merchant_id: Some(String::new()),
        ..john()
    }
    .build(NOW)
    .unwrap_err();
    assert_eq!(e.code(), 30);
    // An alternate city may stand alone; a language needs a name and vice versa.
    let k = KhqrInput {
        alt_merchant_city: Some("ភ្នំពេញ".into()),
        ..john()
    }
    .build(NOW)
    .unwrap();
    assert!(k.encode().contains("64110207ភ្នំពេញ"));
    let e = KhqrInput {
        alt_merchant_name: Some("ចន".into()),
        ..john()
    }
    .build(NOW)
    .unwrap_err();
    assert_eq!(e.code(), 37);
    // Error messages carry the code and name the field.
    let e = KhqrInput {
        terminal_label: Some("T".repeat(26)),
        ..john()
    }
    .build(NOW)
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "KHQR error 12: terminal label is longer than 25 characters (26)"
    );
}

#[test]
fn account_id_type() {
    let id = BakongAccountId::parse("john_smith@devb").unwrap();
    assert_eq!(id.to_string(), "john_smith@devb");
    let k = john().build(NOW).unwrap();
    assert_eq!(k.bakong_account_id(), id);
}

fn tlv(tag: &str, value: &str) -> String {
    format!("{tag}{:02}{value}", value.encode_utf16().count())
}

fn acct(tag: &str, subs: &[(&str, &str)]) -> String {
    tlv(
        tag,
        &subs.iter().map(|(t, v)| tlv(t, v)).collect::<String>(),
    )
}

fn john_acct() -> String {
    acct("29", &[("00", "john_smith@devb")])
}

fn ts(created: u64, expires: u64) -> String {
    tlv(
        "99",
        &(tlv("00", &created.to_string()) + &tlv("01", &expires.to_string())),
    )
}

/// 00, 01 = `poi`, `account`, 52, 53 = `currency`, 54 = `amount`, 58, 59, 60.
fn base(poi: &str, account: &str, currency: &str, amount: Option<&str>) -> String {
    let mut s = format!(
        "000201{}{account}52045999{}",
        tlv("01", poi),
        tlv("53", currency)
    );
    if let Some(a) = amount {
        s += &tlv("54", a);
    }
    s + "5802KH5910John Smith6010Phnom Penh"
}

fn static_khr() -> String {
    base("11", &john_acct(), "116", None)
}

fn dynamic_usd(amount: &str) -> String {
    base("12", &john_acct(), "840", Some(amount)) + &ts(NOW, NOW + 600_000)
}

#[test]
fn helpers_build_what_the_encoder_builds() {
    assert_eq!(qr_from(&static_khr()), john().build(NOW).unwrap().encode());
    let k = KhqrInput {
        currency: Currency::Usd,
        amount: Some(Amount::parse_decimal("5.25", Currency::Usd).unwrap()),
        expiration_ms: Some(NOW + 600_000),
        ..john()
    }
    .build(NOW)
    .unwrap();
    assert_eq!(qr_from(&dynamic_usd("5.25")), k.encode());
}

#[test]
fn decoder_accepts_what_the_sdk_verifier_accepts() {
    // One decimal for USD, as the SDK's verifier allows: same value as 5.50.
    let k = decode(&qr_from(&dynamic_usd("5.5"))).unwrap();
    assert_eq!(k.amount().unwrap().minor(), 550);
    assert_eq!(k, decode(&qr_from(&dynamic_usd("5.50"))).unwrap());
    // Lowercase CRC hex.
    let qr = qr_from(&static_khr());
    let lower = format!(
        "{}{}",
        &qr[..qr.len() - 4],
        qr[qr.len() - 4..].to_lowercase()
    );
    assert!(decode(&lower).is_ok());
    // Unknown tags and sub-tags are skipped; tag order is not checked; 01 may be absent.
    let shuffled = format!(
        "0002015204599953031165802KH{}8004abcd5910John Smith6010Phnom Penh{}",
        john_acct(),
        tlv("62", &(tlv("05", "XYZ") + &tlv("01", "INV")))
    );
    let k = decode(&qr_from(&shuffled)).unwrap();
    assert_eq!(k.bill_number(), Some("INV"));
    assert!(!k.is_dynamic());
    // An empty 29-01 (the SDK writes one for an empty account information).
    let with_empty_info = base(
        "11",
        &acct("29", &[("00", "john_smith@devb"), ("01", "")]),
        "116",
        None,
    );
    let k = decode(&qr_from(&with_empty_info)).unwrap();
    assert_eq!(k.account_information(), None);
    // A static KHQR's tag 99 (other libraries write one) is returned, as the SDK's decoder
    // does, and written back; it never makes the KHQR expire.
    let k = decode(&qr_from(
        &(static_khr() + &tlv("99", &tlv("00", &NOW.to_string()))),
    ))
    .unwrap();
    assert_eq!((k.created_at_ms(), k.expires_at_ms()), (Some(NOW), None));
    assert!(!k.is_dynamic());
    assert_eq!(decode(&k.encode()).unwrap(), k);
    let both = qr_from(&(static_khr() + &ts(NOW, NOW + 1)));
    let k = verify(&both, NOW + 2).unwrap();
    assert_eq!(
        (k.created_at_ms(), k.expires_at_ms(), k.amount()),
        (Some(NOW), Some(NOW + 1), None)
    );
    assert_eq!(k.encode(), both);
    // Emoji count 2 units each.
    let emoji = base("11", &john_acct(), "116", None).replace("5910John Smith", "5904😀😀");
    assert_eq!(decode(&qr_from(&emoji)).unwrap().merchant_name(), "😀😀");
}

#[test]
fn decoder_rejects_malformed_structure() {
    let ok = static_khr();
    assert!(decode(&qr_from(&ok)).is_ok());
    // Repeated tag, CRC not last, both account templates, repeated sub-tag.
    assert_eq!(code(&qr_from(&format!("{ok}5910John Smith"))), 8);
    assert_eq!(code(&format!("{}6304ABCD", qr_from(&ok))), 8);
    assert_eq!(
        code(&qr_from(&(ok.clone() + &acct("30", &[("00", "a@b")])))),
        8
    );
    assert_eq!(code(&qr_from(&(ok.clone() + &tlv("62", "0101A0101B")))), 8);
    // Length past the end, non-numeric length, length splitting an emoji: the SDK's walk
    // swallows or stops there and never sees the CRC field (24, as the SDK says).
    assert_eq!(code(&qr_from(&format!("{ok}6220"))), 24);
    assert_eq!(code(&qr_from(&format!("{ok}62xx"))), 24);
    assert_eq!(code(&qr_from(&format!("{ok}6201😀"))), 24);
    // Inside a template the SDK never returns: ours is 8.
    assert_eq!(code(&qr_from(&format!("{ok}620501ab1"))), 8);
    assert_eq!(code(&qr_from(&format!("{ok}6205-4abc"))), 8);
    // Garbage, empty, too short, no CRC field, CRC field with non-hex digits.
    for s in [
        "",
        "6304",
        "63041234",
        "hello",
        "00020101021163046BFA",
        "😀😀😀😀6304ABCD",
    ] {
        assert_eq!(code(s), 8, "{s:?}");
    }
    assert_eq!(code(&format!("{ok}6304XYZW")), 8);
    // CRC mismatch.
    assert_eq!(code(&format!("{ok}63040000")), 8);
}

#[test]
fn decoder_rejects_inconsistent_or_out_of_range_fields() {
    // Static point of initiation with an amount and timestamps (the SDK accepts it).
    let s = base("11", &john_acct(), "840", Some("5.5")) + &ts(NOW, NOW + 1);
    assert_eq!(code(&qr_from(&s)), 48);
    // Zero amount, KHR with decimals, exponent, longer than 13, sign, space.
    for amount in [
        "0",
        "0.00",
        "1e21",
        "1.005",
        "99999999999.99",
        "+5",
        " 5",
        "5,00",
    ] {
        assert_eq!(code(&qr_from(&dynamic_usd(amount))), 4, "{amount:?}");
    }
    let khr = base("12", &john_acct(), "116", Some("100.5")) + &ts(NOW, NOW + 1);
    assert_eq!(code(&qr_from(&khr)), 4);
    // Payload format, country, MCC of 3 digits, UnionPay with USD.
    assert_eq!(
        code(&qr_from(&static_khr().replacen("000201", "000202", 1))),
        16
    );
    assert_eq!(
        code(&qr_from(&static_khr().replace("5802KH", "5802TH"))),
        20
    );
    assert_eq!(
        code(&qr_from(&static_khr().replace("52045999", "5203599"))),
        51
    );
    let upi_usd = base("11", &john_acct(), "840", None).replacen("010211", "0102111503UPI", 1);
    assert_eq!(code(&qr_from(&upi_usd)), 44);
    // Merchant template without bank or merchant ID.
    let no_bank = base(
        "11",
        &acct("30", &[("00", "john_smith@devb"), ("01", "M1")]),
        "116",
        None,
    );
    assert_eq!(code(&qr_from(&no_bank)), 31);
    let no_id = base(
        "11",
        &acct("30", &[("00", "john_smith@devb"), ("02", "Bank")]),
        "116",
        None,
    );
    assert_eq!(code(&qr_from(&no_id)), 30);
    let no_account = base("11", &acct("29", &[("01", "info")]), "116", None);
    assert_eq!(code(&qr_from(&no_account)), 1);
    // Language template: alternate name without language (the SDK crashes), language alone.
    assert_eq!(
        code(&qr_from(&(static_khr() + &tlv("64", &tlv("01", "ចន"))))),
        37
    );
    assert_eq!(
        code(&qr_from(&(static_khr() + &tlv("64", &tlv("00", "km"))))),
        39
    );
    assert_eq!(
        code(&qr_from(&(static_khr() + &tlv("64", &tlv("00", ""))))),
        38
    );
    // Empty additional-data field.
    assert_eq!(
        code(&qr_from(&(static_khr() + &tlv("62", &tlv("01", ""))))),
        10
    );
    // Creation timestamp missing, or in seconds.
    let no_creation =
        base("12", &john_acct(), "840", Some("5")) + &tlv("99", &tlv("01", &(NOW + 1).to_string()));
    assert_eq!(code(&qr_from(&no_creation)), 49);
    let seconds = base("12", &john_acct(), "840", Some("5")) + &ts(NOW / 1000, NOW + 1);
    assert_eq!(code(&qr_from(&seconds)), 49);
    // Expiration zero is missing (45), with leading zeros too short (49), as the SDK says.
    let zero = base("12", &john_acct(), "840", Some("5"))
        + &tlv(
            "99",
            &(tlv("00", &NOW.to_string()) + &tlv("01", "0000000000000")),
        );
    assert_eq!(code(&qr_from(&zero)), 45);
    let short = zero.replace("01130000000000000", "01130000000000001");
    assert_eq!(code(&qr_from(&short)), 49);
    // Any repeated top-level tag, even an unknown one; the same tag twice in a row stops
    // the SDK's walk, so it reports the CRC field missing (24).
    assert_eq!(code(&qr_from(&(static_khr() + "8001a8001b"))), 24);
    assert_eq!(code(&qr_from(&(static_khr() + "8001a8101b8001c"))), 8);
    assert!(decode(&qr_from(&(static_khr() + "8001a8101b"))).is_ok());
    // verify() is decode() plus the clock.
    let s = qr_from(&dynamic_usd("5"));
    assert_eq!(verify(&s, NOW + 600_000).unwrap(), decode(&s).unwrap());
    assert_eq!(verify(&s, NOW + 600_001).unwrap_err().code(), 46);
}
