//! Which Bakong md5 endpoint the watcher polls with: a property of the Bakong server
//! (base URL), shared by every merchant.
//!
//! - **Batch** (the default): `check_transaction_by_md5_list`, up to 50 md5s a request.
//! - **Per md5**: production has been seen answering the list endpoint with a bare nginx
//!   403 page for every token while `check_transaction_by_md5` works (API.md §5). When a
//!   list request is refused with 403, 404 or 405, the round probes the single endpoint
//!   with one md5 of that merchant; if that is answered (any envelope answer), the watcher
//!   switches to per-md5 polling and tries the list endpoint again about hourly
//!   ([`BATCH_RETRY_SECS`]), with ONE request, not one per merchant. If the single call is
//!   refused too, it is the geo-block: the merchant backs off as before and the operator
//!   is told in the log.
//!
//! The switch costs ONE refused list request and ONE probe, not one of each per merchant:
//! until a list request has been answered (at start, or after the list endpoint was
//! refused), a batch round sends its first merchant's request alone before the others
//! ([`EndpointChoice::unconfirmed`]); and while a probe is under way no other merchant sends
//! a list request or a probe of its own ([`EndpointChoice::start_probe`]). If the endpoint
//! closes while rounds are already going, the requests already in flight (at most
//! `max_in_flight`) are refused and still only one probes.
//!
//! Pure: the clock is the `now` argument; the state lives in memory (after a restart the
//! first list request finds out again, at the cost of one probe).

use super::types::UnixSecs;

/// How long to stay in per-md5 mode before trying the list endpoint again.
pub const BATCH_RETRY_SECS: i64 = 3600;

/// How a round asks Bakong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundMode {
    /// One list request per ≤ 50 due charges of a merchant.
    Batch,
    /// One single-md5 request per due charge (bounded, paced).
    PerMd5,
    /// Per md5, but first ONE list request to see whether the list endpoint is back.
    PerMd5RetryingBatch,
}

/// The shared choice of endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointChoice {
    /// `Some(t)`: polling per md5, and the list endpoint is tried again at `t`.
    retry_batch_at: Option<UnixSecs>,
    /// A list request was answered since the start (or since the list was refused).
    confirmed: bool,
    /// A refused list request's probe of the single endpoint is under way.
    probing: bool,
}

impl EndpointChoice {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether the watcher is polling per md5.
    pub fn per_md5(&self) -> bool {
        self.retry_batch_at.is_some()
    }

    /// How the round at `now` asks. A due list retry is handed out once: the next retry
    /// is pushed an hour on right away (a successful list answer then switches back).
    pub fn round_mode(&mut self, now: UnixSecs) -> RoundMode {
        match self.retry_batch_at {
            None => RoundMode::Batch,
            Some(at) if now >= at => {
                self.retry_batch_at = Some(now.saturating_add(BATCH_RETRY_SECS));
                RoundMode::PerMd5RetryingBatch
            }
            Some(_) => RoundMode::PerMd5,
        }
    }

    /// Batch mode and no list request answered yet: the round sends one request alone
    /// first, so a closed list endpoint costs one refused request, not one per merchant.
    pub fn unconfirmed(&self) -> bool {
        self.retry_batch_at.is_none() && !self.confirmed
    }

    /// Whether a probe of the single endpoint is under way (send no list request now).
    pub fn probing(&self) -> bool {
        self.probing
    }

    /// A list request was refused (403/404/405): whether this caller is the one to probe
    /// the single endpoint (false: another probe is under way, or the switch is made).
    pub fn start_probe(&mut self) -> bool {
        if self.probing || self.retry_batch_at.is_some() {
            return false;
        }
        self.probing = true;
        true
    }

    /// The probe was refused too (or failed): no probe under way any more.
    pub fn probe_failed(&mut self) {
        self.probing = false;
    }

