//! The append-only event log (the schema refuses UPDATE and DELETE on it).

use sqlx::{Any, Transaction};

use super::event_kind::EventKind;
use super::model::{ChargeId, Event, MerchantId, json};
use super::{Result, Store, StoreError};

super::rows::from_row! {
    struct Row {
        id: i64,
        merchant_id: Option<i64>,
        charge_id: Option<i64>,
        kind: String,
        detail: String,
        at: i64,
    }
}

impl TryFrom<Row> for Event {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self> {
        let kind = r
            .kind
            .parse::<EventKind>()
            .map_err(|e| StoreError::Corrupt(format!("event {}: {e}", r.id)))?;
        Ok(Event {
            id: r.id,
            merchant_id: r.merchant_id.map(MerchantId),
            charge_id: r.charge_id.map(ChargeId),
            kind,
            detail: json(&r.detail)?,
            at: r.at,
        })
    }
}

/// Appends one event inside the caller's transaction.
pub(super) async fn append(
    tx: &mut Transaction<'static, Any>,
    merchant_id: Option<MerchantId>,
    charge_id: Option<ChargeId>,
    kind: EventKind,
    detail: &serde_json::Value,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO events (merchant_id, charge_id, kind, detail, at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(merchant_id.map(|m| m.0))
    .bind(charge_id.map(|c| c.0))
    .bind(kind.as_str())
    .bind(detail.to_string())
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// Appends one event on its own.
    pub async fn append_event(
        &self,
        merchant_id: Option<MerchantId>,
        charge_id: Option<ChargeId>,
        kind: EventKind,
        detail: &serde_json::Value,
        at: i64,
    ) -> Result<()> {
        let mut tx = self.write_tx().await?;
        append(&mut tx, merchant_id, charge_id, kind, detail, at).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A charge's events, oldest first.
    pub async fn charge_events(&self, charge_id: ChargeId) -> Result<Vec<Event>> {
        sqlx::query_as::<_, Row>(
            "SELECT id, merchant_id, charge_id, kind, detail, at FROM events \
             WHERE charge_id = $1 ORDER BY id",
        )
        .bind(charge_id.0)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Event::try_from)
        .collect()
    }

    /// A merchant's events (their own and their charges'), oldest first.
    pub async fn merchant_events(&self, merchant_id: MerchantId) -> Result<Vec<Event>> {
        sqlx::query_as::<_, Row>(
            "SELECT id, merchant_id, charge_id, kind, detail, at FROM events \
             WHERE merchant_id = $1 ORDER BY id",
        )
        .bind(merchant_id.0)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Event::try_from)
        .collect()
    }
}
