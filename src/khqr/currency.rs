//! The two currencies Bakong KHQR supports.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::error::{KhqrError, KhqrErrorKind};
use super::tlv::utf16_len;

/// Transaction currency (tag 53). KHR is the SDK's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Currency {
    /// Cambodian riel, ISO 4217 numeric 116, whole units only.
    #[default]
    #[serde(rename = "KHR")]
    Khr,
    /// US dollar, ISO 4217 numeric 840, cents.
    #[serde(rename = "USD")]
    Usd,
}

impl Currency {
    /// ISO 4217 numeric code as written in tag 53: `"116"` or `"840"`.
    pub fn numeric(&self) -> &'static str {
        match self {
            Currency::Khr => "116",
            Currency::Usd => "840",
        }
    }

    /// ISO 4217 alphabetic code: `"KHR"` or `"USD"`.
    pub fn alpha(&self) -> &'static str {
        match self {
            Currency::Khr => "KHR",
            Currency::Usd => "USD",
        }
    }

    /// Decimal places of the minor unit as written in a KHQR: 0 for KHR, 2 for USD.
    pub fn decimals(&self) -> u32 {
        match self {
            Currency::Khr => 0,
            Currency::Usd => 2,
        }
    }

    /// Reads the value of tag 53 with the SDK's checks: empty → 9, longer than 3 → 19,
    /// anything but `116`/`840` → 28.
    pub fn from_numeric(value: &str) -> Result<Currency, KhqrError> {
        if value.is_empty() {
            return Err(KhqrError::new(
                KhqrErrorKind::CurrencyRequired,
                "currency (tag 53) is missing",
            ));
        }
        if utf16_len(value) > 3 {
            return Err(KhqrError::new(
                KhqrErrorKind::CurrencyTooLong,
                format!("currency {value:?} is longer than 3 characters"),
            ));
        }
        match value {
            "116" => Ok(Currency::Khr),
            "840" => Ok(Currency::Usd),
            _ => Err(KhqrError::new(
                KhqrErrorKind::UnsupportedCurrency,
                format!("currency {value:?} is not supported (116 = KHR or 840 = USD)"),
            )),
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.alpha())
    }
}

/// A currency name that is neither USD nor KHR.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported currency {value:?}: use USD or KHR")]
pub struct ParseCurrencyError {
    value: String,
}

impl FromStr for Currency {
    type Err = ParseCurrencyError;

    /// Accepts `USD`/`KHR` in any case and the numeric codes `840`/`116`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("USD") || s == "840" {
            Ok(Currency::Usd)
        } else if s.eq_ignore_ascii_case("KHR") || s == "116" {
            Ok(Currency::Khr)
        } else {
            Err(ParseCurrencyError {
                value: s.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_numbers() {
        assert_eq!("usd".parse::<Currency>(), Ok(Currency::Usd));
        assert_eq!("KHR".parse::<Currency>(), Ok(Currency::Khr));
        assert_eq!("840".parse::<Currency>(), Ok(Currency::Usd));
        assert_eq!("116".parse::<Currency>(), Ok(Currency::Khr));
        let err = "EUR".parse::<Currency>().unwrap_err();
        assert!(err.to_string().contains("\"EUR\""), "{err}");
    }

    #[test]
    fn tag_value_codes() {
        assert_eq!(Currency::from_numeric("840"), Ok(Currency::Usd));
        assert_eq!(Currency::from_numeric("").unwrap_err().code(), 9);
        assert_eq!(Currency::from_numeric("8400").unwrap_err().code(), 19);
        assert_eq!(Currency::from_numeric("USD").unwrap_err().code(), 28);
        assert_eq!(Currency::from_numeric("978").unwrap_err().code(), 28);
    }

    #[test]
    fn serde_uses_alpha_codes() {
        assert_eq!(serde_json::to_string(&Currency::Usd).unwrap(), "\"USD\"");
        let c: Currency = serde_json::from_str("\"KHR\"").unwrap();
        assert_eq!(c, Currency::Khr);
        assert_eq!(Currency::Usd.to_string(), "USD");
    }
}
