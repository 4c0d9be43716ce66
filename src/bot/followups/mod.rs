//! Delivers the watcher's outbox to Telegram: the charge's QR message is edited in place —
//! the private card, and the card in a customer's chat (`inline_message_id`, edited with the
//! status card's `file_id` from the private edit: inline messages take no uploads) —
//! a status card that cannot be scanned replaces the QR (`editMessageMedia`), the caption
//! becomes a localized paid / not-paid / failed / expired / cancelled line, and the buttons
//! go — and notices (token refused, token expiring, paid after cancel/expiry, a payment for a
//! charge that can no longer take it, a charge that could not be verified) are sent as
//! messages.
//!
//! Delivery is at least once, but a task Telegram accepted whose "done" mark then failed
//! is not sent again by this process: the ids of accepted tasks are remembered and a
//! second delivery of one only reports success (so the outbox marks it done).
//!
//! Requests go through the bot's shared flood gate ([`PacedBot`], outbox policy): a chat
//! that had its message this second is reported as [`DeliveryError::Paced`] before anything
//! is rendered, and a flood-control pause met by any request of the bot is
//! [`Deliver::paused_until`].
//!
//! `money_words.rs` says what people are told about money; `renewal.rs` holds the texts of a
//! token's renewal.

pub(super) mod money_words;
mod renewal;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{
    FileId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputMedia, InputMediaPhoto,
    MessageId,
};

use crate::i18n::Lang;
use crate::metrics::Metrics;
use crate::render::{StatusKind, StatusSpec, format_minor_units, format_money, status_png};

use crate::store::{Charge, ChargeStatus, FollowUpKind, Merchant, OutboxItem, Payment, Store};
use crate::t;
use crate::telegram_pacing::{ChatKey, PacedBot, WaitPolicy};
use crate::time::{SharedClock, UnixSecs, system_clock};
use crate::watcher::outbox::{Deliver, DeliveryError};
use crate::watcher::reminders::days_left;

use super::callbacks::CallbackAction;
use super::charge::bill_ref::BillRef;
use super::charge::label::ChargeLabel;
use super::charge::largest_photo;
use super::format::{phnom_penh_date, phnom_penh_date_time, phnom_penh_time};
use super::stranger_text::StrangerText;

/// Accepted task ids remembered at most (then forgotten all at once).
const MAX_REMEMBERED: usize = 10_000;

/// The Telegram side of the watcher's outbox.
#[derive(Debug, Clone)]
pub struct TelegramFollowUps {
    bot: PacedBot,
    store: Store,
    /// Tasks Telegram accepted in this process (see the module documentation).
    accepted: Arc<Mutex<HashSet<i64>>>,
    /// The status card's file_id per task, once uploaded to the seller's chat: a retry of
    /// the customer's card's edit reuses it instead of uploading again.
    status_files: Arc<Mutex<HashMap<i64, String>>>,
    /// "Now" for the texts (the process's clock; the system clock unless [`Self::with_clock`]).
    clock: SharedClock,
    /// Follow-ups Telegram accepted are counted here (`/metrics`).
    metrics: Arc<Metrics>,
}

