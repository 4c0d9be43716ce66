//! The process's counters and histograms: one [`Metrics`] registry, made once at
//! start-up and passed down (`Arc<Metrics>`) to the points that produce the figures — the
//! Bakong client (request latency, errors by kind), the watcher (rounds, round duration),
//! the Telegram outbox (follow-ups sent). Plain atomics: recording never blocks, never
//! allocates, never fails.
//!
//! A leaf module like [`crate::time`]: it knows no other module, so the low layers can
//! record into it. The gauges read from the database (pending charges, outbox lag) are not
//! kept here: `ops` asks the store for them at each scrape and hands them to
//! [`Metrics::render`], which writes the Prometheus text exposition format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Prefix of every metric name.
pub const PREFIX: &str = "khqr_bot";

/// The `kind` label of `khqr_bot_bakong_errors_total`: one per `BakongError` variant
/// (`BakongError::kind` returns one of these).
pub const BAKONG_ERROR_KINDS: [&str; 12] = [
    "unauthorized",
    "geo_blocked",
    "no_such_endpoint",
    "rate_limited",
    "server",
    "timeout",
    "transport",
    "decode",
    "not_registered",
    "invalid_account_id",
    "api",
    "config",
];

/// The `reason` label of `khqr_bot_updates_shed_total`: why the bot dropped a Telegram
/// update before any handler saw it (`bot::shedding`).
pub const SHED_REASONS: [&str; 4] = ["user_budget", "chat_budget", "inline_budget", "in_flight"];

/// Upper bounds (seconds) of the Bakong request latency buckets.
const BAKONG_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0,
];
/// Upper bounds (seconds) of the watcher round duration buckets.
const ROUND_BUCKETS: [f64; 11] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

/// A histogram with fixed buckets: one counter per bucket (not cumulative; cumulated when
/// rendered), the sum in microseconds and the count.
#[derive(Debug)]
struct Histogram {
    bounds: &'static [f64],
    /// `bounds.len() + 1` counters: the last one is above every bound (`+Inf` only).
    buckets: Vec<AtomicU64>,
    sum_micros: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Self {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        let slot = self
            .bounds
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(self.bounds.len());
        if let Some(bucket) = self.buckets.get(slot) {
            bucket.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        header(out, name, help, "histogram");
        let mut cumulative = 0u64;
        for (bound, bucket) in self.bounds.iter().zip(&self.buckets) {
            cumulative += bucket.load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        if let Some(last) = self.buckets.last() {
            cumulative += last.load(Ordering::Relaxed);
        }
        // `+Inf` is the total of the buckets read here (not `count`, which may have moved
        // on since), so the buckets always add up.
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}");
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

/// The figures read from the database at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreGauges {
    /// Charges in `pending` (shown with a live QR, watched).
    pub pending_charges: u64,
    /// Telegram follow-ups queued and not yet delivered.
    pub outbox_queued: u64,
    /// Age in seconds of the oldest undelivered follow-up (0 when none).
    pub outbox_lag_secs: u64,
}

/// The registry. `Default` is an empty one (what a component records into when nobody
/// reads it: tests, benchmarks).
#[derive(Debug)]
pub struct Metrics {
    bakong_latency: Histogram,
    bakong_errors: [AtomicU64; BAKONG_ERROR_KINDS.len()],
    outbox_sent: AtomicU64,
    rounds: AtomicU64,
    round_failures: AtomicU64,
    round_duration: Histogram,
    updates_shed: [AtomicU64; SHED_REASONS.len()],
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            bakong_latency: Histogram::new(&BAKONG_BUCKETS),
            bakong_errors: std::array::from_fn(|_| AtomicU64::new(0)),
            outbox_sent: AtomicU64::new(0),
            rounds: AtomicU64::new(0),
            round_failures: AtomicU64::new(0),
            round_duration: Histogram::new(&ROUND_BUCKETS),
            updates_shed: std::array::from_fn(|_| AtomicU64::new(0)),
        }
    }
}

impl Metrics {
    /// One HTTP exchange with Bakong took `elapsed` (whatever its answer).
    pub fn bakong_request(&self, elapsed: Duration) {
        self.bakong_latency.observe(elapsed);
    }

