//! The /setup wizard (account → shop → city → token → optional email) and /token.
//!
//! A wrong answer gets its reason and the same question again; the chat stays on that step.
//! The message carrying a token is deleted first, whatever happens next.
//!
//! A token is stored only after Bakong accepted it in an authenticated call
//! (`Client::prove_token`); `check_bakong_account` then checks the account, which production
//! answers without any token, so it proves nothing about one. A refused token, or one that
//! cannot be checked now, stores nothing and the wizard stays on the token step. Each user
//! has a few proofs an hour ([`TOKEN_PROOFS`]): pasting made-up tokens cannot make the bot
//! hammer Bakong.
//!
//! `email.rs` is `/email` and the last step; `stored_token.rs` opens a seller's sealed token
//! for the commands that call Bakong.

pub(super) mod email;
pub(super) mod stored_token;

use base64::Engine;
use teloxide::prelude::*;

use crate::bakong::{BakongError, Token, TokenProof};
use crate::i18n::Lang;
use crate::khqr::{BakongAccountId, City, NameError, ShopName};
use crate::store::{Profile, Quota, QuotaScope};
use crate::t;
use crate::time::UnixSecs;

use super::caller::Shop;
use super::dialogue::{BotDialogue, State};
use super::format::phnom_penh_date;
use super::turn::{Turn, expiry_text};
use super::{HandlerResult, TgBot};

/// Longest user input echoed back in an error.
const MAX_ECHO_CHARS: usize = 40;

/// Tokens a Telegram user may have proven with Bakong (/setup, /token), per hour.
const TOKEN_PROOFS: Quota = Quota {
    scope: QuotaScope::TokenProof,
    window_secs: 3600,
    max: 10,
};

