//! /charge: build a dynamic KHQR, render the card, send ONE photo with the buttons, and keep
//! the charge only if Telegram accepted the photo.
//!
//! Order of effects (so that nothing is left pending for a photo nobody saw):
//! 1. reserve the charge as `creating` (unique bill number and md5; the buttons need its id);
//! 2. send the photo;
//! 3. failure → delete the reservation; success → `pending` with the message id (if that
//!    cannot be recorded, `pending` without it: the QR is out, so it is watched all the same).
//!
//! A crash between 2 and 3 leaves a `creating` row, which start-up turns into a pending
//! charge without message id (see `Store::recover_creating_charges`), so a payment made to
//! that QR is still seen.
//!
//! The folder holds what a charge is made of and how it is asked for: `args.rs` (the pure
//! `parse_charge`), `currency_word.rs`, `note.rs`, `bill_ref.rs`, `label.rs` (the
//! reference-and-note line), `presses.rs` (the presses that ask Bakong) and `difference.rs`
//! (charging the missing part of a payment).

pub mod args;
pub mod bill_ref;
pub mod currency_word;
pub(super) mod difference;
pub(super) mod label;
pub mod note;
pub(super) mod presses;

use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardButtonKind, InlineKeyboardMarkup, InputFile,
    SwitchInlineQueryChosenChat,
};

use crate::i18n::Lang;
use crate::khqr::{Currency, KhqrInput, md5_hex};
use crate::render::{CardSpec, card_png, format_money};
use crate::store::{Charge, ChargeId, NewCharge, StoreError};
use crate::t;

use super::callbacks::CallbackAction;
use super::caller::Shop;
use super::format::phnom_penh_time;
use super::stranger_text::StrangerText;
use super::turn::Turn;
use super::{Ctx, HandlerError, HandlerResult};
use args::{ChargeArgs, ChargeArgsError, parse_charge};
use bill_ref::{BillRef, new_bill_number};
use label::ChargeLabel;

pub(super) const BILL_ATTEMPTS: usize = 3;

/// The localized reason a /charge line was refused.
pub fn explain(lang: Lang, error: &ChargeArgsError) -> String {
    match error {
        ChargeArgsError::MissingAmount => t!(lang, "charge-usage"),
        ChargeArgsError::NotANumber(value) => {
            t!(lang, "charge-error-amount", value = value.as_str())
        }
        ChargeArgsError::Negative | ChargeArgsError::Zero => t!(lang, "charge-error-not-positive"),
        ChargeArgsError::TooManyDecimals => t!(lang, "charge-error-usd-decimals"),
        ChargeArgsError::DecimalsForKhr => t!(lang, "charge-error-khr-whole"),
        ChargeArgsError::TooLarge { max } => {
            let max = format_money(*max);
            t!(lang, "charge-error-too-large", max = max)
        }
        ChargeArgsError::UnsupportedCurrency(code) => {
            t!(lang, "charge-error-currency", code = code.as_str())
        }
        ChargeArgsError::ConflictingCurrency { first, second } => t!(
            lang,
            "charge-error-two-currencies",
            first = first.alpha(),
            second = second.alpha()
        ),
        ChargeArgsError::MalformedSeparators(value) => {
            t!(lang, "charge-error-separators", value = value.as_str())
        }
        ChargeArgsError::NoteTooLong { len, max } => t!(
            lang,
            "charge-error-note",
            len = i64::try_from(*len).unwrap_or(i64::MAX),
            max = i64::try_from(*max).unwrap_or(i64::MAX)
        ),
        ChargeArgsError::NoteControlChars => t!(lang, "charge-error-note-control"),
    }
}

