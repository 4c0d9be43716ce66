//! Reading a KHQR string back into a [`Khqr`], with the SDK verifier's checks (SPEC §8).
//!
//! Two passes. `sdk_rules` first replays NBC's SDK verifier and, when the SDK rejects the
//! string, that is the answer: its first failing rule and its code. Only a string the SDK
//! accepts is read here, strictly, and only here do this codec's own, stricter rules (listed
//! at [`decode`]) reject anything; so they never hide the SDK's code for the same string.

use super::account;
use super::amount::{Amount, MAX_AMOUNT_CHARS};
use super::checksum::crc16;
use super::currency::Currency;
use super::error::{KhqrError, KhqrErrorKind as K};
use super::fields::{
    ACCOUNT_INFORMATION, ACQUIRING_BANK, COUNTRY_CODE, DYNAMIC_QR, MERCHANT_CITY, MERCHANT_ID,
    MERCHANT_NAME, PAYLOAD_FORMAT, STATIC_QR, UPI_ACCOUNT, check_expiry_order, expiration_required,
    parse_mcc, parse_timestamp, upi_with_usd,
};
use super::input::{additional_data, language_template};
use super::model::{AccountKind, Dynamic, Khqr, Parts, Timing};
use super::sdk_rules::{Verdict, verdict};
use super::tlv::{TlvReader, utf16_len};

/// Shortest string the SDK's verifier accepts.
const MIN_KHQR_LEN: usize = 12;

/// Parses and checks a KHQR string: trailing CRC, TLV structure and lengths (UTF-16 units),
/// required tags, every field's limits, and the dynamic-QR rules (amount and timestamps present,
/// 13-digit expiration not before creation) — everything except expiry against a clock; use
/// [`verify`] for that.
///
/// A string NBC's SDK verifier rejects gets the SDK's error: the first rule it fails, with
/// its code (a string it rejects without a code, because it crashes or never returns, gets
/// ours). Unknown tags and sub-tags are skipped (as the SDK does). Stricter than the SDK,
/// checked after all of its rules: a repeated tag, anything after the CRC, a template with
/// a malformed length, a length that cuts a character in two, a non-`KH` country, a payload
/// format other than `01`, an amount that is not a plain decimal in the currency's precision
/// or is zero, an MCC that is not 4 digits, a timestamp that is not 13 plain digits, a static
/// KHQR (`01 = 11`) with an amount, and a merchant template without merchant ID or acquiring
/// bank are rejected.
///
/// A static KHQR's tag 99 is optional: its timestamps are returned as they are (the SDK's
/// decoder does), never checked against a clock.
///
/// Note: two strings can decode to the same [`Khqr`] (e.g. amount `5.5` and `5.50`); the md5
/// Bakong knows is always the md5 of the original string.
pub fn decode(s: &str) -> Result<Khqr, KhqrError> {
    read(s, None)
}

/// [`decode`] with the verifier's clock: a dynamic KHQR whose expiration lies before `now_ms`
/// is rejected (error 46) at the point where the SDK checks it.
pub fn verify(s: &str, now_ms: u64) -> Result<Khqr, KhqrError> {
    let khqr = read(s, Some(now_ms))?;
    // The SDK's rules have checked expiry already; this keeps it true whatever they say.
    if let Some(expires) = khqr.expires_at_ms().filter(|_| khqr.is_expired(now_ms)) {
        return Err(KhqrError::new(
            K::Expired,
            format!("this dynamic KHQR expired at {expires} (now {now_ms})"),
        ));
    }
    Ok(khqr)
}

fn read(s: &str, now_ms: Option<u64>) -> Result<Khqr, KhqrError> {
    let body = check_crc(s)?;
    match verdict(s, now_ms) {
        Verdict::Accepts => Fields::read(body)?.into_khqr(),
        Verdict::Rejects(e) => Err(e),
        // The SDK rejects it with no code: ours says why when it can, never "valid".
        Verdict::RejectsWithoutCode(why) => Err(Fields::read(body)
            .and_then(Fields::into_khqr)
            .err()
            .unwrap_or_else(|| KhqrError::invalid(why))),
    }
}

