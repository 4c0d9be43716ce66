//! The users the emulator acts as.

use serde_json::{Value, json};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TgUser {
    /// Telegram user id; also the id of the private chat with the bot.
    pub id: i64,
    /// First name shown by Telegram.
    pub first_name: String,
    /// IETF language tag of the user's Telegram client (`"en"`, `"km"`), if it sent one.
    pub language_code: Option<String>,
}

impl TgUser {
    /// A user without a `language_code`.
    pub fn new(id: i64, first_name: impl Into<String>) -> Self {
        Self {
            id,
            first_name: first_name.into(),
            language_code: None,
        }
    }

    /// A user whose client reports `language_code = "en"`.
    pub fn english(id: i64) -> Self {
        Self::new(id, format!("User{id}")).with_language("en")
    }

    /// A user whose client reports `language_code = "km"`.
    pub fn khmer(id: i64) -> Self {
        Self::new(id, format!("User{id}")).with_language("km")
    }

    /// The same user with `language_code` set.
    pub fn with_language(mut self, code: impl Into<String>) -> Self {
        self.language_code = Some(code.into());
        self
    }

    /// Id of the private chat between this user and the bot (= the user id).
    pub fn chat_id(&self) -> i64 {
        self.id
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut user = json!({ "id": self.id, "is_bot": false, "first_name": self.first_name });
        if let Some(code) = &self.language_code {
            user["language_code"] = json!(code);
        }
        user
    }

    pub(crate) fn chat_json(&self) -> Value {
        json!({ "id": self.id, "type": "private", "first_name": self.first_name })
    }
}

