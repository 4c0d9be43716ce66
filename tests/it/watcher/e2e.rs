//! End to end: the real bot (`khqr-bot run`'s start-up path) with its payment watcher,
//! against the fake Telegram Bot API and the Bakong sandbox on 127.0.0.1. A QR is shown,
//! the sandbox is paid (or not), and the message is edited in place exactly once.

use crate::support::app::{TestApp, WAIT, no_qr_in};
use crate::support::fake_telegram::{Call, Failure, TgUser};
use khqr_bot::bakong::sandbox::Payment;
use khqr_bot::bakong::{Currency as BakongCurrency, DecimalAmount};
use khqr_bot::bot::charge::bill_ref::BillRef;
use khqr_bot::store::{ChargeStatus, Store};
use khqr_bot::time::LocalDate;

const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];

async fn merchant(app: &TestApp, id: i64) -> (TgUser, String) {
    let user = TgUser::english(id);
    let token = app
        .setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    (user, token)
}

/// `/charge …` → (message id of the QR photo, md5 of its KHQR).
async fn charge(app: &TestApp, user: &TgUser, text: &str) -> (i32, String) {
    let c = app.charge(user, text).await;
    (c.message_id.unwrap(), c.md5)
}

async fn status_of(store: &Store, md5: &str) -> ChargeStatus {
    let status: String = sqlx::query_scalar("SELECT status FROM charges WHERE md5 = $1")
        .bind(md5)
        .fetch_one(store.pool())
        .await
        .unwrap();
    status.parse().unwrap()
}

