//! Editing the bot's own messages: text, caption, photo, inline keyboard — with Telegram's
//! "message is not modified" rule — by chat and message id, or by `inline_message_id` for a
//! message sent through inline mode (which takes no uploads: media by `file_id` only).

use serde_json::{Map, Value, json};

use super::super::answers::{ApiErr, MESSAGE_NOT_MODIFIED};
use super::super::body::Parts;
use super::super::files::{photo_sizes, resolve_photo};
use super::super::state::{EmulatorState, StoredMessage};
use super::super::values::now_unix;
use super::params::{
    bot_chat, caption_param, chat_id_param, check_text, message_id_param, reply_markup_param,
    set_or_remove,
};

/// Telegram's answer to an upload in an edit of an inline message (the Bot API: "a new file
/// can't be uploaded; use a previously uploaded file via its file_id or specify a URL").
pub(crate) const INLINE_UPLOAD_REFUSED: &str =
    "can't upload a new file to an inline message: media must be a file_id or an HTTP URL";

/// The message an edit is for: the bot's own message addressed by `chat_id` + `message_id`,
/// or a message sent through inline mode addressed by `inline_message_id` (then `true`).
fn editable<'a>(
    st: &'a mut EmulatorState,
    params: &Map<String, Value>,
) -> Result<(&'a mut StoredMessage, bool), ApiErr> {
    if let Some(id) = params.get("inline_message_id") {
        let id = id.as_str().unwrap_or("");
        let Some(&(chat_id, message_id)) = st.inline_messages.get(id) else {
            return Err(ApiErr::bad_request("MESSAGE_ID_INVALID"));
        };
        let stored = st
            .chats
            .get_mut(&chat_id)
            .and_then(|chat| chat.messages.get_mut(&message_id))
            .ok_or_else(|| ApiErr::bad_request("MESSAGE_ID_INVALID"))?;
        return Ok((stored, true));
    }
    let chat_id = chat_id_param(params)?;
    let message_id = message_id_param(params)?;
    let chat = bot_chat(st, chat_id)?;
    let Some(stored) = chat.messages.get_mut(&message_id) else {
        return Err(ApiErr::bad_request("message to edit not found"));
    };
    if !stored.from_bot {
        return Err(ApiErr::bad_request("message can't be edited"));
    }
    Ok((stored, false))
}

/// Applies `new`; an edit of an inline message answers `true`, any other the message.
fn finish_edit(stored: &mut StoredMessage, new: Value, inline: bool) -> Result<Value, ApiErr> {
    if new == without_edit_date(&stored.json) {
        return Err(ApiErr {
            code: 400,
            description: MESSAGE_NOT_MODIFIED.to_owned(),
            retry_after: None,
        });
    }
    let mut new = new;
    new["edit_date"] = json!(now_unix());
    stored.json = new.clone();
    Ok(if inline { json!(true) } else { new })
}

fn without_edit_date(message: &Value) -> Value {
    let mut message = message.clone();
    set_or_remove(&mut message, "edit_date", None);
    message
}

pub(super) fn edit_message_text(
    st: &mut EmulatorState,
    params: &Map<String, Value>,
) -> Result<Value, ApiErr> {
    let text = params.get("text").and_then(Value::as_str).unwrap_or("");
    check_text(text)?;
    let markup = reply_markup_param(params)?;
    let (stored, inline) = editable(st, params)?;
    if stored.json.get("text").is_none() {
        return Err(ApiErr::bad_request(
            "there is no text in the message to edit",
        ));
    }
    let mut new = without_edit_date(&stored.json);
    new["text"] = json!(text);
    set_or_remove(&mut new, "reply_markup", markup);
    finish_edit(stored, new, inline)
}

pub(super) fn edit_message_caption(
    st: &mut EmulatorState,
    params: &Map<String, Value>,
) -> Result<Value, ApiErr> {
    let caption = caption_param(params.get("caption"))?;
    let markup = reply_markup_param(params)?;
    let (stored, inline) = editable(st, params)?;
    if stored.photo_file_id.is_none() {
        return Err(ApiErr::bad_request(
            "there is no caption in the message to edit",
        ));
    }
    let mut new = without_edit_date(&stored.json);
    set_or_remove(&mut new, "caption", caption.map(Value::from));
    set_or_remove(&mut new, "reply_markup", markup);
    finish_edit(stored, new, inline)
}

pub(super) fn edit_message_media(
    st: &mut EmulatorState,
    params: &Map<String, Value>,
    parts: &Parts,
) -> Result<Value, ApiErr> {
    let Some(media) = params.get("media").filter(|m| m.is_object()) else {
        return Err(ApiErr::bad_request(
            "can't parse InputMedia: media is not an object",
        ));
    };
    if media.get("type").and_then(Value::as_str) != Some("photo") {
        return Err(ApiErr::bad_request(
            "telegram emulator only models InputMediaPhoto in editMessageMedia",
        ));
    }
    let caption = caption_param(media.get("caption"))?;
    let markup = reply_markup_param(params)?;
    // Check the target before storing the upload.
    let (target, inline) = editable(st, params)?;
    if target.photo_file_id.is_none() {
        return Err(ApiErr::bad_request(
            "there is no media in the message to edit",
        ));
    }
    let uploads = media
        .get("media")
        .and_then(Value::as_str)
        .is_some_and(|m| m.starts_with("attach://"));
    if inline && uploads {
        return Err(ApiErr::bad_request(INLINE_UPLOAD_REFUSED));
    }
    let (file_id, bytes) = resolve_photo(st, media.get("media"), parts)?;
    let (stored, inline) = editable(st, params)?;
    let mut new = without_edit_date(&stored.json);
    new["photo"] = photo_sizes(&file_id, &bytes);
    set_or_remove(&mut new, "caption", caption.map(Value::from));
    set_or_remove(&mut new, "reply_markup", markup);
    let edited = finish_edit(stored, new, inline)?;
    stored.photo_file_id = Some(file_id);
    Ok(edited)
}

pub(super) fn edit_message_reply_markup(
    st: &mut EmulatorState,
    params: &Map<String, Value>,
) -> Result<Value, ApiErr> {
    let markup = reply_markup_param(params)?;
    let (stored, inline) = editable(st, params)?;
    let mut new = without_edit_date(&stored.json);
    set_or_remove(&mut new, "reply_markup", markup);
    finish_edit(stored, new, inline)
}
