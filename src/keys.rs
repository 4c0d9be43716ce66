//! Which key opens this database's Bakong tokens: the key check value stored at
//! first start, the refusal to run with another key, and key rotation.
//!
//! Sits between `store` and its users (`app::App`, `khqr-bot rotate-key`): it knows keys
//! and sealed bytes, the store knows rows.

use std::path::{Path, PathBuf};

use crate::config::KeySource;
use crate::crypto::{CryptoError, KeyError, SecretBox, SecretKey};
use crate::store::{Rotation, Store, StoreError};

/// How many stored tokens are tried on a database without a check value (made before
/// check values existed).
const LEGACY_SAMPLE: i64 = 20;

#[derive(Debug, thiserror::Error)]
pub enum KeyCheckError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    /// The key does not open this database's check value (or, on an older database, any of
    /// its tokens).
    #[error(
        "this is not the key this database's Bakong tokens were sealed with (start with that \
         key; to change keys use `khqr-bot rotate-key`)"
    )]
    WrongKey,
    /// No key in the environment and no key file, but the database already holds tokens
    /// sealed with some key: no new key is made.
    #[error(
        "not set, and the key file {} is missing while the database holds tokens sealed with a key; \
         restore that file or set KHQR_BOT_SECRET_KEY (no new key was made)",
        .0.display()
    )]
    KeyFileMissing(PathBuf),
}

/// Whether `secrets` is this database's key. With a check value stored: it must open it.
/// Without one (a database from before check values): it must open at least one of the
/// stored tokens, if there are any. Returns the stored check value.
pub async fn verify(secrets: &SecretBox, store: &Store) -> Result<Option<Vec<u8>>, KeyCheckError> {
    match store.key_check().await? {
        Some(check) if secrets.matches_key_check(&check) => Ok(Some(check)),
        Some(_) => Err(KeyCheckError::WrongKey),
        None => {
            let tokens = store.some_sealed_tokens(LEGACY_SAMPLE).await?;
            let opens = tokens
                .iter()
                .any(|(id, sealed)| secrets.open(&id.token_aad(), sealed).is_ok());
            if tokens.is_empty() || opens {
                Ok(None)
            } else {
                Err(KeyCheckError::WrongKey)
            }
        }
    }
}

/// The key `khqr-bot run` uses, checked against the database: loads it (creating the key
/// file only for a database that has no check value and no token yet), refuses a key that
/// is not the database's, and stores the check value at first start. Changes nothing when
/// it refuses.
pub async fn unlock(
    source: &KeySource,
    store: &Store,
    now: i64,
) -> Result<SecretKey, KeyCheckError> {
    let key = match source {
        KeySource::Env(key) => key.clone(),
        KeySource::File(path) => match SecretKey::load_file(path)? {
            Some(key) => key,
            None => create_key_file(path, store).await?,
        },
    };
    let secrets = SecretBox::new(&key);
    if verify(&secrets, store).await?.is_none() {
        store_first_check(&secrets, store, now).await?;
    }
    Ok(key)
}

/// Stores `secrets`' check value on a database that had none. If another process (a
/// replica starting at the same moment on a new database) stored its own first, this key
/// must be that one: a second key would seal tokens no other replica can open.
async fn store_first_check(
    secrets: &SecretBox,
    store: &Store,
    now: i64,
) -> Result<(), KeyCheckError> {
    if store
        .init_key_check(&secrets.key_check_value()?, now)
        .await?
    {
        return Ok(());
    }
    match verify(secrets, store).await? {
        Some(_) => Ok(()),
        None => Err(KeyCheckError::WrongKey),
    }
}

async fn create_key_file(path: &Path, store: &Store) -> Result<SecretKey, KeyCheckError> {
    let used = store.key_check().await?.is_some() || !store.some_sealed_tokens(1).await?.is_empty();
    if used {
        return Err(KeyCheckError::KeyFileMissing(path.to_path_buf()));
    }
    let (key, created) = SecretKey::load_or_create_file(path)?;
    if created {
        tracing::warn!(
            path = %path.display(),
            "KHQR_BOT_SECRET_KEY is not set: created a new key file. Back it up with \
             the database: without it the stored Bakong tokens cannot be read"
        );
    }
    Ok(key)
}

/// Re-seals every stored token from `old` to `new` and stores `new`'s check value, in one
/// transaction. `old` must be the database's key (see [`verify`]).
pub async fn rotate(
    store: &Store,
    old: &SecretKey,
    new: &SecretKey,
    now: i64,
) -> Result<Rotation, KeyCheckError> {
    let old = SecretBox::new(old);
    let new = SecretBox::new(new);
    let expected = verify(&old, store).await?;
    let new_check = new.key_check_value()?;
    let rotation = store
        .rotate_key(
            expected.as_deref(),
            &new_check,
            |merchant, sealed| old.reseal(&new, &merchant.token_aad(), sealed).ok(),
            now,
        )
        .await?;
    Ok(rotation)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two replicas start together on a new database, each with its own key: both found no
    /// check value, one stored its check first. The other must be refused, not run with a
    /// key that seals tokens nobody else can open; the same key starting twice is fine.
    #[tokio::test]
    async fn the_key_that_lost_the_first_start_race_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::test_database_url(dir.path()).await;
        let store = Store::open(&url).await.unwrap();
        let winner = SecretBox::new(&SecretKey::generate().unwrap());
        let loser = SecretBox::new(&SecretKey::generate().unwrap());
        // Both verified "no check value yet"; the winner stores first.
        store_first_check(&winner, &store, 100).await.unwrap();
        assert!(matches!(
            store_first_check(&loser, &store, 100).await,
            Err(KeyCheckError::WrongKey)
        ));
        store_first_check(&winner, &store, 100).await.unwrap();
        assert!(verify(&winner, &store).await.unwrap().is_some());
    }
}
