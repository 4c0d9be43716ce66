//! The Telegram bot: merchant setup (/setup wizard) and /charge, on teloxide 0.17.
//!
//! [`schema`] (in `router.rs`) is the dptree handler tree; its first step resolves the
//! [`caller`](caller::Caller) once per update. [`Bot`] wires a [`Ctx`] (store, Bakong client,
//! token box, settings) into a long-polling dispatcher. Everything the user reads comes from
//! the Fluent files through [`crate::t!`].

pub mod app;
pub mod bill_ref;
mod callbacks;
mod caller;
mod charge;
pub mod charge_args;
mod charge_label;
mod close;
mod close_summary;
mod commands;
pub mod currency_word;
pub mod dialogue;
mod difference;
mod email;
mod export;
pub mod followups;
mod format;
mod history_chart;
mod inline;
mod inline_draft;
mod links;
mod links_again;
pub mod links_args;
mod links_buy;
mod links_poster;
#[cfg(test)]
mod money_props;
mod money_words;
pub mod note;
mod presses;
mod private;
mod renewal_notices;
mod reports;
mod router;
mod setup;
pub mod shedding;
mod simple_commands;
mod stopper;
mod stored_token;
mod stranger_text;
mod turn;
pub mod watching;

use std::sync::Arc;
use std::time::Duration;

use teloxide::dispatching::Dispatcher;
use teloxide::dispatching::dialogue::Storage;
use teloxide::error_handlers::LoggingErrorHandler;
use teloxide::prelude::*;
use teloxide::types::{AllowedUpdate, BotCommand, ChatId};
use teloxide::update_listeners::{UpdateListener, polling_default};
use teloxide::utils::command::BotCommands;

use crate::bakong;
use crate::config::FloodLimits;
use crate::crypto::SecretBox;
use crate::i18n::Lang;
use crate::metrics::Metrics;
use crate::ops::{OpsServer, WebhookServer};
use crate::store::Store;
use crate::telegram_pacing::PacedBot;

use shedding::SheddingListener;

pub use app::{App, StartError};
pub use callbacks::CallbackAction;
pub use charge::explain as explain_charge_error;
pub use commands::Command;
pub use dialogue::{DbStorage, State};
pub use format::{phnom_penh_date, phnom_penh_time};
pub use links::link_url;
pub use router::schema;
pub use shedding::Shedding;
pub use stopper::Stopper;

/// The requester every handler gets: every request waits at the process's flood gate
/// (paced messages, Telegram's `retry_after` honoured for all; see [`crate::telegram_pacing`]).
pub type TgBot = PacedBot;

/// The kinds of update the handlers take ([`schema`]): what webhook mode registers with
/// `setWebhook` (long polling asks for what the dispatcher derives from the handler tree;
/// the webhook listener logs an error if the two ever differ).
pub const ALLOWED_UPDATES: [AllowedUpdate; 4] = [
    AllowedUpdate::Message,
    AllowedUpdate::CallbackQuery,
    AllowedUpdate::InlineQuery,
    AllowedUpdate::ChosenInlineResult,
];

/// Why [`Bot::run`] stopped with an error, naming the settings to look at.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// `getMe` failed at start, or polling could not start.
    #[error("TELOXIDE_TOKEN / TELOXIDE_API_URL: cannot reach Telegram with this bot token: {0}")]
    Telegram(teloxide::RequestError),
    /// Telegram refused `setWebhook` (e.g. a URL it cannot reach) or could not be asked.
    #[error("TELEGRAM_WEBHOOK_URL: Telegram did not accept the webhook: {0}")]
    Webhook(teloxide::RequestError),
}

/// Errors a handler returns to the dispatcher (logged; the user gets a polite apology).
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;
pub type HandlerResult = Result<(), HandlerError>;

