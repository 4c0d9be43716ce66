//! TEMP shim of the `khqr` contract (CONTRACTS.md) so branch `tgfake` compiles before branch
//! `khqr` is merged. The coordinator drops this commit; the real module replaces it.

use std::fmt;
use std::str::FromStr;

/// Transaction currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Currency {
    #[default]
    Khr,
    Usd,
}

impl Currency {
    pub fn numeric(&self) -> &'static str {
        match self {
            Currency::Khr => "116",
            Currency::Usd => "840",
        }
    }
    pub fn alpha(&self) -> &'static str {
        match self {
            Currency::Khr => "KHR",
            Currency::Usd => "USD",
        }
    }
    pub fn decimals(&self) -> u32 {
        match self {
            Currency::Khr => 0,
            Currency::Usd => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.alpha())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unsupported currency {0:?}")]
pub struct ParseCurrencyError(String);

impl FromStr for Currency {
    type Err = ParseCurrencyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("USD") || s == "840" {
            Ok(Currency::Usd)
        } else if s.eq_ignore_ascii_case("KHR") || s == "116" {
            Ok(Currency::Khr)
        } else {
            Err(ParseCurrencyError(s.to_owned()))
        }
    }
}

/// Money as integer minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Amount {
    minor: u64,
    currency: Currency,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("negative {0:?}")]
    Negative(String),
    #[error("not whole {0:?}")]
    NotWhole(String),
    #[error("too many decimals {0:?}")]
    TooManyDecimals(String),
    #[error("too large {0}")]
    TooLarge(String),
    #[error("not a number {0:?}")]
    NotANumber(String),
}

impl Amount {
    pub fn from_minor(minor: u64, currency: Currency) -> Result<Amount, AmountError> {
        let amount = Amount { minor, currency };
        if amount.to_string().len() > 13 {
            return Err(AmountError::TooLarge(amount.to_string()));
        }
        Ok(amount)
    }
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Amount, AmountError> {
        let bad = || AmountError::NotANumber(text.to_owned());
        let (int, frac) = text.split_once('.').unwrap_or((text, ""));
        let frac = frac.trim_end_matches('0');
        if frac.len() > currency.decimals() as usize {
            return Err(AmountError::TooManyDecimals(text.to_owned()));
        }
        let mut minor: u64 = int.parse().map_err(|_| bad())?;
        for i in 0..currency.decimals() as usize {
            let d = frac.as_bytes().get(i).map_or(0, |b| u64::from(b - b'0'));
            minor = minor * 10 + d;
        }
        Amount::from_minor(minor, currency)
    }
    pub fn minor(&self) -> u64 {
        self.minor
    }
    pub fn currency(&self) -> Currency {
        self.currency
    }
    pub fn is_zero(&self) -> bool {
        self.minor == 0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.currency {
            Currency::Khr => write!(f, "{}", self.minor),
            Currency::Usd if self.minor.is_multiple_of(100) => write!(f, "{}", self.minor / 100),
            Currency::Usd => write!(f, "{}.{:02}", self.minor / 100, self.minor % 100),
        }
    }
}
