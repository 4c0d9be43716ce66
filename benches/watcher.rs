//! Payment watcher at scale: 10,000 pending charges over 500 merchants, the Bakong sandbox
//! answering after 50 ms, the fake Telegram Bot API, a SQLite database on disk, the
//! production settings (1 s poll tick, adaptive schedule, POLL_INTERVAL_SECS 5,
//! BAKONG_MAX_RPS 10).
//!
//! Modes (`WATCHER_BENCH_MODE`): `batch` (default), `per_md5` (the sandbox's list endpoint
//! answers 403 like production), `outage` (503 for 30 s while 200 payments happen).
//! Reports requests per round and per second, round duration, paid → Telegram edit
//! p50/p99, the outage's recovery → last edit, and the peak RSS of the whole process (the
//! sandbox and the fake Telegram run in it too).
//!
//! Run: `cargo bench --bench watcher` (env `WATCHER_BENCH_MODE`, `WATCHER_BENCH_SECS`,
//! `WATCHER_BENCH_RPS`).

// Sets the emulator's scene up with the plain bot, as a user of Telegram would.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use khqr_bot::bakong::sandbox::{Fault, FaultKind, Payment, Sandbox};
use khqr_bot::bakong::{Client, Currency as BakongCurrency, DecimalAmount};
use khqr_bot::bot::followups::TelegramFollowUps;
use khqr_bot::crypto::{SecretBox, SecretKey};
use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{BakongAccountId, City, ShopName};
use khqr_bot::store::{MerchantId, OutboxItem, Profile, Store};
use khqr_bot::telegram_pacing::{FloodGate, PacedBot, WaitPolicy};
use khqr_bot::time::{Clock, SystemClock};
use khqr_bot::watcher::bakong_lookups::watcher_client_config;
use khqr_bot::watcher::outbox::{Deliver, DeliveryError, OutboxPolicy};
use khqr_bot::watcher::schedule::Schedule;
use khqr_bot::watcher::scheduler::{POLL_TICK, outbox_loop};
use khqr_bot::watcher::sql::SqlWatcherStore;
use khqr_bot::watcher::{DEFAULT_MAX_RPS, Watcher, WatcherConfig};
use teloxide::prelude::*;
use teloxide::types::InputFile;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use khqr_bot::emulator::telegram::{TelegramEmulator, TgUser};
use khqr_bot::watcher::ports::Lookups;
use khqr_bot::watcher::types::{ChargeId, Lookup, LookupFailure, Token};

/// Millisecond trace of the paid charges' way to the edit: when each of their Bakong
/// requests started and was answered, and when the outbox picked up its follow-up.
#[derive(Default)]
struct Trace {
    /// md5 → (request sent, answer received), every request that carried it.
    asks: std::sync::Mutex<HashMap<String, Vec<(Instant, Instant)>>>,
    /// charge → when the outbox handed its follow-up to the deliverer.
    picked: std::sync::Mutex<HashMap<ChargeId, Instant>>,
    /// The md5s worth tracing (the ones that get paid).
    watched: std::collections::HashSet<String>,
}

/// [`Lookups`] that records request times of the watched md5s.
struct TracedLookups<L> {
    inner: L,
    trace: Arc<Trace>,
}

impl<L: Lookups> Lookups for TracedLookups<L> {
    async fn check_md5_list(
        &self,
        token: &Token,
        md5s: &[String],
    ) -> Result<Vec<(String, Lookup)>, LookupFailure> {
        let sent = Instant::now();
        let r = self.inner.check_md5_list(token, md5s).await;
        let answered = Instant::now();
        let mut asks = self.trace.asks.lock().expect("lock");
        for m in md5s.iter().filter(|m| self.trace.watched.contains(*m)) {
            asks.entry(m.clone()).or_default().push((sent, answered));
        }
        r
    }

    async fn check_md5(&self, token: &Token, md5: &str) -> Result<Lookup, LookupFailure> {
        let sent = Instant::now();
        let r = self.inner.check_md5(token, md5).await;
        if self.trace.watched.contains(md5) {
            let answered = Instant::now();
            let mut asks = self.trace.asks.lock().expect("lock");
            asks.entry(md5.to_owned())
                .or_default()
                .push((sent, answered));
        }
        r
    }
}

/// Times every delivery (render + Telegram call).
struct Timed<D> {
    inner: D,
    times: std::sync::Mutex<Vec<Duration>>,
    trace: Arc<Trace>,
}

