//! "Charge the missing …" under a card paid in part: a new charge for the difference, with
//! the same note, made the way /charge makes one (`charge::send_card`) and linked to the
//! first (`charges.difference_of`, shown in `/history` and `/export`). Only the seller's own
//! press gets here (`callbacks`); the amount comes from the ledger, never from the button.
//! At most one such charge is open or paid per under-paid charge: a second press answers
//! with the first one's bill.

use teloxide::types::ChatId;

use crate::khqr::Amount;
use crate::store::{Charge, ChargeStatus};
use crate::t;

use super::caller::Caller;
use super::charge::{CardSent, send_card};
use super::charge_args::ChargeArgs;
use super::{Ctx, HandlerError, TgBot};

/// The seller pressed "Charge the missing" under `charge` (theirs): the answer to the press.
pub(super) async fn charge_missing(
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
    let missing = match super::money_words::missing_money(charge, &payments) {
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
    let missing_text = super::money_words::money_text(missing);
    Ok(
        match send_card(bot, ctx, &shop, chat, &request, lang, Some(charge.id)).await? {
            CardSent::Sent | CardSent::Uncertain { .. } => {
                tracing::info!(charge = %charge.id, "charge for the missing part sent");
                t!(lang, "callback-difference-sent", missing = missing_text)
            }
            CardSent::Refused => t!(lang, "charge-send-failed"),
            CardSent::Taken { bill } => t!(lang, "callback-difference-exists", bill = bill),
        },
    )
}
