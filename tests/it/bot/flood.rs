//! End to end (the emulator floods, the Bakong sandbox is paid): no chat waits behind
//! another chat. A user sending 150 messages at once and a group's 30 members all sending a
//! command do not keep another seller's `/charge` from its card and its paid edit; the
//! excess is dropped (the flooder gets far fewer replies than messages); a stranger's
//! chatter gets one hint a minute, a group's commands one answer per interval; dropped
//! button presses are still answered; the bot stops under a flood.
//!
//! The flood tests pace the bot's messages as Telegram does (a second between two messages
//! in a chat): that pace is what made a flooder's queue hold everyone up. Waits are
//! generous upper bounds (`WAIT`), never measured; the figures are in BENCHMARKS.md
//! ("Floods").

use std::time::Duration;

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::TgUser;
use khqr_bot::bakong::Currency as BakongCurrency;
use khqr_bot::bot::CallbackAction;
use khqr_bot::i18n::Lang;
use khqr_bot::t;
use khqr_bot::telegram_pacing::Limits;

const GROUP: i64 = -100_424_242;

/// `n` members of the flooded group.
fn members(n: i64) -> Vec<TgUser> {
    (0..n).map(|i| TgUser::english(60_000 + i)).collect()
}

/// Waits for the card `message_id` in `user`'s chat to be edited into its paid card.
async fn paid_edit(app: &TestApp, user: &TgUser, message_id: i32) {
    app.telegram
        .wait_for(
            "editMessageMedia",
            |c| c.chat_id() == Some(user.id) && c.message_id() == Some(message_id) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap();
}

/// `/help` answers sent to `chat`.
fn help_answers(app: &TestApp, chat: i64) -> usize {
    let help = t!(Lang::En, "help-title");
    app.telegram
        .sent_texts(chat)
        .iter()
        .filter(|t| t.starts_with(&help))
        .count()
}

/// Waits (at most `WAIT`) until `done` holds, looking every 20 ms.
async fn eventually(what: &str, done: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sellers_charge_gets_its_card_and_paid_edit_while_a_user_and_a_group_flood() {
    // Group answers once an hour here, so "one answer" does not depend on how long it runs.
    let mut app =
        TestApp::spawn_paced(&[("FLOOD_GROUP_ANSWER_SECS", "3600")], Limits::default()).await;
    let seller = TgUser::english(61_001);
    app.setup_merchant(&seller, "dara@aclb", "Dara Tea", "Phnom Penh")
        .await;
    let flooder = TgUser::english(61_002);
    let crowd = members(30);

    // 150 messages from one user and 30 group commands, all at once; then the seller.
    app.telegram
        .flood_texts(&flooder, std::iter::repeat_n("/help", 150));
    app.telegram.flood_group(GROUP, &crowd, "/help");
    let card = app.charge(&seller, "/charge 2.50 USD tea").await;
    app.pay(&card.md5, "2.50", BakongCurrency::Usd, "dara@aclb");
    paid_edit(&app, &seller, card.message_id.unwrap()).await;

    // Stopping drains what was admitted, and returns (`stop` fails after WAIT).
    app.stop().await;
    let flooder_answers = help_answers(&app, flooder.id);
    assert!(
        (1..=25).contains(&flooder_answers),
        "the flooder got {flooder_answers} answers to 150 messages"
    );
    let group_answers = app.telegram.sent_texts(GROUP).len();
    assert_eq!(group_answers, 1, "one answer to the group's 30 commands");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_sellers_charge_gets_its_card_while_a_user_floods_the_webhook() {
    let port = crate::support::webhook::free_port();
    let url = format!("http://127.0.0.1:{port}/telegram/updates");
    let listen = format!("127.0.0.1:{port}");
    let mut app = TestApp::spawn_paced(
        &[
            ("TELEGRAM_WEBHOOK_URL", url.as_str()),
            ("TELEGRAM_WEBHOOK_LISTEN", listen.as_str()),
            ("TELEGRAM_WEBHOOK_SECRET", crate::support::webhook::SECRET),
        ],
        Limits::default(),
    )
    .await;
    app.telegram
        .wait_for("setWebhook", |c| c.succeeded(), WAIT)
        .await
        .unwrap();
    let seller = TgUser::english(62_001);
    app.setup_merchant(&seller, "dara@aclb", "Dara Tea", "Phnom Penh")
        .await;
    let flooder = TgUser::english(62_002);

    app.telegram
        .flood_texts(&flooder, std::iter::repeat_n("/help", 150));
    let card = app.charge(&seller, "/charge 3 USD tea").await;
    assert!(card.message_id.is_some());

    app.stop().await;
    let flooder_answers = help_answers(&app, flooder.id);
    assert!(
        (1..=25).contains(&flooder_answers),
        "the flooder got {flooder_answers} answers to 150 messages"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_stops_under_a_flood() {
    let mut app = TestApp::spawn_paced(&[], Limits::default()).await;
    let flooder = TgUser::english(63_001);
    app.telegram
        .flood_texts(&flooder, std::iter::repeat_n("/help", 150));
    // The flood is being answered (at a second a message) when the stop comes.
    app.telegram
        .wait_for("sendMessage", |c| c.chat_id() == Some(flooder.id), WAIT)
        .await
        .unwrap();
    app.stop().await;
    assert!(help_answers(&app, flooder.id) <= 25);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_of_fresh_accounts_gets_few_hints_and_holds_no_seller_up() {
    let mut app = TestApp::spawn().await;
    let seller = TgUser::english(66_001);
    app.setup_merchant(&seller, "dara@aclb", "Dara Tea", "Phnom Penh")
        .await;
    let crowd: Vec<TgUser> = (0..200).map(|i| TgUser::english(67_000 + i)).collect();
    app.telegram.flood_users(&crowd, "hello");
    let card = app.charge(&seller, "/charge 5 USD tea").await;
    assert!(card.message_id.is_some());

    app.stop().await;
    let hint = t!(Lang::En, "unknown-message");
    let hinted = crowd
        .iter()
        .filter(|u| app.telegram.sent_texts(u.id).contains(&hint))
        .count();
    // Five hints a second for the whole bot (after a burst of ten): the crowd cannot fill
    // Telegram's message budget that the sellers' cards need.
    assert!(
        (1..200).contains(&hinted),
        "{hinted} of 200 fresh accounts were hinted"
    );
}

#[tokio::test]
async fn a_private_stranger_gets_one_hint_a_minute() {
    let mut app = TestApp::spawn().await;
    let stranger = TgUser::english(64_001);
    let hint = t!(Lang::En, "unknown-message");
    let hints = |app: &TestApp| {
        app.telegram
            .sent_texts(stranger.id)
            .iter()
            .filter(|t| **t == hint)
            .count()
    };

    assert_eq!(app.say(&stranger, "hello?").await, hint);
    // More chatter within the minute: no hint. /help is answered, and being handled after
    // the chatter (one chat's updates are handled in order), it shows the chatter was.
    for text in ["anyone there?", "price?"] {
        app.telegram.send_text(&stranger, text);
    }
    let help = app.say(&stranger, "/help").await;
    assert!(help.starts_with(&t!(Lang::En, "help-title")), "{help}");
    assert_eq!(hints(&app), 1);

    // A minute later: one more hint.
    app.advance_clock(61);
    assert_eq!(app.say(&stranger, "hello again").await, hint);

    // A flood of chatter is one hint a minute too.
    app.advance_clock(61);
    app.telegram
        .flood_texts(&stranger, (0..40).map(|i| format!("spam {i}")));
    eventually("a third hint", || hints(&app) == 3).await;
    app.stop().await;
    assert_eq!(
        hints(&app),
        3,
        "{:#?}",
        app.telegram.sent_texts(stranger.id)
    );
}

#[tokio::test]
async fn a_groups_commands_get_one_answer_per_interval() {
    let mut app = TestApp::spawn().await;
    let crowd = members(30);
    app.telegram.flood_group(GROUP, &crowd, "/help");
    app.telegram
        .wait_for("sendMessage", |c| c.chat_id() == Some(GROUP), WAIT)
        .await
        .unwrap();

    // The interval (60 s by default) passes: the group's next command gets one answer.
    // Whichever command takes it (the crowd's last ones may still be on their way), there
    // is exactly one more; a command dropped by the group's budget is sent again.
    app.advance_clock(61);
    let second = async {
        loop {
            app.telegram.send_group_text(&crowd[0], GROUP, "/help");
            for _ in 0..100 {
                if app.telegram.sent_texts(GROUP).len() >= 2 {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    tokio::time::timeout(WAIT, second)
        .await
        .expect("a second answer after the interval");
    app.stop().await;
    assert_eq!(app.telegram.sent_texts(GROUP).len(), 2);
}

#[tokio::test]
async fn every_press_of_a_hammered_button_is_answered() {
    let mut app = TestApp::spawn().await;
    let seller = TgUser::english(65_001);
    app.setup_merchant(&seller, "dara@aclb", "Dara Tea", "Phnom Penh")
        .await;
    let card = app.charge(&seller, "/charge 4 USD tea").await;
    let check = CallbackAction::check(card.id, &card.bill_number).encode();

    let presses = app
        .telegram
        .flood_presses(&seller, card.message_id.unwrap(), &check, 25);
    eventually("every press answered", || {
        presses.iter().all(|id| app.telegram.is_answered(id))
    })
    .await;
    let dropped = t!(Lang::En, "flood-press-dropped");
    let answers = app.telegram.calls_of("answerCallbackQuery");
    let told_to_wait = answers
        .iter()
        .filter(|c| c.params.get("text").and_then(|t| t.as_str()) == Some(dropped.as_str()))
        .count();
    assert!(
        told_to_wait >= 5,
        "at most 20 presses fit the seller's budget: {told_to_wait} told to wait"
    );
    app.stop().await;
}
