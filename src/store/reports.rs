//! Closing summaries and exports: the `/close` setting, the once-a-day claim of a
//! summary (queued through the outbox in the same transaction), the top notes of a day, and
//! the rows `/export` streams.

use futures_util::{Stream, StreamExt};
use serde_json::Value;

use super::follow_up::FollowUpKind;
use super::model::{ChargeId, ChargeStatus, MerchantId, PaidAfter, parse_currency};
use super::outbox::enqueue;
use super::payments::{Arrival, Payment};
use super::{Result, Store, StoreError};
use crate::khqr::Currency;
use crate::time::{LocalDate, UnixSecs};

/// A merchant whose closing summary is on: when (minutes after Phnom Penh midnight) and the
/// Phnom Penh date of the last closing time handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseSetting {
    pub merchant: MerchantId,
    pub minute: u16,
    pub done_on: Option<LocalDate>,
}

/// Counted payments for charges with one note, in one currency (the day's "top items").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteTotal {
    pub currency: Currency,
    /// `None`: charges without a note.
    pub note: Option<String>,
    pub count: u64,
    pub sum_minor: u64,
}

/// One line of `/export`: a payment of the ledger with its charge, or a charge without a
/// payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub id: ChargeId,
    pub created_at: UnixSecs,
    /// When it ended (any final status).
    pub settled_at: Option<UnixSecs>,
    pub status: ChargeStatus,
    pub amount_minor: u64,
    pub currency: Currency,
    pub note: Option<String>,
    pub bill_number: String,
    /// Its first payment came after it had ended without money.
    pub paid_after: Option<PaidAfter>,
    /// The bill of the under-paid charge this one asks the rest of.
    pub rest_of: Option<String>,
    /// The payment this line is about (`None`: a charge without a payment).
    pub payment: Option<Payment>,
}

impl ExportRow {
    /// When the line counts: when the customer paid, else when the charge ended, else when
    /// it was created.
    pub fn at(&self) -> UnixSecs {
        self.payment
            .as_ref()
            .map(|p| p.paid_at)
            .or(self.settled_at)
            .unwrap_or(self.created_at)
    }
}

super::rows::from_row! {
    struct ExportDbRow {
        id: i64,
        created_at: i64,
        settled_at: Option<i64>,
        status: String,
        c_amount_minor: i64,
        c_currency: String,
        note: Option<String>,
        bill_number: String,
        paid_after: Option<String>,
        rest_of: Option<String>,
        p_id: Option<i64>,
        merchant_id: i64,
        hash: Option<String>,
        payer_account_id: Option<String>,
        to_account_id: Option<String>,
        currency: Option<String>,
        amount: Option<String>,
        known_currency: Option<String>,
        amount_minor: Option<i64>,
        fit: Option<String>,
        charge_was: Option<String>,
        paid_at: Option<i64>,
        found_at: Option<i64>,
    }
}

impl TryFrom<ExportDbRow> for ExportRow {
    type Error = StoreError;

    fn try_from(r: ExportDbRow) -> Result<Self> {
        let payment = match (r.p_id, r.hash, r.fit, r.charge_was, r.paid_at, r.found_at) {
            (Some(id), Some(hash), Some(fit), Some(was), Some(paid_at), Some(found_at)) => {
                Some(Payment {
                    id,
                    charge_id: ChargeId(r.id),
                    merchant_id: MerchantId(r.merchant_id),
                    hash,
                    payer_account: r.payer_account_id.unwrap_or_default(),
                    to_account: r.to_account_id.unwrap_or_default(),
                    currency: r.currency.unwrap_or_default(),
                    amount: r.amount.unwrap_or_default(),
                    arrival: Arrival::from_columns(
                        &fit,
                        r.known_currency.as_deref(),
                        r.amount_minor,
                    )?,
                    charge_was: was.parse()?,
                    paid_at,
                    found_at,
                })
            }
            (None, ..) => None,
            _ => return Err(StoreError::Corrupt(format!("charge {} payment row", r.id))),
        };
        Ok(ExportRow {
            id: ChargeId(r.id),
            created_at: r.created_at,
            settled_at: r.settled_at,
            status: r.status.parse()?,
            amount_minor: non_negative(r.c_amount_minor, "amount")?,
            currency: parse_currency(&r.c_currency)?,
            note: r.note,
            bill_number: r.bill_number,
            paid_after: r.paid_after.map(|a| a.parse()).transpose()?,
            rest_of: r.rest_of,
            payment,
        })
    }
}

