//! Telegram's flood control met by the bot's flood gate (`src/telegram_pacing`), end to end.

mod flood;
