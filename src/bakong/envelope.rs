//! Lenient decoding of the Bakong response envelope and the objects inside it.
//!
//! Public client libraries disagree about types (amount as number or string, timestamps as
//! integers or floats, list items under `data` or `transaction`), so everything here
//! accepts the variants seen in the wild and ignores unknown fields.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use super::types::{DecimalAmount, Lookup, Transaction};

/// `{"responseCode":0|1,"responseMessage":str,"errorCode":int|null,"data":...}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Envelope {
    pub response_code: LenientInt,
    #[serde(default)]
    pub response_message: Option<String>,
    #[serde(default)]
    pub error_code: Option<LenientInt>,
    #[serde(default)]
    pub data: Option<serde_json::Value>,
}

impl Envelope {
    pub fn is_success(&self) -> bool {
        self.response_code.0 == 0
    }

    pub fn error_code(&self) -> Option<i64> {
        self.error_code.map(|c| c.0)
    }

    pub fn message(&self) -> String {
        self.response_message.clone().unwrap_or_default()
    }
}

/// The errorCode values of the Open API document.
pub(crate) mod code {
    pub const NOT_FOUND: i64 = 1;
    pub const STATIC_QR: i64 = 2;
    pub const FAILED: i64 = 3;
    pub const UNAUTHORIZED: i64 = 6;
    pub const NOT_REGISTERED: i64 = 10;
    pub const ACCOUNT_NOT_FOUND: i64 = 11;
    pub const ACCOUNT_INVALID: i64 = 12;
}

/// An integer sent as a number (possibly `0.0`) or a numeric string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LenientInt(pub i64);

