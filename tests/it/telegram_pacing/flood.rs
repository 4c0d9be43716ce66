//! End to end: Telegram's flood control. The real bot (`khqr-bot run`'s start-up path) with
//! its payment watcher, against the fake Bot API — which, like Telegram, refuses every
//! request during a flood window — and the Bakong sandbox. A `retry_after` met by any
//! request (an outbox edit, a handler's reply) holds every request of the bot until the
//! window is over, and everything is delivered after it.

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::{Call, Failure, FakeTelegram, TgUser};
use khqr_bot::bakong::sandbox::Payment;
use khqr_bot::bakong::{Currency as BakongCurrency, DecimalAmount};
use khqr_bot::telegram_pacing::{FloodGate, PacedBot, WaitPolicy};
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::CallbackQueryId;

const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];
/// Seconds of the flood window the fake opens.
const WINDOW: u32 = 3;

/// `/charge …` → (chat, message id of the QR photo, md5 of its KHQR).
async fn charge(app: &TestApp, user: &TgUser, text: &str) -> (i64, i32, String) {
    let c = app.charge(user, text).await;
    (user.id, c.message_id.unwrap(), c.md5)
}

fn pay(app: &TestApp, md5: &str) {
    app.bakong
        .pay(
            md5,
            Payment::new(
                &DecimalAmount::parse("5.00").unwrap(),
                BakongCurrency::Usd,
                "sokha@aclb",
            ),
        )
        .unwrap();
}

