//! The arguments of `/charge`: `<amount> [USD|KHR] [note…]`, typed the many ways sellers type
//! them (`5`, `$5`, `5usd`, `5,000 KHR`, `៛5000`, `៥០០០ រៀល coffee`, …).
//!
//! Pure parsing: no Telegram types. [`parse_charge`] either returns a charge that KHQR can
//! carry (amount above zero and at most [`max_amount`], a note of at most
//! [`MAX_NOTE_CLUSTERS`] characters as a person counts them; the QR carries a shortened copy
//! when it is longer than its purpose field, see [`super::note`]) or one [`ChargeArgsError`]
//! per reason the bot explains to the seller.
//!
//! Grammar, after `/charge` or `/charge@bot` (removed if present):
//! - tokens are separated by any Unicode whitespace (NBSP, ideographic space, newlines …);
//! - the amount token is `[sign][currency]number[currency]`, and a currency may also stand
//!   alone just before it (`$ 5`, `USD 5`) or just after it (`5 USD`, `5000 riel`);
//! - Khmer digits `០`–`៩` and full-width digits count as digits; commas separate groups of
//!   three digits; a dot starts the decimals; a group of three digits right after the number
//!   (`5 000`) is refused rather than read as 5 with a note;
//! - a currency is `$`, `USD`, `dollar(s)`, `ដុល្លារ` or `៛`, `KHR`, `riel(s)`, `រៀល` (any
//!   case). Another currency's symbol (`€`, `฿` …), name (`euro`, `baht` …) or ISO code
//!   (`EUR`, `eur`, `THB`; ISO codes that are also English words, like `cup`, only in
//!   capitals) is [`ChargeArgsError::UnsupportedCurrency`], never the start of a note;
//! - without a currency, the merchant's default applies;
//! - everything after the amount (and its currency) is the note, whitespace collapsed.

use std::fmt;

use crate::khqr::{self, Amount, Currency, is_bidi_control};

use super::currency_word::CurrencyWord;
use super::note::{MAX_NOTE_CLUSTERS, cluster_count};

/// Highest USD charge, in cents: US$10,000.00. A stall, shop or tuk-tuk never bills more in
/// one chat payment, and a larger number is far more likely a typo than a sale.
pub const MAX_USD_CENTS: u64 = 1_000_000;

/// Highest KHR charge, in riel: ៛40,000,000 (about US$10,000, the same ceiling as USD).
pub const MAX_KHR_RIEL: u64 = 40_000_000;

/// Longest piece of user input echoed back inside an error, in characters.
const MAX_ECHO_CHARS: usize = 24;

/// The largest amount [`parse_charge`] accepts in `currency`.
pub fn max_amount(currency: Currency) -> Amount {
    let minor = match currency {
        Currency::Usd => MAX_USD_CENTS,
        Currency::Khr => MAX_KHR_RIEL,
    };
    Amount::from_minor(minor, currency).expect("cap fits KHQR") // ok: both caps are far below KHQR's 13-character limit (tested)
}

/// A valid `/charge` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeArgs {
    /// Above zero and at most [`max_amount`] of its currency.
    pub amount: Amount,
    /// The words after the amount, single-spaced; `None` if there were none. At most
    /// [`MAX_NOTE_CLUSTERS`] clusters ([`super::note::clusters`]), no control characters.
    pub note: Option<String>,
}