impl TelegramFollowUps {
    /// Over the bot's shared gate (what `khqr-bot run` does), with the outbox's wait policy.
    pub fn paced(bot: PacedBot, store: Store) -> Self {
        Self {
            bot: bot.with_policy(WaitPolicy::OUTBOX),
            store,
            accepted: Arc::new(Mutex::new(HashSet::new())),
            status_files: Arc::new(Mutex::new(HashMap::new())),
            clock: system_clock(),
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// The same, reading "now" from `clock`.
    pub fn with_clock(self, clock: SharedClock) -> Self {
        Self { clock, ..self }
    }

    /// Counts the follow-ups Telegram accepts into `metrics` (the process's registry).
    pub fn with_metrics(self, metrics: Arc<Metrics>) -> Self {
        Self { metrics, ..self }
    }

    fn accepted(&self) -> std::sync::MutexGuard<'_, HashSet<i64>> {
        // A set of ids: a panic elsewhere cannot leave it half-updated.
        self.accepted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn status_file(&self, task: i64) -> Option<String> {
        self.status_files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&task)
            .cloned()
    }

    fn remember_status_file(&self, task: i64, file_id: &str) {
        let mut files = self
            .status_files
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if files.len() >= MAX_REMEMBERED {
            files.clear();
        }
        files.insert(task, file_id.to_owned());
    }

    /// `Paced` if `chat` had its share of messages.
    fn chat_ready(&self, chat: ChatId) -> Result<(), DeliveryError> {
        match self.bot.gate().chat_ready_at(&ChatKey::from(&chat)) {
            Some(until) => Err(DeliveryError::Paced { until }),
            None => Ok(()),
        }
    }
}

fn store_err(e: impl std::fmt::Display) -> DeliveryError {
    DeliveryError::Transient(format!("database: {e}"))
}

/// How a Telegram error affects delivery.
fn classify(e: RequestError) -> DeliveryError {
    match e {
        RequestError::RetryAfter(s) => DeliveryError::RetryAfter {
            secs: u64::from(s.seconds()),
        },
        RequestError::Api(
            ApiError::BotBlocked
            | ApiError::ChatNotFound
            | ApiError::UserDeactivated
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel,
        ) => DeliveryError::Permanent(e.to_string()),
        other => DeliveryError::Transient(other.to_string()),
    }
}

/// The edit cannot happen (message deleted, too old, never known): say it in a new message.
fn message_gone(e: &RequestError) -> bool {
    matches!(
        e,
        RequestError::Api(
            ApiError::MessageToEditNotFound
                | ApiError::MessageCantBeEdited
                | ApiError::MessageIdInvalid
        )
    )
}

/// Which message about the merchant's token a notice is.
#[derive(Debug, Clone, Copy)]
enum Notice {
    TokenRefused,
    TokenExpiring,
    /// Renewed by itself, or the renewal ended without a token (`renewal.rs`).
    Renewal,
    TokenUnreadable,
    /// The day's closing summary: the text the payload carries.
    CloseSummary,
}

/// What the status card and captions say.
pub(super) struct Rendered {
    /// The seller's caption (the private card).
    pub(super) caption: String,
    /// The caption of the card in a customer's chat (inline mode), which everyone there
    /// reads: what happened to the money in the customer's words, no payer account, no
    /// transaction hash.
    pub(super) guest_caption: String,
    pub(super) png: Vec<u8>,
}

/// Who sees a status card's picture. A charge with a card in a customer's chat shares one
/// picture (by `file_id`) between that chat and the seller's, so it shows no payer account
/// and no hash; the seller's caption still has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Audience {
    Seller,
    Shared,
}

/// An amount Bakong reported in `currency` (`USD` or `KHR`, any case).
fn paid_money(minor: i64, currency: &str) -> String {
    let minor = u64::try_from(minor).unwrap_or(0);
    match currency.parse() {
        Ok(currency) => format_minor_units(minor, currency),
        Err(_) => format!("{minor} {currency}"),
    }
}

/// A charge's status as a word of the seller's language.
pub(super) fn status_word(lang: Lang, status: ChargeStatus) -> String {
    match status {
        ChargeStatus::Paid => t!(lang, "state-paid"),
        ChargeStatus::Underpaid => t!(lang, "state-underpaid"),
        ChargeStatus::Mismatch => t!(lang, "state-mismatch"),
        ChargeStatus::Failed => t!(lang, "state-failed"),
        ChargeStatus::Expired => t!(lang, "state-expired"),
        ChargeStatus::Cancelled => t!(lang, "state-cancelled"),
        ChargeStatus::Unverified => t!(lang, "state-unverified"),
        ChargeStatus::Discarded => t!(lang, "state-discarded"),
        ChargeStatus::Creating | ChargeStatus::Pending => t!(lang, "state-pending"),
    }
}

