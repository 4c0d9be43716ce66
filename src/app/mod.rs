//! The process: start-up wiring from a [`Config`] — key, database (+ migrations, crash
//! recovery), Bakong client, Telegram bot, payment watcher, outbox, sweeps, ops server,
//! webhook or polling — and the lifetime of every part. `khqr-bot run`, the demo and the
//! end-to-end tests all go through here: [`App::start`] builds (and binds the listeners, so a
//! busy address stops start-up with the setting's name), [`App::run`] runs until stopped.
//!
//! One [`CancellationToken`] tree stops everything, in this order:
//!
//! ```text
//! lifetime                      cancelled last: the ops server
//! ├── watcher                   poll loop, outbox, reminders, closing summaries, renewal
//! └── shutdown                  App::shutdown_token: SIGTERM/SIGINT, the demo's stop, a test's stop
//!     ├── updates (polling)     also cancelled when the poller lock is lost
//!     └── sweeps                inline drafts nobody chose
//! ```
//!
//! A stop (`shutdown` cancelled) first stops the update listener: no new update is taken, the
//! dispatcher handles those in hand, the poller lock is released and the webhook server
//! closes; then the sweeps stop. Only then are the watcher's loops stopped (each after its
//! current step: a round or a drain releases its leases) — so what the last updates queued
//! or settled meets a running outbox — and last the ops server, which answers until the end.
//! The dispatcher ending by itself (the poller lock lost, Telegram unreachable at start)
//! stops the rest the same way. Each group's tasks are waited for on its [`TaskTracker`].

use std::net::SocketAddr;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::bakong::{self, ClientConfig};
use crate::bot::{Bot, Ctx};
use crate::config::Config;
use crate::crypto::SecretBox;
use crate::keys::{self, KeyCheckError};
use crate::metrics::Metrics;
use crate::ops::{Health, OpsServer, WebhookServer};
use crate::store::{Store, StoreError};
use crate::telegram_pacing::{FloodGate, Limits, PacedBot, WaitPolicy};
use crate::time::{SharedClock, system_clock};

mod updates;
mod watcher;

use watcher::WatcherLoops;

