//! `/history` with its chart (issue 14 item 3): the store's per-hour and per-day totals
//! against hand-computed fixtures (Phnom Penh days, not UTC days; another seller's charges
//! never counted), and end to end in the Telegram emulator: one photo whose caption is the
//! summary, the text alone for a period without payments, a long summary after its photo.
//!
//! The week chart of `history_week_is_one_photo_with_the_summary_as_caption` is the one in
//! docs/images/history-week.png; regenerate it after an intended design change with
//! `RENDER_BLESS=1 cargo test --test it bot::history_chart::`, then look at it.

use std::path::Path;

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::TgUser;
use crate::support::render::{differing_pixels, load_rgb};
use khqr_bot::bot::reports::period::parse_period;
use khqr_bot::i18n::Lang;
use khqr_bot::khqr::Currency;
use khqr_bot::store::{BucketTotal, BucketWidth, MerchantId, Store};
use khqr_bot::time::{LocalDate, UnixSecs};

const DOCS_IMAGE: &str = "docs/images/history-week.png";

fn date(y: i32, m: u8, d: u8) -> LocalDate {
    LocalDate::new(y, m, d).unwrap()
}

/// Unix time of a Phnom Penh wall-clock time.
fn pp(day: LocalDate, hh: i64, mm: i64) -> UnixSecs {
    day.start() + hh * 3_600 + mm * 60
}

/// The week of the fixtures: Monday 23 to Sunday 29 November 2026; "now" is Thursday 15:00.
fn monday() -> LocalDate {
    date(2026, 11, 23)
}

fn now() -> UnixSecs {
    pp(monday().add_days(3), 15, 0)
}

/// A charge row as the watcher leaves it, with its payment in the ledger. `paid_at` is when
/// the customer paid (paid and mismatch: here a transfer that went to another account),
/// `settled_at` when the bot settled it.
struct Row<'a> {
    minor: i64,
    currency: &'a str,
    note: &'a str,
    status: &'a str,
    at: UnixSecs,
}

async fn insert(store: &Store, merchant: MerchantId, chat: i64, r: Row<'_>) {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM charges")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let paid_at = matches!(r.status, "paid" | "mismatch").then_some(r.at);
    sqlx::query(
        "INSERT INTO charges (merchant_id, chat_id, message_id, bill_number, khqr, md5, \
             to_account_id, amount_minor, currency, note, status, created_at, expires_at, \
             next_poll_at, settled_at, bakong_hash, payer_account_id, paid_at) \
         VALUES ($1, $2, NULL, $3, $4, $5, 'sokha@aclb', $6, $7, $8, $9, $10, $11, $12, \
             $13, $14, 'payer@wing', $15)",
    )
    .bind(merchant.0)
    .bind(chat)
    .bind(format!("KB{n:012}"))
    .bind(format!("khqr-{n}"))
    .bind(format!("{n:032x}"))
    .bind(r.minor)
    .bind(r.currency)
    .bind(Some(r.note).filter(|n| !n.is_empty()))
    .bind(r.status)
    .bind(r.at - 60)
    .bind(r.at + 540)
    .bind(r.at + 540)
    .bind(r.at)
    .bind(format!("{n:064x}"))
    .bind(paid_at)
    .execute(store.pool())
    .await
    .unwrap();
    if let Some(paid_at) = paid_at {
        let counted = r.status == "paid";
        sqlx::query(
            "INSERT INTO payments (charge_id, merchant_id, hash, payer_account_id, \
                 to_account_id, currency, amount, known_currency, amount_minor, counted, fit, \
                 charge_was, paid_at, found_at) \
             SELECT id, merchant_id, bakong_hash, 'payer@wing', $2, currency, $3, currency, \
                 amount_minor, $4, $5, 'pending', $6, $6 FROM charges WHERE bill_number = $1",
        )
        .bind(format!("KB{n:012}"))
        .bind(if counted { "sokha@aclb" } else { "thief@aba" })
        .bind(r.minor.to_string())
        .bind(i64::from(counted))
        .bind(if counted { "exact" } else { "not_counted" })
        .bind(paid_at)
        .execute(store.pool())
        .await
        .unwrap();
    }
}

