//! The chat features (`src/bot`), each end to end: the real bot against the Telegram emulator and
//! the Bakong sandbox.

mod charge;
mod check;
mod close;
mod close_fixtures;
mod export;
mod flood;
mod history_chart;
mod inline;
mod inline_privacy;
mod key;
mod language;
mod links;
mod notes;
mod poster;
mod presses;
mod private;
mod renewal;
mod setup;
mod stranger_text;
mod tokens;