/// The message about a payment for a charge that could no longer take it, as builds before
/// the payments ledger queued it ([`FollowUpKind::PaymentUnwatched`]: the payload carries
/// what arrived).
fn unwatched_notice(task: &OutboxItem, charge: &Charge, lang: Lang) -> String {
    let amount = format_money(charge.amount);
    let bill = BillRef::of(&charge.bill_number);
    let bill = bill.as_str();
    let payload = |key: &str| {
        task.payload
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let payer = payload("payer").unwrap_or_else(|| "—".into());
    let hash = payload("hash").unwrap_or_default();
    let arrived = match (
        task.payload
            .get("amount_minor")
            .and_then(serde_json::Value::as_i64),
        payload("currency"),
    ) {
        (Some(minor), Some(c))
            if c.eq_ignore_ascii_case("USD") || c.eq_ignore_ascii_case("KHR") =>
        {
            paid_money(minor, &c)
        }
        (_, Some(c)) => format!("{} {c}", payload("amount").unwrap_or_default()),
        _ => amount.clone(),
    };
    let time = task
        .payload
        .get("paid_at")
        .and_then(serde_json::Value::as_i64)
        .map_or_else(|| "—".to_owned(), phnom_penh_date_time);
    let status = payload("status")
        .and_then(|s| s.parse::<ChargeStatus>().ok())
        .map_or_else(String::new, |s| status_word(lang, s));
    t!(
        lang,
        "notice-payment-unwatched",
        status = status.as_str(),
        arrived = arrived.as_str(),
        payer = payer.as_str(),
        time = time.as_str(),
        hash = hash.as_str(),
        bill = bill,
        amount = amount.as_str()
    )
}

/// Builds the caption and the status card for a settled charge.
pub(super) fn render_settled(
    charge: &Charge,
    payments: &[Payment],
    merchant: &Merchant,
    now: UnixSecs,
    audience: Audience,
) -> Result<Rendered, DeliveryError> {
    let lang = merchant.language;
    let shop_name = merchant
        .profile
        .as_ref()
        .map(|p| p.shop_name.to_string())
        .unwrap_or_default();
    let shop = StrangerText(&shop_name).shown();
    let amount = format_money(charge.amount);
    // A payment shows when the customer paid; anything else when it ended.
    let at = charge.paid_at.or(charge.settled_at).unwrap_or(now);
    let time = phnom_penh_date_time(at);
    let (kind, title, caption, lines): (StatusKind, String, String, Vec<String>) =
        match charge.status {
            ChargeStatus::Paid | ChargeStatus::Underpaid | ChargeStatus::Mismatch => {
                let card = money_words::money_card(
                    lang,
                    charge,
                    payments,
                    &shop,
                    audience == Audience::Seller,
                )
                .ok_or_else(|| {
                    DeliveryError::Permanent(format!("charge {} has no money", charge.id))
                })?;
                (card.kind, card.title, card.caption, card.lines)
            }
            ChargeStatus::Failed => (
                StatusKind::Failed,
                t!(lang, "status-failed-title"),
                t!(
                    lang,
                    "status-failed-caption",
                    amount = amount.as_str(),
                    shop = shop.as_str()
                ),
                vec![t!(lang, "status-line-time", time = time.as_str())],
            ),
            ChargeStatus::Expired => {
                let until = phnom_penh_time(charge.expires_at);
                (
                    StatusKind::Expired,
                    t!(lang, "status-expired-title"),
                    t!(
                        lang,
                        "status-expired-caption",
                        amount = amount.as_str(),
                        shop = shop.as_str(),
                        time = until.as_str()
                    ),
                    vec![t!(lang, "status-line-expired", time = until.as_str())],
                )
            }
            ChargeStatus::Cancelled => (
                StatusKind::Cancelled,
                t!(lang, "status-cancelled-title"),
                t!(
                    lang,
                    "status-cancelled-caption",
                    amount = amount.as_str(),
                    shop = shop.as_str()
                ),
                vec![t!(lang, "status-line-time", time = time.as_str())],
            ),
            ChargeStatus::Unverified => (
                StatusKind::Expired,
                t!(lang, "status-unverified-title"),
                t!(
                    lang,
                    "status-unverified-caption",
                    amount = amount.as_str(),
                    shop = shop.as_str()
                ),
                vec![t!(
                    lang,
                    "status-line-expired",
                    time = phnom_penh_time(charge.expires_at)
                )],
            ),
            // No follow-up shows these: an open charge has no status card, and a discarded
            // draft has no card left (paid late, it is `paid`).
            ChargeStatus::Creating | ChargeStatus::Pending | ChargeStatus::Discarded => {
                return Err(DeliveryError::Permanent(format!(
                    "charge {} is {}, which has no status card",
                    charge.id, charge.status
                )));
            }
        };
    let line_refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let label = ChargeLabel::of(charge);
    let note = label.note_bare();
    let png = status_png(&StatusSpec {
        kind,
        title: &title,
        shop_name: &StrangerText(&shop_name).bare(),
        amount_text: &amount,
        note: note.as_deref(),
        reference: Some(label.reference().as_str()),
        lines: &line_refs,
    })
    .map_err(|e| DeliveryError::Transient(format!("status card: {e}")))?;
    let caption = label.under_headline(&caption);
    let guest_caption = match money_words::customer_caption(lang, charge, payments, &shop) {
        Some(words) => label.under_headline(&words),
        None => caption.clone(),
    };
    Ok(Rendered {
        caption,
        guest_caption,
        png,
    })
}

/// The buttons under the seller's own settled card: "Charge the missing …" when less than
/// asked arrived, none otherwise.
fn settled_buttons(lang: Lang, charge: &Charge, payments: &[Payment]) -> InlineKeyboardMarkup {
    match money_words::missing_money(charge, payments) {
        Some(missing) => InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
            t!(
                lang,
                "button-charge-missing",
                missing = money_words::money_text(missing)
            ),
            CallbackAction::difference(charge.id, &charge.bill_number).encode(),
        )]]),
        None => InlineKeyboardMarkup::new(Vec::<Vec<_>>::new()),
    }
}

