//! A fake Telegram Bot API server for end-to-end tests.
//!
//! [`FakeTelegram::start`] binds an axum server on `127.0.0.1:0`. Point the real bot at it with
//! `Bot::new(fake.bot_token()).set_api_url(fake.api_url())` (or `TELOXIDE_TOKEN` /
//! `TELOXIDE_API_URL`), run the real dispatcher with long polling, inject what users do
//! ([`FakeTelegram::send_text`], [`FakeTelegram::press_button`]) and assert on what the bot
//! did ([`FakeTelegram::calls`], [`FakeTelegram::wait_for`], [`FakeTelegram::sent_photos`], …).
//!
//! What it models, as teloxide-core 0.13 speaks to Telegram:
//! - `POST /bot<TOKEN>/<Method>`; teloxide sends method names PascalCase (`SendPhoto`), so
//!   names are matched case-insensitively and recorded lowerCamel (`sendPhoto`). A wrong token
//!   gets `401 Unauthorized`, an unknown method `404 Not Found` (both as Telegram answers them).
//! - JSON bodies, and `multipart/form-data` for uploads: file parts are referenced from text
//!   fields as `attach://<part>`; text fields that hold JSON (`reply_markup`, `media`) are
//!   decoded, and numeric/boolean fields are turned back into numbers/booleans, so a
//!   [`Call::params`] looks the same whichever encoding the client used.
//! - Answers `{"ok":true,"result":…}` or `{"ok":false,"error_code":…,"description":…}` with
//!   Telegram's exact descriptions, so teloxide maps them to the right `ApiError` variants.
//! - Private chats only: the chat id of a user is the user id, and the bot can only talk to a
//!   user who has written to it or pressed a button (otherwise `chat not found`). Message ids
//!   count up per chat, shared by the user's and the bot's messages, like in a real private
//!   chat (two users therefore see the same message ids — a bot must key on chat *and* id).
//! - Faithful rules a bot can trip over: an edit that changes nothing fails with
//!   `MessageNotModified`; an edit without `reply_markup` removes the inline keyboard;
//!   `callback_data` over 64 bytes is `BUTTON_DATA_INVALID`; captions over 1024 and texts over
//!   4096 UTF-16 units are rejected; a photo must really be a PNG or JPEG; a callback query can
//!   be answered once; only the bot's own messages can be edited; deleting a missing message
//!   fails.
//! - `getUpdates` follows Telegram: `offset` confirms (forgets) every update below it, a
//!   negative offset keeps the last `-offset`, `allowed_updates` is remembered across calls and
//!   updates of other kinds are dropped, `timeout` holds the poll open (capped at
//!   [`LONG_POLL_CAP`]).
//! - Group chats: only members writing messages ([`FakeTelegram::send_group_text`]); the
//!   bot may send to a group once someone wrote there.
//! - Not modelled: channels, inline mode, `parse_mode` (texts are stored verbatim),
//!   payments, file downloads.
//!
//! Failure injection: [`FakeTelegram::fail_next`]. Flood control as Telegram applies it:
//! [`Failure::FloodWindow`] opens a window in which every request is refused with
//! `retry_after`; [`FakeTelegram::flood_violations`] lists the requests that arrived in one.
//! Beware that teloxide sleeps **10 s** after
//! any HTTP 5xx answer before returning the error, so prefer [`Failure::Network`] /
//! [`Failure::RetryAfter`] over [`Failure::Status`]`(500)` in tests that go through teloxide.

#![allow(dead_code)] // each test binary uses a different part of this support module

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use tokio::sync::Notify;

/// Longest a `getUpdates` long poll is held open, whatever `timeout` the client asked for, so
/// that a dispatcher shuts down quickly at the end of a test.
pub const LONG_POLL_CAP: Duration = Duration::from_secs(1);

/// The bot token the fake accepts (the bot's user id is the part before `:`).
pub const BOT_TOKEN: &str = "7000000001:AAFakeTelegramTokenForKhqrBotTests";
/// The bot's user id (from [`BOT_TOKEN`]).
pub const BOT_ID: i64 = 7_000_000_001;
/// The bot's `@username`, without the `@`.
pub const BOT_USERNAME: &str = "khqr_test_bot";
/// The bot's display name.
pub const BOT_FIRST_NAME: &str = "KHQR Test Bot";

const MAX_UPLOAD: usize = 50 * 1024 * 1024;
const MAX_TEXT_UTF16: usize = 4096;
const MAX_CAPTION_UTF16: usize = 1024;
const MAX_CALLBACK_DATA_BYTES: usize = 64;

const MESSAGE_NOT_MODIFIED: &str = "Bad Request: message is not modified: specified new message \
    content and reply markup are exactly the same as a current content and reply markup of the \
    message";

/// A Telegram user who talks to the bot in a private chat (whose chat id is the user id).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TgUser {
    /// Telegram user id; also the id of the private chat with the bot.
    pub id: i64,
    /// First name shown by Telegram.
    pub first_name: String,
    /// IETF language tag of the user's Telegram client (`"en"`, `"km"`), if it sent one.
    pub language_code: Option<String>,
}

impl TgUser {
    /// A user without a `language_code`.
    pub fn new(id: i64, first_name: impl Into<String>) -> Self {
        Self {
            id,
            first_name: first_name.into(),
            language_code: None,
        }
    }

    /// A user whose client reports `language_code = "en"`.
    pub fn english(id: i64) -> Self {
        Self::new(id, format!("User{id}")).with_language("en")
    }

    /// A user whose client reports `language_code = "km"`.
    pub fn khmer(id: i64) -> Self {
        Self::new(id, format!("User{id}")).with_language("km")
    }

    /// The same user with `language_code` set.
    pub fn with_language(mut self, code: impl Into<String>) -> Self {
        self.language_code = Some(code.into());
        self
    }

