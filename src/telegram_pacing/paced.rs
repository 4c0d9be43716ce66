//! [`PacedBot`]: the bot's Telegram client. Every request goes through the process's
//! [`FloodGate`]: messages (sends, edits) are paced, everything waits out a flood-control
//! pause, and a `retry_after` answer to any request starts one for all.
// The gate's entrance: the one place that holds the plain bot and calls its methods.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use teloxide::RequestError;
use teloxide::payloads::{
    AnswerCallbackQuery, AnswerInlineQuery, DeleteMessage, EditMessageCaptionInline,
    EditMessageMedia, EditMessageMediaInline, EditMessageText, GetMe, SendDocument, SendMessage,
    SendPhoto, SetMyCommands,
};
use teloxide::requests::{HasPayload, JsonRequest, MultipartRequest, Output, Request, Requester};
use teloxide::types::{
    BotCommand, CallbackQueryId, ChatId, InlineQueryId, InlineQueryResult, InputFile, InputMedia,
    MessageId, Recipient, Seconds,
};
use tokio::time::Instant;

use super::gate::{ChatKey, FloodGate, Pace};

/// How long a request may wait at the gate, and whether it is sent again after a
/// `retry_after` answer (Telegram did not carry it out, so sending again is safe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitPolicy {
    /// Longest wait for the gate; a request that would wait longer fails with
    /// `RequestError::RetryAfter` without reaching Telegram.
    pub max_wait: Duration,
    /// How many times a request answered `retry_after` is sent again after the pause.
    pub resends: u32,
}

impl WaitPolicy {
    /// Handlers answering a user: wait out a pause of up to a minute rather than fail, and
    /// send again after a `retry_after`.
    pub const HANDLERS: Self = Self {
        max_wait: Duration::from_secs(60),
        resends: 3,
    };
    /// The watcher's outbox: its tasks are persistent and it reschedules them itself, so it
    /// never resends and waits only a little (it checks the gate before each task).
    pub const OUTBOX: Self = Self {
        max_wait: Duration::from_secs(5),
        resends: 0,
    };
}

/// A teloxide [`Bot`](teloxide::Bot) behind a shared [`FloodGate`]. Clones share the gate.
#[derive(Debug, Clone)]
pub struct PacedBot {
    inner: teloxide::Bot,
    gate: Arc<FloodGate>,
    policy: WaitPolicy,
}

impl PacedBot {
    pub fn new(inner: teloxide::Bot, gate: Arc<FloodGate>, policy: WaitPolicy) -> Self {
        Self {
            inner,
            gate,
            policy,
        }
    }

    /// The same bot and gate, with another wait policy.
    pub fn with_policy(&self, policy: WaitPolicy) -> Self {
        Self {
            policy,
            ..self.clone()
        }
    }

    pub fn gate(&self) -> &Arc<FloodGate> {
        &self.gate
    }

    pub fn policy(&self) -> WaitPolicy {
        self.policy
    }

    /// The plain bot underneath, whose requests bypass the gate: for polling and the
    /// webhook's registration only (clippy refuses it elsewhere, see clippy.toml).
    pub fn unpaced(&self) -> &teloxide::Bot {
        &self.inner
    }
}

impl From<&Recipient> for ChatKey {
    fn from(recipient: &Recipient) -> Self {
        match recipient {
            Recipient::Id(id) => ChatKey::Id(id.0),
            Recipient::ChannelUsername(name) => ChatKey::Username(name.clone()),
        }
    }
}

impl From<&ChatId> for ChatKey {
    fn from(id: &ChatId) -> Self {
        ChatKey::Id(id.0)
    }
}

/// How a request meets the gate.
enum Kind<P> {
    /// A message to the chat named in the payload.
    Chat(fn(&P) -> ChatKey),
    Overall,
    Unpaced,
}

impl<P> Clone for Kind<P> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<P> Copy for Kind<P> {}

/// A request of [`PacedBot`]: sent when the gate lets it through.
#[must_use = "Requests are lazy and do nothing unless sent"]
pub struct PacedRequest<R: HasPayload> {
    request: Arc<R>,
    kind: Kind<R::Payload>,
    gate: Arc<FloodGate>,
    policy: WaitPolicy,
}

