//! The watcher over the real SQLite store and the Bakong sandbox on 127.0.0.1: every rule
//! end to end, 401 then a new token, 5xx / 429 storms, restarts, racing watchers, and the
//! `/history` totals.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use khqr_bot::bakong::sandbox::{Fault, FaultKind, Payment, Sandbox, SandboxHandle};
use khqr_bot::bakong::{self, Client, DecimalAmount, RetryPolicy};
use khqr_bot::bot::reports::period::parse_period;
use khqr_bot::crypto::{SecretBox, SecretKey};
use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{Amount, BakongAccountId, City, Currency, ShopName};
use khqr_bot::store::{
    ChargeId, ChargeStatus, EventKind, FollowUpKind, MerchantId, NewCharge, Profile, SettleOutcome,
    Store,
};
use khqr_bot::watcher::backoff::BackoffPolicy;
use khqr_bot::watcher::decide::Rules;
use khqr_bot::watcher::schedule::Schedule;
use khqr_bot::watcher::sql::SqlWatcherStore;
use khqr_bot::watcher::{CheckNow, SettledAs, Watcher, WatcherConfig};

const TTL: i64 = 600;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn secrets() -> SecretBox {
    SecretBox::new(&SecretKey::parse(&"42".repeat(32)).unwrap())
}

fn config() -> WatcherConfig {
    WatcherConfig {
        rules: Rules {
            expiry_grace_secs: 5,
        },
        backoff: BackoffPolicy {
            base_secs: 5,
            max_secs: 60,
            max_retry_after_secs: 600,
        },
        max_in_flight: 8,
        // Every charge due at every 1 s round, as before the adaptive schedule.
        schedule: Schedule::with_interval(1),
        ..WatcherConfig::default()
    }
}

struct Env {
    _dir: tempfile::TempDir,
    url: String,
    store: Store,
    sandbox: SandboxHandle,
    client: Arc<Client>,
    watcher: Watcher<Client>,
    t0: i64,
}

async fn env() -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bot.db").display());
    let store = Store::open(&url).await.unwrap();
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut cfg = sandbox.client_config();
    cfg.retry = RetryPolicy::never();
    let client = Arc::new(Client::new(cfg).unwrap());
    let watcher = Watcher::new(
        Arc::new(SqlWatcherStore::new(store.clone(), secrets())),
        Arc::clone(&client),
        config(),
    );
    Env {
        _dir: dir,
        url,
        store,
        sandbox,
        client,
        watcher,
        t0: now(),
    }
}

fn account(user: i64) -> String {
    format!("shop{user}@aba")
}

impl Env {
    /// A merchant who finished /setup with a sandbox token. Returns (id, token).
    async fn merchant(&self, user: i64) -> (MerchantId, String) {
        let m = self
            .store
            .ensure_merchant(user, user, Lang::En, self.t0)
            .await
            .unwrap();
        let token = self.sandbox.issue_token(&format!("m{user}@example.com"));
        let profile = Profile {
            account_id: BakongAccountId::parse(&account(user)).unwrap(),
            shop_name: ShopName::parse(&format!("Shop {user}")).unwrap(),
            city: City::parse("Phnom Penh").unwrap(),
            token_sealed: secrets().seal(&m.id.token_aad(), token.as_bytes()).unwrap(),
            token_expires_at: None,
        };
        assert!(
            self.store
                .save_profile(m.id, &profile, self.t0)
                .await
                .unwrap()
        );
        (m.id, token)
    }

    async fn charge(&self, m: MerchantId, md5: &str, minor: u64, currency: Currency) -> ChargeId {
        let id = self
            .store
            .insert_creating_charge(&NewCharge {
                merchant_id: m,
                chat_id: m.0,
                bill_number: format!("B{md5}"),
                khqr: format!("khqr-{md5}"),
                md5: md5.into(),
                to_account_id: account(self.user_of(m).await),
                amount: Amount::from_minor(minor, currency).unwrap(),
                note: None,
                created_at: self.t0,
                expires_at: self.t0 + TTL,
            })
            .await
            .unwrap();
        assert!(
            self.store
                .activate_charge(id, 1000 + id.0 as i32, self.t0)
                .await
                .unwrap()
        );
        id
    }

    async fn user_of(&self, m: MerchantId) -> i64 {
        self.store
            .merchant(m)
            .await
            .unwrap()
            .unwrap()
            .telegram_user_id
    }

    fn pay(&self, md5: &str, amount: &str, currency: bakong::Currency, to: &str) {
        self.sandbox
            .pay(
                md5,
                Payment::new(&DecimalAmount::parse(amount).unwrap(), currency, to),
            )
            .unwrap();
    }

    async fn status(&self, c: ChargeId) -> ChargeStatus {
        self.store.charge(c).await.unwrap().unwrap().status
    }

    async fn follow_ups(&self, c: ChargeId) -> Vec<String> {
        self.store
            .charge_outbox(c)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.kind.as_str().to_owned())
            .collect()
    }

    fn list_requests(&self, token: &str) -> usize {
        self.sandbox
            .request_log()
            .iter()
            .filter(|r| {
                r.path.ends_with("check_transaction_by_md5_list") && r.bearer() == Some(token)
            })
            .count()
    }
}

fn md5(i: u32) -> String {
    format!("{i:032x}")
}

