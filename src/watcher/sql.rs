//! The watcher's store: the SQL [`Store`] as the watcher uses it, with the token key
//! (tokens are opened here, and cached while their sealed bytes are unchanged).
//!
//! The round calls it directly (no trait: it is the only store). The guard that settles a
//! charge exactly once, and records a payment once, is the store's SQL
//! ([`Store::settle_charge`], [`Store::record_payment`]); this file turns the watcher's
//! decisions into what those record.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::json;

use super::backoff::TokenVersion;
use super::decide::{LATE_WATCH_SECS, UNVERIFIED_AFTER_SECS};
use super::ports::{Applied, MerchantBatch, MerchantToken, Settlement};
use super::types::{ChargeId, MerchantId, Token, UnixSecs};
use crate::crypto::SecretBox;
use crate::store::{
    ChargeSettlement, ChargeStatus, EventKind, FollowUpKind, LateWatch, ReplicaId, SettleOutcome,
    Store, StoreError,
};
use crate::time::{SharedClock, system_clock};

/// How often a cancelled or expired charge is asked about during its late watch, by
/// default (`SqlWatcherStore::late_every`).
pub const DEFAULT_LATE_POLL_SECS: i64 = 30;

/// A merchant's token as last opened, keyed by its sealed bytes.
struct Opened {
    sealed: Vec<u8>,
    token: Option<Token>,
}

/// The watcher's view of the database.
pub struct SqlWatcherStore {
    store: Store,
    secrets: SecretBox,
    tokens: Mutex<HashMap<MerchantId, Opened>>,
    late: LateWatch,
    /// "Now" where the watcher passes none (`load_pending_charge`).
    clock: SharedClock,
}

impl SqlWatcherStore {
    pub fn new(store: Store, secrets: SecretBox) -> Self {
        Self {
            store,
            secrets,
            tokens: Mutex::new(HashMap::new()),
            late: LateWatch {
                window_secs: LATE_WATCH_SECS,
                every_secs: DEFAULT_LATE_POLL_SECS,
            },
            clock: system_clock(),
        }
    }

