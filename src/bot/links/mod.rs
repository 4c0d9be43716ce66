//! Pay links, the seller's side: `/link` creates one (its `t.me` URL and a
//! printable poster), `/links` lists them with uses and totals and Pause / Resume / Close
//! buttons (`lks:<link id>:<p|r|c>`, checked to the owner). The buyer's side is
//! `buy.rs` (a buyer's open QR shown again: `again.rs`); the arguments are `args.rs`; the
//! poster is `poster.rs`.

mod again;
pub mod args;
pub(super) mod buy;
mod poster;

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile};

use crate::i18n::Lang;
use crate::render::{format_minor_units, format_money};
use crate::store::{LinkId, LinkState, LinkStats, NewPayLink, PayLink};
use crate::t;
use crate::time::LocalDate;

use super::caller::{Caller, Shop};
use super::format::{phnom_penh_date, phnom_penh_time};
use super::stranger_text::StrangerText;
use super::turn::Turn;
use super::{Ctx, HandlerError, HandlerResult, TgBot};
use args::{LinkArgsError, MAX_USES_LIMIT, parse_link};
use buy::{NEW_QR, price_text};

/// The callback data prefix of the /links buttons.
const MANAGE: &str = "lks:";

/// Links shown by /links (the newest).
const LISTED: usize = 10;

/// The link's `t.me` URL for bot `username`.
pub fn link_url(username: &str, code: &crate::store::LinkCode) -> String {
    format!("https://t.me/{username}?start={code}")
}

fn explain(lang: Lang, error: &LinkArgsError) -> String {
    use crate::bot::charge::args::ChargeArgsError;
    let reason = match error {
        LinkArgsError::Charge(ChargeArgsError::MissingAmount) => return t!(lang, "link-usage"),
        LinkArgsError::Charge(e) => return super::charge::explain(lang, e),
        LinkArgsError::UntilPast { today } => {
            return t!(lang, "link-error-until-past", today = today.to_string());
        }
        LinkArgsError::MinAboveMax { min, max } => {
            return t!(
                lang,
                "link-error-min-above-max",
                min = format_money(*min),
                max = format_money(*max)
            );
        }
        LinkArgsError::MissingValue(keyword) => t!(
            lang,
            "link-error-missing-value",
            keyword = keyword.to_string(),
            example = option_example(keyword)
        ),
        LinkArgsError::Repeated(keyword) => {
            t!(lang, "link-error-repeated", keyword = keyword.to_string())
        }
        LinkArgsError::BadUses(value) => t!(
            lang,
            "link-error-max",
            value = value.as_str(),
            max = i64::from(MAX_USES_LIMIT)
        ),
        LinkArgsError::BadUntil(value) => t!(lang, "link-error-until", value = value.as_str()),
        LinkArgsError::BadBound { bound, value, why } => t!(
            lang,
            "link-error-bound",
            keyword = bound.keyword(),
            value = value.as_str(),
            why = super::charge::explain(lang, why)
        ),
        LinkArgsError::AmbiguousMax { value, currency } => t!(
            lang,
            "link-error-max-ambiguous",
            value = value.as_str(),
            currency = currency.alpha()
        ),
        LinkArgsError::BoundOnFixedPrice(bound) => {
            t!(lang, "link-error-bound-fixed", keyword = bound.keyword())
        }
        LinkArgsError::BoundCurrency { bound, link } => t!(
            lang,
            "link-error-bound-currency",
            keyword = bound.keyword(),
            currency = link.alpha()
        ),
    };
    // An option's value that did not read may be a word the seller meant for the item.
    format!("{reason}\n{}", t!(lang, "link-options-hint"))
}

/// An example of each option, for a keyword left without its value.
fn option_example(keyword: &str) -> &'static str {
    match keyword {
        "until" => "until 2026-12-31",
        "min" => "min 1 USD",
        "max" => "max 20 / max 50 USD",
        _ => "uses 20",
    }
}

