//! Issue 16 item 2 in one process: two `Watcher`s (two replicas, each its own `ReplicaId`)
//! over one database and the Bakong sandbox. They share a round's merchants chunk by chunk
//! and ask about each charge once; a watcher that dies in the middle of a round (its round
//! dropped while its request is in flight) keeps its merchants until its leases lapse, and
//! then the other takes them over.

use std::sync::Arc;
use std::time::Duration;

use khqr_bot::bakong::sandbox::{Payment, Sandbox, SandboxHandle};
use khqr_bot::bakong::{self, Client, DecimalAmount, RetryPolicy};
use khqr_bot::crypto::{SecretBox, SecretKey};
use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{Amount, BakongAccountId, City, Currency, ShopName};
use khqr_bot::store::{
    ChargeId, ChargeStatus, LeaseKind, MerchantId, NewCharge, Profile, ReplicaId, Store,
};
use khqr_bot::time::{Clock, TestClock};
use khqr_bot::watcher::lease::DEFAULT_LEASE_TTL_SECS;
use khqr_bot::watcher::schedule::Schedule;
use khqr_bot::watcher::sql::SqlWatcherStore;
use khqr_bot::watcher::{Watcher, WatcherConfig};

use crate::support::app::WAIT;

const MERCHANTS: i64 = 6;

fn secrets() -> SecretBox {
    SecretBox::new(&SecretKey::parse(&"42".repeat(32)).unwrap())
}

fn config() -> WatcherConfig {
    WatcherConfig {
        max_in_flight: 8,
        schedule: Schedule::with_interval(1),
        // Two merchants a claim: six merchants are three chunks.
        lease_chunk: 2,
        ..WatcherConfig::default()
    }
}

struct Env {
    _dir: tempfile::TempDir,
    store: Store,
    sandbox: SandboxHandle,
    client: Arc<Client>,
    /// The leases' clock (both watchers').
    clock: TestClock,
    charges: Vec<(ChargeId, String)>,
}

fn account(user: i64) -> String {
    format!("shop{user}@aba")
}

/// Six merchants with one charge each, every charge paid in the sandbox.
async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::db::fresh_database_url(dir.path(), "bot.db").await;
    let store = Store::open(&url).await.unwrap();
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut cfg = sandbox.client_config();
    cfg.retry = RetryPolicy::never();
    let client = Arc::new(Client::new(cfg).unwrap());
    let clock = TestClock::following_system();
    let t0 = clock.unix_secs();
    let mut charges = Vec::new();
    for user in 1..=MERCHANTS {
        let m = store
            .ensure_merchant(user, user, Lang::En, t0)
            .await
            .unwrap();
        let token = sandbox.issue_token(&format!("m{user}@example.com"));
        let profile = Profile {
            account_id: BakongAccountId::parse(&account(user)).unwrap(),
            shop_name: ShopName::parse(&format!("Shop {user}")).unwrap(),
            city: City::parse("Phnom Penh").unwrap(),
            token_sealed: secrets().seal(&m.id.token_aad(), token.as_bytes()).unwrap(),
            token_expires_at: None,
        };
        assert!(store.save_profile(m.id, &profile, t0).await.unwrap());
        let md5 = format!("{user:032x}");
        let id = store
            .insert_creating_charge(&NewCharge {
                merchant_id: m.id,
                chat_id: user,
                bill_number: format!("B{user}"),
                khqr: format!("khqr-{user}"),
                md5: md5.clone(),
                to_account_id: account(user),
                amount: Amount::from_minor(500, Currency::Usd).unwrap(),
                note: None,
                created_at: t0,
                expires_at: t0 + 600,
            })
            .await
            .unwrap();
        assert!(
            store
                .activate_charge(id, 1000 + user as i32, t0)
                .await
                .unwrap()
        );
        sandbox
            .pay(
                &md5,
                Payment::new(
                    &DecimalAmount::parse("5.00").unwrap(),
                    bakong::Currency::Usd,
                    &account(user),
                ),
            )
            .unwrap();
        charges.push((id, md5));
    }
    Env {
        _dir: dir,
        store,
        sandbox,
        client,
        clock,
        charges,
    }
}

