//! Inline mode: `@bot 5 USD iced coffee` typed in any chat offers the real KHQR
//! card, and the chosen card in the customer's chat is kept up to date like the private one.
//!
//! - **Settling.** Telegram sends an inline query on every keystroke. [`on_inline_query`]
//!   waits [`SETTLE`] and drops the query when a newer one from the same user arrived
//!   meanwhile ([`Debounce`]): only the settled query is answered, and only it can cost a
//!   render and an upload.
//! - **Same grammar as /charge.** The query is read by `charge::args::parse_charge` with the
//!   seller's default currency; an error is one article result explaining it (from
//!   `charge::explain`) and nothing is created. An empty query is a help article; a caller
//!   without a finished /setup gets the "set up first" button (`start_parameter`
//!   [`SETUP_START`]) and no results.
//! - **Drafts.** A valid query becomes a draft (`draft.rs`): a `creating` charge whose
//!   card is uploaded to the seller's private chat (the record copy, which yields the
//!   `file_id`: inline messages cannot receive uploads), offered as a cached photo with the
//!   "Check now" / "Cancel" keyboard (so Telegram gives the chosen message an
//!   `inline_message_id`). Answers are `is_personal` with no cache: one seller never sees
//!   another's draft.
//! - **Chosen** ([`on_chosen`], needs inline feedback on in BotFather). `c<id>` — the draft
//!   becomes the charge (`Store::choose_inline_draft`): `pending`, its private card the
//!   record copy, its customer card the `inline_message_id`; the watcher polls it like any
//!   other. `s<id>` — "Send to customer" of an existing pending charge (the query is its
//!   bill number, put there by the private card's button): `Store::attach_inline_message`.
//!   A card chosen after its draft was discarded is edited at once to say it is void.
//! - **Drafts never chosen** are discarded after
//!   [`DRAFT_TTL_SECS`](draft::DRAFT_TTL_SECS) by the sweep in `draft.rs`.

pub(super) mod draft;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use teloxide::prelude::*;
use teloxide::types::{
    ChosenInlineResult, FileId, InlineKeyboardMarkup, InlineQuery, InlineQueryResult,
    InlineQueryResultArticle, InlineQueryResultCachedPhoto, InlineQueryResultsButton,
    InlineQueryResultsButtonKind, InputMessageContent, InputMessageContentText,
};
use tokio::sync::watch;

use crate::i18n::Lang;
use crate::render::format_money;
use crate::store::{ChargeId, ChargeStatus};
use crate::t;

use super::caller::{Caller, Shop};
use super::charge::args::parse_charge;
use super::charge::{caption, card_buttons, explain, largest_photo};
use super::followups::{Audience, render_settled};
use super::format::phnom_penh_time;
use super::stranger_text::StrangerText;
use super::{Ctx, HandlerError, HandlerResult, TgBot};

/// How long a query must stay the user's latest before it is answered.
pub const SETTLE: Duration = Duration::from_millis(800);
/// The deep-link parameter of the "set up first" button (`/start setup`).
pub const SETUP_START: &str = "setup";

/// Users whose latest query [`Debounce`] remembers before it forgets the idle ones.
const DEBOUNCE_TRACKED: usize = 10_000;

/// The latest inline query of each user, to answer only settled ones.
///
/// Queries are ordered by their update id (Telegram numbers updates in the order they
/// happened), not by when their handler happens to start: inline queries carry no chat, so
/// the dispatcher runs their handlers concurrently, in any order. A user's entry keeps the
/// highest id seen, so an older keystroke whose handler starts late can never settle.
///
/// A superseded query's handler returns as soon as the newer keystroke arrives rather than
/// after [`SETTLE`]: each handler holds one of the user's few in-flight places (the flood
/// guard's keyless lane), and a fast typist's keystrokes must not fill them, or the last
/// keystroke — the query that matters — would be shed. The map forgets users with no query
/// waiting once it tracks [`DEBOUNCE_TRACKED`].
#[derive(Debug, Default)]
pub struct Debounce {
    latest: Mutex<HashMap<u64, watch::Sender<u32>>>,
}