/// `/link <amount|any> [currency] [item]` and options anywhere: `uses N` (`max N` on a
/// fixed price), `until YYYY-MM-DD`, `min` / `max` amounts on an `any` link.
pub(super) async fn create(turn: &Turn, shop: &Shop, args: &str) -> HandlerResult {
    let (ctx, lang) = (&*turn.ctx, turn.lang());
    let now = ctx.clock.unix_secs();
    let today = LocalDate::at(now);
    let parsed = match parse_link(args, shop.merchant.default_currency, today) {
        Ok(parsed) => parsed,
        Err(e) => return turn.reply(explain(lang, &e)).await,
    };
    let me = turn.bot.get_me().await?;
    let link = ctx
        .store
        .insert_link(&NewPayLink {
            merchant_id: shop.merchant.id,
            price: parsed.price,
            note: parsed.note,
            max_uses: parsed.max_uses,
            until_at: parsed.until.map(LocalDate::end),
            created_at: now,
        })
        .await?;
    tracing::info!(link = %link.id, merchant = %shop.merchant.id, "pay link created");
    let url = link_url(me.username(), &link.code);
    let text = t!(
        lang,
        "link-created",
        url = url.as_str(),
        summary = summary(lang, &link)
    );
    turn.reply(text).await?;
    let poster = poster::render(shop, &link, &url, lang).await?;
    turn.bot
        .send_photo(
            turn.chat(),
            InputFile::memory(poster).file_name("poster.png"),
        )
        .caption(t!(lang, "link-poster-caption"))
        .await?;
    Ok(())
}

/// One line about a link: price, item, limits.
fn summary(lang: Lang, link: &PayLink) -> String {
    let mut parts = vec![price_text(lang, link.price)];
    if let Some(note) = &link.note {
        parts.push(StrangerText(note).shown());
    }
    if let Some(max) = link.max_uses {
        parts.push(t!(lang, "link-max", max = i64::from(max)));
    }
    if let Some(end) = link.until_at {
        parts.push(t!(
            lang,
            "link-until",
            date = phnom_penh_date(end.saturating_sub(1))
        ));
    }
    parts.join(" · ")
}

fn state_word(lang: Lang, state: LinkState) -> String {
    match state {
        LinkState::Active => t!(lang, "link-state-active"),
        LinkState::Paused => t!(lang, "link-state-paused"),
        LinkState::Closed => t!(lang, "link-state-closed"),
    }
}

/// The /links message: text and buttons for the merchant's newest links.
async fn listing(
    ctx: &Ctx,
    shop: &Shop,
    lang: Lang,
    username: &str,
) -> Result<(String, InlineKeyboardMarkup), HandlerError> {
    let links = ctx.store.merchant_links(shop.merchant.id).await?;
    if links.is_empty() {
        return Ok((
            t!(lang, "link-list-empty"),
            InlineKeyboardMarkup::new(Vec::<Vec<_>>::new()),
        ));
    }
    let mut text = t!(lang, "link-list-title");
    let mut rows = Vec::new();
    for (n, (link, stats)) in links.iter().take(LISTED).enumerate() {
        let n = i64::try_from(n).unwrap_or(0) + 1;
        text.push_str("\n\n");
        text.push_str(&item_text(lang, n, link, stats, username));
        let mut row = Vec::new();
        match link.state {
            LinkState::Active => {
                row.push(button(t!(lang, "button-link-pause", n = n), link.id, 'p'))
            }
            LinkState::Paused => {
                row.push(button(t!(lang, "button-link-resume", n = n), link.id, 'r'))
            }
            LinkState::Closed => {}
        }
        if link.state != LinkState::Closed {
            row.push(button(t!(lang, "button-link-close", n = n), link.id, 'c'));
            rows.push(row);
        }
    }
    Ok((text, InlineKeyboardMarkup::new(rows)))
}

fn item_text(lang: Lang, n: i64, link: &PayLink, stats: &LinkStats, username: &str) -> String {
    let total = format_minor_units(
        u64::try_from(stats.paid_minor).unwrap_or(0),
        link.price.currency(),
    );
    let uses = match link.max_uses {
        Some(max) => t!(
            lang,
            "link-list-uses-max",
            paid = stats.paid,
            max = i64::from(max)
        ),
        None => t!(lang, "link-list-uses", paid = stats.paid),
    };
    // What open QRs hold right now, and until when at the latest.
    let open = match (stats.held_until, link.max_uses) {
        (Some(until), Some(_)) if stats.open > 0 => t!(
            lang,
            "link-list-held",
            held = stats.open,
            time = phnom_penh_time(until)
        ),
        (Some(until), None) if stats.open > 0 => t!(
            lang,
            "link-list-open",
            open = stats.open,
            time = phnom_penh_time(until)
        ),
        _ => t!(lang, "link-list-none-open"),
    };
    t!(
        lang,
        "link-list-item",
        n = n,
        summary = summary(lang, link),
        state = state_word(lang, link.state),
        uses = uses,
        open = open,
        total = total,
        url = link_url(username, &link.code)
    )
}

