//! `/link` arguments (pure): a price, an item, and options, which may stand anywhere in the
//! line. The price and item are the /charge grammar ([`parse_charge`], the one parser), or
//! `any` (`ណាមួយ`) and a currency for an amount the buyer types.
//!
//! Options (keywords in any case; each at most once):
//! - `uses N` or `limit N`: at most N sold (1 to [`MAX_USES_LIMIT`]). On a fixed-price link
//!   `max N` says the same (the older spelling).
//! - `until YYYY-MM-DD`: sells until the end of that Phnom Penh day.
//! - `min <amount>`, `max <amount with its currency>` (`max 50 USD`, `max $50`): the
//!   smallest and largest amount a buyer may type, on `any` links only. A bare `max 50` on
//!   an `any` link could mean either, so it is refused with both spellings.
//!
//! A keyword is always an option, never a word of the item: one whose value does not read
//! is refused with a hint rather than left in the note, so a seller never gets a link with a
//! limit they did not mean (or without one they did).
//!
//! `/link 5 USD iced coffee max 20 until 2026-12-31`, `/link 1.5 USD max 2 cake`,
//! `/link any USD min 1 max 50 USD donation`.

use crate::khqr::{Amount, Currency};
use crate::store::{AnyAmount, BoundsError, LinkPrice};
use crate::time::LocalDate;

use crate::bot::charge::args::{ChargeArgsError, parse_charge, shorten, tokenize};
use crate::bot::charge::currency_word::CurrencyWord;

/// The most `uses N` may say.
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

/// Which amount bound an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    Min,
    Max,
}

impl Bound {
    pub fn keyword(self) -> &'static str {
        match self {
            Bound::Min => "min",
            Bound::Max => "max",
        }
    }
}

/// Why a `/link` line was refused. Values echoed back are shortened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkArgsError {
    /// The amount, currency or item, as /charge would say.
    Charge(ChargeArgsError),
    /// A keyword at the end of the line, without its value.
    MissingValue(&'static str),
    /// The same option twice (`max 2 … uses 3`).
    Repeated(&'static str),
    /// `uses` / `limit` / `max` without a whole number from 1 to [`MAX_USES_LIMIT`].
    BadUses(String),
    /// `until` without a `YYYY-MM-DD` date.
    BadUntil(String),
    /// `until` a day already over (`today` is the first day allowed).
    UntilPast { today: LocalDate },
    /// `min` / `max` followed by something that is not an amount.
    BadBound {
        bound: Bound,
        value: String,
        why: ChargeArgsError,
    },
    /// A bare `max N` on an `any` link: a largest amount or a number of uses?
    AmbiguousMax { value: String, currency: Currency },
    /// `min` or an amount after `max` on a fixed-price link.
    BoundOnFixedPrice(Bound),
    /// A bound in another currency than the link's.
    BoundCurrency { bound: Bound, link: Currency },
    /// The smallest amount is above the largest.
    MinAboveMax { min: Amount, max: Amount },
}

impl From<ChargeArgsError> for LinkArgsError {
    fn from(e: ChargeArgsError) -> Self {
        LinkArgsError::Charge(e)
    }
}

const UNTIL: &str = "until";
const USES: &str = "uses";
const MIN: &str = "min";
const MAX: &str = "max";

/// The option keyword `word` is, if any (`limit` is `uses`).
fn keyword(word: &str) -> Option<&'static str> {
    [UNTIL, USES, MIN, MAX]
        .into_iter()
        .chain(std::iter::once("limit"))
        .find(|k| word.eq_ignore_ascii_case(k))
        .map(|k| if k == "limit" { USES } else { k })
}

/// A value after `max`: a bare number (uses on a fixed price) or an amount.
#[derive(Debug)]
enum MaxValue {
    Bare(String),
    Amount(String),
}

/// The options as typed, before the price says what they mean.
#[derive(Debug, Default)]
struct RawOptions {
    uses: Option<String>,
    until: Option<String>,
    min: Option<String>,
    max: Option<MaxValue>,
}

/// Digits and number punctuation only: no currency in it (`50`, `5.50`, `៥០`).
fn is_bare_number(token: &str) -> bool {
    token
        .chars()
        .all(|c| c.is_numeric() || matches!(c, '.' | ',' | '．' | '，'))
}

/// How many tokens an amount after `min` / `max` takes: `50 USD` and `USD 50` take two,
/// `50`, `$50`, `50usd` one.
fn amount_len(tokens: &[&str]) -> usize {
    let is_currency = |t: &&str| CurrencyWord::parse(t).is_some();
    match tokens {
        [first, _, ..] if is_currency(first) => 2,
        [_, second, ..] if is_currency(second) => 2,
        [] => 0,
        _ => 1,
    }
}

