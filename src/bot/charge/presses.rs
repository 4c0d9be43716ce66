//! How often a person's button press may ask Bakong ("Check now", the check before a
//! Cancel): the one limit for the seller's presses and a customer's or buyer's alike.
//!
//! - Per charge: at most one press that asks, per [`CHECK_GAP_SECS`] (`charges.guest_check_at`,
//!   a guarded update: racing presses get one).
//! - Per seller: at most [`SELLER_PRESSES`] presses that ask, whoever pressed, on any of the
//!   seller's charges — they all use the seller's token.
//!
//! Both live in the database, so every replica counts the same presses. A press within the
//! limits then waits for a slot of the watcher's pacer (`Watcher::check_now`), the one that
//! paces per-md5 polling, and a 429 it meets backs off the seller's token only. The watcher
//! keeps polling every charge on its own schedule meanwhile, so a refused press loses
//! nothing.

use crate::store::{ChargeId, MerchantId, Quota, QuotaScope, StoreError};

use crate::bot::Ctx;

/// At most one press that asks Bakong about one charge per this many seconds.
pub(in crate::bot) const CHECK_GAP_SECS: i64 = 10;

/// Presses that ask Bakong with one seller's token, per minute.
pub(in crate::bot) const SELLER_PRESSES: Quota = Quota {
    scope: QuotaScope::BakongPress,
    window_secs: 60,
    max: 10,
};

/// Whether a press may ask Bakong now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::bot) enum Press {
    /// Within the limits: ask (and the press was counted).
    Ask,
    /// This charge was asked about by a press less than [`CHECK_GAP_SECS`] ago.
    JustChecked,
    /// The seller's presses for this minute are used up.
    SlowDown,
}

/// Claims a press on `charge` of `merchant`: first the charge's gap, then the seller's
/// quota (a press refused by the gap uses none of the quota).
pub(in crate::bot) async fn claim(
    ctx: &Ctx,
    charge: ChargeId,
    merchant: MerchantId,
) -> Result<Press, StoreError> {
    let now = ctx.clock.unix_secs();
    if !ctx
        .store
        .claim_charge_check(charge, now, CHECK_GAP_SECS)
        .await?
    {
        return Ok(Press::JustChecked);
    }
    if !ctx
        .store
        .claim_quota(SELLER_PRESSES, merchant.0, now)
        .await?
    {
        tracing::info!(%merchant, %charge, "presses that ask Bakong used up for this minute: refused");
        return Ok(Press::SlowDown);
    }
    Ok(Press::Ask)
}
