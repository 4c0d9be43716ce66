//! One merchant's round: asking Bakong about its due charges (one list request per
//! [`MAX_MD5_PER_REQUEST`](super::MAX_MD5_PER_REQUEST)), then settling what the answers
//! prove and backing off on failures.

use super::*;

impl<L> Watcher<L>
where
    L: Lookups,
{
    pub(super) async fn poll_merchant(
        &self,
        batch: MerchantBatch,
        now: UnixSecs,
        in_flight: &Semaphore,
        generation: u64,
    ) -> RoundReport {
        let merchant = batch.merchant;
        let mut report = RoundReport {
            merchants: 1,
            charges: batch.charges.len(),
            ..RoundReport::default()
        };
        let Some(token) = batch.token else {
            tracing::warn!(%merchant, charges = report.charges, "no usable Bakong token; charges left pending");
            report.skipped_no_token = report.charges;
            return report;
        };
        match self.gates().check(merchant, token.version, now) {
            Gate::Poll => {}
            Gate::Wait { until } => {
                tracing::debug!(%merchant, until, "backing off");
                report.skipped_backoff = report.charges;
                return report;
            }
            Gate::Suspended => {
                report.skipped_suspended = report.charges;
                return report;
            }
        }
        {
            let mut last = lock(&self.last_list_at);
            let gap = self.config.schedule.merchant_gap_secs;
            if last
                .get(&merchant)
                .is_some_and(|at| now < at.saturating_add(gap))
            {
                report.skipped_recent = report.charges;
                return report;
            }
            last.insert(merchant, now);
        }
        let chunks: Vec<&[DueCharge]> = batch.charges.chunks(MAX_MD5_PER_REQUEST).collect();
        for (index, chunk) in chunks.iter().enumerate() {
            let left: usize = chunks[index..].iter().map(|c| c.len()).sum();
            let md5s: Vec<String> = chunk.iter().map(|c| c.md5.clone()).collect();
            let answer = {
                // Never closed, so acquiring cannot fail; if it ever did, going ahead
                // unthrottled is better than not checking payments.
                let _permit = in_flight.acquire().await.ok();
                if self.tripped(generation) {
                    // Bakong failed another request meanwhile: wait for the circuit's probe.
                    report.skipped_outage += left;
                    break;
                }
                if self.polls_per_md5() || lock(&self.endpoint).probing() {
                    // Another merchant just found the list endpoint closed (and is
                    // probing): these go per md5 from the next round on (no list request,
                    // no second probe).
                    report.unchecked += left;
                    break;
                }
                report.requests += 1;
                self.lookups.check_md5_list(&token.token, &md5s).await
            };
            match answer {
                Ok(items) => {
                    for c in chunk.iter() {
                        self.mark_asked(c.id, now);
                    }
                    self.answered(merchant, &token, now).await;
                    self.list_answered();
                    let mut by_md5: HashMap<String, Lookup> = items
                        .into_iter()
                        .map(|(md5, lookup)| (md5.trim().to_ascii_lowercase(), lookup))
                        .collect();
                    let mut next = Vec::with_capacity(chunk.len());
                    for charge in chunk.iter() {
                        // Left out of the answer: unanswered, asked again (never NotFound).
                        let lookup = by_md5
                            .remove(&charge.md5.to_ascii_lowercase())
                            .unwrap_or(Lookup::Unavailable);
                        let outcome = self.apply(merchant, charge, &lookup, now).await;
                        report.count(outcome);
                        self.plan(&mut next, charge, outcome, now);
                    }
                    self.schedule(&next).await;
                }
                Err(failure) if failure.may_be_closed_batch_endpoint() => {
                    // Production closes the list endpoint with a bare 403: ask the single
                    // endpoint about one charge before calling it a geo-block. One probe
                    // at a time for everyone: the others wait for its outcome.
                    if !lock(&self.endpoint).start_probe() {
                        report.unchecked += left;
                        break;
                    }
                    let probe = &chunk[0];
                    report.requests += 1;
                    let single = {
                        let _permit = in_flight.acquire().await.ok();
                        self.lookups.check_md5(&token.token, &probe.md5).await
                    };
                    match single {
                        Ok(lookup) => {
                            self.mark_asked(probe.id, now);
                            self.answered(merchant, &token, now).await;
                            self.list_refused_single_answered(&failure, now);
                            let outcome = self.apply(merchant, probe, &lookup, now).await;
                            report.count(outcome);
                            let mut next = Vec::new();
                            self.plan(&mut next, probe, outcome, now);
                            self.schedule(&next).await;
                            // The rest go per md5 from the next round on.
                            report.unchecked += left - 1;
                        }
                        Err(single_failure) => {
                            lock(&self.endpoint).probe_failed();
                            report.request_failures += 1;
                            report.unchecked += left;
                            self.record_failure(merchant, &token, &single_failure, now)
                                .await;
                        }
                    }
                    break;
                }
                Err(failure) => {
                    report.request_failures += 1;
                    report.unchecked += left;
                    self.record_failure(merchant, &token, &failure, now).await;
                    break;
                }
            }
        }
        report
    }

    /// Records a failed request: server-wide trouble opens the shared circuit (the
    /// merchant is not backed off); per-token trouble goes to the merchant's gate.
    pub(in crate::watcher) async fn record_failure(
        &self,
        merchant: MerchantId,
        token: &MerchantToken,
        failure: &LookupFailure,
        now: UnixSecs,
    ) -> FailureEffect {
        if failure.is_server_wide() {
            let (until, attempt, was_open) = {
                let mut circuit = lock(&self.circuit);
                let was_open = circuit.is_open();
                let until = circuit.record_failure(failure, now);
                (until, circuit.failures(), was_open)
            };
            if was_open {
                tracing::debug!(%merchant, %failure, until, "Bakong still failing");
            } else {
                tracing::warn!(%merchant, %failure, until, "Bakong is failing; pausing polls for everyone and probing every few seconds");
            }
            return FailureEffect::BackOff { until, attempt };
        }
        // Bakong (or the relay) answered, if not helpfully: the server is up.
        if let Some(open_secs) = lock(&self.circuit).record_answer(now) {
            tracing::info!(
                open_secs,
                "Bakong answers again; asking about every pending charge"
            );
        }
        let effect = self
            .gates()
            .record_failure(merchant, token.version, failure, now);
        match effect {
            FailureEffect::NotifyRenewToken => {
                tracing::warn!(%merchant, "Bakong refused the token (401); polling stops until /token");
                let recorded = self.store.token_refused(merchant, token.version, now).await;
                if matches!(recorded, Ok(true)) {
                    self.settled_now();
                }
                if let Err(e) = recorded {
                    // Not recorded, so not notified: forget the suspension so the next round
                    // meets the 401 again and retries the notification.
                    tracing::error!(%merchant, error = %e, "could not record the refused token");
                    self.gates().record_success(merchant);
                }
            }
            FailureEffect::AlreadySuspended => {}
            FailureEffect::BackOff { until, attempt } => {
                if *failure == LookupFailure::GeoBlocked {
                    tracing::warn!(%merchant, attempt, until, "Bakong answered 403: it only serves Cambodian IP addresses (set BAKONG_API_URL to a relay in Cambodia)");
                } else {
                    tracing::warn!(%merchant, attempt, until, %failure, "Bakong request failed; backing off");
                }
            }
        }
        effect
    }

    pub(in crate::watcher) async fn apply(
        &self,
        merchant: MerchantId,
        charge: &DueCharge,
        lookup: &Lookup,
        now: UnixSecs,
    ) -> ChargeOutcome {
        if *lookup == Lookup::StaticQr {
            tracing::warn!(%merchant, charge = %charge.id, "Bakong calls a dynamic charge QR static");
        }
        let decision = decide(&charge.facts, lookup, now, self.config.rules);
        if let Decision::Record(t) = &decision
            && let Arrival::NotCounted { .. } = t.arrival
        {
            tracing::warn!(%merchant, charge = %charge.id, to = %t.to_account, currency = %t.currency, amount = %t.amount, "a transfer for this QR did not reach the seller's account (or cannot be read): recorded, not counted");
        }
        let Some(settlement) =
            Settlement::from_decision(decision, self.config.rules.expiry_grace_secs)
        else {
            return ChargeOutcome::StillPending;
        };
        match self.store.settle(charge.id, &settlement, now).await {
            Ok(Applied::Changed(status)) => match settled_as(status) {
                Some(as_) => {
                    lock(&self.last_asked).remove(&charge.id);
                    tracing::info!(%merchant, charge = %charge.id, status = status.as_str(), "charge settled");
                    self.settled_now();
                    ChargeOutcome::Settled(as_)
                }
                None => ChargeOutcome::LastCheck,
            },
            Ok(Applied::Recorded) => {
                self.settled_now();
                ChargeOutcome::PaymentRecorded
            }
            Ok(Applied::Refused) => {
                self.settled_now();
                ChargeOutcome::HashTaken
            }
            Ok(Applied::Unchanged) if settlement.is_terminal() => ChargeOutcome::AlreadySettled,
            Ok(Applied::Unchanged) => ChargeOutcome::StillPending,
            Err(e) => {
                tracing::error!(%merchant, charge = %charge.id, error = %e, status = settlement.kind(), "could not save the charge's new state; retrying next round");
                ChargeOutcome::StoreError
            }
        }
    }
}
