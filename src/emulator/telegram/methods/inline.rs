//! `answerInlineQuery`: each inline query is answered at most once, with at most 50
//! results whose ids are unique; a cached photo must name a file the emulator knows.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::super::answers::ApiErr;
use super::super::state::EmulatorState;
use super::params::{caption_param, reply_markup_param};

const MAX_RESULTS: usize = 50;
const MAX_RESULT_ID_BYTES: usize = 64;

pub(super) fn answer_inline_query(
    st: &mut EmulatorState,
    params: &Map<String, Value>,
) -> Result<Value, ApiErr> {
    let id = params
        .get("inline_query_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    let results = match params.get("results") {
        Some(Value::Array(results)) => results,
        _ => {
            return Err(ApiErr::bad_request(
                "can't parse inline query results JSON object",
            ));
        }
    };
    if results.len() > MAX_RESULTS {
        return Err(ApiErr::bad_request("RESULTS_TOO_MUCH"));
    }
    let mut ids = HashSet::new();
    for result in results {
        check_result(st, result, &mut ids)?;
    }
    if let Some(button) = params.get("button") {
        let text = button.get("text").and_then(Value::as_str).unwrap_or("");
        let start = button.get("start_parameter").and_then(Value::as_str);
        let start_ok = start.is_some_and(|s| {
            (1..=64).contains(&s.len())
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
        if text.is_empty() || !(start_ok || button.get("web_app").is_some()) {
            return Err(ApiErr::bad_request("BUTTON_INVALID"));
        }
    }
    let Some(query) = st.inline_queries.get_mut(id).filter(|q| q.answer.is_none()) else {
        return Err(ApiErr::bad_request(
            "query is too old and response timeout expired or query id is invalid",
        ));
    };
    query.answer = Some(Value::Object(params.clone()));
    Ok(json!(true))
}

fn check_result(
    st: &EmulatorState,
    result: &Value,
    ids: &mut HashSet<String>,
) -> Result<(), ApiErr> {
    let id = result.get("id").and_then(Value::as_str).unwrap_or("");
    if id.is_empty() || id.len() > MAX_RESULT_ID_BYTES {
        return Err(ApiErr::bad_request("RESULT_ID_INVALID"));
    }
    if !ids.insert(id.to_owned()) {
        return Err(ApiErr::bad_request("RESULT_ID_DUPLICATE"));
    }
    if let Some(markup) = result.get("reply_markup") {
        let mut wrapped = Map::new();
        wrapped.insert("reply_markup".to_owned(), markup.clone());
        reply_markup_param(&wrapped)?;
    }
    caption_param(result.get("caption"))
        .map_err(|_| ApiErr::bad_request("MEDIA_CAPTION_TOO_LONG"))?;
    match result.get("type").and_then(Value::as_str) {
        Some("photo") => {
            let file = result.get("photo_file_id").and_then(Value::as_str);
            match file {
                Some(file) if st.files.contains_key(file) => Ok(()),
                Some(_) => Err(ApiErr::bad_request(
                    "wrong file identifier/HTTP URL specified",
                )),
                None if result.get("photo_url").is_some() => Err(ApiErr::bad_request(
                    "telegram emulator does not fetch photo URLs",
                )),
                None => Err(ApiErr::bad_request("PHOTO_INVALID")),
            }
        }
        Some("article") => {
            let title = result.get("title").and_then(Value::as_str).unwrap_or("");
            let text = result
                .get("input_message_content")
                .and_then(|c| c.get("message_text"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if title.is_empty() {
                return Err(ApiErr::bad_request("RESULT_TITLE_EMPTY"));
            }
            if text.trim().is_empty() {
                return Err(ApiErr::bad_request("MESSAGE_EMPTY"));
            }
            Ok(())
        }
        _ => Err(ApiErr::bad_request(
            "telegram emulator only models photo and article inline results",
        )),
    }
}
