//! What a pay link sells: a fixed amount, or whatever amount the buyer types in one
//! currency, optionally no less than a smallest and no more than a largest amount.

use crate::khqr::{Amount, Currency};

/// A link's price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPrice {
    Fixed(Amount),
    Any(AnyAmount),
}

impl LinkPrice {
    pub fn currency(self) -> Currency {
        match self {
            LinkPrice::Fixed(a) => a.currency(),
            LinkPrice::Any(any) => any.currency(),
        }
    }
}

/// The buyer types the amount: in `currency`, and within `min ..= max` where they are set.
/// Built only by [`AnyAmount::new`], so the bounds are always in the link's currency, above
/// zero and in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnyAmount {
    currency: Currency,
    min: Option<Amount>,
    max: Option<Amount>,
}

/// Why bounds do not make an [`AnyAmount`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BoundsError {
    /// A bound in another currency than the link's.
    #[error("a bound is in {bound}, the link takes {link}")]
    Currency { bound: Currency, link: Currency },
    /// A bound of zero: the buyer could send nothing.
    #[error("a bound is zero")]
    Zero,
    /// The smallest amount is above the largest.
    #[error("the smallest amount is above the largest")]
    MinAboveMax { min: Amount, max: Amount },
}

/// Where a buyer's amount falls outside an [`AnyAmount`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfBounds {
    /// Another currency than the link's.
    Currency,
    /// Below the smallest or above the largest amount.
    Range,
}

impl AnyAmount {
    /// Any amount in `currency`, without bounds.
    pub fn unbounded(currency: Currency) -> Self {
        AnyAmount {
            currency,
            min: None,
            max: None,
        }
    }

    pub fn new(
        currency: Currency,
        min: Option<Amount>,
        max: Option<Amount>,
    ) -> Result<Self, BoundsError> {
        for bound in [min, max].into_iter().flatten() {
            if bound.currency() != currency {
                return Err(BoundsError::Currency {
                    bound: bound.currency(),
                    link: currency,
                });
            }
            if bound.is_zero() {
                return Err(BoundsError::Zero);
            }
        }
        if let (Some(min), Some(max)) = (min, max)
            && min.minor() > max.minor()
        {
            return Err(BoundsError::MinAboveMax { min, max });
        }
        Ok(AnyAmount { currency, min, max })
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    pub fn min(self) -> Option<Amount> {
        self.min
    }

    pub fn max(self) -> Option<Amount> {
        self.max
    }

    /// Whether a buyer may pay `amount` through the link.
    pub fn admits(self, amount: Amount) -> Result<(), OutOfBounds> {
        if amount.currency() != self.currency {
            return Err(OutOfBounds::Currency);
        }
        let below = self.min.is_some_and(|min| amount.minor() < min.minor());
        let above = self.max.is_some_and(|max| amount.minor() > max.minor());
        if below || above {
            return Err(OutOfBounds::Range);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: u64) -> Amount {
        Amount::from_minor(minor, Currency::Usd).unwrap()
    }

    #[test]
    fn bounds_are_in_the_links_currency_above_zero_and_in_order() {
        let khr = Amount::from_minor(5000, Currency::Khr).unwrap();
        assert_eq!(
            AnyAmount::new(Currency::Usd, Some(khr), None),
            Err(BoundsError::Currency {
                bound: Currency::Khr,
                link: Currency::Usd
            })
        );
        assert_eq!(
            AnyAmount::new(Currency::Usd, None, Some(usd(0))),
            Err(BoundsError::Zero)
        );
        assert_eq!(
            AnyAmount::new(Currency::Usd, Some(usd(501)), Some(usd(500))),
            Err(BoundsError::MinAboveMax {
                min: usd(501),
                max: usd(500)
            })
        );
        assert!(AnyAmount::new(Currency::Usd, Some(usd(500)), Some(usd(500))).is_ok());
    }

    #[test]
    fn admits_exactly_the_range_inclusive() {
        let any = AnyAmount::new(Currency::Usd, Some(usd(100)), Some(usd(5000))).unwrap();
        assert_eq!(any.admits(usd(99)), Err(OutOfBounds::Range));
        assert_eq!(any.admits(usd(100)), Ok(()));
        assert_eq!(any.admits(usd(5000)), Ok(()));
        assert_eq!(any.admits(usd(5001)), Err(OutOfBounds::Range));
        let riel = Amount::from_minor(5000, Currency::Khr).unwrap();
        assert_eq!(any.admits(riel), Err(OutOfBounds::Currency));
        let open = AnyAmount::unbounded(Currency::Usd);
        assert_eq!(open.admits(usd(1)), Ok(()));
        assert_eq!(open.admits(usd(1_000_000)), Ok(()));
    }
}
