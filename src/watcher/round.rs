//! One polling round, and "Check now" for a single charge.
//!
//! A round claims the merchants with due charges that no other replica holds, a chunk at a
//! time (watch leases, `store::leases`; renewed by a [`Heartbeat`] while it runs, released
//! at its end), loads their due charges grouped by merchant, skips merchants that are
//! suspended (401) or backing off, and asks Bakong about the rest. In batch mode that is
//! ONE `check_transaction_by_md5_list` request per 50 charges — Σ ceil(pending per
//! merchant / 50) requests — several merchants in parallel. When the list endpoint is
//! closed (see [`super::endpoint`]) it is one `check_transaction_by_md5` per charge,
//! oldest-checked first, at most `max_rps` a second ([`super::per_md5`]).
//!
//! Server-wide trouble opens the shared [`Circuit`]: while it is open a round sends one
//! probe at most, and as soon as Bakong answers the same round asks about everything due.
//! Each answer goes through [`decide`](super::decide::decide) and every resulting change
//! is committed through the guarded [`SqlWatcherStore::settle`], so concurrent rounds, a "Check
//! now" and a restart can never settle a charge twice. An md5 a list answer leaves out is
//! unanswered: asked again, never "not found".

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use super::backoff::{BackoffPolicy, FailureEffect, Gate, MerchantGates};
use super::circuit::{Circuit, CircuitGate, CircuitPolicy};
use super::decide::{Decision, Rules, decide};
use super::endpoint::{EndpointChoice, RoundMode};
use super::lease::{DEFAULT_LEASE_CHUNK, DEFAULT_LEASE_TTL_SECS, Heartbeat, release};
use super::pacer::Pacer;
use super::ports::{Applied, Lookups, MerchantBatch, MerchantToken, Settlement};
use super::schedule::Schedule;
use super::sql::SqlWatcherStore;
use super::types::{ChargeId, Lookup, LookupFailure, MerchantId, UnixSecs};
use crate::metrics::Metrics;
use crate::store::{Arrival, ChargeStatus};
use crate::store::{DueCharge, LeaseKind, ReplicaId, StoreError};
use tracing::Instrument;

mod merchant;

/// How often a refused (401) token is tried again, in case the refusal came from a
/// misconfigured relay rather than from Bakong.
pub const REFUSED_RECHECK_SECS: i64 = 30 * 60;
/// The md5 a token re-check asks about: no QR has it; any envelope answer means the token
/// is accepted.
const RECHECK_MD5: &str = "00000000000000000000000000000000";

/// How long to remember when a charge was last asked about.
const FORGET_ASKED_AFTER_SECS: i64 = 2 * 24 * 3600;

/// Bakong refuses larger md5 lists.
pub const MAX_MD5_PER_REQUEST: usize = 50;

/// Default `BAKONG_MAX_RPS`: Bakong documents no rate limit; 10 single-md5 requests a
/// second is far below what other clients report as safe and covers a few hundred
/// pending charges every poll interval.
pub const DEFAULT_MAX_RPS: u32 = 10;

/// Watcher tunables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatcherConfig {
    pub rules: Rules,
    /// When each charge is asked about next (young charges often).
    pub schedule: Schedule,
    /// Per-merchant back-off, for per-token trouble only.
    pub backoff: BackoffPolicy,
    /// The shared circuit, for server-wide trouble.
    pub circuit: CircuitPolicy,
    /// Bakong requests in flight at once, across merchants.
    pub max_in_flight: usize,
    /// Per-md5 mode: most single-md5 requests started per second (`BAKONG_MAX_RPS`).
    pub max_rps: u32,
    /// Per-md5 mode: seconds between rounds; a round sends at most `max_rps` × this
    /// many requests (the rest wait for the next round, oldest-checked first).
    pub round_secs: u32,
    /// How long a watch lease lasts unless renewed (several replicas: a dead one's
    /// merchants are taken over after this).
    pub lease_ttl_secs: i64,
    /// Merchants a round claims at a time (replicas share a round chunk by chunk).
    pub lease_chunk: usize,
}

impl Default for WatcherConfig {
    fn default() -> Self {
        Self {
            rules: Rules::default(),
            schedule: Schedule::default(),
            backoff: BackoffPolicy::default(),
            circuit: CircuitPolicy::default(),
            max_in_flight: 32,
            max_rps: DEFAULT_MAX_RPS,
            round_secs: 1,
            lease_ttl_secs: DEFAULT_LEASE_TTL_SECS,
            lease_chunk: DEFAULT_LEASE_CHUNK,
        }
    }
}

