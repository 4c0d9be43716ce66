//! The simple commands: /start, /help, /cancel, /lang for anyone; /settings and /currency
//! for a configured shop.

use crate::i18n::Lang;
use crate::t;

use super::HandlerResult;
use super::caller::Shop;
use super::charge::currency_word::CurrencyWord;
use super::dialogue::{BotDialogue, State};
use super::format::mask_secret;
use super::setup::email;
use super::stranger_text::StrangerText;
use super::turn::{Turn, expiry_text};

pub(super) async fn start(turn: &Turn) -> HandlerResult {
    let lang = turn.lang();
    let text = match turn
        .caller
        .merchant
        .as_ref()
        .and_then(|m| m.profile.as_ref())
    {
        Some(p) => t!(
            lang,
            "start-ready",
            shop = StrangerText(p.shop_name.as_str()).shown()
        ),
        None => {
            let name = turn
                .msg
                .from
                .as_ref()
                .map(|u| StrangerText(&u.first_name).shown())
                .unwrap_or_default();
            t!(lang, "start-new", name = name)
        }
    };
    turn.reply(text).await
}

pub(super) async fn help(turn: &Turn) -> HandlerResult {
    let lang = turn.lang();
    let minutes = turn.ctx.charge_ttl.as_secs().div_ceil(60);
    let text = format!(
        "{}\n\n{}",
        t!(lang, "help-title"),
        t!(lang, "help-body", minutes = minutes)
    );
    turn.reply(text).await
}

pub(super) async fn cancel(turn: &Turn, dialogue: &BotDialogue) -> HandlerResult {
    let lang = turn.lang();
    let state = dialogue.get().await?.unwrap_or_default();
    if state == State::Idle {
        return turn.reply(t!(lang, "cancel-nothing")).await;
    }
    dialogue.exit().await?;
    if state == State::AwaitEmail {
        // The profile is already saved: only the optional email was asked.
        return turn.reply(t!(lang, "setup-email-skipped")).await;
    }
    turn.reply(t!(lang, "setup-cancelled")).await
}

pub(super) async fn settings(turn: &Turn, shop: &Shop) -> HandlerResult {
    let lang = turn.lang();
    let (m, p) = (&shop.merchant, &shop.profile);
    // Show only the tail of the token, and only if it still decrypts.
    let masked = match turn.ctx.secrets.open(&m.id.token_aad(), &p.token_sealed) {
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
        shop = StrangerText(p.shop_name.as_str()).shown(),
        city = StrangerText(p.city.as_str()).shown(),
        account = p.account_id.as_str(),
        currency = m.default_currency.alpha(),
        token = masked,
        expiry = expiry
    );
    let text = format!("{text}\n{}", email::settings_line(lang, m));
    turn.reply(text).await
}

pub(super) async fn set_lang(turn: &Turn, arg: &str) -> HandlerResult {
    let Some(user_key) = turn.caller.user_key else {
        return Ok(());
    };
    match arg.parse::<Lang>() {
        Ok(lang) => {
            turn.ctx
                .store
                .set_language(user_key, turn.chat().0, lang, turn.ctx.clock.unix_secs())
                .await?;
            turn.reply(t!(lang, "lang-set")).await
        }
        Err(_) => turn.reply(t!(turn.lang(), "lang-usage")).await,
    }
}

/// `/currency USD`, `/currency riel`, … (the words `/charge` reads at an amount).
pub(super) async fn set_currency(turn: &Turn, shop: &Shop, arg: &str) -> HandlerResult {
    let lang = turn.lang();
    let Some(currency) = CurrencyWord::supported(arg.trim()) else {
        return turn.reply(t!(lang, "currency-usage")).await;
    };
    turn.ctx
        .store
        .set_default_currency(shop.merchant.id, currency, turn.ctx.clock.unix_secs())
        .await?;
    turn.reply(t!(lang, "currency-set", currency = currency.alpha()))
        .await
}
