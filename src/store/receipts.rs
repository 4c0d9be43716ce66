//! /check: which charge a Bakong transaction already settled, read from the payments ledger
//! (one transaction settles at most one charge: `payments.hash` is UNIQUE).

use super::model::{ChargeId, ChargeStatus, MerchantId};
use super::payments::normalise_hash;
use super::{Result, Store};

/// The charge of the merchant's that the ledger records this transaction for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledBy {
    pub charge: ChargeId,
    pub bill_number: String,
    /// The charge's note, as the seller typed it.
    pub note: Option<String>,
    /// The charge's status now.
    pub status: ChargeStatus,
    /// When the bot recorded the payment (unix seconds).
    pub settled_at: Option<i64>,
}

impl Store {
    /// The merchant's charge the ledger records transaction `hash` (any case, surrounding
    /// spaces ignored) for, if any. A transaction recorded for another merchant's charge is
    /// `None`: their bills are not this merchant's business.
    pub async fn charge_settled_by(
        &self,
        merchant: MerchantId,
        hash: &str,
    ) -> Result<Option<SettledBy>> {
        let row: Option<(i64, String, Option<String>, String, i64)> = sqlx::query_as(
            "SELECT c.id, c.bill_number, c.note, c.status, p.found_at FROM payments p \
             JOIN charges c ON c.id = p.charge_id \
             WHERE p.hash = $2 AND p.merchant_id = $1",
        )
        .bind(merchant.0)
        .bind(normalise_hash(hash))
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(id, bill_number, note, status, found_at)| {
            Ok(SettledBy {
                charge: ChargeId(id),
                bill_number,
                note,
                status: status.parse()?,
                settled_at: Some(found_at),
            })
        })
        .transpose()
    }
}