impl WatcherConfig {
    /// Most single-md5 requests one per-md5 round sends.
    pub fn per_md5_budget(&self) -> usize {
        let n = u64::from(self.max_rps.max(1)) * u64::from(self.round_secs.max(1));
        usize::try_from(n).unwrap_or(usize::MAX)
    }
}

/// The state a charge reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettledAs {
    Paid,
    /// Money arrived, less than asked.
    Underpaid,
    /// Transfers arrived, none in the charge's currency to the seller's account.
    Mismatch,
    Failed,
    Expired,
}

/// What one round did. Charge counts add up: `charges` = settled + `payments_recorded` +
/// `hash_taken` + `last_checks` + `kept_pending` + `already_settled` + `store_errors` + the
/// `skipped_*`/`unchecked` + `deferred` + `spread`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoundReport {
    pub merchants: usize,
    pub charges: usize,
    /// Bakong requests sent.
    pub requests: usize,
    pub paid: usize,
    pub underpaid: usize,
    pub mismatched: usize,
    pub failed: usize,
    pub expired: usize,
    /// Payments recorded that left their charge's status as it was (a second payment of a
    /// paid QR, …).
    pub payments_recorded: usize,
    /// Transactions refused because they already paid another charge.
    pub hash_taken: usize,
    /// First empty answer after expiry recorded (expires on a later check).
    pub last_checks: usize,
    /// Asked, nothing to change yet.
    pub kept_pending: usize,
    /// Lost a race: someone else settled the charge first.
    pub already_settled: usize,
    /// The change could not be saved; the charge stays pending and is asked again.
    pub store_errors: usize,
    pub skipped_no_token: usize,
    pub skipped_suspended: usize,
    pub skipped_backoff: usize,
    /// Charges not asked about because their merchant's request failed this round.
    pub unchecked: usize,
    /// Charges not asked about because the shared circuit is open (Bakong failing).
    pub skipped_outage: usize,
    /// Per-md5 mode: due charges left for the next round (request budget spent).
    pub deferred: usize,
    /// Batch mode: due charges of merchants asked less than 2 s ago (asked next round).
    pub skipped_recent: usize,
    /// Batch mode: due charges of merchants left for the next round so that the list
    /// requests spread evenly over the merchant gap instead of all going in one round
    /// (see [`Watcher::spread`]); those merchants go first next round.
    pub spread: usize,
    pub request_failures: usize,
    /// Whether the round ran per md5 (the list endpoint is closed).
    pub per_md5: bool,
}

impl RoundReport {
    pub fn settled(&self) -> usize {
        self.paid + self.underpaid + self.mismatched + self.failed + self.expired
    }

    pub(super) fn merge(&mut self, o: &RoundReport) {
        self.merchants += o.merchants;
        self.charges += o.charges;
        self.requests += o.requests;
        self.paid += o.paid;
        self.underpaid += o.underpaid;
        self.mismatched += o.mismatched;
        self.payments_recorded += o.payments_recorded;
        self.hash_taken += o.hash_taken;
        self.failed += o.failed;
        self.expired += o.expired;
        self.last_checks += o.last_checks;
        self.kept_pending += o.kept_pending;
        self.already_settled += o.already_settled;
        self.store_errors += o.store_errors;
        self.skipped_no_token += o.skipped_no_token;
        self.skipped_suspended += o.skipped_suspended;
        self.skipped_backoff += o.skipped_backoff;
        self.unchecked += o.unchecked;
        self.skipped_outage += o.skipped_outage;
        self.deferred += o.deferred;
        self.skipped_recent += o.skipped_recent;
        self.spread += o.spread;
        self.request_failures += o.request_failures;
        self.per_md5 |= o.per_md5;
    }

