//! `khqr-bot rotate-key`: re-seals every stored Bakong token under a new secret key, in one
//! transaction, and stores the new key's check value. Run it with the bot stopped, then
//! start the bot with the new key.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use khqr_bot::config::{self, KeySource};
use khqr_bot::crypto::SecretKey;
use khqr_bot::keys::{self, KeyCheckError};
use khqr_bot::store::{Backend, Store};
use khqr_bot::time::{Clock, SystemClock};

/// Where the current key is read from when no flag or variable names it.
const OLD_KEY_ENV: &str = "KHQR_BOT_OLD_SECRET_KEY";
const NEW_KEY_ENV: &str = "KHQR_BOT_NEW_SECRET_KEY";

#[derive(Debug, clap::Args)]
pub struct RotateKeyArgs {
    /// File holding the current key. Default: $KHQR_BOT_OLD_SECRET_KEY, else the key `run`
    /// uses ($KHQR_BOT_SECRET_KEY, else the key file beside the database).
    #[arg(long, value_name = "FILE")]
    old_key_file: Option<PathBuf>,
    /// File holding the new key (64 hex digits or base64); created with a fresh random key,
    /// mode 0600, if it does not exist. Default: $KHQR_BOT_NEW_SECRET_KEY.
    #[arg(long, value_name = "FILE")]
    new_key_file: Option<PathBuf>,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn read_key_file(path: &Path, what: &str) -> anyhow::Result<SecretKey> {
    SecretKey::load_file(path)?
        .with_context(|| format!("{what}: no key file at {}", path.display()))
}

pub fn run(args: RotateKeyArgs) -> anyhow::Result<()> {
    let database_url = config::database_url(&env).map_err(anyhow::Error::msg)?;
    // Where the tokens are, for the messages (a PostgreSQL URL without its password).
    let database = match Backend::of_url(&database_url) {
        Some(Backend::Postgres) => {
            let mut url = reqwest::Url::parse(&database_url).context("DATABASE_URL")?;
            let _ = url.set_password(None);
            url.to_string()
        }
        _ => {
            let db_path = config::sqlite_path(&database_url)
                .map_err(anyhow::Error::msg)?
                .context("DATABASE_URL: an in-memory database has no tokens to re-seal")?;
            if !db_path.exists() {
                bail!("DATABASE_URL: no database at {}", db_path.display());
            }
            db_path.display().to_string()
        }
    };

    let old = match (&args.old_key_file, env(OLD_KEY_ENV)) {
        (Some(path), _) => read_key_file(path, "--old-key-file")?,
        (None, Some(text)) => config::secret_key(OLD_KEY_ENV, &text).map_err(anyhow::Error::msg)?,
        (None, None) => {
            match config::key_source(&env, &database_url).map_err(anyhow::Error::msg)? {
                KeySource::Env(key) => key,
                KeySource::File(path) => read_key_file(&path, "KHQR_BOT_SECRET_KEY (unset)")?,
            }
        }
    };
    let new = match (&args.new_key_file, env(NEW_KEY_ENV)) {
        (Some(path), _) => {
            let (key, created) = SecretKey::load_or_create_file(path)?;
            if created {
                eprintln!("created a new key file {} (mode 0600)", path.display());
            }
            key
        }
        (None, Some(text)) => config::secret_key(NEW_KEY_ENV, &text).map_err(anyhow::Error::msg)?,
        (None, None) => {
            bail!(
                "{NEW_KEY_ENV}: required (or --new-key-file FILE): the key to re-seal the tokens under"
            )
        }
    };
    if old.same_as(&new) {
        bail!("{NEW_KEY_ENV}: the new key is the current key; nothing to do");
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let store = Store::open(&database_url).await?;
        let now = SystemClock.unix_secs();
        let result = keys::rotate(&store, &old, &new, now).await;
        store.close().await;
        let rotation = result.map_err(|e| match e {
            KeyCheckError::WrongKey => anyhow::anyhow!(
                "old key: it is not the key this database's tokens were sealed with; nothing was changed"
            ),
            other => anyhow::Error::new(other),
        })?;
        println!(
            "re-sealed {} Bakong token(s) under the new key in {}",
            rotation.resealed,
            database
        );
        if !rotation.unreadable.is_empty() {
            let ids: Vec<String> = rotation.unreadable.iter().map(|m| m.to_string()).collect();
            println!(
                "{} token(s) could not be opened even with the old key (merchants {}): left as they \
                 were; those sellers will be asked to send /token again",
                ids.len(),
                ids.join(", ")
            );
        }
        println!(
            "now start the bot with the new key (KHQR_BOT_SECRET_KEY, or the key file beside the \
             database); the old key no longer opens this database"
        );
        Ok(())
    })
}
