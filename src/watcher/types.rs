//! The watcher's vocabulary: identifiers, time, and what a Bakong lookup can say.
//!
//! `Currency`, `Token`, `Transaction` and `Lookup` mirror the shapes the `khqr` and `bakong`
//! modules expose (see CONTRACTS.md) so the settlement rules can be written and tested
//! before those branches land. Switching to the real types is mechanical: the field and
//! variant names are the same.

use std::fmt;

/// Unix time in whole seconds (what the store keeps in `INTEGER` columns).
pub type UnixSecs = i64;

/// Primary key of a charge row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChargeId(pub i64);

/// Primary key of a merchant row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MerchantId(pub i64);

impl fmt::Display for ChargeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "charge#{}", self.0)
    }
}

impl fmt::Display for MerchantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "merchant#{}", self.0)
    }
}

/// KHQR currencies (mirror of `khqr::Currency`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Currency {
    Khr,
    Usd,
}

impl Currency {
    /// ISO 4217 alpha code, as Bakong spells it in a transaction.
    pub fn alpha(self) -> &'static str {
        match self {
            Currency::Khr => "KHR",
            Currency::Usd => "USD",
        }
    }

    /// Digits after the decimal point in a written amount.
    pub fn decimals(self) -> u32 {
        match self {
            Currency::Khr => 0,
            Currency::Usd => 2,
        }
    }

    /// Parse a currency as Bakong may send it: `USD`/`KHR` in any case or the ISO numeric
    /// code (`840`/`116`). Surrounding whitespace is ignored; anything else is `None`.
    pub fn from_code(code: &str) -> Option<Self> {
        let code = code.trim();
        if code.eq_ignore_ascii_case("USD") || code == "840" {
            Some(Currency::Usd)
        } else if code.eq_ignore_ascii_case("KHR") || code == "116" {
            Some(Currency::Khr)
        } else {
            None
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.alpha())
    }
}

/// A merchant's Bakong API token (mirror of `bakong::Token`): never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(raw: &str) -> Self {
        Self(raw.trim().to_owned())
    }

    /// The raw token. Never log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// A transaction as Bakong reports it (mirror of `bakong::Transaction`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub hash: String,
    pub from_account_id: String,
    pub to_account_id: String,
    /// As sent by Bakong (normally `USD` or `KHR`).
    pub currency: String,
    /// Exact decimal text as sent by Bakong (`"1.0"`, `"5000"`), never a float.
    pub amount: String,
    pub description: Option<String>,
    pub created_date_ms: Option<u64>,
    pub acknowledged_date_ms: Option<u64>,
}

impl Transaction {
    /// The amount in minor units of a currency with `decimals` digits, only when the text
    /// is an exact, non-negative decimal with no more significant fractional digits than
    /// the currency has (`"1.50"` → 150 for USD; `"1.005"` → `None`; `"5000.0"` → 5000
    /// for KHR). No floating point is involved.
    pub fn amount_minor(&self, decimals: u32) -> Option<u64> {
        decimal_to_minor(&self.amount, decimals)
    }
}

/// See [`Transaction::amount_minor`].
pub fn decimal_to_minor(text: &str, decimals: u32) -> Option<u64> {
    let text = text.trim();
    let text = text.strip_prefix('+').unwrap_or(text);
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i, f),
        None => (text, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // Trailing zeros beyond the currency's precision are harmless ("1.500"); any other
    // extra digit means the amount is not representable in minor units.
    let frac_trimmed = frac_part.trim_end_matches('0');
    let decimals_usize = usize::try_from(decimals).ok()?;
    if frac_trimmed.len() > decimals_usize {
        return None;
    }
    let scale = 10u64.checked_pow(decimals)?;
    let int_value: u64 = if int_part.is_empty() {
        0
    } else {
        int_part.parse().ok()?
    };
    let mut frac_value: u64 = 0;
    for i in 0..decimals_usize {
        let digit = frac_trimmed
            .as_bytes()
            .get(i)
            .map_or(0, |b| u64::from(b - b'0'));
        frac_value = frac_value * 10 + digit;
    }
    int_value.checked_mul(scale)?.checked_add(frac_value)
}

/// What Bakong says about one md5 (mirror of `bakong::Lookup`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// A transaction exists for this QR. Whether it settles the charge is for
    /// [`crate::watcher::decide`] to judge.
    Paid(Transaction),
    /// No transaction yet.
    NotFound,
    /// Bakong reports the transaction failed.
    Failed,
    /// Bakong says the QR is static (md5 lookups only work for dynamic QRs).
    StaticQr,
    /// Bakong could not answer for this item this time (batch `SERVICE_FAILED`, or an item
    /// missing from a batch answer). Says nothing about payment.
    Unavailable,
}

