//! The outbox over the real store (SQLite in a temporary file, rows read and marked through
//! the same `Store` calls the bot makes) and a fake Telegram that, like the bot's real
//! deliverer, shares a [`FloodGate`]: it reports a busy chat as `Paced`, waits for the
//! overall budget, and turns a `retry_after` into a pause for the whole gate.
//!
//! Time is tokio's, paused. Tokio's auto-advance would jump the clock to the next timer
//! whenever the runtime waits for SQLite (which works on its own thread): [`Db::open`]
//! holds it off with a blocking task for the whole test and moves the clock on itself, a
//! millisecond at a time, only while nothing is runnable and no query is in flight
//! ([`drive_clock`]) — what auto-advance does over a store that answers at once.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::*;
use crate::i18n::Lang;
use crate::store::{FollowUpKind, MerchantId};
use crate::telegram_pacing::{ChatKey, FloodGate, Pace};
use crate::time::{Clock, SharedClock};
use crate::watcher::scheduler::outbox_loop;

/// A fresh database and the test's clock driver; the outbox reads `store` directly.
struct Db {
    store: Store,
    /// Test merchant number → the merchant row made for it.
    merchants: Mutex<HashMap<i64, MerchantId>>,
    _dir: tempfile::TempDir,
    /// Dropped at the end of the test: the blocking task ends, the runtime can stop.
    _hold_auto_advance: std::sync::mpsc::Sender<()>,
}

impl Db {
    async fn open() -> Self {
        // Before anything awaits: from here on only `drive_clock` moves tokio's clock.
        let (hold, held) = std::sync::mpsc::channel::<()>();
        tokio::task::spawn_blocking(move || {
            let _ = held.recv();
        });
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::test_database_url(dir.path()).await;
        // The database's clock is tokio's too: leases lapse and renew in paused time.
        let store = Store::open(&url).await.unwrap().with_clock(tokio_clock());
        tokio::spawn(drive_clock(store.clone()));
        Self {
            store,
            merchants: Mutex::default(),
            _dir: dir,
            _hold_auto_advance: hold,
        }
    }

    /// A task of merchant `id` in chat `id`.
    async fn push(&self, id: i64) {
        self.push_to(id, id, id).await;
    }

    /// A task (row `id`) of `merchant` whose message is in `chat`, due at once.
    async fn push_to(&self, id: i64, merchant: i64, chat: i64) {
        let known = self.merchants.lock().unwrap().get(&merchant).copied();
        let merchant = match known {
            Some(m) => m,
            None => {
                let m = self
                    .store
                    .ensure_merchant(merchant, merchant, Lang::En, 0)
                    .await
                    .unwrap()
                    .id;
                self.merchants.lock().unwrap().insert(merchant, m);
                m
            }
        };
        sqlx::query(
            "INSERT INTO telegram_outbox (id, merchant_id, kind, payload, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, 0, 0)",
        )
        .bind(id)
        .bind(merchant.0)
        .bind(FollowUpKind::ChargePaid.as_str())
        .bind(serde_json::json!({ "chat": chat }).to_string())
        .execute(self.store.pool())
        .await
        .unwrap();
    }

    /// (attempts, next attempt, done, last error) of row `id`.
    async fn state(&self, id: i64) -> (i64, UnixSecs, bool, Option<String>) {
        let (attempts, next, done_at, error): (i64, i64, Option<i64>, Option<String>) =
            sqlx::query_as(
                "SELECT attempts, next_attempt_at, done_at, last_error FROM telegram_outbox \
                 WHERE id = $1",
            )
            .bind(id)
            .fetch_one(self.store.pool())
            .await
            .unwrap();
        (attempts, next, done_at.is_some(), error)
    }
}

