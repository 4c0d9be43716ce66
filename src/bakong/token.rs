//! The Bakong Open API access token: a secret that never shows up in logs.

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};

/// Why a string was refused as a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the Bakong token is empty")]
    Empty,
    #[error("the Bakong token contains whitespace or control characters")]
    InvalidCharacters,
}

/// A Bakong Open API token (an HS256 JWT issued by NBC, valid about 90 days).
///
/// The value is deliberately not printable: `Debug` shows `Token(***)` and there is no
/// `Display`. Use [`Token::expose_secret`] only where the raw value must leave the process
/// (the `Authorization` header, encrypted storage).
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Accept a token as pasted by a person: surrounding whitespace is trimmed; it must be a
    /// non-empty run of visible ASCII (anything else cannot go into an HTTP header anyway).
    pub fn new(raw: &str) -> Result<Self, TokenError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(TokenError::Empty);
        }
        if !value.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(TokenError::InvalidCharacters);
        }
        Ok(Self(value.to_owned()))
    }

    /// The raw token. Never log it.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Expiry as unix seconds, read from the JWT `exp` claim **without** checking the
    /// signature (we cannot: it is signed with NBC's key). `None` when the token is not a
    /// JWT or has no readable `exp`: its expiry is then unknown, not "never".
    pub fn expires_at(&self) -> Option<u64> {
        let claims = self.claims()?;
        let exp = claims.get("exp")?;
        if let Some(secs) = exp.as_u64() {
            return Some(secs);
        }
        let secs = exp.as_f64()?;
        (secs.is_finite() && secs >= 0.0 && secs < u64::MAX as f64).then_some(secs as u64)
    }

    /// Whether the token is known to be expired at `now` (unix seconds). A token with an
    /// unknown expiry is never reported as expired: the API will tell (401).
    pub fn is_expired_at(&self, now_unix: u64) -> bool {
        self.expires_at().is_some_and(|exp| exp <= now_unix)
    }

    /// Whose registration the token says it is: the `data.id` claim NBC's tokens carry
    /// (`{"data":{"id":"<16 hex>"},"iat":…,"exp":…}` in every public production sample),
    /// read **without** checking the signature. `None` when the token is not a JWT or
    /// carries no such claim. Only a comparison between two tokens means anything: a
    /// claim anyone could have written proves nothing by itself.
    pub fn identity(&self) -> Option<TokenIdentity> {
        let claims = self.claims()?;
        let id = claims.get("data")?.get("id")?;
        let id = match id {
            serde_json::Value::String(s) => s.trim().to_owned(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => return None,
        };
        (!id.is_empty()).then_some(TokenIdentity(id))
    }

    /// The JWT payload as JSON (no signature check), or `None` when this is not a JWT.
    fn claims(&self) -> Option<serde_json::Value> {
        let mut parts = self.0.split('.');
        let (_header, payload, _sig) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .or_else(|_| URL_SAFE.decode(payload))
            .ok()?;
        serde_json::from_slice(&bytes).ok()
    }
}

/// The registration a Bakong token names ([`Token::identity`]). Compared, never shown: its
/// `Debug` hides the value like the token's.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenIdentity(String);

impl std::fmt::Debug for TokenIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenIdentity(***)")
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(***)")
    }
}

impl std::str::FromStr for Token {
    type Err = TokenError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#);
        let p = URL_SAFE_NO_PAD.encode(payload);
        format!("{h}.{p}.c2lnbmF0dXJl")
    }

    #[test]
    fn reads_exp_from_a_jwt() {
        let t = Token::new(&jwt(
            r#"{"data":{"id":"x"},"iat":1700000000,"exp":1707776000}"#,
        ))
        .unwrap();
        assert_eq!(t.expires_at(), Some(1_707_776_000));
        assert!(t.is_expired_at(1_707_776_000));
        assert!(!t.is_expired_at(1_707_775_999));
    }

    #[test]
    fn float_exp_and_padded_payload_are_accepted() {
        let p = URL_SAFE.encode(r#"{"exp":1707776000.5}"#);
        let t = Token::new(&format!("aGVhZGVy.{p}.c2ln")).unwrap();
        assert_eq!(t.expires_at(), Some(1_707_776_000));
    }

    #[test]
    fn non_jwt_tokens_have_no_known_expiry() {
        for raw in [
            "rbkABCDEF",
            "a.b",
            "a.b.c.d",
            "x.!!!.y",
            &jwt(r#"{"iat":1}"#),
            &jwt("[]"),
        ] {
            let t = Token::new(raw).unwrap();
            assert_eq!(t.expires_at(), None, "{raw}");
            assert!(!t.is_expired_at(u64::MAX));
        }
    }

    #[test]
    fn identity_is_the_data_id_claim() {
        let a = Token::new(&jwt(
            r#"{"data":{"id":"0de0b57a14434fe7"},"iat":1774884298,"exp":1782660298}"#,
        ))
        .unwrap();
        let renewed = Token::new(&jwt(
            r#"{"data":{"id":"0de0b57a14434fe7"},"iat":1782000000,"exp":1789776000}"#,
        ))
        .unwrap();
        let other = Token::new(&jwt(
            r#"{"data":{"id":"4fb040c071fa4a06"},"iat":1774884298,"exp":1782660298}"#,
        ))
        .unwrap();
        assert!(a.identity().is_some());
        assert_eq!(a.identity(), renewed.identity());
        assert_ne!(a.identity(), other.identity());
        let numeric = Token::new(&jwt(r#"{"data":{"id":42}}"#)).unwrap();
        assert!(numeric.identity().is_some());
        for raw in [
            "rbkABCDEF",
            &jwt(r#"{"exp":1}"#),
            &jwt(r#"{"data":{"id":""}}"#),
            &jwt(r#"{"data":{"id":null}}"#),
            &jwt(r#"{"data":"x"}"#),
        ] {
            assert_eq!(Token::new(raw).unwrap().identity(), None, "{raw}");
        }
        assert_eq!(format!("{:?}", a.identity().unwrap()), "TokenIdentity(***)");
    }

    #[test]
    fn debug_hides_the_value() {
        let t = Token::new("super-secret-value").unwrap();
        let shown = format!("{t:?} {:?}", Some(&t));
        assert!(!shown.contains("super-secret"), "{shown}");
        assert!(shown.contains("Token(***)"));
    }

    #[test]
    fn rejects_empty_and_header_breaking_values() {
        assert_eq!(Token::new("  \n"), Err(TokenError::Empty));
        assert_eq!(Token::new("ab cd"), Err(TokenError::InvalidCharacters));
        assert_eq!(
            Token::new("ab\r\nX-Evil: 1"),
            Err(TokenError::InvalidCharacters)
        );
        assert_eq!(Token::new("  abc \n").unwrap().expose_secret(), "abc");
    }
}
