//! The seller's reports: `/history` (its chart in `chart.rs`), `/pending`, `/check`,
//! `/export`, and `/close` with the daily closing summary. `period.rs` is the one reading of
//! a period (`/history` and `/export`), `period_words.rs` its title and refusals.

pub(super) mod check;
pub(super) mod close;
pub(super) mod close_summary;
pub(super) mod export;
pub(super) mod history;
pub(super) mod pending;
pub mod period;

mod chart;
mod period_words;
