//! Money as integer minor units, formatted exactly as the SDK writes tag 54 (SPEC §4).

use std::fmt;

use super::currency::Currency;
use super::error::{KhqrError, KhqrErrorKind};
use super::tlv::{push_ascii, write_digits_back};

/// Longest value tag 54 may hold.
pub const MAX_AMOUNT_CHARS: usize = 13;

/// An amount of money in one currency, held as integer minor units (riel or US cents).
///
/// Always fits tag 54 (at most 13 characters once formatted). Zero is allowed: a KHQR with a
/// zero amount is static.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount {
    minor: u64,
    currency: Currency,
}

/// Why a number is not a valid KHQR amount. Maps to SDK error code 4.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// A leading minus sign.
    #[error("amount {0:?} is negative")]
    Negative(String),
    /// A KHR amount with a fractional part.
    #[error("amount {0:?} has decimals, but KHR amounts are whole riel")]
    NotWhole(String),
    /// A USD amount with more than two significant decimals.
    #[error("amount {0:?} has more than 2 decimal places (USD cents)")]
    TooManyDecimals(String),
    /// Longer than 13 characters once formatted.
    #[error(
        "amount {0} is too large: at most 13 characters (9999999999999 KHR, 9999999999.99 USD)"
    )]
    TooLarge(String),
    /// Not a plain decimal number.
    #[error("amount {0:?} is not a plain decimal number (digits with an optional '.', e.g. 1.50)")]
    NotANumber(String),
}

impl From<AmountError> for KhqrError {
    fn from(e: AmountError) -> Self {
        KhqrError::new(KhqrErrorKind::AmountInvalid, e.to_string())
    }
}

impl Amount {
    /// `minor` riel (KHR) or cents (USD). Fails when the tag-54 text would exceed 13 characters.
    pub fn from_minor(minor: u64, currency: Currency) -> Result<Amount, AmountError> {
        let amount = Amount { minor, currency };
        if amount.formatted_len() > MAX_AMOUNT_CHARS {
            return Err(AmountError::TooLarge(format!("{amount} {currency}")));
        }
        Ok(amount)
    }

    /// Parses a plain decimal such as `5`, `1.5`, `0.10` or `100.0`: digits, optionally a `.`
    /// and more digits; no sign, exponent, spaces or separators. USD takes at most 2
    /// significant decimals, KHR none; zeros after them are accepted (`1.500` USD,
    /// `100.0` KHR).
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Amount, AmountError> {
        if text.starts_with('-') {
            return Err(AmountError::Negative(text.to_owned()));
        }
        let (int, frac) = match text.split_once('.') {
            Some((int, frac)) => (int, Some(frac)),
            None => (text, None),
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(int) || !frac.is_none_or(all_digits) {
            return Err(AmountError::NotANumber(text.to_owned()));
        }
        let frac = frac.unwrap_or("").trim_end_matches('0');
        let decimals = currency.decimals() as usize;
        if frac.len() > decimals {
            return Err(match currency {
                Currency::Khr => AmountError::NotWhole(text.to_owned()),
                Currency::Usd => AmountError::TooManyDecimals(text.to_owned()),
            });
        }
        let int = int.trim_start_matches('0');
        if int.len() > MAX_AMOUNT_CHARS {
            return Err(AmountError::TooLarge(format!("{text} {currency}")));
        }
        let mut minor: u64 = 0;
        for b in int.bytes() {
            minor = minor * 10 + u64::from(b - b'0');
        }
        let mut frac_digits = frac.bytes();
        for _ in 0..decimals {
            let d = frac_digits.next().map_or(0, |b| u64::from(b - b'0'));
            minor = minor * 10 + d;
        }
        Amount::from_minor(minor, currency)
            .map_err(|_| AmountError::TooLarge(format!("{text} {currency}")))
    }

    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Amount {
        Amount { minor: 0, currency }
    }

    /// Integer minor units: riel for KHR, cents for USD.
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// The amount's currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// True for a zero amount (which makes a KHQR static).
    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }

    /// Appends the tag-54 text to `out`.
    pub(crate) fn write_to(&self, out: &mut Vec<u8>) {
        let mut buf = [0u8; 24];
        let start = self.format_bytes(&mut buf);
        push_ascii(out, &buf[start..]);
    }

    /// Length of the tag-54 text.
    pub(crate) fn formatted_len(&self) -> usize {
        match self.currency {
            Currency::Khr => digit_count(self.minor),
            Currency::Usd if self.minor.is_multiple_of(100) => digit_count(self.minor / 100),
            Currency::Usd => digit_count(self.minor / 100) + 3,
        }
    }

