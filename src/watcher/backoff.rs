//! Per-merchant polling gates: who may be asked about this round.
//!
//! - 401 → the merchant is *suspended*: no more requests with that token, and the caller is
//!   told exactly once (per token) to ask the merchant to renew it. Storing a new token
//!   (a different [`TokenVersion`]) lifts the suspension.
//! - 403 geo-block, 429, 5xx, timeouts, transport errors → exponential back-off, capped,
//!   never shorter than the server's `Retry-After` (itself capped). The merchant's charges
//!   stay pending; they are asked about again once the back-off has passed.
//! - A successful answer clears the merchant's state.
//!
//! Pure: the clock is the `now` argument. The state lives in memory; after a restart every
//! merchant is asked once more, and notifying "renew your token" is made idempotent by the
//! store (keyed on the token version), so a restart never notifies twice.

use std::collections::HashMap;

use super::types::{LookupFailure, MerchantId, UnixSecs};

/// Identifies which token of a merchant a state refers to; it changes whenever a new token
/// is stored (e.g. the token's `updated_at`, or a row version).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenVersion(pub i64);

/// Back-off tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Delay after the first failure.
    pub base_secs: u64,
    /// Longest delay computed by doubling.
    pub max_secs: u64,
    /// Longest `Retry-After` honoured (a server asking for a day is asked again sooner).
    pub max_retry_after_secs: u64,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            base_secs: 5,
            max_secs: 300,
            max_retry_after_secs: 3600,
        }
    }
}

impl BackoffPolicy {
    /// Delay after the `attempt`-th consecutive failure (1-based): base·2^(attempt−1),
    /// capped at `max_secs`, and at least the (capped) `retry_after`.
    pub fn delay_secs(&self, attempt: u32, retry_after: Option<u64>) -> u64 {
        let exp = attempt.saturating_sub(1).min(63);
        let doubled = self
            .base_secs
            .saturating_mul(1u64 << exp)
            .min(self.max_secs.max(self.base_secs));
        let server = retry_after.map_or(0, |s| s.min(self.max_retry_after_secs));
        doubled.max(server).max(1)
    }
}

/// Whether a merchant may be polled now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    Poll,
    /// Backing off until this time.
    Wait {
        until: UnixSecs,
    },
    /// The token was refused (401); waiting for a new one.
    Suspended,
}

/// What the caller must do after a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureEffect {
    /// First 401 for this token: stop polling and tell the merchant to renew (once).
    NotifyRenewToken,
    /// Already suspended for this token; nothing new to say.
    AlreadySuspended,
    /// Transient: the merchant is skipped until `until`.
    BackOff { until: UnixSecs, attempt: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    BackingOff {
        attempts: u32,
        until: UnixSecs,
        token: TokenVersion,
    },
    Suspended {
        token: TokenVersion,
    },
}

/// The gates of all merchants with a problem (healthy merchants have no entry).
#[derive(Debug, Clone, Default)]
pub struct MerchantGates {
    policy: BackoffPolicy,
    states: HashMap<MerchantId, State>,
}

impl MerchantGates {
    pub fn new(policy: BackoffPolicy) -> Self {
        Self {
            policy,
            states: HashMap::new(),
        }
    }

    pub fn policy(&self) -> BackoffPolicy {
        self.policy
    }

    /// May `merchant`, whose stored token is `token`, be polled at `now`?
    /// A suspension or back-off recorded for an older token is dropped: a new token is a
    /// fresh start.
    pub fn check(&mut self, merchant: MerchantId, token: TokenVersion, now: UnixSecs) -> Gate {
        match self.states.get(&merchant).copied() {
            None => Gate::Poll,
            Some(State::Suspended { token: t }) | Some(State::BackingOff { token: t, .. })
                if t != token =>
            {
                self.states.remove(&merchant);
                Gate::Poll
            }
            Some(State::Suspended { .. }) => Gate::Suspended,
            Some(State::BackingOff { until, .. }) if now < until => Gate::Wait { until },
            Some(State::BackingOff { .. }) => Gate::Poll,
        }
    }

    /// A request for `merchant` was answered (whatever the per-charge outcomes).
    pub fn record_success(&mut self, merchant: MerchantId) {
        self.states.remove(&merchant);
    }

