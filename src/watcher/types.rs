//! The watcher's vocabulary: identifiers, time, and what a Bakong lookup can say.
//!
//! `Currency` is the codec's; `Token`, `Transaction` and `Lookup` are the Bakong client's.
//! [`LookupFailure`] reduces a `BakongError` to what the watcher acts on.

use std::fmt;

pub use crate::bakong::{Lookup, Token, Transaction};
pub use crate::khqr::Currency;
pub use crate::store::{ChargeId, MerchantId};
pub use crate::time::UnixSecs;

/// Why a whole Bakong request failed, reduced to what the watcher acts on. The adapter over
/// the Bakong client maps `BakongError` into this.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupFailure {
    /// 401: the token is wrong or expired. Polling this merchant stops until a new token.
    Unauthorized,
    /// 403 (Bakong answers 403 outside Cambodia). On `check_transaction_by_md5_list` it
    /// may instead mean that endpoint alone is closed: the round probes the single-md5
    /// endpoint before concluding (see [`super::endpoint`]).
    GeoBlocked,
    /// 404/405 without an envelope: the server has no such endpoint.
    NoSuchEndpoint { status: u16 },
    /// 429, with the server's `Retry-After` in seconds when it sent one.
    RateLimited { retry_after_secs: Option<u64> },
    /// 5xx (including HTML error pages), with the HTTP status.
    Server { status: u16 },
    /// The request did not complete in time.
    Timeout,
    /// Connection refused/reset, DNS, TLS…: try again later.
    Transport,
    /// An answer that is not what the API documents (malformed JSON, missing fields).
    BadAnswer,
    /// Any other refusal (an unexpected 4xx or error code), with the HTTP status.
    Refused { status: u16 },
}

impl From<&crate::bakong::BakongError> for LookupFailure {
    fn from(e: &crate::bakong::BakongError) -> Self {
        use crate::bakong::BakongError as E;
        match e {
            E::Unauthorized => LookupFailure::Unauthorized,
            E::GeoBlocked => LookupFailure::GeoBlocked,
            E::RateLimited { retry_after } => LookupFailure::RateLimited {
                retry_after_secs: retry_after.map(|d| d.as_secs()),
            },
            E::Server { status, .. } => LookupFailure::Server { status: *status },
            E::NoSuchEndpoint { status } => LookupFailure::NoSuchEndpoint { status: *status },
            E::Timeout => LookupFailure::Timeout,
            E::Transport(_) | E::Config(_) => LookupFailure::Transport,
            E::Decode { .. } => LookupFailure::BadAnswer,
            E::Api { status, .. } => LookupFailure::Refused { status: *status },
            E::NotRegistered | E::InvalidAccountId => LookupFailure::Refused { status: 200 },
        }
    }
}

impl LookupFailure {
    /// Trouble of the Bakong server as a whole, whoever asks: 5xx, timeouts and transport
    /// errors. These open the watcher's shared circuit instead of backing one merchant off.
    ///
    /// A 429 is not among them: it backs off the token that met it, from a round or from a
    /// person's press alike. Bakong says nothing about what it counts, each seller's token
    /// is their own (they may use it elsewhere too), and one seller's throttled token must
    /// never stop every other seller's payments from being seen. If Bakong ever throttles
    /// the bot as a whole, every token meets its own 429 and backs off on its own
    /// (`Retry-After` honoured).
    pub fn is_server_wide(&self) -> bool {
        matches!(
            self,
            LookupFailure::Server { .. } | LookupFailure::Timeout | LookupFailure::Transport
        )
    }

    /// What a batch request answers when the md5 list endpoint itself is closed (a bare
    /// 403 page in production, or 404/405): worth probing the single-md5 endpoint.
    pub fn may_be_closed_batch_endpoint(&self) -> bool {
        matches!(
            self,
            LookupFailure::GeoBlocked | LookupFailure::NoSuchEndpoint { .. }
        )
    }
}

impl fmt::Display for LookupFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LookupFailure::Unauthorized => f.write_str("401 unauthorized (token wrong or expired)"),
            LookupFailure::GeoBlocked => {
                f.write_str("403 (Bakong refuses requests from outside Cambodia)")
            }
            LookupFailure::RateLimited {
                retry_after_secs: Some(s),
            } => {
                write!(f, "429 rate limited (retry after {s} s)")
            }
            LookupFailure::RateLimited {
                retry_after_secs: None,
            } => f.write_str("429 rate limited"),
            LookupFailure::NoSuchEndpoint { status } => {
                write!(f, "no such endpoint (HTTP {status})")
            }
            LookupFailure::Server { status } => write!(f, "server error {status}"),
            LookupFailure::Timeout => f.write_str("timeout"),
            LookupFailure::Transport => f.write_str("transport error"),
            LookupFailure::BadAnswer => f.write_str("malformed answer"),
            LookupFailure::Refused { status } => write!(f, "request refused (HTTP {status})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::bakong::BakongError;

    #[test]
    fn bakong_errors_map_to_what_the_watcher_acts_on() {
        let cases = [
            (BakongError::Unauthorized, LookupFailure::Unauthorized),
            (BakongError::GeoBlocked, LookupFailure::GeoBlocked),
            (
                BakongError::RateLimited {
                    retry_after: Some(Duration::from_secs(7)),
                },
                LookupFailure::RateLimited {
                    retry_after_secs: Some(7),
                },
            ),
            (
                BakongError::RateLimited { retry_after: None },
                LookupFailure::RateLimited {
                    retry_after_secs: None,
                },
            ),
            (
                BakongError::Server {
                    status: 503,
                    excerpt: "<html>".into(),
                },
                LookupFailure::Server { status: 503 },
            ),
            (BakongError::Timeout, LookupFailure::Timeout),
            (
                BakongError::NoSuchEndpoint { status: 405 },
                LookupFailure::NoSuchEndpoint { status: 405 },
            ),
            (
                BakongError::Decode {
                    reason: "x".into(),
                    excerpt: "y".into(),
                },
                LookupFailure::BadAnswer,
            ),
            (
                BakongError::Api {
                    status: 400,
                    error_code: Some(5),
                    message: "m".into(),
                },
                LookupFailure::Refused { status: 400 },
            ),
        ];
        for (e, expected) in cases {
            assert_eq!(LookupFailure::from(&e), expected, "{e}");
        }
    }

    #[test]
    fn a_429_is_one_token_s_trouble_not_the_server_s() {
        assert!(
            !LookupFailure::RateLimited {
                retry_after_secs: Some(30)
            }
            .is_server_wide()
        );
        for wide in [
            LookupFailure::Server { status: 503 },
            LookupFailure::Timeout,
            LookupFailure::Transport,
        ] {
            assert!(wide.is_server_wide(), "{wide}");
        }
    }
}
