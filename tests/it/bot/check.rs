//! End to end (fake Telegram + Bakong sandbox): `/check` receipts, by full hash and by the
//! short hash a bank receipt shows plus amount and currency. The answer says whether the
//! money went to this seller's account and which of their charges it already settled, so an
//! old receipt cannot pass for a new payment. Bad input gets a reason and changes nothing.

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::TgUser;
use khqr_bot::bakong::Currency;
use khqr_bot::bot::charge::bill_ref::BillRef;
use khqr_bot::i18n::Lang;
use khqr_bot::store::ChargeStatus;
use khqr_bot::t;

async fn counts(app: &TestApp) -> (i64, i64) {
    let q = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql).fetch_one(app.store.pool());
    (
        q("SELECT COUNT(*) FROM charges").await.unwrap(),
        q("SELECT COUNT(*) FROM events").await.unwrap(),
    )
}

#[tokio::test]
async fn receipts_by_full_and_short_hash_name_the_charge_they_settled() {
    let app = TestApp::spawn_with(&[("POLL_INTERVAL_SECS", "1")]).await;
    let user = TgUser::english(6101);
    app.setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    app.charge_photo(&user, "/charge 5 USD iced coffee").await;
    let m = app.merchant(&user).await.unwrap();
    let charge = app.store.merchant_charges(m.id, 1).await.unwrap().remove(0);
    let tx = app.pay(&charge.md5, "5", Currency::Usd, "sokha@aclb");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let c = app.store.merchant_charges(m.id, 1).await.unwrap().remove(0);
        if c.status == ChargeStatus::Paid {
            assert_eq!(c.bakong_hash.as_deref(), Some(tx.hash.as_str()));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never paid");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let found = t!(Lang::En, "check-found");
    let short = &tx.hash[..8];

    // The receipt of the charge just paid: full hash (any case), short hash + amount.
    for text in [
        format!("/check {}", tx.hash),
        format!("/check {}", tx.hash.to_ascii_uppercase()),
        format!("/check {short} 5 USD"),
        format!("/check {} $5.00", short.to_ascii_uppercase()),
        format!("/check {short} 5"), // the seller's default currency (USD)
    ] {
        let answer = app.say(&user, &text).await;
        assert!(answer.starts_with(&found), "{text}: {answer}");
        assert!(
            answer.contains(BillRef::of(&charge.bill_number).as_str()),
            "{text}: {answer}"
        );
        assert!(answer.contains("not a new payment"), "{text}: {answer}");
        // The charge named as its card names it: reference and note.
        assert!(answer.contains("iced coffee"), "{text}: {answer}");
        assert!(answer.contains(short), "{text}: {answer}");
    }

    // The short hash with another amount or currency is another receipt.
    for text in [
        format!("/check {short} 5.01 USD"),
        format!("/check {short} 5 KHR"),
    ] {
        let answer = app.say(&user, &text).await;
        assert_eq!(answer, t!(Lang::En, "check-not-found-short"), "{text}");
    }

    // Money to this account that settled no charge here.
    let loose = app.pay(&"0".repeat(32), "2.50", Currency::Usd, "sokha@aclb");
    let answer = app
        .say(&user, &format!("/check {} 2.5 USD", &loose.hash[..8]))
        .await;
    assert!(answer.starts_with(&found), "{answer}");
    assert!(
        answer.ends_with(&t!(Lang::En, "check-no-charge")),
        "{answer}"
    );

    // Money to somebody else.
    let other = app.pay(&"1".repeat(32), "5", Currency::Usd, "other@wing");
    let answer = app.say(&user, &format!("/check {}", other.hash)).await;
    assert!(answer.starts_with("⚠️"), "{answer}");
    assert!(answer.contains("other@wing"), "{answer}");
    assert!(!answer.contains(&charge.bill_number), "{answer}");

    // Unknown hash.
    let answer = app.say(&user, &format!("/check {}", "e".repeat(64))).await;
    assert_eq!(answer, t!(Lang::En, "check-not-found"));
}

#[tokio::test]
async fn bad_receipt_input_gets_a_reason_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let user = TgUser::khmer(6201);
    app.setup_merchant(&user, "dara@wing", "Dara Shop", "Siem Reap")
        .await;
    let before = counts(&app).await;
    let requests_before = app.bakong.request_log().len();
    let usage = t!(Lang::Km, "check-usage");
    for text in [
        "/check",
        "/check 1234",
        "/check deadbeef",
        "/check deadbee 5 USD",
        "/check deadbeeg 5 USD",
        "/check deadbeef 5 USD coffee",
        &format!("/check {} 5 USD", "a".repeat(64)),
    ] {
        assert_eq!(app.say(&user, text).await, usage, "{text}");
    }
    let answer = app.say(&user, "/check deadbeef 2.555 USD").await;
    assert_eq!(answer, t!(Lang::Km, "charge-error-usd-decimals"));
    let answer = app.say(&user, "/check deadbeef 5 EUR").await;
    assert_eq!(answer, t!(Lang::Km, "charge-error-currency", code = "EUR"));
    assert_eq!(counts(&app).await, before, "nothing recorded");
    assert_eq!(
        app.bakong.request_log().len(),
        requests_before,
        "Bakong was not asked"
    );
}
