//! A chat as a person sees it: the messages that exist now, edits applied.

use serde_json::Value;

use super::state::StoredMessage;
use super::values::inline_buttons;

/// One message of a chat as it is now (after edits; deleted messages are not listed), as
/// [`TelegramEmulator::chat`](super::TelegramEmulator::chat) returns them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChatMessage {
    /// Message id, counting up per chat.
    pub message_id: i32,
    /// Sent by the bot (else by the user, or a member of the group).
    pub from_bot: bool,
    /// Display name of the sender.
    pub sender: String,
    /// Unix time the message was sent.
    pub date: u64,
    /// Text, for a text message.
    pub text: Option<String>,
    /// Caption, for a photo message.
    pub caption: Option<String>,
    /// The `file_id` of the photo it shows (read the bytes with
    /// [`TelegramEmulator::file`](super::TelegramEmulator::file)).
    pub photo_file_id: Option<String>,
    /// Inline keyboard, rows of `(text, callback_data)`.
    pub buttons: Vec<Vec<(String, String)>>,
    /// It was edited after it was sent.
    pub edited: bool,
    /// For a message a user sent through the bot's inline mode with an inline keyboard: the
    /// id the bot edits it by.
    pub inline_message_id: Option<String>,
    /// For a document: the file name it was uploaded with (what the user's app shows).
    pub document_file_name: Option<String>,
}

impl ChatMessage {
    pub(super) fn from_stored(message_id: i32, stored: &StoredMessage) -> Self {
        let json = &stored.json;
        let text_of = |key: &str| json.get(key).and_then(Value::as_str).map(str::to_owned);
        Self {
            message_id,
            from_bot: stored.from_bot,
            sender: json
                .get("from")
                .and_then(|from| from.get("first_name"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            date: json.get("date").and_then(Value::as_u64).unwrap_or_default(),
            text: text_of("text"),
            caption: text_of("caption"),
            photo_file_id: stored.photo_file_id.clone(),
            buttons: inline_buttons(json.get("reply_markup")),
            edited: json.get("edit_date").is_some(),
            inline_message_id: stored.inline_message_id.clone(),
            document_file_name: json
                .get("document")
                .and_then(|d| d.get("file_name"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        }
    }
}
