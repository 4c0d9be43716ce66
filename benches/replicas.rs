//! Replicas at scale (issue 16): N `khqr-bot run` processes on one database, 100,000
//! pending charges over 5,000 merchants, the Bakong sandbox answering after 50 ms and the
//! Telegram emulator — both in this process — and a steady trickle of payments.
//!
//! Each replica is a child process of the release binary with the production settings
//! (`POLL_INTERVAL_SECS` 5, `BAKONG_MAX_RPS` 10, 1 s tick) and its own `METRICS_LISTEN`.
//! Measured: round duration per replica (from `/metrics`, scraped every 500 ms: the rounds
//! counter and the round-duration histogram's sum), Bakong requests per round (the
//! replica's Bakong request counter, and the sandbox's own count), paid → Telegram edit
//! p50/p99 (the sandbox payment → the emulator receiving `editMessageMedia` of that
//! message), each replica's peak RSS (`VmHWM`) and CPU time (`/proc/<pid>/stat`), and that
//! nothing is lost: every paid charge settled once (one `charge_paid` event), edited once,
//! and no other charge left `pending`.
//!
//! Run (release: `cargo bench` builds the binary too):
//!
//! ```text
//! cargo bench --bench replicas
//! REPLICAS_BENCH_DATABASE_URL=postgres://… REPLICAS_BENCH_REPLICAS=3 cargo bench --bench replicas
//! ```
//!
//! Settings (environment): `REPLICAS_BENCH_DATABASE_URL` (default a SQLite file in a
//! temporary directory; any other database must be empty), `REPLICAS_BENCH_REPLICAS` (1),
//! `REPLICAS_BENCH_SECS` (120: how long payments go on; the run then waits up to 60 s for
//! the last edits), `REPLICAS_BENCH_CHARGES` (100000), `REPLICAS_BENCH_MERCHANTS` (5000),
//! `REPLICAS_BENCH_PAY_PER_SEC` (2), `REPLICAS_BENCH_BIN` (the `khqr-bot` binary; default
//! the one cargo built with this bench), `REPLICAS_BENCH_LOG` (`RUST_LOG` of the replicas,
//! default `warn`).

// Sets the emulator's scene up with the plain bot, as a user of Telegram would.
#![allow(clippy::disallowed_types, clippy::disallowed_methods)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use khqr_bot::bakong::sandbox::{Payment, Sandbox, SandboxHandle};
use khqr_bot::bakong::{Currency as BakongCurrency, DecimalAmount};
use khqr_bot::crypto::{SecretBox, SecretKey};
use khqr_bot::emulator::telegram::{TelegramEmulator, TgUser};
use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{Amount, BakongAccountId, City, Currency, KhqrInput, ShopName, md5_hex};
use khqr_bot::store::{Profile, Store};
use khqr_bot::time::{Clock, SystemClock};
use teloxide::prelude::*;
use teloxide::types::InputFile;

/// The key that seals the seeded tokens; the replicas get it as `KHQR_BOT_SECRET_KEY`.
const KEY_HEX: &str = "4242424242424242424242424242424242424242424242424242424242424242";
const LATENCY: Duration = Duration::from_millis(50);
/// How often each replica's `/metrics` is read.
const SCRAPE_EVERY: Duration = Duration::from_millis(500);
/// After the payments: how long the run waits for the last edits.
const GRACE: Duration = Duration::from_secs(60);
/// Rows per multi-row INSERT (13 parameters each: 1,300 per statement, under both SQLite's
/// and PostgreSQL's limits), and rows per transaction.
const ROWS_PER_STATEMENT: usize = 100;
const ROWS_PER_TX: usize = 5_000;

#[derive(Debug, Clone)]
struct Settings {
    database_url: Option<String>,
    replicas: usize,
    secs: u64,
    charges: usize,
    merchants: usize,
    pay_per_sec: f64,
    bin: PathBuf,
    log: String,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}: cannot read {v:?}")),
        _ => default,
    }
}

