//! The emulator's inline mode against real teloxide: Telegram's rules a bot can trip over
//! (no `inline_message_id` without a keyboard, no chosen result without inline feedback,
//! no uploads to an inline message, presses without `message`, `getMe`'s flag).

use teloxide::prelude::*;
use teloxide::types::{
    FileId, InlineKeyboardButton, InlineKeyboardMarkup, InlineQueryResult,
    InlineQueryResultCachedPhoto, InputFile, InputMedia, InputMediaPhoto, UpdateKind,
};

use crate::support::fake_telegram::{FakeTelegram, TgUser};

const CHAT: i64 = 880_000_002;

fn png() -> Vec<u8> {
    std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/images/status-paid.png"
    ))
    .unwrap()
}

async fn updates(bot: &Bot, offset: &mut i32) -> Vec<Update> {
    let got = bot.get_updates().offset(*offset).timeout(0).await.unwrap();
    if let Some(last) = got.last() {
        *offset = i32::try_from(last.id.0).unwrap() + 1;
    }
    got
}

#[tokio::test]
async fn inline_queries_chosen_results_and_edits_follow_telegrams_rules() {
    let tg = FakeTelegram::start().await;
    let bot = Bot::new(tg.bot_token()).set_api_url(tg.api_url());
    assert!(bot.get_me().await.unwrap().supports_inline_queries);
    tg.set_inline_mode(false);
    assert!(!bot.get_me().await.unwrap().supports_inline_queries);

    let seller = TgUser::english(4101);
    tg.register_user(&seller);
    let photo = bot
        .send_photo(ChatId(seller.id), InputFile::memory(png()))
        .await
        .unwrap();
    let file = photo.photo().unwrap().last().unwrap().file.id.clone();

    let mut offset = 0;
    let qid = tg.send_inline_query(&seller, "5 USD", "private");
    let got = updates(&bot, &mut offset).await;
    let UpdateKind::InlineQuery(q) = &got[0].kind else {
        panic!("{got:?}");
    };
    assert_eq!(q.query, "5 USD");
    let keyboard = InlineKeyboardMarkup::new([[InlineKeyboardButton::callback("Check", "chk:1")]]);
    let with_keys = InlineQueryResult::CachedPhoto(
        InlineQueryResultCachedPhoto::new("k", file.clone()).reply_markup(keyboard),
    );
    let bare = InlineQueryResult::CachedPhoto(InlineQueryResultCachedPhoto::new("b", file.clone()));
    let unknown = InlineQueryResult::CachedPhoto(InlineQueryResultCachedPhoto::new(
        "u",
        FileId("no-such-file".into()),
    ));
    assert!(
        bot.answer_inline_query(q.id.clone(), [unknown])
            .await
            .is_err()
    );
    bot.answer_inline_query(q.id.clone(), [with_keys, bare])
        .is_personal(true)
        .await
        .unwrap();
    // Answered once only.
    assert!(bot.answer_inline_query(q.id.clone(), []).await.is_err());
    assert_eq!(tg.inline_answer(&qid).unwrap().results.len(), 2);

    // Without a keyboard: no inline_message_id, never editable.
    let bare = tg.choose_inline_result(&seller, &qid, "b", CHAT).unwrap();
    assert_eq!(bare.inline_message_id, None);
    let keyed = tg.choose_inline_result(&seller, &qid, "k", CHAT).unwrap();
    let inline_id = keyed.inline_message_id.clone().unwrap();
    assert!(
        tg.choose_inline_result(&TgUser::english(4102), &qid, "k", CHAT)
            .is_err()
    );
    let got = updates(&bot, &mut offset).await;
    let chosen: Vec<_> = got
        .iter()
        .filter_map(|u| match &u.kind {
            UpdateKind::ChosenInlineResult(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(chosen.len(), 2);
    assert_eq!(chosen[0].inline_message_id, None);
    assert_eq!(
        chosen[1].inline_message_id.as_deref(),
        Some(inline_id.as_str())
    );
    // Without inline feedback the bot hears nothing of a choice.
    tg.set_inline_feedback(false);
    tg.choose_inline_result(&seller, &qid, "k", CHAT).unwrap();
    assert!(updates(&bot, &mut offset).await.is_empty());

    // Edits by inline_message_id: an upload is refused, a file_id works.
    let upload = InputMedia::Photo(InputMediaPhoto::new(InputFile::memory(png())));
    let err = bot
        .edit_message_media_inline(&inline_id, upload)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("file_id"), "{err}");
    let by_id = InputMedia::Photo(InputMediaPhoto::new(InputFile::file_id(file)).caption("Paid"));
    bot.edit_message_media_inline(&inline_id, by_id)
        .reply_markup(InlineKeyboardMarkup::new(Vec::<Vec<_>>::new()))
        .await
        .unwrap();
    let (chat, message) = tg.inline_message(&inline_id).unwrap();
    assert_eq!((chat, message.caption.as_deref()), (CHAT, Some("Paid")));
    assert!(message.buttons.is_empty());
    assert!(!message.from_bot);
    bot.edit_message_caption_inline(&inline_id)
        .caption("Paid ✅")
        .await
        .unwrap();
    assert!(
        bot.edit_message_caption_inline("nope")
            .caption("x")
            .await
            .is_err()
    );

    // A press on it: a callback query with inline_message_id and no message.
    let customer = TgUser::english(4103);
    let cbq = tg.press_inline_button(&customer, &inline_id, "chk:1");
    let got = updates(&bot, &mut offset).await;
    let UpdateKind::CallbackQuery(press) = &got[0].kind else {
        panic!("{got:?}");
    };
    assert_eq!(press.id.0, cbq);
    assert_eq!(press.inline_message_id.as_deref(), Some(inline_id.as_str()));
    assert!(press.message.is_none());
    assert_eq!(press.from.id.0, 4103);
}