impl Debounce {
    fn latest(&self) -> std::sync::MutexGuard<'_, HashMap<u64, watch::Sender<u32>>> {
        // A map of counters: a panic elsewhere cannot leave it half-updated.
        self.latest.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers query `update_id` of `user`; the receiver follows the user's latest id.
    fn arrive(&self, user: u64, update_id: u32) -> watch::Receiver<u32> {
        let mut latest = self.latest();
        if latest.len() >= DEBOUNCE_TRACKED && !latest.contains_key(&user) {
            latest.retain(|_, tx| tx.receiver_count() > 0);
        }
        let tx = latest
            .entry(user)
            .or_insert_with(|| watch::channel(update_id).0);
        tx.send_if_modified(|newest| {
            let newer = update_id > *newest;
            if newer {
                *newest = update_id;
            }
            newer
        });
        tx.subscribe()
    }

    /// Whether query `update_id` of `user` is still the user's latest after `wait`: false as
    /// soon as a newer one arrives.
    async fn settles(&self, user: u64, update_id: u32, wait: Duration) -> bool {
        let mut newest = self.arrive(user, update_id);
        let superseded = matches!(
            tokio::time::timeout(wait, newest.wait_for(|id| *id != update_id)).await,
            Ok(Ok(_))
        );
        // Otherwise the wait ran out (or the entry went away, which it does only with no
        // waiter): settled if still the latest.
        !superseded && *newest.borrow() == update_id
    }
}

/// A result id: `c<id>` a draft, `s<id>` an existing charge sent to a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResultId {
    Draft(ChargeId),
    Existing(ChargeId),
}

impl ResultId {
    fn encode(self) -> String {
        match self {
            ResultId::Draft(id) => format!("c{}", id.0),
            ResultId::Existing(id) => format!("s{}", id.0),
        }
    }

    fn decode(s: &str) -> Option<Self> {
        let (kind, id) = s.split_at_checked(1)?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let id = ChargeId(id.parse().ok()?);
        match kind {
            "c" => Some(ResultId::Draft(id)),
            "s" => Some(ResultId::Existing(id)),
            _ => None,
        }
    }
}