    /// Reads "now" from `clock` (the process's one) instead of the system clock, and the
    /// database's clock through it (tests move both together).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.store = self.store.with_clock(SharedClock::clone(&clock));
        self.clock = clock;
        self
    }

    /// Cancelled and expired charges are asked about every `secs` seconds (at least 1)
    /// during their late watch, batched with the merchant's pending ones.
    pub fn late_every(mut self, secs: i64) -> Self {
        self.late.every_secs = secs.max(1);
        self
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn cache(&self) -> MutexGuard<'_, HashMap<MerchantId, Opened>> {
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens (or reuses) the merchants' tokens. A token that cannot be opened (damaged row)
    /// is `None`: its charges stay pending until a new token is stored, and the merchant is
    /// marked and told once to send /token (see [`SqlWatcherStore::report_unreadable`]).
    async fn tokens(
        &self,
        merchants: &[MerchantId],
        now: UnixSecs,
    ) -> Result<HashMap<MerchantId, Option<MerchantToken>>, StoreError> {
        let mut unreadable = Vec::new();
        let out = self.open_tokens(merchants, &mut unreadable).await?;
        if !unreadable.is_empty()
            && let Err(e) = self.report_unreadable(&unreadable, now).await
        {
            // Not a reason to stop polling the others; try again next round.
            tracing::error!(error = %e, "could not record unreadable tokens");
            let mut cache = self.cache();
            for (merchant, _) in &unreadable {
                cache.remove(merchant);
            }
        }
        Ok(out)
    }

    /// Marks tokens that do not open and queues the "send /token" notice, once per stored
    /// token — unless this process's key no longer opens the key check value (the key was
    /// rotated under a running bot): then nothing is blamed on the merchants.
    async fn report_unreadable(
        &self,
        tokens: &[(MerchantId, i64)],
        now: UnixSecs,
    ) -> Result<(), StoreError> {
        let check = self.store.key_check().await?;
        if check.is_some_and(|c| !self.secrets.matches_key_check(&c)) {
            tracing::error!(
                "the database's secret key changed while the bot runs (khqr-bot rotate-key?): \
                 restart it with the new KHQR_BOT_SECRET_KEY"
            );
            return Ok(());
        }
        for &(merchant, version) in tokens {
            let marked = self
                .store
                .mark_token_unreadable(merchant, version, true, now)
                .await?;
            if marked {
                tracing::warn!(%merchant, "stored Bakong token cannot be opened: asked the seller for /token");
            }
        }
        Ok(())
    }

    async fn open_tokens(
        &self,
        merchants: &[MerchantId],
        unreadable: &mut Vec<(MerchantId, i64)>,
    ) -> Result<HashMap<MerchantId, Option<MerchantToken>>, StoreError> {
        let sealed = self.store.sealed_tokens(merchants).await?;
        let mut cache = self.cache();
        let mut out = HashMap::with_capacity(merchants.len());
        for s in sealed {
            let fresh = cache
                .get(&s.merchant_id)
                .is_some_and(|o| o.sealed == s.sealed);
            if !fresh {
                let token = self
                    .secrets
                    .open(&s.merchant_id.token_aad(), &s.sealed)
                    .ok()
                    .and_then(|raw| String::from_utf8(raw).ok())
                    .and_then(|raw| Token::new(&raw).ok());
                if token.is_none() {
                    tracing::error!(merchant = %s.merchant_id, "cannot open the stored Bakong token (damaged row?)");
                    unreadable.push((s.merchant_id, s.version));
                }
                cache.insert(
                    s.merchant_id,
                    Opened {
                        sealed: s.sealed,
                        token,
                    },
                );
            }
            if let Some(o) = cache.get(&s.merchant_id) {
                let token = o.token.clone().map(|token| MerchantToken {
                    token,
                    version: TokenVersion(s.version),
                    accepted: s.accepted,
                });
                out.insert(s.merchant_id, token);
            }
        }
        Ok(out)
    }
}

/// What the watcher reads: the due charges and the refused tokens.
impl SqlWatcherStore {
    /// Pending charges never verified long after their expiry end as `unverified` (each
    /// once: a guarded statement, whichever replica runs it), and the charges whose late
    /// watch is over leave the due-work range. Runs at the start of every round.
    pub async fn end_unverifiable(&self, now: UnixSecs) -> Result<(), StoreError> {
        let unverified = self
            .store
            .end_unverifiable(now.saturating_sub(UNVERIFIED_AFTER_SECS), now)
            .await?;
        if !unverified.is_empty() {
            tracing::warn!(
                count = unverified.len(),
                ?unverified,
                "charges never verified by Bakong ended as unverified; sellers told"
            );
        }
        // Charges whose late watch is over leave the due-work range (one statement).
        self.store
            .end_late_watch(now, self.late.window_secs)
            .await?;
        Ok(())
    }

    /// "Now" for leases, read at each claim: the database's clock, which every replica
    /// shares (a round's `now` is when it started).
    pub async fn lease_now(&self) -> Result<UnixSecs, StoreError> {
        self.store.now().await
    }

    /// The merchants with work due at `now` that nobody holds: how many a round may meet.
    pub async fn claimable(&self, now: UnixSecs) -> Result<Vec<MerchantId>, StoreError> {
        self.store
            .claimable_watch_merchants(self.lease_now().await?, now, self.late.window_secs)
            .await
    }

