//! Webhook updates already taken, by Telegram's `update_id` (`seen_updates`, migration
//! `20261207000400_seen_updates.sql`). Telegram delivers an update again when it did not
//! see the answer to a delivery; behind a load balancer that second delivery may reach
//! another replica, which would handle it a second time (a second card for one `/charge`).
//! So a replica claims each update here before handing it to its dispatcher, and an update
//! claimed already is left alone. Rows are pruned once Telegram can no longer send their
//! update again (it keeps an update 24 hours at most).

use super::{Result, Store};
use crate::time::UnixSecs;

impl Store {
    /// Claims update `update_id` at `now` for this replica: true if nobody had (handle it),
    /// false if a replica took it already (leave it). One statement, so two replicas
    /// claiming at once cannot both win.
    pub async fn claim_update(&self, update_id: i64, now: UnixSecs) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO seen_updates (update_id, seen_at) VALUES ($1, $2) \
             ON CONFLICT (update_id) DO NOTHING",
        )
        .bind(update_id)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Gives a claimed update up (it was not handed to the dispatcher after all: Telegram
    /// delivers it again, and then it must be taken).
    pub async fn forget_update(&self, update_id: i64) -> Result<()> {
        sqlx::query("DELETE FROM seen_updates WHERE update_id = $1")
            .bind(update_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Forgets the updates claimed before `before`; returns how many.
    pub async fn prune_seen_updates(&self, before: UnixSecs) -> Result<u64> {
        let done = sqlx::query("DELETE FROM seen_updates WHERE seen_at < $1")
            .bind(before)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_update_is_claimed_once_until_forgotten_or_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::test_database_url(dir.path()).await;
        let a = Store::open(&url).await.unwrap();
        let b = Store::open(&url).await.unwrap();
        assert!(a.claim_update(7, 100).await.unwrap());
        assert!(!b.claim_update(7, 101).await.unwrap(), "another replica");
        assert!(!a.claim_update(7, 102).await.unwrap(), "the same one again");
        assert!(b.claim_update(8, 200).await.unwrap());
        // Forgotten (not handed over): the next delivery takes it.
        a.forget_update(7).await.unwrap();
        assert!(b.claim_update(7, 300).await.unwrap());
        assert!(!a.claim_update(7, 301).await.unwrap());
        // Pruned by age only.
        assert_eq!(a.prune_seen_updates(250).await.unwrap(), 1);
        assert!(a.claim_update(8, 400).await.unwrap(), "8 was pruned");
        assert!(!a.claim_update(7, 401).await.unwrap(), "7 is younger");
    }
}
