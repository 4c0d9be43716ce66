//! All SQL lives here. SQLite today (WAL, `$N` placeholders, unix-seconds INTEGER times,
//! INTEGER minor units for money) so the same statements port to PostgreSQL later.
//!
//! Writes that must be atomic run in `BEGIN IMMEDIATE` transactions; status changes are
//! single guarded statements (`… WHERE id = $1 AND status = 'pending'`) that report whether
//! they applied, so a charge changes state exactly once however many tasks race for it.

mod charges;
mod dialogues;
mod event_kind;
mod events;
mod file_mode;
mod follow_up;
mod history_queries;
mod inline_cards;
mod key_check;
mod leases;
mod links;
mod merchants;
mod model;
mod ops_queries;
mod outbox;
mod receipts;
mod renewals;
mod reports;
mod stored_text;
mod watcher_queries;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

pub use event_kind::{EventKind, UnknownEventKind};
pub use follow_up::{FollowUpKind, UnknownFollowUpKind};
pub use history_queries::{BucketTotal, BucketWidth, CurrencyTotal, HistorySummary, ListedCharge};
pub use inline_cards::{ChosenDraft, StaleDraft};
pub use key_check::Rotation;
pub use leases::{HeldLease, LeaseKind, PollerLock, ReplicaId};
pub use links::{
    LinkBuyer, LinkCharge, LinkCode, LinkId, LinkPrice, LinkSale, LinkState, LinkStats,
    MAX_OPEN_PER_BUYER, NewPayLink, NotALinkCode, PayLink, Reserved,
};
pub use model::{
    Charge, ChargeId, ChargeStatus, Event, Merchant, MerchantId, NewCharge, OutboxItem, PaidAfter,
    Profile, ProfileInput,
};
pub use ops_queries::OutboxBacklog;
pub use receipts::SettledBy;
pub use renewals::{OpenRenewal, OpenRenewalState, RenewalCandidate, RenewalEnd};
pub use reports::{CloseSetting, ExportRow, NoteTotal};
pub use watcher_queries::{
    ChargeFacts, DueCharge, LateWatch, SealedToken, SettleOutcome, Settlement as ChargeSettlement,
};

/// Anything that went wrong talking to the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {url}: {source}")]
    Open {
        url: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A UNIQUE constraint refused the write (e.g. a bill number or md5 already used).
    #[error("already exists: {0}")]
    Duplicate(String),
    #[error("database error: {0}")]
    Sqlx(sqlx::Error),
    /// A row holds a value the code cannot represent (edited by hand, or a bug).
    #[error("corrupt row: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let Some(db) = e.as_database_error()
            && db.is_unique_violation()
        {
            return StoreError::Duplicate(db.message().to_owned());
        }
        StoreError::Sqlx(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// SQLite's page cache per pooled connection: 512 KiB (`-N` is KiB), not the default 2 MB.
/// In WAL mode a connection drops its whole cache whenever another connection has committed
/// since its last read (here: every watcher round, every settle, every outbox step), so a
/// bigger cache is refilled from the OS's file cache anyway; what it did buy was memory:
/// each pooled connection runs on its own thread, and each of those threads' malloc arenas
/// kept a full 2 MB cache's worth (benches/watcher.rs: 8 connections, ~2.5–3.4 MB per
/// arena). A statement that needs more pages still reads them; they are just not kept.
const CACHE_SIZE: &str = "-512";

/// Pooled connections: 6 (was 8). Each connection is a thread of its own, with its own
/// malloc arena, which keeps ~2 MB (its statement and page caches, and what they churned)
/// in benches/watcher.rs. 4 saved more memory but the outbox then waited for a connection
/// behind the watcher round's writes (answer → outbox pick-up p50 ~0.5 s instead of ~0.3 s).
const MAX_CONNECTIONS: u32 = 6;

/// Handle to the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if missing, mode 0600) the SQLite database at `url` and applies
    /// migrations.
    pub async fn open(url: &str) -> Result<Self> {
        let open_err = |source| StoreError::Open {
            url: url.to_owned(),
            source,
        };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(open_err)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
            .pragma("cache_size", CACHE_SIZE);
        if let Some(file) = file_mode::database_file(url, options.get_filename()) {
            file_mode::restrict(&file).map_err(|e| open_err(sqlx::Error::Io(e)))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(open_err)?;
        sqlx::migrate!().run(&pool).await?;
        Ok(Self { pool })
    }

    /// The pool, for layers that add their own queries in this module's style.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes every connection (checkpointing the WAL). Further use fails.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn write_tx(&self) -> Result<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_pooled_connection_keeps_a_small_page_cache() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url).await.unwrap();
        // Two connections at once: the setting is per connection, not only the first one's.
        let mut a = store.pool().acquire().await.unwrap();
        let mut b = store.pool().acquire().await.unwrap();
        for conn in [&mut a, &mut b] {
            let size: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut **conn)
                .await
                .unwrap();
            assert_eq!(size, -512);
        }
    }
}
