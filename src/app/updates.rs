//! Where the dispatcher's updates come from: long polling — one poller per bot token among
//! the replicas, the one holding the poller lock — or the webhook.

use std::time::Duration;

use teloxide::update_listeners::{UpdateListener, polling_default};
use tokio_util::sync::CancellationToken;

use crate::bot::{ALLOWED_UPDATES, Bot};
use crate::ops::WebhookServer;
use crate::store::{PollerLock, Store};

use super::RunError;

/// How often a replica without the poller lock tries again.
const POLLER_LOCK_RETRY: Duration = Duration::from_secs(5);

/// Long-polls Telegram once this process holds the poller lock, until `stop` is cancelled
/// (or the lock is lost). A stop while waiting for the lock ends the wait.
pub(super) async fn poll(
    bot: &mut Bot,
    store: &Store,
    stop: &CancellationToken,
) -> Result<(), RunError> {
    // The watcher and the outbox run meanwhile. A stop asked before is seen first.
    let lock = tokio::select! {
        biased;
        () = stop.cancelled() => {
            tracing::info!("stopped before polling started");
            return Ok(());
        }
        lock = hold_poller_lock(store) => lock,
    };
    // Deletes a webhook left from webhook mode first (getUpdates is refused while one is set).
    #[allow(clippy::disallowed_methods)] // getUpdates is not a message: no flood gate
    let listener = polling_default(bot.telegram().unpaced().clone()).await;
    // If the lock is lost, polling stops: two pollers would make Telegram answer 409 to both.
    let polling = stop.child_token();
    let dispatch = bot.dispatch(listener, polling.clone(), "polling Telegram failed");
    tokio::pin!(dispatch);
    let finished = tokio::select! {
        result = &mut dispatch => Some(result),
        () = lock.lost() => None,
    };
    let result = match finished {
        Some(result) => result,
        None => {
            tracing::error!("lost the Telegram poller lock: stopping polling");
            polling.cancel();
            dispatch.await
        }
    };
    // Held until the dispatcher has finished: its last getUpdates confirms the offset.
    drop(lock);
    result.map_err(RunError::Telegram)
}

/// Registers the webhook and feeds its updates to the dispatcher until `stop` is cancelled;
/// then the server stops, the updates it answered 200 handled first.
pub(super) async fn serve_webhook(
    bot: &mut Bot,
    webhook: WebhookServer,
    stop: &CancellationToken,
) -> Result<(), RunError> {
    #[allow(clippy::disallowed_methods)] // setWebhook is not a message: no flood gate
    let (mut listener, server) = webhook
        .start(bot.telegram().unpaced(), &ALLOWED_UPDATES)
        .await
        .map_err(RunError::Webhook)?;
    let server_stop = UpdateListener::stop_token(&mut listener);
    let result = bot
        .dispatch(listener, stop.clone(), "webhook listener failed")
        .await;
    // Also stops the server if the dispatcher never started.
    server_stop.stop();
    server.finish().await;
    result.map_err(RunError::Telegram)
}

/// Waits until this process holds the Telegram poller lock (`Store::try_hold_poller_lock`),
/// trying again every [`POLLER_LOCK_RETRY`]. On SQLite it holds at once.
async fn hold_poller_lock(store: &Store) -> PollerLock {
    let mut told = false;
    loop {
        match store.try_hold_poller_lock().await {
            Ok(Some(lock)) => {
                if told {
                    tracing::info!("holding the Telegram poller lock: polling Telegram");
                }
                return lock;
            }
            Ok(None) if !told => {
                told = true;
                tracing::info!("another replica polls Telegram; watching payments meanwhile");
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not try the Telegram poller lock"),
        }
        tokio::time::sleep(POLLER_LOCK_RETRY).await;
    }
}
