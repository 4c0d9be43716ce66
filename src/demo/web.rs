//! The demo page and its JSON API. Everything is embedded in the binary (no CDN, no build
//! step): `assets/index.html`, `app.js`, `style.css`, and the project's Noto fonts for Khmer.
//! The page polls `GET /api/state` and redraws what changed.

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

use super::bank::{self, Action};
use super::{SELLER_ID, Shared, seller};

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
        .route("/api/send", post(send))
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

fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": message.into() })),
    )
        .into_response()
}

#[derive(Serialize)]
struct PageMessage {
    id: i32,
    from_bot: bool,
    sender: String,
    text: Option<String>,
    caption: Option<String>,
    /// Changes whenever the photo is replaced (the page reloads the image then).
    photo: Option<String>,
    buttons: Vec<Vec<(String, String)>>,
    edited: bool,
}

/// Everything the page shows, in one answer.
async fn state(State(shared): AppState) -> Json<Value> {
    let lang = shared.lang().clone();
    let messages: Vec<PageMessage> = shared
        .telegram
        .chat(SELLER_ID)
        .into_iter()
        .map(|m| PageMessage {
            id: m.message_id,
            from_bot: m.from_bot,
            sender: m.sender,
            text: m.text,
            caption: m.caption,
            photo: m.photo_file_id,
            buttons: m.buttons,
            edited: m.edited,
        })
        .collect();
    let commands = shared
        .telegram
        .set_commands_for(Some(lang.as_str()))
        .or_else(|| shared.telegram.set_commands_for(None))
        .unwrap_or_default();
    let mut scans: Vec<bank::Scan> = shared.scans().values().cloned().collect();
    scans.sort_by_key(|s| s.message_id);
    let setup = shared.setup_status().clone();
    Json(json!({
        "lang": lang,
        "messages": messages,
        "commands": commands,
        "scans": scans,
        "setup": setup,
    }))
}

/// The photo a chat message shows now (after edits).
async fn photo(State(shared): AppState, Path(message_id): Path<i32>) -> Response {
    match shared.telegram.current_photo(SELLER_ID, message_id) {
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

#[derive(Deserialize)]
struct PressInput {
    message_id: i32,
    data: String,
}

/// The seller presses an inline button; answers with the bot's toast text, if any.
async fn press(State(shared): AppState, Json(input): Json<PressInput>) -> Response {
    let query_id = shared
        .telegram
        .press_button(&shared.seller(), input.message_id, &input.data);
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

/// Switches the page's language, and the language Telegram reports for the seller.
async fn set_lang(State(shared): AppState, Json(input): Json<LangInput>) -> Response {
    match input.lang.as_str() {
        "en" | "km" => {
            *shared.lang() = input.lang;
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
    message_id: i32,
}

/// The bank app scans the card shown in chat message `message_id`, from its image.
async fn scan(State(shared): AppState, Json(input): Json<ScanInput>) -> Response {
    let Some(image) = shared.telegram.current_photo(SELLER_ID, input.message_id) else {
        return bad_request("this message has no picture");
    };
    let scanned = tokio::task::spawn_blocking(move || bank::scan(input.message_id, &image)).await;
    match scanned {
        Ok(Ok(scan)) => {
            shared.scans().insert(scan.message_id, scan.clone());
            Json(json!({ "scan": scan })).into_response()
        }
        Ok(Err(e)) => bad_request(e.to_string()),
        Err(e) => bad_request(format!("scanner crashed: {e}")),
    }
}

#[derive(Deserialize)]
struct ActInput {
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
    let Some(scan) = shared.scans().get(&input.message_id).cloned() else {
        return bad_request("scan the card first");
    };
    match bank::act(&shared.sandbox, &scan, &action) {
        Ok(done) => {
            if let Some(s) = shared.scans().get_mut(&input.message_id) {
                s.done = Some(done.clone());
            }
            Json(json!({ "done": done })).into_response()
        }
        Err(e) => bad_request(e.to_string()),
    }
}