impl Settings {
    fn from_env() -> Self {
        let s = Self {
            database_url: std::env::var("REPLICAS_BENCH_DATABASE_URL")
                .ok()
                .filter(|v| !v.trim().is_empty()),
            replicas: env_or("REPLICAS_BENCH_REPLICAS", 1),
            secs: env_or("REPLICAS_BENCH_SECS", 120),
            charges: env_or("REPLICAS_BENCH_CHARGES", 100_000),
            merchants: env_or("REPLICAS_BENCH_MERCHANTS", 5_000),
            pay_per_sec: env_or("REPLICAS_BENCH_PAY_PER_SEC", 2.0),
            bin: std::env::var_os("REPLICAS_BENCH_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_khqr-bot"))),
            log: env_or("REPLICAS_BENCH_LOG", "warn".to_owned()),
        };
        assert!(s.replicas >= 1, "REPLICAS_BENCH_REPLICAS: at least 1");
        assert!(
            s.merchants >= 1 && s.charges >= s.merchants,
            "REPLICAS_BENCH_CHARGES must be at least REPLICAS_BENCH_MERCHANTS (>= 1)"
        );
        assert!(s.pay_per_sec > 0.0, "REPLICAS_BENCH_PAY_PER_SEC: above 0");
        s
    }

    /// Payments happen during `secs`, less the last 10 s (so the run ends with the
    /// system still loaded while the last ones are found).
    fn pay_span(&self) -> Duration {
        Duration::from_secs(self.secs.saturating_sub(10).max(1))
    }

    fn payments(&self) -> usize {
        let n = (self.pay_span().as_secs_f64() * self.pay_per_sec).round() as usize;
        n.clamp(1, self.charges)
    }
}

fn main() {
    let settings = Settings::from_env();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(settings));
}

/// One seeded charge: what the sandbox and the report need to know about it.
#[derive(Debug, Clone)]
struct Seeded {
    merchant: usize,
    md5: String,
    account: String,
    minor: u64,
    /// The emulator's message showing its card (only the charges that get paid have one).
    message_id: Option<i32>,
}

fn user_of(merchant: usize) -> i64 {
    1_000 + merchant as i64
}

fn account_of(merchant: usize) -> String {
    format!("shop{merchant}@aba")
}

/// The `k`-th paid charge: merchants visited with a stride coprime to their count, so
/// consecutive payments land on merchants far apart (and on different replicas' leases).
fn paid_index(k: usize, s: &Settings) -> usize {
    let stride = coprime_stride(s.merchants);
    let merchant = (k * stride) % s.merchants;
    let slot = k / s.merchants;
    // Charge i belongs to merchant i % merchants; its slot is i / merchants.
    (slot * s.merchants + merchant) % s.charges
}

fn coprime_stride(n: usize) -> usize {
    fn gcd(a: usize, b: usize) -> usize {
        if b == 0 { a } else { gcd(b, a % b) }
    }
    (n / 3 + 1..).find(|c| gcd(*c, n) == 1).unwrap_or(1).max(1)
}

