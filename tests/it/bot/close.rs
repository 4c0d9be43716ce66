//! End to end (issue 14): `/close` and the daily closing summary — its numbers against
//! hand-computed fixtures across days and currencies, exactly once across restarts, nothing on
//! a day without charges, `/close off`, and no other seller's charges. The real bot against
//! the Telegram emulator; time moves with the app's injected clock.

use std::time::Duration;

use super::close_fixtures::{Fixture, insert, pp};
use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::TgUser;
use khqr_bot::store::MerchantId;

const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];
const TITLE: &str = "🧾 Closing summary — ";

async fn shop(app: &TestApp, user: &TgUser) -> MerchantId {
    app.setup_merchant(user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    app.merchant(user).await.unwrap().id
}

fn summaries(app: &TestApp, user: &TgUser) -> Vec<String> {
    app.telegram
        .calls_of("sendMessage")
        .iter()
        .filter(|c| c.chat_id() == Some(user.id))
        .filter_map(|c| c.text().map(str::to_owned))
        .filter(|t| t.starts_with(TITLE) || t.starts_with("🧾 សេចក្ដីសង្ខេបបិទបញ្ជី — "))
        .collect()
}

async fn wait_summaries(app: &TestApp, user: &TgUser, n: usize) -> Vec<String> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let got = summaries(app, user);
        if got.len() >= n {
            return got;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {n} summaries arrived",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the loop has handled `merchant`'s closing time of `date` (`done_on`).
async fn wait_done_on(app: &TestApp, merchant: MerchantId, date: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let done: Option<String> =
            sqlx::query_scalar("SELECT done_on FROM close_settings WHERE merchant_id = $1")
                .bind(merchant.0)
                .fetch_one(app.store.pool())
                .await
                .unwrap();
        if done.as_deref() == Some(date) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "done_on is {done:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn queued_summaries(app: &TestApp, merchant: MerchantId) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM telegram_outbox WHERE merchant_id = $1 AND kind = 'close_summary'",
    )
    .bind(merchant.0)
    .fetch_one(app.store.pool())
    .await
    .unwrap()
}

/// Tuesday 2026-11-24 and the Tuesday before, in USD and KHR: paid, paid late, paid less
/// than asked, a transfer to another account, expired and failed, one created the day before
/// and paid that day, one paid after the closing time, another seller's sale.
async fn fixtures(app: &TestApp, m: MerchantId, other: MerchantId) {
    let d = |hh, mm| pp(2026, 11, 24, hh, mm);
    let mut all = vec![
        Fixture::paid(500, "USD", Some("coffee"), d(9, 0)),
        Fixture::paid(250, "USD", Some("coffee"), d(10, 0)),
        Fixture::paid(1200, "USD", Some("cake"), d(11, 0)),
        Fixture::paid(20_000, "KHR", Some("coffee"), d(12, 0)),
        // Created yesterday at 23:50, paid today at 00:05: today's.
        Fixture {
            created_at: pp(2026, 11, 23, 23, 50),
            ..Fixture::paid(300, "USD", Some("tea"), d(0, 5))
        },
        // Paid after its QR expired (late watch): counted as paid, and as paid late.
        Fixture {
            paid_after: Some("expired"),
            ..Fixture::paid(100, "USD", Some("tea"), d(13, 0))
        },
        // Less than asked: what arrived is counted (and is to look at).
        Fixture {
            status: "underpaid",
            arrived: Some((300, "USD", "shop@aclb")),
            ..Fixture::paid(400, "USD", Some("cake"), d(14, 0))
        },
        // A transfer that went to another account: never counted, counted apart.
        Fixture {
            status: "mismatch",
            arrived: Some((400, "USD", "thief@aba")),
            ..Fixture::paid(400, "USD", Some("cake"), d(14, 30))
        },
        Fixture::ended(10_000, "KHR", "expired", d(15, 0)),
        Fixture::ended(700, "USD", "failed", d(16, 0)),
        // After the 21:30 closing time: in the next day's summary (since 21:30).
        Fixture::paid(10_000, "USD", Some("late night"), d(22, 0)),
        // Yesterday and last week.
        Fixture::paid(5000, "USD", Some("coffee"), pp(2026, 11, 23, 18, 0)),
        Fixture::paid(1000, "USD", Some("coffee"), pp(2026, 11, 17, 10, 0)),
        Fixture::paid(3000, "USD", Some("coffee"), pp(2026, 11, 17, 22, 0)),
    ];
    for f in all.drain(..) {
        insert(&app.store, m, &f).await;
    }
    insert(
        &app.store,
        other,
        &Fixture::paid(99_900, "USD", Some("coffee"), d(10, 30)),
    )
    .await;
    insert(
        &app.store,
        other,
        &Fixture::paid(70_000, "KHR", Some("ស៊ុប"), d(11, 30)),
    )
    .await;
}

#[tokio::test]
async fn the_summary_adds_up_the_day_it_closes() {
    let mut app = TestApp::spawn_with(FAST).await;
    let (sokha, dara) = (TgUser::english(14_001), TgUser::english(14_002));
    let m = shop(&app, &sokha).await;
    let other = shop(&app, &dara).await;
    fixtures(&app, m, other).await;

    app.set_clock(pp(2026, 11, 24, 20, 0));
    let set = app.say(&sokha, "/close 21:30").await;
    assert!(set.contains("every day at 21:30"), "{set}");
    assert!(
        set.contains("the 24 hours up to 21:30 (from 21:30 the day before)"),
        "{set}"
    );
    assert_eq!(
        app.say(&sokha, "/close").await,
        "🧾 Your closing summary comes every day at 21:30 (Phnom Penh time). /close off stops it."
    );
    app.set_clock(pp(2026, 11, 24, 21, 30));
    let got = wait_summaries(&app, &sokha, 1).await;
    assert_eq!(
        got[0],
        "🧾 Closing summary — 2026-11-24, from yesterday 21:30 until today 21:30\n\
         💵 USD: $26.50 received · 6 payment(s)\n\
         ⚠️ of which $4.00 to look at (2: over, under, late, another payment or another currency)\n\
         💵 KHR: 20,000 ៛ received · 1 payment(s)\n\
         🚫 1 transfer(s) did not reach your account (not counted)\n\
         ⌛ 1 expired · ❌ 1 failed · ✖️ 0 cancelled\n\
         \n\
         Top items:\n\
         • cake — 2 × · $15.00\n\
         • coffee — 2 × · $7.50\n\
         • tea — 2 × · $4.00\n\
         • coffee — 1 × · 20,000 ៛\n\
         \n\
         Compared with the same weekday last week (2026-11-17):\n\
         USD: $26.50 vs $10.00 (+165%)\n\
         KHR: 20,000 ៛ (none last week)"
    );
    // The next day's summary starts at 21:30 of the 24th: the payment at 22:00, after
    // that close, is in it (and in no other).
    app.set_clock(pp(2026, 11, 25, 21, 30));
    let got = wait_summaries(&app, &sokha, 2).await;
    assert!(
        got[1].starts_with(
            "🧾 Closing summary — 2026-11-25, from yesterday 21:30 until today 21:30\n\
             💵 USD: $100.00 received · 1 payment(s)\n"
        ),
        "{}",
        got[1]
    );
    assert!(
        got[1].contains("• late night — 1 × · $100.00"),
        "{}",
        got[1]
    );
    // The other seller set no closing time and got nothing; nothing of theirs was counted.
    assert!(summaries(&app, &dara).is_empty());
    app.stop().await;
}

/// `/close 01:00` (a shop open past midnight) closes the day that just ended, whole; in
/// Khmer for a Khmer seller.
#[tokio::test]
async fn an_after_midnight_close_sums_up_the_whole_day_before_in_khmer() {
    let mut app = TestApp::spawn_with(FAST).await;
    let (sokha, dara) = (TgUser::khmer(14_011), TgUser::english(14_012));
    let m = shop(&app, &sokha).await;
    let other = shop(&app, &dara).await;
    fixtures(&app, m, other).await;

    app.set_clock(pp(2026, 11, 24, 23, 0));
    app.say(&sokha, "/close 01:00").await;
    app.set_clock(pp(2026, 11, 25, 1, 0));
    let got = wait_summaries(&app, &sokha, 1).await;
    assert_eq!(
        got[0],
        "🧾 សេចក្ដីសង្ខេបបិទបញ្ជី — 2026-11-24 ថ្ងៃដែលទើបនឹងចប់\n\
         💵 USD៖ បានទទួល $126.50 · ការទូទាត់ 7\n\
         ⚠️ ក្នុងនោះ $4.00 ត្រូវពិនិត្យ (2៖ លើស ខ្វះ យឺត ការទូទាត់មួយទៀត ឬរូបិយប័ណ្ណផ្សេង)\n\
         💵 KHR៖ បានទទួល 20,000 ៛ · ការទូទាត់ 1\n\
         🚫 ប្រាក់ផ្ទេរ 1 មិនបានចូលគណនីរបស់អ្នក (មិនរាប់បញ្ចូល)\n\
         ⌛ ផុតកំណត់ 1 · ❌ បរាជ័យ 1 · ✖️ បានបោះបង់ 0\n\
         \n\
         មុខទំនិញលក់ដាច់ជាងគេ៖\n\
         • late night — 1 ដង · $100.00\n\
         • cake — 2 ដង · $15.00\n\
         • coffee — 2 ដង · $7.50\n\
         • coffee — 1 ដង · 20,000 ៛\n\
         \n\
         ប្រៀបធៀបនឹងថ្ងៃដូចគ្នាកាលពីសប្ដាហ៍មុន (2026-11-17)៖\n\
         USD៖ $126.50 ធៀបនឹង $40.00 (+216%)\n\
         KHR៖ 20,000 ៛ (សប្ដាហ៍មុនគ្មាន)"
    );
    app.stop().await;
}

/// Down before the closing time, back after it: the summary comes once. A restart right
/// after sending sends nothing again. A day without charges gets nothing; `/close off`
/// stops it.
#[tokio::test]
async fn the_summary_comes_once_across_restarts() {
    let mut app = TestApp::spawn_with(FAST).await;
    let (sokha, witness) = (TgUser::english(14_021), TgUser::english(14_022));
    let m = shop(&app, &sokha).await;
    let w = shop(&app, &witness).await;
    insert(
        &app.store,
        m,
        &Fixture::paid(500, "USD", Some("coffee"), pp(2026, 11, 24, 9, 0)),
    )
    .await;

    app.set_clock(pp(2026, 11, 24, 20, 0));
    app.say(&sokha, "/close 21:30").await;
    app.stop().await;

    // The bot was down at 21:30; it comes back at 23:00.
    app.set_clock(pp(2026, 11, 24, 23, 0));
    app.start().await;
    let got = wait_summaries(&app, &sokha, 1).await;
    assert!(
        got[0].contains("2026-11-24, from yesterday 21:30 until today 21:30"),
        "{}",
        got[0]
    );
    assert!(
        got[0].contains("USD: $5.00 received · 1 payment(s)"),
        "{}",
        got[0]
    );

    // Stopped right after sending, started again: the day is claimed, nothing more.
    app.stop().await;
    app.start().await;
    // The witness's summary of the same day, queued by a pass of the restarted loop, shows
    // the loop has looked again.
    insert(
        &app.store,
        w,
        &Fixture::paid(100, "USD", None, pp(2026, 11, 24, 10, 0)),
    )
    .await;
    app.say(&witness, "/close 23:30").await;
    app.set_clock(pp(2026, 11, 24, 23, 30));
    wait_summaries(&app, &witness, 1).await;
    wait_done_on(&app, m, "2026-11-24").await;
    assert_eq!(summaries(&app, &sokha).len(), 1);
    assert_eq!(queued_summaries(&app, m).await, 1);

    // The 25th has no charges: its closing time is handled, and nothing is sent.
    app.set_clock(pp(2026, 11, 25, 21, 31));
    wait_done_on(&app, m, "2026-11-25").await;
    assert_eq!(summaries(&app, &sokha).len(), 1);
    assert_eq!(queued_summaries(&app, m).await, 1);

    // /close off: the 26th's sale gets no summary (the witness's does).
    assert_eq!(
        app.say(&sokha, "/close off").await,
        "🧾 Closing summary off. Send /close 21:30 to turn it on again."
    );
    assert!(
        app.say(&sokha, "/close")
            .await
            .contains("No closing summary is set")
    );
    insert(
        &app.store,
        m,
        &Fixture::paid(700, "USD", None, pp(2026, 11, 26, 9, 0)),
    )
    .await;
    insert(
        &app.store,
        w,
        &Fixture::paid(700, "USD", None, pp(2026, 11, 26, 9, 0)),
    )
    .await;
    app.set_clock(pp(2026, 11, 26, 23, 31));
    wait_summaries(&app, &witness, 2).await;
    wait_done_on(&app, w, "2026-11-26").await;
    assert_eq!(summaries(&app, &sokha).len(), 1);
    assert_eq!(queued_summaries(&app, m).await, 1);
    app.stop().await;
}

#[tokio::test]
async fn bad_close_times_are_explained_and_change_nothing() {
    let mut app = TestApp::spawn_with(FAST).await;
    let sokha = TgUser::english(14_031);
    let m = shop(&app, &sokha).await;
    for bad in ["/close 25:00", "/close 9pm", "/close 21:3", "/close soon"] {
        let answer = app.say(&sokha, bad).await;
        assert!(answer.starts_with("Send /close 21:30"), "{bad}: {answer}");
    }
    assert_eq!(app.store.close_minute(m).await.unwrap(), None);
    // Set at 22:00 for 21:30: today's closing time already passed, so the first summary is
    // tomorrow's.
    app.set_clock(pp(2026, 11, 24, 22, 0));
    insert(
        &app.store,
        m,
        &Fixture::paid(500, "USD", None, pp(2026, 11, 24, 9, 0)),
    )
    .await;
    app.say(&sokha, "/close 21:30").await;
    assert_eq!(app.store.close_minute(m).await.unwrap(), Some(21 * 60 + 30));
    wait_done_on(&app, m, "2026-11-24").await;
    assert_eq!(queued_summaries(&app, m).await, 0);
    app.stop().await;
}
