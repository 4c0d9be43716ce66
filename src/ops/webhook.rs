//! Webhook mode: Telegram POSTs each update to `TELEGRAM_WEBHOOK_URL` (through the
//! operator's reverse proxy or load balancer) and this listener feeds it to the same
//! dispatcher that long polling feeds.
//!
//! Every request must carry `X-Telegram-Bot-Api-Secret-Token` equal to
//! `TELEGRAM_WEBHOOK_SECRET` (compared in constant time): otherwise `401` and nothing else
//! happens — the body is not even read. An accepted update is answered `200` as soon as it
//! is queued for the dispatcher; a listener that is stopping answers `503`, so Telegram
//! delivers the update again later (to this replica or another one behind the balancer).
//!
//! Telegram delivers an update again when it did not see the answer to a delivery (a
//! timeout, a dropped connection); behind a load balancer that delivery may reach another
//! replica. So each update is claimed by its `update_id` in the shared database
//! (`Store::claim_update`) before it is queued, and one claimed already (by this replica or
//! another) is answered 200 and left: it is handled once. This step sits here, before the
//! dispatcher and anything in front of it.
//!
//! teloxide's own `webhooks-axum` listener is not used: it compares the secret with `==`
//! and registers no `allowed_updates` (inline queries and chosen results would then depend
//! on whatever the webhook was set with before).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::post;
use futures_util::Stream;
use subtle::ConstantTimeEq;
use teloxide::prelude::Requester;
use teloxide::stop::{StopFlag, StopToken, mk_stop_token};
use teloxide::types::{AllowedUpdate, Update};
use teloxide::update_listeners::{AsUpdateStream, UpdateListener};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::{WebhookConfig, WebhookSecret};
use crate::store::Store;

/// The header Telegram sends the secret in.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// Largest update body read (Telegram's updates are a few KB).
const MAX_UPDATE_BYTES: usize = 1024 * 1024;
/// Updates accepted but not yet taken by the dispatcher; when full, requests wait (and
/// Telegram, which opens at most `max_connections` at once, slows down).
const QUEUE: usize = 256;
/// How long a claimed update id is kept: Telegram keeps an update for 24 hours at most, so
/// it cannot deliver one again later; an hour more for clocks and slow retries.
pub const SEEN_UPDATE_KEEP_SECS: i64 = 25 * 3600;
/// How often the claimed update ids older than [`SEEN_UPDATE_KEEP_SECS`] are pruned.
const PRUNE_EVERY_SECS: i64 = 600;

type Updates = Pin<Box<dyn Stream<Item = Result<Update, Infallible>> + Send>>;

/// The update listener handed to the dispatcher: the updates the HTTP side accepted.
pub struct WebhookListener {
    updates: Updates,
    stop: StopToken,
    /// The kinds `setWebhook` registered.
    registered: Vec<AllowedUpdate>,
}

impl<'a> AsUpdateStream<'a> for WebhookListener {
    type StreamErr = Infallible;
    type Stream = &'a mut Updates;

    fn as_stream(&'a mut self) -> Self::Stream {
        &mut self.updates
    }
}

/// How many kinds of update teloxide 0.17's "every kind" hint names (its `Kind::full_set`).
const TELOXIDE_FULL_SET: usize = 19;

/// Kinds the dispatcher's hint names that `setWebhook` did not register.
#[derive(Debug, PartialEq)]
enum Unregistered {
    None,
    /// The hint is "every kind": a tree whose first step is a user-defined filter (ours:
    /// `caller::resolve`) hides what its handlers take, so this names no handler.
    Unknowable(Vec<AllowedUpdate>),
    /// Handlers take these, and Telegram will never send them.
    Missing(Vec<AllowedUpdate>),
}

fn unregistered(hinted: &[AllowedUpdate], registered: &[AllowedUpdate]) -> Unregistered {
    let missing: Vec<AllowedUpdate> = hinted
        .iter()
        .filter(|kind| !registered.contains(kind))
        .copied()
        .collect();
    if missing.is_empty() {
        Unregistered::None
    } else if hinted.len() >= TELOXIDE_FULL_SET {
        Unregistered::Unknowable(missing)
    } else {
        Unregistered::Missing(missing)
    }
}

impl UpdateListener for WebhookListener {
    type Err = Infallible;

    fn stop_token(&mut self) -> StopToken {
        self.stop.clone()
    }

    /// The dispatcher says which kinds of update its handlers take: each must be among
    /// those `setWebhook` registered, or Telegram never sends it.
    fn hint_allowed_updates(&mut self, hint: &mut dyn Iterator<Item = AllowedUpdate>) {
        let hinted: Vec<AllowedUpdate> = hint.collect();
        match unregistered(&hinted, &self.registered) {
            Unregistered::None => {}
            Unregistered::Unknowable(missing) => tracing::debug!(
                ?missing,
                "the handler tree does not say which updates it takes; the webhook takes ALLOWED_UPDATES only"
            ),
            Unregistered::Missing(missing) => tracing::error!(
                ?missing,
                "the handlers take updates the webhook was not registered for; Telegram will not send them"
            ),
        }
    }
}

