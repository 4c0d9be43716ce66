//! Transfers as the watcher's rules make them from Bakong's answers, for tests that record
//! payments straight at the store (`Store::record_payment`).

use khqr_bot::khqr::Currency;
use khqr_bot::store::{Arrival, Fit, Money, Transfer};

/// `minor` of `currency` to `to`, judged against `asked` minor units of `currency` asked
/// to `to` (counted: the charge's own account).
pub fn counted(
    hash: &str,
    to: &str,
    currency: Currency,
    minor: u64,
    asked: u64,
    paid_at: i64,
) -> Transfer {
    let money = Money { currency, minor };
    let fit = Fit::of(
        Money {
            currency,
            minor: asked,
        },
        money,
    );
    Transfer {
        hash: hash.to_ascii_lowercase(),
        payer_account: "payer@wing".into(),
        to_account: to.into(),
        currency: currency.alpha().into(),
        amount: minor.to_string(),
        arrival: Arrival::Counted { money, fit },
        paid_at,
        late: false,
    }
}

/// Exactly `minor` of `currency`, as asked, to `to`.
pub fn exact(hash: &str, to: &str, currency: Currency, minor: u64, paid_at: i64) -> Transfer {
    counted(hash, to, currency, minor, minor, paid_at)
}

/// A transfer for the QR that went to another account: recorded, never counted.
pub fn elsewhere(hash: &str, to: &str, currency: Currency, minor: u64, paid_at: i64) -> Transfer {
    Transfer {
        arrival: Arrival::NotCounted {
            readable: Some(Money { currency, minor }),
        },
        ..exact(hash, to, currency, minor, paid_at)
    }
}
