//! The database's clock: the one clock every replica shares. Lease times (`*_until`, and
//! the "now" they are compared with), a round's "now" (expiry, the next checks), a drain's
//! "now" (which follow-ups are due, when to retry) are read from it, never from the
//! replica's own clock: with machines' clocks seconds apart, one replica would see another's
//! live lease as lapsed and send the same follow-up again, or end a charge early.
//!
//! Read in milliseconds, so that a test clock that follows the system clock (and shifts
//! the database's by as much as itself, `Clock::database_ms`) ticks over its seconds where
//! the process's clock does.

use super::{Backend, Result, Store};
use crate::time::UnixSecs;

impl Store {
    /// The database's clock now, in unix seconds (one cheap query), as the process's clock
    /// takes it (`Clock::database_ms`: as it is in production; tests move it).
    pub async fn now(&self) -> Result<UnixSecs> {
        Ok(self.now_ms().await?.div_euclid(1000))
    }

    /// The database's clock now, in unix milliseconds (see [`Store::now`]).
    pub async fn now_ms(&self) -> Result<i64> {
        let db_ms: i64 = sqlx::query_scalar(self.now_ms_query())
            .fetch_one(&self.pool)
            .await?;
        Ok(self.clock.database_ms(db_ms))
    }

    /// SQLite: `julianday('now')` is the statement's time in whole milliseconds (SQLite
    /// keeps it so); the product is rounded back to them. PostgreSQL: the statement's
    /// start (`statement_timestamp()`, not `now()`, which inside a transaction is its start).
    fn now_ms_query(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => {
                "SELECT CAST(ROUND((julianday('now') - 2440587.5) * 86400000.0) AS INTEGER)"
            }
            Backend::Postgres => {
                "SELECT CAST(FLOOR(EXTRACT(EPOCH FROM statement_timestamp()) * 1000) AS BIGINT)"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::{Clock, SystemClock, TestClock};

    /// The database's clock and this machine's are the same clock here: the database's
    /// reading lies between two readings of the system clock. A test clock moves it.
    #[tokio::test]
    async fn the_database_clock_is_read_and_a_test_clock_moves_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::test_database_url(dir.path()).await;
        let store = Store::open(&url).await.unwrap();
        let before = SystemClock.unix_ms();
        let db = store.now_ms().await.unwrap();
        let after = SystemClock.unix_ms();
        // A millisecond either way: SQLite rounds to one, PostgreSQL's clock is the same
        // machine's read by another process.
        assert!(before - 1 <= db && db <= after + 1, "{before} {db} {after}");

        let clock = TestClock::following_system();
        clock.advance_secs(3_600);
        let shifted = store.clone().with_clock(clock.shared());
        let moved = shifted.now().await.unwrap();
        assert!(moved >= before / 1000 + 3_600 && moved <= SystemClock.unix_secs() + 3_601);
        // The store it was cloned from keeps the database's own clock.
        assert!(store.now().await.unwrap() <= SystemClock.unix_secs());

        let frozen = TestClock::frozen_at(1_000);
        assert_eq!(
            store
                .clone()
                .with_clock(frozen.shared())
                .now()
                .await
                .unwrap(),
            1_000
        );
    }
}
