//! Carries out automatic token renewal (the rules are in [`super::renewal`]) over the SQL
//! store and the Bakong client: a pass claims due renewals and moves every unfinished one a
//! step; [`renewal_loop`] runs a pass on every tick.
//!
//! # What is persisted when (restarts)
//!
//! 1. **Claim** (`token_renewals` row, `claimed`), committed before anything is asked: one
//!    renewal per token version and email, ever.
//! 2. **Attempt**: `attempts + 1` and the retry time are committed *before* `renew_token` is
//!    called, so a crash during the call leaves a `claimed` row that is asked again at the
//!    retry time (at most [`MAX_ATTEMPTS`](super::renewal::MAX_ATTEMPTS) calls).
//! 3. **Stage**: the first thing done with an issued token is to seal it and write it to the
//!    row (`staged`). From then on a restart resumes from the row: the token is proven and
//!    stored, and `renew_token` is *not* asked again.
//! 4. **Promote**: the merchant's token, version, refusal mark and the "renewed" message
//!    change in one transaction with the row's end.
//!
//! The trade-off: between Bakong's answer and step 3 (one local SQLite write) a crash loses
//! the token Bakong just issued — it revoked the old one, so polling meets a 401. The row is
//! still `claimed`, so after the restart `renew_token` is asked once more: that revokes only
//! the lost token (nobody stored it) and issues a new one. A renewal is therefore never
//! lost, at the price of at most one extra `renew_token` call in that narrow window. The
//! other choice — never asking twice — would leave the seller with a revoked token and no
//! new one. Sellers are never told anything twice: messages are queued with the state
//! change that causes them.
//!
//! One task runs the passes, one seller after another, and every step is a guarded update
//! (`… WHERE state = 'claimed' AND next_attempt_at <= now`), so two renewals never run in
//! parallel for one seller even if two passes overlap. The token is never logged; the
//! email only masked.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, watch};

use crate::bakong::{Client, RegisteredEmail, Token};
use crate::crypto::SecretBox;
use crate::store::{MerchantId, OpenRenewal, OpenRenewalState, RenewalEnd, Store, StoreError};
use crate::time::SharedClock;

use super::renewal::{
    AfterAnswer, PROBE_MD5, Proof, RENEW_BEFORE_SECS, RETRY_AFTER_SECS, RenewAnswer,
    VALIDATE_RETRY_SECS, after_answer, renewal_due,
};
use super::types::UnixSecs;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenewalReport {
    /// Renewals claimed this pass.
    pub claimed: usize,
    /// `renew_token` calls made.
    pub calls: usize,
    /// New tokens stored.
    pub renewed: usize,
    /// Renewals ended without a token (mailed, refused, no answer).
    pub ended: usize,
    /// Steps put off (no answer, token not proven yet).
    pub deferred: usize,
    /// Steps that failed on the database (retried next pass).
    pub store_errors: usize,
}

impl RenewalReport {
    /// Whether a message to a seller was queued.
    pub fn queued_messages(&self) -> bool {
        self.renewed + self.ended > 0
    }
}

/// Renews tokens: cheap to clone.
#[derive(Clone)]
pub struct Renewer {
    store: Store,
    bakong: Arc<Client>,
    secrets: SecretBox,
}

impl std::fmt::Debug for Renewer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Renewer")
    }
}

impl Renewer {
    pub fn new(store: Store, bakong: Arc<Client>, secrets: SecretBox) -> Self {
        Self {
            store,
            bakong,
            secrets,
        }
    }

    /// Claims the renewals due at `now` and takes every unfinished one a step further.
    /// Only reading the candidates can fail the pass; a failed step is logged, counted and
    /// retried next pass.
    pub async fn run_pass(&self, now: UnixSecs) -> Result<RenewalReport, StoreError> {
        let mut report = RenewalReport::default();
        let until = now.saturating_add(RENEW_BEFORE_SECS);
        for c in self.store.renewal_candidates(until).await? {
            if !renewal_due(c.token_expires_at, c.token_refused, now) {
                continue;
            }
            match self
                .store
                .claim_renewal(c.merchant, c.token_version, &c.email, now)
                .await
            {
                Ok(true) => {
                    tracing::info!(merchant = %c.merchant, email = ?c.email, refused = c.token_refused, "token renewal claimed");
                    report.claimed += 1;
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(merchant = %c.merchant, error = %e, "could not claim a token renewal");
                    report.store_errors += 1;
                }
            }
        }
        for renewal in self.store.due_renewals(now).await? {
            let merchant = renewal.merchant;
            if let Err(e) = self.step(renewal, now, &mut report).await {
                tracing::error!(%merchant, error = %e, "token renewal step failed; retrying next pass");
                report.store_errors += 1;
            }
        }
        Ok(report)
    }