    /// Id of the private chat between this user and the bot (= the user id).
    pub fn chat_id(&self) -> i64 {
        self.id
    }

    fn to_json(&self) -> Value {
        let mut user = json!({ "id": self.id, "is_bot": false, "first_name": self.first_name });
        if let Some(code) = &self.language_code {
            user["language_code"] = json!(code);
        }
        user
    }

    fn chat_json(&self) -> Value {
        json!({ "id": self.id, "type": "private", "first_name": self.first_name })
    }
}

/// A failure to inject with [`FakeTelegram::fail_next`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// HTTP 429 `Too Many Requests: retry after N` with `parameters.retry_after = N`
    /// (teloxide: `RequestError::RetryAfter`; a `Throttle` with default settings waits and
    /// retries sends on its own).
    RetryAfter(u32),
    /// Like [`Failure::RetryAfter`], and the bot is then flood-limited for N seconds, as
    /// Telegram does it: every request (of any method, `getUpdates` excepted) that arrives
    /// within the window is refused with HTTP 429 and the seconds left as `retry_after`, and
    /// is recorded with [`Call::in_flood_window`] set.
    FloodWindow(u32),
    /// This HTTP status with a Telegram-style error body. teloxide sleeps 10 s after a 5xx
    /// before it returns the error.
    Status(u16),
    /// HTTP 400 `message is not modified` (teloxide: `ApiError::MessageNotModified`).
    MessageNotModified,
    /// Any Telegram error: HTTP `code` with this `description`, e.g.
    /// `Api { code: 403, description: "Forbidden: bot was blocked by the user".into() }`.
    Api { code: u16, description: String },
    /// The connection breaks while the answer is being sent (teloxide:
    /// `RequestError::Network`). The request has NOT been carried out.
    Network,
    /// Like [`Failure::Network`], but Telegram DID carry the request out (the message was
    /// sent, the edit applied) and only the answer was lost — the case where a bot cannot know
    /// whether its photo reached the chat.
    ResponseLost,
}

/// The name CONTRACTS.md uses for [`Failure`].
pub type FailMode = Failure;

/// One request the bot made (everything except `getUpdates`, which is only counted: see
/// [`FakeTelegram::get_updates_count`]).
#[derive(Clone)]
pub struct Call {
    /// Method name, lowerCamel as in Telegram's docs (`sendPhoto`), whatever case was sent.
    pub method: String,
    /// The parameters as a JSON object. Multipart text fields are normalised: JSON-looking
    /// fields (`reply_markup`, `media`) are decoded, numeric ids become numbers.
    pub params: Value,
    /// Uploaded files as `(parameter, bytes)`; the parameter is the field that referenced the
    /// upload through `attach://` (`"photo"` for sendPhoto, `"media"` for editMessageMedia).
    pub files: Vec<(String, Vec<u8>)>,
    /// When the request arrived.
    pub at: Instant,
    /// `None` if the fake answered `ok: true`; otherwise the error description it returned
    /// (injected with [`FakeTelegram::fail_next`] or a real rule, e.g. `message to edit not
    /// found`).
    pub error: Option<String>,
    /// It arrived while a [`Failure::FloodWindow`] was open (and was refused with 429).
    pub in_flood_window: bool,
}

impl Call {
    /// Whether this call is `method` (case-insensitive).
    pub fn is(&self, method: &str) -> bool {
        self.method.eq_ignore_ascii_case(method)
    }

    /// Whether the fake answered this call with `ok: true`.
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    /// A string parameter.
    pub fn str_param(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(Value::as_str)
    }

    /// An integer parameter (also accepts a numeric string).
    pub fn int_param(&self, name: &str) -> Option<i64> {
        self.params.get(name).and_then(as_i64)
    }

    /// `chat_id`, when it is numeric.
    pub fn chat_id(&self) -> Option<i64> {
        self.int_param("chat_id")
    }

    /// `message_id`.
    pub fn message_id(&self) -> Option<i32> {
        self.int_param("message_id")
            .and_then(|id| i32::try_from(id).ok())
    }

    /// `text` (sendMessage, editMessageText; also answerCallbackQuery's toast text).
    pub fn text(&self) -> Option<&str> {
        self.str_param("text")
    }

    /// `caption`, or `media.caption` for editMessageMedia.
    pub fn caption(&self) -> Option<&str> {
        self.str_param("caption").or_else(|| {
            self.params
                .get("media")
                .and_then(|m| m.get("caption"))
                .and_then(Value::as_str)
        })
    }

    /// The uploaded bytes referenced by parameter `name` (`"photo"`, `"media"`).
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, bytes)| bytes.as_slice())
    }

    /// The inline keyboard sent with the call as rows of `(text, callback_data)`; buttons
    /// without callback data have an empty string. Empty if there is no inline keyboard.
    pub fn inline_buttons(&self) -> Vec<Vec<(String, String)>> {
        inline_buttons(self.params.get("reply_markup"))
    }

    fn summary(&self, origin: Instant) -> String {
        let mut params = self.params.to_string();
        if params.len() > 300 {
            let cut = (0..=300)
                .rev()
                .find(|&i| params.is_char_boundary(i))
                .unwrap_or(0);
            params.truncate(cut);
            params.push('…');
        }
        let files: Vec<String> = self
            .files
            .iter()
            .map(|(name, bytes)| format!("{name}: {} bytes", bytes.len()))
            .collect();
        let outcome = match &self.error {
            None => "ok".to_owned(),
            Some(e) => format!("ERROR {e}"),
        };
        format!(
            "+{:.3}s {} {} files=[{}] -> {}",
            self.at.saturating_duration_since(origin).as_secs_f64(),
            self.method,
            params,
            files.join(", "),
            outcome
        )
    }
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files: Vec<(&str, usize)> = self
            .files
            .iter()
            .map(|(n, b)| (n.as_str(), b.len()))
            .collect();
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("params", &self.params)
            .field("files (name, len)", &files)
            .field("error", &self.error)
            .finish()
    }
}