fn ask_account(lang: Lang) -> String {
    t!(lang, "setup-ask-account")
}
fn ask_shop(lang: Lang) -> String {
    t!(lang, "setup-ask-shop", max = ShopName::MAX_UTF16)
}
fn ask_city(lang: Lang) -> String {
    t!(lang, "setup-ask-city", max = City::MAX_UTF16)
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

pub(super) async fn start(turn: &Turn, dialogue: &BotDialogue) -> HandlerResult {
    let lang = turn.lang();
    if !turn.msg.chat.is_private() {
        return turn.reply(t!(lang, "setup-private-only")).await;
    }
    dialogue.update(State::AwaitAccount).await?;
    turn.reply(ask_account(lang)).await
}

/// `/token` (the handler tree serves it only to a configured shop).
pub(super) async fn start_token(turn: &Turn, dialogue: &BotDialogue) -> HandlerResult {
    let lang = turn.lang();
    if !turn.msg.chat.is_private() {
        return turn.reply(t!(lang, "setup-private-only")).await;
    }
    dialogue.update(State::AwaitNewToken).await?;
    turn.reply(t!(lang, "token-ask")).await
}

/// Runs a wizard step; an internal failure is logged and apologised for, and the chat stays
/// on the same step. The caller (and so the language) is looked up per message by the
/// handler tree, so /lang applies mid-wizard.
async fn step(turn: &Turn, f: impl AsyncFnOnce() -> HandlerResult) -> HandlerResult {
    if let Err(e) = f().await {
        turn.apologise(&e).await;
    }
    Ok(())
}

pub(super) async fn on_account(turn: Turn, dialogue: BotDialogue) -> HandlerResult {
    let msg = &turn.msg;
    step(&turn, async || {
        let lang = turn.lang();
        let Some(text) = msg.text() else {
            return turn
                .reply(format!(
                    "{}\n\n{}",
                    t!(lang, "setup-text-only"),
                    ask_account(lang)
                ))
                .await;
        };
        match parse_account(text) {
            Some(account) => {
                dialogue
                    .update(State::AwaitShop {
                        account: account.clone(),
                    })
                    .await?;
                turn.reply(ask_shop(lang)).await
            }
            None => {
                let why = t!(lang, "setup-account-invalid", value = echo(text.trim()));
                turn.reply(format!("{why}\n\n{}", ask_account(lang))).await
            }
        }
    })
    .await
}

/// The reply that says what is wrong with a shop or city answer and asks the same question
/// again (`None`: the message had no text).
fn name_refusal(
    why: Option<NameError>,
    empty: impl FnOnce() -> String,
    too_long: impl FnOnce() -> String,
    hidden: impl FnOnce() -> String,
    ask_again: impl FnOnce() -> String,
) -> String {
    match why {
        Some(NameError::TooLong { .. }) => format!("{}\n\n{}", too_long(), ask_again()),
        Some(NameError::Hidden) => format!("{}\n\n{}", hidden(), ask_again()),
        Some(NameError::Empty) | None => format!("{}\n\n{}", empty(), ask_again()),
    }
}

pub(super) async fn on_shop(
    turn: Turn,
    dialogue: BotDialogue,
    account: BakongAccountId,
) -> HandlerResult {
    let msg = &turn.msg;
    step(&turn, async || {
        let lang = turn.lang();
        let answer = match msg.text().map(ShopName::parse) {
            Some(Ok(shop)) => shop,
            why => {
                let text = name_refusal(
                    why.and_then(Result::err),
                    || t!(lang, "setup-shop-empty"),
                    || t!(lang, "setup-shop-too-long", max = ShopName::MAX_UTF16),
                    || t!(lang, "setup-shop-hidden"),
                    || ask_shop(lang),
                );
                return turn.reply(text).await;
            }
        };
        dialogue
            .update(State::AwaitCity {
                account: account.clone(),
                shop: answer,
            })
            .await?;
        turn.reply(ask_city(lang)).await
    })
    .await
}

pub(super) async fn on_city(
    turn: Turn,
    dialogue: BotDialogue,
    (account, shop): (BakongAccountId, ShopName),
) -> HandlerResult {
    let msg = &turn.msg;
    step(&turn, async || {
        let lang = turn.lang();
        let answer = match msg.text().map(City::parse) {
            Some(Ok(city)) => city,
            why => {
                let text = name_refusal(
                    why.and_then(Result::err),
                    || t!(lang, "setup-city-empty"),
                    || t!(lang, "setup-city-too-long", max = City::MAX_UTF16),
                    || t!(lang, "setup-city-hidden"),
                    || ask_city(lang),
                );
                return turn.reply(text).await;
            }
        };
        dialogue
            .update(State::AwaitToken {
                account: account.clone(),
                shop: shop.clone(),
                city: answer,
            })
            .await?;
        turn.reply(ask_token(lang)).await
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

/// What Bakong says about a pasted token and the account it is for.
enum TokenCheck {
    /// Bakong accepted the token (authenticated call) and knows the account.
    Accepted,
    /// The token works, but Bakong does not know the account.
    UnknownAccount,
    /// Bakong refused the token (401).
    Refused,
    /// No verdict now (Bakong unreachable, geo-blocked, the user's proofs used up): the
    /// reason to show. Nothing is stored; the user sends the token again later.
    NotNow(String),
}

/// Proves `token` with one authenticated Bakong call, then checks `account` exists.
async fn check_token(
    turn: &Turn,
    token: &Token,
    account: &BakongAccountId,
) -> Result<TokenCheck, crate::store::StoreError> {
    let (ctx, lang) = (&*turn.ctx, turn.lang());
    let subject = turn.caller.user_key.unwrap_or(turn.chat().0);
    if !ctx
        .store
        .claim_quota(TOKEN_PROOFS, subject, ctx.clock.unix_secs())
        .await?
    {
        tracing::info!(user = subject, "token proofs used up for now: refused");
        let minutes = TOKEN_PROOFS.window_secs / 60;
        return Ok(TokenCheck::NotNow(t!(
            lang,
            "token-checks-too-many",
            minutes = minutes
        )));
    }
    match ctx.bakong.prove_token(token).await {
        TokenProof::Accepted => {}
        TokenProof::Refused => return Ok(TokenCheck::Refused),
        TokenProof::Unknown(e) => return Ok(not_now(lang, &e)),
    }
    Ok(
        match ctx
            .bakong
            .check_bakong_account(token, account.as_str())
            .await
        {
            Ok(true) => TokenCheck::Accepted,
            Ok(false) | Err(BakongError::InvalidAccountId) => TokenCheck::UnknownAccount,
            Err(BakongError::Unauthorized) => TokenCheck::Refused,
            Err(e) => not_now(lang, &e),
        },
    )
}

fn not_now(lang: Lang, e: &BakongError) -> TokenCheck {
    if let BakongError::GeoBlocked = e {
        return TokenCheck::NotNow(t!(lang, "bakong-geoblocked"));
    }
    tracing::warn!(error = %e, "could not check a token with Bakong");
    TokenCheck::NotNow(t!(lang, "bakong-unavailable"))
}

fn dialogue_aad(chat: ChatId) -> Vec<u8> {
    format!("dialogue:{}", chat.0).into_bytes()
}

/// Saves the completed profile with the token sealed to the merchant row, then asks for
/// the registered email.
async fn finish_setup(
    turn: &Turn,
    dialogue: &BotDialogue,
    (account, shop, city): (&BakongAccountId, &ShopName, &City),
    token: &Token,
) -> HandlerResult {
    let Some(user_key) = turn.caller.user_key else {
        return Ok(());
    };
    let (ctx, lang) = (&*turn.ctx, turn.lang());
    let now = ctx.clock.unix_secs();
    let merchant = ctx
        .store
        .ensure_merchant(user_key, turn.chat().0, lang, now)
        .await?;
    let sealed = ctx
        .secrets
        .seal(&merchant.id.token_aad(), token.expose_secret().as_bytes())?;
    let expires_at = token.expires_at().and_then(|e| i64::try_from(e).ok());
    let profile = Profile {
        account_id: account.clone(),
        shop_name: shop.clone(),
        city: city.clone(),
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
            shop = shop.as_str(),
            city = city.as_str(),
            account = account.as_str(),
            expiry = expiry_text(lang, expires_at)
        ),
        email::ask(lang)
    );
    turn.reply(text).await
}

pub(super) async fn on_token(
    turn: Turn,
    dialogue: BotDialogue,
    (account, shop, city): (BakongAccountId, ShopName, City),
) -> HandlerResult {
    let (bot, msg, ctx) = (&turn.bot, &turn.msg, &*turn.ctx);
    step(&turn, async || {
        let lang = turn.lang();
        let token = match take_token(bot, msg, lang, ctx.clock.unix_secs()).await {
            Ok(token) => token,
            Err(why) => return turn.reply(format!("{why}\n\n{}", ask_token(lang))).await,
        };
        match check_token(&turn, &token, &account).await? {
            TokenCheck::Accepted => {
                finish_setup(&turn, &dialogue, (&account, &shop, &city), &token).await
            }
            TokenCheck::UnknownAccount => {
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
                turn.reply(text).await
            }
            TokenCheck::Refused => {
                turn.reply(format!(
                    "{}\n\n{}",
                    t!(lang, "token-rejected"),
                    ask_token(lang)
                ))
                .await
            }
            TokenCheck::NotNow(why) => turn.reply(why).await,
        }
    })
    .await
}

pub(super) async fn on_fixed_account(
    turn: Turn,
    dialogue: BotDialogue,
    (shop, city, sealed_token): (ShopName, City, String),
) -> HandlerResult {
    let (msg, ctx) = (&turn.msg, &*turn.ctx);
    step(&turn, async || {
        let lang = turn.lang();
        let Some(text) = msg.text() else {
            return turn
                .reply(format!(
                    "{}\n\n{}",
                    t!(lang, "setup-text-only"),
                    ask_account(lang)
                ))
                .await;
        };
        let account = match parse_account(text) {
            Some(a) => a,
            None => {
                let why = t!(lang, "setup-account-invalid", value = echo(text.trim()));
                return turn.reply(format!("{why}\n\n{}", ask_account(lang))).await;
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
            return turn.reply(ask_token(lang)).await;
        };
        match check_token(&turn, &token, &account).await? {
            TokenCheck::Accepted => {
                finish_setup(&turn, &dialogue, (&account, &shop, &city), &token).await
            }
            TokenCheck::UnknownAccount => {
                turn.reply(t!(
                    lang,
                    "setup-account-not-found",
                    account = account.as_str()
                ))
                .await
            }
            TokenCheck::Refused => {
                dialogue
                    .update(State::AwaitToken {
                        account,
                        shop: shop.clone(),
                        city: city.clone(),
                    })
                    .await?;
                turn.reply(format!(
                    "{}\n\n{}",
                    t!(lang, "token-rejected"),
                    ask_token(lang)
                ))
                .await
            }
            TokenCheck::NotNow(why) => turn.reply(why).await,
        }
    })
    .await
}

pub(super) async fn on_new_token(turn: Turn, dialogue: BotDialogue) -> HandlerResult {
    let (bot, msg, ctx) = (&turn.bot, &turn.msg, &*turn.ctx);
    step(&turn, async || {
        let lang = turn.lang();
        let token = match take_token(bot, msg, lang, ctx.clock.unix_secs()).await {
            Ok(token) => token,
            Err(why) => {
                return turn
                    .reply(format!("{why}\n\n{}", t!(lang, "token-ask")))
                    .await;
            }
        };
        let Some(Shop { merchant, profile }) = turn.caller.shop() else {
            dialogue.exit().await?;
            return turn.reply(t!(lang, "token-needs-setup")).await;
        };
        match check_token(&turn, &token, &profile.account_id).await? {
            TokenCheck::Accepted => {
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
                turn.reply(text).await
            }
            TokenCheck::UnknownAccount => {
                dialogue.exit().await?;
                let text = t!(
                    lang,
                    "token-account-gone",
                    account = profile.account_id.as_str()
                );
                turn.reply(text).await
            }
            TokenCheck::Refused => {
                turn.reply(format!(
                    "{}\n\n{}",
                    t!(lang, "token-rejected"),
                    t!(lang, "token-ask")
                ))
                .await
            }
            TokenCheck::NotNow(why) => turn.reply(why).await,
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
}
