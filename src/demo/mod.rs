//! `khqr-bot demo`: the whole flow on one machine, in a browser, with no accounts.
//!
//! One process, loopback only: the Bakong sandbox ([`crate::bakong::sandbox`]), the Telegram
//! Bot API emulator ([`crate::emulator::telegram`]), the real bot — the same [`App`] as
//! `khqr-bot run`, configured through [`Config::from_source`] with the emulator's URL and
//! token and the sandbox's base URL — and a web page ([`web`]) that plays the two people
//! around the bot: the seller chatting with it, and the customer's banking app ([`bank`])
//! that scans a card and pays it through the sandbox. The page is embedded in the binary.
//!
//! Nothing here talks to the bot directly: the page acts only through the emulator (as a
//! Telegram user would) and the sandbox (as a bank would), so what it shows is what the bot
//! really did.
//!
//! The page shows two of the seller's chats ([`DemoChat`]): the private chat with the bot,
//! and a chat with a customer, where the seller uses the bot's inline mode (`@bot 5 USD
//! iced coffee`: one inline query per keystroke, the bot's answer shown as Telegram's result
//! picker, the chosen result sent through the emulator) and the customer presses the card's
//! buttons.

mod api_error;
pub mod bank;
mod inline;
mod seller;
mod web;

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use crate::app::{App, RunError, StartError};
use crate::bakong::sandbox::{Sandbox, SandboxHandle};
use crate::config::{Config, ConfigError};
use crate::emulator::telegram::{TelegramEmulator, TgUser};

/// Seconds between the watcher's Bakong rounds in the demo (`run` defaults to 5): a payment
/// made in the bank pane shows in the chat within about a second.
const DEMO_POLL_INTERVAL_SECS: &str = "1";
/// The demo seller's Telegram user id (the chat id of the private chat with the bot).
pub const SELLER_ID: i64 = 1001;
const SELLER_NAME: &str = "Sokha";
/// The demo customer's Telegram user id: also the id of the seller's chat with them, where
/// inline results are sent.
pub const CUSTOMER_ID: i64 = 2002;
const CUSTOMER_NAME: &str = "Dara";
/// The customer's Telegram language: Khmer, so the bot's answers to their button presses
/// are in Khmer whatever the page's language.
const CUSTOMER_LANG: &str = "km";

/// The two chats of the seller's the page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DemoChat {
    /// The seller's private chat with the bot.
    #[default]
    Bot,
    /// The seller's chat with a customer (the bot is not in it: cards arrive there through
    /// inline mode).
    Customer,
}

impl DemoChat {
    /// The emulator's chat id.
    pub fn chat_id(self) -> i64 {
        match self {
            DemoChat::Bot => SELLER_ID,
            DemoChat::Customer => CUSTOMER_ID,
        }
    }
}

/// The seller's latest inline query (typed in the customer chat), which the page's result
/// picker shows the answer to.
#[derive(Debug, Clone)]
pub(crate) struct InlineTyping {
    pub(crate) query_id: String,
    pub(crate) query: String,
}

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Where the page listens; must be a loopback address (port 0 picks a free port).
    pub listen: SocketAddr,
    /// Database file to use (kept); `None` = a fresh one in a temporary directory, removed
    /// at the end.
    pub database: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the demo listens on loopback only (127.0.0.1 or ::1), not on {0}")]
    NotLoopback(SocketAddr),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: io::Error },
    #[error("Bakong sandbox: {0}")]
    Sandbox(io::Error),
    #[error("Telegram emulator: {0}")]
    Telegram(io::Error),
    #[error("temporary directory: {0}")]
    TempDir(io::Error),
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("the bot did not start: {0}")]
    Start(#[from] StartError),
    #[error("the bot stopped: {0}")]
    Bot(#[from] RunError),
    #[error("web page server: {0}")]
    Serve(io::Error),
}

/// State shared by the page's handlers.
pub(crate) struct Shared {
    pub(crate) telegram: TelegramEmulator,
    pub(crate) sandbox: SandboxHandle,
    /// The page's language ("en" or "km"): the seller's Telegram language too.
    lang: Mutex<String>,
    /// The bank app's scans, by chat and message id.
    scans: Mutex<HashMap<(DemoChat, i32), bank::Scan>>,
    /// The seller's latest inline query, until a result is chosen or the text is cleared.
    inline: Mutex<Option<InlineTyping>>,
    /// One-click setup in progress or its last outcome, for the page.
    setup_status: Mutex<String>,
}

impl Shared {
    /// The demo seller as Telegram describes them, in the page's current language.
    pub(crate) fn seller(&self) -> TgUser {
        TgUser::new(SELLER_ID, SELLER_NAME).with_language(self.lang().clone())
    }

    /// The demo customer as Telegram describes them.
    pub(crate) fn customer(&self) -> TgUser {
        TgUser::new(CUSTOMER_ID, CUSTOMER_NAME).with_language(CUSTOMER_LANG)
    }

    pub(crate) fn lang(&self) -> MutexGuard<'_, String> {
        lock(&self.lang)
    }

    pub(crate) fn scans(&self) -> MutexGuard<'_, HashMap<(DemoChat, i32), bank::Scan>> {
        lock(&self.scans)
    }

    pub(crate) fn inline(&self) -> MutexGuard<'_, Option<InlineTyping>> {
        lock(&self.inline)
    }

    pub(crate) fn setup_status(&self) -> MutexGuard<'_, String> {
        lock(&self.setup_status)
    }
}