/// `/charge <amount> [currency] [note]` from a configured shop.
pub(super) async fn handle(turn: &Turn, shop: &Shop, args: &str) -> HandlerResult {
    let (bot, msg, ctx, lang) = (&turn.bot, &turn.msg, &*turn.ctx, turn.lang());
    let (merchant, profile) = (&shop.merchant, &shop.profile);
    let now = ctx.clock.unix_secs();
    // Without a usable token no payment could be confirmed: renew first.
    if profile.token_expires_at.is_some_and(|exp| exp <= now)
        || merchant.token_rejected_at.is_some()
    {
        return turn.reply(t!(lang, "charge-token-expired")).await;
    }
    // A token that does not open could never confirm a payment either.
    if super::setup::stored_token::open(ctx, merchant, profile).is_none() {
        return super::setup::stored_token::refuse_unreadable(turn, merchant).await;
    }
    let request = match parse_charge(args, merchant.default_currency) {
        Ok(request) => request,
        Err(e) => return turn.reply(explain(lang, &e)).await,
    };

    match send_card(bot, ctx, shop, msg.chat.id, &request, lang, None).await? {
        CardSent::Sent | CardSent::Taken { .. } => Ok(()),
        CardSent::Uncertain { time } => {
            turn.reply(t!(lang, "charge-send-uncertain", time = time.as_str()))
                .await
        }
        CardSent::Refused => turn.reply(t!(lang, "charge-send-failed")).await,
    }
}

/// How [`send_card`] ended.
pub(super) enum CardSent {
    /// The card is in the chat and its charge pending.
    Sent,
    /// Telegram did not answer: the charge is watched without a message; the QR, if the
    /// chat got it, is valid until `time`.
    Uncertain { time: String },
    /// Telegram refused the photo: nothing was charged.
    Refused,
    /// The under-paid charge already has a charge for its missing part: bill `bill`.
    Taken { bill: String },
}

/// Makes a charge for `request` and sends its card to `chat` — /charge's steps 1 to 3 —
/// with `difference_of` the under-paid charge whose missing part it asks for, if any (the
/// card's caption then names that charge's reference).
pub(super) async fn send_card(
    bot: &super::TgBot,
    ctx: &Ctx,
    shop: &Shop,
    chat: ChatId,
    request: &ChargeArgs,
    lang: Lang,
    difference_of: Option<&Charge>,
) -> Result<CardSent, HandlerError> {
    let (merchant, profile) = (&shop.merchant, &shop.profile);
    let now = ctx.clock.unix_secs();
    let first = difference_of.map(|c| c.id);
    let reserved = reserve_card_for(ctx, shop, chat.0, request, lang, now, first).await?;
    let ReservedCard {
        id,
        png,
        bill,
        amount_text,
        time,
    } = match reserved {
        Reservation::Card(card) => card,
        Reservation::Taken { bill } => return Ok(CardSent::Taken { bill }),
    };

    let mut caption = caption(
        lang,
        &amount_text,
        profile.shop_name.as_str(),
        &bill,
        request.note.as_deref(),
        &time,
    );
    if let Some(first) = difference_of {
        let first = BillRef::of(&first.bill_number);
        caption.push('\n');
        caption.push_str(&t!(lang, "history-line-rest-of", bill = first.as_str()));
    }
    let sent = bot
        .send_photo(chat, InputFile::memory(png).file_name("khqr.png"))
        .caption(caption)
        .reply_markup(buttons(lang, id, &bill))
        .await;
    let sent = match sent {
        Ok(sent) => sent,
        Err(e) if maybe_delivered(&e) => {
            // The request went out but the answer was lost: the customer may be looking at
            // this QR. Keep watching it (without a message to edit) rather than lose a payment.
            tracing::warn!(charge = %id, error = %e, "no answer to sendPhoto; keeping the charge unconfirmed");
            ctx.store
                .keep_unconfirmed_charge(
                    id,
                    "no answer from Telegram to sendPhoto",
                    ctx.clock.unix_secs(),
                )
                .await?;
            return Ok(CardSent::Uncertain { time });
        }
        Err(e) => {
            tracing::warn!(charge = %id, error = %e, "Telegram refused the QR; discarding the charge");
            ctx.store.discard_creating_charge(id).await?;
            return Ok(CardSent::Refused);
        }
    };
    match ctx
        .store
        .activate_charge(id, sent.id.0, ctx.clock.unix_secs())
        .await
    {
        Ok(true) => {
            tracing::info!(charge = %id, merchant = %merchant.id, "charge created");
            // For "Send to customer" (a cached photo); without it that button says so.
            if let Some(file_id) = largest_photo(&sent)
                && let Err(e) = ctx.store.set_card_file_id(id, &file_id).await
            {
                tracing::warn!(charge = %id, error = %e, "could not record the card's file_id");
            }
            Ok(CardSent::Sent)
        }
        outcome => {
            // The photo is out (the customer may be scanning it) but it could not be linked to
            // its message. Never delete a row whose QR may be in the chat: keep the charge
            // watched without a message id (follow-ups go out as new messages); if even that
            // fails, it stays `creating` and start-up recovery turns it into a watched one.
            tracing::error!(charge = %id, ?outcome, "could not activate a sent charge; keeping it watched without its message id");
            let reason = "photo sent, but its message id could not be recorded";
            match ctx
                .store
                .keep_unconfirmed_charge(id, reason, ctx.clock.unix_secs())
                .await
            {
                Ok(_) => Ok(CardSent::Sent),
                Err(e) => {
                    tracing::error!(charge = %id, error = %e, "could not keep the charge watched; start-up recovery will poll it");
                    Err(e.into())
                }
            }
        }
    }
}