/// A bill number as the "Send to customer" button puts it in the query (`KB` + 12).
fn is_bill_number(query: &str) -> bool {
    query.len() == 14
        && query.starts_with("KB")
        && query[2..]
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

fn article(id: &str, title: String, description: String, text: String) -> InlineQueryResult {
    InlineQueryResult::Article(
        InlineQueryResultArticle::new(
            id,
            title,
            InputMessageContent::Text(InputMessageContentText::new(text)),
        )
        .description(description),
    )
}

/// What the bot answers a settled query with.
enum Answer {
    Results(Vec<InlineQueryResult>),
    SetUpFirst,
}

/// An inline query: answered once it settled (see the module documentation).
pub(super) async fn on_inline_query(
    bot: TgBot,
    update: Update,
    q: InlineQuery,
    caller: Caller,
    ctx: Arc<Ctx>,
    debounce: Arc<Debounce>,
) -> HandlerResult {
    let ticket = update.id.0;
    if !debounce.settles(q.from.id.0, ticket, SETTLE).await {
        tracing::debug!(query = %q.id, "inline query superseded by a newer keystroke");
        return Ok(());
    }
    let lang = caller.lang;
    let answer = match answer_for(&bot, &ctx, &caller, q.query.trim()).await {
        Ok(answer) => answer,
        Err(e) => {
            tracing::error!(error = %e, "inline query failed");
            let title = t!(lang, "inline-failed-title");
            Answer::Results(vec![article("error", title.clone(), String::new(), title)])
        }
    };
    let request = match answer {
        Answer::Results(results) => bot.answer_inline_query(q.id.clone(), results),
        Answer::SetUpFirst => {
            bot.answer_inline_query(q.id.clone(), Vec::new())
                .button(InlineQueryResultsButton {
                    text: t!(lang, "inline-setup-button"),
                    kind: InlineQueryResultsButtonKind::StartParameter(SETUP_START.to_owned()),
                })
        }
    };
    request.is_personal(true).cache_time(0).await?;
    Ok(())
}

async fn answer_for(
    bot: &TgBot,
    ctx: &Ctx,
    caller: &Caller,
    query: &str,
) -> Result<Answer, super::HandlerError> {
    let lang = caller.lang;
    let Some(shop) = caller.shop() else {
        return Ok(Answer::SetUpFirst);
    };
    if query.is_empty() {
        return Ok(Answer::Results(vec![article(
            "help",
            t!(lang, "inline-help-title"),
            t!(lang, "inline-help-description"),
            t!(lang, "inline-help-text"),
        )]));
    }
    let invalid = |reason: String| {
        Answer::Results(vec![article(
            "invalid",
            t!(lang, "inline-invalid-title"),
            reason.clone(),
            reason,
        )])
    };
    let (merchant, profile) = (&shop.merchant, &shop.profile);
    let now = ctx.clock.unix_secs();
    if profile.token_expires_at.is_some_and(|exp| exp <= now)
        || merchant.token_rejected_at.is_some()
    {
        return Ok(invalid(t!(lang, "charge-token-expired")));
    }
    if super::setup::stored_token::open(ctx, merchant, profile).is_none() {
        return Ok(invalid(t!(lang, "notice-token-unreadable")));
    }
    if is_bill_number(query) {
        return existing_card(ctx, &shop, lang, query).await;
    }
    let request = match parse_charge(query, merchant.default_currency) {
        Ok(request) => request,
        Err(e) => return Ok(invalid(explain(lang, &e))),
    };
    let draft = draft::create(bot, ctx, &shop, lang, &request).await?;
    let result = InlineQueryResultCachedPhoto::new(
        ResultId::Draft(draft.charge).encode(),
        FileId(draft.file_id),
    )
    .title(t!(
        lang,
        "inline-card-title",
        amount = draft.amount_text.as_str(),
        shop = StrangerText(profile.shop_name.as_str()).shown()
    ))
    .description(t!(lang, "inline-card-description"))
    .caption(draft.caption)
    .reply_markup(InlineKeyboardMarkup::new([card_buttons(
        lang,
        draft.charge,
        &draft.bill,
    )]));
    Ok(Answer::Results(vec![InlineQueryResult::CachedPhoto(
        result,
    )]))
}

/// "Send to customer": the seller's pending charge with bill number `bill`, offered as its
/// card (the private card's photo by `file_id`).
async fn existing_card(
    ctx: &Ctx,
    shop: &Shop,
    lang: Lang,
    bill: &str,
) -> Result<Answer, super::HandlerError> {
    let not_open = || {
        let title = t!(lang, "inline-not-open-title");
        Answer::Results(vec![article(
            "not-open",
            title.clone(),
            String::new(),
            title,
        )])
    };
    let Some(id) = ctx
        .store
        .merchant_charge_by_bill(shop.merchant.id, bill)
        .await?
    else {
        return Ok(not_open());
    };
    let Some(charge) = ctx.store.merchant_charge(shop.merchant.id, id).await? else {
        return Ok(not_open());
    };
    let Some(file_id) = charge
        .card_file_id
        .clone()
        .filter(|_| charge.status == ChargeStatus::Pending && charge.inline_message_id.is_none())
    else {
        return Ok(not_open());
    };
    let amount_text = format_money(charge.amount);
    let time = phnom_penh_time(charge.expires_at);
    let shop_name = shop.profile.shop_name.as_str();
    let caption = caption(
        lang,
        &amount_text,
        shop_name,
        &charge.bill_number,
        charge.note.as_deref(),
        &time,
    );
    let result =
        InlineQueryResultCachedPhoto::new(ResultId::Existing(id).encode(), FileId(file_id))
            .title(t!(
                lang,
                "inline-card-title",
                amount = amount_text.as_str(),
                shop = StrangerText(shop_name).shown()
            ))
            .description(t!(lang, "inline-card-description"))
            .caption(caption)
            .reply_markup(InlineKeyboardMarkup::new([card_buttons(
                lang,
                id,
                &charge.bill_number,
            )]));
    Ok(Answer::Results(vec![InlineQueryResult::CachedPhoto(
        result,
    )]))
}

/// A result the seller chose (inline feedback): the card is now in a customer's chat.
pub(super) async fn on_chosen(
    bot: TgBot,
    r: ChosenInlineResult,
    caller: Caller,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let Some(result) = ResultId::decode(&r.result_id) else {
        // Help and explanations: nothing to keep.
        return Ok(());
    };
    let Some(merchant) = caller.merchant.as_ref() else {
        return Ok(());
    };
    let now = ctx.clock.unix_secs();
    let inline_id = r.inline_message_id.as_deref();
    let kept = match result {
        ResultId::Draft(id) => {
            let chosen = ctx
                .store
                .choose_inline_draft(id, merchant.id, inline_id, now)
                .await?;
            if let Some(chosen) = &chosen {
                tracing::info!(charge = %id, merchant = %merchant.id, "inline charge created");
                if chosen.record_message_id.is_none()
                    && let Some(shop) = caller.shop()
                {
                    draft::send_private_card(&bot, &ctx, &shop, caller.lang, id).await;
                }
            }
            chosen.is_some()
        }
        ResultId::Existing(id) => match inline_id {
            Some(inline_id) => {
                let attached = ctx
                    .store
                    .attach_inline_message(id, merchant.id, inline_id, now)
                    .await?;
                if attached {
                    tracing::info!(charge = %id, "charge sent to a customer's chat");
                }
                attached
            }
            None => false,
        },
    };
    if !kept && let Some(inline_id) = inline_id {
        // The card is in the customer's chat but backs no open charge (its draft was
        // discarded, or the charge settled meanwhile): say so, and take the buttons away.
        tracing::warn!(result = %r.result_id, "chosen inline card backs no open charge");
        if let ResultId::Existing(id) = result {
            match settled_card_for_guests(&bot, &ctx, merchant, id, inline_id).await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(charge = %id, error = %e, "cannot put the status card in the customer's chat; voiding the caption");
                }
            }
        }
        bot.edit_message_caption_inline(inline_id)
            .caption(t!(caller.lang, "inline-draft-gone"))
            .reply_markup(InlineKeyboardMarkup::new(Vec::<Vec<_>>::new()))
            .await?;
    }
    Ok(())
}

