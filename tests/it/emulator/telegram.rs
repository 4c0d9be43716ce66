//! The Telegram Bot API emulator (src/emulator/telegram) driven by the real teloxide
//! 0.17 client: a plain `Bot`, a `Throttle`d bot and a long-polling `Dispatcher`.

use std::time::Duration;

use crate::support::fake_telegram::{
    BOT_ID, BOT_USERNAME, Failure, FakeTelegram, TelegramEmulator, TgUser,
};
use serde_json::json;
use teloxide::adaptors::Throttle;
use teloxide::adaptors::throttle::Limits;
use teloxide::prelude::*;
use teloxide::types::{
    AllowedUpdate, BotCommand, CallbackQueryId, InlineKeyboardButton, InlineKeyboardMarkup,
    InputFile, InputMedia, InputMediaPhoto, MaybeInaccessibleMessage, MessageEntityKind, MessageId,
    UpdateKind,
};
use teloxide::{ApiError, RequestError};

/// Upper bound for anything to happen; only reached when a test fails.
const WAIT: Duration = Duration::from_secs(15);

fn bot(fake: &FakeTelegram) -> Bot {
    Bot::new(fake.bot_token()).set_api_url(fake.api_url())
}

fn png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([seed, (x % 256) as u8, (y % 256) as u8])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn keyboard(id: u32) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[
        InlineKeyboardButton::callback("Check now", format!("chk:{id}")),
        InlineKeyboardButton::callback("Cancel", format!("cxl:{id}")),
    ]])
}

