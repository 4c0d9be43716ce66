//! The Telegram Bot API emulator (`khqr_bot::emulator::telegram`) as the tests use it:
//! [`FakeTelegram::start`] starts one on `127.0.0.1:<free port>` and derefs to it.

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Deref;

pub use khqr_bot::emulator::telegram::*;

/// A [`TelegramEmulator`] on a free loopback port, for one test.
pub struct FakeTelegram(TelegramEmulator);

impl FakeTelegram {
    /// Starts the emulator on `127.0.0.1:0`; panics if it cannot bind (a broken machine).
    pub async fn start() -> FakeTelegram {
        let emulator = TelegramEmulator::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
            .await
            .expect("telegram emulator: bind 127.0.0.1:0");
        FakeTelegram(emulator)
    }
}

impl Deref for FakeTelegram {
    type Target = TelegramEmulator;

    fn deref(&self) -> &TelegramEmulator {
        &self.0
    }
}