/// "Send to customer" chosen after the charge settled: the live QR the picker offered is
/// now in the customer's chat, so it is replaced by the charge's status card, which cannot
/// be scanned (the customer's-chat version: no payer account, no hash). An inline message
/// takes no upload, so the card goes to the seller's chat silently first, for its
/// `file_id`, and is deleted there. `Ok(false)`: the charge has no status card (it is
/// still open, or a draft), nothing was done.
async fn settled_card_for_guests(
    bot: &TgBot,
    ctx: &Ctx,
    merchant: &crate::store::Merchant,
    id: ChargeId,
    inline_id: &str,
) -> Result<bool, HandlerError> {
    let Some(charge) = ctx.store.merchant_charge(merchant.id, id).await? else {
        return Ok(false);
    };
    if matches!(
        charge.status,
        ChargeStatus::Creating | ChargeStatus::Pending | ChargeStatus::Discarded
    ) {
        return Ok(false);
    }
    let payments = ctx.store.charge_payments(id).await?;
    let rendered = {
        let (charge, merchant) = (charge.clone(), merchant.clone());
        let now = ctx.clock.unix_secs();
        crate::render::on_render_thread(move || {
            render_settled(&charge, &payments, &merchant, now, Audience::Shared)
        })
        .await??
    };
    let seller = ChatId(merchant.chat_id);
    let copy = bot
        .send_photo(
            seller,
            teloxide::types::InputFile::memory(rendered.png).file_name("status.png"),
        )
        .disable_notification(true)
        .await?;
    if let Err(e) = bot.delete_message(seller, copy.id).await {
        tracing::warn!(charge = %id, error = %e, "cannot delete the status card's upload copy");
    }
    let file_id = largest_photo(&copy).ok_or("the status photo came back without a file")?;
    let media = teloxide::types::InputMedia::Photo(
        teloxide::types::InputMediaPhoto::new(teloxide::types::InputFile::file_id(FileId(file_id)))
            .caption(rendered.guest_caption),
    );
    bot.edit_message_media_inline(inline_id, media)
        .reply_markup(InlineKeyboardMarkup::new(Vec::<Vec<_>>::new()))
        .await?;
    tracing::info!(charge = %id, "status card put in the customer's chat instead of the QR");
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_ids_round_trip_and_reject_junk() {
        for r in [
            ResultId::Draft(ChargeId(1)),
            ResultId::Existing(ChargeId(9_007_199_254_740_993)),
        ] {
            assert_eq!(ResultId::decode(&r.encode()), Some(r));
            assert!(r.encode().len() <= 64);
        }
        for junk in ["", "c", "c-1", "x1", "help", "invalid", "s1a", "ĉ1"] {
            assert_eq!(ResultId::decode(junk), None, "{junk}");
        }
    }

    #[test]
    fn only_bill_numbers_are_send_to_customer_queries() {
        assert!(is_bill_number("KB3F9Q0ZX7A1B2"));
        for other in [
            "5 USD",
            "KB",
            "kb3f9q0zx7a1b2",
            "KB3F9Q0ZX7A1B",
            "KB3F9Q0ZX7A1B2C",
        ] {
            assert!(!is_bill_number(other), "{other}");
        }
    }

    const LONG: Duration = Duration::from_secs(3600);
    const NOW: Duration = Duration::ZERO;

    #[tokio::test]
    async fn only_the_latest_query_of_a_user_settles() {
        let d = Debounce::default();
        let _ = d.arrive(1, 10);
        let _ = d.arrive(2, 11);
        let _ = d.arrive(1, 12);
        assert!(!d.settles(1, 10, NOW).await);
        assert!(d.settles(2, 11, NOW).await);
        assert!(d.settles(1, 12, NOW).await);
    }

    /// Handlers of one user's keystrokes may start in any order: the order is the update
    /// id's, so an older keystroke registered late neither settles nor unsettles the newer.
    #[tokio::test]
    async fn an_older_keystroke_registered_late_does_not_settle() {
        let d = Debounce::default();
        let _ = d.arrive(1, 25);
        assert!(!d.settles(1, 21, NOW).await);
        assert!(d.settles(1, 25, NOW).await);
        // Even after the newest was answered.
        assert!(!d.settles(1, 22, NOW).await);
    }

    /// A waiting query gives up (and its handler returns) when the next keystroke arrives,
    /// long before its settling time; another user's keystroke does not disturb it.
    #[tokio::test(start_paused = true)]
    async fn a_newer_keystroke_ends_the_older_ones_wait_at_once() {
        let d = Arc::new(Debounce::default());
        let waiting = tokio::spawn({
            let d = d.clone();
            async move { d.settles(1, 30, LONG).await }
        });
        tokio::task::yield_now().await;
        let _ = d.arrive(2, 31);
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        let _ = d.arrive(1, 32);
        // Time is paused and advances only when every task waits: a wait that did not end
        // at the arrival would still be waiting when this second has passed.
        let ended = tokio::time::timeout(Duration::from_secs(1), waiting).await;
        assert!(
            !ended
                .expect("the wait ended at the newer keystroke")
                .unwrap()
        );
    }

    #[tokio::test]
    async fn idle_users_are_forgotten_once_many_are_tracked() {
        let d = Debounce::default();
        for user in 0..DEBOUNCE_TRACKED as u64 {
            let _ = d.arrive(user, 1);
        }
        let kept = d.arrive(0, 2);
        let _ = d.arrive(u64::MAX, 3);
        let latest = d.latest();
        assert_eq!(
            latest.len(),
            2,
            "only the user with a waiter and the newcomer"
        );
        assert_eq!(*latest[&0].borrow(), 2);
        drop(kept);
    }
}