fn pairs(rows: &[&[(&str, &str)]]) -> Vec<Vec<(String, String)>> {
    rows.iter()
        .map(|row| {
            row.iter()
                .map(|(t, d)| ((*t).to_owned(), (*d).to_owned()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn injected_updates_deserialize_into_teloxide_types() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let user = TgUser::khmer(1001);

    let message_id = fake.send_text(&user, "/charge 5 USD coffee");
    let updates = bot.get_updates().await.unwrap();
    assert_eq!(updates.len(), 1);
    let UpdateKind::Message(msg) = &updates[0].kind else {
        panic!("expected a message update, got {:?}", updates[0].kind);
    };
    assert_eq!(msg.id, MessageId(message_id));
    assert_eq!(msg.chat.id, ChatId(1001));
    assert!(msg.chat.is_private());
    assert_eq!(msg.text(), Some("/charge 5 USD coffee"));
    let from = msg.from.as_ref().unwrap();
    assert_eq!(from.id, UserId(1001));
    assert!(!from.is_bot);
    assert_eq!(from.language_code.as_deref(), Some("km"));
    let entities = msg.entities().unwrap();
    assert_eq!(entities[0].kind, MessageEntityKind::BotCommand);
    assert_eq!(
        (entities[0].offset, entities[0].length),
        (0, "/charge".len())
    );

    // The next offset confirms the update, as in Telegram.
    let next_offset = updates[0].id.as_offset();
    assert_eq!(fake.pending_updates(), 1);
    let none = bot.get_updates().offset(next_offset).await.unwrap();
    assert!(none.is_empty());
    assert_eq!(fake.pending_updates(), 0);

    // A button press carries the bot's message with its keyboard.
    let sent = bot
        .send_message(ChatId(1001), "pay here")
        .reply_markup(keyboard(7))
        .await
        .unwrap();
    assert_eq!(sent.id, MessageId(message_id + 1), "ids count up per chat");
    let callback_id = fake.press_button(&user, sent.id.0, "chk:7");
    let updates = bot.get_updates().offset(next_offset).await.unwrap();
    assert_eq!(updates.len(), 1);
    let UpdateKind::CallbackQuery(query) = &updates[0].kind else {
        panic!("expected a callback query, got {:?}", updates[0].kind);
    };
    assert_eq!(query.id.0, callback_id);
    assert_eq!(query.from.id, UserId(1001));
    assert_eq!(query.data.as_deref(), Some("chk:7"));
    let on = query.regular_message().expect("an accessible message");
    assert_eq!(on.id, sent.id);
    assert_eq!(on.reply_markup(), Some(&keyboard(7)));

    // A press on a message that is not in the user's chat carries an inaccessible message.
    fake.press_button(&user, 999, "chk:7");
    let updates = bot
        .get_updates()
        .offset(updates[0].id.as_offset())
        .await
        .unwrap();
    let UpdateKind::CallbackQuery(query) = &updates[0].kind else {
        panic!("expected a callback query, got {:?}", updates[0].kind);
    };
    assert!(matches!(
        query.message,
        Some(MaybeInaccessibleMessage::Inaccessible(_))
    ));
}

#[tokio::test]
async fn get_me_and_webhook_info_describe_the_bot() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let me = bot.get_me().await.unwrap();
    assert_eq!(me.id, UserId(BOT_ID as u64));
    assert_eq!(me.username(), BOT_USERNAME);
    assert!(me.is_bot);
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url, None);
    bot.delete_webhook().await.unwrap();
    let methods: Vec<String> = fake.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(methods, ["getMe", "getWebhookInfo", "deleteWebhook"]);
}

#[tokio::test]
async fn long_polling_dispatcher_with_throttle_echoes_and_shuts_down() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake).throttle(Limits::default());
    let handler =
        Update::filter_message().endpoint(|bot: Throttle<Bot>, msg: Message| async move {
            let text = msg.text().unwrap_or_default().to_owned();
            bot.send_message(msg.chat.id, format!("echo: {text}"))
                .await?;
            Ok::<(), RequestError>(())
        });
    let mut dispatcher = Dispatcher::builder(bot, handler).build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    let alice = TgUser::english(2002);
    let bob = TgUser::new(2003, "Bob");
    let alice_msg = fake.send_text(&alice, "hello");
    let bob_msg = fake.send_text(&bob, "សួស្តី");

    let reply = fake
        .wait_for("sendMessage", |c| c.chat_id() == Some(2002), WAIT)
        .await
        .unwrap();
    assert_eq!(reply.text(), Some("echo: hello"));
    fake.wait_for("sendMessage", |c| c.chat_id() == Some(2003), WAIT)
        .await
        .unwrap();
    assert_eq!(fake.sent_texts(2002), ["echo: hello"]);
    assert_eq!(fake.sent_texts(2003), ["echo: សួស្តី"]);
    // Each chat has its own message ids: the reply follows the user's message.
    let stored = fake.message(2002, alice_msg + 1).unwrap();
    assert_eq!(stored["text"], "echo: hello");
    assert_eq!(stored["from"]["id"], BOT_ID);
    assert_eq!(fake.message(2003, bob_msg + 1).unwrap()["text"], "echo: សួស្តី");
    assert!(!fake.calls_of("getMe").is_empty());
    assert!(fake.get_updates_count() >= 1);

    // Asks, and waits for the task rather than for teloxide's answer: that future can miss
    // the dispatcher's "done" (see `khqr_bot::bot::Bot::dispatch`).
    drop(shutdown.shutdown().expect("the dispatcher is running"));
    tokio::time::timeout(WAIT, running)
        .await
        .expect("the dispatcher stops after shutdown")
        .expect("the dispatcher task did not panic");
    assert_eq!(fake.pending_updates(), 0, "both updates were confirmed");
}

