//! What customers see of a merchant: the shop's name (tag 59) and city (tag 60), parsed once
//! (in /setup) and carried typed from there to the KHQR, like [`BakongAccountId`](super::BakongAccountId).
//!
//! Also the two character classes that make text say something other than it shows
//! ([`is_bidi_control`], [`is_invisible`]): names and cities refuse them here, and the bot
//! refuses them in notes and strips them from any stranger's text it shows.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::fields::{MERCHANT_CITY, MERCHANT_NAME, TextField};

/// Unicode's `Bidi_Control` characters: the embeddings and overrides (U+202A–U+202E), the
/// isolates (U+2066–U+2069) and the marks (U+200E, U+200F, U+061C). Each changes the order in
/// which the text around it is shown: `U+202E 00.005$ diap` reads as `paid $500.00`.
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that show nothing and that no language the bot serves needs: Unicode's
/// default-ignorable code points (soft hyphen, word joiner, BOM, Hangul fillers that make a
/// blank-looking name, tag characters that smuggle hidden text, …) except those Khmer text and
/// emoji need: U+200B ZERO WIDTH SPACE (Khmer's word separator, typed by Khmer keyboards),
/// U+200C/U+200D ZERO WIDTH (NON-)JOINER (Khmer shaping, emoji sequences) and the variation
/// selectors U+FE00–U+FE0F (emoji presentation, `❤️`). The bidi controls are
/// [`is_bidi_control`]'s; the Khmer inherent vowels U+17B4/U+17B5 are invisible and
/// deprecated, so they count here.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{2060}'..='\u{2065}'
            | '\u{206A}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Why a shop name or city was refused; the bot says it in the seller's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Nothing but whitespace, or control characters (which a customer's app cannot show).
    #[error("the name is empty or contains control characters")]
    Empty,
    /// Bidirectional controls or invisible characters ([`is_bidi_control`],
    /// [`is_invisible`]): the name would read differently from what it is.
    #[error("the name contains bidirectional or invisible formatting characters")]
    Hidden,
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
    /// codec's rules for the merchant name and refuses bidirectional and invisible characters.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        parse_name(text, &MERCHANT_NAME, Rules::New).map(Self)
    }

    /// A name saved by an earlier build, which took bidirectional and invisible characters:
    /// read back as saved (the bot strips those wherever it shows the name), so such a shop
    /// keeps working. Everything else is checked as by [`ShopName::parse`].
    pub fn from_stored(text: &str) -> Result<Self, NameError> {
        parse_name(text, &MERCHANT_NAME, Rules::Stored).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl City {
    /// KHQR tag 60 holds 15.
    pub const MAX_UTF16: usize = MERCHANT_CITY.max;

    /// Trims the text and collapses its inner whitespace to single spaces, then applies the
    /// codec's rules for the merchant city and refuses bidirectional and invisible characters.
    pub fn parse(text: &str) -> Result<Self, NameError> {
        parse_name(text, &MERCHANT_CITY, Rules::New).map(Self)
    }

    /// A city saved by an earlier build: see [`ShopName::from_stored`].
    pub fn from_stored(text: &str) -> Result<Self, NameError> {
        parse_name(text, &MERCHANT_CITY, Rules::Stored).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether a name is new input or was saved under older rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rules {
    New,
    Stored,
}

/// The bot's rules (single spaces, no control characters; for new input no bidirectional or
/// invisible characters either) plus the field's own (not empty, at most `field.max` UTF-16
/// units).
fn parse_name(text: &str, field: &TextField, rules: Rules) -> Result<String, NameError> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.chars().any(char::is_control) {
        return Err(NameError::Empty);
    }
    if rules == Rules::New && name.chars().any(|c| is_bidi_control(c) || is_invisible(c)) {
        return Err(NameError::Hidden);
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

/// Serde's way in: what was serialized was saved, so [`ShopName::from_stored`].
impl TryFrom<String> for ShopName {
    type Error = NameError;

    fn try_from(text: String) -> Result<Self, NameError> {
        ShopName::from_stored(&text)
    }
}

/// Serde's way in: [`City::from_stored`].
impl TryFrom<String> for City {
    type Error = NameError;

    fn try_from(text: String) -> Result<Self, NameError> {
        City::from_stored(&text)
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
    fn bidi_and_invisible_characters_are_refused_in_new_names_only() {
        for bad in [
            "\u{202E}00.005$ diap",
            "Sokha\u{2066}Coffee",
            "Shop\u{200F}",
            "\u{061C}Shop",
            "Sok\u{00AD}ha",
            "\u{3164}",
            "Shop\u{E0041}",
            "Sokha\u{2060}Coffee",
        ] {
            assert_eq!(ShopName::parse(bad), Err(NameError::Hidden), "{bad:?}");
            assert_eq!(City::parse(bad), Err(NameError::Hidden), "{bad:?}");
            // A row saved before this rule is still readable.
            assert!(ShopName::from_stored(bad).is_ok(), "{bad:?}");
            assert!(City::from_stored(bad).is_ok(), "{bad:?}");
        }
        // Khmer with its word separator and joiners, and emoji sequences, stay.
        for good in [
            "ហាង\u{200B}កាហ្វេ",
            "ក\u{200C}ខ",
            "☕\u{FE0F} Café",
            "👩\u{200D}🍳",
        ] {
            assert!(ShopName::parse(good).is_ok(), "{good:?}");
        }
        assert!(serde_json::from_str::<ShopName>("\"\u{202E}abc\"").is_ok());
        assert_eq!(
            "\u{202E}abc"
                .chars()
                .filter(|&c| is_bidi_control(c))
                .count(),
            1
        );
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
