//! Telegram follow-ups committed with the state change that needs them (delivered by the
//! watcher, issue 6).

use sqlx::{Sqlite, Transaction};

use super::model::{ChargeId, MerchantId, OutboxItem, json};
use super::{Result, Store};

#[derive(sqlx::FromRow)]
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

impl TryFrom<Row> for OutboxItem {
    type Error = super::StoreError;

    fn try_from(r: Row) -> Result<Self> {
        Ok(OutboxItem {
            id: r.id,
            merchant_id: MerchantId(r.merchant_id),
            charge_id: r.charge_id.map(ChargeId),
            kind: r.kind,
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
    tx: &mut Transaction<'static, Sqlite>,
    merchant_id: MerchantId,
    charge_id: Option<ChargeId>,
    kind: &str,
    payload: &serde_json::Value,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO telegram_outbox (merchant_id, charge_id, kind, payload, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(merchant_id.0)
    .bind(charge_id.map(|c| c.0))
    .bind(kind)
    .bind(payload.to_string())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

impl Store {
    /// Undelivered follow-ups due at `now`, oldest first.
    pub async fn outbox_due(&self, now: i64, limit: i64) -> Result<Vec<OutboxItem>> {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM telegram_outbox \
             WHERE done_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2"
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(OutboxItem::try_from)
        .collect()
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
