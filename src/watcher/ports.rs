//! What the watcher exchanges with the outside: the port to Bakong ([`Lookups`]: the
//! Bakong client in production, the sandbox or a scripted fake in tests), and the types the
//! round reads from and hands to its store ([`super::sql::SqlWatcherStore`], used
//! directly: it is the only store). The charges themselves are the store's
//! [`DueCharge`]s; what is here is the watcher's own: a merchant's charges with the opened
//! token ([`MerchantBatch`]), and the change a decision calls for ([`Settlement`]).

use std::future::Future;

use super::backoff::TokenVersion;
use super::decide::Decision;
use super::types::{Lookup, LookupFailure, MerchantId, Token, UnixSecs};
use crate::store::{ChargeStatus, DueCharge, Transfer};

/// A merchant's usable token and its version (see [`TokenVersion`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantToken {
    pub token: Token,
    pub version: TokenVersion,
    /// Whether Bakong has accepted this version in an authenticated call already; the
    /// first answered request records it otherwise.
    pub accepted: bool,
}

/// One merchant's due charges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantBatch {
    pub merchant: MerchantId,
    /// `None` when the merchant has no usable token (never set, or it cannot be opened):
    /// the charges are left pending and reported.
    pub token: Option<MerchantToken>,
    /// As the store reads them (pending, or in their late watch), by id.
    pub charges: Vec<DueCharge>,
}

/// A change to commit for a charge. A payment is recorded whatever the charge's state (the
/// ledger decides what it does to the charge); every other variant applies only while the
/// charge is still `pending`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settlement {
    /// A transaction for this QR, not yet in the ledger.
    Payment(Transfer),
    Failed,
    Expired,
    /// Voided by the merchant ("Cancel").
    Cancelled,
    /// Non-terminal: record the first empty answer after expiry (`last_check_at = at`) and
    /// do not look again before `next_poll_at`. No follow-up message.
    LastCheck {
        at: UnixSecs,
        next_poll_at: UnixSecs,
    },
}

impl Settlement {
    /// The state change a decision calls for (`None` for [`Decision::KeepPolling`]).
    pub fn from_decision(decision: Decision, expiry_grace_secs: i64) -> Option<Self> {
        match decision {
            Decision::Record(t) => Some(Settlement::Payment(t)),
            Decision::MarkFailed => Some(Settlement::Failed),
            Decision::MarkExpired => Some(Settlement::Expired),
            Decision::LastCheckThenExpire { at } => Some(Settlement::LastCheck {
                at,
                next_poll_at: at.saturating_add(expiry_grace_secs.max(0)),
            }),
            Decision::KeepPolling => None,
        }
    }

    /// Whether the charge leaves `pending`.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, Settlement::LastCheck { .. })
    }

    /// Short name for logs (events and outbox rows have their own kinds: `EventKind`,
    /// `FollowUpKind`).
    pub fn kind(&self) -> &'static str {
        match self {
            Settlement::Payment(_) => "payment",
            Settlement::Failed => "failed",
            Settlement::Expired => "expired",
            Settlement::Cancelled => "cancelled",
            Settlement::LastCheck { .. } => "last_check",
        }
    }
}

/// Whether a guarded change took effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// This call changed the charge's status to this one (and queued its follow-ups); the
    /// status is `pending` for a non-terminal mark (the last check).
    Changed(ChargeStatus),
    /// This call recorded a payment that left the charge's status as it was (another
    /// payment of a paid QR): the seller is told.
    Recorded,
    /// The transaction already belongs to another charge: nothing changed (the seller is
    /// told once).
    Refused,
    /// Nothing changed: the charge was no longer pending (someone else settled it first),
    /// the payment was already recorded, or the non-terminal mark was already there.
    Unchanged,
}

/// Bakong's md5 lookups.
pub trait Lookups: Send + Sync + 'static {
    /// Look up at most [`super::round::MAX_MD5_PER_REQUEST`] md5s in ONE request
    /// (`check_transaction_by_md5_list`). Items are matched by the md5 they echo. An md5
    /// the answer leaves out is **unanswered** ([`Lookup::Unavailable`], or simply absent
    /// from the result): asked again later, never "not found", never "paid".
    fn check_md5_list(
        &self,
        token: &Token,
        md5s: &[String],
    ) -> impl Future<Output = Result<Vec<(String, Lookup)>, LookupFailure>> + Send;

    /// Look up one md5 (`check_transaction_by_md5`): the probe when the list endpoint is
    /// refused, and the per-md5 polling mode.
    fn check_md5(
        &self,
        token: &Token,
        md5: &str,
    ) -> impl Future<Output = Result<Lookup, LookupFailure>> + Send;
}
