//! What the seller reads when the bot renewed their Bakong token by itself, or could not
//! (outbox kinds `token_renewed` and `token_renewal_ended`, queued by the renewer).
//!
//! Every way a renewal ends without a token — Bakong mailed it, refused the email, its
//! email server is down, no answer, a token for another registration discarded — reads the
//! same: a seller (or someone who set another person's email) must never learn from the bot
//! whether Bakong knows an email. Why it ended is in `token_renewals.outcome` and the log.

use crate::i18n::Lang;
use crate::store::FollowUpKind;
use crate::t;

use crate::bot::format::phnom_penh_date;
use crate::bot::turn::expiry_text;

/// The message for a renewal outbox task.
pub(in crate::bot) fn text(lang: Lang, kind: FollowUpKind, payload: &serde_json::Value) -> String {
    if kind == FollowUpKind::TokenRenewed {
        let expiry = payload
            .get("expires_at")
            .and_then(serde_json::Value::as_i64)
            .map_or_else(|| expiry_text(lang, None), phnom_penh_date);
        return t!(lang, "notice-token-renewed", expiry = expiry);
    }
    t!(lang, "notice-renewal-failed")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_ending_without_a_token_reads_the_same() {
        for lang in [Lang::En, Lang::Km] {
            let texts: Vec<String> = [
                json!({ "end": "mailed", "outcome": "mailed" }),
                json!({ "end": "refused", "outcome": "not_registered" }),
                json!({ "end": "refused", "outcome": "email_server_down" }),
                json!({ "end": "refused", "outcome": "identity_mismatch" }),
                json!({ "end": "failed", "outcome": "no_answer" }),
                json!({}),
            ]
            .iter()
            .map(|p| text(lang, FollowUpKind::TokenRenewalEnded, p))
            .collect();
            assert!(texts.iter().all(|t| *t == texts[0]), "{texts:?}");
        }
    }
}