/// Shared state for all handlers.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub store: Store,
    pub bakong: bakong::Client,
    /// Seals Bakong tokens at rest.
    pub secrets: SecretBox,
    /// Lifetime of a dynamic KHQR (tag 99 expiry), at most 10 minutes.
    pub charge_ttl: Duration,
    /// The payment watcher ("Check now"); `None` when it is not running.
    pub watcher: Option<watching::WatcherRef>,
    /// The process's one clock (the watcher's too).
    pub clock: crate::time::SharedClock,
}

/// The command menu in `lang`, from the Fluent files.
pub fn command_menu(lang: Lang) -> Vec<BotCommand> {
    Command::bot_commands()
        .into_iter()
        .map(|c| {
            let name = c.command.trim_start_matches('/').to_owned();
            let description = commands::describe(&name, lang);
            BotCommand::new(name, description)
        })
        .collect()
}

/// Registers the command menu: English by default, Khmer for Khmer clients.
pub async fn register_commands(bot: &TgBot) -> Result<(), teloxide::RequestError> {
    bot.set_my_commands(command_menu(Lang::En)).await?;
    bot.set_my_commands(command_menu(Lang::Km))
        .language_code("km")
        .await?;
    Ok(())
}

/// Waits until this process holds the Telegram poller lock (`Store::try_hold_poller_lock`),
/// trying again every [`POLLER_LOCK_RETRY`]. On SQLite it holds at once. [`Bot::poll`] gives
/// up waiting when it is stopped.
async fn hold_poller_lock(store: &Store) -> crate::store::PollerLock {
    let mut told = false;
    loop {
        match store.try_hold_poller_lock().await {
            Ok(Some(lock)) => {
                if told {
                    tracing::info!("holding the Telegram poller lock: polling Telegram");
                }
                return lock;
            }
            Ok(None) if !told => {
                told = true;
                tracing::info!("another replica polls Telegram; watching payments meanwhile");
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "could not try the Telegram poller lock"),
        }
        tokio::time::sleep(POLLER_LOCK_RETRY).await;
    }
}

/// How often a replica without the poller lock tries again.
const POLLER_LOCK_RETRY: Duration = Duration::from_secs(5);

/// Reads `getMe` and says in the log how to switch inline mode on when it is off (the
/// live card in a customer's chat needs it, and inline feedback: see docs/bot.md).
async fn log_inline_mode(bot: &TgBot) {
    match bot.get_me().await {
        Ok(me) if me.supports_inline_queries => {
            tracing::info!(
                bot = %me.username(),
                "inline mode is on; make sure inline feedback is on too (BotFather: /setinlinefeedback → Enabled), or chosen cards are never kept"
            );
        }
        Ok(me) => tracing::warn!(
            bot = %me.username(),
            "inline mode is off: customers' chats cannot get live KHQR cards. In Telegram, open @BotFather, send /setinline, pick this bot and send a placeholder (e.g. \"5 USD coffee\"), then /setinlinefeedback → this bot → Enabled"
        ),
        Err(e) => tracing::warn!(error = %e, "getMe failed; cannot tell whether inline mode is on"),
    }
}

/// A configured bot, ready to poll.
pub struct Bot {
    /// Distributes updates by [`shedding::chat_lane`], the function admission counts by. It
    /// polls with the plain bot; handlers get the paced one from its dependencies.
    #[allow(clippy::disallowed_types)] // polling (`getUpdates`) is not a message
    dispatcher: Dispatcher<teloxide::Bot, HandlerError, ChatId>,
    bot: TgBot,
    ctx: Arc<Ctx>,
    /// Every update passes it before the dispatcher (see [`shedding`]).
    shedding: Arc<Shedding>,
    /// Stopped when polling stops.
    watcher: Option<watching::WatcherTasks>,
    /// `/healthz` and `/metrics` (`METRICS_LISTEN`), stopped when polling stops.
    ops: Option<OpsServer>,
    /// Webhook mode: updates come from this listener instead of long polling.
    webhook: Option<WebhookServer>,
    /// Stops [`Bot::run`] (see [`Bot::stopper`]).
    stopper: Stopper,
}

