//! Payment watcher at scale: 10,000 pending charges over 500 merchants, the Bakong sandbox
//! answering after 50 ms, the fake Telegram Bot API, a SQLite database on disk.
//!
//! Reports Bakong requests per round (target Σ ceil(pending per merchant / 50) = 500),
//! round duration (target < 2 s), time from "paid" in the sandbox to the Telegram edit
//! (target p99 ≤ interval + 1 s) and peak RSS of the process (target < 80 MB; the sandbox
//! and the fake Telegram run in the same process and are included).
//!
//! Run: `cargo bench --bench watcher` (env `WATCHER_BENCH_ROUNDS`, default 8).

#[path = "../tests/support/fake_telegram.rs"]
mod fake_telegram;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use khqr_bot::bakong::sandbox::{Payment, Sandbox};
use khqr_bot::bakong::{Client, Currency as BakongCurrency, DecimalAmount};
use khqr_bot::bot::followups::TelegramFollowUps;
use khqr_bot::crypto::{SecretBox, SecretKey};
use khqr_bot::i18n::Lang;
use khqr_bot::store::{MerchantId, Profile, Store};
use khqr_bot::watcher::bakong_lookups::watcher_client_config;
use khqr_bot::watcher::outbox::{Deliver, DeliveryError, OutboxPolicy, OutboxTask};
use khqr_bot::watcher::round::requests_needed;
use khqr_bot::watcher::scheduler::{outbox_loop, system_clock};
use khqr_bot::watcher::sql::SqlWatcherStore;
use khqr_bot::watcher::{Watcher, WatcherConfig};
use teloxide::prelude::*;
use teloxide::types::InputFile;
use tokio::sync::{Notify, watch};

use fake_telegram::{FakeTelegram, TgUser};

/// Times every delivery (render + Telegram call).
struct Timed<D> {
    inner: D,
    times: std::sync::Mutex<Vec<Duration>>,
}

impl<D: Deliver> Deliver for Timed<D> {
    async fn deliver(&self, task: &OutboxTask) -> Result<(), DeliveryError> {
        let t = Instant::now();
        let r = self.inner.deliver(task).await;
        self.times.lock().expect("lock").push(t.elapsed());
        r
    }
}

const MERCHANTS: i64 = 500;
const PER_MERCHANT: i64 = 20;
const LATENCY: Duration = Duration::from_millis(50);
const INTERVAL: Duration = Duration::from_secs(5);
/// Charges paid during the run (one per merchant among the first ones).
const PAID: usize = 200;

fn now_secs() -> i64 {
    (system_clock())()
}

