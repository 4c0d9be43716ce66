//! The email registered at the Bakong Open API site, which lets the bot renew the seller's
//! token by itself: the last (optional) /setup step, `/email you@example.com`,
//! `/email off`, and its line in /settings.
//!
//! Setting an email is limited per seller ([`EMAIL_CHANGES`]): Bakong's `renew_token` takes
//! nothing but an email, so each new email is one more `renew_token` the bot may ask for.
//! No reply here says anything about whether Bakong knows an email.

use crate::bakong::{EmailError, MAX_EMAIL_CHARS, RegisteredEmail};
use crate::i18n::Lang;
use crate::store::{Merchant, Quota, QuotaScope};
use crate::t;

use crate::bot::HandlerResult;
use crate::bot::caller::Shop;
use crate::bot::dialogue::BotDialogue;
use crate::bot::private::looks_like_jwt;
use crate::bot::turn::Turn;

/// Longest input echoed back in an error.
const MAX_ECHO_CHARS: usize = 40;

/// How often a seller may set their email (`/email`, the last /setup step): 3 times per 24
/// hours. Removing it is never limited.
const EMAIL_CHANGES: Quota = Quota {
    scope: QuotaScope::EmailChange,
    window_secs: 86_400,
    max: 3,
};

/// Answers that mean "no email, keep renewing by hand".
fn is_skip(text: &str) -> bool {
    let t = text.trim().trim_start_matches('/').to_lowercase();
    matches!(t.as_str(), "skip" | "no" | "none" | "-" | "រំលង" | "ទេ")
}

/// Answers that remove the email (`/email off`).
fn is_off(text: &str) -> bool {
    let t = text.trim().to_lowercase();
    matches!(t.as_str(), "off" | "remove" | "delete" | "none" | "បិទ")
}

pub(in crate::bot) fn ask(lang: Lang) -> String {
    t!(lang, "setup-ask-email", max = MAX_EMAIL_CHARS)
}

fn echo(text: &str) -> String {
    let mut shown: String = text.trim().chars().take(MAX_ECHO_CHARS).collect();
    if text.trim().chars().count() > MAX_ECHO_CHARS {
        shown.push('…');
    }
    shown
}

fn invalid(lang: Lang, text: &str, why: EmailError) -> String {
    match why {
        EmailError::TooLong => t!(lang, "email-too-long", max = MAX_EMAIL_CHARS),
        EmailError::Empty | EmailError::Malformed => {
            t!(lang, "email-invalid", value = echo(text))
        }
    }
}

/// The /settings line about the email.
pub(in crate::bot) fn settings_line(lang: Lang, merchant: &Merchant) -> String {
    match &merchant.email {
        Some(e) => t!(lang, "settings-email", email = e.masked()),
        None => t!(lang, "settings-email-none"),
    }
}

/// Sets `email` as `m`'s registered email, within [`EMAIL_CHANGES`] (the same email again
/// is no change and uses nothing). `Err(text)`: refused, with the reason to show.
async fn set(turn: &Turn, m: &Merchant, email: &RegisteredEmail) -> Result<(), String> {
    let (ctx, lang) = (&*turn.ctx, turn.lang());
    if m.email.as_ref() == Some(email) {
        return Ok(());
    }
    let now = ctx.clock.unix_secs();
    let stored = async {
        if !ctx.store.claim_quota(EMAIL_CHANGES, m.id.0, now).await? {
            return Ok(false);
        }
        ctx.store.set_email(m.id, Some(email), now).await?;
        Ok::<_, crate::store::StoreError>(true)
    };
    match stored.await {
        Ok(true) => {
            tracing::info!(merchant = %m.id, email = ?email, "registered email set");
            Ok(())
        }
        Ok(false) => {
            tracing::info!(merchant = %m.id, "email changes used up for now: refused");
            Err(t!(lang, "email-too-many-changes", max = EMAIL_CHANGES.max))
        }
        Err(e) => {
            tracing::error!(merchant = %m.id, error = %e, "could not set the email");
            Err(t!(lang, "error-internal"))
        }
    }
}

