//! `/history` and `/pending` (issue 6). Totals are computed in SQL on INTEGER minor units.

use super::model::{ChargeId, MerchantId, parse_currency};
use super::{Result, Store, StoreError};
use crate::khqr::Currency;

/// Paid charges of one currency in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    pub currency: Currency,
    pub count: u64,
    /// Sum of `amount_minor`.
    pub sum_minor: u64,
}

/// A period's summary: paid totals per currency (USD first) by when the customer paid
/// (Bakong's createdDateMs, `paid_at`), and how many charges ended otherwise.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistorySummary {
    pub paid: Vec<CurrencyTotal>,
    /// Of the paid ones, how many were paid after being cancelled or expiring.
    pub paid_late: u64,
    pub expired: u64,
    pub failed: u64,
    /// A transfer arrived that did not match (amount, currency or account), by `paid_at`.
    pub mismatched: u64,
    pub cancelled: u64,
    /// Never verified by Bakong (token refused, Bakong unreachable).
    pub unverified: u64,
}

/// How wide one bucket of [`Store::paid_by_bucket`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketWidth {
    Hour,
    Day,
}

impl BucketWidth {
    pub fn secs(self) -> i64 {
        match self {
            Self::Hour => 3_600,
            Self::Day => 86_400,
        }
    }
}

/// Paid charges of one currency in one bucket of a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketTotal {
    /// 0 for the bucket starting at the period's start, 1 for the next, …
    pub bucket: u32,
    pub currency: Currency,
    pub count: u64,
    /// Sum of `amount_minor`.
    pub sum_minor: u64,
}

/// A settled or open charge as listed to the merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedCharge {
    pub id: ChargeId,
    pub amount_minor: u64,
    pub currency: Currency,
    pub note: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
    pub settled_at: Option<i64>,
    /// When the customer paid (paid charges).
    pub paid_at: Option<i64>,
    pub payer_account_id: Option<String>,
    pub bakong_hash: Option<String>,
}

super::rows::from_row! {
    struct ListedRow {
        id: i64,
        amount_minor: i64,
        currency: String,
        note: Option<String>,
        created_at: i64,
        expires_at: i64,
        settled_at: Option<i64>,
        paid_at: Option<i64>,
        payer_account_id: Option<String>,
        bakong_hash: Option<String>,
    }
}

impl TryFrom<ListedRow> for ListedCharge {
    type Error = StoreError;

    fn try_from(r: ListedRow) -> Result<Self> {
        Ok(ListedCharge {
            id: ChargeId(r.id),
            amount_minor: non_negative(r.amount_minor, "amount")?,
            currency: parse_currency(&r.currency)?,
            note: r.note,
            created_at: r.created_at,
            expires_at: r.expires_at,
            settled_at: r.settled_at,
            paid_at: r.paid_at,
            payer_account_id: r.payer_account_id,
            bakong_hash: r.bakong_hash,
        })
    }
}

fn non_negative(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative {what} {v}")))
}

const LISTED_COLUMNS: &str = "id, amount_minor, currency, note, created_at, expires_at, \
    settled_at, paid_at, payer_account_id, bakong_hash";

