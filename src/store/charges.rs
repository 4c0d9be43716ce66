//! Charges and their guarded status transitions.

use serde_json::json;

use super::event_kind::EventKind;
use super::events::append;
use super::follow_up::FollowUpKind;
use super::model::{Charge, ChargeId, ChargeStatus, MerchantId, NewCharge, amount, parse_currency};
use super::outbox::enqueue;
use super::{Result, Store, StoreError};

super::rows::from_row! {
    struct Row {
        id: i64,
        merchant_id: i64,
        chat_id: i64,
        message_id: Option<i64>,
        bill_number: String,
        khqr: String,
        md5: String,
        to_account_id: String,
        amount_minor: i64,
        currency: String,
        note: Option<String>,
        status: String,
        created_at: i64,
        expires_at: i64,
        next_poll_at: i64,
        last_check_at: Option<i64>,
        settled_at: Option<i64>,
        bakong_hash: Option<String>,
        payer_account_id: Option<String>,
        paid_amount_minor: Option<i64>,
        paid_currency: Option<String>,
        paid_to_account_id: Option<String>,
        paid_at: Option<i64>,
        paid_after: Option<String>,
        inline_message_id: Option<String>,
        card_file_id: Option<String>,
        difference_of: Option<i64>,
    }
}

const COLUMNS: &str = "id, merchant_id, chat_id, message_id, bill_number, khqr, md5, to_account_id, \
    amount_minor, currency, note, status, created_at, expires_at, next_poll_at, last_check_at, settled_at, \
    bakong_hash, payer_account_id, paid_amount_minor, paid_currency, paid_to_account_id, paid_at, \
    paid_after, inline_message_id, card_file_id, difference_of";

impl TryFrom<Row> for Charge {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self> {
        let currency = parse_currency(&r.currency)?;
        let message_id = r
            .message_id
            .map(i32::try_from)
            .transpose()
            .map_err(|_| StoreError::Corrupt(format!("charge {} message id", r.id)))?;
        Ok(Charge {
            id: ChargeId(r.id),
            merchant_id: MerchantId(r.merchant_id),
            chat_id: r.chat_id,
            message_id,
            bill_number: r.bill_number,
            khqr: r.khqr,
            md5: r.md5,
            to_account_id: r.to_account_id,
            amount: amount(r.amount_minor, currency)?,
            note: r.note,
            status: r.status.parse()?,
            created_at: r.created_at,
            expires_at: r.expires_at,
            next_poll_at: r.next_poll_at,
            last_check_at: r.last_check_at,
            settled_at: r.settled_at,
            bakong_hash: r.bakong_hash,
            payer_account_id: r.payer_account_id,
            paid_amount_minor: r.paid_amount_minor,
            paid_currency: r.paid_currency,
            paid_to_account_id: r.paid_to_account_id,
            paid_at: r.paid_at,
            paid_after: r.paid_after.as_deref().map(str::parse).transpose()?,
            inline_message_id: r.inline_message_id,
            card_file_id: r.card_file_id,
            difference_of: r.difference_of.map(ChargeId),
        })
    }
}

fn minor_i64(c: &NewCharge) -> Result<i64> {
    i64::try_from(c.amount.minor())
        .map_err(|_| StoreError::Corrupt(format!("amount {} too large", c.amount.minor())))
}

/// The one `INSERT` of a charge: `c` as `creating`, inside `tx`. Its id.
pub(super) async fn insert_creating(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    c: &NewCharge,
) -> Result<ChargeId> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO charges (merchant_id, chat_id, bill_number, khqr, md5, to_account_id, \
             amount_minor, currency, note, status, created_at, expires_at, next_poll_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'creating', $10, $11, $10) RETURNING id",
    )
    .bind(c.merchant_id.0)
    .bind(c.chat_id)
    .bind(&c.bill_number)
    .bind(&c.khqr)
    .bind(&c.md5)
    .bind(&c.to_account_id)
    .bind(minor_i64(c)?)
    .bind(c.amount.currency().alpha())
    .bind(&c.note)
    .bind(c.created_at)
    .bind(c.expires_at)
    .fetch_one(&mut **tx)
    .await?;
    Ok(ChargeId(id))
}