/// Tokio's auto-advance for a store on another thread: whenever every task has had its turn
/// and no query holds a connection, the clock moves on by a millisecond (firing the timers
/// due then).
async fn drive_clock(store: Store) {
    loop {
        for _ in 0..16 {
            tokio::task::yield_now().await;
        }
        let pool = store.pool();
        if pool.size() as usize > pool.num_idle() {
            // A query is in flight: it answers in real time.
            std::thread::sleep(Duration::from_micros(50));
            continue;
        }
        tokio::time::advance(Duration::from_millis(1)).await;
    }
}

struct Telegram {
    gate: Arc<FloodGate>,
    start: Instant,
    /// What Telegram answers to the next requests (then `Ok`).
    script: Mutex<VecDeque<Result<(), DeliveryError>>>,
    /// (task, chat, seconds since start) of every accepted request.
    delivered: Mutex<Vec<(i64, i64, f64)>>,
    /// Requests that reached Telegram, accepted or not.
    requests: Mutex<usize>,
    /// After this task is delivered, another request of the bot (a handler's reply) is
    /// answered `retry_after` this many seconds.
    handler_flood_after: Mutex<Option<(i64, u64)>>,
}

impl Default for Telegram {
    fn default() -> Self {
        Self::with_gate(Arc::new(FloodGate::default()))
    }
}

impl Telegram {
    fn with_gate(gate: Arc<FloodGate>) -> Self {
        Self {
            gate,
            start: Instant::now(),
            script: Mutex::default(),
            delivered: Mutex::default(),
            requests: Mutex::default(),
            handler_flood_after: Mutex::default(),
        }
    }
    fn ids(&self) -> Vec<i64> {
        self.delivered.lock().unwrap().iter().map(|d| d.0).collect()
    }
    fn times(&self) -> Vec<f64> {
        self.delivered.lock().unwrap().iter().map(|d| d.2).collect()
    }
    fn count(&self) -> usize {
        self.delivered.lock().unwrap().len()
    }
}

impl Deliver for Telegram {
    async fn deliver(&self, task: &OutboxItem) -> Result<(), DeliveryError> {
        let chat_id = task.payload["chat"].as_i64().unwrap();
        let chat = ChatKey::Id(chat_id);
        if let Some(until) = self.gate.chat_ready_at(&chat) {
            return Err(DeliveryError::Paced { until });
        }
        // As `PacedBot` does: wait for the overall budget.
        if self
            .gate
            .pass(Pace::Chat(&chat), Duration::from_secs(5))
            .await
            .is_err()
        {
            return Err(DeliveryError::RetryAfter { secs: 5 });
        }
        *self.requests.lock().unwrap() += 1;
        let answer = self.script.lock().unwrap().pop_front().unwrap_or(Ok(()));
        match &answer {
            Ok(()) => {
                let at = self.start.elapsed().as_millis() as f64 / 1000.0;
                self.delivered.lock().unwrap().push((task.id, chat_id, at));
                let flood = *self.handler_flood_after.lock().unwrap();
                if let Some((after, secs)) = flood
                    && after == task.id
                {
                    self.gate.freeze(Duration::from_secs(secs));
                }
            }
            Err(DeliveryError::RetryAfter { secs }) => {
                self.gate.freeze(Duration::from_secs(*secs));
            }
            Err(_) => {}
        }
        answer
    }

    fn paused_until(&self) -> Option<Instant> {
        self.gate.frozen_until()
    }
}

const POLICY: OutboxPolicy = OutboxPolicy {
    base_secs: 2,
    max_secs: 60,
    batch: 10,
};

/// Unix seconds that follow tokio's (paused) clock, from 1000; it stands in for the
/// database's clock too.
#[derive(Debug)]
struct TokioClock(Instant);

impl Clock for TokioClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let secs = 1_000 + i64::try_from(self.0.elapsed().as_secs()).unwrap();
        crate::time::utc(secs)
    }

    fn database_ms(&self, _db_ms: i64) -> i64 {
        self.unix_ms()
    }
}

fn tokio_clock() -> SharedClock {
    Arc::new(TokioClock(Instant::now()))
}