fn non_negative(v: i64, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative {what} {v}")))
}

fn minute(v: i64, merchant: i64) -> Result<u16> {
    u16::try_from(v)
        .ok()
        .filter(|m| *m < 1440)
        .ok_or_else(|| StoreError::Corrupt(format!("merchant {merchant} close minute {v}")))
}

fn date(text: Option<String>, merchant: i64) -> Result<Option<LocalDate>> {
    text.map(|t| {
        LocalDate::parse_iso(&t)
            .ok_or_else(|| StoreError::Corrupt(format!("merchant {merchant} close day {t:?}")))
    })
    .transpose()
}

/// The time an export line counts at: when the customer paid (a payment), else when the
/// charge ended, else (still pending) when it was created.
const EXPORT_AT: &str = "COALESCE(p.paid_at, c.settled_at, c.created_at)";

impl Store {
    /// The merchant's closing time (minutes after Phnom Penh midnight), `None` when off.
    pub async fn close_minute(&self, merchant: MerchantId) -> Result<Option<u16>> {
        let row: Option<Option<i64>> =
            sqlx::query_scalar("SELECT close_minute FROM close_settings WHERE merchant_id = $1")
                .bind(merchant.0)
                .fetch_optional(&self.pool)
                .await?;
        row.flatten().map(|m| minute(m, merchant.0)).transpose()
    }

    /// Sets the closing time (`None`: off). `handled_through` is the latest closing date
    /// that must not get a summary any more (the caller passes the last closing time of the
    /// new setting that already passed, so setting 21:30 at 22:00 waits for tomorrow); an
    /// earlier date never moves the stored one back.
    pub async fn set_close_minute(
        &self,
        merchant: MerchantId,
        minute: Option<u16>,
        handled_through: Option<LocalDate>,
        now: UnixSecs,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO close_settings (merchant_id, close_minute, done_on, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (merchant_id) DO UPDATE SET close_minute = excluded.close_minute, \
                 done_on = CASE WHEN excluded.done_on IS NOT NULL \
                     AND (close_settings.done_on IS NULL \
                          OR close_settings.done_on < excluded.done_on) \
                     THEN excluded.done_on ELSE close_settings.done_on END, \
                 updated_at = excluded.updated_at",
        )
        .bind(merchant.0)
        .bind(minute.map(i64::from))
        .bind(handled_through.map(|d| d.to_string()))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every merchant with a closing time, by id.
    pub async fn close_settings_on(&self) -> Result<Vec<CloseSetting>> {
        let rows: Vec<(i64, i64, Option<String>)> = sqlx::query_as(
            "SELECT s.merchant_id, s.close_minute, s.done_on FROM close_settings s \
             JOIN merchants m ON m.id = s.merchant_id \
             WHERE s.close_minute IS NOT NULL ORDER BY s.merchant_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, m, done)| {
                Ok(CloseSetting {
                    merchant: MerchantId(id),
                    minute: minute(m, id)?,
                    done_on: date(done, id)?,
                })
            })
            .collect()
    }