/// The seller's notice about one charge (paid late, a payment it can no longer take, a
/// transaction that paid another bill, not verified), with the charge's label (reference
/// and note) under its headline. `payments` are the charge's; `other_bill` is the bill a
/// reported transaction already paid, when it is the same seller's.
pub(super) fn charge_notice_text(
    task: &OutboxItem,
    charge: &Charge,
    payments: &[Payment],
    other_bill: Option<&str>,
    lang: Lang,
) -> Result<String, DeliveryError> {
    let text = match task.kind {
        FollowUpKind::ChargeUnverifiedNotice => {
            let amount = format_money(charge.amount);
            let time = phnom_penh_date_time(charge.expires_at);
            let bill = BillRef::of(&charge.bill_number);
            t!(
                lang,
                "notice-unverified",
                amount = amount.as_str(),
                bill = bill.as_str(),
                time = time.as_str()
            )
        }
        FollowUpKind::PaymentUnwatched => unwatched_notice(task, charge, lang),
        FollowUpKind::PaymentHashTaken => {
            let hash = task
                .payload
                .get("hash")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default();
            money_words::hash_taken_notice(lang, charge, hash, other_bill)
        }
        _ => {
            // The payment the task names (its payload's `payment`; the charge's first
            // payment for tasks queued before the ledger).
            let named = task
                .payload
                .get("payment")
                .and_then(serde_json::Value::as_i64);
            let payment = match named {
                Some(id) => payments.iter().find(|p| p.id == id),
                None => payments.first(),
            };
            let Some(payment) = payment else {
                return Err(DeliveryError::Permanent(format!(
                    "charge {}: the payment of follow-up {} is not in the ledger",
                    charge.id, task.id
                )));
            };
            money_words::payment_notice(lang, charge, payments, payment)
        }
    };
    Ok(ChargeLabel::of(charge).under_headline(&text))
}

