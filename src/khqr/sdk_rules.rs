//! Which of NBC's SDK verifier rules a string fails first, and with which error code.
//!
//! [`decode`](super::decode) reads a KHQR strictly (`decode.rs`), but the error it reports for
//! a malformed string must be the one the SDK (`bakong-khqr` 1.0.20, `BakongKHQR.verify` →
//! `decodeValidation`) reports, so that a code shown to a seller or a bank's support means the
//! same thing on both sides. The SDK does not read strictly: its TLV walker (`cutString`)
//! takes a length with JavaScript's `parseInt`, cuts with `String.prototype.slice` in UTF-16
//! units, stops at a tag equal to the previous one, and then checks presence and every field
//! in an order of its own (dynamic-QR rules, then required tags, then each tag as it appears).
//! A strict reader that stopped at the first malformed length would say 8 where the SDK says
//! 23, 5, 45, ….
//!
//! So this module replays the SDK's walk and its rules on the string's UTF-16 units, exactly
//! (JavaScript's `parseInt`, `Number`, `slice`, truthiness and number-to-text length
//! included), and returns its [`Verdict`]. It decides nothing else: a string the SDK accepts
//! is then read by `decode.rs`, whose stricter rules (and their codes) apply only after all of
//! the SDK's. Inputs the SDK never finishes (a template whose walk does not advance) or fails
//! on without a code (a crash) are [`Verdict::RejectsWithoutCode`]: the SDK rejects them, the
//! code is ours.
//!
//! The replay was checked against the SDK itself on thousands of mutated SDK strings
//! (`tests/fixtures/khqr/malformed.jsonl` keeps a sample; see its README).

use super::error::{KhqrError, KhqrErrorKind as K};

/// What the SDK's verifier makes of a string whose CRC is right.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Every SDK rule passes.
    Accepts,
    /// The first SDK rule that fails, with the SDK's code.
    Rejects(KhqrError),
    /// The SDK rejects it without an error code: its decoder loops for ever or crashes.
    RejectsWithoutCode(&'static str),
}

/// Replays `BakongKHQR.verify`'s `decodeValidation` on `s` (the whole string, CRC field
/// included). `now_ms` is the verifier's clock (`None`: expiry is not checked).
pub(crate) fn verdict(s: &str, now_ms: Option<u64>) -> Verdict {
    let units: Vec<u16> = s.encode_utf16().collect();
    match run(&units, now_ms) {
        Ok(()) => Verdict::Accepts,
        Err(Stop::Code(kind, detail)) => Verdict::Rejects(KhqrError::new(kind, detail)),
        Err(Stop::NoCode(why)) => Verdict::RejectsWithoutCode(why),
    }
}

enum Stop {
    Code(K, String),
    NoCode(&'static str),
}

fn fail<T>(kind: K, detail: impl Into<String>) -> Result<T, Stop> {
    Err(Stop::Code(kind, detail.into()))
}

const ENDLESS: &str = "NBC's SDK never finishes reading it (a TLV length that does not advance)";
const CRASH: &str = "NBC's SDK crashes on it (an alternate-language name without a language)";

/// A tag as the SDK's walker cuts it: the first two UTF-16 units (fewer at the very end).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Tag {
    units: [u16; 2],
    len: u8,
}

impl Tag {
    fn of(units: &[u16]) -> Tag {
        let mut t = Tag {
            units: [0; 2],
            len: 0,
        };
        for (slot, &u) in t.units.iter_mut().zip(units) {
            *slot = u;
            t.len += 1;
        }
        t
    }

    const fn ascii(s: &[u8; 2]) -> Tag {
        Tag {
            units: [s[0] as u16, s[1] as u16],
            len: 2,
        }
    }

    /// The tag as a number when it is two ASCII digits.
    fn number(self) -> Option<u8> {
        if self.len != 2 {
            return None;
        }
        let digit = |u: u16| {
            u8::try_from(u)
                .ok()
                .filter(u8::is_ascii_digit)
                .map(|d| d - b'0')
        };
        Some(digit(self.units[0])? * 10 + digit(self.units[1])?)
    }
}

const TAG_29: Tag = Tag::ascii(b"29");
const TAG_30: Tag = Tag::ascii(b"30");