/// A photo the bot sent with `sendPhoto` (as sent; later edits don't change it — see
/// [`FakeTelegram::current_photo`] and [`FakeTelegram::message`] for the current state).
#[derive(Clone, PartialEq, Eq)]
pub struct SentPhoto {
    /// Id of the message that carries the photo.
    pub message_id: i32,
    /// The `file_id` the fake assigned (a re-send by file id gets the same one).
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

/// The fake server. Dropping it stops accepting connections.
pub struct FakeTelegram {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        self.server.abort();
    }
}

struct Shared {
    state: Mutex<FakeState>,
    /// Woken on every new update and every recorded call.
    changed: Notify,
    started: Instant,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, FakeState> {
        // A panic while holding the lock is a bug in a test; keep serving what is there.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[derive(Default)]
struct FakeState {
    next_update_id: i64,
    updates: VecDeque<(i64, Value)>,
    get_updates_count: u64,
    calls: Vec<Call>,
    chats: HashMap<i64, ChatState>,
    /// file_id → bytes of every photo the bot uploaded.
    files: HashMap<String, Vec<u8>>,
    next_file: u64,
    sent_photos: Vec<(i64, SentPhoto)>,
    deleted: Vec<(i64, i32)>,
    /// language_code ("" = default) → commands.
    commands: BTreeMap<String, Vec<(String, String)>>,
    failures: Vec<(String, u32, Failure)>,
    /// End of the flood window opened by a [`Failure::FloodWindow`].
    flood_until: Option<Instant>,
    next_callback: u64,
    open_callbacks: HashSet<String>,
    /// Update kinds the bot asked for with `allowed_updates` (remembered across calls, as
    /// Telegram does); `None` = all.
    allowed_updates: Option<Vec<String>>,
}

struct ChatState {
    /// The chat's id (the user's id for a private chat).
    id: i64,
    user: TgUser,
    /// `Some(title)` for a group chat (whose members write through
    /// [`FakeTelegram::send_group_text`]); `None` for the user's private chat.
    group_title: Option<String>,
    last_message_id: i32,
    messages: BTreeMap<i32, StoredMessage>,
}

impl ChatState {
    fn chat_json(&self) -> Value {
        match &self.group_title {
            Some(title) => json!({ "id": self.id, "type": "group", "title": title }),
            None => self.user.chat_json(),
        }
    }
}

struct StoredMessage {
    json: Value,
    from_bot: bool,
    /// file_id of the biggest size, for photo messages.
    photo_file_id: Option<String>,
}

impl FakeTelegram {
    /// Starts the fake on `127.0.0.1:<free port>`. It lives until the value is dropped.
    pub async fn start() -> FakeTelegram {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake telegram: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake telegram: local address");
        let shared = Arc::new(Shared {
            state: Mutex::new(FakeState {
                next_update_id: 1,
                next_file: 1,
                next_callback: 1,
                ..FakeState::default()
            }),
            changed: Notify::new(),
            started: Instant::now(),
        });
        let app = Router::new()
            .fallback(handle)
            .with_state(shared.clone())
            .layer(DefaultBodyLimit::max(MAX_UPLOAD));
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                eprintln!("fake telegram: server stopped: {e}");
            }
        });
        FakeTelegram {
            shared,
            addr,
            server,
        }
    }

    /// Base URL of the fake, for `Bot::set_api_url` or `TELOXIDE_API_URL`
    /// (`http://127.0.0.1:<port>/`).
    pub fn api_url(&self) -> reqwest::Url {
        reqwest::Url::parse(&format!("http://{}/", self.addr)).expect("fake telegram: url") // ok: from a SocketAddr
    }

    /// The only token the fake accepts ([`BOT_TOKEN`]).
    pub fn bot_token(&self) -> &str {
        BOT_TOKEN
    }

    /// The bot's `@username` without `@` ([`BOT_USERNAME`]), for `/cmd@bot` texts.
    pub fn bot_username(&self) -> &str {
        BOT_USERNAME
    }

    /// Makes `user` known to the fake (so the bot may message them) without sending anything.
    pub fn register_user(&self, user: &TgUser) {
        self.shared.lock().chat(user);
    }

    /// Queues a `message` update: `user` writes `text` in their private chat with the bot.
    /// A leading `/command` gets a `bot_command` entity like in real Telegram. Returns the id of
    /// the user's message (deletable by the bot).
    pub fn send_text(&self, user: &TgUser, text: &str) -> i32 {
        let mut st = self.shared.lock();
        let message_id = st.chat(user).next_message_id();
        let mut message = json!({
            "message_id": message_id,
            "date": now_unix(),
            "chat": user.chat_json(),
            "from": user.to_json(),
            "text": text,
        });
        if text.starts_with('/') {
            let command = text.split(char::is_whitespace).next().unwrap_or(text);
            message["entities"] = json!([
                { "type": "bot_command", "offset": 0, "length": utf16_len(command) }
            ]);
        }
        st.chat(user).messages.insert(
            message_id,
            StoredMessage {
                json: message.clone(),
                from_bot: false,
                photo_file_id: None,
            },
        );
        st.push_update("message", message);
        drop(st);
        self.shared.changed.notify_waiters();
        message_id
    }

    /// Queues a `message` update: `user` writes `text` in the group chat `group_id` (a
    /// negative id; the group is created on first use, the bot being a member). A leading
    /// `/command` gets a `bot_command` entity. Returns the message id (deletable by the bot).
    pub fn send_group_text(&self, user: &TgUser, group_id: i64, text: &str) -> i32 {
        assert!(group_id < 0, "group chat ids are negative");
        let mut st = self.shared.lock();
        let chat = st.group_chat(group_id, user);
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
            },
        );
        st.push_update("message", message);
        drop(st);
        self.shared.changed.notify_waiters();
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
        drop(st);
        self.shared.changed.notify_waiters();
        id
    }

    /// Queues any update object (`{"message": …}`, `{"edited_message": …}`; `update_id` is
    /// added). Returns the update id.
    pub fn send_raw_update(&self, mut update: Value) -> i64 {
        let mut st = self.shared.lock();
        let id = st.next_update_id;
        st.next_update_id += 1;
        update["update_id"] = json!(id);
        st.updates.push_back((id, update));
        drop(st);
        self.shared.changed.notify_waiters();
        id
    }

    /// Updates queued and not yet confirmed by a later `getUpdates` offset.
    pub fn pending_updates(&self) -> usize {
        self.shared.lock().updates.len()
    }

    /// How many `getUpdates` requests arrived (they are not in [`FakeTelegram::calls`]).
    pub fn get_updates_count(&self) -> u64 {
        self.shared.lock().get_updates_count
    }

    /// Every call so far except `getUpdates`, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.lock().calls.clone()
    }

    /// Number of calls so far; pass it to [`FakeTelegram::wait_for_since`] to wait for a call
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
    ) -> Result<Call, String> {
        self.wait_for_since(0, method, predicate, timeout).await
    }

    /// [`FakeTelegram::wait_for`] under the name CONTRACTS.md uses.
    pub async fn wait_for_call(
        &self,
        method: &str,
        predicate: impl Fn(&Call) -> bool,
        timeout: Duration,
    ) -> Result<Call, String> {
        self.wait_for(method, predicate, timeout).await
    }

    /// Like [`FakeTelegram::wait_for`], but only considers calls with index ≥ `since` (from
    /// [`FakeTelegram::call_count`]).
    pub async fn wait_for_since(
        &self,
        since: usize,
        method: &str,
        predicate: impl Fn(&Call) -> bool,
        timeout: Duration,
    ) -> Result<Call, String> {
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
        st: &FakeState,
        since: usize,
        method: &str,
        timeout: Duration,
    ) -> String {
        let mut out = format!(
            "fake telegram: no `{method}` call matching the predicate within {timeout:?} \
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
        out
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
        st.files.get(&file_id).cloned()
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

impl FakeState {
    fn chat(&mut self, user: &TgUser) -> &mut ChatState {
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
    fn group_chat(&mut self, id: i64, user: &TgUser) -> &mut ChatState {
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

    fn push_update(&mut self, kind: &str, payload: Value) {
        let id = self.next_update_id;
        self.next_update_id += 1;
        self.updates
            .push_back((id, json!({ "update_id": id, kind: payload })));
    }

    fn take_failure(&mut self, method: &str) -> Option<Failure> {
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

    fn new_file_id(&mut self, bytes: Vec<u8>) -> String {
        let id = format!("AgACAgFake{:06}", self.next_file);
        self.next_file += 1;
        self.files.insert(id.clone(), bytes);
        id
    }
}

impl ChatState {
    fn next_message_id(&mut self) -> i32 {
        self.last_message_id += 1;
        self.last_message_id
    }
}

// ---------------------------------------------------------------------------------------------
// HTTP layer

/// A Telegram error answer.
struct ApiErr {
    code: u16,
    description: String,
    retry_after: Option<u32>,
}

impl ApiErr {
    fn bad_request(description: &str) -> Self {
        Self {
            code: 400,
            description: format!("Bad Request: {description}"),
            retry_after: None,
        }
    }

    fn into_response(self) -> Response {
        let mut body = json!({
            "ok": false,
            "error_code": self.code,
            "description": self.description,
        });
        if let Some(secs) = self.retry_after {
            body["parameters"] = json!({ "retry_after": secs });
        }
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::BAD_REQUEST);
        json_response(status, &body)
    }
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn ok_response(result: Value) -> Response {
    json_response(StatusCode::OK, &json!({ "ok": true, "result": result }))
}

/// A 200 whose body breaks off: the client sees a dropped connection.
fn network_failure() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fake telegram: injected network failure",
        ))
    });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

fn failure_response(failure: &Failure) -> (Response, String) {
    let err = match failure {
        Failure::Network | Failure::ResponseLost => {
            return (network_failure(), "network failure".to_owned());
        }
        Failure::RetryAfter(secs) | Failure::FloodWindow(secs) => ApiErr {
            code: 429,
            description: format!("Too Many Requests: retry after {secs}"),
            retry_after: Some(*secs),
        },
        Failure::Status(code) => {
            let reason = StatusCode::from_u16(*code)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or("Error");
            ApiErr {
                code: *code,
                description: reason.to_owned(),
                retry_after: None,
            }
        }
        Failure::MessageNotModified => ApiErr {
            code: 400,
            description: MESSAGE_NOT_MODIFIED.to_owned(),
            retry_after: None,
        },
        Failure::Api { code, description } => ApiErr {
            code: *code,
            description: description.clone(),
            retry_after: None,
        },
    };
    let description = err.description.clone();
    (err.into_response(), description)
}

const KNOWN_METHODS: &[&str] = &[
    "getMe",
    "logOut",
    "close",
    "getUpdates",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendMediaGroup",
    "sendChatAction",
    "forwardMessage",
    "copyMessage",
    "editMessageText",
    "editMessageCaption",
    "editMessageMedia",
    "editMessageReplyMarkup",
    "deleteMessage",
    "deleteMessages",
    "answerCallbackQuery",
    "getChat",
    "getFile",
    "pinChatMessage",
    "setChatMenuButton",
    "setMyName",
    "setMyDescription",
    "setMyShortDescription",
];

/// `SendPhoto` / `sendphoto` → `sendPhoto`.
fn canonical_method(raw: &str) -> String {
    if let Some(known) = KNOWN_METHODS.iter().find(|m| m.eq_ignore_ascii_case(raw)) {
        return (*known).to_owned();
    }
    let mut chars = raw.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut segments = uri.path().trim_start_matches('/').splitn(2, '/');
    let (Some(bot_segment), Some(raw_method)) = (segments.next(), segments.next()) else {
        return not_found();
    };
    let Some(token) = bot_segment.strip_prefix("bot") else {
        return not_found();
    };
    if token != BOT_TOKEN {
        return ApiErr {
            code: 401,
            description: "Unauthorized".to_owned(),
            retry_after: None,
        }
        .into_response();
    }
    let method = canonical_method(raw_method);

    let (params, parts) = match parse_body(&headers, &body) {
        Ok(parsed) => parsed,
        Err(e) => {
            return ApiErr::bad_request(&format!("fake telegram cannot read the body: {e}"))
                .into_response();
        }
    };

    if method == "getUpdates" {
        return get_updates(&shared, &params).await;
    }

    let files = named_files(&params, &parts);
    let response = {
        let mut st = shared.lock();
        let arrived = Instant::now();
        let flood_left = st
            .flood_until
            .map(|until| until.saturating_duration_since(arrived))
            .filter(|left| !left.is_zero());
        let (response, error) = match flood_left {
            Some(left) => {
                let secs = u32::try_from(left.as_secs() + u64::from(left.subsec_nanos() > 0))
                    .unwrap_or(u32::MAX);
                let (response, description) = failure_response(&Failure::RetryAfter(secs));
                (response, Some(description))
            }
            None => match st.take_failure(&method) {
                Some(Failure::ResponseLost) => {
                    let outcome = match dispatch(&mut st, &method, &params, &parts) {
                        Ok(_) => "carried out".to_owned(),
                        Err(err) => format!("failed: {}", err.description),
                    };
                    (
                        network_failure(),
                        Some(format!("response lost (request {outcome})")),
                    )
                }
                Some(failure) => {
                    if let Failure::FloodWindow(secs) = failure {
                        st.flood_until = Some(arrived + Duration::from_secs(u64::from(secs)));
                    }
                    let (response, description) = failure_response(&failure);
                    (response, Some(description))
                }
                None => match dispatch(&mut st, &method, &params, &parts) {
                    Ok(result) => (ok_response(result), None),
                    Err(err) => {
                        let description = err.description.clone();
                        (err.into_response(), Some(description))
                    }
                },
            },
        };
        st.calls.push(Call {
            method,
            params: Value::Object(params),
            files,
            at: arrived,
            error,
            in_flood_window: flood_left.is_some(),
        });
        response
    };
    shared.changed.notify_waiters();
    response
}

fn not_found() -> Response {
    ApiErr {
        code: 404,
        description: "Not Found".to_owned(),
        retry_after: None,
    }
    .into_response()
}

async fn get_updates(shared: &Shared, params: &Map<String, Value>) -> Response {
    {
        let mut st = shared.lock();
        st.get_updates_count += 1;
        if let Some(failure) = st.take_failure("getUpdates") {
            return failure_response(&failure).0;
        }
        if let Some(kinds) = params.get("allowed_updates").and_then(Value::as_array) {
            let kinds: Vec<String> = kinds
                .iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect();
            st.allowed_updates = (!kinds.is_empty()).then_some(kinds);
        }
    }
    let offset = params.get("offset").and_then(as_i64);
    let limit = params
        .get("limit")
        .and_then(as_i64)
        .map_or(100, |l| l.clamp(1, 100)) as usize;
    let wait = params
        .get("timeout")
        .and_then(as_i64)
        .map_or(Duration::ZERO, |t| {
            Duration::from_secs(t.max(0).unsigned_abs())
        })
        .min(LONG_POLL_CAP);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let notified = shared.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut st = shared.lock();
            // Telegram semantics: `offset` confirms every update with a smaller id; a negative
            // offset keeps only the last `-offset` updates.
            match offset {
                Some(o) if o < 0 => {
                    let keep = o.unsigned_abs() as usize;
                    while st.updates.len() > keep {
                        st.updates.pop_front();
                    }
                }
                Some(o) => st.updates.retain(|(id, _)| *id >= o),
                None => {}
            }
            // Updates of kinds the bot did not ask for are never delivered.
            if let Some(allowed) = st.allowed_updates.clone() {
                st.updates.retain(|(_, update)| {
                    update.as_object().is_some_and(|fields| {
                        fields
                            .keys()
                            .any(|k| k != "update_id" && allowed.contains(k))
                    })
                });
            }
            let batch: Vec<Value> = st
                .updates
                .iter()
                .take(limit)
                .map(|(_, u)| u.clone())
                .collect();
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                return ok_response(Value::Array(batch));
            }
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}

