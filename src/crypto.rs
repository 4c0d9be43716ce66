//! Encryption at rest for merchants' Bakong tokens.
//!
//! XChaCha20-Poly1305 with a fresh random 192-bit nonce per write and the owner's id as
//! associated data, so a blob copied onto another row does not decrypt. A sealed blob is
//! `version (1 byte) ‖ nonce (24 bytes) ‖ ciphertext ‖ tag (16 bytes)`.

use std::fmt;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};

/// Format version of a sealed blob.
const VERSION: u8 = 1;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Length of a secret key in bytes.
pub const KEY_LEN: usize = 32;
/// Associated data and plaintext of the key check value (never used for anything else).
const KEY_CHECK_AAD: &[u8] = b"khqr-bot:key-check";
const KEY_CHECK_TEXT: &[u8] = b"khqr-bot secret key check, version 1";

type XNonce = chacha20poly1305::XNonce;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("must be 32 bytes written as 64 hex digits or base64")]
    Malformed,
    #[error("key file {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("key file {path} does not hold a valid key (32 bytes, hex or base64)")]
    BadFile { path: String },
    #[error("the system random number generator failed")]
    Rng,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("sealed value is truncated or has an unknown format version")]
    Format,
    /// Wrong key, wrong owner (associated data) or tampered data.
    #[error("sealed value does not authenticate (wrong key or tampered)")]
    Auth,
    #[error("the system random number generator failed")]
    Rng,
}

/// A 32-byte secret key. Its `Debug` prints no key material.
#[derive(Clone)]
pub struct SecretKey([u8; KEY_LEN]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl SecretKey {
    /// Parses 64 hex digits or base64 (standard or URL-safe, padded or not) of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let text = text.trim();
        let bytes = if text.len() == 2 * KEY_LEN && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            decode_hex(text).ok_or(KeyError::Malformed)?
        } else {
            let engines = [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::STANDARD_NO_PAD,
                base64::engine::general_purpose::URL_SAFE,
                base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ];
            engines
                .iter()
                .find_map(|e| e.decode(text).ok())
                .ok_or(KeyError::Malformed)?
        };
        let key: [u8; KEY_LEN] = bytes.try_into().map_err(|_| KeyError::Malformed)?;
        Ok(Self(key))
    }

    /// A fresh random key from the operating system's generator.
    pub fn generate() -> Result<Self, KeyError> {
        let key = chacha20poly1305::Key::try_generate().map_err(|_| KeyError::Rng)?;
        let mut out = [0u8; KEY_LEN];
        out.copy_from_slice(key.as_slice());
        Ok(Self(out))
    }

    /// Whether both are the same key (without showing either).
    pub fn same_as(&self, other: &SecretKey) -> bool {
        self.0 == other.0
    }

    fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Reads the key file at `path`; `Ok(None)` when there is no such file.
    pub fn load_file(path: &Path) -> Result<Option<Self>, KeyError> {
        let shown = path.display().to_string();
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text)
                .map(Some)
                .map_err(|_| KeyError::BadFile { path: shown }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(KeyError::Io {
                path: shown,
                source,
            }),
        }
    }

    /// Reads the key file at `path`, or creates it (mode 0600, never overwriting) with a new
    /// random key. Returns the key and whether the file was created now.
    pub fn load_or_create_file(path: &Path) -> Result<(Self, bool), KeyError> {
        if let Some(key) = Self::load_file(path)? {
            return Ok((key, false));
        }
        let shown = path.display().to_string();
        let io = |source| KeyError::Io {
            path: shown.clone(),
            source,
        };
        let key = Self::generate()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(format!("{}\n", key.to_hex()).as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(io)?;
                Ok((key, true))
            }
            // Another process created it between our read and our create: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let text = std::fs::read_to_string(path).map_err(io)?;
                let key = Self::parse(&text).map_err(|_| KeyError::BadFile {
                    path: shown.clone(),
                })?;
                Ok((key, false))
            }
            Err(e) => Err(io(e)),
        }
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.as_bytes();
    digits
        .chunks(2)
        .map(|pair| {
            let hi = *pair.first()?;
            let lo = *pair.get(1)?;
            let v = |c: u8| (c as char).to_digit(16);
            Some((v(hi)? * 16 + v(lo)?) as u8)
        })
        .collect()
}

/// Seals and opens small secrets with one [`SecretKey`].
#[derive(Clone)]
pub struct SecretBox {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretBox(<redacted>)")
    }
}

impl SecretBox {
    pub fn new(key: &SecretKey) -> Self {
        let key = chacha20poly1305::Key::from(key.0);
        Self {
            cipher: XChaCha20Poly1305::new(&key),
        }
    }