#[tokio::test]
async fn send_photo_keeps_the_uploaded_bytes() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake).throttle(Limits::default());
    let user = TgUser::english(3003);
    fake.register_user(&user);
    let card = png(300, 200, 1);
    let caption = "$5.00 · Coffee; \"shop\" ៛ ✓";

    let msg = bot
        .send_photo(
            ChatId(3003),
            InputFile::memory(card.clone()).file_name("khqr.png"),
        )
        .caption(caption)
        .reply_markup(keyboard(42))
        .await
        .unwrap();
    let biggest = msg.photo().unwrap().last().unwrap();
    assert_eq!((biggest.width, biggest.height), (300, 200));
    assert_eq!(msg.caption(), Some(caption));
    assert_eq!(msg.reply_markup(), Some(&keyboard(42)));
    assert_eq!(msg.chat.id, ChatId(3003));

    let sent = fake.sent_photos(3003);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].bytes, card);
    assert_eq!(sent[0].message_id, msg.id.0);
    assert_eq!(sent[0].caption.as_deref(), Some(caption));
    assert_eq!(
        sent[0].buttons,
        pairs(&[&[("Check now", "chk:42"), ("Cancel", "cxl:42")]])
    );
    assert_eq!(sent[0].file_id, biggest.file.id.0);
    assert!(fake.sent_photos(9999).is_empty());

    let call = &fake.calls_of("sendPhoto")[0];
    assert_eq!(call.method, "sendPhoto");
    assert_eq!(call.chat_id(), Some(3003));
    assert_eq!(call.caption(), Some(caption));
    assert_eq!(call.file("photo"), Some(card.as_slice()));
    assert_eq!(call.inline_buttons(), sent[0].buttons);

    // Re-sending by file id reuses the stored bytes.
    let again = bot
        .send_photo(ChatId(3003), InputFile::file_id(biggest.file.id.clone()))
        .await
        .unwrap();
    assert_eq!(fake.current_photo(3003, again.id.0), Some(card.clone()));
    assert!(again.caption().is_none());

    // Not an image, or an unknown chat: Telegram's errors.
    let err = bot
        .send_photo(ChatId(3003), InputFile::memory(b"not a png".to_vec()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::ImageProcessFailed)),
        "{err:?}"
    );
    let err = bot
        .send_photo(ChatId(4040), InputFile::memory(card))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::ChatNotFound)),
        "{err:?}"
    );
    assert_eq!(fake.sent_photos(3003).len(), 2);
}

#[tokio::test]
async fn edits_are_recorded_and_applied() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let user = TgUser::english(4004);
    let chat = ChatId(4004);
    let user_msg = fake.send_text(&user, "/charge 5");
    let first = png(64, 64, 1);
    let msg = bot
        .send_photo(chat, InputFile::memory(first.clone()).file_name("khqr.png"))
        .caption("Pending")
        .reply_markup(keyboard(1))
        .await
        .unwrap();

    // Caption edit without reply_markup removes the keyboard, like Telegram.
    let edited = bot
        .edit_message_caption(chat, msg.id)
        .caption("Paid ✅")
        .await
        .unwrap();
    assert_eq!(edited.caption(), Some("Paid ✅"));
    assert!(edited.reply_markup().is_none());
    assert!(edited.edit_date().is_some());
    let call = fake.calls_of("editMessageCaption").pop().unwrap();
    assert_eq!(
        (call.chat_id(), call.message_id()),
        (Some(4004), Some(msg.id.0))
    );
    assert_eq!(call.caption(), Some("Paid ✅"));

    // The same edit again changes nothing.
    let err = bot
        .edit_message_caption(chat, msg.id)
        .caption("Paid ✅")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageNotModified)),
        "{err:?}"
    );
    assert!(!fake.calls_of("editMessageCaption")[1].succeeded());

    // Media edit uploads a new picture.
    let second = png(120, 90, 2);
    let edited = bot
        .edit_message_media(
            chat,
            msg.id,
            InputMedia::Photo(
                InputMediaPhoto::new(InputFile::memory(second.clone()).file_name("paid.png"))
                    .caption("Paid"),
            ),
        )
        .reply_markup(keyboard(2))
        .await
        .unwrap();
    let biggest = edited.photo().unwrap().last().unwrap();
    assert_eq!((biggest.width, biggest.height), (120, 90));
    assert_eq!(edited.caption(), Some("Paid"));
    assert_eq!(edited.reply_markup(), Some(&keyboard(2)));
    assert_eq!(fake.current_photo(4004, msg.id.0), Some(second.clone()));
    assert_eq!(
        fake.sent_photos(4004)[0].bytes,
        first,
        "sent_photos keeps what was sent"
    );
    let call = fake.calls_of("editMessageMedia").pop().unwrap();
    assert_eq!(call.file("media"), Some(second.as_slice()));
    assert_eq!(call.params["media"]["type"], "photo");
    assert_eq!(call.caption(), Some("Paid"));
    assert_eq!(
        call.inline_buttons(),
        pairs(&[&[("Check now", "chk:2"), ("Cancel", "cxl:2")]])
    );

    // Reply markup edit: none → keyboard removed.
    let edited = bot.edit_message_reply_markup(chat, msg.id).await.unwrap();
    assert!(edited.reply_markup().is_none());
    assert!(
        fake.message(4004, msg.id.0)
            .unwrap()
            .get("reply_markup")
            .is_none()
    );
    assert_eq!(fake.message(4004, msg.id.0).unwrap()["caption"], "Paid");

    // Text edits.
    let text = bot.send_message(chat, "one").await.unwrap();
    let edited = bot.edit_message_text(chat, text.id, "two").await.unwrap();
    assert_eq!(edited.text(), Some("two"));
    let err = bot.edit_message_text(chat, msg.id, "x").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::Unknown(ref d)) if d.contains("no text")),
        "{err:?}"
    );

    // Missing messages and the user's own messages cannot be edited.
    let err = bot
        .edit_message_caption(chat, MessageId(9999))
        .caption("x")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageToEditNotFound)),
        "{err:?}"
    );
    let err = bot
        .edit_message_text(chat, MessageId(user_msg), "x")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageCantBeEdited)),
        "{err:?}"
    );
}

