//! The two layers around `/v1`: the recorder (outermost) logs every request and the status
//! it got; inside it, the injector applies the latency and the next queued fault. A forged
//! answer carries the [`Injected`] marker so the log can say which answers were faults.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::faults::FaultKind;
use super::log::LoggedRequest;
use super::state::Shared;

/// Largest request body the sandbox accepts.
pub const MAX_REQUEST_BODY: usize = 1024 * 1024;

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

/// Middleware on `/v1` (outermost): logs the request, then its answer's status.
pub async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let at = shared.started.elapsed();
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_owned();
    let Ok(bytes) = to_bytes(body, MAX_REQUEST_BODY).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let list_len = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.as_array().map(Vec::len));
    let seq = {
        let mut state = shared.lock();
        let seq = state.next_seq();
        state.push_log(LoggedRequest {
            seq,
            at,
            method: parts.method.to_string(),
            path,
            user_agent: header_text(&parts.headers, header::USER_AGENT),
            authorization: header_text(&parts.headers, header::AUTHORIZATION),
            content_type: header_text(&parts.headers, header::CONTENT_TYPE),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            list_len,
            status: None,
            fault: false,
        });
        seq
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let mut state = shared.lock();
    if let Some(entry) = state.log.iter_mut().rev().find(|e| e.seq == seq) {
        entry.status = Some(response.status().as_u16());
        entry.fault = response.extensions().get::<Injected>().is_some();
    }
    response
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
