//! Sending and deleting messages: `sendMessage`, `sendPhoto`, `sendDocument`,
//! `deleteMessage`.

use serde_json::{Map, Value, json};

use super::super::answers::ApiErr;
use super::super::body::Parts;
use super::super::files::{photo_sizes, resolve_document, resolve_photo};
use super::super::state::{EmulatorState, SentPhoto, StoredMessage};
use super::super::values::{inline_buttons, now_unix};
use super::params::{
    bot_chat, bot_user_json, caption_param, chat_id_param, check_text, message_id_param,
    reply_markup_param, set_or_remove,
};

pub(super) fn send_message(
    st: &mut EmulatorState,
    params: &Map<String, Value>,
) -> Result<Value, ApiErr> {
    let chat_id = chat_id_param(params)?;
    let text = params.get("text").and_then(Value::as_str).unwrap_or("");
    check_text(text)?;
    let markup = reply_markup_param(params)?;
    let chat = bot_chat(st, chat_id)?;
    let message_id = chat.next_message_id();
    let mut message = json!({
        "message_id": message_id,
        "date": now_unix(),
        "chat": chat.chat_json(),
        "from": bot_user_json(),
        "text": text,
    });
    set_or_remove(&mut message, "reply_markup", markup);
    chat.messages.insert(
        message_id,
        StoredMessage {
            json: message.clone(),
            from_bot: true,
            photo_file_id: None,
            inline_message_id: None,
        },
    );
    Ok(message)
}

pub(super) fn send_photo(
    st: &mut EmulatorState,
    params: &Map<String, Value>,
    parts: &Parts,
) -> Result<Value, ApiErr> {
    let chat_id = chat_id_param(params)?;
    if !st.chats.contains_key(&chat_id) {
        return Err(ApiErr::bad_request("chat not found"));
    }
    let caption = caption_param(params.get("caption"))?;
    let markup = reply_markup_param(params)?;
    let (file_id, bytes) = resolve_photo(st, params.get("photo"), parts)?;
    let chat = bot_chat(st, chat_id)?;
    let message_id = chat.next_message_id();
    let mut message = json!({
        "message_id": message_id,
        "date": now_unix(),
        "chat": chat.chat_json(),
        "from": bot_user_json(),
        "photo": photo_sizes(&file_id, &bytes),
    });
    set_or_remove(&mut message, "caption", caption.clone().map(Value::from));
    set_or_remove(&mut message, "reply_markup", markup.clone());
    chat.messages.insert(
        message_id,
        StoredMessage {
            json: message.clone(),
            from_bot: true,
            photo_file_id: Some(file_id.clone()),
            inline_message_id: None,
        },
    );
    st.sent_photos.push((
        chat_id,
        SentPhoto {
            message_id,
            file_id,
            bytes: bytes.to_vec(),
            caption,
            buttons: inline_buttons(markup.as_ref()),
        },
    ));
    Ok(message)
}

/// `sendDocument`: any non-empty file (or a known `file_id`), with an optional caption.
pub(super) fn send_document(
    st: &mut EmulatorState,
    params: &Map<String, Value>,
    parts: &Parts,
) -> Result<Value, ApiErr> {
    let chat_id = chat_id_param(params)?;
    if !st.chats.contains_key(&chat_id) {
        return Err(ApiErr::bad_request("chat not found"));
    }
    let caption = caption_param(params.get("caption"))?;
    let markup = reply_markup_param(params)?;
    let (file_id, bytes, file_name) = resolve_document(st, params.get("document"), parts)?;
    let chat = bot_chat(st, chat_id)?;
    let message_id = chat.next_message_id();
    let mut message = json!({
        "message_id": message_id,
        "date": now_unix(),
        "chat": chat.chat_json(),
        "from": bot_user_json(),
        "document": {
            "file_id": file_id,
            "file_unique_id": format!("AQADDoc{}", file_id.trim_start_matches("AgACAgFake")),
            "file_size": bytes.len(),
        },
    });
    if let Some(name) = file_name {
        message["document"]["file_name"] = Value::from(name);
    }
    set_or_remove(&mut message, "caption", caption.map(Value::from));
    set_or_remove(&mut message, "reply_markup", markup);
    chat.messages.insert(
        message_id,
        StoredMessage {
            json: message.clone(),
            from_bot: true,
            photo_file_id: None,
            inline_message_id: None,
        },
    );
    Ok(message)
}

pub(super) fn delete_message(
    st: &mut EmulatorState,
    params: &Map<String, Value>,
) -> Result<Value, ApiErr> {
    let chat_id = chat_id_param(params)?;
    let message_id = message_id_param(params)?;
    let chat = bot_chat(st, chat_id)?;
    if chat.messages.remove(&message_id).is_none() {
        return Err(ApiErr::bad_request("message to delete not found"));
    }
    st.deleted.push((chat_id, message_id));
    Ok(json!(true))
}
