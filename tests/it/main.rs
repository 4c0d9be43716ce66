//! The integration tests, one binary (one link step) with a module per area; `support/` is
//! what they share. Run one area with `cargo test --test it bot_charge::`, one test by its
//! full name. Tests that need zbar or cjpeg are `#[ignore]`d; `.ci/run` installs the tools
//! and runs them too (`-- --include-ignored`).

// The tests drive the emulator with the plain bot too (teloxide against it, the scene a
// test sets up); the bot under test talks through its flood gate all the same.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

mod support;

mod bakong_client;
mod bakong_sandbox;
mod bakong_sandbox_payments;
mod bot_charge;
mod bot_check;
mod bot_cli;
mod bot_close;
mod bot_close_fixtures;
mod bot_export;
mod bot_flood;
mod bot_history_chart;
mod bot_inline;
mod bot_inline_emulator;
mod bot_inline_privacy;
mod bot_key;
mod bot_language;
mod bot_links;
mod bot_links_poster;
mod bot_links_store;
mod bot_notes;
mod bot_poster;
mod bot_presses;
mod bot_private;
mod bot_renewal;
mod bot_setup;
mod bot_stop;
mod bot_stranger_text;
mod bot_tokens;
mod cli_khqr;
mod demo_browser;
mod demo_browser_inline;
mod demo_money;
mod fake_telegram;
mod i18n_locales;
mod khqr_codec;
mod khqr_conformance;
mod khqr_plain_png;
mod khqr_props;
mod money_e2e;
mod ops_health;
mod ops_logs;
mod ops_metrics;
mod ops_webhook;
mod render_card;
mod render_docs_images;
mod render_khmer;
mod render_rxing;
mod render_status;
mod render_zbar;
mod replicas;
mod replicas_watchers;
mod store_charges;
mod store_leases;
mod store_payments;
mod telegram_flood;
mod watcher_e2e;
mod watcher_late;
mod watcher_round;
mod watcher_sql;
