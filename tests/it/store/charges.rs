//! Store behaviour on a real SQLite file: merchants, charges, guarded transitions, events,
//! dialogues.

use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{Amount, BakongAccountId, City, Currency, ShopName};
use khqr_bot::store::{ChargeStatus, EventKind, NewCharge, Profile, Store, StoreError};

const NOW: i64 = 1_780_000_000;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let store = Store::open(&url).await.unwrap();
    (dir, store)
}

fn profile(account: &str) -> Profile {
    Profile {
        account_id: BakongAccountId::parse(account).unwrap(),
        shop_name: ShopName::parse("Sokha Coffee").unwrap(),
        city: City::parse("Phnom Penh").unwrap(),
        token_sealed: vec![1, 2, 3],
        token_expires_at: Some(NOW + 86_400),
    }
}

fn new_charge(merchant: khqr_bot::store::MerchantId, n: u32) -> NewCharge {
    NewCharge {
        merchant_id: merchant,
        chat_id: 42,
        bill_number: format!("B{n}"),
        khqr: format!("000201...{n}"),
        md5: format!("{n:032x}"),
        to_account_id: "sokha@aclb".into(),
        amount: Amount::from_minor(500, Currency::Usd).unwrap(),
        note: Some("iced coffee".into()),
        created_at: NOW,
        expires_at: NOW + 600,
    }
}

#[tokio::test]
async fn merchant_lifecycle() {
    let (_d, s) = store().await;
    assert!(s.merchant_by_user(7).await.unwrap().is_none());
    let m = s.ensure_merchant(7, 70, Lang::Km, NOW).await.unwrap();
    assert_eq!(m.language, Lang::Km);
    assert!(m.profile.is_none());
    assert_eq!(m.default_currency, Currency::Usd);
    // Telegram's hint makes the row's language once; a later hint changes nothing, /lang does.
    let m2 = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    assert_eq!(
        (m2.id, m2.language, m2.language_chosen),
        (m.id, Lang::Km, false)
    );
    s.set_language(7, 70, Lang::En, NOW).await.unwrap();
    let m3 = s.ensure_merchant(7, 70, Lang::Km, NOW).await.unwrap();
    assert_eq!(m3.language, Lang::En);
    assert!(m3.language_chosen);

    // No token replacement before a profile exists.
    assert!(!s.replace_token(m.id, &[9], None, NOW).await.unwrap());
    assert!(
        s.save_profile(m.id, &profile("sokha@aclb"), NOW)
            .await
            .unwrap()
    );
    let m4 = s.merchant_by_user(7).await.unwrap().unwrap();
    assert_eq!(m4.profile.unwrap(), profile("sokha@aclb"));

    let v1 = s.merchant(m.id).await.unwrap().unwrap().token_version;
    assert_eq!(v1, 1);
    assert!(s.reject_token(m.id, v1, NOW).await.unwrap());
    assert!(!s.reject_token(m.id, v1, NOW).await.unwrap(), "marked once");
    assert!(s.replace_token(m.id, &[9, 9], None, NOW + 1).await.unwrap());
    assert!(
        !s.reject_token(m.id, v1, NOW + 2).await.unwrap(),
        "a 401 for the old token does not mark the new one"
    );
    let m5 = s.merchant(m.id).await.unwrap().unwrap();
    assert_eq!(m5.token_version, 2);
    assert_eq!(m5.profile.unwrap().token_sealed, vec![9, 9]);
    assert_eq!(m5.token_rejected_at, None, "a new token resumes polling");
    let kinds: Vec<_> = s
        .merchant_events(m.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        ["setup_completed", "token_rejected", "token_replaced"]
    );
    assert!(
        s.set_default_currency(m.id, Currency::Khr, NOW)
            .await
            .unwrap()
    );
    assert_eq!(
        s.merchant(m.id).await.unwrap().unwrap().default_currency,
        Currency::Khr
    );
}

#[tokio::test]
async fn partial_profile_is_refused_by_the_schema() {
    let (_d, s) = store().await;
    let m = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    let res = sqlx::query("UPDATE merchants SET shop_name = 'x' WHERE id = $1")
        .bind(m.id.0)
        .execute(s.pool())
        .await;
    assert!(
        res.is_err(),
        "a shop name without account and token is not a state"
    );
}

