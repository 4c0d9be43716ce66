//! `/history` and `/pending`. Totals are computed in SQL on INTEGER minor units,
//! from the payments ledger (`payments.rs`): **the day's total is the sum of the ledger's
//! counted payments of that day** — everything that reached the seller's account through
//! the bot's QRs, by when the customer paid, whatever the charge's state.

use super::model::{ChargeId, MerchantId, parse_currency};
use super::{Result, Store, StoreError};
use crate::khqr::Currency;

/// Counted payments of one currency in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrencyTotal {
    pub currency: Currency,
    pub count: u64,
    /// Sum of what arrived, minor units.
    pub sum_minor: u64,
}

/// A period's summary, by when the customer paid (Bakong's createdDateMs, `paid_at`): what
/// arrived per currency (USD first) and what of it needs a look, the transfers that did not
/// reach the seller; and how many charges ended without money, by when they ended.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistorySummary {
    /// Everything that reached the seller's account through the bot's QRs: exact, over,
    /// under, late and extra payments alike.
    pub received: Vec<CurrencyTotal>,
    /// Of it, what needs the seller's attention ([`super::Payment::needs_attention`]: over,
    /// under, another currency, late, a second payment), per currency, USD first.
    pub attention: Vec<CurrencyTotal>,
    /// Transfers for the bot's QRs that did not reach the seller (not in any total).
    pub not_counted: u64,
    pub expired: u64,
    pub failed: u64,
    pub cancelled: u64,
    /// Never verified by Bakong (token refused, Bakong unreachable).
    pub unverified: u64,
}

/// A counted payment as listed to the merchant (`/history`'s latest payments).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedPayment {
    pub charge: ChargeId,
    /// The charge's bill number (listings show its reference).
    pub bill_number: String,
    /// What arrived.
    pub currency: Currency,
    pub amount_minor: u64,
    pub note: Option<String>,
    pub paid_at: i64,
    pub payer_account_id: String,
    pub hash: String,
    /// Over, under, another currency, late or a second payment.
    pub needs_attention: bool,
    /// The bill of the under-paid charge this one asked the rest of.
    pub rest_of: Option<String>,
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
    /// Its bill number (listings show its reference).
    pub bill_number: String,
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
        bill_number: String,
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
            bill_number: r.bill_number,
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

/// A ledger payment that needs the seller's attention, in SQL (a counted one: the caller
/// selects them): anything but the exact amount paid while the QR was open. The same rule as
/// [`super::Payment::needs_attention`].
const ATTENTION: &str = "(fit <> 'exact' OR charge_was <> 'pending')";

super::rows::from_row! {
    struct ListedPaymentRow {
        charge_id: i64,
        bill_number: String,
        known_currency: String,
        amount_minor: i64,
        note: Option<String>,
        paid_at: i64,
        payer_account_id: String,
        hash: String,
        look: i64,
        rest_of: Option<String>,
    }
}

fn non_negative(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative {what} {v}")))
}

const LISTED_COLUMNS: &str = "id, bill_number, amount_minor, currency, note, created_at, expires_at, \
    settled_at, paid_at, payer_account_id, bakong_hash";

impl Store {
    /// Summary of the merchant's money in `[from, to)` (unix seconds): the ledger's
    /// payments by when the customer paid, charges that ended without money by when they
    /// ended.
    pub async fn history_summary(
        &self,
        merchant: MerchantId,
        from: i64,
        to: i64,
    ) -> Result<HistorySummary> {
        let totals: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(
            format!(
                "SELECT known_currency, COUNT(*), CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT), \
                     CAST(COALESCE(SUM(CASE WHEN {ATTENTION} THEN 1 ELSE 0 END), 0) AS BIGINT), \
                     CAST(COALESCE(SUM(CASE WHEN {ATTENTION} THEN amount_minor ELSE 0 END), 0) AS BIGINT) \
                 FROM payments \
                 WHERE merchant_id = $1 AND counted = 1 AND paid_at >= $2 AND paid_at < $3 \
                 GROUP BY known_currency"
            ),
        ))
        .bind(merchant.0)
        .bind(from)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        let mut received = Vec::new();
        let mut attention = Vec::new();
        for (currency, count, sum, look_count, look_sum) in totals {
            let currency = parse_currency(&currency)?;
            received.push(CurrencyTotal {
                currency,
                count: non_negative(count, "count")?,
                sum_minor: non_negative(sum, "sum")?,
            });
            if look_count > 0 {
                attention.push(CurrencyTotal {
                    currency,
                    count: non_negative(look_count, "count")?,
                    sum_minor: non_negative(look_sum, "sum")?,
                });
            }
        }
        received.sort_by_key(|t| t.currency != Currency::Usd);
        attention.sort_by_key(|t| t.currency != Currency::Usd);

        let not_counted: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM payments \
             WHERE merchant_id = $1 AND counted = 0 AND paid_at >= $2 AND paid_at < $3",
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
            received,
            attention,
            not_counted: non_negative(not_counted, "count")?,
            expired: non_negative(expired, "count")?,
            failed: non_negative(failed, "count")?,
            cancelled: non_negative(cancelled, "count")?,
            unverified: non_negative(unverified, "count")?,
        })
    }

    /// The merchant's counted payments in `[from, to)` by when the customer paid
    /// (`paid_at`), totalled per bucket of `width` counted from `from`, and per currency;
    /// ordered by bucket, then currency. The grouping is done in SQL. With `from` at a Phnom
    /// Penh midnight (a period's start), buckets are Phnom Penh hours or days: the city has
    /// one offset all year, so every day is 24 equal hours.
    pub async fn paid_by_bucket(
        &self,
        merchant: MerchantId,
        from: i64,
        to: i64,
        width: BucketWidth,
    ) -> Result<Vec<BucketTotal>> {
        let rows: Vec<(i64, String, i64, i64)> = sqlx::query_as(
            "SELECT (paid_at - $2) / $4 AS bucket, known_currency, COUNT(*), \
                 CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM payments \
             WHERE merchant_id = $1 AND counted = 1 AND paid_at >= $2 AND paid_at < $3 \
             GROUP BY bucket, known_currency ORDER BY bucket, known_currency",
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

    /// The merchant's latest counted payments made (by the customer) in `[from, to)`,
    /// newest first.
    pub async fn latest_payments(
        &self,
        merchant: MerchantId,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<ListedPayment>> {
        sqlx::query_as::<_, ListedPaymentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT p.charge_id, c.bill_number, p.known_currency, p.amount_minor, c.note, p.paid_at, \
                 p.payer_account_id, p.hash, CAST(CASE WHEN {ATTENTION} THEN 1 ELSE 0 END AS BIGINT) AS look, \
                 d.bill_number AS rest_of \
             FROM payments p JOIN charges c ON c.id = p.charge_id \
             LEFT JOIN charges d ON d.id = c.difference_of \
             WHERE p.merchant_id = $1 AND p.counted = 1 AND p.paid_at >= $2 AND p.paid_at < $3 \
             ORDER BY p.paid_at DESC, p.id DESC LIMIT $4"
        )))
        .bind(merchant.0)
        .bind(from)
        .bind(to)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(|r| {
            Ok(ListedPayment {
                charge: ChargeId(r.charge_id),
                bill_number: r.bill_number,
                currency: parse_currency(&r.known_currency)?,
                amount_minor: non_negative(r.amount_minor, "amount")?,
                note: r.note,
                paid_at: r.paid_at,
                payer_account_id: r.payer_account_id,
                hash: r.hash,
                needs_attention: r.look == 1,
                rest_of: r.rest_of,
            })
        })
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
