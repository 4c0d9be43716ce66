//! `/export [today|yesterday|week|month|YYYY-MM|YYYY-MM-DD..YYYY-MM-DD]`: the
//! period's charges as two documents, a CSV and an XLSX workbook.
//!
//! **Which lines.** A seller reconciles money received, so each payment of the ledger is a
//! line of its own when the customer paid (`paid_at`, Phnom Penh days) — a charge created
//! yesterday and paid today is in today's export, a QR paid twice has two lines. A charge
//! without a payment counts when it ended (expired, failed, cancelled, not verified), an open
//! one when it was created (`Store::export_rows`). The "Received" column's sums per currency
//! are the totals, as `/history` shows them. The caption and the totals sheet say so.
//!
//! **Files.** CSV: RFC 4180 (CRLF, quoted when needed), UTF-8 with a byte-order mark so
//! Excel shows Khmer, times ISO 8601 in Phnom Penh time with `+07:00`, amounts as decimal
//! text with the currency's decimals. XLSX (rust_xlsxwriter): the same rows with typed
//! date-times (Phnom Penh wall clock) and amounts as numbers (USD `0.00`, KHR `0`), plus a
//! totals sheet.
//!
//! **Spreadsheet formulas.** A CSV cell that begins with `=`, `+`, `-`, `@`, a tab or a
//! carriage return is run as a formula by Excel and LibreOffice (a note such as
//! `=2+5+cmd|' /C calc'!A0`): such a cell gets a leading `'`, Excel's own mark for "text"
//! ([`csv_cell`]). The XLSX needs none: its cells are written as strings, never formulas.
//! Notes are shown without bidirectional controls or invisible characters
//! (`StrangerText::bare`).
//!
//! **Bounded memory.** Rows come from SQLite as a stream and cross a bounded channel
//! ([`CHANNEL_ROWS`]) to one blocking writer, which appends each to the CSV file (buffered)
//! and to the charges sheet, which is in rust_xlsxwriter's constant-memory mode (each row
//! goes to a temporary file once the next one starts). Only the totals per currency and
//! status are kept. Both files live in a temporary directory removed after the upload.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use teloxide::prelude::*;
use teloxide::types::InputFile;
use tokio::sync::mpsc;

use super::period::{Period, parse_period};
use crate::i18n::Lang;
use crate::khqr::Currency;
use crate::render::format_minor_units;
use crate::store::{Arrival, ChargeStatus, ExportRow, PaidAfter};
use crate::t;
use crate::time::{UnixSecs, in_phnom_penh};

use super::period_words::{period_refusal, period_title};
use crate::bot::HandlerResult;
use crate::bot::caller::Shop;
use crate::bot::charge::bill_ref::BillRef;
use crate::bot::followups::money_words::payment_word;
use crate::bot::followups::status_word;
use crate::bot::stranger_text::StrangerText;
use crate::bot::turn::Turn;

/// Rows in flight between the database stream and the file writer.
const CHANNEL_ROWS: usize = 256;
/// Telegram's limit for a document a bot uploads.
const MAX_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;
/// Phnom Penh's offset, for the XLSX wall-clock times.
const UTC_OFFSET_SECS: i64 = 7 * 3600;

