//! The payments ledger at the store, on SQLite and PostgreSQL: one transaction hash settles
//! at most one charge, even when two handles (two replicas) race to record it for two
//! charges of the same amount; `/check` reads the same ledger; the migration fills the
//! ledger from the charges an older build settled.

use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{Amount, Currency};
use khqr_bot::store::{
    Arrival, ChargeId, ChargeStatus, FollowUpKind, MerchantId, NewCharge, SettleOutcome, Store,
};

use crate::support::money::{counted, elsewhere, exact};

const NOW: i64 = 1_800_000_000;
const ACCOUNT: &str = "sokha@aclb";

async fn store_and_url(dir: &tempfile::TempDir) -> (Store, String) {
    let url = crate::support::db::fresh_database_url(dir.path(), "payments.db").await;
    (Store::open(&url).await.unwrap(), url)
}

async fn merchant(s: &Store, user: i64) -> MerchantId {
    s.ensure_merchant(user, user, Lang::En, NOW)
        .await
        .unwrap()
        .id
}

/// A pending charge of `m` asking `minor` US cents.
async fn pending(s: &Store, m: MerchantId, n: u32, minor: u64) -> ChargeId {
    let id = s
        .insert_creating_charge(&NewCharge {
            merchant_id: m,
            chat_id: m.0,
            bill_number: format!("P{n}"),
            khqr: format!("000201...{n}"),
            md5: format!("{n:032x}"),
            to_account_id: ACCOUNT.into(),
            amount: Amount::from_minor(minor, Currency::Usd).unwrap(),
            note: None,
            created_at: NOW,
            expires_at: NOW + 600,
        })
        .await
        .unwrap();
    assert!(s.activate_charge(id, 1000 + n as i32, NOW).await.unwrap());
    id
}

async fn follow_ups(s: &Store, c: ChargeId) -> Vec<FollowUpKind> {
    s.charge_outbox(c)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.kind)
        .collect()
}

/// Two charges of the same amount, one transaction hash reported for both, recorded by two
/// handles at the same time: one charge is paid by it, the other stays pending, the
/// transaction is in the ledger once and the seller is told once. Twenty times over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_hash_settles_one_charge_when_two_handles_race() {
    let dir = tempfile::tempdir().unwrap();
    let (s, url) = store_and_url(&dir).await;
    let other = Store::open(&url).await.unwrap();
    let m = merchant(&s, 1).await;
    let mut pairs = vec![];
    for n in 0..20u32 {
        let a = pending(&s, m, 2 * n, 400).await;
        let b = pending(&s, m, 2 * n + 1, 400).await;
        pairs.push((a, b, format!("{:064x}", 0xABC000 + n)));
    }
    let mut tasks = vec![];
    for (a, b, hash) in &pairs {
        for (handle, charge) in [(s.clone(), *a), (other.clone(), *b)] {
            let t = exact(hash, ACCOUNT, Currency::Usd, 400, NOW + 5);
            tasks.push(tokio::spawn(async move {
                (
                    charge,
                    handle
                        .record_payment(charge, &t, NOW + 5, NOW + 35)
                        .await
                        .unwrap(),
                )
            }));
        }
    }
    let mut outcomes = std::collections::HashMap::new();
    for t in tasks {
        let (charge, outcome) = t.await.unwrap();
        outcomes.insert(charge, outcome);
    }
    for (a, b, hash) in &pairs {
        let (oa, ob) = (outcomes[a], outcomes[b]);
        let (winner, loser) = match (oa, ob) {
            (SettleOutcome::Changed { .. }, SettleOutcome::HashTaken) => (*a, *b),
            (SettleOutcome::HashTaken, SettleOutcome::Changed { .. }) => (*b, *a),
            other => panic!("{other:?}"),
        };
        let won = s.charge(winner).await.unwrap().unwrap();
        assert_eq!(won.status, ChargeStatus::Paid);
        assert_eq!(won.bakong_hash.as_deref(), Some(hash.as_str()));
        let lost = s.charge(loser).await.unwrap().unwrap();
        assert_eq!(lost.status, ChargeStatus::Pending, "not paid by it");
        assert_eq!(lost.bakong_hash, None);
        assert!(s.charge_payments(loser).await.unwrap().is_empty());
        assert_eq!(follow_ups(&s, winner).await, [FollowUpKind::ChargePaid]);
        assert_eq!(
            follow_ups(&s, loser).await,
            [FollowUpKind::PaymentHashTaken]
        );
        let held = s
            .payment_held_by(&hash.to_uppercase())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(held.charge, winner);
        // Seen again by either handle: nothing more, nobody told again.
        for (handle, charge) in [(&s, winner), (&other, loser)] {
            let t = exact(hash, ACCOUNT, Currency::Usd, 400, NOW + 9);
            assert_eq!(
                handle
                    .record_payment(charge, &t, NOW + 9, NOW + 39)
                    .await
                    .unwrap(),
                SettleOutcome::Unchanged
            );
        }
        assert_eq!(follow_ups(&s, loser).await.len(), 1);
    }
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM payments")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(rows, 20);
    // The ledger's watcher facts: the refused hash is seen, so the rules ask no more of it.
    let due = s.pending_charge(pairs[0].1).await.unwrap();
    let loser = match due {
        Some(d) => d,
        None => s.pending_charge(pairs[0].0).await.unwrap().unwrap(),
    };
    assert_eq!(loser.facts.seen_hashes, vec![pairs[0].2.clone()]);
}