/// Takes the options out of `tokens`, wherever they stand; returns them and the other
/// tokens (price and item), in order.
fn split_options<'a>(tokens: &[&'a str]) -> Result<(RawOptions, Vec<&'a str>), LinkArgsError> {
    let mut options = RawOptions::default();
    let mut rest = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while let Some(&word) = tokens.get(i) {
        let Some(key) = keyword(word) else {
            rest.push(word);
            i += 1;
            continue;
        };
        let after = &tokens[i + 1..];
        if after.is_empty() {
            return Err(LinkArgsError::MissingValue(key));
        }
        let bare_max = key == MAX
            && is_bare_number(after[0])
            && after
                .get(1)
                .is_none_or(|t| CurrencyWord::parse(t).is_none());
        let len = match key {
            MIN | MAX if !bare_max => amount_len(after),
            _ => 1,
        };
        let value = after[..len].join(" ");
        let repeated = match key {
            UNTIL => options.until.replace(value).is_some(),
            USES => options.uses.replace(value).is_some(),
            MIN => options.min.replace(value).is_some(),
            _ if bare_max => options.max.replace(MaxValue::Bare(value)).is_some(),
            _ => options.max.replace(MaxValue::Amount(value)).is_some(),
        };
        if repeated {
            return Err(LinkArgsError::Repeated(key));
        }
        i += 1 + len;
    }
    Ok((options, rest))
}

fn parse_uses(value: &str) -> Result<u32, LinkArgsError> {
    value
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=MAX_USES_LIMIT).contains(n))
        .ok_or_else(|| LinkArgsError::BadUses(shorten(value)))
}

/// An amount bound in the link's currency (a bare number is in it).
fn parse_bound(bound: Bound, value: &str, currency: Currency) -> Result<Amount, LinkArgsError> {
    let bad = |why| LinkArgsError::BadBound {
        bound,
        value: shorten(value),
        why,
    };
    let parsed = parse_charge(value, currency).map_err(bad)?;
    if parsed.note.is_some() {
        return Err(bad(ChargeArgsError::NotANumber(shorten(value))));
    }
    if parsed.amount.currency() != currency {
        return Err(LinkArgsError::BoundCurrency {
            bound,
            link: currency,
        });
    }
    Ok(parsed.amount)
}

