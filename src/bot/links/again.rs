//! A buyer who opens a pay link again (or presses "New QR") while their QR of it is still
//! open gets that same QR again: the same charge, no new reservation, no unit more held.
//! It comes as a new message at the bottom of their chat, sent by the card's `file_id`
//! (rendered again from the stored KHQR when there is none, e.g. after an unconfirmed
//! send). The charge then lives in the new message (`Store::move_link_card`) and the old
//! one is deleted, so one card shows the QR and the watcher edits that one when it ends.

use teloxide::ApiError;
use teloxide::prelude::*;
use teloxide::types::{FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId};

use crate::i18n::Lang;
use crate::khqr::Currency;
use crate::render::format_money;
use crate::store::{Charge, ChargeId, ChargeStatus};
use crate::t;

use crate::bot::charge::{CardOwned, caption, largest_photo, maybe_delivered};
use crate::bot::format::phnom_penh_time;
use crate::bot::{Ctx, HandlerError, TgBot};

/// Shows the buyer's open link charge `id` again in their chat. `Ok(None)`: it is shown
/// (with a line saying so); `Ok(Some(text))`: it is not, tell the buyer `text`.
pub(in crate::bot) async fn show_again(
    bot: &TgBot,
    ctx: &Ctx,
    id: ChargeId,
    lang: Lang,
) -> Result<Option<String>, HandlerError> {
    let Some(charge) = ctx.store.charge(id).await? else {
        return Ok(Some(t!(lang, "link-unknown")));
    };
    let now = ctx.clock.unix_secs();
    match charge.status {
        // Its first photo is still on the way (a second tap while the first is served).
        ChargeStatus::Creating => return Ok(Some(t!(lang, "link-qr-coming"))),
        ChargeStatus::Pending if now < charge.expires_at => {}
        // Expired and not yet settled by the watcher, or settled meanwhile: its card says
        // how it ended; a new one can be asked for in a moment.
        ChargeStatus::Pending
        | ChargeStatus::Paid
        | ChargeStatus::Underpaid
        | ChargeStatus::Mismatch
        | ChargeStatus::Failed
        | ChargeStatus::Expired
        | ChargeStatus::Cancelled
        | ChargeStatus::Unverified
        | ChargeStatus::Discarded => return Ok(Some(t!(lang, "link-qr-ending"))),
    }
    let Some(shop) = ctx
        .store
        .merchant(charge.merchant_id)
        .await?
        .and_then(|m| m.profile)
        .map(|p| p.shop_name.to_string())
    else {
        return Ok(Some(t!(lang, "link-unavailable")));
    };
    let chat = ChatId(charge.chat_id);
    let time = phnom_penh_time(charge.expires_at);
    bot.send_message(chat, t!(lang, "link-qr-again", time = time.as_str()))
        .await?;
    let sent = match send_card(bot, &charge, &shop, lang, &time).await? {
        Ok(sent) => sent,
        Err(e) if maybe_delivered(&e) => {
            tracing::warn!(charge = %id, error = %e, "no answer to sendPhoto of a link QR shown again");
            return Ok(Some(t!(
                lang,
                "charge-send-uncertain-buyer",
                time = time.as_str()
            )));
        }
        Err(e) => return Err(e.into()),
    };
    if ctx
        .store
        .move_link_card(id, charge.message_id, sent.id.0)
        .await?
    {
        tracing::info!(charge = %id, "link QR shown again");
        if charge.card_file_id.is_none()
            && let Some(file_id) = largest_photo(&sent)
            && let Err(e) = ctx.store.set_card_file_id(id, &file_id).await
        {
            tracing::warn!(charge = %id, error = %e, "could not record the card's file_id");
        }
        if let Some(old) = charge.message_id
            && let Err(e) = bot.delete_message(chat, MessageId(old)).await
        {
            tracing::debug!(charge = %id, error = %e, "could not delete the card shown before");
        }
        return Ok(None);
    }
    // It ended while the copy was on its way: the old card is the one the watcher edits,
    // so the copy (which would stay scannable) goes.
    tracing::info!(charge = %id, "link QR ended while shown again; removing the copy");
    if let Err(e) = bot.delete_message(chat, sent.id).await {
        tracing::warn!(charge = %id, error = %e, "could not delete a stale copy of a link QR");
    }
    Ok(Some(t!(lang, "link-qr-ending")))
}

/// Sends the open charge's card: by its `file_id`, or rendered again from its KHQR when
/// there is none or Telegram no longer knows it. The outer error: it could not be rendered.
async fn send_card(
    bot: &TgBot,
    charge: &Charge,
    shop: &str,
    lang: Lang,
    time: &str,
) -> Result<Result<Message, teloxide::RequestError>, HandlerError> {
    let amount_text = format_money(charge.amount);
    let caption = caption(
        lang,
        &amount_text,
        shop,
        &charge.bill_number,
        charge.note.as_deref(),
        time,
    );
    let chat = ChatId(charge.chat_id);
    let buttons = buyer_buttons(lang, charge.id, &charge.bill_number);
    if let Some(file_id) = &charge.card_file_id {
        let sent = bot
            .send_photo(chat, InputFile::file_id(FileId(file_id.clone())))
            .caption(caption.clone())
            .reply_markup(buttons.clone())
            .await;
        match sent {
            Err(teloxide::RequestError::Api(
                e @ (ApiError::WrongFileId | ApiError::WrongFileIdOrUrl | ApiError::FileIdInvalid),
            )) => {
                tracing::info!(charge = %charge.id, error = %e, "the card's file_id was refused; rendering it again");
            }
            other => return Ok(other),
        }
    }
    let card = CardOwned {
        payload: charge.khqr.clone(),
        shop: shop.to_owned(),
        amount_text,
        usd: charge.amount.currency() == Currency::Usd,
        note: charge.note.clone(),
        expires_line: t!(lang, "charge-card-expires", time = time),
        bill: charge.bill_number.clone(),
    };
    let png = card.render_on_render_thread().await??;
    Ok(bot
        .send_photo(chat, InputFile::memory(png).file_name("khqr.png"))
        .caption(caption)
        .reply_markup(buttons)
        .await)
}

/// The buttons under a buyer's open QR: "I have paid — check" (never the seller's Cancel).
pub(in crate::bot) fn buyer_buttons(lang: Lang, id: ChargeId, bill: &str) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
        t!(lang, "button-paid-check"),
        crate::bot::callbacks::CallbackAction::check(id, bill).encode(),
    )]])
}
