//! Delivering the Telegram follow-ups queued with each state change, until Telegram
//! accepts them.
//!
//! Tasks are read from a persistent queue ([`OutboxQueue`]), so follow-ups survive
//! restarts; each is handed to a [`Deliver`] (the Telegram side: edit the charge's
//! message, send a notice). Flood control (`RetryAfter`) pauses the whole drain for as long
//! as Telegram asks; other failures are retried with a capped exponential delay. A task is
//! marked done only after Telegram accepted it, so an edit is never lost; the deliverer
//! treats "message is not modified" as accepted, so a task delivered twice (crash between
//! sending and marking done) does no harm.

use std::future::Future;

use super::ports::StoreFailure;
use super::types::{ChargeId, MerchantId, UnixSecs};

/// One queued follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxTask {
    pub id: i64,
    pub merchant: MerchantId,
    pub charge: Option<ChargeId>,
    /// What to do (`paid`, `expired`, `token_refused`, …); the deliverer reads the current
    /// rows to build the message.
    pub kind: String,
    pub payload: serde_json::Value,
    /// Failed attempts so far.
    pub attempts: i64,
}

/// Why a delivery did not go through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// Telegram's flood control: nothing may be sent for `secs` seconds.
    #[error("Telegram asks to retry after {secs} s")]
    RetryAfter { secs: u64 },
    /// Network trouble, Telegram 5xx, a rendering hiccup…: try again.
    #[error("{0}")]
    Transient(String),
    /// Telegram will never accept it (the bot was blocked, the chat is gone): given up.
    #[error("{0}")]
    Permanent(String),
}

/// The persistent queue.
pub trait OutboxQueue: Send + Sync + 'static {
    /// Undelivered tasks due at `now`, oldest first.
    fn due(
        &self,
        now: UnixSecs,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<OutboxTask>, StoreFailure>> + Send;
    /// Delivered (or given up); false if it already was.
    fn mark_done(
        &self,
        id: i64,
        now: UnixSecs,
    ) -> impl Future<Output = Result<bool, StoreFailure>> + Send;
    /// Failed: record the error and when to try again.
    fn reschedule(
        &self,
        id: i64,
        error: &str,
        next_attempt_at: UnixSecs,
    ) -> impl Future<Output = Result<bool, StoreFailure>> + Send;
}

/// The Telegram side.
pub trait Deliver: Send + Sync + 'static {
    fn deliver(&self, task: &OutboxTask) -> impl Future<Output = Result<(), DeliveryError>> + Send;
}

/// Retry tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxPolicy {
    /// Delay after the first failure; doubles per failed attempt.
    pub base_secs: u64,
    pub max_secs: u64,
    /// Tasks handled per drain (the rest wait for the next one).
    pub batch: usize,
}

impl Default for OutboxPolicy {
    fn default() -> Self {
        Self {
            base_secs: 2,
            max_secs: 300,
            batch: 100,
        }
    }
}

impl OutboxPolicy {
    /// When to try again after `attempts` failed attempts (including this one).
    pub fn retry_delay_secs(&self, attempts: i64, error: &DeliveryError) -> u64 {
        let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
        let backoff = self
            .base_secs
            .saturating_mul(1u64 << exp)
            .min(self.max_secs)
            .max(1);
        match error {
            // Telegram said exactly when; add a second so we are not early.
            DeliveryError::RetryAfter { secs } => secs.saturating_add(1),
            _ => backoff,
        }
    }
}

/// What one drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub delivered: usize,
    pub retried: usize,
    pub given_up: usize,
    /// Flood control stopped the drain until this time.
    pub paused_until: Option<UnixSecs>,
}

