//! Floods, as hostile or careless users make them: many updates queued at once, so the
//! bot's next `getUpdates` receives them together (up to 100 an answer, like Telegram).
//! One user forwarding a pile of messages ([`TelegramEmulator::flood_texts`]), many members
//! of a group sending commands ([`TelegramEmulator::flood_group`]), many distinct users
//! writing at once ([`TelegramEmulator::flood_users`]), one user hammering a button
//! ([`TelegramEmulator::flood_presses`]).

use super::TelegramEmulator;
use super::control::{queue_press, write_text};
use super::user::TgUser;

impl TelegramEmulator {
    /// `user` sends every one of `texts` in their private chat, all queued at once. Returns
    /// the message ids.
    pub fn flood_texts<S: AsRef<str>>(
        &self,
        user: &TgUser,
        texts: impl IntoIterator<Item = S>,
    ) -> Vec<i32> {
        let mut st = self.shared.lock();
        let mut ids = Vec::new();
        for text in texts {
            let (id, message) = write_text(st.chat(user), user, text.as_ref());
            st.push_update("message", message);
            ids.push(id);
        }
        drop(st);
        self.shared.notify_changed();
        ids
    }

    /// Each of `members` writes `text` in the group `group_id` (negative; created on first
    /// use, the bot a member), all queued at once. Returns the message ids.
    ///
    /// # Panics
    /// If `group_id` is not negative.
    pub fn flood_group(&self, group_id: i64, members: &[TgUser], text: &str) -> Vec<i32> {
        assert!(group_id < 0, "group chat ids are negative"); // ok: documented, a caller's bug
        let mut st = self.shared.lock();
        let mut ids = Vec::new();
        for member in members {
            let (id, message) = write_text(st.group_chat(group_id, member), member, text);
            st.push_update("message", message);
            ids.push(id);
        }
        drop(st);
        self.shared.notify_changed();
        ids
    }

    /// Each of `users` writes `text` in their own private chat with the bot, all queued at
    /// once (many distinct senders: fresh accounts, a botnet).
    pub fn flood_users(&self, users: &[TgUser], text: &str) {
        let mut st = self.shared.lock();
        for user in users {
            let (_, message) = write_text(st.chat(user), user, text);
            st.push_update("message", message);
        }
        drop(st);
        self.shared.notify_changed();
    }

    /// `user` presses the button carrying `data` on message `message_id` of their chat
    /// `times` times, all queued at once. Returns the callback query ids, each of which the
    /// bot should answer ([`TelegramEmulator::is_answered`]).
    pub fn flood_presses(
        &self,
        user: &TgUser,
        message_id: i32,
        data: &str,
        times: usize,
    ) -> Vec<String> {
        let mut st = self.shared.lock();
        let ids = (0..times)
            .map(|_| queue_press(&mut st, user, message_id, data))
            .collect();
        drop(st);
        self.shared.notify_changed();
        ids
    }

    /// Whether the bot answered the callback query `id` (`answerCallbackQuery`): the user's
    /// client stopped showing its spinner.
    pub fn is_answered(&self, callback_query_id: &str) -> bool {
        !self
            .shared
            .lock()
            .open_callbacks
            .contains(callback_query_id)
    }
}
