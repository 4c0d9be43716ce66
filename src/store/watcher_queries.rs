//! The payment watcher's queries: due pending charges, guarded settlement with its
//! event and Telegram follow-up in one transaction, refused tokens, expiry reminders.
//!
//! Ended charges (cancelled, expired, discarded, failed) and settled ones stay watched until
//! a late-watch window after their QR's expiry ([`Store::late_watched_due`]): a copy of the
//! QR can still be paid, or paid a second time. Money is recorded in the payments ledger
//! whatever the charge's state ([`Store::record_payment`], `payments.rs`).

use serde_json::json;

use super::event_kind::EventKind;
use super::events::append;
use super::follow_up::FollowUpKind;
use super::model::{ChargeId, ChargeStatus, LATE_WATCHED, MerchantId, parse_currency};
use super::outbox::enqueue;
use super::{Result, Store};
use crate::khqr::Currency;

/// A charge the watcher asks Bakong about: pending and due, or ended or settled and in its
/// late watch. `DueCharge::facts` is what the settlement rules (`watcher::decide`) judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueCharge {
    pub id: ChargeId,
    pub merchant_id: MerchantId,
    /// Lowercase hex MD5 of the KHQR string, as Bakong indexes it.
    pub md5: String,
    /// When the QR was made (the watcher's schedule asks young charges more often).
    pub created_at: i64,
    pub facts: ChargeFacts,
}

/// What the watcher knows about a pending charge: the input of its settlement rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeFacts {
    /// The merchant's Bakong account the money must arrive at (`name@bank`).
    pub account_id: String,
    pub currency: Currency,
    /// Expected amount in minor units of `currency` (cents, riel).
    pub amount_minor: u64,
    /// The KHQR's expiry (tag 99), unix seconds.
    pub expires_at: i64,
    /// When a check after `expires_at` first found nothing (the "last check" is pending).
    pub last_check_at: Option<i64>,
    /// Its status: `pending`, or one it is late-watched in (only money changes it then).
    pub status: ChargeStatus,
    /// Transaction hashes the ledger already holds for it: its own payments, and those
    /// refused because they belong to another charge. Seen again, they change nothing.
    pub seen_hashes: Vec<String>,
}

/// The `next_poll_at` of a charge whose late watch ended: never due again.
pub const LATE_WATCH_ENDED: i64 = i64::MAX;

/// How long and how often ended and settled charges are still asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LateWatch {
    /// Watched until `expires_at + window_secs`.
    pub window_secs: i64,
    /// Asked about at most once per `every_secs`.
    pub every_secs: i64,
}

/// A merchant's sealed token (open it with `crypto::SecretBox` and
/// [`MerchantId::token_aad`]).
#[derive(Clone, PartialEq, Eq)]
pub struct SealedToken {
    pub merchant_id: MerchantId,
    pub sealed: Vec<u8>,
    /// `merchants.token_version`: bumped each time a token is stored.
    pub version: i64,
    /// Whether Bakong has accepted this token version in an authenticated call
    /// (`merchants.token_accepted_at` is set).
    pub accepted: bool,
}

impl std::fmt::Debug for SealedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedToken({}, v{}, <{} bytes>)",
            self.merchant_id,
            self.version,
            self.sealed.len()
        )
    }
}

/// An ending without money of a pending charge (`failed`, `expired`, `cancelled`), with
/// what to record. Money goes through [`Store::record_payment`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub status: ChargeStatus,
    /// Event kind (`charge_failed`, …) and detail.
    pub event: EventKind,
    pub detail: serde_json::Value,
    /// The follow-up that edits the charge's message.
    pub follow_up: FollowUpKind,
}

super::rows::from_row! {
    struct DueRow {
        id: i64,
        merchant_id: i64,
        md5: String,
        to_account_id: String,
        amount_minor: i64,
        currency: String,
        expires_at: i64,
        last_check_at: Option<i64>,
        status: String,
        created_at: i64,
    }
}

impl TryFrom<DueRow> for DueCharge {
    type Error = super::StoreError;

