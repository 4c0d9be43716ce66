//! Delivering the Telegram follow-ups queued with each state change, until Telegram
//! accepts them.
//!
//! Tasks are read from the store's persistent queue (`telegram_outbox`: [`Store::outbox_claim`],
//! marked with [`Store::outbox_done`] / [`Store::outbox_retry`]), so follow-ups survive
//! restarts; each is handed to a [`Deliver`] (the Telegram side: edit the charge's
//! message, send a notice). A task is marked done only after Telegram accepted it, so an
//! edit is never lost; the deliverer treats "message is not modified" as accepted, so a task
//! delivered twice (crash between sending and marking done) does no harm. Failures are
//! retried with a capped exponential delay.
//!
//! Pacing: Telegram takes at most one message a second in a chat, 20 a minute in a group and
//! about 30 a second in all, and answers more with `retry_after`. The deliverer shares the
//! bot's flood gate (`crate::telegram_pacing`) with the handlers, so:
//! - a chat that had its message this second is skipped ([`DeliveryError::Paced`], not an
//!   attempt) and the drain goes on with other chats — one busy chat holds no one up;
//!   the merchant's later tasks wait too, so their order is kept;
//! - the deliverer waits for the overall budget (25 a second), so a drain of 100 edits takes
//!   at least four seconds instead of going out back to back;
//! - a `retry_after` seen by any request of the bot (an edit here, a handler's reply, a
//!   button answer) pauses the whole outbox ([`Deliver::paused_until`]) until it has passed:
//!   nothing is edited in any chat during the window, the pause is kept across drains, and
//!   the task that met it is rescheduled for after it (persistently, in case of a restart).

use std::collections::HashSet;
use std::future::Future;

use tokio::time::Instant;

use super::lease::{DEFAULT_LEASE_TTL_SECS, release};
use super::types::UnixSecs;
use crate::store::{LeaseKind, OutboxHold, OutboxItem, ReplicaId, Store, StoreError};

/// Why a delivery did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Telegram's flood control: nothing may be sent for `secs` seconds.
    #[error("Telegram asks to retry after {secs} s")]
    RetryAfter { secs: u64 },
    /// Network trouble, Telegram 5xx, a rendering hiccup…: try again.
    #[error("{0}")]
    Transient(String),
    /// Telegram will never accept it (the bot was blocked, the chat is gone): given up.
    #[error("{0}")]
    Permanent(String),
    /// Not tried: its chat had its share of messages; it may go at `until`. Not an attempt.
    #[error("the chat's message budget is used; try again shortly")]
    Paced { until: Instant },
}

/// The Telegram side: carries out one queued follow-up (the row as the store holds it; the
/// deliverer reads the current charge and merchant rows to build the message).
pub trait Deliver: Send + Sync + 'static {
    fn deliver(&self, task: &OutboxItem) -> impl Future<Output = Result<(), DeliveryError>> + Send;

    /// The end of a flood-control pause in force for the whole bot (whichever request met
    /// it), if any: nothing is delivered before. A deliverer without a shared gate says none,
    /// and the outbox then keeps only the pauses its own deliveries met.
    fn paused_until(&self) -> Option<Instant> {
        None
    }
}

/// Retry tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxPolicy {
    /// Delay after the first failure; doubles per failed attempt.
    pub base_secs: u64,
    pub max_secs: u64,
    /// Tasks handled per drain (the rest wait for the next one).
    pub batch: usize,
}

impl Default for OutboxPolicy {
    fn default() -> Self {
        Self {
            base_secs: 2,
            max_secs: 300,
            batch: 100,
        }
    }
}

impl OutboxPolicy {
    /// When to try again after `attempts` failed attempts (including this one).
    pub fn retry_delay_secs(&self, attempts: i64, error: &DeliveryError) -> u64 {
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let backoff = self
            .base_secs
            .saturating_mul(1u64 << exp)
            .min(self.max_secs)
            .max(1);
        match error {
            // Telegram said exactly when; add a second so we are not early.
            DeliveryError::RetryAfter { secs } => secs.saturating_add(1),
            _ => backoff,
        }
    }
}

/// What one drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub delivered: usize,
    pub retried: usize,
    pub given_up: usize,
    /// Left for later because their chat had its share ([`DeliveryError::Paced`]).
    pub deferred: usize,
    /// The earliest time a deferred task may go.
    pub next_ready_at: Option<Instant>,
    /// Left unsent because this replica no longer held their merchant's outbox lease when
    /// it came to send them (it lapsed; the new holder sends them).
    pub lease_lost: usize,
    /// Skipped: delivered meanwhile by the replica that held their merchant before.
    pub already_done: usize,
    /// Telegram's flood control stopped (or prevented) the drain until this time.
    pub paused_until: Option<Instant>,
}

/// [`drain_as`] as a replica of its own (one process, one drain at a time: tests).
pub async fn drain<D: Deliver>(
    store: &Store,
    deliver: &D,
    policy: OutboxPolicy,
    now: UnixSecs,
) -> Result<DrainReport, StoreError> {
    drain_as(
        store,
        deliver,
        policy,
        now,
        &ReplicaId::generate(),
        DEFAULT_LEASE_TTL_SECS,
    )
    .await
}

