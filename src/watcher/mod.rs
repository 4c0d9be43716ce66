//! Payment watcher: polls Bakong for pending charges and settles each exactly once.
//!
//! - [`decide`]: the settlement rules (pure).
//! - [`backoff`]: per-merchant gates (401 suspension, exponential back-off).
//! - [`types`]: identifiers, time and the lookup vocabulary.

pub mod backoff;
pub mod decide;
pub mod types;
