//! What operations ask the database: "are you there" for `/healthz`, and the
//! gauges `/metrics` shows (pending charges, outbox size and lag). Read-only, cheap: each
//! is one indexed query.

use super::{Result, Store};

/// Undelivered Telegram follow-ups: how many, and when the oldest was queued.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxBacklog {
    pub queued: u64,
    /// `created_at` of the oldest undelivered follow-up; `None` when none is queued.
    pub oldest_created_at: Option<i64>,
}

impl Store {
    /// One trivial query: fails when the database cannot be reached (closed pool, file
    /// gone, server down).
    pub async fn ping(&self) -> Result<()> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(())
    }

    /// Charges waiting for a payment (status `pending`).
    pub async fn count_pending_charges(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM charges WHERE status = 'pending'")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// The undelivered part of the Telegram outbox.
    pub async fn outbox_backlog(&self) -> Result<OutboxBacklog> {
        let (n, oldest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT COUNT(*), MIN(created_at) FROM telegram_outbox WHERE done_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(OutboxBacklog {
            queued: u64::try_from(n).unwrap_or(0),
            oldest_created_at: oldest,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_empty_database_answers_and_a_closed_one_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::test_database_url(dir.path()).await;
        let store = Store::open(&url).await.unwrap();
        store.ping().await.unwrap();
        assert_eq!(store.count_pending_charges().await.unwrap(), 0);
        assert_eq!(
            store.outbox_backlog().await.unwrap(),
            OutboxBacklog::default()
        );
        store.close().await;
        assert!(store.ping().await.is_err());
    }
}