/// Runs the outbox loop until `tg` has accepted `n` deliveries (or 10 virtual minutes).
async fn run_loop_until(q: &Db, tg: Arc<Telegram>, policy: OutboxPolicy, n: usize) {
    let stop = CancellationToken::new();
    let task = tokio::spawn(outbox_loop(
        q.store.clone(),
        Arc::clone(&tg),
        policy,
        Duration::from_secs(1),
        Arc::new(Notify::new()),
        stop.clone(),
    ));
    let deadline = Instant::now() + Duration::from_secs(600);
    while tg.count() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    stop.cancel();
    task.await.unwrap();
    assert_eq!(tg.count(), n, "delivered: {:?}", tg.ids());
}

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

#[tokio::test(start_paused = true)]
async fn delivers_in_order_and_marks_done() {
    let q = Db::open().await;
    let tg = Telegram::default();
    for id in 1..=3 {
        q.push(id).await;
    }
    let r = drain(&q.store, &tg, POLICY, 100).await.unwrap();
    assert_eq!(r.delivered, 3);
    assert_eq!(tg.ids(), vec![1, 2, 3]);
    assert!(q.state(2).await.2);
    // Nothing left: a second drain sends nothing.
    let r = drain(&q.store, &tg, POLICY, 101).await.unwrap();
    assert_eq!(r, DrainReport::default());
    assert_eq!(tg.count(), 3);
}

