//! Inline drafts: the card rendered for a settled inline query, and the sweep that discards
//! drafts nobody chose (see `inline/mod.rs` and `store/inline_cards.rs`).
//!
//! [`create`] runs /charge's steps with one difference: the photo goes to the seller's own
//! private chat (the record copy, sent silently), which gives the `file_id` the inline
//! result shows, and is deleted again at once (the file outlives the message); the charge
//! stays `creating` as a draft until it is chosen. A failed send deletes the reservation,
//! as /charge does. [`sweep_loop`] ends drafts older than
//! [`DRAFT_TTL_SECS`] as `discarded` charges — never
//! deleted: their QR was shown in the inline picker, so the late watch still asks Bakong
//! about them and a payment is reported as paid late. A record copy whose delete failed is
//! tried again by the sweep first; failing again, the draft is discarded all the same (the
//! copy left in the seller's chat is a QR the late watch covers, like a cancelled card).

use std::time::Duration;

use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{FileId, InputFile, MessageId};
use tokio_util::sync::CancellationToken;

use crate::i18n::Lang;
use crate::render::format_money;
use crate::store::{ChargeId, StaleDraft, Store, StoreError};
use crate::time::SharedClock;

use crate::bot::caller::Shop;
use crate::bot::charge::args::ChargeArgs;
use crate::bot::charge::{ReservedCard, buttons, caption, largest_photo, reserve_card};
use crate::bot::format::phnom_penh_time;
use crate::bot::{Ctx, HandlerError, TgBot};

/// A draft not chosen within this many seconds is discarded (charge and record copy).
pub const DRAFT_TTL_SECS: i64 = 120;

/// How often the sweep looks for stale drafts.
const SWEEP_EVERY: Duration = Duration::from_secs(2);

/// A draft ready to be offered.
pub(in crate::bot) struct Draft {
    pub charge: ChargeId,
    pub bill: String,
    pub file_id: String,
    pub caption: String,
    pub amount_text: String,
}

/// Reserves the charge, renders its card and uploads it as the record copy (see the
/// module documentation).
pub(in crate::bot) async fn create(
    bot: &TgBot,
    ctx: &Ctx,
    shop: &Shop,
    lang: Lang,
    request: &ChargeArgs,
) -> Result<Draft, HandlerError> {
    let (merchant, profile) = (&shop.merchant, &shop.profile);
    let now = ctx.clock.unix_secs();
    let ReservedCard {
        id,
        png,
        bill,
        amount_text,
        time,
    } = reserve_card(ctx, shop, merchant.chat_id, request, lang, now).await?;
    let caption = caption(
        lang,
        &amount_text,
        profile.shop_name.as_str(),
        &bill,
        request.note.as_deref(),
        &time,
    );
    let sent = bot
        .send_photo(
            ChatId(merchant.chat_id),
            InputFile::memory(png).file_name("khqr.png"),
        )
        .caption(caption.clone())
        .reply_markup(buttons(lang, id, &bill))
        .disable_notification(true)
        .await;
    let sent = match sent {
        Ok(sent) => sent,
        Err(e) => {
            // Not shown to any customer: nothing to watch.
            ctx.store.discard_creating_charge(id).await?;
            return Err(e.into());
        }
    };
    let recorded = match largest_photo(&sent) {
        Some(file_id) => ctx
            .store
            .record_inline_draft(id, merchant.id, sent.id.0, &file_id, ctx.clock.unix_secs())
            .await
            .map(|done| done.then_some(file_id)),
        None => Ok(None),
    };
    match recorded {
        Ok(Some(file_id)) => {
            delete_record_copy(bot, &ctx.store, id, merchant.chat_id, sent.id.0).await;
            tracing::debug!(charge = %id, "inline draft ready");
            Ok(Draft {
                charge: id,
                bill,
                file_id,
                caption,
                amount_text,
            })
        }
        other => {
            ctx.store.discard_creating_charge(id).await?;
            if let Err(e) = bot.delete_message(sent.chat.id, sent.id).await {
                tracing::warn!(charge = %id, error = %e, "could not delete an unused record copy");
            }
            match other {
                Err(e) => Err(e.into()),
                _ => Err("the record copy carries no photo".into()),
            }
        }
    }
}

