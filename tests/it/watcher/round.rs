//! Polling rounds over the real store (SQLite in a temporary file, through the same
//! `SqlWatcherStore` the bot runs) and a scripted Bakong: batching, every settlement rule,
//! 401 / 5xx / 429 handling, races and restarts.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use khqr_bot::bakong::DecimalAmount;
use khqr_bot::crypto::{SecretBox, SecretKey};
use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{Amount, BakongAccountId, City, ShopName};
use khqr_bot::store::{Charge, ChargeStatus, FollowUpKind, NewCharge, Profile, Store};
use khqr_bot::watcher::backoff::BackoffPolicy;
use khqr_bot::watcher::decide::{ChargeFacts, Rules};
use khqr_bot::watcher::ports::Lookups;
use khqr_bot::watcher::schedule::Schedule;
use khqr_bot::watcher::sql::SqlWatcherStore;
use khqr_bot::watcher::types::{
    ChargeId, Currency, Lookup, LookupFailure, MerchantId, Token, Transaction,
};
use khqr_bot::watcher::{CheckNow, MAX_MD5_PER_REQUEST, SettledAs, Watcher, WatcherConfig};

const NOW: i64 = 1_800_000_000;
const TTL: i64 = 600;

/// A scripted Bakong: answers per md5, refusals and failures per token, a request log.
#[derive(Default)]
struct FakeBakong {
    state: Mutex<FakeState>,
}

#[derive(Default)]
struct FakeState {
    answers: HashMap<String, Lookup>,
    omitted: HashSet<String>,
    refused_tokens: HashSet<String>,
    failures: HashMap<String, VecDeque<LookupFailure>>,
    /// (token, md5s) of every list request.
    log: Vec<(String, Vec<String>)>,
    single_failures: HashMap<String, VecDeque<LookupFailure>>,
    /// Like production: the list endpoint answers a bare 403 to everyone.
    list_closed: bool,
    /// (token, md5) of every single-md5 request.
    single_log: Vec<(String, String)>,
}

impl FakeBakong {
    /// Answers `lookup` for `md5` from now on. A transaction gets a hash of its own, made
    /// of the md5 (one transaction pays one QR, as at Bakong).
    fn answer(&self, md5: &str, lookup: Lookup) {
        let lookup = match lookup {
            Lookup::Paid(mut tx) => {
                tx.hash = format!("{md5}{md5}");
                Lookup::Paid(tx)
            }
            other => other,
        };
        self.state
            .lock()
            .unwrap()
            .answers
            .insert(md5.into(), lookup);
    }
    fn omit(&self, md5: &str) {
        self.state.lock().unwrap().omitted.insert(md5.into());
    }
    fn refuse(&self, token: &str) {
        self.state
            .lock()
            .unwrap()
            .refused_tokens
            .insert(token.into());
    }
    fn fail(&self, token: &str, failures: &[LookupFailure]) {
        self.state
            .lock()
            .unwrap()
            .failures
            .entry(token.into())
            .or_default()
            .extend(failures.iter().cloned());
    }
    fn fail_single(&self, token: &str, failures: &[LookupFailure]) {
        self.state
            .lock()
            .unwrap()
            .single_failures
            .entry(token.into())
            .or_default()
            .extend(failures.iter().cloned());
    }
    fn close_list(&self, closed: bool) {
        self.state.lock().unwrap().list_closed = closed;
    }
    fn single_log(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().single_log.clone()
    }
    fn log(&self) -> Vec<(String, Vec<String>)> {
        self.state.lock().unwrap().log.clone()
    }
    fn requests_for(&self, token: &str) -> usize {
        self.log().iter().filter(|(t, _)| t == token).count()
    }
    fn clear_log(&self) {
        self.state.lock().unwrap().log.clear();
    }
}

impl Lookups for FakeBakong {
    async fn check_md5_list(
        &self,
        token: &Token,
        md5s: &[String],
    ) -> Result<Vec<(String, Lookup)>, LookupFailure> {
        let mut s = self.state.lock().unwrap();
        assert!(md5s.len() <= MAX_MD5_PER_REQUEST, "batch of {}", md5s.len());
        assert!(!md5s.is_empty(), "empty batch");
        let token = token.expose_secret().to_owned();
        s.log.push((token.clone(), md5s.to_vec()));
        if s.list_closed {
            return Err(LookupFailure::GeoBlocked);
        }
        if s.refused_tokens.contains(&token) {
            return Err(LookupFailure::Unauthorized);
        }
        if let Some(f) = s.failures.get_mut(&token).and_then(|q| q.pop_front()) {
            return Err(f);
        }
        Ok(md5s
            .iter()
            .filter(|m| !s.omitted.contains(*m))
            .map(|m| {
                let l = s.answers.get(m).cloned().unwrap_or(Lookup::NotFound);
                (m.clone(), l)
            })
            .collect())
    }

    async fn check_md5(&self, token: &Token, md5: &str) -> Result<Lookup, LookupFailure> {
        let mut s = self.state.lock().unwrap();
        let token = token.expose_secret().to_owned();
        s.single_log.push((token.clone(), md5.to_owned()));
        if s.refused_tokens.contains(&token) {
            return Err(LookupFailure::Unauthorized);
        }
        if let Some(f) = s
            .single_failures
            .get_mut(&token)
            .and_then(|q| q.pop_front())
        {
            return Err(f);
        }
        Ok(s.answers.get(md5).cloned().unwrap_or(Lookup::NotFound))
    }
}

struct Harness {
    /// The watcher's store over `db`, as `khqr-bot run` builds it.
    store: Arc<SqlWatcherStore>,
    db: Store,
    bakong: Arc<FakeBakong>,
    watcher: Watcher<FakeBakong>,
    _dir: Arc<tempfile::TempDir>,
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
        max_in_flight: 4,
        // Every charge due at every 1 s round, as before the adaptive schedule.
        schedule: Schedule::with_interval(1),
        ..WatcherConfig::default()
    }
}

fn secrets() -> SecretBox {
    SecretBox::new(&SecretKey::parse(&"42".repeat(32)).unwrap())
}

/// A fresh SQLite database (a temporary file) and the watcher's store over it.
async fn sqlite() -> (Arc<tempfile::TempDir>, Store, Arc<SqlWatcherStore>) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bot.db").display());
    let db = Store::open(&url).await.unwrap();
    let store = Arc::new(SqlWatcherStore::new(db.clone(), secrets()));
    (Arc::new(dir), db, store)
}

