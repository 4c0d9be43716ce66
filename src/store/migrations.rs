//! The migrations of each backend, embedded in the binary: `migrations/` for SQLite,
//! `migrations-postgres/` for PostgreSQL (sqlx's `migrate!` macro would embed them too, but it
//! needs sqlx-macros, which builds sqlx and SQLite a second time for the host). Versions and
//! descriptions are the file names', the checksums sqlx's own (SHA-384 of the text), so a
//! database migrated by an older build validates unchanged. A test checks these lists against
//! the directories.
//!
//! PostgreSQL starts at `20261201000800_schema.sql`, the SQLite schema of that version in
//! PostgreSQL's words; from then on every migration is written twice, with the same version.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};

use super::Backend;

/// `(version, name)` → an embedded migration read at compile time from `$dir`.
macro_rules! embedded {
    ($dir:literal: $(($version:literal, $name:literal)),* $(,)?) => {
        &[$((
            $version,
            $name,
            include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/", $dir, "/", stringify!($version), "_", $name, ".sql")),
        )),*]
    };
}

type Embedded = &'static [(i64, &'static str, &'static str)];

const SQLITE: Embedded = embedded!("migrations":
    (20260101000001, "init"),
    (20261201000200, "late_watch_mismatch_paid_at"),
    (20261201000300, "key_check"),
    (20261201000400, "token_renewals"),
    (20261201000500, "inline_cards"),
    (20261201000600, "discarded_drafts"),
    (20261201000700, "close_summaries"),
    (20261201000800, "pay_links"),
    (20261201000900, "leases"),
    (20261207000100, "payments_ledger"),
    (20261207000200, "link_limits"),
    (20261207000300, "token_acceptance_and_quotas"),
    (20261207000400, "seen_updates"),
);

const POSTGRES: Embedded = embedded!("migrations-postgres":
    (20261201000800, "schema"),
    (20261201000900, "leases"),
    (20261207000100, "payments_ledger"),
    (20261207000200, "link_limits"),
    (20261207000300, "token_acceptance_and_quotas"),
    (20261207000400, "seen_updates"),
);

/// The migrator of `backend`'s migrations (sqlx's defaults: each in a transaction unless it
/// starts with `-- no-transaction`; on PostgreSQL an advisory lock keeps two replicas that
/// start together from migrating at once).
pub fn migrator(backend: Backend) -> Migrator {
    let files = match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let migrations = files
        .iter()
        .map(|&(version, name, sql)| {
            Migration::new(
                version,
                Cow::Owned(name.replace('_', " ")),
                MigrationType::Simple,
                sqlx::SqlStr::from_static(sql),
                sql.starts_with("-- no-transaction"),
            )
        })
        .collect::<Vec<_>>();
    Migrator {
        migrations: Cow::Owned(migrations),
        ..Migrator::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on_disk(dir: &str) -> Vec<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        let mut names: Vec<String> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        names.sort();
        names
    }

    fn listed(files: Embedded) -> Vec<String> {
        files
            .iter()
            .map(|(v, n, _)| format!("{v}_{n}.sql"))
            .collect()
    }

    /// A migration file nobody listed here would never run.
    #[test]
    fn every_migration_file_is_embedded_in_order() {
        assert_eq!(listed(SQLITE), on_disk("migrations"));
        assert_eq!(listed(POSTGRES), on_disk("migrations-postgres"));
    }

    /// The checksum a database migrated by an older build (sqlx's `migrate!`) holds for the
    /// first migration — read from such a database's `_sqlx_migrations` — is what
    /// `Migration::new` computes now, so existing databases validate.
    #[test]
    fn checksums_match_what_older_builds_stored() {
        let m = migrator(Backend::Sqlite);
        let first = &m.migrations[0];
        let hex: String = first.checksum.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(
            hex,
            "00A2344C3D45A2CE6156CBD82B42FA3DB1E49D4F79D16B3A0FEDCF8217B63A855E0C952104135D308BF5E09BD5D52BCF"
        );
        assert_eq!(first.description, "init");
        assert!(!first.no_tx);
        assert!(
            m.migrations[5].no_tx,
            "0600 rebuilds charges outside a transaction"
        );
        assert!(
            m.migrations[9].no_tx,
            "the payments ledger rebuilds charges outside a transaction"
        );
    }
}
