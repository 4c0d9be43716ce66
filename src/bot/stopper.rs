//! [`Stopper`]: how a running [`Bot`](super::Bot) is asked to stop (SIGTERM, the demo's stop
//! button, a test's `stop`).
//!
//! Not teloxide's `ShutdownToken`: its `shutdown()` future waits for a `notify_waiters` that
//! the dispatcher may send before the future has registered (the dispatcher had stopped, the
//! caller waited for ever — seen as a 20 s hang in 1 of ~40 stops on a loaded 2-core
//! machine). A stop here is a value, kept until the bot looks at it: it stops the update
//! listener itself (the dispatcher then handles the updates in hand and returns), and a stop
//! asked before polling starts — while waiting for the poller lock — is not lost. Whoever
//! stops waits for [`Bot::run`](super::Bot::run) to return, nothing else.

use std::sync::Arc;

use tokio::sync::watch;

/// Asks a [`Bot`](super::Bot) to stop: it takes no new update, handles those in hand, stops
/// the watcher and the ops server, and [`Bot::run`](super::Bot::run) returns. Cheap to clone;
/// stopping twice is stopping once; a stop before `run` is seen when it starts.
#[derive(Debug, Clone)]
pub struct Stopper(Arc<watch::Sender<bool>>);

impl Stopper {
    pub(super) fn new() -> Self {
        Self(Arc::new(watch::Sender::new(false)))
    }

    /// Asks the bot to stop (returns at once; await `Bot::run` to know it has stopped).
    pub fn stop(&self) {
        self.0.send_replace(true);
    }

    /// Resolves once a stop is asked (at once if it already was).
    pub(super) fn stopped(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut rx = self.0.subscribe();
        async move {
            // Err only if every sender is gone: then nobody can ask any more, and this
            // `Stopper` (a sender) is alive, so it cannot happen while awaited from here.
            let _ = rx.wait_for(|stopped| *stopped).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_stop_asked_before_anyone_waits_is_kept() {
        let stopper = Stopper::new();
        stopper.clone().stop();
        tokio::time::timeout(std::time::Duration::from_secs(5), stopper.stopped())
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn waiting_ends_when_a_clone_stops() {
        let stopper = Stopper::new();
        let waiting = tokio::spawn(stopper.stopped());
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        stopper.clone().stop();
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .unwrap()
            .unwrap();
    }
}
