//! One message being answered: the requester, the shared state, the message and its
//! [`Caller`], made once by the handler tree (`map`) so handlers take a `Turn` and the few
//! things of their own (a dialogue, a command's argument, a [`Shop`](super::caller::Shop))
//! instead of six loose arguments. Also the answers every handler shares: [`Turn::reply`]
//! and [`Turn::apologise`].

use std::sync::Arc;

use teloxide::prelude::*;

use crate::i18n::Lang;
use crate::t;

use super::caller::Caller;
use super::format::phnom_penh_date;
use super::{Ctx, HandlerError, HandlerResult, TgBot};

#[derive(Clone)]
pub(super) struct Turn {
    pub bot: TgBot,
    pub ctx: Arc<Ctx>,
    pub msg: Message,
    pub caller: Caller,
}

impl Turn {
    /// For the handler tree.
    pub(super) fn new(bot: TgBot, ctx: Arc<Ctx>, msg: Message, caller: Caller) -> Self {
        Self {
            bot,
            ctx,
            msg,
            caller,
        }
    }

    /// The language to answer in.
    pub(super) fn lang(&self) -> Lang {
        self.caller.lang
    }

    pub(super) fn chat(&self) -> ChatId {
        self.msg.chat.id
    }

    /// Sends `text` to the chat the message came from.
    pub(super) async fn reply(&self, text: String) -> HandlerResult {
        self.bot.send_message(self.chat(), text).await?;
        Ok(())
    }

    /// Logs an internal failure and apologises to the user instead of going silent.
    pub(super) async fn apologise(&self, error: &HandlerError) {
        let chat = self.chat();
        tracing::error!(chat_id = chat.0, error = %error, "handler failed");
        if let Err(e) = self
            .bot
            .send_message(chat, t!(self.lang(), "error-internal"))
            .await
        {
            tracing::warn!(chat_id = chat.0, error = %e, "could not send the apology either");
        }
    }
}

/// A token's expiry as the seller reads it: a Phnom Penh date, or "unknown".
pub(super) fn expiry_text(lang: Lang, expires_at: Option<i64>) -> String {
    match expires_at {
        Some(at) => phnom_penh_date(at),
        None => t!(lang, "expiry-unknown"),
    }
}