/// Why a whole Bakong request failed, reduced to what the watcher acts on. The adapter over
/// the Bakong client maps `BakongError` into this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupFailure {
    /// 401: the token is wrong or expired. Polling this merchant stops until a new token.
    Unauthorized,
    /// 403 (Bakong answers 403 outside Cambodia).
    GeoBlocked,
    /// 429, with the server's `Retry-After` in seconds when it sent one.
    RateLimited { retry_after_secs: Option<u64> },
    /// 5xx (including HTML error pages), with the HTTP status.
    Server { status: u16 },
    /// The request did not complete in time.
    Timeout,
    /// Connection refused/reset, DNS, TLS, malformed body…: try again later.
    Transport,
}

impl fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupFailure::Unauthorized => f.write_str("401 unauthorized (token wrong or expired)"),
            LookupFailure::GeoBlocked => {
                f.write_str("403 (Bakong refuses requests from outside Cambodia)")
            }
            LookupFailure::RateLimited {
                retry_after_secs: Some(s),
            } => {
                write!(f, "429 rate limited (retry after {s} s)")
            }
            LookupFailure::RateLimited {
                retry_after_secs: None,
            } => f.write_str("429 rate limited"),
            LookupFailure::Server { status } => write!(f, "server error {status}"),
            LookupFailure::Timeout => f.write_str("timeout"),
            LookupFailure::Transport => f.write_str("transport error"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_to_minor_exact_values() {
        assert_eq!(decimal_to_minor("1", 2), Some(100));
        assert_eq!(decimal_to_minor("1.0", 2), Some(100));
        assert_eq!(decimal_to_minor("1.5", 2), Some(150));
        assert_eq!(decimal_to_minor("1.50", 2), Some(150));
        assert_eq!(decimal_to_minor("1.500", 2), Some(150));
        assert_eq!(decimal_to_minor("0.01", 2), Some(1));
        assert_eq!(decimal_to_minor(".5", 2), Some(50));
        assert_eq!(decimal_to_minor("5.", 2), Some(500));
        assert_eq!(decimal_to_minor(" 12.34 ", 2), Some(1234));
        assert_eq!(decimal_to_minor("5000", 0), Some(5000));
        assert_eq!(decimal_to_minor("5000.0", 0), Some(5000));
        assert_eq!(decimal_to_minor("+7", 0), Some(7));
        assert_eq!(decimal_to_minor("0", 2), Some(0));
    }

    #[test]
    fn decimal_to_minor_rejects_inexact_or_malformed() {
        assert_eq!(decimal_to_minor("1.005", 2), None);
        assert_eq!(decimal_to_minor("5000.5", 0), None);
        assert_eq!(decimal_to_minor("-1", 2), None);
        assert_eq!(decimal_to_minor("1e2", 2), None);
        assert_eq!(decimal_to_minor("", 2), None);
        assert_eq!(decimal_to_minor(".", 2), None);
        assert_eq!(decimal_to_minor("1.2.3", 2), None);
        assert_eq!(decimal_to_minor("1,000", 0), None);
        assert_eq!(decimal_to_minor("NaN", 2), None);
        assert_eq!(decimal_to_minor("99999999999999999999", 2), None);
        assert_eq!(decimal_to_minor("184467440737095516.16", 2), None);
    }

    proptest::proptest! {
        #[test]
        fn decimal_to_minor_round_trips_formatted_amounts(minor in 0u64..=9_999_999_999_999, zeros in 0usize..3) {
            let usd = format!("{}.{:02}{}", minor / 100, minor % 100, "0".repeat(zeros));
            proptest::prop_assert_eq!(decimal_to_minor(&usd, 2), Some(minor));
            proptest::prop_assert_eq!(decimal_to_minor(&minor.to_string(), 0), Some(minor));
            // One more significant digit is never representable.
            let finer = format!("{}.{:02}1", minor / 100, minor % 100);
            proptest::prop_assert_eq!(decimal_to_minor(&finer, 2), None);
        }
    }

    #[test]
    fn currency_codes() {
        assert_eq!(Currency::from_code("usd"), Some(Currency::Usd));
        assert_eq!(Currency::from_code(" KHR "), Some(Currency::Khr));
        assert_eq!(Currency::from_code("840"), Some(Currency::Usd));
        assert_eq!(Currency::from_code("116"), Some(Currency::Khr));
        assert_eq!(Currency::from_code("EUR"), None);
        assert_eq!(Currency::from_code(""), None);
    }

    #[test]
    fn token_debug_hides_value() {
        let t = Token::new("secret-value");
        assert_eq!(format!("{t:?}"), "Token(***)");
        assert_eq!(t.expose_secret(), "secret-value");
    }
}
