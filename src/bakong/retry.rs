//! When and how long to wait before asking Bakong again.

use std::time::Duration;

use rand::Rng;

use super::error::BakongError;

/// Bounded exponential backoff with jitter.
///
/// Only transient failures are retried: HTTP 5xx, 429, timeouts and transport errors.
/// 401, 403 and every other 4xx or decode error are returned at once. A `Retry-After`
/// (seconds) is honoured as a lower bound; if it does not fit in what is left of
/// `max_total_wait`, the call gives up and returns the error so the caller can reschedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first (1 = never retry).
    pub max_attempts: u32,
    /// Backoff before the second attempt; doubles each time.
    pub base_delay: Duration,
    /// Cap of one backoff (not of a server's `Retry-After`).
    pub max_delay: Duration,
    /// Cap of the sum of all waits of one call.
    pub max_total_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            base_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(5),
            max_total_wait: Duration::from_secs(15),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before attempt `failed_attempt + 1`, or `None` to give up.
    /// `waited` is the sum of the waits so far.
    pub fn next_delay(
        &self,
        failed_attempt: u32,
        error: &BakongError,
        retry_after: Option<Duration>,
        waited: Duration,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        if !error.is_transient() || failed_attempt >= self.max_attempts {
            return None;
        }
        let exp = failed_attempt.saturating_sub(1).min(20);
        let backoff = self.base_delay.saturating_mul(1 << exp).min(self.max_delay);
        // "Equal jitter": half fixed, half random, so waits never collapse to zero.
        let half = backoff / 2;
        let jitter_ms = rng.random_range(0..=half.as_millis().min(u128::from(u64::MAX)) as u64);
        let mut delay = half + Duration::from_millis(jitter_ms);
        if let Some(ra) = retry_after {
            // Honour the server: never earlier than it asked, plus a little jitter so many
            // clients do not come back in the same millisecond.
            let extra = rng.random_range(0..=self.base_delay.as_millis().min(1000) as u64);
            delay = delay.max(ra + Duration::from_millis(extra));
        }
        let left = self
            .max_total_wait
            .checked_sub(waited)
            .filter(|l| !l.is_zero())?;
        if let Some(ra) = retry_after
            && ra > left
        {
            return None;
        }
        Some(delay.min(left))
    }
}

/// Parses `Retry-After` in seconds. HTTP dates are not supported (Bakong is not known to
/// send them) and read as absent.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn server() -> BakongError {
        BakongError::Server {
            status: 503,
            excerpt: String::new(),
        }
    }

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_total_wait: Duration::from_secs(10),
        }
    }

    #[test]
    fn backoff_grows_with_jitter_within_bounds() {
        let mut rng = StdRng::seed_from_u64(7);
        let p = policy();
        for _ in 0..200 {
            for (attempt, full) in [(1, 100), (2, 200), (3, 400), (4, 800)] {
                let d = p
                    .next_delay(attempt, &server(), None, Duration::ZERO, &mut rng)
                    .unwrap();
                assert!(d >= Duration::from_millis(full / 2), "{attempt} {d:?}");
                assert!(d <= Duration::from_millis(full), "{attempt} {d:?}");
            }
        }
        assert_eq!(
            p.next_delay(5, &server(), None, Duration::ZERO, &mut rng),
            None
        );
    }

    #[test]
    fn backoff_is_capped() {
        let mut rng = StdRng::seed_from_u64(1);
        let p = RetryPolicy {
            max_attempts: 50,
            ..policy()
        };
        let d = p
            .next_delay(40, &server(), None, Duration::ZERO, &mut rng)
            .unwrap();
        assert!(d <= Duration::from_millis(1000));
    }

    #[test]
    fn never_retries_client_errors() {
        let mut rng = StdRng::seed_from_u64(1);
        let p = policy();
        for e in [
            BakongError::Unauthorized,
            BakongError::GeoBlocked,
            BakongError::Decode {
                reason: String::new(),
                excerpt: String::new(),
            },
            BakongError::Api {
                status: 400,
                error_code: Some(5),
                message: String::new(),
            },
            BakongError::NotRegistered,
        ] {
            assert_eq!(
                p.next_delay(1, &e, None, Duration::ZERO, &mut rng),
                None,
                "{e:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_a_lower_bound_and_respects_the_budget() {
        let mut rng = StdRng::seed_from_u64(3);
        let p = policy();
        let rl = BakongError::RateLimited {
            retry_after: Some(Duration::from_secs(2)),
        };
        for _ in 0..100 {
            let d = p.next_delay(
                1,
                &rl,
                Some(Duration::from_secs(2)),
                Duration::ZERO,
                &mut rng,
            );
            assert!(d.unwrap() >= Duration::from_secs(2));
        }
        // 2 s does not fit in what is left of the 10 s budget.
        let d = p.next_delay(
            1,
            &rl,
            Some(Duration::from_secs(2)),
            Duration::from_secs(9),
            &mut rng,
        );
        assert_eq!(d, None);
        // Budget spent.
        assert_eq!(
            p.next_delay(1, &server(), None, Duration::from_secs(10), &mut rng),
            None
        );
    }

    #[test]
    fn retry_after_header_values() {
        assert_eq!(parse_retry_after(" 3 "), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
