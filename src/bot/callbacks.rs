//! The buttons under a QR ("Check now", "Cancel"). Callback data is untrusted: the charge
//! must belong to the user who pressed — except on the card in a customer's chat (pressed
//! on its `inline_message_id`), where anyone may "Check now" and only the seller may
//! cancel. A press asks Bakong only within the limits of [`super::charge::presses`] (per charge and
//! per seller, whoever pressed); one over them is answered "just checked" / "slow down". Every
//! query is answered so the client stops waiting. The data of "Charge the missing" under a
//! card paid in part is read here too ([`Button::Difference`]); its presses go to
//! `difference`.

use std::sync::Arc;

use teloxide::prelude::*;

use crate::store::{Charge, ChargeId, ChargeStatus};
use crate::t;
use crate::watcher::{CheckNow, SettledAs};

use super::caller::Caller;
use super::charge::presses::{self, Press};
use super::format::phnom_penh_time;
use super::{Ctx, HandlerResult, TgBot};

/// Which button under a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Check,
    Cancel,
    /// "Charge the missing …" under a card paid in part: a new charge for the rest.
    Difference,
}

/// What a button asks for, about which charge. Encoded as `chk:<id>:<bill>` /
/// `cxl:<id>:<bill>` / `dif:<id>:<bill>` (well under Telegram's 64 bytes). The bill number ties the button to
/// its charge: after a restore from an older backup the database gives charge ids again,
/// and a card still in a chat must not check or cancel the new charge that got its id.
/// Buttons sent before the bill was added (`chk:<id>`) are still read (`bill: None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackAction {
    pub button: Button,
    pub charge: ChargeId,
    pub bill: Option<String>,
}

/// Longest bill number KHQR carries (tag 62/01).
const MAX_BILL: usize = 25;

impl CallbackAction {
    pub fn check(charge: ChargeId, bill: &str) -> Self {
        Self {
            button: Button::Check,
            charge,
            bill: Some(bill.to_owned()),
        }
    }

    pub fn cancel(charge: ChargeId, bill: &str) -> Self {
        Self {
            button: Button::Cancel,
            charge,
            bill: Some(bill.to_owned()),
        }
    }

    pub fn difference(charge: ChargeId, bill: &str) -> Self {
        Self {
            button: Button::Difference,
            charge,
            bill: Some(bill.to_owned()),
        }
    }

    pub fn encode(&self) -> String {
        let kind = match self.button {
            Button::Check => "chk",
            Button::Cancel => "cxl",
            Button::Difference => "dif",
        };
        match &self.bill {
            Some(bill) => format!("{kind}:{}:{bill}", self.charge.0),
            None => format!("{kind}:{}", self.charge.0),
        }
    }

