//! `khqr-bot demo`: the whole flow in a browser, with no accounts (see `khqr_bot::demo`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::Context as _;
use khqr_bot::demo::{self, DemoOptions};

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Address of the demo page (loopback only; port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Keep the demo's data in this SQLite file (default: a fresh temporary database,
    /// removed when the demo stops).
    #[arg(long)]
    pub database: Option<PathBuf>,
    /// Do not try to open the page in a browser.
    #[arg(long)]
    pub no_open: bool,
}

pub fn run(args: DemoArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let options = DemoOptions {
        listen: args.listen,
        database: args.database,
    };
    let open = !args.no_open;
    runtime.block_on(async {
        demo::run(options, super::shutdown_signal(), |url| {
            println!("khqr-bot demo running at {url}");
            println!(
                "  a real bot, a Telegram emulator and the Bakong sandbox, all on this computer"
            );
            println!("Stop with ctrl-c.");
            if open {
                open_browser(url);
            }
        })
        .await
        .context("demo")
    })
}

/// Opens `url` in the desktop's browser where there is one; never fails the demo.
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some()
    {
        // Only with a desktop: without one, xdg-open may start a text browser on this terminal.
        "xdg-open"
    } else {
        return;
    };
    let spawned = Command::new(opener)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    if let Err(e) = spawned {
        tracing::debug!(error = %e, opener, "cannot open a browser; open the address by hand");
    }
}
