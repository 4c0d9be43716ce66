//! The buttons under a QR ("Check now", "Cancel"). Callback data is untrusted: the charge
//! must belong to the user who pressed — except on the card in a customer's chat (pressed
//! on its `inline_message_id`), where anyone may "Check now" (rate-limited per charge) and
//! only the seller may cancel. Every query is answered so the client stops waiting.

use std::sync::Arc;

use teloxide::prelude::*;

use crate::store::{ChargeId, ChargeStatus};
use crate::t;
use crate::watcher::{CheckNow, SettledAs};

use super::caller::Caller;
use super::format::phnom_penh_time;
use super::{Ctx, HandlerResult, TgBot};

/// What a button asks for. Encoded as `chk:<id>` / `cxl:<id>` (well under 64 bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackAction {
    Check(ChargeId),
    Cancel(ChargeId),
}

impl CallbackAction {
    pub fn encode(self) -> String {
        match self {
            CallbackAction::Check(id) => format!("chk:{}", id.0),
            CallbackAction::Cancel(id) => format!("cxl:{}", id.0),
        }
    }

    pub fn decode(data: &str) -> Option<Self> {
        let (kind, id) = data.split_once(':')?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let id = ChargeId(id.parse().ok()?);
        match kind {
            "chk" => Some(CallbackAction::Check(id)),
            "cxl" => Some(CallbackAction::Cancel(id)),
            _ => None,
        }
    }

    fn charge(self) -> ChargeId {
        match self {
            CallbackAction::Check(id) | CallbackAction::Cancel(id) => id,
        }
    }
}

pub(super) async fn on_callback(
    bot: TgBot,
    q: CallbackQuery,
    caller: Caller,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let lang = caller.lang;
    let text = match answer(&ctx, &caller, &q).await {
        Ok(text) => text,
        Err(e) => {
            tracing::error!(error = %e, "callback failed");
            t!(lang, "error-internal")
        }
    };
    bot.answer_callback_query(q.id.clone()).text(text).await?;
    Ok(())
}

async fn answer(
    ctx: &Ctx,
    caller: &Caller,
    q: &CallbackQuery,
) -> Result<String, crate::store::StoreError> {
    let lang = caller.lang;
    let Some(action) = q.data.as_deref().and_then(CallbackAction::decode) else {
        return Ok(t!(lang, "callback-unknown"));
    };
    let id = action.charge();
    let owned = match &caller.merchant {
        Some(m) => ctx.store.merchant_charge(m.id, id).await?,
        None => None,
    };
    let Some(charge) = owned else {
        // On the card in a customer's chat anyone may check; only the seller cancels.
        if let Some(inline_id) = q.inline_message_id.as_deref()
            && let Some(charge) = ctx.store.charge(id).await?
            && charge.inline_message_id.as_deref() == Some(inline_id)
        {
            return guest(ctx, lang, action, &charge).await;
        }
        // A pay link's card in its buyer's private chat (issue 15): the buyer checks like a
        // customer; nobody else (another buyer, a forged button) acts on it.
        if let Some(bought) = ctx.store.link_charge(id).await?
            && caller.user_key == Some(bought.buyer.user_id)
            && let Some(charge) = ctx.store.charge(id).await?
        {
            return guest(ctx, lang, action, &charge).await;
        }
        // Someone else's charge (forged or forwarded button) or one that does not exist.
        let exists = ctx.store.charge(id).await?.is_some();
        if exists {
            tracing::warn!(charge = %id, user = caller.user_key, "button pressed by a non-owner");
            return Ok(t!(lang, "callback-not-yours"));
        }
        return Ok(t!(lang, "callback-unknown"));
    };
    let status_text = |status: ChargeStatus| status_answer(lang, status, charge.expires_at);
    match action {
        CallbackAction::Cancel(_) => {
            // Ask Bakong once first: a charge already paid is settled as paid, not
            // cancelled. When Bakong cannot answer, cancel anyway: the charge stays watched
            // for a late payment (and a round that sees the payment meanwhile still wins).
            if let Some(w) = ctx
                .watcher
                .as_ref()
                .filter(|_| charge.status == ChargeStatus::Pending)
            {
                match w.check_now(id).await {
                    Ok(CheckNow::Settled(SettledAs::Paid)) => {
                        tracing::info!(charge = %id, "cancel pressed on a paid charge: settled as paid");
                        return Ok(t!(lang, "callback-cancel-paid"));
                    }
                    Ok(CheckNow::Settled(SettledAs::Mismatch)) => {
                        return Ok(t!(lang, "callback-mismatch-now"));
                    }
                    Ok(CheckNow::Settled(SettledAs::Failed)) => {
                        return Ok(t!(lang, "callback-failed"));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(charge = %id, error = %e, "could not ask Bakong before cancelling; cancelling (still watched)");
                    }
                }
            }
            if ctx
                .store
                .cancel_charge(charge.merchant_id, id, ctx.clock.unix_secs())
                .await?
            {
                tracing::info!(charge = %id, "charge cancelled by its merchant");
                if let Some(w) = &ctx.watcher {
                    w.wake_outbox();
                }
                Ok(t!(lang, "callback-cancelled"))
            } else {
                // Settled meanwhile: report what it is now.
                let now = ctx
                    .store
                    .charge(id)
                    .await?
                    .map_or(charge.status, |c| c.status);
                Ok(status_text(now))
            }
        }
        CallbackAction::Check(_) => {
            let Some(watcher) = ctx
                .watcher
                .as_ref()
                .filter(|_| charge.status == ChargeStatus::Pending)
            else {
                return Ok(status_text(charge.status));
            };
            let outcome = match watcher.check_now(id).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    tracing::error!(charge = %id, error = %e, "check now failed");
                    return Ok(t!(lang, "error-internal"));
                }
            };
            Ok(match outcome {
                CheckNow::Settled(SettledAs::Paid) => t!(lang, "callback-paid-now"),
                CheckNow::Settled(SettledAs::Mismatch) => t!(lang, "callback-mismatch-now"),
                CheckNow::Settled(SettledAs::Failed) => t!(lang, "callback-failed"),
                CheckNow::Settled(SettledAs::Expired) => t!(lang, "callback-expired"),
                CheckNow::StillPending => status_text(ChargeStatus::Pending),
                CheckNow::NotPending => {
                    let now = ctx
                        .store
                        .charge(id)
                        .await?
                        .map_or(charge.status, |c| c.status);
                    status_text(now)
                }
                CheckNow::NoToken | CheckNow::TokenRefused => t!(lang, "callback-token-refused"),
                CheckNow::TryLater { .. } | CheckNow::Unreachable(_) => {
                    t!(lang, "callback-bakong-busy")
                }
            })
        }
    }
}

