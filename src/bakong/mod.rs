//! Bakong Open API: a typed async client and a local emulator (the sandbox).
//!
//! The client ([`Client`]) is the only way the bot learns that a KHQR was paid. The
//! [`sandbox`] serves the same endpoints on a local port for tests and for trying the bot
//! without a Bakong account.

pub mod client;
mod envelope;
pub mod error;
pub mod retry;
pub mod sandbox;
pub mod token;
pub mod types;

pub use client::{BASE_URL_ENV, Client, ClientConfig, DEFAULT_BASE_URL, MAX_LIST_LEN};
pub use error::BakongError;
pub use retry::RetryPolicy;
pub use token::{Token, TokenError};
pub use types::{Currency, DecimalAmount, InvalidAmount, Lookup, SourceInfo, Transaction};
