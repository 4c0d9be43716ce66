//! What customers see of a merchant: the shop's name (tag 59) and city (tag 60), parsed once
//! (in /setup) and carried typed from there to the KHQR, like [`BakongAccountId`](super::BakongAccountId).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::fields::{MERCHANT_CITY, MERCHANT_NAME, TextField};

/// Why a shop name or city was refused; the bot says it in the seller's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing but whitespace, or control characters (which a customer's app cannot show).
    #[error("the name is empty or contains control characters")]
    Empty,
    /// Longer than the KHQR field holds; carries that maximum in UTF-16 units.
    #[error("the name is longer than {max} characters")]
    TooLong { max: usize },
}

/// The shop name customers see (KHQR merchant name, tag 59): single-spaced, no control
/// characters, 1..=[`ShopName::MAX_UTF16`] UTF-16 units.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShopName(String);

/// The shop's city (KHQR merchant city, tag 60): single-spaced, no control characters,
/// 1..=[`City::MAX_UTF16`] UTF-16 units.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct City(String);

impl ShopName {
    /// KHQR tag 59 holds 25.
    pub const MAX_UTF16: usize = MERCHANT_NAME.max;

    /// Trims the text and collapses its inner whitespace to single spaces, then applies the
    /// codec's rules for the merchant name.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        parse_name(text, &MERCHANT_NAME).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl City {
    /// KHQR tag 60 holds 15.
    pub const MAX_UTF16: usize = MERCHANT_CITY.max;

    /// Trims the text and collapses its inner whitespace to single spaces, then applies the
    /// codec's rules for the merchant city.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        parse_name(text, &MERCHANT_CITY).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The bot's rules (single spaces, no control characters) plus the field's own (not empty, at
/// most `field.max` UTF-16 units).
fn parse_name(text: &str, field: &TextField) -> Result<String, NameError> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().any(char::is_control) {
        return Err(NameError::Empty);
    }
    match field.check(&name) {
        Ok(()) => Ok(name),
        Err(e) if e.kind() == field.empty => Err(NameError::Empty),
        Err(_) => Err(NameError::TooLong { max: field.max }),
    }
}

impl fmt::Display for ShopName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for City {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ShopName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for City {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ShopName {
    type Error = NameError;

    fn try_from(text: String) -> Result<Self, NameError> {
        ShopName::parse(&text)
    }
}

impl TryFrom<String> for City {
    type Error = NameError;

    fn try_from(text: String) -> Result<Self, NameError> {
        City::parse(&text)
    }
}

impl From<ShopName> for String {
    fn from(name: ShopName) -> String {
        name.0
    }
}

impl From<City> for String {
    fn from(city: City) -> String {
        city.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_single_spaced_and_bounded_in_utf16() {
        assert_eq!(
            ShopName::parse("  Sokha   Coffee ").unwrap().as_str(),
            "Sokha Coffee"
        );
        assert_eq!(ShopName::parse("   "), Err(NameError::Empty));
        assert_eq!(ShopName::parse(""), Err(NameError::Empty));
        assert_eq!(ShopName::parse("a\u{7}b"), Err(NameError::Empty));
        assert!(ShopName::parse(&"x".repeat(25)).is_ok());
        assert_eq!(
            ShopName::parse(&"x".repeat(26)),
            Err(NameError::TooLong { max: 25 })
        );
        assert!(City::parse(&"ក".repeat(15)).is_ok());
        assert_eq!(
            City::parse(&"😀".repeat(8)),
            Err(NameError::TooLong { max: 15 })
        );
        assert_eq!(
            City::parse(" Phnom\u{a0}Penh ").unwrap().as_str(),
            "Phnom Penh"
        );
        // Lengths count UTF-16 code units, as KHQR does.
        assert_eq!(super::super::tlv::utf16_len("ហាងកាហ្វេ"), 9);
        assert_eq!(super::super::tlv::utf16_len("😀"), 2);
    }

    #[test]
    fn serde_reads_and_writes_the_plain_text_and_checks_it() {
        let name = ShopName::parse("Sokha Coffee").unwrap();
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"Sokha Coffee\"");
        assert_eq!(
            serde_json::from_str::<City>("\"Kampot\"").unwrap().as_str(),
            "Kampot"
        );
        assert!(serde_json::from_str::<City>("\"\"").is_err());
        assert!(serde_json::from_str::<ShopName>(&format!("\"{}\"", "x".repeat(26))).is_err());
    }
}
