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
    /// Build a KHQR string (offline) and print it with its md5.
    Qr(Box<cli::qr::QrArgs>),
    /// Verify a KHQR string and print its fields.
    Decode(cli::decode::DecodeArgs),
    /// Run a local Bakong Open API emulator (try the bot without a Bakong account).
    Sandbox(cli::sandbox::SandboxArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::init_tracing();
    match cli.command {
        Command::Qr(args) => cli::qr::run(*args),
        Command::Decode(args) => cli::decode::run(args),
        Command::Sandbox(args) => report(cli::sandbox::run(args)),
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