#[tokio::test]
async fn settles_paid_underpaid_failed_mismatched_and_expired_charges_exactly_once() {
    let e = env().await;
    let (m, token) = e.merchant(1).await;
    let paid = e.charge(m, &md5(1), 500, Currency::Usd).await;
    let paid_khr = e.charge(m, &md5(2), 40_000, Currency::Khr).await;
    let failed = e.charge(m, &md5(3), 500, Currency::Usd).await;
    let wrong_amount = e.charge(m, &md5(4), 500, Currency::Usd).await;
    let wrong_currency = e.charge(m, &md5(5), 500, Currency::Usd).await;
    let wrong_account = e.charge(m, &md5(6), 500, Currency::Usd).await;
    let unpaid = e.charge(m, &md5(7), 500, Currency::Usd).await;
    e.pay(&md5(1), "5.00", bakong::Currency::Usd, &account(1));
    e.pay(&md5(2), "40000", bakong::Currency::Khr, &account(1));
    e.sandbox.fail(&md5(3));
    e.pay(&md5(4), "4.99", bakong::Currency::Usd, &account(1));
    e.pay(&md5(5), "5", bakong::Currency::Khr, &account(1));
    e.pay(&md5(6), "5", bakong::Currency::Usd, "thief@aba");

    let r = e.watcher.run_round(e.t0 + 5).await.unwrap();
    assert_eq!(r.requests, 1, "7 charges of one merchant: one list request");
    assert_eq!(
        (r.paid, r.underpaid, r.failed, r.mismatched, r.kept_pending),
        (2, 1, 1, 2, 1)
    );

    let c = e.store.charge(paid).await.unwrap().unwrap();
    assert_eq!(c.status, ChargeStatus::Paid);
    assert_eq!(c.bakong_hash.as_deref().map(str::len), Some(64));
    assert!(c.payer_account_id.is_some());
    assert_eq!(c.settled_at, Some(e.t0 + 5));
    assert_eq!(e.status(paid_khr).await, ChargeStatus::Paid);
    assert_eq!(e.status(failed).await, ChargeStatus::Failed);
    for (c, status, edit) in [
        (wrong_amount, ChargeStatus::Underpaid, "charge_underpaid"),
        (wrong_currency, ChargeStatus::Mismatch, "charge_mismatch"),
        (wrong_account, ChargeStatus::Mismatch, "charge_mismatch"),
    ] {
        let row = e.store.charge(c).await.unwrap().unwrap();
        assert_eq!(row.status, status, "never paid");
        assert!(row.paid_at.is_some(), "when the transfer was made is kept");
        assert!(row.paid_currency.is_some());
        assert_eq!(e.follow_ups(c).await, vec![edit]);
    }
    let wa = e.store.charge(wrong_amount).await.unwrap().unwrap();
    assert_eq!(
        (wa.paid_amount_minor, wa.paid_currency.as_deref()),
        (Some(499), Some("USD"))
    );
    let wc = e.store.charge(wrong_currency).await.unwrap().unwrap();
    assert_eq!(
        (wc.paid_amount_minor, wc.paid_currency.as_deref()),
        (Some(5), Some("KHR"))
    );
    let wacc = e.store.charge(wrong_account).await.unwrap().unwrap();
    assert_eq!(wacc.paid_to_account_id.as_deref(), Some("thief@aba"));
    assert_eq!(e.follow_ups(paid).await, vec!["charge_paid"]);
    assert_eq!(e.follow_ups(failed).await, vec!["charge_failed"]);

    // The unpaid one: last check at expiry, expired a round later.
    assert_eq!(
        e.watcher.run_round(e.t0 + TTL).await.unwrap().last_checks,
        1
    );
    assert_eq!(e.status(unpaid).await, ChargeStatus::Pending);
    assert!(e.follow_ups(unpaid).await.is_empty());
    assert_eq!(
        e.watcher.run_round(e.t0 + TTL + 5).await.unwrap().expired,
        1
    );
    assert_eq!(e.status(unpaid).await, ChargeStatus::Expired);
    assert_eq!(e.follow_ups(unpaid).await, vec!["charge_expired"]);

    // Nothing pending. The expired one is still watched for a late payment (issue 10), at
    // the late cadence and only until 15 minutes after its expiry; no second follow-up.
    let r = e.watcher.run_round(e.t0 + TTL + 10).await.unwrap();
    assert_eq!((r.charges, r.requests), (1, 1));
    let before = e.list_requests(&token);
    let r = e.watcher.run_round(e.t0 + TTL + 20).await.unwrap();
    assert_eq!((r.charges, r.requests), (0, 0));
    let after_window = e.t0 + TTL + khqr_bot::watcher::decide::LATE_WATCH_SECS;
    let r = e.watcher.run_round(after_window).await.unwrap();
    assert_eq!((r.charges, r.requests), (0, 0));
    assert_eq!(e.list_requests(&token), before);
    for c in [paid, paid_khr, failed, unpaid] {
        assert_eq!(e.follow_ups(c).await.len(), 1);
        let events = e.store.charge_events(c).await.unwrap();
        let settled_events = events
            .iter()
            .filter(|ev| ev.kind != "charge_created")
            .count();
        assert_eq!(settled_events, 1, "{events:?}");
    }
}

#[tokio::test]
async fn requests_are_batched_fifty_md5_per_call() {
    let e = env().await;
    let (m1, t1) = e.merchant(1).await;
    let (m2, t2) = e.merchant(2).await;
    for i in 0..120 {
        e.charge(m1, &md5(i), 100, Currency::Usd).await;
    }
    for i in 1000..1003 {
        e.charge(m2, &md5(i), 100, Currency::Usd).await;
    }
    let r = e.watcher.run_round(e.t0 + 5).await.unwrap();
    assert_eq!(r.requests, 3 + 1);
    assert_eq!((e.list_requests(&t1), e.list_requests(&t2)), (3, 1));
    let mut sizes: Vec<usize> = e
        .sandbox
        .request_log()
        .iter()
        .filter_map(|r| r.list_len)
        .collect();
    sizes.sort();
    assert_eq!(sizes, vec![3, 20, 50, 50]);
}

