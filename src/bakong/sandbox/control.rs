//! JSON control endpoints under `/sandbox` (for scripts and tests): pay, fail, scripts,
//! faults, latency, the production-like batch-403 switch (`/batch_endpoint`), tokens,
//! accounts and the request log.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::faults::Fault;
use super::log::LoggedRequestJson;
use super::qr;
use super::state::{Payment, RenewalMode, Shared, Step, Tx};

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/pay", post(pay))
        .route("/fail", post(fail))
        .route("/script", post(script))
        .route(
            "/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/latency", post(latency))
        .route(
            "/batch_endpoint",
            post(set_batch_endpoint).get(batch_endpoint),
        )
        .route("/tokens", post(issue_token))
        .route("/tokens/revoke", post(revoke_token))
        .route("/tokens/expire", post(expire_token))
        .route("/accounts", post(account))
        .route("/registrations", post(registration))
        .route("/renewal", post(renewal).get(renewal_mode))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/md5s", get(md5s))
        .route("/reset", post(reset))
        .with_state(shared)
}

fn error(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "error": message.into() })),
    )
        .into_response()
}

/// What to mark paid: an md5 with explicit fields, or a pasted QR (its md5, account,
/// currency and amount), where explicit fields override the QR's.
#[derive(Debug, Default, Deserialize)]
pub struct PayInput {
    #[serde(default)]
    pub md5: Option<String>,
    #[serde(default)]
    pub qr: Option<String>,
    #[serde(default)]
    pub amount: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub to_account_id: Option<String>,
    #[serde(default)]
    pub from_account_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub created_date_ms: Option<u64>,
    #[serde(default)]
    pub hash: Option<String>,
}

fn given(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// Records a payment described by `input`; returns the md5 and the transaction.
pub fn pay_input(shared: &Shared, input: PayInput) -> Result<(String, Tx), String> {
    let pasted = match given(input.qr.clone()) {
        Some(text) => Some(qr::read(&text).map_err(|e| e.to_string())?),
        None => None,
    };
    let md5 = match (given(input.md5), &pasted) {
        (Some(m), Some(p)) if !m.eq_ignore_ascii_case(&p.md5) => {
            return Err("md5 and qr disagree".into());
        }
        (Some(m), _) => m.to_ascii_lowercase(),
        (None, Some(p)) => p.md5.clone(),
        (None, None) => return Err("give an md5 or paste a QR".into()),
    };
    let amount = given(input.amount)
        .or_else(|| {
            pasted
                .as_ref()
                .and_then(|p| p.amount.as_ref())
                .map(|a| a.to_string())
        })
        .ok_or("amount is required (this QR has none)")?;
    let currency = given(input.currency)
        .or_else(|| {
            pasted
                .as_ref()
                .and_then(|p| p.currency)
                .map(|c| c.alpha().to_owned())
        })
        .ok_or("currency is required")?;
    let to_account_id = given(input.to_account_id)
        .or_else(|| pasted.as_ref().map(|p| p.account_id.clone()))
        .ok_or("to_account_id is required")?;
    let payment = Payment {
        amount,
        currency: currency.to_ascii_uppercase(),
        to_account_id,
        from_account_id: given(input.from_account_id),
        description: given(input.description),
        created_date_ms: input.created_date_ms,
        hash: given(input.hash),
    };
    let qr_text = given(input.qr);
    let tx = shared.lock().pay(&md5, payment, qr_text)?;
    tracing::info!(md5, hash = tx.hash, "sandbox: marked paid");
    Ok((md5, tx))
}

async fn pay(State(shared): State<Arc<Shared>>, Json(input): Json<PayInput>) -> Response {
    match pay_input(&shared, input) {
        Ok((md5, tx)) => Json(json!({
            "md5": md5,
            "hash": tx.hash,
            "amount": tx.amount.as_str(),
            "currency": tx.currency.alpha(),
            "to_account_id": tx.to_account_id,
            "from_account_id": tx.from_account_id,
            "created_date_ms": tx.created_date_ms,
        }))
        .into_response(),
        Err(e) => error(e),
    }
}

#[derive(Deserialize)]
struct Md5Input {
    md5: String,
}

async fn fail(State(shared): State<Arc<Shared>>, Json(input): Json<Md5Input>) -> Response {
    shared.lock().fail(&input.md5);
    Json(json!({ "md5": input.md5.to_ascii_lowercase(), "outcome": "failed" })).into_response()
}

#[derive(Deserialize)]
struct ScriptInput {
    md5: String,
    steps: Vec<Step>,
}

async fn script(State(shared): State<Arc<Shared>>, Json(input): Json<ScriptInput>) -> Response {
    match shared.lock().set_script(&input.md5, input.steps) {
        Ok(()) => Json(json!({ "md5": input.md5.to_ascii_lowercase() })).into_response(),
        Err(e) => error(e),
    }
}

async fn add_fault(State(shared): State<Arc<Shared>>, Json(fault): Json<Fault>) -> Response {
    if let Err(e) = fault.validate() {
        return error(e);
    }
    let mut state = shared.lock();
    state.faults.push_back(fault);
    Json(json!({ "queued": state.faults.len() })).into_response()
}

async fn list_faults(State(shared): State<Arc<Shared>>) -> Json<Vec<Fault>> {
    Json(shared.lock().faults.iter().cloned().collect())
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.lock().faults.clear();
    Json(json!({ "queued": 0 }))
}

#[derive(Deserialize)]
struct LatencyInput {
    ms: u64,
}

async fn latency(
    State(shared): State<Arc<Shared>>,
    Json(input): Json<LatencyInput>,
) -> Json<Value> {
    shared.lock().latency = Duration::from_millis(input.ms);
    Json(json!({ "ms": input.ms }))
}

#[derive(Deserialize)]
struct BatchEndpointInput {
    closed: bool,
}

/// `{"closed": true}`: `check_transaction_by_md5_list` answers a bare nginx 403 page, as
/// production does; `false`: it works as documented.
async fn set_batch_endpoint(
    State(shared): State<Arc<Shared>>,
    Json(input): Json<BatchEndpointInput>,
) -> Json<Value> {
    shared.lock().batch_closed = input.closed;
    Json(json!({ "closed": input.closed }))
}

async fn batch_endpoint(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!({ "closed": shared.lock().batch_closed }))
}