fn button(text: String, id: LinkId, action: char) -> InlineKeyboardButton {
    InlineKeyboardButton::callback(text, format!("{MANAGE}{}:{action}", id.0))
}

/// `/links`.
pub(super) async fn list(turn: &Turn, shop: &Shop) -> HandlerResult {
    let lang = turn.lang();
    let me = turn.bot.get_me().await?;
    let (text, buttons) = listing(&turn.ctx, shop, lang, me.username()).await?;
    turn.bot
        .send_message(turn.chat(), text)
        .reply_markup(buttons)
        .await?;
    Ok(())
}

/// For the handler tree: the button presses this module (and `buy`) serve.
pub(super) fn is_link_callback(q: CallbackQuery) -> bool {
    q.data
        .as_deref()
        .is_some_and(|d| d.starts_with(MANAGE) || d.starts_with(NEW_QR))
}

pub(super) async fn on_callback(
    bot: TgBot,
    q: CallbackQuery,
    caller: Caller,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let lang = caller.lang;
    let data = q.data.clone().unwrap_or_default();
    let answer = if data.starts_with(NEW_QR) {
        buy::new_qr(&bot, &ctx, caller.user_key, lang, &data).await
    } else {
        manage(&bot, &ctx, &caller, &q, &data).await
    };
    let text = answer.unwrap_or_else(|e| {
        tracing::error!(error = %e, "link button failed");
        t!(lang, "error-internal")
    });
    bot.answer_callback_query(q.id.clone()).text(text).await?;
    Ok(())
}

/// Pause / Resume / Close from /links: only the link's owner; the list is redrawn.
async fn manage(
    bot: &TgBot,
    ctx: &Ctx,
    caller: &Caller,
    q: &CallbackQuery,
    data: &str,
) -> Result<String, HandlerError> {
    let lang = caller.lang;
    let parsed = data.strip_prefix(MANAGE).and_then(|rest| {
        let (id, action) = rest.split_once(':')?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let to = match action {
            "p" => LinkState::Paused,
            "r" => LinkState::Active,
            "c" => LinkState::Closed,
            _ => return None,
        };
        Some((LinkId(id.parse().ok()?), to))
    });
    let Some((id, to)) = parsed else {
        return Ok(t!(lang, "callback-unknown"));
    };
    let Some(shop) = caller.shop() else {
        return Ok(t!(lang, "callback-not-yours"));
    };
    let Some(link) = ctx.store.link(id).await? else {
        return Ok(t!(lang, "callback-unknown"));
    };
    if link.merchant_id != shop.merchant.id {
        tracing::warn!(link = %id, user = caller.user_key, "link button pressed by a non-owner");
        return Ok(t!(lang, "callback-not-yours"));
    }
    let changed = ctx
        .store
        .set_link_state(shop.merchant.id, id, to, ctx.clock.unix_secs())
        .await?;
    if changed {
        tracing::info!(link = %id, state = to.as_str(), "pay link state changed");
    }
    // Redraw the list where the buttons were.
    if let Some(message) = q.regular_message() {
        let me = bot.get_me().await?;
        let (text, buttons) = listing(ctx, &shop, lang, me.username()).await?;
        if let Err(e) = bot
            .edit_message_text(message.chat.id, message.id, text)
            .reply_markup(buttons)
            .await
        {
            tracing::debug!(error = %e, "could not redraw /links");
        }
    }
    Ok(if changed {
        t!(lang, "callback-link-state", state = state_word(lang, to))
    } else {
        let now = ctx.store.link(id).await?.map_or(link.state, |l| l.state);
        t!(
            lang,
            "callback-link-unchanged",
            state = state_word(lang, now)
        )
    })
}