impl<R: HasPayload> Clone for PacedRequest<R> {
    fn clone(&self) -> Self {
        Self {
            request: Arc::clone(&self.request),
            kind: self.kind,
            gate: Arc::clone(&self.gate),
            policy: self.policy,
        }
    }
}

impl<R: HasPayload> PacedRequest<R> {
    fn new(request: R, kind: Kind<R::Payload>, bot: &PacedBot) -> Self {
        Self {
            request: Arc::new(request),
            kind,
            gate: Arc::clone(&bot.gate),
            policy: bot.policy,
        }
    }
}

impl<R: HasPayload + Clone> HasPayload for PacedRequest<R> {
    type Payload = R::Payload;

    fn payload_mut(&mut self) -> &mut Self::Payload {
        Arc::make_mut(&mut self.request).payload_mut()
    }

    fn payload_ref(&self) -> &Self::Payload {
        self.request.payload_ref()
    }
}

/// The future of a [`PacedRequest`].
pub type PacedSend<R> = Pin<Box<dyn Future<Output = Result<Output<R>, RequestError>> + Send>>;

impl<R> Request for PacedRequest<R>
where
    R: Request<Err = RequestError> + Clone + Send + Sync + 'static,
    Output<R>: Send,
{
    type Err = RequestError;
    type Send = PacedSend<R>;
    type SendRef = PacedSend<R>;

    fn send(self) -> Self::Send {
        self.send_ref()
    }

    fn send_ref(&self) -> Self::SendRef {
        let chat = match self.kind {
            Kind::Chat(chat_of) => Some(chat_of(self.request.payload_ref())),
            Kind::Overall | Kind::Unpaced => None,
        };
        let unpaced = matches!(self.kind, Kind::Unpaced);
        Box::pin(send(
            Arc::clone(&self.request),
            chat,
            unpaced,
            Arc::clone(&self.gate),
            self.policy,
        ))
    }
}

impl<R> IntoFuture for PacedRequest<R>
where
    R: Request<Err = RequestError> + Clone + Send + Sync + 'static,
    Output<R>: Send,
{
    type Output = Result<Output<R>, RequestError>;
    type IntoFuture = PacedSend<R>;

    fn into_future(self) -> Self::IntoFuture {
        self.send()
    }
}

/// Whole seconds from now until `until`, rounded up (what a `retry_after` would say).
fn secs_until(until: Instant) -> u32 {
    let left = until.saturating_duration_since(Instant::now());
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    u32::try_from(secs).unwrap_or(u32::MAX)
}

async fn send<R>(
    request: Arc<R>,
    chat: Option<ChatKey>,
    unpaced: bool,
    gate: Arc<FloodGate>,
    policy: WaitPolicy,
) -> Result<Output<R>, RequestError>
where
    R: Request<Err = RequestError> + Send + Sync,
{
    let mut resent = 0;
    loop {
        let pace = match (&chat, unpaced) {
            (_, true) => Pace::Unpaced,
            (Some(chat), false) => Pace::Chat(chat),
            (None, false) => Pace::Overall,
        };
        if let Err(until) = gate.pass(pace, policy.max_wait).await {
            tracing::warn!(
                wait_secs = secs_until(until),
                "Telegram flood control: not waiting that long; the request is not sent"
            );
            return Err(RequestError::RetryAfter(Seconds::from_seconds(secs_until(
                until,
            ))));
        }
        let result = request.send_ref().await;
        if let Err(RequestError::RetryAfter(after)) = &result {
            gate.freeze(after.duration());
            if resent < policy.resends {
                resent += 1;
                continue;
            }
        }
        return result;
    }
}

// The calls the bot makes, and how each meets the gate. A call missing here is not at hand
// for the bot's code (the plain bot is out of its reach, see clippy.toml): add it here, with
// its pace.

/// A message to the chat named in the payload (read when it is sent: a setter may change it).
macro_rules! chat_of {
    ($payload:ty) => {
        Kind::Chat(|p: &$payload| ChatKey::from(&p.chat_id))
    };
}

