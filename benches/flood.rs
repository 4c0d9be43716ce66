//! Floods: does another seller wait? One `khqr-bot run` (a child process of the release
//! binary, production settings: Telegram's pacing of a second between two messages in a
//! chat) against the Telegram emulator and the Bakong sandbox, both in this process, on a
//! SQLite file. Each run:
//!
//! 1. one user sends 150 messages (`/help`) and 30 members of a group send `/help`, all
//!    queued at once;
//! 2. right after them, another seller (set up through the store API) sends
//!    `/charge 1.50 USD flood bench`: measured, the time until the emulator has the card
//!    (`sendPhoto`) — target ≤ 2 s;
//! 3. the sandbox is paid for that card: measured, the time until the emulator has the
//!    paid edit (`editMessageMedia`) — target: within the watcher's usual p99 (BENCHMARKS.md
//!    "Watcher": ≤ 3 s);
//! 4. SIGTERM: measured, the time until the process has exited — target ≤ 10 s.
//!
//! Also counted: the flooder's answers and the group's. Each wait gives up after
//! `FLOOD_BENCH_CAP_SECS` (then the figure is "> cap"); a process still running then is
//! killed. The updates are queued with `send_text` / `send_group_text` one after another
//! (microseconds apart), so the same bench runs against builds that predate the emulator's
//! flood helpers.
//!
//! ```text
//! cargo bench --bench flood
//! FLOOD_BENCH_BIN=/path/to/khqr-bot FLOOD_BENCH_RUNS=5 cargo bench --bench flood
//! ```
//!
//! Settings (environment): `FLOOD_BENCH_BIN` (the `khqr-bot` binary; default the one cargo
//! built with this bench), `FLOOD_BENCH_RUNS` (3), `FLOOD_BENCH_CAP_SECS` (180),
//! `FLOOD_BENCH_LOG` (`RUST_LOG` of the bot, default `warn`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use khqr_bot::bakong::sandbox::{Payment, Sandbox, SandboxHandle};
use khqr_bot::bakong::{Currency as BakongCurrency, DecimalAmount};
use khqr_bot::crypto::{SecretBox, SecretKey};
use khqr_bot::emulator::telegram::{TelegramEmulator, TgUser};
use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{BakongAccountId, City, ShopName};
use khqr_bot::store::{MerchantId, Profile, Store};
use khqr_bot::time::{Clock, SystemClock};

/// The key that seals the seller's token; the bot gets it as `KHQR_BOT_SECRET_KEY`.
const KEY_HEX: &str = "4242424242424242424242424242424242424242424242424242424242424242";
const SELLER: i64 = 7_001;
const FLOODER: i64 = 7_002;
const GROUP: i64 = -100_700;
const FLOOD_MESSAGES: usize = 150;
const GROUP_MEMBERS: i64 = 30;
const ACCOUNT: &str = "flood@aclb";

struct Settings {
    bin: PathBuf,
    runs: usize,
    cap: Duration,
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

fn main() {
    let settings = Settings {
        bin: std::env::var_os("FLOOD_BENCH_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_khqr-bot"))),
        runs: env_or("FLOOD_BENCH_RUNS", 3),
        cap: Duration::from_secs(env_or("FLOOD_BENCH_CAP_SECS", 180)),
        log: env_or("FLOOD_BENCH_LOG", "warn".to_owned()),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    eprintln!(
        "binary {}; {} run(s); {FLOOD_MESSAGES} messages from one user + {GROUP_MEMBERS} group commands, then another seller's /charge",
        settings.bin.display(),
        settings.runs
    );
    let mut results = Vec::new();
    for n in 1..=settings.runs {
        let result = runtime.block_on(run(&settings));
        eprintln!("run {n}: {}", result.line(settings.cap));
        results.push(result);
    }
    println!(
        "\n| run | /charge → card | paid → edit | SIGTERM → exit | flooder's answers | group's answers |"
    );
    println!("| --- | --- | --- | --- | --- | --- |");
    for (n, r) in results.iter().enumerate() {
        println!("| {} | {} |", n + 1, r.cells(settings.cap).join(" | "));
    }
}

/// One run's figures (`None`: not within the cap).
struct RunResult {
    card: Option<Duration>,
    paid_edit: Option<Duration>,
    stop: Option<Duration>,
    flooder_answers: usize,
    group_answers: usize,
}

fn secs(d: Option<Duration>, cap: Duration) -> String {
    match d {
        Some(d) => format!("{:.2} s", d.as_secs_f64()),
        None => format!("> {} s", cap.as_secs()),
    }
}

impl RunResult {
    fn cells(&self, cap: Duration) -> Vec<String> {
        vec![
            secs(self.card, cap),
            if self.card.is_some() {
                secs(self.paid_edit, cap)
            } else {
                "—".to_owned()
            },
            secs(self.stop, cap),
            format!("{} of {FLOOD_MESSAGES}", self.flooder_answers),
            format!("{} of {GROUP_MEMBERS}", self.group_answers),
        ]
    }

    fn line(&self, cap: Duration) -> String {
        let c = self.cells(cap);
        format!(
            "card {}, paid edit {}, stop {}, flooder answered {}, group answered {}",
            c[0], c[1], c[2], c[3], c[4]
        )
    }
}

/// The child process; killed if the run ends early.
struct Bot(Child);