    /// Formats into `buf` (right-aligned) and returns the text.
    fn format<'b>(&self, buf: &'b mut [u8; 24]) -> &'b str {
        let start = self.format_bytes(buf);
        std::str::from_utf8(&buf[start..]).unwrap_or("") // ok: only ASCII digits and '.'
    }

    /// Formats into `buf` (right-aligned) and returns where the text starts.
    fn format_bytes(&self, buf: &mut [u8; 24]) -> usize {
        let mut pos = buf.len();
        let mut whole = self.minor;
        if self.currency == Currency::Usd {
            let cents = self.minor % 100;
            whole = self.minor / 100;
            if cents != 0 {
                buf[pos - 1] = b'0' + (cents % 10) as u8;
                buf[pos - 2] = b'0' + (cents / 10) as u8;
                buf[pos - 3] = b'.';
                pos -= 3;
            }
        }
        write_digits_back(&mut buf[..pos], whole)
    }
}

impl fmt::Display for Amount {
    /// Exactly the tag-54 text: `5`, `1.50`, `50000`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 24];
        f.write_str(self.format(&mut buf))
    }
}

/// Number of decimal digits of `n` (1 for 0).
pub(crate) fn digit_count(mut n: u64) -> usize {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(s: &str) -> Result<Amount, AmountError> {
        Amount::parse_decimal(s, Currency::Usd)
    }
    fn khr(s: &str) -> Result<Amount, AmountError> {
        Amount::parse_decimal(s, Currency::Khr)
    }

    #[test]
    fn formats_as_the_sdk() {
        assert_eq!(usd("5").unwrap().to_string(), "5");
        assert_eq!(usd("1.5").unwrap().to_string(), "1.50");
        assert_eq!(usd("0.1").unwrap().to_string(), "0.10");
        assert_eq!(usd("12.34").unwrap().to_string(), "12.34");
        assert_eq!(usd("0.05").unwrap().to_string(), "0.05");
        assert_eq!(usd("100.00").unwrap().to_string(), "100");
        assert_eq!(usd("1.500").unwrap().to_string(), "1.50");
        assert_eq!(khr("50000").unwrap().to_string(), "50000");
        assert_eq!(khr("100.0").unwrap().to_string(), "100");
        assert_eq!(khr("0").unwrap().to_string(), "0");
        assert!(khr("0").unwrap().is_zero());
        assert_eq!(usd("0.00").unwrap().minor(), 0);
        assert_eq!(usd("1453.31").unwrap().minor(), 145_331);
    }

    #[test]
    fn limits() {
        assert_eq!(khr("9999999999999").unwrap().minor(), 9_999_999_999_999);
        assert!(matches!(
            khr("10000000000000"),
            Err(AmountError::TooLarge(_))
        ));
        assert_eq!(usd("9999999999.99").unwrap().to_string(), "9999999999.99");
        assert!(matches!(
            usd("99999999999.99"),
            Err(AmountError::TooLarge(_))
        ));
        // A whole USD amount is written without decimals, so it may have 13 digits.
        assert_eq!(usd("9999999999999").unwrap().to_string(), "9999999999999");
        assert!(matches!(
            usd("1000000000000000000000"),
            Err(AmountError::TooLarge(_))
        ));
        assert!(Amount::from_minor(999_999_999_999, Currency::Usd).is_ok());
        assert!(Amount::from_minor(1_000_000_000_001, Currency::Usd).is_err());
        assert!(Amount::from_minor(u64::MAX, Currency::Khr).is_err());
        assert!(Amount::from_minor(u64::MAX, Currency::Usd).is_err());
    }

    #[test]
    fn rejects() {
        assert!(matches!(usd("-1.5"), Err(AmountError::Negative(_))));
        assert!(matches!(khr("-100"), Err(AmountError::Negative(_))));
        assert!(matches!(usd("1.005"), Err(AmountError::TooManyDecimals(_))));
        assert!(matches!(
            usd("0.30000000000000004"),
            Err(AmountError::TooManyDecimals(_))
        ));
        assert!(matches!(khr("100.5"), Err(AmountError::NotWhole(_))));
        assert!(matches!(khr("0.01"), Err(AmountError::NotWhole(_))));
        for bad in [
            "", " 5", "5 ", "1e-7", "1e+21", "1,000", "+5", ".5", "5.", "1.2.3", "abc", "٥",
        ] {
            assert!(
                matches!(usd(bad), Err(AmountError::NotANumber(_))),
                "{bad:?}"
            );
        }
        let e: KhqrError = usd("1.005").unwrap_err().into();
        assert_eq!(e.code(), 4);
    }
}