#[tokio::test]
async fn delete_message_is_recorded() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let user = TgUser::english(5005);
    let token_msg = fake.send_text(&user, "eyJhbGciOi.secret.token");
    let reply = bot.send_message(ChatId(5005), "saved").await.unwrap();

    bot.delete_message(ChatId(5005), MessageId(token_msg))
        .await
        .unwrap();
    bot.delete_message(ChatId(5005), reply.id).await.unwrap();
    assert_eq!(
        fake.deleted_messages(),
        [(5005, token_msg), (5005, reply.id.0)]
    );
    assert!(fake.message(5005, token_msg).is_none());

    let err = bot
        .delete_message(ChatId(5005), MessageId(token_msg))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageToDeleteNotFound)),
        "{err:?}"
    );
    assert_eq!(fake.deleted_messages().len(), 2);
    let calls = fake.calls_of("deleteMessage");
    assert_eq!(calls.len(), 3);
    assert_eq!(calls[0].message_id(), Some(token_msg));
}

#[tokio::test]
async fn button_press_reaches_the_callback_handler() {
    let fake = FakeTelegram::start().await;
    let plain = bot(&fake);
    let handler = Update::filter_callback_query().endpoint(
        |bot: Throttle<Bot>, query: CallbackQuery| async move {
            let data = query.data.clone().unwrap_or_default();
            bot.answer_callback_query(query.id.clone())
                .text(format!("got {data} from {}", query.from.id))
                .await?;
            if let Some(msg) = query.regular_message() {
                bot.edit_message_reply_markup(msg.chat.id, msg.id).await?;
            }
            Ok::<(), RequestError>(())
        },
    );
    let mut dispatcher =
        Dispatcher::builder(plain.clone().throttle(Limits::default()), handler).build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    let user = TgUser::khmer(6006);
    fake.register_user(&user);
    let card = plain
        .send_photo(ChatId(6006), InputFile::memory(png(32, 32, 3)))
        .reply_markup(keyboard(9))
        .await
        .unwrap();
    let callback_id = fake.press_button(&user, card.id.0, "chk:9");

    let answer = fake
        .wait_for(
            "answerCallbackQuery",
            |c| c.str_param("callback_query_id") == Some(callback_id.as_str()),
            WAIT,
        )
        .await
        .unwrap();
    assert_eq!(answer.text(), Some("got chk:9 from 6006"));
    assert!(answer.succeeded());
    let edit = fake
        .wait_for("editMessageReplyMarkup", |c| c.succeeded(), WAIT)
        .await
        .unwrap();
    assert_eq!(edit.message_id(), Some(card.id.0));
    assert!(
        fake.message(6006, card.id.0)
            .unwrap()
            .get("reply_markup")
            .is_none()
    );

    // A callback query can be answered once.
    let err = plain
        .answer_callback_query(CallbackQueryId(callback_id.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::InvalidQueryId)),
        "{err:?}"
    );

    // Asks, and waits for the task rather than for teloxide's answer: that future can miss
    // the dispatcher's "done" (see `khqr_bot::bot::Bot::dispatch`).
    drop(shutdown.shutdown().expect("the dispatcher is running"));
    tokio::time::timeout(WAIT, running).await.unwrap().unwrap();
}

