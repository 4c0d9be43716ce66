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
//!
//! # Whose token is renewed
//!
//! `renew_token` needs nothing but an email, and it revokes that registration's token. So
//! the bot asks it only for a token Bakong itself accepted once (`token_accepted_at`: the
//! proof at /setup or /token, or an answered poll); a token stored before those proofs
//! existed and never answered since is proven here first, with one authenticated call. A
//! made-up token, or one Bakong refuses, never makes the bot ask `renew_token` for an email.
//! The token Bakong issues is kept only if it names the same registration as the token it
//! replaces (`Token::identity`, the JWT's `data.id`) and then authenticates; otherwise it
//! is discarded, and that seller is not renewed automatically again. Every way a renewal
//! can end without a token reads the same to the seller, so no answer tells whether Bakong
//! knows an email.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::bakong::{Client, RegisteredEmail, Token, TokenProof};
use crate::crypto::SecretBox;
use crate::store::{
    MerchantId, OUTCOME_IDENTITY_MISMATCH, OpenRenewal, OpenRenewalState, RenewalCandidate,
    RenewalEnd, Store, StoreError,
};
use crate::time::SharedClock;

use super::renewal::{
    AfterAnswer, RENEW_BEFORE_SECS, RETRY_AFTER_SECS, RenewAnswer, SameRegistration,
    VALIDATE_RETRY_SECS, after_answer, renewal_due, same_registration,
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
    /// Stored tokens never seen accepted, proven before a renewal could be claimed.
    pub proofs: usize,
    /// Of those, tokens Bakong refused (recorded like a poll's 401; the seller is told).
    pub refused: usize,
    /// Steps that failed on the database (retried next pass).
    pub store_errors: usize,
}