// ---------------------------------------------------------------------------------------------
// Methods

/// Uploaded file parts as `(multipart part name, bytes)`.
type Parts = [(String, Vec<u8>)];
/// A parsed request body: parameters and uploaded file parts.
type ParsedBody = (Map<String, Value>, Vec<(String, Vec<u8>)>);

fn dispatch(
    st: &mut FakeState,
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
            "supports_inline_queries": false,
            "can_connect_to_business": false,
            "has_main_web_app": false,
        })),
        "getWebhookInfo" => Ok(json!({
            "url": "",
            "has_custom_certificate": false,
            "pending_update_count": st.updates.len(),
        })),
        "deleteWebhook" | "sendChatAction" => Ok(json!(true)),
        "setMyCommands" => set_my_commands(st, params),
        "getMyCommands" => {
            let lang = params
                .get("language_code")
                .and_then(Value::as_str)
                .unwrap_or("");
            let commands = st.commands.get(lang).cloned().unwrap_or_default();
            Ok(Value::Array(
                commands
                    .into_iter()
                    .map(|(c, d)| json!({ "command": c, "description": d }))
                    .collect(),
            ))
        }
        "deleteMyCommands" => {
            let lang = params
                .get("language_code")
                .and_then(Value::as_str)
                .unwrap_or("");
            st.commands.remove(lang);
            Ok(json!(true))
        }
        "sendMessage" => send_message(st, params),
        "sendPhoto" => send_photo(st, params, parts),
        "editMessageText" => edit_message_text(st, params),
        "editMessageCaption" => edit_message_caption(st, params),
        "editMessageMedia" => edit_message_media(st, params, parts),
        "editMessageReplyMarkup" => edit_message_reply_markup(st, params),
        "deleteMessage" => delete_message(st, params),
        "answerCallbackQuery" => answer_callback_query(st, params),
        _ => Err(ApiErr {
            code: 404,
            description: "Not Found".to_owned(),
            retry_after: None,
        }),
    }
}