#[tokio::test]
async fn injected_failures_surface_as_teloxide_errors() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let user = TgUser::english(7007);
    fake.register_user(&user);
    let chat = ChatId(7007);

    fake.fail_next("SendMessage", 1, Failure::RetryAfter(7));
    let err = bot.send_message(chat, "a").await.unwrap_err();
    assert!(
        matches!(err, RequestError::RetryAfter(s) if s.seconds() == 7),
        "{err:?}"
    );
    bot.send_message(chat, "b").await.unwrap();

    fake.fail_next("sendMessage", 2, Failure::Network);
    for _ in 0..2 {
        let err = bot.send_message(chat, "c").await.unwrap_err();
        assert!(matches!(err, RequestError::Network(_)), "{err:?}");
    }
    bot.send_message(chat, "d").await.unwrap();
    assert_eq!(
        fake.sent_texts(7007),
        ["b", "d"],
        "failed sends are not carried out"
    );

    // A lost answer: teloxide sees a network error, yet the photo is in the chat.
    fake.fail_next("sendPhoto", 1, Failure::ResponseLost);
    let err = bot
        .send_photo(chat, InputFile::memory(png(16, 16, 6)))
        .await
        .unwrap_err();
    assert!(matches!(err, RequestError::Network(_)), "{err:?}");
    let lost = fake.sent_photos(7007);
    assert_eq!(lost.len(), 1);
    assert!(fake.message(7007, lost[0].message_id).is_some());
    assert_eq!(
        fake.calls_of("sendPhoto")[0].error.as_deref(),
        Some("response lost (request carried out)")
    );

    let photo = bot
        .send_photo(chat, InputFile::memory(png(16, 16, 4)))
        .caption("x")
        .await
        .unwrap();
    fake.fail_next("editMessageCaption", 1, Failure::MessageNotModified);
    let err = bot
        .edit_message_caption(chat, photo.id)
        .caption("y")
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageNotModified)),
        "{err:?}"
    );

    fake.fail_next(
        "sendPhoto",
        1,
        Failure::Api {
            code: 403,
            description: "Forbidden: bot was blocked by the user".into(),
        },
    );
    let err = bot
        .send_photo(chat, InputFile::memory(png(16, 16, 5)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::BotBlocked)),
        "{err:?}"
    );
    assert_eq!(fake.sent_photos(7007).len(), 2);

    let calls = fake.calls_of("sendMessage");
    let errors: Vec<Option<&str>> = calls.iter().map(|c| c.error.as_deref()).collect();
    assert_eq!(
        errors,
        [
            Some("Too Many Requests: retry after 7"),
            None,
            Some("network failure"),
            Some("network failure"),
            None
        ]
    );

    // A Throttle with default settings waits out RetryAfter and retries sends by itself.
    let throttled = bot.clone().throttle(Limits::default());
    let mark = fake.call_count();
    fake.fail_next("sendMessage", 1, Failure::RetryAfter(1));
    throttled.send_message(chat, "e").await.unwrap();
    let tries: Vec<bool> = fake.calls()[mark..]
        .iter()
        .filter(|c| c.is("sendMessage"))
        .map(|c| c.succeeded())
        .collect();
    assert_eq!(tries, [false, true]);
    // …but edits are not throttled, so the error reaches the caller.
    fake.fail_next("editMessageCaption", 1, Failure::RetryAfter(3));
    let err = throttled
        .edit_message_caption(chat, photo.id)
        .caption("z")
        .await
        .unwrap_err();
    assert!(matches!(err, RequestError::RetryAfter(_)), "{err:?}");

    // getUpdates failures too.
    fake.fail_next("getUpdates", 1, Failure::RetryAfter(2));
    let err = bot.get_updates().await.unwrap_err();
    assert!(matches!(err, RequestError::RetryAfter(_)), "{err:?}");
}

