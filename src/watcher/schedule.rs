//! When to ask Bakong next about a pending charge (pure).
//!
//! A customer usually pays within the first minutes of seeing the QR, so a young charge is
//! asked about often and an older one less:
//!
//! | age of the QR (now − created_at) | next check after an answered one |
//! |---|---|
//! | under [`Schedule::young_secs`] (3 min)      | `young_every_secs` (2 s)          |
//! | from then until it expires                  | `every_secs` (`POLL_INTERVAL_SECS`, 5 s) |
//! | never later than the QR's expiry            | at `expires_at` (the last check then follows `decide`) |
//! | after expiry (only reached on a late answer) | `every_secs`                     |
//!
//! The poll loop ticks every second; a charge is asked about at the first round at or
//! after its next check time. In batch mode a merchant is also never asked more than once
//! per [`Schedule::merchant_gap_secs`] (2 s): a merchant's due charges then share one
//! request. The last check after expiry and its grace are [`super::decide`]'s. A later
//! "late watch" cadence (cancelled or expired charges still watched) extends this table.

use super::types::UnixSecs;

/// The polling cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// A charge younger than this is young.
    pub young_secs: i64,
    /// Between checks of a young charge.
    pub young_every_secs: i64,
    /// Between checks of an older charge (`POLL_INTERVAL_SECS`).
    pub every_secs: i64,
    /// Batch mode: least time between two list requests for one merchant.
    pub merchant_gap_secs: i64,
}

impl Default for Schedule {
    fn default() -> Self {
        Self::with_interval(5)
    }
}

impl Schedule {
    /// The default table with `POLL_INTERVAL_SECS` = `interval_secs` (a young charge is
    /// asked every 2 s, or every `interval_secs` if that is shorter).
    pub fn with_interval(interval_secs: i64) -> Self {
        let every = interval_secs.max(1);
        Self {
            young_secs: 180,
            young_every_secs: every.min(2),
            every_secs: every,
            merchant_gap_secs: every.min(2),
        }
    }

    /// When to ask next about a charge created at `created_at`, expiring at `expires_at`,
    /// that was just asked about (answered, still pending) at `now`.
    pub fn next_check(
        &self,
        created_at: UnixSecs,
        expires_at: UnixSecs,
        now: UnixSecs,
    ) -> UnixSecs {
        let age = now.saturating_sub(created_at);
        let every = if age < self.young_secs {
            self.young_every_secs
        } else {
            self.every_secs
        }
        .max(1);
        let next = now.saturating_add(every);
        if now < expires_at {
            next.min(expires_at)
        } else {
            next
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: i64 = 1_000;

    #[test]
    fn young_charges_often_older_ones_at_the_poll_interval() {
        let s = Schedule::default();
        let exp = C + 600;
        assert_eq!(s.next_check(C, exp, C), C + 2);
        assert_eq!(s.next_check(C, exp, C + 179), C + 181);
        assert_eq!(s.next_check(C, exp, C + 180), C + 185);
        assert_eq!(s.next_check(C, exp, C + 400), C + 405);
    }

    #[test]
    fn never_past_the_expiry_while_it_is_ahead() {
        let s = Schedule::default();
        let exp = C + 600;
        assert_eq!(s.next_check(C, exp, C + 598), exp);
        assert_eq!(s.next_check(C, exp, C + 601), C + 606);
        // A very short QR: still every 2 s, then at its expiry.
        assert_eq!(s.next_check(C, C + 3, C + 2), C + 3);
    }

    #[test]
    fn the_interval_sets_the_slow_cadence_and_caps_the_fast_one() {
        let s = Schedule::with_interval(1);
        assert_eq!(
            (s.young_every_secs, s.every_secs, s.merchant_gap_secs),
            (1, 1, 1)
        );
        let s = Schedule::with_interval(30);
        assert_eq!(
            (s.young_every_secs, s.every_secs, s.merchant_gap_secs),
            (2, 30, 2)
        );
        assert_eq!(Schedule::with_interval(0).every_secs, 1);
    }
}