/// `KHQRTag`: the tags the SDK keeps (30 is read as 29), in its order.
const KNOWN: [u8; 14] = [0, 1, 15, 29, 52, 53, 54, 58, 59, 60, 62, 64, 99, 63];
/// The required ones, in the SDK's order, with the code of "missing".
const REQUIRED: [(u8, K, &str); 8] = [
    (
        0,
        K::PayloadFormatRequired,
        "payload format indicator (tag 00)",
    ),
    (
        29,
        K::MerchantTypeRequired,
        "account template (tag 29 or 30)",
    ),
    (52, K::MccRequired, "merchant category code (tag 52)"),
    (53, K::CurrencyRequired, "currency (tag 53)"),
    (58, K::CountryCodeRequired, "country code (tag 58)"),
    (59, K::MerchantNameRequired, "merchant name (tag 59)"),
    (60, K::MerchantCityRequired, "merchant city (tag 60)"),
    (63, K::CrcRequired, "CRC (tag 63)"),
];

/// `cutString`: tag, value and rest, with `parseInt` for the length and `slice` for the cuts.
fn cut(s: &[u16]) -> (Tag, &[u16], &[u16]) {
    let n = s.len();
    let tag = Tag::of(&s[..n.min(2)]);
    match parse_int(&s[n.min(2)..n.min(4)]) {
        // slice(4, NaN) is empty and slice(NaN) is everything.
        None => (tag, &[], s),
        Some(len) => {
            let start = slice_index(4, n);
            let end = slice_index(4 + len, n);
            let value = if end > start { &s[start..end] } else { &[] };
            (tag, value, &s[end..])
        }
    }
}

/// `String.prototype.slice`'s index: negative counts from the end, clamped to `0..=n`.
fn slice_index(i: i64, n: usize) -> usize {
    let n_i = i64::try_from(n).unwrap_or(i64::MAX);
    let clamped = if i < 0 { (n_i + i).max(0) } else { i.min(n_i) };
    usize::try_from(clamped).unwrap_or(0) // ok: clamped to 0..=n
}

/// JavaScript's white space and line terminators (what `parseInt` and `Number` skip).
fn is_js_space(u: u16) -> bool {
    matches!(
        u,
        0x09..=0x0D
            | 0x20
            | 0xA0
            | 0x1680
            | 0x2000..=0x200A
            | 0x2028
            | 0x2029
            | 0x202F
            | 0x205F
            | 0x3000
            | 0xFEFF
    )
}

fn ascii_digit(u: u16, radix: u32) -> Option<u32> {
    char::from_u32(u32::from(u)).and_then(|c| c.to_digit(radix))
}

/// `parseInt(s)` (no radix) of a short text; `None` is NaN.
fn parse_int(s: &[u16]) -> Option<i64> {
    let mut rest = s;
    while let [first, tail @ ..] = rest
        && is_js_space(*first)
    {
        rest = tail;
    }
    let mut negative = false;
    if let [sign @ (0x2B | 0x2D), tail @ ..] = rest {
        negative = *sign == 0x2D;
        rest = tail;
    }
    let mut radix = 10;
    if let [0x30, 0x58 | 0x78, tail @ ..] = rest {
        radix = 16;
        rest = tail;
    }
    let mut value: i64 = 0;
    let mut any = false;
    for &u in rest {
        let Some(d) = ascii_digit(u, radix) else {
            break;
        };
        value = value
            .saturating_mul(i64::from(radix))
            .saturating_add(i64::from(d));
        any = true;
    }
    any.then_some(if negative { -value } else { value })
}

/// `Number(s)`: `None` is NaN.
fn js_number(s: &[u16]) -> Option<f64> {
    let start = s.iter().position(|&u| !is_js_space(u)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|&u| !is_js_space(u))
        .map_or(start, |i| i + 1);
    let trimmed = s.get(start..end).unwrap_or(&[]);
    if trimmed.is_empty() {
        return Some(0.0);
    }
    let text = String::from_utf16(trimmed).ok().filter(|t| t.is_ascii())?;
    let (sign, unsigned) = match text.as_bytes()[0] {
        b'+' => (1.0, &text[1..]),
        b'-' => (-1.0, &text[1..]),
        _ => (1.0, text.as_str()),
    };
    if unsigned == "Infinity" {
        return Some(sign * f64::INFINITY);
    }
    let prefixed = [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ];
    for (prefix, radix) in prefixed {
        if let Some(digits) = text.strip_prefix(prefix) {
            // No sign before a radix prefix, at least one digit, nothing else.
            let mut value = 0.0f64;
            for c in digits.chars() {
                value = value * f64::from(radix) + f64::from(c.to_digit(radix)?);
            }
            return (!digits.is_empty()).then_some(value);
        }
    }
    is_decimal_literal(unsigned)
        .then(|| unsigned.parse::<f64>().ok())
        .flatten()
        .map(|v| sign * v)
}

