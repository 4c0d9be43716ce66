//! The payment watcher's tasks as the app runs them: the polling loop (every
//! `POLL_INTERVAL_SECS`), the Telegram outbox loop, the daily token-expiry reminders, the
//! automatic token renewal and the daily closing summaries (`/close`). Built at start (the
//! handlers' [`WatcherRef`] needs the watcher), spawned by [`App::run`](super::App::run),
//! stopped on one token. Every pending charge and every unsent follow-up in the database is
//! picked up by the first rounds, so a restart loses nothing.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::bakong::{self, BakongError, ClientConfig};
use crate::bot::followups::TelegramFollowUps;
use crate::bot::watching::{WatcherRef, queue_close_summaries, queue_reminders};
use crate::crypto::SecretBox;
use crate::metrics::Metrics;
use crate::store::{Backend, ReplicaId, Store, StoreError};
use crate::telegram_pacing::PacedBot;
use crate::time::SharedClock;
use crate::watcher::bakong_lookups::watcher_client_config;
use crate::watcher::lease::DEFAULT_LEASE_CHUNK;
use crate::watcher::outbox::OutboxPolicy;
use crate::watcher::renewer::{Renewer, renewal_loop};
use crate::watcher::schedule::Schedule;
use crate::watcher::scheduler::{OutboxLeases, POLL_TICK, outbox_loop_as, poll_loop};
use crate::watcher::sql::SqlWatcherStore;
use crate::watcher::{Watcher, WatcherConfig};

/// How often the outbox is drained when nothing wakes it (retries, restarts).
const OUTBOX_TICK: Duration = Duration::from_secs(1);
/// Longest wait between two looks at token expiries (reminders, renewal); they look as
/// often as the watcher polls when that is more often (two small queries each).
const TOKEN_TICK_MAX: Duration = Duration::from_secs(60);

/// The watcher's loops, built but not yet running.
pub(super) struct WatcherLoops {
    watcher: Watcher<bakong::Client>,
    /// Wakes the outbox (a charge settled, a follow-up queued).
    wake: Arc<Notify>,
    store: Store,
    followups: Arc<TelegramFollowUps>,
    leases: OutboxLeases,
    renewer: Renewer,
    token_tick: Duration,
    clock: SharedClock,
    poll_interval: Duration,
}

impl WatcherLoops {
    /// The watcher on `clock`, counting into `metrics` (Bakong requests and errors, rounds,
    /// follow-ups sent); its follow-ups go through `telegram` (the process's flood gate).
    #[allow(clippy::too_many_arguments)] // ok: the wiring of one process, each part named
    pub(super) fn build(
        store: Store,
        secrets: SecretBox,
        bakong: ClientConfig,
        telegram: PacedBot,
        poll_interval: Duration,
        max_rps: u32,
        clock: SharedClock,
        metrics: Arc<Metrics>,
    ) -> Result<Self, BakongError> {
        let client = Arc::new(
            bakong::Client::new(watcher_client_config(bakong))?.with_metrics(Arc::clone(&metrics)),
        );
        let renewer = Renewer::new(store.clone(), Arc::clone(&client), secrets.clone());
        let token_tick = poll_interval.clamp(Duration::from_secs(1), TOKEN_TICK_MAX);
        // Cancelled/expired charges in their late watch: every sixth round (30 s at the
        // default 5 s interval).
        let late_every =
            i64::try_from(poll_interval.as_secs().saturating_mul(6)).unwrap_or(i64::MAX);
        let sql = Arc::new(
            SqlWatcherStore::new(store.clone(), secrets)
                .late_every(late_every)
                .with_clock(Arc::clone(&clock)),
        );
        let interval = i64::try_from(poll_interval.as_secs()).unwrap_or(i64::MAX);
        let config = WatcherConfig {
            schedule: Schedule::with_interval(interval),
            max_rps,
            round_secs: u32::try_from(POLL_TICK.as_secs().max(1)).unwrap_or(1),
            // SQLite is one process with nobody to share a round with: a round claims every
            // due merchant at once, as chunks would only add claims and lengthen it.
            // Replicas on PostgreSQL share a round by chunks.
            lease_chunk: match store.backend() {
                Backend::Sqlite => usize::MAX,
                Backend::Postgres => DEFAULT_LEASE_CHUNK,
            },
            ..WatcherConfig::default()
        };
        let wake = Arc::new(Notify::new());
        // The process's one identity among the replicas sharing the database (its leases).
        let replica = ReplicaId::generate();
        tracing::info!(%replica, "replica id (names this process's watch and outbox leases)");
        let watcher = Watcher::new(sql, client, config)
            .notify_on_settle(Arc::clone(&wake))
            .with_metrics(Arc::clone(&metrics))
            .with_replica(replica.clone());
        let followups = Arc::new(
            TelegramFollowUps::paced(telegram, store.clone())
                .with_clock(Arc::clone(&clock))
                .with_metrics(metrics),
        );
        Ok(Self {
            watcher,
            wake,
            store,
            followups,
            leases: OutboxLeases {
                replica,
                ttl_secs: config.lease_ttl_secs,
            },
            renewer,
            token_tick,
            clock,
            poll_interval,
        })
    }

