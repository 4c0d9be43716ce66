//! The demo page and its JSON API. Everything is embedded in the binary (no CDN, no build
//! step): `assets/index.html`, `app.js`, `style.css`, and the project's Noto fonts for Khmer.
//! The page polls `GET /api/state` and redraws what changed. The seller's two chats
//! ([`DemoChat`]) are read from the emulator as a Telegram client shows them; the customer
//! chat's inline mode is in [`super::inline`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::api_error::bad_request;
use super::bank::{self, Action};
use super::{DemoChat, Shared, inline, seller};

const INDEX_HTML: &str = include_str!("assets/index.html");
const APP_JS: &str = include_str!("assets/app.js");
const STYLE_CSS: &str = include_str!("assets/style.css");
const FONT_LATIN: &[u8] = include_bytes!("../../assets/fonts/NotoSans-Regular.ttf");
const FONT_KHMER: &[u8] = include_bytes!("../../assets/fonts/NotoSansKhmer-Regular.ttf");
const FONT_KHMER_BOLD: &[u8] = include_bytes!("../../assets/fonts/NotoSansKhmer-Bold.ttf");

/// How long a button press waits for the bot's `answerCallbackQuery` (the toast text).
const ANSWER_WAIT: Duration = Duration::from_secs(5);

type AppState = State<Arc<Shared>>;

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/assets/app.js",
            get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }),
        )
        .route(
            "/assets/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
        )
        .route(
            "/assets/NotoSans-Regular.ttf",
            get(|| async { asset("font/ttf", FONT_LATIN) }),
        )
        .route(
            "/assets/NotoSansKhmer-Regular.ttf",
            get(|| async { asset("font/ttf", FONT_KHMER) }),
        )
        .route(
            "/assets/NotoSansKhmer-Bold.ttf",
            get(|| async { asset("font/ttf", FONT_KHMER_BOLD) }),
        )
        .route("/api/state", get(state))
        .route("/api/photo/{message_id}", get(photo))
        .route("/api/file/{file_id}", get(file))
        .route("/api/send", post(send))
        .route("/api/inline/query", post(inline::query))
        .route("/api/inline/choose", post(inline::choose))
        .route("/api/inline/start", post(inline::start))
        .route("/api/press", post(press))
        .route("/api/lang", post(set_lang))
        .route("/api/setup", post(setup))
        .route("/api/bank/scan", post(scan))
        .route("/api/bank/act", post(act))
        .with_state(shared)
}

