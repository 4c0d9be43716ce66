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
    // Each issue adds its subcommand here, e.g.:
    // /// Build a KHQR string (offline).
    // Qr(cli::qr::QrArgs),
    /// Run the Telegram bot (settings from the environment and .env; see README).
    Run(cli::run::RunArgs),
    /// Run a local Bakong Open API emulator (try the bot without a Bakong account).
    Sandbox(cli::sandbox::SandboxArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::init_tracing();
    let result = match cli.command {
        Command::Run(args) => cli::run::run(args),
        Command::Sandbox(args) => cli::sandbox::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
