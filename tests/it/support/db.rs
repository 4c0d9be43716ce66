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
    use std::path::{Path, PathBuf};

    /// What a test that opens a store mentions: the running bot, the store, a database URL.
    const OPENS_A_STORE: [&str; 6] = [
        "TestApp",
        "Store",
        "store::",
        "fresh_database_url",
        "DATABASE_URL",
        "db_url",
    ];

    /// The areas `main.rs` declares under `comment`: its `mod` lines up to the next blank line.
    fn areas_under(main: &str, comment: &str) -> Vec<String> {
        let mut lines = main.lines().skip_while(|l| !l.starts_with(comment));
        assert!(lines.next().is_some(), "main.rs has no line {comment:?}");
        lines
            .skip_while(|l| l.starts_with("//"))
            .take_while(|l| !l.trim().is_empty())
            .map(|l| {
                l.strip_prefix("mod ")
                    .and_then(|l| l.strip_suffix(';'))
                    .unwrap_or_else(|| panic!("{l:?} under {comment:?} is no `mod area;`"))
                    .to_owned()
            })
            .collect()
    }

    /// Every `.rs` file under `dir`, with its module path (`bot::charge`) and the paths of
    /// the inline modules it holds (`bot::charge::tests`).
    fn modules(dir: &Path, path: &str, out: &mut Vec<(PathBuf, Vec<String>)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
        entries.sort_by_key(|e| e.path());
        for entry in entries {
            let file = entry.path();
            let name = file.file_stem().unwrap().to_str().unwrap().to_owned();
            if file.is_dir() {
                modules(&file, &format!("{path}::{name}"), out);
                continue;
            }
            let module = match name.as_str() {
                "mod" => path.to_owned(),
                _ => format!("{path}::{name}"),
            };
            let source = std::fs::read_to_string(&file).unwrap();
            let mut paths = vec![module.clone()];
            for line in source.lines() {
                let line = line.trim_start().trim_start_matches("pub ");
                if let Some(inner) = line.strip_prefix("mod ").and_then(|l| l.strip_suffix(" {")) {
                    paths.push(format!("{module}::{inner}"));
                }
            }
            out.push((file, paths));
        }
    }

    /// The PostgreSQL pass of `.ci/run` skips the areas `main.rs` declares as opening no
    /// store (`--skip khqr::`, …). So: no module of those opens a store (it would never run
    /// on PostgreSQL), every module of the other areas opens one (a store-free module there
    /// would run the same code twice), every folder is an area, and no module elsewhere has
    /// a path a skip would catch too (libtest's filters match anywhere in a test's name).
    #[test]
    fn store_free_areas_open_no_store_and_the_others_do() {
        let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it"));
        let main = std::fs::read_to_string(dir.join("main.rs")).unwrap();
        let free = areas_under(&main, "// Areas whose tests open no store");
        let stored = areas_under(&main, "// Areas whose tests open a store");
        assert!(free.len() >= 5 && stored.len() >= 5, "{free:?} {stored:?}");
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let name = entry.file_name().into_string().unwrap();
            if entry.path().is_dir() && name != "support" {
                assert!(
                    free.contains(&name) || stored.contains(&name),
                    "tests/it/{name}/ is no area of main.rs: its tests never run"
                );
            }
        }
        for (area, opens) in free
            .iter()
            .map(|a| (a, false))
            .chain(stored.iter().map(|a| (a, true)))
        {
            let mut files = Vec::new();
            modules(&dir.join(area), area, &mut files);
            assert!(files.len() > 1, "tests/it/{area}/ holds no test module");
            for (file, paths) in files {
                let source = std::fs::read_to_string(&file).unwrap();
                let shown = file.strip_prefix(dir).unwrap().display();
                let words: Vec<_> = OPENS_A_STORE
                    .into_iter()
                    .filter(|w| source.contains(w))
                    .collect();
                if !opens {
                    assert!(
                        words.is_empty(),
                        "tests/it/{shown} mentions {words:?}: it may open a store, so it must \
                         run on PostgreSQL too (move it to an area that opens one)"
                    );
                } else if !file.ends_with("mod.rs") {
                    assert!(
                        !words.is_empty(),
                        "tests/it/{shown} opens no store (none of {OPENS_A_STORE:?}): move it \
                         to an area whose tests open none, or PostgreSQL runs it twice"
                    );
                }
                for path in paths.iter().filter(|_| opens) {
                    let path = format!("{path}::");
                    for skipped in &free {
                        assert!(
                            !path.contains(&format!("{skipped}::")),
                            "{path} would be skipped on PostgreSQL by `--skip {skipped}::`: \
                             rename it"
                        );
                    }
                }
            }
        }
    }
}
