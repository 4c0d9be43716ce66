//! The secret key's check value, key rotation and tokens that cannot be opened.
//!
//! The store never sees a key: callers pass sealed bytes in and get sealed bytes out.

use serde_json::json;

use super::event_kind::EventKind;
use super::events::append;
use super::follow_up::FollowUpKind;
use super::model::MerchantId;
use super::outbox::enqueue;
use super::{Result, Store, StoreError};

/// What [`Store::rotate_key`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    /// Tokens now sealed under the new key.
    pub resealed: usize,
    /// Merchants whose token the old key could not open: left as they were (they are asked
    /// for a new token when the bot next needs it).
    pub unreadable: Vec<MerchantId>,
}

impl Store {
    /// The stored key check value, if the database has one yet.
    pub async fn key_check(&self) -> Result<Option<Vec<u8>>> {
        Ok(
            sqlx::query_scalar("SELECT sealed FROM secret_key_check WHERE id = 1")
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Stores the key check value unless one exists; true if this call stored it.
    pub async fn init_key_check(&self, sealed: &[u8], now: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "INSERT INTO secret_key_check (id, sealed, created_at, updated_at) \
             VALUES (1, $1, $2, $2) ON CONFLICT (id) DO NOTHING",
        )
        .bind(sealed)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            append(
                &mut tx,
                None,
                None,
                EventKind::KeyCheckCreated,
                &json!({}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Up to `limit` stored tokens (merchant, sealed bytes), for checking a key against a
    /// database made before key check values existed.
    pub async fn some_sealed_tokens(&self, limit: i64) -> Result<Vec<(MerchantId, Vec<u8>)>> {
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT id, token_sealed FROM merchants WHERE token_sealed IS NOT NULL \
             ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, sealed)| (MerchantId(id), sealed))
            .collect())
    }

    /// Re-seals every stored token and replaces the key check value, in ONE transaction:
    /// either every token is under the new key with the new check value, or nothing
    /// changed. `reseal` gets each merchant and its sealed token and returns the token
    /// sealed under the new key, or `None` if it cannot open it (that row is left as is).
    /// `expected_check` guards against a concurrent rotation: the stored check value must
    /// still be it (`None`: there must be none).
    pub async fn rotate_key(
        &self,
        expected_check: Option<&[u8]>,
        new_check: &[u8],
        reseal: impl Fn(MerchantId, &[u8]) -> Option<Vec<u8>>,
        now: i64,
    ) -> Result<Rotation> {
        let mut tx = self.write_tx().await?;
        let current: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT sealed FROM secret_key_check WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
        if current.as_deref() != expected_check {
            return Err(StoreError::Corrupt(
                "the key check value changed while rotating (another rotation?)".into(),
            ));
        }
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT id, token_sealed FROM merchants WHERE token_sealed IS NOT NULL ORDER BY id",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut rotation = Rotation {
            resealed: 0,
            unreadable: Vec::new(),
        };
        for (id, sealed) in rows {
            let merchant = MerchantId(id);
            let Some(new_sealed) = reseal(merchant, &sealed) else {
                rotation.unreadable.push(merchant);
                continue;
            };
            // The token itself is unchanged, so token_version (which guards 401 marks) is too.
            sqlx::query("UPDATE merchants SET token_sealed = $2, updated_at = $3 WHERE id = $1")
                .bind(id)
                .bind(&new_sealed)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            rotation.resealed += 1;
        }
        sqlx::query(
            "INSERT INTO secret_key_check (id, sealed, created_at, updated_at) VALUES (1, $1, $2, $2) \
             ON CONFLICT (id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at",
        )
        .bind(new_check)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let unreadable: Vec<i64> = rotation.unreadable.iter().map(|m| m.0).collect();
        let detail = json!({ "resealed": rotation.resealed, "unreadable": unreadable });
        append(&mut tx, None, None, EventKind::KeyRotated, &detail, now).await?;
        tx.commit().await?;
        Ok(rotation)
    }

    /// The merchant's stored token (version `version`) cannot be opened with the right key:
    /// marks it, logs the event and, with `notify`, queues the "send /token" notice — in one
    /// transaction, once per stored token. True if this call marked it. A token stored
    /// meanwhile (another version) is not marked.
    pub async fn mark_token_unreadable(
        &self,
        id: MerchantId,
        version: i64,
        notify: bool,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE merchants SET token_unreadable_at = $3, updated_at = $3 \
             WHERE id = $1 AND token_version = $2 AND token_sealed IS NOT NULL \
                 AND token_unreadable_at IS NULL",
        )
        .bind(id.0)
        .bind(version)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        let detail = json!({ "token_version": version });
        append(
            &mut tx,
            Some(id),
            None,
            EventKind::TokenUnreadable,
            &detail,
            now,
        )
        .await?;
        if notify {
            enqueue(
                &mut tx,
                id,
                None,
                FollowUpKind::TokenUnreadable,
                &json!({}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