fn paid<'a>(minor: i64, currency: &'a str, note: &'a str, at: UnixSecs) -> Row<'a> {
    Row {
        minor,
        currency,
        note,
        status: "paid",
        at,
    }
}

/// The week's charges of `merchant`, and one paid charge of `other` on Thursday.
async fn the_week(store: &Store, merchant: MerchantId, chat: i64, other: (MerchantId, i64)) {
    let mon = monday();
    let (tue, wed, thu) = (mon.add_days(1), mon.add_days(2), mon.add_days(3));
    for row in [
        // Sunday of the week before, one minute before Monday: not this week.
        paid(700, "USD", "last week", pp(mon, 0, 0) - 60),
        // 23:59 on Monday is 16:59 UTC; 00:01 on Tuesday is 17:01 UTC, still Monday in UTC.
        paid(500, "USD", "iced latte", pp(mon, 23, 59)),
        paid(250, "USD", "croissant", pp(tue, 0, 1)),
        paid(20_000, "KHR", "noodles", pp(tue, 12, 0)),
        paid(8_000, "KHR", "tea", pp(wed, 7, 30)),
        paid(1_200, "USD", "catering", pp(thu, 9, 0)),
        // Money that went to another account, and a charge that expired: never in the
        // totals.
        Row {
            minor: 300,
            currency: "USD",
            note: "wrong account",
            status: "mismatch",
            at: pp(thu, 10, 0),
        },
        Row {
            minor: 400,
            currency: "USD",
            note: "",
            status: "expired",
            at: pp(thu, 11, 0),
        },
    ] {
        insert(store, merchant, chat, row).await;
    }
    insert(
        store,
        other.0,
        other.1,
        paid(9_900, "USD", "not mine", pp(thu, 10, 0)),
    )
    .await;
}

fn bucket(bucket: u32, currency: Currency, count: u64, sum_minor: u64) -> BucketTotal {
    BucketTotal {
        bucket,
        currency,
        count,
        sum_minor,
    }
}

#[tokio::test]
async fn buckets_are_phnom_penh_days_and_hours_of_one_seller() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&format!("sqlite://{}", dir.path().join("bot.db").display()))
        .await
        .unwrap();
    let a = store.ensure_merchant(1, 1, Lang::En, now()).await.unwrap();
    let b = store.ensure_merchant(2, 2, Lang::En, now()).await.unwrap();
    the_week(&store, a.id, 1, (b.id, 2)).await;

    let week = parse_period("week", now()).unwrap();
    assert_eq!((week.first, week.last), (monday(), monday().add_days(3)));
    let days = store
        .paid_by_bucket(a.id, week.start(), week.end(), BucketWidth::Day)
        .await
        .unwrap();
    assert_eq!(
        days,
        vec![
            bucket(0, Currency::Usd, 1, 500),
            bucket(1, Currency::Khr, 1, 20_000),
            bucket(1, Currency::Usd, 1, 250),
            bucket(2, Currency::Khr, 1, 8_000),
            bucket(3, Currency::Usd, 1, 1_200),
        ]
    );
    // Grouped by UTC days instead, 23:59 and 00:01 would share Monday.
    let tuesday = parse_period("2026-11-24", now()).unwrap();
    let hours = store
        .paid_by_bucket(a.id, tuesday.start(), tuesday.end(), BucketWidth::Hour)
        .await
        .unwrap();
    assert_eq!(
        hours,
        vec![
            bucket(0, Currency::Usd, 1, 250),
            bucket(12, Currency::Khr, 1, 20_000),
        ]
    );
    let monday_hours = store
        .paid_by_bucket(a.id, monday().start(), monday().end(), BucketWidth::Hour)
        .await
        .unwrap();
    assert_eq!(monday_hours, vec![bucket(23, Currency::Usd, 1, 500)]);
    // The sums agree with /history's totals.
    let summary = store
        .history_summary(a.id, week.start(), week.end())
        .await
        .unwrap();
    let totals: Vec<(Currency, u64, u64)> = summary
        .received
        .iter()
        .map(|t| (t.currency, t.count, t.sum_minor))
        .collect();
    assert_eq!(
        totals,
        vec![(Currency::Usd, 3, 1_950), (Currency::Khr, 2, 28_000)]
    );
    // The other seller sees only their own payment.
    let theirs = store
        .paid_by_bucket(b.id, week.start(), week.end(), BucketWidth::Day)
        .await
        .unwrap();
    assert_eq!(theirs, vec![bucket(3, Currency::Usd, 1, 9_900)]);
    // A period with nothing paid has no bucket.
    let sunday = monday().add_days(6);
    let none = store
        .paid_by_bucket(a.id, sunday.start(), sunday.end(), BucketWidth::Hour)
        .await
        .unwrap();
    assert!(none.is_empty());
}

