//! End to end (issue 14): `/export` sends a CSV and an XLSX of the period's payments and
//! charges. The CSV is parsed back with the `csv` crate and the workbook read back with
//! `calamine`; both must equal the database rows (one per payment of the ledger, one per
//! charge without a payment; Khmer notes intact, BOM present), their "Received" column must
//! add up to the totals, they hold no other seller's charges, and bad periods are answered
//! with nothing sent.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::close_fixtures::{Fixture, SHOP_ACCOUNT, insert, pp};
use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::{Call, TgUser};
use khqr_bot::store::MerchantId;

const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];
const BOM: &[u8] = b"\xEF\xBB\xBF";
const KHMER_NOTE: &str = "កាហ្វេទឹកដោះគោទឹកកក";

async fn shop(app: &TestApp, user: &TgUser) -> MerchantId {
    app.setup_merchant(user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    app.merchant(user).await.unwrap().id
}

fn documents(app: &TestApp, user: &TgUser, since: usize) -> Vec<Call> {
    app.telegram.calls()[since..]
        .iter()
        .filter(|c| c.is("sendDocument") && c.chat_id() == Some(user.id))
        .cloned()
        .collect()
}

/// The file names of the last two documents in `user`'s chat (what their app shows).
fn last_two_document_names(app: &TestApp, user: &TgUser) -> Vec<String> {
    let mut messages = app.telegram.chat(user.id);
    messages.sort_by_key(|m| m.message_id);
    let names: Vec<String> = messages
        .into_iter()
        .filter_map(|m| m.document_file_name)
        .collect();
    names[names.len().saturating_sub(2)..].to_vec()
}

/// Sends `/export …` and returns the two documents' bytes (CSV, XLSX) and the caption.
async fn export(app: &TestApp, user: &TgUser, command: &str) -> (Vec<u8>, Vec<u8>, String) {
    let since = app.telegram.call_count();
    app.telegram.send_text(user, command);
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let docs = documents(app, user, since);
        if docs.len() >= 2 {
            for d in &docs {
                assert_eq!(d.error, None, "{d:?}");
            }
            let bytes = |c: &Call| c.files.first().map(|(_, b)| b.to_vec()).unwrap();
            let caption = docs[0].params["caption"].as_str().unwrap().to_owned();
            assert!(docs[1].params.get("caption").is_none());
            return (bytes(&docs[0]), bytes(&docs[1]), caption);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} documents",
            docs.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The rows of 2026-11-24 (and around it) for `m`, and another seller's.
async fn fixtures(app: &TestApp, m: MerchantId, other: MerchantId) {
    let d = |hh, mm| pp(2026, 11, 24, hh, mm);
    let mut coffee = None;
    for f in [
        Fixture::paid(500, "USD", Some("coffee"), d(9, 0)),
        Fixture::paid(20_000, "KHR", Some(KHMER_NOTE), d(10, 15)),
        // Created the day before, paid this day: in this day's export.
        Fixture {
            created_at: pp(2026, 11, 23, 23, 50),
            ..Fixture::paid(300, "USD", Some("tea, \"large\"\nto go"), d(0, 5))
        },
        Fixture {
            paid_after: Some("cancelled"),
            ..Fixture::paid(1250, "USD", None, d(13, 0))
        },
        // To another account: a line, never in the totals.
        Fixture {
            status: "mismatch",
            arrived: Some((300, "USD", "other@wing")),
            ..Fixture::paid(400, "USD", Some("cake"), d(14, 0))
        },
        Fixture::ended(10_000, "KHR", "expired", d(15, 0)),
        // Less than asked: counted as it arrived.
        Fixture {
            status: "underpaid",
            arrived: Some((300, "USD", SHOP_ACCOUNT)),
            ..Fixture::paid(400, "USD", Some("juice"), d(16, 0))
        },
        // Created this day, paid the next: not in this day's export.
        Fixture {
            created_at: d(23, 55),
            ..Fixture::paid(900, "USD", Some("tomorrow"), pp(2026, 11, 25, 0, 1))
        },
        Fixture::paid(800, "USD", Some("yesterday"), pp(2026, 11, 23, 12, 0)),
    ] {
        let (id, _) = insert(&app.store, m, &f).await;
        coffee = coffee.or(Some(id));
    }
    // The coffee's QR paid a second time at 17:00: a line of its own.
    sqlx::query(
        "INSERT INTO payments (charge_id, merchant_id, hash, payer_account_id, to_account_id, \
             currency, amount, known_currency, amount_minor, counted, fit, charge_was, \
             paid_at, found_at) \
         VALUES ($1, $2, $3, 'dara@wing', $4, 'USD', '5', 'USD', 500, 1, 'exact', 'paid', $5, $5)",
    )
    .bind(coffee.unwrap())
    .bind(m.0)
    .bind("e".repeat(64))
    .bind(SHOP_ACCOUNT)
    .bind(d(17, 0))
    .execute(app.store.pool())
    .await
    .unwrap();
    insert(
        &app.store,
        other,
        &Fixture::paid(99_900, "USD", Some("not yours"), d(11, 0)),
    )
    .await;
}

/// A paid line: (created, paid, status, amount, currency, note, bill, hash n, late, received,
/// received currency, to, payment, rest of).
fn line(cells: [&'static str; 16]) -> Vec<&'static str> {
    cells.to_vec()
}

/// The expected CSV rows, as the database holds them (hand-written).
fn expected_rows() -> Vec<Vec<&'static str>> {
    let hash = |n: usize| -> &'static str { Box::leak(format!("{n:064x}").into_boxed_str()) };
    vec![
        line([
            "2026-11-23T23:50:00+07:00",
            "2026-11-24T00:05:00+07:00",
            "paid",
            "3.00",
            "USD",
            "tea, \"large\"\nto go",
            "FX000003",
            "#000003",
            "customer@wing",
            hash(3),
            "",
            "3.00",
            "USD",
            "shop@aclb",
            "exact",
            "",
        ]),
        line([
            "2026-11-24T08:58:00+07:00",
            "2026-11-24T09:00:00+07:00",
            "paid",
            "5.00",
            "USD",
            "coffee",
            "FX000001",
            "#000001",
            "customer@wing",
            hash(1),
            "",
            "5.00",
            "USD",
            "shop@aclb",
            "exact",
            "",
        ]),
        line([
            "2026-11-24T10:13:00+07:00",
            "2026-11-24T10:15:00+07:00",
            "paid",
            "20000",
            "KHR",
            KHMER_NOTE,
            "FX000002",
            "#000002",
            "customer@wing",
            hash(2),
            "",
            "20000",
            "KHR",
            "shop@aclb",
            "exact",
            "",
        ]),
        line([
            "2026-11-24T12:58:00+07:00",
            "2026-11-24T13:00:00+07:00",
            "paid",
            "12.50",
            "USD",
            "",
            "FX000004",
            "#000004",
            "customer@wing",
            hash(4),
            "cancelled",
            "12.50",
            "USD",
            "shop@aclb",
            "exact",
            "",
        ]),
        line([
            "2026-11-24T13:58:00+07:00",
            "2026-11-24T14:00:00+07:00",
            "not matching",
            "4.00",
            "USD",
            "cake",
            "FX000005",
            "#000005",
            "customer@wing",
            hash(5),
            "",
            "3.00",
            "USD",
            "other@wing",
            "did not reach your account",
            "",
        ]),
        line([
            "2026-11-24T14:50:00+07:00",
            "",
            "expired",
            "10000",
            "KHR",
            "",
            "FX000006",
            "#000006",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]),
        line([
            "2026-11-24T15:58:00+07:00",
            "2026-11-24T16:00:00+07:00",
            "paid in part",
            "4.00",
            "USD",
            "juice",
            "FX000007",
            "#000007",
            "customer@wing",
            hash(7),
            "",
            "3.00",
            "USD",
            "shop@aclb",
            "less than asked",
            "",
        ]),
        line([
            "2026-11-24T08:58:00+07:00",
            "2026-11-24T17:00:00+07:00",
            "paid",
            "5.00",
            "USD",
            "coffee",
            "FX000001",
            "#000001",
            "dara@wing",
            "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
            "",
            "5.00",
            "USD",
            "shop@aclb",
            "exact · another payment of the bill",
            "",
        ]),
    ]
}

const HEADERS: [&str; 16] = [
    "Created",
    "Paid at",
    "Status",
    "Amount",
    "Currency",
    "Note",
    "Bill number",
    "Reference",
    "Payer",
    "Bakong hash",
    "Paid late after",
    "Received",
    "Received currency",
    "Received to",
    "Payment",
    "Rest of bill",
];

/// Excel's serial date-time of a Phnom Penh wall-clock time.
fn serial(unix: i64) -> f64 {
    (unix + 7 * 3600) as f64 / 86_400.0 + 25_569.0
}

/// The CSV of `/export 2026-11-24` in `csv_and_xlsx_equal_the_database_rows`, shown in
/// docs/bot.md.
const DOCS_EXAMPLE: &str = "docs/examples/export-2026-11-24.csv";

#[tokio::test]
async fn csv_and_xlsx_equal_the_database_rows() {
    let mut app = TestApp::spawn_with(FAST).await;
    let (sokha, dara) = (TgUser::english(14_101), TgUser::english(14_102));
    let m = shop(&app, &sokha).await;
    let other = shop(&app, &dara).await;
    fixtures(&app, m, other).await;
    app.set_clock(pp(2026, 11, 30, 12, 0));

    let (csv_bytes, xlsx_bytes, caption) = export(&app, &sokha, "/export 2026-11-24").await;
    assert_eq!(
        last_two_document_names(&app, &sokha),
        ["khqr-2026-11-24.csv", "khqr-2026-11-24.xlsx"]
    );
    assert_eq!(
        caption,
        "📊 Day 2026-11-24: 8 rows\n\
         💵 $28.50 received · 5 payment(s)\n\
         ⚠️ of which $20.50 to look at\n\
         💵 20,000 ៛ received · 1 payment(s)\n\
         One row per payment, when the customer paid (a bill paid twice has two rows); charges \
         without a payment when they ended, open ones when created. Received is what reached \
         your account; the totals are its sum. Times are Phnom Penh time (UTC+7)."
    );

    // CSV: BOM, RFC 4180 (CRLF records, quoted fields), the rows of the database.
    assert!(csv_bytes.starts_with(BOM), "no BOM");
    let text = std::str::from_utf8(&csv_bytes[3..]).unwrap();
    assert!(text.starts_with("Created,Paid at,Status,"), "{text}");
    assert!(text.contains("\r\n"));
    assert!(text.contains("\"tea, \"\"large\"\"\nto go\""), "{text}");
    let mut reader = csv::Reader::from_reader(&csv_bytes[3..]);
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        HEADERS
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect();
    assert_eq!(rows, expected_rows());
    assert!(!text.contains("not yours") && !text.contains("99.00"));
    // The "Received" column of the counted payments adds up to the totals.
    let counted_usd: f64 = rows
        .iter()
        .filter(|r| r[12] == "USD" && r[14] != "did not reach your account")
        .map(|r| r[11].parse::<f64>().unwrap())
        .sum();
    assert!((counted_usd - 28.5).abs() < 1e-9, "{counted_usd}");
    // This export is the example in docs/bot.md (`RENDER_BLESS=1` rewrites it).
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DOCS_EXAMPLE);
    if std::env::var_os("RENDER_BLESS").is_some() {
        std::fs::write(&example, &csv_bytes).unwrap();
    } else {
        let docs = std::fs::read(&example)
            .unwrap_or_else(|e| panic!("{DOCS_EXAMPLE}: {e} (RENDER_BLESS=1 writes it)"));
        assert!(docs == csv_bytes, "the export differs from {DOCS_EXAMPLE}");
    }

    // The same rows in the workbook, typed.
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx_bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec!["Charges", "Totals"]);
    let sheet = book.worksheet_range("Charges").unwrap();
    let cells: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    assert_eq!(cells.len(), 1 + expected_rows().len());
    let head: Vec<String> = cells[0].iter().map(|c| c.to_string()).collect();
    assert_eq!(head, HEADERS);
    let times = [
        (pp(2026, 11, 23, 23, 50), Some(pp(2026, 11, 24, 0, 5))),
        (pp(2026, 11, 24, 8, 58), Some(pp(2026, 11, 24, 9, 0))),
        (pp(2026, 11, 24, 10, 13), Some(pp(2026, 11, 24, 10, 15))),
        (pp(2026, 11, 24, 12, 58), Some(pp(2026, 11, 24, 13, 0))),
        (pp(2026, 11, 24, 13, 58), Some(pp(2026, 11, 24, 14, 0))),
        (pp(2026, 11, 24, 14, 50), None),
        (pp(2026, 11, 24, 15, 58), Some(pp(2026, 11, 24, 16, 0))),
        (pp(2026, 11, 24, 8, 58), Some(pp(2026, 11, 24, 17, 0))),
    ];
    let amounts = [3.0, 5.0, 20_000.0, 12.5, 4.0, 10_000.0, 4.0, 5.0];
    let received = [
        Some(3.0),
        Some(5.0),
        Some(20_000.0),
        Some(12.5),
        Some(3.0),
        None,
        Some(3.0),
        Some(5.0),
    ];
    for (i, (row, want)) in cells[1..].iter().zip(expected_rows()).enumerate() {
        let Data::DateTime(created) = &row[0] else {
            panic!("row {i}: created is {:?}", row[0]);
        };
        assert!(
            (created.as_f64() - serial(times[i].0)).abs() < 1e-6,
            "row {i}"
        );
        match (&row[1], times[i].1) {
            (Data::DateTime(paid), Some(t)) => {
                assert!((paid.as_f64() - serial(t)).abs() < 1e-6, "row {i}");
            }
            (Data::Empty, None) => {}
            (other, t) => panic!("row {i}: paid at {other:?}, want {t:?}"),
        }
        assert_eq!(row[3], Data::Float(amounts[i]), "row {i}");
        match received[i] {
            Some(r) => assert_eq!(row[11], Data::Float(r), "row {i}"),
            None => assert_eq!(row[11], Data::Empty, "row {i}"),
        }
        for col in [2, 4, 5, 6, 7, 8, 9, 10, 12, 13, 14, 15] {
            let got = match &row[col] {
                Data::Empty => String::new(),
                Data::String(s) => s.clone(),
                other => panic!("row {i} col {col}: {other:?}"),
            };
            assert_eq!(got, want[col], "row {i} col {col}");
        }
    }
    let totals = book.worksheet_range("Totals").unwrap();
    let totals: Vec<Vec<String>> = totals
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let find = |label: &str| {
        totals
            .iter()
            .find(|r| r.first().map(String::as_str) == Some(label))
            .cloned()
            .unwrap_or_else(|| panic!("no {label} row in {totals:?}"))
    };
    assert_eq!(find("USD")[1..4], ["5", "28.5", "20.5"]);
    assert_eq!(find("KHR")[1..4], ["1", "20000", "0"]);
    assert_eq!(find("Transfers that did not reach you")[1], "1");
    assert_eq!(find("paid")[1], "4", "each charge once");
    assert_eq!(find("paid in part")[1], "1");
    assert_eq!(find("not matching")[1], "1");
    assert_eq!(find("expired")[1], "1");
    assert_eq!(find("failed")[1], "0");
    assert!(
        totals
            .iter()
            .flatten()
            .any(|c| c.starts_with("One row per payment"))
    );

    // The other seller's export has only their own charge.
    let (csv_bytes, _, _) = export(&app, &dara, "/export 2026-11").await;
    let mut reader = csv::Reader::from_reader(&csv_bytes[3..]);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][5], "not yours");
    app.stop().await;
}