async fn harness_with(cfg: WatcherConfig) -> Harness {
    let (dir, db, store) = sqlite().await;
    let bakong = Arc::new(FakeBakong::default());
    let watcher = Watcher::new(Arc::clone(&store), Arc::clone(&bakong), cfg);
    Harness {
        store,
        db,
        bakong,
        watcher,
        _dir: dir,
    }
}

async fn harness() -> Harness {
    harness_with(config()).await
}

fn token_of(m: MerchantId) -> String {
    format!("token-{}", m.0)
}

fn account_of(m: MerchantId) -> String {
    format!("shop{}@aba", m.0)
}

/// A queued Telegram follow-up, as the round tests look at the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FollowUp {
    /// Edit the charge's message to its final state (`paid`, `expired`…).
    ChargeSettled {
        charge: ChargeId,
        kind: &'static str,
    },
    /// Tell the merchant to renew their token with /token.
    RenewToken { merchant: MerchantId },
    /// Any other notice.
    Other(FollowUpKind),
}

/// The final state an edit follow-up shows.
fn edit_kind(kind: FollowUpKind) -> Option<&'static str> {
    Some(match kind {
        FollowUpKind::ChargePaid => "paid",
        FollowUpKind::ChargeUnderpaid => "underpaid",
        FollowUpKind::ChargeMismatch => "mismatch",
        FollowUpKind::ChargeFailed => "failed",
        FollowUpKind::ChargeExpired => "expired",
        FollowUpKind::ChargeCancelled => "cancelled",
        FollowUpKind::ChargeUnverified => "unverified",
        _ => return None,
    })
}

impl Harness {
    /// Merchant `user` (Telegram user and chat `user`) who finished /setup with the token
    /// [`token_of`] their id.
    async fn merchant(&self, user: i64) -> MerchantId {
        let m = self
            .db
            .ensure_merchant(user, user, Lang::En, NOW - 3600)
            .await
            .unwrap()
            .id;
        let profile = Profile {
            account_id: BakongAccountId::parse(&account_of(m)).unwrap(),
            shop_name: ShopName::parse(&format!("Shop {}", m.0)).unwrap(),
            city: City::parse("Phnom Penh").unwrap(),
            token_sealed: seal(m, &token_of(m)),
            token_expires_at: None,
        };
        assert!(self.db.save_profile(m, &profile, NOW - 3600).await.unwrap());
        m
    }

    /// Merchant `user` who never stored a token.
    async fn merchant_without_token(&self, user: i64) -> MerchantId {
        self.db
            .ensure_merchant(user, user, Lang::En, NOW - 3600)
            .await
            .unwrap()
            .id
    }

    /// Stores a new token for `m` (a new token version; a 401 mark is cleared).
    async fn set_token(&self, m: MerchantId, token: &str) {
        let sealed = seal(m, token);
        assert!(self.db.replace_token(m, &sealed, None, NOW).await.unwrap());
    }

    /// A pending charge, due at once, made 10 minutes (the default TTL) before its expiry.
    async fn add_charge(&self, m: MerchantId, md5: &str, facts: ChargeFacts) -> ChargeId {
        assert_eq!(
            (facts.last_check_at, facts.status),
            (None, ChargeStatus::Pending)
        );
        let created_at = facts.expires_at - TTL;
        let id = self
            .db
            .insert_creating_charge(&NewCharge {
                merchant_id: m,
                chat_id: m.0,
                bill_number: format!("B{md5}"),
                khqr: format!("khqr-{md5}"),
                md5: md5.into(),
                to_account_id: facts.account_id,
                amount: Amount::from_minor(facts.amount_minor, facts.currency).unwrap(),
                note: None,
                created_at,
                expires_at: facts.expires_at,
            })
            .await
            .unwrap();
        assert!(self.db.activate_charge(id, 1, created_at).await.unwrap());
        sqlx::query("UPDATE charges SET next_poll_at = $2 WHERE id = $1")
            .bind(id.0)
            .bind(i64::MIN)
            .execute(self.db.pool())
            .await
            .unwrap();
        id
    }

    async fn usd_charge(&self, m: MerchantId, md5: &str, cents: u64) -> ChargeId {
        self.add_charge(
            m,
            md5,
            ChargeFacts {
                account_id: account_of(m),
                currency: Currency::Usd,
                amount_minor: cents,
                expires_at: NOW + TTL,
                last_check_at: None,
                status: ChargeStatus::Pending,
                seen_hashes: Vec::new(),
            },
        )
        .await
    }

    async fn charge(&self, id: ChargeId) -> Charge {
        self.db.charge(id).await.unwrap().unwrap()
    }

    /// `None` while pending; the final status afterwards.
    async fn settled_kind(&self, id: ChargeId) -> Option<&'static str> {
        match self.charge(id).await.status {
            ChargeStatus::Creating | ChargeStatus::Pending => None,
            status => Some(status.as_str()),
        }
    }

    /// Every follow-up queued so far, in order.
    async fn outbox(&self) -> Vec<FollowUp> {
        let rows: Vec<(i64, Option<i64>, String)> =
            sqlx::query_as("SELECT merchant_id, charge_id, kind FROM telegram_outbox ORDER BY id")
                .fetch_all(self.db.pool())
                .await
                .unwrap();
        rows.into_iter()
            .map(|(merchant, charge, kind)| {
                let kind: FollowUpKind = kind.parse().unwrap();
                match (kind, charge, edit_kind(kind)) {
                    (_, Some(charge), Some(kind)) => FollowUp::ChargeSettled {
                        charge: ChargeId(charge),
                        kind,
                    },
                    (FollowUpKind::TokenRefused, _, _) => FollowUp::RenewToken {
                        merchant: MerchantId(merchant),
                    },
                    (other, _, _) => FollowUp::Other(other),
                }
            })
            .collect()
    }

    async fn follow_ups_for(&self, id: ChargeId) -> usize {
        self.outbox()
            .await
            .iter()
            .filter(|f| matches!(f, FollowUp::ChargeSettled { charge, .. } if *charge == id))
            .count()
    }

    async fn renew_notices(&self) -> usize {
        self.outbox()
            .await
            .iter()
            .filter(|f| matches!(f, FollowUp::RenewToken { .. }))
            .count()
    }

    async fn token_refused_mark(&self, m: MerchantId) -> bool {
        let rejected_at: Option<i64> =
            sqlx::query_scalar("SELECT token_rejected_at FROM merchants WHERE id = $1")
                .bind(m.0)
                .fetch_one(self.db.pool())
                .await
                .unwrap();
        rejected_at.is_some()
    }

    async fn pending_count(&self) -> usize {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM charges WHERE status = 'pending'")
            .fetch_one(self.db.pool())
            .await
            .unwrap();
        n as usize
    }

    /// Every settlement fails (as in a database outage) until [`Harness::heal_store`].
    async fn fail_settles(&self) {
        sqlx::query(
            "CREATE TRIGGER injected_failure BEFORE UPDATE OF status ON charges \
             BEGIN SELECT RAISE(ABORT, 'injected store failure'); END",
        )
        .execute(self.db.pool())
        .await
        .unwrap();
    }

    async fn heal_store(&self) {
        sqlx::query("DROP TRIGGER injected_failure")
            .execute(self.db.pool())
            .await
            .unwrap();
    }
}