fn asset(content_type: &'static str, body: impl IntoResponse) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

#[derive(Serialize)]
struct PageMessage {
    id: i32,
    from_bot: bool,
    sender: String,
    /// `@username` of the bot a message was sent through (inline mode).
    via_bot: Option<String>,
    text: Option<String>,
    caption: Option<String>,
    /// The photo's `file_id`: changes whenever the photo is replaced (the page reloads the
    /// image then).
    photo: Option<String>,
    buttons: Vec<Vec<PageButton>>,
    edited: bool,
}

/// A button of an inline keyboard, as a Telegram client acts on it.
#[derive(Serialize)]
struct PageButton {
    text: String,
    /// `callback_data` (pressing it sends a callback query).
    data: Option<String>,
    /// `switch_inline_query_chosen_chat.query`: pressing it opens a chat the user picks with
    /// `@bot <query>` in the composer.
    switch_query: Option<String>,
}

fn page_button(button: &Value) -> PageButton {
    let str_at = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    PageButton {
        text: str_at(button.get("text")).unwrap_or_default(),
        data: str_at(button.get("callback_data")),
        switch_query: button
            .get("switch_inline_query_chosen_chat")
            .map(|s| str_at(s.get("query")).unwrap_or_default()),
    }
}

/// The messages of `chat` as the seller's Telegram shows them now.
fn page_messages(shared: &Shared, chat: DemoChat) -> Vec<PageMessage> {
    let chat_id = chat.chat_id();
    shared
        .telegram
        .chat(chat_id)
        .into_iter()
        .map(|m| {
            let raw = shared.telegram.message(chat_id, m.message_id);
            let raw = raw.as_ref();
            let buttons = raw
                .and_then(|r| r.pointer("/reply_markup/inline_keyboard"))
                .and_then(Value::as_array)
                .map(|rows| {
                    rows.iter()
                        .map(|row| {
                            row.as_array()
                                .map(|bs| bs.iter().map(page_button).collect())
                                .unwrap_or_default()
                        })
                        .collect()
                })
                .unwrap_or_default();
            let via_bot = raw
                .and_then(|r| r.pointer("/via_bot/username"))
                .and_then(Value::as_str)
                .map(|u| format!("@{u}"));
            PageMessage {
                id: m.message_id,
                from_bot: m.from_bot,
                sender: m.sender,
                via_bot,
                text: m.text,
                caption: m.caption,
                photo: m.photo_file_id,
                buttons,
                edited: m.edited,
            }
        })
        .collect()
}

/// Everything the page shows, in one answer.
async fn state(State(shared): AppState) -> Json<Value> {
    let lang = shared.lang().clone();
    let messages = page_messages(&shared, DemoChat::Bot);
    let customer = page_messages(&shared, DemoChat::Customer);
    let typing = inline::typing_state(&shared);
    let commands = shared
        .telegram
        .set_commands_for(Some(lang.as_str()))
        .or_else(|| shared.telegram.set_commands_for(None))
        .unwrap_or_default();
    let mut scans: Vec<bank::Scan> = shared.scans().values().cloned().collect();
    scans.sort_by_key(|s| (s.chat == DemoChat::Customer, s.message_id));
    let setup = shared.setup_status().clone();
    Json(json!({
        "lang": lang,
        "messages": messages,
        "customer": customer,
        "inline": typing,
        "bot_username": shared.telegram.bot_username(),
        "commands": commands,
        "scans": scans,
        "setup": setup,
    }))
}

/// The photo a message of the seller's chat with the bot shows now (after edits).
async fn photo(State(shared): AppState, Path(message_id): Path<i32>) -> Response {
    image(
        shared
            .telegram
            .current_photo(DemoChat::Bot.chat_id(), message_id),
    )
}

/// A photo by its `file_id` (a message's in the customer chat, an inline result's).
async fn file(State(shared): AppState, Path(file_id): Path<String>) -> Response {
    image(shared.telegram.file(&file_id))
}

fn image(bytes: Option<Vec<u8>>) -> Response {
    match bytes {
        Some(bytes) => {
            let kind = if bytes.starts_with(b"\x89PNG") {
                "image/png"
            } else {
                "image/jpeg"
            };
            ([(header::CONTENT_TYPE, kind)], bytes).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such photo").into_response(),
    }
}

#[derive(Deserialize)]
struct SendInput {
    text: String,
}

/// The seller sends a text message to the bot.
async fn send(State(shared): AppState, Json(input): Json<SendInput>) -> Response {
    let text = input.text.trim();
    if text.is_empty() {
        return bad_request("empty message");
    }
    let id = shared.telegram.send_text(&shared.seller(), text);
    Json(json!({ "message_id": id })).into_response()
}

/// Who presses a button.
#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Presser {
    #[default]
    Seller,
    Customer,
}

#[derive(Deserialize)]
struct PressInput {
    #[serde(default)]
    chat: DemoChat,
    message_id: i32,
    data: String,
    /// Who presses it (the customer only in the customer chat).
    #[serde(default, rename = "as")]
    presser: Presser,
}

/// Someone presses an inline button; answers with the bot's toast text, if any. In the
/// seller's chat with the bot the seller presses it; on the card in the customer chat
/// (an inline message: the press carries its `inline_message_id`) the customer or the seller.
async fn press(State(shared): AppState, Json(input): Json<PressInput>) -> Response {
    let query_id = match input.chat {
        DemoChat::Bot => {
            shared
                .telegram
                .press_button(&shared.seller(), input.message_id, &input.data)
        }
        DemoChat::Customer => {
            let inline_id = shared
                .telegram
                .chat(DemoChat::Customer.chat_id())
                .into_iter()
                .find(|m| m.message_id == input.message_id)
                .and_then(|m| m.inline_message_id);
            let Some(inline_id) = inline_id else {
                return bad_request("this message has no buttons the bot can answer");
            };
            let user = match input.presser {
                Presser::Seller => shared.seller(),
                Presser::Customer => shared.customer(),
            };
            shared
                .telegram
                .press_inline_button(&user, &inline_id, &input.data)
        }
    };
    let deadline = Instant::now() + ANSWER_WAIT;
    while Instant::now() < deadline {
        let answer = shared
            .telegram
            .calls_of("answerCallbackQuery")
            .into_iter()
            .find(|c| c.str_param("callback_query_id") == Some(query_id.as_str()));
        if let Some(call) = answer {
            let text = call.str_param("text").map(str::to_owned);
            return Json(json!({ "answer": text })).into_response();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Json(json!({ "answer": null })).into_response()
}

#[derive(Deserialize)]
struct LangInput {
    lang: String,
}

/// Switches the page's language, the language Telegram reports for the seller and, as a
/// seller would, the bot's: the seller sends `/lang en` or `/lang km` (a seller's language
/// changes only with /lang, whatever their Telegram says).
async fn set_lang(State(shared): AppState, Json(input): Json<LangInput>) -> Response {
    match input.lang.as_str() {
        "en" | "km" => {
            let changed = {
                let mut lang = shared.lang();
                let changed = *lang != input.lang;
                lang.clone_from(&input.lang);
                changed
            };
            if changed {
                let command = format!("/lang {}", input.lang);
                shared.telegram.send_text(&shared.seller(), &command);
            }
            Json(json!({ "ok": true })).into_response()
        }
        other => bad_request(format!("unknown language {other}")),
    }
}

/// Starts the one-click demo seller (in the background: the page watches the chat).
async fn setup(State(shared): AppState) -> Response {
    {
        let mut status = shared.setup_status();
        if status.as_str() == "running" {
            return bad_request("setup is already running");
        }
        *status = "running".to_owned();
    }
    tokio::spawn(async move {
        let outcome = seller::set_up(shared.clone()).await;
        *shared.setup_status() = match outcome {
            Ok(()) => "done".to_owned(),
            Err(e) => format!("failed: {e}"),
        };
    });
    Json(json!({ "ok": true })).into_response()
}

#[derive(Deserialize)]
struct ScanInput {
    #[serde(default)]
    chat: DemoChat,
    message_id: i32,
}

/// The bank app scans the card shown in message `message_id` of `chat`, from its image.
async fn scan(State(shared): AppState, Json(input): Json<ScanInput>) -> Response {
    let (chat, message_id) = (input.chat, input.message_id);
    let Some(image) = shared.telegram.current_photo(chat.chat_id(), message_id) else {
        return bad_request("this message has no picture");
    };
    let scanned = tokio::task::spawn_blocking(move || bank::scan(chat, message_id, &image)).await;
    match scanned {
        Ok(Ok(scan)) => {
            shared
                .scans()
                .insert((scan.chat, scan.message_id), scan.clone());
            Json(json!({ "scan": scan })).into_response()
        }
        Ok(Err(e)) => bad_request(e.to_string()),
        Err(e) => bad_request(format!("scanner crashed: {e}")),
    }
}

#[derive(Deserialize)]
struct ActInput {
    #[serde(default)]
    chat: DemoChat,
    message_id: i32,
    /// "pay", "amount" (with `amount`) or "fail".
    action: String,
    #[serde(default)]
    amount: Option<String>,
}

/// The customer pays a scanned card (or pays another amount, or the transfer fails).
async fn act(State(shared): AppState, Json(input): Json<ActInput>) -> Response {
    let action = match (input.action.as_str(), input.amount) {
        ("pay", _) => Action::Pay,
        ("fail", _) => Action::Fail,
        ("amount", Some(amount)) => Action::PayAmount(amount),
        ("amount", None) => return bad_request("give the amount to pay"),
        (other, _) => return bad_request(format!("unknown action {other}")),
    };
    let key = (input.chat, input.message_id);
    let Some(scan) = shared.scans().get(&key).cloned() else {
        return bad_request("scan the card first");
    };
    match bank::act(&shared.sandbox, &scan, &action) {
        Ok(done) => {
            if let Some(s) = shared.scans().get_mut(&key) {
                s.done = Some(done.clone());
            }
            Json(json!({ "done": done })).into_response()
        }
        Err(e) => bad_request(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buttons_are_read_as_a_telegram_client_acts_on_them() {
        let check = page_button(&json!({ "text": "Check now", "callback_data": "k:1" }));
        assert_eq!(check.data.as_deref(), Some("k:1"));
        assert_eq!(check.switch_query, None);
        let send = page_button(&json!({
            "text": "Send to customer",
            "switch_inline_query_chosen_chat": { "query": "KB3F9Q0ZX7A1B2", "allow_user_chats": true },
        }));
        assert_eq!(send.text, "Send to customer");
        assert_eq!(send.data, None);
        assert_eq!(send.switch_query.as_deref(), Some("KB3F9Q0ZX7A1B2"));
        // No query: the chat opens with the bot's name only.
        let empty = page_button(&json!({ "text": "Share", "switch_inline_query_chosen_chat": {} }));
        assert_eq!(empty.switch_query.as_deref(), Some(""));
        let url = page_button(&json!({ "text": "Site", "url": "https://example.com" }));
        assert_eq!((url.data, url.switch_query), (None, None));
    }
}