impl Store {
    /// Summary of the merchant's charges in `[from, to)` (unix seconds): payments (paid and
    /// mismatched) by when the customer paid, the rest by when they ended.
    pub async fn history_summary(
        &self,
        merchant: MerchantId,
        from: i64,
        to: i64,
    ) -> Result<HistorySummary> {
        let totals: Vec<(String, i64, i64)> = sqlx::query_as(
            "SELECT currency, COUNT(*), CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM charges \
             WHERE merchant_id = $1 AND status = 'paid' AND paid_at >= $2 AND paid_at < $3 \
             GROUP BY currency",
        )
        .bind(merchant.0)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let mut paid = totals
            .into_iter()
            .map(|(currency, count, sum)| {
                Ok(CurrencyTotal {
                    currency: parse_currency(&currency)?,
                    count: non_negative(count, "count")?,
                    sum_minor: non_negative(sum, "sum")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        paid.sort_by_key(|t| t.currency != Currency::Usd);

        let (paid_late, mismatched): (i64, i64) = sqlx::query_as(
            "SELECT \
                 CAST(COALESCE(SUM(CASE WHEN status = 'paid' AND paid_after IS NOT NULL \
                     THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN status = 'mismatch' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM charges \
             WHERE merchant_id = $1 AND paid_at >= $2 AND paid_at < $3",
        )
        .bind(merchant.0)
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        let (expired, failed, cancelled, unverified): (i64, i64, i64, i64) = sqlx::query_as(
            "SELECT \
                 CAST(COALESCE(SUM(CASE WHEN status = 'expired' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN status = 'cancelled' THEN 1 ELSE 0 END), 0) AS BIGINT), \
                 CAST(COALESCE(SUM(CASE WHEN status = 'unverified' THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM charges \
             WHERE merchant_id = $1 AND settled_at >= $2 AND settled_at < $3",
        )
        .bind(merchant.0)
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        Ok(HistorySummary {
            paid,
            paid_late: non_negative(paid_late, "count")?,
            expired: non_negative(expired, "count")?,
            failed: non_negative(failed, "count")?,
            mismatched: non_negative(mismatched, "count")?,
            cancelled: non_negative(cancelled, "count")?,
            unverified: non_negative(unverified, "count")?,
        })
    }

    /// The merchant's paid charges in `[from, to)` by when the customer paid (`paid_at`),
    /// totalled per bucket of `width` counted from `from`, and per currency; ordered by
    /// bucket, then currency. The grouping is done in SQL. With `from` at a Phnom Penh
    /// midnight (a period's start), buckets are Phnom Penh hours or days: the city has one
    /// offset all year, so every day is 24 equal hours.
    pub async fn paid_by_bucket(
        &self,
        merchant: MerchantId,
        from: i64,
        to: i64,
        width: BucketWidth,
    ) -> Result<Vec<BucketTotal>> {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT (paid_at - $2) / $4 AS bucket, currency, COUNT(*), \
                 CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM charges \
             WHERE merchant_id = $1 AND status = 'paid' AND paid_at >= $2 AND paid_at < $3 \
             GROUP BY bucket, currency ORDER BY bucket, currency",
        )
        .bind(merchant.0)
        .bind(from)
        .bind(to)
        .bind(width.secs())
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(bucket, currency, count, sum)| {
                Ok(BucketTotal {
                    bucket: u32::try_from(bucket)
                        .map_err(|_| StoreError::Corrupt(format!("bucket {bucket}")))?,
                    currency: parse_currency(&currency)?,
                    count: non_negative(count, "count")?,
                    sum_minor: non_negative(sum, "sum")?,
                })
            })
            .collect()
    }

    /// The merchant's latest paid charges paid (by the customer) in `[from, to)`, newest
    /// first.
    pub async fn latest_paid(
        &self,
        merchant: MerchantId,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<ListedCharge>> {
        sqlx::query_as::<_, ListedRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {LISTED_COLUMNS} FROM charges \
             WHERE merchant_id = $1 AND status = 'paid' AND paid_at >= $2 AND paid_at < $3 \
             ORDER BY paid_at DESC, id DESC LIMIT $4"
        )))
        .bind(merchant.0)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(ListedCharge::try_from)
        .collect()
    }

    /// The merchant's open (pending) charges, oldest first.
    pub async fn open_charges(
        &self,
        merchant: MerchantId,
        limit: i64,
    ) -> Result<Vec<ListedCharge>> {
        sqlx::query_as::<_, ListedRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {LISTED_COLUMNS} FROM charges \
             WHERE merchant_id = $1 AND status = 'pending' ORDER BY id LIMIT $2"
        )))
        .bind(merchant.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(ListedCharge::try_from)
        .collect()
    }
}