fn set_my_commands(st: &mut FakeState, params: &Map<String, Value>) -> Result<Value, ApiErr> {
    let Some(list) = params.get("commands").and_then(Value::as_array) else {
        return Err(ApiErr::bad_request("parameter \"commands\" is required"));
    };
    if list.len() > 100 {
        return Err(ApiErr::bad_request("too many commands specified"));
    }
    let mut commands = Vec::with_capacity(list.len());
    for entry in list {
        let command = entry.get("command").and_then(Value::as_str).unwrap_or("");
        let description = entry
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        let command_ok = (1..=32).contains(&command.len())
            && command
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !command_ok {
            return Err(ApiErr::bad_request("BOT_COMMAND_INVALID"));
        }
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiErr::bad_request(
                "command description is empty or too long",
            ));
        }
        commands.push((command.to_owned(), description.to_owned()));
    }
    let lang = params
        .get("language_code")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    st.commands.insert(lang, commands);
    Ok(json!(true))
}

fn chat_id_param(params: &Map<String, Value>) -> Result<i64, ApiErr> {
    match params.get("chat_id") {
        None => Err(ApiErr::bad_request("chat_id is empty")),
        Some(value) => as_i64(value).ok_or_else(|| ApiErr::bad_request("chat not found")),
    }
}

