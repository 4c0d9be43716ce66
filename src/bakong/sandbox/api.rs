//! The emulated `/v1` Open API endpoints, with the production envelopes and codes.

// Helpers return the early error `Response` directly; it is moved once, on a cold path.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::state::{Answer, RenewalMode, Shared, TokenCheck};
use crate::bakong::envelope::LenientAmount;
use crate::bakong::types::Currency;

/// Production rejects longer lists (unverified; the sandbox answers 400).
pub const MAX_LIST: usize = 50;

/// The `/v1` routes (full paths, so middleware sees them as clients sent them).
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/check_transaction_by_md5", post(by_md5))
        .route("/v1/check_transaction_by_md5_list", post(by_md5_list))
        .route("/v1/check_transaction_by_hash", post(by_hash))
        .route("/v1/check_transaction_by_hash_list", post(by_hash_list))
        .route("/v1/check_transaction_by_short_hash", post(by_short_hash))
        .route("/v1/check_bakong_account", post(check_account))
        .route("/v1/renew_token", post(renew_token))
        .route("/v1/generate_deeplink_by_qr", post(deeplink))
        .route("/v1/{*rest}", any(not_found))
        .with_state(shared)
}

async fn not_found() -> Response {
    envelope(StatusCode::NOT_FOUND, 1, None, "Not Found", Value::Null)
}

fn envelope(
    status: StatusCode,
    response_code: u8,
    error_code: Option<u8>,
    message: &str,
    data: Value,
) -> Response {
    let body = json!({
        "responseCode": response_code,
        "responseMessage": message,
        "errorCode": error_code,
        "data": data,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn ok(message: &str, data: Value) -> Response {
    envelope(StatusCode::OK, 0, None, message, data)
}

fn fail(error_code: u8, message: &str) -> Response {
    envelope(StatusCode::OK, 1, Some(error_code), message, Value::Null)
}

fn bad_request(message: &str) -> Response {
    envelope(StatusCode::BAD_REQUEST, 1, Some(5), message, Value::Null)
}

fn unauthorized() -> Response {
    envelope(
        StatusCode::UNAUTHORIZED,
        1,
        Some(6),
        "Unauthorized",
        Value::Null,
    )
}

/// `Authorization: Bearer <token this sandbox issued, not revoked, not expired>`.
fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match shared.lock().check_token(bearer) {
        TokenCheck::Valid => Ok(()),
        why => {
            tracing::debug!(?why, "sandbox: token refused");
            Err(unauthorized())
        }
    }
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Response> {
    serde_json::from_slice(body).map_err(|e| bad_request(&format!("Invalid request body: {e}")))
}

fn md5_answer(answer: Answer) -> Response {
    match answer {
        Answer::Paid(tx) => ok("Getting transaction successfully.", tx.to_json(false)),
        Answer::NotFound => fail(
            1,
            "Transaction could not be found. Please check and try again.",
        ),
        Answer::Failed => fail(3, "Transaction failed."),
        Answer::StaticQr => fail(2, "Static KHQR transactions cannot be checked by md5."),
        Answer::ServiceFailed => envelope(
            StatusCode::INTERNAL_SERVER_ERROR,
            1,
            None,
            "Service failed",
            Value::Null,
        ),
    }
}

async fn by_md5(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = authorize(&shared, &headers) {
        return r;
    }
    #[derive(Deserialize)]
    struct Req {
        md5: Option<String>,
    }
    let req: Req = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(md5) = req.md5.filter(|m| !m.trim().is_empty()) else {
        return fail(5, "md5 is required");
    };
    let answer = shared.lock().answer_md5(&md5);
    md5_answer(answer)
}

fn list_body(body: &Bytes) -> Result<Vec<String>, Response> {
    let list: Vec<String> = parse(body)?;
    if list.len() > MAX_LIST {
        return Err(bad_request(&format!(
            "A list may contain at most {MAX_LIST} items"
        )));
    }
    Ok(list)
}

async fn by_md5_list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&shared, &headers) {
        return r;
    }
    let list = match list_body(&body) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let items: Vec<Value> = {
        let mut state = shared.lock();
        list.iter()
            .map(|md5| {
                let (status, message, data) = match state.answer_md5(md5) {
                    Answer::Paid(tx) => (
                        "SUCCESS",
                        "Getting transaction successfully.",
                        tx.to_json(false),
                    ),
                    Answer::NotFound => {
                        ("NOT_FOUND", "Transaction could not be found.", Value::Null)
                    }
                    Answer::Failed => ("FAILED", "Transaction failed.", Value::Null),
                    Answer::StaticQr => ("STATIC_QR", "Static KHQR is not supported.", Value::Null),
                    Answer::ServiceFailed => ("SERVICE_FAILED", "Service failed.", Value::Null),
                };
                json!({ "md5": md5, "status": status, "message": message, "data": data })
            })
            .collect()
    };
    ok("Getting transaction successfully.", Value::Array(items))
}

async fn by_hash(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(r) = authorize(&shared, &headers) {
        return r;
    }
    #[derive(Deserialize)]
    struct Req {
        hash: Option<String>,
    }
    let req: Req = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(hash) = req.hash.filter(|h| !h.trim().is_empty()) else {
        return fail(5, "hash is required");
    };
    match shared.lock().tx_by_hash(&hash) {
        Some(tx) => ok("Getting transaction successfully.", tx.to_json(true)),
        None => fail(
            1,
            "Transaction could not be found. Please check and try again.",
        ),
    }
}

async fn by_hash_list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&shared, &headers) {
        return r;
    }
    let list = match list_body(&body) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let state = shared.lock();
    let items = list
        .iter()
        .map(|hash| match state.tx_by_hash(hash) {
            Some(tx) => json!({ "hash": hash, "status": "SUCCESS", "message": "Getting transaction successfully.", "data": tx.to_json(true) }),
            None => json!({ "hash": hash, "status": "NOT_FOUND", "message": "Transaction could not be found.", "data": null }),
        })
        .collect();
    ok("Getting transaction successfully.", Value::Array(items))
}