/// Why `/charge` arguments were refused. Each variant is one reason the bot explains to the
/// seller in their language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChargeArgsError {
    /// Nothing (or only a currency) after `/charge`.
    #[error("no amount: write it after /charge, e.g. /charge 5 USD")]
    MissingAmount,
    /// The first word is not an amount (`abc`, `5kg`, `1.2.3`); carries it (shortened).
    #[error("{0:?} is not an amount")]
    NotANumber(String),
    /// A minus sign (`-5`, `$-5`).
    #[error("the amount is negative")]
    Negative,
    /// `0`, `0.00`.
    #[error("the amount is zero")]
    Zero,
    /// More than two decimals in USD (`5.123`, also `5.000`).
    #[error("USD amounts have at most 2 decimals (cents)")]
    TooManyDecimals,
    /// A decimal point in KHR (`1.5 KHR`, also `5.000 KHR`): riel are whole.
    #[error("KHR amounts are whole riel, without decimals")]
    DecimalsForKhr,
    /// Above [`max_amount`]; carries that maximum.
    #[error("the amount is above the limit of {max} {}", max.currency())]
    TooLarge {
        /// The highest amount allowed in the requested currency.
        max: Amount,
    },
    /// Another currency than USD or KHR right at the amount (`5 EUR`, `€5`, `5 THB`);
    /// carries its ISO code (`"EUR"`).
    #[error("KHQR takes only USD and KHR, not {0}")]
    UnsupportedCurrency(String),
    /// Two different currencies at the amount (`$5 KHR`).
    #[error("the amount names two currencies: {first} and {second}")]
    ConflictingCurrency {
        /// The first currency named.
        first: Currency,
        /// The other one.
        second: Currency,
    },
    /// Digit grouping that is not commas between groups of three (`5,00`, `1,2345`,
    /// `5.000,50`, `1.000.000`, `5 000`); carries the number as typed (shortened).
    #[error(
        "{0:?}: use commas only between groups of three digits (5,000) and a dot for decimals (5.50)"
    )]
    MalformedSeparators(String),
    /// The note is longer than [`MAX_NOTE_CLUSTERS`] clusters.
    #[error("the note is {len} characters long; at most {max}")]
    NoteTooLong {
        /// Length of the note in clusters ([`super::note::clusters`]).
        len: usize,
        /// [`MAX_NOTE_CLUSTERS`].
        max: usize,
    },
    /// The note contains control characters, or bidirectional controls or invisible
    /// characters (`khqr::is_bidi_control`, `khqr::is_invisible`), which could make a caption
    /// read differently from what it says.
    #[error("the note contains control characters")]
    NoteControlChars,
}

/// Parses the text after `/charge` (a leading `/charge` or `/charge@bot` is skipped too).
/// `default_currency` (the merchant's) applies when the text names none.
pub fn parse_charge(text: &str, default_currency: Currency) -> Result<ChargeArgs, ChargeArgsError> {
    let tokens = tokenize(text);
    let mut rest = skip_command(&tokens);
    let mut markers: Vec<CurrencyWord> = Vec::new();
    let mut negative = false;

    // The amount token, possibly after a lone sign/currency token ("$ 5", "USD 5").
    let Some((&first, tail)) = rest.split_first() else {
        return Err(ChargeArgsError::MissingAmount);
    };
    rest = tail;
    let mut token = first;
    let mut piece = split_amount_token(token);
    if piece.number.is_empty() {
        if !piece.trail.is_empty() {
            return Err(not_a_number(token));
        }
        negative |= read_lead(&piece.lead, token, &mut markers)?;
        let Some((&next, tail)) = rest.split_first() else {
            return Err(unsupported_in(&markers).unwrap_or(ChargeArgsError::MissingAmount));
        };
        rest = tail;
        token = next;
        piece = split_amount_token(token);
        if piece.number.is_empty() {
            return Err(not_a_number(token));
        }
    }
    negative |= read_lead(&piece.lead, token, &mut markers)?;
    if !piece.trail.is_empty() {
        match CurrencyWord::parse(&piece.trail) {
            Some(m) => markers.push(m),
            None => return Err(not_a_number(token)),
        }
    }
    // "5 000": a space used as thousands separator would silently charge 5.
    if piece.trail.is_empty()
        && !piece.number.contains('.')
        && let Some(&next) = rest.first()
    {
        let group = split_amount_token(next);
        if group.lead.is_empty()
            && group.number.len() == 3
            && group.number.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(ChargeArgsError::MalformedSeparators(shorten(&format!(
                "{} {}",
                piece.number, group.number
            ))));
        }
    }
    // A currency word right after the amount ("5 USD", "5000 riel", "5 EUR").
    if let Some((&next, tail)) = rest.split_first()
        && let Some(m) = CurrencyWord::parse(&normalize_amount_text(next))
    {
        markers.push(m);
        rest = tail;
    }

    if let Some(err) = unsupported_in(&markers) {
        return Err(err);
    }
    let currency = currency_of(&markers)?.unwrap_or(default_currency);
    let number = parse_number(&piece.number)?;
    if negative {
        return Err(ChargeArgsError::Negative);
    }
    let amount = number.to_amount(currency)?;
    let note = parse_note(rest)?;
    Ok(ChargeArgs { amount, note })
}

// ---------------------------------------------------------------------------------------------
// Tokens