#[tokio::test]
async fn raw_http_status_unknown_method_and_wrong_token() {
    let fake = FakeTelegram::start().await;
    let http = reqwest::Client::new();
    let url = |method: &str| {
        // Not Url::join: "bot1:…" would parse as a URL scheme.
        format!("{}bot{}/{method}", fake.api_url(), fake.bot_token())
    };

    // A 5xx is a plain HTTP answer (teloxide itself would sleep 10 s on it).
    fake.fail_next("getMe", 1, Failure::Status(500));
    let response = http
        .post(url("GetMe"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 500, "description": "Internal Server Error"})
    );

    // Method names match case-insensitively and are recorded lowerCamel.
    let response = http.post(url("GETME")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(body["result"]["id"], BOT_ID);

    // Unknown methods: recorded, 404 like Telegram.
    let response = http
        .post(url("sendDice"))
        .json(&json!({"chat_id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["description"], "Not Found");
    let methods: Vec<String> = fake.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(methods, ["getMe", "getMe", "sendDice"]);
    assert_eq!(fake.calls_of("senddice")[0].int_param("chat_id"), Some(1));

    // A wrong token is unauthorized.
    let stranger = Bot::new("1:wrong").set_api_url(fake.api_url());
    let err = stranger.get_me().await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::InvalidToken)),
        "{err:?}"
    );
}

#[tokio::test]
async fn commands_are_recorded_per_language() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    bot.set_my_commands([
        BotCommand::new("charge", "Create a KHQR charge"),
        BotCommand::new("help", "How to use the bot"),
    ])
    .await
    .unwrap();
    bot.set_my_commands([BotCommand::new("charge", "បង្កើតការទូទាត់")])
        .language_code("km")
        .await
        .unwrap();

    let pair = |c: &str, d: &str| (c.to_owned(), d.to_owned());
    assert_eq!(
        fake.set_commands_for(None),
        Some(vec![
            pair("charge", "Create a KHQR charge"),
            pair("help", "How to use the bot")
        ])
    );
    assert_eq!(
        fake.set_commands_for(Some("km")),
        Some(vec![pair("charge", "បង្កើតការទូទាត់")])
    );
    assert_eq!(fake.set_commands_for(Some("fr")), None);
    let km = bot.get_my_commands().language_code("km").await.unwrap();
    assert_eq!(km, [BotCommand::new("charge", "បង្កើតការទូទាត់")]);

    // Telegram rejects upper-case command names.
    let err = bot
        .set_my_commands([BotCommand::new("Charge", "x")])
        .await
        .unwrap_err();
    assert!(matches!(err, RequestError::Api(_)), "{err:?}");
    assert_eq!(fake.set_commands_for(None).unwrap().len(), 2);
}

#[tokio::test]
async fn long_poll_waits_for_updates_and_returns_empty_when_idle() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    // The fake caps the wait, so a long timeout still comes back (empty).
    let idle = bot.get_updates().timeout(30).await.unwrap();
    assert!(idle.is_empty());

    // An update queued while a poll is waiting is delivered to that poll.
    let poller = {
        let bot = bot.clone();
        tokio::spawn(async move { bot.get_updates().timeout(30).await })
    };
    let user = TgUser::english(8008);
    // Let the poll arrive first when possible; correctness does not depend on it.
    tokio::time::timeout(WAIT, async {
        while fake.get_updates_count() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
    .expect("the poll reaches the fake");
    fake.send_text(&user, "hi");
    let mut got = poller.await.unwrap().unwrap();
    if got.is_empty() {
        got = bot.get_updates().await.unwrap();
    }
    assert_eq!(got.len(), 1);
    assert!(matches!(&got[0].kind, UpdateKind::Message(m) if m.text() == Some("hi")));
}

#[tokio::test]
async fn allowed_updates_are_remembered_and_filter_deliveries() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let user = TgUser::english(1212);
    let message_id = fake.send_text(&user, "hi");
    fake.press_button(&user, message_id, "x");

    let got = bot
        .get_updates()
        .allowed_updates([AllowedUpdate::Message])
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert!(matches!(&got[0].kind, UpdateKind::Message(m) if m.text() == Some("hi")));

    // Telegram remembers the choice: a later poll without allowed_updates still filters.
    fake.press_button(&user, message_id, "y");
    fake.send_text(&user, "again");
    let got = bot
        .get_updates()
        .offset(got[0].id.as_offset())
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert!(matches!(&got[0].kind, UpdateKind::Message(m) if m.text() == Some("again")));
}

