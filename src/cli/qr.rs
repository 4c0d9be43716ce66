//! `khqr-bot qr`: build a KHQR string offline, print it with its md5, optionally as a PNG.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use khqr_bot::khqr::{Amount, Currency, Khqr, KhqrError, KhqrErrorKind, KhqrInput, md5_hex};
use khqr_bot::render::{CardSpec, card_png, format_money, plain_png};
use khqr_bot::time::{Clock, SystemClock, phnom_penh_time};
use serde::Serialize;

/// Lifetime of a dynamic KHQR when neither `--expires-in` nor `--expires-at` is given: the
/// NBC integration guide's ceiling of 10 minutes.
pub const DEFAULT_EXPIRY_SECS: u64 = 600;

#[derive(Debug, Args)]
#[command(
    about = "Build a KHQR string (offline) and print it with its md5",
    long_about = "Build a KHQR string exactly as NBC's official SDK would, and print it on the \
first line and its md5 (the key to ask Bakong whether it was paid) on the second.\n\n\
Without --amount (or with 0) the KHQR is static: the payer types the amount. With an \
amount it is dynamic and expires: after --expires-in SECS, at --expires-at MS, or by default \
600 seconds (10 minutes, the NBC guide's ceiling) after creation.",
    after_help = "Examples:\n  khqr-bot qr --account john_smith@devb --name 'John Smith'\n  \
khqr-bot qr --account shop@aclb --name 'Coffee' --currency USD --amount 2.50 --bill INV-1 --json"
)]
pub struct QrArgs {
    /// Bakong account ID that receives the money, e.g. john_smith@devb
    #[arg(long, value_name = "ID")]
    pub account: String,
    /// Account information (individual KHQR only, at most 32 characters)
    #[arg(
        long = "account-info",
        value_name = "TEXT",
        conflicts_with = "merchant_id"
    )]
    pub account_info: Option<String>,
    /// Acquiring bank (required with --merchant-id, at most 32 characters)
    #[arg(long, value_name = "BANK")]
    pub bank: Option<String>,
    /// Merchant ID: makes a merchant KHQR (tag 30) instead of an individual one
    #[arg(long = "merchant-id", value_name = "ID")]
    pub merchant_id: Option<String>,
    /// Merchant name shown to the payer (at most 25 characters)
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Merchant city (at most 15 characters) [default: Phnom Penh]
    #[arg(long, value_name = "CITY")]
    pub city: Option<String>,
    /// Merchant category code, 4 digits [default: 5999]
    #[arg(long, value_name = "MCC")]
    pub mcc: Option<String>,
    /// Currency: USD or KHR (or 840 / 116)
    #[arg(long, value_name = "USD|KHR", default_value = "KHR")]
    pub currency: String,
    /// Amount as a plain decimal: USD up to 2 decimals (2.50), KHR whole riel (10000)
    #[arg(long, value_name = "DECIMAL", allow_hyphen_values = true)]
    pub amount: Option<String>,
    /// Bill number (at most 25 characters)
    #[arg(long, value_name = "TEXT")]
    pub bill: Option<String>,
    /// Mobile number, written as given (at most 25 characters)
    #[arg(long, value_name = "TEXT")]
    pub mobile: Option<String>,
    /// Store label (at most 25 characters)
    #[arg(long, value_name = "TEXT")]
    pub store: Option<String>,
    /// Terminal label (at most 25 characters)
    #[arg(long, value_name = "TEXT")]
    pub terminal: Option<String>,
    /// Purpose of transaction (at most 25 characters)
    #[arg(long, value_name = "TEXT")]
    pub purpose: Option<String>,
    /// Language of --alt-name, e.g. km (2 characters; needs --alt-name)
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    /// Merchant name in the alternate language (at most 25 characters; needs --lang)
    #[arg(long = "alt-name", value_name = "NAME")]
    pub alt_name: Option<String>,
    /// Merchant city in the alternate language (at most 15 characters)
    #[arg(long = "alt-city", value_name = "CITY")]
    pub alt_city: Option<String>,
    /// UnionPay merchant account (KHR only, at most 99 characters)
    #[arg(long, value_name = "TEXT")]
    pub upi: Option<String>,
    /// Dynamic KHQR: expire this many seconds after creation [default: 600]
    #[arg(
        long = "expires-in",
        value_name = "SECS",
        conflicts_with = "expires_at"
    )]
    pub expires_in: Option<u64>,
    /// Dynamic KHQR: expire at this Unix time in milliseconds (13 digits)
    #[arg(long = "expires-at", value_name = "MS")]
    pub expires_at: Option<u64>,
    /// Creation time in Unix milliseconds instead of the clock (reproducible output)
    #[arg(long, value_name = "MS")]
    pub now: Option<u64>,
    /// Also write a scannable QR code PNG to FILE
    #[arg(long, value_name = "FILE")]
    pub png: Option<PathBuf>,
    /// Look of the --png image: the branded KHQR card, or the bare QR code
    #[arg(long, value_enum, default_value_t = PngStyle::Card, requires = "png")]
    pub style: PngStyle,
    /// Print {"qr":…,"md5":…} instead of two lines
    #[arg(long)]
    pub json: bool,
}