/// The first successful `editMessageMedia` of this message at or after call `since`.
async fn edited(app: &TestApp, user: &TgUser, message_id: i32, since: usize) -> Call {
    app.telegram
        .wait_for_since(
            since,
            "editMessageMedia",
            |c| c.chat_id() == Some(user.id) && c.message_id() == Some(message_id) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap()
}

fn successful_edits(app: &TestApp, message_id: i32) -> usize {
    app.telegram
        .calls_of("editMessageMedia")
        .iter()
        .filter(|c| c.message_id() == Some(message_id) && c.succeeded())
        .count()
}

fn assert_no_buttons(call: &Call) {
    assert!(
        call.inline_buttons().iter().all(|row| row.is_empty()),
        "buttons left: {:?}",
        call.inline_buttons()
    );
}

#[tokio::test]
async fn paid_charge_message_becomes_an_unscannable_paid_card() {
    let app = TestApp::spawn_with(FAST).await;
    let (user, _) = merchant(&app, 2001).await;
    let (message, md5) = charge(&app, &user, "/charge 5 USD iced coffee").await;
    let since = app.telegram.call_count();
    app.pay(&md5, "5.00", BakongCurrency::Usd, "sokha@aclb");

    let call = edited(&app, &user, message, since).await;
    let caption = call.caption().unwrap();
    assert!(
        caption.contains("Paid") && caption.contains("$5.00"),
        "{caption}"
    );
    assert!(caption.contains("Sokha Coffee"), "{caption}");
    assert_no_buttons(&call);
    let shown = app.telegram.current_photo(user.id, message).unwrap();
    assert!(
        no_qr_in(&shown),
        "the paid message still shows a scannable QR"
    );
    assert_eq!(status_of(&app.store, &md5).await, ChargeStatus::Paid);

    // A few more rounds: never edited twice, never asked about again.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(successful_edits(&app, message), 1);
}

/// Less than asked is money received, not "not paid": the card is amber and says what
/// arrived and what is missing, the seller's "Charge the missing" makes one new card for
/// the difference (same note, linked to the first), and once it is paid `/history` shows
/// both payments, the first as one to look at, the second as the rest of the first bill.
#[tokio::test]
async fn an_underpaid_charge_is_counted_and_its_missing_part_charged_once() {
    let app = TestApp::spawn_with(FAST).await;
    let (user, _) = merchant(&app, 2002).await;
    let (message, md5) = charge(&app, &user, "/charge 20000 KHR coffee").await;
    let since = app.telegram.call_count();
    app.pay(&md5, "2000", BakongCurrency::Khr, "sokha@aclb");

    let call = edited(&app, &user, message, since).await;
    let caption = call.caption().unwrap();
    assert!(
        caption.contains("Paid in part") && caption.contains("Received 2,000 ៛: 18,000 ៛ missing"),
        "{caption}"
    );
    let first = app
        .store
        .merchant_charges(app.merchant(&user).await.unwrap().id, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(first.status, ChargeStatus::Underpaid);
    let buttons = call.inline_buttons();
    let expected = format!("dif:{}:{}", first.id.0, first.bill_number);
    assert_eq!(
        buttons,
        vec![vec![(
            "➕ Charge the missing 18,000 ៛".to_owned(),
            expected.clone()
        )]]
    );

    // A forged press by someone else makes nothing.
    let stranger = TgUser::english(2902);
    let press = app.telegram.press_button(&stranger, message, &expected);
    let answer = app
        .telegram
        .wait_for(
            "answerCallbackQuery",
            |c| c.str_param("callback_query_id") == Some(press.as_str()),
            WAIT,
        )
        .await
        .unwrap();
    assert_eq!(
        answer.text(),
        Some("Only the seller can ask for the rest of this bill.")
    );
    assert_eq!(app.charge_count().await, 1);

    // The seller asks for the rest: one new card, for the difference, with the same note.
    let since = app.telegram.call_count();
    let press = app.telegram.press_button(&user, message, &expected);
    let answer = app
        .telegram
        .wait_for(
            "answerCallbackQuery",
            |c| c.str_param("callback_query_id") == Some(press.as_str()),
            WAIT,
        )
        .await
        .unwrap();
    assert!(
        answer
            .text()
            .unwrap_or_default()
            .contains("missing 18,000 ៛"),
        "{answer:?}"
    );
    let photo = app
        .telegram
        .wait_for_since(
            since,
            "sendPhoto",
            |c| c.chat_id() == Some(user.id) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap();
    assert!(photo.caption().unwrap().contains("coffee"));
    let rest = app
        .store
        .merchant_charges(first.merchant_id, 1)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(rest.difference_of, Some(first.id));
    assert_eq!(rest.amount.minor(), 18_000);
    assert_eq!(rest.note.as_deref(), Some("coffee"));
    // A second press makes no second card.
    let press = app.telegram.press_button(&user, message, &expected);
    let answer = app
        .telegram
        .wait_for(
            "answerCallbackQuery",
            |c| c.str_param("callback_query_id") == Some(press.as_str()),
            WAIT,
        )
        .await
        .unwrap();
    assert!(
        answer
            .text()
            .unwrap_or_default()
            .contains(BillRef::of(&rest.bill_number).as_str()),
        "{answer:?}"
    );
    assert_eq!(app.charge_count().await, 2);

    // The customer pays the rest: both payments are in the totals.
    let since = app.telegram.call_count();
    app.pay(&rest.md5, "18000", BakongCurrency::Khr, "sokha@aclb");
    edited(&app, &user, rest.message_id.unwrap(), since).await;
    assert_eq!(status_of(&app.store, &rest.md5).await, ChargeStatus::Paid);
    let history = app.say_or_caption(&user, "/history").await;
    assert!(
        history.contains("KHR: 20,000 ៛ received · 2 payment(s)"),
        "{history}"
    );
    assert!(
        history.contains("of which 2,000 ៛ to look at (1:"),
        "{history}"
    );
    assert!(
        history.contains(&format!(
            "(rest of bill {})",
            BillRef::of(&first.bill_number)
        )),
        "{history}"
    );
}

#[tokio::test]
async fn failed_and_expired_charges_are_edited() {
    let app = TestApp::spawn_with(FAST).await;
    let (user, _) = merchant(&app, 2003).await;
    let (failed_msg, failed_md5) = charge(&app, &user, "/charge 3 USD").await;
    let (expired_msg, expired_md5) = charge(&app, &user, "/charge 4 USD").await;
    let since = app.telegram.call_count();
    app.bakong.fail(&failed_md5);
    // Make the second QR expire now (the bot's minimum TTL is a minute).
    sqlx::query("UPDATE charges SET expires_at = created_at + 1 WHERE md5 = $1")
        .bind(&expired_md5)
        .execute(app.store.pool())
        .await
        .unwrap();

    let call = edited(&app, &user, failed_msg, since).await;
    assert!(
        call.caption().unwrap().contains("failed"),
        "{:?}",
        call.caption()
    );
    let call = edited(&app, &user, expired_msg, since).await;
    assert!(
        call.caption().unwrap().contains("Expired"),
        "{:?}",
        call.caption()
    );
    assert_no_buttons(&call);
    assert_eq!(
        status_of(&app.store, &failed_md5).await,
        ChargeStatus::Failed
    );
    assert_eq!(
        status_of(&app.store, &expired_md5).await,
        ChargeStatus::Expired
    );
}

#[tokio::test]
async fn check_now_and_the_rounds_settle_once() {
    let app = TestApp::spawn_with(&[("POLL_INTERVAL_SECS", "1")]).await;
    let (user, _) = merchant(&app, 2004).await;
    let (message, md5) = charge(&app, &user, "/charge 2.50 USD").await;
    let m = app.merchant(&user).await.unwrap();
    let id = app.store.merchant_charges(m.id, 1).await.unwrap()[0].id;
    let since = app.telegram.call_count();
    app.pay(&md5, "2.5", BakongCurrency::Usd, "sokha@aclb");
    // Press "Check now" several times while the rounds run.
    for _ in 0..3 {
        app.telegram
            .press_button(&user, message, &format!("chk:{}", id.0));
    }
    edited(&app, &user, message, since).await;
    let answers = app
        .telegram
        .wait_for_since(since, "answerCallbackQuery", |_| true, WAIT)
        .await
        .unwrap();
    assert!(answers.str_param("text").is_some());
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    assert_eq!(successful_edits(&app, message), 1);
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM events WHERE charge_id = $1 AND kind = 'charge_paid'",
    )
    .bind(id.0)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(events, 1);
}

#[tokio::test]
async fn telegram_edit_failures_are_retried_until_accepted() {
    let app = TestApp::spawn_with(FAST).await;
    let (user, _) = merchant(&app, 2005).await;
    let (message, md5) = charge(&app, &user, "/charge 1 USD").await;
    app.telegram
        .fail_next("editMessageMedia", 2, Failure::Network);
    app.telegram
        .fail_next("editMessageMedia", 1, Failure::RetryAfter(1));
    let since = app.telegram.call_count();
    app.pay(&md5, "1", BakongCurrency::Usd, "sokha@aclb");
    edited(&app, &user, message, since).await;
    let attempts = app
        .telegram
        .calls_of("editMessageMedia")
        .iter()
        .filter(|c| c.message_id() == Some(message))
        .count();
    assert!(
        attempts >= 2,
        "failed attempts were not retried: {attempts}"
    );
    assert_eq!(successful_edits(&app, message), 1);
}

#[tokio::test]
async fn restart_with_pending_charges_and_unsent_edits_loses_nothing() {
    let mut app = TestApp::spawn_with(FAST).await;
    let (user, _) = merchant(&app, 2006).await;
    let (paid_before, md5_a) = charge(&app, &user, "/charge 1 USD").await;
    let (paid_while_down, md5_b) = charge(&app, &user, "/charge 2 USD").await;
    app.telegram
        .fail_next("editMessageMedia", 1, Failure::Network);

    // A is paid and settled, but the first edit attempt is lost on the network; the bot is
    // stopped before the retry.
    app.pay(&md5_a, "1", BakongCurrency::Usd, "sokha@aclb");
    for _ in 0..100 {
        if status_of(&app.store, &md5_a).await == ChargeStatus::Paid {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status_of(&app.store, &md5_a).await, ChargeStatus::Paid);
    app.stop().await;

    // While the bot is down, B is paid.
    app.pay(&md5_b, "2", BakongCurrency::Usd, "sokha@aclb");
    app.start().await;
    // Both messages end up edited, each exactly once.
    for message in [paid_before, paid_while_down] {
        let deadline = tokio::time::Instant::now() + WAIT;
        while successful_edits(&app, message) == 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(successful_edits(&app, message), 1, "message {message}");
    }
    assert_eq!(status_of(&app.store, &md5_b).await, ChargeStatus::Paid);
}

#[tokio::test]
async fn refused_token_is_reported_once_and_a_new_token_resumes_polling() {
    let app = TestApp::spawn_with(FAST).await;
    let (user, token) = merchant(&app, 2007).await;
    let (message, md5) = charge(&app, &user, "/charge 7 USD").await;
    let since = app.telegram.call_count();
    assert!(app.bakong.revoke_token(&token));
    let notice = app
        .telegram
        .wait_for_since(
            since,
            "sendMessage",
            |c| c.chat_id() == Some(user.id) && c.text().is_some_and(|t| t.contains("/token")),
            WAIT,
        )
        .await
        .unwrap();
    assert!(notice.text().unwrap().contains("refused"));
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    let notices = app
        .telegram
        .calls_of("sendMessage")
        .iter()
        .filter(|c| c.chat_id() == Some(user.id) && c.text().is_some_and(|t| t.contains("refused")))
        .count();
    assert_eq!(notices, 1);

    // The customer pays; the merchant sends a new token with /token.
    app.pay(&md5, "7", BakongCurrency::Usd, "sokha@aclb");
    let new_token = app.bakong_token(&format!("{}@example.com", user.id));
    app.say(&user, "/token").await;
    app.say(&user, &new_token).await;
    edited(&app, &user, message, since).await;
    assert_eq!(status_of(&app.store, &md5).await, ChargeStatus::Paid);
}

#[tokio::test]
async fn history_and_pending_commands() {
    let app = TestApp::spawn_with(FAST).await;
    let (user, _) = merchant(&app, 2008).await;
    let (m1, md5_usd) = charge(&app, &user, "/charge 5 USD coffee").await;
    let (m2, md5_khr) = charge(&app, &user, "/charge 20000 KHR").await;
    let (_m3, _open) = charge(&app, &user, "/charge 9 USD tea").await;
    let since = app.telegram.call_count();
    app.pay(&md5_usd, "5", BakongCurrency::Usd, "sokha@aclb");
    app.pay(&md5_khr, "20000", BakongCurrency::Khr, "sokha@aclb");
    edited(&app, &user, m1, since).await;
    edited(&app, &user, m2, since).await;

    let history = app.say_or_caption(&user, "/history").await;
    assert!(
        history.contains("USD: $5.00 received · 1 payment(s)"),
        "{history}"
    );
    assert!(
        history.contains("KHR: 20,000 ៛ received · 1 payment(s)"),
        "{history}"
    );
    assert!(history.contains("coffee"), "{history}");
    let pending = app.say(&user, "/pending").await;
    assert!(
        pending.contains("$9.00") && pending.contains("tea"),
        "{pending}"
    );
    assert!(!pending.contains("$5.00"), "{pending}");
    let bad = app.say(&user, "/history someday").await;
    assert!(bad.contains("/history week"), "{bad}");
}

/// The handlers and the watcher read the app's one clock: a payment made just before
/// midnight in Phnom Penh is today's until midnight there, then yesterday's.
#[tokio::test]
async fn history_today_turns_at_phnom_penh_midnight_on_the_apps_clock() {
    let app = TestApp::spawn_with(FAST).await;
    let midnight = LocalDate::at(app.clock_now()).end();
    app.set_clock(midnight - 600);
    let day = LocalDate::at(midnight - 1).to_string();
    let next_day = LocalDate::at(midnight).to_string();
    let (user, _) = merchant(&app, 2012).await;
    let (message, md5) = charge(&app, &user, "/charge 5 USD late coffee").await;
    let since = app.telegram.call_count();
    let mut payment = Payment::new(
        &DecimalAmount::parse("5.00").unwrap(),
        BakongCurrency::Usd,
        "sokha@aclb",
    );
    // Bakong's record of the payment: the same instant as the app's clock.
    payment.created_date_ms = Some(u64::try_from(app.clock_now() * 1000).unwrap());
    app.bakong.pay(&md5, payment).unwrap();
    edited(&app, &user, message, since).await;

    let today = app.say_or_caption(&user, "/history").await;
    assert!(
        today.contains(&format!("Today ({day})"))
            && today.contains("USD: $5.00 received · 1 payment(s)"),
        "{today}"
    );
    app.set_clock(midnight + 30);
    let today = app.say(&user, "/history today").await;
    assert!(
        today.contains(&format!("Today ({next_day})")) && today.contains("No payments received"),
        "{today}"
    );
    let yesterday = app.say_or_caption(&user, "/history yesterday").await;
    assert!(
        yesterday.contains(&format!("Yesterday ({day})"))
            && yesterday.contains("USD: $5.00 received · 1 payment(s)"),
        "{yesterday}"
    );
}

#[tokio::test]
async fn check_command_verifies_a_transaction_by_hash() {
    let app = TestApp::spawn_with(FAST).await;
    let (user, _) = merchant(&app, 2009).await;
    let (message, md5) = charge(&app, &user, "/charge 3 USD").await;
    let since = app.telegram.call_count();
    app.pay(&md5, "3", BakongCurrency::Usd, "sokha@aclb");
    edited(&app, &user, message, since).await;
    let hash: String = sqlx::query_scalar("SELECT bakong_hash FROM charges WHERE md5 = $1")
        .bind(&md5)
        .fetch_one(app.store.pool())
        .await
        .unwrap();

    let found = app.say(&user, &format!("/check {hash}")).await;
    assert!(found.contains("paid to your account"), "{found}");
    assert!(
        found.contains("$3.00") && found.contains("sokha@aclb"),
        "{found}"
    );
    let unknown = app.say(&user, &format!("/check {}", "0".repeat(64))).await;
    assert!(unknown.contains("no transaction"), "{unknown}");
    let usage = app.say(&user, "/check abc").await;
    assert!(usage.contains("64"), "{usage}");
}

#[tokio::test]
async fn bakong_storms_do_not_stop_the_bot_and_the_payment_is_found_after() {
    use khqr_bot::bakong::sandbox::{Fault, FaultKind};
    let app = TestApp::spawn_with(FAST).await;
    let (user, _) = merchant(&app, 2010).await;
    let (message, md5) = charge(&app, &user, "/charge 6 USD").await;
    for kind in [
        FaultKind::ServerErrorHtml { status: 503 },
        FaultKind::RateLimited {
            retry_after_secs: Some(1),
        },
        FaultKind::ServerErrorJson,
    ] {
        app.bakong
            .push_fault(Fault::new(kind, 1).on("check_transaction_by_md5_list"))
            .unwrap();
    }
    let since = app.telegram.call_count();
    app.pay(&md5, "6", BakongCurrency::Usd, "sokha@aclb");
    // The bot keeps answering meanwhile.
    let help = app.say(&user, "/pending").await;
    assert!(help.contains("$6.00") || help.contains("No open"), "{help}");
    let call = edited(&app, &user, message, since).await;
    assert!(call.caption().unwrap().contains("Paid"));
    assert_eq!(successful_edits(&app, message), 1);
}

/// The watcher's requests to `endpoint`: not /setup's proof of the token (an md5 nobody
/// uses).
fn requests_to(app: &TestApp, endpoint: &str) -> Vec<Option<u16>> {
    let path = format!("/v1/{endpoint}");
    app.bakong
        .request_log()
        .iter()
        .filter(|r| r.path == path && !r.body.contains(khqr_bot::bakong::PROBE_MD5))
        .map(|r| r.status)
        .collect()
}

#[tokio::test]
async fn batch_mode_a_payment_is_found_with_the_list_endpoint_only() {
    let app = TestApp::spawn_with(FAST).await;
    let (user, _) = merchant(&app, 2011).await;
    let (message, md5) = charge(&app, &user, "/charge 2 USD").await;
    let since = app.telegram.call_count();
    app.pay(&md5, "2", BakongCurrency::Usd, "sokha@aclb");
    let call = edited(&app, &user, message, since).await;
    assert!(call.caption().unwrap().contains("Paid"));
    assert_eq!(status_of(&app.store, &md5).await, ChargeStatus::Paid);
    let lists = requests_to(&app, "check_transaction_by_md5_list");
    assert!(
        !lists.is_empty() && lists.iter().all(|s| *s == Some(200)),
        "{lists:?}"
    );
    assert!(requests_to(&app, "check_transaction_by_md5").is_empty());
}

#[tokio::test]
async fn production_like_bakong_with_a_closed_list_endpoint_is_polled_per_md5() {
    let app = TestApp::spawn_with(FAST).await;
    app.bakong.set_batch_closed(true);
    let (user, _) = merchant(&app, 2012).await;
    let (message, md5) = charge(&app, &user, "/charge 3 USD tea").await;
    let (other_message, other_md5) = charge(&app, &user, "/charge 4 USD").await;
    // The customer pays once the watcher has met the closed list endpoint and probed one
    // md5 (not paid yet), so the single endpoint finds the payment in a later round. (The
    // bot used to wait a second between the two cards, which left time for that.)
    let deadline = std::time::Instant::now() + WAIT;
    while requests_to(&app, "check_transaction_by_md5").is_empty() {
        assert!(std::time::Instant::now() < deadline, "never probed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let since = app.telegram.call_count();
    app.pay(&md5, "3", BakongCurrency::Usd, "sokha@aclb");

    let call = edited(&app, &user, message, since).await;
    assert!(call.caption().unwrap().contains("Paid"));
    assert_eq!(status_of(&app.store, &md5).await, ChargeStatus::Paid);
    // The list endpoint answered 403 (once: the watcher then stays per md5), the single
    // endpoint did the work.
    let lists = requests_to(&app, "check_transaction_by_md5_list");
    assert_eq!(lists, vec![Some(403)]);
    let singles = requests_to(&app, "check_transaction_by_md5");
    assert!(
        singles.len() >= 2 && singles.iter().all(|s| *s == Some(200)),
        "{singles:?}"
    );

    // The other charge is still watched per md5 and found too.
    app.pay(&other_md5, "4", BakongCurrency::Usd, "sokha@aclb");
    let call = edited(&app, &user, other_message, since).await;
    assert!(call.caption().unwrap().contains("Paid"));
    assert_eq!(successful_edits(&app, message), 1);
    assert_eq!(requests_to(&app, "check_transaction_by_md5_list").len(), 1);
}

#[tokio::test]
async fn a_geo_block_refusing_the_single_call_too_settles_nothing_and_recovers() {
    use khqr_bot::bakong::sandbox::{Fault, FaultKind};
    let app = TestApp::spawn_with(FAST).await;
    let (user, _) = merchant(&app, 2013).await;
    // Every /v1 endpoint answers the 403 page (outside Cambodia), for a while.
    app.bakong
        .push_fault(Fault::new(FaultKind::GeoBlocked, 1000))
        .unwrap();
    let (message, md5) = charge(&app, &user, "/charge 5 USD").await;
    app.pay(&md5, "5", BakongCurrency::Usd, "sokha@aclb");
    // Wait until the watcher has asked the list endpoint and probed the single one.
    let deadline = std::time::Instant::now() + WAIT;
    while requests_to(&app, "check_transaction_by_md5").is_empty() {
        assert!(std::time::Instant::now() < deadline, "never probed");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        requests_to(&app, "check_transaction_by_md5"),
        vec![Some(403)]
    );
    assert_eq!(status_of(&app.store, &md5).await, ChargeStatus::Pending);
    assert_eq!(successful_edits(&app, message), 0);

    // The relay is fixed: the payment is found in batch mode.
    let since = app.telegram.call_count();
    app.bakong.clear_faults();
    let call = edited(&app, &user, message, since).await;
    assert!(call.caption().unwrap().contains("Paid"));
    let lists = requests_to(&app, "check_transaction_by_md5_list");
    assert_eq!(lists.last(), Some(&Some(200)), "{lists:?}");
}