/// At most one Bakong check a charge per this many seconds for presses by customers.
const GUEST_CHECK_GAP_SECS: i64 = 10;

/// A press by someone other than the seller on the card in a customer's chat: "Check now"
/// asks Bakong (rate-limited per charge) and answers with the result; "Cancel" is refused.
async fn guest(
    ctx: &Ctx,
    lang: crate::i18n::Lang,
    action: CallbackAction,
    charge: &crate::store::Charge,
) -> Result<String, crate::store::StoreError> {
    let id = charge.id;
    if let CallbackAction::Cancel(_) = action {
        tracing::info!(charge = %id, "cancel pressed by a customer: refused");
        return Ok(t!(lang, "callback-seller-only"));
    }
    let settled_text = |status: ChargeStatus| status_answer(lang, status, charge.expires_at);
    let Some(watcher) = ctx
        .watcher
        .as_ref()
        .filter(|_| charge.status == ChargeStatus::Pending)
    else {
        return Ok(settled_text(charge.status));
    };
    if !ctx
        .store
        .claim_guest_check(id, ctx.clock.unix_secs(), GUEST_CHECK_GAP_SECS)
        .await?
    {
        return Ok(t!(lang, "callback-check-wait"));
    }
    Ok(match watcher.check_now(id).await {
        Ok(CheckNow::Settled(SettledAs::Paid)) => t!(lang, "callback-paid-now"),
        Ok(CheckNow::Settled(SettledAs::Mismatch)) => t!(lang, "callback-mismatch-now"),
        Ok(CheckNow::Settled(SettledAs::Failed)) => t!(lang, "callback-failed"),
        Ok(CheckNow::Settled(SettledAs::Expired)) => t!(lang, "callback-expired"),
        Ok(CheckNow::StillPending) => settled_text(ChargeStatus::Pending),
        Ok(CheckNow::NotPending) => {
            let now = ctx
                .store
                .charge(id)
                .await?
                .map_or(charge.status, |c| c.status);
            settled_text(now)
        }
        // The seller's token trouble is theirs to hear about; the customer just waits.
        Ok(CheckNow::NoToken | CheckNow::TokenRefused)
        | Ok(CheckNow::TryLater { .. } | CheckNow::Unreachable(_)) => {
            t!(lang, "callback-bakong-busy")
        }
        Err(e) => {
            tracing::error!(charge = %id, error = %e, "check now failed");
            t!(lang, "error-internal")
        }
    })
}

/// What a button press answers about a charge in `status` (the seller's and a customer's).
fn status_answer(lang: crate::i18n::Lang, status: ChargeStatus, expires_at: i64) -> String {
    match status {
        ChargeStatus::Paid => t!(lang, "callback-paid"),
        ChargeStatus::Mismatch => t!(lang, "callback-mismatch"),
        ChargeStatus::Unverified => t!(lang, "callback-unverified"),
        ChargeStatus::Failed => t!(lang, "callback-failed"),
        ChargeStatus::Expired => t!(lang, "callback-expired"),
        ChargeStatus::Cancelled => t!(lang, "callback-was-cancelled"),
        ChargeStatus::Discarded => t!(lang, "callback-discarded"),
        ChargeStatus::Creating | ChargeStatus::Pending => {
            t!(lang, "callback-pending", time = phnom_penh_time(expires_at))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_data_round_trips_and_rejects_junk() {
        for a in [
            CallbackAction::Check(ChargeId(1)),
            CallbackAction::Cancel(ChargeId(9_007_199_254_740_993)),
        ] {
            assert_eq!(CallbackAction::decode(&a.encode()), Some(a));
            assert!(a.encode().len() <= 64);
        }
        for junk in [
            "",
            "chk",
            "chk:",
            "chk:-1",
            "chk:1x",
            "del:1",
            "cxl:99999999999999999999",
            "chk:+1",
        ] {
            assert_eq!(CallbackAction::decode(junk), None, "{junk}");
        }
    }
}
