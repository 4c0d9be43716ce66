//! "Charge the missing …" under a card paid in part (`dif:<id>:<bill>`, decoded like the
//! other card buttons by `callbacks::CallbackAction`): a new charge for the difference, with
//! the same note, made the way /charge makes one (`charge::send_card`) and linked to the
//! first (`charges.difference_of`, shown in `/history` and `/export`). Only the seller's own
//! charge, named by id and bill number; the amount comes from the ledger, never from the
//! button. At most one such charge is open or paid per under-paid charge: a second press
//! answers with the first one's bill.

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::ChatId;

use crate::khqr::Amount;
use crate::store::{Charge, ChargeStatus};
use crate::t;

use super::args::ChargeArgs;
use super::bill_ref::BillRef;
use super::{CardSent, send_card};
use crate::bot::callbacks::{Button, CallbackAction};
use crate::bot::caller::Caller;
use crate::bot::{Ctx, HandlerError, HandlerResult, TgBot};

/// The callback data prefix of "Charge the missing".
const PREFIX: &str = "dif:";

/// Whether a button press is "Charge the missing" (the router's filter).
pub(in crate::bot) fn is_difference_callback(q: CallbackQuery) -> bool {
    q.data.as_deref().is_some_and(|d| d.starts_with(PREFIX))
}

/// A press of "Charge the missing": answered so the client stops waiting.
pub(in crate::bot) async fn on_callback(
    bot: TgBot,
    q: CallbackQuery,
    caller: Caller,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let text = match answer(&bot, &ctx, &caller, &q).await {
        Ok(text) => text,
        Err(e) => {
            tracing::error!(error = %e, "charge the missing failed");
            t!(caller.lang, "error-internal")
        }
    };
    bot.answer_callback_query(q.id.clone()).text(text).await?;
    Ok(())
}

async fn answer(
    bot: &TgBot,
    ctx: &Ctx,
    caller: &Caller,
    q: &CallbackQuery,
) -> Result<String, HandlerError> {
    let lang = caller.lang;
    let Some(action) = q
        .data
        .as_deref()
        .and_then(CallbackAction::decode)
        .filter(|a| a.button == Button::Difference)
    else {
        return Ok(t!(lang, "callback-unknown"));
    };
    let names = |c: &Charge| action.bill.as_deref() == Some(c.bill_number.as_str());
    let owned = match &caller.merchant {
        Some(m) => ctx
            .store
            .merchant_charge(m.id, action.charge)
            .await?
            .filter(names),
        None => None,
    };
    let Some(charge) = owned else {
        // Someone else's card (a customer, a forged or forwarded button): only the seller
        // asks for the rest.
        return Ok(match ctx.store.charge(action.charge).await? {
            Some(c) if names(&c) => {
                tracing::warn!(charge = %c.id, user = caller.user_key, "charge the missing pressed by a non-owner");
                t!(lang, "callback-difference-seller-only")
            }
            _ => t!(lang, "callback-unknown"),
        });
    };
    charge_missing(bot, ctx, caller, &charge).await
}

/// The seller pressed "Charge the missing" under `charge` (theirs): the answer to the press.
async fn charge_missing(
    bot: &TgBot,
    ctx: &Ctx,
    caller: &Caller,
    charge: &Charge,
) -> Result<String, HandlerError> {
    let lang = caller.lang;
    let Some(shop) = caller.shop() else {
        return Ok(t!(lang, "callback-unknown"));
    };
    let payments = ctx.store.charge_payments(charge.id).await?;
    let missing = match crate::bot::followups::money_words::missing_money(charge, &payments) {
        Some(missing) => missing,
        None if charge.status == ChargeStatus::Paid => {
            return Ok(t!(lang, "callback-difference-none"));
        }
        None => return Ok(t!(lang, "callback-unknown")),
    };
    let Ok(amount) = Amount::from_minor(missing.minor, missing.currency) else {
        // Less than asked is always within what a KHQR carries.
        return Ok(t!(lang, "callback-unknown"));
    };
    let request = ChargeArgs {
        amount,
        note: charge.note.clone(),
    };
    let chat = ChatId(shop.merchant.chat_id);
    let missing_text = crate::bot::followups::money_words::money_text(missing);
    Ok(
        match send_card(bot, ctx, &shop, chat, &request, lang, Some(charge)).await? {
            CardSent::Sent | CardSent::Uncertain { .. } => {
                tracing::info!(charge = %charge.id, "charge for the missing part sent");
                t!(lang, "callback-difference-sent", missing = missing_text)
            }
            CardSent::Refused => t!(lang, "charge-send-failed"),
            CardSent::Taken { bill } => {
                let bill = BillRef::of(&bill);
                t!(lang, "callback-difference-exists", bill = bill.as_str())
            }
        },
    )
}