    pub(super) fn count(&mut self, outcome: ChargeOutcome) {
        match outcome {
            ChargeOutcome::Settled(SettledAs::Paid) => self.paid += 1,
            ChargeOutcome::Settled(SettledAs::Underpaid) => self.underpaid += 1,
            ChargeOutcome::Settled(SettledAs::Mismatch) => self.mismatched += 1,
            ChargeOutcome::PaymentRecorded => self.payments_recorded += 1,
            ChargeOutcome::HashTaken => self.hash_taken += 1,
            ChargeOutcome::Settled(SettledAs::Failed) => self.failed += 1,
            ChargeOutcome::Settled(SettledAs::Expired) => self.expired += 1,
            ChargeOutcome::LastCheck => self.last_checks += 1,
            ChargeOutcome::StillPending => self.kept_pending += 1,
            ChargeOutcome::AlreadySettled => self.already_settled += 1,
            ChargeOutcome::StoreError => self.store_errors += 1,
        }
    }
}

/// Bakong requests a round needs for these batches: Σ ceil(charges / 50).
pub fn requests_needed(batches: &[MerchantBatch]) -> usize {
    batches
        .iter()
        .map(|b| b.charges.len().div_ceil(MAX_MD5_PER_REQUEST))
        .sum()
}

/// The answer to a "Check now" press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckNow {
    /// This check settled the charge.
    Settled(SettledAs),
    /// Still waiting for the payment.
    StillPending,
    /// The charge is not pending (settled, cancelled, or unknown).
    NotPending,
    /// The merchant has no usable token.
    NoToken,
    /// Bakong refuses the merchant's token: renew it with /token.
    TokenRefused,
    /// Bakong asked us to slow down, or is failing: try again after `until`.
    TryLater { until: UnixSecs },
    /// This check failed (the charge stays pending).
    Unreachable(LookupFailure),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ChargeOutcome {
    Settled(SettledAs),
    /// A payment recorded without changing the charge's status.
    PaymentRecorded,
    /// A transaction that already paid another charge.
    HashTaken,
    LastCheck,
    StillPending,
    AlreadySettled,
    StoreError,
}

/// The payment watcher: cheap to clone (shared state behind `Arc`s).
pub struct Watcher<L> {
    pub(super) store: Arc<SqlWatcherStore>,
    pub(super) lookups: Arc<L>,
    gates: Arc<Mutex<MerchantGates>>,
    circuit: Arc<Mutex<Circuit>>,
    endpoint: Arc<Mutex<EndpointChoice>>,
    pub(super) pacer: Arc<Pacer>,
    /// When each charge was last asked about (per-md5 mode: oldest-checked first).
    pub(super) last_asked: Arc<Mutex<HashMap<ChargeId, UnixSecs>>>,
    /// Batch mode: when each merchant's last list request was sent.
    last_list_at: Arc<Mutex<HashMap<MerchantId, UnixSecs>>>,
    /// When refused tokens are next re-checked (`None` until the first round).
    next_recheck: Arc<Mutex<Option<UnixSecs>>>,
    pub(super) config: WatcherConfig,
    settled: Option<Arc<Notify>>,
    /// Rounds and their durations are counted here (`/metrics`).
    metrics: Arc<Metrics>,
    /// This replica, as its leases name it.
    replica: Arc<ReplicaId>,
}

/// What is left of a round's limits while it goes through its chunks of merchants.
pub(super) struct RoundBudget {
    /// Batch mode: fresh merchants still to ask this round (`None`: no limit; see
    /// [`Watcher::spread`]).
    pub(super) spread: Option<usize>,
    /// Per-md5 mode: requests still to send this round.
    pub(super) per_md5: usize,
}

impl<L> Clone for Watcher<L> {
    fn clone(&self) -> Self {
        Self {
            store: Arc::clone(&self.store),
            lookups: Arc::clone(&self.lookups),
            gates: Arc::clone(&self.gates),
            circuit: Arc::clone(&self.circuit),
            endpoint: Arc::clone(&self.endpoint),
            pacer: Arc::clone(&self.pacer),
            last_asked: Arc::clone(&self.last_asked),
            next_recheck: Arc::clone(&self.next_recheck),
            last_list_at: Arc::clone(&self.last_list_at),
            config: self.config,
            settled: self.settled.clone(),
            metrics: Arc::clone(&self.metrics),
            replica: Arc::clone(&self.replica),
        }
    }
}

