//! What the integration tests share: the running bot against the Telegram emulator
//! (`app`, `fake_telegram`), the Bakong sandbox and client (`bakong`), the SDK's KHQR
//! fixtures (`khqr_fixtures`), payments as the watcher records them (`money`), QR
//! decoding and image comparison (`render`), the steps end-to-end tests repeat on a running
//! bot (`steps`), a webhook's secret and a free port (`webhook`), and the database a test
//! runs on (`db`).

pub mod app;
pub mod bakong;
pub mod db;
pub mod fake_telegram;
pub mod khqr_fixtures;
pub mod money;
pub mod render;
pub mod steps;
pub mod webhook;