    /// A Bakong call failed (after the client's retries) with an error of `kind`, one of
    /// [`BAKONG_ERROR_KINDS`]; another name is a bug and is not counted.
    pub fn bakong_error(&self, kind: &str) {
        match BAKONG_ERROR_KINDS.iter().position(|k| *k == kind) {
            Some(i) => {
                self.bakong_errors[i].fetch_add(1, Ordering::Relaxed);
            }
            None => debug_assert!(false, "unknown Bakong error kind {kind}"),
        }
    }

    /// The bot dropped a Telegram update for `reason`, one of [`SHED_REASONS`]; another
    /// name is a bug and is not counted.
    pub fn update_shed(&self, reason: &str) {
        match SHED_REASONS.iter().position(|r| *r == reason) {
            Some(i) => {
                self.updates_shed[i].fetch_add(1, Ordering::Relaxed);
            }
            None => debug_assert!(false, "unknown shed reason {reason}"),
        }
    }

    /// Updates dropped for `reason` so far (0 for an unknown reason).
    pub fn updates_shed(&self, reason: &str) -> u64 {
        SHED_REASONS
            .iter()
            .position(|r| *r == reason)
            .map_or(0, |i| self.updates_shed[i].load(Ordering::Relaxed))
    }

    /// Telegram accepted one queued follow-up.
    pub fn outbox_sent(&self) {
        self.outbox_sent.fetch_add(1, Ordering::Relaxed);
    }

    /// A watcher round ended after `elapsed`; `ok` is false when it could not even load the
    /// due charges.
    pub fn round(&self, elapsed: Duration, ok: bool) {
        self.rounds.fetch_add(1, Ordering::Relaxed);
        if !ok {
            self.round_failures.fetch_add(1, Ordering::Relaxed);
        }
        self.round_duration.observe(elapsed);
    }

    /// Watcher rounds so far.
    pub fn rounds(&self) -> u64 {
        self.rounds.load(Ordering::Relaxed)
    }

    /// Bakong errors of `kind` so far (0 for an unknown kind).
    pub fn bakong_errors(&self, kind: &str) -> u64 {
        BAKONG_ERROR_KINDS
            .iter()
            .position(|k| *k == kind)
            .map_or(0, |i| self.bakong_errors[i].load(Ordering::Relaxed))
    }

