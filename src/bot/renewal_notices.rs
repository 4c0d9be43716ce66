//! What the seller reads when the bot renewed their Bakong token by itself, or could not
//! (outbox kinds `token_renewed` and `token_renewal_ended`, queued by the renewer).

use crate::i18n::Lang;
use crate::store::{FollowUpKind, Merchant};
use crate::t;

use super::format::phnom_penh_date;
use super::turn::expiry_text;

/// The message for a renewal outbox task.
pub(super) fn text(
    lang: Lang,
    kind: FollowUpKind,
    payload: &serde_json::Value,
    m: &Merchant,
) -> String {
    if kind == FollowUpKind::TokenRenewed {
        let expiry = payload
            .get("expires_at")
            .and_then(serde_json::Value::as_i64)
            .map_or_else(|| expiry_text(lang, None), phnom_penh_date);
        return t!(lang, "notice-token-renewed", expiry = expiry);
    }
    let email = m.email.as_ref().map_or_else(String::new, |e| e.masked());
    let end = payload.get("end").and_then(serde_json::Value::as_str);
    let outcome = payload.get("outcome").and_then(serde_json::Value::as_str);
    match (end, outcome) {
        (Some("mailed"), _) => t!(lang, "notice-renewal-mailed", email = email),
        (_, Some("not_registered")) => t!(lang, "notice-renewal-unknown-email", email = email),
        (_, Some("email_server_down")) => t!(lang, "notice-renewal-email-down"),
        _ => t!(lang, "notice-renewal-failed"),
    }
}