/// `/check` reads the ledger: the seller's charge a transaction paid, whatever case the
/// hash is typed in; another seller's never.
#[tokio::test]
async fn check_reads_the_ledger_and_never_names_another_sellers_bill() {
    let dir = tempfile::tempdir().unwrap();
    let (s, _) = store_and_url(&dir).await;
    let (sokha, dara) = (merchant(&s, 1).await, merchant(&s, 2).await);
    let c = pending(&s, sokha, 1, 400).await;
    let under = pending(&s, sokha, 2, 400).await;
    let lost = pending(&s, sokha, 3, 400).await;
    let hash = "AbCd".repeat(16);
    s.record_payment(
        c,
        &exact(&hash, ACCOUNT, Currency::Usd, 400, NOW),
        NOW,
        NOW + 30,
    )
    .await
    .unwrap();
    s.record_payment(
        under,
        &counted(&"1".repeat(64), ACCOUNT, Currency::Usd, 300, 400, NOW),
        NOW,
        NOW + 30,
    )
    .await
    .unwrap();
    s.record_payment(
        lost,
        &elsewhere(&"2".repeat(64), "thief@aba", Currency::Usd, 400, NOW),
        NOW,
        NOW + 30,
    )
    .await
    .unwrap();
    let found = s
        .charge_settled_by(sokha, &format!(" {} ", hash.to_lowercase()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.charge, found.bill_number.as_str()), (c, "P1"));
    assert_eq!(found.status, ChargeStatus::Paid);
    assert_eq!(s.charge_settled_by(dara, &hash).await.unwrap(), None);
    assert_eq!(
        s.charge(under).await.unwrap().unwrap().status,
        ChargeStatus::Underpaid
    );
    let lost_row = s.charge(lost).await.unwrap().unwrap();
    assert_eq!(lost_row.status, ChargeStatus::Mismatch);
    assert!(matches!(
        s.charge_payments(lost).await.unwrap()[0].arrival,
        Arrival::NotCounted { .. }
    ));
}

