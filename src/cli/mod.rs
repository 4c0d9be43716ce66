//! Subcommands of the `khqr-bot` binary. Each module owns its clap `Args` and a `run`.

pub mod decode;
pub mod qr;
pub mod sandbox;

/// Logs go to stderr, filtered by `RUST_LOG` (default `info`), so stdout stays clean for
/// command output such as `khqr-bot qr --json`.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}