    /// Claims the closing time `minute` of Phnom Penh date `close_date` for `merchant` and,
    /// when `summary` is given, queues it (outbox kind `close_summary`) in the same
    /// transaction. False (nothing queued) when that day was already handled or the
    /// setting changed meanwhile: each day's summary is queued at most once.
    pub async fn claim_close(
        &self,
        merchant: MerchantId,
        minute: u16,
        close_date: LocalDate,
        summary: Option<&Value>,
        now: UnixSecs,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let day = close_date.to_string();
        let done = sqlx::query(
            "UPDATE close_settings SET done_on = $3, updated_at = $4 \
             WHERE merchant_id = $1 AND close_minute = $2 \
                 AND (done_on IS NULL OR done_on < $3)",
        )
        .bind(merchant.0)
        .bind(i64::from(minute))
        .bind(&day)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        if let Some(payload) = summary {
            enqueue(
                &mut tx,
                merchant,
                None,
                FollowUpKind::CloseSummary,
                payload,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// How many of the merchant's charges were created, paid or ended in `[from, to)`
    /// (a closing summary is sent only for a day where something happened; an unchosen
    /// inline draft is not something).
    pub async fn charges_touching(
        &self,
        merchant: MerchantId,
        from: UnixSecs,
        to: UnixSecs,
    ) -> Result<u64> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM charges WHERE merchant_id = $1 AND status NOT IN ('creating', 'discarded') \
                 AND ((created_at >= $2 AND created_at < $3) \
                      OR (paid_at >= $2 AND paid_at < $3) \
                      OR (settled_at >= $2 AND settled_at < $3) \
                      OR id IN (SELECT charge_id FROM payments \
                                WHERE merchant_id = $1 AND paid_at >= $2 AND paid_at < $3))",
        )
        .bind(merchant.0)
        .bind(from)
        .bind(to)
        .fetch_one(&self.pool)
        .await?;
        non_negative(n, "count")
    }

    /// The best-selling notes in `[from, to)` (the ledger's counted payments, by when the
    /// customer paid, with their charge's note): at most `per_currency` per currency (USD
    /// first), largest total first.
    pub async fn top_notes(
        &self,
        merchant: MerchantId,
        from: UnixSecs,
        to: UnixSecs,
        per_currency: i64,
    ) -> Result<Vec<NoteTotal>> {
        let rows: Vec<(String, Option<String>, i64, i64)> = sqlx::query_as(
            "SELECT currency, note, n, total FROM ( \
                 SELECT p.known_currency AS currency, c.note AS note, COUNT(*) AS n, \
                     CAST(SUM(p.amount_minor) AS BIGINT) AS total, \
                     ROW_NUMBER() OVER (PARTITION BY p.known_currency \
                         ORDER BY SUM(p.amount_minor) DESC, COUNT(*) DESC, c.note NULLS FIRST) AS rank \
                 FROM payments p JOIN charges c ON c.id = p.charge_id \
                 WHERE p.merchant_id = $1 AND p.counted = 1 AND p.paid_at >= $2 AND p.paid_at < $3 \
                 GROUP BY p.known_currency, c.note) AS ranked \
             WHERE rank <= $4 \
             ORDER BY currency = 'USD' DESC, currency, rank",
        )
        .bind(merchant.0)
        .bind(from)
        .bind(to)
        .bind(per_currency)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(currency, note, n, total)| {
                Ok(NoteTotal {
                    currency: parse_currency(&currency)?,
                    note,
                    count: non_negative(n, "count")?,
                    sum_minor: non_negative(total, "sum")?,
                })
            })
            .collect()
    }

