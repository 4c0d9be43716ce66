//! Domain types of the Bakong Open API answers.

use std::fmt;

/// A non-negative decimal amount kept exactly as Bakong wrote it (`"1.50"`, `"1.0"`,
/// `"4000"`). Never a float: compare it with integer minor units via [`Self::to_minor`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct DecimalAmount(String);

/// A string that is not a plain non-negative decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a plain non-negative decimal amount: {0:?}")]
pub struct InvalidAmount(pub String);

impl DecimalAmount {
    /// Accepts `digits[.digits]` (surrounding whitespace trimmed); no sign, exponent,
    /// separators or empty parts.
    pub fn parse(text: &str) -> Result<Self, InvalidAmount> {
        let t = text.trim();
        let (int, frac) = match t.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (t, None),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(int) || frac.is_some_and(|f| !digits(f)) {
            return Err(InvalidAmount(text.to_owned()));
        }
        Ok(Self(t.to_owned()))
    }

    /// Builds the decimal text of `minor` units with `decimals` fraction digits
    /// (`from_minor(150, 2)` is `"1.50"`).
    pub fn from_minor(minor: u64, decimals: u32) -> Self {
        if decimals == 0 {
            return Self(minor.to_string());
        }
        let s = format!("{minor:0>width$}", width = decimals as usize + 1);
        let (int, frac) = s.split_at(s.len() - decimals as usize);
        Self(format!("{int}.{frac}"))
    }

    /// The exact text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The amount in minor units with `decimals` fraction digits (USD 2, KHR 0).
    /// `None` if it has non-zero digits beyond `decimals` (it cannot equal any amount in
    /// that currency) or does not fit in `u64`.
    pub fn to_minor(&self, decimals: u32) -> Option<u64> {
        let (int, frac) = match self.0.split_once('.') {
            Some((i, f)) => (i, f),
            None => (self.0.as_str(), ""),
        };
        let d = decimals as usize;
        let (kept, rest) = if frac.len() > d {
            frac.split_at(d)
        } else {
            (frac, "")
        };
        if rest.bytes().any(|b| b != b'0') {
            return None;
        }
        let mut minor: u64 = 0;
        for b in int.bytes().chain(kept.bytes()) {
            minor = minor.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
        }
        for _ in kept.len()..d {
            minor = minor.checked_mul(10)?;
        }
        Some(minor)
    }
}

impl fmt::Display for DecimalAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DecimalAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DecimalAmount({})", self.0)
    }
}

impl std::str::FromStr for DecimalAmount {
    type Err = InvalidAmount;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// The two currencies KHQR and Bakong know: the codec's own type.
pub use crate::khqr::Currency;

/// A completed Bakong transaction as reported by the Open API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// 64-hex transaction hash.
    pub hash: String,
    pub from_account_id: Option<String>,
    /// Receiving Bakong account (`name@bank`); compare it with the charge's account.
    pub to_account_id: String,
    /// Currency exactly as reported (normally `USD` or `KHR`); see [`Transaction::currency`].
    pub currency_code: String,
    /// Amount exactly as reported.
    pub amount: DecimalAmount,
    pub description: Option<String>,
    pub created_date_ms: Option<u64>,
    pub acknowledged_date_ms: Option<u64>,
    /// Present on hash lookups (`COMPLETED`, ...).
    pub tracking_status: Option<String>,
    pub receiver_bank: Option<String>,
    pub receiver_bank_account: Option<String>,
}

impl Transaction {
    /// The reported currency, if it is one KHQR knows.
    pub fn currency(&self) -> Option<Currency> {
        self.currency_code.trim().parse().ok()
    }

    /// The amount in minor units with `decimals` fraction digits; see
    /// [`DecimalAmount::to_minor`].
    pub fn amount_minor(&self, decimals: u32) -> Option<u64> {
        self.amount.to_minor(decimals)
    }
}

/// What Bakong knows about one QR (by md5) or one transaction (by hash).
// Lookups are short-lived values; boxing the transaction would only make matching clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Paid: the transaction. The caller must still check amount, currency and receiver.
    Paid(Transaction),
    /// Not (yet) paid: errorCode 1 / `NOT_FOUND`. Keep polling until the QR expires.
    NotFound,
    /// The payment failed: errorCode 3 / `FAILED`. Terminal.
    Failed,
    /// A static QR (no amount): the md5 check does not apply. errorCode 2 / `STATIC_QR`.
    StaticQr,
    /// Only from list lookups: Bakong could not answer for this item right now
    /// (`SERVICE_FAILED`, an unknown status, or a `SUCCESS` item without a transaction).
    /// Transient: ask again later.
    Unavailable,
}

/// Identifies the calling app for `generate_deeplink_by_qr`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SourceInfo {
    pub app_icon_url: String,
    pub app_name: String,
    pub app_deep_link_callback: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_strictly() {
        for ok in ["0", "1", "1.5", "1.50", "0001.0", " 12.34 "] {
            assert!(DecimalAmount::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", ".", "1.", ".5", "-1", "+1", "1e3", "1,000", "1.2.3", "NaN", "١",
        ] {
            assert!(DecimalAmount::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn minor_units_are_exact() {
        let m = |s: &str, d| DecimalAmount::parse(s).unwrap().to_minor(d);
        assert_eq!(m("1.50", 2), Some(150));
        assert_eq!(m("1.5", 2), Some(150));
        assert_eq!(m("1.0", 2), Some(100));
        assert_eq!(m("1.0", 0), Some(1));
        assert_eq!(m("4000", 0), Some(4000));
        assert_eq!(m("1453.31", 2), Some(145_331));
        assert_eq!(m("1.501", 2), None);
        assert_eq!(m("1.5", 0), None);
        assert_eq!(m("0.30000000000000004", 2), None);
        assert_eq!(m("1.5000", 2), Some(150));
        assert_eq!(m("18446744073709551615", 0), Some(u64::MAX));
        assert_eq!(m("18446744073709551616", 0), None);
        assert_eq!(m("184467440737095516.16", 2), None);
    }

    #[test]
    fn from_minor_round_trips() {
        assert_eq!(DecimalAmount::from_minor(150, 2).as_str(), "1.50");
        assert_eq!(DecimalAmount::from_minor(5, 2).as_str(), "0.05");
        assert_eq!(DecimalAmount::from_minor(4000, 0).as_str(), "4000");
        for (minor, d) in [(0, 2), (1, 2), (99, 2), (12345, 2), (7, 0), (u64::MAX, 2)] {
            assert_eq!(DecimalAmount::from_minor(minor, d).to_minor(d), Some(minor));
        }
    }

    #[test]
    fn currency_codes() {
        assert_eq!("usd".parse().ok(), Some(Currency::Usd));
        assert_eq!("116".parse().ok(), Some(Currency::Khr));
        assert_eq!("EUR".parse::<Currency>().ok(), None);
        assert_eq!(Currency::Khr.alpha(), "KHR");
    }
}
