//! An in-memory backend for the watcher's ports, with the same guarantees the SQL store
//! gives (guarded changes, follow-up queued with the change, refused tokens remembered).
//! Used by the watcher's tests and benchmarks; the bot runs on the SQL store.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::backoff::TokenVersion;
use super::decide::ChargeFacts;
use super::ports::{
    Applied, MerchantBatch, MerchantToken, PendingCharge, PendingCharges, Settle, Settlement,
    StoreFailure,
};
use super::types::{ChargeId, MerchantId, Token, UnixSecs};

/// A charge as the memory store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryCharge {
    pub merchant: MerchantId,
    pub md5: String,
    pub facts: ChargeFacts,
    /// When the QR was made: 10 minutes (the default TTL) before its expiry.
    pub created_at: UnixSecs,
    pub next_poll_at: UnixSecs,
    /// `None` while pending; the terminal settlement afterwards.
    pub settled: Option<(Settlement, UnixSecs)>,
}

/// A queued Telegram follow-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowUp {
    /// Edit the charge's message to its final state.
    ChargeSettled {
        charge: ChargeId,
        kind: &'static str,
    },
    /// Tell the merchant to renew their token with /token.
    RenewToken { merchant: MerchantId },
}

#[derive(Debug, Default)]
struct Merchant {
    token: Option<MerchantToken>,
    refused: bool,
}

#[derive(Debug, Default)]
struct Inner {
    merchants: BTreeMap<MerchantId, Merchant>,
    charges: BTreeMap<ChargeId, MemoryCharge>,
    outbox: Vec<FollowUp>,
    next_charge: i64,
    next_version: i64,
    fail_settles: usize,
}

/// See the module documentation.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores `token` as the merchant's token (creating the merchant if needed): a new
    /// token version, and any 401 mark is cleared.
    pub fn set_token(&self, merchant: MerchantId, token: Option<&str>) -> Option<TokenVersion> {
        let mut inner = self.lock();
        inner.next_version += 1;
        let version = TokenVersion(inner.next_version);
        let m = inner.merchants.entry(merchant).or_default();
        m.token = token
            .and_then(|t| Token::new(t).ok())
            .map(|token| MerchantToken { token, version });
        m.refused = false;
        m.token.as_ref().map(|t| t.version)
    }

    /// Adds a pending charge, due at once.
    pub fn add_charge(&self, merchant: MerchantId, md5: &str, facts: ChargeFacts) -> ChargeId {
        let mut inner = self.lock();
        inner.merchants.entry(merchant).or_default();
        inner.next_charge += 1;
        let id = ChargeId(inner.next_charge);
        inner.charges.insert(
            id,
            MemoryCharge {
                merchant,
                md5: md5.to_owned(),
                created_at: facts.expires_at.saturating_sub(600),
                facts,
                next_poll_at: UnixSecs::MIN,
                settled: None,
            },
        );
        id
    }

    pub fn charge(&self, id: ChargeId) -> Option<MemoryCharge> {
        self.lock().charges.get(&id).cloned()
    }

    pub fn pending_count(&self) -> usize {
        self.lock()
            .charges
            .values()
            .filter(|c| c.settled.is_none())
            .count()
    }

    /// Every follow-up queued so far, in order.
    pub fn outbox(&self) -> Vec<FollowUp> {
        self.lock().outbox.clone()
    }

    pub fn token_refused_mark(&self, merchant: MerchantId) -> bool {
        self.lock()
            .merchants
            .get(&merchant)
            .is_some_and(|m| m.refused)
    }

    /// The next `n` calls to `settle` fail (as a database outage would).
    pub fn fail_next_settles(&self, n: usize) {
        self.lock().fail_settles = n;
    }

    fn batch(inner: &Inner, merchant: MerchantId, charges: Vec<PendingCharge>) -> MerchantBatch {
        MerchantBatch {
            merchant,
            token: inner.merchants.get(&merchant).and_then(|m| m.token.clone()),
            charges,
        }
    }
}

