//! `khqr-bot run`: the Telegram bot, configured from the environment (and `.env`).

use anyhow::Context as _;
use khqr_bot::app::App;
use khqr_bot::config::Config;

#[derive(Debug, clap::Args)]
pub struct RunArgs {}

pub fn run(_args: RunArgs) -> anyhow::Result<()> {
    // One clear line naming the setting, e.g. "TELOXIDE_TOKEN: required: …".
    let config = Config::from_env().map_err(anyhow::Error::msg)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let app = App::start(&config).await?;
        let shutdown = app.shutdown_token();
        tokio::spawn(async move {
            super::shutdown_signal().await;
            tracing::info!("shutting down: finishing the updates in hand");
            shutdown.cancel();
        });
        match app.webhook_addr {
            Some(addr) => tracing::info!(listen = %addr, "bot starting (webhook)"),
            None => tracing::info!("bot starting (long polling)"),
        }
        let store = app.store.clone();
        app.run().await?;
        store.close().await;
        tracing::info!("stopped");
        Ok(())
    })
}