    /// What the handlers use ("Check now", waking the outbox).
    pub(super) fn handle(&self) -> WatcherRef {
        WatcherRef::new(self.watcher.clone(), Arc::clone(&self.wake))
    }

    /// Starts every loop on `tasks`; each stops after its current step once `stop` is
    /// cancelled.
    pub(super) fn spawn(self, tasks: &TaskTracker, stop: &CancellationToken) {
        let Self {
            watcher,
            wake,
            store,
            followups,
            leases,
            renewer,
            token_tick,
            clock,
            poll_interval,
        } = self;
        tasks.spawn(poll_loop(
            watcher,
            POLL_TICK,
            Arc::clone(&wake),
            stop.clone(),
        ));
        tasks.spawn(outbox_loop_as(
            store.clone(),
            followups,
            OutboxPolicy::default(),
            OUTBOX_TICK,
            Arc::clone(&wake),
            stop.clone(),
            leases,
        ));
        tasks.spawn(queue_loop(
            "closing summaries",
            store.clone(),
            token_tick,
            Arc::clone(&clock),
            Arc::clone(&wake),
            stop.clone(),
            |store, now| async move { queue_close_summaries(&store, now).await },
        ));
        tasks.spawn(queue_loop(
            "token expiry reminders",
            store,
            token_tick,
            Arc::clone(&clock),
            Arc::clone(&wake),
            stop.clone(),
            |store, now| async move { queue_reminders(&store, now).await },
        ));
        tasks.spawn(renewal_loop(renewer, token_tick, clock, wake, stop.clone()));
        tracing::info!(
            interval_secs = poll_interval.as_secs_f64(),
            "payment watcher started"
        );
    }
}

/// Every `tick` until `stop` is cancelled: runs `queue` (which queues outbox rows for what
/// is due and says how many), then wakes the outbox if it queued anything. `what` names the
/// work in the log. The token-expiry reminders and the closing summaries run this way.
async fn queue_loop<F, Fut>(
    what: &'static str,
    store: Store,
    tick: Duration,
    clock: SharedClock,
    wake: Arc<Notify>,
    stop: CancellationToken,
    queue: F,
) where
    F: Fn(Store, i64) -> Fut,
    Fut: Future<Output = Result<usize, StoreError>>,
{
    while !stop.is_cancelled() {
        match queue(store.clone(), clock.unix_secs()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(count = n, what, "queued");
                wake.notify_one();
            }
            Err(e) => tracing::error!(error = %e, what, "could not queue"),
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            () = stop.cancelled() => {}
        }
    }
}
