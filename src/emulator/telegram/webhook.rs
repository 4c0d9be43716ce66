//! Webhook mode as Telegram runs it: `setWebhook` (URL, `secret_token`, `allowed_updates`,
//! `drop_pending_updates`), `deleteWebhook`, `getWebhookInfo`, `getUpdates` refused with
//! `409 Conflict` while a webhook is set, and the delivery: every queued update is POSTed to
//! the URL as JSON, one at a time in order, with `X-Telegram-Bot-Api-Secret-Token`; a 2xx
//! answer confirms it, anything else (or no answer) leaves it queued and it is sent again
//! shortly.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use super::answers::ApiErr;
use super::state::{EmulatorState, Shared, Webhook};

/// Wait before sending an update again after a failed delivery.
const RETRY: Duration = Duration::from_millis(100);
/// Longest wait for the bot's answer to one delivery.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);

/// Telegram's description for `getUpdates` while a webhook is set.
pub(super) const CONFLICT: &str = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";

pub(super) fn set_webhook(
    st: &mut EmulatorState,
    params: &Map<String, Value>,
) -> Result<Value, ApiErr> {
    let url = params.get("url").and_then(Value::as_str).unwrap_or("");
    if url.is_empty() {
        st.webhook = None;
        return Ok(json!(true));
    }
    if reqwest::Url::parse(url).is_err() {
        return Err(ApiErr::bad_request("bad webhook: Failed to resolve host"));
    }
    let secret = params
        .get("secret_token")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(s) = &secret {
        let ok = (1..=256).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !ok {
            return Err(ApiErr::bad_request(
                "secret token contains unallowed characters",
            ));
        }
    }
    if let Some(kinds) = params.get("allowed_updates").and_then(Value::as_array) {
        let kinds: Vec<String> = kinds
            .iter()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect();
        st.allowed_updates = (!kinds.is_empty()).then_some(kinds);
    }
    if params.get("drop_pending_updates").and_then(Value::as_bool) == Some(true) {
        st.updates.clear();
    }
    st.webhook = Some(Webhook {
        url: url.to_owned(),
        secret,
        delivered: 0,
        last_error: None,
    });
    Ok(json!(true))
}

pub(super) fn delete_webhook(st: &mut EmulatorState, params: &Map<String, Value>) -> Value {
    st.webhook = None;
    if params.get("drop_pending_updates").and_then(Value::as_bool) == Some(true) {
        st.updates.clear();
    }
    json!(true)
}

pub(super) fn webhook_info(st: &EmulatorState) -> Value {
    let mut info = json!({
        "url": st.webhook.as_ref().map_or("", |w| w.url.as_str()),
        "has_custom_certificate": false,
        "pending_update_count": st.updates.len(),
    });
    if let Some(error) = st.webhook.as_ref().and_then(|w| w.last_error.clone()) {
        info["last_error_message"] = json!(error);
    }
    if let Some(kinds) = &st.allowed_updates {
        info["allowed_updates"] = json!(kinds);
    }
    info
}

/// Delivers queued updates to the webhook, while one is set, until the emulator stops.
pub(super) async fn deliver_loop(shared: Arc<Shared>) {
    let http = match reqwest::Client::builder().timeout(DELIVERY_TIMEOUT).build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "telegram emulator: no HTTP client for webhooks");
            return;
        }
    };
    loop {
        let notified = shared.changed.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let next = {
            let mut st = shared.lock();
            next_delivery(&mut st)
        };
        let Some((hook, id, update)) = next else {
            // Nothing to send: wait for a new update or a new webhook (or look again soon).
            let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
            continue;
        };
        let mut request = http.post(&hook.url).json(&update);
        if let Some(secret) = &hook.secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", secret);
        }
        let outcome = match request.send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("Wrong response from the webhook: {}", r.status())),
            Err(e) => Err(format!("Connection failed: {e}")),
        };
        let failed = outcome.is_err();
        {
            let mut st = shared.lock();
            if let Some(current) = st.webhook.as_mut().filter(|w| w.url == hook.url) {
                match outcome {
                    Ok(()) => {
                        current.delivered += 1;
                        st.updates.retain(|(queued, _)| *queued != id);
                    }
                    Err(e) => current.last_error = Some(e),
                }
            }
        }
        shared.notify_changed();
        if failed {
            tokio::time::sleep(RETRY).await;
        }
    }
}

/// The webhook and the first queued update it should get (updates of kinds it did not ask
/// for are dropped, as Telegram does).
fn next_delivery(st: &mut EmulatorState) -> Option<(Webhook, i64, Value)> {
    let hook = st.webhook.clone()?;
    if let Some(allowed) = st.allowed_updates.clone() {
        st.updates.retain(|(_, update)| {
            update.as_object().is_some_and(|fields| {
                fields
                    .keys()
                    .any(|k| k != "update_id" && allowed.contains(k))
            })
        });
    }
    let (id, update) = st.updates.front()?.clone();
    Some((hook, id, update))
}
