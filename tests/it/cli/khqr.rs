//! `khqr-bot qr` and `khqr-bot decode`, run as the built binary.

use std::process::{Command, Output};

use crate::support::khqr_fixtures::{load, now, to_cli_args};
use serde_json::Value;

fn khqr_bot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_khqr-bot"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run khqr-bot")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn qr_json_for_every_vector_input_equals_the_vector() {
    for v in load("vectors.jsonl") {
        let args = to_cli_args(&v["input"]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = khqr_bot(&args);
        assert!(out.status.success(), "{}: {}", v["id"], stderr(&out));
        let expected = format!(
            "{{\"qr\":{},\"md5\":{}}}\n",
            Value::from(v["qr"].as_str().unwrap()),
            Value::from(v["md5"].as_str().unwrap())
        );
        assert_eq!(stdout(&out), expected, "{}", v["id"]);
    }
}

#[test]
fn qr_plain_output_is_string_then_md5() {
    let out = khqr_bot(&[
        "qr",
        "--account",
        "john_smith@devb",
        "--name",
        "John Smith",
        "--city",
        "Phnom Penh",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "00020101021129190015john_smith@devb5204599953031165802KH5910John Smith6010Phnom Penh63046BFA\n\
         851710edf362c4a9091f7b4739cbe1a3\n"
    );
}

#[test]
fn dynamic_qr_defaults_to_ten_minutes() {
    let out = khqr_bot(&[
        "qr",
        "--account",
        "john_smith@devb",
        "--name",
        "John Smith",
        "--currency",
        "usd",
        "--amount",
        "2.5",
        "--now",
        "1767225600000",
        "--json",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let qr = json["qr"].as_str().unwrap();
    let k = khqr_bot::khqr::decode(qr).unwrap();
    assert_eq!(k.created_at_ms(), Some(1_767_225_600_000));
    assert_eq!(k.expires_at_ms(), Some(1_767_225_600_000 + 600_000));
    assert_eq!(k.amount().unwrap().to_string(), "2.50");

    let out = khqr_bot(&[
        "qr",
        "--account",
        "john_smith@devb",
        "--name",
        "John Smith",
        "--currency",
        "USD",
        "--amount",
        "2.5",
        "--now",
        "1767225600000",
        "--expires-in",
        "60",
        "--json",
    ]);
    let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let k = khqr_bot::khqr::decode(json["qr"].as_str().unwrap()).unwrap();
    assert_eq!(k.expires_at_ms(), Some(1_767_225_660_000));
}

#[test]
fn decode_accepts_every_vector() {
    for v in load("vectors.jsonl") {
        let qr = v["qr"].as_str().unwrap();
        let now = now(&v["input"]).to_string();
        let out = khqr_bot(&["decode", "--json", "--now", &now, qr]);
        assert!(out.status.success(), "{}: {}", v["id"], stderr(&out));
        let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let d = &v["decoded"];
        assert_eq!(json["md5"], v["md5"], "{}", v["id"]);
        assert_eq!(json["account_id"], d["bakongAccountID"], "{}", v["id"]);
        assert_eq!(json["merchant_name"], d["merchantName"], "{}", v["id"]);
        assert_eq!(json["merchant_city"], d["merchantCity"], "{}", v["id"]);
        assert_eq!(json["amount"], d["transactionAmount"], "{}", v["id"]);
        assert_eq!(json["bill_number"], d["billNumber"], "{}", v["id"]);
        let currency = if d["transactionCurrency"] == "840" {
            "USD"
        } else {
            "KHR"
        };
        assert_eq!(json["currency"], currency, "{}", v["id"]);
        let kind = if d["merchantType"] == "30" {
            "merchant"
        } else {
            "individual"
        };
        assert_eq!(json["kind"], kind, "{}", v["id"]);
        assert_eq!(
            json["expires_at_ms"].as_u64().map(|t| t.to_string()),
            d["expirationTimestamp"].as_str().map(str::to_owned),
            "{}",
            v["id"]
        );
    }
}

#[test]
fn decode_plain_lists_present_fields() {
    let qr = "00020101021129190015john_smith@devb5204599953031165802KH5910John Smith6010Phnom Penh63046BFA";
    let out = khqr_bot(&["decode", qr]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("account_id              john_smith@devb\n"),
        "{text}"
    );
    assert!(
        text.contains("md5                     851710edf362c4a9091f7b4739cbe1a3\n"),
        "{text}"
    );
    assert!(
        !text.contains("amount"),
        "a static KHQR has no amount: {text}"
    );
}

#[test]
fn decode_rejects_every_invalid_verify_line_with_its_code() {
    for l in load("invalid.jsonl").iter().filter(|l| l["op"] == "verify") {
        let name = l["name"].as_str().unwrap();
        let now = now(l).to_string();
        let out = khqr_bot(&["decode", "--now", &now, l["qr"].as_str().unwrap()]);
        if l["expect"] == "valid" {
            assert!(out.status.success(), "{name}: {}", stderr(&out));
            continue;
        }
        assert_eq!(out.status.code(), Some(1), "{name}");
        let code = l["error"]["code"].as_u64().unwrap_or(8);
        let err = stderr(&out);
        assert!(
            err.contains(&format!("KHQR error {code}:")),
            "{name}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(stdout(&out).is_empty(), "{name}");
    }
}

/// Bad arguments: exit 2, and the first line names the problem (no backtrace, no chain).
fn assert_usage_error(args: &[&str], mentions: &[&str]) {
    let out = khqr_bot(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    let err = stderr(&out);
    let first = err.lines().next().unwrap_or("");
    assert!(first.starts_with("error: "), "{args:?}: {err}");
    assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    for m in mentions {
        assert!(first.contains(m), "{args:?}: {first:?} lacks {m:?}");
    }
    assert!(
        !err.contains("backtrace") && !err.contains("Caused by"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());
}

#[test]
fn bad_arguments_get_one_clear_line_and_exit_2() {
    let base = ["qr", "--account", "john_smith@devb", "--name", "John Smith"];
    let with = |extra: &[&'static str]| -> Vec<&'static str> {
        base.iter().chain(extra.iter()).copied().collect()
    };
    assert_usage_error(
        &with(&["--amount", "-5"]),
        &["--amount", "negative", "KHQR error 4"],
    );
    assert_usage_error(
        &with(&["--amount", "1.5", "--currency", "KHR"]),
        &["--amount", "1.5", "KHR", "KHQR error 4"],
    );
    assert_usage_error(
        &with(&["--amount", "1.005", "--currency", "USD"]),
        &["--amount", "2 decimal"],
    );
    assert_usage_error(&with(&["--amount", "abc"]), &["--amount", "abc"]);
    // The SDK's codes for a currency it does not take (28), or one too long for tag 53 (19).
    assert_usage_error(
        &with(&["--currency", "EUR"]),
        &["--currency", "EUR", "KHQR error 28"],
    );
    assert_usage_error(
        &with(&["--currency", "978"]),
        &["--currency", "978", "KHQR error 28"],
    );
    assert_usage_error(
        &with(&["--currency", "EURO"]),
        &["--currency", "KHQR error 19"],
    );
    assert_usage_error(
        &[
            "qr",
            "--account",
            "john_smith@devb",
            "--name",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        ],
        &["--name", "25", "KHQR error 7"],
    );
    assert_usage_error(
        &["qr", "--account", "johnsmith", "--name", "John"],
        &["--account", "KHQR error 3"],
    );
    assert_usage_error(
        &with(&["--merchant-id", "M1"]),
        &["--bank", "KHQR error 31"],
    );
    assert_usage_error(&with(&["--lang", "km"]), &["--alt-name", "KHQR error 39"]);
    assert_usage_error(&with(&["--mcc", "12a4"]), &["--mcc", "KHQR error 51"]);
    assert_usage_error(
        &with(&[
            "--amount",
            "5",
            "--currency",
            "USD",
            "--now",
            "1767225600000",
            "--expires-at",
            "1767225599999",
        ]),
        &["--expires-at", "KHQR error 50"],
    );
    assert_usage_error(
        &with(&[
            "--amount",
            "5",
            "--currency",
            "USD",
            "--expires-at",
            "1767225600",
        ]),
        &["--expires-at", "KHQR error 49"],
    );
    // Our own messages are exactly one line.
    let out = khqr_bot(&with(&["--amount", "-5"]));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

#[test]
fn png_scans_back_to_the_payload_in_both_styles() {
    for style in ["card", "plain"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("khqr.png");
        let out = khqr_bot(&[
            "qr",
            "--account",
            "coffee.shop@wing",
            "--merchant-id",
            "123456",
            "--bank",
            "Canadia Bank Plc",
            "--name",
            "Shop #12",
            "--lang",
            "km",
            "--alt-name",
            "ហាងកាហ្វេ",
            "--currency",
            "USD",
            "--amount",
            "1453.31",
            "--now",
            "1777474750285",
            "--expires-in",
            "120",
            "--png",
            path.to_str().unwrap(),
            "--style",
            style,
        ]);
        assert!(out.status.success(), "{style}: {}", stderr(&out));
        let qr = stdout(&out).lines().next().unwrap().to_owned();
        let img = image::open(&path).unwrap().to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(img);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "{style}");
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, qr, "{style}");
    }
}

#[test]
fn style_without_png_is_a_usage_error() {
    let out = khqr_bot(&["qr", "--account", "a@b", "--name", "A", "--style", "plain"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--png"), "{}", stderr(&out));
}
