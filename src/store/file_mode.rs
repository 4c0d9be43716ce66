//! The database files hold payers' accounts and sealed tokens: they are created readable and
//! writable by their owner only (0600), like the key file. SQLite gives the `-wal` and
//! `-shm` files the main file's permissions, so creating the main file 0600 before SQLite
//! opens it covers all three; files left group/world-readable by an older version are
//! tightened to 0600 at open.

use std::path::{Path, PathBuf};

/// The file behind a database, or `None` for an in-memory one.
pub(super) fn database_file(url: &str, filename: &Path) -> Option<PathBuf> {
    let name = filename.to_string_lossy();
    if url.contains("mode=memory") || name == ":memory:" || name.starts_with("file:") {
        return None;
    }
    Some(filename.to_path_buf())
}

/// Creates `db` (empty, mode 0600) if missing, and tightens it and its `-wal` / `-shm`
/// companions to 0600 where they are more open. A file the process cannot change (another
/// owner) is logged and left as it is.
pub(super) fn restrict(db: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(db)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", db.display()));
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            let mode = meta.permissions().mode();
            if mode & 0o077 == 0 {
                continue;
            }
            match std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode & 0o700)) {
                Ok(()) => tracing::info!(
                    path = %path.display(),
                    "database file was readable by others: now readable by its owner only"
                ),
                Err(e) => tracing::warn!(
                    path = %path.display(),
                    error = %e,
                    "database file is readable by others and cannot be changed"
                ),
            }
        }
    }
    #[cfg(not(unix))]
    let _ = db;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;
    use crate::store::Store;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn new_database_files_including_wal_and_shm_are_owner_only() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("bot.db");
        let store = Store::open(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        store
            .ensure_merchant(1, 1, crate::i18n::Lang::En, 1)
            .await
            .unwrap();
        let wal = dir.path().join("bot.db-wal");
        let shm = dir.path().join("bot.db-shm");
        assert!(wal.exists() && shm.exists(), "WAL mode makes both");
        for path in [&db, &wal, &shm] {
            assert_eq!(mode(path), 0o600, "{}", path.display());
        }
        store.close().await;
    }

    #[tokio::test]
    async fn world_readable_files_of_an_older_version_are_tightened() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("old.db");
        let url = format!("sqlite://{}", db.display());
        Store::open(&url).await.unwrap().close().await;
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = Store::open(&url).await.unwrap();
        assert_eq!(mode(&db), 0o600);
        store.close().await;
    }

    #[test]
    fn in_memory_databases_have_no_file() {
        assert_eq!(
            database_file("sqlite::memory:", Path::new(":memory:")),
            None
        );
        assert_eq!(
            database_file("sqlite::memory:", Path::new("file:sqlx-in-memory-1")),
            None
        );
        assert_eq!(
            database_file("sqlite://x.db?mode=memory", Path::new("x.db")),
            None
        );
        assert_eq!(
            database_file("sqlite://x.db", Path::new("x.db")),
            Some(PathBuf::from("x.db"))
        );
    }
}