/// Deletes draft `charge`'s record copy (message `message_id` of `chat`) now that its
/// `file_id` is known. A failure is logged and left to the sweep.
async fn delete_record_copy(
    bot: &TgBot,
    store: &Store,
    charge: ChargeId,
    chat: i64,
    message_id: i32,
) {
    match bot
        .delete_message(ChatId(chat), MessageId(message_id))
        .await
    {
        Ok(_)
        | Err(RequestError::Api(
            ApiError::MessageToDeleteNotFound | ApiError::MessageCantBeDeleted,
        )) => {
            if let Err(e) = store.record_copy_deleted(charge).await {
                tracing::warn!(charge = %charge, error = %e, "could not note a deleted record copy");
            }
        }
        Err(e) => {
            tracing::warn!(charge = %charge, error = %e, "could not delete a draft's record copy yet");
        }
    }
}

/// Sends the private card of chosen draft `id` (whose record copy was deleted) to the
/// seller's chat by the card's `file_id`, silently, with the private card's buttons, and
/// records it. A failure is logged: the charge is pending and watched either way, and a
/// follow-up without a private card sends its status card as a new message.
pub(in crate::bot) async fn send_private_card(
    bot: &TgBot,
    ctx: &Ctx,
    shop: &Shop,
    lang: Lang,
    id: ChargeId,
) {
    let sent = async {
        let Some(charge) = ctx.store.charge(id).await? else {
            return Ok::<_, HandlerError>(None);
        };
        let Some(file_id) = charge.card_file_id.clone() else {
            return Ok(None);
        };
        let caption = caption(
            lang,
            &format_money(charge.amount),
            shop.profile.shop_name.as_str(),
            &charge.bill_number,
            charge.note.as_deref(),
            &phnom_penh_time(charge.expires_at),
        );
        let sent = bot
            .send_photo(ChatId(charge.chat_id), InputFile::file_id(FileId(file_id)))
            .caption(caption)
            .reply_markup(buttons(lang, id, &charge.bill_number))
            .disable_notification(true)
            .await?;
        Ok(Some(ctx.store.set_private_card(id, sent.id.0).await?))
    }
    .await;
    match sent {
        Ok(Some(true)) => {}
        Ok(_) => tracing::warn!(charge = %id, "no private card for a chosen inline draft"),
        Err(e) => {
            tracing::warn!(charge = %id, error = %e, "could not send the private card of a chosen inline draft");
        }
    }
}

/// One pass: discards every draft older than the TTL (see the module documentation).
/// Returns how many went.
pub async fn sweep(bot: &TgBot, store: &Store, clock: &SharedClock) -> Result<usize, StoreError> {
    let before = clock.unix_secs() - DRAFT_TTL_SECS;
    let mut discarded = 0;
    for StaleDraft {
        charge,
        chat_id,
        record_message_id,
    } in store.stale_inline_drafts(before).await?
    {
        if let Some(record) = record_message_id {
            match bot.delete_message(ChatId(chat_id), MessageId(record)).await {
                Ok(_)
                | Err(RequestError::Api(
                    ApiError::MessageToDeleteNotFound | ApiError::MessageCantBeDeleted,
                )) => {}
                Err(e) => {
                    tracing::warn!(charge = %charge, error = %e, "could not delete a draft's record copy; discarding the draft all the same (the late watch covers its QR)");
                }
            }
        }
        if store
            .discard_inline_draft(charge, clock.unix_secs())
            .await?
        {
            tracing::debug!(charge = %charge, "unchosen inline draft discarded");
            discarded += 1;
        }
    }
    Ok(discarded)
}

/// Runs [`sweep`] every few seconds until `stop` is cancelled.
pub async fn sweep_loop(bot: TgBot, store: Store, clock: SharedClock, stop: CancellationToken) {
    loop {
        if let Err(e) = sweep(&bot, &store, &clock).await {
            tracing::warn!(error = %e, "inline draft sweep failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(SWEEP_EVERY) => {}
            () = stop.cancelled() => return,
        }
    }
}
