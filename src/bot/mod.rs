//! The Telegram bot: merchant setup (/setup wizard) and /charge, on teloxide 0.17.
//!
//! [`schema`] (in `router.rs`) is the dptree handler tree; its first step resolves the
//! [`caller`](caller::Caller) once per update. [`Bot`] wires a [`Ctx`] (store, Bakong client,
//! token box, settings) into the dispatcher; `crate::app` feeds it updates and stops it.
//! Everything the user reads comes from the Fluent files through [`crate::t!`].

mod callbacks;
mod caller;
pub mod charge;
mod commands;
pub mod dialogue;
pub mod followups;
mod format;
mod inline;
pub mod links;
#[cfg(test)]
mod money_props;
mod private;
pub mod reports;
mod router;
mod setup;
pub mod shedding;
mod simple_commands;
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
use teloxide::update_listeners::UpdateListener;
use teloxide::utils::command::BotCommands;
use tokio_util::sync::CancellationToken;

use crate::bakong;
use crate::config::FloodLimits;
use crate::crypto::SecretBox;
use crate::i18n::Lang;
use crate::metrics::Metrics;
use crate::store::Store;
use crate::telegram_pacing::PacedBot;

use shedding::SheddingListener;

pub use callbacks::CallbackAction;
pub use charge::explain as explain_charge_error;
pub use commands::Command;
pub use dialogue::{DbStorage, State};
pub use format::{phnom_penh_date, phnom_penh_time};
pub use links::link_url;
pub use router::schema;
pub use shedding::Shedding;

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

/// The handlers and the dispatcher that feeds them; `crate::app` decides where the
/// updates come from (long polling or the webhook) and when to stop taking them.
pub struct Bot {
    /// Distributes updates by [`shedding::chat_lane`], the function admission counts by. It
    /// polls with the plain bot; handlers get the paced one from its dependencies.
    #[allow(clippy::disallowed_types)] // polling (`getUpdates`) is not a message
    dispatcher: Dispatcher<teloxide::Bot, HandlerError, ChatId>,
    bot: TgBot,
    ctx: Arc<Ctx>,
    /// Every update passes it before the dispatcher (see [`shedding`]).
    shedding: Arc<Shedding>,
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
        }
    }

    /// The paced bot the handlers send with (its `unpaced()` polls and registers the webhook).
    pub fn telegram(&self) -> &TgBot {
        &self.bot
    }

    /// Registers the command menus and says in the log whether inline mode is on. Neither
    /// is needed to serve: a failure is logged, not returned.
    pub async fn announce(&self) {
        if let Err(e) = register_commands(&self.bot).await {
            tracing::warn!(error = %e, "could not register the command menu");
        }
        log_inline_mode(&self.bot).await;
    }

    /// Discards inline drafts nobody chose, every few seconds until `stop` is cancelled.
    pub fn sweep_inline_drafts(
        &self,
        stop: CancellationToken,
    ) -> impl Future<Output = ()> + Send + use<> {
        inline::draft::sweep_loop(
            self.bot.clone(),
            self.ctx.store.clone(),
            self.ctx.clock.clone(),
            stop,
        )
    }

    /// Hands the updates of `listener` to the handlers, through [`shedding`], until `stop`
    /// is cancelled or the listener ends. A stop stops the listener itself: no new update
    /// is taken, those in hand are handled, then this returns (a stop cancelled before the
    /// call is seen at once). Fails if Telegram cannot be reached at start (`getMe`).
    /// `what` names the listener in the log of its errors.
    pub async fn dispatch<L>(
        &mut self,
        listener: L,
        stop: CancellationToken,
        what: &'static str,
    ) -> Result<(), teloxide::RequestError>
    where
        L: UpdateListener + Send,
        L::Err: std::fmt::Debug + Send + 'static,
    {
        let mut listener = SheddingListener::new(listener, Arc::clone(&self.shedding), &self.bot);
        // Not teloxide's `ShutdownToken`: its `shutdown()` future waits for a
        // `notify_waiters` the dispatcher may send before the future has registered (seen
        // as a 20 s hang in 1 of ~40 stops on a loaded 2-core machine). Stopping the
        // listener ends the dispatcher's stream; the dispatcher then returns by itself.
        let listener_stop = UpdateListener::stop_token(&mut listener);
        let stopping = tokio::spawn(async move {
            stop.cancelled().await;
            listener_stop.stop();
        });
        let on_error = LoggingErrorHandler::with_custom_text(what);
        let result = self
            .dispatcher
            .try_dispatch_with_listener(listener, on_error)
            .await;
        stopping.abort();
        result
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