impl Bot {
    /// `bot` carries the process's flood gate (shared with the watcher's outbox); handlers
    /// use it with [`WaitPolicy::HANDLERS`](crate::telegram_pacing::WaitPolicy::HANDLERS).
    /// `flood` are the budgets every update passes before a handler (`FLOOD_*`); what they
    /// drop is counted in `metrics`.
    pub fn new(bot: PacedBot, ctx: Ctx, flood: FloodLimits, metrics: Arc<Metrics>) -> Self {
        let bot = bot.with_policy(crate::telegram_pacing::WaitPolicy::HANDLERS);
        let storage = DbStorage::new(ctx.store.clone(), ctx.clock.clone()).erase();
        let shedding = Arc::new(Shedding::new(flood, ctx.clock.clone(), metrics));
        let ctx = Arc::new(ctx);
        let debounce = Arc::new(inline::Debounce::default());
        // The plain bot polls; every handler asks for `TgBot`, the paced bot below.
        #[allow(clippy::disallowed_methods)]
        let dispatcher = Dispatcher::builder(bot.unpaced().clone(), schema())
            .dependencies(dptree::deps![
                bot.clone(),
                ctx.clone(),
                storage,
                debounce,
                Arc::clone(&shedding)
            ])
            .distribution_function(shedding::chat_lane)
            .worker_queue_size(shedding::WORKER_QUEUE)
            .default_handler(|update| async move {
                tracing::debug!(update_id = update.id.0, "update ignored");
            })
            .error_handler(LoggingErrorHandler::with_custom_text("handler failed"))
            .build();
        Self {
            dispatcher,
            bot,
            ctx,
            shedding,
            watcher: None,
            ops: None,
            webhook: None,
            stopper: Stopper::new(),
        }
    }