impl Store {
    /// Reserves a charge (bill number and md5 are unique) in status `creating` before its
    /// photo is sent. Follow with [`Store::activate_charge`] once Telegram accepted the photo,
    /// or [`Store::discard_creating_charge`] if it did not. A reused bill number or md5 is
    /// [`StoreError::Duplicate`].
    pub async fn insert_creating_charge(&self, c: &NewCharge) -> Result<ChargeId> {
        let mut tx = self.write_tx().await?;
        let id = insert_creating(&mut tx, c).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// [`Store::insert_creating_charge`] for a charge asking the missing part of the
    /// under-paid charge `of` ("Charge the missing"): `None` (nothing inserted) while `of`
    /// already has such a charge that is open or holds a payment, so two presses make one.
    pub async fn insert_creating_difference(
        &self,
        c: &NewCharge,
        of: ChargeId,
    ) -> Result<Option<ChargeId>> {
        let mut tx = self.write_tx().await?;
        let taken: Option<String> = sqlx::query_scalar(
            "SELECT bill_number FROM charges WHERE difference_of = $1 \
                 AND status IN ('creating', 'pending', 'paid', 'underpaid', 'mismatch') LIMIT 1",
        )
        .bind(of.0)
        .fetch_optional(&mut *tx)
        .await?;
        if taken.is_some() {
            return Ok(None);
        }
        let id = insert_creating(&mut tx, c).await?;
        sqlx::query("UPDATE charges SET difference_of = $2 WHERE id = $1")
            .bind(id.0)
            .bind(of.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// The charge asking the missing part of `of`, if one is open or holds a payment.
    pub async fn difference_charge(&self, of: ChargeId) -> Result<Option<Charge>> {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM charges WHERE difference_of = $1 \
                 AND status IN ('creating', 'pending', 'paid', 'underpaid', 'mismatch') \
             ORDER BY id DESC LIMIT 1"
        )))
        .bind(of.0)
        .fetch_optional(&self.pool)
        .await?
        .map(Charge::try_from)
        .transpose()
    }