    async fn step(
        &self,
        renewal: OpenRenewal,
        now: UnixSecs,
        report: &mut RenewalReport,
    ) -> Result<(), StoreError> {
        match renewal.state {
            OpenRenewalState::Claimed { attempts } => {
                self.ask(
                    renewal.id,
                    renewal.merchant,
                    &renewal.email,
                    attempts,
                    now,
                    report,
                )
                .await
            }
            OpenRenewalState::Staged {
                ref token_sealed, ..
            } => {
                let token = self
                    .secrets
                    .open(&renewal.merchant.token_aad(), token_sealed)
                    .ok()
                    .and_then(|raw| String::from_utf8(raw).ok())
                    .and_then(|raw| Token::new(&raw).ok());
                match token {
                    Some(token) => {
                        self.prove(renewal.id, renewal.merchant, &token, now, report)
                            .await
                    }
                    None => {
                        // Sealed with a key this process does not hold (the key changed).
                        tracing::error!(merchant = %renewal.merchant, "a renewed token cannot be opened; the seller must send /token");
                        self.end(
                            renewal.id,
                            renewal.merchant,
                            RenewalEnd::Refused,
                            "unopenable",
                            now,
                            report,
                        )
                        .await
                    }
                }
            }
        }
    }

    /// One `renew_token` call, recorded before it is made.
    async fn ask(
        &self,
        id: i64,
        merchant: MerchantId,
        email: &RegisteredEmail,
        attempts: i64,
        now: UnixSecs,
        report: &mut RenewalReport,
    ) -> Result<(), StoreError> {
        if !self
            .store
            .start_renewal_attempt(id, now, now.saturating_add(RETRY_AFTER_SECS))
            .await?
        {
            return Ok(());
        }
        let attempts = attempts + 1;
        report.calls += 1;
        let answer = RenewAnswer::from_result(self.bakong.request_renewal(email.as_str()).await);
        match (after_answer(&answer, attempts), answer) {
            (AfterAnswer::Stage, RenewAnswer::Issued(token)) => {
                let sealed = self
                    .secrets
                    .seal(&merchant.token_aad(), token.expose_secret().as_bytes())
                    .map_err(|e| StoreError::Corrupt(format!("sealing a renewed token: {e}")))?;
                let expires_at = token.expires_at().and_then(|e| i64::try_from(e).ok());
                // The first write after the answer (see the module docs).
                if !self
                    .store
                    .stage_renewed_token(id, &sealed, expires_at, now)
                    .await?
                {
                    return Ok(());
                }
                tracing::info!(%merchant, attempts, "Bakong issued a new token; proving it");
                self.prove(id, merchant, &token, now, report).await
            }
            (AfterAnswer::End { end, outcome }, _) => {
                tracing::warn!(%merchant, email = ?email, outcome, "token renewal did not give a token");
                self.end(id, merchant, end, outcome, now, report).await
            }
            (AfterAnswer::Retry | AfterAnswer::Stage, _) => {
                tracing::warn!(%merchant, attempts, "no answer to renew_token; asking again later");
                report.deferred += 1;
                Ok(())
            }
        }
    }

    /// One cheap call with the new token; stores it if Bakong accepts it.
    async fn prove(
        &self,
        id: i64,
        merchant: MerchantId,
        token: &Token,
        now: UnixSecs,
        report: &mut RenewalReport,
    ) -> Result<(), StoreError> {
        let answer = self.bakong.check_transaction_by_md5(token, PROBE_MD5).await;
        match Proof::from_result(&answer) {
            Proof::Works => match self.store.promote_renewed_token(id, merchant, now).await? {
                Some(expires_at) => {
                    tracing::info!(%merchant, ?expires_at, "token renewed");
                    report.renewed += 1;
                    Ok(())
                }
                None => {
                    self.end(id, merchant, RenewalEnd::Refused, "no_profile", now, report)
                        .await
                }
            },
            Proof::Refused => {
                tracing::warn!(%merchant, "Bakong refuses the token it just issued");
                self.end(
                    id,
                    merchant,
                    RenewalEnd::Refused,
                    "token_refused",
                    now,
                    report,
                )
                .await
            }
            Proof::Unknown => {
                if let Err(e) = &answer {
                    tracing::warn!(%merchant, error = %e, "cannot prove the renewed token yet; it stays staged");
                }
                self.store
                    .defer_renewal(id, now.saturating_add(VALIDATE_RETRY_SECS))
                    .await?;
                report.deferred += 1;
                Ok(())
            }
        }
    }

    async fn end(
        &self,
        id: i64,
        merchant: MerchantId,
        end: RenewalEnd,
        outcome: &str,
        now: UnixSecs,
        report: &mut RenewalReport,
    ) -> Result<(), StoreError> {
        if self
            .store
            .end_renewal(id, merchant, end, outcome, now)
            .await?
        {
            report.ended += 1;
        }
        Ok(())
    }
}

/// Runs a renewal pass every `tick` until `shutdown`; wakes the outbox when a message to a
/// seller was queued.
pub async fn renewal_loop(
    renewer: Renewer,
    tick: Duration,
    clock: SharedClock,
    wake_outbox: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if *shutdown.borrow() {
            break;
        }
        match renewer.run_pass(clock.unix_secs()).await {
            Ok(report) => {
                if report.queued_messages() {
                    wake_outbox.notify_one();
                }
                if report != RenewalReport::default() {
                    tracing::info!(?report, "token renewal pass");
                }
            }
            Err(e) => tracing::error!(error = %e, "could not look for tokens to renew"),
        }
        tokio::select! {
            _ = tokio::time::sleep(tick) => {}
            _ = shutdown.changed() => {}
        }
    }
    tracing::info!("token renewal stopped");
}
