//! Automatic token renewal: the `token_renewals` rows that make a renewal run
//! once per token version and email, keep an issued token safe until it is stored, and
//! queue the seller's message together with each outcome.

use serde_json::json;

use crate::bakong::RegisteredEmail;

use super::event_kind::EventKind;
use super::events::append;
use super::follow_up::FollowUpKind;
use super::model::MerchantId;
use super::outbox::enqueue;
use super::{Result, Store, StoreError};

/// The `outcome` of a renewal whose issued token named another registration than the
/// token it was to replace (`Token::identity`): the token was discarded. A merchant with
/// one on record is not renewed automatically any more.
pub const OUTCOME_IDENTITY_MISMATCH: &str = "identity_mismatch";

/// A merchant whose token may need renewing: email on file, token expiring by the asked
/// time or refused by Bakong, no renewal claimed yet for this token and email, and a token
/// Bakong accepted once — or one not refused yet, which the renewer proves first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenewalCandidate {
    pub merchant: MerchantId,
    pub token_version: i64,
    pub email: RegisteredEmail,
    pub token_expires_at: Option<i64>,
    pub token_refused: bool,
    /// Bakong accepted this token version in an authenticated call.
    pub token_accepted: bool,
}

/// Where an unfinished renewal is.
#[derive(Clone, PartialEq, Eq)]
pub enum OpenRenewalState {
    /// `renew_token` still to be asked; `attempts` calls were started before.
    Claimed { attempts: i64 },
    /// Bakong issued a token, sealed here, not yet proven to work nor stored.
    Staged {
        token_sealed: Vec<u8>,
        token_expires_at: Option<i64>,
    },
}

impl std::fmt::Debug for OpenRenewalState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Claimed { attempts } => write!(f, "Claimed {{ attempts: {attempts} }}"),
            Self::Staged {
                token_expires_at, ..
            } => write!(
                f,
                "Staged {{ token_expires_at: {token_expires_at:?}, <sealed> }}"
            ),
        }
    }
}

/// An unfinished renewal due for its next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenRenewal {
    pub id: i64,
    pub merchant: MerchantId,
    pub token_version: i64,
    pub email: RegisteredEmail,
    pub state: OpenRenewalState,
}

/// How a renewal ended without a new token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RenewalEnd {
    Mailed,
    Refused,
    Failed,
}

impl RenewalEnd {
    fn as_str(self) -> &'static str {
        match self {
            RenewalEnd::Mailed => "mailed",
            RenewalEnd::Refused => "refused",
            RenewalEnd::Failed => "failed",
        }
    }
}

fn email(raw: &str, merchant: i64) -> Result<RegisteredEmail> {
    RegisteredEmail::parse(raw)
        .map_err(|e| StoreError::Corrupt(format!("merchant {merchant} email: {e}")))
}

super::rows::from_row! {
    struct OpenRow {
        id: i64,
        merchant_id: i64,
        token_version: i64,
        email: String,
        state: String,
        attempts: i64,
        token_sealed: Option<Vec<u8>>,
        token_expires_at: Option<i64>,
    }
}

impl TryFrom<OpenRow> for OpenRenewal {
    type Error = StoreError;

    fn try_from(r: OpenRow) -> Result<Self> {
        let state = match (r.state.as_str(), r.token_sealed) {
            ("claimed", None) => OpenRenewalState::Claimed {
                attempts: r.attempts,
            },
            ("staged", Some(token_sealed)) => OpenRenewalState::Staged {
                token_sealed,
                token_expires_at: r.token_expires_at,
            },
            (other, _) => {
                return Err(StoreError::Corrupt(format!(
                    "token renewal {} in state {other:?}",
                    r.id
                )));
            }
        };
        Ok(OpenRenewal {
            id: r.id,
            merchant: MerchantId(r.merchant_id),
            token_version: r.token_version,
            email: email(&r.email, r.merchant_id)?,
            state,
        })
    }
}