    fn try_from(r: DueRow) -> Result<Self> {
        Ok(DueCharge {
            id: ChargeId(r.id),
            merchant_id: MerchantId(r.merchant_id),
            md5: r.md5,
            created_at: r.created_at,
            facts: ChargeFacts {
                account_id: r.to_account_id,
                currency: parse_currency(&r.currency)?,
                amount_minor: u64::try_from(r.amount_minor).map_err(|_| {
                    super::StoreError::Corrupt(format!("charge {} amount {}", r.id, r.amount_minor))
                })?,
                expires_at: r.expires_at,
                last_check_at: r.last_check_at,
                status: r.status.parse()?,
                seen_hashes: Vec::new(),
            },
        })
    }
}

const DUE_COLUMNS: &str = "c.id, c.merchant_id, c.md5, c.to_account_id, c.amount_minor, \
    c.currency, c.expires_at, c.last_check_at, c.status, c.created_at";

impl Store {
    /// Pending charges due for a check at `now` (`next_poll_at <= now`), of merchants whose
    /// token was not refused, ordered by merchant then id.
    pub async fn due_charges(&self, now: i64) -> Result<Vec<DueCharge>> {
        let due = sqlx::query_as::<_, DueRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {DUE_COLUMNS} FROM charges c JOIN merchants m ON m.id = c.merchant_id \
             WHERE c.status = 'pending' AND c.next_poll_at <= $1 AND m.token_rejected_at IS NULL \
             ORDER BY c.merchant_id, c.id"
        )))
        .bind(now)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(DueCharge::try_from)
        .collect::<Result<Vec<_>>>()?;
        self.with_seen_hashes(due).await
    }

    /// Fills in each charge's [`ChargeFacts::seen_hashes`] from the ledger.
    async fn with_seen_hashes(&self, mut due: Vec<DueCharge>) -> Result<Vec<DueCharge>> {
        let ids: Vec<ChargeId> = due.iter().map(|c| c.id).collect();
        let mut seen = super::payments::seen_hashes(&self.pool, &ids).await?;
        for c in &mut due {
            if let Some(hashes) = seen.remove(&c.id) {
                c.facts.seen_hashes = hashes;
            }
        }
        Ok(due)
    }

    /// Ended and settled charges still in their late-watch window at `now` and due
    /// (`next_poll_at <= now`), of merchants whose token was not refused; each is pushed back
    /// `late.every_secs` in the same statement, so the late ones are asked about at that
    /// lower cadence. Ordered by merchant then id.
    pub async fn late_watched_due(&self, now: i64, late: LateWatch) -> Result<Vec<DueCharge>> {
        let mut tx = self.write_tx().await?;
        let mut rows = sqlx::query_as::<_, DueRow>(sqlx::AssertSqlSafe(format!(
            "UPDATE charges SET next_poll_at = $1 + $3 \
             WHERE status IN {LATE_WATCHED} AND next_poll_at <= $1 \
                 AND expires_at + $2 > $1 \
                 AND merchant_id IN (SELECT id FROM merchants WHERE token_rejected_at IS NULL) \
             RETURNING id, merchant_id, md5, to_account_id, amount_minor, currency, \
                 expires_at, last_check_at, status, created_at"
        )))
        .bind(now)
        .bind(late.window_secs)
        .bind(late.every_secs.max(1))
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        rows.sort_by_key(|r| (r.merchant_id, r.id));
        let due = rows
            .into_iter()
            .map(DueCharge::try_from)
            .collect::<Result<Vec<_>>>()?;
        self.with_seen_hashes(due).await
    }

    /// Ends the late watch of the charges whose window closed by `now` (`expires_at +
    /// window_secs <= now`): their `next_poll_at` moves to [`LATE_WATCH_ENDED`], out of the
    /// range the due-work queries scan (`charges_due`: status, next_poll_at), which would
    /// otherwise hold every ended or paid charge ever made. One statement; the charges whose
    /// window just closed are all it touches. Returns how many.
    pub async fn end_late_watch(&self, now: i64, window_secs: i64) -> Result<u64> {
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE charges SET next_poll_at = $3 \
             WHERE status IN {LATE_WATCHED} AND next_poll_at <= $1 AND expires_at + $2 <= $1"
        )))
        .bind(now)
        .bind(window_secs)
        .bind(LATE_WATCH_ENDED)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// [`Store::due_charges`] of these merchants only (the ones a replica leased:
    /// `claim_watch_leases`), ordered by merchant then id.
    pub async fn due_charges_of(
        &self,
        now: i64,
        merchants: &[MerchantId],
    ) -> Result<Vec<DueCharge>> {
        let mut out = Vec::new();
        for chunk in merchants.chunks(200) {
            let list = placeholders(2, chunk.len());
            let mut q = sqlx::query_as::<_, DueRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {DUE_COLUMNS} FROM charges c JOIN merchants m ON m.id = c.merchant_id \
                 WHERE c.status = 'pending' AND c.next_poll_at <= $1 \
                     AND m.token_rejected_at IS NULL AND c.merchant_id IN ({list}) \
                 ORDER BY c.merchant_id, c.id"
            )))
            .bind(now);
            for m in chunk {
                q = q.bind(m.0);
            }
            for row in q.fetch_all(&self.pool).await? {
                out.push(DueCharge::try_from(row)?);
            }
        }
        self.with_seen_hashes(out).await
    }

    /// [`Store::late_watched_due`] of these merchants only (pushed back the same way).
    pub async fn late_watched_due_of(
        &self,
        now: i64,
        late: LateWatch,
        merchants: &[MerchantId],
    ) -> Result<Vec<DueCharge>> {
        let mut rows = Vec::new();
        for chunk in merchants.chunks(200) {
            let list = placeholders(4, chunk.len());
            let mut tx = self.write_tx().await?;
            let mut q = sqlx::query_as::<_, DueRow>(sqlx::AssertSqlSafe(format!(
                "UPDATE charges SET next_poll_at = $1 + $3 \
                 WHERE status IN {LATE_WATCHED} AND next_poll_at <= $1 \
                     AND expires_at + $2 > $1 \
                     AND merchant_id IN (SELECT id FROM merchants WHERE token_rejected_at IS NULL) \
                     AND merchant_id IN ({list}) \
                 RETURNING id, merchant_id, md5, to_account_id, amount_minor, currency, \
                     expires_at, last_check_at, status, created_at"
            )))
            .bind(now)
            .bind(late.window_secs)
            .bind(late.every_secs.max(1));
            for m in chunk {
                q = q.bind(m.0);
            }
            rows.extend(q.fetch_all(&mut *tx).await?);
            tx.commit().await?;
        }
        rows.sort_by_key(|r| (r.merchant_id, r.id));
        let due = rows
            .into_iter()
            .map(DueCharge::try_from)
            .collect::<Result<Vec<_>>>()?;
        self.with_seen_hashes(due).await
    }

    /// Pending charges whose QR expired before `expired_before` and that were never
    /// settled — Bakong could not be asked about them (token refused or unopenable, Bakong
    /// unreachable) — become `unverified`, each with its event, the edit of its message and
    /// a notice to the seller, in one transaction. Returns them.
    pub async fn end_unverifiable(&self, expired_before: i64, now: i64) -> Result<Vec<ChargeId>> {
        let mut tx = self.write_tx().await?;
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "UPDATE charges SET status = 'unverified', settled_at = $2 \
             WHERE status = 'pending' AND expires_at < $1 RETURNING id, merchant_id",
        )
        .bind(expired_before)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        for (id, merchant) in &rows {
            let (id, merchant) = (ChargeId(*id), MerchantId(*merchant));
            let detail = json!({ "reason": "no answer from Bakong until long after expiry" });
            append(
                &mut tx,
                Some(merchant),
                Some(id),
                EventKind::ChargeUnverified,
                &detail,
                now,
            )
            .await?;
            enqueue(
                &mut tx,
                merchant,
                Some(id),
                FollowUpKind::ChargeUnverified,
                &json!({}),
                now,
            )
            .await?;
            enqueue(
                &mut tx,
                merchant,
                Some(id),
                FollowUpKind::ChargeUnverifiedNotice,
                &json!({}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows.into_iter().map(|(id, _)| ChargeId(id)).collect())
    }

    /// One charge, only while it is pending ("Check now").
    pub async fn pending_charge(&self, id: ChargeId) -> Result<Option<DueCharge>> {
        let due = sqlx::query_as::<_, DueRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {DUE_COLUMNS} FROM charges c WHERE c.id = $1 AND c.status = 'pending'"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .map(DueCharge::try_from)
        .transpose()?;
        Ok(self
            .with_seen_hashes(due.into_iter().collect())
            .await?
            .pop())
    }

    /// Sealed tokens of these merchants (those without a token are left out).
    pub async fn sealed_tokens(&self, merchants: &[MerchantId]) -> Result<Vec<SealedToken>> {
        let mut out = Vec::with_capacity(merchants.len());
        // Chunked IN lists keep the statement small and portable.
        for chunk in merchants.chunks(200) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT id, token_sealed, token_version, token_accepted_at FROM merchants \
                 WHERE token_sealed IS NOT NULL AND id IN ({})",
                placeholders.join(", ")
            );
            let mut q =
                sqlx::query_as::<_, (i64, Vec<u8>, i64, Option<i64>)>(sqlx::AssertSqlSafe(sql));
            for m in chunk {
                q = q.bind(m.0);
            }
            out.extend(q.fetch_all(&self.pool).await?.into_iter().map(
                |(id, sealed, version, accepted)| SealedToken {
                    merchant_id: MerchantId(id),
                    sealed,
                    version,
                    accepted: accepted.is_some(),
                },
            ));
        }
        Ok(out)
    }

    /// `pending` → an ending without money (`failed`, `expired`, `cancelled`), with its
    /// event and Telegram follow-up, in one transaction. False (and nothing written) if the
    /// charge was not pending any more. Money is [`Store::record_payment`]'s.
    pub async fn settle_charge(&self, id: ChargeId, s: &Settlement, now: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let merchant: Option<i64> = sqlx::query_scalar(
            "UPDATE charges SET status = $2, settled_at = $3 \
             WHERE id = $1 AND status = 'pending' RETURNING merchant_id",
        )
        .bind(id.0)
        .bind(s.status.as_str())
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(merchant) = merchant.map(MerchantId) else {
            return Ok(false);
        };
        append(&mut tx, Some(merchant), Some(id), s.event, &s.detail, now).await?;
        enqueue(&mut tx, merchant, Some(id), s.follow_up, &json!({}), now).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records the first empty answer after expiry and defers the next check. False if the
    /// charge is not pending or already has it.
    pub async fn record_last_check(
        &self,
        id: ChargeId,
        at: i64,
        next_poll_at: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE charges SET last_check_at = $2, next_poll_at = $3 \
             WHERE id = $1 AND status = 'pending' AND last_check_at IS NULL",
        )
        .bind(id.0)
        .bind(at)
        .bind(next_poll_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Bakong refused the merchant's token (401): marks it, logs the event and queues the
    /// "renew your token" message, in one transaction — only while `version` is still the
    /// stored token's (a token replaced meanwhile is not blamed) and not already marked.
    pub async fn reject_token(&self, id: MerchantId, version: i64, now: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE merchants SET token_rejected_at = $3, updated_at = $3 \
             WHERE id = $1 AND token_version = $2 AND token_sealed IS NOT NULL \
                 AND token_rejected_at IS NULL",
        )
        .bind(id.0)
        .bind(version)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let detail = json!({ "token_version": version });
        append(
            &mut tx,
            Some(id),
            None,
            EventKind::TokenRejected,
            &detail,
            now,
        )
        .await?;
        enqueue(
            &mut tx,
            id,
            None,
            FollowUpKind::TokenRefused,
            &json!({}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records when each still-pending charge is next due (`(id, next_poll_at)`), in ONE
    /// statement for the charges of one Bakong request. Settled charges are left alone.
    ///
    /// The pending guard is written as a `CASE`, not `status = 'pending'`: given that
    /// equality, SQLite's planner walks `charges_due`'s whole `pending` range instead of
    /// looking the ids up (`EXPLAIN QUERY PLAN`: `USING INDEX charges_due (status=?)`), and
    /// with 100,000 pending charges that is 100,000 index entries for each Bakong request.
    pub async fn set_next_polls(&self, next: &[(ChargeId, i64)]) -> Result<()> {
        for chunk in next.chunks(200) {
            let mut sql = String::from("UPDATE charges SET next_poll_at = CASE id");
            for i in 0..chunk.len() {
                sql.push_str(&format!(" WHEN ${} THEN ${}", 2 * i + 1, 2 * i + 2));
            }
            sql.push_str(" ELSE next_poll_at END WHERE id IN (");
            let ids: Vec<String> = (0..chunk.len())
                .map(|i| format!("${}", 2 * i + 1))
                .collect();
            sql.push_str(&ids.join(", "));
            sql.push_str(") AND CASE WHEN status = 'pending' THEN 1 ELSE 0 END = 1");
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (id, at) in chunk {
                q = q.bind(id.0).bind(*at);
            }
            q.execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Merchants whose stored token was refused (401) and not replaced since.
    pub async fn refused_token_merchants(&self) -> Result<Vec<MerchantId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM merchants \
             WHERE token_sealed IS NOT NULL AND token_rejected_at IS NOT NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(MerchantId).collect())
    }

    /// A re-check found the refused token `version` working: clears the refusal and logs
    /// the event, only while `version` is still the stored token's. The token is then
    /// known accepted (if it was not yet).
    pub async fn accept_token_again(&self, id: MerchantId, version: i64, now: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE merchants SET token_rejected_at = NULL, \
                 token_accepted_at = COALESCE(token_accepted_at, $3), updated_at = $3 \
             WHERE id = $1 AND token_version = $2 AND token_rejected_at IS NOT NULL",
        )
        .bind(id.0)
        .bind(version)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let detail = json!({ "token_version": version });
        append(
            &mut tx,
            Some(id),
            None,
            EventKind::TokenAcceptedAgain,
            &detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Bakong answered an authenticated call made with `id`'s token `version`: records when
    /// (the first time only, and only while `version` is still the stored token's).
    /// Returns whether this call recorded it.
    pub async fn record_token_accepted(
        &self,
        id: MerchantId,
        version: i64,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE merchants SET token_accepted_at = $3 \
             WHERE id = $1 AND token_version = $2 AND token_sealed IS NOT NULL \
                 AND token_accepted_at IS NULL",
        )
        .bind(id.0)
        .bind(version)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Merchants with a token expiring by `until` (and not refused): id, expiry, last
    /// reminder.
    pub async fn tokens_expiring(&self, until: i64) -> Result<Vec<(MerchantId, i64, Option<i64>)>> {
        let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT id, token_expires_at, token_reminded_at FROM merchants \
             WHERE token_sealed IS NOT NULL AND token_rejected_at IS NULL \
                 AND token_expires_at IS NOT NULL AND token_expires_at <= $1 \
             ORDER BY id",
        )
        .bind(until)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, exp, reminded)| (MerchantId(id), exp, reminded))
            .collect())
    }

    /// Queues a token-expiry reminder and records it, once per `previous` value of
    /// `token_reminded_at` (so two tasks never send the same reminder).
    pub async fn queue_token_reminder(
        &self,
        id: MerchantId,
        previous: Option<i64>,
        expires_at: i64,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE merchants SET token_reminded_at = $2 \
             WHERE id = $1 AND token_expires_at = $3 \
                 AND (token_reminded_at = $4 OR (token_reminded_at IS NULL AND $4 IS NULL))",
        )
        .bind(id.0)
        .bind(now)
        .bind(expires_at)
        .bind(previous)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let payload = json!({ "expires_at": expires_at });
        enqueue(
            &mut tx,
            id,
            None,
            FollowUpKind::TokenExpiring,
            &payload,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

/// `$first, $first+1, …` (`count` placeholders), for an `IN (…)` list.
fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}