    /// Encrypts `plaintext` bound to `aad` (the owner's id) under a fresh random nonce.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = XNonce::try_generate().map_err(|_| CryptoError::Rng)?;
        let ct = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| CryptoError::Auth)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(VERSION);
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// A key check value: a fixed text sealed under this key. Stored once per database, it
    /// tells at start-up whether the configured key is the one the tokens were sealed with,
    /// without storing anything the key could be derived from.
    pub fn key_check_value(&self) -> Result<Vec<u8>, CryptoError> {
        self.seal(KEY_CHECK_AAD, KEY_CHECK_TEXT)
    }

    /// Whether `check` (from [`SecretBox::key_check_value`]) was made with this key.
    pub fn matches_key_check(&self, check: &[u8]) -> bool {
        self.open(KEY_CHECK_AAD, check)
            .is_ok_and(|text| text == KEY_CHECK_TEXT)
    }

    /// Opens `sealed` (bound to `aad`) with this key and seals it again under `new`.
    pub fn reseal(
        &self,
        new: &SecretBox,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let plain = self.open(aad, sealed)?;
        new.seal(aad, &plain)
    }

    /// Decrypts a blob made by [`SecretBox::seal`] with the same key and `aad`.
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (&version, rest) = sealed.split_first().ok_or(CryptoError::Format)?;
        if version != VERSION || rest.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Format);
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| CryptoError::Format)?;
        self.cipher
            .decrypt(&nonce, Payload { msg: ct, aad })
            .map_err(|_| CryptoError::Auth)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed() -> SecretBox {
        SecretBox::new(&SecretKey::parse(&"11".repeat(32)).unwrap())
    }

    #[test]
    fn round_trip_with_matching_aad() {
        let b = boxed();
        let sealed = b.seal(b"merchant:7", b"eyJhbGciOi.token").unwrap();
        assert_eq!(sealed[0], VERSION);
        assert_eq!(sealed.len(), 1 + NONCE_LEN + 16 + TAG_LEN);
        assert_eq!(b.open(b"merchant:7", &sealed).unwrap(), b"eyJhbGciOi.token");
    }

    #[test]
    fn fresh_nonce_per_seal() {
        let b = boxed();
        let one = b.seal(b"m", b"same").unwrap();
        let two = b.seal(b"m", b"same").unwrap();
        assert_ne!(one[1..1 + NONCE_LEN], two[1..1 + NONCE_LEN]);
        assert_ne!(one, two);
    }

    #[test]
    fn wrong_aad_key_or_tampering_is_rejected() {
        let b = boxed();
        let sealed = b.seal(b"merchant:7", b"secret").unwrap();
        assert_eq!(b.open(b"merchant:8", &sealed), Err(CryptoError::Auth));
        let other = SecretBox::new(&SecretKey::parse(&"22".repeat(32)).unwrap());
        assert_eq!(other.open(b"merchant:7", &sealed), Err(CryptoError::Auth));
        let mut bad = sealed.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(b.open(b"merchant:7", &bad), Err(CryptoError::Auth));
        assert_eq!(
            b.open(b"merchant:7", &sealed[..20]),
            Err(CryptoError::Format)
        );
        let mut v2 = sealed;
        v2[0] = 2;
        assert_eq!(b.open(b"merchant:7", &v2), Err(CryptoError::Format));
    }

    #[test]
    fn key_check_value_opens_only_with_the_same_key() {
        let b = boxed();
        let check = b.key_check_value().unwrap();
        assert!(b.matches_key_check(&check));
        assert!(
            !contains(&check, KEY_CHECK_TEXT),
            "the check value is sealed"
        );
        let other = SecretBox::new(&SecretKey::parse(&"22".repeat(32)).unwrap());
        assert!(!other.matches_key_check(&check));
        // A token sealed with the same key is not a check value (different AAD and text).
        let token = b.seal(b"merchant:1", KEY_CHECK_TEXT).unwrap();
        assert!(!b.matches_key_check(&token));
        assert!(!b.matches_key_check(b"garbage"));
    }

    #[test]
    fn reseal_moves_a_secret_to_the_new_key_with_the_same_aad() {
        let old = boxed();
        let new = SecretBox::new(&SecretKey::parse(&"33".repeat(32)).unwrap());
        let sealed = old.seal(b"merchant:7", b"tok").unwrap();
        let moved = old.reseal(&new, b"merchant:7", &sealed).unwrap();
        assert_eq!(new.open(b"merchant:7", &moved).unwrap(), b"tok");
        assert_eq!(old.open(b"merchant:7", &moved), Err(CryptoError::Auth));
        assert_eq!(
            new.reseal(&old, b"merchant:7", &sealed),
            Err(CryptoError::Auth),
            "the wrong old key opens nothing"
        );
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn key_parses_hex_and_base64_only_at_32_bytes() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";
        let k = SecretKey::parse(hex).unwrap();
        assert_eq!(k.0[1], 0x11);
        assert_eq!(k.0[31], 0xff);
        let b64 = base64::engine::general_purpose::STANDARD.encode(k.0);
        assert_eq!(SecretKey::parse(&b64).unwrap().0, k.0);
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(k.0);
        assert_eq!(SecretKey::parse(&url).unwrap().0, k.0);
        assert!(SecretKey::parse("abcd").is_err());
        assert!(SecretKey::parse(&"zz".repeat(32)).is_err());
        let short = base64::engine::general_purpose::STANDARD.encode([1u8; 31]);
        assert!(SecretKey::parse(&short).is_err());
    }

    #[test]
    fn debug_never_shows_key_material() {
        let k = SecretKey::parse(&"ab".repeat(32)).unwrap();
        assert!(!format!("{k:?}").contains("ab"));
        assert!(!format!("{:?}", SecretBox::new(&k)).contains("ab"));
    }

    #[test]
    fn key_file_is_created_once_with_mode_0600() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("khqr-bot.key");
        let (k1, created) = SecretKey::load_or_create_file(&path).unwrap();
        assert!(created);
        let (k2, created) = SecretKey::load_or_create_file(&path).unwrap();
        assert!(!created);
        assert_eq!(k1.0, k2.0);
        assert_eq!(SecretKey::load_file(&path).unwrap().unwrap().0, k1.0);
        assert!(
            SecretKey::load_file(&dir.path().join("missing.key"))
                .unwrap()
                .is_none()
        );
        assert!(
            !dir.path().join("missing.key").exists(),
            "load_file creates nothing"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::write(&path, "garbage").unwrap();
        assert!(matches!(
            SecretKey::load_or_create_file(&path),
            Err(KeyError::BadFile { .. })
        ));
    }
}
