//! Issue 10, end to end (the real bot against the fake Telegram Bot API and the Bakong
//! sandbox on 127.0.0.1): a payment that arrives after Cancel or after expiry is still
//! found, the message becomes the paid card and the seller is told in a new message; Cancel
//! asks Bakong first; charges never verified end as `unverified`; a failed activation keeps
//! the charge watched; a follow-up whose "done" mark fails is not sent twice.

use crate::support::app::{TestApp, WAIT};
use khqr_bot::bakong::sandbox::Payment;
use khqr_bot::bakong::{Currency as BakongCurrency, DecimalAmount};
use khqr_bot::bot::charge::bill_ref::BillRef;
use khqr_bot::store::{Charge, ChargeStatus, PaidAfter};

/// Polls every second, so the late watch asks every 6 s.
const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];

async fn reload(app: &TestApp, c: &Charge) -> Charge {
    app.store.charge(c.id).await.unwrap().unwrap()
}

async fn button_answer(app: &TestApp, since: usize) -> String {
    app.telegram
        .wait_for_since(since, "answerCallbackQuery", |_| true, WAIT)
        .await
        .unwrap()
        .str_param("text")
        .unwrap_or_default()
        .to_owned()
}

fn payment(amount: &str, currency: BakongCurrency) -> Payment {
    let mut p = Payment::new(
        &DecimalAmount::parse(amount).unwrap(),
        currency,
        "sokha@aclb",
    );
    p.from_account_id = Some("dara@wing".into());
    p
}

async fn event_kinds(app: &TestApp, c: &Charge) -> Vec<String> {
    app.store
        .charge_events(c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind.to_string())
        .collect()
}

#[tokio::test]
async fn pay_after_cancel_is_paid_late_the_card_is_edited_and_the_seller_is_told() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3001).await;
    let c = app.charge(&user, "/charge 5 USD iced coffee").await;
    let message = c.message_id.unwrap();

    // The seller forwarded the card, then taps Cancel: Bakong knows no payment yet.
    let since = app.telegram.call_count();
    app.telegram
        .press_button(&user, message, &format!("cxl:{}", c.id.0));
    assert!(button_answer(&app, since).await.contains("cancelled"));
    app.edited_to(user.id, message, since, "Cancelled").await;
    app.wait_status(c.id, ChargeStatus::Cancelled).await;

    // The customer pays the forwarded copy.
    let since = app.telegram.call_count();
    app.bakong
        .pay(&c.md5, payment("5.00", BakongCurrency::Usd))
        .unwrap();
    let notice = app
        .message_containing(user.id, since, "after you cancelled")
        .await;
    assert!(
        notice.contains("$5.00")
            && notice.contains("dara@wing")
            && notice.contains(BillRef::of(&c.bill_number).as_str()),
        "{notice}"
    );
    // The notice names the charge as its card did: the card's caption's label line (its
    // reference and note) is the notice's second line, and the paid card keeps it.
    let card_caption = app
        .telegram
        .calls_of("sendPhoto")
        .into_iter()
        .find(|call| call.chat_id() == Some(user.id))
        .and_then(|call| call.caption().map(str::to_owned))
        .unwrap();
    let label = card_caption.lines().nth(1).unwrap().to_owned();
    assert_eq!(
        label,
        format!("🧾 {} · 📝 iced coffee", BillRef::of(&c.bill_number))
    );
    assert_eq!(notice.lines().nth(1), Some(label.as_str()), "{notice}");
    let call = app.edited_to(user.id, message, since, "Paid").await;
    assert!(call.caption().unwrap().contains("dara@wing"));
    assert_eq!(call.caption().unwrap().lines().nth(1), Some(label.as_str()));
    let paid = app.wait_status(c.id, ChargeStatus::Paid).await;
    assert_eq!(paid.paid_after, Some(PaidAfter::Cancelled));
    assert!(
        event_kinds(&app, &c)
            .await
            .contains(&"charge_paid_late".to_owned())
    );

    // /history counts it as received, and as money to look at (it came late).
    let history = app.say_or_caption(&user, "/history").await;
    assert!(
        history.contains("USD: $5.00 received · 1 payment(s)"),
        "{history}"
    );
    assert!(
        history.contains("of which $5.00 to look at (1:"),
        "{history}"
    );
    assert!(!history.contains("1 cancelled"), "{history}");

    // Told exactly once, settled exactly once.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(app.messages_containing(user.id, "after you cancelled"), 1);
    let late_events = event_kinds(&app, &c)
        .await
        .into_iter()
        .filter(|k| k.starts_with("charge_paid"))
        .count();
    assert_eq!(late_events, 1);
}

