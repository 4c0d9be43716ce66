//! Subcommands of the `khqr-bot` binary. Each module owns its clap `Args` and a `run`.

pub mod decode;
pub mod demo;
pub mod qr;
pub mod rotate_key;
pub mod run;
pub mod sandbox;

/// Logs go to stderr, filtered by `RUST_LOG` (default `info`; PostgreSQL's NOTICEs — e.g.
/// "relation _sqlx_migrations already exists, skipping" at every start — at `warn` unless
/// `RUST_LOG` names sqlx), so stdout stays clean for
/// command output such as `khqr-bot qr --json`. `LOG_FORMAT=json` writes one JSON object
/// per line (the event's fields at the top level); unset or `text`, the human format. A
/// bad `LOG_FORMAT` logs in the human format (`run` then stops, naming the setting).
pub fn init_tracing() {
    use khqr_bot::config::LogFormat;
    let rust_log = std::env::var("RUST_LOG").unwrap_or_default();
    let mut filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    if !rust_log.contains("sqlx")
        && let Ok(quiet) = "sqlx::postgres::notice=warn".parse()
    {
        filter = filter.add_directive(quiet);
    }
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match LogFormat::from_env().unwrap_or_default() {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().flatten_event(true).init(),
    }
}

/// Resolves on ctrl-c or SIGTERM (what `docker stop` sends), for a clean shutdown.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
