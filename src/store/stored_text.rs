//! Enums stored as text (`events.kind`, `telegram_outbox.kind`): each has an `ALL` list and
//! an `as_str` giving the stored text; [`stored_as_text!`] adds the rest the same way for
//! every one of them.

/// For `$kind` (with `const ALL: [$kind; N]` and `fn as_str(self) -> &'static str`):
/// `Display` (the stored text), `FromStr` (the kind whose text it is, else
/// `$unknown(text)`) and comparison with a text, so tests and logs can compare a kind with
/// what the database holds.
macro_rules! stored_as_text {
    ($kind:ty, $unknown:ident) => {
        impl std::fmt::Display for $kind {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $kind {
            type Err = $unknown;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                <$kind>::ALL
                    .into_iter()
                    .find(|k| k.as_str() == s)
                    .ok_or_else(|| $unknown(s.to_owned()))
            }
        }

        impl PartialEq<&str> for $kind {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl PartialEq<str> for $kind {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }
    };
}

pub(super) use stored_as_text;
