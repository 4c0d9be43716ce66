//! The emulator's control API, for tests and a demo page: act as users (write, press
//! buttons), inject failures, and read what the bot did — the raw calls, or the chats.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;

use super::TelegramEmulator;
use super::calls::{Call, WaitTimeout};
use super::chat::ChatMessage;
use super::failures::Failure;
use super::state::{ChatState, EmulatorState, SentPhoto, StoredMessage};
use super::user::TgUser;
use super::values::{now_unix, utf16_len};

impl TelegramEmulator {
    /// Makes `user` known to the emulator (so the bot may message them) without sending anything.
    pub fn register_user(&self, user: &TgUser) {
        self.shared.lock().chat(user);
    }

    /// Queues a `message` update: `user` writes `text` in their private chat with the bot.
    /// A leading `/command` gets a `bot_command` entity like in real Telegram. Returns the id of
    /// the user's message (deletable by the bot).
    pub fn send_text(&self, user: &TgUser, text: &str) -> i32 {
        let mut st = self.shared.lock();
        let (message_id, message) = write_text(st.chat(user), user, text);
        st.push_update("message", message);
        drop(st);
        self.shared.notify_changed();
        message_id
    }

    /// Queues a `message` update: `user` writes `text` in the group chat `group_id` (a
    /// negative id; the group is created on first use, the bot being a member). A leading
    /// `/command` gets a `bot_command` entity. Returns the message id (deletable by the bot).
    ///
    /// # Panics
    /// If `group_id` is not negative.
    pub fn send_group_text(&self, user: &TgUser, group_id: i64, text: &str) -> i32 {
        assert!(group_id < 0, "group chat ids are negative"); // ok: documented, a caller's bug
        let mut st = self.shared.lock();
        let (message_id, message) = write_text(st.group_chat(group_id, user), user, text);
        st.push_update("message", message);
        drop(st);
        self.shared.notify_changed();
        message_id
    }

    /// Queues a `callback_query` update: `user` presses an inline button carrying `data` on
    /// message `message_id` of their chat. Returns the callback query id the bot must answer.
    ///
    /// The query carries the message as it currently is; if there is no such message in the
    /// user's chat (deleted, or another user's), it carries an inaccessible message (`date` 0),
    /// as Telegram does. `data` is not checked against the keyboard, so tests can forge
    /// presses.
    pub fn press_button(&self, user: &TgUser, message_id: i32, data: &str) -> String {
        let mut st = self.shared.lock();
        let id = queue_press(&mut st, user, message_id, data);
        drop(st);
        self.shared.notify_changed();
        id
    }

    /// The webhook URL the bot set with `setWebhook` (`None`: none, the bot long-polls).
    pub fn webhook_url(&self) -> Option<String> {
        self.shared.lock().webhook.as_ref().map(|w| w.url.clone())
    }

    /// Updates the bot's webhook accepted (answered 2xx), and the last failed delivery.
    pub fn webhook_deliveries(&self) -> (u64, Option<String>) {
        let st = self.shared.lock();
        st.webhook
            .as_ref()
            .map_or((0, None), |w| (w.delivered, w.last_error.clone()))
    }

    /// Updates queued and not yet confirmed by a later `getUpdates` offset.
    pub fn pending_updates(&self) -> usize {
        self.shared.lock().updates.len()
    }

    /// How many `getUpdates` requests arrived (they are not in [`TelegramEmulator::calls`]).
    pub fn get_updates_count(&self) -> u64 {
        self.shared.lock().get_updates_count
    }

    /// Every call so far except `getUpdates`, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// Number of calls so far; pass it to [`TelegramEmulator::wait_for_since`] to wait for a call
    /// made after this point.
    pub fn call_count(&self) -> usize {
        self.shared.lock().calls.len()
    }