/// A bound webhook address, not yet registered with Telegram.
pub struct WebhookServer {
    config: WebhookConfig,
    listener: TcpListener,
    addr: SocketAddr,
    store: Store,
}

#[derive(Clone)]
struct HookState {
    secret: WebhookSecret,
    queue: mpsc::Sender<Update>,
    stopped: StopFlag,
    /// Where updates are claimed by id (shared by every replica).
    store: Store,
    /// When (the database's clock) the claimed ids are next pruned.
    next_prune: Arc<AtomicI64>,
}

/// The running HTTP side of a [`WebhookListener`].
pub struct WebhookTask(JoinHandle<()>);

/// How long a stopping webhook server waits for its connections to close (Telegram keeps
/// them open between updates) before dropping them.
const CLOSE_WAIT: Duration = Duration::from_secs(2);

impl WebhookTask {
    /// Waits until the server has stopped (it stops with the listener's stop token), at
    /// most [`CLOSE_WAIT`]: a connection still open then is dropped. Nothing is lost by
    /// it: the dispatcher has taken every update answered 200, and a request cut off is
    /// sent again by Telegram.
    pub async fn finish(mut self) {
        match tokio::time::timeout(CLOSE_WAIT, &mut self.0).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "the webhook server ended badly"),
            Err(_) => {
                tracing::debug!("webhook connections still open at shutdown; dropped");
                self.0.abort();
            }
        }
    }
}

impl WebhookServer {
    /// Binds `config.listen` (port 0 picks a free port: see [`WebhookServer::addr`]);
    /// updates will be claimed by id in `store` (shared by the replicas).
    pub async fn bind(config: &WebhookConfig, store: Store) -> io::Result<Self> {
        let listener = TcpListener::bind(config.listen).await?;
        let addr = listener.local_addr()?;
        Ok(Self {
            config: config.clone(),
            listener,
            addr,
            store,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Registers the webhook with Telegram (`setWebhook` with the URL, the secret and
    /// `allowed`), then serves it. Pending updates are kept (not dropped): a charge's button
    /// press queued during a restart is still delivered.
    pub async fn start<R>(
        self,
        bot: &R,
        allowed: &[AllowedUpdate],
    ) -> Result<(WebhookListener, WebhookTask), R::Err>
    where
        R: Requester,
    {
        use teloxide::payloads::SetWebhookSetters as _;
        bot.set_webhook(self.config.url.clone())
            .secret_token(self.config.secret.expose().to_owned())
            .allowed_updates(allowed.to_vec())
            .await?;
        let path = match self.config.url.path() {
            "" => "/".to_owned(),
            p => p.to_owned(),
        };
        tracing::info!(url = %redacted_url(&self.config.url), listen = %self.addr, "webhook registered; accepting updates");
        let (stop, stopped) = mk_stop_token();
        let (queue, received) = mpsc::channel(QUEUE);
        let app = Router::new()
            .route(&path, post(receive))
            .with_state(HookState {
                secret: self.config.secret.clone(),
                queue,
                stopped: stopped.clone(),
                store: self.store,
                next_prune: Arc::new(AtomicI64::new(i64::MIN)),
            });
        let shutdown = stopped.clone();
        let listener = self.listener;
        let task = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "TELEGRAM_WEBHOOK_LISTEN: the webhook server stopped");
            }
        });
        // After the stop, the updates already answered 200 are still handed over (Telegram
        // will not send them again), then the stream ends.
        let stream = futures_util::stream::unfold(
            (received, stopped, false),
            |(mut received, stopped, mut closing)| async move {
                if !closing {
                    tokio::select! {
                        biased;
                        update = received.recv() => {
                            return update.map(|u| (Ok(u), (received, stopped, false)));
                        }
                        () = stopped.clone() => {
                            received.close();
                            closing = true;
                        }
                    }
                }
                let update = received.recv().await;
                update.map(|u| (Ok(u), (received, stopped, closing)))
            },
        );
        let listener = WebhookListener {
            updates: Box::pin(stream),
            stop,
            registered: allowed.to_vec(),
        };
        Ok((listener, WebhookTask(task)))
    }
}

/// The URL without its query (a secret might be put there by mistake).
fn redacted_url(url: &reqwest::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.to_string()
}

/// Whether `given` is the secret, in time that does not depend on where they differ.
fn secret_matches(secret: &WebhookSecret, given: Option<&[u8]>) -> bool {
    given.is_some_and(|given| bool::from(secret.expose().as_bytes().ct_eq(given)))
}