impl RenewalReport {
    /// Whether a message to a seller was queued.
    pub fn queued_messages(&self) -> bool {
        self.renewed + self.ended + self.refused > 0
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
            if !c.token_accepted {
                match self.prove_stored(&c, now, &mut report).await {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => {
                        tracing::error!(merchant = %c.merchant, error = %e, "could not prove a stored token before renewing it");
                        report.store_errors += 1;
                        continue;
                    }
                }
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

    /// A token stored without a proof (before /setup proved tokens) and never answered
    /// since: one authenticated call says whether it may be renewed. Accepted → recorded,
    /// true. Refused → recorded like a poll's 401 (the seller is told to send /token), and
    /// never renewed. No verdict → asked again next pass.
    async fn prove_stored(
        &self,
        c: &RenewalCandidate,
        now: UnixSecs,
        report: &mut RenewalReport,
    ) -> Result<bool, StoreError> {
        let Some(token) = self.current_token(c.merchant, c.token_version).await? else {
            // Replaced meanwhile, or it does not open (the watcher reports that).
            return Ok(false);
        };
        report.proofs += 1;
        match self.bakong.prove_token(&token).await {
            TokenProof::Accepted => {
                tracing::info!(merchant = %c.merchant, "Bakong accepts the stored token; it may be renewed");
                self.store
                    .record_token_accepted(c.merchant, c.token_version, now)
                    .await?;
                Ok(true)
            }
            TokenProof::Refused => {
                tracing::warn!(merchant = %c.merchant, "Bakong refuses a stored token it never accepted: not renewed");
                if self
                    .store
                    .reject_token(c.merchant, c.token_version, now)
                    .await?
                {
                    report.refused += 1;
                }
                Ok(false)
            }
            TokenProof::Unknown(e) => {
                tracing::warn!(merchant = %c.merchant, error = %e, "cannot prove the stored token yet; renewal waits");
                Ok(false)
            }
        }
    }

    /// The merchant's stored token while `version` is still the stored one, opened.
    async fn current_token(
        &self,
        merchant: MerchantId,
        version: i64,
    ) -> Result<Option<Token>, StoreError> {
        let Some(m) = self.store.merchant(merchant).await? else {
            return Ok(None);
        };
        let Some(profile) = m.profile.filter(|_| m.token_version == version) else {
            return Ok(None);
        };
        Ok(self.open_stored(merchant, &profile.token_sealed))
    }

    /// A merchant's sealed token, opened (`None`: it does not open).
    fn open_stored(&self, merchant: MerchantId, sealed: &[u8]) -> Option<Token> {
        self.secrets
            .open(&merchant.token_aad(), sealed)
            .ok()
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|raw| Token::new(&raw).ok())
    }

    async fn step(
        &self,
        renewal: OpenRenewal,
        now: UnixSecs,
        report: &mut RenewalReport,
    ) -> Result<(), StoreError> {
        match renewal.state {
            OpenRenewalState::Claimed { attempts } => {
                self.ask(&renewal, attempts, now, report).await
            }
            OpenRenewalState::Staged {
                ref token_sealed, ..
            } => {
                match self.open_stored(renewal.merchant, token_sealed) {
                    Some(token) => {
                        self.prove(
                            renewal.id,
                            renewal.merchant,
                            renewal.token_version,
                            &token,
                            now,
                            report,
                        )
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
        renewal: &OpenRenewal,
        attempts: i64,
        now: UnixSecs,
        report: &mut RenewalReport,
    ) -> Result<(), StoreError> {
        let (id, merchant, email): (i64, MerchantId, &RegisteredEmail) =
            (renewal.id, renewal.merchant, &renewal.email);
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
                self.prove(id, merchant, renewal.token_version, &token, now, report)
                    .await
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

    /// Keeps the new token only if it names the registration of the token it replaces
    /// (`version`, the claimed one) and then authenticates: one cheap call with it.
    async fn prove(
        &self,
        id: i64,
        merchant: MerchantId,
        version: i64,
        token: &Token,
        now: UnixSecs,
        report: &mut RenewalReport,
    ) -> Result<(), StoreError> {
        // The token it replaces: the stored one. If the seller stored another since the
        // renewal began (a newer version), that one: the renewed token must match what the
        // seller uses now.
        let Some((stored_version, profile)) = self
            .store
            .merchant(merchant)
            .await?
            .and_then(|m| m.profile.map(|p| (m.token_version, p)))
        else {
            return self
                .end(id, merchant, RenewalEnd::Refused, "no_profile", now, report)
                .await;
        };
        if stored_version != version {
            tracing::info!(%merchant, "the seller stored another token since the renewal began; comparing with that one");
        }
        let Some(old) = self.open_stored(merchant, &profile.token_sealed) else {
            tracing::error!(%merchant, "the token a renewal replaces cannot be read; the renewed token is discarded");
            return self
                .end(
                    id,
                    merchant,
                    RenewalEnd::Refused,
                    "old_token_unreadable",
                    now,
                    report,
                )
                .await;
        };
        if same_registration(&old, token) == SameRegistration::No {
            // Someone else's registration (an email that is not this seller's): never
            // used, not even to prove it.
            tracing::warn!(%merchant, "Bakong issued a token for another registration than the seller's; discarded, and no automatic renewal for this seller any more");
            return self
                .end(
                    id,
                    merchant,
                    RenewalEnd::Refused,
                    OUTCOME_IDENTITY_MISMATCH,
                    now,
                    report,
                )
                .await;
        }
        match self.bakong.prove_token(token).await {
            TokenProof::Accepted => {
                match self.store.promote_renewed_token(id, merchant, now).await? {
                    Some(expires_at) => {
                        tracing::info!(%merchant, ?expires_at, "token renewed");
                        report.renewed += 1;
                        Ok(())
                    }
                    None => {
                        self.end(id, merchant, RenewalEnd::Refused, "no_profile", now, report)
                            .await
                    }
                }
            }
            TokenProof::Refused => {
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
            TokenProof::Unknown(e) => {
                tracing::warn!(%merchant, error = %e, "cannot prove the renewed token yet; it stays staged");
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

/// Runs a renewal pass every `tick` until `shutdown` is cancelled; wakes the outbox when a message to a
/// seller was queued.
pub async fn renewal_loop(
    renewer: Renewer,
    tick: Duration,
    clock: SharedClock,
    wake_outbox: Arc<Notify>,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
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
            () = shutdown.cancelled() => {}
        }
    }
    tracing::info!("token renewal stopped");
}