/// ECMAScript's `StrUnsignedDecimalLiteral` (without `Infinity`).
fn is_decimal_literal(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(0);
    let mut i = int;
    let mut frac = 0;
    if b.get(i) == Some(&b'.') {
        frac = digits(i + 1);
        i += 1 + frac;
    }
    if int == 0 && frac == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp = digits(i);
        if exp == 0 {
            return false;
        }
        i += exp;
    }
    i == b.len()
}

/// `String(x).length` for a JavaScript number.
fn js_string_len(x: f64) -> usize {
    if x.is_nan() {
        return 3;
    }
    let minus = usize::from(x < 0.0);
    let a = x.abs();
    if a.is_infinite() {
        return minus + 8;
    }
    if a == 0.0 {
        return 1;
    }
    if (1e-6..1e21).contains(&a) {
        // Both print the shortest digits that read back, positionally in this range.
        return minus + a.to_string().len();
    }
    // Exponential: JavaScript writes `e+21` where Rust writes `e21`.
    let rust = format!("{a:e}");
    minus + rust.len() + usize::from(!rust.contains("e-"))
}

/// Sub-fields of a template as the SDK collects them (a later one replaces an earlier one).
#[derive(Default)]
struct Subs<'a> {
    /// Whether any known sub-tag was found: without one the SDK passes the raw text on.
    any: bool,
    values: [Option<&'a [u16]>; 5],
}

/// Walks a template's value; `known` lists its sub-tags by slot. Never advancing is endless.
fn sub_fields<'a>(mut value: &'a [u16], known: &[u8]) -> Result<Subs<'a>, Stop> {
    let mut subs = Subs::default();
    while !value.is_empty() {
        let (tag, v, rest) = cut(value);
        if rest.len() == value.len() {
            return Err(Stop::NoCode(ENDLESS));
        }
        if let Some(slot) = tag
            .number()
            .and_then(|t| known.iter().position(|&k| k == t))
        {
            subs.values[slot] = Some(v);
            subs.any = true;
        }
        value = rest;
    }
    Ok(subs)
}

fn is(v: &[u16], ascii: &str) -> bool {
    v.len() == ascii.len() && v.iter().zip(ascii.bytes()).all(|(&u, b)| u == u16::from(b))
}

/// A text field's SDK check: `""` (or absent, when `required`) gives `empty`, longer than
/// `max` gives `too_long`.
fn text(v: &[u16], max: usize, empty: K, too_long: K, name: &str) -> Result<(), Stop> {
    if v.is_empty() {
        return fail(empty, format!("{name} is empty"));
    }
    if v.len() > max {
        return fail(
            too_long,
            format!("{name} is longer than {max} characters ({})", v.len()),
        );
    }
    Ok(())
}

