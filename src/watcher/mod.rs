//! Payment watcher: polls Bakong for pending charges and settles each exactly once.
//!
//! - [`decide`]: the settlement rules (pure).
//! - [`backoff`]: per-merchant gates (401 suspension, back-off for per-token trouble).
//! - [`circuit`]: the circuit shared by all merchants, for server-wide trouble.
//! - [`endpoint`]: batch or per-md5 polling (the list endpoint may be closed);
//!   [`per_md5`]: the per-md5 round, paced by [`pacer`].
//! - [`ports`]: the Bakong port ([`ports::Lookups`]) and the watcher's own types around
//!   its store (a merchant's due charges with the opened token, the settlement to commit);
//!   the charges themselves are the store's `DueCharge`s.
//! - [`round`]: one polling round and "Check now", over [`sql::SqlWatcherStore`] and a
//!   [`ports::Lookups`].
//! - [`outbox`]: delivering the store's queued Telegram follow-ups until accepted, through
//!   the Telegram port ([`outbox::Deliver`]).
//! - [`schedule`]: when each charge is asked about next (young charges often; pure).
//! - [`scheduler`]: the polling loop (a 1 s tick) and the outbox loop.
//! - [`reminders`]: when to remind a merchant that their token expires (pure).
//! - [`renewal`]: when to renew a token by itself and what Bakong's answers mean (pure);
//!   [`renewer`]: the renewal passes over the SQL store and the Bakong client.
//! - [`sql`]: the watcher's store (the SQL store with the token key; the guarded
//!   settlement is its SQL); [`bakong_lookups`]: [`ports::Lookups`] over the Bakong client.
//! - [`types`]: identifiers, time and the lookup vocabulary.
//!
//! The Telegram side (editing the message, notices, `/history`…) is in `bot::followups`,
//! `bot::watching` and `bot::reports`.

pub mod backoff;
pub mod bakong_lookups;
pub mod circuit;
pub mod decide;
pub mod endpoint;
pub mod lease;
pub mod outbox;
pub mod pacer;
pub mod per_md5;
pub mod ports;
pub mod reminders;
pub mod renewal;
pub mod renewer;
pub mod round;
pub mod schedule;
pub mod scheduler;
pub mod sql;
pub mod types;

pub use round::{
    CheckNow, DEFAULT_MAX_RPS, MAX_MD5_PER_REQUEST, RoundReport, SettledAs, Watcher, WatcherConfig,
};