/// The rows an older build left, recorded in its schema (the last migration before the
/// ledger).
async fn older_database(url: &str) {
    sqlx::any::install_default_drivers();
    let pool_url = if url.starts_with("sqlite:") {
        format!("{url}?mode=rwc")
    } else {
        url.to_owned()
    };
    let pool = sqlx::AnyPool::connect(&pool_url).await.unwrap();
    let backend = khqr_bot::store::Backend::of_url(url).unwrap();
    khqr_bot::store::migrator(backend)
        .run_to(20261201000900, &pool)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO merchants (id, telegram_user_id, chat_id, created_at, updated_at) \
         VALUES (1, 7, 7, 0, 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    // (id, status, paid_at, hash, paid minor, paid currency, paid to, paid_after)
    type Row = (
        i64,
        &'static str,
        Option<i64>,
        Option<&'static str>,
        Option<i64>,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
    );
    let rows: [Row; 7] = [
        (1, "paid", Some(650), Some("AA11"), None, None, None, None),
        // The same transaction recorded for a younger charge: the older one keeps it.
        (2, "paid", Some(660), Some("aa11"), None, None, None, None),
        // Less than asked to the shop's account: counted, the charge under-paid.
        (
            3,
            "mismatch",
            Some(670),
            Some("bb22"),
            Some(300),
            Some("USD"),
            Some(ACCOUNT),
            None,
        ),
        // To another account: not counted.
        (
            4,
            "mismatch",
            Some(680),
            Some("cc33"),
            Some(500),
            Some("USD"),
            Some("thief@aba"),
            None,
        ),
        // Riel for a dollar charge: counted in riel.
        (
            5,
            "mismatch",
            Some(690),
            Some("dd44"),
            Some(2000),
            Some("KHR"),
            Some(ACCOUNT),
            None,
        ),
        // Paid after Cancel.
        (
            6,
            "paid",
            Some(700),
            Some("ee55"),
            None,
            None,
            None,
            Some("cancelled"),
        ),
        (7, "expired", None, None, None, None, None, None),
    ];
    for (id, status, paid_at, hash, minor, currency, to, after) in rows {
        sqlx::query(
            "INSERT INTO charges (id, merchant_id, chat_id, message_id, bill_number, khqr, \
                 md5, to_account_id, amount_minor, currency, status, created_at, expires_at, \
                 next_poll_at, settled_at, bakong_hash, payer_account_id, paid_amount_minor, \
                 paid_currency, paid_to_account_id, paid_at, paid_after) \
             VALUES ($1, 1, 7, 10, $2, 'k', $3, $4, 500, 'USD', $5, 100, 700, 100, 900, $6, \
                 'payer@wing', $7, $8, $9, $10, $11)",
        )
        .bind(100 + id)
        .bind(format!("B{id}"))
        .bind(format!("md5-{id}"))
        .bind(ACCOUNT)
        .bind(status)
        .bind(hash)
        .bind(minor)
        .bind(currency)
        .bind(to)
        .bind(paid_at)
        .bind(after)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;
}

#[tokio::test]
async fn the_migration_fills_the_ledger_from_settled_charges_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let url = crate::support::db::fresh_database_url(dir.path(), "older.db").await;
    older_database(&url).await;
    let s = Store::open(&url).await.unwrap();
    // The older build's charge n has id 100 + n (ids an identity column has not given yet).
    let status = |n: i64| {
        let s = s.clone();
        async move { s.charge(ChargeId(100 + n)).await.unwrap().unwrap().status }
    };
    assert_eq!(status(1).await, ChargeStatus::Paid);
    assert_eq!(status(2).await, ChargeStatus::Paid, "keeps its card");
    assert_eq!(status(3).await, ChargeStatus::Underpaid);
    assert_eq!(status(4).await, ChargeStatus::Mismatch);
    assert_eq!(status(5).await, ChargeStatus::Mismatch);
    let payments = |n: i64| {
        let s = s.clone();
        async move { s.charge_payments(ChargeId(100 + n)).await.unwrap() }
    };
    let first = payments(1).await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].hash, "aa11", "trimmed and lowercase");
    assert_eq!(
        (first[0].currency.as_str(), first[0].amount.as_str()),
        ("USD", "5.00")
    );
    assert!(payments(2).await.is_empty(), "a hash counted once");
    let under = &payments(3).await[0];
    assert_eq!(
        under.arrival.counted().map(|m| (m.currency, m.minor)),
        Some((Currency::Usd, 300))
    );
    assert_eq!(payments(4).await[0].arrival.counted(), None);
    assert_eq!(
        payments(5).await[0]
            .arrival
            .counted()
            .map(|m| (m.currency, m.minor)),
        Some((Currency::Khr, 2000))
    );
    assert_eq!(payments(6).await[0].charge_was, ChargeStatus::Cancelled);
    assert!(payments(7).await.is_empty());
    // The totals read the ledger: 5.00 + 3.00 + 5.00 (after Cancel) in dollars, the riel.
    let summary = s.history_summary(MerchantId(1), 0, 1_000).await.unwrap();
    let totals: Vec<(Currency, u64, u64)> = summary
        .received
        .iter()
        .map(|t| (t.currency, t.count, t.sum_minor))
        .collect();
    assert_eq!(
        totals,
        vec![(Currency::Usd, 3, 1_300), (Currency::Khr, 1, 2_000)]
    );
    assert_eq!(summary.not_counted, 1);
    // A new build's first payment after the migration takes the next id, and a hash the
    // migration recorded refuses a second charge.
    let m = MerchantId(1);
    let fresh = pending(&s, m, 99, 500).await;
    assert_eq!(
        s.record_payment(
            fresh,
            &exact("AA11", ACCOUNT, Currency::Usd, 500, 2_000),
            2_000,
            2_030
        )
        .await
        .unwrap(),
        SettleOutcome::HashTaken
    );
}