    /// The merchant's lines for `/export` in `[from, to)`, oldest first, read as a stream
    /// (SQLite hands rows over as they are stepped; nothing buffers the period): one per
    /// payment of the ledger, when the customer paid (a charge paid twice has two), and one
    /// per charge without a payment, when it ended (or, pending, when created) — [`EXPORT_AT`].
    /// Charges still being created and inline drafts nobody chose (`discarded`; paid, they
    /// are `paid`) are left out. So the counted payments of the lines are the ledger's of the
    /// period: the totals equal `/history`'s.
    pub fn export_rows(
        &self,
        merchant: MerchantId,
        from: UnixSecs,
        to: UnixSecs,
    ) -> impl Stream<Item = Result<ExportRow>> + Send + '_ {
        sqlx::query_as::<_, ExportDbRow>(sqlx::AssertSqlSafe(format!(
            "SELECT c.id, c.created_at, c.settled_at, c.status, c.amount_minor AS c_amount_minor, \
                 c.currency AS c_currency, c.note, c.bill_number, c.paid_after, \
                 d.bill_number AS rest_of, p.id AS p_id, c.merchant_id, p.hash, \
                 p.payer_account_id, p.to_account_id, p.currency, p.amount, p.known_currency, \
                 p.amount_minor, p.fit, p.charge_was, p.paid_at, p.found_at \
             FROM charges c LEFT JOIN payments p ON p.charge_id = c.id \
             LEFT JOIN charges d ON d.id = c.difference_of \
             WHERE c.merchant_id = $1 AND c.status NOT IN ('creating', 'discarded') \
                 AND {EXPORT_AT} >= $2 AND {EXPORT_AT} < $3 \
             ORDER BY {EXPORT_AT}, c.id, p.id"
        )))
        .bind(merchant.0)
        .bind(from)
        .bind(to)
        .fetch(&self.pool)
        .map(|row| row.map_err(StoreError::from).and_then(ExportRow::try_from))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn day(d: u8) -> LocalDate {
        LocalDate::new(2026, 11, d).unwrap()
    }

    async fn queued(store: &Store) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM telegram_outbox WHERE kind = 'close_summary'")
            .fetch_one(store.pool())
            .await
            .unwrap()
    }

    /// A day is claimed once: the second claim (another task, a restart) queues nothing; a
    /// changed closing time or `/close off` makes a claim of the old setting fail.
    #[tokio::test]
    async fn a_day_is_claimed_and_queued_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::test_database_url(dir.path()).await;
        let store = Store::open(&url).await.unwrap();
        let m = store.ensure_merchant(7, 7, Lang::En, 100).await.unwrap().id;
        let text = serde_json::json!({ "day": "2026-11-24", "text": "summary" });
        // Never set: nothing to claim.
        assert!(
            !store
                .claim_close(m, 1290, day(24), Some(&text), 200)
                .await
                .unwrap()
        );

        store
            .set_close_minute(m, Some(1290), Some(day(23)), 100)
            .await
            .unwrap();
        assert_eq!(store.close_minute(m).await.unwrap(), Some(1290));
        assert!(
            store
                .claim_close(m, 1290, day(24), Some(&text), 200)
                .await
                .unwrap()
        );
        assert!(
            !store
                .claim_close(m, 1290, day(24), Some(&text), 201)
                .await
                .unwrap()
        );
        // An older day cannot be claimed after a newer one.
        assert!(
            !store
                .claim_close(m, 1290, day(23), Some(&text), 202)
                .await
                .unwrap()
        );
        assert_eq!(queued(&store).await, 1);
        let due = store.outbox_due(300, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].kind, FollowUpKind::CloseSummary);
        assert_eq!(due[0].payload, text);

        // A new time: a claim made with the old one fails; the stored day never goes back.
        store
            .set_close_minute(m, Some(60), Some(day(20)), 300)
            .await
            .unwrap();
        assert!(
            !store
                .claim_close(m, 1290, day(25), Some(&text), 301)
                .await
                .unwrap()
        );
        assert_eq!(
            store.close_settings_on().await.unwrap(),
            vec![CloseSetting {
                merchant: m,
                minute: 60,
                done_on: Some(day(24))
            }]
        );
        // A day without charges is claimed without a message.
        assert!(store.claim_close(m, 60, day(25), None, 302).await.unwrap());
        assert_eq!(queued(&store).await, 1);

        // Off: not listed, nothing claimable.
        store.set_close_minute(m, None, None, 400).await.unwrap();
        assert_eq!(store.close_minute(m).await.unwrap(), None);
        assert!(store.close_settings_on().await.unwrap().is_empty());
        assert!(
            !store
                .claim_close(m, 60, day(26), Some(&text), 401)
                .await
                .unwrap()
        );
        assert_eq!(queued(&store).await, 1);
    }
}
