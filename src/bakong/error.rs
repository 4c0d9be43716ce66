//! Everything that can go wrong talking to the Bakong Open API.

use std::time::Duration;

/// A failed Bakong call. Lookup outcomes (not found, failed, static QR) are not errors:
/// they are [`super::Lookup`] values. No error is a verdict about a payment: a charge
/// stays pending whatever the error, until a lookup says paid/failed or its QR expires.
#[derive(Debug, thiserror::Error)]
pub enum BakongError {
    /// HTTP 401 or errorCode 6: the token is expired, revoked or wrong. Renew it.
    #[error("Bakong rejected the token (expired or wrong): renew it")]
    Unauthorized,
    /// HTTP 403 (usually an HTML page): the production API only answers Cambodian
    /// addresses. Host the bot in Cambodia or set `BAKONG_API_URL` to a relay you control.
    /// Production also answers a bare 403 page on `check_transaction_by_md5_list` alone
    /// (API.md §5): the watcher probes `check_transaction_by_md5` before calling it a
    /// geo-block.
    #[error("Bakong refused the request (HTTP 403): it only answers from Cambodian IP addresses")]
    GeoBlocked,
    /// HTTP 404 or 405 without a Bakong envelope: this server (or relay) has no such
    /// endpoint. Not a verdict about any payment.
    #[error("Bakong has no such endpoint here (HTTP {status})")]
    NoSuchEndpoint { status: u16 },
    /// HTTP 429, after the retry budget was spent (or `Retry-After` exceeded it).
    #[error("Bakong rate limit (HTTP 429){}", fmt_retry_after(*retry_after))]
    RateLimited { retry_after: Option<Duration> },
    /// HTTP 5xx (often an HTML error page), after the retry budget was spent.
    #[error("Bakong server error HTTP {status}: {excerpt}")]
    Server { status: u16, excerpt: String },
    /// No complete answer within the request timeout, after the retry budget was spent.
    #[error("Bakong did not answer in time")]
    Timeout,
    /// Connection refused/reset, DNS, TLS... after the retry budget was spent.
    #[error("cannot reach Bakong: {0}")]
    Transport(#[source] reqwest::Error),
    /// A body that is not the expected envelope/object.
    #[error("unexpected Bakong answer ({reason}): {excerpt}")]
    Decode { reason: String, excerpt: String },
    /// `renew_token` for an email that is not registered (errorCode 10).
    #[error("this email is not registered with the Bakong Open API")]
    NotRegistered,
    /// `check_bakong_account` with a malformed account id (errorCode 12).
    #[error("invalid Bakong account id")]
    InvalidAccountId,
    /// Any other refusal: a 4xx other than 401/403/429, or `responseCode` 1 with an
    /// errorCode this call does not expect (e.g. 5 missing fields, 4 deeplink provider).
    #[error("Bakong refused the request (HTTP {status}, errorCode {error_code:?}): {message}")]
    Api {
        status: u16,
        error_code: Option<i64>,
        message: String,
    },
    /// Bad client configuration (base URL, user agent) or an invalid argument.
    #[error("invalid Bakong client configuration: {0}")]
    Config(String),
}

fn fmt_retry_after(d: Option<Duration>) -> String {
    d.map(|d| format!(", retry after {}s", d.as_secs()))
        .unwrap_or_default()
}

impl BakongError {
    /// Whether asking again later can help (server trouble, throttling, network).
    /// The client already retried these within its budget.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            BakongError::RateLimited { .. }
                | BakongError::Server { .. }
                | BakongError::Timeout
                | BakongError::Transport(_)
        )
    }

    /// The `kind` label of `khqr_bot_bakong_errors_total` (one of
    /// [`crate::metrics::BAKONG_ERROR_KINDS`]).
    pub fn kind(&self) -> &'static str {
        match self {
            BakongError::Unauthorized => "unauthorized",
            BakongError::GeoBlocked => "geo_blocked",
            BakongError::NoSuchEndpoint { .. } => "no_such_endpoint",
            BakongError::RateLimited { .. } => "rate_limited",
            BakongError::Server { .. } => "server",
            BakongError::Timeout => "timeout",
            BakongError::Transport(_) => "transport",
            BakongError::Decode { .. } => "decode",
            BakongError::NotRegistered => "not_registered",
            BakongError::InvalidAccountId => "invalid_account_id",
            BakongError::Api { .. } => "api",
            BakongError::Config(_) => "config",
        }
    }

    /// The server's requested wait, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            BakongError::RateLimited { retry_after } => *retry_after,
            _ => None,
        }
    }
}