#[derive(Deserialize)]
struct EmailInput {
    email: String,
    /// Token lifetime (default 90 days), e.g. to try the expiry reminders and renewal.
    #[serde(default)]
    expires_in_secs: Option<u64>,
}

async fn issue_token(
    State(shared): State<Arc<Shared>>,
    Json(input): Json<EmailInput>,
) -> Json<Value> {
    let lifetime = input
        .expires_in_secs
        .map_or(super::state::TOKEN_LIFETIME, Duration::from_secs);
    let token = shared.lock().issue_token_for(input.email.trim(), lifetime);
    Json(json!({ "token": token }))
}

/// `{"mode":"issue"}` (default), `{"mode":"mailed"}` or `{"mode":"refuse","error_code":7}`:
/// how `renew_token` answers registered emails from now on.
async fn renewal(
    State(shared): State<Arc<Shared>>,
    Json(mode): Json<RenewalMode>,
) -> Json<RenewalMode> {
    shared.lock().set_renewal_mode(mode);
    Json(mode)
}

async fn renewal_mode(State(shared): State<Arc<Shared>>) -> Json<RenewalMode> {
    Json(shared.lock().renewal_mode())
}

#[derive(Deserialize)]
struct TokenInput {
    token: String,
}

async fn revoke_token(
    State(shared): State<Arc<Shared>>,
    Json(input): Json<TokenInput>,
) -> Response {
    if shared.lock().revoke_token(input.token.trim()) {
        Json(json!({ "revoked": true })).into_response()
    } else {
        error("this sandbox did not issue that token")
    }
}

async fn expire_token(
    State(shared): State<Arc<Shared>>,
    Json(input): Json<TokenInput>,
) -> Response {
    if shared.lock().expire_token(input.token.trim()) {
        Json(json!({ "expired": true })).into_response()
    } else {
        error("this sandbox did not issue that token")
    }
}

#[derive(Deserialize)]
struct AccountInput {
    account_id: String,
    exists: bool,
}

async fn account(
    State(shared): State<Arc<Shared>>,
    Json(input): Json<AccountInput>,
) -> Json<Value> {
    shared
        .lock()
        .set_account_exists(input.account_id.trim(), input.exists);
    Json(json!({ "account_id": input.account_id, "exists": input.exists }))
}

#[derive(Deserialize)]
struct RegistrationInput {
    email: String,
    registered: bool,
}

async fn registration(
    State(shared): State<Arc<Shared>>,
    Json(input): Json<RegistrationInput>,
) -> Json<Value> {
    shared
        .lock()
        .set_registered(input.email.trim(), input.registered);
    Json(json!({ "email": input.email, "registered": input.registered }))
}

async fn requests(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let state = shared.lock();
    let list: Vec<LoggedRequestJson<'_>> = state.log.iter().map(LoggedRequestJson::from).collect();
    Json(json!(list))
}

async fn clear_requests(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.lock().log.clear();
    Json(json!({ "cleared": true }))
}

async fn md5s(State(shared): State<Arc<Shared>>) -> Json<Value> {
    Json(json!(shared.lock().md5_statuses()))
}

async fn reset(State(shared): State<Arc<Shared>>) -> Json<Value> {
    shared.lock().reset();
    Json(json!({ "reset": true }))
}
