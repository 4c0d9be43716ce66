//! Delivers the watcher's outbox to Telegram: the charge's QR message is edited in place —
//! a status card that cannot be scanned replaces the QR (`editMessageMedia`), the caption
//! becomes a localized paid / not-paid / failed / expired / cancelled line, and the buttons
//! go — and notices (token refused, token expiring) are sent as messages.

use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardMarkup, InputFile, InputMedia, InputMediaPhoto, MessageId};

use crate::i18n::Lang;
use crate::render::{StatusKind, StatusSpec, format_money, status_png};
use crate::store::{Charge, ChargeStatus, Merchant, Store};
use crate::t;
use crate::watcher::outbox::{Deliver, DeliveryError, OutboxTask};
use crate::watcher::reminders::days_left;

use super::format::{now_secs, phnom_penh_date, phnom_penh_time};

/// The Telegram side of the watcher's outbox.
#[derive(Debug, Clone)]
pub struct TelegramFollowUps {
    bot: teloxide::Bot,
    store: Store,
}

impl TelegramFollowUps {
    /// `bot` is a plain bot: edits are not queued by teloxide's `Throttle`, the outbox
    /// paces itself and honours Telegram's `retry_after`.
    pub fn new(bot: teloxide::Bot, store: Store) -> Self {
        Self { bot, store }
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

/// What the status card and caption say.
struct Rendered {
    caption: String,
    png: Vec<u8>,
}

fn money(minor: u64, usd: bool) -> String {
    format_money(minor, usd)
}

fn short_hash(hash: Option<&str>) -> String {
    hash.map(|h| h.chars().take(8).collect())
        .unwrap_or_else(|| "—".to_owned())
}

/// Builds the caption and the status card for a settled charge.
fn render_settled(charge: &Charge, merchant: &Merchant) -> Result<Rendered, DeliveryError> {
    let lang = merchant.language;
    let shop = merchant
        .profile
        .as_ref()
        .map(|p| p.shop_name.clone())
        .unwrap_or_default();
    let usd = charge.amount.currency() == crate::khqr::Currency::Usd;
    let amount = money(charge.amount.minor(), usd);
    let at = charge.settled_at.unwrap_or_else(now_secs);
    let time = format!("{} {}", phnom_penh_date(at), phnom_penh_time(at));
    let payer = charge
        .payer_account_id
        .clone()
        .unwrap_or_else(|| "—".into());
    let hash = short_hash(charge.bakong_hash.as_deref());
    let mismatch = charge.status == ChargeStatus::Failed
        && (charge.paid_currency.is_some() || charge.paid_to_account_id.is_some());

    let (kind, title, caption, lines): (StatusKind, String, String, Vec<String>) =
        match charge.status {
            ChargeStatus::Paid => (
                StatusKind::Paid,
                t!(lang, "status-paid-title"),
                t!(
                    lang,
                    "status-paid-caption",
                    amount = amount.as_str(),
                    shop = shop.as_str(),
                    payer = payer.as_str(),
                    time = time.as_str(),
                    hash = hash.as_str()
                ),
                vec![
                    t!(lang, "status-line-from", payer = payer.as_str()),
                    t!(lang, "status-line-time", time = time.as_str()),
                    t!(lang, "status-line-ref", hash = hash.as_str()),
                ],
            ),
            ChargeStatus::Failed if mismatch => {
                let arrived = match (charge.paid_amount_minor, charge.paid_currency.as_deref()) {
                    (Some(minor), Some(c))
                        if c.eq_ignore_ascii_case("USD") || c.eq_ignore_ascii_case("KHR") =>
                    {
                        money(
                            u64::try_from(minor).unwrap_or(0),
                            c.eq_ignore_ascii_case("USD"),
                        )
                    }
                    (_, Some(c)) => format!("? {c}"),
                    _ => "?".to_owned(),
                };
                let to = charge
                    .paid_to_account_id
                    .clone()
                    .unwrap_or_else(|| "—".into());
                (
                    StatusKind::Failed,
                    t!(lang, "status-mismatch-title"),
                    t!(
                        lang,
                        "status-mismatch-caption",
                        amount = amount.as_str(),
                        account = charge.to_account_id.as_str(),
                        arrived = arrived.as_str(),
                        to = to.as_str(),
                        payer = payer.as_str(),
                        hash = hash.as_str()
                    ),
                    vec![
                        t!(
                            lang,
                            "status-line-received",
                            arrived = arrived.as_str(),
                            to = to.as_str()
                        ),
                        t!(lang, "status-line-from", payer = payer.as_str()),
                        t!(lang, "status-line-ref", hash = hash.as_str()),
                    ],
                )
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
            ChargeStatus::Creating | ChargeStatus::Pending => {
                return Err(DeliveryError::Permanent(format!(
                    "charge {} is still {}",
                    charge.id, charge.status
                )));
            }
        };
    let line_refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let png = status_png(&StatusSpec {
        kind,
        title: &title,
        shop_name: &shop,
        amount_text: &amount,
        lines: &line_refs,
    })
    .map_err(|e| DeliveryError::Transient(format!("status card: {e}")))?;
    Ok(Rendered { caption, png })
}

impl TelegramFollowUps {
    async fn edit_charge(&self, task: &OutboxTask) -> Result<(), DeliveryError> {
        let Some(id) = task.charge else {
            return Err(DeliveryError::Permanent(
                "charge follow-up without a charge".into(),
            ));
        };
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
        let rendered = {
            let (charge, merchant) = (charge.clone(), merchant.clone());
            tokio::task::spawn_blocking(move || render_settled(&charge, &merchant))
                .await
                .map_err(|e| DeliveryError::Transient(format!("render task: {e}")))??
        };
        let chat = ChatId(charge.chat_id);
        if let Some(message_id) = charge.message_id {
            let photo = InputFile::memory(rendered.png.clone()).file_name("status.png");
            let media =
                InputMedia::Photo(InputMediaPhoto::new(photo).caption(rendered.caption.clone()));
            let edited = self
                .bot
                .edit_message_media(chat, MessageId(message_id), media)
                .reply_markup(InlineKeyboardMarkup::new(Vec::<Vec<_>>::new()))
                .await;
            match edited {
                Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => return Ok(()),
                Err(e) if message_gone(&e) => {
                    tracing::info!(charge = %id, error = %e, "cannot edit the QR message; sending the status as a new one");
                }
                Err(e) => return Err(classify(e)),
            }
        }
        self.bot
            .send_photo(
                chat,
                InputFile::memory(rendered.png).file_name("status.png"),
            )
            .caption(rendered.caption)
            .await
            .map(|_| ())
            .map_err(classify)
    }

    async fn notice(&self, task: &OutboxTask) -> Result<(), DeliveryError> {
        let merchant = self
            .store
            .merchant(task.merchant)
            .await
            .map_err(store_err)?
            .ok_or_else(|| {
                DeliveryError::Permanent(format!("merchant {} is gone", task.merchant))
            })?;
        let lang: Lang = merchant.language;
        let text = match task.kind.as_str() {
            "token_refused" => t!(lang, "notice-token-refused"),
            "token_unreadable" => t!(lang, "notice-token-unreadable"),
            _ => {
                let expires_at = task
                    .payload
                    .get("expires_at")
                    .and_then(serde_json::Value::as_i64)
                    .unwrap_or_else(now_secs);
                let days = days_left(expires_at, now_secs()).to_string();
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
            .send_message(ChatId(merchant.chat_id), text)
            .await
            .map(|_| ())
            .map_err(classify)
    }
}

impl Deliver for TelegramFollowUps {
    async fn deliver(&self, task: &OutboxTask) -> Result<(), DeliveryError> {
        match task.kind.as_str() {
            "charge_paid" | "charge_failed" | "charge_expired" | "charge_mismatch"
            | "charge_cancelled" => self.edit_charge(task).await,
            "token_refused" | "token_expiring" | "token_unreadable" => self.notice(task).await,
            other => Err(DeliveryError::Permanent(format!(
                "unknown follow-up {other:?}"
            ))),
        }
    }
}