/// `2026-12-01T21:30:05+07:00`.
fn iso(t: UnixSecs) -> String {
    in_phnom_penh(t).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// Minor units as a decimal number text (`12.50`, `20000`).
fn decimal(minor: u64, currency: Currency) -> String {
    match currency.decimals() {
        0 => minor.to_string(),
        d => {
            let unit = 10u64.pow(d);
            format!("{}.{:0w$}", minor / unit, minor % unit, w = d as usize)
        }
    }
}

fn number(minor: u64, currency: Currency) -> f64 {
    // ok: amounts far below 2^53 minor units are exact as f64.
    minor as f64 / 10f64.powi(currency.decimals() as i32) // ok: 0 or 2
}

/// The localized texts the files carry (made on the async side: the writer only writes).
struct Texts {
    headers: Vec<String>,
    charges_sheet: String,
    totals_sheet: String,
    totals_headers: [String; 4],
    lang: Lang,
    after_cancelled: String,
    after_expired: String,
    after_discarded: String,
    after_failed: String,
    after_unverified: String,
    not_counted_header: String,
    rule: String,
    period: String,
    status_header: String,
    count_header: String,
}

/// The totals sheet's rows, in this order; a status not listed (a new one) still gets a row
/// when the period has it, after these.
const STATUSES: [ChargeStatus; 8] = [
    ChargeStatus::Paid,
    ChargeStatus::Underpaid,
    ChargeStatus::Mismatch,
    ChargeStatus::Expired,
    ChargeStatus::Failed,
    ChargeStatus::Cancelled,
    ChargeStatus::Unverified,
    ChargeStatus::Pending,
];

impl Texts {
    fn new(lang: Lang, period: &Period) -> Self {
        Self {
            headers: vec![
                t!(lang, "export-col-created"),
                t!(lang, "export-col-paid"),
                t!(lang, "export-col-status"),
                t!(lang, "export-col-amount"),
                t!(lang, "export-col-currency"),
                t!(lang, "export-col-note"),
                t!(lang, "export-col-bill"),
                t!(lang, "export-col-reference"),
                t!(lang, "export-col-payer"),
                t!(lang, "export-col-hash"),
                t!(lang, "export-col-late"),
                t!(lang, "export-col-received"),
                t!(lang, "export-col-received-currency"),
                t!(lang, "export-col-received-to"),
                t!(lang, "export-col-payment"),
                t!(lang, "export-col-rest-of"),
            ],
            charges_sheet: t!(lang, "export-sheet-charges"),
            totals_sheet: t!(lang, "export-sheet-totals"),
            totals_headers: [
                t!(lang, "export-col-currency"),
                t!(lang, "export-totals-paid-count"),
                t!(lang, "export-totals-paid-sum"),
                t!(lang, "export-totals-attention"),
            ],
            lang,
            after_cancelled: t!(lang, "export-late-cancelled"),
            after_expired: t!(lang, "export-late-expired"),
            after_discarded: t!(lang, "export-late-discarded"),
            after_failed: t!(lang, "export-late-failed"),
            after_unverified: t!(lang, "export-late-unverified"),
            not_counted_header: t!(lang, "export-totals-not-counted"),
            rule: t!(lang, "export-rule"),
            period: period_title(lang, period),
            status_header: t!(lang, "export-col-status"),
            count_header: t!(lang, "export-totals-count"),
        }
    }

    fn status(&self, s: ChargeStatus) -> String {
        status_word(self.lang, s)
    }
}

/// Columns of a line.
const COLUMNS: usize = 16;

/// One line's cells as text (the CSV; the XLSX types some of them).
fn cells(t: &Texts, r: &ExportRow) -> [String; COLUMNS] {
    // Late after: a payment found after its charge had ended without money.
    let after = match &r.payment {
        Some(p) => p.late_after(),
        None => r.paid_after,
    };
    let late = match after {
        Some(PaidAfter::Cancelled) => t.after_cancelled.clone(),
        Some(PaidAfter::Expired) => t.after_expired.clone(),
        Some(PaidAfter::Discarded) => t.after_discarded.clone(),
        Some(PaidAfter::Failed) => t.after_failed.clone(),
        Some(PaidAfter::Unverified) => t.after_unverified.clone(),
        None => String::new(),
    };
    let p = r.payment.as_ref();
    let (received, received_currency) = match p.map(|p| p.arrival) {
        Some(arrival) => match arrival.readable() {
            Some(m) => (decimal(m.minor, m.currency), m.currency.alpha().to_owned()),
            None => (
                p.map(|p| p.amount.clone()).unwrap_or_default(),
                p.map(|p| p.currency.clone()).unwrap_or_default(),
            ),
        },
        None => (String::new(), String::new()),
    };
    [
        iso(r.created_at),
        p.map(|p| iso(p.paid_at)).unwrap_or_default(),
        t.status(r.status),
        decimal(r.amount_minor, r.currency),
        r.currency.alpha().to_owned(),
        StrangerText(r.note.as_deref().unwrap_or_default())
            .bare()
            .into_owned(),
        r.bill_number.clone(),
        BillRef::of(&r.bill_number).to_string(),
        p.map(|p| p.payer_account.clone()).unwrap_or_default(),
        p.map(|p| p.hash.clone()).unwrap_or_default(),
        late,
        received,
        received_currency,
        p.map(|p| p.to_account.clone()).unwrap_or_default(),
        p.map(|p| payment_word(t.lang, p)).unwrap_or_default(),
        r.rest_of.clone().unwrap_or_default(),
    ]
}

/// A cell as the CSV carries it: one a spreadsheet would read as a formula gets a leading
/// `'` (the XLSX keeps the text as it is, typed as a string).
fn csv_cell(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

#[derive(Debug, thiserror::Error)]
enum ExportError {
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    #[error("xlsx: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
}

/// What arrived in one currency: counted payments, their sum, and what of it needs a look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Received {
    currency: Currency,
    count: u64,
    sum: u64,
    attention: u64,
}

/// Totals kept while the rows stream past.
#[derive(Default)]
struct Totals {
    rows: u64,
    /// Per currency; USD first once the rows are written.
    received: Vec<Received>,
    /// Transfers that did not reach the seller.
    not_counted: u64,
    /// Charges per status (each once: a second payment's line is not counted again).
    statuses: Vec<(ChargeStatus, u64)>,
}

impl Totals {
    fn add(&mut self, r: &ExportRow) {
        self.rows += 1;
        if let Some(p) = &r.payment {
            match p.arrival {
                Arrival::Counted { money, .. } => {
                    let look = if p.needs_attention() { money.minor } else { 0 };
                    match self
                        .received
                        .iter_mut()
                        .find(|t| t.currency == money.currency)
                    {
                        Some(t) => {
                            t.count += 1;
                            t.sum = t.sum.saturating_add(money.minor);
                            t.attention = t.attention.saturating_add(look);
                        }
                        None => self.received.push(Received {
                            currency: money.currency,
                            count: 1,
                            sum: money.minor,
                            attention: look,
                        }),
                    }
                }
                Arrival::NotCounted { .. } => self.not_counted += 1,
            }
            if p.charge_was.has_payment() {
                return;
            }
        }
        match self.statuses.iter_mut().find(|(s, _)| *s == r.status) {
            Some((_, n)) => *n += 1,
            None => self.statuses.push((r.status, 1)),
        }
    }
}

/// The two files of one export.
struct Files {
    csv: PathBuf,
    xlsx: PathBuf,
    totals: Totals,
}

/// The charges sheet's formats.
struct Formats {
    header: Format,
    time: Format,
    usd: Format,
    khr: Format,
}

fn write_header(sheet: &mut Worksheet, t: &Texts, f: &Formats) -> Result<(), XlsxError> {
    for (col, h) in t.headers.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX); // ok: 15 columns
        sheet.write_string_with_format(0, col, h, &f.header)?;
        sheet.set_column_width(col, if col < 2 { 20 } else { 16 })?;
    }
    Ok(())
}