impl PacedBot {
    fn paced<R: HasPayload>(&self, request: R, kind: Kind<R::Payload>) -> PacedRequest<R> {
        PacedRequest::new(request, kind, self)
    }

    pub fn send_message<C, T>(&self, chat_id: C, text: T) -> PacedRequest<JsonRequest<SendMessage>>
    where
        C: Into<Recipient>,
        T: Into<String>,
    {
        let request = self.inner.send_message(chat_id, text);
        self.paced(request, chat_of!(SendMessage))
    }

    pub fn send_photo<C>(
        &self,
        chat_id: C,
        photo: InputFile,
    ) -> PacedRequest<MultipartRequest<SendPhoto>>
    where
        C: Into<Recipient>,
    {
        let request = self.inner.send_photo(chat_id, photo);
        self.paced(request, chat_of!(SendPhoto))
    }

    pub fn send_document<C>(
        &self,
        chat_id: C,
        document: InputFile,
    ) -> PacedRequest<MultipartRequest<SendDocument>>
    where
        C: Into<Recipient>,
    {
        let request = self.inner.send_document(chat_id, document);
        self.paced(request, chat_of!(SendDocument))
    }

    pub fn edit_message_text<C, T>(
        &self,
        chat_id: C,
        message_id: MessageId,
        text: T,
    ) -> PacedRequest<JsonRequest<EditMessageText>>
    where
        C: Into<Recipient>,
        T: Into<String>,
    {
        let request = self.inner.edit_message_text(chat_id, message_id, text);
        self.paced(request, chat_of!(EditMessageText))
    }

    pub fn edit_message_media<C>(
        &self,
        chat_id: C,
        message_id: MessageId,
        media: InputMedia,
    ) -> PacedRequest<MultipartRequest<EditMessageMedia>>
    where
        C: Into<Recipient>,
    {
        let request = self.inner.edit_message_media(chat_id, message_id, media);
        self.paced(request, chat_of!(EditMessageMedia))
    }

    /// An inline message has no chat the bot knows: paced overall only.
    pub fn edit_message_media_inline<I>(
        &self,
        inline_message_id: I,
        media: InputMedia,
    ) -> PacedRequest<MultipartRequest<EditMessageMediaInline>>
    where
        I: Into<String>,
    {
        let request = self
            .inner
            .edit_message_media_inline(inline_message_id, media);
        self.paced(request, Kind::Overall)
    }

    /// An inline message has no chat the bot knows: paced overall only.
    pub fn edit_message_caption_inline<I>(
        &self,
        inline_message_id: I,
    ) -> PacedRequest<JsonRequest<EditMessageCaptionInline>>
    where
        I: Into<String>,
    {
        let request = self.inner.edit_message_caption_inline(inline_message_id);
        self.paced(request, Kind::Overall)
    }

    /// Not a message: waits out a flood-control pause only.
    pub fn answer_callback_query(
        &self,
        callback_query_id: CallbackQueryId,
    ) -> PacedRequest<JsonRequest<AnswerCallbackQuery>> {
        let request = self.inner.answer_callback_query(callback_query_id);
        self.paced(request, Kind::Unpaced)
    }

    /// Not a message: waits out a flood-control pause only.
    pub fn answer_inline_query<R>(
        &self,
        inline_query_id: InlineQueryId,
        results: R,
    ) -> PacedRequest<JsonRequest<AnswerInlineQuery>>
    where
        R: IntoIterator<Item = InlineQueryResult>,
    {
        let request = self.inner.answer_inline_query(inline_query_id, results);
        self.paced(request, Kind::Unpaced)
    }

    /// Not a message: waits out a flood-control pause only.
    pub fn delete_message<C>(
        &self,
        chat_id: C,
        message_id: MessageId,
    ) -> PacedRequest<JsonRequest<DeleteMessage>>
    where
        C: Into<Recipient>,
    {
        let request = self.inner.delete_message(chat_id, message_id);
        self.paced(request, Kind::Unpaced)
    }

    /// Not a message: waits out a flood-control pause only.
    pub fn get_me(&self) -> PacedRequest<JsonRequest<GetMe>> {
        let request = self.inner.get_me();
        self.paced(request, Kind::Unpaced)
    }