/// Why [`App::start`] refused to start, naming the setting to look at.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A missing, malformed or wrong key: the bot does not start (and changes nothing).
    #[error("KHQR_BOT_SECRET_KEY: {0}")]
    Key(KeyCheckError),
    #[error("DATABASE_URL: {0}")]
    Store(#[from] StoreError),
    #[error("BAKONG_API_URL: {0}")]
    Bakong(#[from] bakong::BakongError),
    /// `METRICS_LISTEN` or `TELEGRAM_WEBHOOK_LISTEN` cannot be bound (in use, no such
    /// address, a privileged port).
    #[error("{setting}: cannot listen on {addr}: {source}")]
    Listen {
        setting: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Why [`App::run`] stopped with an error, naming the settings to look at.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `getMe` failed at start, or polling could not start.
    #[error("TELOXIDE_TOKEN / TELOXIDE_API_URL: cannot reach Telegram with this bot token: {0}")]
    Telegram(teloxide::RequestError),
    /// Telegram refused `setWebhook` (e.g. a URL it cannot reach) or could not be asked.
    #[error("TELEGRAM_WEBHOOK_URL: Telegram did not accept the webhook: {0}")]
    Webhook(teloxide::RequestError),
}

/// Everything `khqr-bot run` needs, built (database open, listeners bound) but not running.
pub struct App {
    pub store: Store,
    /// The process's counters (what `/metrics` shows).
    pub metrics: Arc<Metrics>,
    /// Where `/healthz` and `/metrics` are served (`METRICS_LISTEN`, port 0 resolved).
    pub ops_addr: Option<SocketAddr>,
    /// Where webhook updates are accepted (`TELEGRAM_WEBHOOK_LISTEN`, port 0 resolved).
    pub webhook_addr: Option<SocketAddr>,
    bot: Bot,
    watcher: WatcherLoops,
    /// `/healthz` and `/metrics` (`METRICS_LISTEN`), bound.
    ops: Option<OpsServer>,
    /// Webhook mode: updates come from this listener instead of long polling.
    webhook: Option<WebhookServer>,
    /// The root of the tree (see the module's documentation).
    lifetime: CancellationToken,
    /// A child of `lifetime`: what [`App::shutdown_token`] hands out.
    shutdown: CancellationToken,
}

impl App {
    /// Opens and migrates the database, loads the token key and checks it against the
    /// database's key check value (refusing another key; creating a key file only for a
    /// database never used), recovers charges interrupted by a crash, and builds the bot.
    /// Must run inside a tokio runtime.
    pub async fn start(config: &Config) -> Result<Self, StartError> {
        Self::start_with(config, system_clock(), Limits::default()).await
    }

    /// [`App::start`] with the watcher's tasks (polling, outbox, reminders, token renewal)
    /// on another clock, and the bot's messages paced by `limits` rather than Telegram's
    /// (tests: milliseconds rather than a second between two messages in a chat, so an
    /// end-to-end test does not wait a second per message). Flood control (`retry_after`)
    /// is obeyed either way.
    pub async fn start_with(
        config: &Config,
        clock: SharedClock,
        limits: Limits,
    ) -> Result<Self, StartError> {
        // The database's clock judges leases, expiry and schedules (`Store::now`), read
        // through the process's clock (tests move both together).
        let store = Store::open(&config.database_url)
            .await?
            .with_clock(Arc::clone(&clock));
        let key = keys::unlock(&config.secret_key, &store, clock.unix_secs())
            .await
            .map_err(|e| match e {
                KeyCheckError::Store(e) => StartError::Store(e),
                other => StartError::Key(other),
            })?;
        let now = clock.unix_secs();
        // Other replicas may be sending cards right now: only charges `creating` for longer
        // than any send are interrupted ones (the poll loop goes on recovering every
        // minute, so a dead replica's are recovered without a restart).
        crate::watcher::scheduler::recover_interrupted(&store, now).await?;

        // Parse the card fonts now, off the async threads, so the first /charge is not slow.
        tokio::task::spawn_blocking(crate::render::warm_up);

        let mut bakong_config = ClientConfig::default();
        if let Some(url) = &config.bakong_api_url {
            bakong_config = bakong_config.with_base_url(url.as_str());
        }
        let metrics = Arc::new(Metrics::default());
        let bakong = bakong::Client::new(bakong_config.clone())?.with_metrics(Arc::clone(&metrics));

        // The one plain bot: wrapped in the flood gate below; bare only for polling and the
        // health probe.
        #[allow(clippy::disallowed_types)]
        let mut plain = teloxide::Bot::new(config.telegram_token.expose());
        if let Some(url) = &config.telegram_api_url {
            plain = plain.set_api_url(url.clone());
        }
        // Bound now, so that a busy address stops start-up with the setting's name.
        let webhook = match &config.webhook {
            Some(hook) => Some(WebhookServer::bind(hook, store.clone()).await.map_err(
                |source| StartError::Listen {
                    setting: "TELEGRAM_WEBHOOK_LISTEN",
                    addr: hook.listen,
                    source,
                },
            )?),
            None => None,
        };
        let ops = match config.metrics_listen {
            Some(addr) => {
                let health = Health::new(store.clone(), plain.clone(), Arc::clone(&clock));
                Some(
                    OpsServer::bind(addr, Arc::new(health), Arc::clone(&metrics))
                        .await
                        .map_err(|source| StartError::Listen {
                            setting: "METRICS_LISTEN",
                            addr,
                            source,
                        })?,
                )
            }
            None => None,
        };
        // One flood gate for every request of the process: handlers and the outbox alike.
        let telegram = PacedBot::new(
            plain,
            Arc::new(FloodGate::new(limits)),
            WaitPolicy::HANDLERS,
        );
        let watcher = WatcherLoops::build(
            store.clone(),
            SecretBox::new(&key),
            bakong_config,
            telegram.clone(),
            config.poll_interval,
            config.bakong_max_rps,
            Arc::clone(&clock),
            Arc::clone(&metrics),
        )?;
        let ctx = Ctx {
            store: store.clone(),
            bakong,
            secrets: SecretBox::new(&key),
            charge_ttl: config.charge_ttl,
            watcher: Some(watcher.handle()),
            clock,
        };
        let ops_addr = ops.as_ref().map(OpsServer::addr);
        let webhook_addr = webhook.as_ref().map(WebhookServer::addr);
        let lifetime = CancellationToken::new();
        Ok(Self {
            bot: Bot::new(telegram, ctx, config.flood, Arc::clone(&metrics)),
            store,
            metrics,
            ops_addr,
            webhook_addr,
            watcher,
            ops,
            webhook,
            shutdown: lifetime.child_token(),
            lifetime,
        })
    }

    /// Cancelling it stops the app (see the module's documentation for the order);
    /// [`App::run`] returns once every part has stopped. A stop asked before `run` is seen
    /// when it starts.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Serves the ops endpoints, starts the watcher's loops, registers the command menus,
    /// then long-polls (or, in webhook mode, registers the webhook and serves it) until the
    /// [shutdown token](App::shutdown_token) is cancelled; then stops every part in order.
    /// Fails if Telegram cannot be reached at start (`getMe`) or refuses the webhook (the
    /// other parts are stopped all the same).
    pub async fn run(self) -> Result<(), RunError> {
        let Self {
            store,
            mut bot,
            watcher,
            ops,
            webhook,
            lifetime,
            shutdown,
            ..
        } = self;
        let ops_tasks = TaskTracker::new();
        if let Some(ops) = ops {
            ops_tasks.spawn(ops.serve(lifetime.clone()));
        }
        let watcher_stop = lifetime.child_token();
        let watcher_tasks = TaskTracker::new();
        watcher.spawn(&watcher_tasks, &watcher_stop);

        bot.announce().await;
        let sweep_tasks = TaskTracker::new();
        sweep_tasks.spawn(bot.sweep_inline_drafts(shutdown.child_token()));
        let result = match webhook {
            None => updates::poll(&mut bot, &store, &shutdown).await,
            Some(webhook) => updates::serve_webhook(&mut bot, webhook, &shutdown).await,
        };

        shutdown.cancel();
        stop(sweep_tasks).await;
        watcher_stop.cancel();
        stop(watcher_tasks).await;
        lifetime.cancel();
        stop(ops_tasks).await;
        result
    }
}

/// Waits for every task of `tasks` (their token already cancelled).
async fn stop(tasks: TaskTracker) {
    tasks.close();
    tasks.wait().await;
}