async fn by_short_hash(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize(&shared, &headers) {
        return r;
    }
    #[derive(Deserialize)]
    struct Req {
        hash: Option<String>,
        amount: Option<LenientAmount>,
        currency: Option<String>,
    }
    let req: Req = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let (Some(hash), Some(amount), Some(currency)) = (
        req.hash,
        req.amount,
        req.currency
            .as_deref()
            .and_then(|c| c.trim().parse::<Currency>().ok()),
    ) else {
        return fail(5, "hash, amount and currency are required");
    };
    match shared.lock().tx_by_short_hash(&hash, &amount.0, currency) {
        Some(tx) => ok("Getting transaction successfully.", tx.to_json(true)),
        None => fail(
            1,
            "Transaction could not be found. Please check and try again.",
        ),
    }
}

/// `name@bank`: non-empty parts, no spaces, one `@`.
fn well_formed_account(id: &str) -> bool {
    match id.split_once('@') {
        Some((name, bank)) => {
            !name.is_empty()
                && !bank.is_empty()
                && !bank.contains('@')
                && id.len() <= 32
                && !id.chars().any(char::is_whitespace)
        }
        None => false,
    }
}

/// Like production (API.md §5): answered without a token, and whatever `Authorization`
/// carries, so an answer here proves nothing about a token.
async fn check_account(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Req {
        account_id: Option<String>,
    }
    let req: Req = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(id) = req.account_id else {
        return fail(5, "accountId is required");
    };
    if !well_formed_account(&id) {
        return fail(12, "Account ID is invalid");
    }
    if shared.lock().account_exists(&id) {
        ok("Account ID exists", Value::Null)
    } else {
        fail(11, "Account ID not found")
    }
}

async fn renew_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    struct Req {
        email: Option<String>,
    }
    let req: Req = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let Some(email) = req
        .email
        .map(|e| e.trim().to_owned())
        .filter(|e| !e.is_empty())
    else {
        return fail(5, "email is required");
    };
    let mut state = shared.lock();
    if !state.is_registered(&email) {
        return fail(10, "Email is not registered yet");
    }
    match state.renewal_mode() {
        RenewalMode::Issue => {
            let token = state.issue_token(&email);
            ok("Token has been issued", json!({ "token": token }))
        }
        RenewalMode::Mailed => ok("Token has been sent to your email", Value::Null),
        RenewalMode::Refuse { error_code: 7 } => fail(7, "Email server is down"),
        RenewalMode::Refuse { error_code } => fail(error_code, "Token renewal refused"),
    }
}

async fn deeplink(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Source {
        app_icon_url: Option<String>,
        app_name: Option<String>,
        app_deep_link_callback: Option<String>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Req {
        qr: Option<String>,
        source_info: Option<Source>,
    }
    let req: Req = match parse(&body) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let filled = |s: &Option<String>| s.as_deref().is_some_and(|s| !s.trim().is_empty());
    let complete = req.source_info.as_ref().is_some_and(|s| {
        filled(&s.app_icon_url) && filled(&s.app_name) && filled(&s.app_deep_link_callback)
    });
    let Some(qr) = req.qr.filter(|q| !q.trim().is_empty() && complete) else {
        return fail(
            5,
            "qr and sourceInfo (appIconUrl, appName, appDeepLinkCallback) are required",
        );
    };
    let id = &super::qr::md5_hex(&qr)[..12];
    ok(
        "Getting Deep Link successfully.",
        json!({ "shortLink": format!("{}/#deeplink-{id}", shared.base_url) }),
    )
}