    /// Not a message: waits out a flood-control pause only.
    pub fn set_my_commands<C>(&self, commands: C) -> PacedRequest<JsonRequest<SetMyCommands>>
    where
        C: IntoIterator<Item = BotCommand>,
    {
        let request = self.inner.set_my_commands(commands);
        self.paced(request, Kind::Unpaced)
    }
}

#[cfg(test)]
mod tests {
    use teloxide::payloads::{SendMessageSetters as _, SendPhotoSetters as _};
    use teloxide::types::{FileId, InputMediaPhoto};

    use super::*;
    use crate::emulator::telegram::TelegramEmulator;

    /// Waits for nothing: a request the gate holds back fails at once, unsent.
    const AT_ONCE: WaitPolicy = WaitPolicy {
        max_wait: Duration::ZERO,
        resends: 0,
    };

    async fn bot_at_once() -> (TelegramEmulator, PacedBot) {
        let telegram = TelegramEmulator::start(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        let plain = teloxide::Bot::new(telegram.bot_token()).set_api_url(telegram.api_url());
        let bot = PacedBot::new(plain, Arc::new(FloodGate::default()), AT_ONCE);
        (telegram, bot)
    }

    fn photo() -> InputMedia {
        InputMedia::Photo(InputMediaPhoto::new(InputFile::file_id(FileId(
            "photo".into(),
        ))))
    }

    fn refused<T: std::fmt::Debug>(result: Result<T, RequestError>) -> bool {
        matches!(result, Err(RequestError::RetryAfter(_)))
    }

    #[tokio::test]
    async fn every_call_waits_out_a_flood_control_pause() {
        let (telegram, bot) = bot_at_once().await;
        bot.gate().freeze(Duration::from_secs(60));
        let chat = ChatId(7);
        let id = MessageId(1);
        let results = [
            refused(bot.send_message(chat, "hi").await),
            refused(bot.send_photo(chat, InputFile::memory(vec![1])).await),
            refused(bot.send_document(chat, InputFile::memory(vec![1])).await),
            refused(bot.edit_message_text(chat, id, "hi").await),
            refused(bot.edit_message_media(chat, id, photo()).await),
            refused(bot.edit_message_media_inline("inline", photo()).await),
            refused(bot.edit_message_caption_inline("inline").await),
            refused(bot.answer_callback_query(CallbackQueryId("q".into())).await),
            refused(
                bot.answer_inline_query(InlineQueryId("q".into()), Vec::new())
                    .await,
            ),
            refused(bot.delete_message(chat, id).await),
            refused(bot.get_me().await),
            refused(bot.set_my_commands(Vec::new()).await),
        ];
        assert_eq!(results, [true; 12], "false: went past the pause");
        assert_eq!(telegram.call_count(), 0, "Telegram saw a request");
    }

    #[tokio::test]
    async fn messages_to_a_chat_are_paced_and_answers_are_not() {
        let (telegram, bot) = bot_at_once().await;
        let chat = ChatId(7);
        let key = ChatKey::from(&chat);
        // The chat just had its message: the next one must wait a second.
        bot.gate()
            .pass(Pace::Chat(&key), Duration::ZERO)
            .await
            .unwrap();
        assert!(refused(bot.send_message(chat, "hi").await));
        assert!(refused(
            bot.send_photo(chat, InputFile::memory(vec![1]))
                .caption("a setter")
                .await
        ));
        assert!(refused(
            bot.edit_message_text(chat, MessageId(1), "hi").await
        ));
        assert_eq!(telegram.call_count(), 0);
        // The chat a setter names is the one paced.
        let other = bot.send_message(ChatId(8), "hi").chat_id(chat).await;
        assert!(refused(other));
        // Deleting in it, answering a button or asking getMe goes at once.
        assert!(!refused(bot.delete_message(chat, MessageId(1)).await));
        assert!(!refused(
            bot.answer_callback_query(CallbackQueryId("q".into())).await
        ));
        assert!(bot.get_me().await.is_ok());
        assert_eq!(telegram.call_count(), 3);
    }
}