#[tokio::test(start_paused = true)]
async fn failures_are_retried_until_accepted() {
    let q = Db::open().await;
    let tg = Telegram::default();
    q.push(1).await;
    tg.script.lock().unwrap().extend([
        Err(DeliveryError::Transient("network".into())),
        Err(DeliveryError::Transient("502".into())),
        Ok(()),
    ]);
    let r = drain(&q.store, &tg, POLICY, 100).await.unwrap();
    assert_eq!(r.retried, 1);
    assert_eq!(q.state(1).await, (1, 102, false, Some("network".into())));
    // Not due before its time.
    assert_eq!(
        drain(&q.store, &tg, POLICY, 101).await.unwrap(),
        DrainReport::default()
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    let r = drain(&q.store, &tg, POLICY, 102).await.unwrap();
    assert_eq!(r.retried, 1);
    assert_eq!(q.state(1).await.1, 106);
    tokio::time::advance(Duration::from_secs(4)).await;
    let r = drain(&q.store, &tg, POLICY, 106).await.unwrap();
    assert_eq!(r.delivered, 1);
    assert!(q.state(1).await.2);
    assert_eq!(tg.ids(), vec![1]);
}

#[tokio::test(start_paused = true)]
async fn flood_control_pauses_the_whole_drain() {
    let q = Db::open().await;
    let tg = Telegram::default();
    // Three tasks in three chats.
    for id in 1..=3 {
        q.push(id).await;
    }
    tg.script
        .lock()
        .unwrap()
        .extend([Ok(()), Err(DeliveryError::RetryAfter { secs: 9 })]);
    let start = Instant::now();
    let r = drain(&q.store, &tg, POLICY, 100).await.unwrap();
    let pause_end = start + Duration::from_secs(9);
    assert_eq!(
        (r.delivered, r.retried, r.paused_until),
        (1, 1, Some(pause_end))
    );
    // Task 2 waits for the queue's 110; task 3, in another chat, was not even tried.
    assert_eq!(q.state(2).await.1, 110);
    assert_eq!(q.state(3).await, (0, 0, false, None));
    assert_eq!(*tg.requests.lock().unwrap(), 2);
    // The pause holds in later drains, for every chat, whatever the queue says is due.
    for now in [100, 105, 110] {
        let r = drain(&q.store, &tg, POLICY, now).await.unwrap();
        assert_eq!(r.delivered + r.retried + r.deferred, 0);
        assert_eq!(r.paused_until, Some(pause_end));
    }
    tokio::time::advance(Duration::from_millis(8_999)).await;
    assert_eq!(
        drain(&q.store, &tg, POLICY, 110).await.unwrap().delivered,
        0
    );
    assert_eq!(
        *tg.requests.lock().unwrap(),
        2,
        "a request went during the pause"
    );
    // Once it has passed, both go, in order.
    tokio::time::advance(Duration::from_millis(1)).await;
    let r = drain(&q.store, &tg, POLICY, 110).await.unwrap();
    assert_eq!((r.delivered, r.paused_until), (2, None));
    assert_eq!(tg.ids(), vec![1, 2, 3]);
    assert!(tg.times()[1..].iter().all(|t| *t >= 9.0));
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_met_by_a_handler_pauses_the_outbox() {
    let gate = Arc::new(FloodGate::default());
    let q = Db::open().await;
    let tg = Telegram::with_gate(Arc::clone(&gate));
    for id in 1..=4 {
        q.push(id).await;
    }
    // A handler's reply met `retry_after: 7` (PacedBot froze the shared gate).
    let pause_end = gate.freeze(Duration::from_secs(7));
    let r = drain(&q.store, &tg, POLICY, 100).await.unwrap();
    assert_eq!(r.paused_until, Some(pause_end));
    assert_eq!(*tg.requests.lock().unwrap(), 0);
    assert_eq!(
        q.state(1).await,
        (0, 0, false, None),
        "no attempt was spent"
    );

    // And in the middle of a drain: after task 1, a handler meets `retry_after: 3`.
    tokio::time::advance(Duration::from_secs(7)).await;
    *tg.handler_flood_after.lock().unwrap() = Some((1, 3));
    let r = drain(&q.store, &tg, POLICY, 107).await.unwrap();
    assert_eq!((r.delivered, r.retried), (1, 0));
    assert_eq!(
        r.paused_until,
        Some(Instant::now() + Duration::from_secs(3))
    );
    assert_eq!(tg.ids(), vec![1]);
    // The loop sleeps through it, then delivers the rest.
    let tg = Arc::new(tg);
    run_loop_until(&q, Arc::clone(&tg), POLICY, 4).await;
    assert_eq!(tg.ids(), vec![1, 2, 3, 4]);
    assert!(
        tg.times()[1..].iter().all(|t| *t >= 10.0),
        "{:?}",
        tg.times()
    );
}

#[tokio::test(start_paused = true)]
async fn one_edit_a_second_per_chat_without_holding_up_other_chats() {
    let q = Db::open().await;
    let tg = Arc::new(Telegram::default());
    // Merchant 7 has three charges settled at once; merchant 8 one, queued last.
    for id in 1..=3 {
        q.push_to(id, 7, 70).await;
    }
    q.push_to(4, 8, 80).await;
    let r = drain(&q.store, tg.as_ref(), POLICY, 1_000).await.unwrap();
    assert_eq!((r.delivered, r.deferred), (2, 2));
    assert_eq!(r.next_ready_at, Some(tg.start + Duration::from_secs(1)));
    assert_eq!(tg.ids(), vec![1, 4]);
    // Deferring is not an attempt.
    assert_eq!(q.state(2).await, (0, 0, false, None));
    run_loop_until(&q, Arc::clone(&tg), POLICY, 4).await;
    assert_eq!(tg.ids(), vec![1, 4, 2, 3]);
    assert_eq!(tg.times(), vec![0.0, 0.0, 1.0, 2.0]);
}

#[tokio::test(start_paused = true)]
async fn twenty_edits_a_minute_in_a_group() {
    let q = Db::open().await;
    let tg = Arc::new(Telegram::default());
    for id in 1..=22 {
        q.push_to(id, 5, -100_500).await;
    }
    run_loop_until(&q, Arc::clone(&tg), POLICY, 22).await;
    assert_eq!(tg.ids(), (1..=22).collect::<Vec<_>>());
    let times = tg.times();
    let first_twenty: Vec<f64> = (0..20).map(f64::from).collect();
    assert_eq!(times[..20], first_twenty[..]);
    assert_eq!(times[20..], [60.0, 61.0]);
}

#[tokio::test(start_paused = true)]
async fn at_most_25_edits_a_second_in_all() {
    let q = Db::open().await;
    let tg = Arc::new(Telegram::default());
    // 100 merchants, each with one paid charge: one full batch.
    for id in 1..=100 {
        q.push(id).await;
    }
    let policy = OutboxPolicy {
        batch: 100,
        ..POLICY
    };
    run_loop_until(&q, Arc::clone(&tg), policy, 100).await;
    assert_eq!(tg.ids(), (1..=100).collect::<Vec<_>>());
    let times = tg.times();
    let per_second: Vec<usize> = (0..4)
        .map(|s| times.iter().filter(|t| t.floor() == f64::from(s)).count())
        .collect();
    assert_eq!(per_second, vec![25, 25, 25, 25]);
    for (i, t) in times.iter().enumerate() {
        let window = times[i..].iter().take_while(|u| **u < t + 1.0).count();
        assert!(window <= 25, "{window} edits within a second from {t}");
    }
}

#[tokio::test(start_paused = true)]
async fn permanent_refusal_is_recorded_and_given_up() {
    let q = Db::open().await;
    let tg = Telegram::default();
    q.push(1).await;
    tg.script
        .lock()
        .unwrap()
        .push_back(Err(DeliveryError::Permanent(
            "bot was blocked by the user".into(),
        )));
    let r = drain(&q.store, &tg, POLICY, 100).await.unwrap();
    assert_eq!(r.given_up, 1);
    let (_, _, done, err) = q.state(1).await;
    assert!(done);
    assert_eq!(err.as_deref(), Some("bot was blocked by the user"));
}

/// A deliverer without a gate of its own (the default `paused_until`): the loop keeps the
/// pause its own delivery met.
#[tokio::test(start_paused = true)]
async fn the_loop_keeps_a_pause_without_a_shared_gate() {
    struct Plain(Telegram);
    impl Deliver for Plain {
        async fn deliver(&self, task: &OutboxItem) -> Result<(), DeliveryError> {
            let answer = self.0.script.lock().unwrap().pop_front().unwrap_or(Ok(()));
            *self.0.requests.lock().unwrap() += 1;
            if answer.is_ok() {
                let at = self.0.start.elapsed().as_millis() as f64 / 1000.0;
                self.0.delivered.lock().unwrap().push((task.id, 0, at));
            }
            answer
        }
    }
    let q = Db::open().await;
    for id in 1..=3 {
        q.push(id).await;
    }
    let plain = Arc::new(Plain(Telegram::default()));
    plain
        .0
        .script
        .lock()
        .unwrap()
        .push_back(Err(DeliveryError::RetryAfter { secs: 4 }));
    let stop = CancellationToken::new();
    let wake = Arc::new(Notify::new());
    let task = tokio::spawn(outbox_loop(
        q.store.clone(),
        Arc::clone(&plain),
        POLICY,
        Duration::from_millis(100),
        Arc::clone(&wake),
        stop.clone(),
    ));
    // Woken often during the pause: still nothing goes.
    for _ in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        wake.notify_one();
    }
    assert_eq!(*plain.0.requests.lock().unwrap(), 1);
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.cancel();
    task.await.unwrap();
    let ids: Vec<i64> = plain
        .0
        .delivered
        .lock()
        .unwrap()
        .iter()
        .map(|d| d.0)
        .collect();
    // 2 and 3 right after the pause; 1 when its rescheduled time (+1 s) comes.
    assert_eq!(ids, vec![2, 3, 1]);
    assert!(plain.0.delivered.lock().unwrap().iter().all(|d| d.2 >= 4.0));
}
