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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    cli::init_tracing();
    match cli.command {}
}
