//! Automatic token renewal: when to ask Bakong's `renew_token`, and what each answer means
//! (pure; the clock is the `now` argument). [`super::renewer`] carries it out.
//!
//! - Due when the seller gave their registered email and the token expires within
//!   [`RENEW_BEFORE_SECS`] (so before the expiry reminders start), or at once after Bakong
//!   refused the token (401).
//! - Once per token version and email: the attempt is claimed in the database before the
//!   call. A call that gets no answer (timeout, 5xx, network) is tried again
//!   [`RETRY_AFTER_SECS`] later, at most [`MAX_ATTEMPTS`] calls in all: asking again is
//!   safe, because a repeated `renew_token` only revokes a token nobody has stored.
//! - A token Bakong issued is kept only if it names the registration of the token it
//!   replaces ([`same_registration`]), and proven with one cheap authenticated call before
//!   it is stored; while Bakong cannot be reached it waits (staged, sealed) and the proof is
//!   tried again every [`VALIDATE_RETRY_SECS`]. Otherwise it is thrown away only when Bakong
//!   itself refuses it.

use crate::bakong::{BakongError, Renewal, Token};
use crate::store::RenewalEnd;

use super::types::UnixSecs;

/// How long before the token's `exp` renewal is asked for (reminders start 3 days before).
pub const RENEW_BEFORE_SECS: i64 = 5 * 86_400;
/// `renew_token` calls per token version and email, when Bakong does not answer.
pub const MAX_ATTEMPTS: i64 = 3;
/// Wait after a `renew_token` call without an answer (or interrupted by a restart).
pub const RETRY_AFTER_SECS: i64 = 10 * 60;
/// Wait before proving an issued token again when Bakong could not be reached.
pub const VALIDATE_RETRY_SECS: i64 = 60;

/// Whether a renewal is due for a token expiring at `expires_at` (`None`: unknown), or
/// refused by Bakong (`refused`).
pub fn renewal_due(expires_at: Option<UnixSecs>, refused: bool, now: UnixSecs) -> bool {
    refused || expires_at.is_some_and(|exp| now >= exp.saturating_sub(RENEW_BEFORE_SECS))
}

/// What a `renew_token` call came to.
#[derive(Debug, PartialEq, Eq)]
pub enum RenewAnswer {
    /// A new token (Bakong has revoked the previous one).
    Issued(Token),
    /// "Token has been sent to your email": the seller must paste it.
    Mailed,
    /// errorCode 10: Bakong does not know this email.
    NotRegistered,
    /// errorCode 7: Bakong's email server is down.
    EmailServerDown,
    /// Any other refusal, with its errorCode / HTTP status for the record.
    Refused(String),
    /// No usable answer (timeout, 5xx, network, geo-block, garbled body): ask again later.
    NoAnswer,
}

impl RenewAnswer {
    pub fn from_result(result: Result<Renewal, BakongError>) -> Self {
        match result {
            Ok(Renewal::Issued(token)) => RenewAnswer::Issued(token),
            Ok(Renewal::Mailed { .. }) => RenewAnswer::Mailed,
            Err(BakongError::NotRegistered) => RenewAnswer::NotRegistered,
            Err(BakongError::Api {
                error_code: Some(7),
                ..
            }) => RenewAnswer::EmailServerDown,
            Err(BakongError::Api {
                error_code, status, ..
            }) => RenewAnswer::Refused(match error_code {
                Some(code) => format!("error_code_{code}"),
                None => format!("http_{status}"),
            }),
            Err(BakongError::Unauthorized) => RenewAnswer::Refused("unauthorized".to_owned()),
            // No renew_token at this address (e.g. a relay that forwards only the checks):
            // asking again will not help, the seller renews by hand.
            Err(BakongError::NoSuchEndpoint { status }) => {
                RenewAnswer::Refused(format!("no_such_endpoint_http_{status}"))
            }
            Err(BakongError::InvalidAccountId) => RenewAnswer::Refused("invalid".to_owned()),
            // A garbled success may have carried a token we could not read: asking again
            // revokes it and gets one we can.
            Err(
                BakongError::GeoBlocked
                | BakongError::RateLimited { .. }
                | BakongError::Server { .. }
                | BakongError::Timeout
                | BakongError::Transport(_)
                | BakongError::Decode { .. }
                | BakongError::Config(_),
            ) => RenewAnswer::NoAnswer,
        }
    }
}

/// What to do with a renewal after an answer, `attempts` calls made including this one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterAnswer {
    /// Keep the new token (staged) and prove it.
    Stage,
    /// Over: tell the seller (`outcome` is recorded; reminders take over).
    End {
        end: RenewalEnd,
        outcome: &'static str,
    },
    /// Ask again at the already recorded retry time.
    Retry,
}

pub fn after_answer(answer: &RenewAnswer, attempts: i64) -> AfterAnswer {
    match answer {
        RenewAnswer::Issued(_) => AfterAnswer::Stage,
        RenewAnswer::Mailed => AfterAnswer::End {
            end: RenewalEnd::Mailed,
            outcome: "mailed",
        },
        RenewAnswer::NotRegistered => AfterAnswer::End {
            end: RenewalEnd::Refused,
            outcome: "not_registered",
        },
        RenewAnswer::EmailServerDown => AfterAnswer::End {
            end: RenewalEnd::Refused,
            outcome: "email_server_down",
        },
        RenewAnswer::Refused(_) => AfterAnswer::End {
            end: RenewalEnd::Refused,
            outcome: "refused",
        },
        RenewAnswer::NoAnswer if attempts >= MAX_ATTEMPTS => AfterAnswer::End {
            end: RenewalEnd::Failed,
            outcome: "no_answer",
        },
        RenewAnswer::NoAnswer => AfterAnswer::Retry,
    }
}

