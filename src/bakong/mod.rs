//! Bakong Open API: a typed async client and a local emulator (the sandbox).
//!
//! The client ([`Client`]) is the only way the bot learns that a KHQR was paid. The
//! [`sandbox`] serves the same endpoints on a local port for tests and for trying the bot
//! without a Bakong account.

pub mod client;
pub mod email;
mod envelope;
pub mod error;
pub mod retry;
pub mod sandbox;
pub mod token;
mod token_proof;
pub mod types;

pub use client::{BASE_URL_ENV, Client, ClientConfig, DEFAULT_BASE_URL, MAX_LIST_LEN, Renewal};
pub use email::{EmailError, MAX_EMAIL_CHARS, RegisteredEmail};
pub use error::BakongError;
pub use retry::RetryPolicy;
pub use token::{Token, TokenError, TokenIdentity};
pub use token_proof::{PROBE_MD5, TokenProof};
pub use types::{Currency, DecimalAmount, InvalidAmount, Lookup, SourceInfo, Transaction};
