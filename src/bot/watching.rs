//! The payment watcher as the handlers see it: the handle that "Check now" uses, and what
//! the watcher's daily loops queue (token-expiry reminders, closing summaries; the loops
//! themselves run in `crate::app`).

use std::fmt;
use std::sync::Arc;

use tokio::sync::Notify;

use crate::bakong;
use crate::store::{ChargeId, Store, StoreError};
use crate::watcher::reminders::{REMIND_BEFORE_SECS, reminder_due};
use crate::watcher::{CheckNow, Watcher};

pub use super::reports::close_summary::queue_close_summaries;

/// The watcher the app runs: the SQL store, asking the real Bakong client.
pub type SqlWatcher = Watcher<bakong::Client>;

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
    /// `wake_outbox` is what the outbox loop waits on between drains.
    pub fn new(watcher: SqlWatcher, wake_outbox: Arc<Notify>) -> Self {
        Self {
            watcher,
            wake_outbox,
        }
    }

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