async fn receive(State(state): State<HookState>, request: Request) -> StatusCode {
    let given = request
        .headers()
        .get(SECRET_HEADER)
        .map(axum::http::HeaderValue::as_bytes);
    if !secret_matches(&state.secret, given) {
        tracing::warn!("webhook request without the right secret token refused (401)");
        return StatusCode::UNAUTHORIZED;
    }
    if state.stopped.is_stopped() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    let body = match axum::body::to_bytes(request.into_body(), MAX_UPDATE_BYTES).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "webhook: cannot read the update");
            return StatusCode::BAD_REQUEST;
        }
    };
    let update: Update = match serde_json::from_slice(&body) {
        Ok(u) => u,
        Err(e) => {
            // Answered 200 all the same: Telegram would otherwise send it again and again,
            // holding up every update behind it. Long polling skips such an update too.
            tracing::error!(error = %e, bytes = body.len(), "webhook: an update teloxide cannot read was skipped");
            return StatusCode::OK;
        }
    };
    let id = update.id.0;
    match claim(&state, i64::from(id)).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::debug!(
                update_id = id,
                "webhook: update delivered again; already taken"
            );
            return StatusCode::OK;
        }
        Err(status) => return status,
    }
    match state.queue.send(update).await {
        Ok(()) => StatusCode::OK,
        Err(_) => {
            tracing::warn!(
                update_id = id,
                "webhook: the dispatcher has stopped; update left to Telegram to deliver again"
            );
            // Given back, so that the next delivery (here or at another replica) takes it.
            if let Err(e) = state.store.forget_update(i64::from(id)).await {
                tracing::error!(update_id = id, error = %e, "webhook: could not give the update back; its next delivery will be skipped");
            }
            StatusCode::SERVICE_UNAVAILABLE
        }
    }
}

/// Claims update `id` for this replica (`Ok(false)`: a replica took it already). Without
/// the database it cannot tell: 503, and Telegram delivers the update again later. Every
/// [`PRUNE_EVERY_SECS`] one request also prunes the ids older than
/// [`SEEN_UPDATE_KEEP_SECS`].
async fn claim(state: &HookState, id: i64) -> Result<bool, StatusCode> {
    let unavailable = |e: crate::store::StoreError| {
        tracing::error!(update_id = id, error = %e, "webhook: cannot claim the update in the database; Telegram will deliver it again");
        StatusCode::SERVICE_UNAVAILABLE
    };
    let now = state.store.now().await.map_err(unavailable)?;
    let claimed = state
        .store
        .claim_update(id, now)
        .await
        .map_err(unavailable)?;
    let due = state.next_prune.load(Ordering::Relaxed);
    if now >= due
        && state
            .next_prune
            .compare_exchange(
                due,
                now + PRUNE_EVERY_SECS,
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
    {
        match state
            .store
            .prune_seen_updates(now - SEEN_UPDATE_KEEP_SECS)
            .await
        {
            Ok(n) => tracing::debug!(pruned = n, "webhook: old update ids pruned"),
            Err(e) => {
                tracing::warn!(error = %e, "webhook: could not prune old update ids; will retry")
            }
        }
    }
    Ok(claimed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_exact_secret_matches() {
        let secret = WebhookSecret::parse("s3cret-Token_1234").unwrap();
        assert!(secret_matches(&secret, Some(b"s3cret-Token_1234")));
        assert!(!secret_matches(&secret, Some(b"s3cret-Token_1235")));
        assert!(!secret_matches(&secret, Some(b"s3cret-Token_123")));
        assert!(!secret_matches(&secret, Some(b"s3cret-Token_12345")));
        assert!(!secret_matches(&secret, Some(b"")));
        assert!(!secret_matches(&secret, None));
    }

    #[test]
    fn only_a_hint_naming_some_kinds_can_say_a_handler_misses_its_updates() {
        use AllowedUpdate::*;
        let registered = [Message, CallbackQuery, InlineQuery, ChosenInlineResult];
        assert_eq!(
            unregistered(&[Message, CallbackQuery], &registered),
            Unregistered::None
        );
        assert_eq!(
            unregistered(&[Message, EditedMessage], &registered),
            Unregistered::Missing(vec![EditedMessage])
        );
        // teloxide's "every kind" (what our tree hints: its first step is user-defined).
        let every = [
            Message,
            EditedMessage,
            ChannelPost,
            EditedChannelPost,
            MessageReaction,
            MessageReactionCount,
            InlineQuery,
            ChosenInlineResult,
            CallbackQuery,
            ShippingQuery,
            PreCheckoutQuery,
            PurchasedPaidMedia,
            Poll,
            PollAnswer,
            MyChatMember,
            ChatMember,
            ChatJoinRequest,
            ChatBoost,
            RemovedChatBoost,
        ];
        assert_eq!(every.len(), TELOXIDE_FULL_SET);
        assert!(matches!(
            unregistered(&every, &registered),
            Unregistered::Unknowable(missing) if missing.len() == every.len() - registered.len()
        ));
    }
}
