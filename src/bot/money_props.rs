//! Property: over random days of exact, over, under, failed-then-paid, late (after Cancel),
//! cancelled, extra (a paid QR paid again), another currency and another account's payments,
//! the sum of the day's transactions that reached the seller's account equals the total the
//! store's summary gives and `/history`'s text shows, per currency — and the part to look
//! at is exactly what was not the exact amount paid while the QR was open.
//!
//! Each transaction goes through the watcher's rules (`decide`) and the store's settlement
//! as a round would (`Store::record_payment`, `Store::settle_charge`, `cancel_charge`), on
//! a fresh database (SQLite, or PostgreSQL with `KHQR_TEST_DATABASE_URL`).

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::reports::period::{Period, parse_period};
use crate::bakong::{DecimalAmount, Lookup, Transaction};
use crate::i18n::Lang;
use crate::khqr::{Amount, Currency};
use crate::render::format_minor_units;
use crate::store::{
    ChargeFacts, ChargeId, ChargeSettlement, ChargeStatus, EventKind, FollowUpKind, MerchantId,
    NewCharge, Store,
};
use crate::watcher::decide::{Decision, Rules, decide};

const ACCOUNT: &str = "sokha@aclb";

/// What the customer did with one QR.
#[derive(Debug, Clone)]
enum Story {
    Exact,
    /// Paid this many minor units more.
    Over(u64),
    /// Paid this many minor units less (less than asked, more than nothing).
    Under(u64),
    FailedThenPaid,
    /// Cancelled by the seller, then paid (a forwarded copy).
    LateAfterCancel,
    Cancelled,
    /// Paid, then paid again with this many minor units.
    Extra(u64),
    /// Paid in the other currency (this many of its minor units).
    OtherCurrency(u64),
    /// Paid to another account: never counted.
    OtherAccount,
}

#[derive(Debug, Clone)]
struct Sale {
    currency: Currency,
    minor: u64,
    story: Story,
    /// Seconds from the day's start when the customer paid (outside the day sometimes).
    at: i64,
}

fn story() -> impl Strategy<Value = Story> {
    prop_oneof![
        3 => Just(Story::Exact),
        1 => (1u64..5_000).prop_map(Story::Over),
        1 => (1u64..100).prop_map(Story::Under),
        1 => Just(Story::FailedThenPaid),
        1 => Just(Story::LateAfterCancel),
        1 => Just(Story::Cancelled),
        1 => (1u64..10_000).prop_map(Story::Extra),
        1 => (1u64..50_000).prop_map(Story::OtherCurrency),
        1 => Just(Story::OtherAccount),
    ]
}

fn sale() -> impl Strategy<Value = Sale> {
    (
        prop_oneof![Just(Currency::Usd), Just(Currency::Khr)],
        101u64..100_000,
        story(),
        -3_600i64..90_000,
    )
        .prop_map(|(currency, minor, story, at)| Sale {
            currency,
            // Riel amounts are whole riel, in hundreds as people charge them.
            minor: if currency == Currency::Khr {
                minor * 100
            } else {
                minor
            },
            story,
            at,
        })
}

fn other(c: Currency) -> Currency {
    match c {
        Currency::Usd => Currency::Khr,
        Currency::Khr => Currency::Usd,
    }
}

/// A transaction as Bakong reports it.
fn tx(hash: String, to: &str, currency: Currency, minor: u64, paid_at: i64) -> Transaction {
    Transaction {
        hash,
        from_account_id: Some("customer@wing".into()),
        to_account_id: to.into(),
        currency_code: currency.alpha().into(),
        amount: DecimalAmount::from_minor(minor, currency.decimals()),
        description: None,
        created_date_ms: Some(u64::try_from(paid_at).unwrap_or(0) * 1000),
        acknowledged_date_ms: None,
        tracking_status: None,
        receiver_bank: None,
        receiver_bank_account: None,
    }
}

/// One answer of Bakong for `charge`, through the rules and into the store, as a round does.
async fn answer(store: &Store, charge: ChargeId, t: Transaction, now: i64) {
    let c = store.charge(charge).await.unwrap().unwrap();
    let seen = store
        .charge_payments(charge)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.hash)
        .collect();
    let facts = ChargeFacts {
        account_id: c.to_account_id.clone(),
        currency: c.amount.currency(),
        amount_minor: c.amount.minor(),
        expires_at: c.expires_at,
        last_check_at: c.last_check_at,
        status: c.status,
        seen_hashes: seen,
    };
    match decide(&facts, &Lookup::Paid(t), now, Rules::default()) {
        Decision::Record(transfer) => {
            store
                .record_payment(charge, &transfer, now, now + 30)
                .await
                .unwrap();
        }
        other => panic!("a new transaction is recorded: {other:?}"),
    }
}

