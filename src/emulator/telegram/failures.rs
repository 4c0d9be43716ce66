//! Failures a test injects instead of carrying a request out.

use axum::http::StatusCode;
use axum::response::Response;

use super::answers::{ApiErr, MESSAGE_NOT_MODIFIED, network_failure};

/// A failure to inject with [`TelegramEmulator::fail_next`](super::TelegramEmulator::fail_next).
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

/// The answer to a request that `failure` hits, and the description recorded in
/// [`Call::error`](super::Call::error).
pub(super) fn failure_response(failure: &Failure) -> (Response, String) {
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