fn seal(m: MerchantId, token: &str) -> Vec<u8> {
    secrets().seal(&m.token_aad(), token.as_bytes()).unwrap()
}

fn paid_tx(to: &str, currency: &str, amount: &str) -> Lookup {
    Lookup::Paid(Transaction {
        hash: "f".repeat(64),
        from_account_id: Some("customer@wing".into()),
        to_account_id: to.into(),
        currency_code: currency.into(),
        amount: DecimalAmount::parse(amount).unwrap(),
        description: None,
        created_date_ms: Some((NOW as u64 + 30) * 1000),
        acknowledged_date_ms: None,
        tracking_status: None,
        receiver_bank: None,
        receiver_bank_account: None,
    })
}

fn md5(i: usize) -> String {
    format!("{i:032x}")
}

#[tokio::test]
async fn one_request_per_fifty_charges_per_merchant() {
    let h = harness().await;
    let sizes = [1usize, 49, 50, 51, 120, 0];
    let mut n = 0;
    let mut owner = HashMap::new();
    for (i, size) in sizes.iter().enumerate() {
        let m = h.merchant(i as i64 + 1).await;
        for _ in 0..*size {
            n += 1;
            h.usd_charge(m, &md5(n), 500).await;
            owner.insert(md5(n), token_of(m));
        }
    }
    let report = h.watcher.run_round(NOW).await.unwrap();
    let expected: usize = sizes.iter().map(|s| s.div_ceil(50)).sum();
    assert_eq!(expected, 1 + 1 + 1 + 2 + 3);
    assert_eq!(report.requests, expected);
    assert_eq!(report.charges, n);
    assert_eq!(report.kept_pending, n);
    let log = h.bakong.log();
    assert_eq!(log.len(), expected);
    // Every md5 asked exactly once, with its own merchant's token.
    let mut asked = HashSet::new();
    for (token, md5s) in &log {
        assert!(md5s.len() <= 50);
        for m in md5s {
            assert!(asked.insert(m.clone()), "{m} asked twice");
            assert_eq!(&owner[m], token, "{m} asked with another merchant's token");
        }
    }
    assert_eq!(asked.len(), n);
    // A merchant's requests use its own token only.
    for (i, size) in sizes.iter().enumerate() {
        let m = MerchantId(i as i64 + 1);
        assert_eq!(h.bakong.requests_for(&token_of(m)), size.div_ceil(50));
    }
}

#[tokio::test]
async fn matching_payment_is_paid_once_with_one_follow_up() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    let other = h.usd_charge(m, &md5(2), 700).await;
    h.bakong
        .answer(&md5(1), paid_tx(&account_of(m), "USD", "5.00"));

    let r = h.watcher.run_round(NOW + 10).await.unwrap();
    assert_eq!((r.paid, r.kept_pending), (1, 1));
    let p = h.charge(c).await;
    assert_eq!(p.status, ChargeStatus::Paid);
    assert_eq!(p.bakong_hash, Some(format!("{0}{0}", md5(1))));
    assert_eq!(p.payer_account_id.as_deref(), Some("customer@wing"));
    assert_eq!(p.paid_at, Some(NOW + 30));
    assert_eq!(p.settled_at, Some(NOW + 10));
    assert_eq!(h.follow_ups_for(c).await, 1);
    assert_eq!(h.settled_kind(other).await, None);

    // The paid charge is asked about again only at the late watch's pace (a second
    // payment of its QR is money too); its own transaction again changes nothing and
    // nothing is edited twice.
    h.bakong.clear_log();
    h.watcher.run_round(NOW + 15).await.unwrap();
    let log = h.bakong.log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].1, vec![md5(2)]);
    h.bakong.clear_log();
    let r = h.watcher.run_round(NOW + 45).await.unwrap();
    let log = h.bakong.log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].1, vec![md5(1), md5(2)]);
    assert_eq!((r.paid, r.payments_recorded), (0, 0), "{r:?}");
    assert_eq!(h.follow_ups_for(c).await, 1);
    assert_eq!(h.db.charge_payments(c).await.unwrap().len(), 1);
}

