//! Start-up wiring from a [`Config`]: key, database (+ migrations, crash recovery), Bakong
//! client, Telegram bot. `khqr-bot run` and the end-to-end tests both go through here.

use std::time::Duration;

use crate::bakong::{self, ClientConfig};
use crate::config::{Config, KeySource};
use crate::crypto::{KeyError, SecretBox, SecretKey};
use crate::store::{Store, StoreError};

use super::format::now_secs;
use super::watching::WatcherTasks;
use super::{Bot, Ctx};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("KHQR_BOT_SECRET_KEY: {0}")]
    Key(#[from] KeyError),
    #[error("DATABASE_URL: {0}")]
    Store(#[from] StoreError),
    #[error("BAKONG_API_URL: {0}")]
    Bakong(#[from] bakong::BakongError),
}

/// Everything `khqr-bot run` needs, started but not yet polling.
pub struct App {
    pub bot: Bot,
    pub store: Store,
}

impl App {
    /// Loads (or creates) the token key, opens and migrates the database, recovers charges
    /// interrupted by a crash, and builds the bot. Must run inside a tokio runtime.
    pub async fn start(config: &Config) -> Result<Self, StartError> {
        let key = match &config.secret_key {
            KeySource::Env(key) => key.clone(),
            KeySource::File(path) => {
                let (key, created) = SecretKey::load_or_create_file(path)?;
                if created {
                    tracing::warn!(
                        path = %path.display(),
                        "KHQR_BOT_SECRET_KEY is not set: created a new key file. Back it up with \
                         the database: without it the stored Bakong tokens cannot be read"
                    );
                }
                key
            }
        };
        let store = Store::open(&config.database_url).await?;
        let now = now_secs();
        // One polling process per bot token, so at start no send is in flight: every charge
        // still `creating` was interrupted by the previous process.
        let recovered = store.recover_creating_charges(i64::MAX, now).await?;
        if !recovered.is_empty() {
            tracing::warn!(
                count = recovered.len(),
                "recovered charges interrupted while sending"
            );
        }

        // Parse the card fonts now, off the async threads, so the first /charge is not slow.
        tokio::task::spawn_blocking(crate::render::warm_up);

        let mut bakong_config = ClientConfig::default();
        if let Some(url) = &config.bakong_api_url {
            bakong_config = bakong_config.with_base_url(url.as_str());
        }
        let bakong = bakong::Client::new(bakong_config.clone())?;

        let mut telegram = teloxide::Bot::new(config.telegram_token.expose());
        if let Some(url) = &config.telegram_api_url {
            telegram = telegram.set_api_url(url.clone());
        }
        let watcher = WatcherTasks::start(
            store.clone(),
            SecretBox::new(&key),
            bakong_config,
            telegram.clone(),
            config.poll_interval,
            config.bakong_max_rps,
        )?;
        let ctx = Ctx {
            store: store.clone(),
            bakong,
            secrets: SecretBox::new(&key),
            charge_ttl: config.charge_ttl,
            watcher: Some(watcher.handle.clone()),
        };
        Ok(Self {
            bot: Bot::new(telegram, ctx).with_watcher(watcher),
            store,
        })
    }
}

/// Asks a running dispatcher to stop and waits until it has. If it is not polling yet
/// (still starting), tries again for a few seconds.
pub async fn shutdown(token: teloxide::dispatching::ShutdownToken) {
    for _ in 0..200 {
        match token.shutdown() {
            Ok(done) => {
                done.await;
                return;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    tracing::warn!("the dispatcher never started; nothing to shut down");
}