    /// Claims the watch of up to `chunk` merchants with charges due at `now` for `me`
    /// (`Store::claim_watch_leases`, `ttl_secs`) and returns their due charges: pending ones
    /// and the cancelled/expired ones still in their late watch, one batch per merchant,
    /// with the opened token. Merchants whose token was refused (401) and not yet
    /// replaced are never claimed. Empty when nothing is left to claim this round. After a
    /// restart (or another replica's death, once its leases lapsed) this is how every
    /// pending charge is picked up again.
    pub async fn claim_due(
        &self,
        me: &ReplicaId,
        ttl_secs: i64,
        now: UnixSecs,
        chunk: usize,
    ) -> Result<Vec<MerchantBatch>, StoreError> {
        let limit = i64::try_from(chunk.max(1)).unwrap_or(i64::MAX);
        let claimed = self
            .store
            .claim_watch_leases(
                me,
                self.lease_now().await?,
                ttl_secs,
                now,
                self.late.window_secs,
                limit,
            )
            .await?;
        if claimed.is_empty() {
            return Ok(Vec::new());
        }
        self.load_due_of(now, &claimed).await
    }

    /// The due charges of these merchants at `now`, one batch per merchant.
    async fn load_due_of(
        &self,
        now: UnixSecs,
        merchants: &[MerchantId],
    ) -> Result<Vec<MerchantBatch>, StoreError> {
        let mut due = self.store.due_charges_of(now, merchants).await?;
        // Cancelled/expired charges still in their late watch go in the same requests as
        // their merchant's pending ones.
        let late = self
            .store
            .late_watched_due_of(now, self.late, merchants)
            .await?;
        if !late.is_empty() {
            due.extend(late);
            due.sort_by_key(|c| (c.merchant_id, c.id));
        }
        let mut batches: Vec<MerchantBatch> = Vec::new();
        for c in due {
            match batches.last_mut() {
                Some(b) if b.merchant == c.merchant_id => b.charges.push(c),
                _ => batches.push(MerchantBatch {
                    merchant: c.merchant_id,
                    token: None,
                    charges: vec![c],
                }),
            }
        }
        let merchants: Vec<MerchantId> = batches.iter().map(|b| b.merchant).collect();
        let mut tokens = self.tokens(&merchants, now).await?;
        for b in &mut batches {
            b.token = tokens.remove(&b.merchant).flatten();
        }
        Ok(batches)
    }

    /// The merchants whose stored token Bakong refused (401) and that have not replaced
    /// it, with that token: re-checked every 30 min, so a misconfigured relay answering 401
    /// for a while does not suspend every merchant for ever.
    pub async fn refused_tokens(&self) -> Result<Vec<(MerchantId, MerchantToken)>, StoreError> {
        let ids = self.store.refused_token_merchants().await?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        // Unreadable tokens are reported by the regular load (`tokens`), not here.
        let mut unreadable = Vec::new();
        let tokens = self.open_tokens(&ids, &mut unreadable).await?;
        Ok(ids
            .into_iter()
            .filter_map(|id| tokens.get(&id).cloned().flatten().map(|t| (id, t)))
            .collect())
    }

    /// One charge, only while it is `pending` (due or not), in a batch of its own ("Check
    /// now").
    pub async fn load_pending_charge(
        &self,
        charge: ChargeId,
    ) -> Result<Option<MerchantBatch>, StoreError> {
        let Some(c) = self.store.pending_charge(charge).await? else {
            return Ok(None);
        };
        let merchant = c.merchant_id;
        let now = self.clock.unix_secs();
        let token = self
            .tokens(&[merchant], now)
            .await?
            .remove(&merchant)
            .flatten();
        Ok(Some(MerchantBatch {
            merchant,
            token,
            charges: vec![c],
        }))
    }
}

fn plain(status: ChargeStatus, event: EventKind, follow_up: FollowUpKind) -> ChargeSettlement {
    ChargeSettlement {
        status,
        event,
        detail: json!({}),
        follow_up,
    }
}

