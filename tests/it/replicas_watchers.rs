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
}

impl khqr_bot::watcher::outbox::Deliver for SlowTelegram {
    async fn deliver(
        &self,
        task: &khqr_bot::store::OutboxItem,
    ) -> Result<(), khqr_bot::watcher::outbox::DeliveryError> {
        tokio::time::sleep(Duration::from_millis(30)).await;
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
            let telegram = SlowTelegram { name, delivered };
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
