//! The integration tests, one binary (one link step) with a folder per layer of `src/` it
//! tests; `support/` is what they share. Run one area with `cargo test --test it bot::`, one
//! module with `cargo test --test it bot::charge::`, one test by its full name. Tests that
//! need zbar or cjpeg are `#[ignore]`d; `.ci/run` installs the tools and runs them too
//! (`-- --include-ignored`).

// The tests drive the emulator with the plain bot too (teloxide against it, the scene a
// test sets up); the bot under test talks through its flood gate all the same.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod support;

// Areas whose tests open no store: `.ci/run` skips them in its PostgreSQL pass, where they
// would run the same code again. `support::db` checks that no module in them opens a store
// and that every module of the other areas opens one.
mod bakong;
mod cli;
mod demo;
mod emulator;
mod i18n;
mod khqr;
mod render;

// Areas whose tests open a store: they run on SQLite, then again on PostgreSQL.
mod app;
mod bot;
mod ops;
mod store;
mod telegram_pacing;
mod watcher;
