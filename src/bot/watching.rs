//! The payment watcher as the bot runs it: the polling loop (every `POLL_INTERVAL_SECS`),
//! the Telegram outbox loop, the daily token-expiry reminders, the automatic token
//! renewal and the daily closing summaries (`/close`), plus the handle that "Check now" uses.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::bakong::{self, BakongError, ClientConfig};
use crate::crypto::SecretBox;
use crate::metrics::Metrics;
use crate::store::{Backend, ChargeId, ReplicaId, Store, StoreError};
use crate::telegram_pacing::PacedBot;
use crate::time::{SharedClock, system_clock};
use crate::watcher::bakong_lookups::watcher_client_config;
use crate::watcher::lease::DEFAULT_LEASE_CHUNK;
use crate::watcher::outbox::OutboxPolicy;
use crate::watcher::reminders::{REMIND_BEFORE_SECS, reminder_due};
use crate::watcher::renewer::{Renewer, renewal_loop};
use crate::watcher::schedule::Schedule;
use crate::watcher::scheduler::{OutboxLeases, POLL_TICK, outbox_loop_as, poll_loop};
use crate::watcher::sql::SqlWatcherStore;
use crate::watcher::{CheckNow, Watcher, WatcherConfig};

use super::followups::TelegramFollowUps;

/// How often the outbox is drained when nothing wakes it (retries, restarts).
const OUTBOX_TICK: Duration = Duration::from_secs(1);
/// Longest wait between two looks at token expiries (reminders, renewal); they look as
/// often as the watcher polls when that is more often (two small queries each).
const TOKEN_TICK_MAX: Duration = Duration::from_secs(60);

type SqlWatcher = Watcher<bakong::Client>;

/// What handlers need from the watcher ("Check now").
#[derive(Clone)]
pub struct WatcherRef {
    watcher: SqlWatcher,
    wake_outbox: Arc<Notify>,
}

impl fmt::Debug for WatcherRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WatcherRef")
    }
}

impl WatcherRef {
    /// Asks Bakong about one charge now; a settled charge's message is edited right away.
    /// Its expiry is judged by the database's clock, as the rounds judge it.
    pub async fn check_now(&self, charge: ChargeId) -> Result<CheckNow, StoreError> {
        let now = self.watcher.store().store().now().await?;
        let outcome = self.watcher.check_now(charge, now).await?;
        if matches!(outcome, CheckNow::Settled(_) | CheckNow::TokenRefused) {
            self.wake_outbox.notify_one();
        }
        Ok(outcome)
    }

    /// Something was queued in the outbox (e.g. a cancellation): deliver it now.
    pub fn wake_outbox(&self) {
        self.wake_outbox.notify_one();
    }
}

/// The running watcher tasks.
pub struct WatcherTasks {
    pub handle: WatcherRef,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl fmt::Debug for WatcherTasks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WatcherTasks({} tasks)", self.tasks.len())
    }
}

impl WatcherTasks {
    /// Starts polling, the outbox and the reminders. Every pending charge and every unsent
    /// follow-up in the database is picked up by the first rounds, so a restart loses
    /// nothing.
    pub fn start(
        store: Store,
        secrets: SecretBox,
        bakong: ClientConfig,
        telegram: PacedBot,
        poll_interval: Duration,
        max_rps: u32,
    ) -> Result<Self, BakongError> {
        Self::start_with_clock(
            store,
            secrets,
            bakong,
            telegram,
            poll_interval,
            max_rps,
            system_clock(),
            Arc::new(Metrics::default()),
        )
    }

    /// [`WatcherTasks::start`] with another clock (tests, benchmarks), counting into
    /// `metrics` (Bakong requests and errors, rounds, follow-ups sent).
    #[allow(clippy::too_many_arguments)] // ok: the wiring of one process, each part named
    pub fn start_with_clock(
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
        let (stop, stopped) = watch::channel(false);
        let followups = Arc::new(
            TelegramFollowUps::paced(telegram, store.clone())
                .with_clock(Arc::clone(&clock))
                .with_metrics(metrics),
        );
        let tasks = vec![
            tokio::spawn(poll_loop(
                watcher.clone(),
                POLL_TICK,
                Arc::clone(&wake),
                stopped.clone(),
            )),
            tokio::spawn(outbox_loop_as(
                store.clone(),
                followups,
                OutboxPolicy::default(),
                OUTBOX_TICK,
                Arc::clone(&wake),
                stopped.clone(),
                OutboxLeases {
                    replica,
                    ttl_secs: config.lease_ttl_secs,
                },
            )),
            tokio::spawn(queue_loop(
                "closing summaries",
                store.clone(),
                token_tick,
                Arc::clone(&clock),
                Arc::clone(&wake),
                stopped.clone(),
                |store, now| async move {
                    super::close_summary::queue_close_summaries(&store, now).await
                },
            )),
            tokio::spawn(queue_loop(
                "token expiry reminders",
                store,
                token_tick,
                Arc::clone(&clock),
                Arc::clone(&wake),
                stopped.clone(),
                |store, now| async move { queue_reminders(&store, now).await },
            )),
            tokio::spawn(renewal_loop(
                renewer,
                token_tick,
                clock,
                Arc::clone(&wake),
                stopped,
            )),
        ];
        tracing::info!(
            interval_secs = poll_interval.as_secs_f64(),
            "payment watcher started"
        );
        Ok(Self {
            handle: WatcherRef {
                watcher,
                wake_outbox: wake,
            },
            stop,
            tasks,
        })
    }

    /// Stops the loops after their current step and waits for them.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            if let Err(e) = task.await {
                tracing::error!(error = %e, "a watcher task failed");
            }
        }
    }
}

/// Queues the day's token-expiry reminders (see [`reminder_due`]). A seller whose token
/// may still renew itself (email on file, renewal not over) is not reminded yet.
pub async fn queue_reminders(store: &Store, now: i64) -> Result<usize, StoreError> {
    let mut queued = 0;
    for (merchant, expires_at, reminded_at) in
        store.tokens_expiring(now + REMIND_BEFORE_SECS).await?
    {
        if reminder_due(Some(expires_at), reminded_at, false, now)
            && !store.renewal_may_come(merchant).await?
            && store
                .queue_token_reminder(merchant, reminded_at, expires_at, now)
                .await?
        {
            queued += 1;
        }
    }
    Ok(queued)
}

/// Every `tick` until `shutdown`: runs `queue` (which queues outbox rows for what is due
/// and says how many), then wakes the outbox if it queued anything. `what` names the work in
/// the log. The token-expiry reminders and the closing summaries run this way.
pub(super) async fn queue_loop<F, Fut>(
    what: &'static str,
    store: Store,
    tick: Duration,
    clock: SharedClock,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
    queue: F,
) where
    F: Fn(Store, i64) -> Fut,
    Fut: std::future::Future<Output = Result<usize, StoreError>>,
{
    loop {
        if *shutdown.borrow() {
            break;
        }
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
            _ = shutdown.changed() => {}
        }
    }
}
