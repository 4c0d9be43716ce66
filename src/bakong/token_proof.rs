//! Does Bakong accept a token? Only an authenticated call can say: production answers
//! `check_bakong_account` without any token, so that call proves nothing about one.

use super::client::Client;
use super::error::BakongError;
use super::token::Token;
use super::types::Lookup;

/// The md5 asked about to prove a token: nobody's QR, so Bakong answers "not found"
/// (errorCode 1) to a token it accepts and 401 to one it does not.
pub const PROBE_MD5: &str = "00000000000000000000000000000000";

/// What one authenticated call said about a token.
#[derive(Debug)]
pub enum TokenProof {
    /// Bakong answered the probe with "not found": it accepted the token.
    Accepted,
    /// 401 (or errorCode 6): Bakong refuses the token.
    Refused,
    /// No verdict: Bakong could not be reached, was geo-blocked, or answered something a
    /// probe of an unused md5 cannot get from Bakong itself (a "paid" or "failed" answer, an
    /// unexpected error code: a relay that is not passing the call through). Nothing is
    /// concluded; ask again later.
    Unknown(BakongError),
}

impl TokenProof {
    /// Reads the answer to the probe (`check_transaction_by_md5` of [`PROBE_MD5`]).
    pub fn from_answer(answer: Result<Lookup, BakongError>) -> Self {
        match answer {
            Ok(Lookup::NotFound) => TokenProof::Accepted,
            Err(BakongError::Unauthorized) => TokenProof::Refused,
            Err(e) => TokenProof::Unknown(e),
            Ok(other) => TokenProof::Unknown(BakongError::Decode {
                reason: format!("the token probe's md5 answered {other:?}, not \"not found\""),
                excerpt: String::new(),
            }),
        }
    }
}

impl Client {
    /// One authenticated call with `token` ([`PROBE_MD5`]): whether Bakong accepts it.
    #[tracing::instrument(level = "debug", skip(self, token))]
    pub async fn prove_token(&self, token: &Token) -> TokenProof {
        TokenProof::from_answer(self.check_transaction_by_md5(token, PROBE_MD5).await)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bakong::Transaction;

    #[test]
    fn only_not_found_proves_and_only_401_refuses() {
        assert!(matches!(
            TokenProof::from_answer(Ok(Lookup::NotFound)),
            TokenProof::Accepted
        ));
        assert!(matches!(
            TokenProof::from_answer(Err(BakongError::Unauthorized)),
            TokenProof::Refused
        ));
        let tx = Transaction {
            hash: "h".into(),
            from_account_id: None,
            to_account_id: "c@d".into(),
            currency_code: "USD".into(),
            amount: crate::bakong::DecimalAmount::parse("1").unwrap(),
            description: None,
            created_date_ms: None,
            acknowledged_date_ms: None,
            tracking_status: None,
            receiver_bank: None,
            receiver_bank_account: None,
        };
        for answer in [
            Ok(Lookup::Paid(tx)),
            Ok(Lookup::Failed),
            Ok(Lookup::StaticQr),
            Ok(Lookup::Unavailable),
            Err(BakongError::GeoBlocked),
            Err(BakongError::Timeout),
            Err(BakongError::Api {
                status: 200,
                error_code: Some(5),
                message: String::new(),
            }),
        ] {
            assert!(
                matches!(TokenProof::from_answer(answer), TokenProof::Unknown(_)),
                "no verdict"
            );
        }
    }
}