impl PendingCharges for MemoryStore {
    async fn load_due(&self, now: UnixSecs) -> Result<Vec<MerchantBatch>, StoreFailure> {
        let inner = self.lock();
        let mut grouped: BTreeMap<MerchantId, Vec<PendingCharge>> = BTreeMap::new();
        for (id, c) in &inner.charges {
            let refused = inner.merchants.get(&c.merchant).is_some_and(|m| m.refused);
            if c.settled.is_none() && c.next_poll_at <= now && !refused {
                grouped.entry(c.merchant).or_default().push(PendingCharge {
                    id: *id,
                    created_at: c.created_at,
                    md5: c.md5.clone(),
                    facts: c.facts.clone(),
                });
            }
        }
        Ok(grouped
            .into_iter()
            .map(|(merchant, charges)| Self::batch(&inner, merchant, charges))
            .collect())
    }

    async fn refused_tokens(&self) -> Result<Vec<(MerchantId, MerchantToken)>, StoreFailure> {
        let inner = self.lock();
        Ok(inner
            .merchants
            .iter()
            .filter(|(_, m)| m.refused)
            .filter_map(|(id, m)| m.token.clone().map(|t| (*id, t)))
            .collect())
    }

    async fn load_pending_charge(
        &self,
        charge: ChargeId,
    ) -> Result<Option<MerchantBatch>, StoreFailure> {
        let inner = self.lock();
        Ok(inner
            .charges
            .get(&charge)
            .filter(|c| c.settled.is_none())
            .map(|c| {
                let pending = PendingCharge {
                    id: charge,
                    created_at: c.created_at,
                    md5: c.md5.clone(),
                    facts: c.facts.clone(),
                };
                Self::batch(&inner, c.merchant, vec![pending])
            }))
    }
}

impl Settle for MemoryStore {
    async fn settle(
        &self,
        charge: ChargeId,
        settlement: &Settlement,
        now: UnixSecs,
    ) -> Result<Applied, StoreFailure> {
        let mut inner = self.lock();
        if inner.fail_settles > 0 {
            inner.fail_settles -= 1;
            return Err(StoreFailure::msg("injected store failure"));
        }
        let Some(c) = inner.charges.get_mut(&charge) else {
            return Ok(Applied::Unchanged);
        };
        if c.settled.is_some() {
            return Ok(Applied::Unchanged);
        }
        match settlement {
            Settlement::LastCheck { at, next_poll_at } => {
                if c.facts.last_check_at.is_some() {
                    return Ok(Applied::Unchanged);
                }
                c.facts.last_check_at = Some(*at);
                c.next_poll_at = *next_poll_at;
            }
            terminal => {
                c.settled = Some((terminal.clone(), now));
                inner.outbox.push(FollowUp::ChargeSettled {
                    charge,
                    kind: terminal.kind(),
                });
            }
        }
        Ok(Applied::Changed)
    }

    async fn token_refused(
        &self,
        merchant: MerchantId,
        version: TokenVersion,
        _now: UnixSecs,
    ) -> Result<bool, StoreFailure> {
        let mut inner = self.lock();
        let Some(m) = inner.merchants.get_mut(&merchant) else {
            return Ok(false);
        };
        let current = m.token.as_ref().map(|t| t.version);
        if m.refused || current != Some(version) {
            return Ok(false);
        }
        m.refused = true;
        inner.outbox.push(FollowUp::RenewToken { merchant });
        Ok(true)
    }

    async fn schedule_checks(&self, next: &[(ChargeId, UnixSecs)]) -> Result<(), StoreFailure> {
        let mut inner = self.lock();
        for (id, at) in next {
            if let Some(c) = inner.charges.get_mut(id)
                && c.settled.is_none()
            {
                c.next_poll_at = *at;
            }
        }
        Ok(())
    }

    async fn token_accepted(
        &self,
        merchant: MerchantId,
        version: TokenVersion,
        _now: UnixSecs,
    ) -> Result<bool, StoreFailure> {
        let mut inner = self.lock();
        let Some(m) = inner.merchants.get_mut(&merchant) else {
            return Ok(false);
        };
        let current = m.token.as_ref().map(|t| t.version);
        if !m.refused || current != Some(version) {
            return Ok(false);
        }
        m.refused = false;
        Ok(true)
    }
}
