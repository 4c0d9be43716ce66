//! What the integration tests share: the running bot against the Telegram emulator
//! (`app`, `fake_telegram`), the Bakong sandbox and client (`bakong`), the SDK's KHQR
//! fixtures (`khqr_fixtures`), payments as the watcher records them (`money`), and QR
//! decoding and image comparison (`render`).

pub mod app;
pub mod bakong;
pub mod db;
pub mod fake_telegram;
pub mod khqr_fixtures;
pub mod money;
pub mod render;