/// Characters that are invisible in a chat and never meaningful around an amount.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}' | '\u{2060}' | '\u{FEFF}' | '\u{180E}' | '\u{200E}' | '\u{200F}'
    )
}

/// Splits on any Unicode whitespace; trims invisible characters off each token's ends.
pub(in crate::bot) fn tokenize(text: &str) -> Vec<&str> {
    text.split(char::is_whitespace)
        .map(|t| t.trim_matches(is_invisible))
        .filter(|t| !t.is_empty())
        .collect()
}

/// Drops a leading `/charge` or `/charge@botname`.
fn skip_command<'a, 'b>(tokens: &'b [&'a str]) -> &'b [&'a str] {
    match tokens.split_first() {
        Some((first, rest)) => {
            let command = first.split('@').next().unwrap_or(first);
            if command.eq_ignore_ascii_case("/charge") {
                rest
            } else {
                tokens
            }
        }
        None => tokens,
    }
}

/// ASCII digits and punctuation for Khmer and full-width digits, `＄．，`; invisible characters
/// removed.
fn normalize_amount_text(token: &str) -> String {
    token
        .chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| match c {
            '\u{17E0}'..='\u{17E9}' => digit(c as u32 - 0x17E0),
            '\u{FF10}'..='\u{FF19}' => digit(c as u32 - 0xFF10),
            '＄' => '$',
            '．' => '.',
            '，' => ',',
            _ => c,
        })
        .collect()
}

fn digit(value: u32) -> char {
    char::from_digit(value, 10).unwrap_or('?') // ok: callers pass 0..=9
}

/// An amount token cut into what precedes the number, the number, and what follows.
struct Piece {
    lead: String,
    number: String,
    trail: String,
}

fn split_amount_token(token: &str) -> Piece {
    let text = normalize_amount_text(token);
    let Some(start) = text.find(|c: char| c.is_ascii_digit() || c == '.') else {
        return Piece {
            lead: text,
            number: String::new(),
            trail: String::new(),
        };
    };
    let len = text[start..]
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(text.len() - start);
    let number = &text[start..start + len];
    if !number.bytes().any(|b| b.is_ascii_digit()) {
        // No digit at all ("." or "$."): the whole token is a non-number lead, which the
        // caller rejects unless it is a currency.
        return Piece {
            lead: text.clone(),
            number: String::new(),
            trail: String::new(),
        };
    }
    Piece {
        lead: text[..start].to_owned(),
        number: number.to_owned(),
        trail: text[start + len..].to_owned(),
    }
}

/// Reads what precedes the number: minus signs and at most one currency. Returns whether there
/// was a minus sign.
fn read_lead(
    lead: &str,
    token: &str,
    markers: &mut Vec<CurrencyWord>,
) -> Result<bool, ChargeArgsError> {
    let is_minus = |c: char| matches!(c, '-' | '\u{2212}' | '\u{2013}');
    let negative = lead.contains(is_minus);
    let rest: String = lead.chars().filter(|&c| !is_minus(c)).collect();
    if !rest.is_empty() {
        match CurrencyWord::parse(&rest) {
            Some(m) => markers.push(m),
            None => return Err(not_a_number(token)),
        }
    }
    Ok(negative)
}

fn not_a_number(token: &str) -> ChargeArgsError {
    ChargeArgsError::NotANumber(shorten(token))
}