/// Money that does not fit is money all the same: less than asked is `underpaid`, more is
/// `paid`, another currency is counted in it (`mismatch`), and only a transfer to another
/// account is not counted (`mismatch`). Each is in the ledger once.
#[tokio::test]
async fn every_transfer_is_recorded_as_it_arrived() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let under = h.usd_charge(m, &md5(1), 500).await;
    let other_currency = h.usd_charge(m, &md5(2), 500).await;
    let elsewhere = h.usd_charge(m, &md5(3), 500).await;
    let over = h.usd_charge(m, &md5(4), 500).await;
    h.bakong
        .answer(&md5(1), paid_tx(&account_of(m), "USD", "4.99"));
    h.bakong
        .answer(&md5(2), paid_tx(&account_of(m), "KHR", "500"));
    h.bakong.answer(&md5(3), paid_tx("thief@aba", "USD", "5"));
    h.bakong
        .answer(&md5(4), paid_tx(&account_of(m), "USD", "5.50"));

    let r = h.watcher.run_round(NOW).await.unwrap();
    assert_eq!((r.paid, r.underpaid, r.mismatched), (1, 1, 2), "{r:?}");
    for (c, kind) in [
        (under, "underpaid"),
        (other_currency, "mismatch"),
        (elsewhere, "mismatch"),
        (over, "paid"),
    ] {
        assert_eq!(h.settled_kind(c).await, Some(kind));
        assert_eq!(h.follow_ups_for(c).await, 1);
        assert_eq!(h.db.charge_payments(c).await.unwrap().len(), 1);
    }
    let counted = |c| {
        let db = h.db.clone();
        async move { db.charge_payments(c).await.unwrap()[0].arrival.counted() }
    };
    assert_eq!(
        counted(under).await.map(|m| (m.currency, m.minor)),
        Some((Currency::Usd, 499))
    );
    assert_eq!(
        counted(other_currency).await.map(|m| (m.currency, m.minor)),
        Some((Currency::Khr, 500))
    );
    assert_eq!(counted(elsewhere).await, None, "not the seller's account");
    let mm = h.charge(elsewhere).await;
    assert_eq!(mm.status, ChargeStatus::Mismatch);
    // What arrived is in the event recorded with the change.
    let events = h.db.charge_events(elsewhere).await.unwrap();
    let detail = &events
        .iter()
        .find(|e| e.kind == "charge_mismatch")
        .expect("a charge_mismatch event")
        .detail;
    assert!(
        detail["to"] == "thief@aba" && detail["fit"] == "not_counted",
        "{detail}"
    );
    assert_eq!(mm.paid_to_account_id.as_deref(), Some("thief@aba"));
    // Seen again, nothing more happens.
    let r = h.watcher.run_round(NOW + 60).await.unwrap();
    assert_eq!(r.settled() + r.payments_recorded, 0, "{r:?}");
}

#[tokio::test]
async fn failed_transaction_is_failed() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    h.bakong.answer(&md5(1), Lookup::Failed);
    let r = h.watcher.run_round(NOW).await.unwrap();
    assert_eq!(r.failed, 1);
    assert_eq!(h.settled_kind(c).await, Some("failed"));
    assert_eq!(h.follow_ups_for(c).await, 1);
}

#[tokio::test]
async fn unpaid_charge_gets_a_last_check_then_expires() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    let expires = NOW + TTL;

    let r = h.watcher.run_round(expires - 1).await.unwrap();
    assert_eq!(r.kept_pending, 1);
    assert_eq!(h.settled_kind(c).await, None);

    let r = h.watcher.run_round(expires).await.unwrap();
    assert_eq!(r.last_checks, 1);
    assert_eq!(h.settled_kind(c).await, None);
    assert!(h.outbox().await.is_empty());

    // Within the grace the charge is not even asked about.
    h.bakong.clear_log();
    let r = h.watcher.run_round(expires + 4).await.unwrap();
    assert_eq!(r.charges, 0);
    assert!(h.bakong.log().is_empty());

    let r = h.watcher.run_round(expires + 5).await.unwrap();
    assert_eq!(r.expired, 1);
    assert_eq!(h.settled_kind(c).await, Some("expired"));
    assert_eq!(h.follow_ups_for(c).await, 1);
}

#[tokio::test]
async fn payment_arriving_during_the_last_check_grace_is_paid_not_expired() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    let expires = NOW + TTL;
    h.watcher.run_round(expires).await.unwrap();
    h.bakong
        .answer(&md5(1), paid_tx(&account_of(m), "USD", "5"));
    let r = h.watcher.run_round(expires + 5).await.unwrap();
    assert_eq!(r.paid, 1);
    assert_eq!(h.settled_kind(c).await, Some("paid"));
}

#[tokio::test]
async fn items_missing_from_an_answer_are_never_expired() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    h.bakong.omit(&md5(1));
    for t in [NOW + TTL, NOW + TTL + 10, NOW + TTL + 100] {
        let r = h.watcher.run_round(t).await.unwrap();
        assert_eq!(r.kept_pending, 1);
    }
    assert_eq!(h.settled_kind(c).await, None);
    assert!(h.outbox().await.is_empty());
}

#[tokio::test]
async fn refused_token_stops_polling_notifies_once_and_resumes_with_a_new_token() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let healthy = h.merchant(2).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    let c2 = h.usd_charge(healthy, &md5(2), 500).await;
    h.bakong.refuse(&token_of(m));

    let r = h.watcher.run_round(NOW).await.unwrap();
    assert_eq!((r.request_failures, r.unchecked, r.kept_pending), (1, 1, 1));
    assert!(h.token_refused_mark(m).await);
    assert_eq!(h.outbox().await, vec![FollowUp::RenewToken { merchant: m }]);

    // Later rounds, even past expiry and after a restart: no request, no second notice,
    // and the charge is not expired without a check.
    let restarted = Watcher::new(Arc::clone(&h.store), Arc::clone(&h.bakong), config());
    for (w, t) in [
        (&h.watcher, NOW + 5),
        (&restarted, NOW + TTL + 100),
        (&h.watcher, NOW + TTL + 200),
    ] {
        w.run_round(t).await.unwrap();
    }
    assert_eq!(h.bakong.requests_for(&token_of(m)), 1);
    assert_eq!(h.renew_notices().await, 1);
    assert_eq!(h.settled_kind(c).await, None);
    // The other merchant was polled all along (and its unpaid charge expired normally).
    assert_eq!(h.settled_kind(c2).await, Some("expired"));

    // "Check now" does not send the refused token either... (the gate of this watcher)
    assert_eq!(
        h.watcher.check_now(c, NOW + TTL + 201).await.unwrap(),
        CheckNow::TokenRefused
    );
    assert_eq!(h.bakong.requests_for(&token_of(m)), 1);

    // New token: polling resumes and the payment made meanwhile is found.
    h.set_token(m, "token-1-renewed").await;
    h.bakong
        .answer(&md5(1), paid_tx(&account_of(m), "USD", "5"));
    let r = h.watcher.run_round(NOW + TTL + 300).await.unwrap();
    assert_eq!(r.paid, 1);
    assert_eq!(h.settled_kind(c).await, Some("paid"));
    assert_eq!(h.bakong.requests_for("token-1-renewed"), 1);
}

