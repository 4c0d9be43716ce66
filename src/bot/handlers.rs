//! Command routing and the simple commands (/start, /help, /settings, /lang, /cancel).

use std::sync::Arc;

use teloxide::prelude::*;
use teloxide::types::User;

use crate::i18n::Lang;
use crate::khqr::Currency;
use crate::store::Merchant;
use crate::t;

use super::dialogue::{BotDialogue, State};
use super::format::{mask_secret, phnom_penh_date};
use super::{Command, Ctx, HandlerError, HandlerResult, TgBot, charge, email, reports, setup};

/// The language to answer `user` in: their /lang choice, else Telegram's hint.
pub(super) fn lang_of(user: Option<&User>, merchant: Option<&Merchant>) -> Lang {
    match merchant {
        Some(m) if m.language_chosen => m.language,
        _ => Lang::from_telegram(user.and_then(|u| u.language_code.as_deref())),
    }
}

/// Telegram user id as stored (Telegram ids fit in 52 bits).
pub(super) fn user_key(user: &User) -> i64 {
    i64::try_from(user.id.0).unwrap_or(i64::MAX)
}

pub(super) async fn reply(bot: &TgBot, msg: &Message, text: String) -> HandlerResult {
    bot.send_message(msg.chat.id, text).await?;
    Ok(())
}

/// Logs an internal failure and apologises to the user instead of going silent.
pub(super) async fn apologise(bot: &TgBot, chat: ChatId, lang: Lang, error: &HandlerError) {
    tracing::error!(chat_id = chat.0, error = %error, "handler failed");
    if let Err(e) = bot.send_message(chat, t!(lang, "error-internal")).await {
        tracing::warn!(chat_id = chat.0, error = %e, "could not send the apology either");
    }
}

pub(super) async fn on_command(
    bot: TgBot,
    msg: Message,
    cmd: Command,
    dialogue: BotDialogue,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    let user = msg.from.clone();
    let merchant = match &user {
        Some(u) => ctx.store.merchant_by_user(user_key(u)).await?,
        None => None,
    };
    let lang = lang_of(user.as_ref(), merchant.as_ref());
    let result = match cmd {
        Command::Start => start(&bot, &msg, lang, merchant.as_ref()).await,
        Command::Help => help(&bot, &msg, &ctx, lang).await,
        Command::Setup => setup::start(&bot, &msg, &dialogue, lang).await,
        Command::Token => setup::start_token(&bot, &msg, &dialogue, lang, merchant.as_ref()).await,
        // Private chats only, like /token (it carries personal data).
        Command::Email(arg) => {
            email::command(&bot, &msg, &ctx, lang, merchant.as_ref(), &arg).await
        }
        Command::Cancel => cancel(&bot, &msg, &dialogue, lang).await,
        Command::Settings => settings(&bot, &msg, &ctx, lang, merchant.as_ref()).await,
        Command::Lang(arg) => set_lang(&bot, &msg, &ctx, &arg, user.as_ref()).await,
        Command::Currency(arg) => {
            set_currency(&bot, &msg, &ctx, lang, merchant.as_ref(), &arg).await
        }
        Command::Charge(args) => charge::handle(&bot, &msg, &ctx, lang, merchant, &args).await,
        Command::History(arg) => {
            reports::history(&bot, &msg, &ctx, lang, merchant.as_ref(), &arg).await
        }
        Command::Pending => reports::pending(&bot, &msg, &ctx, lang, merchant.as_ref()).await,
        Command::Check(arg) => {
            reports::check(&bot, &msg, &ctx, lang, merchant.as_ref(), &arg).await
        }
    };
    if let Err(e) = result {
        apologise(&bot, msg.chat.id, lang, &e).await;
    }
    Ok(())
}

/// A message that is neither a command nor an expected wizard answer.
pub(super) async fn on_other_message(bot: TgBot, msg: Message, ctx: Arc<Ctx>) -> HandlerResult {
    // A Bakong token pasted outside /setup or /token must not stay in the chat.
    let pasted_token = msg.text().is_some_and(super::private::contains_jwt);
    if pasted_token && let Err(e) = bot.delete_message(msg.chat.id, msg.id).await {
        tracing::warn!(chat_id = msg.chat.id.0, error = %e, "could not delete a pasted token");
    }
    if !msg.chat.is_private() {
        return Ok(());
    }
    let merchant = match &msg.from {
        Some(u) => ctx.store.merchant_by_user(user_key(u)).await?,
        None => None,
    };
    let lang = lang_of(msg.from.as_ref(), merchant.as_ref());
    if pasted_token {
        return reply(&bot, &msg, t!(lang, "token-outside-wizard")).await;
    }
    reply(&bot, &msg, t!(lang, "unknown-message")).await
}