/// The first successful `editMessageMedia` of this message at or after call `since`.
async fn edited(app: &TestApp, chat: i64, message_id: i32, since: usize) -> Call {
    app.telegram
        .wait_for_since(
            since,
            "editMessageMedia",
            |c| c.chat_id() == Some(chat) && c.message_id() == Some(message_id) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap()
}

/// The call that met flood control (answered 429 outside a window).
async fn flood_trigger(app: &TestApp, method: &str, since: usize) -> Call {
    app.telegram
        .wait_for_since(
            since,
            method,
            |c| {
                c.error
                    .as_deref()
                    .is_some_and(|e| e.contains("retry after"))
            },
            WAIT,
        )
        .await
        .unwrap()
}

/// The first `sendMessage` to `user` at or after call `since` that Telegram accepted.
async fn delivered_text(app: &TestApp, user: &TgUser, since: usize) -> Call {
    app.telegram
        .wait_for_since(
            since,
            "sendMessage",
            |c| c.chat_id() == Some(user.id) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap()
}

fn assert_no_request_in_the_window(app: &TestApp) {
    let violations = app.telegram.flood_violations();
    assert!(
        violations.is_empty(),
        "requests during the window: {violations:?}"
    );
}

fn refused_with_429(app: &TestApp, since: usize) -> Vec<Call> {
    app.telegram.calls()[since..]
        .iter()
        .filter(|c| {
            c.error
                .as_deref()
                .is_some_and(|e| e.starts_with("Too Many Requests"))
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_retry_after_on_an_edit_holds_every_request_until_the_window_is_over() {
    let app = TestApp::spawn_with(FAST).await;
    let sokha = app.seller(2901).await;
    let dara = app.seller(2902).await;
    let charges = vec![
        charge(&app, &sokha, "/charge 5 USD coffee").await,
        charge(&app, &sokha, "/charge 5 USD tea").await,
        charge(&app, &dara, "/charge 5 USD rice").await,
    ];
    // The first edit of the watcher meets flood control.
    app.telegram
        .fail_next("editMessageMedia", 1, Failure::FloodWindow(WINDOW));
    let since = app.telegram.call_count();
    for (_, _, md5) in &charges {
        pay(&app, md5);
    }
    let trigger = flood_trigger(&app, "editMessageMedia", since).await;

    // During the window a merchant writes to the bot: the reply waits, it does not fail.
    let help_since = app.telegram.call_count();
    app.telegram.send_text(&dara, "/help");

    for (chat, message, _) in &charges {
        edited(&app, *chat, *message, since).await;
    }
    let reply = delivered_text(&app, &dara, help_since).await;

    // Nothing reached Telegram during the window: no edit in any chat, no reply.
    assert_no_request_in_the_window(&app);
    assert_eq!(
        refused_with_429(&app, since).len(),
        1,
        "only the first edit met it"
    );
    assert!(reply.at >= trigger.at + Duration::from_secs(WINDOW.into()));
    // Every message edited exactly once, the one that met the 429 included.
    for (chat, message, _) in &charges {
        let edits = app
            .telegram
            .calls_of("editMessageMedia")
            .iter()
            .filter(|c| c.chat_id() == Some(*chat) && c.message_id() == Some(*message))
            .filter(|c| c.succeeded())
            .count();
        assert_eq!(edits, 1, "chat {chat} message {message}");
    }
}

#[tokio::test]
async fn a_retry_after_on_a_handler_reply_pauses_the_outbox() {
    let app = TestApp::spawn_with(FAST).await;
    let sokha = app.seller(2911).await;
    let dara = app.seller(2912).await;
    let (chat, message, md5) = charge(&app, &dara, "/charge 5 USD rice").await;

    // A reply to Sokha meets flood control…
    app.telegram
        .fail_next("sendMessage", 1, Failure::FloodWindow(WINDOW));
    let since = app.telegram.call_count();
    app.telegram.send_text(&sokha, "/help");
    let trigger = flood_trigger(&app, "sendMessage", since).await;
    assert_eq!(trigger.chat_id(), Some(sokha.id));
    // …and Dara's customer pays during the window.
    pay(&app, &md5);

    let edit = edited(&app, chat, message, since).await;
    // The handler waited and sent its reply again after the window, rather than fail.
    let reply = delivered_text(&app, &sokha, since).await;
    assert!(reply.text().unwrap().contains("/charge"), "{reply:?}");

    assert_no_request_in_the_window(&app);
    assert_eq!(refused_with_429(&app, since).len(), 1);
    let window_end = trigger.at + Duration::from_secs(WINDOW.into());
    assert!(edit.at >= window_end && reply.at >= window_end);
}

/// `PacedBot` on its own: a `retry_after` on a button answer holds sends and edits too; a
/// request that may not wait that long fails without reaching Telegram; one that may waits
/// and goes after the window.
#[tokio::test]
async fn a_retry_after_on_a_button_answer_holds_sends_and_edits() {
    let fake = FakeTelegram::start().await;
    let user = TgUser::english(2921);
    fake.register_user(&user);
    let plain = teloxide::Bot::new(fake.bot_token()).set_api_url(fake.api_url());
    let gate = Arc::new(FloodGate::default());
    let bot = PacedBot::new(plain, Arc::clone(&gate), WaitPolicy::HANDLERS);
    let impatient = bot.with_policy(WaitPolicy {
        max_wait: Duration::from_millis(500),
        resends: 0,
    });
    let sent = bot.send_message(ChatId(user.id), "hello").await.unwrap();
    let query = CallbackQueryId(fake.press_button(&user, sent.id.0, "check:1"));

    fake.fail_next("answerCallbackQuery", 1, Failure::FloodWindow(WINDOW));
    let answered = impatient.answer_callback_query(query.clone()).await;
    assert!(
        matches!(answered, Err(RequestError::RetryAfter(s)) if s.seconds() == WINDOW),
        "{answered:?}"
    );
    assert!(gate.frozen_until().is_some());

    // Too long a wait for this policy: refused here, Telegram never sees it.
    let before = fake.call_count();
    let refused = impatient
        .edit_message_text(ChatId(user.id), sent.id, "edited")
        .await;
    assert!(
        matches!(refused, Err(RequestError::RetryAfter(_))),
        "{refused:?}"
    );
    assert_eq!(fake.call_count(), before);

    // The handlers' policy waits for the end of the window, then goes.
    let (edited, reply) = tokio::join!(
        bot.edit_message_text(ChatId(user.id), sent.id, "edited")
            .into_future(),
        bot.send_message(ChatId(user.id), "still here")
            .into_future(),
    );
    edited.unwrap();
    reply.unwrap();
    bot.answer_callback_query(query).await.unwrap();
    let violations = fake.flood_violations();
    assert!(
        violations.is_empty(),
        "requests during the window: {violations:?}"
    );
    let calls = fake.calls();
    let window_end = calls[before - 1].at + Duration::from_secs(WINDOW.into());
    assert!(
        calls[before..]
            .iter()
            .all(|c| c.at >= window_end && c.succeeded())
    );
    assert_eq!(calls.len(), before + 3);
}