fn message_id_param(params: &Map<String, Value>) -> Result<i32, ApiErr> {
    params
        .get("message_id")
        .and_then(as_i64)
        .and_then(|id| i32::try_from(id).ok())
        .ok_or_else(|| ApiErr::bad_request("message identifier is not specified"))
}

fn bot_chat(st: &mut FakeState, chat_id: i64) -> Result<&mut ChatState, ApiErr> {
    st.chats
        .get_mut(&chat_id)
        .ok_or_else(|| ApiErr::bad_request("chat not found"))
}

fn bot_user_json() -> Value {
    json!({ "id": BOT_ID, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME })
}

/// Validates `reply_markup` and returns what a message echoes back: an inline keyboard, or
/// `None` for no markup / a reply keyboard (Telegram does not echo those).
fn reply_markup_param(params: &Map<String, Value>) -> Result<Option<Value>, ApiErr> {
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

fn check_text(text: &str) -> Result<(), ApiErr> {
    if text.trim().is_empty() {
        return Err(ApiErr::bad_request("message text is empty"));
    }
    if utf16_len(text) > MAX_TEXT_UTF16 {
        return Err(ApiErr::bad_request("message is too long"));
    }
    Ok(())
}

fn caption_param(value: Option<&Value>) -> Result<Option<String>, ApiErr> {
    match value.and_then(Value::as_str) {
        None | Some("") => Ok(None),
        Some(caption) if utf16_len(caption) > MAX_CAPTION_UTF16 => {
            Err(ApiErr::bad_request("message caption is too long"))
        }
        Some(caption) => Ok(Some(caption.to_owned())),
    }
}

fn set_or_remove(message: &mut Value, key: &str, value: Option<Value>) {
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

fn send_message(st: &mut FakeState, params: &Map<String, Value>) -> Result<Value, ApiErr> {
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
        },
    );
    Ok(message)
}

/// Resolves a photo reference (`attach://part`, or a `file_id` the fake issued) to
/// `(file_id, bytes)`; a fresh upload gets a new `file_id`.
fn resolve_photo(
    st: &mut FakeState,
    reference: Option<&Value>,
    parts: &Parts,
) -> Result<(String, Vec<u8>), ApiErr> {
    let Some(reference) = reference.and_then(Value::as_str) else {
        return Err(ApiErr::bad_request("there is no photo in the request"));
    };
    if let Some(part_name) = reference.strip_prefix("attach://") {
        let Some((_, bytes)) = parts.iter().find(|(name, _)| name == part_name) else {
            return Err(ApiErr::bad_request("wrong HTTP URL specified"));
        };
        if bytes.is_empty() {
            return Err(ApiErr::bad_request("file must be non-empty"));
        }
        if image_size(bytes).is_none() {
            return Err(ApiErr::bad_request("IMAGE_PROCESS_FAILED"));
        }
        let id = st.new_file_id(bytes.clone());
        return Ok((id, bytes.clone()));
    }
    match st.files.get(reference) {
        Some(bytes) => Ok((reference.to_owned(), bytes.clone())),
        // Covers URLs too: the fake never fetches anything.
        None => Err(ApiErr::bad_request(
            "wrong file identifier/HTTP URL specified",
        )),
    }
}

