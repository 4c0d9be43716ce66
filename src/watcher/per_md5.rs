//! The per-md5 round: when Bakong's list endpoint is closed (see [`super::endpoint`]),
//! every due charge is asked about with its own `check_transaction_by_md5` request:
//!
//! - at most one request per charge per round, open charges before late-watched ones, and
//!   among each oldest-checked first (never-asked charges first, then by the time they were
//!   last asked, then by id);
//! - at most [`WatcherConfig::per_md5_budget`](super::WatcherConfig::per_md5_budget)
//!   requests a round (`BAKONG_MAX_RPS` × the round interval); the rest are `deferred`
//!   to the next round, where they are the oldest-checked;
//! - started at most `max_rps` a second (a shared [`Pacer`](super::pacer::Pacer)) and at
//!   most `max_in_flight` at once;
//! - a merchant refused (401) mid-round gets no more requests; a server-wide failure
//!   stops the round (the shared circuit probes).
//!
//! When the hourly list retry is due, ONE list request (the oldest-checked merchant's
//! first ≤ 50 due charges) goes first: answered, and the watcher is back to batch mode.

use std::collections::HashMap;
use std::sync::Arc;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::backoff::Gate;
use super::ports::{Lookups, MerchantBatch, MerchantToken};
use super::round::{MAX_MD5_PER_REQUEST, RoundReport, Watcher, lock};
use super::types::{Lookup, MerchantId, UnixSecs};
use crate::store::{ChargeStatus, DueCharge};

struct Job {
    merchant: MerchantId,
    token: Arc<MerchantToken>,
    charge: DueCharge,
    last_asked: Option<UnixSecs>,
}

