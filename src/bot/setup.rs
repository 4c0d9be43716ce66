//! The /setup wizard (account → shop → city → token → optional email) and /token.
//!
//! A wrong answer gets its reason and the same question again; the chat stays on that step.
//! The message carrying a token is deleted first, whatever happens next.

use std::sync::Arc;

use base64::Engine;
use teloxide::prelude::*;

use crate::bakong::{BakongError, Token};
use crate::i18n::Lang;
use crate::khqr::BakongAccountId;
use crate::store::{Merchant, Profile};
use crate::t;
use crate::time::UnixSecs;

use super::dialogue::{BotDialogue, State};
use super::format::{phnom_penh_date, utf16_len};
use super::handlers::{apologise, expiry_text, lang_of, reply, user_key};
use super::{Ctx, HandlerResult, TgBot};

/// What customers see as the merchant name (KHQR tag 59 holds 25).
pub const MAX_SHOP_UTF16: usize = 25;
/// KHQR tag 60 holds 15.
pub const MAX_CITY_UTF16: usize = 15;
/// Longest user input echoed back in an error.
const MAX_ECHO_CHARS: usize = 40;

fn ask_account(lang: Lang) -> String {
    t!(lang, "setup-ask-account")
}
fn ask_shop(lang: Lang) -> String {
    t!(lang, "setup-ask-shop", max = MAX_SHOP_UTF16)
}
fn ask_city(lang: Lang) -> String {
    t!(lang, "setup-ask-city", max = MAX_CITY_UTF16)
}
fn ask_token(lang: Lang) -> String {
    t!(lang, "setup-ask-token")
}

/// `name@bank` as the wizard accepts it: the codec's rules (one `@`, ≤ 32 UTF-16 units) plus
/// a non-empty name and bank and no whitespace or control characters anywhere.
fn parse_account(text: &str) -> Option<BakongAccountId> {
    let text = text.trim();
    let (name, bank) = text.split_once('@')?;
    if name.is_empty()
        || bank.is_empty()
        || text.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return None;
    }
    BakongAccountId::parse(text).ok()
}

fn echo(text: &str) -> String {
    let mut shown: String = text.chars().take(MAX_ECHO_CHARS).collect();
    if text.chars().count() > MAX_ECHO_CHARS {
        shown.push('…');
    }
    shown
}

/// The answer's language: looked up per message so /lang applies mid-wizard.
async fn lang_for(
    ctx: &Ctx,
    msg: &Message,
) -> Result<(Lang, Option<Merchant>), crate::store::StoreError> {
    let merchant = match &msg.from {
        Some(u) => ctx.store.merchant_by_user(user_key(u)).await?,
        None => None,
    };
    Ok((lang_of(msg.from.as_ref(), merchant.as_ref()), merchant))
}

pub(super) async fn start(
    bot: &TgBot,
    msg: &Message,
    dialogue: &BotDialogue,
    lang: Lang,
) -> HandlerResult {
    if !msg.chat.is_private() {
        return reply(bot, msg, t!(lang, "setup-private-only")).await;
    }
    dialogue.update(State::AwaitAccount).await?;
    reply(bot, msg, ask_account(lang)).await
}

pub(super) async fn start_token(
    bot: &TgBot,
    msg: &Message,
    dialogue: &BotDialogue,
    lang: Lang,
    merchant: Option<&Merchant>,
) -> HandlerResult {
    if !msg.chat.is_private() {
        return reply(bot, msg, t!(lang, "setup-private-only")).await;
    }
    if merchant.and_then(|m| m.profile.as_ref()).is_none() {
        return reply(bot, msg, t!(lang, "token-needs-setup")).await;
    }
    dialogue.update(State::AwaitNewToken).await?;
    reply(bot, msg, t!(lang, "token-ask")).await
}

/// Runs a wizard step; an internal failure is logged and apologised for, and the chat stays
/// on the same step.
async fn step<F>(bot: &TgBot, msg: &Message, ctx: &Ctx, f: F) -> HandlerResult
where
    F: AsyncFnOnce(Lang, Option<Merchant>) -> HandlerResult,
{
    let (lang, merchant) = lang_for(ctx, msg).await?;
    if let Err(e) = f(lang, merchant).await {
        apologise(bot, msg.chat.id, lang, &e).await;
    }
    Ok(())
}