#[tokio::test]
async fn refused_token_stops_polling_until_a_new_token_is_stored() {
    let e = env().await;
    let (m, token) = e.merchant(1).await;
    let c = e.charge(m, &md5(1), 500, Currency::Usd).await;
    assert!(e.sandbox.revoke_token(&token));

    let r = e.watcher.run_round(e.t0 + 5).await.unwrap();
    assert_eq!(r.request_failures, 1);
    let merchant = e.store.merchant(m).await.unwrap().unwrap();
    assert!(merchant.token_rejected_at.is_some());
    let notices: Vec<_> = e
        .store
        .outbox_due(i64::MAX, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.kind == "token_refused")
        .collect();
    assert_eq!(notices.len(), 1);

    // Rounds after, including a restarted watcher and past expiry: no request at all.
    let restarted = Watcher::new(
        Arc::new(SqlWatcherStore::new(e.store.clone(), secrets())),
        Arc::clone(&e.client),
        config(),
    );
    e.watcher.run_round(e.t0 + 10).await.unwrap();
    restarted.run_round(e.t0 + TTL + 60).await.unwrap();
    assert_eq!(e.list_requests(&token), 1);
    assert_eq!(e.status(c).await, ChargeStatus::Pending);

    // The customer paid meanwhile; the merchant stores a new token (/token).
    e.pay(&md5(1), "5", bakong::Currency::Usd, &account(1));
    let new_token = e.sandbox.issue_token("m1@example.com");
    let sealed = secrets()
        .seal(&m.token_aad(), new_token.as_bytes())
        .unwrap();
    assert!(
        e.store
            .replace_token(m, &sealed, None, e.t0 + TTL + 70)
            .await
            .unwrap()
    );
    let r = e.watcher.run_round(e.t0 + TTL + 75).await.unwrap();
    assert_eq!(r.paid, 1);
    assert_eq!(e.status(c).await, ChargeStatus::Paid);
    assert_eq!(e.list_requests(&new_token), 1);
}

#[tokio::test]
async fn server_errors_open_the_circuit_a_429_backs_off_the_merchant_and_charges_stay_pending() {
    let e = env().await;
    let (m, token) = e.merchant(1).await;
    let c = e.charge(m, &md5(1), 500, Currency::Usd).await;
    let list = "check_transaction_by_md5_list";
    e.sandbox
        .push_fault(Fault::new(FaultKind::ServerErrorHtml { status: 502 }, 1).on(list))
        .unwrap();
    e.sandbox
        .push_fault(
            Fault::new(
                FaultKind::RateLimited {
                    retry_after_secs: Some(30),
                },
                1,
            )
            .on(list),
        )
        .unwrap();
    e.sandbox
        .push_fault(Fault::new(FaultKind::MalformedJson, 1).on(list))
        .unwrap();
    let mut asked_at = vec![];
    // Every second for 2 minutes (expiry is t0 + 600: not reached, so the charge must
    // simply still be pending).
    for t in 0..120 {
        let before = e.list_requests(&token);
        e.watcher.run_round(e.t0 + t).await.unwrap();
        if e.list_requests(&token) > before {
            asked_at.push(t);
        }
    }
    // 502 at 0 → circuit open, probe 3 s later → 429 at 3 (Retry-After 30): Bakong
    // answered, so the circuit closes, and the 429 backs this merchant's token off until 33
    // → a malformed answer at 33 (per-token trouble again: the second back-off, 10 s) →
    // answered at 43, then every round.
    assert_eq!(&asked_at[..4], &[0, 3, 33, 43]);
    assert_eq!(asked_at.len(), 4 + (119 - 43));
    assert!(!e.watcher.circuit_open());
    assert_eq!(e.status(c).await, ChargeStatus::Pending);
    assert!(e.store.charge_outbox(c).await.unwrap().is_empty());
}

#[tokio::test]
async fn reordered_list_answers_settle_each_charge_with_its_own_payment() {
    let e = env().await;
    let (m, _) = e.merchant(1).await;
    let mut ids = vec![];
    for i in 1..=3u32 {
        ids.push(
            e.charge(m, &md5(i), 100 + u64::from(i), Currency::Usd)
                .await,
        );
        e.pay(
            &md5(i),
            &format!("1.0{i}"),
            bakong::Currency::Usd,
            &account(1),
        );
    }
    e.sandbox
        .push_fault(Fault::new(FaultKind::ReverseItems, 1))
        .unwrap();
    let r = e.watcher.run_round(e.t0 + 1).await.unwrap();
    assert_eq!((r.paid, r.mismatched), (3, 0), "{r:?}");
    for id in ids {
        assert_eq!(e.status(id).await, ChargeStatus::Paid);
    }
}

#[tokio::test]
async fn an_md5_left_out_of_the_answer_is_asked_again_never_expired_or_paid() {
    let e = env().await;
    let (m, _) = e.merchant(1).await;
    let left_out = e.charge(m, &md5(1), 100, Currency::Usd).await;
    let answered = e.charge(m, &md5(2), 100, Currency::Usd).await;
    // Past the QR's expiry: a NotFound would record the last check, then expire.
    let late = e.t0 + TTL + 1;
    for t in 0..3 {
        e.sandbox
            .push_fault(Fault::new(FaultKind::DropItems { count: 1 }, 1))
            .unwrap();
        e.watcher.run_round(late + t * 10).await.unwrap();
    }
    assert_eq!(e.status(left_out).await, ChargeStatus::Pending);
    let row = e.store.charge(left_out).await.unwrap().unwrap();
    assert_eq!(row.last_check_at, None, "unanswered is not an empty answer");
    assert_eq!(e.status(answered).await, ChargeStatus::Expired);
    // Answered at last (paid before expiry): paid.
    e.pay(&md5(1), "1.00", bakong::Currency::Usd, &account(1));
    let r = e.watcher.run_round(late + 40).await.unwrap();
    assert_eq!(r.paid, 1);
    assert_eq!(e.status(left_out).await, ChargeStatus::Paid);
}