/// The `photo` array of a message: a thumbnail (when the image is bigger) and the full size.
fn photo_sizes(file_id: &str, bytes: &[u8]) -> Value {
    let (width, height) = image_size(bytes).unwrap_or((512, 512));
    let unique = format!("AQADFake{}", file_id.trim_start_matches("AgACAgFake"));
    let full = json!({
        "file_id": file_id,
        "file_unique_id": unique,
        "file_size": bytes.len(),
        "width": width,
        "height": height,
    });
    let longest = width.max(height);
    if longest <= 90 {
        return json!([full]);
    }
    let thumb_w = (u64::from(width) * 90 / u64::from(longest)).max(1);
    let thumb_h = (u64::from(height) * 90 / u64::from(longest)).max(1);
    json!([
        {
            "file_id": format!("{file_id}-s"),
            "file_unique_id": format!("{unique}-s"),
            "file_size": (bytes.len() / 10).max(1),
            "width": thumb_w,
            "height": thumb_h,
        },
        full
    ])
}

fn send_photo(
    st: &mut FakeState,
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
        },
    );
    st.sent_photos.push((
        chat_id,
        SentPhoto {
            message_id,
            file_id,
            bytes,
            caption,
            buttons: inline_buttons(markup.as_ref()),
        },
    ));
    Ok(message)
}

/// The bot's own message addressed by `chat_id` + `message_id`, for an edit.
fn editable<'a>(
    st: &'a mut FakeState,
    params: &Map<String, Value>,
) -> Result<&'a mut StoredMessage, ApiErr> {
    if params.contains_key("inline_message_id") {
        return Err(ApiErr::bad_request(
            "fake telegram does not model inline messages",
        ));
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
    Ok(stored)
}

fn finish_edit(stored: &mut StoredMessage, new: Value) -> Result<Value, ApiErr> {
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
    Ok(new)
}

fn without_edit_date(message: &Value) -> Value {
    let mut message = message.clone();
    set_or_remove(&mut message, "edit_date", None);
    message
}

fn edit_message_text(st: &mut FakeState, params: &Map<String, Value>) -> Result<Value, ApiErr> {
    let text = params.get("text").and_then(Value::as_str).unwrap_or("");
    check_text(text)?;
    let markup = reply_markup_param(params)?;
    let stored = editable(st, params)?;
    if stored.json.get("text").is_none() {
        return Err(ApiErr::bad_request(
            "there is no text in the message to edit",
        ));
    }
    let mut new = without_edit_date(&stored.json);
    new["text"] = json!(text);
    set_or_remove(&mut new, "reply_markup", markup);
    finish_edit(stored, new)
}

fn edit_message_caption(st: &mut FakeState, params: &Map<String, Value>) -> Result<Value, ApiErr> {
    let caption = caption_param(params.get("caption"))?;
    let markup = reply_markup_param(params)?;
    let stored = editable(st, params)?;
    if stored.photo_file_id.is_none() {
        return Err(ApiErr::bad_request(
            "there is no caption in the message to edit",
        ));
    }
    let mut new = without_edit_date(&stored.json);
    set_or_remove(&mut new, "caption", caption.map(Value::from));
    set_or_remove(&mut new, "reply_markup", markup);
    finish_edit(stored, new)
}

fn edit_message_media(
    st: &mut FakeState,
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
            "fake telegram only models InputMediaPhoto in editMessageMedia",
        ));
    }
    let caption = caption_param(media.get("caption"))?;
    let markup = reply_markup_param(params)?;
    // Check the target before storing the upload.
    let is_photo = editable(st, params)?.photo_file_id.is_some();
    if !is_photo {
        return Err(ApiErr::bad_request(
            "there is no media in the message to edit",
        ));
    }
    let (file_id, bytes) = resolve_photo(st, media.get("media"), parts)?;
    let stored = editable(st, params)?;
    let mut new = without_edit_date(&stored.json);
    new["photo"] = photo_sizes(&file_id, &bytes);
    set_or_remove(&mut new, "caption", caption.map(Value::from));
    set_or_remove(&mut new, "reply_markup", markup);
    let edited = finish_edit(stored, new)?;
    stored.photo_file_id = Some(file_id);
    Ok(edited)
}

fn edit_message_reply_markup(
    st: &mut FakeState,
    params: &Map<String, Value>,
) -> Result<Value, ApiErr> {
    let markup = reply_markup_param(params)?;
    let stored = editable(st, params)?;
    let mut new = without_edit_date(&stored.json);
    set_or_remove(&mut new, "reply_markup", markup);
    finish_edit(stored, new)
}

fn delete_message(st: &mut FakeState, params: &Map<String, Value>) -> Result<Value, ApiErr> {
    let chat_id = chat_id_param(params)?;
    let message_id = message_id_param(params)?;
    let chat = bot_chat(st, chat_id)?;
    if chat.messages.remove(&message_id).is_none() {
        return Err(ApiErr::bad_request("message to delete not found"));
    }
    st.deleted.push((chat_id, message_id));
    Ok(json!(true))
}