    /// A request for `merchant` made with `token` failed at `now`.
    pub fn record_failure(
        &mut self,
        merchant: MerchantId,
        token: TokenVersion,
        failure: &LookupFailure,
        now: UnixSecs,
    ) -> FailureEffect {
        let previous = self.states.get(&merchant).copied();
        if *failure == LookupFailure::Unauthorized {
            if previous == Some(State::Suspended { token }) {
                return FailureEffect::AlreadySuspended;
            }
            self.states.insert(merchant, State::Suspended { token });
            return FailureEffect::NotifyRenewToken;
        }
        let attempts = match previous {
            Some(State::BackingOff {
                attempts, token: t, ..
            }) if t == token => attempts.saturating_add(1),
            // A transient failure while suspended for this token cannot happen through
            // `check`; if it does, the suspension stands.
            Some(State::Suspended { token: t }) if t == token => {
                return FailureEffect::AlreadySuspended;
            }
            _ => 1,
        };
        let retry_after = match failure {
            LookupFailure::RateLimited { retry_after_secs } => *retry_after_secs,
            _ => None,
        };
        let delay = self.policy.delay_secs(attempts, retry_after);
        let until = now.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
        self.states.insert(
            merchant,
            State::BackingOff {
                attempts,
                until,
                token,
            },
        );
        FailureEffect::BackOff {
            until,
            attempt: attempts,
        }
    }