#[tokio::test]
async fn a_production_like_bakong_is_polled_per_md5_through_the_real_client() {
    let e = env().await;
    let (m, token) = e.merchant(1).await;
    let a = e.charge(m, &md5(1), 500, Currency::Usd).await;
    let b = e.charge(m, &md5(2), 500, Currency::Usd).await;
    e.sandbox.set_batch_closed(true);
    e.pay(&md5(2), "5.00", bakong::Currency::Usd, &account(1));
    e.watcher.run_round(e.t0 + 1).await.unwrap();
    assert!(e.watcher.polls_per_md5());
    let r = e.watcher.run_round(e.t0 + 2).await.unwrap();
    assert_eq!(r.paid, 1, "{r:?}");
    assert_eq!(e.status(b).await, ChargeStatus::Paid);
    assert_eq!(e.status(a).await, ChargeStatus::Pending);
    let singles = e
        .sandbox
        .request_log()
        .iter()
        .filter(|r| r.path.ends_with("/check_transaction_by_md5") && r.bearer() == Some(&token))
        .count();
    // The probe at t0+1, then both charges at t0+2.
    assert_eq!(singles, 3);
    assert_eq!(e.list_requests(&token), 1);
}

/// Requests the sandbox logged to `endpoint` (`check_transaction_by_md5` or `…_list`).
fn logged(sandbox: &SandboxHandle, endpoint: &str) -> usize {
    let path = format!("/v1/{endpoint}");
    sandbox
        .request_log()
        .iter()
        .filter(|r| r.path == path)
        .count()
}

#[tokio::test]
async fn a_closed_list_endpoint_costs_one_refused_request_and_one_probe_for_everyone() {
    let e = env().await;
    // More merchants than requests in flight (8).
    for user in 1..=20 {
        let (m, _) = e.merchant(user).await;
        e.charge(m, &md5(user as u32), 500, Currency::Usd).await;
    }
    e.sandbox.set_batch_closed(true);
    let r = e.watcher.run_round(e.t0 + 1).await.unwrap();
    assert!(e.watcher.polls_per_md5());
    assert_eq!(logged(&e.sandbox, "check_transaction_by_md5_list"), 1);
    // One probe for everyone; the other 19 merchants' charges wait for the next round.
    assert_eq!(logged(&e.sandbox, "check_transaction_by_md5"), 1);
    assert_eq!((r.requests, r.unchecked), (2, 19), "{r:?}");
    e.sandbox.clear_request_log();
    // Next round: per md5, as far as BAKONG_MAX_RPS (10 a round) allows, never-checked
    // charges first; no list request.
    let r = e.watcher.run_round(e.t0 + 2).await.unwrap();
    assert_eq!(logged(&e.sandbox, "check_transaction_by_md5_list"), 0);
    assert_eq!(logged(&e.sandbox, "check_transaction_by_md5"), 10);
    assert_eq!((r.requests, r.per_md5), (10, true), "{r:?}");
}

#[tokio::test]
async fn merchants_due_together_are_spread_over_the_two_second_gap() {
    let e = env().await;
    for user in 1..=100 {
        let (m, _) = e.merchant(user).await;
        e.charge(m, &md5(user as u32), 500, Currency::Usd).await;
    }
    // The default schedule: a young charge every 2 s, a merchant at most every 2 s.
    let watcher = Watcher::new(
        Arc::new(SqlWatcherStore::new(e.store.clone(), secrets())),
        Arc::clone(&e.client),
        WatcherConfig {
            schedule: Schedule::default(),
            ..config()
        },
    );
    // All 100 due at once: about half now, the rest the next second (50 ≥ 8 in flight).
    // The first round's lone first request (the list endpoint is not confirmed yet) is
    // one of the 100, so 1 + 50 now and 49 next.
    let r = watcher.run_round(e.t0 + 1).await.unwrap();
    assert_eq!((r.requests, r.spread, r.charges), (51, 49, 100), "{r:?}");
    let r = watcher.run_round(e.t0 + 2).await.unwrap();
    assert_eq!((r.requests, r.spread), (49, 0), "{r:?}");
    // One merchant moves to the other half; from then on each second asks one half,
    // each merchant every 2 s.
    let r = watcher.run_round(e.t0 + 3).await.unwrap();
    assert_eq!((r.requests, r.spread), (50, 1), "{r:?}");
    for t in 4..=5 {
        let r = watcher.run_round(e.t0 + t).await.unwrap();
        assert_eq!(
            (r.requests, r.spread, r.skipped_recent),
            (50, 0, 0),
            "{r:?}"
        );
    }
    assert_eq!(logged(&e.sandbox, "check_transaction_by_md5_list"), 250);
}

#[tokio::test]
async fn a_list_endpoint_closing_later_is_probed_once_not_once_per_merchant() {
    let e = env().await;
    for user in 1..=40 {
        let (m, _) = e.merchant(user).await;
        e.charge(m, &md5(user as u32), 500, Currency::Usd).await;
    }
    let r = e.watcher.run_round(e.t0 + 1).await.unwrap();
    assert_eq!(r.requests, 40, "{r:?}");
    assert!(!e.watcher.polls_per_md5());
    e.sandbox.clear_request_log();
    e.sandbox.set_batch_closed(true);
    e.watcher.run_round(e.t0 + 2).await.unwrap();
    assert!(e.watcher.polls_per_md5());
    // Only the list requests already in flight (8) are refused; one of them probes.
    let lists = logged(&e.sandbox, "check_transaction_by_md5_list");
    assert!((1..=8).contains(&lists), "{lists} list requests");
    assert_eq!(logged(&e.sandbox, "check_transaction_by_md5"), 1);
}

