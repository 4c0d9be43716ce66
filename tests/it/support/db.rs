//! The database a test runs on. By default a fresh SQLite file in the test's temp dir; with
//! `KHQR_TEST_DATABASE_URL=postgres://…` (a server `.ci/run` starts, see
//! `scripts/pg-cluster.sh`) a fresh PostgreSQL database created on that server for the
//! test, so the same test runs on both backends.

use std::path::Path;

/// Name of the environment variable selecting the backend of the store-touching tests.
pub const BACKEND_VAR: &str = "KHQR_TEST_DATABASE_URL";

/// A URL of a database nobody used yet: `dir`/`file` on SQLite, or a new database on the
/// PostgreSQL server of [`BACKEND_VAR`].
pub async fn fresh_database_url(dir: &Path, file: &str) -> String {
    match std::env::var(BACKEND_VAR) {
        Ok(server) if server.starts_with("postgres") => fresh_postgres_database(&server).await,
        _ => format!("sqlite://{}", dir.join(file).display()),
    }
}

/// True when the tests run on PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var(BACKEND_VAR).is_ok_and(|u| u.starts_with("postgres"))
}

/// Creates database `t_<pid>_<n>` on `server` (an admin URL) and returns its URL. The
/// databases live as long as the throw-away cluster.
async fn fresh_postgres_database(server: &str) -> String {
    use sqlx::Connection;
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    sqlx::any::install_default_drivers();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = format!("t_{}_{n}", std::process::id());
    let mut admin = sqlx::AnyConnection::connect(server)
        .await
        .unwrap_or_else(|e| panic!("{BACKEND_VAR}={server}: {e}"));
    // FILE_COPY: a copy of template1's files, not 7 MB of WAL for every test database.
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE DATABASE {name} STRATEGY FILE_COPY"
    )))
    .execute(&mut admin)
    .await
    .unwrap();
    admin.close().await.unwrap();
    let mut url = reqwest::Url::parse(server).unwrap();
    url.set_path(&name);
    url.to_string()
}

/// Everything a PostgreSQL database holds, as bytes: each row of each table in text form,
/// then (with `KHQR_PG_DIR`, the cluster `scripts/pg-cluster.sh` started) the database's
/// data files and the cluster's WAL, after a checkpoint.
pub async fn postgres_bytes(store: &khqr_bot::store::Store) -> Vec<u8> {
    let pool = store.pool();
    let mut all = Vec::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(!tables.is_empty());
    for table in tables {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT CAST(t AS TEXT) FROM {table} t"
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        for row in rows {
            all.extend(row.into_bytes());
        }
    }
    if let Ok(cluster) = std::env::var("KHQR_PG_DIR") {
        sqlx::query("CHECKPOINT").execute(pool).await.unwrap();
        let oid: i64 = sqlx::query_scalar(
            "SELECT CAST(oid AS BIGINT) FROM pg_database WHERE datname = current_database()",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        let data = Path::new(&cluster).join("data");
        for dir in [data.join("base").join(oid.to_string()), data.join("pg_wal")] {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                if entry.file_type().is_ok_and(|t| t.is_file()) {
                    all.extend(std::fs::read(entry.path()).unwrap());
                }
            }
        }
    }
    all
}

#[cfg(test)]
mod tests {
    /// `tests/it/store-free-modules.txt` lists modules `.ci/run` does not run a second time
    /// on PostgreSQL. Each must exist and open no store: no `TestApp`, no `Store`, no
    /// database URL. A module that starts to is found here, not by a PostgreSQL bug later.
    #[test]
    fn store_free_modules_open_no_store() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it");
        let list = std::fs::read_to_string(format!("{dir}/store-free-modules.txt")).unwrap();
        let main = std::fs::read_to_string(format!("{dir}/main.rs")).unwrap();
        let modules: Vec<&str> = list
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        assert!(modules.len() > 10, "{modules:?}");
        for module in modules {
            assert!(
                main.lines().any(|l| l.trim() == format!("mod {module};")),
                "{module} is listed but is no module of tests/it/main.rs"
            );
            let source = std::fs::read_to_string(format!("{dir}/{module}.rs")).unwrap();
            for word in [
                "TestApp",
                "Store",
                "store::",
                "fresh_database_url",
                "DATABASE_URL",
                "db_url",
            ] {
                assert!(
                    !source.contains(word),
                    "{module} mentions {word}: it may open a store, so it must run on \
                     PostgreSQL too (remove it from store-free-modules.txt)"
                );
            }
        }
    }
}