/// Checks the trailing `6304XXXX` and the CRC; returns the part before tag 63.
fn check_crc(s: &str) -> Result<&str, KhqrError> {
    let b = s.as_bytes();
    let n = b.len();
    let tail_ok =
        n >= 8 && &b[n - 8..n - 4] == b"6304" && b[n - 4..].iter().all(u8::is_ascii_hexdigit);
    if !tail_ok {
        return Err(KhqrError::invalid(
            "does not end with the CRC field (6304 and 4 hex digits)",
        ));
    }
    let given = b[n - 4..].iter().fold(0u16, |acc, &c| {
        let digit = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => c - b'A' + 10,
        };
        (acc << 4) | u16::from(digit)
    });
    let computed = crc16(&b[..n - 4]);
    if given != computed {
        return Err(KhqrError::invalid(format!(
            "CRC mismatch: the string says {given:04X}, its content gives {computed:04X}"
        )));
    }
    if utf16_len(s) < MIN_KHQR_LEN {
        return Err(KhqrError::invalid(format!(
            "shorter than {MIN_KHQR_LEN} characters"
        )));
    }
    // The last 8 bytes are ASCII, so n - 8 is a character boundary.
    s.get(..n - 8)
        .ok_or_else(|| KhqrError::invalid("does not end with the CRC field"))
}

/// Raw values of the known top-level tags.
#[derive(Default)]
struct Fields<'a> {
    payload_format: Option<&'a str>,
    point_of_initiation: Option<&'a str>,
    upi: Option<&'a str>,
    /// (is merchant template, value)
    account: Option<(bool, &'a str)>,
    mcc: Option<&'a str>,
    currency: Option<&'a str>,
    amount: Option<&'a str>,
    country: Option<&'a str>,
    name: Option<&'a str>,
    city: Option<&'a str>,
    additional: Option<&'a str>,
    language: Option<&'a str>,
    timestamps: Option<&'a str>,
}

fn duplicate(tag: u8, within: Option<u8>) -> KhqrError {
    match within {
        Some(t) => KhqrError::invalid(format!("sub-tag {tag:02} appears twice inside tag {t:02}")),
        None => KhqrError::invalid(format!("tag {tag:02} appears twice")),
    }
}

/// Values of the sub-tags `known` inside template `tag`; unknown sub-tags are skipped.
fn sub_fields<const N: usize>(
    value: &str,
    tag: u8,
    known: [u8; N],
) -> Result<[Option<&str>; N], KhqrError> {
    let mut out = [None; N];
    for item in TlvReader::new(value, Some(tag)) {
        let (sub, v) = item?;
        if let Some(i) = known.iter().position(|&k| k == sub)
            && out[i].replace(v).is_some()
        {
            return Err(duplicate(sub, Some(tag)));
        }
    }
    Ok(out)
}

fn required<'a>(v: Option<&'a str>, kind: K, what: &str) -> Result<&'a str, KhqrError> {
    v.ok_or_else(|| KhqrError::new(kind, format!("{what} is missing")))
}

impl<'a> Fields<'a> {
    fn read(body: &'a str) -> Result<Self, KhqrError> {
        let mut f = Fields::default();
        // EMV: a tag appears at most once (the SDK's walker stops at a repeated one).
        let mut seen = [false; 100];
        for item in TlvReader::new(body, None) {
            let (tag, v) = item?;
            if std::mem::replace(&mut seen[usize::from(tag)], true) {
                return Err(duplicate(tag, None));
            }
            let slot = match tag {
                0 => &mut f.payload_format,
                1 => &mut f.point_of_initiation,
                15 => &mut f.upi,
                29 | 30 => {
                    if f.account.replace((tag == 30, v)).is_some() {
                        return Err(KhqrError::invalid(
                            "both an individual (29) and a merchant (30) account template",
                        ));
                    }
                    continue;
                }
                52 => &mut f.mcc,
                53 => &mut f.currency,
                54 => &mut f.amount,
                58 => &mut f.country,
                59 => &mut f.name,
                60 => &mut f.city,
                62 => &mut f.additional,
                64 => &mut f.language,
                99 => &mut f.timestamps,
                63 => return Err(KhqrError::invalid("the CRC (tag 63) must come last")),
                _ => continue,
            };
            *slot = Some(v);
        }
        Ok(f)
    }