#[tokio::test]
async fn a_refused_token_is_re_checked_every_half_hour_and_resumes_when_accepted() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let long = h
        .add_charge(
            m,
            &md5(1),
            ChargeFacts {
                account_id: account_of(m),
                currency: Currency::Usd,
                amount_minor: 500,
                expires_at: NOW + 2 * 3600,
                last_check_at: None,
                status: ChargeStatus::Pending,
                seen_hashes: Vec::new(),
            },
        )
        .await;
    h.bakong.refuse(&token_of(m));
    h.watcher.run_round(NOW).await.unwrap();
    assert!(h.token_refused_mark(m).await);
    let singles = || h.bakong.single_log().len();
    // No re-check before 30 min; still refused at 30 min (nobody told again).
    for t in [1, 60, 1799] {
        h.watcher.run_round(NOW + t).await.unwrap();
    }
    assert_eq!(singles(), 0);
    h.watcher.run_round(NOW + 1800).await.unwrap();
    assert_eq!(singles(), 1);
    assert!(h.token_refused_mark(m).await);
    // The relay is fixed: the next re-check accepts the token, and polling resumes.
    h.bakong.state.lock().unwrap().refused_tokens.clear();
    h.bakong
        .answer(&md5(1), paid_tx(&account_of(m), "USD", "5"));
    h.watcher.run_round(NOW + 3599).await.unwrap();
    assert!(h.token_refused_mark(m).await);
    h.watcher.run_round(NOW + 3600).await.unwrap();
    assert!(!h.token_refused_mark(m).await);
    let r = h.watcher.run_round(NOW + 3601).await.unwrap();
    assert_eq!(r.paid, 1);
    assert_eq!(h.settled_kind(long).await, Some("paid"));
    assert_eq!(h.renew_notices().await, 1);
}

#[tokio::test]
async fn a_restarted_watcher_meeting_a_401_again_does_not_notify_twice() {
    let h = harness().await;
    let m = h.merchant(1).await;
    h.usd_charge(m, &md5(1), 500).await;
    h.bakong.refuse(&token_of(m));
    h.watcher.run_round(NOW).await.unwrap();
    // A restarted watcher asked directly ("Check now") meets the 401 again.
    let restarted = Watcher::new(Arc::clone(&h.store), Arc::clone(&h.bakong), config());
    let c = ChargeId(1);
    assert_eq!(
        restarted.check_now(c, NOW + 1).await.unwrap(),
        CheckNow::TokenRefused
    );
    assert_eq!(h.outbox().await, vec![FollowUp::RenewToken { merchant: m }]);
}

#[tokio::test]
async fn server_wide_failures_open_one_shared_circuit_and_recovery_asks_everyone_at_once() {
    let h = harness().await;
    let stormy = h.merchant(1).await;
    let calm = h.merchant(2).await;
    let c = h.usd_charge(stormy, &md5(1), 500).await;
    h.bakong.fail(
        &token_of(stormy),
        &[
            LookupFailure::Server { status: 502 },
            LookupFailure::Timeout,
        ],
    );
    // t=0: 502 → the circuit opens for everyone; the next probe is 3 s later.
    let r = h.watcher.run_round(NOW).await.unwrap();
    assert_eq!((r.requests, r.request_failures), (1, 1));
    assert!(h.watcher.circuit_open());
    // A second merchant's charge, paid during the outage, is not asked about meanwhile.
    let c2 = h.usd_charge(calm, &md5(2), 500).await;
    h.bakong
        .answer(&md5(2), paid_tx(&account_of(calm), "USD", "5"));
    for t in 1..3 {
        let r = h.watcher.run_round(NOW + t).await.unwrap();
        assert_eq!((r.requests, r.skipped_outage), (0, 2), "t={t}");
    }
    // t=3: ONE probe (a timeout): still open, nobody else asked.
    let r = h.watcher.run_round(NOW + 3).await.unwrap();
    assert_eq!((r.requests, r.skipped_outage), (1, 1));
    assert_eq!(h.bakong.requests_for(&token_of(calm)), 0);
    // t=6: the probe is answered, and the same round asks about every pending charge.
    let r = h.watcher.run_round(NOW + 6).await.unwrap();
    assert_eq!(r.requests, 2);
    assert_eq!(r.paid, 1);
    assert!(!h.watcher.circuit_open());
    assert_eq!(h.settled_kind(c2).await, Some("paid"));
    assert_eq!(h.settled_kind(c).await, None);
    assert!(h.charge(c).await.last_check_at.is_none());
    // No per-merchant back-off was left behind: both are asked at the next round.
    let r = h.watcher.run_round(NOW + 7).await.unwrap();
    assert_eq!(
        r.requests, 1,
        "only the stormy merchant has a charge due (the calm one's paid charge is asked \
         about again only at the late watch's pace)"
    );
}

#[tokio::test]
async fn per_token_trouble_backs_off_only_that_merchant() {
    let h = harness().await;
    let odd = h.merchant(1).await;
    let calm = h.merchant(2).await;
    h.usd_charge(odd, &md5(1), 500).await;
    h.usd_charge(calm, &md5(2), 500).await;
    h.bakong.fail(&token_of(odd), &[LookupFailure::BadAnswer]);
    for t in 0..5 {
        h.watcher.run_round(NOW + t).await.unwrap();
    }
    assert!(!h.watcher.circuit_open());
    assert_eq!(h.bakong.requests_for(&token_of(calm)), 5);
    assert_eq!(h.bakong.requests_for(&token_of(odd)), 1, "backing off 5 s");
    h.watcher.run_round(NOW + 5).await.unwrap();
    assert_eq!(h.bakong.requests_for(&token_of(odd)), 2);
}

/// A 429 is one token's trouble, whoever met it: a person's "Check now" or a round. It
/// backs off that merchant (Retry-After honoured) and never opens the circuit every seller
/// shares, so another seller's payment is still seen at the next round.
#[tokio::test]
async fn a_429_backs_off_that_token_only_from_a_press_or_a_round() {
    let h = harness().await;
    let throttled = h.merchant(1).await;
    let calm = h.merchant(2).await;
    let c = h.usd_charge(throttled, &md5(1), 500).await;
    let c2 = h.usd_charge(calm, &md5(2), 500).await;
    let limited = LookupFailure::RateLimited {
        retry_after_secs: Some(60),
    };
    h.bakong
        .fail(&token_of(throttled), std::slice::from_ref(&limited));
    assert_eq!(
        h.watcher.check_now(c, NOW).await.unwrap(),
        CheckNow::Unreachable(limited.clone())
    );
    assert!(!h.watcher.circuit_open());
    h.bakong
        .answer(&md5(2), paid_tx(&account_of(calm), "USD", "5"));
    let r = h.watcher.run_round(NOW + 1).await.unwrap();
    assert_eq!((r.paid, r.skipped_backoff, r.skipped_outage), (1, 1, 0));
    assert_eq!(h.settled_kind(c2).await, Some("paid"));
    assert_eq!(
        h.watcher.check_now(c, NOW + 2).await.unwrap(),
        CheckNow::TryLater { until: NOW + 60 },
        "the throttled token waits, without asking"
    );
    assert_eq!(h.bakong.requests_for(&token_of(throttled)), 1);

    // The same from a round: the calm merchant's next charge is still asked about.
    let c3 = h.usd_charge(calm, &md5(3), 700).await;
    h.bakong.fail(&token_of(calm), &[limited]);
    let r = h.watcher.run_round(NOW + 3).await.unwrap();
    assert_eq!((r.request_failures, r.skipped_backoff), (1, 1));
    assert!(!h.watcher.circuit_open());
    let r = h.watcher.run_round(NOW + 60).await.unwrap();
    assert_eq!(
        r.requests, 1,
        "the throttled merchant again, the calm one waits"
    );
    assert_eq!(h.settled_kind(c3).await, None);
}

