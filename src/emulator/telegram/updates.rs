//! `getUpdates`: the queue of updates and long polling, with Telegram's offset semantics.

use std::time::Duration;

use axum::response::Response;
use serde_json::{Map, Value};

use super::LONG_POLL_CAP;
use super::answers::{ApiErr, ok_response};
use super::failures::failure_response;
use super::state::Shared;
use super::values::as_i64;

/// `getUpdates`: confirms what `offset` says was seen, then answers at once with what is
/// queued, or holds the poll open until an update arrives or the timeout (at most
/// [`LONG_POLL_CAP`]) runs out.
pub(super) async fn get_updates(shared: &Shared, params: &Map<String, Value>) -> Response {
    {
        let mut st = shared.lock();
        st.get_updates_count += 1;
        if let Some(failure) = st.take_failure("getUpdates") {
            return failure_response(&failure).0;
        }
        if st.webhook.is_some() {
            return ApiErr {
                code: 409,
                description: super::webhook::CONFLICT.to_owned(),
                retry_after: None,
            }
            .into_response();
        }
        if let Some(kinds) = params.get("allowed_updates").and_then(Value::as_array) {
            let kinds: Vec<String> = kinds
                .iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect();
            st.allowed_updates = (!kinds.is_empty()).then_some(kinds);
        }
    }
    let offset = params.get("offset").and_then(as_i64);
    let limit = params
        .get("limit")
        .and_then(as_i64)
        .map_or(100, |l| l.clamp(1, 100)) as usize;
    let wait = params
        .get("timeout")
        .and_then(as_i64)
        .map_or(Duration::ZERO, |t| {
            Duration::from_secs(t.max(0).unsigned_abs())
        })
        .min(LONG_POLL_CAP);
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let notified = shared.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut st = shared.lock();
            // Telegram semantics: `offset` confirms every update with a smaller id; a negative
            // offset keeps only the last `-offset` updates.
            match offset {
                Some(o) if o < 0 => {
                    let keep = o.unsigned_abs() as usize;
                    while st.updates.len() > keep {
                        st.updates.pop_front();
                    }
                }
                Some(o) => st.updates.retain(|(id, _)| *id >= o),
                None => {}
            }
            // Updates of kinds the bot did not ask for are never delivered.
            if let Some(allowed) = st.allowed_updates.clone() {
                st.updates.retain(|(_, update)| {
                    update.as_object().is_some_and(|fields| {
                        fields
                            .keys()
                            .any(|k| k != "update_id" && allowed.contains(k))
                    })
                });
            }
            let batch: Vec<Value> = st
                .updates
                .iter()
                .take(limit)
                .map(|(_, u)| u.clone())
                .collect();
            if !batch.is_empty() || tokio::time::Instant::now() >= deadline {
                return ok_response(Value::Array(batch));
            }
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}