    /// `creating` → `pending` with the message that shows it; logs `charge_created`.
    /// False if the charge was not `creating` (already activated, discarded or recovered).
    pub async fn activate_charge(&self, id: ChargeId, message_id: i32, now: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query_as::<_, (i64, i64, String, i64, String, i64)>(
            "UPDATE charges SET status = 'pending', message_id = $2, next_poll_at = $3 \
             WHERE id = $1 AND status = 'creating' \
             RETURNING merchant_id, amount_minor, currency, expires_at, md5, chat_id",
        )
        .bind(id.0)
        .bind(i64::from(message_id))
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((merchant, minor, currency, expires_at, md5, chat_id)) = row else {
            return Ok(false);
        };
        let detail = json!({
            "amount_minor": minor, "currency": currency, "expires_at": expires_at,
            "md5": md5, "chat_id": chat_id, "message_id": message_id,
        });
        append(
            &mut tx,
            Some(MerchantId(merchant)),
            Some(id),
            EventKind::ChargeCreated,
            &detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// `creating` → `pending` without a message id: the photo may or may not have reached the
    /// chat (the request went out but no answer came back), so the charge is polled until it
    /// expires like any other and a payment to it is still seen. Also used when the photo was
    /// sent but its message id could not be recorded. Logs `charge_unconfirmed` with `reason`.
    pub async fn keep_unconfirmed_charge(
        &self,
        id: ChargeId,
        reason: &str,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let merchant: Option<i64> = sqlx::query_scalar(
            "UPDATE charges SET status = 'pending', next_poll_at = $2 \
             WHERE id = $1 AND status = 'creating' RETURNING merchant_id",
        )
        .bind(id.0)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(merchant) = merchant else {
            return Ok(false);
        };
        append(
            &mut tx,
            Some(MerchantId(merchant)),
            Some(id),
            EventKind::ChargeUnconfirmed,
            &json!({ "reason": reason }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Deletes a charge still `creating` (its photo never reached the chat). False if it
    /// was no longer `creating`.
    pub async fn discard_creating_charge(&self, id: ChargeId) -> Result<bool> {
        let done = sqlx::query("DELETE FROM charges WHERE id = $1 AND status = 'creating'")
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// After a crash: charges left `creating` since before `created_before` may or may not
    /// have reached the chat, so they become `pending` without a message id and are polled
    /// like the rest until they expire — a payment to them is never missed. Returns them.
    /// Inline drafts (`inline_drafts`) are left to the sweep, which ends them as
    /// `discarded` ([`Store::discard_inline_draft`]).
    pub async fn recover_creating_charges(
        &self,
        created_before: i64,
        now: i64,
    ) -> Result<Vec<ChargeId>> {
        let mut tx = self.write_tx().await?;
        let rows: Vec<(i64, i64)> = sqlx::query_as(
            "UPDATE charges SET status = 'pending', next_poll_at = $2 \
             WHERE status = 'creating' AND created_at < $1 \
               AND id NOT IN (SELECT charge_id FROM inline_drafts) \
             RETURNING id, merchant_id",
        )
        .bind(created_before)
        .bind(now)
        .fetch_all(&mut *tx)
        .await?;
        for (id, merchant) in &rows {
            append(
                &mut tx,
                Some(MerchantId(*merchant)),
                Some(ChargeId(*id)),
                EventKind::ChargeRecovered,
                &json!({ "reason": "left creating by an interrupted send" }),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(rows.into_iter().map(|(id, _)| ChargeId(id)).collect())
    }

    pub async fn charge(&self, id: ChargeId) -> Result<Option<Charge>> {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM charges WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .map(Charge::try_from)
        .transpose()
    }

    /// The charge only if it belongs to `merchant_id` (callback data is untrusted).
    pub async fn merchant_charge(
        &self,
        merchant_id: MerchantId,
        id: ChargeId,
    ) -> Result<Option<Charge>> {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM charges WHERE id = $1 AND merchant_id = $2"
        )))
        .bind(id.0)
        .bind(merchant_id.0)
        .fetch_optional(&self.pool)
        .await?
        .map(Charge::try_from)
        .transpose()
    }

    /// A merchant's charges, newest first.
    pub async fn merchant_charges(
        &self,
        merchant_id: MerchantId,
        limit: i64,
    ) -> Result<Vec<Charge>> {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM charges WHERE merchant_id = $1 ORDER BY id DESC LIMIT $2"
        )))
        .bind(merchant_id.0)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Charge::try_from)
        .collect()
    }

    /// `pending` → `cancelled` for the merchant's own charge, with the event and the Telegram
    /// follow-up (`charge_cancelled`) committed together. False if it was not theirs or not
    /// pending any more. The charge stays late-watched (a forwarded copy of the QR can still
    /// be paid): see [`Store::late_watched_due`].
    pub async fn cancel_charge(
        &self,
        merchant_id: MerchantId,
        id: ChargeId,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE charges SET status = $4, settled_at = $3, next_poll_at = $3 \
             WHERE id = $1 AND merchant_id = $2 AND status = 'pending'",
        )
        .bind(id.0)
        .bind(merchant_id.0)
        .bind(now)
        .bind(ChargeStatus::Cancelled.as_str())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        append(
            &mut tx,
            Some(merchant_id),
            Some(id),
            EventKind::ChargeCancelled,
            &json!({ "by": "merchant" }),
            now,
        )
        .await?;
        enqueue(
            &mut tx,
            merchant_id,
            Some(id),
            FollowUpKind::ChargeCancelled,
            &json!({}),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}