/// The first answered request made with a token Bakong was never seen accepting records
/// it as accepted (renewal needs that); a refused one never is.
#[tokio::test]
async fn an_answered_request_records_the_token_as_accepted() {
    let h = harness().await;
    let fresh = h.merchant(1).await;
    let refused = h.merchant(2).await;
    h.usd_charge(fresh, &md5(1), 500).await;
    h.usd_charge(refused, &md5(2), 500).await;
    sqlx::query("UPDATE merchants SET token_accepted_at = NULL")
        .execute(h.db.pool())
        .await
        .unwrap();
    h.bakong.refuse(&token_of(refused));
    h.watcher.run_round(NOW).await.unwrap();
    h.watcher.run_round(NOW + 5).await.unwrap();
    let db = &h.db;
    let accepted =
        |m: MerchantId| async move { db.merchant(m).await.unwrap().unwrap().token_accepted_at };
    assert_eq!(
        accepted(fresh).await,
        Some(NOW),
        "recorded once, at the first answer"
    );
    assert_eq!(accepted(refused).await, None);
}

#[tokio::test]
async fn a_closed_list_endpoint_switches_to_per_md5_polling_when_the_single_call_answers() {
    let h = harness().await;
    let m1 = h.merchant(1).await;
    let m2 = h.merchant(2).await;
    // Long-lived QRs, so that they are still pending at the hourly list retries.
    let long_lived = async |m: MerchantId, md5: &str| {
        h.add_charge(
            m,
            md5,
            ChargeFacts {
                account_id: account_of(m),
                currency: Currency::Usd,
                amount_minor: 500,
                expires_at: NOW + 3 * 3600,
                last_check_at: None,
                status: ChargeStatus::Pending,
                seen_hashes: Vec::new(),
            },
        )
        .await
    };
    let a = long_lived(m1, &md5(1)).await;
    let b = long_lived(m1, &md5(2)).await;
    let c = long_lived(m2, &md5(3)).await;
    h.bakong.close_list(true);
    h.bakong
        .answer(&md5(2), paid_tx(&account_of(m1), "USD", "5"));

    // t=0: the first merchant's list request is refused and one of its md5s probed; the
    // other merchant sends no list request once the endpoint is known to be closed.
    let r = h.watcher.run_round(NOW).await.unwrap();
    assert_eq!(r.requests, 2, "{r:?}");
    assert!(h.watcher.polls_per_md5());
    let probed: HashSet<String> = h.bakong.single_log().into_iter().map(|(_, m)| m).collect();
    assert_eq!(probed, HashSet::from([md5(1)]));
    assert_eq!(h.bakong.log().len(), 1);
    assert_eq!(h.settled_kind(b).await, None, "not probed yet, not guessed");

    // t=1: per md5, every due charge once, no list request.
    h.bakong.clear_log();
    let before = h.bakong.single_log().len();
    let r = h.watcher.run_round(NOW + 1).await.unwrap();
    assert!(r.per_md5);
    assert_eq!((r.requests, r.paid), (3, 1));
    assert!(h.bakong.log().is_empty(), "no list request in per-md5 mode");
    assert_eq!(h.bakong.single_log().len() - before, 3);
    assert_eq!(h.settled_kind(b).await, Some("paid"));
    assert_eq!(h.follow_ups_for(b).await, 1);
    assert_eq!(
        (h.settled_kind(a).await, h.settled_kind(c).await),
        (None, None)
    );

    // About an hour later: ONE list request (still closed), then per md5 again.
    let r = h.watcher.run_round(NOW + 3600).await.unwrap();
    assert_eq!(h.bakong.log().len(), 1);
    assert_eq!(
        r.requests, 4,
        "the list retry, the two pending charges and the paid one (watched for a second \
         payment until 15 minutes after its expiry)"
    );
    assert!(h.watcher.polls_per_md5());
    h.watcher.run_round(NOW + 3601).await.unwrap();
    assert_eq!(h.bakong.log().len(), 1);

    // The list endpoint opens again: the next hourly retry switches back to batches.
    h.bakong.close_list(false);
    h.watcher.run_round(NOW + 7200).await.unwrap();
    assert!(!h.watcher.polls_per_md5());
    let singles = h.bakong.single_log().len();
    let r = h.watcher.run_round(NOW + 7201).await.unwrap();
    assert!(!r.per_md5, "{r:?}");
    assert_eq!(r.requests, 2, "one list request per merchant: {r:?}");
    assert_eq!(h.bakong.single_log().len(), singles);
}

#[tokio::test]
async fn a_refused_single_call_too_is_the_geo_block_and_stays_in_batch_mode() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    h.bakong.close_list(true);
    h.bakong
        .fail_single(&token_of(m), &[LookupFailure::GeoBlocked]);
    let r = h.watcher.run_round(NOW).await.unwrap();
    assert_eq!((r.requests, r.request_failures), (2, 1));
    assert!(!h.watcher.polls_per_md5());
    // The merchant backs off as for any geo-block (5 s), and nothing is settled.
    h.watcher.run_round(NOW + 1).await.unwrap();
    assert_eq!(h.bakong.log().len(), 1);
    assert_eq!(h.settled_kind(c).await, None);
}