#[tokio::test]
async fn telegram_limits_are_enforced() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    fake.register_user(&TgUser::english(9009));
    let chat = ChatId(9009);

    let long_data =
        InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("x", "d".repeat(65))]]);
    let err = bot
        .send_message(chat, "x")
        .reply_markup(long_data)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::ButtonDataInvalid)),
        "{err:?}"
    );
    let max_data =
        InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("x", "d".repeat(64))]]);
    bot.send_message(chat, "x")
        .reply_markup(max_data)
        .await
        .unwrap();

    let err = bot
        .send_photo(chat, InputFile::memory(png(8, 8, 1)))
        .caption("x".repeat(1025))
        .await
        .unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::Unknown(ref d)) if d.contains("caption is too long")),
        "{err:?}"
    );
    let err = bot.send_message(chat, "x".repeat(4097)).await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageIsTooLong)),
        "{err:?}"
    );
    let err = bot.send_message(chat, "").await.unwrap_err();
    assert!(
        matches!(err, RequestError::Api(ApiError::MessageTextIsEmpty)),
        "{err:?}"
    );
}

#[tokio::test]
async fn wait_for_reports_what_it_saw() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    fake.register_user(&TgUser::english(1111));
    bot.send_message(ChatId(1111), "only a text").await.unwrap();

    let err = fake
        .wait_for("sendPhoto", |_| true, Duration::from_millis(50))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no `sendPhoto` call"), "{err}");
    assert!(err.contains("sendMessage"), "{err}");
    assert!(err.contains("only a text"), "{err}");

    let mark = fake.call_count();
    let err = fake
        .wait_for_since(mark, "sendMessage", |_| true, Duration::from_millis(50))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("calls #{mark}..")), "{err}");
    bot.send_message(ChatId(1111), "second").await.unwrap();
    let second = fake
        .wait_for_since(mark, "sendMessage", |_| true, WAIT)
        .await
        .unwrap();
    assert_eq!(second.text(), Some("second"));
}

#[tokio::test]
async fn the_chat_reads_as_a_person_sees_it_and_subscribers_hear_of_changes() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let user = TgUser::english(5005);
    let chat = ChatId(5005);
    let mut changes = fake.subscribe();
    assert!(fake.chat(5005).is_empty(), "nobody wrote yet");

    let asked = fake.send_text(&user, "/charge 5 USD coffee");
    assert!(
        changes.has_changed().unwrap(),
        "an injected message is a change"
    );
    changes.mark_unchanged();
    let card = png(40, 30, 9);
    let photo = bot
        .send_photo(chat, InputFile::memory(card.clone()).file_name("khqr.png"))
        .caption("Pending")
        .reply_markup(keyboard(3))
        .await
        .unwrap();
    let note = bot.send_message(chat, "checking…").await.unwrap();
    tokio::time::timeout(WAIT, changes.changed())
        .await
        .expect("a subscriber hears of the bot's messages")
        .unwrap();
    bot.edit_message_caption(chat, photo.id)
        .caption("Paid ✅")
        .await
        .unwrap();
    bot.delete_message(chat, note.id).await.unwrap();

    let messages = fake.chat(5005);
    let ids: Vec<i32> = messages.iter().map(|m| m.message_id).collect();
    assert_eq!(ids, [asked, photo.id.0], "the deleted message is gone");
    let (question, card_now) = (&messages[0], &messages[1]);
    assert!(!question.from_bot);
    assert_eq!(question.sender, "User5005");
    assert_eq!(question.text.as_deref(), Some("/charge 5 USD coffee"));
    assert!(!question.edited);
    assert!(card_now.from_bot);
    assert_eq!(card_now.sender, "KHQR Test Bot");
    assert_eq!(card_now.text, None);
    assert_eq!(card_now.caption.as_deref(), Some("Paid ✅"));
    assert!(
        card_now.buttons.is_empty(),
        "an edit without markup drops the keyboard"
    );
    assert!(card_now.edited);
    let file_id = card_now.photo_file_id.as_deref().expect("a photo message");
    assert_eq!(fake.file(file_id), Some(card));
    assert_eq!(fake.file("no-such-file"), None);
}

