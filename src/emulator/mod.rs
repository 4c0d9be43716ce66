//! Local emulators of the outside services the bot talks to, for tests, benches and demos.
//!
//! An emulator speaks a service's wire protocol on loopback, keeps its state in memory and
//! lets the caller script what the "other side" does (a user writing, a failure). It is NOT a
//! replacement for the service: it models the subset the bot uses, and knows nothing of the
//! bot itself (the Bakong sandbox, `bakong::sandbox`, is the other emulator of this kind).

pub mod telegram;
