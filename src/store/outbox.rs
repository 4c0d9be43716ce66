//! Telegram follow-ups committed with the state change that needs them (delivered by the
//! watcher).

use sqlx::{Any, Transaction};

use super::follow_up::FollowUpKind;
use super::leases::ReplicaId;
use super::model::{ChargeId, MerchantId, OutboxItem, json};
use super::{Result, Store, StoreError};

super::rows::from_row! {
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
}

impl TryFrom<Row> for OutboxItem {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self> {
        let kind = r
            .kind
            .parse::<FollowUpKind>()
            .map_err(|e| StoreError::Corrupt(format!("outbox {}: {e}", r.id)))?;
        Ok(OutboxItem {
            id: r.id,
            merchant_id: MerchantId(r.merchant_id),
            charge_id: r.charge_id.map(ChargeId),
            kind,
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
    tx: &mut Transaction<'static, Any>,
    merchant_id: MerchantId,
    charge_id: Option<ChargeId>,
    kind: FollowUpKind,
    payload: &serde_json::Value,
    now: i64,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO telegram_outbox (merchant_id, charge_id, kind, payload, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(merchant_id.0)
    .bind(charge_id.map(|c| c.0))
    .bind(kind.as_str())
    .bind(payload.to_string())
    .bind(now)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}

impl Store {
    /// Undelivered follow-ups due at `now`, oldest first, of the kinds this build knows.
    ///
    /// A row of a kind it does not know (written by a newer build during a rolling upgrade,
    /// or by hand) is left as it is, for a replica that knows it: neither handed out nor
    /// marked, and it holds up nothing ([`Store::unknown_follow_up_kinds`] lists them).
    pub async fn outbox_due(&self, now: i64, limit: i64) -> Result<Vec<OutboxItem>> {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM telegram_outbox \
             WHERE done_at IS NULL AND next_attempt_at <= $1 AND kind IN ({known}) \
             ORDER BY id LIMIT $2",
            known = FollowUpKind::sql_list(),
        )))
        .bind(now)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(OutboxItem::try_from)
        .collect()
    }

    /// The outbox as one of several replicas reads it: claims the outbox lease
    /// of up to `merchants` merchants with a follow-up due at `due`
    /// ([`Store::claim_outbox_leases`], held by `me` until `now + ttl_secs`, `now` being the
    /// database's clock), then returns the due follow-ups of every merchant whose outbox `me`
    /// holds, oldest first, at most `limit` — so a merchant's follow-ups are delivered by
    /// one replica at a time, in id order. Kinds this build does not know are left for
    /// another, as in [`Store::outbox_due`]. The caller checks it still holds a merchant
    /// right before each send ([`Store::hold_outbox_lease`]) and releases the leases when it
    /// is done ([`Store::release_leases`] with `LeaseKind::Outbox`).
    pub async fn outbox_claim(
        &self,
        me: &ReplicaId,
        now: i64,
        due: i64,
        ttl_secs: i64,
        merchants: i64,
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        if self
            .claim_outbox_leases(me, now, due, ttl_secs, merchants)
            .await?
            .is_empty()
        {
            return Ok(Vec::new());
        }
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM telegram_outbox \
             WHERE done_at IS NULL AND next_attempt_at <= $1 AND kind IN ({known}) \
                 AND merchant_id IN (SELECT id FROM merchants \
                     WHERE outbox_owner = $3 AND outbox_until > $4) \
             ORDER BY id LIMIT $2",
            known = FollowUpKind::sql_list(),
        )))
        .bind(due)
        .bind(limit)
        .bind(me.as_str())
        .bind(now)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(OutboxItem::try_from)
        .collect()
    }

    /// The kinds of the undelivered follow-ups this build does not know, with how many of
    /// each wait (a newer replica queued them; it delivers them).
    pub async fn unknown_follow_up_kinds(&self) -> Result<Vec<(String, i64)>> {
        Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT kind, CAST(COUNT(*) AS BIGINT) FROM telegram_outbox \
             WHERE done_at IS NULL AND kind NOT IN ({known}) GROUP BY kind ORDER BY kind",
            known = FollowUpKind::sql_list(),
        )))
        .fetch_all(&self.pool)
        .await?)
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

    /// Marks a follow-up delivered; false if it already was. Not guarded by the outbox
    /// lease on purpose: Telegram accepted it, so whoever sent it records that (a replica
    /// whose lease lapsed mid-delivery included); `done_at IS NULL` makes a second mark a
    /// no-op.
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

    /// Records a failed delivery and when to try again; nothing once it is done (a replica
    /// whose lease lapsed cannot undo another's delivery).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    /// A kind this build does not know (a newer build wrote it during a rolling upgrade, or
    /// someone by hand) is left for a replica that knows it: not handed out, not marked, not
    /// counted as an attempt; the known ones behind it still come.
    #[tokio::test]
    async fn an_unknown_kind_is_left_undone_and_the_others_still_come() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::test_database_url(dir.path()).await;
        let store = Store::open(&url).await.unwrap();
        let m = store.ensure_merchant(7, 7, Lang::En, 100).await.unwrap().id;
        let only_new = store.ensure_merchant(8, 8, Lang::En, 100).await.unwrap().id;
        for (merchant, kind) in [
            (m, "charge_teleported"),
            (m, "token_refused"),
            (only_new, "charge_teleported"),
            (only_new, "charge_refunded"),
        ] {
            sqlx::query(
                "INSERT INTO telegram_outbox (merchant_id, kind, next_attempt_at, created_at) \
                 VALUES ($1, $2, 100, 100)",
            )
            .bind(merchant.0)
            .bind(kind)
            .execute(store.pool())
            .await
            .unwrap();
        }
        let due = store.outbox_due(200, 10).await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].kind, FollowUpKind::TokenRefused);
        // The lease claim skips a merchant with only unknown kinds due: it has nothing for
        // this build, and a newer replica must be able to take it.
        let me = ReplicaId::named("old");
        let claimed = store.outbox_claim(&me, 200, 200, 10, 10, 10).await.unwrap();
        assert_eq!(claimed.len(), 1);
        assert_eq!(claimed[0].kind, FollowUpKind::TokenRefused);
        let held: Vec<_> = store
            .held_leases(super::super::LeaseKind::Outbox)
            .await
            .unwrap()
            .into_iter()
            .map(|l| l.merchant)
            .collect();
        assert_eq!(held, [m]);
        // Left as they were, again and again.
        for now in [300, 400] {
            assert_eq!(store.outbox_due(now, 10).await.unwrap().len(), 1);
        }
        let untouched: Vec<(i64, Option<i64>, Option<String>)> = sqlx::query_as(
            "SELECT attempts, done_at, last_error FROM telegram_outbox \
             WHERE kind <> 'token_refused' ORDER BY id",
        )
        .fetch_all(store.pool())
        .await
        .unwrap();
        assert_eq!(untouched, vec![(0, None, None); 3]);
        assert_eq!(
            store.unknown_follow_up_kinds().await.unwrap(),
            [
                ("charge_refunded".to_owned(), 1),
                ("charge_teleported".to_owned(), 2)
            ]
        );
    }
}