#[tokio::test]
async fn charge_creating_then_pending_then_cancelled_once() {
    let (_d, s) = store().await;
    let m = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    let id = s
        .insert_creating_charge(&new_charge(m.id, 1))
        .await
        .unwrap();
    let c = s.charge(id).await.unwrap().unwrap();
    assert_eq!(c.status, ChargeStatus::Creating);
    assert_eq!(c.message_id, None);
    assert_eq!(c.amount.minor(), 500);
    // Not cancellable while creating; no events yet.
    assert!(!s.cancel_charge(m.id, id, NOW).await.unwrap());
    assert!(s.charge_events(id).await.unwrap().is_empty());

    assert!(s.activate_charge(id, 555, NOW + 1).await.unwrap());
    assert!(
        !s.activate_charge(id, 556, NOW + 1).await.unwrap(),
        "only once"
    );
    let c = s.charge(id).await.unwrap().unwrap();
    assert_eq!((c.status, c.message_id), (ChargeStatus::Pending, Some(555)));
    assert!(
        !s.discard_creating_charge(id).await.unwrap(),
        "pending is never discarded"
    );

    // Another merchant cannot see or cancel it.
    let other = s.ensure_merchant(8, 80, Lang::En, NOW).await.unwrap();
    assert!(s.merchant_charge(other.id, id).await.unwrap().is_none());
    assert!(!s.cancel_charge(other.id, id, NOW).await.unwrap());
    assert_eq!(
        s.charge(id).await.unwrap().unwrap().status,
        ChargeStatus::Pending
    );

    assert!(s.cancel_charge(m.id, id, NOW + 2).await.unwrap());
    assert!(
        !s.cancel_charge(m.id, id, NOW + 3).await.unwrap(),
        "exactly once"
    );
    let c = s.merchant_charge(m.id, id).await.unwrap().unwrap();
    assert_eq!(
        (c.status, c.settled_at),
        (ChargeStatus::Cancelled, Some(NOW + 2))
    );
    let kinds: Vec<_> = s
        .charge_events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["charge_created", "charge_cancelled"]);
    let outbox = s.charge_outbox(id).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].kind, "charge_cancelled");
    assert_eq!(s.outbox_due(NOW + 2, 10).await.unwrap().len(), 1);
    assert!(s.outbox_done(outbox[0].id, NOW + 3).await.unwrap());
    assert!(!s.outbox_done(outbox[0].id, NOW + 4).await.unwrap());
    assert!(s.outbox_due(NOW + 10, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn discarded_charge_leaves_nothing_and_frees_its_bill_number() {
    let (_d, s) = store().await;
    let m = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    let id = s
        .insert_creating_charge(&new_charge(m.id, 1))
        .await
        .unwrap();
    assert!(s.discard_creating_charge(id).await.unwrap());
    assert!(s.charge(id).await.unwrap().is_none());
    assert!(s.merchant_charges(m.id, 10).await.unwrap().is_empty());
    s.insert_creating_charge(&new_charge(m.id, 1))
        .await
        .unwrap();
}

#[tokio::test]
async fn bill_number_and_md5_are_unique() {
    let (_d, s) = store().await;
    let m = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    s.insert_creating_charge(&new_charge(m.id, 1))
        .await
        .unwrap();
    let mut same_bill = new_charge(m.id, 2);
    same_bill.bill_number = "B1".into();
    assert!(matches!(
        s.insert_creating_charge(&same_bill).await,
        Err(StoreError::Duplicate(_))
    ));
    let mut same_md5 = new_charge(m.id, 3);
    same_md5.md5 = new_charge(m.id, 1).md5;
    assert!(matches!(
        s.insert_creating_charge(&same_md5).await,
        Err(StoreError::Duplicate(_))
    ));
}

#[tokio::test]
async fn interrupted_sends_are_recovered_as_pending() {
    let (_d, s) = store().await;
    let m = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    let old = s
        .insert_creating_charge(&new_charge(m.id, 1))
        .await
        .unwrap();
    let mut fresh = new_charge(m.id, 2);
    fresh.created_at = NOW + 100;
    fresh.expires_at = NOW + 700;
    let fresh = s.insert_creating_charge(&fresh).await.unwrap();
    let recovered = s
        .recover_creating_charges(NOW + 50, NOW + 120)
        .await
        .unwrap();
    assert_eq!(recovered, vec![old]);
    let c = s.charge(old).await.unwrap().unwrap();
    assert_eq!((c.status, c.message_id), (ChargeStatus::Pending, None));
    assert_eq!(
        s.charge(fresh).await.unwrap().unwrap().status,
        ChargeStatus::Creating
    );
}

#[tokio::test]
async fn schema_refuses_bad_rows() {
    let (_d, s) = store().await;
    let m = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    let mut zero = new_charge(m.id, 1);
    zero.expires_at = zero.created_at;
    assert!(
        s.insert_creating_charge(&zero).await.is_err(),
        "expires after creation"
    );
    let id = s
        .insert_creating_charge(&new_charge(m.id, 2))
        .await
        .unwrap();
    for sql in [
        "UPDATE charges SET status = 'refunded' WHERE id = $1",
        "UPDATE charges SET status = 'paid' WHERE id = $1",
        "UPDATE charges SET amount_minor = 0 WHERE id = $1",
        "UPDATE charges SET currency = 'EUR' WHERE id = $1",
    ] {
        let res = sqlx::query(sql).bind(id.0).execute(s.pool()).await;
        assert!(res.is_err(), "{sql} must be refused");
    }
    assert!(
        sqlx::query("INSERT INTO charges (merchant_id, chat_id, bill_number, khqr, md5, to_account_id, amount_minor, currency, status, created_at, expires_at, next_poll_at) VALUES (999, 1, 'x', 'x', 'x', 'x', 1, 'USD', 'pending', 1, 2, 1)")
            .execute(s.pool())
            .await
            .is_err(),
        "foreign keys are on"
    );
}

#[tokio::test]
async fn events_are_append_only() {
    let (_d, s) = store().await;
    let m = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    s.append_event(
        Some(m.id),
        None,
        EventKind::SetupCompleted,
        &serde_json::json!({"a": 1}),
        NOW,
    )
    .await
    .unwrap();
    let events = s.merchant_events(m.id).await.unwrap();
    assert_eq!(events[0].detail, serde_json::json!({"a": 1}));
    assert!(
        sqlx::query("UPDATE events SET kind = 'x'")
            .execute(s.pool())
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM events")
            .execute(s.pool())
            .await
            .is_err()
    );
    assert_eq!(s.merchant_events(m.id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn dialogues_round_trip_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let s = Store::open(&url).await.unwrap();
    assert_eq!(s.dialogue(70).await.unwrap(), None);
    s.put_dialogue(70, r#"{"a":1}"#, NOW).await.unwrap();
    s.put_dialogue(70, r#"{"a":2}"#, NOW).await.unwrap();
    s.close().await;
    let s = Store::open(&url).await.unwrap();
    assert_eq!(s.dialogue(70).await.unwrap().as_deref(), Some(r#"{"a":2}"#));
    assert!(s.remove_dialogue(70).await.unwrap());
    assert!(!s.remove_dialogue(70).await.unwrap());
}

#[tokio::test]
async fn concurrent_cancels_apply_exactly_once() {
    let (_d, s) = store().await;
    let m = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    let id = s
        .insert_creating_charge(&new_charge(m.id, 1))
        .await
        .unwrap();
    s.activate_charge(id, 1, NOW).await.unwrap();
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move { s.cancel_charge(m.id, id, NOW + i).await.unwrap() })
        })
        .collect();
    let mut applied = 0;
    for t in tasks {
        applied += usize::from(t.await.unwrap());
    }
    assert_eq!(applied, 1);
    assert_eq!(s.charge_outbox(id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn unconfirmed_send_keeps_the_charge_pending_without_message() {
    let (_d, s) = store().await;
    let m = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    let id = s
        .insert_creating_charge(&new_charge(m.id, 1))
        .await
        .unwrap();
    assert!(
        s.keep_unconfirmed_charge(id, "test", NOW + 1)
            .await
            .unwrap()
    );
    assert!(
        !s.keep_unconfirmed_charge(id, "test", NOW + 1)
            .await
            .unwrap()
    );
    let c = s.charge(id).await.unwrap().unwrap();
    assert_eq!(
        (c.status, c.message_id, c.next_poll_at),
        (ChargeStatus::Pending, None, NOW + 1)
    );
    assert!(!s.discard_creating_charge(id).await.unwrap());
    let kinds: Vec<_> = s
        .charge_events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["charge_unconfirmed"]);
}

/// Issue 10: a database made before the `mismatch` status keeps every row through the
/// table rebuild; old mismatches (`failed` + what arrived) become `mismatch`, and payments
/// get `paid_at` from their settlement event.
#[tokio::test]
async fn migration_moves_old_mismatches_to_their_own_status_and_keeps_payment_times() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    {
        use std::str::FromStr;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        khqr_bot::store::migrator(khqr_bot::store::Backend::Sqlite)
            .run_to(20260101000001, &pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO merchants (id, telegram_user_id, chat_id, created_at, updated_at) \
             VALUES (1, 7, 7, 0, 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        let rows = [
            (1, "paid", None, None),
            (2, "failed", Some("KHR"), Some("sokha@aclb")),
            (3, "failed", None, None),
            (4, "cancelled", None, None),
        ];
        for (id, status, currency, to) in rows {
            sqlx::query(
                "INSERT INTO charges (id, merchant_id, chat_id, message_id, bill_number, khqr, \
                     md5, to_account_id, amount_minor, currency, status, created_at, expires_at, \
                     next_poll_at, settled_at, paid_currency, paid_to_account_id) \
                 VALUES ($1, 1, 7, 10, 'B' || $1, 'k', 'md5-' || $1, 'sokha@aclb', 500, 'USD', \
                     $2, 100, 700, 100, 900, $3, $4)",
            )
            .bind(id)
            .bind(status)
            .bind(currency)
            .bind(to)
            .execute(&pool)
            .await
            .unwrap();
        }
        sqlx::query(
            "INSERT INTO events (merchant_id, charge_id, kind, detail, at) VALUES \
             (1, 1, 'charge_paid', '{\"paid_at\": 650}', 900), \
             (1, 2, 'charge_mismatch', '{\"at\": 640}', 900)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let s = Store::open(&url).await.unwrap();
    let status = |c: Option<khqr_bot::store::Charge>| {
        let c = c.unwrap();
        (c.status, c.paid_at)
    };
    use khqr_bot::store::ChargeId;
    assert_eq!(
        status(s.charge(ChargeId(1)).await.unwrap()),
        (ChargeStatus::Paid, Some(650))
    );
    assert_eq!(
        status(s.charge(ChargeId(2)).await.unwrap()),
        (ChargeStatus::Mismatch, Some(640))
    );
    assert_eq!(
        status(s.charge(ChargeId(3)).await.unwrap()),
        (ChargeStatus::Failed, None)
    );
    assert_eq!(
        status(s.charge(ChargeId(4)).await.unwrap()),
        (ChargeStatus::Cancelled, None)
    );
    // Events still belong to their charges; foreign keys and indexes survived the rebuild.
    assert_eq!(s.charge_events(ChargeId(2)).await.unwrap().len(), 1);
    let problems: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(s.pool())
        .await
        .unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'charges' \
         AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
    )
    .fetch_all(s.pool())
    .await
    .unwrap();
    assert_eq!(
        indexes,
        [
            "charges_difference_of",
            "charges_due",
            "charges_merchant_created",
            "charges_merchant_paid",
            "charges_merchant_settled"
        ]
    );
    // The new statuses are accepted, anything else is still refused.
    let refused = sqlx::query("UPDATE charges SET status = 'lost' WHERE id = 3")
        .execute(s.pool())
        .await;
    assert!(refused.is_err());
    let fk_on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(fk_on, 1);
}

/// Issue 12 (discard12): the rebuild that adds `discarded` keeps every column of every row,
/// the inline ones included, and the drafts waiting to be chosen.
#[tokio::test]
async fn migration_to_discarded_drafts_keeps_inline_cards_and_drafts() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    {
        use std::str::FromStr;
        let options = sqlx::sqlite::SqliteConnectOptions::from_str(&url)
            .unwrap()
            .create_if_missing(true)
            .foreign_keys(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        khqr_bot::store::migrator(khqr_bot::store::Backend::Sqlite)
            .run_to(20261201000500, &pool)
            .await
            .unwrap();
        sqlx::query(
            "INSERT INTO merchants (id, telegram_user_id, chat_id, created_at, updated_at) \
             VALUES (1, 7, 7, 0, 0)",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO charges (id, merchant_id, chat_id, message_id, bill_number, khqr, md5, \
                 to_account_id, amount_minor, currency, note, status, created_at, expires_at, \
                 next_poll_at, settled_at, bakong_hash, payer_account_id, paid_amount_minor, \
                 paid_currency, paid_to_account_id, paid_at, paid_after, inline_message_id, \
                 card_file_id, guest_check_at) VALUES \
             (1, 1, 7, 10, 'B1', 'k1', 'm1', 'sokha@aclb', 500, 'USD', 'tea', 'paid', 100, 700, \
                 100, 900, 'h1', 'p@aba', 500, 'USD', 'sokha@aclb', 650, 'cancelled', 'IM1', \
                 'F1', 640), \
             (2, 1, 7, NULL, 'B2', 'k2', 'm2', 'sokha@aclb', 800, 'KHR', NULL, 'creating', 100, \
                 700, 100, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'F2', NULL)",
        )
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO inline_drafts (charge_id, merchant_id, record_message_id, created_at) \
             VALUES (2, 1, 11, 100)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    }
    let s = Store::open(&url).await.unwrap();
    use khqr_bot::store::{ChargeId, PaidAfter};
    let paid = s.charge(ChargeId(1)).await.unwrap().unwrap();
    assert_eq!(
        (
            paid.status,
            paid.message_id,
            paid.note.as_deref(),
            paid.paid_at,
            paid.paid_after,
            paid.bakong_hash.as_deref(),
            paid.inline_message_id.as_deref(),
            paid.card_file_id.as_deref(),
        ),
        (
            ChargeStatus::Paid,
            Some(10),
            Some("tea"),
            Some(650),
            Some(PaidAfter::Cancelled),
            Some("h1"),
            Some("IM1"),
            Some("F1"),
        )
    );
    let guest: Option<i64> = sqlx::query_scalar("SELECT guest_check_at FROM charges WHERE id = 1")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(guest, Some(640));
    // The draft is still a draft, its record copy still known; discarding it now keeps it.
    let m = khqr_bot::store::MerchantId(1);
    assert!(s.is_inline_draft(ChargeId(2), m).await.unwrap());
    let stale = s.stale_inline_drafts(200).await.unwrap();
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0].record_message_id, Some(11));
    assert!(s.discard_inline_draft(ChargeId(2), 300).await.unwrap());
    assert!(!s.discard_inline_draft(ChargeId(2), 301).await.unwrap());
    let discarded = s.charge(ChargeId(2)).await.unwrap().unwrap();
    assert_eq!(
        (discarded.status, discarded.settled_at, discarded.message_id),
        (ChargeStatus::Discarded, Some(300), None)
    );
    let problems: Vec<(String, i64, String, i64)> = sqlx::query_as("PRAGMA foreign_key_check")
        .fetch_all(s.pool())
        .await
        .unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' \
         AND tbl_name IN ('charges', 'inline_drafts') \
         AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name",
    )
    .fetch_all(s.pool())
    .await
    .unwrap();
    assert_eq!(
        indexes,
        [
            "charges_difference_of",
            "charges_due",
            "charges_merchant_created",
            "charges_merchant_paid",
            "charges_merchant_settled",
            "inline_drafts_created",
        ]
    );
}