#[tokio::test]
async fn a_restart_picks_up_pending_charges_and_expires_nothing_early() {
    let e = env().await;
    let (m, _) = e.merchant(1).await;
    let ids: Vec<ChargeId> = {
        let mut v = vec![];
        for i in 0..60 {
            v.push(e.charge(m, &md5(i), 100, Currency::Usd).await);
        }
        v
    };
    e.watcher.run_round(e.t0 + 5).await.unwrap();
    for i in 0..60 {
        e.pay(&md5(i), "1", bakong::Currency::Usd, &account(1));
    }
    // "Restart": a new pool on the same file, a new watcher.
    let store = Store::open(&e.url).await.unwrap();
    let watcher = Watcher::new(
        Arc::new(SqlWatcherStore::new(store.clone(), secrets())),
        Arc::clone(&e.client),
        config(),
    );
    let r = watcher.run_round(e.t0 + 10).await.unwrap();
    assert_eq!((r.paid, r.requests), (60, 2));
    for id in ids {
        assert_eq!(e.follow_ups(id).await, vec!["charge_paid"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_watchers_and_check_now_settle_each_charge_once() {
    let e = env().await;
    let (m, _) = e.merchant(1).await;
    let mut ids = vec![];
    for i in 0..40 {
        ids.push(e.charge(m, &md5(i), 100, Currency::Usd).await);
        e.pay(&md5(i), "1.00", bakong::Currency::Usd, &account(1));
    }
    let other = Watcher::new(
        Arc::new(SqlWatcherStore::new(
            Store::open(&e.url).await.unwrap(),
            secrets(),
        )),
        Arc::clone(&e.client),
        config(),
    );
    let presses = async {
        let mut n = 0;
        for id in ids.iter().step_by(5) {
            if e.watcher.check_now(*id, e.t0 + 5).await.unwrap()
                == CheckNow::Settled(SettledAs::Paid)
            {
                n += 1;
            }
        }
        n
    };
    let (a, b, n) = tokio::join!(
        e.watcher.run_round(e.t0 + 5),
        other.run_round(e.t0 + 5),
        presses
    );
    assert_eq!(a.unwrap().paid + b.unwrap().paid + n, 40);
    for id in &ids {
        assert_eq!(e.status(*id).await, ChargeStatus::Paid);
        assert_eq!(e.follow_ups(*id).await, vec!["charge_paid"], "{id:?}");
    }
}

#[tokio::test]
async fn history_totals_per_currency_and_phnom_penh_day() {
    let e = env().await;
    let (m, _) = e.merchant(1).await;
    let (other, _) = e.merchant(2).await;
    // Phnom Penh 2025-03-10: starts at 2025-03-09T17:00:00Z.
    let day = parse_period("2025-03-10", 1_741_600_000).unwrap();
    let start = day.start();
    assert_eq!(start, 1_741_539_600);
    let settle = |id: ChargeId, status: ChargeStatus, at: i64| {
        let store = e.store.clone();
        async move {
            let c = store.charge(id).await.unwrap().unwrap();
            if status == ChargeStatus::Paid {
                let t = crate::support::money::exact(
                    &format!("{:064x}", id.0),
                    &c.to_account_id,
                    c.amount.currency(),
                    c.amount.minor(),
                    at,
                );
                assert!(matches!(
                    store.record_payment(id, &t, at, at + 30).await.unwrap(),
                    SettleOutcome::Changed { .. }
                ));
            } else {
                let s = khqr_bot::store::ChargeSettlement {
                    status,
                    event: EventKind::ChargeExpired,
                    detail: serde_json::json!({}),
                    follow_up: FollowUpKind::ChargeExpired,
                };
                assert!(store.settle_charge(id, &s, at).await.unwrap());
            }
        }
    };
    let mut n = 0;
    let mut next = || {
        n += 1;
        md5(n)
    };
    // In the day: 2 USD (5.00 + 1.25), 2 KHR (40000 + 100), 1 expired, 1 failed.
    settle(
        e.charge(m, &next(), 500, Currency::Usd).await,
        ChargeStatus::Paid,
        start,
    )
    .await;
    settle(
        e.charge(m, &next(), 125, Currency::Usd).await,
        ChargeStatus::Paid,
        day.end() - 1,
    )
    .await;
    settle(
        e.charge(m, &next(), 40_000, Currency::Khr).await,
        ChargeStatus::Paid,
        start + 3600,
    )
    .await;
    settle(
        e.charge(m, &next(), 100, Currency::Khr).await,
        ChargeStatus::Paid,
        start + 7200,
    )
    .await;
    settle(
        e.charge(m, &next(), 999, Currency::Usd).await,
        ChargeStatus::Expired,
        start + 60,
    )
    .await;
    settle(
        e.charge(m, &next(), 999, Currency::Usd).await,
        ChargeStatus::Failed,
        start + 60,
    )
    .await;
    // Outside the day (one second either side), and another merchant's.
    settle(
        e.charge(m, &next(), 7_700, Currency::Usd).await,
        ChargeStatus::Paid,
        start - 1,
    )
    .await;
    settle(
        e.charge(m, &next(), 7_700, Currency::Usd).await,
        ChargeStatus::Paid,
        day.end(),
    )
    .await;
    settle(
        e.charge(other, &next(), 7_700, Currency::Usd).await,
        ChargeStatus::Paid,
        start + 5,
    )
    .await;

    let s = e
        .store
        .history_summary(m, day.start(), day.end())
        .await
        .unwrap();
    let totals: Vec<(Currency, u64, u64)> = s
        .received
        .iter()
        .map(|t| (t.currency, t.count, t.sum_minor))
        .collect();
    assert_eq!(
        totals,
        vec![(Currency::Usd, 2, 625), (Currency::Khr, 2, 40_100)]
    );
    assert!(s.attention.is_empty(), "exact, while open: {s:?}");
    assert_eq!(
        (s.expired, s.failed, s.not_counted, s.cancelled),
        (1, 1, 0, 0)
    );
    let latest = e
        .store
        .latest_payments(m, day.start(), day.end(), 10)
        .await
        .unwrap();
    assert_eq!(
        latest.iter().map(|c| c.amount_minor).collect::<Vec<_>>(),
        vec![125, 100, 40_000, 500]
    );
    // The next day holds the one settled at midnight.
    let next_day = parse_period("2025-03-11", 1_741_700_000).unwrap();
    let s = e
        .store
        .history_summary(m, next_day.start(), next_day.end())
        .await
        .unwrap();
    assert_eq!(s.received.len(), 1);
    assert_eq!((s.received[0].count, s.received[0].sum_minor), (1, 7_700));
    // Open charges list.
    let open_id = e.charge(m, &next(), 300, Currency::Usd).await;
    let open = e.store.open_charges(m, 10).await.unwrap();
    assert_eq!(open.iter().map(|c| c.id).collect::<Vec<_>>(), vec![open_id]);
}

#[tokio::test]
async fn token_expiry_reminders_go_out_once_per_phnom_penh_day_in_the_last_three_days() {
    use khqr_bot::bot::watching::queue_reminders;
    use khqr_bot::time::LocalDate;

    let e = env().await;
    let (m, _) = e.merchant(1).await;
    let (far, _) = e.merchant(2).await;
    // Expires 2025-03-10 12:00 Phnom Penh; the other one much later.
    let exp = LocalDate::new(2025, 3, 10).unwrap().start() + 12 * 3600;
    for (id, at) in [(m, exp), (far, exp + 30 * 86_400)] {
        sqlx::query("UPDATE merchants SET token_expires_at = $2 WHERE id = $1")
            .bind(id.0)
            .bind(at)
            .execute(e.store.pool())
            .await
            .unwrap();
    }
    let reminders = |store: Store| async move {
        store
            .outbox_due(i64::MAX, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|o| o.kind == "token_expiring")
            .map(|o| (o.merchant_id, o.payload["expires_at"].as_i64()))
            .collect::<Vec<_>>()
    };
    let day = |d: u8, h: i64| LocalDate::new(2025, 3, d).unwrap().start() + h * 3600;

    assert_eq!(
        queue_reminders(&e.store, day(6, 12)).await.unwrap(),
        0,
        "4 days before"
    );
    assert_eq!(queue_reminders(&e.store, day(7, 12)).await.unwrap(), 1);
    assert_eq!(
        queue_reminders(&e.store, day(7, 23)).await.unwrap(),
        0,
        "same day"
    );
    assert_eq!(
        queue_reminders(&e.store, day(8, 0)).await.unwrap(),
        1,
        "next day"
    );
    assert_eq!(
        queue_reminders(&e.store, day(10, 13)).await.unwrap(),
        0,
        "expired"
    );
    assert_eq!(
        reminders(e.store.clone()).await,
        vec![(m, Some(exp)), (m, Some(exp))]
    );
    // A new token (new expiry, reminders reset) starts afresh.
    let token = e.sandbox.issue_token("m1@example.com");
    let sealed = secrets().seal(&m.token_aad(), token.as_bytes()).unwrap();
    assert!(
        e.store
            .replace_token(m, &sealed, Some(exp + 90 * 86_400), day(8, 1))
            .await
            .unwrap()
    );
    assert_eq!(queue_reminders(&e.store, day(8, 2)).await.unwrap(), 0);
}

// ---- Issue 10 (late10): late watch, Cancel racing a round, unwatched payments, unverified.

/// Bakong lookups that let the merchant press Cancel while the request is in flight: the
/// round loaded the charge as pending, Cancel commits, then the round sees SUCCESS.
struct CancelDuringLookup {
    inner: Arc<Client>,
    store: Store,
    merchant: MerchantId,
    charge: ChargeId,
    at: i64,
}

impl khqr_bot::watcher::ports::Lookups for CancelDuringLookup {
    async fn check_md5_list(
        &self,
        token: &khqr_bot::bakong::Token,
        md5s: &[String],
    ) -> Result<Vec<(String, khqr_bot::bakong::Lookup)>, khqr_bot::watcher::types::LookupFailure>
    {
        let answer =
            khqr_bot::watcher::ports::Lookups::check_md5_list(&*self.inner, token, md5s).await;
        assert!(
            self.store
                .cancel_charge(self.merchant, self.charge, self.at)
                .await
                .unwrap(),
            "cancel committed while the request was in flight"
        );
        answer
    }

    async fn check_md5(
        &self,
        token: &khqr_bot::bakong::Token,
        md5: &str,
    ) -> Result<khqr_bot::bakong::Lookup, khqr_bot::watcher::types::LookupFailure> {
        khqr_bot::watcher::ports::Lookups::check_md5(&*self.inner, token, md5).await
    }
}

async fn event_kinds(store: &Store, c: ChargeId) -> Vec<(String, serde_json::Value)> {
    store
        .charge_events(c)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind.to_string(), e.detail))
        .collect()
}

#[tokio::test]
async fn cancel_committing_while_a_round_sees_success_still_ends_paid() {
    let e = env().await;
    let (m, _) = e.merchant(1).await;
    let c = e.charge(m, &md5(1), 500, Currency::Usd).await;
    e.pay(&md5(1), "5.00", bakong::Currency::Usd, &account(1));
    let racing = Watcher::new(
        Arc::new(SqlWatcherStore::new(e.store.clone(), secrets())),
        Arc::new(CancelDuringLookup {
            inner: Arc::clone(&e.client),
            store: e.store.clone(),
            merchant: m,
            charge: c,
            at: e.t0 + 1,
        }),
        config(),
    );
    let report = racing.run_round(e.t0 + 2).await.unwrap();
    assert_eq!(report.paid, 1, "{report:?}");
    let row = e.store.charge(c).await.unwrap().unwrap();
    assert_eq!(row.status, ChargeStatus::Paid);
    assert_eq!(row.paid_after, Some(khqr_bot::store::PaidAfter::Cancelled));
    assert!(row.paid_at.is_some() && row.bakong_hash.is_some());
    let events = event_kinds(&e.store, c).await;
    let kinds: Vec<&str> = events.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["charge_created", "charge_cancelled", "charge_paid_late"]
    );
    assert_eq!(events[2].1["after"], "cancelled");
    assert_eq!(
        e.follow_ups(c).await,
        ["charge_cancelled", "charge_paid", "charge_paid_late"]
    );
    // Later rounds change nothing and report nothing more.
    e.watcher.run_round(e.t0 + 100).await.unwrap();
    assert_eq!(event_kinds(&e.store, c).await.len(), 3);
    assert_eq!(e.follow_ups(c).await.len(), 3);
}

#[tokio::test]
async fn cancelled_and_expired_charges_are_watched_late_in_the_same_request() {
    let e = env().await;
    let (m, token) = e.merchant(1).await;
    let open = e.charge(m, &md5(1), 100, Currency::Usd).await;
    let cancelled = e.charge(m, &md5(2), 200, Currency::Usd).await;
    let expired = e.charge(m, &md5(3), 300, Currency::Usd).await;
    assert!(e.store.cancel_charge(m, cancelled, e.t0 + 1).await.unwrap());
    // The third expires unpaid: not found after expiry, then the last check.
    let after = e.t0 + TTL;
    e.watcher.run_round(after).await.unwrap();
    e.watcher.run_round(after + 5).await.unwrap();
    assert_eq!(e.status(expired).await, ChargeStatus::Expired);
    assert_eq!(e.status(open).await, ChargeStatus::Expired);
    assert_eq!(e.status(cancelled).await, ChargeStatus::Cancelled);

    // Ended charges are still asked about, batched in one request, at the late cadence
    // (the cancelled one was first asked about in the round at `after`).
    let before = e.list_requests(&token);
    let r = e.watcher.run_round(after + 6).await.unwrap();
    assert_eq!((r.charges, r.requests), (2, 1), "{r:?}");
    assert_eq!(e.list_requests(&token), before + 1);
    let r = e.watcher.run_round(after + 7).await.unwrap();
    assert_eq!(r.charges, 0, "not before the late interval: {r:?}");

    // Paid after expiry / after Cancel (a forwarded copy), found by the late watch.
    e.pay(&md5(3), "3", bakong::Currency::Usd, &account(1));
    e.pay(&md5(2), "2", bakong::Currency::Usd, &account(1));
    let r = e.watcher.run_round(after + 36).await.unwrap();
    assert_eq!((r.charges, r.paid, r.requests), (3, 2, 1), "{r:?}");
    let row = e.store.charge(expired).await.unwrap().unwrap();
    assert_eq!(row.status, ChargeStatus::Paid);
    assert_eq!(row.paid_after, Some(khqr_bot::store::PaidAfter::Expired));
    assert_eq!(
        e.follow_ups(expired).await,
        ["charge_expired", "charge_paid", "charge_paid_late"]
    );
    let row = e.store.charge(cancelled).await.unwrap().unwrap();
    assert_eq!(row.paid_after, Some(khqr_bot::store::PaidAfter::Cancelled));

    // After the window (15 minutes after the QR's expiry) nothing is asked any more.
    let late_end = e.t0 + TTL + khqr_bot::watcher::decide::LATE_WATCH_SECS;
    let r = e.watcher.run_round(late_end - 1).await.unwrap();
    assert_eq!(
        r.charges, 3,
        "the unpaid expired one and the two paid late (a second payment of their QR is \
         money too), still in their window: {r:?}"
    );
    assert_eq!(r.settled() + r.payments_recorded, 0, "{r:?}");
    let r = e.watcher.run_round(late_end + 60).await.unwrap();
    assert_eq!(r.charges, 0, "{r:?}");
    // Out of the due-work range for good: the claims' index scan no longer meets them.
    for c in [open, cancelled, expired] {
        assert_eq!(
            e.store.charge(c).await.unwrap().unwrap().next_poll_at,
            khqr_bot::store::LATE_WATCH_ENDED
        );
    }
}

/// A payment found after the late window (a race, a "Check now") is money all the same:
/// recorded, counted and reported once per transaction hash; an ending without money never
/// touches a charge that is no longer pending.
#[tokio::test]
async fn a_payment_found_after_the_late_window_is_recorded_counted_and_reported_once() {
    let e = env().await;
    let (m, _) = e.merchant(1).await;
    let c = e.charge(m, &md5(1), 500, Currency::Usd).await;
    assert!(e.store.cancel_charge(m, c, e.t0 + 1).await.unwrap());
    let window = khqr_bot::watcher::decide::LATE_WATCH_SECS;
    let past_window = e.t0 + TTL + window + 1;
    let paid_at = e.t0 + TTL + 1000;
    let paid =
        |hash: &str| crate::support::money::exact(hash, &account(1), Currency::Usd, 500, paid_at);
    let h1 = "a".repeat(64);
    assert_eq!(
        e.store
            .record_payment(c, &paid(&h1), past_window, past_window + 30)
            .await
            .unwrap(),
        SettleOutcome::Changed {
            status: ChargeStatus::Paid,
            after: Some(khqr_bot::store::PaidAfter::Cancelled)
        }
    );
    // The same transaction seen again (another round, "Check now"): no second report.
    assert_eq!(
        e.store
            .record_payment(
                c,
                &paid(&h1.to_uppercase()),
                past_window + 5,
                past_window + 35
            )
            .await
            .unwrap(),
        SettleOutcome::Unchanged
    );
    assert_eq!(e.status(c).await, ChargeStatus::Paid);
    let kinds: Vec<String> = event_kinds(&e.store, c)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        kinds,
        ["charge_created", "charge_cancelled", "charge_paid_late"]
    );
    assert_eq!(
        e.follow_ups(c).await,
        ["charge_cancelled", "charge_paid", "charge_paid_late"]
    );
    let day = parse_period("today", paid_at).unwrap();
    let s = e
        .store
        .history_summary(m, day.start(), day.end())
        .await
        .unwrap();
    assert_eq!((s.received[0].count, s.received[0].sum_minor), (1, 500));
    assert_eq!(
        (s.attention[0].count, s.attention[0].sum_minor),
        (1, 500),
        "late money needs a look"
    );

    // A paid charge: its own transaction again is no news, another one is counted and
    // reported once.
    let p = e.charge(m, &md5(2), 500, Currency::Usd).await;
    let h2 = "b".repeat(64);
    assert!(matches!(
        e.store
            .record_payment(p, &paid(&h2), e.t0 + 10, e.t0 + 40)
            .await
            .unwrap(),
        SettleOutcome::Changed { after: None, .. }
    ));
    assert_eq!(
        e.store
            .record_payment(p, &paid(&h2), e.t0 + 11, e.t0 + 41)
            .await
            .unwrap(),
        SettleOutcome::Unchanged
    );
    let h3 = "c".repeat(64);
    for at in [e.t0 + 12, e.t0 + 13] {
        let outcome = e
            .store
            .record_payment(p, &paid(&h3), at, at + 30)
            .await
            .unwrap();
        let expected = if at == e.t0 + 12 {
            SettleOutcome::Recorded
        } else {
            SettleOutcome::Unchanged
        };
        assert_eq!(outcome, expected);
    }
    assert_eq!(
        e.follow_ups(p).await,
        ["charge_paid", "payment_extra"],
        "the second payment is reported once"
    );
    assert_eq!(e.store.charge_payments(p).await.unwrap().len(), 2);
    // Failed/expired settlements never touch an ended charge.
    let expired = khqr_bot::store::ChargeSettlement {
        status: ChargeStatus::Expired,
        event: EventKind::ChargeExpired,
        detail: serde_json::json!({}),
        follow_up: FollowUpKind::ChargeExpired,
    };
    for charge in [c, p] {
        assert!(
            !e.store
                .settle_charge(charge, &expired, e.t0 + TTL + 10)
                .await
                .unwrap()
        );
        assert_eq!(e.status(charge).await, ChargeStatus::Paid);
    }
}