/// What `--png` draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PngStyle {
    /// KHQR-style card: header, shop name, amount, QR with currency badge, expiry.
    Card,
    /// The QR code alone (level M, 4-module quiet zone).
    Plain,
}

/// The image `--png` asks for.
fn png_of(khqr: &Khqr, qr: &str, style: PngStyle) -> Result<Vec<u8>, String> {
    match style {
        PngStyle::Plain => plain_png(qr).map_err(|e| e.to_string()),
        PngStyle::Card => {
            let amount = khqr.amount().filter(|a| !a.is_zero());
            let amount_text = amount.map(format_money).unwrap_or_default();
            let expires_line = khqr
                .expires_at_ms()
                .map(|ms| i64::try_from(ms / 1000).unwrap_or(i64::MAX))
                .map(|secs| format!("Expires at {} (Phnom Penh time)", phnom_penh_time(secs)));
            card_png(&CardSpec {
                payload: qr,
                shop_name: khqr.merchant_name(),
                amount_text: &amount_text,
                usd: khqr.currency() == Currency::Usd,
                note: khqr.purpose(),
                expires_line: expires_line.as_deref(),
                reference: None,
            })
            .map_err(|e| e.to_string())
        }
    }
}

/// The system clock in Unix epoch milliseconds (the CLI's edge: no injected clock here).
pub fn system_now_ms() -> u64 {
    u64::try_from(SystemClock.unix_ms()).unwrap_or(0)
}

/// The flag a codec error is about, for a message that names what to fix.
fn flag_of(kind: KhqrErrorKind) -> Option<&'static str> {
    use KhqrErrorKind::*;
    Some(match kind {
        AccountIdRequired | AccountIdInvalid | AccountIdTooLong => "--account",
        MerchantNameRequired | MerchantNameTooLong => "--name",
        MerchantCityRequired | MerchantCityTooLong => "--city",
        MccRequired | MccTooLong | MccInvalid => "--mcc",
        AmountInvalid => "--amount",
        MerchantIdRequired | MerchantIdTooLong => "--merchant-id",
        AcquiringBankRequired | AcquiringBankTooLong => "--bank",
        AccountInformationTooLong => "--account-info",
        BillNumberInvalid => "--bill",
        MobileNumberInvalid => "--mobile",
        StoreLabelInvalid => "--store",
        TerminalLabelInvalid => "--terminal",
        PurposeInvalid => "--purpose",
        LanguagePreferenceRequired | LanguagePreferenceInvalid => "--lang",
        AltMerchantNameRequired | AltMerchantNameInvalid => "--alt-name",
        AltMerchantCityInvalid => "--alt-city",
        UpiAccountTooLong | UpiAccountWithUsd => "--upi",
        ExpirationRequired | ExpirationBeforeCreation => "--expires-at",
        UnsupportedCurrency | CurrencyRequired | CurrencyTooLong => "--currency",
        _ => return None,
    })
}

