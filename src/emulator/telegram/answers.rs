//! What the emulator answers: Telegram's `{"ok": …}` envelopes, and a dropped connection.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Telegram's description for an edit that changes nothing.
pub(super) const MESSAGE_NOT_MODIFIED: &str = "Bad Request: message is not modified: specified \
    new message content and reply markup are exactly the same as a current content and reply \
    markup of the message";

impl ApiErr {
    /// `404 Not Found`, Telegram's answer to an unknown method or path.
    pub(super) fn not_found() -> Self {
        Self {
            code: 404,
            description: "Not Found".to_owned(),
            retry_after: None,
        }
    }
}

/// A Telegram error answer.
pub(super) struct ApiErr {
    pub(super) code: u16,
    pub(super) description: String,
    pub(super) retry_after: Option<u32>,
}

impl ApiErr {
    pub(super) fn bad_request(description: &str) -> Self {
        Self {
            code: 400,
            description: format!("Bad Request: {description}"),
            retry_after: None,
        }
    }

    pub(super) fn into_response(self) -> Response {
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

pub(super) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

pub(super) fn ok_response(result: Value) -> Response {
    json_response(StatusCode::OK, &json!({ "ok": true, "result": result }))
}

/// A 200 whose body breaks off: the client sees a dropped connection.
pub(super) fn network_failure() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "telegram emulator: injected network failure",
        ))
    });
    let mut response = Response::new(Body::from_stream(stream));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