    pub fn decode(data: &str) -> Option<Self> {
        let mut parts = data.split(':');
        let button = match parts.next()? {
            "chk" => Button::Check,
            "cxl" => Button::Cancel,
            "dif" => Button::Difference,
            _ => return None,
        };
        let id = parts.next()?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let charge = ChargeId(id.parse().ok()?);
        let bill = match parts.next() {
            None => None,
            Some(bill)
                if !bill.is_empty()
                    && bill.len() <= MAX_BILL
                    && bill.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                Some(bill.to_owned())
            }
            Some(_) => return None,
        };
        if parts.next().is_some() {
            return None;
        }
        // "Charge the missing" was never made without its bill number.
        if button == Button::Difference && bill.is_none() {
            return None;
        }
        Some(Self {
            button,
            charge,
            bill,
        })
    }

    /// Whether this button was made for `charge` (its id, and its bill when it names one).
    fn names(&self, charge: &Charge) -> bool {
        charge.id == self.charge
            && self
                .bill
                .as_deref()
                .is_none_or(|bill| bill == charge.bill_number)
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
    let id = action.charge;
    // A button names a charge by id and bill number: a charge with this id but another bill
    // is not the one the card was made for (ids given again after a restore).
    let named = |charge: Option<Charge>| charge.filter(|c| action.names(c));
    let owned = match &caller.merchant {
        Some(m) => named(ctx.store.merchant_charge(m.id, id).await?),
        None => None,
    };
    let Some(charge) = owned else {
        // On the card in a customer's chat anyone may check; only the seller cancels.
        if let Some(inline_id) = q.inline_message_id.as_deref()
            && let Some(charge) = named(ctx.store.charge(id).await?)
            && charge.inline_message_id.as_deref() == Some(inline_id)
        {
            return guest(ctx, lang, &action, &charge).await;
        }
        // A pay link's card in its buyer's private chat: the buyer checks like a
        // customer; nobody else (another buyer, a forged button) acts on it.
        if let Some(bought) = ctx.store.link_charge(id).await?
            && caller.user_key == Some(bought.buyer.user_id)
            && let Some(charge) = named(ctx.store.charge(id).await?)
        {
            return guest(ctx, lang, &action, &charge).await;
        }
        // Someone else's charge (forged or forwarded button), one that does not exist, or
        // another charge that was given this card's id.
        match ctx.store.charge(id).await? {
            Some(charge) if action.names(&charge) => {
                tracing::warn!(charge = %id, user = caller.user_key, "button pressed by a non-owner");
                return Ok(t!(lang, "callback-not-yours"));
            }
            Some(_) => {
                tracing::warn!(charge = %id, "button of a card whose bill number is not this charge's (an id given again after a restore?): refused");
            }
            None => {}
        }
        return Ok(t!(lang, "callback-unknown"));
    };
    let status_text = |status: ChargeStatus| status_answer(lang, status, charge.expires_at);
    match action.button {
        // The router sends "Charge the missing" to `difference` before this handler.
        Button::Difference => Ok(t!(lang, "callback-unknown")),
        Button::Cancel => {
            // Ask Bakong once first: a charge already paid is settled as paid, not
            // cancelled. When Bakong cannot answer, or the presses' limits leave no ask
            // (it was asked about just now), cancel anyway: the charge stays watched for a
            // late payment (and a round that sees the payment meanwhile still wins).
            let watcher = ctx
                .watcher
                .as_ref()
                .filter(|_| charge.status == ChargeStatus::Pending);
            let ask = match watcher {
                Some(_) => presses::claim(ctx, id, charge.merchant_id).await? == Press::Ask,
                None => false,
            };
            if !ask && watcher.is_some() {
                tracing::info!(charge = %id, "cancel without asking Bakong first (presses limited); still watched");
            }
            if let Some(w) = watcher.filter(|_| ask) {
                match w.check_now(id).await {
                    Ok(CheckNow::Settled(SettledAs::Paid)) => {
                        tracing::info!(charge = %id, "cancel pressed on a paid charge: settled as paid");
                        return Ok(t!(lang, "callback-cancel-paid"));
                    }
                    Ok(CheckNow::Settled(SettledAs::Underpaid)) => {
                        return Ok(t!(lang, "callback-underpaid-now"));
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
        Button::Check => {
            let Some(watcher) = ctx
                .watcher
                .as_ref()
                .filter(|_| charge.status == ChargeStatus::Pending)
            else {
                return Ok(status_text(charge.status));
            };
            match presses::claim(ctx, id, charge.merchant_id).await? {
                Press::Ask => {}
                Press::JustChecked => return Ok(t!(lang, "callback-check-wait")),
                Press::SlowDown => return Ok(t!(lang, "callback-slow-down")),
            }
            let outcome = match watcher.check_now(id).await {
                Ok(outcome) => outcome,
                Err(e) => {
                    tracing::error!(charge = %id, error = %e, "check now failed");
                    return Ok(t!(lang, "error-internal"));
                }
            };
            Ok(match outcome {
                CheckNow::Settled(SettledAs::Paid) => t!(lang, "callback-paid-now"),
                CheckNow::Settled(SettledAs::Underpaid) => t!(lang, "callback-underpaid-now"),
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

/// A press by someone other than the seller on the card in a customer's chat: "Check now"
/// asks Bakong (within the presses' limits) and answers with the result; "Cancel" is
/// refused.
async fn guest(
    ctx: &Ctx,
    lang: crate::i18n::Lang,
    action: &CallbackAction,
    charge: &Charge,
) -> Result<String, crate::store::StoreError> {
    let id = charge.id;
    if action.button == Button::Cancel {
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
    match presses::claim(ctx, id, charge.merchant_id).await? {
        Press::Ask => {}
        Press::JustChecked => return Ok(t!(lang, "callback-check-wait")),
        Press::SlowDown => return Ok(t!(lang, "callback-slow-down")),
    }
    Ok(match watcher.check_now(id).await {
        Ok(CheckNow::Settled(SettledAs::Paid)) => t!(lang, "callback-paid-now"),
        Ok(CheckNow::Settled(SettledAs::Underpaid)) => t!(lang, "callback-underpaid-now"),
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
        ChargeStatus::Underpaid => t!(lang, "callback-underpaid"),
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
            CallbackAction::check(ChargeId(1), "KB0A1B2C3D4E5F"),
            CallbackAction::cancel(ChargeId(9_007_199_254_740_993), "KB0A1B2C3D4E5F"),
            CallbackAction::cancel(ChargeId(i64::MAX), &"Z".repeat(MAX_BILL)),
            CallbackAction::difference(ChargeId(i64::MAX), &"Z".repeat(MAX_BILL)),
        ] {
            assert_eq!(CallbackAction::decode(&a.encode()), Some(a.clone()));
            assert!(a.encode().len() <= 64, "{}", a.encode());
        }
        // Buttons sent before the bill number was added.
        assert_eq!(
            CallbackAction::decode("cxl:42"),
            Some(CallbackAction {
                button: Button::Cancel,
                charge: ChargeId(42),
                bill: None
            })
        );
        for junk in [
            "",
            "chk",
            "chk:",
            "chk:-1",
            "chk:1x",
            "del:1",
            "cxl:99999999999999999999",
            "chk:+1",
            "chk:1:",
            "chk:1:KB-1",
            "chk:1:KB1:2",
            &format!("chk:1:{}", "Z".repeat(MAX_BILL + 1)),
            "dif:1",
            "dif:1:",
            "dif:x:KB1",
            "dif:-1:KB1",
            "dif:1:KB 1",
            "dif:1:KB1:",
            &format!("dif:1:{}", "Z".repeat(MAX_BILL + 1)),
        ] {
            assert_eq!(CallbackAction::decode(junk), None, "{junk}");
        }
    }
}