/// A seller who finished /setup, with the week's charges; the app's clock at [`now`].
async fn seller_with_the_week(app: &TestApp, id: i64, lang: &str) -> TgUser {
    let user = TgUser::new(id, format!("User{id}")).with_language(lang);
    app.setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    let other = TgUser::english(id + 1);
    app.setup_merchant(&other, "other@aclb", "Other Shop", "Phnom Penh")
        .await;
    let m = app.merchant(&user).await.unwrap();
    let o = app.merchant(&other).await.unwrap();
    the_week(&app.store, m.id, user.id, (o.id, other.id)).await;
    app.set_clock(now());
    user
}

#[tokio::test]
async fn history_week_is_one_photo_with_the_summary_as_caption() {
    let app = TestApp::spawn().await;
    let user = seller_with_the_week(&app, 14_001, "en").await;
    let since = app.telegram.call_count();
    app.telegram.send_text(&user, "/history week");
    let photo = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(user.id), WAIT)
        .await
        .unwrap();
    assert!(photo.succeeded(), "{photo:?}");
    let expected = [
        "📊 This week (2026-11-23 – 2026-11-26)",
        "💵 USD: $19.50 received · 3 payment(s)",
        "💵 KHR: 28,000 ៛ received · 2 payment(s)",
        "🚫 1 transfer(s) did not reach your account (not counted)",
        "⌛ 1 expired · ❌ 0 failed · ✖️ 0 cancelled",
        "",
        "Latest payments:",
        "2026-11-26 • 09:00 $12.00 #000005 catering — from payer@wing",
        "2026-11-25 • 07:30 8,000 ៛ #000004 tea — from payer@wing",
        "2026-11-24 • 12:00 20,000 ៛ #000003 noodles — from payer@wing",
        "2026-11-24 • 00:01 $2.50 #000002 croissant — from payer@wing",
        "2026-11-23 • 23:59 $5.00 #000001 iced latte — from payer@wing",
    ]
    .join("\n");
    assert_eq!(photo.caption(), Some(expected.as_str()));

    // The photo is the chart: a card-wide PNG with two panels, the one in the docs.
    let png = photo.file("photo").expect("the uploaded chart");
    let chart = load_rgb(png);
    assert_eq!(chart.width(), 720);
    assert!(
        chart.height() > 900 && chart.height() < 1_400,
        "{}",
        chart.height()
    );
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DOCS_IMAGE);
    if std::env::var_os("RENDER_BLESS").is_some() {
        std::fs::write(&path, png).unwrap();
    } else {
        let docs = image::open(&path)
            .unwrap_or_else(|e| panic!("{DOCS_IMAGE}: {e} (RENDER_BLESS=1 writes it)"))
            .to_rgb8();
        assert_eq!(chart.dimensions(), docs.dimensions(), "layout changed");
        let diff = differing_pixels(&chart, &docs, 48);
        assert!(diff <= 50, "{diff} pixels differ from {DOCS_IMAGE}");
    }

    // Nothing else was sent: the caption is the whole answer. (The chat's updates are
    // handled in order, so /pending's answer comes after anything /history sends.)
    let pending = app.say(&user, "/pending").await;
    let texts: Vec<String> = app
        .telegram
        .calls()
        .into_iter()
        .skip(since)
        .filter(|c| c.is("sendMessage") && c.chat_id() == Some(user.id))
        .filter_map(|c| c.text().map(str::to_owned))
        .collect();
    assert_eq!(texts, vec![pending]);
}

