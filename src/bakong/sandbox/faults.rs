//! Injected misbehaviour for the `/v1` endpoints: error pages, throttling, slowness,
//! garbage. Faults are queued; each `/v1` request consumes the first one that matches its
//! endpoint (the injector is in `middleware.rs`). A global answer latency applies to every
//! `/v1` answer.

use serde::{Deserialize, Serialize};

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

    pub(super) fn matches(&self, endpoint: &str, bearer: Option<&str>) -> bool {
        self.endpoint
            .as_deref()
            .is_none_or(|e| e.rsplit('/').next() == Some(endpoint))
            && self.token.as_deref().is_none_or(|t| Some(t) == bearer)
    }
}