/// Whether a renewed token belongs to the registration of the token it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameRegistration {
    /// Both name the same registration (`Token::identity`).
    Yes,
    /// The old token names none (not seen in production: nothing to compare with).
    Unknown,
    /// Another registration, or none where the old token named one: not the seller's.
    No,
}

/// Compares the registration `renewed` names with the one `old` names. The claims are read
/// without a signature check, which is enough here: both tokens came from Bakong (the old
/// one was accepted, the new one from `renew_token`), so a difference means Bakong issued
/// the token for somebody else's registration — an email that is not the seller's.
pub fn same_registration(old: &Token, renewed: &Token) -> SameRegistration {
    match (old.identity(), renewed.identity()) {
        (None, _) => SameRegistration::Unknown,
        (Some(a), Some(b)) if a == b => SameRegistration::Yes,
        (Some(_), _) => SameRegistration::No,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn due_five_days_before_expiry_or_at_once_after_a_refusal() {
        let exp = 100 * DAY;
        assert!(!renewal_due(Some(exp), false, exp - RENEW_BEFORE_SECS - 1));
        assert!(renewal_due(Some(exp), false, exp - RENEW_BEFORE_SECS));
        assert!(renewal_due(Some(exp), false, exp - 2 * DAY));
        assert!(renewal_due(Some(exp), false, exp + DAY));
        assert!(!renewal_due(None, false, exp));
        assert!(renewal_due(None, true, 0));
        assert!(renewal_due(Some(exp), true, 0));
        // Renewal comes before the reminders start.
        const { assert!(RENEW_BEFORE_SECS > crate::watcher::reminders::REMIND_BEFORE_SECS) };
    }

    #[test]
    fn answers_map_to_one_outcome_each() {
        let api = |code| BakongError::Api {
            status: 200,
            error_code: code,
            message: String::new(),
        };
        let token = Token::new("a.b.c").unwrap();
        assert_eq!(
            RenewAnswer::from_result(Ok(Renewal::Issued(token.clone()))),
            RenewAnswer::Issued(token)
        );
        assert_eq!(
            RenewAnswer::from_result(Ok(Renewal::Mailed {
                message: "Token has been sent to your email".into()
            })),
            RenewAnswer::Mailed
        );
        assert_eq!(
            RenewAnswer::from_result(Err(BakongError::NotRegistered)),
            RenewAnswer::NotRegistered
        );
        assert_eq!(
            RenewAnswer::from_result(Err(api(Some(7)))),
            RenewAnswer::EmailServerDown
        );
        assert_eq!(
            RenewAnswer::from_result(Err(api(Some(5)))),
            RenewAnswer::Refused("error_code_5".into())
        );
        assert_eq!(
            RenewAnswer::from_result(Err(api(None))),
            RenewAnswer::Refused("http_200".into())
        );
        for transient in [
            BakongError::Timeout,
            BakongError::GeoBlocked,
            BakongError::Server {
                status: 502,
                excerpt: String::new(),
            },
            BakongError::Decode {
                reason: String::new(),
                excerpt: String::new(),
            },
        ] {
            assert_eq!(
                RenewAnswer::from_result(Err(transient)),
                RenewAnswer::NoAnswer
            );
        }
    }

    #[test]
    fn no_answer_is_retried_then_given_up() {
        assert_eq!(after_answer(&RenewAnswer::NoAnswer, 1), AfterAnswer::Retry);
        assert_eq!(
            after_answer(&RenewAnswer::NoAnswer, MAX_ATTEMPTS - 1),
            AfterAnswer::Retry
        );
        assert_eq!(
            after_answer(&RenewAnswer::NoAnswer, MAX_ATTEMPTS),
            AfterAnswer::End {
                end: RenewalEnd::Failed,
                outcome: "no_answer"
            }
        );
        // Definite answers end it on the first call.
        assert!(matches!(
            after_answer(&RenewAnswer::NotRegistered, 1),
            AfterAnswer::End {
                end: RenewalEnd::Refused,
                ..
            }
        ));
        assert!(matches!(
            after_answer(&RenewAnswer::Mailed, 1),
            AfterAnswer::End {
                end: RenewalEnd::Mailed,
                ..
            }
        ));
        assert_eq!(
            after_answer(&RenewAnswer::Issued(Token::new("a.b.c").unwrap()), 3),
            AfterAnswer::Stage
        );
    }

    #[test]
    fn a_renewed_token_must_name_the_old_one_s_registration() {
        use base64::Engine as _;
        let jwt = |payload: &str| {
            let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
            let raw = format!("{}.{}.c2ln", enc(r#"{"alg":"HS256"}"#), enc(payload));
            Token::new(&raw).unwrap()
        };
        let mine = jwt(r#"{"data":{"id":"0de0b57a14434fe7"},"exp":1}"#);
        let mine_renewed = jwt(r#"{"data":{"id":"0de0b57a14434fe7"},"exp":2}"#);
        let theirs = jwt(r#"{"data":{"id":"4fb040c071fa4a06"},"exp":2}"#);
        let anonymous = jwt(r#"{"exp":2}"#);
        assert_eq!(
            same_registration(&mine, &mine_renewed),
            SameRegistration::Yes
        );
        assert_eq!(same_registration(&mine, &theirs), SameRegistration::No);
        assert_eq!(same_registration(&mine, &anonymous), SameRegistration::No);
        assert_eq!(
            same_registration(&anonymous, &theirs),
            SameRegistration::Unknown
        );
        assert_eq!(
            same_registration(&Token::new("rbk-not-a-jwt").unwrap(), &theirs),
            SameRegistration::Unknown
        );
    }
}