#[tokio::test]
async fn history_today_in_khmer_charts_the_hours() {
    let app = TestApp::spawn().await;
    let user = seller_with_the_week(&app, 14_011, "km").await;
    let since = app.telegram.call_count();
    app.telegram.send_text(&user, "/history today");
    let photo = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(user.id), WAIT)
        .await
        .unwrap();
    let caption = photo.caption().unwrap_or_default();
    assert!(
        caption.starts_with("📊 ថ្ងៃនេះ (2026-11-26)\n💵 USD៖ បានទទួល $12.00 · ការទូទាត់ 1"),
        "{caption}"
    );
    assert!(!caption.contains("KHR"), "{caption}");
    assert_eq!(load_rgb(photo.file("photo").unwrap()).width(), 720);
}

#[tokio::test]
async fn a_period_without_payments_is_answered_with_text_alone() {
    let app = TestApp::spawn().await;
    let user = seller_with_the_week(&app, 14_021, "en").await;
    // Sunday of the week before holds only the "last week" payment; the 1st of November
    // nothing at all.
    let since = app.telegram.call_count();
    let answer = app.say(&user, "/history 2026-11-01").await;
    assert_eq!(answer, "📊 Day 2026-11-01\nNo payments received.");
    let last_week = app.say_or_caption(&user, "/history 2026-11-22").await;
    assert!(
        last_week.contains("USD: $7.00 received · 1 payment(s)"),
        "{last_week}"
    );
    let photos: Vec<String> = app
        .telegram
        .calls()
        .into_iter()
        .skip(since)
        .filter(|c| c.is("sendPhoto"))
        .filter_map(|c| c.caption().map(str::to_owned))
        .collect();
    assert_eq!(photos.len(), 1, "{photos:?}");
    assert!(photos[0].contains("2026-11-22"), "{photos:?}");
}

/// Ten latest payments with long notes make a summary longer than Telegram's 1024-character
/// caption: the photo carries the totals, and the full summary follows as before.
#[tokio::test]
async fn a_summary_too_long_for_a_caption_follows_the_photo_in_full() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(14_031);
    app.setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    let m = app.merchant(&user).await.unwrap();
    let note = "catering for the wedding party at the pagoda: rice, noodles and iced coffee";
    let thu = monday().add_days(3);
    for i in 0..12 {
        insert(
            &app.store,
            m.id,
            user.id,
            paid(100, "USD", note, pp(thu, 8, i)),
        )
        .await;
    }
    app.set_clock(now());
    let since = app.telegram.call_count();
    app.telegram.send_text(&user, "/history");
    let photo = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(user.id), WAIT)
        .await
        .unwrap();
    assert_eq!(
        photo.caption(),
        Some("📊 Today (2026-11-26)\n💵 USD: $12.00 received · 12 payment(s)")
    );
    let text = app.next_text(&user, since).await;
    let text = text.text().unwrap();
    assert!(text.encode_utf16().count() > 1024, "{text}");
    assert!(
        text.starts_with(
            "📊 Today (2026-11-26)\n💵 USD: $12.00 received · 12 payment(s)\n\nLatest payments:\n"
        ),
        "{text}"
    );
    assert_eq!(text.matches(note).count(), 10, "{text}");
}
