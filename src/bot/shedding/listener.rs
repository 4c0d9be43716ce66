//! [`SheddingListener`]: an update listener (long polling or the webhook) whose stream
//! yields only the updates [`Shedding::admit`] lets through. Deciding takes a lock and
//! some arithmetic, never an await, so the stream goes as fast as the listener under it.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{Stream, StreamExt, future};
use teloxide::prelude::*;
use teloxide::stop::StopToken;
use teloxide::types::{AllowedUpdate, CallbackQuery, UpdateKind};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};

use crate::i18n::Lang;
use crate::t;
use crate::telegram_pacing::WaitPolicy;

use super::Shedding;
use crate::bot::TgBot;

/// How an answer to a dropped press meets Telegram's flood gate: it waits a little at most
/// and is never sent twice (after a few seconds the user's client has given up anyway).
const PRESS_ANSWER_POLICY: WaitPolicy = WaitPolicy {
    max_wait: Duration::from_secs(3),
    resends: 0,
};

/// `inner`, with every update passed through the shedding step first.
pub struct SheddingListener<L> {
    inner: L,
    shedding: Arc<Shedding>,
    /// Answers dropped button presses.
    bot: TgBot,
}

impl<L> SheddingListener<L> {
    pub fn new(inner: L, shedding: Arc<Shedding>, bot: &TgBot) -> Self {
        Self {
            inner,
            shedding,
            bot: bot.with_policy(PRESS_ANSWER_POLICY),
        }
    }
}

impl<'a, L> AsUpdateStream<'a> for SheddingListener<L>
where
    L: UpdateListener,
    L::Err: Send + 'static,
{
    type StreamErr = L::Err;
    type Stream = Pin<Box<dyn Stream<Item = Result<Update, L::Err>> + Send + 'a>>;

    fn as_stream(&'a mut self) -> Self::Stream {
        let shedding = Arc::clone(&self.shedding);
        let bot = self.bot.clone();
        Box::pin(self.inner.as_stream().filter_map(move |item| {
            let passed = match item {
                Ok(update) => match shedding.admit(&update) {
                    Ok(()) => Some(Ok(update)),
                    Err(_) => {
                        if let UpdateKind::CallbackQuery(press) = update.kind {
                            answer_dropped_press(&shedding, &bot, press);
                        }
                        None
                    }
                },
                Err(e) => Some(Err(e)),
            };
            future::ready(passed)
        }))
    }
}

impl<L> UpdateListener for SheddingListener<L>
where
    L: UpdateListener,
    L::Err: Send + 'static,
{
    type Err = L::Err;

    fn stop_token(&mut self) -> StopToken {
        self.inner.stop_token()
    }

    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        self.inner.hint_allowed_updates(hint);
    }
}

/// Stops the spinner on a press that was dropped: "too many at once, wait a moment", in
/// the language the user's Telegram reports (the store is not asked: this is before any
/// handler). Sent in a task of its own, so the stream never waits for it.
fn answer_dropped_press(shedding: &Shedding, bot: &TgBot, press: CallbackQuery) {
    if !shedding.may_answer_dropped_press() {
        return;
    }
    let lang = Lang::from_telegram(press.from.language_code.as_deref());
    let answer = bot
        .answer_callback_query(press.id)
        .text(t!(lang, "flood-press-dropped"));
    tokio::spawn(async move {
        if let Err(e) = answer.await {
            tracing::debug!(error = %e, "could not answer a dropped button press");
        }
    });
}
