//! Inline mode, as a person uses it: a user types `@bot …` in some chat
//! ([`TelegramEmulator::send_inline_query`], an `inline_query` update), the bot answers
//! (`answerInlineQuery`, read back with [`TelegramEmulator::inline_answer`]), and the user
//! picks a result ([`TelegramEmulator::choose_inline_result`]): the message appears in that
//! chat, sent by the user "via" the bot. Telegram's rules:
//! - a result with an inline keyboard gets an `inline_message_id`; one without has none
//!   and can never be edited;
//! - `chosen_inline_result` reaches the bot only with inline feedback on (BotFather's
//!   `/setinlinefeedback`, [`TelegramEmulator::set_inline_feedback`]);
//! - the bot edits such a message only by `inline_message_id` (the answer is `true`, not a
//!   message) and cannot upload a file there: media by `file_id` only;
//! - a button pressed on it is a `callback_query` with `inline_message_id` and no `message`
//!   ([`TelegramEmulator::press_inline_button`]).

use serde_json::{Value, json};

use super::TelegramEmulator;
use super::calls::WaitTimeout;
use super::chat::ChatMessage;
use super::files::photo_sizes;
use super::methods::bot_user_json;
use super::state::{ChatState, InlineQueryState, StoredMessage};
use super::user::TgUser;
use super::values::{inline_buttons, now_unix};

/// The bot's answer to an inline query (`answerInlineQuery`), as the user's client shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineAnswer {
    pub results: Vec<InlineResult>,
    /// The button above the results (`InlineQueryResultsButton`), if any.
    pub button: Option<InlineButton>,
    /// `is_personal`: the answer is cached for this user only.
    pub is_personal: bool,
    /// `cache_time` in seconds, if the bot set one.
    pub cache_time: Option<i64>,
}

/// One result of an [`InlineAnswer`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineResult {
    pub id: String,
    /// `photo` or `article`.
    pub kind: String,
    pub title: Option<String>,
    pub description: Option<String>,
    /// For a cached photo.
    pub photo_file_id: Option<String>,
    pub caption: Option<String>,
    /// For an article: the text sent when it is chosen.
    pub message_text: Option<String>,
    /// Inline keyboard, rows of `(text, callback_data)`.
    pub buttons: Vec<Vec<(String, String)>>,
}

/// The button above inline results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineButton {
    pub text: String,
    /// Deep-link parameter: pressing it opens the private chat with `/start <parameter>`.
    pub start_parameter: Option<String>,
}

/// Where a chosen inline result went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChosenInline {
    pub chat_id: i64,
    pub message_id: i32,
    /// Only for a result with an inline keyboard (Telegram's rule).
    pub inline_message_id: Option<String>,
}

impl InlineAnswer {
    fn from_params(params: &Value) -> Self {
        let results = params
            .get("results")
            .and_then(Value::as_array)
            .map(|rs| rs.iter().map(InlineResult::from_json).collect())
            .unwrap_or_default();
        let button = params.get("button").map(|b| InlineButton {
            text: str_of(b, "text").unwrap_or_default(),
            start_parameter: str_of(b, "start_parameter"),
        });
        Self {
            results,
            button,
            is_personal: params
                .get("is_personal")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            cache_time: params.get("cache_time").and_then(Value::as_i64),
        }
    }
}