/// Deliver every due task once, in order. Stops early on flood control.
pub async fn drain<Q: OutboxQueue, D: Deliver>(
    queue: &Q,
    deliver: &D,
    policy: OutboxPolicy,
    now: UnixSecs,
) -> Result<DrainReport, StoreFailure> {
    let mut report = DrainReport::default();
    for task in queue.due(now, policy.batch.max(1)).await? {
        match deliver.deliver(&task).await {
            Ok(()) => {
                queue.mark_done(task.id, now).await?;
                report.delivered += 1;
            }
            Err(DeliveryError::Permanent(reason)) => {
                tracing::warn!(task = task.id, merchant = %task.merchant, kind = %task.kind, %reason, "Telegram refuses this follow-up; giving up");
                queue.reschedule(task.id, &reason, now).await?;
                queue.mark_done(task.id, now).await?;
                report.given_up += 1;
            }
            Err(error) => {
                let delay = policy.retry_delay_secs(task.attempts.saturating_add(1), &error);
                let next = now.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
                tracing::warn!(task = task.id, merchant = %task.merchant, kind = %task.kind, %error, next, "Telegram follow-up failed; will retry");
                queue.reschedule(task.id, &error.to_string(), next).await?;
                report.retried += 1;
                if matches!(error, DeliveryError::RetryAfter { .. }) {
                    report.paused_until = Some(next);
                    break;
                }
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, VecDeque};
    use std::sync::Mutex;

    use super::*;

    /// (task, next attempt, done at, last error)
    type Entry = (OutboxTask, UnixSecs, Option<UnixSecs>, Option<String>);

    #[derive(Default)]
    struct Queue {
        tasks: Mutex<BTreeMap<i64, Entry>>,
    }

    impl Queue {
        fn push(&self, id: i64) {
            let task = OutboxTask {
                id,
                merchant: MerchantId(1),
                charge: Some(ChargeId(id)),
                kind: "paid".into(),
                payload: serde_json::json!({}),
                attempts: 0,
            };
            self.tasks.lock().unwrap().insert(id, (task, 0, None, None));
        }
        fn state(&self, id: i64) -> (i64, UnixSecs, bool, Option<String>) {
            let t = self.tasks.lock().unwrap();
            let (task, next, done, err) = &t[&id];
            (task.attempts, *next, done.is_some(), err.clone())
        }
    }

    impl OutboxQueue for Queue {
        async fn due(&self, now: UnixSecs, limit: usize) -> Result<Vec<OutboxTask>, StoreFailure> {
            Ok(self
                .tasks
                .lock()
                .unwrap()
                .values()
                .filter(|(_, next, done, _)| done.is_none() && *next <= now)
                .take(limit)
                .map(|(t, ..)| t.clone())
                .collect())
        }
        async fn mark_done(&self, id: i64, now: UnixSecs) -> Result<bool, StoreFailure> {
            let mut t = self.tasks.lock().unwrap();
            let e = t.get_mut(&id).unwrap();
            if e.2.is_some() {
                return Ok(false);
            }
            e.2 = Some(now);
            Ok(true)
        }
        async fn reschedule(
            &self,
            id: i64,
            error: &str,
            next: UnixSecs,
        ) -> Result<bool, StoreFailure> {
            let mut t = self.tasks.lock().unwrap();
            let e = t.get_mut(&id).unwrap();
            e.0.attempts += 1;
            e.1 = next;
            e.3 = Some(error.to_owned());
            Ok(true)
        }
    }

    #[derive(Default)]
    struct Telegram {
        script: Mutex<VecDeque<Result<(), DeliveryError>>>,
        delivered: Mutex<Vec<i64>>,
    }

    impl Deliver for Telegram {
        async fn deliver(&self, task: &OutboxTask) -> Result<(), DeliveryError> {
            let r = self.script.lock().unwrap().pop_front().unwrap_or(Ok(()));
            if r.is_ok() {
                self.delivered.lock().unwrap().push(task.id);
            }
            r
        }
    }

    const POLICY: OutboxPolicy = OutboxPolicy {
        base_secs: 2,
        max_secs: 60,
        batch: 10,
    };

    #[test]
    fn retry_delays() {
        let t = DeliveryError::Transient("x".into());
        let d: Vec<u64> = (1..=7).map(|a| POLICY.retry_delay_secs(a, &t)).collect();
        assert_eq!(d, vec![2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(POLICY.retry_delay_secs(i64::MAX, &t), 60);
        assert_eq!(POLICY.retry_delay_secs(0, &t), 2);
        assert_eq!(
            POLICY.retry_delay_secs(1, &DeliveryError::RetryAfter { secs: 35 }),
            36
        );
    }

    #[tokio::test]
    async fn delivers_in_order_and_marks_done() {
        let q = Queue::default();
        let tg = Telegram::default();
        for id in 1..=3 {
            q.push(id);
        }
        let r = drain(&q, &tg, POLICY, 100).await.unwrap();
        assert_eq!(r.delivered, 3);
        assert_eq!(*tg.delivered.lock().unwrap(), vec![1, 2, 3]);
        assert!(q.state(2).2);
        // Nothing left: a second drain sends nothing.
        let r = drain(&q, &tg, POLICY, 101).await.unwrap();
        assert_eq!(r, DrainReport::default());
        assert_eq!(tg.delivered.lock().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn failures_are_retried_until_accepted() {
        let q = Queue::default();
        let tg = Telegram::default();
        q.push(1);
        tg.script.lock().unwrap().extend([
            Err(DeliveryError::Transient("network".into())),
            Err(DeliveryError::Transient("502".into())),
            Ok(()),
        ]);
        let r = drain(&q, &tg, POLICY, 100).await.unwrap();
        assert_eq!(r.retried, 1);
        assert_eq!(q.state(1), (1, 102, false, Some("network".into())));
        // Not due before its time.
        assert_eq!(
            drain(&q, &tg, POLICY, 101).await.unwrap(),
            DrainReport::default()
        );
        let r = drain(&q, &tg, POLICY, 102).await.unwrap();
        assert_eq!(r.retried, 1);
        assert_eq!(q.state(1).1, 106);
        let r = drain(&q, &tg, POLICY, 106).await.unwrap();
        assert_eq!(r.delivered, 1);
        assert!(q.state(1).2);
        assert_eq!(*tg.delivered.lock().unwrap(), vec![1]);
    }

    #[tokio::test]
    async fn flood_control_pauses_the_whole_drain() {
        let q = Queue::default();
        let tg = Telegram::default();
        for id in 1..=3 {
            q.push(id);
        }
        tg.script
            .lock()
            .unwrap()
            .extend([Ok(()), Err(DeliveryError::RetryAfter { secs: 9 })]);
        let r = drain(&q, &tg, POLICY, 100).await.unwrap();
        assert_eq!((r.delivered, r.retried, r.paused_until), (1, 1, Some(110)));
        // Task 3 was not even tried.
        assert_eq!(q.state(3), (0, 0, false, None));
        let r = drain(&q, &tg, POLICY, 100).await.unwrap();
        assert_eq!(r.delivered, 1); // task 3 (task 2 waits for 110)
        let r = drain(&q, &tg, POLICY, 110).await.unwrap();
        assert_eq!(r.delivered, 1);
        assert_eq!(*tg.delivered.lock().unwrap(), vec![1, 3, 2]);
    }

    #[tokio::test]
    async fn permanent_refusal_is_recorded_and_given_up() {
        let q = Queue::default();
        let tg = Telegram::default();
        q.push(1);
        tg.script
            .lock()
            .unwrap()
            .push_back(Err(DeliveryError::Permanent(
                "bot was blocked by the user".into(),
            )));
        let r = drain(&q, &tg, POLICY, 100).await.unwrap();
        assert_eq!(r.given_up, 1);
        let (_, _, done, err) = q.state(1);
        assert!(done);
        assert_eq!(err.as_deref(), Some("bot was blocked by the user"));
    }
}