impl Env {
    fn watcher(&self, name: &str) -> Watcher<Client> {
        let sql =
            SqlWatcherStore::new(self.store.clone(), secrets()).with_clock(self.clock.shared());
        Watcher::new(Arc::new(sql), Arc::clone(&self.client), config())
            .with_replica(ReplicaId::named(name))
    }

    /// Waits until `owner` holds a watch lease and a list request is in flight.
    async fn mid_round(&self, owner: &str) -> Vec<MerchantId> {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let in_flight =
                self.sandbox.request_log().iter().any(|r| {
                    r.path.ends_with("check_transaction_by_md5_list") && r.status.is_none()
                });
            let held: Vec<MerchantId> = self
                .store
                .held_leases(LeaseKind::Watch)
                .await
                .unwrap()
                .into_iter()
                .filter(|l| l.owner == owner)
                .map(|l| l.merchant)
                .collect();
            if in_flight && !held.is_empty() {
                return held;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{owner} never mid-round"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// How many list requests asked about `md5`.
    fn times_asked(&self, md5: &str) -> usize {
        self.sandbox
            .request_log()
            .iter()
            .filter(|r| r.path.ends_with("check_transaction_by_md5_list") && r.body.contains(md5))
            .count()
    }

    async fn settle_events(&self, c: ChargeId) -> Vec<String> {
        self.store
            .charge_events(c)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind.to_string())
            .filter(|k| k != "charge_created")
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_watchers_share_a_round_chunk_by_chunk_and_ask_each_charge_once() {
    let e = env().await;
    // Each request waits, so `a` is still asking about its first chunk when `b` starts.
    e.sandbox.set_latency(Duration::from_millis(400));
    let (a, b) = (e.watcher("a"), e.watcher("b"));
    let now = e.clock.unix_secs() + 1;
    let first = tokio::spawn({
        let a = a.clone();
        async move { a.run_round(now).await.unwrap() }
    });
    let held_by_a = e.mid_round("a").await;
    assert_eq!(held_by_a.len(), 2, "one chunk");
    let rb = b.run_round(now).await.unwrap();
    let ra = first.await.unwrap();
    assert_eq!(ra.paid + rb.paid, MERCHANTS as usize, "{ra:?} {rb:?}");
    assert!(ra.paid >= 2 && rb.paid >= 2, "both asked: {ra:?} {rb:?}");
    for (c, md5) in &e.charges {
        assert_eq!(e.times_asked(md5), 1, "{md5} asked once this round");
        assert_eq!(e.settle_events(*c).await, ["charge_paid"], "{c:?}");
    }
    // Both released everything at the end of their rounds.
    assert!(
        e.store
            .held_leases(LeaseKind::Watch)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_dying_mid_round_is_taken_over_once_its_leases_lapse() {
    let e = env().await;
    e.sandbox.set_latency(Duration::from_millis(300));
    let (a, b) = (e.watcher("a"), e.watcher("b"));
    let now = e.clock.unix_secs() + 1;
    let dying = tokio::spawn({
        let a = a.clone();
        async move { a.run_round(now).await }
    });
    let held = e.mid_round("a").await;
    // `a` dies: its round stops where it is, nothing is released.
    dying.abort();
    assert!(dying.await.unwrap_err().is_cancelled());
    let kept = e.store.held_leases(LeaseKind::Watch).await.unwrap();
    assert!(kept.iter().filter(|l| l.owner == "a").count() >= held.len());
    // Until they lapse, `b` asks only about the merchants `a` did not hold.
    let r = b.run_round(now + 1).await.unwrap();
    let dead: Vec<MerchantId> = kept
        .iter()
        .filter(|l| l.owner == "a")
        .map(|l| l.merchant)
        .collect();
    assert_eq!(r.merchants, MERCHANTS as usize - dead.len(), "{r:?}");
    for (c, _) in &e.charges {
        let merchant = e.store.charge(*c).await.unwrap().unwrap().merchant_id;
        let status = e.store.charge(*c).await.unwrap().unwrap().status;
        let expected = if dead.contains(&merchant) {
            ChargeStatus::Pending
        } else {
            ChargeStatus::Paid
        };
        assert_eq!(status, expected, "{c:?}");
    }
    // The leases' clock passes their end: `b` takes them over and settles the rest.
    e.clock.advance_secs(DEFAULT_LEASE_TTL_SECS);
    let r = b.run_round(e.clock.unix_secs()).await.unwrap();
    assert_eq!(r.paid, dead.len(), "{r:?}");
    for (c, _) in &e.charges {
        assert_eq!(
            e.store.charge(*c).await.unwrap().unwrap().status,
            ChargeStatus::Paid
        );
        assert_eq!(e.settle_events(*c).await, ["charge_paid"], "{c:?}");
    }
    assert!(
        e.store
            .held_leases(LeaseKind::Watch)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Who delivered which follow-up, of which merchant.
type Deliveries = Arc<std::sync::Mutex<Vec<(&'static str, i64, MerchantId)>>>;

/// A Telegram that takes a while per follow-up and records who delivered what.
struct SlowTelegram {
    name: &'static str,
    delivered: Deliveries,
    /// How long each delivery takes.
    takes: Duration,
}

impl khqr_bot::watcher::outbox::Deliver for SlowTelegram {
    async fn deliver(
        &self,
        task: &khqr_bot::store::OutboxItem,
    ) -> Result<(), khqr_bot::watcher::outbox::DeliveryError> {
        tokio::time::sleep(self.takes).await;
        self.delivered
            .lock()
            .unwrap()
            .push((self.name, task.id, task.merchant_id));
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_outboxes_deliver_each_follow_up_once_a_merchant_by_one_in_order() {
    let e = env().await;
    // Two follow-ups per merchant (its cancellation, then its token notice), interleaved.
    let now = e.clock.unix_secs();
    for (c, _) in &e.charges {
        let m = e.store.charge(*c).await.unwrap().unwrap().merchant_id;
        assert!(e.store.cancel_charge(m, *c, now).await.unwrap());
    }
    for (c, _) in &e.charges {
        let m = e.store.charge(*c).await.unwrap().unwrap().merchant_id;
        let version = e.store.merchant(m).await.unwrap().unwrap().token_version;
        assert!(e.store.reject_token(m, version, now).await.unwrap());
    }
    let delivered: Deliveries = Arc::default();
    let drain = |name: &'static str| {
        let (store, delivered) = (e.store.clone(), Arc::clone(&delivered));
        async move {
            let telegram = SlowTelegram {
                name,
                delivered,
                takes: Duration::from_millis(30),
            };
            khqr_bot::watcher::outbox::drain_as(
                &store,
                &telegram,
                khqr_bot::watcher::outbox::OutboxPolicy::default(),
                now,
                &ReplicaId::named(name),
                DEFAULT_LEASE_TTL_SECS,
            )
            .await
            .unwrap()
        }
    };
    let (ra, rb) = tokio::join!(tokio::spawn(drain("a")), tokio::spawn(drain("b")));
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    let all = delivered.lock().unwrap().clone();
    assert_eq!(
        ra.delivered + rb.delivered,
        2 * MERCHANTS as usize,
        "{ra:?} {rb:?}"
    );
    let mut ids: Vec<i64> = all.iter().map(|(_, id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        all.len(),
        "each follow-up delivered once: {all:?}"
    );
    for m in 1..=MERCHANTS {
        let mine: Vec<&(&str, i64, MerchantId)> =
            all.iter().filter(|(_, _, mm)| mm.0 == m).collect();
        assert_eq!(mine.len(), 2, "{all:?}");
        assert_eq!(mine[0].0, mine[1].0, "one replica per merchant: {all:?}");
        assert!(mine[0].1 < mine[1].1, "in id order: {all:?}");
    }
    assert!(
        e.store
            .held_leases(LeaseKind::Outbox)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A machine whose clock is `secs` off (its NTP broken): the process's clock, not a test's,
/// so the database's clock is taken as it is (`Clock::database_ms`).
#[derive(Debug)]
struct Skewed(i64);

impl Clock for Skewed {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + chrono::TimeDelta::seconds(self.0)
    }
}

/// How many undone follow-ups the database holds.
async fn undone(store: &Store) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM telegram_outbox WHERE done_at IS NULL")
        .fetch_one(store.pool())
        .await
        .unwrap()
}

/// Two replicas whose machines' clocks are an hour apart each way, running the bot's own
/// loops (rounds and outbox drains) on one database: leases, expiry and schedules go by the
/// database's clock, so neither takes the other's live leases for lapsed — each paid charge
/// is asked about once and its follow-up sent once — and the one running ahead does not
/// end a charge that has ten minutes left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_with_skewed_clocks_send_each_follow_up_once_and_end_no_charge_early() {
    use khqr_bot::watcher::outbox::OutboxPolicy;
    use khqr_bot::watcher::scheduler::{OutboxLeases, outbox_loop_as, poll_loop};
    use tokio::sync::Notify;
    use tokio_util::sync::CancellationToken;

    let e = env().await;
    let ahead: khqr_bot::time::SharedClock = Arc::new(Skewed(3_600));
    let behind: khqr_bot::time::SharedClock = Arc::new(Skewed(-3_600));
    let db_now = e.store.now().await.unwrap();

    // The outbox: "behind" is sending one follow-up of each merchant (slowly) when "ahead"
    // drains too. By "ahead"'s clock "behind"'s leases lapsed an hour ago; by the
    // database's they are live, so "ahead" sends none of them.
    let mut notices = Vec::new();
    for (c, _) in &e.charges {
        let merchant = e.store.charge(*c).await.unwrap().unwrap().merchant_id;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO telegram_outbox (merchant_id, kind, next_attempt_at, created_at) \
             VALUES ($1, 'token_expiring', $2, $2) RETURNING id",
        )
        .bind(merchant.0)
        .bind(db_now)
        .fetch_one(e.store.pool())
        .await
        .unwrap();
        notices.push(id);
    }
    let delivered: Deliveries = Arc::default();
    let drain = |name: &'static str, clock: &khqr_bot::time::SharedClock| {
        let store = e.store.clone().with_clock(Arc::clone(clock));
        let telegram = SlowTelegram {
            name,
            delivered: Arc::clone(&delivered),
            takes: Duration::from_millis(100),
        };
        async move {
            khqr_bot::watcher::outbox::drain_as(
                &store,
                &telegram,
                OutboxPolicy::default(),
                db_now,
                &ReplicaId::named(name),
                DEFAULT_LEASE_TTL_SECS,
            )
            .await
            .unwrap()
        }
    };
    let first_drain = tokio::spawn(drain("behind", &behind));
    let deadline = tokio::time::Instant::now() + WAIT;
    while e.store.held_leases(LeaseKind::Outbox).await.unwrap().len() < notices.len() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "behind never drained"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let second = drain("ahead", &ahead).await;
    let first = first_drain.await.unwrap();
    assert_eq!((first.delivered, second.delivered), (notices.len(), 0));
    let sent: Vec<i64> = delivered.lock().unwrap().iter().map(|d| d.1).collect();
    assert_eq!(sent, notices, "each follow-up once, in order");
    delivered.lock().unwrap().clear();

    // The rounds and the drains as the bot runs them, on both machines. Merchant 1 also has
    // a charge nobody pays, ten minutes from its expiry by the database's clock (the
    // machine running ahead would call it expired an hour ago).
    let first = e.store.charge(e.charges[0].0).await.unwrap().unwrap();
    let unpaid_md5 = "f".repeat(32);
    let unpaid = e
        .store
        .insert_creating_charge(&NewCharge {
            merchant_id: first.merchant_id,
            chat_id: 1,
            bill_number: "UNPAID".into(),
            khqr: "khqr-unpaid".into(),
            md5: unpaid_md5.clone(),
            to_account_id: account(1),
            amount: Amount::from_minor(700, Currency::Usd).unwrap(),
            note: None,
            created_at: db_now,
            expires_at: db_now + 600,
        })
        .await
        .unwrap();
    assert!(e.store.activate_charge(unpaid, 999, db_now).await.unwrap());
    // Bakong takes a while to answer, so the two replicas' rounds overlap; and every charge
    // has been due for two hours, by either machine's clock.
    e.sandbox.set_latency(Duration::from_millis(300));
    sqlx::query("UPDATE charges SET next_poll_at = next_poll_at - 7200")
        .execute(e.store.pool())
        .await
        .unwrap();

    let stop = CancellationToken::new();
    let mut loops = Vec::new();
    for (name, clock) in [("ahead", &ahead), ("behind", &behind)] {
        let clock = Arc::clone(clock);
        let replica = ReplicaId::named(name);
        let wake = Arc::new(Notify::new());
        let sql = SqlWatcherStore::new(e.store.clone(), secrets()).with_clock(Arc::clone(&clock));
        let watcher = Watcher::new(Arc::new(sql), Arc::clone(&e.client), config())
            .with_replica(replica.clone())
            .notify_on_settle(Arc::clone(&wake));
        loops.push(tokio::spawn(poll_loop(
            watcher,
            Duration::from_millis(200),
            Arc::clone(&wake),
            stop.clone(),
        )));
        let telegram = SlowTelegram {
            name,
            delivered: Arc::clone(&delivered),
            takes: Duration::from_millis(300),
        };
        loops.push(tokio::spawn(outbox_loop_as(
            e.store.clone().with_clock(clock),
            Arc::new(telegram),
            OutboxPolicy::default(),
            Duration::from_millis(100),
            wake,
            stop.clone(),
            OutboxLeases {
                replica,
                ttl_secs: DEFAULT_LEASE_TTL_SECS,
            },
        )));
    }

    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let mut paid = 0;
        for (c, _) in &e.charges {
            if e.store.charge(*c).await.unwrap().unwrap().status == ChargeStatus::Paid {
                paid += 1;
            }
        }
        let settled = paid == e.charges.len() && undone(&e.store).await == 0;
        // The unpaid charge has been judged a few times meanwhile (or ended: see below).
        let judged = e.times_asked(&unpaid_md5) >= 3
            || e.store
                .charge(unpaid)
                .await
                .unwrap()
                .unwrap()
                .last_check_at
                .is_some();
        if settled && judged {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{paid} paid, {} follow-ups undone",
            undone(&e.store).await
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    for task in loops {
        task.await.unwrap();
    }

    let all = delivered.lock().unwrap().clone();
    let mut ids: Vec<i64> = all.iter().map(|(_, id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "a follow-up sent twice: {all:?}");
    assert_eq!(all.len(), MERCHANTS as usize, "{all:?}");
    for (c, md5) in &e.charges {
        assert_eq!(e.times_asked(md5), 1, "{md5} asked by both replicas");
        assert_eq!(e.settle_events(*c).await, ["charge_paid"], "{c:?}");
    }
    let left = e.store.charge(unpaid).await.unwrap().unwrap();
    assert_eq!(left.status, ChargeStatus::Pending);
    assert_eq!(left.last_check_at, None, "judged past its expiry");
    assert!(e.store.now().await.unwrap() < left.expires_at);
}

/// Telegram as it looks to replica "a" whose drain is overtaken: while it sends `lapse_on`,
/// its lease on that merchant lapses and replica "b" claims it; while it sends `done_on`'s
/// follow-up, the replica that held that merchant before delivers `done_too`.
struct Overtaken {
    store: Store,
    delivered: Arc<std::sync::Mutex<Vec<i64>>>,
    lapse_on: i64,
    done_on: i64,
    done_too: i64,
}

impl khqr_bot::watcher::outbox::Deliver for Overtaken {
    async fn deliver(
        &self,
        task: &khqr_bot::store::OutboxItem,
    ) -> Result<(), khqr_bot::watcher::outbox::DeliveryError> {
        let now = self.store.now().await.unwrap();
        if task.id == self.lapse_on {
            sqlx::query("UPDATE merchants SET outbox_until = $2 WHERE id = $1")
                .bind(task.merchant_id.0)
                .bind(now)
                .execute(self.store.pool())
                .await
                .unwrap();
            let taken = self
                .store
                .claim_outbox_leases(&ReplicaId::named("b"), now, now, DEFAULT_LEASE_TTL_SECS, 10)
                .await
                .unwrap();
            assert_eq!(taken, [task.merchant_id]);
        }
        if task.id == self.done_on {
            assert!(self.store.outbox_done(self.done_too, now).await.unwrap());
        }
        self.delivered.lock().unwrap().push(task.id);
        Ok(())
    }
}

/// A follow-up is sent only after its sender checked, right before, that it still holds
/// its merchant's outbox: a drain whose lease lapsed (and was claimed by another replica)
/// stops for that merchant, skips a follow-up delivered meanwhile, goes on with the others —
/// and leaves a follow-up of a kind this build does not know (a newer build's, mid-upgrade)
/// as it found it, for a replica that knows it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_sends_nothing_more_of_a_merchant_whose_lease_it_lost() {
    let e = env().await;
    let m: Vec<MerchantId> = {
        let mut m = Vec::new();
        for (c, _) in &e.charges[..3] {
            m.push(e.store.charge(*c).await.unwrap().unwrap().merchant_id);
        }
        m
    };
    let now = e.store.now().await.unwrap();
    let queue = |merchant: MerchantId, kind: &'static str| {
        let store = e.store.clone();
        async move {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO telegram_outbox (merchant_id, kind, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $3) RETURNING id",
            )
            .bind(merchant.0)
            .bind(kind)
            .bind(now)
            .fetch_one(store.pool())
            .await
            .unwrap();
            id
        }
    };
    let lapse_on = queue(m[0], "token_expiring").await;
    let done_on = queue(m[1], "token_expiring").await;
    let newer = queue(m[2], "charge_refunded").await;
    let lost_1 = queue(m[0], "token_expiring").await;
    let done_too = queue(m[1], "token_expiring").await;
    let other = queue(m[2], "token_expiring").await;
    let lost_2 = queue(m[0], "token_expiring").await;

    let telegram = Overtaken {
        store: e.store.clone(),
        delivered: Arc::default(),
        lapse_on,
        done_on,
        done_too,
    };
    let report = khqr_bot::watcher::outbox::drain_as(
        &e.store,
        &telegram,
        khqr_bot::watcher::outbox::OutboxPolicy::default(),
        now,
        &ReplicaId::named("a"),
        DEFAULT_LEASE_TTL_SECS,
    )
    .await
    .unwrap();
    assert_eq!(
        *telegram.delivered.lock().unwrap(),
        [lapse_on, done_on, other]
    );
    assert_eq!(
        (report.delivered, report.lease_lost, report.already_done),
        (3, 2, 1),
        "{report:?}"
    );
    // Left for "b", which holds their merchant now: undone, no attempt spent.
    let state = |id: i64| {
        let store = e.store.clone();
        async move {
            let row: (i64, Option<i64>) =
                sqlx::query_as("SELECT attempts, done_at FROM telegram_outbox WHERE id = $1")
                    .bind(id)
                    .fetch_one(store.pool())
                    .await
                    .unwrap();
            row
        }
    };
    for id in [lost_1, lost_2, newer] {
        assert_eq!(state(id).await, (0, None), "{id}");
    }
    let held = e.store.held_leases(LeaseKind::Outbox).await.unwrap();
    assert_eq!(held.len(), 1, "{held:?}");
    assert_eq!((held[0].merchant, held[0].owner.as_str()), (m[0], "b"));
}