/// Guarded state changes.
///
/// **Contract**: [`SqlWatcherStore::settle`] commits, in ONE transaction, the change guarded
/// by the charge's status read in that transaction — for a payment, first its ledger row
/// (the hash is UNIQUE: a transaction is recorded once, for one charge) — and, only when
/// that changed something, the event and the Telegram follow-ups in the outbox. So a charge
/// is settled exactly once and a payment counted once however many rounds, "Check now"
/// presses, replicas and restarts race for it, and every change has its follow-up queued.
impl SqlWatcherStore {
    pub async fn settle(
        &self,
        charge: ChargeId,
        settlement: &Settlement,
        now: UnixSecs,
    ) -> Result<Applied, StoreError> {
        let change = match settlement {
            Settlement::LastCheck { at, next_poll_at } => {
                let done = self
                    .store
                    .record_last_check(charge, *at, *next_poll_at)
                    .await?;
                return Ok(if done {
                    Applied::Changed(ChargeStatus::Pending)
                } else {
                    Applied::Unchanged
                });
            }
            Settlement::Payment(t) => {
                let recheck_at = now.saturating_add(self.late.every_secs);
                let outcome = self
                    .store
                    .record_payment(charge, t, now, recheck_at)
                    .await?;
                return Ok(applied(charge, settlement, outcome));
            }
            Settlement::Failed => plain(
                ChargeStatus::Failed,
                EventKind::ChargeFailed,
                FollowUpKind::ChargeFailed,
            ),
            Settlement::Expired => plain(
                ChargeStatus::Expired,
                EventKind::ChargeExpired,
                FollowUpKind::ChargeExpired,
            ),
            Settlement::Cancelled => plain(
                ChargeStatus::Cancelled,
                EventKind::ChargeCancelled,
                FollowUpKind::ChargeCancelled,
            ),
        };
        Ok(if self.store.settle_charge(charge, &change, now).await? {
            Applied::Changed(change.status)
        } else {
            Applied::Unchanged
        })
    }

    /// Bakong refused `merchant`'s token `version` (401): record it and queue the "renew
    /// your token with /token" message, in one transaction, once per token. Returns
    /// whether this call recorded it (false: already known, or the token was replaced).
    pub async fn token_refused(
        &self,
        merchant: MerchantId,
        version: TokenVersion,
        now: UnixSecs,
    ) -> Result<bool, StoreError> {
        // Guarded by the version: a token replaced meanwhile is not blamed.
        self.store.reject_token(merchant, version.0, now).await
    }

    /// Records when each of these still-pending charges is next due, in one write (one
    /// per Bakong request, not per charge). Charges no longer pending are left alone.
    pub async fn schedule_checks(&self, next: &[(ChargeId, UnixSecs)]) -> Result<(), StoreError> {
        self.store.set_next_polls(next).await
    }

    /// Bakong answered a request made with `merchant`'s token `version`: the token is
    /// known accepted from now on (recorded once; renewal needs it). Returns whether this
    /// call recorded it.
    pub async fn token_answered(
        &self,
        merchant: MerchantId,
        version: TokenVersion,
        now: UnixSecs,
    ) -> Result<bool, StoreError> {
        self.store
            .record_token_accepted(merchant, version.0, now)
            .await
    }

    /// A re-check found `merchant`'s refused token `version` working again: clear the
    /// refusal (polling and /charge resume). Returns whether this call cleared it.
    pub async fn token_accepted(
        &self,
        merchant: MerchantId,
        version: TokenVersion,
        now: UnixSecs,
    ) -> Result<bool, StoreError> {
        self.store
            .accept_token_again(merchant, version.0, now)
            .await
    }
}

/// What recording a payment did, as the round counts it.
fn applied(charge: ChargeId, settlement: &Settlement, outcome: SettleOutcome) -> Applied {
    match outcome {
        SettleOutcome::Changed { status, after } => {
            if let Some(after) = after {
                tracing::warn!(%charge, after = after.as_str(), status = status.as_str(), kind = settlement.kind(), "money found after the charge had ended without; seller told");
            }
            Applied::Changed(status)
        }
        SettleOutcome::Recorded => Applied::Recorded,
        SettleOutcome::HashTaken => Applied::Refused,
        SettleOutcome::Unchanged => Applied::Unchanged,
    }
}