/// The XLSX column of "Received" (a number when it can be read).
const RECEIVED_COL: u16 = 11;

fn write_xlsx_row(
    sheet: &mut Worksheet,
    row: u32,
    r: &ExportRow,
    text: &[String; COLUMNS],
    f: &Formats,
) -> Result<(), XlsxError> {
    let time = |t: UnixSecs| ExcelDateTime::from_timestamp(t + UTC_OFFSET_SECS);
    let money_format = |c: Currency| if c == Currency::Usd { &f.usd } else { &f.khr };
    sheet.write_datetime_with_format(row, 0, time(r.created_at)?, &f.time)?;
    if let Some(p) = &r.payment {
        sheet.write_datetime_with_format(row, 1, time(p.paid_at)?, &f.time)?;
    }
    sheet.write_string(row, 2, &text[2])?;
    sheet.write_number_with_format(
        row,
        3,
        number(r.amount_minor, r.currency),
        money_format(r.currency),
    )?;
    let readable = r.payment.as_ref().and_then(|p| p.arrival.readable());
    for col in 4..u16::try_from(COLUMNS).unwrap_or(u16::MAX) {
        let cell = &text[usize::from(col)];
        match readable {
            Some(m) if col == RECEIVED_COL => {
                sheet.write_number_with_format(
                    row,
                    col,
                    number(m.minor, m.currency),
                    money_format(m.currency),
                )?;
            }
            _ if !cell.is_empty() => {
                sheet.write_string(row, col, cell)?;
            }
            _ => {}
        }
    }
    Ok(())
}