impl TelegramFollowUps {
    /// The charge a follow-up is about and its merchant; gone rows are permanent failures.
    async fn charge_and_merchant(
        &self,
        id: crate::store::ChargeId,
    ) -> Result<(Charge, Merchant), DeliveryError> {
        let charge = self
            .store
            .charge(id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| DeliveryError::Permanent(format!("charge {id} is gone")))?;
        let merchant = self
            .store
            .merchant(charge.merchant_id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| DeliveryError::Permanent(format!("merchant of charge {id} is gone")))?;
        Ok((charge, merchant))
    }

    async fn edit_charge(&self, task: &OutboxItem) -> Result<(), DeliveryError> {
        let Some(id) = task.charge_id else {
            return Err(DeliveryError::Permanent(
                "charge follow-up without a charge".into(),
            ));
        };
        let (charge, mut merchant) = self.charge_and_merchant(id).await?;
        let chat = ChatId(charge.chat_id);
        self.chat_ready(chat)?;
        let payments = self.store.charge_payments(id).await.map_err(store_err)?;
        // A pay link's card lives in its buyer's chat: the status card speaks
        // the buyer's language and an expired one offers "New QR".
        let bought = self.store.link_charge(id).await.map_err(store_err)?;
        let keyboard = match &bought {
            Some(bought) => {
                merchant.language = bought.buyer.lang;
                super::links::buy::settled_buttons(bought.buyer.lang, &charge)
            }
            None => settled_buttons(merchant.language, &charge, &payments),
        };
        let rendered = {
            let (charge, merchant) = (charge.clone(), merchant.clone());
            let payments = payments.clone();
            let now = self.clock.unix_secs();
            let audience = match charge.inline_message_id {
                Some(_) => Audience::Shared,
                None => Audience::Seller,
            };
            crate::render::on_render_thread(move || {
                render_settled(&charge, &payments, &merchant, now, audience)
            })
            .await
            .map_err(|e| DeliveryError::Transient(format!("render task: {e}")))??
        };
        let rendered = match &bought {
            Some(bought) => Rendered {
                caption: super::links::buy::buyer_caption(
                    bought.buyer.lang,
                    &charge,
                    &payments,
                    &merchant,
                )
                .unwrap_or(rendered.caption),
                ..rendered
            },
            None => rendered,
        };
        // The card in a customer's chat says what happened to their money in their words
        // (`Rendered::guest_caption`).
        let customer_caption = rendered.guest_caption.clone();
        // The private card first: its edit (or a new photo) yields the status card's
        // file_id, which is the only way the card in a customer's chat can take it.
        let mut status_file = self.status_file(task.id);
        let mut private_done = false;
        if let Some(message_id) = charge.message_id {
            let photo = InputFile::memory(rendered.png.clone()).file_name("status.png");
            let media =
                InputMedia::Photo(InputMediaPhoto::new(photo).caption(rendered.caption.clone()));
            let edited = self
                .bot
                .edit_message_media(chat, MessageId(message_id), media)
                .reply_markup(keyboard.clone())
                .await;
            match edited {
                Ok(message) => {
                    status_file = status_file.or_else(|| largest_photo(&message));
                    private_done = true;
                }
                Err(RequestError::Api(ApiError::MessageNotModified)) => private_done = true,
                Err(e) if message_gone(&e) => {
                    tracing::info!(charge = %id, error = %e, "cannot edit the QR message; sending the status as a new one");
                }
                Err(e) => return Err(classify(e)),
            }
        }
        let Some(inline_id) = charge.inline_message_id.as_deref() else {
            if private_done {
                return Ok(());
            }
            return self
                .bot
                .send_photo(
                    chat,
                    InputFile::memory(rendered.png).file_name("status.png"),
                )
                .caption(rendered.caption)
                .reply_markup(keyboard)
                .await
                .map(|_| ())
                .map_err(classify);
        };
        // The card in the customer's chat: an inline message takes no upload, so the status
        // card goes to the seller's chat first when no file_id is known yet (a new private
        // card when the old one is gone, else a repeat delivery after a restart).
        let file_id = match status_file {
            Some(file_id) => file_id,
            None => {
                let sent = self
                    .bot
                    .send_photo(
                        chat,
                        InputFile::memory(rendered.png).file_name("status.png"),
                    )
                    .caption(rendered.caption.clone())
                    .await
                    .map_err(classify)?;
                largest_photo(&sent).ok_or_else(|| {
                    DeliveryError::Transient("the status photo came back without a file".into())
                })?
            }
        };
        self.remember_status_file(task.id, &file_id);
        let media = InputMedia::Photo(
            InputMediaPhoto::new(InputFile::file_id(FileId(file_id))).caption(customer_caption),
        );
        let edited = self
            .bot
            .edit_message_media_inline(inline_id, media)
            .reply_markup(InlineKeyboardMarkup::new(Vec::<Vec<_>>::new()))
            .await;
        match edited {
            Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => Ok(()),
            Err(e) if message_gone(&e) => {
                // The customer deleted it: the private card says it all.
                tracing::info!(charge = %id, error = %e, "cannot edit the card in the customer's chat");
                Ok(())
            }
            Err(e) => Err(classify(e)),
        }
    }

