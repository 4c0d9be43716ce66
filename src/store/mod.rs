//! All SQL lives here, one text for both backends: SQLite (the embedded default, WAL) and
//! PostgreSQL (`DATABASE_URL=postgres://…`), through sqlx's `Any` driver. The
//! statements keep to what both understand: `$N` placeholders, unix-seconds BIGINT times,
//! BIGINT minor units for money, `RETURNING`, `ON CONFLICT`, aggregates cast to BIGINT; the
//! few places that differ ask [`Store::backend`]. Each backend has its own migrations
//! (`migrations/`, `migrations-postgres/`, see `migrations.rs`).
//!
//! Writes that must be atomic run in [`Store::write_tx`]: one writer at a time on either
//! backend (SQLite `BEGIN IMMEDIATE`; PostgreSQL a transaction-scoped advisory lock), so a
//! transaction that reads and then writes sees no other writer in between. Status changes are
//! single guarded statements (`… WHERE id = $1 AND status = 'pending'`) that report whether
//! they applied, so a charge changes state exactly once however many tasks — or replicas —
//! race for it.

mod charges;
mod db_clock;
mod dialogues;
mod event_kind;
mod events;
mod file_mode;
mod follow_up;
mod history_queries;
mod inline_cards;
mod key_check;
mod leases;
mod link_limits;
mod link_price;
mod links;
mod merchants;
mod migrations;
mod model;
mod ops_queries;
mod outbox;
mod payments;
mod quotas;
mod receipts;
mod renewals;
mod reports;
mod rows;
mod seen_updates;
mod stored_text;
mod watcher_queries;

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Any, AnyPool, Executor, Transaction};

use crate::time::{SharedClock, system_clock};

pub use event_kind::{EventKind, UnknownEventKind};
pub use follow_up::{FollowUpKind, UnknownFollowUpKind};
pub use history_queries::{
    BucketTotal, BucketWidth, CurrencyTotal, HistorySummary, ListedCharge, ListedPayment,
};
pub use inline_cards::{ChosenDraft, StaleDraft};
pub use key_check::Rotation;
pub use leases::{HeldLease, LeaseKind, OutboxHold, PollerLock, ReplicaId};
pub use link_limits::LinkLimits;
pub use link_price::{AnyAmount, BoundsError, LinkPrice, OutOfBounds};
pub use links::{
    LinkBuyer, LinkCharge, LinkCode, LinkId, LinkSale, LinkState, LinkStats, NewPayLink,
    NotALinkCode, PayLink, Reserved,
};
pub use migrations::migrator;
pub use model::{
    Charge, ChargeId, ChargeStatus, Event, Merchant, MerchantId, NewCharge, OutboxItem, PaidAfter,
    Profile, ProfileInput,
};
pub use ops_queries::OutboxBacklog;
pub use payments::{
    Arrival, ChargeMoney, Fit, HeldBy, Money, Payment, SettleOutcome, Transfer, normalise_hash,
};
pub use quotas::{Quota, QuotaScope};
pub use receipts::SettledBy;
pub use renewals::{
    OUTCOME_IDENTITY_MISMATCH, OpenRenewal, OpenRenewalState, RenewalCandidate, RenewalEnd,
};
pub use reports::{CloseSetting, ExportRow, NoteTotal};
pub use watcher_queries::{
    ChargeFacts, DueCharge, LATE_WATCH_ENDED, LateWatch, SealedToken,
    Settlement as ChargeSettlement,
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
/// kept a full 2 MB cache's worth. A statement that needs more pages still reads them; they
/// are just not kept.
const CACHE_SIZE: &str = "-512";

/// Pooled connections: 6. Each connection is a thread of its own, with its own malloc
/// arena, which keeps its statement and page caches and what they churned: fewer
/// connections hold less memory. Fewer than 6 and the outbox waits for a connection behind
/// the watcher round's writes, so a paid charge's edit comes later.
const MAX_CONNECTIONS: u32 = 6;

/// Pooled connections to PostgreSQL per process. A replica's work is a watcher round, the
/// outbox and the handlers; the server's own limit (100 by default) is shared by every
/// replica.
const MAX_PG_CONNECTIONS: u32 = 8;

/// Key of the advisory lock that makes [`Store::write_tx`] one writer at a time on
/// PostgreSQL ("khqr" in ASCII, then 1).
const WRITE_LOCK_KEY: i64 = 0x6b68_7172_0000_0001;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite://…` (the default): one file on this machine, one process.
    Sqlite,
    /// `postgres://…` / `postgresql://…`: a server several replicas may share.
    Postgres,
}

impl Backend {
    /// The backend a `DATABASE_URL` names, or `None` for any other scheme.
    pub fn of_url(url: &str) -> Option<Backend> {
        let scheme = url.split_once(':')?.0;
        match scheme {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }
}

/// Handle to the database; cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The process's clock, through which [`Store::now`] takes the database's (a test's
    /// clock moves it: `Clock::database_ms`).
    clock: SharedClock,
}