/// Locks plain data; a panic elsewhere cannot leave it half-updated.
pub(super) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<L> Watcher<L>
where
    L: Lookups,
{
    pub fn new(store: Arc<SqlWatcherStore>, lookups: Arc<L>, config: WatcherConfig) -> Self {
        Self {
            store,
            lookups,
            gates: Arc::new(Mutex::new(MerchantGates::new(config.backoff))),
            circuit: Arc::new(Mutex::new(Circuit::new(config.circuit))),
            endpoint: Arc::new(Mutex::new(EndpointChoice::new())),
            pacer: Arc::new(Pacer::new(config.max_rps)),
            last_asked: Arc::new(Mutex::new(HashMap::new())),
            next_recheck: Arc::new(Mutex::new(None)),
            last_list_at: Arc::new(Mutex::new(HashMap::new())),
            config,
            settled: None,
            metrics: Arc::new(Metrics::default()),
            replica: Arc::new(ReplicaId::generate()),
        }
    }

    /// Names this watcher's leases `replica` (the process's one identity).
    pub fn with_replica(mut self, replica: ReplicaId) -> Self {
        self.replica = Arc::new(replica);
        self
    }

    /// The replica this watcher's leases name.
    pub fn replica(&self) -> &ReplicaId {
        &self.replica
    }

    /// Counts rounds and their durations into `metrics` (the process's registry).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// Whether the watcher polls per md5 (the list endpoint was found closed).
    pub fn polls_per_md5(&self) -> bool {
        lock(&self.endpoint).per_md5()
    }

    pub(super) fn circuit_ref(&self) -> &Mutex<Circuit> {
        &self.circuit
    }

    /// Whether the shared circuit is open (Bakong failing for everyone).
    pub fn circuit_open(&self) -> bool {
        lock(&self.circuit).is_open()
    }

    /// Notifies `on_settled` as soon as any charge is settled or a token refusal is
    /// recorded (mid-round), so the Telegram follow-up goes out without waiting for the
    /// round to finish.
    pub fn notify_on_settle(mut self, on_settled: Arc<Notify>) -> Self {
        self.settled = Some(on_settled);
        self
    }

    fn settled_now(&self) {
        if let Some(n) = &self.settled {
            n.notify_one();
        }
    }

    pub fn config(&self) -> WatcherConfig {
        self.config
    }

    pub fn store(&self) -> &Arc<SqlWatcherStore> {
        &self.store
    }

    /// One polling round at `now`. Only loading the due charges can fail the round; every
    /// other problem is logged, counted in the report and retried next round.
    pub async fn run_round(&self, now: UnixSecs) -> Result<RoundReport, StoreError> {
        let started = std::time::Instant::now();
        let result = self.round(now).await;
        self.metrics.round(started.elapsed(), result.is_ok());
        result
    }

    /// A round over the merchants this replica claims, chunk by chunk, while it holds
    /// them (renewed by a [`Heartbeat`]); released at the end, whatever happened.
    async fn round(&self, now: UnixSecs) -> Result<RoundReport, StoreError> {
        let me = (*self.replica).clone();
        let ttl = self.config.lease_ttl_secs;
        let span = tracing::debug_span!("round", replica = %me, now);
        let heartbeat = Heartbeat::start(
            self.store.store().clone(),
            LeaseKind::Watch,
            me.clone(),
            ttl,
        );
        let result = self.leased_round(&me, now).instrument(span).await;
        drop(heartbeat);
        release(self.store.store(), LeaseKind::Watch, &me).await;
        result
    }

    async fn leased_round(&self, me: &ReplicaId, now: UnixSecs) -> Result<RoundReport, StoreError> {
        self.store.end_unverifiable(now).await?;
        let due = self.store.claimable(now).await?;
        let mut budget = RoundBudget {
            spread: self.spread_budget(&due, now),
            per_md5: self.config.per_md5_budget(),
        };
        let mut report = RoundReport::default();
        // Charges that left `pending` without being settled here (cancelled, or settled by
        // another process) are forgotten after a while.
        lock(&self.last_asked).retain(|_, at| now.saturating_sub(*at) < FORGET_ASKED_AFTER_SECS);
        let mut gate = Some(lock(&self.circuit).gate(now));
        let ttl = self.config.lease_ttl_secs;
        let chunk = self.config.lease_chunk;
        loop {
            if self.polls_per_md5() && budget.per_md5 == 0 {
                // This round's requests are spent: the rest is left to other replicas and
                // the next round.
                break;
            }
            let mut batches = self.store.claim_due(me, ttl, now, chunk).await?;
            if batches.is_empty() {
                break;
            }
            if self.polls_per_md5() {
                // Per md5, oldest-checked first over as many charges as the round may ask
                // about: claim on until they cover the request budget.
                while batches.iter().map(|b| b.charges.len()).sum::<usize>() < budget.per_md5 {
                    let more = self.store.claim_due(me, ttl, now, chunk).await?;
                    if more.is_empty() {
                        break;
                    }
                    batches.extend(more);
                }
            }
            let part = self
                .poll_chunk(batches, gate.take(), now, &mut budget)
                .await;
            report.merge(&part);
        }
        self.recheck_refused_tokens(now).await;
        if report.settled() > 0 || report.request_failures > 0 {
            tracing::info!(replica = %me, ?report, "watcher round");
        } else {
            tracing::debug!(replica = %me, ?report, "watcher round");
        }
        Ok(report)
    }

    /// One chunk of claimed merchants through the circuit: `gate` is the round's (the
    /// first chunk); later chunks go ahead while the circuit is closed and are skipped
    /// while it is open.
    async fn poll_chunk(
        &self,
        mut batches: Vec<MerchantBatch>,
        gate: Option<CircuitGate>,
        now: UnixSecs,
        budget: &mut RoundBudget,
    ) -> RoundReport {
        let mut report = RoundReport::default();
        let gate = match gate {
            Some(gate) => gate,
            None if lock(&self.circuit).is_open() => CircuitGate::Open { until: now },
            None => CircuitGate::Closed,
        };
        match gate {
            CircuitGate::Closed => {}
            CircuitGate::Open { until } => {
                for b in &batches {
                    report.merchants += 1;
                    report.charges += b.charges.len();
                    report.skipped_outage += b.charges.len();
                }
                tracing::debug!(
                    until,
                    charges = report.charges,
                    "Bakong circuit open; waiting to probe"
                );
                return report;
            }
            CircuitGate::Probe => {
                // One merchant first; the others only if Bakong answers it.
                while !batches.is_empty() && lock(&self.circuit).is_open() {
                    let first = batches.remove(0);
                    // As before the leases: the probe has limits of its own.
                    let mut alone = RoundBudget {
                        spread: None,
                        per_md5: self.config.per_md5_budget(),
                    };
                    let part = self.poll_batches(vec![first], now, &mut alone).await;
                    let asked = part.requests > 0;
                    report.merge(&part);
                    if asked {
                        break;
                    }
                }
                if lock(&self.circuit).is_open() {
                    for b in &batches {
                        report.merchants += 1;
                        report.charges += b.charges.len();
                        report.skipped_outage += b.charges.len();
                    }
                    batches.clear();
                }
            }
        }
        let part = self.poll_batches(batches, now, budget).await;
        report.merge(&part);
        report
    }

    /// Asks about these merchants' charges in the current endpoint mode.
    async fn poll_batches(
        &self,
        batches: Vec<MerchantBatch>,
        now: UnixSecs,
        budget: &mut RoundBudget,
    ) -> RoundReport {
        if batches.is_empty() {
            return RoundReport::default();
        }
        let mode = lock(&self.endpoint).round_mode(now);
        if mode != RoundMode::Batch {
            return self
                .poll_per_md5(
                    batches,
                    now,
                    mode == RoundMode::PerMd5RetryingBatch,
                    &mut budget.per_md5,
                )
                .await;
        }
        let mut batches = batches;
        let mut report = RoundReport::default();
        if lock(&self.endpoint).unconfirmed() {
            // Nobody knows yet whether the list endpoint is open: one merchant's request
            // alone first (a closed endpoint then costs one refused request and one
            // probe), the others after it, or per md5 from the next round if it switched.
            while !batches.is_empty() && lock(&self.endpoint).unconfirmed() {
                let first = batches.remove(0);
                let part = Box::pin(self.poll_batches_now(vec![first], now, None)).await;
                let asked = part.requests > 0;
                report.merge(&part);
                if asked {
                    break;
                }
            }
            if lock(&self.circuit).is_open() {
                // The lone request met server-wide trouble: the others wait for the
                // circuit's probe.
                for b in &batches {
                    report.merchants += 1;
                    report.charges += b.charges.len();
                    report.skipped_outage += b.charges.len();
                }
                return report;
            }
            if lock(&self.endpoint).per_md5() {
                // The list endpoint is closed: the others go per md5 from the next round
                // on (the rate limit then orders them, oldest-checked first).
                for b in &batches {
                    report.merchants += 1;
                    report.charges += b.charges.len();
                    report.unchecked += b.charges.len();
                }
                return report;
            }
        }
        let part = self
            .poll_batches_now(batches, now, budget.spread.as_mut())
            .await;
        report.merge(&part);
        report
    }

    /// Batch mode: how many fresh merchants this round asks, given the merchants `due`
    /// (all the round may claim); `None` for no limit. A merchant is asked at most once per
    /// `merchant_gap_secs` (G), so over any G seconds each merchant with due charges is
    /// asked once; if they all came due in the same second (charges made together, a
    /// restart, the end of an outage) they would all be asked in one round, every G
    /// seconds, and queue behind each other for the requests in flight. So a round asks
    /// at most ceil((due + recently asked merchants) / G) merchants — never fewer than
    /// `max_in_flight` — and leaves the rest for the next round ([`Watcher::spread`]).
    /// After one such round the merchants stay spread over the G rounds.
    fn spread_budget(&self, due: &[MerchantId], now: UnixSecs) -> Option<usize> {
        let gap = self.config.schedule.merchant_gap_secs.max(1);
        if gap <= 1 || due.len() <= self.config.max_in_flight {
            return None;
        }
        let last = lock(&self.last_list_at);
        let recent = last
            .values()
            .filter(|at| now < at.saturating_add(gap))
            .count();
        let fresh = due
            .iter()
            .filter(|m| last.get(m).is_none_or(|at| now >= at.saturating_add(gap)))
            .count();
        let total = u64::try_from(fresh + recent).unwrap_or(u64::MAX);
        let per_round = usize::try_from(total.div_ceil(gap.unsigned_abs()))
            .unwrap_or(usize::MAX)
            .max(self.config.max_in_flight.max(1));
        (fresh > per_round).then_some(per_round)
    }

    /// Batch mode: the merchants of this chunk to ask now, within what is `left` of the
    /// round's [`Watcher::spread_budget`] (`None`: all of them): oldest-asked (never asked
    /// first) go now, the rest are left for the next round (`spread`); those merchants go
    /// first next round.
    fn spread(
        &self,
        mut batches: Vec<MerchantBatch>,
        now: UnixSecs,
        report: &mut RoundReport,
        left: Option<&mut usize>,
    ) -> Vec<MerchantBatch> {
        let Some(left) = left else {
            return batches;
        };
        let gap = self.config.schedule.merchant_gap_secs.max(1);
        let last_of: HashMap<MerchantId, UnixSecs> = {
            let last = lock(&self.last_list_at);
            batches
                .iter()
                .filter_map(|b| last.get(&b.merchant).map(|at| (b.merchant, *at)))
                .collect()
        };
        // Oldest-asked (never asked first) go now; the order is stable otherwise.
        batches.sort_by_key(|b| last_of.get(&b.merchant).copied());
        batches.retain(|b| {
            let is_fresh = last_of
                .get(&b.merchant)
                .is_none_or(|at| now >= at.saturating_add(gap));
            if !is_fresh {
                // Skipped as recent by `poll_merchant`; cheap to keep.
                return true;
            }
            if *left > 0 {
                *left -= 1;
                return true;
            }
            report.merchants += 1;
            report.charges += b.charges.len();
            report.spread += b.charges.len();
            false
        });
        batches
    }

    /// Asks about these merchants' charges with list requests, in parallel.
    async fn poll_batches_now(
        &self,
        batches: Vec<MerchantBatch>,
        now: UnixSecs,
        spread_left: Option<&mut usize>,
    ) -> RoundReport {
        let mut spread = RoundReport::default();
        let batches = self.spread(batches, now, &mut spread, spread_left);
        let generation = lock(&self.circuit).generation();
        let in_flight = Arc::new(Semaphore::new(self.config.max_in_flight.max(1)));
        let mut tasks = JoinSet::new();
        for batch in batches {
            let watcher = self.clone();
            let in_flight = Arc::clone(&in_flight);
            tasks.spawn(async move {
                watcher
                    .poll_merchant(batch, now, &in_flight, generation)
                    .await
            });
        }
        let mut report = spread;
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(part) => report.merge(&part),
                // A panic inside one merchant's task must not stop the others; its charges
                // stay pending and are asked about next round.
                Err(e) => tracing::error!(error = %e, "watcher task for a merchant failed"),
            }
        }
        report
    }

    /// Every [`REFUSED_RECHECK_SECS`] (the first time that long after the first round),
    /// asks Bakong once with each refused token. A token that is answered is accepted
    /// again: its merchant's charges are polled from the next round on. Still 401: nothing
    /// changes and nobody is told again.
    async fn recheck_refused_tokens(&self, now: UnixSecs) {
        let due = {
            let mut next = lock(&self.next_recheck);
            let due = next.is_some_and(|t| now >= t);
            if due || next.is_none() {
                *next = Some(now.saturating_add(REFUSED_RECHECK_SECS));
            }
            due
        };
        if !due || self.circuit_open() {
            return;
        }
        let refused = match self.store.refused_tokens().await {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "could not load the refused tokens to re-check");
                return;
            }
        };
        for (merchant, token) in refused {
            if self.circuit_open() {
                break;
            }
            match self.lookups.check_md5(&token.token, RECHECK_MD5).await {
                Ok(_) => match self
                    .store
                    .token_accepted(merchant, token.version, now)
                    .await
                {
                    Ok(accepted) => {
                        if accepted {
                            tracing::warn!(%merchant, "a token Bakong had refused (401) is accepted again; polling resumes");
                        }
                        self.answered(merchant, &token, now).await;
                    }
                    Err(e) => {
                        tracing::error!(%merchant, error = %e, "could not record the re-accepted token")
                    }
                },
                Err(LookupFailure::Unauthorized) => {
                    tracing::debug!(%merchant, "token still refused (401)");
                }
                Err(failure) if failure.is_server_wide() => {
                    lock(&self.circuit).record_failure(&failure, now);
                    break;
                }
                Err(failure) => {
                    tracing::debug!(%merchant, %failure, "token re-check inconclusive");
                }
            }
        }
    }

    /// Whether a server-wide failure was recorded since `generation` (stop sending).
    pub(super) fn tripped(&self, generation: u64) -> bool {
        lock(&self.circuit).generation() != generation
    }

    /// Ask Bakong about one charge right away ("Check now"). The caller has checked that
    /// the charge belongs to the user who pressed the button, and that the press is within
    /// its limits. A failure is recorded like a round's: a 401 suspends the token, a 429 or
    /// other per-token trouble backs off this merchant only, and only server-wide trouble
    /// (5xx, timeouts, network) opens the shared circuit.
    pub async fn check_now(&self, charge: ChargeId, now: UnixSecs) -> Result<CheckNow, StoreError> {
        let Some(batch) = self.store.load_pending_charge(charge).await? else {
            return Ok(CheckNow::NotPending);
        };
        let Some(token) = batch.token else {
            return Ok(CheckNow::NoToken);
        };
        let Some(pending) = batch.charges.into_iter().find(|c| c.id == charge) else {
            return Ok(CheckNow::NotPending);
        };
        match self.gates().check(batch.merchant, token.version, now) {
            Gate::Poll => {}
            Gate::Wait { until } => return Ok(CheckNow::TryLater { until }),
            Gate::Suspended => return Ok(CheckNow::TokenRefused),
        }
        // "Check now" asks even while the circuit is open: it is one request a person
        // asked for, and its answer closes the circuit for everyone. It takes a slot of the
        // pacer the per-md5 rounds use, so presses never add a burst to what Bakong sees
        // (how often a person may press is the bot's to limit, per charge and per seller).
        self.pacer.wait().await;
        let answer = if self.polls_per_md5() {
            self.lookups.check_md5(&token.token, &pending.md5).await
        } else {
            let md5s = [pending.md5.clone()];
            self.lookups
                .check_md5_list(&token.token, &md5s)
                .await
                .map(|items| answer_for(items, &pending.md5))
        };
        self.mark_asked(pending.id, now);
        let lookup = match answer {
            Ok(lookup) => lookup,
            Err(failure) => {
                let effect = self
                    .record_failure(batch.merchant, &token, &failure, now)
                    .await;
                return Ok(match effect {
                    FailureEffect::NotifyRenewToken | FailureEffect::AlreadySuspended => {
                        CheckNow::TokenRefused
                    }
                    FailureEffect::BackOff { .. } => CheckNow::Unreachable(failure),
                });
            }
        };
        self.answered(batch.merchant, &token, now).await;
        Ok(
            match self.apply(batch.merchant, &pending, &lookup, now).await {
                ChargeOutcome::Settled(as_) => CheckNow::Settled(as_),
                ChargeOutcome::AlreadySettled | ChargeOutcome::PaymentRecorded => {
                    CheckNow::NotPending
                }
                ChargeOutcome::LastCheck
                | ChargeOutcome::HashTaken
                | ChargeOutcome::StillPending
                | ChargeOutcome::StoreError => CheckNow::StillPending,
            },
        )
    }

    pub(super) fn gates(&self) -> MutexGuard<'_, MerchantGates> {
        lock(&self.gates)
    }

    /// Adds `charge`'s next check to `next` when it stays pending after this answer.
    pub(super) fn plan(
        &self,
        next: &mut Vec<(ChargeId, UnixSecs)>,
        charge: &DueCharge,
        outcome: ChargeOutcome,
        now: UnixSecs,
    ) {
        if outcome == ChargeOutcome::StillPending {
            let at =
                self.config
                    .schedule
                    .next_check(charge.created_at, charge.facts.expires_at, now);
            next.push((charge.id, at));
        }
    }

    /// Records the next checks of one request's charges (one write).
    pub(super) async fn schedule(&self, next: &[(ChargeId, UnixSecs)]) {
        if next.is_empty() {
            return;
        }
        if let Err(e) = self.store.schedule_checks(next).await {
            // They stay due: asked again at the next round.
            tracing::error!(error = %e, charges = next.len(), "could not record the next checks");
        }
    }

    pub(super) fn mark_asked(&self, charge: ChargeId, now: UnixSecs) {
        lock(&self.last_asked).insert(charge, now);
    }

    /// Bakong answered a request made with `merchant`'s `token`: its back-off ends, the
    /// shared circuit closes, and a token not yet known accepted is recorded as accepted
    /// (only such a token is ever renewed automatically).
    pub(super) async fn answered(
        &self,
        merchant: MerchantId,
        token: &MerchantToken,
        now: UnixSecs,
    ) {
        self.gates().record_success(merchant);
        if let Some(open_secs) = lock(&self.circuit).record_answer(now) {
            tracing::info!(
                open_secs,
                "Bakong answers again; asking about every pending charge"
            );
        }
        if !token.accepted {
            match self
                .store
                .token_answered(merchant, token.version, now)
                .await
            {
                Ok(true) => tracing::info!(%merchant, "Bakong accepted the stored token"),
                Ok(false) => {}
                // Recorded at a later answer; nothing else depends on it meanwhile.
                Err(e) => {
                    tracing::warn!(%merchant, error = %e, "could not record that Bakong accepted the token")
                }
            }
        }
    }

    /// A list request was answered: batch mode (again).
    pub(super) fn list_answered(&self) {
        if lock(&self.endpoint).list_answered() {
            tracing::info!("Bakong's md5 list endpoint answers again; back to batch polling");
        }
    }

    /// The list endpoint was refused and the single endpoint answered.
    pub(super) fn list_refused_single_answered(&self, failure: &LookupFailure, now: UnixSecs) {
        if lock(&self.endpoint).list_refused_single_answered(now) {
            tracing::warn!(%failure, "Bakong refuses check_transaction_by_md5_list but answers check_transaction_by_md5: polling per md5 (at most BAKONG_MAX_RPS a second), list retried hourly");
        }
    }

    /// The hourly list retry could not tell (server trouble): retry next round.
    pub(super) fn list_retry_inconclusive(&self, now: UnixSecs) {
        lock(&self.endpoint).list_retry_inconclusive(now);
    }
}

pub(super) fn answer_for(items: Vec<(String, Lookup)>, md5: &str) -> Lookup {
    items
        .into_iter()
        .find(|(m, _)| m.trim().eq_ignore_ascii_case(md5))
        .map_or(Lookup::Unavailable, |(_, l)| l)
}

fn settled_as(status: ChargeStatus) -> Option<SettledAs> {
    match status {
        ChargeStatus::Paid => Some(SettledAs::Paid),
        ChargeStatus::Underpaid => Some(SettledAs::Underpaid),
        ChargeStatus::Mismatch => Some(SettledAs::Mismatch),
        ChargeStatus::Failed => Some(SettledAs::Failed),
        ChargeStatus::Expired => Some(SettledAs::Expired),
        // The watcher never cancels; a last check leaves the charge pending.
        ChargeStatus::Creating
        | ChargeStatus::Pending
        | ChargeStatus::Cancelled
        | ChargeStatus::Unverified
        | ChargeStatus::Discarded => None,
    }
}
