//! Dialogue state (opaque JSON text) per chat, for the bot's teloxide `Storage`.

use super::{Result, Store};

impl Store {
    pub async fn dialogue(&self, chat_id: i64) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT state FROM dialogues WHERE chat_id = $1")
                .bind(chat_id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    pub async fn put_dialogue(&self, chat_id: i64, state: &str, now: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO dialogues (chat_id, state, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (chat_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(chat_id)
        .bind(state)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes a chat's dialogue; false if there was none.
    pub async fn remove_dialogue(&self, chat_id: i64) -> Result<bool> {
        let done = sqlx::query("DELETE FROM dialogues WHERE chat_id = $1")
            .bind(chat_id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
