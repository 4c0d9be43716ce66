//! Payment watcher: polls Bakong for pending charges and settles each exactly once.
//!
//! - [`decide`]: the settlement rules (pure).
//! - [`types`]: identifiers, time and the lookup vocabulary.

pub mod decide;
pub mod types;
