//! `/history [today|yesterday|YYYY-MM-DD|week|month]`, `/pending` and `/check <hash>`.

use teloxide::prelude::*;

use crate::bakong::{BakongError, Lookup, Token};
use crate::i18n::Lang;
use crate::khqr::Currency;
use crate::render::format_money;
use crate::store::{ListedCharge, Merchant};
use crate::t;
use crate::watcher::history::{Period, PeriodError, PeriodKind, parse_period};

use super::format::{now_secs, phnom_penh_date, phnom_penh_time};
use super::handlers::reply;
use super::{Ctx, HandlerResult, TgBot};

/// Latest paid charges listed under the totals.
const LATEST: i64 = 10;
/// Open charges listed by /pending.
const PENDING_LIMIT: i64 = 30;

fn money(minor: u64, currency: Currency) -> String {
    format_money(minor, currency == Currency::Usd)
}

fn period_title(lang: Lang, p: &Period) -> String {
    let first = p.first.to_string();
    let last = p.last.to_string();
    match p.kind {
        PeriodKind::Today => t!(lang, "history-title-today", date = first),
        PeriodKind::Yesterday => t!(lang, "history-title-yesterday", date = first),
        PeriodKind::Day => t!(lang, "history-title-day", date = first),
        PeriodKind::Week => t!(lang, "history-title-week", from = first, to = last),
        PeriodKind::Month => t!(lang, "history-title-month", from = first, to = last),
    }
}

fn listed_line(lang: Lang, c: &ListedCharge, at: i64) -> String {
    let amount = money(c.amount_minor, c.currency);
    let note = c.note.clone().unwrap_or_default();
    let payer = c.payer_account_id.clone().unwrap_or_default();
    t!(
        lang,
        "history-line",
        time = phnom_penh_time(at),
        amount = amount,
        note = note,
        payer = payer
    )
}

/// `/history [period]`.
pub(super) async fn history(
    bot: &TgBot,
    msg: &Message,
    ctx: &Ctx,
    lang: Lang,
    merchant: Option<&Merchant>,
    arg: &str,
) -> HandlerResult {
    let Some(m) = merchant.filter(|m| m.profile.is_some()) else {
        return reply(bot, msg, t!(lang, "charge-needs-setup")).await;
    };
    let period = match parse_period(arg, now_secs()) {
        Ok(p) => p,
        Err(PeriodError::Future(d)) => {
            return reply(bot, msg, t!(lang, "history-future", date = d.to_string())).await;
        }
        Err(PeriodError::InvalidDate(_) | PeriodError::Unknown(_)) => {
            return reply(bot, msg, t!(lang, "history-usage")).await;
        }
    };
    let summary = ctx
        .store
        .history_summary(m.id, period.start(), period.end())
        .await?;
    let mut text = vec![period_title(lang, &period)];
    if summary.paid.is_empty() {
        text.push(t!(lang, "history-no-payments"));
    }
    for total in &summary.paid {
        text.push(t!(
            lang,
            "history-total",
            currency = total.currency.alpha(),
            count = total.count,
            sum = money(total.sum_minor, total.currency)
        ));
    }
    if summary.paid_late > 0 {
        text.push(t!(lang, "history-paid-late", count = summary.paid_late));
    }
    if summary.mismatched > 0 {
        text.push(t!(lang, "history-mismatched", count = summary.mismatched));
    }
    if summary.expired + summary.failed + summary.cancelled > 0 {
        text.push(t!(
            lang,
            "history-others",
            expired = summary.expired,
            failed = summary.failed,
            cancelled = summary.cancelled
        ));
    }
    if summary.unverified > 0 {
        text.push(t!(lang, "history-unverified", count = summary.unverified));
    }
    let latest = ctx
        .store
        .latest_paid(m.id, period.start(), period.end(), LATEST)
        .await?;
    if !latest.is_empty() {
        text.push(String::new());
        text.push(t!(lang, "history-latest"));
        for c in &latest {
            let at = c.paid_at.or(c.settled_at).unwrap_or(c.created_at);
            let day = if period.first == period.last {
                String::new()
            } else {
                format!("{} ", phnom_penh_date(at))
            };
            text.push(format!("{day}{}", listed_line(lang, c, at)));
        }
    }
    reply(bot, msg, text.join("\n")).await
}

