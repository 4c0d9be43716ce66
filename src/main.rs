//! `khqr-bot` binary: the clap CLI and wiring only. Each subcommand lives in `cli/<name>.rs`.

mod cli;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "khqr-bot",
    version,
    about = "Take Bakong KHQR payments in Telegram"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    // `qr` and `decode` take their help text from their Args structs.
    Qr(Box<cli::qr::QrArgs>),
    Decode(cli::decode::DecodeArgs),
    /// Run the Telegram bot (settings from the environment and .env; see README).
    Run(cli::run::RunArgs),
    /// Run a local Bakong Open API emulator (try the bot without a Bakong account).
    Sandbox(cli::sandbox::SandboxArgs),
    /// Re-seal every stored Bakong token under a new secret key, in one transaction (stop
    /// the bot first; DATABASE_URL names the database; see docs/bot.md).
    RotateKey(cli::rotate_key::RotateKeyArgs),
    /// The whole flow in a browser with no accounts: the bot, a Telegram emulator and the
    /// Bakong sandbox on this computer, and a page to chat and pay.
    Demo(cli::demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Settings may come from .env (RUST_LOG included); `run` reports a malformed file.
    let _ = dotenvy::dotenv();
    cli::init_tracing();
    match cli.command {
        Command::Qr(args) => cli::qr::run(*args),
        Command::Decode(args) => cli::decode::run(args),
        Command::Run(args) => report(cli::run::run(args)),
        Command::Sandbox(args) => report(cli::sandbox::run(args)),
        Command::RotateKey(args) => report(cli::rotate_key::run(args)),
        Command::Demo(args) => report(cli::demo::run(args)),
    }
}

/// Exit status for subcommands that fail with an `anyhow` error: the whole chain on one line.
fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
