//! Reading and checking the parameters methods share, against Telegram's limits.

use serde_json::{Map, Value, json};

use super::super::answers::ApiErr;
use super::super::state::{ChatState, EmulatorState};
use super::super::values::{as_i64, utf16_len};
use super::super::{BOT_FIRST_NAME, BOT_ID, BOT_USERNAME};

const MAX_TEXT_UTF16: usize = 4096;
const MAX_CAPTION_UTF16: usize = 1024;
const MAX_CALLBACK_DATA_BYTES: usize = 64;

pub(super) fn chat_id_param(params: &Map<String, Value>) -> Result<i64, ApiErr> {
    match params.get("chat_id") {
        None => Err(ApiErr::bad_request("chat_id is empty")),
        Some(value) => as_i64(value).ok_or_else(|| ApiErr::bad_request("chat not found")),
    }
}

pub(super) fn message_id_param(params: &Map<String, Value>) -> Result<i32, ApiErr> {
    params
        .get("message_id")
        .and_then(as_i64)
        .and_then(|id| i32::try_from(id).ok())
        .ok_or_else(|| ApiErr::bad_request("message identifier is not specified"))
}

pub(super) fn bot_chat(st: &mut EmulatorState, chat_id: i64) -> Result<&mut ChatState, ApiErr> {
    st.chats
        .get_mut(&chat_id)
        .ok_or_else(|| ApiErr::bad_request("chat not found"))
}

pub(crate) fn bot_user_json() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME })
}

/// Validates `reply_markup` and returns what a message echoes back: an inline keyboard, or
/// `None` for no markup / a reply keyboard (Telegram does not echo those).
pub(super) fn reply_markup_param(params: &Map<String, Value>) -> Result<Option<Value>, ApiErr> {
    let Some(markup) = params.get("reply_markup") else {
        return Ok(None);
    };
    let Some(rows) = markup.get("inline_keyboard") else {
        if markup.is_object() {
            return Ok(None);
        }
        return Err(ApiErr::bad_request(
            "can't parse reply keyboard markup JSON object",
        ));
    };
    let Some(rows) = rows.as_array() else {
        return Err(ApiErr::bad_request(
            "can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays",
        ));
    };
    for row in rows {
        let Some(buttons) = row.as_array() else {
            return Err(ApiErr::bad_request(
                "can't parse inline keyboard button: InlineKeyboardMarkup must be an Array of Arrays",
            ));
        };
        for button in buttons {
            let text = button.get("text").and_then(Value::as_str).unwrap_or("");
            if text.is_empty() {
                return Err(ApiErr::bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
                ));
            }
            if let Some(data) = button.get("callback_data") {
                let data = data.as_str().unwrap_or("");
                if data.is_empty() || data.len() > MAX_CALLBACK_DATA_BYTES {
                    return Err(ApiErr::bad_request("BUTTON_DATA_INVALID"));
                }
            }
        }
    }
    if rows.is_empty() {
        return Ok(None);
    }
    Ok(Some(markup.clone()))
}

pub(super) fn check_text(text: &str) -> Result<(), ApiErr> {
    if text.trim().is_empty() {
        return Err(ApiErr::bad_request("message text is empty"));
    }
    if utf16_len(text) > MAX_TEXT_UTF16 {
        return Err(ApiErr::bad_request("message is too long"));
    }
    Ok(())
}

pub(super) fn caption_param(value: Option<&Value>) -> Result<Option<String>, ApiErr> {
    match value.and_then(Value::as_str) {
        None | Some("") => Ok(None),
        Some(caption) if utf16_len(caption) > MAX_CAPTION_UTF16 => {
            Err(ApiErr::bad_request("message caption is too long"))
        }
        Some(caption) => Ok(Some(caption.to_owned())),
    }
}

pub(super) fn set_or_remove(message: &mut Value, key: &str, value: Option<Value>) {
    if let Some(obj) = message.as_object_mut() {
        match value {
            Some(v) => {
                obj.insert(key.to_owned(), v);
            }
            None => {
                obj.remove(key);
            }
        }
    }
}
