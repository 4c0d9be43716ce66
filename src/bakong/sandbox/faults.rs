//! Injected misbehaviour for the `/v1` endpoints: error pages, throttling, slowness,
//! garbage. Faults are queued; each `/v1` request consumes the first one that matches its
//! endpoint. A global answer latency applies to every `/v1` answer.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::state::Shared;

/// What to do instead of (or before) answering normally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// A 5xx with an HTML page (`status` 500, 502, 503 or 504), like a proxy or
    /// Cloudflare error page.
    ServerErrorHtml { status: u16 },
    /// HTTP 500 with a JSON envelope.
    ServerErrorJson,
    /// HTTP 429, with `Retry-After: <secs>` when given.
    RateLimited {
        #[serde(default)]
        retry_after_secs: Option<u64>,
    },
    /// HTTP 403 with an HTML page: what production answers outside Cambodia.
    GeoBlocked,
    /// Waits `ms` milliseconds, then answers normally.
    Slow { ms: u64 },
    /// HTTP 200 with a truncated JSON body.
    MalformedJson,
    /// HTTP 200 `{"responseCode":0,"data":null}`.
    NullData,
    /// Starts a 200 answer, then drops the connection mid-body (the declared
    /// `Content-Length` is never reached).
    Disconnect,
    /// Answers normally, then reverses the order of a list answer's items (each item
    /// still echoes its own md5/hash).
    ReverseItems,
    /// Answers normally, then leaves the first `count` items out of a list answer.
    DropItems { count: usize },
}

/// A queued fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many matching requests it applies to.
    #[serde(default = "one")]
    pub times: u32,
    /// Only requests to this endpoint (e.g. `check_transaction_by_md5`); any when absent.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Only requests carrying this bearer token (one seller's token throttled, say); any
    /// when absent.
    #[serde(default)]
    pub token: Option<String>,
}

fn one() -> u32 {
    1
}

impl Fault {
    pub fn new(kind: FaultKind, times: u32) -> Self {
        Self {
            kind,
            times,
            endpoint: None,
            token: None,
        }
    }

    pub fn on(mut self, endpoint: &str) -> Self {
        self.endpoint = Some(endpoint.to_owned());
        self
    }

    /// Only requests that carry `token` (`Authorization: Bearer <token>`).
    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    pub fn validate(&self) -> Result<(), String> {
        match self.kind {
            FaultKind::ServerErrorHtml { status } if !(500..=599).contains(&status) => Err(
                format!("server_error_html status must be 5xx, not {status}"),
            ),
            _ if self.times == 0 => Err("times must be at least 1".into()),
            _ => Ok(()),
        }
    }

    fn matches(&self, endpoint: &str, bearer: Option<&str>) -> bool {
        self.endpoint
            .as_deref()
            .is_none_or(|e| e.rsplit('/').next() == Some(endpoint))
            && self.token.as_deref().is_none_or(|t| Some(t) == bearer)
    }
}

/// Takes the fault for a request to `endpoint` carrying `bearer`, if one is queued.
fn take(shared: &Shared, endpoint: &str, bearer: Option<&str>) -> (Option<FaultKind>, Duration) {
    let mut state = shared.lock();
    let latency = state.latency;
    let Some(pos) = state
        .faults
        .iter()
        .position(|f| f.matches(endpoint, bearer))
    else {
        return (None, latency);
    };
    let kind = state.faults[pos].kind.clone();
    state.faults[pos].times = state.faults[pos].times.saturating_sub(1);
    if state.faults[pos].times == 0 {
        state.faults.remove(pos);
    }
    (Some(kind), latency)
}

fn html(status: StatusCode, title: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>{code} {title}</title></head>\n<body><center><h1>{code} {title}</h1></center>\n<hr><center>nginx</center></body></html>\n",
        code = status.as_u16()
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// What production answers on `check_transaction_by_md5_list` (API.md §5): a bare nginx
/// 403 page, whatever the body and token.
pub(super) fn batch_closed_page() -> Response {
    let mut r = html(StatusCode::FORBIDDEN, "Forbidden");
    r.extensions_mut().insert(Injected);
    r
}

/// Endpoint that production closes with a bare 403.
pub const CLOSED_BATCH_ENDPOINT: &str = "check_transaction_by_md5_list";

/// Rewrites the `data` array of a JSON list answer (other answers pass unchanged).
async fn rewrite_items(
    response: Response,
    edit: impl FnOnce(&mut Vec<serde_json::Value>),
) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "sandbox: unreadable body",
        )
            .into_response();
    };
    let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return Response::from_parts(parts, axum::body::Body::from(bytes)),
    };
    if let Some(items) = value.get_mut("data").and_then(|d| d.as_array_mut()) {
        edit(items);
    }
    let body = value.to_string();
    parts.headers.remove(header::CONTENT_LENGTH);
    let mut r = Response::from_parts(parts, axum::body::Body::from(body));
    r.extensions_mut().insert(Injected);
    r
}

fn json(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Middleware on `/v1`: applies the latency and the next matching fault.
pub async fn apply(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let endpoint = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_owned();
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let (fault, latency) = take(&shared, &endpoint, bearer);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if endpoint == CLOSED_BATCH_ENDPOINT && shared.lock().batch_closed {
        return batch_closed_page();
    }
    let Some(kind) = fault else {
        return next.run(request).await;
    };
    tracing::debug!(?kind, endpoint, "sandbox: injecting fault");
    let mut response = match kind {
        FaultKind::Slow { ms } => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            return next.run(request).await;
        }
        FaultKind::ReverseItems => {
            let r = next.run(request).await;
            return rewrite_items(r, |items| items.reverse()).await;
        }
        FaultKind::DropItems { count } => {
            let r = next.run(request).await;
            return rewrite_items(r, |items| {
                let n = count.min(items.len());
                items.drain(..n);
            })
            .await;
        }
        FaultKind::ServerErrorHtml { status } => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            html(status, status.canonical_reason().unwrap_or("Server Error"))
        }
        FaultKind::ServerErrorJson => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"responseCode":1,"responseMessage":"Internal Server Error","errorCode":null,"data":null}"#,
        ),
        FaultKind::RateLimited { retry_after_secs } => {
            let mut r = json(
                StatusCode::TOO_MANY_REQUESTS,
                r#"{"responseCode":1,"responseMessage":"Too Many Requests","errorCode":null,"data":null}"#,
            );
            if let Some(secs) = retry_after_secs {
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            r
        }
        FaultKind::GeoBlocked => html(StatusCode::FORBIDDEN, "Forbidden"),
        FaultKind::MalformedJson => json(
            StatusCode::OK,
            r#"{"responseCode":0,"responseMessage":"Getting transa"#,
        ),
        FaultKind::NullData => json(
            StatusCode::OK,
            r#"{"responseCode":0,"responseMessage":"Getting transaction successfully.","errorCode":null,"data":null}"#,
        ),
        FaultKind::Disconnect => {
            let mut r = json(StatusCode::OK, r#"{"responseCode":0,"#);
            r.headers_mut()
                .insert(header::CONTENT_LENGTH, HeaderValue::from(4096u32));
            r
        }
    };
    response.extensions_mut().insert(Injected);
    response
}

/// Marks a response produced by a fault (for the request log).
#[derive(Debug, Clone, Copy)]
pub struct Injected;
