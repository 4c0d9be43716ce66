//! /check: which of a merchant's charges a Bakong transaction already settled.

use super::model::{ChargeId, ChargeStatus, MerchantId};
use super::{Result, Store};

/// A charge of the merchant that recorded this transaction hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledBy {
    pub charge: ChargeId,
    pub bill_number: String,
    pub status: ChargeStatus,
    /// When the bot recorded it (unix seconds).
    pub settled_at: Option<i64>,
}

impl Store {
    /// The merchant's charge whose recorded Bakong hash is `hash` (any case), if any.
    pub async fn charge_settled_by(
        &self,
        merchant: MerchantId,
        hash: &str,
    ) -> Result<Option<SettledBy>> {
        let row: Option<(i64, String, String, Option<i64>)> = sqlx::query_as(
            "SELECT id, bill_number, status, settled_at FROM charges \
             WHERE merchant_id = $1 AND lower(bakong_hash) = lower($2) \
             ORDER BY id LIMIT 1",
        )
        .bind(merchant.0)
        .bind(hash.trim())
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(id, bill_number, status, settled_at)| {
            Ok(SettledBy {
                charge: ChargeId(id),
                bill_number,
                status: status.parse()?,
                settled_at,
            })
        })
        .transpose()
    }
}