/// `/proc/<pid>/status` field in kB (`VmHWM` = peak RSS, `VmRSS` = current).
fn proc_status_kb(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User + system CPU time of a process so far (`/proc/<pid>/stat` fields 14 and 15).
fn proc_cpu(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `rest` starts at field 3 (state): utime is field 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    // SAFETY: sysconf only reads a constant of the system.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ticks = u64::try_from(ticks).ok().filter(|t| *t > 0)?;
    Some(Duration::from_secs_f64(
        (utime + stime) as f64 / ticks as f64,
    ))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e3)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The running replicas; killed (SIGKILL) if the bench stops early.
struct Replicas {
    children: Vec<Replica>,
}

struct Replica {
    child: Child,
    metrics: SocketAddr,
    log: PathBuf,
}

impl Replica {
    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Replicas {
    fn drop(&mut self) {
        for r in &mut self.children {
            if matches!(r.child.try_wait(), Ok(None)) {
                let _ = r.child.kill();
                let _ = r.child.wait();
            }
        }
    }
}

/// One reading of a replica's `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
struct Scrape {
    rounds: f64,
    round_sum: f64,
    round_failures: f64,
    bakong_requests: f64,
    bakong_sum: f64,
    outbox_sent: f64,
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| {
            let (n, v) = l.rsplit_once(' ')?;
            (n == name).then(|| v.parse().ok())?
        })
        .unwrap_or(f64::NAN)
}

fn parse_scrape(text: &str) -> Scrape {
    Scrape {
        rounds: metric(text, "khqr_bot_watcher_rounds_total"),
        round_sum: metric(text, "khqr_bot_watcher_round_duration_seconds_sum"),
        round_failures: metric(text, "khqr_bot_watcher_round_failures_total"),
        bakong_requests: metric(text, "khqr_bot_bakong_request_duration_seconds_count"),
        bakong_sum: metric(text, "khqr_bot_bakong_request_duration_seconds_sum"),
        outbox_sent: metric(text, "khqr_bot_outbox_sent_total"),
    }
}

/// What the sampler keeps per replica.
#[derive(Debug, Default)]
struct ReplicaSamples {
    scrapes: Vec<(Instant, Scrape)>,
    /// Durations of single rounds: a scrape interval in which exactly one round ended.
    rounds: Vec<Duration>,
    /// Mean durations of the intervals in which more than one round ended (rare).
    merged_rounds: usize,
    /// Bakong requests per round: the replica's request counter between two scrapes that
    /// saw consecutive rounds end (a replica asks Bakong only within rounds).
    requests_per_round: Vec<f64>,
    /// The last scrape that saw a round end.
    last_round_end: Option<Scrape>,
    peak_rss_kb: u64,
    cpu: Duration,
}

async fn run(s: Settings) {
    let sandbox = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("sandbox");
    let telegram = TelegramEmulator::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("telegram emulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let url = s
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("replicas.db").display()));
    let shown_url = if s.database_url.is_some() {
        "REPLICAS_BENCH_DATABASE_URL"
    } else {
        "a SQLite file in a temporary directory"
    };
    let store = Store::open(&url).await.expect("store");
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM charges")
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(
        existing, 0,
        "the bench needs an empty database ({shown_url} has {existing} charges)"
    );
    eprintln!(
        "database: {shown_url}; replicas {}; {} merchants, {} pending charges; payments for {} s at {}/s",
        s.replicas,
        s.merchants,
        s.charges,
        s.pay_span().as_secs(),
        s.pay_per_sec
    );

    let seed_started = Instant::now();
    let seeded = seed(&s, &store, &sandbox, &telegram).await;
    eprintln!("seeded in {:.1} s", seed_started.elapsed().as_secs_f64());

    sandbox.set_latency(LATENCY);
    let replicas = start_replicas(&s, &url, &sandbox, &telegram, dir.path());
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client");
    for r in &replicas.children {
        wait_ready(&http, r).await;
    }
    eprintln!("{} replica(s) up; paying", s.replicas);

    // The sampler: each replica's /metrics and memory, the sandbox's request count.
    let samples: Arc<Mutex<Vec<ReplicaSamples>>> = Arc::new(Mutex::new(
        (0..s.replicas).map(|_| ReplicaSamples::default()).collect(),
    ));
    let sandbox = Arc::new(sandbox);
    let sandbox_requests: Arc<Mutex<Vec<(Instant, u64, usize)>>> = Arc::default();
    let (stop_sampling, mut sampling_stopped) = tokio::sync::watch::channel(false);
    let sampler = {
        let samples = Arc::clone(&samples);
        let sandbox = Arc::clone(&sandbox);
        let sandbox_requests = Arc::clone(&sandbox_requests);
        let targets: Vec<(SocketAddr, String)> = replicas
            .children
            .iter()
            .map(|r| (r.metrics, r.pid()))
            .collect();
        let http = http.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(SCRAPE_EVERY);
            let mut last_seq = 0u64;
            let mut md5s_asked = 0usize;
            loop {
                tokio::select! {
                    _ = ticker.tick() => {}
                    _ = sampling_stopped.changed() => break,
                }
                // The sandbox keeps bodies for tests: read the count, drop the log.
                let log = sandbox.request_log();
                sandbox.clear_request_log();
                for r in &log {
                    if r.seq > last_seq {
                        md5s_asked += r.list_len.unwrap_or(1);
                    }
                }
                if let Some(last) = log.last() {
                    last_seq = last_seq.max(last.seq);
                }
                sandbox_requests
                    .lock()
                    .expect("lock")
                    .push((Instant::now(), last_seq, md5s_asked));
                for (i, (addr, pid)) in targets.iter().enumerate() {
                    let text = match http.get(format!("http://{addr}/metrics")).send().await {
                        Ok(r) => r.text().await.unwrap_or_default(),
                        Err(_) => continue,
                    };
                    let scrape = parse_scrape(&text);
                    let at = Instant::now();
                    let mut all = samples.lock().expect("lock");
                    let mine = &mut all[i];
                    if let Some((_, prev)) = mine.scrapes.last().copied() {
                        let rounds = scrape.rounds - prev.rounds;
                        if rounds == 1.0 {
                            mine.rounds.push(Duration::from_secs_f64(
                                (scrape.round_sum - prev.round_sum).max(0.0),
                            ));
                        } else if rounds > 1.0 {
                            mine.merged_rounds += rounds as usize;
                        }
                        if rounds >= 1.0 {
                            if let Some(end) = mine.last_round_end
                                && scrape.rounds - end.rounds == 1.0
                            {
                                mine.requests_per_round
                                    .push(scrape.bakong_requests - end.bakong_requests);
                            }
                            mine.last_round_end = Some(scrape);
                        }
                    }
                    mine.scrapes.push((at, scrape));
                    if let Some(hwm) = proc_status_kb(pid, "VmHWM:") {
                        mine.peak_rss_kb = mine.peak_rss_kb.max(hwm);
                    }
                    if let Some(cpu) = proc_cpu(pid) {
                        mine.cpu = cpu;
                    }
                }
            }
        })
    };

    // The payments: a steady trickle, one every 1 / pay_per_sec seconds.
    let started = Instant::now();
    let n_paid = s.payments();
    let paid: Vec<usize> = (0..n_paid).map(|k| paid_index(k, &s)).collect();
    let paid_at: Arc<Mutex<HashMap<usize, Instant>>> = Arc::default();
    let payer = {
        let sandbox = Arc::clone(&sandbox);
        let paid_at = Arc::clone(&paid_at);
        let paid = paid.clone();
        let seeded: Vec<(usize, String, Payment)> = paid
            .iter()
            .map(|i| {
                let c = &seeded[*i];
                let amount =
                    DecimalAmount::parse(&format!("{}.{:02}", c.minor / 100, c.minor % 100))
                        .expect("amount");
                (
                    *i,
                    c.md5.clone(),
                    Payment::new(&amount, BakongCurrency::Usd, &c.account),
                )
            })
            .collect();
        let gap = Duration::from_secs_f64(1.0 / s.pay_per_sec);
        tokio::spawn(async move {
            debug_assert_eq!(paid.len(), seeded.len());
            for (k, (index, md5, payment)) in seeded.into_iter().enumerate() {
                tokio::time::sleep_until((started + gap.mul_f64(k as f64)).into()).await;
                sandbox.pay(&md5, payment).expect("pay");
                paid_at.lock().expect("lock").insert(index, Instant::now());
            }
        })
    };
    payer.await.expect("payer");
    let payments_done = Instant::now();
    // Until the run's time is up, then until every payment is edited (or the grace ends).
    let deadline = started + Duration::from_secs(s.secs);
    let give_up = deadline.max(payments_done) + GRACE;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = Instant::now();
        if now >= give_up {
            break;
        }
        if now < deadline {
            continue;
        }
        let edited = edited_messages(&telegram);
        let all = paid.iter().all(|i| {
            let c = &seeded[*i];
            c.message_id
                .is_some_and(|m| edited.contains_key(&(user_of(c.merchant), m)))
        });
        if all {
            break;
        }
    }
    let elapsed = started.elapsed();
    let _ = stop_sampling.send(true);
    let _ = sampler.await;
    let cpu_of_bench = proc_cpu("self");
    let stopped = stop_replicas(replicas).await;

    // The sampler and the payer are done: take what they kept.
    let paid_at = std::mem::take(&mut *paid_at.lock().expect("lock"));
    let samples = std::mem::take(&mut *samples.lock().expect("lock"));
    let sandbox_requests = std::mem::take(&mut *sandbox_requests.lock().expect("lock"));
    report(
        &s,
        &store,
        &telegram,
        &seeded,
        &paid,
        &paid_at,
        &samples,
        &sandbox_requests,
        elapsed,
        cpu_of_bench,
        &stopped,
    )
    .await;
    store.close().await;
}

