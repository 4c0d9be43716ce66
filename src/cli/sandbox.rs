//! `khqr-bot sandbox`: run the local Bakong emulator until ctrl-c / SIGTERM.

use std::net::SocketAddr;

use anyhow::Context as _;
use khqr_bot::bakong::sandbox::Sandbox;

#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Address to listen on. Keep it on 127.0.0.1 unless others must reach it: it
    /// hands out tokens and accepts payments from anyone who can connect.
    #[arg(long, default_value = "127.0.0.1:8099")]
    pub listen: SocketAddr,
    /// Behave like production: `check_transaction_by_md5_list` answers a bare nginx 403
    /// page to every request while `check_transaction_by_md5` works (also switchable at
    /// run time: POST /sandbox/batch_endpoint {"closed": true|false}).
    #[arg(long)]
    pub batch_403: bool,
}

pub fn run(args: SandboxArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        Sandbox::serve(listener, args.batch_403, shutdown_signal(), |url| {
            println!("Bakong sandbox running at {url}");
            if args.batch_403 {
                println!("  like production: check_transaction_by_md5_list answers 403 (--batch-403)");
            }
            println!("  open {url}/ to see the QRs the bot asks about and mark them paid");
            println!("  point the bot at it: BAKONG_API_URL={url}");
            println!("  get a token on the page or: curl -s -XPOST {url}/v1/renew_token -H 'content-type: application/json' -d '{{\"email\":\"me@example.com\"}}'");
            println!("Stop with ctrl-c.");
        })
        .await
        .context("sandbox server")
    })
}

async fn shutdown_signal() {
    super::shutdown_signal().await;
    tracing::info!("sandbox: shutting down");
}