impl<L> Watcher<L>
where
    L: Lookups,
{
    pub(super) async fn poll_per_md5(
        &self,
        batches: Vec<MerchantBatch>,
        now: UnixSecs,
        retry_list: bool,
        budget: &mut usize,
    ) -> RoundReport {
        let mut report = RoundReport {
            per_md5: true,
            ..RoundReport::default()
        };
        let mut jobs = self.jobs(batches, now, &mut report);
        if retry_list {
            jobs = self.retry_list(jobs, now, &mut report).await;
        }
        // What is left of the round's `per_md5_budget` (a round may go through several
        // chunks of claimed merchants).
        if jobs.len() > *budget {
            report.deferred += jobs.len() - *budget;
            jobs.truncate(*budget);
        }
        *budget -= jobs.len();
        let generation = lock(self.circuit_ref()).generation();
        let in_flight = Arc::new(Semaphore::new(self.config.max_in_flight.max(1)));
        let mut tasks = JoinSet::new();
        for job in jobs {
            let watcher = self.clone();
            let in_flight = Arc::clone(&in_flight);
            tasks.spawn(async move { watcher.ask_one(job, now, &in_flight, generation).await });
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(part) => report.merge(&part),
                Err(e) => tracing::error!(error = %e, "watcher task for a charge failed"),
            }
        }
        report
    }

    /// The due charges of the merchants that may be polled, oldest-checked first.
    fn jobs(
        &self,
        batches: Vec<MerchantBatch>,
        now: UnixSecs,
        report: &mut RoundReport,
    ) -> Vec<Job> {
        let asked: HashMap<_, _> = lock(&self.last_asked).clone();
        let mut jobs = Vec::new();
        for batch in batches {
            report.merchants += 1;
            report.charges += batch.charges.len();
            let Some(token) = batch.token else {
                tracing::warn!(merchant = %batch.merchant, charges = batch.charges.len(), "no usable Bakong token; charges left pending");
                report.skipped_no_token += batch.charges.len();
                continue;
            };
            match self.gates().check(batch.merchant, token.version, now) {
                Gate::Poll => {}
                Gate::Wait { .. } => {
                    report.skipped_backoff += batch.charges.len();
                    continue;
                }
                Gate::Suspended => {
                    report.skipped_suspended += batch.charges.len();
                    continue;
                }
            }
            let token = Arc::new(token);
            for charge in batch.charges {
                jobs.push(Job {
                    merchant: batch.merchant,
                    token: Arc::clone(&token),
                    last_asked: asked.get(&charge.id).copied(),
                    charge,
                });
            }
        }
        // Open charges first (money may be arriving right now; a late-watched one only
        // waits for a copy's payment), then never asked (None), then oldest-asked.
        jobs.sort_by_key(|j| {
            (
                j.charge.facts.status != ChargeStatus::Pending,
                j.last_asked,
                j.charge.id.0,
            )
        });
        jobs
    }

    /// The hourly list retry: one list request for the first job's merchant. Returns the
    /// jobs still to ask per md5.
    async fn retry_list(
        &self,
        jobs: Vec<Job>,
        now: UnixSecs,
        report: &mut RoundReport,
    ) -> Vec<Job> {
        let Some(first) = jobs.first() else {
            // Nothing to ask with: try at the next round that has something.
            self.list_retry_inconclusive(now);
            return jobs;
        };
        let merchant = first.merchant;
        let token = Arc::clone(&first.token);
        let (mine, rest): (Vec<Job>, Vec<Job>) = {
            let mut taken = 0usize;
            jobs.into_iter().partition(|j| {
                let take = j.merchant == merchant && taken < MAX_MD5_PER_REQUEST;
                taken += usize::from(take);
                take
            })
        };
        let md5s: Vec<String> = mine.iter().map(|j| j.charge.md5.clone()).collect();
        report.requests += 1;
        self.pacer.wait().await;
        match self.lookups.check_md5_list(&token.token, &md5s).await {
            Ok(items) => {
                self.answered(merchant, &token, now).await;
                self.list_answered();
                let mut by_md5: HashMap<String, Lookup> = items
                    .into_iter()
                    .map(|(m, l)| (m.trim().to_ascii_lowercase(), l))
                    .collect();
                let mut next = Vec::with_capacity(mine.len());
                for job in &mine {
                    self.mark_asked(job.charge.id, now);
                    let lookup = by_md5
                        .remove(&job.charge.md5.to_ascii_lowercase())
                        .unwrap_or(Lookup::Unavailable);
                    let outcome = self.apply(merchant, &job.charge, &lookup, now).await;
                    report.count(outcome);
                    self.plan(&mut next, &job.charge, outcome, now);
                }
                self.schedule(&next).await;
                rest
            }
            Err(failure) if failure.may_be_closed_batch_endpoint() => {
                tracing::debug!(%failure, "Bakong's md5 list endpoint is still closed; next try in an hour");
                mine.into_iter().chain(rest).collect()
            }
            Err(failure) => {
                // Not an answer about the endpoint: try the list again next round.
                self.list_retry_inconclusive(now);
                report.request_failures += 1;
                report.unchecked += mine.len();
                self.record_failure(merchant, &token, &failure, now).await;
                rest
            }
        }
    }

    async fn ask_one(
        &self,
        job: Job,
        now: UnixSecs,
        in_flight: &Semaphore,
        generation: u64,
    ) -> RoundReport {
        let mut report = RoundReport::default();
        let _permit = in_flight.acquire().await.ok();
        // A 401 or a server-wide failure earlier in this round stops further requests.
        if self.tripped(generation) {
            report.skipped_outage += 1;
            return report;
        }
        match self.gates().check(job.merchant, job.token.version, now) {
            Gate::Poll => {}
            Gate::Wait { .. } => {
                report.skipped_backoff += 1;
                return report;
            }
            Gate::Suspended => {
                report.skipped_suspended += 1;
                return report;
            }
        }
        self.pacer.wait().await;
        if self.tripped(generation) {
            report.skipped_outage += 1;
            return report;
        }
        report.requests += 1;
        let answer = self
            .lookups
            .check_md5(&job.token.token, &job.charge.md5)
            .await;
        self.mark_asked(job.charge.id, now);
        match answer {
            Ok(lookup) => {
                self.answered(job.merchant, &job.token, now).await;
                let outcome = self.apply(job.merchant, &job.charge, &lookup, now).await;
                report.count(outcome);
                let mut next = Vec::new();
                self.plan(&mut next, &job.charge, outcome, now);
                self.schedule(&next).await;
            }
            Err(failure) => {
                report.request_failures += 1;
                report.unchecked += 1;
                self.record_failure(job.merchant, &job.token, &failure, now)
                    .await;
            }
        }
        report
    }
}
