//! Charges whose card lives in a customer's chat (inline mode): drafts rendered
//! for an inline query, the chosen draft becoming the charge, "Send to customer" attaching
//! an existing charge's card.
//!
//! A draft is a `creating` charge with an `inline_drafts` row: never polled, left alone by
//! start-up recovery. Its record copy (the photo in the seller's chat that gave the
//! `file_id`) is deleted as soon as it has done that ([`Store::record_copy_deleted`]). A
//! draft ends one of two ways, each a guarded statement in one transaction:
//! [`Store::choose_inline_draft`] (→ `pending`, event `charge_created`) or
//! [`Store::discard_inline_draft`] (→ `discarded`, event `charge_discarded`). A discarded
//! charge is never deleted: its QR was shown in the inline picker, so the late watch asks
//! Bakong about it like a cancelled one.

use serde_json::json;

use super::event_kind::EventKind;
use super::events::append;
use super::model::{ChargeId, MerchantId};
use super::{Result, Store};

/// A draft that was not chosen in time: its charge and the record copy to delete, if it
/// is still there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleDraft {
    pub charge: ChargeId,
    /// The seller's private chat, where the record copy is.
    pub chat_id: i64,
    /// None once the record copy is deleted.
    pub record_message_id: Option<i32>,
}

/// A draft the seller chose: now `pending`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChosenDraft {
    /// Its record copy, if it is still in the seller's chat: then it is the private card.
    /// None: the private card is still to be sent ([`Store::set_private_card`]).
    pub record_message_id: Option<i32>,
}

fn message_id(stored: Option<i64>) -> Option<i32> {
    stored.and_then(|m| i32::try_from(m).ok())
}