pub(in crate::bot) fn shorten(text: &str) -> String {
    if text.chars().count() <= MAX_ECHO_CHARS {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(MAX_ECHO_CHARS - 1).collect();
    short.push('…');
    short
}

// ---------------------------------------------------------------------------------------------
// Currencies

fn unsupported_in(markers: &[CurrencyWord]) -> Option<ChargeArgsError> {
    markers.iter().find_map(|m| match m {
        CurrencyWord::Unsupported(code) => Some(ChargeArgsError::UnsupportedCurrency(code.clone())),
        CurrencyWord::Supported(_) => None,
    })
}

/// The one supported currency the markers name, `None` if none, an error if two.
fn currency_of(markers: &[CurrencyWord]) -> Result<Option<Currency>, ChargeArgsError> {
    let mut found: Option<Currency> = None;
    for m in markers {
        if let CurrencyWord::Supported(c) = m {
            match found {
                Some(first) if first != *c => {
                    return Err(ChargeArgsError::ConflictingCurrency { first, second: *c });
                }
                _ => found = Some(*c),
            }
        }
    }
    Ok(found)
}

// ---------------------------------------------------------------------------------------------
// Numbers

/// A syntactically valid unsigned decimal: integer digits without separators, and the digits
/// after the dot if there was one.
struct Decimal {
    int: String,
    frac: Option<String>,
}

/// Checks digits, thousands separators and the decimal point (`5`, `5,000`, `5.50`, `.5`).
fn parse_number(text: &str) -> Result<Decimal, ChargeArgsError> {
    let (int, frac) = match text.split_once('.') {
        Some((int, frac)) => (int, Some(frac)),
        None => (text, None),
    };
    if let Some(frac) = frac {
        if frac.contains(',') {
            return Err(ChargeArgsError::MalformedSeparators(shorten(text)));
        }
        if frac.contains('.') {
            // "1.000.000": dots as thousands separators.
            return Err(ChargeArgsError::MalformedSeparators(shorten(text)));
        }
        if frac.is_empty() {
            return Err(not_a_number(text));
        }
    }
    if int.is_empty() && frac.is_none() {
        return Err(not_a_number(text));
    }
    let int = if int.contains(',') {
        let mut groups = int.split(',');
        let head = groups.next().unwrap_or("");
        let head_ok = (1..=3).contains(&head.len()) && !head.starts_with('0');
        let tail_ok = groups.all(|g| g.len() == 3);
        if !head_ok || !tail_ok {
            return Err(ChargeArgsError::MalformedSeparators(shorten(text)));
        }
        int.replace(',', "")
    } else {
        int.to_owned()
    };
    Ok(Decimal {
        int,
        frac: frac.map(str::to_owned),
    })
}

impl Decimal {
    /// The amount in `currency`, within KHQR's rules and this bot's caps.
    fn to_amount(&self, currency: Currency) -> Result<Amount, ChargeArgsError> {
        let frac = self.frac.as_deref();
        let cents = match (currency, frac) {
            (Currency::Khr, Some(_)) => return Err(ChargeArgsError::DecimalsForKhr),
            (Currency::Usd, Some(f)) if f.len() > 2 => {
                return Err(ChargeArgsError::TooManyDecimals);
            }
            (Currency::Usd, Some(f)) => format!("{f:0<2}"),
            (Currency::Usd, None) => "00".to_owned(),
            (Currency::Khr, None) => String::new(),
        };
        let max = max_amount(currency);
        let too_large = ChargeArgsError::TooLarge { max };
        let int = self.int.trim_start_matches('0');
        // Longer than any cap: refuse before the arithmetic could overflow.
        if int.len() > 12 {
            return Err(too_large);
        }
        let minor = format!("{int}{cents}")
            .bytes()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
        if minor == 0 {
            return Err(ChargeArgsError::Zero);
        }
        if minor > max.minor() {
            return Err(too_large);
        }
        Amount::from_minor(minor, currency).map_err(|_| too_large)
    }
}

// ---------------------------------------------------------------------------------------------
// Note

fn parse_note(words: &[&str]) -> Result<Option<String>, ChargeArgsError> {
    if words.is_empty() {
        return Ok(None);
    }
    let note = words.join(" ");
    if note
        .chars()
        .any(|c| c.is_control() || is_bidi_control(c) || khqr::is_invisible(c))
    {
        return Err(ChargeArgsError::NoteControlChars);
    }
    let len = cluster_count(&note);
    if len > MAX_NOTE_CLUSTERS {
        return Err(ChargeArgsError::NoteTooLong {
            len,
            max: MAX_NOTE_CLUSTERS,
        });
    }
    Ok(Some(note))
}

impl fmt::Display for ChargeArgs {
    /// `5.50 USD coffee` — the canonical form, which [`parse_charge`] reads back unchanged.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.amount.currency())?;
        if let Some(note) = &self.note {
            write!(f, " {note}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ChargeArgsError::*;
    use Currency::{Khr, Usd};
    use proptest::prelude::*;

    /// (input, merchant default, minor units, currency, note)
    const ACCEPTED: &[(&str, Currency, u64, Currency, Option<&str>)] = &[
        // Plain numbers take the merchant's currency.
        ("5", Usd, 500, Usd, None),
        ("5", Khr, 5, Khr, None),
        ("007", Usd, 700, Usd, None),
        ("5.5", Usd, 550, Usd, None),
        ("5.50", Usd, 550, Usd, None),
        ("5.05", Usd, 505, Usd, None),
        ("0.01", Usd, 1, Usd, None),
        (".5", Usd, 50, Usd, None),
        ("5000", Khr, 5000, Khr, None),
        // USD, every way round.
        ("5 USD", Khr, 500, Usd, None),
        ("5 usd", Khr, 500, Usd, None),
        ("5usd", Khr, 500, Usd, None),
        ("5USD", Khr, 500, Usd, None),
        ("$5", Khr, 500, Usd, None),
        ("5$", Khr, 500, Usd, None),
        ("$ 5", Khr, 500, Usd, None),
        ("5 $", Khr, 500, Usd, None),
        ("USD 5", Khr, 500, Usd, None),
        ("usd5", Khr, 500, Usd, None),
        ("US$5", Khr, 500, Usd, None),
        ("$.99", Khr, 99, Usd, None),
        ("$5 USD", Khr, 500, Usd, None),
        ("5 dollars", Khr, 500, Usd, None),
        ("5 ដុល្លារ", Khr, 500, Usd, None),
        (
            "5.50 usd coffee and cake",
            Khr,
            550,
            Usd,
            Some("coffee and cake"),
        ),
        ("1,234.56 USD", Khr, 123_456, Usd, None),
        ("10,000 USD", Khr, 1_000_000, Usd, None),
        ("10000.00 USD", Khr, 1_000_000, Usd, None),
        // KHR, every way round.
        ("5,000 KHR", Usd, 5000, Khr, None),
        ("5000៛", Usd, 5000, Khr, None),
        ("៛5000", Usd, 5000, Khr, None),
        ("៛ 5,000", Usd, 5000, Khr, None),
        ("5000 riel", Usd, 5000, Khr, None),
        ("5000 Riels", Usd, 5000, Khr, None),
        ("5000 រៀល", Usd, 5000, Khr, None),
        ("5000khr", Usd, 5000, Khr, None),
        ("5000 khr note", Usd, 5000, Khr, Some("note")),
        ("12,345,678 KHR", Usd, 12_345_678, Khr, None),
        ("40,000,000 KHR", Usd, 40_000_000, Khr, None),
        // Khmer and full-width digits.
        ("៥០០០", Khr, 5000, Khr, None),
        ("៥,០០០ ៛", Usd, 5000, Khr, None),
        ("៛៥០០០ កាហ្វេ", Usd, 5000, Khr, Some("កាហ្វេ")),
        ("៥.៥០", Usd, 550, Usd, None),
        ("５", Usd, 500, Usd, None),
        ("＄5", Khr, 500, Usd, None),
        // Odd spaces, newlines, invisible characters.
        (
            "\u{3000}5\u{00A0}USD\u{2003}tea ",
            Khr,
            500,
            Usd,
            Some("tea"),
        ),
        (
            "  5   USD   iced    coffee  ",
            Khr,
            500,
            Usd,
            Some("iced coffee"),
        ),
        ("5\nUSD\ncoffee\tcake", Khr, 500, Usd, Some("coffee cake")),
        ("\u{200B}5\u{200B} USD", Khr, 500, Usd, None),
        ("\u{FEFF}$5", Khr, 500, Usd, None),
        // The command itself may still be there.
        ("/charge 5 USD", Khr, 500, Usd, None),
        ("/charge@khqr_test_bot 5000", Khr, 5000, Khr, None),
        // Notes: words that are not currencies stay notes.
        ("5 for lunch", Usd, 500, Usd, Some("for lunch")),
        ("5 cup of tea", Usd, 500, Usd, Some("cup of tea")),
        ("5 all items", Usd, 500, Usd, Some("all items")),
        ("5 2 coffees", Usd, 500, Usd, Some("2 coffees")),
        ("5 1000 grams", Usd, 500, Usd, Some("1000 grams")),
        ("5.50 100 g", Usd, 550, Usd, Some("100 g")),
        ("5 USD 100 g", Usd, 500, Usd, Some("100 g")),
        ("5 USD KHR", Usd, 500, Usd, Some("KHR")),
        ("5 ☕ x2", Usd, 500, Usd, Some("☕ x2")),
        // A Khmer note longer than the QR's purpose field (27 UTF-16 units, 15 clusters), and
        // a 60-cluster one: the QR carries a shortened copy.
        (
            "5 កាហ្វេទឹកដោះគោទឹកកក ស្ករតិច",
            Usd,
            500,
            Usd,
            Some("កាហ្វេទឹកដោះគោទឹកកក ស្ករតិច"),
        ),
        (
            "5 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            Usd,
            500,
            Usd,
            Some("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
        ),
        (
            "5 កាហ្វេ\u{200B}ទឹកដោះគោ",
            Usd,
            500,
            Usd,
            Some("កាហ្វេ\u{200B}ទឹកដោះគោ"),
        ),
        (
            "5 aaaaaaaaaaaaaaaaaaaaaaaaa",
            Usd,
            500,
            Usd,
            Some("aaaaaaaaaaaaaaaaaaaaaaaaa"),
        ),
    ];

    fn rejected() -> Vec<(&'static str, Currency, ChargeArgsError)> {
        let s = |text: &str| text.to_owned();
        let usd_max = TooLarge {
            max: max_amount(Usd),
        };
        let khr_max = TooLarge {
            max: max_amount(Khr),
        };
        vec![
            ("", Usd, MissingAmount),
            ("   \u{00A0}\n", Usd, MissingAmount),
            ("/charge", Usd, MissingAmount),
            ("/charge@khqr_test_bot  ", Usd, MissingAmount),
            ("$", Usd, MissingAmount),
            ("USD", Khr, MissingAmount),
            ("៛", Usd, MissingAmount),
            ("abc", Usd, NotANumber(s("abc"))),
            ("coffee 5", Usd, NotANumber(s("coffee"))),
            ("$ coffee", Usd, NotANumber(s("coffee"))),
            ("five dollars", Usd, NotANumber(s("five"))),
            ("5kg rice", Usd, NotANumber(s("5kg"))),
            ("5cup", Usd, NotANumber(s("5cup"))),
            ("x5", Usd, NotANumber(s("x5"))),
            ("+5", Usd, NotANumber(s("+5"))),
            ("1.2.3", Usd, MalformedSeparators(s("1.2.3"))),
            ("1.000.000 KHR", Usd, MalformedSeparators(s("1.000.000"))),
            ("5 000", Khr, MalformedSeparators(s("5 000"))),
            ("5 000 KHR", Usd, MalformedSeparators(s("5 000"))),
            ("៥ ០០០៛", Usd, MalformedSeparators(s("5 000"))),
            ("$5 000", Khr, MalformedSeparators(s("5 000"))),
            ("12 345 678", Khr, MalformedSeparators(s("12 345"))),
            ("5.", Usd, NotANumber(s("5."))),
            (".", Usd, NotANumber(s("."))),
            ("$.", Usd, NotANumber(s("$."))),
            (",", Usd, NotANumber(s(","))),
            (
                "abcdefghijklmnopqrstuvwxyz",
                Usd,
                NotANumber(s("abcdefghijklmnopqrstuvw…")),
            ),
            ("-5", Usd, Negative),
            ("-$5", Usd, Negative),
            ("$-5", Usd, Negative),
            ("\u{2212}5 USD", Khr, Negative),
            ("- 5", Usd, Negative),
            ("-5000 KHR", Usd, Negative),
            ("0", Usd, Zero),
            ("0.00 USD", Khr, Zero),
            ("$0", Khr, Zero),
            ("0 KHR", Usd, Zero),
            ("000", Khr, Zero),
            ("5.123", Usd, TooManyDecimals),
            ("5.000", Usd, TooManyDecimals),
            ("$0.001", Khr, TooManyDecimals),
            ("1.5 KHR", Usd, DecimalsForKhr),
            ("1.5", Khr, DecimalsForKhr),
            ("5.000 KHR", Usd, DecimalsForKhr),
            ("៛1.0", Usd, DecimalsForKhr),
            ("10000.01 USD", Khr, usd_max.clone()),
            ("$10,001", Khr, usd_max.clone()),
            ("99999999999999999999999999 USD", Khr, usd_max),
            ("40,000,001 KHR", Usd, khr_max.clone()),
            ("1000000000000000000000 ៛", Usd, khr_max),
            ("5 EUR", Usd, UnsupportedCurrency(s("EUR"))),
            ("5eur", Usd, UnsupportedCurrency(s("EUR"))),
            ("€5", Usd, UnsupportedCurrency(s("EUR"))),
            ("5€", Usd, UnsupportedCurrency(s("EUR"))),
            ("5 THB", Usd, UnsupportedCurrency(s("THB"))),
            ("5 baht", Usd, UnsupportedCurrency(s("THB"))),
            ("฿100", Usd, UnsupportedCurrency(s("THB"))),
            ("5 CUP", Usd, UnsupportedCurrency(s("CUP"))),
            ("5 usdt", Usd, UnsupportedCurrency(s("USDT"))),
            ("EUR 5", Usd, UnsupportedCurrency(s("EUR"))),
            ("EUR", Usd, UnsupportedCurrency(s("EUR"))),
            ("$5 EUR", Usd, UnsupportedCurrency(s("EUR"))),
            ("5,00 EUR", Usd, UnsupportedCurrency(s("EUR"))),
            (
                "$5 KHR",
                Usd,
                ConflictingCurrency {
                    first: Usd,
                    second: Khr,
                },
            ),
            (
                "៛5000$",
                Usd,
                ConflictingCurrency {
                    first: Khr,
                    second: Usd,
                },
            ),
            (
                "5$ KHR",
                Usd,
                ConflictingCurrency {
                    first: Usd,
                    second: Khr,
                },
            ),
            (
                "KHR $5",
                Usd,
                ConflictingCurrency {
                    first: Khr,
                    second: Usd,
                },
            ),
            ("5,00", Usd, MalformedSeparators(s("5,00"))),
            ("1,2345", Khr, MalformedSeparators(s("1,2345"))),
            ("5,5 USD", Khr, MalformedSeparators(s("5,5"))),
            ("5.000,50", Usd, MalformedSeparators(s("5.000,50"))),
            ("0,500", Khr, MalformedSeparators(s("0,500"))),
            ("5,,000", Khr, MalformedSeparators(s("5,,000"))),
            ("5,", Khr, MalformedSeparators(s("5,"))),
            ("1,000,00", Khr, MalformedSeparators(s("1,000,00"))),
            ("1234,567", Khr, MalformedSeparators(s("1234,567"))),
            (
                "5 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                Usd,
                NoteTooLong { len: 61, max: 60 },
            ),
            (
                // Four times "iced milk coffee, less sugar", single-spaced: 63 clusters.
                "5 USD កាហ្វេទឹកដោះគោទឹកកក ស្ករតិច កាហ្វេទឹកដោះគោទឹកកក ស្ករតិច \
                 កាហ្វេទឹកដោះគោទឹកកក ស្ករតិច កាហ្វេទឹកដោះគោទឹកកក ស្ករតិច",
                Usd,
                NoteTooLong { len: 63, max: 60 },
            ),
            ("5 coffee\u{7}", Usd, NoteControlChars),
            ("5 \u{0}", Usd, NoteControlChars),
            ("5 \u{202E}gnp.exe", Usd, NoteControlChars),
            ("5 co\u{200F}ffee", Usd, NoteControlChars),
            ("5 \u{2066}tea\u{2069}", Usd, NoteControlChars),
            ("5 t\u{2060}ea", Usd, NoteControlChars),
            ("5 \u{3164}", Usd, NoteControlChars),
        ]
    }

    #[test]
    fn accepts_every_documented_form() {
        for &(text, default, minor, currency, note) in ACCEPTED {
            let args = parse_charge(text, default)
                .unwrap_or_else(|e| panic!("{text:?} was refused: {e:?}"));
            assert_eq!(args.amount.minor(), minor, "{text:?}");
            assert_eq!(args.amount.currency(), currency, "{text:?}");
            assert_eq!(args.note.as_deref(), note, "{text:?}");
        }
    }

    #[test]
    fn rejects_every_documented_form_with_its_reason() {
        for (text, default, expected) in rejected() {
            assert_eq!(parse_charge(text, default), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn caps_are_documented_constants_that_fit_khqr() {
        assert_eq!(max_amount(Usd).minor(), MAX_USD_CENTS);
        assert_eq!(max_amount(Usd).to_string(), "10000");
        assert_eq!(max_amount(Khr).minor(), MAX_KHR_RIEL);
        assert_eq!(max_amount(Khr).to_string(), "40000000");
        let at_cap = parse_charge("10,000.00 USD", Khr).unwrap();
        assert_eq!(at_cap.amount, max_amount(Usd));
    }

    #[test]
    fn errors_read_well() {
        let unsupported = parse_charge("5 EUR", Usd).unwrap_err().to_string();
        assert!(unsupported.contains("USD and KHR"), "{unsupported}");
        assert!(unsupported.contains("EUR"), "{unsupported}");
        let large = parse_charge("$20000", Usd).unwrap_err().to_string();
        assert!(large.contains("10000 USD"), "{large}");
    }

    #[test]
    fn display_is_canonical() {
        let args = parse_charge("$ 1,234.5 iced   coffee", Khr).unwrap();
        assert_eq!(args.to_string(), "1234.50 USD iced coffee");
        assert_eq!(parse_charge("៛៥០០០", Usd).unwrap().to_string(), "5000 KHR");
    }

    /// Properties of any successful parse.
    fn check_accepted(text: &str, default: Currency) -> Result<(), TestCaseError> {
        let Ok(args) = parse_charge(text, default) else {
            return Ok(());
        };
        let amount = args.amount;
        prop_assert!(amount.minor() > 0);
        prop_assert!(amount.minor() <= max_amount(amount.currency()).minor());
        prop_assert_eq!(
            Amount::from_minor(amount.minor(), amount.currency()),
            Ok(amount)
        );
        if let Some(note) = &args.note {
            prop_assert!(!note.is_empty());
            prop_assert!(cluster_count(note) <= MAX_NOTE_CLUSTERS);
            prop_assert!(!note.chars().any(char::is_control));
            prop_assert!(
                !note
                    .chars()
                    .any(|c| is_bidi_control(c) || khqr::is_invisible(c))
            );
            prop_assert!(!note.contains("  "));
        }
        // The canonical text reads back to the same charge, whatever the default currency.
        let other = if default == Usd { Khr } else { Usd };
        prop_assert_eq!(parse_charge(&args.to_string(), other), Ok(args));
        Ok(())
    }

    fn group_thousands(n: u64) -> String {
        let digits = n.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    fn khmer_digits(text: &str) -> String {
        text.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_u32(0x17E0 + d).unwrap(),
                None => c,
            })
            .collect()
    }

    proptest! {
        #[test]
        fn never_panics_on_any_text(text in any::<String>(), usd in any::<bool>()) {
            check_accepted(&text, if usd { Usd } else { Khr })?;
        }

        #[test]
        fn never_panics_on_amount_like_text(
            text in "[0-9០-៩.,$៛€ \u{00A0}\u{200B}\u{202E}\u{7}a-zA-Zរៀល\\-]{0,20}",
            usd in any::<bool>(),
        ) {
            check_accepted(&text, if usd { Usd } else { Khr })?;
        }

        #[test]
        fn every_way_of_writing_an_amount_parses_to_it(
            usd in any::<bool>(),
            minor_seed in any::<u64>(),
            style in 0usize..7,
            grouped in any::<bool>(),
            khmer in any::<bool>(),
            short_cents in any::<bool>(),
            note in proptest::option::of(proptest::sample::select(vec![
                "coffee", "iced tea x2", "នំបុ័ង", "២ កែវ", "table 4", "for lunch", "5 cups",
            ])),
        ) {
            let currency = if usd { Usd } else { Khr };
            let minor = 1 + minor_seed % max_amount(currency).minor();
            let whole = if usd { minor / 100 } else { minor };
            let mut number = if grouped { group_thousands(whole) } else { whole.to_string() };
            if usd {
                let cents = minor % 100;
                if cents != 0 || !short_cents {
                    number.push_str(&format!(".{cents:02}"));
                }
            }
            if khmer {
                number = khmer_digits(&number);
            }
            let (sym, code, word) = if usd { ("$", "USD", "dollars") } else { ("៛", "KHR", "riel") };
            let mut text = match style {
                0 => number.clone(),
                1 => format!("{number} {code}"),
                2 => format!("{sym}{number}"),
                3 => format!("{number}{sym}"),
                4 => format!("{sym} {number}"),
                5 => format!("{number}{}", code.to_lowercase()),
                _ => format!("{number} {word}"),
            };
            if let Some(note) = note {
                text.push(' ');
                text.push_str(note);
            }
            // Style 0 names no currency: the merchant default decides.
            let args = parse_charge(&text, currency)
                .map_err(|e| TestCaseError::fail(format!("{text:?}: {e:?}")))?;
            prop_assert_eq!(args.amount.minor(), minor, "{:?}", text);
            prop_assert_eq!(args.amount.currency(), currency);
            prop_assert_eq!(args.note.as_deref(), note);
            check_accepted(&text, currency)?;
        }
    }
}
