//! Request bodies: JSON, or `multipart/form-data` (axum's [`Multipart`]) for uploads, turned
//! into one shape — parameters as a JSON object, uploaded parts beside them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use serde_json::{Map, Value, json};

/// The bytes of one uploaded file. Shared, not copied, between the request's parts, the call
/// log and the file store: the emulator keeps each upload once (the watcher bench uploads
/// hundreds of status cards, and their copies counted in its peak RSS).
pub(super) type Upload = Arc<[u8]>;
/// One uploaded file part.
pub(super) struct Part {
    /// The multipart part's name (what `attach://<name>` refers to).
    pub name: String,
    /// The file name the client gave the upload (a document keeps it: `file_name`).
    pub file_name: Option<String>,
    pub bytes: Upload,
}
/// Uploaded file parts.
pub(super) type Parts = [Part];
/// A parsed request body: parameters and uploaded file parts.
pub(super) type ParsedBody = (Map<String, Value>, Vec<Part>);

/// Reads a JSON or multipart body into `(params, file parts as (part name, bytes))`. A part
/// with a file name is an upload; any other part is a parameter.
pub(super) async fn read_body(request: Request) -> Result<ParsedBody, String> {
    let is_multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    if is_multipart {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| e.body_text())?;
        let mut params = Map::new();
        let mut files = Vec::new();
        while let Some(field) = multipart.next_field().await.map_err(|e| e.body_text())? {
            let name = field.name().ok_or("a part without a name")?.to_owned();
            let file_name = field.file_name().map(str::to_owned);
            let data = field.bytes().await.map_err(|e| e.body_text())?;
            if file_name.is_some() {
                files.push(Part {
                    name,
                    file_name,
                    bytes: Upload::from(&data[..]),
                });
            } else {
                let text = String::from_utf8(data.to_vec())
                    .map_err(|_| format!("field {name} is not UTF-8"))?;
                let value = normalize_field(&name, text);
                params.insert(name, value);
            }
        }
        return Ok((params, files));
    }
    let body = Bytes::from_request(request, &())
        .await
        .map_err(|e| e.body_text())?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok((Map::new(), Vec::new()));
    }
    match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(params)) => Ok((params, Vec::new())),
        Ok(_) => Err("the JSON body is not an object".to_owned()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

const INTEGER_FIELDS: &[&str] = &[
    "chat_id",
    "message_id",
    "message_thread_id",
    "reply_to_message_id",
    "from_chat_id",
    "offset",
    "limit",
    "timeout",
    "cache_time",
];
const BOOL_FIELDS: &[&str] = &[
    "disable_notification",
    "protect_content",
    "allow_paid_broadcast",
    "has_spoiler",
    "show_caption_above_media",
    "show_alert",
    "disable_content_type_detection",
];

/// A multipart text field as the JSON body would have carried it.
fn normalize_field(name: &str, text: String) -> Value {
    if INTEGER_FIELDS.contains(&name)
        && let Ok(n) = text.parse::<i64>()
    {
        return json!(n);
    }
    if BOOL_FIELDS.contains(&name) {
        match text.as_str() {
            "true" => return json!(true),
            "false" => return json!(false),
            _ => {}
        }
    }
    let trimmed = text.trim_start();
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && let Ok(value) = serde_json::from_str::<Value>(&text)
    {
        return value;
    }
    Value::String(text)
}

/// Names each uploaded part after the parameter that references it with `attach://`.
pub(super) fn named_files(params: &Map<String, Value>, parts: &Parts) -> Vec<(String, Upload)> {
    fn references(value: &Value, part: &str) -> bool {
        let target = format!("attach://{part}");
        match value {
            Value::String(s) => *s == target,
            Value::Object(obj) => obj.values().any(|v| v.as_str() == Some(target.as_str())),
            _ => false,
        }
    }
    parts
        .iter()
        .map(
            |Part {
                 name: part, bytes, ..
             }| {
                let mut name = part.clone();
                for (key, value) in params {
                    if references(value, part) {
                        name = key.clone();
                        break;
                    }
                    if let Value::Array(items) = value
                        && let Some(i) = items.iter().position(|item| references(item, part))
                    {
                        name = format!("{key}[{i}]");
                        break;
                    }
                }
                (name, Arc::clone(bytes))
            },
        )
        .collect()
}