/// Parses the arguments of `/link` for a shop whose default currency is `default`, on
/// Phnom Penh day `today`.
pub fn parse_link(
    text: &str,
    default: Currency,
    today: LocalDate,
) -> Result<LinkArgs, LinkArgsError> {
    let tokens = tokenize(text);
    let (options, words) = split_options(&tokens)?;
    let until = match &options.until {
        Some(value) => {
            let date = LocalDate::parse_iso(value)
                .ok_or_else(|| LinkArgsError::BadUntil(shorten(value)))?;
            if date < today {
                return Err(LinkArgsError::UntilPast { today });
            }
            Some(date)
        }
        None => None,
    };
    let mut max_uses = options.uses.as_deref().map(parse_uses).transpose()?;
    let any = words
        .first()
        .is_some_and(|w| w.eq_ignore_ascii_case("any") || *w == "ណាមួយ");
    if any {
        // The currency and item as /charge reads them, with a stand-in amount valid in
        // every currency (1); the buyer types the real one.
        let rest = words[1..].join(" ");
        let parsed = parse_charge(&format!("1 {rest}"), default)?;
        let currency = parsed.amount.currency();
        let min = options
            .min
            .as_deref()
            .map(|v| parse_bound(Bound::Min, v, currency))
            .transpose()?;
        let max = match options.max {
            Some(MaxValue::Bare(value)) => {
                return Err(LinkArgsError::AmbiguousMax {
                    value: shorten(&value),
                    currency,
                });
            }
            Some(MaxValue::Amount(value)) => Some(parse_bound(Bound::Max, &value, currency)?),
            None => None,
        };
        let price = AnyAmount::new(currency, min, max).map_err(|e| match e {
            BoundsError::MinAboveMax { min, max } => LinkArgsError::MinAboveMax { min, max },
            // Unreachable: parse_bound checked the currency and /charge's amounts are above
            // zero; said as the currency error rather than trusted away.
            BoundsError::Currency { .. } | BoundsError::Zero => LinkArgsError::BoundCurrency {
                bound: Bound::Min,
                link: currency,
            },
        })?;
        return Ok(LinkArgs {
            price: LinkPrice::Any(price),
            note: parsed.note,
            max_uses,
            until,
        });
    }
    let parsed = parse_charge(&words.join(" "), default)?;
    if options.min.is_some() {
        return Err(LinkArgsError::BoundOnFixedPrice(Bound::Min));
    }
    match options.max {
        Some(MaxValue::Bare(value)) => {
            if max_uses.is_some() {
                return Err(LinkArgsError::Repeated(USES));
            }
            max_uses = Some(parse_uses(&value)?);
        }
        Some(MaxValue::Amount(value)) => {
            // `max 50 USD` is an amount, which a fixed price has no use for; anything else
            // after `max` was meant as a number of uses.
            return Err(match parse_charge(&value, default) {
                Ok(_) => LinkArgsError::BoundOnFixedPrice(Bound::Max),
                Err(_) => LinkArgsError::BadUses(shorten(&value)),
            });
        }
        None => {}
    }
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

    fn today() -> LocalDate {
        LocalDate::new(2026, 12, 1).unwrap()
    }

    fn p(text: &str) -> Result<LinkArgs, LinkArgsError> {
        parse_link(text, Currency::Usd, today())
    }

    fn usd(minor: u64) -> Amount {
        Amount::from_minor(minor, Currency::Usd).unwrap()
    }

    fn any(currency: Currency, min: Option<Amount>, max: Option<Amount>) -> LinkPrice {
        LinkPrice::Any(AnyAmount::new(currency, min, max).unwrap())
    }

    #[test]
    fn fixed_amount_with_both_suffixes_in_either_order() {
        let want = LinkArgs {
            price: LinkPrice::Fixed(usd(500)),
            note: Some("iced coffee".into()),
            max_uses: Some(20),
            until: LocalDate::new(2026, 12, 31),
        };
        assert_eq!(
            p("5 USD iced coffee max 20 until 2026-12-31"),
            Ok(want.clone())
        );
        assert_eq!(
            p("5 USD iced coffee until 2026-12-31 MAX 20"),
            Ok(want.clone())
        );
        assert_eq!(p("5 USD iced coffee uses 20 until 2026-12-31"), Ok(want));
        let plain = p("5000 KHR num pang").unwrap();
        assert_eq!(
            plain.price,
            LinkPrice::Fixed(Amount::from_minor(5000, Currency::Khr).unwrap())
        );
        assert_eq!((plain.max_uses, plain.until), (None, None));
    }

    #[test]
    fn options_are_read_wherever_they_stand_never_left_in_the_item() {
        let cake = LinkArgs {
            price: LinkPrice::Fixed(usd(150)),
            note: Some("cake".into()),
            max_uses: Some(2),
            until: None,
        };
        for line in [
            "1.5 USD max 2 cake",
            "1.5 USD cake max 2",
            "max 2 1.5 USD cake",
            "1.5 USD Limit 2 cake",
            "1.5 USD uses 2 cake",
        ] {
            assert_eq!(p(line), Ok(cake.clone()), "{line}");
        }
        let dated = p("3 USD until 2026-12-24 christmas cake max 5").unwrap();
        assert_eq!(dated.note.as_deref(), Some("christmas cake"));
        assert_eq!(dated.max_uses, Some(5));
        assert_eq!(dated.until, LocalDate::new(2026, 12, 24));
        // A keyword whose value does not read is refused, not taken as the item.
        assert_eq!(
            p("5 USD max burger"),
            Err(LinkArgsError::BadUses("burger".into()))
        );
        assert_eq!(
            p("5 USD 10 min massage"),
            Err(LinkArgsError::BoundOnFixedPrice(Bound::Min))
        );
        assert_eq!(p("5 USD cake max"), Err(LinkArgsError::MissingValue("max")));
        // `max 2 USD` is an amount even when the seller meant uses and the price's currency.
        assert_eq!(
            p("1.5 max 2 USD cake"),
            Err(LinkArgsError::BoundOnFixedPrice(Bound::Max))
        );
        assert_eq!(
            p("5 USD cake until"),
            Err(LinkArgsError::MissingValue("until"))
        );
        // Words that only contain a keyword are the item's.
        assert_eq!(
            p("5 USD maximum minty untilted").unwrap().note.as_deref(),
            Some("maximum minty untilted")
        );
    }

    #[test]
    fn an_option_given_twice_is_refused() {
        assert_eq!(p("5 tea max 2 max 3"), Err(LinkArgsError::Repeated("max")));
        assert_eq!(
            p("5 tea max 2 uses 3"),
            Err(LinkArgsError::Repeated("uses"))
        );
        assert_eq!(
            p("5 tea uses 2 limit 3"),
            Err(LinkArgsError::Repeated("uses"))
        );
        assert_eq!(
            p("5 tea until 2026-12-02 until 2026-12-03"),
            Err(LinkArgsError::Repeated("until"))
        );
        assert_eq!(
            p("any USD min 1 min 2"),
            Err(LinkArgsError::Repeated("min"))
        );
        assert_eq!(
            p("any USD max 2 USD max $3"),
            Err(LinkArgsError::Repeated("max"))
        );
    }

    #[test]
    fn any_amount_keeps_currency_and_note() {
        let a = p("any KHR donation uses 5").unwrap();
        assert_eq!(a.price, any(Currency::Khr, None, None));
        assert_eq!(a.note.as_deref(), Some("donation"));
        assert_eq!(a.max_uses, Some(5));
        assert_eq!(p("ANY").unwrap().price, any(Currency::Usd, None, None));
        assert_eq!(p("ណាមួយ KHR").unwrap().price, any(Currency::Khr, None, None));
    }

    #[test]
    fn any_amount_takes_min_and_max_amounts_in_its_currency() {
        let want = any(Currency::Usd, Some(usd(100)), Some(usd(5000)));
        for line in [
            "any USD min 1 max 50 USD donation",
            "any USD donation min 1 USD max $50",
            "any min $1 max 50usd USD donation",
            "any USD min USD 1 max USD 50 donation",
            "max 50 dollars any USD donation min 1",
        ] {
            let parsed = p(line).unwrap_or_else(|e| panic!("{line}: {e:?}"));
            assert_eq!(parsed.price, want, "{line}");
            assert_eq!(parsed.note.as_deref(), Some("donation"), "{line}");
            assert_eq!(parsed.max_uses, None, "{line}");
        }
        let riel = p("any KHR min 5000 temple").unwrap();
        assert_eq!(
            riel.price,
            any(
                Currency::Khr,
                Some(Amount::from_minor(5000, Currency::Khr).unwrap()),
                None
            )
        );
        let both = p("any USD max 20 USD uses 3 gift").unwrap();
        assert_eq!(both.price, any(Currency::Usd, None, Some(usd(2000))));
        assert_eq!(both.max_uses, Some(3));
    }

    #[test]
    fn amount_bounds_are_refused_where_they_mean_nothing_or_could_mean_two_things() {
        assert_eq!(
            p("any USD min 1 max 50 donation"),
            Err(LinkArgsError::AmbiguousMax {
                value: "50".into(),
                currency: Currency::Usd
            })
        );
        assert_eq!(
            p("5 USD tea max 20 USD"),
            Err(LinkArgsError::BoundOnFixedPrice(Bound::Max))
        );
        assert_eq!(
            p("5 USD tea min 1"),
            Err(LinkArgsError::BoundOnFixedPrice(Bound::Min))
        );
        assert_eq!(
            p("any USD min 5000 KHR"),
            Err(LinkArgsError::BoundCurrency {
                bound: Bound::Min,
                link: Currency::Usd
            })
        );
        assert_eq!(
            p("any KHR max $5"),
            Err(LinkArgsError::BoundCurrency {
                bound: Bound::Max,
                link: Currency::Khr
            })
        );
        assert_eq!(
            p("any USD min 50 max 10 USD"),
            Err(LinkArgsError::MinAboveMax {
                min: usd(5000),
                max: usd(1000)
            })
        );
        assert_eq!(
            p("any USD min 0"),
            Err(LinkArgsError::BadBound {
                bound: Bound::Min,
                value: "0".into(),
                why: ChargeArgsError::Zero
            })
        );
        assert_eq!(
            p("any USD min lots"),
            Err(LinkArgsError::BadBound {
                bound: Bound::Min,
                value: "lots".into(),
                why: ChargeArgsError::NotANumber("lots".into())
            })
        );
        assert_eq!(
            p("any KHR min 1.5"),
            Err(LinkArgsError::BadBound {
                bound: Bound::Min,
                value: "1.5".into(),
                why: ChargeArgsError::DecimalsForKhr
            })
        );
        assert!(matches!(
            p("any USD max 20000 USD"),
            Err(LinkArgsError::BadBound {
                bound: Bound::Max,
                why: ChargeArgsError::TooLarge { .. },
                ..
            })
        ));
    }

    #[test]
    fn bad_suffixes_and_amounts_are_refused() {
        assert_eq!(p("5 tea max 0"), Err(LinkArgsError::BadUses("0".into())));
        assert_eq!(
            p("5 tea max lots"),
            Err(LinkArgsError::BadUses("lots".into()))
        );
        assert_eq!(
            p("5 tea max 2.5"),
            Err(LinkArgsError::BadUses("2.5".into()))
        );
        assert_eq!(
            p("5 tea uses 100001"),
            Err(LinkArgsError::BadUses("100001".into()))
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
            p("max 3"),
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
        // Echoed values are shortened.
        let long = "x".repeat(500);
        let Err(LinkArgsError::BadUntil(echo)) = p(&format!("5 tea until {long}")) else {
            panic!("not refused")
        };
        assert!(echo.chars().count() <= 24, "{echo}");
    }
}