/// `/pending`.
pub(super) async fn pending(
    bot: &TgBot,
    msg: &Message,
    ctx: &Ctx,
    lang: Lang,
    merchant: Option<&Merchant>,
) -> HandlerResult {
    let Some(m) = merchant.filter(|m| m.profile.is_some()) else {
        return reply(bot, msg, t!(lang, "charge-needs-setup")).await;
    };
    let open = ctx.store.open_charges(m.id, PENDING_LIMIT).await?;
    if open.is_empty() {
        return reply(bot, msg, t!(lang, "pending-none")).await;
    }
    let mut text = vec![t!(lang, "pending-title", count = open.len())];
    for c in &open {
        let note = c.note.clone().unwrap_or_default();
        text.push(t!(
            lang,
            "pending-line",
            amount = money(c.amount_minor, c.currency),
            note = note,
            time = phnom_penh_time(c.expires_at)
        ));
    }
    reply(bot, msg, text.join("\n")).await
}

fn is_full_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `/check <hash>`: verifies a transaction a customer shows on their phone.
pub(super) async fn check(
    bot: &TgBot,
    msg: &Message,
    ctx: &Ctx,
    lang: Lang,
    merchant: Option<&Merchant>,
    arg: &str,
) -> HandlerResult {
    let Some((m, p)) = merchant.and_then(|m| m.profile.as_ref().map(|p| (m, p))) else {
        return reply(bot, msg, t!(lang, "charge-needs-setup")).await;
    };
    let hash = arg.trim().to_ascii_lowercase();
    if !is_full_hash(&hash) {
        return reply(bot, msg, t!(lang, "check-usage")).await;
    }
    let token = ctx
        .secrets
        .open(&m.id.token_aad(), &p.token_sealed)
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|raw| Token::new(&raw).ok());
    let Some(token) = token else {
        tracing::error!(merchant = %m.id, "stored token does not decrypt");
        return reply(bot, msg, t!(lang, "error-internal")).await;
    };
    let text = match ctx.bakong.check_transaction_by_hash(&token, &hash).await {
        Ok(Lookup::Paid(tx)) => {
            let amount = match tx.currency() {
                Some(c) => match tx.amount_minor(c.decimals()) {
                    Some(minor) => format_money(minor, c.alpha() == "USD"),
                    None => format!("{} {}", tx.amount, c.alpha()),
                },
                None => format!("{} {}", tx.amount, tx.currency_code),
            };
            let at = tx
                .created_date_ms
                .or(tx.acknowledged_date_ms)
                .map(|ms| (ms / 1000) as i64); // ok: ms/1000 fits i64
            let time = at.map_or_else(
                || "—".to_owned(),
                |t| format!("{} {}", phnom_penh_date(t), phnom_penh_time(t)),
            );
            let from = tx.from_account_id.clone().unwrap_or_else(|| "—".into());
            let mine = tx
                .to_account_id
                .trim()
                .eq_ignore_ascii_case(p.account_id.trim());
            let body = t!(
                lang,
                "check-details",
                amount = amount,
                from = from,
                to = tx.to_account_id.as_str(),
                time = time,
                hash = hash.chars().take(8).collect::<String>()
            );
            let head = if mine {
                t!(lang, "check-found")
            } else {
                t!(
                    lang,
                    "check-found-elsewhere",
                    account = p.account_id.as_str()
                )
            };
            format!("{head}\n{body}")
        }
        Ok(Lookup::Failed) => t!(lang, "check-failed"),
        Ok(_) => t!(lang, "check-not-found"),
        Err(BakongError::Unauthorized) => t!(lang, "notice-token-refused"),
        Err(e) => {
            tracing::warn!(merchant = %m.id, error = %e, "/check could not reach Bakong");
            t!(lang, "check-unavailable")
        }
    };
    reply(bot, msg, text).await
}