#[tokio::test]
async fn charges_never_verified_end_as_unverified_and_the_seller_is_told() {
    let e = env().await;
    let (m, token) = e.merchant(1).await;
    let c = e.charge(m, &md5(1), 500, Currency::Usd).await;
    assert!(e.sandbox.revoke_token(&token));
    e.watcher.run_round(e.t0 + 1).await.unwrap();
    // Bakong refuses the token; the charge stays pending well past its expiry…
    let limit = e.t0 + TTL + khqr_bot::watcher::decide::UNVERIFIED_AFTER_SECS;
    e.watcher.run_round(limit).await.unwrap();
    assert_eq!(e.status(c).await, ChargeStatus::Pending);
    // …and ends as unverified once the documented time has passed.
    e.watcher.run_round(limit + 1).await.unwrap();
    assert_eq!(e.status(c).await, ChargeStatus::Unverified);
    assert_eq!(
        e.follow_ups(c).await,
        ["charge_unverified", "charge_unverified_notice"]
    );
    e.watcher.run_round(limit + 100).await.unwrap();
    assert_eq!(e.follow_ups(c).await.len(), 2);
}
#[tokio::test]
async fn the_next_check_of_every_asked_charge_is_recorded_in_one_write_per_request() {
    let e = env().await;
    let (m, _) = e.merchant(1).await;
    let young = e.charge(m, &md5(1), 100, Currency::Usd).await;
    let paid = e.charge(m, &md5(2), 100, Currency::Usd).await;
    e.pay(&md5(2), "1.00", bakong::Currency::Usd, &account(1));
    let watcher = Watcher::new(
        Arc::new(SqlWatcherStore::new(e.store.clone(), secrets())),
        Arc::clone(&e.client),
        WatcherConfig {
            schedule: Schedule::with_interval(5),
            ..config()
        },
    );
    let r = watcher.run_round(e.t0 + 7).await.unwrap();
    assert_eq!((r.requests, r.paid, r.kept_pending), (1, 1, 1));
    let next = |id: ChargeId| {
        let store = e.store.clone();
        async move { store.charge(id).await.unwrap().unwrap().next_poll_at }
    };
    assert_eq!(next(young).await, e.t0 + 9, "a young charge: 2 s later");
    assert_eq!(e.status(paid).await, ChargeStatus::Paid);
    // Not due before then: no request.
    let r = watcher.run_round(e.t0 + 8).await.unwrap();
    assert_eq!((r.charges, r.requests), (0, 0));
    // Three minutes on: every 5 s.
    let r = watcher.run_round(e.t0 + 200).await.unwrap();
    assert_eq!(r.requests, 1);
    assert_eq!(next(young).await, e.t0 + 205);
}

