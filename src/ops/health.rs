//! `/healthz`: is the database answering, and did Telegram answer `getMe` recently?
//!
//! The database is asked on every probe (one trivial query, [`Store::ping`]). Telegram is
//! not: the last `getMe` result is kept and asked again only once it is older than
//! [`TELEGRAM_CHECK_SECS`] by the process's clock, by one probe at a time (the others wait
//! for its answer), so a load balancer probing every second costs Telegram one request
//! every 30 s.

use std::time::Duration;

use serde_json::{Value, json};
use teloxide::RequestError;
use teloxide::prelude::Requester;
use tokio::sync::Mutex;

use crate::store::Store;
use crate::time::{SharedClock, UnixSecs};

/// How long a `getMe` answer is trusted.
pub const TELEGRAM_CHECK_SECS: i64 = 30;
/// Longest wait for the database's answer to the probe's query.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for Telegram's answer to `getMe`.
const TELEGRAM_TIMEOUT: Duration = Duration::from_secs(10);

/// One part's state: `Err` says how it is failing in fixed words. The driver's own error
/// text (a database URL, a host, a query) goes to the log, never into the answer: anyone who
/// can reach the probe reads it.
pub type PartState = Result<(), &'static str>;

#[derive(Debug, Clone)]
struct TelegramCheck {
    at: UnixSecs,
    state: PartState,
}

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthReport {
    pub database: PartState,
    pub telegram: PartState,
    /// When Telegram was last asked (`getMe`), by the process's clock.
    pub telegram_checked_at: UnixSecs,
}

impl HealthReport {
    pub fn healthy(&self) -> bool {
        self.database.is_ok() && self.telegram.is_ok()
    }

    /// The failing parts, by name (`database`, `telegram`).
    pub fn failing(&self) -> Vec<&'static str> {
        let mut parts = Vec::new();
        if self.database.is_err() {
            parts.push("database");
        }
        if self.telegram.is_err() {
            parts.push("telegram");
        }
        parts
    }

    /// The `/healthz` body: `{"status":"ok"|"unavailable","failing":[…],"database":{…},
    /// "telegram":{…}}`.
    pub fn to_json(&self, now: UnixSecs) -> Value {
        fn part(state: &PartState) -> Value {
            match state {
                Ok(()) => json!({ "ok": true }),
                Err(reason) => json!({ "ok": false, "error": reason }),
            }
        }
        let mut telegram = part(&self.telegram);
        telegram["checked_secs_ago"] = json!(now.saturating_sub(self.telegram_checked_at).max(0));
        json!({
            "status": if self.healthy() { "ok" } else { "unavailable" },
            "failing": self.failing(),
            "database": part(&self.database),
            "telegram": telegram,
        })
    }
}

/// The health check: the store, a plain (unpaced) Telegram bot for `getMe`, the clock.
pub struct Health {
    store: Store,
    #[allow(clippy::disallowed_types)] // a probe, not a message: see `Health::new`
    telegram: teloxide::Bot,
    clock: SharedClock,
    last: Mutex<Option<TelegramCheck>>,
}

impl Health {
    /// `telegram` is the bot without the flood gate: a probe must not queue behind the
    /// bot's messages (and `getMe` is not a message).
    #[allow(clippy::disallowed_types)]
    pub fn new(store: Store, telegram: teloxide::Bot, clock: SharedClock) -> Self {
        Self {
            store,
            telegram,
            clock,
            last: Mutex::new(None),
        }
    }

    /// The store this check asks (the `/metrics` gauges read it too).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The process's clock.
    pub fn now(&self) -> UnixSecs {
        self.clock.unix_secs()
    }

    /// Asks the database now, and Telegram if its last answer is too old.
    pub async fn check(&self) -> HealthReport {
        let database = match tokio::time::timeout(DATABASE_TIMEOUT, self.store.ping()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "health check: the database does not answer");
                Err("the database does not answer")
            }
            Err(_) => {
                tracing::warn!(
                    secs = DATABASE_TIMEOUT.as_secs(),
                    "health check: the database did not answer in time"
                );
                Err("the database did not answer in time")
            }
        };
        let telegram = self.telegram().await;
        HealthReport {
            database,
            telegram: telegram.state,
            telegram_checked_at: telegram.at,
        }
    }

    async fn telegram(&self) -> TelegramCheck {
        // Held across getMe: concurrent probes wait for this one's answer.
        let mut last = self.last.lock().await;
        let now = self.clock.unix_secs();
        if let Some(check) = last.as_ref()
            && now.saturating_sub(check.at) < TELEGRAM_CHECK_SECS
            && now >= check.at
        {
            return check.clone();
        }
        #[allow(clippy::disallowed_methods)] // the probe's own getMe, not the bot's
        let state = match tokio::time::timeout(TELEGRAM_TIMEOUT, self.telegram.get_me()).await {
            Ok(Ok(_)) => Ok(()),
            // Telegram answered: it is reachable, only busy with this bot.
            Ok(Err(RequestError::RetryAfter(_))) => Ok(()),
            // teloxide hides the token in its errors (the URL is dropped).
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "health check: Telegram's getMe failed");
                Err("getMe failed")
            }
            Err(_) => {
                tracing::warn!(
                    secs = TELEGRAM_TIMEOUT.as_secs(),
                    "health check: Telegram did not answer getMe in time"
                );
                Err("getMe got no answer in time")
            }
        };
        let check = TelegramCheck { at: now, state };
        *last = Some(check.clone());
        check
    }
}