impl<D: Deliver> Deliver for Timed<D> {
    async fn deliver(&self, task: &OutboxItem) -> Result<(), DeliveryError> {
        let t = Instant::now();
        if let Some(charge) = task.charge_id {
            let mut picked = self.trace.picked.lock().expect("lock");
            picked.entry(charge).or_insert(t);
        }
        let r = self.inner.deliver(task).await;
        self.times.lock().expect("lock").push(t.elapsed());
        r
    }

    fn paused_until(&self) -> Option<tokio::time::Instant> {
        self.inner.paused_until()
    }
}

const MERCHANTS: i64 = 500;
const PER_MERCHANT: i64 = 20;
const LATENCY: Duration = Duration::from_millis(50);
/// `POLL_INTERVAL_SECS` (the cadence of charges older than 3 minutes; the seeded charges
/// are young for the whole run, so they are asked every 2 s).
const INTERVAL: Duration = Duration::from_secs(5);
/// Outage mode: when the outage starts, and how long it lasts.
const OUTAGE_FROM: Duration = Duration::from_secs(5);
const OUTAGE: Duration = Duration::from_secs(30);
/// Charges paid during the run (one per merchant among the first ones).
const PAID: usize = 200;

fn now_secs() -> i64 {
    SystemClock.unix_secs()
}

/// A `/proc/self/status` field in kB (`VmHWM` = peak RSS, `VmRSS` = current).
fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// glibc's account of the heap, all arenas together: what is in use, what was freed but is
/// still held by the arenas (counted in RSS once touched), and what is mmapped on its own.
/// `MALLOC_STATS=1` also prints glibc's per-arena figures (one arena per thread that
/// allocated: the tokio workers, each SQLite connection's thread, the render thread…).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn malloc_report() -> String {
    // SAFETY: mallinfo2 and malloc_stats only read the allocator's own counters.
    let m = unsafe { libc::mallinfo2() };
    if std::env::var_os("MALLOC_STATS").is_some() {
        unsafe { libc::malloc_stats() };
    }
    let mb = |b: usize| b as f64 / 1048576.0;
    format!(
        "glibc malloc at the peak reading: in use {:.1} MB, freed but kept by the arenas {:.1} MB, \
         arenas {:.1} MB in all, mmapped chunks {:.1} MB",
        mb(m.uordblks),
        mb(m.fordblks),
        mb(m.arena),
        mb(m.hblkhd)
    )
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn malloc_report() -> String {
    "malloc figures: glibc only".to_owned()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The list endpoint works: one request per merchant per 2 s at most.
    Batch,
    /// The list endpoint answers 403 (production): one request per md5, BAKONG_MAX_RPS.
    PerMd5,
    /// Batch mode; Bakong answers 503 to everything for 30 s while 200 payments happen.
    Outage,
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Batch => "batch",
            Mode::PerMd5 => "per_md5",
            Mode::Outage => "outage",
        }
    }
}