    fn into_khqr(self) -> Result<Khqr, KhqrError> {
        // Dynamic-QR presence rules, checked by the SDK before anything else.
        if self.point_of_initiation == Some(DYNAMIC_QR) && self.amount.is_none() {
            return Err(KhqrError::new(
                K::DynamicWithoutAmount,
                "dynamic KHQR (point of initiation 12) has no amount (tag 54)",
            ));
        }
        if (self.point_of_initiation == Some(DYNAMIC_QR) || self.amount.is_some())
            && self.timestamps.is_none()
        {
            return Err(expiration_required());
        }

        // Required tags, in the SDK's order.
        let payload_format = required(
            self.payload_format,
            K::PayloadFormatRequired,
            "payload format indicator (tag 00)",
        )?;
        let (is_merchant, account) = self.account.ok_or_else(|| {
            KhqrError::new(
                K::MerchantTypeRequired,
                "account template (tag 29 or 30) is missing",
            )
        })?;
        let mcc = required(self.mcc, K::MccRequired, "merchant category code (tag 52)")?;
        let currency = required(self.currency, K::CurrencyRequired, "currency (tag 53)")?;
        let country = required(
            self.country,
            K::CountryCodeRequired,
            "country code (tag 58)",
        )?;
        let name = required(self.name, K::MerchantNameRequired, "merchant name (tag 59)")?;
        let city = required(self.city, K::MerchantCityRequired, "merchant city (tag 60)")?;

        // Every field, in tag order.
        if payload_format != PAYLOAD_FORMAT {
            return Err(KhqrError::new(
                K::PayloadFormatInvalid,
                format!("payload format indicator {payload_format:?} is not \"01\""),
            ));
        }
        if let Some(poi) = self.point_of_initiation {
            if utf16_len(poi) > 2 {
                return Err(KhqrError::new(
                    K::PointOfInitiationLengthInvalid,
                    format!("point of initiation {poi:?} is longer than 2 characters"),
                ));
            }
            if poi != STATIC_QR && poi != DYNAMIC_QR {
                return Err(poi_invalid(format!(
                    "point of initiation {poi:?} is neither 11 (static) nor 12 (dynamic)"
                )));
            }
        }
        let upi_merchant_account = match self.upi {
            Some(v) if !v.is_empty() => {
                UPI_ACCOUNT.check(v)?;
                Some(v)
            }
            _ => None,
        };
        let (account_id, account) = read_account(is_merchant, account)?;
        let mcc = parse_mcc(mcc)?;
        let currency = Currency::from_numeric(currency)?;
        if upi_merchant_account.is_some() && currency == Currency::Usd {
            return Err(upi_with_usd());
        }
        let amount = self.amount.map(|v| read_amount(v, currency)).transpose()?;
        if country.is_empty() {
            return Err(KhqrError::new(
                K::CountryCodeRequired,
                "country code is empty",
            ));
        }
        if country != COUNTRY_CODE {
            return Err(KhqrError::new(
                K::CountryCodeInvalid,
                format!("country code {country:?} is not \"KH\""),
            ));
        }
        MERCHANT_NAME.check(name)?;
        MERCHANT_CITY.check(city)?;
        let additional = match self.additional {
            Some(v) => additional_data(sub_fields(v, 62, [1, 2, 3, 7, 8])?)?,
            None => [None; 5],
        };
        let (alt_name, alt_merchant_city) = match self.language {
            Some(v) => {
                let [language, alt_name, alt_city] = sub_fields(v, 64, [0, 1, 2])?;
                language_template(language, alt_name, alt_city)?
            }
            None => (None, None),
        };
        let timestamps = match self.timestamps {
            Some(v) => Some(sub_fields(v, 99, [0, 1])?),
            None => None,
        };

        // Point of initiation, amount and timestamps must agree.
        let timing = match (amount, timestamps) {
            (Some(amount), Some([created, expires])) => {
                if self.point_of_initiation == Some(STATIC_QR) {
                    return Err(poi_invalid(
                        "point of initiation 11 (static) but the KHQR carries an amount".into(),
                    ));
                }
                // Like the SDK's Number(): missing, empty or zero is "no expiration".
                let expires = expires
                    .filter(|e| !e.is_empty() && e.bytes().any(|b| b != b'0'))
                    .ok_or_else(expiration_required)?;
                let expires_at_ms = parse_timestamp(expires, "expiration timestamp")?;
                let created = created.unwrap_or("");
                let created_at_ms = parse_timestamp(created, "creation timestamp")?;
                check_expiry_order(created_at_ms, expires_at_ms)?;
                Timing::Dynamic(Dynamic {
                    amount,
                    created_at_ms,
                    expires_at_ms,
                })
            }
            // Unreachable after the presence rules above, but never trust that silently.
            (Some(_), None) => return Err(expiration_required()),
            (None, Some([created, expires])) => {
                // The SDK checks nothing here; we keep what can be kept exactly.
                let stamp = |v: Option<&str>, name| {
                    v.filter(|v| !v.is_empty())
                        .map(|v| parse_timestamp(v, name))
                        .transpose()
                };
                Timing::Static {
                    created_at_ms: stamp(created, "creation timestamp")?,
                    expires_at_ms: stamp(expires, "expiration timestamp")?,
                }
            }
            (None, None) => Timing::STATIC,
        };

        Ok(Khqr::assemble(Parts {
            account_id,
            account,
            upi_merchant_account,
            mcc,
            currency,
            timing,
            merchant_name: name,
            merchant_city: city,
            additional,
            alt_name,
            alt_merchant_city,
        }))
    }
}

