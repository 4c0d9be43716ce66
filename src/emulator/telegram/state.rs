//! What the emulator remembers: chats and their messages, the photos the bot sent, queued
//! updates, uploaded files, the command menus, every call, the failures still to inject and
//! the webhook the bot set.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::Instant;

use serde_json::{Value, json};
use tokio::sync::{Notify, watch};

use super::body::Upload;
use super::calls::Call;
use super::failures::Failure;
use super::user::TgUser;

pub(super) struct Shared {
    state: Mutex<EmulatorState>,
    /// Woken on every new update and every recorded call (waiters inside the emulator).
    pub(super) changed: Notify,
    /// Counts changes, for [`TelegramEmulator::subscribe`](super::TelegramEmulator::subscribe).
    pub(super) version: watch::Sender<u64>,
    /// When the emulator started (call timestamps in reports are relative to it).
    pub(super) started: Instant,
}

impl Shared {
    pub(super) fn new() -> Self {
        Self {
            state: Mutex::new(EmulatorState {
                next_update_id: 1,
                next_file: 1,
                next_callback: 1,
                next_inline: 1,
                inline_mode: true,
                inline_feedback: true,
                ..EmulatorState::default()
            }),
            changed: Notify::new(),
            version: watch::Sender::new(0),
            started: Instant::now(),
        }
    }

    /// Tells every waiter and subscriber that something changed. Call it after the lock is
    /// released.
    pub(super) fn notify_changed(&self) {
        self.changed.notify_waiters();
        self.version.send_modify(|v| *v = v.wrapping_add(1));
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, EmulatorState> {
        // A panic while holding the lock is a bug in the caller; keep serving what is there.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
pub(super) struct EmulatorState {
    pub(super) next_update_id: i64,
    pub(super) updates: VecDeque<(i64, Value)>,
    pub(super) get_updates_count: u64,
    pub(super) calls: Vec<Call>,
    pub(super) chats: HashMap<i64, ChatState>,
    /// file_id → bytes of every photo the bot uploaded.
    pub(super) files: HashMap<String, Upload>,
    pub(super) next_file: u64,
    pub(super) sent_photos: Vec<(i64, SentPhoto)>,
    pub(super) deleted: Vec<(i64, i32)>,
    /// language_code ("" = default) → commands.
    pub(super) commands: BTreeMap<String, Vec<(String, String)>>,
    pub(super) failures: Vec<(String, u32, Failure)>,
    /// End of the flood window opened by a [`Failure::FloodWindow`].
    pub(super) flood_until: Option<Instant>,
    pub(super) next_callback: u64,
    pub(super) open_callbacks: HashSet<String>,
    /// Update kinds the bot asked for with `allowed_updates` (remembered across calls, as
    /// Telegram does); `None` = all.
    pub(super) allowed_updates: Option<Vec<String>>,
    /// BotFather's `/setinline`: `getMe` reports it as `supports_inline_queries`.
    pub(super) inline_mode: bool,
    /// BotFather's `/setinlinefeedback`: whether a chosen result is reported to the bot
    /// (`chosen_inline_result`).
    pub(super) inline_feedback: bool,
    /// Counts inline query ids and inline message ids.
    pub(super) next_inline: u64,
    /// Inline queries sent by users, by query id.
    pub(super) inline_queries: HashMap<String, InlineQueryState>,
    /// inline_message_id → `(chat_id, message_id)` of the message it is in.
    pub(super) inline_messages: HashMap<String, (i64, i32)>,
    /// The webhook set with `setWebhook`, if any: updates are POSTed to it, and
    /// `getUpdates` is refused.
    pub(super) webhook: Option<Webhook>,
}

/// One inline query a user typed, and the bot's answer once it came.
pub(super) struct InlineQueryState {
    pub(super) user: TgUser,
    pub(super) query: String,
    /// The `answerInlineQuery` parameters, once answered (a query is answered at most once).
    pub(super) answer: Option<Value>,
}

pub(super) struct ChatState {
    /// The chat's id (the user's id for a private chat).
    pub(super) id: i64,
    pub(super) user: TgUser,
    /// `Some(title)` for a group chat (whose members write through
    /// [`TelegramEmulator::send_group_text`](super::TelegramEmulator::send_group_text)); `None` for the user's private chat.
    pub(super) group_title: Option<String>,
    pub(super) last_message_id: i32,
    pub(super) messages: BTreeMap<i32, StoredMessage>,
}

impl ChatState {
    pub(super) fn chat_json(&self) -> Value {
        match &self.group_title {
            Some(title) => json!({ "id": self.id, "type": "group", "title": title }),
            None => self.user.chat_json(),
        }
    }
}

pub(super) struct StoredMessage {
    pub(super) json: Value,
    pub(super) from_bot: bool,
    /// file_id of the biggest size, for photo messages.
    pub(super) photo_file_id: Option<String>,
    /// Set for a message a user sent through the bot's inline mode that has an inline
    /// keyboard: the bot edits it by this id (never by chat and message id).
    pub(super) inline_message_id: Option<String>,
}

/// A photo the bot sent with `sendPhoto` (as sent; later edits don't change it — see
/// [`TelegramEmulator::chat`](super::TelegramEmulator::chat) and
/// [`TelegramEmulator::message`](super::TelegramEmulator::message) for the current state).
#[derive(Clone, PartialEq, Eq)]
pub struct SentPhoto {
    /// Id of the message that carries the photo.
    pub message_id: i32,
    /// The `file_id` the emulator assigned (a re-send by file id gets the same one).
    pub file_id: String,
    /// The image bytes exactly as uploaded.
    pub bytes: Vec<u8>,
    /// Caption as sent.
    pub caption: Option<String>,
    /// Inline keyboard as sent, rows of `(text, callback_data)`.
    pub buttons: Vec<Vec<(String, String)>>,
}

impl fmt::Debug for SentPhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentPhoto")
            .field("message_id", &self.message_id)
            .field("file_id", &self.file_id)
            .field("bytes (len)", &self.bytes.len())
            .field("caption", &self.caption)
            .field("buttons", &self.buttons)
            .finish()
    }
}

/// The webhook the bot set.
#[derive(Debug, Clone)]
pub(super) struct Webhook {
    pub(super) url: String,
    pub(super) secret: Option<String>,
    /// Deliveries so far that the bot answered with 2xx.
    pub(super) delivered: u64,
    pub(super) last_error: Option<String>,
}

impl EmulatorState {
    pub(super) fn chat(&mut self, user: &TgUser) -> &mut ChatState {
        let chat = self.chats.entry(user.id).or_insert_with(|| ChatState {
            id: user.id,
            user: user.clone(),
            group_title: None,
            last_message_id: 0,
            messages: BTreeMap::new(),
        });
        // Keep the latest profile (e.g. a changed language_code).
        chat.user = user.clone();
        chat
    }

