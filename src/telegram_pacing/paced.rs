//! [`PacedBot`]: the bot's Telegram client. Every request goes through the process's
//! [`FloodGate`]: messages (sends, edits) are paced, everything waits out a flood-control
//! pause, and a `retry_after` answer to any request starts one for all.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use teloxide::RequestError;
use teloxide::requests::{HasPayload, Output, Request, Requester};
use teloxide::types::*;
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

    /// The plain bot underneath (its requests bypass the gate).
    pub fn inner(&self) -> &teloxide::Bot {
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

// The `Requester` implementation: every method of teloxide's, each in one of four lists.

macro_rules! paced_ty {
    ($T:ident) => {
        PacedRequest<<teloxide::Bot as Requester>::$T>
    };
}

macro_rules! plain_ty {
    ($T:ident) => {
        <teloxide::Bot as Requester>::$T
    };
}

/// A message to `payload.chat_id`.
macro_rules! to_chat {
    ($m:ident $this:ident ($($arg:ident : $T:ty),*)) => {
        PacedRequest::new(
            $this.inner.$m($($arg),*),
            Kind::Chat(|p| ChatKey::from(&p.chat_id)),
            $this,
        )
    };
}

/// A message without a chat id (inline message edits).
macro_rules! overall {
    ($m:ident $this:ident ($($arg:ident : $T:ty),*)) => {
        PacedRequest::new($this.inner.$m($($arg),*), Kind::Overall, $this)
    };
}

/// Not a message: only waits out a flood-control pause.
macro_rules! unpaced {
    ($m:ident $this:ident ($($arg:ident : $T:ty),*)) => {
        PacedRequest::new($this.inner.$m($($arg),*), Kind::Unpaced, $this)
    };
}

/// Straight to Telegram (start-up and polling).
macro_rules! plain {
    ($m:ident $this:ident ($($arg:ident : $T:ty),*)) => {
        $this.inner.$m($($arg),*)
    };
}

impl Requester for PacedBot {
    type Err = RequestError;

    requester_forward! {
        get_me,
        log_out,
        close,
        get_updates,
        set_webhook,
        delete_webhook,
        get_webhook_info
        => plain, plain_ty
    }

    requester_forward! {
        send_message,
        forward_message,
        forward_messages,
        copy_message,
        copy_messages,
        send_photo,
        send_audio,
        send_document,
        send_video,
        send_animation,
        send_voice,
        send_video_note,
        send_paid_media,
        send_media_group,
        send_location,
        send_venue,
        send_contact,
        send_poll,
        send_checklist,
        send_dice,
        send_sticker,
        send_invoice,
        send_game,
        edit_message_live_location,
        stop_message_live_location,
        edit_message_checklist,
        edit_message_text,
        edit_message_caption,
        edit_message_media,
        edit_message_reply_markup,
        stop_poll
        => to_chat, paced_ty
    }

    requester_forward! {
        edit_message_live_location_inline,
        stop_message_live_location_inline,
        edit_message_text_inline,
        edit_message_caption_inline,
        edit_message_media_inline,
        edit_message_reply_markup_inline
        => overall, paced_ty
    }

    requester_forward! {
        send_chat_action,
        set_message_reaction,
        get_user_profile_photos,
        set_user_emoji_status,
        get_file,
        kick_chat_member,
        ban_chat_member,
        unban_chat_member,
        restrict_chat_member,
        promote_chat_member,
        set_chat_administrator_custom_title,
        ban_chat_sender_chat,
        unban_chat_sender_chat,
        set_chat_permissions,
        export_chat_invite_link,
        create_chat_invite_link,
        edit_chat_invite_link,
        create_chat_subscription_invite_link,
        edit_chat_subscription_invite_link,
        revoke_chat_invite_link,
        set_chat_photo,
        delete_chat_photo,
        set_chat_title,
        set_chat_description,
        pin_chat_message,
        unpin_chat_message,
        unpin_all_chat_messages,
        leave_chat,
        get_chat,
        get_chat_administrators,
        get_chat_members_count,
        get_chat_member_count,
        get_chat_member,
        set_chat_sticker_set,
        delete_chat_sticker_set,
        get_forum_topic_icon_stickers,
        create_forum_topic,
        edit_forum_topic,
        close_forum_topic,
        reopen_forum_topic,
        delete_forum_topic,
        unpin_all_forum_topic_messages,
        edit_general_forum_topic,
        close_general_forum_topic,
        reopen_general_forum_topic,
        hide_general_forum_topic,
        unhide_general_forum_topic,
        unpin_all_general_forum_topic_messages,
        answer_callback_query,
        get_user_chat_boosts,
        set_my_commands,
        get_business_connection,
        get_my_commands,
        set_my_name,
        get_my_name,
        set_my_description,
        get_my_description,
        set_my_short_description,
        get_my_short_description,
        set_chat_menu_button,
        get_chat_menu_button,
        set_my_default_administrator_rights,
        get_my_default_administrator_rights,
        delete_my_commands,
        answer_inline_query,
        answer_web_app_query,
        save_prepared_inline_message,
        delete_message,
        delete_messages,
        get_sticker_set,
        get_custom_emoji_stickers,
        upload_sticker_file,
        create_new_sticker_set,
        add_sticker_to_set,
        set_sticker_position_in_set,
        delete_sticker_from_set,
        replace_sticker_in_set,
        set_sticker_set_thumbnail,
        set_custom_emoji_sticker_set_thumbnail,
        set_sticker_set_title,
        delete_sticker_set,
        set_sticker_emoji_list,
        set_sticker_keywords,
        set_sticker_mask_position,
        get_available_gifts,
        send_gift,
        send_gift_chat,
        gift_premium_subscription,
        verify_user,
        verify_chat,
        remove_user_verification,
        remove_chat_verification,
        read_business_message,
        delete_business_messages,
        set_business_account_name,
        set_business_account_username,
        set_business_account_bio,
        set_business_account_profile_photo,
        remove_business_account_profile_photo,
        set_business_account_gift_settings,
        get_business_account_star_balance,
        transfer_business_account_stars,
        get_business_account_gifts,
        convert_gift_to_stars,
        upgrade_gift,
        transfer_gift,
        post_story,
        edit_story,
        delete_story,
        create_invoice_link,
        answer_shipping_query,
        answer_pre_checkout_query,
        get_my_star_balance,
        get_star_transactions,
        refund_star_payment,
        edit_user_star_subscription,
        set_passport_data_errors,
        set_game_score,
        set_game_score_inline,
        get_game_high_scores,
        approve_chat_join_request,
        decline_chat_join_request
        => unpaced, paced_ty
    }
}
