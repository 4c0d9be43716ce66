//! The record of one request the bot made, and the error of a wait that saw none matching.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::values::{as_i64, inline_buttons};

/// One request the bot made (everything except `getUpdates`, which is only counted: see
/// [`TelegramEmulator::get_updates_count`](super::TelegramEmulator::get_updates_count)).
#[derive(Clone)]
pub struct Call {
    /// Method name, lowerCamel as in Telegram's docs (`sendPhoto`), whatever case was sent.
    pub method: String,
    /// The parameters as a JSON object. Multipart text fields are normalised: JSON-looking
    /// fields (`reply_markup`, `media`) are decoded, numeric ids become numbers.
    pub params: Value,
    /// Uploaded files as `(parameter, bytes)`; the parameter is the field that referenced the
    /// upload through `attach://` (`"photo"` for sendPhoto, `"media"` for editMessageMedia).
    /// The bytes are shared with the emulator's file store (one copy per upload).
    pub files: Vec<(String, Arc<[u8]>)>,
    /// When the request arrived.
    pub at: Instant,
    /// `None` if the emulator answered `ok: true`; otherwise the error description it returned
    /// (injected with [`TelegramEmulator::fail_next`](super::TelegramEmulator::fail_next) or a real rule, e.g. `message to edit not
    /// found`).
    pub error: Option<String>,
    /// It arrived while a [`Failure::FloodWindow`] was open (and was refused with 429).
    pub in_flood_window: bool,
}

impl Call {
    /// Whether this call is `method` (case-insensitive).
    pub fn is(&self, method: &str) -> bool {
        self.method.eq_ignore_ascii_case(method)
    }

    /// Whether the emulator answered this call with `ok: true`.
    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }

    /// A string parameter.
    pub fn str_param(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(Value::as_str)
    }

    /// An integer parameter (also accepts a numeric string).
    pub fn int_param(&self, name: &str) -> Option<i64> {
        self.params.get(name).and_then(as_i64)
    }

    /// `chat_id`, when it is numeric.
    pub fn chat_id(&self) -> Option<i64> {
        self.int_param("chat_id")
    }

    /// `message_id`.
    pub fn message_id(&self) -> Option<i32> {
        self.int_param("message_id")
            .and_then(|id| i32::try_from(id).ok())
    }

    /// `text` (sendMessage, editMessageText; also answerCallbackQuery's toast text).
    pub fn text(&self) -> Option<&str> {
        self.str_param("text")
    }

    /// `caption`, or `media.caption` for editMessageMedia.
    pub fn caption(&self) -> Option<&str> {
        self.str_param("caption").or_else(|| {
            self.params
                .get("media")
                .and_then(|m| m.get("caption"))
                .and_then(Value::as_str)
        })
    }

    /// The uploaded bytes referenced by parameter `name` (`"photo"`, `"media"`).
    pub fn file(&self, name: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, bytes)| &bytes[..])
    }

    /// The inline keyboard sent with the call as rows of `(text, callback_data)`; buttons
    /// without callback data have an empty string. Empty if there is no inline keyboard.
    pub fn inline_buttons(&self) -> Vec<Vec<(String, String)>> {
        inline_buttons(self.params.get("reply_markup"))
    }

    pub(super) fn summary(&self, origin: Instant) -> String {
        let mut params = self.params.to_string();
        if params.len() > 300 {
            let cut = (0..=300)
                .rev()
                .find(|&i| params.is_char_boundary(i))
                .unwrap_or(0);
            params.truncate(cut);
            params.push('…');
        }
        let files: Vec<String> = self
            .files
            .iter()
            .map(|(name, bytes)| format!("{name}: {} bytes", bytes.len()))
            .collect();
        let outcome = match &self.error {
            None => "ok".to_owned(),
            Some(e) => format!("ERROR {e}"),
        };
        format!(
            "+{:.3}s {} {} files=[{}] -> {}",
            self.at.saturating_duration_since(origin).as_secs_f64(),
            self.method,
            params,
            files.join(", "),
            outcome
        )
    }
}

impl fmt::Debug for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let files: Vec<(&str, usize)> = self
            .files
            .iter()
            .map(|(n, b)| (n.as_str(), b.len()))
            .collect();
        f.debug_struct("Call")
            .field("method", &self.method)
            .field("params", &self.params)
            .field("files (name, len)", &files)
            .field("error", &self.error)
            .finish()
    }
}

/// No matching call arrived in time ([`TelegramEmulator::wait_for`](super::TelegramEmulator::wait_for)).
/// Its text lists every call the emulator saw, to show what the bot did instead.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("{report}")]
pub struct WaitTimeout {
    /// The method waited for.
    pub method: String,
    /// How long the wait lasted.
    pub waited: Duration,
    report: String,
}

impl WaitTimeout {
    pub(super) fn new(method: &str, waited: Duration, report: String) -> Self {
        Self {
            method: method.to_owned(),
            waited,
            report,
        }
    }
}

/// The report verbatim (one call a line), so that `unwrap()` in a test prints it readably.
impl fmt::Debug for WaitTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.report)
    }
}