/// Successful `editMessageMedia` calls: (chat, message) → when, how many.
fn edited_messages(telegram: &TelegramEmulator) -> HashMap<(i64, i32), (Instant, usize)> {
    let mut out: HashMap<(i64, i32), (Instant, usize)> = HashMap::new();
    for c in telegram.calls_of("editMessageMedia") {
        if !c.succeeded() {
            continue;
        }
        let (Some(chat), Some(message)) = (c.chat_id(), c.message_id()) else {
            continue;
        };
        let e = out.entry((chat, message)).or_insert((c.at, 0));
        e.0 = e.0.min(c.at);
        e.1 += 1;
    }
    out
}

/// Merchants through the store API (a sealed token each, from the sandbox), the charges
/// that get paid shown in the emulator (a photo message each), every charge pending with a
/// real dynamic KHQR and its md5, in multi-row INSERTs of a few thousand rows per
/// transaction, with its `charge_created` event as `activate_charge` writes it.
async fn seed(
    s: &Settings,
    store: &Store,
    sandbox: &SandboxHandle,
    telegram: &TelegramEmulator,
) -> Vec<Seeded> {
    let key = SecretKey::parse(KEY_HEX).expect("key");
    let secrets = SecretBox::new(&key);
    let t0 = SystemClock.unix_secs();
    let mut merchant_ids = Vec::with_capacity(s.merchants);
    for m in 0..s.merchants {
        let user = user_of(m);
        let merchant = store
            .ensure_merchant(user, user, Lang::En, t0)
            .await
            .expect("merchant");
        let token = sandbox.issue_token(&format!("m{m}@example.com"));
        let profile = Profile {
            account_id: BakongAccountId::parse(&account_of(m)).expect("account"),
            shop_name: ShopName::parse(&format!("Shop {m}")).expect("shop name"),
            city: City::parse("Phnom Penh").expect("city"),
            token_sealed: secrets
                .seal(&merchant.id.token_aad(), token.as_bytes())
                .expect("seal"),
            token_expires_at: None,
        };
        store
            .save_profile(merchant.id, &profile, t0)
            .await
            .expect("profile");
        merchant_ids.push(merchant.id);
        telegram.register_user(&TgUser::english(user));
        if m % 1000 == 999 {
            eprintln!("  {} merchants", m + 1);
        }
    }

    // Charge i: merchant i % merchants. All created now and expiring in an hour, so they
    // stay pending — and young (asked every 2 s) — for the whole run: the worst case.
    let created_at = SystemClock.unix_secs();
    let expires_at = created_at + 3600;
    let mut seeded: Vec<Seeded> = (0..s.charges)
        .map(|i| {
            let merchant = i % s.merchants;
            let minor = 100 + (i as u64 % 4_900);
            let khqr = seed_khqr(
                &account_of(merchant),
                merchant,
                minor,
                i,
                created_at,
                expires_at,
            );
            Seeded {
                merchant,
                md5: md5_hex(&khqr),
                account: account_of(merchant),
                minor,
                message_id: None,
            }
        })
        .collect();

    // The cards of the charges that get paid, as the bot would have sent them.
    let bot = teloxide::Bot::new(telegram.bot_token()).set_api_url(telegram.api_url());
    let card = khqr_bot::render::plain_png("bench").expect("png");
    for k in 0..s.payments() {
        let i = paid_index(k, s);
        let sent = bot
            .send_photo(
                ChatId(user_of(seeded[i].merchant)),
                InputFile::memory(card.clone()).file_name("qr.png"),
            )
            .await
            .expect("photo");
        seeded[i].message_id = Some(sent.id.0);
    }

    let mut done = 0;
    for chunk in (0..s.charges).collect::<Vec<_>>().chunks(ROWS_PER_TX) {
        let mut tx = store.pool().begin().await.expect("tx");
        for rows in chunk.chunks(ROWS_PER_STATEMENT) {
            let mut sql = String::from(
                "INSERT INTO charges (merchant_id, chat_id, message_id, bill_number, khqr, md5, \
                 to_account_id, amount_minor, currency, status, created_at, expires_at, next_poll_at) VALUES ",
            );
            for (n, _) in rows.iter().enumerate() {
                let p = n * 12;
                if n > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 'pending', ${}, ${}, ${})",
                    p + 1,
                    p + 2,
                    p + 3,
                    p + 4,
                    p + 5,
                    p + 6,
                    p + 7,
                    p + 8,
                    p + 9,
                    p + 10,
                    p + 11,
                    p + 12
                ));
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for &i in rows {
                let c = &seeded[i];
                let user = user_of(c.merchant);
                // The charges nobody pays keep a message id the emulator does not know:
                // they are never edited during the run.
                let message = c.message_id.map_or(10_000_000 + i as i64, i64::from);
                q = q
                    .bind(merchant_ids[c.merchant].0)
                    .bind(user)
                    .bind(message)
                    .bind(format!("B{i:09}"))
                    .bind(khqr_of(c, i, created_at, expires_at))
                    .bind(c.md5.clone())
                    .bind(c.account.clone())
                    .bind(c.minor as i64)
                    .bind("USD")
                    .bind(created_at)
                    .bind(expires_at)
                    .bind(created_at);
            }
            q.execute(&mut *tx).await.expect("charges");
        }
        tx.commit().await.expect("commit");
        done += chunk.len();
        if done % 20_000 == 0 {
            eprintln!("  {done} charges");
        }
    }
    sqlx::query(
        "INSERT INTO events (merchant_id, charge_id, kind, detail, at) \
         SELECT merchant_id, id, 'charge_created', '{}', created_at FROM charges",
    )
    .execute(store.pool())
    .await
    .expect("events");
    seeded
}

