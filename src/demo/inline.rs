//! The customer chat's inline mode, as a Telegram client does it for the seller: while the
//! composer starts with `@<bot> `, every keystroke is one inline query ([`query`]); the
//! bot's answer to the latest one is the result picker above the composer
//! ([`typing_state`]); picking a result sends it to the customer chat through the emulator
//! ([`choose`]), which reports `chosen_inline_result` to the bot; the "set up first" button
//! above the results opens the private chat with `/start <parameter>` ([`start`]).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::emulator::telegram::{InlineAnswer, InlineResult};

use super::api_error::bad_request;
use super::{DemoChat, InlineTyping, Shared};

type AppState = State<Arc<Shared>>;

/// The chat type the seller types in: their private chat with the customer.
const CHAT_TYPE: &str = "private";

/// The latest inline query and the bot's answer to it, for the page: `null` when the seller
/// is not using inline mode; `answer` is `null` until the bot answered (it answers only a
/// query that settled, so an older keystroke stays unanswered).
pub(super) fn typing_state(shared: &Shared) -> Value {
    let Some(typing) = shared.inline().clone() else {
        return Value::Null;
    };
    let answer = shared
        .telegram
        .inline_answer(&typing.query_id)
        .map(|a| answer_json(&a));
    json!({
        "query_id": typing.query_id,
        "query": typing.query,
        "answer": answer,
    })
}

fn answer_json(answer: &InlineAnswer) -> Value {
    json!({
        "results": answer.results.iter().map(result_json).collect::<Vec<_>>(),
        "button": answer.button.as_ref().map(|b| json!({
            "text": b.text,
            "start_parameter": b.start_parameter,
        })),
    })
}

fn result_json(r: &InlineResult) -> Value {
    json!({
        "id": r.id,
        "kind": r.kind,
        "title": r.title,
        "description": r.description,
        "photo": r.photo_file_id,
        "caption": r.caption,
        "text": r.message_text,
    })
}

#[derive(Deserialize)]
pub(super) struct QueryInput {
    /// What follows `@<bot> ` in the composer; `None` when the composer no longer starts
    /// with it (inline mode closed: no query is sent).
    query: Option<String>,
}

/// One keystroke in inline mode: an `inline_query` update with the composer's text after the
/// bot's name, as Telegram sends it (untrimmed; the bot trims).
pub(super) async fn query(State(shared): AppState, Json(input): Json<QueryInput>) -> Response {
    let Some(query) = input.query else {
        *shared.inline() = None;
        return Json(json!({ "query_id": null })).into_response();
    };
    // Under the lock: the page sends keystrokes one after another, and the latest one the
    // picker shows must be the latest the emulator numbered.
    let mut typing = shared.inline();
    let query_id = shared
        .telegram
        .send_inline_query(&shared.seller(), &query, CHAT_TYPE);
    *typing = Some(InlineTyping {
        query_id: query_id.clone(),
        query,
    });
    Json(json!({ "query_id": query_id })).into_response()
}

#[derive(Deserialize)]
pub(super) struct ChooseInput {
    query_id: String,
    result_id: String,
}

/// The seller taps a result: it is sent to the customer chat (from the seller, via the bot).
pub(super) async fn choose(State(shared): AppState, Json(input): Json<ChooseInput>) -> Response {
    let chosen = shared.telegram.choose_inline_result(
        &shared.seller(),
        &input.query_id,
        &input.result_id,
        DemoChat::Customer.chat_id(),
    );
    match chosen {
        Ok(chosen) => {
            let mut typing = shared.inline();
            if typing
                .as_ref()
                .is_some_and(|t| t.query_id == input.query_id)
            {
                *typing = None;
            }
            Json(json!({
                "message_id": chosen.message_id,
                "inline_message_id": chosen.inline_message_id,
            }))
            .into_response()
        }
        Err(e) => bad_request(e),
    }
}

#[derive(Deserialize)]
pub(super) struct StartInput {
    parameter: String,
}

/// The button above the results: Telegram opens the private chat with the bot and sends
/// `/start <parameter>`.
pub(super) async fn start(State(shared): AppState, Json(input): Json<StartInput>) -> Response {
    let parameter = input.parameter.trim();
    if parameter.is_empty() || parameter.contains(char::is_whitespace) {
        return bad_request("not a start parameter");
    }
    *shared.inline() = None;
    let id = shared
        .telegram
        .send_text(&shared.seller(), &format!("/start {parameter}"));
    Json(json!({ "message_id": id })).into_response()
}
