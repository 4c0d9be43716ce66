//! khqr-bot: take Bakong KHQR payments in Telegram.
//!
//! Layers, each knowing only those below it:
//! `khqr` (pure codec) → `render` (PNGs) → `bakong` (Open API client, sandbox) →
//! `store` (SQL) → `keys` (which key opens the store) → `watcher` (settlement) → `bot`
//! (Telegram); `telegram_pacing` (Telegram's rate limits, one gate for the process) sits
//! beside them, used by `bot`; `time` (Phnom Penh dates, the one injectable clock) sits at
//! the bottom beside `khqr`, used by all; so does `metrics` (the process's counters, plain
//! atomics), recorded into by `bakong`, `watcher` and `bot`. `emulator` (a local Telegram Bot API for tests and
//! demos) knows none of them. `demo` sits on top of everything: the real bot against the two
//! emulators (Telegram, Bakong sandbox), and a page to chat and pay. `ops` (webhook
//! listener, `/healthz`, `/metrics`) sits on `store` and `metrics`. `app` sits above `bot`,
//! `watcher` and `ops`: it wires them from a `Config` and owns every part's lifetime (one
//! cancellation tree); `cli` and `demo` run it.

pub mod app;
pub mod bakong;
pub mod bot;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod emulator;
pub mod i18n;
pub mod keys;
pub mod khqr;
pub mod metrics;
pub mod ops;
pub mod render;
pub mod store;
pub mod telegram_pacing;
pub mod time;
pub mod watcher;