impl<'de> Deserialize<'de> for LenientInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientInt;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientInt, E> {
                Ok(LenientInt(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientInt, E> {
                i64::try_from(v).map(LenientInt).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientInt, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(LenientInt(v as i64))
                } else {
                    Err(E::custom(format!("not an integer: {v}")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientInt, E> {
                v.trim().parse().map(LenientInt).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// Milliseconds since the epoch as an integer, a float or a numeric string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Millis(pub u64);

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Millis;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative timestamp in milliseconds")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Millis, E> {
                Ok(Millis(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Millis, E> {
                u64::try_from(v).map(Millis).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Millis, E> {
                if v.is_finite() && v >= 0.0 && v < u64::MAX as f64 {
                    Ok(Millis(v as u64))
                } else {
                    Err(E::custom(format!("bad timestamp: {v}")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Millis, E> {
                let t = v.trim();
                match t.parse::<u64>() {
                    Ok(n) => Ok(Millis(n)),
                    Err(_) => t
                        .parse::<f64>()
                        .map_err(E::custom)
                        .and_then(|f| self.visit_f64(f)),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// An amount sent as a JSON number or a string; kept as exact decimal text.
///
/// A float is written back with Rust's shortest round-trip formatting (never an exponent),
/// so `1.5` becomes `"1.5"` and `0.1 + 0.2` stays visibly inexact and fails
/// [`DecimalAmount::to_minor`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LenientAmount(pub DecimalAmount);

impl<'de> Deserialize<'de> for LenientAmount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = LenientAmount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a non-negative amount as a number or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<LenientAmount, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<LenientAmount, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<LenientAmount, E> {
                if !v.is_finite() {
                    return Err(E::custom("amount is not finite"));
                }
                self.visit_str(&format!("{v}"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<LenientAmount, E> {
                DecimalAmount::parse(v)
                    .map(LenientAmount)
                    .map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// The transaction object as sent (camelCase, lenient types).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawTransaction {
    pub hash: String,
    #[serde(default)]
    pub from_account_id: Option<String>,
    pub to_account_id: String,
    pub currency: String,
    pub amount: LenientAmount,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub created_date_ms: Option<Millis>,
    #[serde(default)]
    pub acknowledged_date_ms: Option<Millis>,
    #[serde(default)]
    pub tracking_status: Option<String>,
    #[serde(default)]
    pub receiver_bank: Option<String>,
    #[serde(default)]
    pub receiver_bank_account: Option<String>,
}

impl From<RawTransaction> for Transaction {
    fn from(r: RawTransaction) -> Self {
        Transaction {
            hash: r.hash,
            from_account_id: r.from_account_id,
            to_account_id: r.to_account_id,
            currency_code: r.currency,
            amount: r.amount.0,
            description: r.description,
            created_date_ms: r.created_date_ms.map(|m| m.0),
            acknowledged_date_ms: r.acknowledged_date_ms.map(|m| m.0),
            tracking_status: r.tracking_status,
            receiver_bank: r.receiver_bank,
            receiver_bank_account: r.receiver_bank_account,
        }
    }
}

/// One item of a `*_list` answer: `{md5|hash, status, message, data|transaction}`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct BatchItem {
    #[serde(default)]
    pub md5: Option<String>,
    #[serde(default)]
    pub hash: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub data: Option<RawTransaction>,
    #[serde(default)]
    pub transaction: Option<RawTransaction>,
}

impl BatchItem {
    /// The key this item answers for (md5 for md5 lists).
    pub fn key(&self) -> Option<&str> {
        self.md5.as_deref().or(self.hash.as_deref())
    }

    pub fn into_lookup(self) -> Lookup {
        let status = self
            .status
            .as_deref()
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase();
        match status.as_str() {
            "SUCCESS" => match self.data.or(self.transaction) {
                Some(tx) => Lookup::Paid(tx.into()),
                None => {
                    tracing::warn!("Bakong list item is SUCCESS without a transaction");
                    Lookup::Unavailable
                }
            },
            "NOT_FOUND" => Lookup::NotFound,
            "FAILED" => Lookup::Failed,
            "STATIC_QR" => Lookup::StaticQr,
            "SERVICE_FAILED" => Lookup::Unavailable,
            other => {
                tracing::warn!(status = other, "unknown Bakong list item status");
                Lookup::Unavailable
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_with_a_float_amount_and_float_timestamps() {
        let body = r#"{"responseCode":0,"responseMessage":"Getting transaction successfully.",
            "errorCode":null,"extra":{"x":1},
            "data":{"hash":"8465d722","fromAccountId":"a@devb","toAccountId":"b@devb",
              "currency":"USD","amount":1.0,"description":"t",
              "createdDateMs":1.700000000123E12,"acknowledgedDateMs":1700000001000,"new":true}}"#;
        let env: Envelope = serde_json::from_str(body).unwrap();
        assert!(env.is_success());
        let tx: RawTransaction = serde_json::from_value(env.data.unwrap()).unwrap();
        let tx = Transaction::from(tx);
        assert_eq!(tx.amount.as_str(), "1");
        assert_eq!(tx.amount_minor(2), Some(100));
        assert_eq!(tx.created_date_ms, Some(1_700_000_000_123));
        assert_eq!(tx.acknowledged_date_ms, Some(1_700_000_001_000));
    }

    #[test]
    fn amount_as_string_and_missing_optional_fields() {
        let tx: RawTransaction = serde_json::from_str(
            r#"{"hash":"h","toAccountId":"b@x","currency":"KHR","amount":"4000.00",
                "createdDateMs":"1700000000000","acknowledgedDateMs":null}"#,
        )
        .unwrap();
        let tx = Transaction::from(tx);
        assert_eq!(tx.amount.as_str(), "4000.00");
        assert_eq!(tx.amount_minor(0), Some(4000));
        assert_eq!(tx.from_account_id, None);
        assert_eq!(tx.created_date_ms, Some(1_700_000_000_000));
        assert_eq!(tx.acknowledged_date_ms, None);
    }

    #[test]
    fn inexact_float_amount_never_matches() {
        let tx: RawTransaction = serde_json::from_str(
            r#"{"hash":"h","toAccountId":"b@x","currency":"USD","amount":0.30000000000000004}"#,
        )
        .unwrap();
        assert_eq!(Transaction::from(tx).amount_minor(2), None);
    }

    #[test]
    fn negative_amount_is_rejected() {
        let r = serde_json::from_str::<RawTransaction>(
            r#"{"hash":"h","toAccountId":"b@x","currency":"USD","amount":-1}"#,
        );
        assert!(r.is_err());
    }

    #[test]
    fn error_envelope_with_string_codes() {
        let env: Envelope = serde_json::from_str(
            r#"{"responseCode":"1","errorCode":"3","responseMessage":"Transaction failed."}"#,
        )
        .unwrap();
        assert!(!env.is_success());
        assert_eq!(env.error_code(), Some(3));
        assert_eq!(env.data, None);
    }

    #[test]
    fn list_items_under_data_or_transaction() {
        let tx = r#"{"hash":"h","toAccountId":"b@x","currency":"USD","amount":2.5}"#;
        let a: BatchItem =
            serde_json::from_str(&format!(r#"{{"md5":"m1","status":"SUCCESS","data":{tx}}}"#))
                .unwrap();
        let b: BatchItem = serde_json::from_str(&format!(
            r#"{{"md5":"m2","status":"SUCCESS","message":"ok","transaction":{tx}}}"#
        ))
        .unwrap();
        for item in [a, b] {
            match item.into_lookup() {
                Lookup::Paid(t) => assert_eq!(t.amount_minor(2), Some(250)),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn list_statuses() {
        let l = |s: &str| {
            serde_json::from_str::<BatchItem>(&format!(r#"{{"md5":"m","status":{s},"data":null}}"#))
                .unwrap()
                .into_lookup()
        };
        assert_eq!(l(r#""NOT_FOUND""#), Lookup::NotFound);
        assert_eq!(l(r#""FAILED""#), Lookup::Failed);
        assert_eq!(l(r#""STATIC_QR""#), Lookup::StaticQr);
        assert_eq!(l(r#""SERVICE_FAILED""#), Lookup::Unavailable);
        assert_eq!(l(r#""SUCCESS""#), Lookup::Unavailable);
        assert_eq!(l(r#""WHATEVER""#), Lookup::Unavailable);
        assert_eq!(l("null"), Lookup::Unavailable);
    }
}