/// A `/proc/self/status` field in kB (`VmHWM` = peak RSS, `VmRSS` = current).
fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() {
    let rounds: usize = std::env::var("WATCHER_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(rounds));
}

async fn run(rounds: usize) {
    let sandbox = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("sandbox");
    let telegram = FakeTelegram::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let store = Store::open(&url).await.expect("store");
    let secrets = SecretBox::new(&SecretKey::parse(&"42".repeat(32)).expect("key"));
    let bot = teloxide::Bot::new(telegram.bot_token()).set_api_url(telegram.api_url());
    let t0 = now_secs();

    // Seed: 500 merchants with their own token; 20 pending USD charges each.
    let seed_started = Instant::now();
    let mut merchants: Vec<MerchantId> = Vec::new();
    for user in 1..=MERCHANTS {
        let m = store
            .ensure_merchant(user, user, Lang::En, t0)
            .await
            .expect("merchant");
        let token = sandbox.issue_token(&format!("m{user}@example.com"));
        let profile = Profile {
            account_id: format!("shop{user}@aba"),
            shop_name: format!("Shop {user}"),
            city: "Phnom Penh".into(),
            token_sealed: secrets
                .seal(&m.id.token_aad(), token.as_bytes())
                .expect("seal"),
            token_expires_at: None,
        };
        store
            .save_profile(m.id, &profile, t0)
            .await
            .expect("profile");
        merchants.push(m.id);
        telegram.register_user(&TgUser::english(user));
    }
    // The charges that will be paid get a real photo message in the fake Telegram (the
    // watcher edits it); the others keep placeholder ids (they stay pending).
    let card = khqr_bot::render::plain_png("bench").expect("png");
    let mut message_of: HashMap<String, i64> = HashMap::new();
    let mut paid_md5s = Vec::new();
    for i in 0..PAID {
        let user = (i as i64 % MERCHANTS) + 1;
        let md5 = format!("{:032x}", (user << 32) | (i as i64 / MERCHANTS));
        let sent = bot
            .send_photo(
                ChatId(user),
                InputFile::memory(card.clone()).file_name("qr.png"),
            )
            .await
            .expect("photo");
        message_of.insert(md5.clone(), i64::from(sent.id.0));
        paid_md5s.push(md5);
    }
    let mut tx = store.pool().begin().await.expect("tx");
    for (index, m) in merchants.iter().enumerate() {
        let user = index as i64 + 1;
        for k in 0..PER_MERCHANT {
            let md5 = format!("{:032x}", (user << 32) | k);
            let message_id = message_of
                .get(&md5)
                .copied()
                .unwrap_or(1_000_000 + user * 100 + k);
            sqlx::query(
                "INSERT INTO charges (merchant_id, chat_id, message_id, bill_number, khqr, md5, \
                     to_account_id, amount_minor, currency, status, created_at, expires_at, next_poll_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 500, 'USD', 'pending', $8, $9, $8)",
            )
            .bind(m.0)
            .bind(user)
            .bind(message_id)
            .bind(format!("B{md5}"))
            .bind(format!("khqr-{md5}"))
            .bind(&md5)
            .bind(format!("shop{user}@aba"))
            .bind(t0)
            .bind(t0 + 3600)
            .execute(&mut *tx)
            .await
            .expect("charge");
        }
    }
    tx.commit().await.expect("commit");
    eprintln!(
        "seeded {} merchants, {} charges in {:.1} s",
        MERCHANTS,
        MERCHANTS * PER_MERCHANT,
        seed_started.elapsed().as_secs_f64()
    );

    let rss_before = proc_status_kb("VmRSS:");
    sandbox.set_latency(LATENCY);
    let client =
        Arc::new(Client::new(watcher_client_config(sandbox.client_config())).expect("client"));
    let sql = Arc::new(SqlWatcherStore::new(store.clone(), secrets));
    let wake = Arc::new(Notify::new());
    let watcher = Watcher::new(Arc::clone(&sql), client, WatcherConfig::default())
        .notify_on_settle(Arc::clone(&wake));
    let (stop, stopped) = watch::channel(false);
    let timed = Arc::new(Timed {
        inner: TelegramFollowUps::new(bot.clone(), store.clone()),
        times: std::sync::Mutex::new(Vec::new()),
    });
    let outbox = tokio::spawn(outbox_loop(
        Arc::clone(&sql),
        Arc::clone(&timed),
        OutboxPolicy::default(),
        Duration::from_secs(1),
        system_clock(),
        Arc::clone(&wake),
        stopped,
    ));

    // Payments arrive spread over the run.
    let started = Instant::now();
    let span = INTERVAL * u32::try_from(rounds.saturating_sub(2).max(1)).unwrap_or(1);
    let paid_at: Arc<std::sync::Mutex<HashMap<String, Instant>>> = Arc::default();
    let payments: Vec<(Instant, String, Payment)> = paid_md5s
        .iter()
        .enumerate()
        .map(|(i, md5)| {
            let user = (i as i64 % MERCHANTS) + 1;
            let at = started + span.mul_f64(i as f64 / paid_md5s.len() as f64);
            let payment = Payment::new(
                &DecimalAmount::parse("5.00").expect("amount"),
                BakongCurrency::Usd,
                &format!("shop{user}@aba"),
            );
            (at, md5.clone(), payment)
        })
        .collect();
    let sandbox = Arc::new(sandbox);
    let pay_task = {
        let sandbox = Arc::clone(&sandbox);
        let paid_at = Arc::clone(&paid_at);
        tokio::spawn(async move {
            for (at, md5, payment) in payments {
                tokio::time::sleep_until(at.into()).await;
                sandbox.pay(&md5, payment).expect("pay");
                paid_at.lock().expect("lock").insert(md5, Instant::now());
            }
        })
    };

    let mut ticker = tokio::time::interval(INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut durations = Vec::new();
    let mut requests = Vec::new();
    let expected = {
        let batches = {
            use khqr_bot::watcher::ports::PendingCharges;
            sql.load_due(now_secs()).await.expect("load")
        };
        requests_needed(&batches)
    };
    for _ in 0..rounds {
        ticker.tick().await;
        let t = Instant::now();
        let report = watcher.run_round(now_secs()).await.expect("round");
        durations.push(t.elapsed());
        // The sandbox keeps every request body for tests; keep its memory out of the figure.
        sandbox.clear_request_log();
        requests.push((report.requests, report.charges, report.paid));
        wake.notify_one();
    }
    pay_task.await.expect("payer");
    // Let the last payments be found and edited.
    for _ in 0..2 {
        ticker.tick().await;
        let report = watcher.run_round(now_secs()).await.expect("round");
        requests.push((report.requests, report.charges, report.paid));
        wake.notify_one();
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let _ = stop.send(true);
    let _ = outbox.await;

    // Paid → edited latencies.
    // Message ids are per chat: key the edits by (chat, message).
    let edits: HashMap<(i64, i64), Instant> = telegram
        .calls_of("editMessageMedia")
        .into_iter()
        .filter(|c| c.succeeded())
        .filter_map(|c| Some(((c.chat_id()?, i64::from(c.message_id()?)), c.at)))
        .collect();
    let paid_at = paid_at.lock().expect("lock").clone();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut missing = 0;
    for (i, md5) in paid_md5s.iter().enumerate() {
        let chat = (i as i64 % MERCHANTS) + 1;
        let edit = message_of.get(md5).and_then(|m| edits.get(&(chat, *m)));
        match (paid_at.get(md5), edit) {
            (Some(p), Some(e)) => latencies.push(e.saturating_duration_since(*p)),
            _ => missing += 1,
        }
    }
    latencies.sort();
    // Where the time goes: paid → settled (settled_at has whole-second resolution).
    let wall0 = std::time::SystemTime::now();
    let instant0 = Instant::now();
    let mut detect: Vec<f64> = Vec::new();
    for md5 in &paid_md5s {
        let settled: Option<i64> =
            sqlx::query_scalar("SELECT settled_at FROM charges WHERE md5 = $1")
                .bind(md5)
                .fetch_one(store.pool())
                .await
                .expect("settled_at");
        if let (Some(settled), Some(p)) = (settled, paid_at.get(md5)) {
            let paid_wall = wall0 - instant0.saturating_duration_since(*p);
            let paid_secs = paid_wall
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or_default();
            detect.push(settled as f64 - paid_secs);
        }
    }
    detect.sort_by(f64::total_cmp);
    if let (Some(first), Some(last)) = (detect.first(), detect.last()) {
        println!(
            "paid → settled in the database (1 s resolution): min {first:.1} s, median {:.1} s, max {last:.1} s",
            detect[detect.len() / 2]
        );
    }
    let mut sorted_durations = durations.clone();
    sorted_durations.sort();

    println!("## Watcher benchmark");
    println!(
        "merchants {MERCHANTS}, pending charges {}, Bakong latency {} ms, interval {} s, rounds {rounds}",
        MERCHANTS * PER_MERCHANT,
        LATENCY.as_millis(),
        INTERVAL.as_secs()
    );
    println!(
        "requests per round: {:?} (expected Σ ceil(n/50) = {expected})",
        requests.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    println!(
        "round duration: median {:.0} ms, max {:.0} ms",
        percentile(&sorted_durations, 50.0).as_secs_f64() * 1e3,
        sorted_durations
            .last()
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3
    );
    println!(
        "paid → Telegram edit ({} payments, {missing} not edited): p50 {:.2} s, p99 {:.2} s, max {:.2} s",
        latencies.len(),
        percentile(&latencies, 50.0).as_secs_f64(),
        percentile(&latencies, 99.0).as_secs_f64(),
        latencies.last().copied().unwrap_or_default().as_secs_f64()
    );
    let mut delivery = timed.times.lock().expect("lock").clone();
    delivery.sort();
    println!(
        "one delivery (render status card + editMessageMedia): median {:.0} ms, max {:.0} ms",
        percentile(&delivery, 50.0).as_secs_f64() * 1e3,
        delivery.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    match (proc_status_kb("VmHWM:"), rss_before) {
        (Some(peak), Some(before)) => println!(
            "peak RSS (VmHWM) of the whole process: {:.1} MB; RSS before the watcher started \
             (runtime, seeded database, in-process sandbox and fake Telegram): {:.1} MB",
            peak as f64 / 1024.0,
            before as f64 / 1024.0
        ),
        _ => println!("peak RSS: unavailable"),
    }
}
