//! The Bot API methods the emulator carries out, one file per family.

mod callbacks;
mod commands;
mod edits;
mod inline;
mod messages;
mod params;

pub(super) use params::bot_user_json;

use serde_json::{Map, Value, json};

use super::answers::ApiErr;
use super::body::Parts;
use super::state::EmulatorState;
use super::{BOT_FIRST_NAME, BOT_ID, BOT_USERNAME};

/// Carries out `method` (any but `getUpdates`) and returns its `result`.
pub(crate) fn dispatch(
    st: &mut EmulatorState,
    method: &str,
    params: &Map<String, Value>,
    parts: &Parts,
) -> Result<Value, ApiErr> {
    match method {
        "getMe" => Ok(json!({
            "id": BOT_ID,
            "is_bot": true,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
            "can_join_groups": true,
            "can_read_all_group_messages": false,
            "supports_inline_queries": st.inline_mode,
            "can_connect_to_business": false,
            "has_main_web_app": false,
        })),
        "getWebhookInfo" => Ok(super::webhook::webhook_info(st)),
        "setWebhook" => super::webhook::set_webhook(st, params),
        "deleteWebhook" => Ok(super::webhook::delete_webhook(st, params)),
        "sendChatAction" => Ok(json!(true)),
        "setMyCommands" => commands::set_my_commands(st, params),
        "getMyCommands" => Ok(commands::get_my_commands(st, params)),
        "deleteMyCommands" => Ok(commands::delete_my_commands(st, params)),
        "sendMessage" => messages::send_message(st, params),
        "sendPhoto" => messages::send_photo(st, params, parts),
        "sendDocument" => messages::send_document(st, params, parts),
        "deleteMessage" => messages::delete_message(st, params),
        "editMessageText" => edits::edit_message_text(st, params),
        "editMessageCaption" => edits::edit_message_caption(st, params),
        "editMessageMedia" => edits::edit_message_media(st, params, parts),
        "editMessageReplyMarkup" => edits::edit_message_reply_markup(st, params),
        "answerCallbackQuery" => callbacks::answer_callback_query(st, params),
        "answerInlineQuery" => inline::answer_inline_query(st, params),
        _ => Err(ApiErr::not_found()),
    }
}