impl Store {
    /// Opens the database at `url` and applies migrations: an SQLite file (created if
    /// missing, mode 0600) or a PostgreSQL database (which must exist).
    pub async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let open_err = |source| StoreError::Open {
            url: redacted(url),
            source,
        };
        let backend = Backend::of_url(url).ok_or_else(|| {
            open_err(sqlx::Error::Configuration(
                "DATABASE_URL must start with sqlite:// or postgres://".into(),
            ))
        })?;
        let options = AnyConnectOptions::from_str(url).map_err(open_err)?;
        let pool = match backend {
            Backend::Sqlite => {
                let sqlite = SqliteConnectOptions::from_str(url).map_err(open_err)?;
                if let Some(file) = file_mode::database_file(url, sqlite.get_filename()) {
                    // Also creates the file (0600), so no `mode=rwc` is needed.
                    file_mode::restrict(&file).map_err(|e| open_err(sqlx::Error::Io(e)))?;
                }
                AnyPoolOptions::new()
                    .max_connections(MAX_CONNECTIONS)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            conn.execute(sqlx::AssertSqlSafe(sqlite_pragmas())).await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await
                    .map_err(open_err)?
            }
            Backend::Postgres => AnyPoolOptions::new()
                .max_connections(MAX_PG_CONNECTIONS)
                .connect_with(options)
                .await
                .map_err(open_err)?,
        };
        migrations::migrator(backend).run(&pool).await?;
        Ok(Self {
            pool,
            backend,
            clock: system_clock(),
        })
    }

    /// The same database, its clock ([`Store::now`]) taken through `clock`, the
    /// process's (`App::start_with`; tests move the database's clock with theirs).
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// SQLite or PostgreSQL.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for layers that add their own queries in this module's style.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection (checkpointing SQLite's WAL). Further use fails.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A transaction no other writer runs beside: SQLite's `BEGIN IMMEDIATE` takes the
    /// database's write lock; on PostgreSQL every `write_tx` first takes one
    /// transaction-scoped advisory lock, so they run one after another across replicas
    /// too. Single statements outside it (the guarded updates) need no such lock.
    async fn write_tx(&self) -> Result<Transaction<'static, Any>> {
        match self.backend {
            Backend::Sqlite => Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?),
            Backend::Postgres => {
                let mut tx = self.pool.begin().await?;
                sqlx::query("SELECT pg_advisory_xact_lock($1)")
                    .bind(WRITE_LOCK_KEY)
                    .execute(&mut *tx)
                    .await?;
                Ok(tx)
            }
        }
    }
}

/// Every SQLite connection's settings (the `Any` driver takes no SQLite options): WAL,
/// NORMAL sync (durable at each checkpoint; WAL keeps the file consistent), 5 s busy wait,
/// foreign keys, and the small page cache of [`CACHE_SIZE`].
fn sqlite_pragmas() -> String {
    format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; \
         PRAGMA foreign_keys = ON; PRAGMA cache_size = {CACHE_SIZE};"
    )
}

/// `url` without its password, for error messages and logs.
fn redacted(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// A database URL for one unit test: a fresh SQLite file in `dir`, or — with
/// `KHQR_TEST_DATABASE_URL=postgres://…` (the cluster `scripts/pg-cluster.sh` starts for
/// `.ci/run`) — a new database on that server, so store-touching unit tests run on both
/// backends like the integration tests (`tests/it/support/db.rs`).
#[cfg(test)]
pub(crate) async fn test_database_url(dir: &std::path::Path) -> String {
    use sqlx::Connection;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let server = match std::env::var("KHQR_TEST_DATABASE_URL") {
        Ok(server) if server.starts_with("postgres") => server,
        _ => return format!("sqlite://{}", dir.join("test.db").display()),
    };
    sqlx::any::install_default_drivers();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("u_{}_{n}", std::process::id());
    let mut admin = sqlx::AnyConnection::connect(&server).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} STRATEGY FILE_COPY"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    let mut url = reqwest::Url::parse(&server).unwrap();
    url.set_path(&name);
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_leaves_in_an_error() {
        assert_eq!(
            redacted("postgres://khqr:s3cret@db:5432/khqr"),
            "postgres://khqr:***@db:5432/khqr"
        );
        assert_eq!(redacted("sqlite://khqr-bot.db"), "sqlite://khqr-bot.db");
    }

    #[test]
    fn backends_by_scheme() {
        assert_eq!(Backend::of_url("sqlite://a.db"), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("postgres://h/db"), Some(Backend::Postgres));
        assert_eq!(
            Backend::of_url("postgresql://h/db"),
            Some(Backend::Postgres)
        );
        assert_eq!(Backend::of_url("mysql://h/db"), None);
    }

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