fn usage_error(e: &KhqrError) -> String {
    match (e.kind(), flag_of(e.kind())) {
        // A creation timestamp of the wrong length comes from --now, not from the expiry.
        (KhqrErrorKind::TimestampLengthInvalid, _) if e.detail().starts_with("creation") => {
            format!("--now: {e}")
        }
        (KhqrErrorKind::TimestampLengthInvalid, _) => format!("--expires-at: {e}"),
        (_, Some(flag)) => format!("{flag}: {e}"),
        (_, None) => e.to_string(),
    }
}

/// `--currency`: a name or number the codec knows, else the SDK's error for the value of
/// tag 53 (empty 9, longer than 3 characters 19, anything else 28), as its generator says.
fn currency_of(value: &str) -> Result<Currency, KhqrError> {
    value.parse().or_else(|_| Currency::from_numeric(value))
}

/// Turns the flags into a codec input; `Err` is a one-line usage message.
fn to_input(args: &QrArgs, now_ms: u64) -> Result<KhqrInput, String> {
    let currency = currency_of(&args.currency).map_err(|e| usage_error(&e))?;
    let amount = match &args.amount {
        Some(text) => Some(
            Amount::parse_decimal(text, currency).map_err(|e| usage_error(&KhqrError::from(e)))?,
        ),
        None => None,
    };
    let dynamic = amount.is_some_and(|a| !a.is_zero());
    let expiration_ms = match (args.expires_at, args.expires_in) {
        (Some(at), _) => Some(at),
        (None, secs) => {
            let secs = secs.unwrap_or(DEFAULT_EXPIRY_SECS);
            let ms = secs
                .checked_mul(1000)
                .and_then(|ms| now_ms.checked_add(ms))
                .ok_or_else(|| format!("--expires-in: {secs} seconds is too far in the future"))?;
            Some(ms)
        }
    };
    if !dynamic && (args.expires_at.is_some() || args.expires_in.is_some()) {
        tracing::warn!("a KHQR without amount is static and never expires; expiry flags ignored");
    }
    Ok(KhqrInput {
        merchant_id: args.merchant_id.clone(),
        account_id: args.account.clone(),
        account_information: args.account_info.clone(),
        acquiring_bank: args.bank.clone(),
        merchant_name: args.name.clone(),
        merchant_city: args.city.clone(),
        merchant_category_code: args.mcc.clone(),
        currency,
        amount,
        bill_number: args.bill.clone(),
        mobile_number: args.mobile.clone(),
        store_label: args.store.clone(),
        terminal_label: args.terminal.clone(),
        purpose: args.purpose.clone(),
        language_preference: args.lang.clone(),
        alt_merchant_name: args.alt_name.clone(),
        alt_merchant_city: args.alt_city.clone(),
        upi_merchant_account: args.upi.clone(),
        expiration_ms: if dynamic { expiration_ms } else { None },
    })
}

#[derive(Serialize)]
struct JsonOut<'a> {
    qr: &'a str,
    md5: &'a str,
}

pub fn run(args: QrArgs) -> ExitCode {
    let now_ms = args.now.unwrap_or_else(system_now_ms);
    let khqr =
        match to_input(&args, now_ms).and_then(|i| i.build(now_ms).map_err(|e| usage_error(&e))) {
            Ok(k) => k,
            Err(msg) => {
                eprintln!("error: {msg}");
                return ExitCode::from(2);
            }
        };
    let qr = khqr.encode();
    let md5 = md5_hex(&qr);
    if let Some(path) = &args.png {
        let written = png_of(&khqr, &qr, args.style)
            .and_then(|png| std::fs::write(path, png).map_err(|e| e.to_string()));
        if let Err(e) = written {
            eprintln!("error: cannot write the PNG to {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    if args.json {
        match serde_json::to_string(&JsonOut { qr: &qr, md5: &md5 }) {
            Ok(line) => println!("{line}"),
            Err(e) => {
                eprintln!("error: cannot format JSON: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        println!("{qr}");
        println!("{md5}");
    }
    ExitCode::SUCCESS
}