    /// What stops [`Bot::run`]: no new update is taken, those in hand are handled, then the
    /// watcher and the ops server stop.
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Registers the command menus, then long-polls (or, in webhook mode, registers the
    /// webhook and serves it) until stopped (see [`Bot::stopper`]). Fails if Telegram cannot
    /// be reached at start (`getMe`) or refuses the webhook.
    pub async fn run(mut self) -> Result<(), RunError> {
        let result = self.poll().await;
        if let Some(watcher) = self.watcher.take() {
            watcher.stop().await;
        }
        if let Some(ops) = self.ops.take() {
            ops.stop().await;
        }
        result
    }

    async fn poll(&mut self) -> Result<(), RunError> {
        // The menu is a convenience: a failure here must not keep the bot from serving.
        if let Err(e) = register_commands(&self.bot).await {
            tracing::warn!(error = %e, "could not register the command menu");
        }
        log_inline_mode(&self.bot).await;
        let (stop_sweep, stopped) = tokio::sync::watch::channel(false);
        let sweep = tokio::spawn(inline_draft::sweep_loop(
            self.bot.clone(),
            self.ctx.store.clone(),
            self.ctx.clock.clone(),
            stopped,
        ));
        let result = match self.webhook.take() {
            None => {
                // One long-poller per bot token among the replicas (issue 16): wait for the
                // poller lock; the watcher and the outbox run meanwhile.
                let lock = tokio::select! {
                    lock = hold_poller_lock(&self.ctx.store) => Some(lock),
                    () = self.stopper.stopped() => None,
                };
                match lock {
                    Some(lock) => {
                        // Deletes a webhook left from webhook mode first (getUpdates is
                        // refused while one is set).
                        #[allow(clippy::disallowed_methods)] // getUpdates is not a message
                        let polling = polling_default(self.bot.unpaced().clone()).await;
                        let mut listener =
                            SheddingListener::new(polling, Arc::clone(&self.shedding), &self.bot);
                        let stop = UpdateListener::stop_token(&mut listener);
                        let stopped = self.stopper.stopped();
                        // Holds the lock while polling; if it is lost, polling stops (two
                        // pollers would make Telegram answer 409 to both).
                        let keeper = tokio::spawn(async move {
                            tokio::select! {
                                () = stopped => {}
                                () = lock.lost() => tracing::error!(
                                    "lost the Telegram poller lock: stopping polling"
                                ),
                            }
                            stop.stop();
                            // `lock` stays held while the dispatcher finishes (its last
                            // getUpdates confirms the offset): this task is aborted once
                            // polling has ended, which drops it.
                            std::future::pending::<()>().await;
                        });
                        let on_error =
                            LoggingErrorHandler::with_custom_text("polling Telegram failed");
                        let result = self
                            .dispatcher
                            .try_dispatch_with_listener(listener, on_error)
                            .await
                            .map_err(RunError::Telegram);
                        keeper.abort();
                        result
                    }
                    None => {
                        tracing::info!("stopped before polling started");
                        Ok(())
                    }
                }
            }
            #[allow(clippy::disallowed_methods)] // setWebhook is not a message
            Some(webhook) => match webhook.start(self.bot.unpaced(), &ALLOWED_UPDATES).await {
                Ok((listener, server)) => {
                    let mut listener =
                        SheddingListener::new(listener, Arc::clone(&self.shedding), &self.bot);
                    let stop = UpdateListener::stop_token(&mut listener);
                    let on_stop = stop.clone();
                    let stopped = self.stopper.stopped();
                    let stopping = tokio::spawn(async move {
                        stopped.await;
                        on_stop.stop();
                    });
                    let on_error = LoggingErrorHandler::with_custom_text("webhook listener failed");
                    let result = self
                        .dispatcher
                        .try_dispatch_with_listener(listener, on_error)
                        .await
                        .map_err(RunError::Telegram);
                    stopping.abort();
                    // Also stops the server if the dispatcher never started.
                    stop.stop();
                    server.finish().await;
                    result
                }
                Err(e) => Err(RunError::Webhook(e)),
            },
        };
        let _ = stop_sweep.send(true);
        if let Err(e) = sweep.await {
            tracing::warn!(error = %e, "inline draft sweep ended badly");
        }
        result
    }

    /// Hands the running payment watcher to the bot, which stops it when polling stops.
    pub fn with_watcher(mut self, watcher: watching::WatcherTasks) -> Self {
        self.watcher = Some(watcher);
        self
    }

    /// Hands the running `/healthz` + `/metrics` server to the bot, which stops it when
    /// polling stops.
    pub fn with_ops(mut self, ops: Option<OpsServer>) -> Self {
        self.ops = ops;
        self
    }

    /// Webhook mode: [`Bot::run`] registers and serves this listener instead of polling.
    pub fn with_webhook(mut self, webhook: Option<WebhookServer>) -> Self {
        self.webhook = webhook;
        self
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex, PoisonError};

    use super::*;
    use crate::emulator::telegram::TelegramEmulator;
    use crate::telegram_pacing::{FloodGate, WaitPolicy};

    /// Everything the subscriber writes, for reading back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What `log_inline_mode` logs with inline mode `on` in BotFather.
    #[allow(clippy::disallowed_types)] // the bot under the gate, as `App` builds it
    async fn start_log(on: bool) -> String {
        let telegram = TelegramEmulator::start(([127, 0, 0, 1], 0).into())
            .await
            .unwrap();
        telegram.set_inline_mode(on);
        let plain = teloxide::Bot::new(telegram.bot_token()).set_api_url(telegram.api_url());
        let bot = PacedBot::new(plain, Arc::new(FloodGate::default()), WaitPolicy::HANDLERS);
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        log_inline_mode(&bot).await;
        let bytes = captured.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[tokio::test]
    async fn with_inline_mode_off_the_log_gives_the_botfather_steps() {
        let off = start_log(false).await;
        assert!(off.contains("WARN"), "{off}");
        for step in ["inline mode is off", "/setinline", "/setinlinefeedback"] {
            assert!(off.contains(step), "lacks {step}: {off}");
        }
        let on = start_log(true).await;
        assert!(on.contains("inline mode is on"), "{on}");
        assert!(!on.contains("inline mode is off"), "{on}");
    }
}