/// A Khmer seller gets Khmer headers and sheet names; a range and a month both work.
#[tokio::test]
async fn khmer_headers_and_longer_periods() {
    let mut app = TestApp::spawn_with(FAST).await;
    let (sokha, dara) = (TgUser::khmer(14_111), TgUser::english(14_112));
    let m = shop(&app, &sokha).await;
    let other = shop(&app, &dara).await;
    fixtures(&app, m, other).await;
    app.set_clock(pp(2026, 11, 30, 12, 0));

    let (csv_bytes, xlsx_bytes, _) = export(&app, &sokha, "/export 2026-11-23..2026-11-25").await;
    assert_eq!(
        last_two_document_names(&app, &sokha),
        [
            "khqr-2026-11-23_2026-11-25.csv",
            "khqr-2026-11-23_2026-11-25.xlsx"
        ]
    );
    let mut reader = csv::Reader::from_reader(&csv_bytes[3..]);
    assert_eq!(&reader.headers().unwrap()[5], "កំណត់ចំណាំ");
    let notes: Vec<String> = reader.records().map(|r| r.unwrap()[5].to_owned()).collect();
    // All this seller's lines (nine charges, one paid twice), in the order they count
    // (yesterday's first).
    assert_eq!(notes.len(), 10);
    assert_eq!(notes[0], "yesterday");
    assert_eq!(notes[3], KHMER_NOTE);
    assert_eq!(notes[9], "tomorrow");
    let book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx_bytes)).unwrap();
    assert_eq!(book.sheet_names(), vec!["ការគិតប្រាក់", "សរុប"]);

    let (csv_bytes, _, caption) = export(&app, &sokha, "/export 2026-11").await;
    assert!(
        caption.starts_with("📊 ខែ (2026-11-01 – 2026-11-30)៖ 10 ជួរ"),
        "{caption}"
    );
    assert_eq!(
        csv::Reader::from_reader(&csv_bytes[3..]).records().count(),
        10
    );
    app.stop().await;
}