    /// Everything, in the Prometheus text exposition format (version 0.0.4): `# HELP` and
    /// `# TYPE` before each family, counters named `_total`, histograms as cumulative
    /// `_bucket{le=…}` lines ending with `+Inf`, then `_sum` and `_count`.
    /// `gauges` is `None` when the database did not answer: its gauges are left out and
    /// `khqr_bot_database_up` says 0.
    pub fn render(&self, gauges: Option<StoreGauges>) -> String {
        let mut out = String::with_capacity(4096);
        gauge(
            &mut out,
            "database_up",
            "Whether the database answered this scrape's queries (1) or not (0).",
            u64::from(gauges.is_some()),
        );
        if let Some(gauges) = gauges {
            gauge(
                &mut out,
                "pending_charges",
                "Charges waiting for a payment (status pending).",
                gauges.pending_charges,
            );
            gauge(
                &mut out,
                "outbox_queued",
                "Telegram follow-ups queued and not yet delivered.",
                gauges.outbox_queued,
            );
            gauge(
                &mut out,
                "outbox_lag_seconds",
                "Age of the oldest undelivered Telegram follow-up, in seconds (0 when none).",
                gauges.outbox_lag_secs,
            );
        }
        counter(
            &mut out,
            "outbox_sent_total",
            "Telegram follow-ups (edits, notices) Telegram accepted.",
            self.outbox_sent.load(Ordering::Relaxed),
        );
        let name = format!("{PREFIX}_bakong_request_duration_seconds");
        self.bakong_latency.render(
            &mut out,
            &name,
            "Duration of one HTTP exchange with the Bakong Open API, in seconds.",
        );
        let name = format!("{PREFIX}_bakong_errors_total");
        header(
            &mut out,
            &name,
            "Failed Bakong calls (after the client's retries), by kind of error.",
            "counter",
        );
        for (kind, n) in BAKONG_ERROR_KINDS.iter().zip(&self.bakong_errors) {
            let _ = writeln!(
                out,
                "{name}{{kind=\"{kind}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        let name = format!("{PREFIX}_updates_shed_total");
        header(
            &mut out,
            &name,
            "Telegram updates dropped before any handler, by reason (a flood).",
            "counter",
        );
        for (reason, n) in SHED_REASONS.iter().zip(&self.updates_shed) {
            let _ = writeln!(
                out,
                "{name}{{reason=\"{reason}\"}} {}",
                n.load(Ordering::Relaxed)
            );
        }
        counter(
            &mut out,
            "watcher_rounds_total",
            "Polling rounds of the payment watcher.",
            self.rounds.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "watcher_round_failures_total",
            "Watcher rounds that could not load the due charges from the database.",
            self.round_failures.load(Ordering::Relaxed),
        );
        let name = format!("{PREFIX}_watcher_round_duration_seconds");
        self.round_duration.render(
            &mut out,
            &name,
            "Duration of one polling round of the payment watcher, in seconds.",
        );
        out
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn gauge(out: &mut String, short: &str, help: &str, value: u64) {
    let name = format!("{PREFIX}_{short}");
    header(out, &name, help, "gauge");
    let _ = writeln!(out, "{name} {value}");
}

fn counter(out: &mut String, short: &str, help: &str, value: u64) {
    let name = format!("{PREFIX}_{short}");
    header(out, &name, help, "counter");
    let _ = writeln!(out, "{name} {value}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line<'a>(text: &'a str, start: &str) -> &'a str {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line {start} in\n{text}"))
    }

    #[test]
    fn histogram_buckets_are_cumulative_and_add_up() {
        let m = Metrics::default();
        m.bakong_request(Duration::from_millis(3));
        m.bakong_request(Duration::from_millis(40));
        m.bakong_request(Duration::from_secs(60));
        let text = m.render(None);
        assert!(text.contains("khqr_bot_database_up 0\n"));
        assert!(!text.contains("khqr_bot_pending_charges"));
        let name = "khqr_bot_bakong_request_duration_seconds";
        assert_eq!(
            line(&text, &format!("{name}_bucket{{le=\"0.005\"}}")),
            format!("{name}_bucket{{le=\"0.005\"}} 1")
        );
        assert!(text.contains(&format!("{name}_bucket{{le=\"0.05\"}} 2\n")));
        assert!(text.contains(&format!("{name}_bucket{{le=\"15\"}} 2\n")));
        assert!(text.contains(&format!("{name}_bucket{{le=\"+Inf\"}} 3\n")));
        assert!(text.contains(&format!("{name}_count 3\n")));
        assert!(text.contains(&format!("{name}_sum 60.043\n")));
    }

    #[test]
    fn errors_by_kind_and_rounds() {
        let m = Metrics::default();
        m.bakong_error("geo_blocked");
        m.bakong_error("geo_blocked");
        m.round(Duration::from_millis(20), true);
        m.round(Duration::from_millis(20), false);
        m.outbox_sent();
        let text = m.render(Some(StoreGauges {
            pending_charges: 4,
            outbox_queued: 2,
            outbox_lag_secs: 9,
        }));
        assert!(text.contains("khqr_bot_database_up 1\n"));
        assert!(text.contains("khqr_bot_bakong_errors_total{kind=\"geo_blocked\"} 2\n"));
        assert!(text.contains("khqr_bot_bakong_errors_total{kind=\"timeout\"} 0\n"));
        assert!(text.contains("khqr_bot_watcher_rounds_total 2\n"));
        assert!(text.contains("khqr_bot_watcher_round_failures_total 1\n"));
        assert!(text.contains("khqr_bot_outbox_sent_total 1\n"));
        assert!(text.contains("khqr_bot_pending_charges 4\n"));
        assert!(text.contains("khqr_bot_outbox_lag_seconds 9\n"));
        assert_eq!(m.bakong_errors("geo_blocked"), 2);
        assert_eq!(m.rounds(), 2);
        // Every family is introduced by HELP then TYPE.
        for l in text.lines().filter(|l| l.starts_with("# TYPE ")) {
            let name = l.split(' ').nth(2).unwrap();
            assert!(text.contains(&format!("# HELP {name} ")), "{name}");
        }
    }
}