impl Store {
    /// Sets (`Some`) or removes (`None`) the email registered at the Bakong Open API site.
    /// False when the merchant does not exist.
    pub async fn set_email(
        &self,
        id: MerchantId,
        email: Option<&RegisteredEmail>,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE merchants SET email = $2, updated_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(email.map(RegisteredEmail::as_str))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 1 {
            let kind = if email.is_some() {
                EventKind::EmailSet
            } else {
                EventKind::EmailRemoved
            };
            append(&mut tx, Some(id), None, kind, &json!({}), now).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Merchants with an email and a token that expires by `until` or was refused, and no
    /// renewal row for their current token version and email. A refused token qualifies
    /// only if Bakong accepted it once (a token it never accepted — made up, or someone
    /// else's — must never make the bot ask `renew_token` for an email); an expiring one
    /// never accepted yet is listed with `token_accepted: false`, to be proven first. A
    /// merchant whose renewal once came back naming another registration is never listed
    /// again.
    pub async fn renewal_candidates(&self, until: i64) -> Result<Vec<RenewalCandidate>> {
        super::rows::from_row! {
            struct CandidateRow {
                id: i64,
                token_version: i64,
                email: String,
                token_expires_at: Option<i64>,
                token_rejected_at: Option<i64>,
                token_accepted_at: Option<i64>,
            }
        }
        let rows: Vec<CandidateRow> = sqlx::query_as(
            "SELECT m.id, m.token_version, m.email, m.token_expires_at, m.token_rejected_at, \
                 m.token_accepted_at \
             FROM merchants m \
             WHERE m.email IS NOT NULL AND m.token_sealed IS NOT NULL \
                 AND (m.token_rejected_at IS NOT NULL \
                      OR (m.token_expires_at IS NOT NULL AND m.token_expires_at <= $1)) \
                 AND (m.token_accepted_at IS NOT NULL OR m.token_rejected_at IS NULL) \
                 AND NOT EXISTS (SELECT 1 FROM token_renewals r \
                     WHERE r.merchant_id = m.id AND r.token_version = m.token_version \
                         AND r.email = m.email) \
                 AND NOT EXISTS (SELECT 1 FROM token_renewals r \
                     WHERE r.merchant_id = m.id AND r.outcome = $2) \
             ORDER BY m.id",
        )
        .bind(until)
        .bind(OUTCOME_IDENTITY_MISMATCH)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|r| {
                Ok(RenewalCandidate {
                    merchant: MerchantId(r.id),
                    token_version: r.token_version,
                    email: email(&r.email, r.id)?,
                    token_expires_at: r.token_expires_at,
                    token_refused: r.token_rejected_at.is_some(),
                    token_accepted: r.token_accepted_at.is_some(),
                })
            })
            .collect()
    }

    /// Claims the renewal of `merchant`'s token `version` with `email`, only while those
    /// are still the merchant's and Bakong has accepted that token once. False when already
    /// claimed (by anyone, ever), stale, or never accepted.
    pub async fn claim_renewal(
        &self,
        merchant: MerchantId,
        version: i64,
        email: &RegisteredEmail,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let current: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM merchants WHERE id = $1 AND token_version = $2 AND email = $3 \
                 AND token_sealed IS NOT NULL AND token_accepted_at IS NOT NULL",
        )
        .bind(merchant.0)
        .bind(version)
        .bind(email.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if current.is_none() {
            return Ok(false);
        }
        let done = sqlx::query(
            "INSERT INTO token_renewals (merchant_id, token_version, email, state, attempts, \
                 next_attempt_at, claimed_at) \
             VALUES ($1, $2, $3, 'claimed', 0, $4, $4) \
             ON CONFLICT (merchant_id, token_version, email) DO NOTHING",
        )
        .bind(merchant.0)
        .bind(version)
        .bind(email.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Unfinished renewals whose next step is due at `now`, oldest first.
    pub async fn due_renewals(&self, now: i64) -> Result<Vec<OpenRenewal>> {
        sqlx::query_as::<_, OpenRow>(
            "SELECT id, merchant_id, token_version, email, state, attempts, token_sealed, \
                 token_expires_at \
             FROM token_renewals \
             WHERE state IN ('claimed', 'staged') AND next_attempt_at <= $1 ORDER BY id",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(OpenRenewal::try_from)
        .collect()
    }

    /// Records that a `renew_token` call starts now (committed BEFORE the call), and when
    /// to try again if it never answers. False if the renewal is not claimed-and-due any
    /// more (someone else took this attempt).
    pub async fn start_renewal_attempt(&self, id: i64, now: i64, retry_at: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE token_renewals SET attempts = attempts + 1, next_attempt_at = $3 \
             WHERE id = $1 AND state = 'claimed' AND next_attempt_at <= $2",
        )
        .bind(id)
        .bind(now)
        .bind(retry_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Keeps the token Bakong just issued (sealed with the merchant's AAD) until it is
    /// proven and stored: the first write after the answer.
    pub async fn stage_renewed_token(
        &self,
        id: i64,
        token_sealed: &[u8],
        token_expires_at: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE token_renewals SET state = 'staged', token_sealed = $2, \
                 token_expires_at = $3, next_attempt_at = $4 \
             WHERE id = $1 AND state = 'claimed'",
        )
        .bind(id)
        .bind(token_sealed)
        .bind(token_expires_at)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The next step of an unfinished renewal waits until `next_attempt_at`.
    pub async fn defer_renewal(&self, id: i64, next_attempt_at: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE token_renewals SET next_attempt_at = $2 \
             WHERE id = $1 AND state IN ('claimed', 'staged')",
        )
        .bind(id)
        .bind(next_attempt_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends an unfinished renewal without a new token, logs it and queues the seller's
    /// message (`notice`), in one transaction. False if it had already ended.
    pub async fn end_renewal(
        &self,
        id: i64,
        merchant: MerchantId,
        end: RenewalEnd,
        outcome: &str,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE token_renewals SET state = $2, outcome = $3, token_sealed = NULL, \
                 finished_at = $4 \
             WHERE id = $1 AND merchant_id = $5 AND state IN ('claimed', 'staged')",
        )
        .bind(id)
        .bind(end.as_str())
        .bind(outcome)
        .bind(now)
        .bind(merchant.0)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let detail = json!({ "renewal": id, "end": end.as_str(), "outcome": outcome });
        append(
            &mut tx,
            Some(merchant),
            None,
            EventKind::TokenRenewalEnded,
            &detail,
            now,
        )
        .await?;
        let payload = json!({ "end": end.as_str(), "outcome": outcome });
        enqueue(
            &mut tx,
            merchant,
            None,
            FollowUpKind::TokenRenewalEnded,
            &payload,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Stores a staged token as the merchant's token, exactly as a pasted one (new
    /// version, refusal and reminders cleared), ends the renewal and queues the "renewed"
    /// message, in one transaction. This holds even if the seller pasted another token
    /// meanwhile: the staged one was just proven to work, and `renew_token` revoked older
    /// ones. Returns the new expiry (`Some(None)`: unknown) or
    /// `None` when the renewal was not staged any more or the merchant has no profile.
    pub async fn promote_renewed_token(
        &self,
        id: i64,
        merchant: MerchantId,
        now: i64,
    ) -> Result<Option<Option<i64>>> {
        let mut tx = self.write_tx().await?;
        // The write lock is held (BEGIN IMMEDIATE), so read-then-update cannot race.
        let staged: Option<(Vec<u8>, Option<i64>)> = sqlx::query_as(
            "SELECT token_sealed, token_expires_at FROM token_renewals \
             WHERE id = $1 AND merchant_id = $2 AND state = 'staged' AND token_sealed IS NOT NULL",
        )
        .bind(id)
        .bind(merchant.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((sealed, expires_at)) = staged else {
            return Ok(None);
        };
        sqlx::query(
            "UPDATE token_renewals SET state = 'renewed', outcome = 'renewed', \
                 token_sealed = NULL, finished_at = $2 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        // Proven by the caller just before (`Renewer::prove`): accepted now.
        let done = sqlx::query(
            "UPDATE merchants SET token_sealed = $2, token_expires_at = $3, \
                 token_version = token_version + 1, token_rejected_at = NULL, \
                 token_reminded_at = NULL, token_accepted_at = $4, updated_at = $4 \
             WHERE id = $1 AND token_sealed IS NOT NULL",
        )
        .bind(merchant.0)
        .bind(&sealed)
        .bind(expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            // No profile any more: nothing to renew. Rolled back on drop (the token stays
            // staged; the caller ends the renewal).
            return Ok(None);
        }
        let detail = json!({ "renewal": id, "token_expires_at": expires_at });
        append(
            &mut tx,
            Some(merchant),
            None,
            EventKind::TokenRenewed,
            &detail,
            now,
        )
        .await?;
        let payload = json!({ "expires_at": expires_at });
        enqueue(
            &mut tx,
            merchant,
            None,
            FollowUpKind::TokenRenewed,
            &payload,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(expires_at))
    }

    /// Whether an automatic renewal of the merchant's current token may still come: an
    /// email is on file, the token is one [`Store::renewal_candidates`] can list, and no
    /// renewal for this token and email has ended yet. Expiry reminders wait meanwhile.
    pub async fn renewal_may_come(&self, merchant: MerchantId) -> Result<bool> {
        let pending: Option<i64> = sqlx::query_scalar(
            "SELECT m.id FROM merchants m \
             WHERE m.id = $1 AND m.email IS NOT NULL AND m.token_sealed IS NOT NULL \
                 AND (m.token_accepted_at IS NOT NULL OR m.token_rejected_at IS NULL) \
                 AND NOT EXISTS (SELECT 1 FROM token_renewals r \
                     WHERE r.merchant_id = m.id AND r.token_version = m.token_version \
                         AND r.email = m.email AND r.state NOT IN ('claimed', 'staged')) \
                 AND NOT EXISTS (SELECT 1 FROM token_renewals r \
                     WHERE r.merchant_id = m.id AND r.outcome = $2)",
        )
        .bind(merchant.0)
        .bind(OUTCOME_IDENTITY_MISMATCH)
        .fetch_optional(&self.pool)
        .await?;
        Ok(pending.is_some())
    }
}