    /// The list endpoint was refused (403/404/405) and the single endpoint answered:
    /// poll per md5 from now on. Returns whether this call switched (log once).
    pub fn list_refused_single_answered(&mut self, now: UnixSecs) -> bool {
        let switched = self.retry_batch_at.is_none();
        self.retry_batch_at = Some(now.saturating_add(BATCH_RETRY_SECS));
        self.probing = false;
        self.confirmed = false;
        switched
    }

    /// A list request was answered: back to batch mode. Returns whether this switched.
    pub fn list_answered(&mut self) -> bool {
        self.confirmed = true;
        self.retry_batch_at.take().is_some()
    }

    /// The list retry could not be made (server trouble): try again at the next round.
    pub fn list_retry_inconclusive(&mut self, now: UnixSecs) {
        if self.retry_batch_at.is_some() {
            self.retry_batch_at = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_until_the_list_is_refused_and_the_single_call_answers() {
        let mut e = EndpointChoice::new();
        assert_eq!(e.round_mode(0), RoundMode::Batch);
        assert!(e.list_refused_single_answered(100));
        assert!(!e.list_refused_single_answered(101), "switches once");
        assert!(e.per_md5());
        assert_eq!(e.round_mode(200), RoundMode::PerMd5);
    }

    #[test]
    fn one_probe_at_a_time_and_a_lone_first_request_until_the_list_answers() {
        let mut e = EndpointChoice::new();
        assert!(e.unconfirmed());
        assert!(e.start_probe(), "the first refusal probes");
        assert!(e.probing());
        assert!(!e.start_probe(), "no second probe while one is under way");
        e.probe_failed();
        assert!(!e.probing());
        assert!(
            e.start_probe(),
            "a geo-blocked probe lets the next refusal probe"
        );
        e.list_refused_single_answered(10);
        assert!(!e.probing());
        assert!(!e.start_probe(), "switched: nobody probes any more");
        assert!(!e.unconfirmed(), "per md5: no batch round to confirm");
        assert!(e.list_answered());
        assert!(!e.unconfirmed(), "an answered list confirms the endpoint");
    }

    #[test]
    fn the_list_is_retried_hourly_with_one_request() {
        let mut e = EndpointChoice::new();
        e.list_refused_single_answered(100);
        assert_eq!(e.round_mode(100 + BATCH_RETRY_SECS - 1), RoundMode::PerMd5);
        assert_eq!(
            e.round_mode(100 + BATCH_RETRY_SECS),
            RoundMode::PerMd5RetryingBatch
        );
        // The same round's other merchants, and the next rounds, stay per md5.
        assert_eq!(e.round_mode(100 + BATCH_RETRY_SECS), RoundMode::PerMd5);
        assert_eq!(e.round_mode(100 + BATCH_RETRY_SECS + 5), RoundMode::PerMd5);
        // Still refused: an hour more.
        e.list_refused_single_answered(100 + BATCH_RETRY_SECS);
        assert_eq!(
            e.round_mode(100 + 2 * BATCH_RETRY_SECS - 1),
            RoundMode::PerMd5
        );
    }

    #[test]
    fn an_answered_list_switches_back_and_an_inconclusive_retry_comes_soon() {
        let mut e = EndpointChoice::new();
        assert!(!e.list_answered());
        e.list_refused_single_answered(0);
        assert_eq!(
            e.round_mode(BATCH_RETRY_SECS),
            RoundMode::PerMd5RetryingBatch
        );
        e.list_retry_inconclusive(BATCH_RETRY_SECS);
        assert_eq!(
            e.round_mode(BATCH_RETRY_SECS + 1),
            RoundMode::PerMd5RetryingBatch
        );
        assert!(e.list_answered());
        assert_eq!(e.round_mode(BATCH_RETRY_SECS + 2), RoundMode::Batch);
        e.list_retry_inconclusive(9);
        assert_eq!(e.round_mode(10), RoundMode::Batch, "no-op in batch mode");
    }
}