/// A JSON Web Token as Bakong issues them: `eyJ…` header, three base64url parts.
pub(super) fn looks_like_jwt(text: &str) -> bool {
    let text = text.trim();
    let parts: Vec<&str> = text.split('.').collect();
    text.starts_with("eyJ")
        && parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
        })
}

async fn start(
    bot: &TgBot,
    msg: &Message,
    lang: Lang,
    merchant: Option<&Merchant>,
) -> HandlerResult {
    let text = match merchant.and_then(|m| m.profile.as_ref()) {
        Some(p) => t!(lang, "start-ready", shop = p.shop_name.as_str()),
        None => {
            let name = msg
                .from
                .as_ref()
                .map(|u| u.first_name.clone())
                .unwrap_or_default();
            t!(lang, "start-new", name = name)
        }
    };
    reply(bot, msg, text).await
}

async fn help(bot: &TgBot, msg: &Message, ctx: &Ctx, lang: Lang) -> HandlerResult {
    let minutes = ctx.charge_ttl.as_secs().div_ceil(60);
    let text = format!(
        "{}\n\n{}",
        t!(lang, "help-title"),
        t!(lang, "help-body", minutes = minutes)
    );
    reply(bot, msg, text).await
}

async fn cancel(bot: &TgBot, msg: &Message, dialogue: &BotDialogue, lang: Lang) -> HandlerResult {
    let state = dialogue.get().await?.unwrap_or_default();
    if state == State::Idle {
        return reply(bot, msg, t!(lang, "cancel-nothing")).await;
    }
    dialogue.exit().await?;
    if state == State::AwaitEmail {
        // The profile is already saved: only the optional email was asked.
        return reply(bot, msg, t!(lang, "setup-email-skipped")).await;
    }
    reply(bot, msg, t!(lang, "setup-cancelled")).await
}

async fn settings(
    bot: &TgBot,
    msg: &Message,
    ctx: &Ctx,
    lang: Lang,
    merchant: Option<&Merchant>,
) -> HandlerResult {
    let Some((m, p)) = merchant.and_then(|m| m.profile.as_ref().map(|p| (m, p))) else {
        return reply(bot, msg, t!(lang, "settings-not-configured")).await;
    };
    // Show only the tail of the token, and only if it still decrypts.
    let masked = match ctx.secrets.open(&m.id.token_aad(), &p.token_sealed) {
        Ok(raw) => mask_secret(&String::from_utf8_lossy(&raw)),
        Err(e) => {
            tracing::error!(merchant = %m.id, error = %e, "stored token does not decrypt");
            "••••".to_owned()
        }
    };
    let expiry = expiry_text(lang, p.token_expires_at);
    let text = t!(
        lang,
        "settings",
        shop = p.shop_name.as_str(),
        city = p.city.as_str(),
        account = p.account_id.as_str(),
        currency = m.default_currency.alpha(),
        token = masked,
        expiry = expiry
    );
    let text = format!("{text}\n{}", email::settings_line(lang, m));
    reply(bot, msg, text).await
}

pub(super) fn expiry_text(lang: Lang, expires_at: Option<i64>) -> String {
    match expires_at {
        Some(at) => phnom_penh_date(at),
        None => t!(lang, "expiry-unknown"),
    }
}

async fn set_lang(
    bot: &TgBot,
    msg: &Message,
    ctx: &Ctx,
    arg: &str,
    user: Option<&User>,
) -> HandlerResult {
    let Some(user) = user else { return Ok(()) };
    match arg.parse::<Lang>() {
        Ok(lang) => {
            ctx.store
                .set_language(user_key(user), msg.chat.id.0, lang, ctx.clock.unix_secs())
                .await?;
            reply(bot, msg, t!(lang, "lang-set")).await
        }
        Err(_) => {
            let merchant = ctx.store.merchant_by_user(user_key(user)).await?;
            let lang = lang_of(Some(user), merchant.as_ref());
            reply(bot, msg, t!(lang, "lang-usage")).await
        }
    }
}

async fn set_currency(
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
    let currency = match arg.trim().to_ascii_uppercase().as_str() {
        "USD" | "$" => Currency::Usd,
        "KHR" | "៛" | "RIEL" => Currency::Khr,
        _ => return reply(bot, msg, t!(lang, "currency-usage")).await,
    };
    ctx.store
        .set_default_currency(m.id, currency, ctx.clock.unix_secs())
        .await?;
    reply(
        bot,
        msg,
        t!(lang, "currency-set", currency = currency.alpha()),
    )
    .await
}