impl Drop for Bot {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

async fn run(s: &Settings) -> RunResult {
    let sandbox = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("sandbox");
    let telegram = TelegramEmulator::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("telegram emulator");
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("flood.db").display());
    let store = Store::open(&url).await.expect("store");
    let merchant = seed_seller(&store, &sandbox).await;
    let seller = TgUser::english(SELLER);
    telegram.register_user(&seller);

    let log = dir.path().join("bot.log");
    let mut bot = Bot(Command::new(&s.bin)
        .arg("run")
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("RUST_LOG", &s.log)
        .env("TELOXIDE_TOKEN", telegram.bot_token())
        .env("TELOXIDE_API_URL", telegram.api_url().as_str())
        .env("BAKONG_API_URL", sandbox.base_url())
        .env("DATABASE_URL", &url)
        .env("KHQR_BOT_SECRET_KEY", KEY_HEX)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", s.bin.display())));
    // Ready: it polls Telegram.
    let ready_by = Instant::now() + Duration::from_secs(60);
    while telegram.get_updates_count() == 0 {
        assert!(
            Instant::now() < ready_by,
            "the bot never polled; its log: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The flood, then the seller, all queued before the bot's next getUpdates answer.
    let flooder = TgUser::english(FLOODER);
    let crowd: Vec<TgUser> = (0..GROUP_MEMBERS)
        .map(|i| TgUser::english(8_000 + i))
        .collect();
    for _ in 0..FLOOD_MESSAGES {
        telegram.send_text(&flooder, "/help");
    }
    for member in &crowd {
        telegram.send_group_text(member, GROUP, "/help");
    }
    let since = telegram.call_count();
    let asked = Instant::now();
    telegram.send_text(&seller, "/charge 1.50 USD flood bench");
    let card = telegram
        .wait_for_since(
            since,
            "sendPhoto",
            |c| c.chat_id() == Some(SELLER) && c.succeeded(),
            s.cap,
        )
        .await
        .ok()
        .map(|_| asked.elapsed());

    let paid_edit = match card {
        Some(_) => pay_and_wait_for_edit(&store, merchant, &sandbox, &telegram, s.cap).await,
        None => None,
    };

    // SIGTERM, then wait for the exit.
    let term = Instant::now();
    // SAFETY: kill only sends a signal to our own child.
    unsafe { libc::kill(bot.0.id() as libc::pid_t, libc::SIGTERM) };
    let stop = loop {
        match bot.0.try_wait() {
            Ok(Some(_)) => break Some(term.elapsed()),
            Ok(None) if term.elapsed() < s.cap => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            _ => break None,
        }
    };
    drop(bot);
    let flooder_answers = answers_to(&telegram, FLOODER);
    let group_answers = answers_to(&telegram, GROUP);
    store.close().await;
    RunResult {
        card,
        paid_edit,
        stop,
        flooder_answers,
        group_answers,
    }
}

/// Successful `sendMessage` calls to `chat`.
fn answers_to(telegram: &TelegramEmulator, chat: i64) -> usize {
    telegram
        .calls_of("sendMessage")
        .iter()
        .filter(|c| c.chat_id() == Some(chat) && c.succeeded())
        .count()
}

/// The seller, set up as `/setup` leaves one: profile and a sandbox token, sealed.
async fn seed_seller(store: &Store, sandbox: &SandboxHandle) -> MerchantId {
    let now = SystemClock.unix_secs();
    let merchant = store
        .ensure_merchant(SELLER, SELLER, Lang::En, now)
        .await
        .expect("merchant");
    let token = sandbox.issue_token("flood@example.com");
    let secrets = SecretBox::new(&SecretKey::parse(KEY_HEX).expect("key"));
    let profile = Profile {
        account_id: BakongAccountId::parse(ACCOUNT).expect("account"),
        shop_name: ShopName::parse("Flood Bench").expect("shop name"),
        city: City::parse("Phnom Penh").expect("city"),
        token_sealed: secrets
            .seal(&merchant.id.token_aad(), token.as_bytes())
            .expect("seal"),
        token_expires_at: None,
    };
    store
        .save_profile(merchant.id, &profile, now)
        .await
        .expect("profile");
    merchant.id
}

/// Pays the seller's card in the sandbox once it is recorded; the time from the payment to
/// the emulator having the card's edit.
async fn pay_and_wait_for_edit(
    store: &Store,
    merchant: MerchantId,
    sandbox: &SandboxHandle,
    telegram: &TelegramEmulator,
    cap: Duration,
) -> Option<Duration> {
    let until = Instant::now() + cap;
    let (md5, message_id) = loop {
        let charges = store.merchant_charges(merchant, 1).await.expect("charges");
        if let Some(c) = charges.first()
            && let Some(message_id) = c.message_id
        {
            break (c.md5.clone(), message_id);
        }
        if Instant::now() >= until {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let since = telegram.call_count();
    let paid = Instant::now();
    sandbox
        .pay(
            &md5,
            Payment::new(
                &DecimalAmount::parse("1.50").expect("amount"),
                BakongCurrency::Usd,
                ACCOUNT,
            ),
        )
        .expect("pay");
    telegram
        .wait_for_since(
            since,
            "editMessageMedia",
            |c| c.chat_id() == Some(SELLER) && c.message_id() == Some(message_id) && c.succeeded(),
            cap.saturating_sub(paid.elapsed()),
        )
        .await
        .ok()
        .map(|_| paid.elapsed())
}