#[tokio::test]
async fn per_md5_rounds_ask_oldest_checked_first_within_the_request_budget() {
    // 20 requests a second, rounds every second: at most 20... use a tiny budget of 2.
    let cfg = WatcherConfig {
        max_rps: 2,
        round_secs: 1,
        ..config()
    };
    let h = harness_with(cfg).await;
    let m = h.merchant(1).await;
    for i in 1..=5 {
        h.usd_charge(m, &md5(i), 500).await;
    }
    h.bakong.close_list(true);
    h.watcher.run_round(NOW).await.unwrap(); // probes md5(1), switches
    let asked = |h: &Harness, from: usize| -> Vec<String> {
        h.bakong.single_log()[from..]
            .iter()
            .map(|(_, m)| m.clone())
            .collect()
    };
    let mut seen = h.bakong.single_log().len();
    assert_eq!(asked(&h, 0), vec![md5(1)]);
    let mut rounds = vec![];
    for t in 1..=3 {
        let r = h.watcher.run_round(NOW + t).await.unwrap();
        assert_eq!((r.requests, r.deferred), (2, 3), "t={t}");
        let mut got = asked(&h, seen);
        got.sort();
        rounds.push(got);
        seen = h.bakong.single_log().len();
    }
    // Never-asked first (by id), then the longest unasked.
    assert_eq!(
        rounds,
        vec![
            vec![md5(2), md5(3)],
            vec![md5(4), md5(5)],
            vec![md5(1), md5(2)],
        ]
    );
}

/// A round with fewer requests than due charges asks the open ones first: money may be
/// arriving for them now, while a cancelled one only waits for a copy of its QR to be paid.
#[tokio::test]
async fn per_md5_rounds_ask_open_charges_before_late_watched_ones() {
    let cfg = WatcherConfig {
        max_rps: 2,
        round_secs: 1,
        ..config()
    };
    let h = harness_with(cfg).await;
    let m = h.merchant(1).await;
    let mut ids = Vec::new();
    for i in 1..=4 {
        ids.push(h.usd_charge(m, &md5(i), 500).await);
    }
    h.bakong.close_list(true);
    h.watcher.run_round(NOW).await.unwrap(); // probes md5(1), switches
    assert!(h.watcher.polls_per_md5());
    // Two never-asked charges end without money: late-watched, due at once.
    for id in &ids[1..3] {
        assert!(h.db.cancel_charge(m, *id, NOW).await.unwrap());
    }
    let seen = h.bakong.single_log().len();
    let r = h.watcher.run_round(NOW + 1).await.unwrap();
    assert_eq!((r.requests, r.deferred), (2, 2), "{r:?}");
    let mut asked: Vec<String> = h.bakong.single_log()[seen..]
        .iter()
        .map(|(_, m)| m.clone())
        .collect();
    asked.sort();
    // The open ones (the never-asked md5(4), then md5(1)), not the never-asked cancelled ones.
    assert_eq!(asked, vec![md5(1), md5(4)]);
}

#[tokio::test]
async fn rate_limit_retry_after_is_honoured() {
    let h = harness().await;
    let m = h.merchant(1).await;
    h.usd_charge(m, &md5(1), 500).await;
    h.bakong.fail(
        &token_of(m),
        &[LookupFailure::RateLimited {
            retry_after_secs: Some(30),
        }],
    );
    for t in 0..=30 {
        h.watcher.run_round(NOW + t).await.unwrap();
    }
    // t=0 (429) and t=30, nothing in between.
    assert_eq!(h.bakong.requests_for(&token_of(m)), 2);
    assert_eq!(
        h.watcher.check_now(ChargeId(1), NOW + 31).await.unwrap(),
        CheckNow::StillPending
    );
}

#[tokio::test]
async fn check_now_during_back_off_says_when_to_try_again() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    h.bakong.fail(&token_of(m), &[LookupFailure::BadAnswer]);
    h.watcher.run_round(NOW).await.unwrap();
    assert_eq!(
        h.watcher.check_now(c, NOW + 1).await.unwrap(),
        CheckNow::TryLater { until: NOW + 5 }
    );
    assert_eq!(h.bakong.requests_for(&token_of(m)), 1);
}

#[tokio::test]
async fn check_now_during_an_outage_asks_and_its_answer_closes_the_circuit() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    h.bakong
        .fail(&token_of(m), &[LookupFailure::Server { status: 500 }]);
    h.watcher.run_round(NOW).await.unwrap();
    assert!(h.watcher.circuit_open());
    h.bakong
        .answer(&md5(1), paid_tx(&account_of(m), "USD", "5"));
    assert_eq!(
        h.watcher.check_now(c, NOW + 1).await.unwrap(),
        CheckNow::Settled(SettledAs::Paid)
    );
    assert!(!h.watcher.circuit_open());
}

#[tokio::test]
async fn check_now_settles_and_a_second_press_finds_it_settled() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    assert_eq!(
        h.watcher.check_now(c, NOW).await.unwrap(),
        CheckNow::StillPending
    );
    h.bakong
        .answer(&md5(1), paid_tx(&account_of(m), "USD", "5"));
    assert_eq!(
        h.watcher.check_now(c, NOW + 1).await.unwrap(),
        CheckNow::Settled(SettledAs::Paid)
    );
    assert_eq!(
        h.watcher.check_now(c, NOW + 2).await.unwrap(),
        CheckNow::NotPending
    );
    assert_eq!(
        h.watcher.check_now(ChargeId(999), NOW).await.unwrap(),
        CheckNow::NotPending
    );
    assert_eq!(h.follow_ups_for(c).await, 1);
}

#[tokio::test]
async fn check_now_failure_leaves_the_charge_pending() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    h.bakong.fail(&token_of(m), &[LookupFailure::Transport]);
    assert_eq!(
        h.watcher.check_now(c, NOW).await.unwrap(),
        CheckNow::Unreachable(LookupFailure::Transport)
    );
    assert_eq!(h.settled_kind(c).await, None);
}

#[tokio::test]
async fn merchant_without_token_is_skipped_not_settled() {
    let h = harness().await;
    let m = h.merchant_without_token(5).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    let r = h.watcher.run_round(NOW + TTL + 10).await.unwrap();
    assert_eq!(r.skipped_no_token, 1);
    assert!(h.bakong.log().is_empty());
    assert_eq!(h.settled_kind(c).await, None);
    assert_eq!(
        h.watcher.check_now(c, NOW).await.unwrap(),
        CheckNow::NoToken
    );
}