pub(super) async fn on_account(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    step(&bot, &msg, &ctx, async |lang, _| {
        let Some(text) = msg.text() else {
            return reply(
                &bot,
                &msg,
                format!("{}\n\n{}", t!(lang, "setup-text-only"), ask_account(lang)),
            )
            .await;
        };
        match parse_account(text) {
            Some(account) => {
                dialogue
                    .update(State::AwaitShop {
                        account: account.as_str().to_owned(),
                    })
                    .await?;
                reply(&bot, &msg, ask_shop(lang)).await
            }
            None => {
                let why = t!(lang, "setup-account-invalid", value = echo(text.trim()));
                reply(&bot, &msg, format!("{why}\n\n{}", ask_account(lang))).await
            }
        }
    })
    .await
}

/// Checks a shop or city name: trimmed, single-spaced, not empty, at most `max` UTF-16 units.
fn check_name(text: &str, max: usize) -> Result<String, NameError> {
    let name = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.chars().any(char::is_control) {
        return Err(NameError::Empty);
    }
    if utf16_len(&name) > max {
        return Err(NameError::TooLong);
    }
    Ok(name)
}

enum NameError {
    Empty,
    TooLong,
}

/// A shop or city answer, or the reply that says what is wrong with it and asks the same
/// question again.
fn name_or_reason(
    text: Option<&str>,
    max: usize,
    empty: impl FnOnce() -> String,
    too_long: impl FnOnce() -> String,
    ask_again: impl FnOnce() -> String,
) -> Result<String, String> {
    match text.map(|t| check_name(t, max)) {
        Some(Ok(name)) => Ok(name),
        Some(Err(NameError::TooLong)) => Err(format!("{}\n\n{}", too_long(), ask_again())),
        Some(Err(NameError::Empty)) | None => Err(format!("{}\n\n{}", empty(), ask_again())),
    }
}

pub(super) async fn on_shop(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    account: String,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    step(&bot, &msg, &ctx, async |lang, _| {
        let answer = match name_or_reason(
            msg.text(),
            MAX_SHOP_UTF16,
            || t!(lang, "setup-shop-empty"),
            || t!(lang, "setup-shop-too-long", max = MAX_SHOP_UTF16),
            || ask_shop(lang),
        ) {
            Ok(shop) => shop,
            Err(why) => return reply(&bot, &msg, why).await,
        };
        dialogue
            .update(State::AwaitCity {
                account: account.clone(),
                shop: answer,
            })
            .await?;
        reply(&bot, &msg, ask_city(lang)).await
    })
    .await
}

pub(super) async fn on_city(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    (account, shop): (String, String),
    ctx: Arc<Ctx>,
) -> HandlerResult {
    step(&bot, &msg, &ctx, async |lang, _| {
        let answer = match name_or_reason(
            msg.text(),
            MAX_CITY_UTF16,
            || t!(lang, "setup-city-empty"),
            || t!(lang, "setup-city-too-long", max = MAX_CITY_UTF16),
            || ask_city(lang),
        ) {
            Ok(city) => city,
            Err(why) => return reply(&bot, &msg, why).await,
        };
        dialogue
            .update(State::AwaitToken {
                account: account.clone(),
                shop: shop.clone(),
                city: answer,
            })
            .await?;
        reply(&bot, &msg, ask_token(lang)).await
    })
    .await
}

/// Deletes the message that carried a token (before anything else can fail), then reads it.
/// `Err(text)` is the reason to tell the user.
async fn take_token(
    bot: &TgBot,
    msg: &Message,
    lang: Lang,
    now: UnixSecs,
) -> Result<Token, String> {
    if let Err(e) = bot.delete_message(msg.chat.id, msg.id).await {
        tracing::warn!(chat_id = msg.chat.id.0, error = %e, "could not delete the message with a token");
    }
    let Some(text) = msg.text() else {
        return Err(t!(lang, "setup-text-only"));
    };
    let looks_like_jwt = text.trim().split('.').count() == 3;
    let token = match Token::new(text) {
        Ok(token) if looks_like_jwt => token,
        _ => return Err(t!(lang, "token-malformed")),
    };
    if let Some(exp) = token.expires_at().and_then(|e| i64::try_from(e).ok())
        && exp <= now
    {
        return Err(t!(lang, "token-expired", date = phnom_penh_date(exp)));
    }
    Ok(token)
}

/// Bakong's answer to "does this account exist with this token?", or the reason to show.
enum AccountCheck {
    Exists,
    Unknown,
    TokenRejected,
    Unreachable(String),
}