    /// Calls of `method` (case-insensitive), in arrival order.
    pub fn calls_of(&self, method: &str) -> Vec<Call> {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.is(method))
            .cloned()
            .collect()
    }

    /// Waits until a call of `method` (case-insensitive) matching `predicate` has arrived —
    /// including calls made before this was called — and returns the first such call. On
    /// timeout the error lists every call seen.
    pub async fn wait_for(
        &self,
        method: &str,
        predicate: impl Fn(&Call) -> bool,
        timeout: Duration,
    ) -> Result<Call, WaitTimeout> {
        self.wait_for_since(0, method, predicate, timeout).await
    }

    /// Like [`TelegramEmulator::wait_for`], but only considers calls with index ≥ `since` (from
    /// [`TelegramEmulator::call_count`]).
    pub async fn wait_for_since(
        &self,
        since: usize,
        method: &str,
        predicate: impl Fn(&Call) -> bool,
        timeout: Duration,
    ) -> Result<Call, WaitTimeout> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.shared.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let st = self.shared.lock();
                let found = st
                    .calls
                    .iter()
                    .skip(since)
                    .find(|c| c.is(method) && predicate(c));
                if let Some(call) = found {
                    return Ok(call.clone());
                }
                if tokio::time::Instant::now() >= deadline {
                    return Err(self.describe_timeout(&st, since, method, timeout));
                }
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }

    fn describe_timeout(
        &self,
        st: &EmulatorState,
        since: usize,
        method: &str,
        timeout: Duration,
    ) -> WaitTimeout {
        let mut out = format!(
            "telegram emulator: no `{method}` call matching the predicate within {timeout:?} \
             (looking at calls #{since}..; {} getUpdates polls, {} updates still queued); \
             calls seen:",
            st.get_updates_count,
            st.updates.len()
        );
        if st.calls.is_empty() {
            out.push_str(" none");
        }
        for (i, call) in st.calls.iter().enumerate() {
            out.push_str(&format!("\n  #{i} {}", call.summary(self.shared.started)));
        }
        WaitTimeout::new(method, timeout, out)
    }

    /// Photos the bot sent to `chat_id` with `sendPhoto` (successfully), oldest first.
    pub fn sent_photos(&self, chat_id: i64) -> Vec<SentPhoto> {
        self.shared
            .lock()
            .sent_photos
            .iter()
            .filter(|(chat, _)| *chat == chat_id)
            .map(|(_, photo)| photo.clone())
            .collect()
    }

    /// Texts the bot sent to `chat_id` with `sendMessage` (successfully), oldest first.
    pub fn sent_texts(&self, chat_id: i64) -> Vec<String> {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.is("sendMessage") && c.succeeded() && c.chat_id() == Some(chat_id))
            .filter_map(|c| c.text().map(str::to_owned))
            .collect()
    }

    /// The current state of a message, as the Bot API would return it (after edits), or `None`
    /// if it does not exist or was deleted.
    pub fn message(&self, chat_id: i64, message_id: i32) -> Option<Value> {
        let st = self.shared.lock();
        st.chats
            .get(&chat_id)
            .and_then(|chat| chat.messages.get(&message_id))
            .map(|m| m.json.clone())
    }

    /// The bytes of the photo a message currently shows (after `editMessageMedia`).
    pub fn current_photo(&self, chat_id: i64, message_id: i32) -> Option<Vec<u8>> {
        let st = self.shared.lock();
        let file_id = st
            .chats
            .get(&chat_id)?
            .messages
            .get(&message_id)?
            .photo_file_id
            .clone()?;
        st.files.get(&file_id).map(|bytes| bytes.to_vec())
    }

    /// The messages of chat `chat_id` as they are now, oldest first: the user's and the bot's,
    /// edits applied, deleted messages gone — what a person sees in the chat. Empty for a chat
    /// nobody wrote in.
    pub fn chat(&self, chat_id: i64) -> Vec<ChatMessage> {
        self.shared
            .lock()
            .chats
            .get(&chat_id)
            .map_or_else(Vec::new, |chat| {
                chat.messages
                    .iter()
                    .map(|(id, stored)| ChatMessage::from_stored(*id, stored))
                    .collect()
            })
    }

    /// The bytes of a photo by the `file_id` the emulator gave it
    /// ([`ChatMessage::photo_file_id`], [`SentPhoto::file_id`]).
    pub fn file(&self, file_id: &str) -> Option<Vec<u8>> {
        self.shared
            .lock()
            .files
            .get(file_id)
            .map(|bytes| bytes.to_vec())
    }

    /// A receiver that sees a new value after every change: an injected update, a request the
    /// bot made (and so every message sent, edited or deleted). Read the new state with
    /// [`TelegramEmulator::chat`] and friends; changes that come quickly may be seen as one.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.shared.version.subscribe()
    }

    /// Messages the bot deleted, as `(chat_id, message_id)`, in order.
    pub fn deleted_messages(&self) -> Vec<(i64, i32)> {
        self.shared.lock().deleted.clone()
    }

    /// The command menu last registered with `setMyCommands` for `language_code` (`None` = the
    /// default menu without a language), as `(command, description)`. `scope` is not modelled:
    /// every scope shares one menu per language.
    pub fn set_commands_for(&self, language_code: Option<&str>) -> Option<Vec<(String, String)>> {
        self.shared
            .lock()
            .commands
            .get(language_code.unwrap_or(""))
            .cloned()
    }

    /// Requests that arrived while a [`Failure::FloodWindow`] was open, in arrival order: a
    /// bot that honours `retry_after` makes none.
    pub fn flood_violations(&self) -> Vec<Call> {
        self.shared
            .lock()
            .calls
            .iter()
            .filter(|c| c.in_flood_window)
            .cloned()
            .collect()
    }

    /// Makes the next `n` calls of `method` (case-insensitive; `getUpdates` too) fail with
    /// `failure` instead of being carried out. Failed calls are still recorded, with
    /// [`Call::error`] set. Several `fail_next` for one method are used up in order.
    pub fn fail_next(&self, method: &str, n: u32, failure: Failure) {
        if n > 0 {
            self.shared
                .lock()
                .failures
                .push((method.to_ascii_lowercase(), n, failure));
        }
    }
}