#[tokio::test]
async fn store_failure_keeps_the_charge_pending_and_the_next_round_settles_it() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let c = h.usd_charge(m, &md5(1), 500).await;
    h.bakong
        .answer(&md5(1), paid_tx(&account_of(m), "USD", "5"));
    h.fail_settles().await;
    let r = h.watcher.run_round(NOW).await.unwrap();
    assert_eq!((r.store_errors, r.paid), (1, 0));
    assert_eq!(h.settled_kind(c).await, None);
    assert!(h.outbox().await.is_empty());
    h.heal_store().await;
    let r = h.watcher.run_round(NOW + 5).await.unwrap();
    assert_eq!(r.paid, 1);
    assert_eq!(h.follow_ups_for(c).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_rounds_and_check_now_settle_each_charge_exactly_once() {
    let h = harness().await;
    let mut charges = vec![];
    let mut n = 0;
    for mid in 1..=4 {
        let m = h.merchant(mid).await;
        for _ in 0..60 {
            n += 1;
            let c = h.usd_charge(m, &md5(n), 500).await;
            h.bakong
                .answer(&md5(n), paid_tx(&account_of(m), "USD", "5"));
            charges.push(c);
        }
    }
    let w2 = Watcher::new(Arc::clone(&h.store), Arc::clone(&h.bakong), config());
    let presses = charges.iter().step_by(7).copied().collect::<Vec<_>>();
    let press = async {
        let mut settled_by_press = 0;
        for c in &presses {
            if let CheckNow::Settled(_) = h.watcher.check_now(*c, NOW).await.unwrap() {
                settled_by_press += 1;
            }
        }
        settled_by_press
    };
    let (a, b, by_press) = tokio::join!(h.watcher.run_round(NOW), w2.run_round(NOW), press);
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.paid + b.paid + by_press, charges.len());
    for c in &charges {
        assert_eq!(h.settled_kind(*c).await, Some("paid"));
        assert_eq!(h.follow_ups_for(*c).await, 1, "{c:?}");
    }
    assert_eq!(h.outbox().await.len(), charges.len());
    assert_eq!(h.pending_count().await, 0);
}

#[tokio::test]
async fn a_restart_picks_up_every_pending_charge() {
    let h = harness().await;
    let m = h.merchant(1).await;
    let mut ids: Vec<ChargeId> = vec![];
    for i in 1..=75 {
        ids.push(h.usd_charge(m, &md5(i), 500).await);
    }
    h.watcher.run_round(NOW).await.unwrap();
    for i in 1..=75 {
        h.bakong
            .answer(&md5(i), paid_tx(&account_of(m), "USD", "5"));
    }
    // The old watcher (its in-memory gates, its opened tokens) is gone; only the
    // database survives.
    let Harness {
        store,
        db,
        bakong,
        watcher,
        _dir,
    } = h;
    drop(watcher);
    drop(store);
    let store = Arc::new(SqlWatcherStore::new(db.clone(), secrets()));
    let h = Harness {
        watcher: Watcher::new(Arc::clone(&store), Arc::clone(&bakong), config()),
        store,
        db,
        bakong,
        _dir,
    };
    let restarted = Watcher::new(Arc::clone(&h.store), Arc::clone(&h.bakong), config());
    let r = restarted.run_round(NOW + 5).await.unwrap();
    assert_eq!((r.paid, r.requests), (75, 2));
    for id in ids {
        assert_eq!(h.follow_ups_for(id).await, 1);
    }
}

#[tokio::test]
async fn settling_notifies_the_outbox_right_away() {
    let notify = Arc::new(tokio::sync::Notify::new());
    let mut h = harness().await;
    h.watcher = h.watcher.notify_on_settle(Arc::clone(&notify));
    let m = h.merchant(1).await;
    h.usd_charge(m, &md5(1), 500).await;
    h.bakong
        .answer(&md5(1), paid_tx(&account_of(m), "USD", "5"));
    h.watcher.run_round(NOW).await.unwrap();
    // The permit is stored: this returns at once (the timeout only guards a failing test).
    tokio::time::timeout(std::time::Duration::from_secs(20), notify.notified())
        .await
        .expect("no notification after a settlement");
}

async fn adaptive_harness() -> Harness {
    harness_with(WatcherConfig {
        schedule: Schedule::with_interval(5),
        ..config()
    })
    .await
}

/// Seconds (from NOW) of the rounds `t` in `range` that sent a request for `m`.
async fn asked_at(h: &Harness, m: MerchantId, range: std::ops::Range<i64>) -> Vec<i64> {
    let mut at = vec![];
    for t in range {
        let before = h.bakong.requests_for(&token_of(m));
        h.watcher.run_round(NOW + t).await.unwrap();
        if h.bakong.requests_for(&token_of(m)) > before {
            at.push(t);
        }
    }
    at
}

#[tokio::test]
async fn young_charges_are_asked_every_two_seconds_older_ones_every_poll_interval() {
    let h = adaptive_harness().await;
    let m = h.merchant(1).await;
    // Created at NOW (the harness dates a charge 10 min before its expiry).
    let c = h.usd_charge(m, &md5(1), 500).await;
    assert_eq!(asked_at(&h, m, 0..9).await, vec![0, 2, 4, 6, 8]);
    assert_eq!(h.charge(c).await.next_poll_at, NOW + 10);
    // From 3 minutes on, every 5 s.
    let mut at = asked_at(&h, m, 176..200).await;
    at.retain(|t| *t >= 180);
    assert_eq!(at, vec![180, 185, 190, 195]);
    // Due since 200, asked at 596; the next check is at the expiry (600), not 601.
    let at = asked_at(&h, m, 596..602).await;
    assert_eq!(at, vec![596, 600]);
}

#[tokio::test]
async fn a_merchant_gets_at_most_one_list_request_per_two_seconds() {
    let h = adaptive_harness().await;
    let m = h.merchant(1).await;
    h.usd_charge(m, &md5(1), 500).await;
    h.watcher.run_round(NOW).await.unwrap();
    // A second charge appears at once: it waits for the merchant's next slot, and from
    // then on both share one request.
    h.usd_charge(m, &md5(2), 500).await;
    let r = h.watcher.run_round(NOW + 1).await.unwrap();
    assert_eq!((r.requests, r.skipped_recent), (0, 1));
    assert_eq!(asked_at(&h, m, 2..10).await, vec![2, 4, 6, 8]);
    assert!(h.bakong.log()[1..].iter().all(|(_, md5s)| md5s.len() == 2));
}