/// The KHQR of charge `i` again (built twice rather than kept: 100,000 strings of ~160
/// bytes are not worth holding through the run).
fn khqr_of(c: &Seeded, i: usize, created_at: i64, expires_at: i64) -> String {
    let khqr = seed_khqr(&c.account, c.merchant, c.minor, i, created_at, expires_at);
    debug_assert_eq!(md5_hex(&khqr), c.md5);
    khqr
}

/// The dynamic KHQR of seeded charge `i` of `merchant` (the one text both the seed and
/// `khqr_of` build).
fn seed_khqr(
    account: &str,
    merchant: usize,
    minor: u64,
    i: usize,
    created_at: i64,
    expires_at: i64,
) -> String {
    let input = KhqrInput {
        account_id: account.to_owned(),
        merchant_name: format!("Shop {merchant}"),
        merchant_city: Some("Phnom Penh".to_owned()),
        currency: Currency::Usd,
        amount: Some(Amount::from_minor(minor, Currency::Usd).expect("amount")),
        bill_number: Some(format!("B{i:09}")),
        expiration_ms: Some(expires_at as u64 * 1000),
        ..KhqrInput::default()
    };
    input
        .build(created_at as u64 * 1000)
        .expect("khqr")
        .encode()
}

fn start_replicas(
    s: &Settings,
    url: &str,
    sandbox: &SandboxHandle,
    telegram: &TelegramEmulator,
    dir: &Path,
) -> Replicas {
    let mut children = Vec::new();
    for n in 0..s.replicas {
        let port = free_port();
        let metrics = SocketAddr::from(([127, 0, 0, 1], port));
        let log = dir.join(format!("replica-{n}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(&s.bin)
            .arg("run")
            .current_dir(dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("RUST_LOG", &s.log)
            .env("TELOXIDE_TOKEN", telegram.bot_token())
            .env("TELOXIDE_API_URL", telegram.api_url().as_str())
            .env("BAKONG_API_URL", sandbox.base_url())
            .env("DATABASE_URL", url)
            .env("KHQR_BOT_SECRET_KEY", KEY_HEX)
            .env("METRICS_LISTEN", metrics.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", s.bin.display()));
        children.push(Replica {
            child,
            metrics,
            log,
        });
    }
    Replicas { children }
}

async fn wait_ready(http: &reqwest::Client, r: &Replica) {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(resp) = http
            .get(format!("http://{}/metrics", r.metrics))
            .send()
            .await
            && resp.status().is_success()
        {
            return;
        }
        assert!(
            Instant::now() < until,
            "replica {} never served /metrics; its log: {}",
            r.pid(),
            r.log.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What a replica's stop said: its exit, and its log's last lines when it did not stop
/// cleanly.
struct Stopped {
    pid: String,
    exit: String,
    log_tail: String,
}

/// SIGTERM to each replica, then waits for them to exit (SIGKILL after 30 s).
async fn stop_replicas(mut replicas: Replicas) -> Vec<Stopped> {
    for r in &replicas.children {
        // SAFETY: kill only sends a signal to our own child.
        unsafe { libc::kill(r.child.id() as libc::pid_t, libc::SIGTERM) };
    }
    let mut out = Vec::new();
    for r in &mut replicas.children {
        let until = Instant::now() + Duration::from_secs(30);
        let exit = loop {
            match r.child.try_wait() {
                Ok(Some(status)) => break format!("{status}"),
                Ok(None) if Instant::now() < until => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ => {
                    let _ = r.child.kill();
                    let _ = r.child.wait();
                    break "killed after 30 s".to_owned();
                }
            }
        };
        let log = std::fs::read_to_string(&r.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        let tail = lines[lines.len().saturating_sub(5)..].join("\n");
        out.push(Stopped {
            pid: r.pid(),
            exit,
            log_tail: tail,
        });
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn report(
    s: &Settings,
    store: &Store,
    telegram: &TelegramEmulator,
    seeded: &[Seeded],
    paid: &[usize],
    paid_at: &HashMap<usize, Instant>,
    samples: &[ReplicaSamples],
    sandbox_requests: &[(Instant, u64, usize)],
    elapsed: Duration,
    cpu_of_bench: Option<Duration>,
    stopped: &[Stopped],
) {
    // Paid → edit, and edits per message.
    let edited = edited_messages(telegram);
    let mut latencies = Vec::new();
    let mut not_edited = 0;
    let mut edited_twice = 0;
    for i in paid {
        let c = &seeded[*i];
        let edit = c
            .message_id
            .and_then(|m| edited.get(&(user_of(c.merchant), m)));
        match (paid_at.get(i), edit) {
            (Some(p), Some((at, n))) => {
                latencies.push(at.saturating_duration_since(*p));
                if *n > 1 {
                    edited_twice += 1;
                }
            }
            _ => not_edited += 1,
        }
    }
    latencies.sort();
    let paid_messages: std::collections::HashSet<(i64, i32)> = paid
        .iter()
        .filter_map(|i| {
            let c = &seeded[*i];
            Some((user_of(c.merchant), c.message_id?))
        })
        .collect();
    let stray_edits = edited.keys().filter(|k| !paid_messages.contains(k)).count();

    // The database: statuses, and settlement events per charge.
    let statuses: Vec<(String, i64)> =
        sqlx::query_as("SELECT status, COUNT(*) FROM charges GROUP BY status ORDER BY status")
            .fetch_all(store.pool())
            .await
            .expect("statuses");
    let settled_twice: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT charge_id FROM events \
             WHERE kind IN ('charge_paid', 'charge_paid_late', 'charge_mismatch', \
                 'charge_mismatch_late', 'charge_failed', 'charge_expired', 'charge_unverified') \
             GROUP BY charge_id HAVING COUNT(*) > 1) AS t",
    )
    .fetch_one(store.pool())
    .await
    .expect("settled twice");
    let paid_events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM events WHERE kind = 'charge_paid'")
            .fetch_one(store.pool())
            .await
            .expect("paid events");
    let paid_rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM charges WHERE status = 'paid'")
        .fetch_one(store.pool())
        .await
        .expect("paid rows");
    let outbox_left: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM telegram_outbox WHERE done_at IS NULL")
            .fetch_one(store.pool())
            .await
            .expect("outbox");

    println!("## Replicas benchmark");
    println!(
        "replicas {}, merchants {}, pending charges {}, Bakong latency {} ms, payments {} ({}/s over {} s), run {:.0} s",
        s.replicas,
        s.merchants,
        s.charges,
        LATENCY.as_millis(),
        paid.len(),
        s.pay_per_sec,
        s.pay_span().as_secs(),
        elapsed.as_secs_f64()
    );
    println!();
    println!(
        "| replica | rounds | round p50 / p99 / max (ms) | mean round (ms) | Bakong requests | requests per round (mean, p50) | Bakong latency mean (ms) | edits sent | peak RSS (VmHWM) | CPU time |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut all_rounds = Vec::new();
    let mut total_rounds = 0.0;
    let mut total_requests = 0.0;
    for (n, r) in samples.iter().enumerate() {
        let (Some((_, first)), Some((_, last))) = (r.scrapes.first(), r.scrapes.last()) else {
            println!("| {n} | no scrape |");
            continue;
        };
        let rounds = last.rounds - first.rounds;
        let requests = last.bakong_requests - first.bakong_requests;
        total_rounds += rounds;
        total_requests += requests;
        let mean_round = if rounds > 0.0 {
            (last.round_sum - first.round_sum) / rounds
        } else {
            0.0
        };
        let bakong_mean = if requests > 0.0 {
            (last.bakong_sum - first.bakong_sum) / requests
        } else {
            0.0
        };
        let mut durations = r.rounds.clone();
        durations.sort();
        all_rounds.extend(durations.iter().copied());
        let mut per_round = r.requests_per_round.clone();
        per_round.sort_by(f64::total_cmp);
        let per_round_p50 = per_round.get(per_round.len() / 2).copied().unwrap_or(0.0);
        println!(
            "| {n} | {rounds:.0} ({} single, {} in merged intervals; {} failed) | {} / {} / {} | {:.0} | {requests:.0} | {:.0}, {per_round_p50:.0} | {:.1} | {:.0} | {:.1} MB | {:.1} s |",
            durations.len(),
            r.merged_rounds,
            last.round_failures,
            ms(percentile(&durations, 50.0)),
            ms(percentile(&durations, 99.0)),
            ms(durations.last().copied().unwrap_or_default()),
            mean_round * 1e3,
            if rounds > 0.0 { requests / rounds } else { 0.0 },
            bakong_mean * 1e3,
            last.outbox_sent - first.outbox_sent,
            r.peak_rss_kb as f64 / 1024.0,
            r.cpu.as_secs_f64(),
        );
    }
    all_rounds.sort();
    let sandbox_total = sandbox_requests.last().map_or(0, |(_, seq, _)| *seq);
    let md5s_asked = sandbox_requests.last().map_or(0, |(_, _, n)| *n);
    let window = match (sandbox_requests.first(), sandbox_requests.last()) {
        (Some(a), Some(b)) => b.0.saturating_duration_since(a.0),
        _ => Duration::ZERO,
    };
    let in_window = match (sandbox_requests.first(), sandbox_requests.last()) {
        (Some(a), Some(b)) => b.1 - a.1,
        _ => 0,
    };
    println!();
    println!(
        "all replicas: {total_rounds:.0} rounds, round p50 {} ms, p99 {} ms, max {} ms; {:.0} Bakong requests per round",
        ms(percentile(&all_rounds, 50.0)),
        ms(percentile(&all_rounds, 99.0)),
        ms(all_rounds.last().copied().unwrap_or_default()),
        if total_rounds > 0.0 {
            total_requests / total_rounds
        } else {
            0.0
        }
    );
    println!(
        "sandbox: {sandbox_total} requests in all ({:.1} per second while sampled), {md5s_asked} md5s asked ({:.1} per request)",
        in_window as f64 / window.as_secs_f64().max(1e-9),
        md5s_asked as f64 / (sandbox_total.max(1)) as f64
    );
    println!(
        "paid → Telegram edit ({} payments, {not_edited} not edited): p50 {:.2} s, p90 {:.2} s, p99 {:.2} s, max {:.2} s",
        paid.len(),
        percentile(&latencies, 50.0).as_secs_f64(),
        percentile(&latencies, 90.0).as_secs_f64(),
        percentile(&latencies, 99.0).as_secs_f64(),
        latencies.last().copied().unwrap_or_default().as_secs_f64()
    );
    let statuses_text: Vec<String> = statuses.iter().map(|(s, n)| format!("{s} {n}")).collect();
    println!(
        "nothing lost: charges by status: {}; paid rows {paid_rows}, charge_paid events {paid_events}, charges settled more than once {settled_twice}; paid messages edited more than once {edited_twice}, edits of other messages {stray_edits}; outbox undelivered {outbox_left}",
        statuses_text.join(", ")
    );
    // Doubled: a charge settled twice, a message edited twice, an edit of a message whose
    // charge was not paid. Lost: a charge that ended otherwise than paid (nothing expires
    // in the run). Late (not lost: still pending, or its edit still queued, when the run
    // ended): payments not found yet, edits not sent yet.
    let pending = statuses
        .iter()
        .find(|(st, _)| st == "pending")
        .map_or(0, |(_, n)| *n as usize);
    let ended_otherwise = statuses
        .iter()
        .filter(|(st, _)| st != "pending" && st != "paid")
        .map(|(_, n)| *n as usize)
        .sum::<usize>();
    let not_found_yet = pending.saturating_sub(s.charges - paid.len());
    let doubled = settled_twice > 0
        || edited_twice > 0
        || stray_edits > 0
        || paid_events != paid_rows
        || paid_rows as usize > paid.len();
    let edits_late = (paid_rows as usize).saturating_sub(paid.len() - not_edited);
    let verdict = if doubled {
        "DOUBLED: something was settled or edited twice (see the line above)".to_owned()
    } else if ended_otherwise > 0 || pending + paid_rows as usize != s.charges {
        "LOST: a charge ended otherwise than paid or pending (see the line above)".to_owned()
    } else if not_edited == 0 {
        "every payment settled once and edited once; every other charge still pending".to_owned()
    } else {
        format!(
            "nothing doubled or lost, but late when the run ended: {not_found_yet} payments not \
             found yet (their charges still pending), {edits_late} paid charges not edited yet"
        )
    };
    println!("verdict: {verdict}");
    if let Some(cpu) = cpu_of_bench {
        println!(
            "bench process (sandbox, emulator, sampler): CPU time {:.1} s",
            cpu.as_secs_f64()
        );
    }
    for st in stopped {
        if st.exit != "exit status: 0" {
            println!(
                "replica pid {} stopped with {}; last log lines:\n{}",
                st.pid, st.exit, st.log_tail
            );
        }
    }
}