/// Deliver every due task once, in order, chat by chat as Telegram's limits allow. Stops at
/// once on flood control, and does nothing while it is in force.
///
/// Several replicas: the tasks are those of the merchants whose outbox `me`
/// claims ([`Store::outbox_claim`], leased for `ttl_secs` by the database's clock; the
/// caller renews them with a `lease::Heartbeat` while this runs), so a merchant's follow-ups
/// go out from one replica at a time, in id order. Right before each send the drain checks
/// in SQL that it still holds the merchant ([`Store::hold_outbox_lease`], which renews it)
/// and stops for that merchant if not. The leases are released when the drain ends. `now`
/// is what is due and when failures are retried (the database's clock in the bot).
pub async fn drain_as<D: Deliver>(
    store: &Store,
    deliver: &D,
    policy: OutboxPolicy,
    now: UnixSecs,
    me: &ReplicaId,
    ttl_secs: i64,
) -> Result<DrainReport, StoreError> {
    if let Some(until) = deliver.paused_until() {
        return Ok(DrainReport {
            paused_until: Some(until),
            ..DrainReport::default()
        });
    }
    let result = drain_claimed(store, deliver, policy, now, me, ttl_secs).await;
    release(store, LeaseKind::Outbox, me).await;
    result
}

async fn drain_claimed<D: Deliver>(
    store: &Store,
    deliver: &D,
    policy: OutboxPolicy,
    now: UnixSecs,
    me: &ReplicaId,
    ttl_secs: i64,
) -> Result<DrainReport, StoreError> {
    // `drain_as` returned already if Telegram was pausing us; a pause met since is seen at
    // the first task.
    let mut report = DrainReport::default();
    // Merchants with a task left for later: their next tasks wait too (order, and no
    // second look at a chat known to be busy).
    let mut deferred = HashSet::new();
    // Merchants whose outbox lease lapsed under this drain: their tasks are another's now.
    let mut lost = HashSet::new();
    let limit = i64::try_from(policy.batch.max(1)).unwrap_or(i64::MAX);
    let lease_now = store.now().await?;
    for task in store
        .outbox_claim(me, lease_now, now, ttl_secs, limit, limit)
        .await?
    {
        // A handler's request may have met flood control since the last task.
        if let Some(until) = deliver.paused_until() {
            report.paused_until = Some(until);
            break;
        }
        if deferred.contains(&task.merchant_id) {
            report.deferred += 1;
            continue;
        }
        if lost.contains(&task.merchant_id) {
            report.lease_lost += 1;
            continue;
        }
        let held = store
            .hold_outbox_lease(me, task.merchant_id, task.id, store.now().await?, ttl_secs)
            .await?;
        match held {
            OutboxHold::Held => {}
            OutboxHold::Done => {
                report.already_done += 1;
                continue;
            }
            OutboxHold::Lost => {
                tracing::warn!(task = task.id, merchant = %task.merchant_id, replica = %me, "outbox lease lapsed before sending; leaving this merchant's follow-ups to its new holder");
                lost.insert(task.merchant_id);
                report.lease_lost += 1;
                continue;
            }
        }
        match deliver.deliver(&task).await {
            Ok(()) => {
                store.outbox_done(task.id, now).await?;
                report.delivered += 1;
            }
            Err(DeliveryError::Paced { until }) => {
                deferred.insert(task.merchant_id);
                report.deferred += 1;
                report.next_ready_at = Some(report.next_ready_at.map_or(until, |t| t.min(until)));
            }
            Err(DeliveryError::Permanent(reason)) => {
                tracing::warn!(task = task.id, merchant = %task.merchant_id, kind = %task.kind, %reason, "Telegram refuses this follow-up; giving up");
                store.outbox_retry(task.id, &reason, now).await?;
                store.outbox_done(task.id, now).await?;
                report.given_up += 1;
            }
            Err(error) => {
                let delay = policy.retry_delay_secs(task.attempts.saturating_add(1), &error);
                let next = now.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
                tracing::warn!(task = task.id, merchant = %task.merchant_id, kind = %task.kind, %error, next, "Telegram follow-up failed; will retry");
                store
                    .outbox_retry(task.id, &error.to_string(), next)
                    .await?;
                report.retried += 1;
                if let DeliveryError::RetryAfter { secs } = error {
                    let own = Instant::now() + std::time::Duration::from_secs(secs);
                    report.paused_until = Some(deliver.paused_until().map_or(own, |t| t.max(own)));
                    break;
                }
            }
        }
    }
    Ok(report)
}

/// How often the outbox looks for follow-ups of kinds this build does not know.
const UNKNOWN_LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Follow-ups of kinds this build does not know: a newer replica queued them during a
/// rolling upgrade. They are left undone for a replica that knows them (never given up or
/// marked here, which would lose them); this says so once per kind.
#[derive(Debug, Default)]
pub struct UnknownKinds {
    logged: HashSet<String>,
    next_look: Option<Instant>,
}

impl UnknownKinds {
    /// At most every minute: logs each kind of waiting follow-up this build does not know,
    /// the first time it is seen.
    pub async fn look(&mut self, store: &Store) {
        let now = Instant::now();
        if self.next_look.is_some_and(|at| now < at) {
            return;
        }
        self.next_look = Some(now + UNKNOWN_LOOK_EVERY);
        match store.unknown_follow_up_kinds().await {
            Ok(kinds) => {
                for (kind, waiting) in kinds {
                    if self.logged.insert(kind.clone()) {
                        tracing::warn!(%kind, waiting, "follow-ups of a kind this build does not know: left for a replica that knows it (a newer build)");
                    }
                }
            }
            Err(e) => {
                tracing::debug!(error = %e, "could not look for follow-ups of unknown kinds")
            }
        }
    }
}

#[cfg(test)]
#[path = "outbox_tests.rs"]
mod tests;