fn write_totals(
    sheet: &mut Worksheet,
    t: &Texts,
    totals: &Totals,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(&t.totals_sheet)?;
    sheet.write_string(0, 0, &t.period)?;
    sheet.write_string(1, 0, &t.rule)?;
    for (col, h) in t.totals_headers.iter().enumerate() {
        let col = u16::try_from(col).unwrap_or(u16::MAX); // ok: 4 columns
        sheet.write_string_with_format(3, col, h, &f.header)?;
        sheet.set_column_width(col, 18)?;
    }
    let mut row = 4;
    for r in &totals.received {
        let money = if r.currency == Currency::Usd {
            &f.usd
        } else {
            &f.khr
        };
        sheet.write_string(row, 0, r.currency.alpha())?;
        // ok: counts far below 2^53
        sheet.write_number(row, 1, r.count as f64)?;
        sheet.write_number_with_format(row, 2, number(r.sum, r.currency), money)?;
        sheet.write_number_with_format(row, 3, number(r.attention, r.currency), money)?;
        row += 1;
    }
    row += 1;
    sheet.write_string_with_format(row, 0, &t.not_counted_header, &f.header)?;
    sheet.write_number(row, 1, totals.not_counted as f64)?; // ok: a count far below 2^53
    row += 2;
    sheet.write_string_with_format(row, 0, &t.status_header, &f.header)?;
    sheet.write_string_with_format(row, 1, &t.count_header, &f.header)?;
    row += 1;
    let others = totals
        .statuses
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| !STATUSES.contains(s));
    for status in STATUSES.into_iter().chain(others) {
        let n = totals
            .statuses
            .iter()
            .find(|(s, _)| *s == status)
            .map_or(0, |(_, n)| *n);
        sheet.write_string(row, 0, t.status(status))?;
        sheet.write_number(row, 1, n as f64)?; // ok: counts far below 2^53
        row += 1;
    }
    Ok(())
}

/// The blocking writer: every row received goes to the CSV and the charges sheet.
fn write_files(
    dir: &Path,
    base: &str,
    t: &Texts,
    mut rows: mpsc::Receiver<ExportRow>,
) -> Result<Files, ExportError> {
    let csv_path = dir.join(format!("{base}.csv"));
    let xlsx_path = dir.join(format!("{base}.xlsx"));
    let mut out = BufWriter::new(File::create(&csv_path)?);
    out.write_all("\u{feff}".as_bytes())?;
    let mut csv = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(out);
    csv.write_record(&t.headers)?;

    let f = Formats {
        header: Format::new().set_bold(),
        time: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
        usd: Format::new().set_num_format("0.00"),
        khr: Format::new().set_num_format("0"),
    };
    let mut book = Workbook::new();
    book.set_tempdir(dir)?;
    let sheet = book.add_worksheet_with_constant_memory()?;
    sheet.set_name(&t.charges_sheet)?;
    write_header(sheet, t, &f)?;
    let mut totals = Totals::default();
    let mut row: u32 = 1;
    while let Some(r) = rows.blocking_recv() {
        let text = cells(t, &r);
        csv.write_record(text.iter().map(|c| csv_cell(c).into_owned()))?;
        write_xlsx_row(sheet, row, &r, &text, &f)?;
        totals.add(&r);
        row = row.saturating_add(1);
    }
    csv.flush()?;
    totals.received.sort_by_key(|r| r.currency != Currency::Usd);
    let totals_sheet = book.add_worksheet();
    write_totals(totals_sheet, t, &totals, &f)?;
    book.save(&xlsx_path)?;
    Ok(Files {
        csv: csv_path,
        xlsx: xlsx_path,
        totals,
    })
}