pub(super) fn build_khqr(
    profile: &crate::store::Profile,
    request: &ChargeArgs,
    bill: &str,
    now: i64,
    expires_at: i64,
) -> Result<String, HandlerError> {
    let now_ms = u64::try_from(now)? * 1000;
    let expires_ms = u64::try_from(expires_at)? * 1000;
    let mut input = KhqrInput {
        account_id: profile.account_id.to_string(),
        merchant_name: profile.shop_name.to_string(),
        merchant_city: Some(profile.city.to_string()),
        currency: request.amount.currency(),
        amount: Some(request.amount),
        bill_number: Some(bill.to_owned()),
        // The whole note is on the card and in the caption; the QR carries what fits.
        purpose: request
            .note
            .as_deref()
            .map(|note| self::note::qr_purpose(note).into_owned()),
        expiration_ms: Some(expires_ms),
        ..KhqrInput::default()
    };
    match input.build(now_ms) {
        Ok(khqr) => Ok(khqr.encode()),
        // A note KHQR cannot carry (e.g. characters the purpose field refuses) stays in the
        // caption only.
        Err(first) if input.purpose.is_some() => {
            tracing::debug!(error = %first, "note does not fit the KHQR purpose field");
            input.purpose = None;
            Ok(input.build(now_ms)?.encode())
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether a failed request may still have been carried out by Telegram: a definite answer
/// (API error, retry-after) or a connection that never opened means it was not.
pub(super) fn maybe_delivered(error: &RequestError) -> bool {
    match error {
        RequestError::Network(e) => !e.is_connect() && !e.is_builder(),
        RequestError::InvalidJson { .. } | RequestError::Io(_) => true,
        RequestError::Api(_) | RequestError::MigrateToChatId(_) | RequestError::RetryAfter(_) => {
            false
        }
    }
}

/// The `file_id` of the biggest size of a photo message.
pub(super) fn largest_photo(message: &Message) -> Option<String> {
    message
        .photo()
        .and_then(|sizes| {
            sizes
                .iter()
                .max_by_key(|p| u64::from(p.width) * u64::from(p.height))
        })
        .map(|p| p.file.id.to_string())
}

/// A charge reserved as `creating` (unique bill number and md5) with its rendered card,
/// ready to be sent.
pub(super) struct ReservedCard {
    pub(super) id: ChargeId,
    pub(super) png: Vec<u8>,
    pub(super) bill: String,
    pub(super) amount_text: String,
    /// When the QR expires, `HH:MM` in Phnom Penh.
    pub(super) time: String,
}

/// Step 1 of /charge (and of an inline draft): builds the KHQR, renders its card on the
/// render thread and reserves the charge as `creating` for chat `chat_id`, drawing a new
/// bill number when one is already taken.
pub(super) async fn reserve_card(
    ctx: &Ctx,
    shop: &Shop,
    chat_id: i64,
    request: &ChargeArgs,
    lang: Lang,
    now: i64,
) -> Result<ReservedCard, HandlerError> {
    match reserve_card_for(ctx, shop, chat_id, request, lang, now, None).await? {
        Reservation::Card(card) => Ok(card),
        Reservation::Taken { bill } => Err(format!("bill {bill} is not a difference").into()),
    }
}

/// What [`reserve_card_for`] reserved.
pub(super) enum Reservation {
    Card(ReservedCard),
    /// The under-paid charge already has a charge for its missing part.
    Taken {
        bill: String,
    },
}

/// [`reserve_card`], for a charge asking the missing part of `difference_of` when given
/// (at most one open or paid such charge: [`Reservation::Taken`] otherwise).
async fn reserve_card_for(
    ctx: &Ctx,
    shop: &Shop,
    chat_id: i64,
    request: &ChargeArgs,
    lang: Lang,
    now: i64,
    difference_of: Option<ChargeId>,
) -> Result<Reservation, HandlerError> {
    let profile = &shop.profile;
    let ttl = i64::try_from(ctx.charge_ttl.as_secs()).unwrap_or(600);
    let expires_at = now + ttl;
    let time = phnom_penh_time(expires_at);
    let amount_text = format_money(request.amount);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let bill = new_bill_number();
        let khqr = build_khqr(profile, request, &bill, now, expires_at)?;
        let card = CardOwned {
            payload: khqr.clone(),
            shop: profile.shop_name.to_string(),
            amount_text: amount_text.clone(),
            usd: request.amount.currency() == Currency::Usd,
            note: request.note.clone(),
            expires_line: t!(lang, "charge-card-expires", time = time.as_str()),
            bill: bill.clone(),
        };
        let png = card.render_on_render_thread().await??;
        let new = NewCharge {
            merchant_id: shop.merchant.id,
            chat_id,
            bill_number: bill.clone(),
            md5: md5_hex(&khqr),
            khqr,
            to_account_id: profile.account_id.to_string(),
            amount: request.amount,
            note: request.note.clone(),
            created_at: now,
            expires_at,
        };
        let inserted = match difference_of {
            None => ctx.store.insert_creating_charge(&new).await.map(Some),
            Some(of) => ctx.store.insert_creating_difference(&new, of).await,
        };
        match inserted {
            Ok(Some(id)) => {
                return Ok(Reservation::Card(ReservedCard {
                    id,
                    png,
                    bill,
                    amount_text,
                    time,
                }));
            }
            Ok(None) => {
                let bill = match difference_of {
                    Some(of) => ctx
                        .store
                        .difference_charge(of)
                        .await?
                        .map(|c| c.bill_number)
                        .unwrap_or_default(),
                    None => String::new(),
                };
                return Ok(Reservation::Taken { bill });
            }
            Err(StoreError::Duplicate(_)) if attempt < BILL_ATTEMPTS => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Owned inputs of the card so it can be rendered on the render thread.
#[derive(Clone)]
pub(super) struct CardOwned {
    pub(super) payload: String,
    pub(super) shop: String,
    pub(super) amount_text: String,
    pub(super) usd: bool,
    pub(super) note: Option<String>,
    pub(super) expires_line: String,
    /// The charge's bill number: the card shows its reference ([`self::bill_ref::BillRef`]).
    pub(super) bill: String,
}

impl CardOwned {
    pub(super) fn render(&self) -> Result<Vec<u8>, crate::render::RenderError> {
        let label = ChargeLabel::new(&self.bill, self.note.as_deref());
        let note = label.note_bare();
        card_png(&CardSpec {
            payload: &self.payload,
            shop_name: &StrangerText(&self.shop).bare(),
            amount_text: &self.amount_text,
            usd: self.usd,
            note: note.as_deref(),
            expires_line: Some(&self.expires_line),
            reference: Some(label.reference().as_str()),
        })
    }

    /// Renders on the process's one render thread, as the status cards are: not on one of
    /// tokio's blocking threads, each of which would keep a card canvas in its own malloc
    /// arena (see `render::worker`).
    pub(super) async fn render_on_render_thread(
        self,
    ) -> Result<Result<Vec<u8>, crate::render::RenderError>, crate::render::RenderThreadError> {
        crate::render::on_render_thread(move || self.render()).await
    }
}

/// The card's caption (the private card's and the one in a customer's chat): amount and
/// shop, the charge's label (reference and note, [`ChargeLabel`]), how long it is valid.
pub(super) fn caption(
    lang: Lang,
    amount_text: &str,
    shop: &str,
    bill: &str,
    note: Option<&str>,
    time: &str,
) -> String {
    let label = ChargeLabel::new(bill, note).line();
    t!(
        lang,
        "charge-caption",
        amount = amount_text,
        shop = StrangerText(shop).shown(),
        label = label,
        time = time
    )
}

/// "Check now" and "Cancel": the buttons of the card in a customer's chat.
pub(super) fn card_buttons(lang: Lang, id: ChargeId, bill: &str) -> Vec<InlineKeyboardButton> {
    vec![
        InlineKeyboardButton::callback(
            t!(lang, "button-check"),
            CallbackAction::check(id, bill).encode(),
        ),
        InlineKeyboardButton::callback(
            t!(lang, "button-cancel"),
            CallbackAction::cancel(id, bill).encode(),
        ),
    ]
}

/// The private card's buttons: "Check now", "Cancel", and "Send to customer", which puts
/// the seller's `@bot <bill number>` query into a chat they pick (users and groups), where
/// the card becomes a live one (`inline.rs`).
pub(super) fn buttons(lang: Lang, id: ChargeId, bill: &str) -> InlineKeyboardMarkup {
    let send = InlineKeyboardButton::new(
        t!(lang, "button-send-customer"),
        InlineKeyboardButtonKind::SwitchInlineQueryChosenChat(SwitchInlineQueryChosenChat {
            query: Some(bill.to_owned()),
            allow_user_chats: true,
            allow_bot_chats: false,
            allow_group_chats: true,
            allow_channel_chats: false,
        }),
    );
    InlineKeyboardMarkup::new([card_buttons(lang, id, bill), vec![send]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_card_rendered_on_the_render_thread_is_the_card() {
        let card = CardOwned {
            payload: "00020101021229180014shop1@aba5204599953038405405\
                      5.005802KH5906Coffee6010Phnom Penh6304ABCD"
                .to_owned(),
            shop: "ហាងកាហ្វេ Coffee".to_owned(),
            amount_text: "$5.00".to_owned(),
            usd: true,
            note: Some("latte".to_owned()),
            expires_line: "Expires 14:05".to_owned(),
            bill: "KB7Q4M2HXK9RW3".to_owned(),
        };
        let here = card.render().unwrap();
        let there = card
            .clone()
            .render_on_render_thread()
            .await
            .unwrap()
            .unwrap();
        assert!(here.starts_with(b"\x89PNG"));
        assert_eq!(there, here);
    }

    #[test]
    fn every_parse_error_has_a_message_in_both_languages() {
        for input in [
            "",
            "abc",
            "-5",
            "0",
            "5.123",
            "1.5 KHR",
            "99999999",
            "5 EUR",
            "$5 KHR",
            "5,00",
            "5 USD this note is far too long for a card, whatever the QR can carry: sixty-one",
            "5 a\u{202e}b",
        ] {
            let err = parse_charge(input, Currency::Usd).unwrap_err();
            for lang in Lang::ALL {
                assert!(!explain(lang, &err).is_empty(), "{input}: {err:?}");
            }
        }
    }
}