    /// A new message about one charge (paid late, a payment it can no longer take, not
    /// verified): the seller must see it even if they already told the customer otherwise.
    async fn charge_notice(&self, task: &OutboxItem) -> Result<(), DeliveryError> {
        let Some(id) = task.charge_id else {
            return Err(DeliveryError::Permanent(
                "charge notice without a charge".into(),
            ));
        };
        let (charge, merchant) = self.charge_and_merchant(id).await?;
        let lang = merchant.language;
        let payments = self.store.charge_payments(id).await.map_err(store_err)?;
        let other_bill = match task.kind {
            FollowUpKind::PaymentHashTaken => self.other_bill(task, &charge).await?,
            _ => None,
        };
        let text = charge_notice_text(task, &charge, &payments, other_bill.as_deref(), lang)?;
        // A pay link's charge lives in its buyer's chat: the seller hears in their own.
        let bought = self.store.link_charge(id).await.map_err(store_err)?;
        let chat = match bought {
            Some(_) => ChatId(merchant.chat_id),
            None => ChatId(charge.chat_id),
        };
        let mut send = self.bot.send_message(chat, text);
        if let Some(message_id) = charge.message_id.filter(|_| bought.is_none()) {
            // Points at the charge's message; sent anyway if that message is gone.
            send = send.reply_parameters(
                teloxide::types::ReplyParameters::new(MessageId(message_id))
                    .allow_sending_without_reply(),
            );
        }
        send.await.map(|_| ()).map_err(classify)
    }

    /// The bill a transaction reported for `charge` already paid (`hash_taken` tasks): the
    /// same seller's only, another seller's bill is not this seller's business.
    async fn other_bill(
        &self,
        task: &OutboxItem,
        charge: &Charge,
    ) -> Result<Option<String>, DeliveryError> {
        let other = match task
            .payload
            .get("other_charge")
            .and_then(serde_json::Value::as_i64)
        {
            Some(other) => self
                .store
                .charge(crate::store::ChargeId(other))
                .await
                .map_err(store_err)?,
            None => None,
        };
        Ok(other
            .filter(|o| o.merchant_id == charge.merchant_id)
            .map(|o| o.bill_number))
    }

