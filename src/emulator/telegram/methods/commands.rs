//! The command menu: `setMyCommands`, `getMyCommands`, `deleteMyCommands` (one menu per
//! `language_code`; `scope` is not modelled).

use serde_json::{Map, Value, json};

use super::super::answers::ApiErr;
use super::super::state::EmulatorState;

fn language_code(params: &Map<String, Value>) -> &str {
    params
        .get("language_code")
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub(super) fn set_my_commands(st: &mut EmulatorState, params: &Map<String, Value>) -> Result<Value, ApiErr> {
    let Some(list) = params.get("commands").and_then(Value::as_array) else {
        return Err(ApiErr::bad_request("parameter \"commands\" is required"));
    };
    if list.len() > 100 {
        return Err(ApiErr::bad_request("too many commands specified"));
    }
    let mut commands = Vec::with_capacity(list.len());
    for entry in list {
        let command = entry.get("command").and_then(Value::as_str).unwrap_or("");
        let description = entry
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("");
        let command_ok = (1..=32).contains(&command.len())
            && command
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !command_ok {
            return Err(ApiErr::bad_request("BOT_COMMAND_INVALID"));
        }
        if !(1..=256).contains(&description.chars().count()) {
            return Err(ApiErr::bad_request(
                "command description is empty or too long",
            ));
        }
        commands.push((command.to_owned(), description.to_owned()));
    }
    st.commands
        .insert(language_code(params).to_owned(), commands);
    Ok(json!(true))
}


pub(super) fn get_my_commands(st: &EmulatorState, params: &Map<String, Value>) -> Value {
    let commands = st
        .commands
        .get(language_code(params))
        .cloned()
        .unwrap_or_default();
    Value::Array(
        commands
            .into_iter()
            .map(|(c, d)| json!({ "command": c, "description": d }))
            .collect(),
    )
}

pub(super) fn delete_my_commands(st: &mut EmulatorState, params: &Map<String, Value>) -> Value {
    st.commands.remove(language_code(params));
    json!(true)
}