/// A poisoned lock only means a handler panicked mid-update; the data is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs the demo until `stop` completes, then shuts down the bot (finishing the updates in
/// hand), its watcher, the page, the emulator and the sandbox, and removes the temporary
/// directory. `on_ready` gets the page's URL once everything is up.
pub async fn run(
    options: DemoOptions,
    stop: impl Future<Output = ()> + Send + 'static,
    on_ready: impl FnOnce(&str),
) -> Result<(), DemoError> {
    if !options.listen.ip().is_loopback() {
        return Err(DemoError::NotLoopback(options.listen));
    }
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|source| DemoError::Listen {
            addr: options.listen,
            source,
        })?;
    let page_addr = listener.local_addr().map_err(DemoError::Serve)?;
    let loopback = SocketAddr::new(page_addr.ip(), 0);
    let sandbox = Sandbox::start(loopback).await.map_err(DemoError::Sandbox)?;
    let telegram = TelegramEmulator::start(loopback)
        .await
        .map_err(DemoError::Telegram)?;

    // The temporary directory is kept until the end of this function (dropping it removes it).
    let (temp, database) = match options.database {
        Some(path) => (None, path),
        None => {
            let dir = tempfile::tempdir().map_err(DemoError::TempDir)?;
            let path = dir.path().join("khqr-bot-demo.db");
            (Some(dir), path)
        }
    };
    let env = HashMap::from([
        ("TELOXIDE_TOKEN", telegram.bot_token().to_owned()),
        ("TELOXIDE_API_URL", telegram.api_url().to_string()),
        ("BAKONG_API_URL", sandbox.base_url().to_owned()),
        ("DATABASE_URL", format!("sqlite://{}", database.display())),
        ("POLL_INTERVAL_SECS", DEMO_POLL_INTERVAL_SECS.to_owned()),
    ]);
    let config = Config::from_source(|name| env.get(name).cloned())?;
    let app = App::start(&config).await?;
    let store = app.store.clone();
    let shutdown = app.shutdown_token();
    let bot = tokio::spawn(app.run());

    let shared = Arc::new(Shared {
        telegram,
        sandbox,
        lang: Mutex::new("en".to_owned()),
        scans: Mutex::new(HashMap::new()),
        inline: Mutex::new(None),
        setup_status: Mutex::new(String::new()),
    });
    let (stop_page, page_stopped) = tokio::sync::oneshot::channel::<()>();
    let router = web::router(shared.clone());
    let page = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = page_stopped.await;
            })
            .await
    });
    on_ready(&format!("http://{page_addr}/"));

    // Stop on request, or when the bot stops by itself (it cannot reach the emulator).
    let mut bot = bot;
    let bot_result = tokio::select! {
        () = stop => {
            tracing::info!("demo: shutting down");
            shutdown.cancel();
            bot.await
        }
        result = &mut bot => result,
    };
    let _ = stop_page.send(());
    let page_result = page.await;
    store.close().await;
    drop(shared);
    drop(temp);
    match bot_result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(DemoError::Bot(e)),
        Err(e) => return Err(DemoError::Serve(io::Error::other(e))),
    }
    match page_result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(DemoError::Serve(e)),
        Err(e) => Err(DemoError::Serve(io::Error::other(e))),
    }
}
