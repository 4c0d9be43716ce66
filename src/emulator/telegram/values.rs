//! Reading Bot API JSON values, and the small measures Telegram's limits are in.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// An integer, or a string holding one (multipart fields, `chat_id` as text).
pub(super) fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Length in UTF-16 code units, the unit of Telegram's text limits.
pub(super) fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Now as Unix seconds (message dates).
pub(super) fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An inline keyboard as rows of `(text, callback_data)`; buttons without callback data have
/// an empty string. Empty when there is no inline keyboard.
pub(super) fn inline_buttons(markup: Option<&Value>) -> Vec<Vec<(String, String)>> {
    let Some(rows) = markup
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
    else {
        return Vec::new();
    };
    rows.iter()
        .map(|row| {
            row.as_array()
                .map(|buttons| {
                    buttons
                        .iter()
                        .map(|b| {
                            let text = b.get("text").and_then(Value::as_str).unwrap_or("");
                            let data = b.get("callback_data").and_then(Value::as_str).unwrap_or("");
                            (text.to_owned(), data.to_owned())
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
        .collect()
}

