//! Bakong account IDs such as `john_smith@devb`.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::error::{KhqrError, KhqrErrorKind};
use super::fields::ACCOUNT_ID_MAX;
use super::tlv::utf16_len;

/// A Bakong account ID: non-empty, at most 32 UTF-16 units, exactly one `@`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BakongAccountId(pub(crate) String);

impl BakongAccountId {
    /// Checks in the SDK's order: empty → 1, longer than 32 → 6, not exactly one `@` → 3
    /// (the SDK's generator only asks for at least one, but Bakong's account lookup needs
    /// exactly one, so an ID with two could never be paid).
    pub fn parse(id: &str) -> Result<Self, KhqrError> {
        check(id)?;
        Ok(Self(id.to_owned()))
    }

    /// The ID as written in the KHQR.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub(crate) fn check(id: &str) -> Result<(), KhqrError> {
    if id.is_empty() {
        return Err(KhqrError::new(
            KhqrErrorKind::AccountIdRequired,
            "Bakong account ID is empty",
        ));
    }
    let len = utf16_len(id);
    if len > ACCOUNT_ID_MAX {
        return Err(KhqrError::new(
            KhqrErrorKind::AccountIdTooLong,
            format!("Bakong account ID is longer than {ACCOUNT_ID_MAX} characters ({len})"),
        ));
    }
    if id.bytes().filter(|&b| b == b'@').count() != 1 {
        return Err(KhqrError::new(
            KhqrErrorKind::AccountIdInvalid,
            format!("Bakong account ID {id:?} must contain exactly one '@' (like name@bank)"),
        ));
    }
    Ok(())
}

impl fmt::Display for BakongAccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for BakongAccountId {
    type Error = KhqrError;

    fn try_from(id: String) -> Result<Self, KhqrError> {
        check(&id)?;
        Ok(Self(id))
    }
}

impl From<BakongAccountId> for String {
    fn from(id: BakongAccountId) -> String {
        id.0
    }
}

impl AsRef<str> for BakongAccountId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sdk_codes_in_order() {
        assert_eq!(
            BakongAccountId::parse("john_smith@devb").unwrap().as_str(),
            "john_smith@devb"
        );
        assert_eq!(BakongAccountId::parse("").unwrap_err().code(), 1);
        assert_eq!(BakongAccountId::parse("johnsmith").unwrap_err().code(), 3);
        assert_eq!(BakongAccountId::parse("a@b@c").unwrap_err().code(), 3);
        assert_eq!(
            BakongAccountId::parse("abcdefghijklmnopqrstuvwxyz12@devb")
                .unwrap_err()
                .code(),
            6
        );
        // Length is checked before the '@' (as the SDK does).
        assert_eq!(
            BakongAccountId::parse(&"a".repeat(33)).unwrap_err().code(),
            6
        );
        assert!(BakongAccountId::parse("x123456789012345678901234567@ftc").is_ok());
    }
}
