//! Private by default: merchant commands work only in a private chat with the bot. In a
//! group they get one short "talk to me in private" with a button opening that chat, and
//! change nothing — no account, amount, payer or token is ever shown there. One branch of
//! the handler tree, ahead of the commands.

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, Me};

use crate::t;

use super::turn::Turn;
use super::{Command, HandlerResult};

/// Whether `cmd` shows or changes a merchant's shop, money or token (so: private only).
/// Exhaustive on purpose: a new command must be placed on one side or the other.
pub(super) fn is_merchant_command(cmd: &Command) -> bool {
    match cmd {
        Command::Setup
        | Command::Charge(_)
        | Command::Settings
        | Command::Token
        | Command::Lang(_)
        | Command::Currency(_)
        | Command::History(_)
        | Command::Pending
        | Command::Check(_)
        | Command::Link(_)
        | Command::Links
        | Command::Close(_)
        | Command::Export(_)
        | Command::Email(_) => true,
        Command::Start(_) | Command::Help | Command::Cancel => false,
    }
}

/// For the handler tree: a merchant command sent anywhere but a private chat.
pub(super) fn outside_private_chat(msg: Message, cmd: Command) -> bool {
    !msg.chat.is_private() && is_merchant_command(&cmd)
}

/// The one answer to a merchant command in a group. A message carrying something that
/// looks like a Bakong token is deleted first.
pub(super) async fn on_group_command(turn: Turn, me: Me) -> HandlerResult {
    delete_pasted_token(&turn).await;
    let (bot, msg) = (&turn.bot, &turn.msg);
    // The caller's language choice only, nothing about their shop.
    let lang = turn.lang();
    let mut send = bot.send_message(msg.chat.id, t!(lang, "private-only"));
    if let Some(url) = me
        .user
        .username
        .as_deref()
        .and_then(|name| reqwest::Url::parse(&format!("https://t.me/{name}")).ok())
    {
        let button = InlineKeyboardButton::url(t!(lang, "private-only-button"), url);
        send = send.reply_markup(InlineKeyboardMarkup::new([[button]]));
    }
    send.await?;
    Ok(())
}

/// A group's command after the group's answer of this interval was given: no answer (a
/// crowd spamming `/help` gets one), but a pasted token is still deleted.
pub(super) async fn on_unanswered_group_command(turn: Turn) -> HandlerResult {
    delete_pasted_token(&turn).await;
    Ok(())
}

/// Deletes the message if it carries something that looks like a Bakong token.
async fn delete_pasted_token(turn: &Turn) {
    let (bot, msg) = (&turn.bot, &turn.msg);
    if msg.text().is_some_and(contains_jwt)
        && let Err(e) = bot.delete_message(msg.chat.id, msg.id).await
    {
        tracing::warn!(chat_id = msg.chat.id.0, error = %e, "could not delete a pasted token");
    }
}

/// Whether any word of `text` looks like a Bakong token (e.g. `/token eyJ…`).
pub(super) fn contains_jwt(text: &str) -> bool {
    text.split_whitespace().any(looks_like_jwt)
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

#[cfg(test)]
mod tests {
    use teloxide::utils::command::BotCommands;

    use super::*;

    #[test]
    fn merchant_commands_are_the_ones_that_show_or_change_a_shop() {
        let private = [
            "/setup",
            "/charge 5",
            "/settings",
            "/token",
            "/lang km",
            "/currency KHR",
            "/history",
            "/pending",
            "/check abc",
        ];
        for text in private {
            let cmd = Command::parse(text, "bot").unwrap();
            assert!(is_merchant_command(&cmd), "{text}");
        }
        for text in ["/start", "/help", "/cancel"] {
            let cmd = Command::parse(text, "bot").unwrap();
            assert!(!is_merchant_command(&cmd), "{text}");
        }
    }

    #[test]
    fn a_token_anywhere_in_a_message_is_found() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJkYXRhIjp7fX0.c2lnbmF0dXJl";
        assert!(contains_jwt(jwt));
        assert!(contains_jwt(&format!("/token {jwt}")));
        assert!(contains_jwt(&format!("here:\n{jwt} thanks")));
        assert!(!contains_jwt("/charge 5 USD coffee"));
    }
}
