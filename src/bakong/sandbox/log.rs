//! The request log: every `/v1` request as it arrived, for tests and for the page (the
//! recorder is in `middleware.rs`).

use std::time::Duration;

use serde::Serialize;

/// One `/v1` request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedRequest {
    /// 1, 2, 3... in arrival order.
    pub seq: u64,
    /// When it arrived, since the sandbox started.
    pub at: Duration,
    pub method: String,
    /// E.g. `/v1/check_transaction_by_md5`.
    pub path: String,
    pub user_agent: Option<String>,
    /// The raw `Authorization` header. Kept in memory for assertions; the JSON log only
    /// says whether it carried a token this sandbox issued.
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    /// The body as text (lossy UTF-8).
    pub body: String,
    /// Number of elements when the body is a JSON array (list endpoints).
    pub list_len: Option<usize>,
    /// The status answered; `None` while in flight or if the client gave up first.
    pub status: Option<u16>,
    /// Whether the answer came from an injected fault.
    pub fault: bool,
}

impl LoggedRequest {
    /// The bearer token, if the request carried one.
    pub fn bearer(&self) -> Option<&str> {
        self.authorization.as_deref()?.strip_prefix("Bearer ")
    }
}

/// The JSON shape of `GET /sandbox/requests` (no raw tokens).
#[derive(Debug, Serialize)]
pub struct LoggedRequestJson<'a> {
    pub seq: u64,
    pub at_ms: f64,
    pub method: &'a str,
    pub path: &'a str,
    pub user_agent: Option<&'a str>,
    /// `none`, `bearer` (any token) or `other`.
    pub authorization: &'static str,
    pub content_type: Option<&'a str>,
    pub body: &'a str,
    pub list_len: Option<usize>,
    pub status: Option<u16>,
    pub fault: bool,
}

impl<'a> From<&'a LoggedRequest> for LoggedRequestJson<'a> {
    fn from(r: &'a LoggedRequest) -> Self {
        Self {
            seq: r.seq,
            at_ms: r.at.as_secs_f64() * 1000.0,
            method: &r.method,
            path: &r.path,
            user_agent: r.user_agent.as_deref(),
            authorization: match (&r.authorization, r.bearer()) {
                (None, _) => "none",
                (Some(_), Some(_)) => "bearer",
                (Some(_), None) => "other",
            },
            content_type: r.content_type.as_deref(),
            body: &r.body,
            list_len: r.list_len,
            status: r.status,
            fault: r.fault,
        }
    }
}
