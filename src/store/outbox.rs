//! Telegram follow-ups committed with the state change that needs them (delivered by the
//! watcher, issue 6).

use sqlx::{Any, Transaction};

use super::follow_up::{FollowUpKind, UnknownFollowUpKind};
use super::model::{ChargeId, MerchantId, OutboxItem, json};
use super::{Result, Store, StoreError};

super::rows::from_row! {
    struct Row {
        id: i64,
        merchant_id: i64,
        charge_id: Option<i64>,
        kind: String,
        payload: String,
        attempts: i64,
        next_attempt_at: i64,
        last_error: Option<String>,
        created_at: i64,
        done_at: Option<i64>,
    }
}

impl TryFrom<Row> for OutboxItem {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self> {
        let kind = r
            .kind
            .parse::<FollowUpKind>()
            .map_err(|e| StoreError::Corrupt(format!("outbox {}: {e}", r.id)))?;
        Ok(OutboxItem {
            id: r.id,
            merchant_id: MerchantId(r.merchant_id),
            charge_id: r.charge_id.map(ChargeId),
            kind,
            payload: json(&r.payload)?,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            last_error: r.last_error,
            created_at: r.created_at,
            done_at: r.done_at,
        })
    }
}

const COLUMNS: &str = "id, merchant_id, charge_id, kind, payload, attempts, next_attempt_at, \
                       last_error, created_at, done_at";

/// Queues one follow-up inside the caller's transaction.
pub(super) async fn enqueue(
    tx: &mut Transaction<'static, Any>,
    merchant_id: MerchantId,
    charge_id: Option<ChargeId>,
    kind: FollowUpKind,
    payload: &serde_json::Value,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO telegram_outbox (merchant_id, charge_id, kind, payload, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(merchant_id.0)
    .bind(charge_id.map(|c| c.0))
    .bind(kind.as_str())
    .bind(payload.to_string())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

impl Store {
    /// Undelivered follow-ups due at `now`, oldest first.
    ///
    /// A row whose kind this build does not know ([`UnknownFollowUpKind`]: written by a
    /// newer build or by hand) cannot be delivered: it is given up here — logged, marked
    /// done with the reason as its last error — and left out, so it neither stops the
    /// others nor comes back.
    pub async fn outbox_due(&self, now: i64, limit: i64) -> Result<Vec<OutboxItem>> {
        let rows = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM telegram_outbox \
             WHERE done_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if let Err(unknown) = row.kind.parse::<FollowUpKind>() {
                self.give_up_unknown(row.id, row.merchant_id, &unknown, now)
                    .await?;
                continue;
            }
            out.push(OutboxItem::try_from(row)?);
        }
        Ok(out)
    }

    async fn give_up_unknown(
        &self,
        id: i64,
        merchant: i64,
        unknown: &UnknownFollowUpKind,
        now: i64,
    ) -> Result<()> {
        tracing::warn!(task = id, merchant, kind = %unknown.0, "unknown follow-up kind; giving up");
        sqlx::query(
            "UPDATE telegram_outbox SET attempts = attempts + 1, last_error = $2, done_at = $3 \
             WHERE id = $1 AND done_at IS NULL",
        )
        .bind(id)
        .bind(unknown.to_string())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every follow-up queued for a charge, oldest first.
    pub async fn charge_outbox(&self, charge_id: ChargeId) -> Result<Vec<OutboxItem>> {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM telegram_outbox WHERE charge_id = $1 ORDER BY id"
        )))
        .bind(charge_id.0)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(OutboxItem::try_from)
        .collect()
    }

    /// Marks a follow-up delivered; false if it already was.
    pub async fn outbox_done(&self, id: i64, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE telegram_outbox SET done_at = $2, attempts = attempts + 1 \
             WHERE id = $1 AND done_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records a failed delivery and when to try again.
    pub async fn outbox_retry(&self, id: i64, error: &str, next_attempt_at: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE telegram_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 \
             WHERE id = $1 AND done_at IS NULL",
        )
        .bind(id)
        .bind(error)
        .bind(next_attempt_at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// A kind this build does not know (a newer build wrote it, or someone by hand) is given
    /// up with its reason, logged, and does not stop the others.
    #[tokio::test]
    async fn an_unknown_kind_is_given_up_and_the_others_still_come() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::test_database_url(dir.path()).await;
        let store = Store::open(&url).await.unwrap();
        let m = store.ensure_merchant(7, 7, Lang::En, 100).await.unwrap().id;
        for kind in ["charge_teleported", "token_refused"] {
            sqlx::query(
                "INSERT INTO telegram_outbox (merchant_id, kind, next_attempt_at, created_at) \
                 VALUES ($1, $2, 100, 100)",
            )
            .bind(m.0)
            .bind(kind)
            .execute(store.pool())
            .await
            .unwrap();
        }
        let due = store.outbox_due(200, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].kind, FollowUpKind::TokenRefused);
        let (done_at, last_error): (Option<i64>, Option<String>) = sqlx::query_as(
            "SELECT done_at, last_error FROM telegram_outbox WHERE kind = 'charge_teleported'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(done_at, Some(200));
        assert_eq!(
            last_error.as_deref(),
            Some("unknown follow-up kind \"charge_teleported\"")
        );
        // Given up once: not handed out again.
        let due = store.outbox_due(300, 10).await.unwrap();
        assert_eq!(due.len(), 1);
    }
}