#[tokio::test]
async fn after_an_outage_the_first_answered_probe_round_asks_about_every_pending_charge() {
    let e = env().await;
    let mut merchants = vec![];
    for user in 1..=3 {
        merchants.push(e.merchant(user).await);
    }
    let mut charges = vec![];
    for (i, (m, _)) in merchants.iter().enumerate() {
        for k in 0..4u32 {
            let n = 10 * (i as u32 + 1) + k;
            charges.push((e.charge(*m, &md5(n), 100, Currency::Usd).await, n, i + 1));
        }
    }
    // Bakong answers 503 to everything for 30 s; every charge is paid meanwhile.
    e.sandbox
        .push_fault(Fault::new(
            FaultKind::ServerErrorHtml { status: 503 },
            10_000,
        ))
        .unwrap();
    let mut failed_requests = 0;
    for t in 0..30 {
        if t == 10 {
            for (_, n, user) in &charges {
                e.pay(
                    &md5(*n),
                    "1.00",
                    bakong::Currency::Usd,
                    &account(*user as i64),
                );
            }
        }
        let r = e.watcher.run_round(e.t0 + t).await.unwrap();
        assert_eq!(r.settled(), 0);
        failed_requests += r.request_failures;
    }
    // The first round sends one merchant's request alone (nobody knows yet whether the list
    // endpoint is open) and it meets the outage; then one probe every 3 s (t = 3, 6 … 27),
    // not one request per merchant per round.
    assert_eq!(failed_requests, 1 + 9);
    e.sandbox.clear_faults();
    // The next probe slot: the probe is answered and the same round asks everyone.
    let r = e.watcher.run_round(e.t0 + 30).await.unwrap();
    assert_eq!(r.paid, charges.len(), "{r:?}");
    assert_eq!(r.requests, 3);
    for (id, _, _) in charges {
        assert_eq!(e.status(id).await, ChargeStatus::Paid);
    }
}
