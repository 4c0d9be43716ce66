//! The demo (`khqr-bot demo`, `src/demo`) through its HTTP API and in headless Chromium; it runs on
//! a SQLite file of its own.

mod browser;
mod browser_inline;
mod money;
