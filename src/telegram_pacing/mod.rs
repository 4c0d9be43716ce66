//! Telegram's limits, for the whole process.
//!
//! - [`gate`]: the [`FloodGate`] every request passes — a `retry_after` from Telegram
//!   pauses all of them until it has passed; messages are paced (one a second per chat, 20 a
//!   minute per group, 25 a second in all).
//! - [`paced`]: [`PacedBot`], the Telegram client the bot's handlers and the watcher's
//!   outbox both use: one method per call the bot makes, each returning teloxide's request
//!   (its setters work) wrapped so that sending it goes through the gate. The plain
//!   `teloxide::Bot` only polls (and registers the webhook); clippy.toml keeps the rest of
//!   the code from naming it.
//!
//! teloxide's own `Throttle` adaptor is not used: it queues only sends (edits and callback
//! answers bypass it), a `retry_after` freezes it only when a send got it, and it keeps time
//! with `std::time::Instant`, which tests cannot pause.

pub mod gate;
pub mod paced;

pub use gate::{ChatKey, FloodGate, Limits, Pace};
pub use paced::{PacedBot, PacedRequest, WaitPolicy};