fn run(s: &[u16], now_ms: Option<u64>) -> Result<(), Stop> {
    // 1. The walk.
    let mut tags: Vec<(u8, &[u16])> = Vec::new();
    let mut last: Option<Tag> = None;
    let mut rest = s;
    while !rest.is_empty() {
        let (raw, value, after) = cut(rest);
        if last == Some(raw) {
            break;
        }
        let tag = if raw == TAG_30 { TAG_29 } else { raw };
        if let Some(n) = tag.number().filter(|n| KNOWN.contains(n)) {
            tags.push((n, value));
        }
        if after.len() == rest.len() {
            // The same cut comes next: equal to `last`, so the walk stops, unless a 30 was
            // renamed 29, which never equals the next raw 30.
            if raw == TAG_30 {
                return Err(Stop::NoCode(ENDLESS));
            }
            break;
        }
        last = Some(tag);
        rest = after;
    }
    let has = |t: u8| tags.iter().any(|&(n, _)| n == t);

    // 2. Dynamic-QR presence rules.
    if tags.iter().any(|&(n, v)| n == 1 && is(v, "12")) {
        if !has(54) {
            return fail(
                K::DynamicWithoutAmount,
                "dynamic KHQR (point of initiation 12) has no amount (tag 54)",
            );
        }
        if !has(99) {
            return fail(
                K::ExpirationRequired,
                "dynamic KHQR (point of initiation 12) has no timestamps (tag 99)",
            );
        }
    }
    if has(54) && !has(99) {
        return fail(
            K::ExpirationRequired,
            "a KHQR with an amount (tag 54) needs timestamps (tag 99)",
        );
    }

    // 3. The first missing required tag.
    if let Some((_, kind, what)) = REQUIRED.iter().find(|(t, _, _)| !has(*t)) {
        return fail(*kind, format!("{what} is missing"));
    }

    // 4. Every tag in the order it appears.
    let mut poi: Option<&[u16]> = None;
    for &(tag, v) in &tags {
        match tag {
            0 => {
                if v.is_empty() {
                    return fail(
                        K::PayloadFormatRequired,
                        "payload format indicator is empty",
                    );
                }
                if v.len() > 2 {
                    return fail(
                        K::PayloadFormatInvalid,
                        "payload format indicator is longer than 2 characters",
                    );
                }
            }
            1 => {
                if v.len() > 2 {
                    return fail(
                        K::PointOfInitiationLengthInvalid,
                        "point of initiation is longer than 2 characters",
                    );
                }
                if !is(v, "11") && !is(v, "12") {
                    return fail(
                        K::PointOfInitiationInvalid,
                        "point of initiation is neither 11 (static) nor 12 (dynamic)",
                    );
                }
                poi = Some(v);
            }
            15 if v.len() > 99 => {
                return fail(
                    K::UpiAccountTooLong,
                    "UnionPay merchant account is longer than 99 characters",
                );
            }
            29 => account(v)?,
            52 => {
                text(
                    v,
                    4,
                    K::MccRequired,
                    K::MccTooLong,
                    "merchant category code",
                )?;
                if !v.iter().all(|&u| ascii_digit(u, 10).is_some()) {
                    return fail(K::MccInvalid, "merchant category code is not a number");
                }
            }
            53 => {
                text(v, 3, K::CurrencyRequired, K::CurrencyTooLong, "currency")?;
                if !is(v, "116") && !is(v, "840") {
                    return fail(
                        K::UnsupportedCurrency,
                        "currency is not supported (116 = KHR or 840 = USD)",
                    );
                }
            }
            54 if v.is_empty() || v.len() > 13 || v.contains(&u16::from(b'-')) => {
                return fail(
                    K::AmountInvalid,
                    "amount is empty, negative or longer than 13 characters",
                );
            }
            58 => text(
                v,
                3,
                K::CountryCodeRequired,
                K::CountryCodeInvalid,
                "country code",
            )?,
            59 => text(
                v,
                25,
                K::MerchantNameRequired,
                K::MerchantNameTooLong,
                "merchant name",
            )?,
            60 => text(
                v,
                15,
                K::MerchantCityRequired,
                K::MerchantCityTooLong,
                "merchant city",
            )?,
            62 => additional_data(v)?,
            64 => language(v)?,
            99 => timestamps(v, poi.is_some_and(|p| is(p, "12")), now_ms)?,
            63 => {
                if v.is_empty() {
                    return fail(K::CrcRequired, "CRC (tag 63) is empty");
                }
                if v.len() > 4 {
                    return fail(K::CrcLengthInvalid, "CRC is longer than 4 characters");
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Tag 29 (and 30, read as 29: the SDK checks a merchant template as an individual one).
fn account(v: &[u16]) -> Result<(), Stop> {
    let subs = sub_fields(v, &[0, 1, 2])?;
    let [id, info, bank, ..] = subs.values;
    let id = id.unwrap_or(&[]);
    text(
        id,
        32,
        K::AccountIdRequired,
        K::AccountIdTooLong,
        "Bakong account ID",
    )?;
    if !id.contains(&u16::from(b'@')) {
        return fail(K::AccountIdInvalid, "Bakong account ID has no @");
    }
    if let Some(info) = info
        && info.len() > 32
    {
        return fail(
            K::AccountInformationTooLong,
            "account information (or merchant ID) is longer than 32 characters",
        );
    }
    if let Some(bank) = bank {
        text(
            bank,
            32,
            K::AcquiringBankRequired,
            K::AcquiringBankTooLong,
            "acquiring bank",
        )?;
    }
    Ok(())
}

/// Tag 62: bill, mobile, store, terminal, purpose, in that order whatever the string's.
fn additional_data(v: &[u16]) -> Result<(), Stop> {
    let subs = sub_fields(v, &[1, 2, 3, 7, 8])?;
    let rules = [
        (K::BillNumberInvalid, "bill number"),
        (K::MobileNumberInvalid, "mobile number"),
        (K::StoreLabelInvalid, "store label"),
        (K::TerminalLabelInvalid, "terminal label"),
        (K::PurposeInvalid, "purpose of transaction"),
    ];
    for (value, (kind, name)) in subs.values.iter().zip(rules) {
        if let Some(value) = value {
            text(value, 25, kind, kind, name)?;
        }
    }
    Ok(())
}

/// Tag 64: a language needs an alternate name (39); an alternate name without a language
/// crashes the SDK; then each length.
fn language(v: &[u16]) -> Result<(), Stop> {
    let subs = sub_fields(v, &[0, 1, 2])?;
    let [language, name, city, ..] = subs.values;
    if language.is_some_and(|l| !l.is_empty()) && name.is_none_or(<[u16]>::is_empty) {
        return fail(
            K::AltMerchantNameRequired,
            "alternate-language merchant name is required with a language preference",
        );
    }
    if let Some(name) = name {
        let Some(language) = language else {
            return Err(Stop::NoCode(CRASH));
        };
        text(
            language,
            2,
            K::LanguagePreferenceInvalid,
            K::LanguagePreferenceInvalid,
            "language preference",
        )?;
        text(
            name,
            25,
            K::AltMerchantNameInvalid,
            K::AltMerchantNameInvalid,
            "alternate-language merchant name",
        )?;
    }
    if let Some(city) = city {
        text(
            city,
            15,
            K::AltMerchantCityInvalid,
            K::AltMerchantCityInvalid,
            "alternate-language merchant city",
        )?;
    }
    Ok(())
}

/// Tag 99, checked only when the point of initiation seen so far is 12. Timestamps are read
/// with `Number` (an absent one is `null`, which is 0; without any known sub-tag the SDK
/// reads `undefined`, which is NaN).
fn timestamps(v: &[u16], dynamic: bool, now_ms: Option<u64>) -> Result<(), Stop> {
    let subs = sub_fields(v, &[0, 1])?;
    if !dynamic {
        return Ok(());
    }
    let number = |slot: Option<&[u16]>| match slot {
        Some(units) => js_number(units),
        None => Some(0.0),
    };
    let [created, expires, ..] = subs.values;
    let (created, expires) = if subs.any {
        (number(created), number(expires))
    } else {
        (None, None)
    };
    let Some(expires) = expires.filter(|&e| e != 0.0) else {
        return fail(
            K::ExpirationRequired,
            "expiration timestamp (99-01) is missing, zero or not a number",
        );
    };
    if js_string_len(expires) != 13 {
        return fail(
            K::TimestampLengthInvalid,
            "expiration timestamp is not 13 digits (Unix epoch milliseconds)",
        );
    }
    // `new Date(x)` is invalid beyond ±8.64e15 ms.
    if expires.abs() > 8.64e15 {
        return fail(
            K::DynamicWithoutAmount,
            "expiration timestamp is not a date",
        );
    }
    if created.is_some_and(|c| expires < c) {
        return fail(
            K::ExpirationBeforeCreation,
            "expiration timestamp is earlier than the creation timestamp",
        );
    }
    if let Some(now) = now_ms
        && expires < now as f64
    {
        return fail(
            K::Expired,
            format!("this dynamic KHQR expired at {expires} (now {now})"),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn units(s: &str) -> Vec<u16> {
        s.encode_utf16().collect()
    }

    fn n(s: &str) -> Option<f64> {
        js_number(&units(s))
    }

    #[test]
    fn parse_int_is_javascripts() {
        let p = |s: &str| parse_int(&units(s));
        assert_eq!(p("05"), Some(5));
        assert_eq!(p(" 5"), Some(5));
        assert_eq!(p("+5"), Some(5));
        assert_eq!(p("-4"), Some(-4));
        assert_eq!(p("5a"), Some(5));
        assert_eq!(p("a5"), None);
        assert_eq!(p("0x"), None);
        assert_eq!(p("-"), None);
        assert_eq!(p(""), None);
        assert_eq!(p("\u{a0}7"), Some(7));
    }

    #[test]
    fn cut_is_cut_string() {
        let s = units("0102abcd");
        let (t, v, r) = cut(&s);
        assert_eq!((t.number(), v, r), (Some(1), &s[4..6], &s[6..]));
        // NaN length: empty value, nothing consumed.
        let s = units("01ab1234");
        let (_, v, r) = cut(&s);
        assert_eq!((v.len(), r.len()), (0, 8));
        // A length past the end takes the rest.
        let s = units("0199ab");
        let (_, v, r) = cut(&s);
        assert_eq!((v.len(), r.len()), (2, 0));
        // -9 counts from the end: slice(-5) of a 10-unit string.
        let s = units("01-9abcdef");
        let (_, v, r) = cut(&s);
        assert_eq!((v.len(), r.len()), (1, 5));
    }

    #[test]
    fn number_is_javascripts() {
        assert_eq!(n(""), Some(0.0));
        assert_eq!(n("  "), Some(0.0));
        assert_eq!(n(" 12 "), Some(12.0));
        assert_eq!(n("1.5e3"), Some(1500.0));
        assert_eq!(n("5."), Some(5.0));
        assert_eq!(n(".5"), Some(0.5));
        assert_eq!(n("0x1A"), Some(26.0));
        assert_eq!(n("-0x1A"), None);
        assert_eq!(n("0b"), None);
        assert_eq!(n("-Infinity"), Some(f64::NEG_INFINITY));
        assert_eq!(n("inf"), None);
        assert_eq!(n("NaN"), None);
        assert_eq!(n("1e"), None);
        assert_eq!(n("."), None);
        assert_eq!(n("1_000"), None);
    }

    #[test]
    fn number_text_lengths_are_javascripts() {
        assert_eq!(js_string_len(1_767_225_600_000.0), 13);
        assert_eq!(js_string_len(-176_722_560_000.0), 13);
        assert_eq!(js_string_len(1_234_567_890.12), 13);
        assert_eq!(js_string_len(1e21), 5); // "1e+21"
        assert_eq!(js_string_len(1.234_567_8e21), 13); // "1.2345678e+21"
        assert_eq!(js_string_len(1e-7), 4); // "1e-7"
        assert_eq!(js_string_len(0.000_001), 8); // "0.000001"
        assert_eq!(js_string_len(f64::NAN), 3);
    }

    #[test]
    fn verdicts() {
        let ok = "00020101021129190015john_smith@devb5204599953031165802KH5910John Smith6010Phnom Penh63046BFA";
        assert_eq!(verdict(ok, None), Verdict::Accepts);
        let code = |s: &str| match verdict(s, None) {
            Verdict::Rejects(e) => Some(e.code()),
            _ => None,
        };
        // What the SDK answers (oracle): a length that is not a number stops the walk, so
        // the tags after it are missing, not malformed (5 and 24, not 8); two equal tags in a
        // row stop it too (2: the name after the second 58 is never seen).
        assert_eq!(
            code(
                "00x20101021129190015john_smith@devb5204599953031165802KH5910John Smith6010Phnom Penh630413A0"
            ),
            Some(5)
        );
        assert_eq!(
            code(
                "00020101021129190015john_smith@devb5204599953031165802KH5910John Smith60xxPhnom Penh6304533F"
            ),
            Some(24)
        );
        assert_eq!(
            code(
                "00020101021129190015john_smith@devb5204599953031165802KH5802KH5910John Smith6010Phnom Penh6304A166"
            ),
            Some(2)
        );
        // A top-level 30 whose length does not advance: the SDK never returns.
        assert!(matches!(
            verdict("30ab0102xx", None),
            Verdict::RejectsWithoutCode(_)
        ));
    }
}
