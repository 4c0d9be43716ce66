//! `answerCallbackQuery`: each button press is answered at most once.

use serde_json::{Map, Value, json};

use super::super::answers::ApiErr;
use super::super::state::EmulatorState;

pub(super) fn answer_callback_query(st: &mut EmulatorState, params: &Map<String, Value>) -> Result<Value, ApiErr> {
    let id = params
        .get("callback_query_id")
        .and_then(Value::as_str)
        .unwrap_or("");
    if let Some(text) = params.get("text").and_then(Value::as_str)
        && text.chars().count() > 200
    {
        return Err(ApiErr::bad_request("MESSAGE_TOO_LONG"));
    }
    if !st.open_callbacks.remove(id) {
        return Err(ApiErr::bad_request(
            "query is too old and response timeout expired or query id is invalid",
        ));
    }
    Ok(json!(true))
}