impl InlineResult {
    fn from_json(r: &Value) -> Self {
        Self {
            id: str_of(r, "id").unwrap_or_default(),
            kind: str_of(r, "type").unwrap_or_default(),
            title: str_of(r, "title"),
            description: str_of(r, "description"),
            photo_file_id: str_of(r, "photo_file_id"),
            caption: str_of(r, "caption"),
            message_text: r
                .get("input_message_content")
                .and_then(|c| str_of(c, "message_text")),
            buttons: inline_buttons(r.get("reply_markup")),
        }
    }
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl TelegramEmulator {
    /// Switches the bot's inline mode (BotFather `/setinline`), reported by `getMe` as
    /// `supports_inline_queries`. On by default.
    pub fn set_inline_mode(&self, on: bool) {
        self.shared.lock().inline_mode = on;
    }

    /// Switches inline feedback (BotFather `/setinlinefeedback`): without it
    /// [`TelegramEmulator::choose_inline_result`] sends no `chosen_inline_result`. On by
    /// default.
    pub fn set_inline_feedback(&self, on: bool) {
        self.shared.lock().inline_feedback = on;
    }

    /// Queues an `inline_query` update: `user` typed `@bot <query>` in a chat of type
    /// `chat_type` (`sender` for their chat with the bot, `private`, `group`, `supergroup`).
    /// Returns the query id, which the bot answers once.
    pub fn send_inline_query(&self, user: &TgUser, query: &str, chat_type: &str) -> String {
        let mut st = self.shared.lock();
        let id = format!("fake-iq-{}", st.next_inline);
        st.next_inline += 1;
        st.inline_queries.insert(
            id.clone(),
            InlineQueryState {
                user: user.clone(),
                query: query.to_owned(),
                answer: None,
            },
        );
        let update = json!({
            "id": id,
            "from": user.to_json(),
            "query": query,
            "offset": "",
            "chat_type": chat_type,
        });
        st.push_update("inline_query", update);
        drop(st);
        self.shared.notify_changed();
        id
    }

    /// The bot's answer to inline query `query_id`, once it came.
    pub fn inline_answer(&self, query_id: &str) -> Option<InlineAnswer> {
        let st = self.shared.lock();
        let answer = st.inline_queries.get(query_id)?.answer.as_ref()?;
        Some(InlineAnswer::from_params(answer))
    }

    /// Waits for the bot's answer to `query_id`.
    pub async fn wait_inline_answer(
        &self,
        query_id: &str,
        timeout: std::time::Duration,
    ) -> Result<InlineAnswer, WaitTimeout> {
        self.wait_for(
            "answerInlineQuery",
            |c| c.succeeded() && c.str_param("inline_query_id") == Some(query_id),
            timeout,
        )
        .await?;
        Ok(self.inline_answer(query_id).expect("answer recorded")) // ok: recorded before the call that carried it succeeded
    }

    /// `user` picks result `result_id` of their answered inline query `query_id` in chat
    /// `chat_id` (any id the bot is not otherwise using: a customer's chat, a group; it is
    /// created on first use). The message appears there, from `user` via the bot; with an
    /// inline keyboard it gets an `inline_message_id`, and with inline feedback on the bot
    /// gets a `chosen_inline_result`. Fails (with the reason) for an unknown, unanswered or
    /// someone else's query, or a result that is not in the answer.
    pub fn choose_inline_result(
        &self,
        user: &TgUser,
        query_id: &str,
        result_id: &str,
        chat_id: i64,
    ) -> Result<ChosenInline, String> {
        let mut st = self.shared.lock();
        let Some(query) = st.inline_queries.get(query_id) else {
            return Err(format!("no inline query {query_id}"));
        };
        if query.user.id != user.id {
            return Err(format!("inline query {query_id} is another user's"));
        }
        let Some(answer) = &query.answer else {
            return Err(format!("inline query {query_id} was not answered"));
        };
        let Some(result) = answer
            .get("results")
            .and_then(Value::as_array)
            .and_then(|rs| {
                rs.iter()
                    .find(|r| r.get("id").and_then(Value::as_str) == Some(result_id))
            })
            .cloned()
        else {
            return Err(format!("result {result_id} is not in the answer"));
        };
        let query_text = query.query.clone();
        let markup = result
            .get("reply_markup")
            .filter(|m| !inline_buttons(Some(m)).iter().all(Vec::is_empty))
            .cloned();
        let photo = match result.get("photo_file_id").and_then(Value::as_str) {
            Some(file_id) => {
                let bytes = st.files.get(file_id).cloned().unwrap_or_default();
                Some((file_id.to_owned(), bytes))
            }
            None => None,
        };
        let inline_message_id = markup.as_ref().map(|_| {
            let id = format!("fake-inline-msg-{}", st.next_inline);
            id
        });
        st.next_inline += 1;
        let chat = st.chats.entry(chat_id).or_insert_with(|| ChatState {
            id: chat_id,
            user: user.clone(),
            group_title: Some(format!("Chat {chat_id}")),
            last_message_id: 0,
            messages: Default::default(),
        });
        let message_id = chat.next_message_id();
        let mut message = json!({
            "message_id": message_id,
            "date": now_unix(),
            "chat": chat.chat_json(),
            "from": user.to_json(),
            "via_bot": bot_user_json(),
        });
        match &photo {
            Some((file_id, bytes)) => {
                message["photo"] = photo_sizes(file_id, bytes);
                if let Some(caption) = result.get("caption").filter(|c| c.is_string()) {
                    message["caption"] = caption.clone();
                }
            }
            None => {
                let text = result
                    .get("input_message_content")
                    .and_then(|c| c.get("message_text"))
                    .cloned()
                    .unwrap_or_else(|| json!(""));
                message["text"] = text;
            }
        }
        if let Some(markup) = &markup {
            message["reply_markup"] = markup.clone();
        }
        chat.messages.insert(
            message_id,
            StoredMessage {
                json: message,
                from_bot: false,
                photo_file_id: photo.map(|(file_id, _)| file_id),
                inline_message_id: inline_message_id.clone(),
            },
        );
        if let Some(id) = &inline_message_id {
            st.inline_messages.insert(id.clone(), (chat_id, message_id));
        }
        if st.inline_feedback {
            let mut chosen = json!({
                "result_id": result_id,
                "from": user.to_json(),
                "query": query_text,
            });
            if let Some(id) = &inline_message_id {
                chosen["inline_message_id"] = json!(id);
            }
            st.push_update("chosen_inline_result", chosen);
        }
        drop(st);
        self.shared.notify_changed();
        Ok(ChosenInline {
            chat_id,
            message_id,
            inline_message_id,
        })
    }

    /// Queues a `callback_query` update: `user` (anyone who sees it) presses a button carrying
    /// `data` on the inline message `inline_message_id`. The query has no `message`, as
    /// Telegram's. Returns the callback query id the bot must answer.
    pub fn press_inline_button(
        &self,
        user: &TgUser,
        inline_message_id: &str,
        data: &str,
    ) -> String {
        let mut st = self.shared.lock();
        let id = format!("fake-cbq-{}", st.next_callback);
        st.next_callback += 1;
        st.open_callbacks.insert(id.clone());
        let query = json!({
            "id": id,
            "from": user.to_json(),
            "inline_message_id": inline_message_id,
            "chat_instance": format!("fake-chat-instance-inline-{inline_message_id}"),
            "data": data,
        });
        st.push_update("callback_query", query);
        drop(st);
        self.shared.notify_changed();
        id
    }

    /// The message sent through inline mode as `inline_message_id`, as it is now: its chat
    /// and the message (edits applied).
    pub fn inline_message(&self, inline_message_id: &str) -> Option<(i64, ChatMessage)> {
        let st = self.shared.lock();
        let &(chat_id, message_id) = st.inline_messages.get(inline_message_id)?;
        let stored = st.chats.get(&chat_id)?.messages.get(&message_id)?;
        Some((chat_id, ChatMessage::from_stored(message_id, stored)))
    }
}
