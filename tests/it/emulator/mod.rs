//! The Telegram Bot API emulator (`src/emulator`) against real teloxide: the rules a bot can trip
//! over.

mod inline;
mod telegram;