async fn check_account(ctx: &Ctx, lang: Lang, token: &Token, account: &str) -> AccountCheck {
    match ctx.bakong.check_bakong_account(token, account).await {
        Ok(true) => AccountCheck::Exists,
        Ok(false) | Err(BakongError::InvalidAccountId) => AccountCheck::Unknown,
        Err(BakongError::Unauthorized) => AccountCheck::TokenRejected,
        Err(BakongError::GeoBlocked) => AccountCheck::Unreachable(t!(lang, "bakong-geoblocked")),
        Err(e) => {
            tracing::warn!(error = %e, "check_bakong_account failed");
            AccountCheck::Unreachable(t!(lang, "bakong-unavailable"))
        }
    }
}

fn dialogue_aad(chat: ChatId) -> Vec<u8> {
    format!("dialogue:{}", chat.0).into_bytes()
}

/// Saves the completed profile with the token sealed to the merchant row, then asks for
/// the registered email.
async fn finish_setup(
    bot: &TgBot,
    msg: &Message,
    ctx: &Ctx,
    dialogue: &BotDialogue,
    lang: Lang,
    (account, shop, city): (&str, &str, &str),
    token: &Token,
) -> HandlerResult {
    let Some(user) = msg.from.as_ref() else {
        return Ok(());
    };
    let now = ctx.clock.unix_secs();
    let merchant = ctx
        .store
        .ensure_merchant(user_key(user), msg.chat.id.0, lang, now)
        .await?;
    let sealed = ctx
        .secrets
        .seal(&merchant.id.token_aad(), token.expose_secret().as_bytes())?;
    let expires_at = token.expires_at().and_then(|e| i64::try_from(e).ok());
    let profile = Profile {
        account_id: account.to_owned(),
        shop_name: shop.to_owned(),
        city: city.to_owned(),
        token_sealed: sealed,
        token_expires_at: expires_at,
    };
    ctx.store.save_profile(merchant.id, &profile, now).await?;
    // The profile is complete and saved; the email is an optional last question.
    dialogue.update(State::AwaitEmail).await?;
    tracing::info!(merchant = %merchant.id, "setup completed");
    let text = format!(
        "{}\n\n{}\n\n{}",
        t!(lang, "token-deleted"),
        t!(
            lang,
            "setup-done",
            shop = shop,
            city = city,
            account = account,
            expiry = expiry_text(lang, expires_at)
        ),
        super::email::ask(lang)
    );
    reply(bot, msg, text).await
}

pub(super) async fn on_token(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    (account, shop, city): (String, String, String),
    ctx: Arc<Ctx>,
) -> HandlerResult {
    step(&bot, &msg, &ctx, async |lang, _| {
        let token = match take_token(&bot, &msg, lang, ctx.clock.unix_secs()).await {
            Ok(token) => token,
            Err(why) => return reply(&bot, &msg, format!("{why}\n\n{}", ask_token(lang))).await,
        };
        match check_account(&ctx, lang, &token, &account).await {
            AccountCheck::Exists => {
                finish_setup(
                    &bot,
                    &msg,
                    &ctx,
                    &dialogue,
                    lang,
                    (&account, &shop, &city),
                    &token,
                )
                .await
            }
            AccountCheck::Unknown => {
                let sealed = ctx
                    .secrets
                    .seal(&dialogue_aad(msg.chat.id), token.expose_secret().as_bytes())?;
                dialogue
                    .update(State::FixAccount {
                        shop: shop.clone(),
                        city: city.clone(),
                        sealed_token: base64::engine::general_purpose::STANDARD.encode(sealed),
                    })
                    .await?;
                let text = format!(
                    "{}\n\n{}",
                    t!(lang, "token-deleted"),
                    t!(lang, "setup-account-not-found", account = account.as_str())
                );
                reply(&bot, &msg, text).await
            }
            AccountCheck::TokenRejected => {
                reply(
                    &bot,
                    &msg,
                    format!("{}\n\n{}", t!(lang, "token-rejected"), ask_token(lang)),
                )
                .await
            }
            AccountCheck::Unreachable(why) => reply(&bot, &msg, why).await,
        }
    })
    .await
}