fn answer_callback_query(st: &mut FakeState, params: &Map<String, Value>) -> Result<Value, ApiErr> {
    let id = params
        .get("callback_query_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    if let Some(text) = params.get("text").and_then(Value::as_str)
        && text.chars().count() > 200
    {
        return Err(ApiErr::bad_request("MESSAGE_TOO_LONG"));
    }
    if !st.open_callbacks.remove(id) {
        return Err(ApiErr::bad_request(
            "query is too old and response timeout expired or query id is invalid",
        ));
    }
    Ok(json!(true))
}

// ---------------------------------------------------------------------------------------------
// Body parsing

/// Parses a JSON or multipart body into `(params, file parts as (part name, bytes))`.
fn parse_body(headers: &HeaderMap, body: &[u8]) -> Result<ParsedBody, String> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        let boundary = header_param(content_type, "boundary")
            .ok_or_else(|| "multipart body without a boundary".to_owned())?;
        let mut params = Map::new();
        let mut files = Vec::new();
        for part in parse_multipart(body, &boundary)? {
            match part.filename {
                Some(_) => files.push((part.name, part.data)),
                None => {
                    let text = String::from_utf8(part.data)
                        .map_err(|_| format!("field {} is not UTF-8", part.name))?;
                    let value = normalize_field(&part.name, text);
                    params.insert(part.name, value);
                }
            }
        }
        return Ok((params, files));
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((Map::new(), Vec::new()));
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(params)) => Ok((params, Vec::new())),
        Ok(_) => Err("the JSON body is not an object".to_owned()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

const INTEGER_FIELDS: &[&str] = &[
    "chat_id",
    "message_id",
    "message_thread_id",
    "reply_to_message_id",
    "from_chat_id",
    "offset",
    "limit",
    "timeout",
    "cache_time",
];
const BOOL_FIELDS: &[&str] = &[
    "disable_notification",
    "protect_content",
    "allow_paid_broadcast",
    "has_spoiler",
    "show_caption_above_media",
    "show_alert",
    "disable_content_type_detection",
];

/// A multipart text field as the JSON body would have carried it.
fn normalize_field(name: &str, text: String) -> Value {
    if INTEGER_FIELDS.contains(&name)
        && let Ok(n) = text.parse::<i64>()
    {
        return json!(n);
    }
    if BOOL_FIELDS.contains(&name) {
        match text.as_str() {
            "true" => return json!(true),
            "false" => return json!(false),
            _ => {}
        }
    }
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(value) = serde_json::from_str::<Value>(&text)
    {
        return value;
    }
    Value::String(text)
}

/// Names each uploaded part after the parameter that references it with `attach://`.
fn named_files(params: &Map<String, Value>, parts: &Parts) -> Vec<(String, Vec<u8>)> {
    fn references(value: &Value, part: &str) -> bool {
        let target = format!("attach://{part}");
        match value {
            Value::String(s) => *s == target,
            Value::Object(obj) => obj.values().any(|v| v.as_str() == Some(target.as_str())),
            _ => false,
        }
    }
    parts
        .iter()
        .map(|(part, bytes)| {
            let mut name = part.clone();
            for (key, value) in params {
                if references(value, part) {
                    name = key.clone();
                    break;
                }
                if let Value::Array(items) = value
                    && let Some(i) = items.iter().position(|item| references(item, part))
                {
                    name = format!("{key}[{i}]");
                    break;
                }
            }
            (name, bytes.clone())
        })
        .collect()
}

struct Part {
    name: String,
    filename: Option<String>,
    data: Vec<u8>,
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > haystack.len() || needle.is_empty() {
        return None;
    }
    haystack[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// A minimal RFC 7578 `multipart/form-data` reader (enough for reqwest's encoder).
fn parse_multipart(body: &[u8], boundary: &str) -> Result<Vec<Part>, String> {
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = [b"\r\n".as_slice(), &delimiter].concat();
    let mut pos = find(body, &delimiter, 0).ok_or("no opening boundary")?;
    let mut parts = Vec::new();
    loop {
        pos += delimiter.len();
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        if !body[pos..].starts_with(b"\r\n") {
            return Err("malformed boundary line".to_owned());
        }
        pos += 2;
        let headers_end = find(body, b"\r\n\r\n", pos).ok_or("part without a header end")?;
        let headers = std::str::from_utf8(&body[pos..headers_end])
            .map_err(|_| "part headers are not UTF-8".to_owned())?;
        let data_start = headers_end + 4;
        let data_end = find(body, &next_delimiter, data_start).ok_or("unterminated part")?;
        let disposition = headers
            .split("\r\n")
            .find(|line| {
                line.to_ascii_lowercase()
                    .starts_with("content-disposition:")
            })
            .ok_or("part without Content-Disposition")?;
        let name = header_param(disposition, "name").ok_or("part without a name")?;
        parts.push(Part {
            name,
            filename: header_param(disposition, "filename"),
            data: body[data_start..data_end].to_vec(),
        });
        pos = data_end + 2;
    }
}

/// The value of `key=` / `key="…"` among the `;`-separated parameters of a header value.
fn header_param(value: &str, key: &str) -> Option<String> {
    let mut params = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => {
                current.push(c);
                escaped = false;
            }
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => params.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    params.push(current);
    params.into_iter().skip(1).find_map(|param| {
        let (k, v) = param.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(key)
            .then(|| v.trim().to_owned())
    })
}

// ---------------------------------------------------------------------------------------------
// Small helpers

fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn inline_buttons(markup: Option<&Value>) -> Vec<Vec<(String, String)>> {
    let Some(rows) = markup
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    rows.iter()
        .map(|row| {
            row.as_array()
                .map(|buttons| {
                    buttons
                        .iter()
                        .map(|b| {
                            let text = b.get("text").and_then(Value::as_str).unwrap_or("");
                            let data = b.get("callback_data").and_then(Value::as_str).unwrap_or("");
                            (text.to_owned(), data.to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

/// `(width, height)` of a PNG or JPEG, or `None` if the bytes are neither.
fn image_size(bytes: &[u8]) -> Option<(u32, u32)> {
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if bytes.starts_with(PNG_SIGNATURE) && bytes.len() >= 24 && &bytes[12..16] == b"IHDR" {
        let width = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
        let height = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
        return (width > 0 && height > 0).then_some((width, height));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return jpeg_size(bytes);
    }
    None
}

fn jpeg_size(bytes: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xFF {
            return None;
        }
        let marker = bytes[i + 1];
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let height = u32::from(u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]));
            let width = u32::from(u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]));
            return Some((width, height));
        }
        i += 2 + len;
    }
    None
}
