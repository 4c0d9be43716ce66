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
    // The PostgreSQL branch lands with the backend (issue 16 item 1).
    let _ = std::env::var(BACKEND_VAR);
    format!("sqlite://{}", dir.join(file).display())
}
