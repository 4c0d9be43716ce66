//! Token-expiry reminders: in the last three days before a merchant's Bakong token expires
//! (JWT `exp`), remind them once per Phnom Penh day how to renew it. A merchant with a
//! registered email is renewed automatically first ([`super::renewal`], 5 days before);
//! reminders wait until that renewal is over and go on if it did not give a token.

use super::types::UnixSecs;
use crate::time::LocalDate;

/// How long before expiry reminders start.
pub const REMIND_BEFORE_SECS: i64 = 3 * 86_400;

/// Whether a reminder is due at `now` for a token expiring at `expires_at` (unix seconds;
/// `None` when the token carries no expiry), last reminded at `reminded_at`.
///
/// Due when `now` is in `[expires_at − 3 days, expires_at)` and no reminder went out yet on
/// this Phnom Penh day. Once expired, Bakong's 401 takes over (the watcher stops polling
/// and tells the merchant), and a refused token gets no reminders either.
pub fn reminder_due(
    expires_at: Option<UnixSecs>,
    reminded_at: Option<UnixSecs>,
    token_refused: bool,
    now: UnixSecs,
) -> bool {
    let Some(exp) = expires_at else {
        return false;
    };
    if token_refused || now >= exp || now < exp.saturating_sub(REMIND_BEFORE_SECS) {
        return false;
    }
    reminded_at.is_none_or(|last| LocalDate::at(last) < LocalDate::at(now))
}

/// Whole days left before `expires_at` (rounded up), for the reminder text.
pub fn days_left(expires_at: UnixSecs, now: UnixSecs) -> i64 {
    let left = expires_at.saturating_sub(now).max(0);
    left.div_euclid(86_400) + i64::from(left.rem_euclid(86_400) > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pp(y: i32, m: u8, d: u8, h: i64) -> UnixSecs {
        LocalDate::new(y, m, d).unwrap().start() + h * 3600
    }

    #[test]
    fn no_expiry_no_reminder() {
        assert!(!reminder_due(None, None, false, 0));
    }

    #[test]
    fn window_is_the_last_three_days() {
        let exp = pp(2025, 3, 10, 12);
        assert!(!reminder_due(
            Some(exp),
            None,
            false,
            exp - REMIND_BEFORE_SECS - 1
        ));
        assert!(reminder_due(
            Some(exp),
            None,
            false,
            exp - REMIND_BEFORE_SECS
        ));
        assert!(reminder_due(Some(exp), None, false, exp - 1));
        assert!(!reminder_due(Some(exp), None, false, exp));
        assert!(!reminder_due(Some(exp), None, false, exp + 86_400));
    }

    #[test]
    fn once_per_phnom_penh_day() {
        let exp = pp(2025, 3, 10, 12);
        let first = pp(2025, 3, 7, 12);
        assert!(reminder_due(Some(exp), None, false, first));
        // Same day, even 11 h later (23:00 local): no.
        assert!(!reminder_due(
            Some(exp),
            Some(first),
            false,
            pp(2025, 3, 7, 23)
        ));
        // Next local day, even just after midnight: yes.
        assert!(reminder_due(
            Some(exp),
            Some(first),
            false,
            pp(2025, 3, 8, 0)
        ));
        // Four days in the window (7, 8, 9, 10 March before noon).
        let mut sent = vec![];
        let mut last = None;
        let mut t = exp - REMIND_BEFORE_SECS;
        while t < exp + 86_400 {
            if reminder_due(Some(exp), last, false, t) {
                sent.push(LocalDate::at(t).to_string());
                last = Some(t);
            }
            t += 600;
        }
        assert_eq!(
            sent,
            vec!["2025-03-07", "2025-03-08", "2025-03-09", "2025-03-10"]
        );
    }

    #[test]
    fn refused_token_gets_no_reminder() {
        let exp = pp(2025, 3, 10, 12);
        assert!(!reminder_due(Some(exp), None, true, exp - 3600));
    }

    #[test]
    fn days_left_rounds_up() {
        assert_eq!(days_left(86_400 * 3, 0), 3);
        assert_eq!(days_left(86_400 * 3, 1), 3);
        assert_eq!(days_left(86_400 * 2 + 1, 0), 3);
        assert_eq!(days_left(10, 0), 1);
        assert_eq!(days_left(0, 0), 0);
        assert_eq!(days_left(0, 100), 0);
    }
}
