//! A local emulator of the Telegram Bot API subset this bot uses — not a Telegram replacement.
//!
//! [`TelegramEmulator::start`] binds an HTTP server on a loopback address (`127.0.0.1:0` for
//! a free port; other addresses are refused). Point a bot at it with
//! `Bot::new(emulator.bot_token()).set_api_url(emulator.api_url())` (or `TELOXIDE_TOKEN` /
//! `TELOXIDE_API_URL`), let it long-poll, act as its users ([`TelegramEmulator::send_text`],
//! [`TelegramEmulator::press_button`]) and look at what it did: the raw requests
//! ([`TelegramEmulator::calls`], [`TelegramEmulator::wait_for`]) or a chat as a person sees it,
//! edits and deletions applied ([`TelegramEmulator::chat`]); [`TelegramEmulator::subscribe`]
//! tells when anything changed. It knows nothing of the bot that talks to it.
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
//! - Private chats: the chat id of a user is the user id, and the bot can only talk to a
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
//! - Group chats: only members writing messages ([`TelegramEmulator::send_group_text`]); the
//!   bot may send to a group once someone wrote there.
//! - Floods ([`flood`]): many updates queued at once — one user's pile of messages or
//!   button presses, a group's members all sending a command, many distinct users.
//! - Inline mode ([`inline`]): inline queries, `answerInlineQuery`, a user choosing a result
//!   (`chosen_inline_result`, with an `inline_message_id` only for a result with an inline
//!   keyboard), edits by `inline_message_id` (no uploads: media by `file_id`), button presses
//!   on inline messages, and `getMe`'s `supports_inline_queries`.
//! - Webhooks ([`webhook`]): `setWebhook` (with `secret_token` and `allowed_updates`)
//!   makes the emulator POST each queued update to the URL, in order, one at a time, with
//!   `X-Telegram-Bot-Api-Secret-Token`, until the bot answers 2xx; `getUpdates` is then
//!   refused with `409 Conflict` until `deleteWebhook`.
//! - Not modelled: channels, `parse_mode` (texts are stored verbatim),
//!   payments, file downloads.
//!
//! Failure injection: [`TelegramEmulator::fail_next`]. Flood control as Telegram applies it:
//! [`Failure::FloodWindow`] opens a window in which every request is refused with
//! `retry_after`; [`TelegramEmulator::flood_violations`] lists the requests that arrived in
//! one. Beware that teloxide sleeps **10 s** after any HTTP 5xx answer before returning the
//! error, so prefer [`Failure::Network`] / [`Failure::RetryAfter`] over
//! [`Failure::Status`]`(500)` when the client is teloxide.
//!
//! Files: [`control`] (acting as users, reading the chat: the API a test or a demo page uses),
//! [`http`] (routing, tokens, injected failures), [`body`] (JSON and multipart requests),
//! [`updates`] (`getUpdates` long polling), [`methods`] (one file per family of Bot API
//! methods), [`files`] (uploaded photos), [`state`] (what the emulator remembers).

mod answers;
mod body;
mod calls;
mod chat;
mod control;
mod failures;
mod files;
mod flood;
mod http;
mod inline;
mod methods;
mod state;
mod updates;
mod user;
mod values;
mod webhook;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use calls::{Call, WaitTimeout};
pub use chat::ChatMessage;
pub use failures::Failure;
pub use inline::{ChosenInline, InlineAnswer, InlineButton, InlineResult};
pub use state::SentPhoto;
pub use user::TgUser;

use state::Shared;

/// Longest a `getUpdates` long poll is held open, whatever `timeout` the client asked for, so
/// that a dispatcher shuts down quickly.
pub const LONG_POLL_CAP: Duration = Duration::from_secs(1);

/// The bot token the emulator accepts (the bot's user id is the part before `:`).
pub const BOT_TOKEN: &str = "7000000001:AAFakeTelegramTokenForKhqrBotTests";
/// The bot's user id (from [`BOT_TOKEN`]).
pub const BOT_ID: i64 = 7_000_000_001;
/// The bot's `@username`, without the `@`.
pub const BOT_USERNAME: &str = "khqr_test_bot";
/// The bot's display name.
pub const BOT_FIRST_NAME: &str = "KHQR Test Bot";

/// Largest request body accepted (Telegram's upload limit for bots).
const MAX_UPLOAD: usize = 50 * 1024 * 1024;

/// A running emulator. Dropping it stops the server.
pub struct TelegramEmulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: JoinHandle<()>,
    /// POSTs updates to the bot's webhook while one is set.
    webhook: JoinHandle<()>,
}

impl Drop for TelegramEmulator {
    fn drop(&mut self) {
        self.server.abort();
        self.webhook.abort();
    }
}

impl TelegramEmulator {
    /// Starts the emulator on `addr`, which must be a loopback address (port 0 picks a free
    /// port: see [`TelegramEmulator::addr`]). It serves until the value is dropped.
    pub async fn start(addr: SocketAddr) -> io::Result<TelegramEmulator> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("the Telegram emulator listens on loopback only, not on {addr}"),
            ));
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new());
        let app = Router::new()
            .fallback(http::handle)
            .with_state(shared.clone())
            .layer(DefaultBodyLimit::max(MAX_UPLOAD));
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::warn!(error = %e, "telegram emulator: server stopped");
            }
        });
        let webhook = tokio::spawn(webhook::deliver_loop(shared.clone()));
        Ok(TelegramEmulator {
            shared,
            addr,
            server,
            webhook,
        })
    }

    /// The address the emulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL of the emulator, for `Bot::set_api_url` or `TELOXIDE_API_URL`
    /// (`http://127.0.0.1:<port>/`).
    pub fn api_url(&self) -> reqwest::Url {
        // ok: a SocketAddr always makes a valid http URL.
        reqwest::Url::parse(&format!("http://{}/", self.addr)).expect("http://<socket address>/")
    }

    /// The only token the emulator accepts ([`BOT_TOKEN`]).
    pub fn bot_token(&self) -> &str {
        BOT_TOKEN
    }

    /// The bot's `@username` without `@` ([`BOT_USERNAME`]), for `/cmd@bot` texts.
    pub fn bot_username(&self) -> &str {
        BOT_USERNAME
    }
}
