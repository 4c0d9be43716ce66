//! End to end (fake Telegram + Bakong sandbox): merchant commands work in private chats
//! only. In a group each one gets a single "talk to me in private" with a button opening the
//! private chat, shows nothing of the shop, and changes nothing; a token pasted in a group
//! is deleted.

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::{BOT_USERNAME, Call, TgUser};
use khqr_bot::i18n::Lang;
use khqr_bot::khqr::Currency;
use khqr_bot::t;

const GROUP: i64 = -100_777;

/// A group gets one answer per `FLOOD_GROUP_ANSWER_SECS` (`bot::flood` tests that): here 1 s,
/// and [`in_group`] moves the app's clock past it before each command.
const ONE_ANSWER_A_SECOND: &[(&str, &str)] = &[("FLOOD_GROUP_ANSWER_SECS", "1")];

/// `user` writes `text` in the group; returns the bot's one answer there.
async fn in_group(app: &TestApp, user: &TgUser, text: &str) -> Call {
    app.advance_clock(2);
    let since = app.telegram.call_count();
    app.telegram.send_group_text(user, GROUP, text);
    app.telegram
        .wait_for_since(since, "sendMessage", |c| c.chat_id() == Some(GROUP), WAIT)
        .await
        .unwrap()
}

fn button_url(call: &Call) -> Option<String> {
    call.params
        .get("reply_markup")?
        .get("inline_keyboard")?
        .get(0)?
        .get(0)?
        .get("url")?
        .as_str()
        .map(str::to_owned)
}

#[tokio::test]
async fn merchant_commands_in_a_group_only_point_to_the_private_chat_and_change_nothing() {
    let app = TestApp::spawn_with(ONE_ANSWER_A_SECOND).await;
    let user = TgUser::english(4101);
    let token = app
        .setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    app.charge_photo(&user, "/charge 5 USD iced coffee").await;
    let before = app.merchant(&user).await.unwrap();
    let charges_before = app.charge_count().await;
    // /setup ends on its optional email question: whatever the private wizard state is, the
    // group commands must leave it as it is.
    let private_dialogue_before = app.store.dialogue(user.id).await.unwrap();

    let commands = [
        "/history",
        "/history today",
        "/settings",
        "/pending",
        "/charge 7 USD tea",
        &format!("/check {}", "ab".repeat(32)),
        "/token",
        "/setup",
        "/currency KHR",
        "/lang km",
        "/email sokha@example.com",
        "/email off",
        &format!("/settings@{BOT_USERNAME}"),
    ];
    let expected = t!(Lang::En, "private-only");
    for text in commands {
        let answer = in_group(&app, &user, text).await;
        let shown = answer.text().unwrap();
        assert_eq!(shown, expected, "{text}");
        assert_eq!(
            button_url(&answer).as_deref(),
            Some(format!("https://t.me/{BOT_USERNAME}").as_str()),
            "{text}: a button opening the private chat"
        );
    }
    // A command anyone may use still answers in the group; being handled after every
    // command above (one chat's updates are handled in order), it also shows that no
    // command got a second answer.
    let help = in_group(&app, &user, "/help").await;
    assert_ne!(help.text().unwrap(), expected);
    let group_texts = app.telegram.sent_texts(GROUP);
    assert_eq!(
        group_texts.iter().filter(|t| **t == expected).count(),
        commands.len(),
        "one answer per command: {group_texts:#?}"
    );
    // (The /help text has generic examples such as "$5"; it knows nothing of the shop.)
    for text in group_texts
        .iter()
        .filter(|t| Some(t.as_str()) != help.text())
    {
        for secret in [
            "sokha@aclb",
            "Sokha Coffee",
            "5.00",
            "$5",
            &token[token.len() - 4..],
        ] {
            assert!(
                !text.contains(secret),
                "{secret:?} shown in the group: {text}"
            );
        }
    }
    assert!(
        app.telegram.sent_photos(GROUP).is_empty(),
        "no QR in the group"
    );

    // Nothing changed: language, currency, where notices go, charges, wizard state.
    let after = app.merchant(&user).await.unwrap();
    assert_eq!(after.language, Lang::En);
    assert!(!after.language_chosen, "/lang in a group changes nothing");
    assert_eq!(after.default_currency, Currency::Usd);
    assert_eq!(
        after.chat_id, user.id,
        "notices still go to the private chat"
    );
    assert_eq!(after.profile, before.profile);
    assert_eq!(after.email, None, "/email in a group stores nothing");
    assert_eq!(app.charge_count().await, charges_before);
    assert_eq!(app.store.dialogue(GROUP).await.unwrap(), None);
    assert_eq!(
        app.store.dialogue(user.id).await.unwrap(),
        private_dialogue_before
    );

    // In the private chat the same commands work.
    let settings = app.say(&user, "/settings").await;
    assert!(settings.contains("sokha@aclb"), "{settings}");
    let pending = app.say(&user, "/pending").await;
    assert!(pending.contains("5.00"), "{pending}");
}

#[tokio::test]
async fn a_token_pasted_in_a_group_is_deleted_and_a_khmer_seller_is_answered_in_khmer() {
    let app = TestApp::spawn_with(ONE_ANSWER_A_SECOND).await;
    let user = TgUser::khmer(4102);
    app.setup_merchant(&user, "dara@wing", "Dara Shop", "Siem Reap")
        .await;
    let token = app.bakong_token("dara-new@example.com");

    // Bare, and as a command argument.
    for text in [token.clone(), format!("/token {token}")] {
        let since = app.telegram.call_count();
        let id = app.telegram.send_group_text(&user, GROUP, &text);
        app.telegram
            .wait_for_since(
                since,
                "deleteMessage",
                |c| c.chat_id() == Some(GROUP) && c.message_id() == Some(id) && c.succeeded(),
                WAIT,
            )
            .await
            .unwrap();
    }
    let answer = in_group(&app, &user, "/history week").await;
    assert_eq!(answer.text().unwrap(), t!(Lang::Km, "private-only"));
    assert_eq!(
        answer.inline_buttons()[0][0].0,
        t!(Lang::Km, "private-only-button")
    );
    // The stored token is still the one from /setup (nothing was taken from the group).
    let m = app.merchant(&user).await.unwrap();
    assert_eq!(m.token_version, 1);
}