impl Store {
    /// Marks the `creating` charge `id` as an inline draft whose record copy is message
    /// `record_message_id` (showing photo `card_file_id`) of the seller's private chat.
    pub async fn record_inline_draft(
        &self,
        id: ChargeId,
        merchant_id: MerchantId,
        record_message_id: i32,
        card_file_id: &str,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE charges SET card_file_id = $3 \
             WHERE id = $1 AND merchant_id = $2 AND status = 'creating'",
        )
        .bind(id.0)
        .bind(merchant_id.0)
        .bind(card_file_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO inline_drafts (charge_id, merchant_id, record_message_id, created_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(id.0)
        .bind(merchant_id.0)
        .bind(i64::from(record_message_id))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The record copy of draft `id` is gone from the seller's chat (deleted once its
    /// `file_id` was known).
    pub async fn record_copy_deleted(&self, id: ChargeId) -> Result<()> {
        sqlx::query("UPDATE inline_drafts SET record_message_id = NULL WHERE charge_id = $1")
            .bind(id.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The seller chose their draft `id`: `creating` → `pending`; its private card is the
    /// record copy if that is still there (else none yet: see [`Store::set_private_card`]),
    /// and its card in the customer's chat is `inline_message_id` (none when Telegram gave
    /// none). Logs `charge_created`. None if `id` is not a draft of `merchant_id` (another
    /// seller's, already chosen, or discarded).
    pub async fn choose_inline_draft(
        &self,
        id: ChargeId,
        merchant_id: MerchantId,
        inline_message_id: Option<&str>,
        now: i64,
    ) -> Result<Option<ChosenDraft>> {
        let mut tx = self.write_tx().await?;
        let record: Option<Option<i64>> = sqlx::query_scalar(
            "DELETE FROM inline_drafts WHERE charge_id = $1 AND merchant_id = $2 \
             RETURNING record_message_id",
        )
        .bind(id.0)
        .bind(merchant_id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(record) = record else {
            return Ok(None);
        };
        let row = sqlx::query_as::<_, (i64, String, i64, String, i64)>(
            "UPDATE charges SET status = 'pending', message_id = $2, inline_message_id = $3, \
                 next_poll_at = $4 \
             WHERE id = $1 AND status = 'creating' \
             RETURNING amount_minor, currency, expires_at, md5, chat_id",
        )
        .bind(id.0)
        .bind(record)
        .bind(inline_message_id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((minor, currency, expires_at, md5, chat_id)) = row else {
            return Ok(None);
        };
        let detail = json!({
            "amount_minor": minor, "currency": currency, "expires_at": expires_at,
            "md5": md5, "chat_id": chat_id, "message_id": record,
            "inline_message_id": inline_message_id, "via": "inline",
        });
        append(
            &mut tx,
            Some(merchant_id),
            Some(id),
            EventKind::ChargeCreated,
            &detail,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(Some(ChosenDraft {
            record_message_id: message_id(record),
        }))
    }

    /// The private card of chosen draft `id` was sent as message `message_id` of the
    /// seller's chat. Only while it has none (a card already known is never replaced).
    pub async fn set_private_card(&self, id: ChargeId, message_id: i32) -> Result<bool> {
        let done =
            sqlx::query("UPDATE charges SET message_id = $2 WHERE id = $1 AND message_id IS NULL")
                .bind(id.0)
                .bind(i64::from(message_id))
                .execute(&self.pool)
                .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Drafts created before `before`, oldest first.
    pub async fn stale_inline_drafts(&self, before: i64) -> Result<Vec<StaleDraft>> {
        let rows: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
            "SELECT d.charge_id, c.chat_id, d.record_message_id \
             FROM inline_drafts d JOIN charges c ON c.id = d.charge_id \
             WHERE d.created_at < $1 ORDER BY d.created_at, d.charge_id",
        )
        .bind(before)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(charge, chat_id, record)| StaleDraft {
                charge: ChargeId(charge),
                chat_id,
                record_message_id: message_id(record),
            })
            .collect())
    }

    /// Ends draft `id` unchosen: its row goes and its charge becomes `discarded`
    /// (settled now, no message: the record copy is gone), logging `charge_discarded`, in
    /// one transaction. The late watch still asks about it. False if it was no longer a
    /// draft (chosen meanwhile).
    pub async fn discard_inline_draft(&self, id: ChargeId, now: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let merchant: Option<i64> = sqlx::query_scalar(
            "DELETE FROM inline_drafts WHERE charge_id = $1 RETURNING merchant_id",
        )
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(merchant) = merchant else {
            return Ok(false);
        };
        let done = sqlx::query(
            "UPDATE charges SET status = 'discarded', settled_at = $2, message_id = NULL, \
                 next_poll_at = $2 \
             WHERE id = $1 AND status = 'creating'",
        )
        .bind(id.0)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        append(
            &mut tx,
            Some(MerchantId(merchant)),
            Some(id),
            EventKind::ChargeDiscarded,
            &json!({ "reason": "inline draft not chosen" }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Whether `id` is one of `merchant_id`'s drafts.
    pub async fn is_inline_draft(&self, id: ChargeId, merchant_id: MerchantId) -> Result<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM inline_drafts WHERE charge_id = $1 AND merchant_id = $2",
        )
        .bind(id.0)
        .bind(merchant_id.0)
        .fetch_one(&self.pool)
        .await?;
        Ok(n == 1)
    }

    /// Records the `file_id` of the card in the seller's private chat (for "Send to
    /// customer").
    pub async fn set_card_file_id(&self, id: ChargeId, card_file_id: &str) -> Result<()> {
        sqlx::query("UPDATE charges SET card_file_id = $2 WHERE id = $1")
            .bind(id.0)
            .bind(card_file_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// "Send to customer": the seller's pending charge `id` now also lives in a customer's
    /// chat as `inline_message_id`. Once only: false if it is not theirs, not pending, or
    /// already in a customer's chat. Logs `charge_sent_inline`.
    pub async fn attach_inline_message(
        &self,
        id: ChargeId,
        merchant_id: MerchantId,
        inline_message_id: &str,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE charges SET inline_message_id = $3 \
             WHERE id = $1 AND merchant_id = $2 AND status = 'pending' \
               AND inline_message_id IS NULL",
        )
        .bind(id.0)
        .bind(merchant_id.0)
        .bind(inline_message_id)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        append(
            &mut tx,
            Some(merchant_id),
            Some(id),
            EventKind::ChargeSentInline,
            &json!({ "inline_message_id": inline_message_id }),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The seller's charge with bill number `bill`, if any ("Send to customer" queries).
    pub async fn merchant_charge_by_bill(
        &self,
        merchant_id: MerchantId,
        bill: &str,
    ) -> Result<Option<ChargeId>> {
        let id: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM charges WHERE merchant_id = $1 AND bill_number = $2",
        )
        .bind(merchant_id.0)
        .bind(bill)
        .fetch_optional(&self.pool)
        .await?;
        Ok(id.map(ChargeId))
    }
}