#[tokio::test]
async fn cancel_asks_bakong_first_and_a_paid_charge_is_not_cancelled() {
    // Rounds are five minutes apart: only the Cancel press can find the payment.
    let app = TestApp::spawn_with(&[("POLL_INTERVAL_SECS", "300")]).await;
    let user = app.seller(3002).await;
    let c = app.charge(&user, "/charge 3 USD").await;
    let message = c.message_id.unwrap();
    app.bakong
        .pay(&c.md5, payment("3", BakongCurrency::Usd))
        .unwrap();

    let since = app.telegram.call_count();
    app.telegram
        .press_button(&user, message, &format!("cxl:{}", c.id.0));
    let answer = button_answer(&app, since).await;
    assert!(answer.contains("already paid"), "{answer}");
    app.edited_to(user.id, message, since, "Paid").await;
    let paid = reload(&app, &c).await;
    assert_eq!((paid.status, paid.paid_after), (ChargeStatus::Paid, None));
    let kinds = event_kinds(&app, &c).await;
    assert!(!kinds.contains(&"charge_cancelled".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn payment_indexed_20_s_after_expiry_is_paid_late() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3003).await;
    let c = app.charge(&user, "/charge 4 USD").await;
    let message = c.message_id.unwrap();
    // The QR expires now (the bot's shortest TTL is a minute) and is settled as expired.
    sqlx::query("UPDATE charges SET expires_at = created_at + 1 WHERE id = $1")
        .bind(c.id.0)
        .execute(app.store.pool())
        .await
        .unwrap();
    let since = app.telegram.call_count();
    app.edited_to(user.id, message, since, "Expired").await;
    let expired = app.wait_status(c.id, ChargeStatus::Expired).await;

    // The customer confirmed just before expiry; Bakong indexes it 20 s after.
    let since = app.telegram.call_count();
    let mut p = payment("4", BakongCurrency::Usd);
    p.created_date_ms = Some(u64::try_from(expired.expires_at + 20).unwrap() * 1000);
    app.bakong.pay(&c.md5, p).unwrap();
    let notice = app.message_containing(user.id, since, "had expired").await;
    assert!(
        notice.contains("$4.00") && notice.contains("dara@wing"),
        "{notice}"
    );
    app.edited_to(user.id, message, since, "Paid").await;
    let paid = app.wait_status(c.id, ChargeStatus::Paid).await;
    assert_eq!(paid.paid_after, Some(PaidAfter::Expired));
    assert_eq!(paid.paid_at, Some(expired.expires_at + 20));
    let history = app.say_or_caption(&user, "/history").await;
    assert!(
        history.contains("USD: $4.00 received · 1 payment(s)"),
        "{history}"
    );
    assert!(!history.contains("1 expired"), "{history}");
}

#[tokio::test]
async fn charges_never_verified_end_as_unverified_and_the_seller_is_told() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3004).await;
    let c = app.charge(&user, "/charge 6 USD").await;
    let message = c.message_id.unwrap();
    // Bakong unreachable for this charge's whole life and a day after: its QR expired
    // more than 24 hours ago.
    app.bakong
        .push_fault(
            khqr_bot::bakong::sandbox::Fault::new(
                khqr_bot::bakong::sandbox::FaultKind::ServerErrorHtml { status: 503 },
                1000,
            )
            .on("check_transaction_by_md5_list"),
        )
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let since = app.telegram.call_count();
    sqlx::query("UPDATE charges SET expires_at = $2, created_at = $2 - 600 WHERE id = $1")
        .bind(c.id.0)
        .bind(now - 86_400 - 60)
        .execute(app.store.pool())
        .await
        .unwrap();
    app.edited_to(user.id, message, since, "Not verified").await;
    let notice = app
        .message_containing(user.id, since, "could not confirm")
        .await;
    assert!(
        notice.contains("$6.00") && notice.contains(BillRef::of(&c.bill_number).as_str()),
        "{notice}"
    );
    assert_eq!(reload(&app, &c).await.status, ChargeStatus::Unverified);
    let history = app.say(&user, "/history").await;
    assert!(history.contains("1 could not be verified"), "{history}");
}

