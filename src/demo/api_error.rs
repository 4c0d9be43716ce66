//! How the page's JSON API refuses a request: HTTP 400 with `{"error": "…"}`, whose text
//! the page shows to the person as it is. Every handler (the page's own in `web.rs`, inline
//! mode's in `inline.rs`) refuses this one way.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub(super) fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": message.into() })),
    )
        .into_response()
}
