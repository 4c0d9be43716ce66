//! Routing: the token, the method name, injected failures and flood windows, and the record
//! of every call.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::Value;

use super::BOT_TOKEN;
use super::answers::{ApiErr, network_failure, ok_response};
use super::body::{named_files, read_body};
use super::calls::Call;
use super::failures::{Failure, failure_response};
use super::methods::dispatch;
use super::state::Shared;
use super::updates::get_updates;

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
    "answerInlineQuery",
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

/// Every request: `/bot<TOKEN>/<method>`, checked, parsed, answered and recorded.
pub(super) async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let mut segments = path.trim_start_matches('/').splitn(2, '/');
    let (Some(bot_segment), Some(raw_method)) = (segments.next(), segments.next()) else {
        return ApiErr::not_found().into_response();
    };
    let Some(token) = bot_segment.strip_prefix("bot") else {
        return ApiErr::not_found().into_response();
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

    let (params, parts) = match read_body(request).await {
        Ok(parsed) => parsed,
        Err(e) => {
            return ApiErr::bad_request(&format!("telegram emulator cannot read the body: {e}"))
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
    shared.notify_changed();
    response
}
