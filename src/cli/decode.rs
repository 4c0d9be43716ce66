//! `khqr-bot decode`: verify a KHQR string and print its fields.

use std::process::ExitCode;

use clap::Args;
use khqr_bot::khqr::{Khqr, md5_hex, verify};
use serde_json::Value;

use super::qr::system_now_ms;

#[derive(Debug, Args)]
#[command(
    about = "Verify a KHQR string and print its fields and md5",
    long_about = "Verify a KHQR string as NBC's official SDK does (CRC, lengths, required tags, \
field limits, dynamic-QR rules and expiry at --now) and print its fields and md5. An invalid \
string exits with status 1 and a message carrying the SDK's error code."
)]
pub struct DecodeArgs {
    /// Print one JSON object with all fields (absent ones null) and md5
    #[arg(long)]
    pub json: bool,
    /// Check expiry against this Unix time in milliseconds instead of the clock
    #[arg(long, value_name = "MS")]
    pub now: Option<u64>,
    /// The KHQR string
    #[arg(value_name = "STRING", allow_hyphen_values = true)]
    pub khqr: String,
}

/// Field name and value, in tag order.
fn fields(k: &Khqr, md5: String) -> Vec<(&'static str, Value)> {
    let text = |v: Option<&str>| v.map_or(Value::Null, Value::from);
    vec![
        (
            "kind",
            Value::from(if k.is_merchant() {
                "merchant"
            } else {
                "individual"
            }),
        ),
        ("dynamic", Value::from(k.is_dynamic())),
        ("upi_merchant_account", text(k.upi_merchant_account())),
        ("account_id", Value::from(k.account_id())),
        ("account_information", text(k.account_information())),
        ("merchant_id", text(k.merchant_id())),
        ("acquiring_bank", text(k.acquiring_bank())),
        (
            "merchant_category_code",
            Value::from(k.merchant_category_code()),
        ),
        ("currency", Value::from(k.currency().alpha())),
        (
            "amount",
            k.amount()
                .map_or(Value::Null, |a| Value::from(a.to_string())),
        ),
        ("merchant_name", Value::from(k.merchant_name())),
        ("merchant_city", Value::from(k.merchant_city())),
        ("bill_number", text(k.bill_number())),
        ("mobile_number", text(k.mobile_number())),
        ("store_label", text(k.store_label())),
        ("terminal_label", text(k.terminal_label())),
        ("purpose", text(k.purpose())),
        ("language_preference", text(k.language_preference())),
        ("alt_merchant_name", text(k.alt_merchant_name())),
        ("alt_merchant_city", text(k.alt_merchant_city())),
        (
            "created_at_ms",
            k.created_at_ms().map_or(Value::Null, Value::from),
        ),
        (
            "expires_at_ms",
            k.expires_at_ms().map_or(Value::Null, Value::from),
        ),
        ("md5", Value::from(md5)),
    ]
}

/// A JSON object with the keys in the given order.
fn json_object(fields: &[(&str, Value)]) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::from(*key).to_string());
        out.push(':');
        out.push_str(&value.to_string());
    }
    out.push('}');
    out
}

pub fn run(args: DecodeArgs) -> ExitCode {
    let now_ms = args.now.unwrap_or_else(system_now_ms);
    let khqr = match verify(&args.khqr, now_ms) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: invalid KHQR: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The md5 Bakong knows is that of the string as given, not of a re-encoding.
    let fields = fields(&khqr, md5_hex(&args.khqr));
    if args.json {
        println!("{}", json_object(&fields));
    } else {
        let width = fields.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        for (key, value) in &fields {
            match value {
                Value::Null => {}
                Value::String(s) => println!("{key:width$}  {s}"),
                other => println!("{key:width$}  {other}"),
            }
        }
    }
    ExitCode::SUCCESS
}