fn poi_invalid(detail: String) -> KhqrError {
    KhqrError::new(K::PointOfInitiationInvalid, detail)
}

/// Tag 29/30: account ID, then account information or merchant ID, then acquiring bank.
fn read_account(is_merchant: bool, value: &str) -> Result<(&str, AccountKind<&str>), KhqrError> {
    let tag = if is_merchant { 30 } else { 29 };
    let [id, first, bank] = sub_fields(value, tag, [0, 1, 2])?;
    let id = id.unwrap_or("");
    account::check(id)?;
    let kind = if is_merchant {
        let merchant_id = first.unwrap_or("");
        MERCHANT_ID.check(merchant_id)?;
        let bank = bank.unwrap_or("");
        ACQUIRING_BANK.check(bank)?;
        AccountKind::Merchant {
            merchant_id,
            acquiring_bank: bank,
        }
    } else {
        // The SDK itself writes an empty 29-01 for an empty account information: accept it.
        let account_information = match first {
            Some(v) if !v.is_empty() => {
                ACCOUNT_INFORMATION.check(v)?;
                Some(v)
            }
            _ => None,
        };
        if let Some(b) = bank {
            ACQUIRING_BANK.check(b)?;
        }
        AccountKind::Individual {
            account_information,
            acquiring_bank: bank,
        }
    };
    Ok((id, kind))
}

/// Tag 54: at most 13 characters, a plain decimal in the currency's precision, not zero.
fn read_amount(value: &str, currency: Currency) -> Result<Amount, KhqrError> {
    if utf16_len(value) > MAX_AMOUNT_CHARS {
        return Err(KhqrError::new(
            K::AmountInvalid,
            format!("amount {value:?} is longer than {MAX_AMOUNT_CHARS} characters"),
        ));
    }
    let amount = Amount::parse_decimal(value, currency)?;
    if amount.is_zero() {
        return Err(KhqrError::new(
            K::AmountInvalid,
            "amount is zero; a KHQR with an amount must ask for more than nothing",
        ));
    }
    Ok(amount)
}
