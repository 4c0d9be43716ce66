//! `/link` arguments (pure): the /charge grammar for amount, currency and note
//! ([`parse_charge`], the one parser), or `any` for a variable amount, then optional
//! `max N` and `until YYYY-MM-DD` suffixes in either order.
//!
//! `/link 5 USD iced coffee max 20 until 2026-12-31`, `/link any KHR donation`.

use crate::khqr::Currency;
use crate::store::LinkPrice;
use crate::time::LocalDate;

use super::charge_args::{ChargeArgsError, parse_charge};

/// The most `max N` may say.
pub const MAX_USES_LIMIT: u32 = 100_000;

/// A `/link` line, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkArgs {
    pub price: LinkPrice,
    pub note: Option<String>,
    pub max_uses: Option<u32>,
    /// The last Phnom Penh day the link sells (inclusive).
    pub until: Option<LocalDate>,
}

/// Why a `/link` line was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkArgsError {
    /// The amount, currency or note, as /charge would say.
    Charge(ChargeArgsError),
    /// `max` without a whole number from 1 to [`MAX_USES_LIMIT`].
    BadMax(String),
    /// `until` without a `YYYY-MM-DD` date.
    BadUntil(String),
    /// `until` a day already over (`today` is the first day allowed).
    UntilPast { today: LocalDate },
}

impl From<ChargeArgsError> for LinkArgsError {
    fn from(e: ChargeArgsError) -> Self {
        LinkArgsError::Charge(e)
    }
}

/// Parses the arguments of `/link` for a shop whose default currency is `default`, on
/// Phnom Penh day `today`.
pub fn parse_link(
    text: &str,
    default: Currency,
    today: LocalDate,
) -> Result<LinkArgs, LinkArgsError> {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    let mut max_uses = None;
    let mut until = None;
    // Suffixes, from the end: `… max 20 until 2026-12-31` or the other way round.
    while words.len() >= 2 {
        let key = words[words.len() - 2];
        let value = words[words.len() - 1];
        if key.eq_ignore_ascii_case("max") && max_uses.is_none() {
            let n = value
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_USES_LIMIT).contains(n))
                .ok_or_else(|| LinkArgsError::BadMax(value.to_owned()))?;
            max_uses = Some(n);
        } else if key.eq_ignore_ascii_case("until") && until.is_none() {
            let date = LocalDate::parse_iso(value)
                .ok_or_else(|| LinkArgsError::BadUntil(value.to_owned()))?;
            if date < today {
                return Err(LinkArgsError::UntilPast { today });
            }
            until = Some(date);
        } else {
            break;
        }
        words.truncate(words.len() - 2);
    }
    let any = words
        .first()
        .is_some_and(|w| w.eq_ignore_ascii_case("any") || *w == "ណាមួយ");
    if any {
        // The currency and note as /charge reads them, with a stand-in amount valid in
        // every currency (1); the buyer types the real one.
        let rest = words[1..].join(" ");
        let parsed = parse_charge(&format!("1 {rest}"), default)?;
        return Ok(LinkArgs {
            price: LinkPrice::Any(parsed.amount.currency()),
            note: parsed.note,
            max_uses,
            until,
        });
    }
    let parsed = parse_charge(&words.join(" "), default)?;
    Ok(LinkArgs {
        price: LinkPrice::Fixed(parsed.amount),
        note: parsed.note,
        max_uses,
        until,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::khqr::Amount;

    fn today() -> LocalDate {
        LocalDate::new(2026, 12, 1).unwrap()
    }

    fn p(text: &str) -> Result<LinkArgs, LinkArgsError> {
        parse_link(text, Currency::Usd, today())
    }

    #[test]
    fn fixed_amount_with_both_suffixes_in_either_order() {
        let want = LinkArgs {
            price: LinkPrice::Fixed(Amount::from_minor(500, Currency::Usd).unwrap()),
            note: Some("iced coffee".into()),
            max_uses: Some(20),
            until: LocalDate::new(2026, 12, 31),
        };
        assert_eq!(
            p("5 USD iced coffee max 20 until 2026-12-31"),
            Ok(want.clone())
        );
        assert_eq!(p("5 USD iced coffee until 2026-12-31 MAX 20"), Ok(want));
        let plain = p("5000 KHR num pang").unwrap();
        assert_eq!(
            plain.price,
            LinkPrice::Fixed(Amount::from_minor(5000, Currency::Khr).unwrap())
        );
        assert_eq!((plain.max_uses, plain.until), (None, None));
    }

    #[test]
    fn any_amount_keeps_currency_and_note() {
        let a = p("any KHR donation max 5").unwrap();
        assert_eq!(a.price, LinkPrice::Any(Currency::Khr));
        assert_eq!(a.note.as_deref(), Some("donation"));
        assert_eq!(a.max_uses, Some(5));
        assert_eq!(p("ANY").unwrap().price, LinkPrice::Any(Currency::Usd));
    }

    #[test]
    fn bad_suffixes_and_amounts_are_refused() {
        assert_eq!(p("5 tea max 0"), Err(LinkArgsError::BadMax("0".into())));
        assert_eq!(
            p("5 tea max lots"),
            Err(LinkArgsError::BadMax("lots".into()))
        );
        assert_eq!(
            p("5 tea until tomorrow"),
            Err(LinkArgsError::BadUntil("tomorrow".into()))
        );
        assert_eq!(
            p("5 tea until 2026-11-30"),
            Err(LinkArgsError::UntilPast { today: today() })
        );
        assert!(p("5 tea until 2026-12-01").is_ok());
        assert_eq!(
            p(""),
            Err(LinkArgsError::Charge(ChargeArgsError::MissingAmount))
        );
        assert_eq!(
            p("-5 tea"),
            Err(LinkArgsError::Charge(ChargeArgsError::Negative))
        );
        assert!(matches!(
            p("5 EUR tea"),
            Err(LinkArgsError::Charge(ChargeArgsError::UnsupportedCurrency(
                _
            )))
        ));
    }
}
