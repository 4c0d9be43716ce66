//! One circuit for the Bakong server, shared by every merchant.
//!
//! Server-wide trouble — 5xx, timeouts, transport errors (see
//! [`LookupFailure::is_server_wide`]) — says nothing about a merchant's token, so it does
//! not back merchants off one by one (which left a payment made during a storm unseen for
//! minutes). Instead the circuit opens: rounds send nothing but ONE probe, at most every
//! [`CircuitPolicy::probe_secs`] (never sooner than a `Retry-After`, itself capped, should
//! a failure that opens it carry one). A 429 is not server-wide: it backs off the one token
//! that met it ([`super::backoff`]), so one seller's throttled token never stops the
//! others. Any
//! answer from Bakong — even a per-token refusal — closes it, and the same round asks
//! about every due charge, so a payment made during an outage is seen within one poll
//! interval of recovery.
//!
//! Pure: the clock is the `now` argument.

use super::types::{LookupFailure, UnixSecs};

/// Circuit tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CircuitPolicy {
    /// Seconds between probes while open.
    pub probe_secs: u64,
    /// Longest `Retry-After` honoured.
    pub max_retry_after_secs: u64,
}

impl Default for CircuitPolicy {
    fn default() -> Self {
        Self {
            probe_secs: 3,
            max_retry_after_secs: 300,
        }
    }
}

/// What a round may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitGate {
    /// Bakong is answering: ask about everything due.
    Closed,
    /// Open, and a probe is due: send one request first; go on only if it is answered.
    Probe,
    /// Open: send nothing before `until`.
    Open { until: UnixSecs },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Open {
    since: UnixSecs,
    failures: u32,
    next_probe_at: UnixSecs,
}

/// The shared circuit.
#[derive(Debug, Clone, Default)]
pub struct Circuit {
    policy: CircuitPolicy,
    open: Option<Open>,
    /// Bumped by every server-wide failure: a round that sees it change stops sending.
    generation: u64,
}

impl Circuit {
    pub fn new(policy: CircuitPolicy) -> Self {
        Self {
            policy,
            open: None,
            generation: 0,
        }
    }

    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// Changes whenever a server-wide failure is recorded.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// What a round at `now` may do. Handing out [`CircuitGate::Probe`] books the next
    /// probe slot, so concurrent callers do not all probe.
    pub fn gate(&mut self, now: UnixSecs) -> CircuitGate {
        let probe_secs = secs(self.policy.probe_secs.max(1));
        match &mut self.open {
            None => CircuitGate::Closed,
            Some(o) if now >= o.next_probe_at => {
                o.next_probe_at = now.saturating_add(probe_secs);
                CircuitGate::Probe
            }
            Some(o) => CircuitGate::Open {
                until: o.next_probe_at,
            },
        }
    }

    /// Bakong answered (whatever it said). Returns how long it had been open, if it was.
    pub fn record_answer(&mut self, now: UnixSecs) -> Option<i64> {
        self.open.take().map(|o| now.saturating_sub(o.since))
    }

    /// A server-wide failure at `now`: open (or keep open). Returns the next probe time.
    pub fn record_failure(&mut self, failure: &LookupFailure, now: UnixSecs) -> UnixSecs {
        self.generation = self.generation.wrapping_add(1);
        let retry_after = match failure {
            LookupFailure::RateLimited {
                retry_after_secs: Some(s),
            } => (*s).min(self.policy.max_retry_after_secs),
            _ => 0,
        };
        let wait = secs(self.policy.probe_secs.max(retry_after).max(1));
        let next = now.saturating_add(wait);
        let o = self.open.get_or_insert(Open {
            since: now,
            failures: 0,
            next_probe_at: next,
        });
        o.failures = o.failures.saturating_add(1);
        o.next_probe_at = o.next_probe_at.max(next);
        o.next_probe_at
    }

    /// Failures since the circuit opened (0 when closed).
    pub fn failures(&self) -> u32 {
        self.open.map_or(0, |o| o.failures)
    }
}

fn secs(s: u64) -> i64 {
    i64::try_from(s).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn circuit() -> Circuit {
        Circuit::new(CircuitPolicy {
            probe_secs: 3,
            max_retry_after_secs: 60,
        })
    }

    #[test]
    fn closed_until_a_server_wide_failure() {
        let mut c = circuit();
        assert_eq!(c.gate(0), CircuitGate::Closed);
        let g = c.generation();
        assert_eq!(
            c.record_failure(&LookupFailure::Server { status: 503 }, 10),
            13
        );
        assert_ne!(c.generation(), g);
        assert_eq!(c.gate(11), CircuitGate::Open { until: 13 });
    }

    #[test]
    fn one_probe_per_slot_and_an_answer_closes() {
        let mut c = circuit();
        c.record_failure(&LookupFailure::Timeout, 0);
        assert_eq!(c.gate(3), CircuitGate::Probe);
        assert_eq!(c.gate(3), CircuitGate::Open { until: 6 }, "slot booked");
        c.record_failure(&LookupFailure::Transport, 3);
        assert_eq!(c.failures(), 2);
        assert_eq!(c.gate(6), CircuitGate::Probe);
        assert_eq!(c.record_answer(7), Some(7));
        assert_eq!(c.gate(7), CircuitGate::Closed);
        assert_eq!(c.record_answer(8), None);
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let mut c = circuit();
        let ra = |s| LookupFailure::RateLimited {
            retry_after_secs: Some(s),
        };
        assert_eq!(c.record_failure(&ra(1), 100), 103, "never below probe_secs");
        assert_eq!(c.record_failure(&ra(20), 100), 120);
        assert_eq!(
            c.record_failure(&ra(1), 101),
            120,
            "an earlier ask does not shorten it"
        );
        c.record_answer(130);
        assert_eq!(c.record_failure(&ra(86_400), 200), 260);
    }
}
