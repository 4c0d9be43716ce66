//! Start-up wiring from a [`Config`]: key, database (+ migrations, crash recovery), Bakong
//! client, Telegram bot. `khqr-bot run` and the end-to-end tests both go through here.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::bakong::{self, ClientConfig};
use crate::config::Config;
use crate::crypto::SecretBox;
use crate::keys::{self, KeyCheckError};
use crate::metrics::Metrics;
use crate::ops::{Health, OpsServer, WebhookServer};
use crate::store::{Store, StoreError};
use crate::telegram_pacing::{FloodGate, Limits, PacedBot, WaitPolicy};
use crate::time::{SharedClock, system_clock};

use super::watching::WatcherTasks;
use super::{Bot, Ctx};

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

/// Everything `khqr-bot run` needs, started but not yet polling.
pub struct App {
    pub bot: Bot,
    pub store: Store,
    /// The process's counters (what `/metrics` shows).
    pub metrics: Arc<Metrics>,
    /// Where `/healthz` and `/metrics` are served (`METRICS_LISTEN`, port 0 resolved).
    pub ops_addr: Option<SocketAddr>,
    /// Where webhook updates are accepted (`TELEGRAM_WEBHOOK_LISTEN`, port 0 resolved).
    pub webhook_addr: Option<SocketAddr>,
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
                    OpsServer::start(addr, Arc::new(health), Arc::clone(&metrics))
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
        let watcher = WatcherTasks::start_with_clock(
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
            watcher: Some(watcher.handle.clone()),
            clock,
        };
        let ops_addr = ops.as_ref().map(OpsServer::addr);
        let webhook_addr = webhook.as_ref().map(WebhookServer::addr);
        Ok(Self {
            bot: Bot::new(telegram, ctx, config.flood, Arc::clone(&metrics))
                .with_watcher(watcher)
                .with_ops(ops)
                .with_webhook(webhook),
            store,
            metrics,
            ops_addr,
            webhook_addr,
        })
    }
}
