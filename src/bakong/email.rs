//! The email a seller registered at the Bakong Open API site: what `renew_token` takes.

use std::fmt;

/// Bakong's register form (`request_token`) accepts at most 30 characters.
pub const MAX_EMAIL_CHARS: usize = 30;

/// Why a text was refused as a registered email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    #[error("the email is empty")]
    Empty,
    #[error("the email is longer than {MAX_EMAIL_CHARS} characters")]
    TooLong,
    #[error("the email is not of the form name@domain.tld")]
    Malformed,
}

/// A syntactically valid email address of at most [`MAX_EMAIL_CHARS`] characters:
/// `local@domain`, ASCII, no whitespace, one `@`, a dotted domain with non-empty labels.
/// Stored as typed (trimmed); compared as Bakong does, exactly.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RegisteredEmail(String);

impl RegisteredEmail {
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let email = text.trim();
        if email.is_empty() {
            return Err(EmailError::Empty);
        }
        if email.chars().count() > MAX_EMAIL_CHARS {
            return Err(EmailError::TooLong);
        }
        let (local, domain) = email.split_once('@').ok_or(EmailError::Malformed)?;
        let local_ok = !local.is_empty()
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()));
        if local_ok && domain_ok {
            Ok(Self(email.to_owned()))
        } else {
            Err(EmailError::Malformed)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For showing in chat without spelling it out: first character of the name, `•••`,
    /// and the domain (`s•••@example.com`).
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').unwrap_or((self.0.as_str(), "")); // parse() guarantees the '@'
        let first: String = local.chars().take(1).collect();
        format!("{first}•••@{domain}")
    }
}

impl fmt::Debug for RegisteredEmail {
    /// Masked: an email is personal data and does not belong in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegisteredEmail({})", self.masked())
    }
}

impl std::str::FromStr for RegisteredEmail {
    type Err = EmailError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_addresses() {
        for ok in [
            "sokha@example.com",
            "  dara.k+shop@mail.gmail.com ",
            "a@b.kh",
            "x_y-z@sub-domain.example.org",
        ] {
            let e = RegisteredEmail::parse(ok).unwrap();
            assert_eq!(e.as_str(), ok.trim());
        }
    }

    #[test]
    fn refuses_what_bakong_would_not_register() {
        assert_eq!(RegisteredEmail::parse("  "), Err(EmailError::Empty));
        assert_eq!(
            RegisteredEmail::parse("abcdefghijklmnopqrst@example.com"),
            Err(EmailError::TooLong)
        );
        assert!(RegisteredEmail::parse(&"a".repeat(19)).is_err());
        for bad in [
            "sokha",
            "sokha@",
            "@example.com",
            "so kha@example.com",
            "a@b@example.com",
            "sokha@example",
            "sokha@example.c",
            "sokha@.example.com",
            "sokha@example..com",
            "sokha@-example.com",
            ".sokha@example.com",
            "so..kha@example.com",
            "សុខា@example.com",
            "sokha@example.com\u{7}",
            "sokha@example.123",
        ] {
            assert_eq!(
                RegisteredEmail::parse(bad),
                Err(EmailError::Malformed),
                "{bad:?}"
            );
        }
        // Exactly 30 characters is fine.
        let thirty = format!("{}@example.com", "a".repeat(18));
        assert_eq!(thirty.chars().count(), 30);
        assert!(RegisteredEmail::parse(&thirty).is_ok());
    }

    #[test]
    fn masked_and_debug_hide_the_name() {
        let e = RegisteredEmail::parse("sokha@example.com").unwrap();
        assert_eq!(e.masked(), "s•••@example.com");
        assert_eq!(format!("{e:?}"), "RegisteredEmail(s•••@example.com)");
    }
}