pub(super) async fn on_fixed_account(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    (shop, city, sealed_token): (String, String, String),
    ctx: Arc<Ctx>,
) -> HandlerResult {
    step(&bot, &msg, &ctx, async |lang, _| {
        let Some(text) = msg.text() else {
            return reply(
                &bot,
                &msg,
                format!("{}\n\n{}", t!(lang, "setup-text-only"), ask_account(lang)),
            )
            .await;
        };
        let account = match parse_account(text) {
            Some(a) => a.as_str().to_owned(),
            None => {
                let why = t!(lang, "setup-account-invalid", value = echo(text.trim()));
                return reply(&bot, &msg, format!("{why}\n\n{}", ask_account(lang))).await;
            }
        };
        let token = base64::engine::general_purpose::STANDARD
            .decode(&sealed_token)
            .ok()
            .and_then(|blob| ctx.secrets.open(&dialogue_aad(msg.chat.id), &blob).ok())
            .and_then(|raw| String::from_utf8(raw).ok())
            .and_then(|raw| Token::new(&raw).ok());
        let Some(token) = token else {
            // Sealed with another key (key changed between steps): ask for the token again.
            dialogue
                .update(State::AwaitToken {
                    account,
                    shop: shop.clone(),
                    city: city.clone(),
                })
                .await?;
            return reply(&bot, &msg, ask_token(lang)).await;
        };
        match check_account(&ctx, lang, &token, &account).await {
            AccountCheck::Exists => {
                finish_setup(
                    &bot,
                    &msg,
                    &ctx,
                    &dialogue,
                    lang,
                    (&account, &shop, &city),
                    &token,
                )
                .await
            }
            AccountCheck::Unknown => {
                reply(
                    &bot,
                    &msg,
                    t!(lang, "setup-account-not-found", account = account.as_str()),
                )
                .await
            }
            AccountCheck::TokenRejected => {
                dialogue
                    .update(State::AwaitToken {
                        account,
                        shop: shop.clone(),
                        city: city.clone(),
                    })
                    .await?;
                reply(
                    &bot,
                    &msg,
                    format!("{}\n\n{}", t!(lang, "token-rejected"), ask_token(lang)),
                )
                .await
            }
            AccountCheck::Unreachable(why) => reply(&bot, &msg, why).await,
        }
    })
    .await
}

pub(super) async fn on_new_token(
    bot: TgBot,
    msg: Message,
    dialogue: BotDialogue,
    ctx: Arc<Ctx>,
) -> HandlerResult {
    step(&bot, &msg, &ctx, async |lang, merchant| {
        let token = match take_token(&bot, &msg, lang, ctx.clock.unix_secs()).await {
            Ok(token) => token,
            Err(why) => {
                return reply(&bot, &msg, format!("{why}\n\n{}", t!(lang, "token-ask"))).await;
            }
        };
        let Some((merchant, profile)) = merchant
            .as_ref()
            .and_then(|m| m.profile.as_ref().map(|p| (m, p)))
        else {
            dialogue.exit().await?;
            return reply(&bot, &msg, t!(lang, "token-needs-setup")).await;
        };
        match check_account(&ctx, lang, &token, &profile.account_id).await {
            AccountCheck::Exists => {
                let sealed = ctx
                    .secrets
                    .seal(&merchant.id.token_aad(), token.expose_secret().as_bytes())?;
                let expires_at = token.expires_at().and_then(|e| i64::try_from(e).ok());
                ctx.store
                    .replace_token(merchant.id, &sealed, expires_at, ctx.clock.unix_secs())
                    .await?;
                dialogue.exit().await?;
                let text = format!(
                    "{}\n\n{}",
                    t!(lang, "token-deleted"),
                    t!(
                        lang,
                        "token-replaced",
                        expiry = expiry_text(lang, expires_at)
                    )
                );
                reply(&bot, &msg, text).await
            }
            AccountCheck::Unknown => {
                dialogue.exit().await?;
                let text = t!(
                    lang,
                    "token-account-gone",
                    account = profile.account_id.as_str()
                );
                reply(&bot, &msg, text).await
            }
            AccountCheck::TokenRejected => {
                reply(
                    &bot,
                    &msg,
                    format!(
                        "{}\n\n{}",
                        t!(lang, "token-rejected"),
                        t!(lang, "token-ask")
                    ),
                )
                .await
            }
            AccountCheck::Unreachable(why) => reply(&bot, &msg, why).await,
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_syntax() {
        for ok in ["sokha@aclb", " dara_1@wing ", "a.b-c@abaa"] {
            assert!(parse_account(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "sokha",
            "@aclb",
            "sokha@",
            "so kha@aclb",
            "a@b@c",
            "sokha@\u{7}aclb",
            &format!("{}@aclb", "x".repeat(30)),
        ] {
            assert!(parse_account(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded_in_utf16() {
        assert_eq!(
            check_name("  Sokha   Coffee ", 25).ok().as_deref(),
            Some("Sokha Coffee")
        );
        assert!(matches!(check_name("   ", 25), Err(NameError::Empty)));
        assert!(matches!(
            check_name(&"x".repeat(26), 25),
            Err(NameError::TooLong)
        ));
        assert!(check_name(&"ក".repeat(15), 15).is_ok());
        assert!(matches!(
            check_name(&"😀".repeat(8), 15),
            Err(NameError::TooLong)
        ));
    }
}