/// Plays the day; returns what reached the seller's account in the period, per currency:
/// (count, sum, count to look at, sum to look at).
async fn play(
    store: &Store,
    m: MerchantId,
    day: &Period,
    sales: &[Sale],
) -> BTreeMap<&'static str, (u64, u64, u64, u64)> {
    let start = day.start();
    let mut expected: BTreeMap<&'static str, (u64, u64, u64, u64)> = BTreeMap::new();
    let mut count = |currency: Currency, minor: u64, at: i64, look: bool| {
        if at >= day.start() && at < day.end() {
            let e = expected.entry(currency.alpha()).or_default();
            e.0 += 1;
            e.1 += minor;
            if look {
                e.2 += 1;
                e.3 += minor;
            }
        }
    };
    for (i, s) in sales.iter().enumerate() {
        let paid_at = start + s.at;
        let created = paid_at - 60;
        let id = store
            .insert_creating_charge(&NewCharge {
                merchant_id: m,
                chat_id: m.0,
                bill_number: format!("KB{i:012}"),
                khqr: format!("khqr-{i}"),
                md5: format!("{i:032x}"),
                to_account_id: ACCOUNT.into(),
                amount: Amount::from_minor(s.minor, s.currency).unwrap(),
                note: Some(format!("item {i}")),
                created_at: created,
                expires_at: created + 600,
            })
            .await
            .unwrap();
        assert!(
            store
                .activate_charge(id, i as i32 + 1, created)
                .await
                .unwrap()
        );
        let hash = |k: u32| format!("{i:056x}{k:08x}");
        let now = paid_at + 2;
        match s.story {
            Story::Exact => {
                answer(
                    store,
                    id,
                    tx(hash(0), ACCOUNT, s.currency, s.minor, paid_at),
                    now,
                )
                .await;
                count(s.currency, s.minor, paid_at, false);
            }
            Story::Over(d) | Story::Under(d) => {
                let minor = match s.story {
                    Story::Over(_) => s.minor + d,
                    _ => s.minor - d.min(s.minor - 1),
                };
                answer(
                    store,
                    id,
                    tx(hash(0), ACCOUNT, s.currency, minor, paid_at),
                    now,
                )
                .await;
                count(s.currency, minor, paid_at, true);
            }
            Story::FailedThenPaid => {
                let failed = ChargeSettlement {
                    status: ChargeStatus::Failed,
                    event: EventKind::ChargeFailed,
                    detail: serde_json::json!({}),
                    follow_up: FollowUpKind::ChargeFailed,
                };
                assert!(
                    store
                        .settle_charge(id, &failed, paid_at - 30)
                        .await
                        .unwrap()
                );
                answer(
                    store,
                    id,
                    tx(hash(0), ACCOUNT, s.currency, s.minor, paid_at),
                    now,
                )
                .await;
                count(s.currency, s.minor, paid_at, true);
            }
            Story::LateAfterCancel | Story::Cancelled => {
                assert!(store.cancel_charge(m, id, created + 5).await.unwrap());
                if matches!(s.story, Story::LateAfterCancel) {
                    answer(
                        store,
                        id,
                        tx(hash(0), ACCOUNT, s.currency, s.minor, paid_at),
                        now,
                    )
                    .await;
                    count(s.currency, s.minor, paid_at, true);
                }
            }
            Story::Extra(again) => {
                answer(
                    store,
                    id,
                    tx(hash(0), ACCOUNT, s.currency, s.minor, paid_at),
                    now,
                )
                .await;
                count(s.currency, s.minor, paid_at, false);
                let later = paid_at + 120;
                answer(
                    store,
                    id,
                    tx(hash(1), ACCOUNT, s.currency, again, later),
                    later + 2,
                )
                .await;
                count(s.currency, again, later, true);
            }
            Story::OtherCurrency(minor) => {
                let c = other(s.currency);
                answer(store, id, tx(hash(0), ACCOUNT, c, minor, paid_at), now).await;
                count(c, minor, paid_at, true);
            }
            Story::OtherAccount => {
                answer(
                    store,
                    id,
                    tx(hash(0), "thief@aba", s.currency, s.minor, paid_at),
                    now,
                )
                .await;
            }
        }
    }
    expected
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn the_days_total_is_the_sum_of_what_reached_the_account(sales in proptest::collection::vec(sale(), 1..14)) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let url = crate::store::test_database_url(dir.path()).await;
            let store = Store::open(&url).await.unwrap();
            let m = store.ensure_merchant(7, 7, Lang::En, 0).await.unwrap().id;
            let day = parse_period("2026-11-24", 1_800_000_000).unwrap();
            let expected = play(&store, m, &day, &sales).await;

            let summary = store.history_summary(m, day.start(), day.end()).await.unwrap();
            let got: BTreeMap<&'static str, (u64, u64, u64, u64)> = summary
                .received
                .iter()
                .map(|t| {
                    let look = summary.attention.iter().find(|a| a.currency == t.currency);
                    (
                        t.currency.alpha(),
                        (
                            t.count,
                            t.sum_minor,
                            look.map_or(0, |a| a.count),
                            look.map_or(0, |a| a.sum_minor),
                        ),
                    )
                })
                .collect();
            assert_eq!(got, expected, "{sales:?}");

            let latest = store.latest_payments(m, day.start(), day.end(), 10).await.unwrap();
            for lang in Lang::ALL {
                let (head, _) = super::reports::history::history_text(lang, &day, &summary, &latest);
                for (code, (n, sum, _, look)) in &expected {
                    let currency: Currency = code.parse().unwrap();
                    let total = format_minor_units(*sum, currency);
                    let line = match lang {
                        Lang::En => format!("💵 {code}: {total} received · {n} payment(s)"),
                        Lang::Km => format!("💵 {code}៖ បានទទួល {total} · ការទូទាត់ {n}"),
                    };
                    assert!(head.lines().any(|l| l == line), "{lang}: {line} in {head}");
                    if *look > 0 {
                        let part = format_minor_units(*look, currency);
                        assert!(head.contains(&part), "{lang}: {part} in {head}");
                    }
                }
                if expected.is_empty() {
                    assert!(!head.contains("💵"), "{head}");
                }
            }
        });
    }
}