    async fn notice(&self, task: &OutboxItem, notice: Notice) -> Result<(), DeliveryError> {
        let merchant = self
            .store
            .merchant(task.merchant_id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| {
                DeliveryError::Permanent(format!("merchant {} is gone", task.merchant_id))
            })?;
        let chat = ChatId(merchant.chat_id);
        self.chat_ready(chat)?;
        let lang: Lang = merchant.language;
        let now = self.clock.unix_secs();
        let text = match notice {
            Notice::TokenRefused => t!(lang, "notice-token-refused"),
            Notice::Renewal => renewal::text(lang, task.kind, &task.payload),
            Notice::TokenUnreadable => t!(lang, "notice-token-unreadable"),
            Notice::CloseSummary => task
                .payload
                .get("text")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| {
                    DeliveryError::Permanent(format!("closing summary {} without text", task.id))
                })?,
            Notice::TokenExpiring => {
                let expires_at = task
                    .payload
                    .get("expires_at")
                    .and_then(serde_json::Value::as_i64)
                    .unwrap_or(now);
                let days = days_left(expires_at, now).to_string();
                let date = phnom_penh_date(expires_at);
                if merchant.email.is_some() {
                    t!(
                        lang,
                        "notice-token-expiring-email",
                        days = days.as_str(),
                        date = date.as_str()
                    )
                } else {
                    t!(
                        lang,
                        "notice-token-expiring",
                        days = days.as_str(),
                        date = date.as_str()
                    )
                }
            }
        };
        self.bot
            .send_message(chat, text)
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

impl TelegramFollowUps {
    /// The seller's message about a payment of one of their pay links' charges.
    async fn link_sale(&self, task: &OutboxItem) -> Result<(), DeliveryError> {
        let (chat, text) = super::links::buy::sale_message(&self.store, task).await?;
        self.chat_ready(chat)?;
        self.bot
            .send_message(chat, text)
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

impl Deliver for TelegramFollowUps {
    async fn deliver(&self, task: &OutboxItem) -> Result<(), DeliveryError> {
        if self.accepted().contains(&task.id) {
            tracing::info!(task = task.id, kind = %task.kind, "follow-up already accepted by Telegram; not sent again");
            return Ok(());
        }
        use FollowUpKind as K;
        let delivered = match task.kind {
            K::ChargePaid
            | K::ChargeUnderpaid
            | K::ChargeFailed
            | K::ChargeExpired
            | K::ChargeMismatch
            | K::ChargeCancelled
            | K::ChargeUnverified => self.edit_charge(task).await,
            K::ChargePaidLate
            | K::PaymentUnwatched
            | K::PaymentExtra
            | K::PaymentHashTaken
            | K::ChargeUnverifiedNotice => self.charge_notice(task).await,
            K::TokenRefused => self.notice(task, Notice::TokenRefused).await,
            K::TokenExpiring => self.notice(task, Notice::TokenExpiring).await,
            K::TokenRenewed | K::TokenRenewalEnded => self.notice(task, Notice::Renewal).await,
            K::TokenUnreadable => self.notice(task, Notice::TokenUnreadable).await,
            K::LinkSale => self.link_sale(task).await,
            K::CloseSummary => self.notice(task, Notice::CloseSummary).await,
        };
        if delivered.is_ok() {
            self.metrics.outbox_sent();
            let mut accepted = self.accepted();
            // Only the window between Telegram's acceptance and the done mark matters; keep
            // the set small in a long-running bot.
            if accepted.len() >= MAX_REMEMBERED {
                accepted.clear();
            }
            accepted.insert(task.id);
        }
        delivered
    }

    fn paused_until(&self) -> Option<tokio::time::Instant> {
        self.bot.gate().frozen_until()
    }
}

#[cfg(test)]
mod label_tests;
