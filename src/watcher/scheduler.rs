//! The long-running tasks: a polling round every [`POLL_TICK`] (1 s) — which charges it asks
//! about is the [`super::schedule`]'s business (young charges every 2 s, older ones every
//! `POLL_INTERVAL_SECS`) — and the outbox drain, woken as soon as a charge is settled (and
//! on its own tick, for retries and restarts).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::lease::{DEFAULT_LEASE_TTL_SECS, Heartbeat};
use super::outbox::{Deliver, OutboxPolicy, UnknownKinds, drain_as};
use super::ports::Lookups;
use super::round::Watcher;
use super::types::UnixSecs;
use crate::store::{LeaseKind, ReplicaId, Store, StoreError};

/// Default polling cadence of charges older than 3 minutes (`POLL_INTERVAL_SECS`).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

/// How often the poll loop runs a round (each round asks only about the due charges).
pub const POLL_TICK: Duration = Duration::from_secs(1);

/// A charge left `creating` this long was interrupted (its process died while sending the
/// card): longer than any card send, the handlers' flood-control waits included. Younger
/// ones may be in the middle of being sent by a live replica and are left alone.
pub const RECOVERY_GRACE_SECS: i64 = 5 * 60;

/// How often the poll loop recovers interrupted charges (a dead replica's, without a
/// restart).
pub const RECOVERY_EVERY_SECS: i64 = 60;

/// Recovers the charges left `creating` for over [`RECOVERY_GRACE_SECS`] at `now`
/// (`Store::recover_creating_charges`: pending without a message id, watched like the
/// rest). Every replica may run it: the statement is guarded by `status = 'creating'`.
pub async fn recover_interrupted(store: &Store, now: UnixSecs) -> Result<(), StoreError> {
    let recovered = store
        .recover_creating_charges(now.saturating_sub(RECOVERY_GRACE_SECS), now)
        .await?;
    if !recovered.is_empty() {
        tracing::warn!(
            count = recovered.len(),
            ?recovered,
            "recovered charges interrupted while sending"
        );
    }
    Ok(())
}

/// Runs a round every `interval` until `shutdown` is cancelled.
/// A round that overruns delays the next one (rounds never overlap). Every
/// [`RECOVERY_EVERY_SECS`] it also recovers interrupted charges ([`recover_interrupted`]).
///
/// A round's "now" (what is due, what has expired, when each charge is asked next) is the
/// database's clock, read once per round (`Store::now`): every replica judges by the same
/// clock, so one whose own clock runs ahead cannot end a charge early.
pub async fn poll_loop<L>(
    watcher: Watcher<L>,
    interval: Duration,
    wake_outbox: Arc<Notify>,
    shutdown: CancellationToken,
) where
    L: Lookups,
{
    let mut ticker = tokio::time::interval(interval.max(Duration::from_millis(100)));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Start-up has just recovered (`App::start`): the first recovery is a minute after the
    // first round.
    let mut next_recovery: Option<UnixSecs> = None;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            () = shutdown.cancelled() => {}
        }
        if shutdown.is_cancelled() {
            break;
        }
        let now = match watcher.store().store().now().await {
            Ok(now) => now,
            Err(e) => {
                tracing::error!(error = %e, "could not read the database's clock; next round will retry");
                continue;
            }
        };
        let next_recovery = next_recovery.get_or_insert(now.saturating_add(RECOVERY_EVERY_SECS));
        if now >= *next_recovery {
            *next_recovery = now.saturating_add(RECOVERY_EVERY_SECS);
            if let Err(e) = recover_interrupted(watcher.store().store(), now).await {
                tracing::error!(error = %e, "could not recover interrupted charges; will retry");
            }
        }
        match watcher.run_round(now).await {
            Ok(report) => {
                if report.settled() > 0 || report.request_failures > 0 {
                    wake_outbox.notify_one();
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "could not load pending charges; next round will retry")
            }
        }
    }
    tracing::info!("payment watcher stopped");
}

/// Drains the outbox when woken, and at least every `tick`, until `shutdown`.
///
/// Paced (see [`super::outbox`]): while Telegram's flood control is in force — met by a
/// delivery here or by any other request of the bot — it sleeps until the pause is over,
/// whatever wakes it; a drain that left tasks for a busy chat is followed by another when
/// that chat may be written to again. A drain's "now" (what is due, when to retry) is the
/// database's clock (`Store::now`), like its leases'.
pub async fn outbox_loop<D>(
    store: Store,
    deliver: Arc<D>,
    policy: OutboxPolicy,
    tick: Duration,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
) where
    D: Deliver,
{
    let leases = OutboxLeases {
        replica: ReplicaId::generate(),
        ttl_secs: DEFAULT_LEASE_TTL_SECS,
    };
    outbox_loop_as(store, deliver, policy, tick, wake, shutdown, leases).await;
}

/// Whose outbox leases a drain takes, and for how long.
#[derive(Debug, Clone)]
pub struct OutboxLeases {
    pub replica: ReplicaId,
    pub ttl_secs: i64,
}

/// [`outbox_loop`] as the replica `leases.replica`: each drain claims the merchants it
/// delivers for, renews them while it runs and releases them after. Follow-ups of kinds
/// this build does not know are left for a replica that knows them (logged once a kind).
pub async fn outbox_loop_as<D>(
    store: Store,
    deliver: Arc<D>,
    policy: OutboxPolicy,
    tick: Duration,
    wake: Arc<Notify>,
    shutdown: CancellationToken,
    leases: OutboxLeases,
) where
    D: Deliver,
{
    // The pause the drains met, kept across drains (the deliverer may not share a gate).
    let mut paused_until: Option<Instant> = None;
    let mut unknown = UnknownKinds::default();
    while !shutdown.is_cancelled() {
        let paused = [paused_until, deliver.paused_until()]
            .into_iter()
            .flatten()
            .max()
            .filter(|until| *until > Instant::now());
        if let Some(until) = paused {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => {}
                () = shutdown.cancelled() => {}
            }
            continue;
        }
        paused_until = None;
        let mut next = Instant::now() + tick;
        unknown.look(&store).await;
        let heartbeat = Heartbeat::start(
            store.clone(),
            LeaseKind::Outbox,
            leases.replica.clone(),
            leases.ttl_secs,
        );
        let drained = match store.now().await {
            Ok(now) => {
                drain_as(
                    &store,
                    deliver.as_ref(),
                    policy,
                    now,
                    &leases.replica,
                    leases.ttl_secs,
                )
                .await
            }
            Err(e) => Err(e),
        };
        drop(heartbeat);
        match drained {
            Ok(r) if r.paused_until.is_some() => {
                paused_until = r.paused_until;
                continue;
            }
            // A full batch: more may be waiting, go on at once.
            Ok(r) if r.delivered + r.given_up >= policy.batch => continue,
            Ok(r) => {
                if let Some(ready) = r.next_ready_at {
                    next = next.min(ready);
                }
            }
            Err(e) => tracing::error!(error = %e, "could not read the Telegram outbox"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep_until(next) => {}
            () = shutdown.cancelled() => {}
        }
    }
    tracing::info!("Telegram outbox stopped");
}