/// Queues `user`'s press of the button carrying `data` on message `message_id` of their
/// chat (see [`TelegramEmulator::press_button`]); returns the callback query id.
pub(super) fn queue_press(
    st: &mut EmulatorState,
    user: &TgUser,
    message_id: i32,
    data: &str,
) -> String {
    let chat = st.chat(user);
    let message = match chat.messages.get(&message_id) {
        Some(stored) => stored.json.clone(),
        None => json!({ "chat": user.chat_json(), "message_id": message_id, "date": 0 }),
    };
    let id = format!("fake-cbq-{}", st.next_callback);
    st.next_callback += 1;
    st.open_callbacks.insert(id.clone());
    let query = json!({
        "id": id,
        "from": user.to_json(),
        "message": message,
        "chat_instance": format!("fake-chat-instance-{}", user.id),
        "data": data,
    });
    st.push_update("callback_query", query);
    id
}

/// Stores `user`'s message `text` in `chat` as Telegram would deliver it (a leading `/command`
/// gets a `bot_command` entity) and returns its id and its JSON, for the `message` update.
pub(super) fn write_text(chat: &mut ChatState, user: &TgUser, text: &str) -> (i32, Value) {
    let message_id = chat.next_message_id();
    let mut message = json!({
        "message_id": message_id,
        "date": now_unix(),
        "chat": chat.chat_json(),
        "from": user.to_json(),
        "text": text,
    });
    if text.starts_with('/') {
        let command = text.split(char::is_whitespace).next().unwrap_or(text);
        message["entities"] = json!([
            { "type": "bot_command", "offset": 0, "length": utf16_len(command) }
        ]);
    }
    chat.messages.insert(
        message_id,
        StoredMessage {
            json: message.clone(),
            from_bot: false,
            photo_file_id: None,
            inline_message_id: None,
        },
    );
    (message_id, message)
}
