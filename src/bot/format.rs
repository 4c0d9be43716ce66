//! Small text helpers: masking, UTF-16 lengths, and the Phnom Penh date and time texts
//! (from [`crate::time`]).

pub use crate::time::{phnom_penh_date, phnom_penh_date_time, phnom_penh_time};

/// A token shown without revealing it: `•••• ` and its last four characters.
pub fn mask_secret(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if secret.chars().count() <= 8 {
        "••••".to_owned()
    } else {
        format!("••••{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_all_but_the_tail() {
        assert_eq!(
            mask_secret("eyJhbGciOiJIUzI1NiJ9.payload.sig1234"),
            "••••1234"
        );
        assert_eq!(mask_secret("short"), "••••");
    }
}