    /// A group chat `id` (negative, as Telegram's are) that `user` writes in.
    pub(super) fn group_chat(&mut self, id: i64, user: &TgUser) -> &mut ChatState {
        let chat = self.chats.entry(id).or_insert_with(|| ChatState {
            id,
            user: user.clone(),
            group_title: Some(format!("Group {id}")),
            last_message_id: 0,
            messages: BTreeMap::new(),
        });
        chat.user = user.clone();
        chat
    }

    pub(super) fn push_update(&mut self, kind: &str, payload: Value) {
        let id = self.next_update_id;
        self.next_update_id += 1;
        self.updates
            .push_back((id, json!({ "update_id": id, kind: payload })));
    }

    pub(super) fn take_failure(&mut self, method: &str) -> Option<Failure> {
        let lower = method.to_ascii_lowercase();
        let idx = self.failures.iter().position(|(m, _, _)| *m == lower)?;
        let entry = &mut self.failures[idx];
        entry.1 -= 1;
        let failure = entry.2.clone();
        if entry.1 == 0 {
            self.failures.remove(idx);
        }
        Some(failure)
    }

    pub(super) fn new_file_id(&mut self, bytes: Upload) -> String {
        let id = format!("AgACAgFake{:06}", self.next_file);
        self.next_file += 1;
        self.files.insert(id.clone(), bytes);
        id
    }
}

impl ChatState {
    pub(super) fn next_message_id(&mut self) -> i32 {
        self.last_message_id += 1;
        self.last_message_id
    }
}