/// `/email`, `/email you@example.com`, `/email off`.
/// (The handler tree serves it only to a configured shop.)
pub(in crate::bot) async fn command(turn: &Turn, shop: &Shop, arg: &str) -> HandlerResult {
    let (ctx, lang, m) = (&*turn.ctx, turn.lang(), &shop.merchant);
    if !turn.msg.chat.is_private() {
        return turn.reply(t!(lang, "setup-private-only")).await;
    }
    let arg = arg.trim();
    if arg.is_empty() {
        let text = match &m.email {
            Some(e) => t!(lang, "email-current", email = e.masked()),
            None => t!(lang, "email-usage"),
        };
        return turn.reply(text).await;
    }
    if is_off(arg) {
        ctx.store
            .set_email(m.id, None, ctx.clock.unix_secs())
            .await?;
        tracing::info!(merchant = %m.id, "registered email removed");
        return turn.reply(t!(lang, "email-removed")).await;
    }
    match RegisteredEmail::parse(arg) {
        Ok(email) => match set(turn, m, &email).await {
            Ok(()) => {
                turn.reply(t!(lang, "email-set", email = email.masked()))
                    .await
            }
            Err(why) => turn.reply(why).await,
        },
        Err(why) => {
            let text = format!("{}\n\n{}", invalid(lang, arg, why), t!(lang, "email-usage"));
            turn.reply(text).await
        }
    }
}

/// The answer to the last /setup question: an email, or "skip".
pub(in crate::bot) async fn on_email(turn: Turn, dialogue: BotDialogue) -> HandlerResult {
    if let Err(e) = answer(&turn, &dialogue).await {
        turn.apologise(&e).await;
    }
    Ok(())
}

async fn answer(turn: &Turn, dialogue: &BotDialogue) -> HandlerResult {
    let (bot, msg, lang) = (&turn.bot, &turn.msg, turn.lang());
    let Some(text) = msg.text() else {
        let text = format!("{}\n\n{}", t!(lang, "setup-text-only"), ask(lang));
        return turn.reply(text).await;
    };
    if looks_like_jwt(text) {
        // A token pasted here must not stay in the chat either.
        if let Err(e) = bot.delete_message(msg.chat.id, msg.id).await {
            tracing::warn!(chat_id = msg.chat.id.0, error = %e, "could not delete a pasted token");
        }
        let text = format!("{}\n\n{}", t!(lang, "token-outside-wizard"), ask(lang));
        return turn.reply(text).await;
    }
    let Some(Shop { merchant: m, .. }) = turn.caller.shop() else {
        dialogue.exit().await?;
        return turn.reply(t!(lang, "token-needs-setup")).await;
    };
    if is_skip(text) {
        dialogue.exit().await?;
        return turn.reply(t!(lang, "setup-email-skipped")).await;
    }
    match RegisteredEmail::parse(text) {
        Ok(email) => {
            let answer = match set(turn, &m, &email).await {
                Ok(()) => t!(lang, "email-set", email = email.masked()),
                Err(why) => why,
            };
            dialogue.exit().await?;
            turn.reply(answer).await
        }
        Err(why) => {
            let text = format!("{}\n\n{}", invalid(lang, text, why), ask(lang));
            turn.reply(text).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_and_off_words() {
        for s in ["skip", " Skip ", "/skip", "no", "-", "រំលង"] {
            assert!(is_skip(s), "{s:?}");
        }
        for s in ["sokha@example.com", "skipper", ""] {
            assert!(!is_skip(s), "{s:?}");
        }
        for s in ["off", "OFF", "remove", "បិទ"] {
            assert!(is_off(s), "{s:?}");
        }
        assert!(!is_off("sokha@example.com"));
    }
}