/// `khqr-2026-12-01` or `khqr-2026-11-01_2026-11-30`.
fn base_name(p: &Period) -> String {
    if p.first == p.last {
        format!("khqr-{}", p.first)
    } else {
        format!("khqr-{}_{}", p.first, p.last)
    }
}

/// `/export [period]`.
pub(in crate::bot) async fn command(turn: &Turn, shop: &Shop, arg: &str) -> HandlerResult {
    let (ctx, lang, m) = (&*turn.ctx, turn.lang(), &shop.merchant);
    let period = match parse_period(arg, ctx.clock.unix_secs()) {
        Ok(p) => p,
        Err(e) => {
            return turn
                .reply(period_refusal(lang, &e, t!(lang, "export-usage")))
                .await;
        }
    };
    let dir = tempfile::tempdir()?;
    let texts = Texts::new(lang, &period);
    let base = base_name(&period);
    let (tx, rx) = mpsc::channel(CHANNEL_ROWS);
    let writer = {
        let dir = dir.path().to_owned();
        tokio::task::spawn_blocking(move || write_files(&dir, &base, &texts, rx))
    };
    let mut rows = std::pin::pin!(ctx.store.export_rows(m.id, period.start(), period.end()));
    let mut read = Ok(());
    while let Some(row) = rows.next().await {
        match row {
            // A closed channel means the writer failed: its error is reported below.
            Ok(r) => {
                if tx.send(r).await.is_err() {
                    break;
                }
            }
            Err(e) => {
                read = Err(e);
                break;
            }
        }
    }
    drop(tx);
    let files = writer.await??;
    read?;
    if files.totals.rows == 0 {
        return turn
            .reply(t!(
                lang,
                "export-empty",
                period = period_title(lang, &period)
            ))
            .await;
    }
    for path in [&files.csv, &files.xlsx] {
        if std::fs::metadata(path)?.len() > MAX_UPLOAD_BYTES {
            return turn.reply(t!(lang, "export-too-big")).await;
        }
    }
    let mut sums: Vec<String> = Vec::new();
    for r in &files.totals.received {
        sums.push(t!(
            lang,
            "export-caption-paid",
            count = r.count.to_string(),
            sum = format_minor_units(r.sum, r.currency)
        ));
        if r.attention > 0 {
            sums.push(t!(
                lang,
                "export-caption-attention",
                sum = format_minor_units(r.attention, r.currency)
            ));
        }
    }
    if sums.is_empty() {
        sums.push(t!(lang, "close-no-payments"));
    }
    let caption = t!(
        lang,
        "export-caption",
        period = period_title(lang, &period),
        count = files.totals.rows,
        paid = sums.join("\n"),
        rule = t!(lang, "export-rule")
    );
    for (path, caption) in [(&files.csv, Some(caption)), (&files.xlsx, None)] {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut send = turn
            .bot
            .send_document(turn.chat(), InputFile::file(path.clone()).file_name(name));
        if let Some(caption) = caption {
            send = send.caption(caption);
        }
        send.await?;
    }
    drop(dir);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_as_decimal_text() {
        assert_eq!(decimal(1250, Currency::Usd), "12.50");
        assert_eq!(decimal(5, Currency::Usd), "0.05");
        assert_eq!(decimal(20_000, Currency::Khr), "20000");
        assert_eq!(number(1250, Currency::Usd), 12.5);
        assert_eq!(number(20_000, Currency::Khr), 20_000.0);
    }

    #[test]
    fn times_carry_the_phnom_penh_offset() {
        // 2026-01-01T00:00:00Z is 07:00 in Phnom Penh.
        assert_eq!(iso(1_767_225_600), "2026-01-01T07:00:00+07:00");
    }
}