/// At most `max` characters of `body`, whitespace collapsed, for error messages. Errors
/// are logged, and an answer of `renew_token` that is not read as expected still carries
/// its token: whatever looks like a JWT is shown as `[token]`.
pub(crate) fn excerpt(body: &[u8], max: usize) -> String {
    let text = without_tokens(&String::from_utf8_lossy(body));
    let mut out = String::new();
    for (i, word) in text.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
        if out.chars().count() > max {
            break;
        }
    }
    if out.chars().count() > max {
        out = out.chars().take(max).collect();
        out.push('…');
    }
    out
}

/// `text` with every JWT-shaped run (`eyJ` and at least [`MIN_JWT_CHARS`] characters of
/// base64url and dots) replaced by `[token]`.
fn without_tokens(text: &str) -> String {
    let is_jwt_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("eyJ") {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let len = from.find(|c| !is_jwt_char(c)).unwrap_or(from.len());
        let (run, after) = from.split_at(len);
        if run.len() >= MIN_JWT_CHARS {
            out.push_str("[token]");
        } else {
            out.push_str(run);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// Shortest run [`without_tokens`] hides: a JWT's header alone is longer.
const MIN_JWT_CHARS: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_never_shows_a_token() {
        let body = br#"{"responseCode":0,"data":{"token":"eyJhbGciOiJIUzI1NiJ9.eyJkYXRhIjp7ImlkIjoiMSJ9fQ.c2lnbmF0dXJl"}} eyJ"#;
        let e = excerpt(body, 200);
        assert_eq!(e, r#"{"responseCode":0,"data":{"token":"[token]"}} eyJ"#);
        assert!(!e.contains("eyJhbGci"));
    }

    #[test]
    fn excerpt_is_short_and_flat() {
        let e = excerpt(b"<html>\n  <body>  Bad   Gateway </body></html>", 200);
        assert_eq!(e, "<html> <body> Bad Gateway </body></html>");
        let long = "ក".repeat(500);
        let e = excerpt(long.as_bytes(), 10);
        assert_eq!(e.chars().count(), 11);
        assert!(e.ends_with('…'));
    }

    #[test]
    fn every_kind_is_a_metrics_label() {
        let all = [
            BakongError::Unauthorized,
            BakongError::GeoBlocked,
            BakongError::NoSuchEndpoint { status: 404 },
            BakongError::RateLimited { retry_after: None },
            BakongError::Server {
                status: 502,
                excerpt: String::new(),
            },
            BakongError::Timeout,
            BakongError::Decode {
                reason: String::new(),
                excerpt: String::new(),
            },
            BakongError::NotRegistered,
            BakongError::InvalidAccountId,
            BakongError::Api {
                status: 400,
                error_code: None,
                message: String::new(),
            },
            BakongError::Config(String::new()),
        ];
        let kinds: Vec<_> = all.iter().map(BakongError::kind).collect();
        for kind in &kinds {
            assert!(crate::metrics::BAKONG_ERROR_KINDS.contains(kind), "{kind}");
        }
        // All but `transport` (a reqwest::Error cannot be made here), each once.
        let mut labels: Vec<_> = crate::metrics::BAKONG_ERROR_KINDS
            .iter()
            .filter(|k| **k != "transport")
            .collect();
        labels.sort();
        let mut seen: Vec<_> = kinds.iter().collect();
        seen.sort();
        assert_eq!(seen, labels);
    }

    #[test]
    fn transient_errors() {
        assert!(BakongError::Timeout.is_transient());
        assert!(
            BakongError::Server {
                status: 502,
                excerpt: String::new()
            }
            .is_transient()
        );
        assert!(!BakongError::Unauthorized.is_transient());
        assert!(!BakongError::GeoBlocked.is_transient());
        let rl = BakongError::RateLimited {
            retry_after: Some(Duration::from_secs(7)),
        };
        assert_eq!(rl.retry_after(), Some(Duration::from_secs(7)));
        assert!(rl.to_string().contains("retry after 7s"));
    }
}