#[tokio::test]
async fn failed_activation_keeps_the_charge_watched_and_the_photo_in_the_chat() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3005).await;
    // Recording the message id fails (as a database error would).
    let trigger: &[&str] = if crate::support::db::on_postgres() {
        &[
            "CREATE FUNCTION fail_activation() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'injected'; END $$",
            "CREATE TRIGGER fail_activation BEFORE UPDATE OF message_id ON charges \
             FOR EACH ROW WHEN (NEW.message_id IS NOT NULL) EXECUTE FUNCTION fail_activation()",
        ]
    } else {
        &[
            "CREATE TRIGGER fail_activation BEFORE UPDATE OF message_id ON charges \
           WHEN NEW.message_id IS NOT NULL BEGIN SELECT RAISE(ABORT, 'injected'); END",
        ]
    };
    for sql in trigger {
        sqlx::query(*sql).execute(app.store.pool()).await.unwrap();
    }
    let deletes_before = app.telegram.calls_of("deleteMessage").len();
    let c = app.charge(&user, "/charge 2 USD").await;
    assert_eq!((c.status, c.message_id), (ChargeStatus::Pending, None));
    assert_eq!(
        app.telegram.calls_of("deleteMessage").len(),
        deletes_before,
        "the QR the customer may be scanning was deleted"
    );

    // Still watched: the payment is found and the paid card goes out as a new message.
    let since = app.telegram.call_count();
    app.bakong
        .pay(&c.md5, payment("2", BakongCurrency::Usd))
        .unwrap();
    let card = app
        .telegram
        .wait_for_since(
            since,
            "sendPhoto",
            |call| {
                call.chat_id() == Some(user.id)
                    && call.caption().is_some_and(|t| t.contains("Paid"))
            },
            WAIT,
        )
        .await
        .unwrap();
    assert!(card.caption().unwrap().contains("$2.00"));
    assert_eq!(reload(&app, &c).await.status, ChargeStatus::Paid);
}

#[tokio::test]
async fn a_follow_up_whose_done_mark_fails_is_not_sent_again() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3006).await;
    let c = app.charge(&user, "/charge 1 USD").await;
    let message = c.message_id.unwrap();
    // Marking follow-ups done fails until `block_done` is emptied.
    let trigger = if crate::support::db::on_postgres() {
        vec![
            "CREATE FUNCTION block_outbox_done() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN IF EXISTS (SELECT 1 FROM block_done) THEN RAISE EXCEPTION 'injected'; \
             END IF; RETURN NEW; END $$",
            "CREATE TRIGGER block_outbox_done BEFORE UPDATE OF done_at ON telegram_outbox \
             FOR EACH ROW WHEN (NEW.done_at IS NOT NULL) EXECUTE FUNCTION block_outbox_done()",
        ]
    } else {
        vec![
            "CREATE TRIGGER block_outbox_done BEFORE UPDATE OF done_at ON telegram_outbox \
             WHEN NEW.done_at IS NOT NULL AND EXISTS (SELECT 1 FROM block_done) \
             BEGIN SELECT RAISE(ABORT, 'injected'); END",
        ]
    };
    for sql in [
        "CREATE TABLE block_done (x INTEGER)",
        "INSERT INTO block_done VALUES (1)",
    ]
    .into_iter()
    .chain(trigger)
    {
        sqlx::query(sql).execute(app.store.pool()).await.unwrap();
    }
    let since = app.telegram.call_count();
    app.telegram
        .press_button(&user, message, &format!("cxl:{}", c.id.0));
    app.edited_to(user.id, message, since, "Cancelled").await;
    // Several outbox ticks with the mark failing, then the database recovers.
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    sqlx::query("DELETE FROM block_done")
        .execute(app.store.pool())
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let open: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM telegram_outbox WHERE done_at IS NULL")
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        if open == 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "outbox never drained"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let edits = app
        .telegram
        .calls_of("editMessageMedia")
        .iter()
        .filter(|call| call.message_id() == Some(message))
        .count();
    assert_eq!(edits, 1, "the cancelled card was sent again");
}