    /// Number of merchants currently suspended or backing off.
    pub fn troubled(&self) -> usize {
        self.states.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: MerchantId = MerchantId(7);
    const T1: TokenVersion = TokenVersion(1);
    const T2: TokenVersion = TokenVersion(2);

    fn gates() -> MerchantGates {
        MerchantGates::new(BackoffPolicy {
            base_secs: 5,
            max_secs: 60,
            max_retry_after_secs: 600,
        })
    }

    fn server_error() -> LookupFailure {
        LookupFailure::Server { status: 502 }
    }

    #[test]
    fn healthy_merchant_is_polled() {
        let mut g = gates();
        assert_eq!(g.check(M, T1, 0), Gate::Poll);
        assert_eq!(g.troubled(), 0);
    }

    #[test]
    fn delays_double_and_cap() {
        let p = gates().policy();
        let delays: Vec<u64> = (1..=8).map(|a| p.delay_secs(a, None)).collect();
        assert_eq!(delays, vec![5, 10, 20, 40, 60, 60, 60, 60]);
        assert_eq!(p.delay_secs(u32::MAX, None), 60);
        assert_eq!(p.delay_secs(0, None), 5);
    }

    #[test]
    fn retry_after_is_a_floor_and_is_capped() {
        let p = gates().policy();
        assert_eq!(p.delay_secs(1, Some(30)), 30);
        assert_eq!(p.delay_secs(5, Some(30)), 60);
        assert_eq!(p.delay_secs(1, Some(0)), 5);
        assert_eq!(p.delay_secs(1, Some(86_400)), 600);
    }

    #[test]
    fn delay_is_never_zero() {
        let p = BackoffPolicy {
            base_secs: 0,
            max_secs: 0,
            max_retry_after_secs: 0,
        };
        assert_eq!(p.delay_secs(1, Some(100)), 1);
    }

    #[test]
    fn transient_failures_back_off_exponentially_and_success_resets() {
        let mut g = gates();
        let mut now = 1000;
        let mut expected = [5, 10, 20, 40, 60, 60].into_iter();
        for attempt in 1..=6u32 {
            assert_eq!(g.check(M, T1, now), Gate::Poll);
            let delay = expected.next().unwrap();
            assert_eq!(
                g.record_failure(M, T1, &server_error(), now),
                FailureEffect::BackOff {
                    until: now + delay,
                    attempt
                }
            );
            assert_eq!(g.check(M, T1, now), Gate::Wait { until: now + delay });
            assert_eq!(
                g.check(M, T1, now + delay - 1),
                Gate::Wait { until: now + delay }
            );
            now += delay;
        }
        assert_eq!(g.check(M, T1, now), Gate::Poll);
        g.record_success(M);
        assert_eq!(g.troubled(), 0);
        assert_eq!(
            g.record_failure(M, T1, &LookupFailure::Timeout, now),
            FailureEffect::BackOff {
                until: now + 5,
                attempt: 1
            }
        );
    }

    #[test]
    fn every_transient_kind_backs_off() {
        for f in [
            LookupFailure::GeoBlocked,
            LookupFailure::RateLimited {
                retry_after_secs: None,
            },
            LookupFailure::Server { status: 500 },
            LookupFailure::Server { status: 504 },
            LookupFailure::Timeout,
            LookupFailure::Transport,
        ] {
            let mut g = gates();
            assert!(
                matches!(
                    g.record_failure(M, T1, &f, 0),
                    FailureEffect::BackOff { until: 5, .. }
                ),
                "{f:?}"
            );
            assert_eq!(g.check(M, T1, 4), Gate::Wait { until: 5 }, "{f:?}");
        }
    }

    #[test]
    fn rate_limit_honours_retry_after() {
        let mut g = gates();
        let f = LookupFailure::RateLimited {
            retry_after_secs: Some(42),
        };
        assert_eq!(
            g.record_failure(M, T1, &f, 100),
            FailureEffect::BackOff {
                until: 142,
                attempt: 1
            }
        );
        assert_eq!(g.check(M, T1, 141), Gate::Wait { until: 142 });
        assert_eq!(g.check(M, T1, 142), Gate::Poll);
    }

    #[test]
    fn unauthorized_suspends_and_notifies_once() {
        let mut g = gates();
        assert_eq!(
            g.record_failure(M, T1, &LookupFailure::Unauthorized, 0),
            FailureEffect::NotifyRenewToken
        );
        for now in [0, 10, 86_400 * 30] {
            assert_eq!(g.check(M, T1, now), Gate::Suspended);
        }
        assert_eq!(
            g.record_failure(M, T1, &LookupFailure::Unauthorized, 5),
            FailureEffect::AlreadySuspended
        );
        assert_eq!(
            g.record_failure(M, T1, &server_error(), 5),
            FailureEffect::AlreadySuspended
        );
        assert_eq!(g.check(M, T1, 10), Gate::Suspended);
    }

    #[test]
    fn new_token_resumes_a_suspended_merchant() {
        let mut g = gates();
        g.record_failure(M, T1, &LookupFailure::Unauthorized, 0);
        assert_eq!(g.check(M, T2, 1), Gate::Poll);
        assert_eq!(g.troubled(), 0);
        // The new token can be refused too, and that is news again.
        assert_eq!(
            g.record_failure(M, T2, &LookupFailure::Unauthorized, 2),
            FailureEffect::NotifyRenewToken
        );
    }

    #[test]
    fn new_token_also_clears_a_back_off() {
        let mut g = gates();
        g.record_failure(M, T1, &server_error(), 0);
        g.record_failure(M, T1, &server_error(), 5);
        assert_eq!(g.check(M, T2, 6), Gate::Poll);
        assert_eq!(
            g.record_failure(M, T2, &server_error(), 6),
            FailureEffect::BackOff {
                until: 11,
                attempt: 1
            }
        );
    }

    #[test]
    fn backing_off_merchant_hitting_401_is_suspended() {
        let mut g = gates();
        g.record_failure(M, T1, &server_error(), 0);
        assert_eq!(
            g.record_failure(M, T1, &LookupFailure::Unauthorized, 5),
            FailureEffect::NotifyRenewToken
        );
        assert_eq!(g.check(M, T1, 1_000_000), Gate::Suspended);
    }

    #[test]
    fn merchants_are_independent() {
        let mut g = gates();
        let other = MerchantId(8);
        g.record_failure(M, T1, &LookupFailure::Unauthorized, 0);
        g.record_failure(other, T1, &server_error(), 0);
        assert_eq!(g.check(M, T1, 1), Gate::Suspended);
        assert_eq!(g.check(other, T1, 1), Gate::Wait { until: 5 });
        assert_eq!(g.check(MerchantId(9), T1, 1), Gate::Poll);
        g.record_success(other);
        assert_eq!(g.check(other, T1, 1), Gate::Poll);
        assert_eq!(g.check(M, T1, 1), Gate::Suspended);
    }

    #[test]
    fn far_future_times_do_not_overflow() {
        let mut g = gates();
        let effect = g.record_failure(M, T1, &server_error(), i64::MAX - 1);
        assert_eq!(
            effect,
            FailureEffect::BackOff {
                until: i64::MAX,
                attempt: 1
            }
        );
    }
}