fn main() {
    let mode = match std::env::var("WATCHER_BENCH_MODE").as_deref() {
        Ok("per_md5") => Mode::PerMd5,
        Ok("outage") => Mode::Outage,
        _ => Mode::Batch,
    };
    let default_secs = if mode == Mode::Outage { 40 } else { 60 };
    let secs: u64 = std::env::var("WATCHER_BENCH_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default_secs);
    let max_rps: u32 = std::env::var("WATCHER_BENCH_RPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_MAX_RPS);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(mode, Duration::from_secs(secs), max_rps));
}

async fn run(mode: Mode, secs: Duration, max_rps: u32) {
    let sandbox = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("sandbox");
    let telegram = TelegramEmulator::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("telegram emulator");
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
            account_id: BakongAccountId::parse(&format!("shop{user}@aba")).expect("account"),
            shop_name: ShopName::parse(&format!("Shop {user}")).expect("shop name"),
            city: City::parse("Phnom Penh").expect("city"),
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
    if mode == Mode::PerMd5 {
        // Like production: the md5 list endpoint answers a bare 403 page.
        sandbox.set_batch_closed(true);
    }
    let trace = Arc::new(Trace {
        watched: paid_md5s.iter().cloned().collect(),
        ..Trace::default()
    });
    let client = Arc::new(TracedLookups {
        inner: Client::new(watcher_client_config(sandbox.client_config())).expect("client"),
        trace: Arc::clone(&trace),
    });
    let sql = Arc::new(SqlWatcherStore::new(store.clone(), secrets));
    let wake = Arc::new(Notify::new());
    let config = WatcherConfig {
        schedule: Schedule::with_interval(INTERVAL.as_secs() as i64),
        max_rps,
        round_secs: POLL_TICK.as_secs() as u32,
        ..WatcherConfig::default()
    };
    let watcher =
        Watcher::new(Arc::clone(&sql), client, config).notify_on_settle(Arc::clone(&wake));
    let stop = CancellationToken::new();
    let timed = Arc::new(Timed {
        inner: TelegramFollowUps::paced(
            PacedBot::new(
                bot.clone(),
                Arc::new(FloodGate::default()),
                WaitPolicy::OUTBOX,
            ),
            store.clone(),
        ),
        times: std::sync::Mutex::new(Vec::new()),
        trace: Arc::clone(&trace),
    });
    let outbox = tokio::spawn(outbox_loop(
        store.clone(),
        Arc::clone(&timed),
        OutboxPolicy::default(),
        Duration::from_secs(1),
        Arc::clone(&wake),
        stop.clone(),
    ));

    // Payments: spread over the run, or over the outage.
    let started = Instant::now();
    let (pay_from, pay_span) = match mode {
        Mode::Outage => (OUTAGE_FROM, OUTAGE),
        _ => (Duration::ZERO, secs.saturating_sub(Duration::from_secs(10))),
    };
    let paid_at: Arc<std::sync::Mutex<HashMap<String, Instant>>> = Arc::default();
    let payments: Vec<(Instant, String, Payment)> = paid_md5s
        .iter()
        .enumerate()
        .map(|(i, md5)| {
            let user = (i as i64 % MERCHANTS) + 1;
            let at = started + pay_from + pay_span.mul_f64(i as f64 / paid_md5s.len() as f64);
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

    // The poll loop (the bot's `poll_loop`, inlined to keep every round's report).
    let mut ticker = tokio::time::interval(POLL_TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut durations = Vec::new();
    let mut requests: Vec<usize> = Vec::new();
    let mut outage_started = false;
    let mut recovered_at: Option<Instant> = None;
    let deadline = started + secs;
    let grace = deadline + Duration::from_secs(30);
    let mut per_md5_rounds = 0;
    loop {
        ticker.tick().await;
        let now = Instant::now();
        if mode == Mode::Outage {
            if !outage_started && now >= started + OUTAGE_FROM {
                sandbox
                    .push_fault(Fault::new(
                        FaultKind::ServerErrorHtml { status: 503 },
                        u32::MAX,
                    ))
                    .expect("fault");
                outage_started = true;
            }
            if recovered_at.is_none() && now >= started + OUTAGE_FROM + OUTAGE {
                sandbox.clear_faults();
                recovered_at = Some(Instant::now());
            }
        }
        let t = Instant::now();
        let report = watcher.run_round(now_secs()).await.expect("round");
        durations.push(t.elapsed());
        // The sandbox keeps every request body for tests; keep its memory out of the figure.
        sandbox.clear_request_log();
        requests.push(report.requests);
        per_md5_rounds += usize::from(report.per_md5);
        let all_paid = paid_at.lock().expect("lock").len() == paid_md5s.len();
        let settled: i64 = if all_paid && now >= deadline {
            sqlx::query_scalar("SELECT COUNT(*) FROM charges WHERE status = 'paid'")
                .fetch_one(store.pool())
                .await
                .expect("count")
        } else {
            0
        };
        if (now >= deadline && settled as usize >= paid_md5s.len()) || now >= grace {
            break;
        }
    }
    let elapsed = started.elapsed();
    pay_task.await.expect("payer");
    tokio::time::sleep(Duration::from_secs(2)).await;
    stop.cancel();
    let _ = outbox.await;
    // The peak of the running system, before the report below copies the fake Telegram's
    // call log (with every uploaded card) to read it.
    let peak_kb = proc_status_kb("VmHWM:");
    // And how glibc holds it at that moment: in use, or freed but kept by the arenas.
    let heap = malloc_report();

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
    let mut last_edit_at: Option<Instant> = None;
    let mut missing = 0;
    for (i, md5) in paid_md5s.iter().enumerate() {
        let chat = (i as i64 % MERCHANTS) + 1;
        let edit = message_of.get(md5).and_then(|m| edits.get(&(chat, *m)));
        match (paid_at.get(md5), edit) {
            (Some(p), Some(e)) => {
                latencies.push(e.saturating_duration_since(*p));
                last_edit_at = Some(last_edit_at.map_or(*e, |l| l.max(*e)));
            }
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
    // Where the time goes, in milliseconds: payment → the request that found it was sent
    // (waiting for the schedule and for a request slot), → its answer, → the settlement
    // committed, → the outbox handed the follow-up to the deliverer, → Telegram got the edit.
    let ids: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, md5 FROM charges WHERE status = 'paid'")
            .fetch_all(store.pool())
            .await
            .expect("paid ids");
    let md5_of: HashMap<ChargeId, String> = ids
        .into_iter()
        .map(|(id, md5)| (ChargeId(id), md5))
        .collect();
    let mut legs: [Vec<Duration>; 4] = Default::default();
    {
        let asks = trace.asks.lock().expect("lock");
        let picked = trace.picked.lock().expect("lock");
        for (charge, picked) in picked.iter() {
            let Some(md5) = md5_of.get(charge) else {
                continue;
            };
            let Some(paid) = paid_at.get(md5) else {
                continue;
            };
            // The request that found the payment: the last one answered before the pick-up.
            let Some(&(sent, answered)) = asks.get(md5).and_then(|a| {
                a.iter()
                    .filter(|(_, ans)| ans <= picked)
                    .max_by_key(|(_, ans)| *ans)
            }) else {
                continue;
            };
            let edit = message_of.get(md5).and_then(|m| {
                let user = paid_md5s.iter().position(|x| x == md5)? as i64 % MERCHANTS + 1;
                edits.get(&(user, *m))
            });
            let Some(edit) = edit else { continue };
            legs[0].push(sent.saturating_duration_since(*paid));
            legs[1].push(answered.saturating_duration_since(sent));
            legs[2].push(picked.saturating_duration_since(answered));
            legs[3].push(edit.saturating_duration_since(*picked));
        }
    }
    let names = [
        "paid → request sent",
        "request → answer",
        "answer → outbox pick-up (settle committed, outbox woken)",
        "pick-up → Telegram has the edit",
    ];
    println!(
        "where the time goes ({} traced payments, ms):",
        legs[0].len()
    );
    for (name, leg) in names.iter().zip(legs.iter_mut()) {
        leg.sort();
        println!(
            "  {name}: p50 {:.0}, p90 {:.0}, p99 {:.0}, max {:.0}",
            percentile(leg, 50.0).as_secs_f64() * 1e3,
            percentile(leg, 90.0).as_secs_f64() * 1e3,
            percentile(leg, 99.0).as_secs_f64() * 1e3,
            leg.last().copied().unwrap_or_default().as_secs_f64() * 1e3
        );
    }
    let mut sorted_durations = durations.clone();
    sorted_durations.sort();

    println!("## Watcher benchmark ({})", mode.name());
    println!(
        "merchants {MERCHANTS}, pending charges {}, Bakong latency {} ms, POLL_INTERVAL_SECS {}, \
         tick {} s, BAKONG_MAX_RPS {max_rps}, run {:.0} s, rounds {}",
        MERCHANTS * PER_MERCHANT,
        LATENCY.as_millis(),
        INTERVAL.as_secs(),
        POLL_TICK.as_secs(),
        elapsed.as_secs_f64(),
        requests.len()
    );
    let total: usize = requests.iter().sum();
    let mut sorted_requests = requests.clone();
    sorted_requests.sort();
    println!(
        "requests per round: median {}, max {}; total {total}, {:.1} per second; per-md5 rounds {per_md5_rounds}",
        sorted_requests
            .get(sorted_requests.len() / 2)
            .copied()
            .unwrap_or(0),
        sorted_requests.last().copied().unwrap_or(0),
        total as f64 / elapsed.as_secs_f64(),
    );
    println!(
        "round duration: median {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        percentile(&sorted_durations, 50.0).as_secs_f64() * 1e3,
        percentile(&sorted_durations, 99.0).as_secs_f64() * 1e3,
        sorted_durations
            .last()
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3
    );
    if let Some(recovered) = recovered_at {
        let last_edit = last_edit_at.map(|e| e.saturating_duration_since(recovered));
        println!(
            "outage: Bakong answered 503 for {} s from {} s in; recovery → last of the {} edits: {}",
            OUTAGE.as_secs(),
            OUTAGE_FROM.as_secs(),
            latencies.len(),
            last_edit.map_or("none".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()))
        );
    }
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
    match (peak_kb, rss_before) {
        (Some(peak), Some(before)) => println!(
            "peak RSS (VmHWM) of the whole process: {:.1} MB; RSS before the watcher started \
             (runtime, seeded database, in-process sandbox and fake Telegram): {:.1} MB",
            peak as f64 / 1024.0,
            before as f64 / 1024.0
        ),
        _ => println!("peak RSS: unavailable"),
    }
    println!("{heap}");
}