#[tokio::test]
async fn bad_periods_are_answered_and_nothing_is_sent() {
    let mut app = TestApp::spawn_with(FAST).await;
    let sokha = TgUser::english(14_121);
    let m = shop(&app, &sokha).await;
    insert(
        &app.store,
        m,
        &Fixture::paid(500, "USD", None, pp(2026, 11, 24, 9, 0)),
    )
    .await;
    app.set_clock(pp(2026, 11, 30, 12, 0));
    let since = app.telegram.call_count();
    for (command, answer) in [
        (
            "/export tomorrow",
            "Send /export (today), /export yesterday",
        ),
        ("/export 2026-11-31", "Send /export (today)"),
        ("/export 2026-12", "2026-12-01 has not come yet."),
        (
            "/export 2026-11-01..2026-12-05",
            "2026-12-05 has not come yet.",
        ),
        (
            "/export 2026-11-30..2026-11-01",
            "The period ends (2026-11-01) before it starts (2026-11-30).",
        ),
        (
            "/export 2025-01-01..2026-11-30",
            "That period has 699 days; at most 366 at once.",
        ),
        // /history reads the same periods.
        (
            "/history 2026-11-30..2026-11-01",
            "The period ends (2026-11-01)",
        ),
        (
            "/history 2026-11-24..2026-11-25",
            "📊 2026-11-24 – 2026-11-25\n💵 USD: $5.00 received · 1 payment(s)",
        ),
        // An empty period says so.
        (
            "/export yesterday",
            "📊 Yesterday (2026-11-29): no charges in this period",
        ),
    ] {
        // (A /history with a payment is a chart captioned by the summary.)
        let got = app.say_or_caption(&sokha, command).await;
        assert!(got.starts_with(answer), "{command}: {got}");
    }
    assert!(documents(&app, &sokha, since).is_empty());
    app.stop().await;
}