#[tokio::test]
async fn the_emulator_listens_on_loopback_only() {
    let everywhere = std::net::SocketAddr::from(([0, 0, 0, 0], 0));
    let err = TelegramEmulator::start(everywhere).await.err().unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);

    let fake = TelegramEmulator::start(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    assert!(fake.addr().ip().is_loopback());
    assert_ne!(
        fake.addr().port(),
        0,
        "port 0 means a free port, which is reported"
    );
    assert_eq!(
        fake.api_url().as_str(),
        format!("http://127.0.0.1:{}/", fake.addr().port())
    );
}

#[tokio::test]
async fn a_flood_arrives_in_one_get_updates_answer() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let flooder = TgUser::english(3001);
    let ids = fake.flood_texts(&flooder, (0..150).map(|i| format!("spam {i}")));
    assert_eq!(ids.len(), 150);
    let members: Vec<TgUser> = (0..30).map(|i| TgUser::english(3100 + i)).collect();
    fake.flood_group(-100_300, &members, "/help");
    let strangers: Vec<TgUser> = (0..20).map(|i| TgUser::english(3200 + i)).collect();
    fake.flood_users(&strangers, "hello");

    // Telegram's 100 at a time, in the order they were sent.
    let first = bot.get_updates().await.unwrap();
    assert_eq!(first.len(), 100);
    let texts: Vec<&str> = first
        .iter()
        .filter_map(|u| match &u.kind {
            UpdateKind::Message(m) => m.text(),
            _ => None,
        })
        .collect();
    assert_eq!(texts[0], "spam 0");
    assert_eq!(texts[99], "spam 99");
    let rest = bot
        .get_updates()
        .offset(first[99].id.as_offset())
        .await
        .unwrap();
    assert_eq!(rest.len(), 100);
    let senders: std::collections::BTreeSet<i64> = rest
        .iter()
        .filter_map(|u| u.from().map(|f| f.id.0 as i64))
        .collect();
    assert!(senders.contains(&3001) && senders.contains(&3129) && senders.contains(&3219));
    let group_messages = rest
        .iter()
        .filter(|u| u.chat().is_some_and(|c| c.id == ChatId(-100_300)))
        .count();
    assert_eq!(group_messages, 30);
}

#[tokio::test]
async fn hammered_presses_are_open_until_answered() {
    let fake = FakeTelegram::start().await;
    let bot = bot(&fake);
    let user = TgUser::english(3301);
    fake.send_text(&user, "/start");
    let card = bot
        .send_message(ChatId(user.id), "card")
        .reply_markup(keyboard(1))
        .await
        .unwrap();
    let presses = fake.flood_presses(&user, card.id.0, "chk:1", 5);
    assert_eq!(presses.len(), 5);
    assert!(presses.iter().all(|id| !fake.is_answered(id)));
    bot.answer_callback_query(CallbackQueryId(presses[2].clone()))
        .await
        .unwrap();
    let answered: Vec<bool> = presses.iter().map(|id| fake.is_answered(id)).collect();
    assert_eq!(answered, [false, false, true, false, false]);
}
