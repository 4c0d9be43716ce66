//! Spawns the real bot (`app::App`, the same start-up path as `khqr-bot run`) against the
//! fake Telegram server and the Bakong sandbox, both on 127.0.0.1, with a temp-file database.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use khqr_bot::app::{App, StartError};
use khqr_bot::bakong::sandbox::{Sandbox, SandboxHandle};
use khqr_bot::config::Config;
use khqr_bot::store::{Merchant, Store};
use khqr_bot::telegram_pacing::Limits;
use khqr_bot::time::{Clock, TestClock, UnixSecs};
use tokio_util::sync::CancellationToken;

use super::fake_telegram::{Call, FakeTelegram, TgUser};

/// Upper bound for anything to happen; only reached when a test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// The bot's pacing of its messages in these tests: Telegram's limits per group and overall,
/// but 20 ms rather than a second between two messages in a chat. The emulator does not
/// enforce pacing (only the flood windows a test opens); at a second per message a /setup
/// wizard alone waited 4 s. The pacing itself is tested in `telegram_pacing` (paused time).
pub fn pacing() -> Limits {
    Limits {
        per_chat_interval: Duration::from_millis(20),
        ..Limits::default()
    }
}

pub struct TestApp {
    pub telegram: FakeTelegram,
    pub bakong: SandboxHandle,
    pub dir: tempfile::TempDir,
    /// The running app's store (same database file).
    pub store: Store,
    /// The database's URL (`DATABASE_URL`): SQLite file or PostgreSQL database.
    db_url: String,
    /// The running app's shutdown token, and its `run`.
    running: Option<(CancellationToken, tokio::task::JoinHandle<()>)>,
    extra_env: HashMap<String, String>,
    /// The app's one clock (handlers and watcher): the system clock, shifted by
    /// `advance_clock` / `set_clock`.
    clock: TestClock,
    /// Where the running app serves `/healthz` and `/metrics` (`METRICS_LISTEN`).
    pub ops_addr: Option<SocketAddr>,
    /// Where the running app accepts webhook updates (`TELEGRAM_WEBHOOK_LISTEN`).
    pub webhook_addr: Option<SocketAddr>,
    /// How the app paces its messages ([`pacing`] unless a test asks for Telegram's own).
    limits: Limits,
}

impl TestApp {
    /// Fake Telegram + Bakong sandbox + a fresh database, and the bot running.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// Like [`TestApp::spawn`] with extra environment settings (e.g. `CHARGE_TTL_SECS`).
    pub async fn spawn_with(env: &[(&str, &str)]) -> TestApp {
        Self::spawn_with_clock(env, TestClock::following_system()).await
    }

    /// Like [`TestApp::spawn_with`] on `clock` (e.g. [`TestClock::frozen_at`]: no charge is
    /// due twice and no limit's window passes while the test does not move it).
    pub async fn spawn_with_clock(env: &[(&str, &str)], clock: TestClock) -> TestApp {
        Self::spawn_full(env, clock, pacing()).await
    }

    /// Like [`TestApp::spawn_with`], the bot pacing its messages by `limits` (e.g.
    /// `Limits::default()`, Telegram's: a second between two messages in a chat).
    pub async fn spawn_paced(env: &[(&str, &str)], limits: Limits) -> TestApp {
        Self::spawn_full(env, TestClock::following_system(), limits).await
    }

    async fn spawn_full(env: &[(&str, &str)], clock: TestClock, limits: Limits) -> TestApp {
        let telegram = FakeTelegram::start().await;
        let bakong = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db_url = super::db::fresh_database_url(dir.path(), "khqr-bot.db").await;
        let extra_env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut app = TestApp {
            telegram,
            bakong,
            dir,
            // Replaced by the app's own handle in start().
            store: Store::open(&db_url).await.unwrap(),
            db_url,
            running: None,
            extra_env,
            clock,
            ops_addr: None,
            webhook_addr: None,
            limits,
        };
        app.start().await;
        app
    }

    pub fn db_path(&self) -> PathBuf {
        self.dir.path().join("khqr-bot.db")
    }

    /// `DATABASE_URL` of the app: use this (not [`TestApp::db_path`]) to open the store.
    pub fn db_url(&self) -> &str {
        &self.db_url
    }

    /// The environment `khqr-bot run` would see.
    pub fn env(&self) -> HashMap<String, String> {
        let mut env = HashMap::from([
            (
                "TELOXIDE_TOKEN".to_owned(),
                self.telegram.bot_token().to_owned(),
            ),
            (
                "TELOXIDE_API_URL".to_owned(),
                self.telegram.api_url().to_string(),
            ),
            (
                "BAKONG_API_URL".to_owned(),
                self.bakong.base_url().to_owned(),
            ),
            ("DATABASE_URL".to_owned(), self.db_url.clone()),
        ]);
        if super::db::on_postgres() {
            // The key file SQLite keeps beside the database; PostgreSQL has no "beside".
            env.insert(
                "KHQR_BOT_SECRET_KEY_FILE".to_owned(),
                self.db_path().with_extension("key").display().to_string(),
            );
        }
        env.extend(self.extra_env.clone());
        env
    }

    /// Sets (`Some`) or removes (`None`) an environment setting for the next start.
    pub fn set_env(&mut self, name: &str, value: Option<&str>) {
        match value {
            Some(v) => self.extra_env.insert(name.to_owned(), v.to_owned()),
            None => self.extra_env.remove(name),
        };
    }

    /// Starts the bot (a new `App` on the same database and key file).
    pub async fn start(&mut self) {
        if let Err(e) = self.try_start().await {
            panic!("the bot did not start: {e}");
        }
    }

    /// Like [`TestApp::start`], returning why the bot refused to start.
    pub async fn try_start(&mut self) -> Result<(), StartError> {
        assert!(self.running.is_none(), "already running");
        let env = self.env();
        let config = Config::from_source(|k| env.get(k).cloned()).unwrap();
        let app = App::start_with(&config, self.clock.shared(), self.limits).await?;
        self.store = app.store.clone();
        self.ops_addr = app.ops_addr;
        self.webhook_addr = app.webhook_addr;
        let shutdown = app.shutdown_token();
        let task = tokio::spawn(async move {
            app.run().await.unwrap();
        });
        self.running = Some((shutdown, task));
        Ok(())
    }

    /// Moves the app's clock (handlers, polling, outbox, reminders, token renewal) `secs`
    /// further, instead of sleeping.
    pub fn advance_clock(&self, secs: i64) {
        self.clock.advance_secs(secs);
    }

    /// Makes it `unix` seconds now for the app (the clock keeps running from there).
    pub fn set_clock(&self, unix: UnixSecs) {
        self.clock.set_unix_secs(unix);
    }

    /// The app's "now", in unix seconds.
    pub fn clock_now(&self) -> UnixSecs {
        self.clock.unix_secs()
    }

    /// Stops the bot the way SIGTERM does and waits until it has stopped.
    pub async fn stop(&mut self) {
        let (shutdown, task) = self.running.take().expect("running");
        shutdown.cancel();
        tokio::time::timeout(WAIT, task)
            .await
            .expect("the bot stops within WAIT")
            .unwrap();
        self.store.close().await;
    }

    /// `user` sends `text`; returns the first text message the bot sends back to them.
    pub async fn say(&self, user: &TgUser, text: &str) -> String {
        let since = self.telegram.call_count();
        self.telegram.send_text(user, text);
        let call = self.next_text(user, since).await;
        call.text().unwrap().to_owned()
    }

    /// `user` sends `text`; returns the first text the bot sends back to them: a message's
    /// text or a photo's caption (`/history` answers with a chart captioned by its summary).
    pub async fn say_or_caption(&self, user: &TgUser, text: &str) -> String {
        let since = self.telegram.call_count();
        self.telegram.send_text(user, text);
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let answer = self.telegram.calls().into_iter().skip(since).find_map(|c| {
                let to_user = c.chat_id() == Some(user.id);
                if to_user && c.is("sendMessage") {
                    c.text().map(str::to_owned)
                } else if to_user && c.is("sendPhoto") {
                    c.caption().map(str::to_owned)
                } else {
                    None
                }
            });
            if let Some(answer) = answer {
                return answer;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no answer to {text:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The first `sendMessage` to `user` at or after call index `since`.
    pub async fn next_text(&self, user: &TgUser, since: usize) -> Call {
        self.telegram
            .wait_for_since(since, "sendMessage", |c| c.chat_id() == Some(user.id), WAIT)
            .await
            .unwrap()
    }

    /// Sends `text`, waits for the photo the bot answers with and for the bot to have
    /// recorded the charge (no charge left `creating`).
    pub async fn charge_photo(&self, user: &TgUser, text: &str) -> Call {
        let since = self.telegram.call_count();
        self.telegram.send_text(user, text);
        let call = self
            .telegram
            .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(user.id), WAIT)
            .await
            .unwrap();
        self.wait_no_creating_charges().await;
        call
    }

    /// Waits until the bot has finished every charge it was creating.
    pub async fn wait_no_creating_charges(&self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let creating: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM charges WHERE status = 'creating'")
                    .fetch_one(self.store.pool())
                    .await
                    .unwrap();
            if creating == 0 {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "a charge stayed creating"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// A fresh valid Bakong token from the sandbox.
    pub fn bakong_token(&self, email: &str) -> String {
        self.bakong.issue_token(email)
    }

    /// Runs the whole /setup wizard for `user`; returns the token used.
    pub async fn setup_merchant(
        &self,
        user: &TgUser,
        account: &str,
        shop: &str,
        city: &str,
    ) -> String {
        let token = self.bakong_token(&format!("{}@example.com", user.id));
        self.say(user, "/setup").await;
        self.say(user, account).await;
        self.say(user, shop).await;
        self.say(user, city).await;
        let done = self.say(user, &token).await;
        assert!(
            done.contains(account),
            "setup did not complete for {}: {done}",
            user.id
        );
        token
    }

    pub async fn merchant(&self, user: &TgUser) -> Option<Merchant> {
        self.store.merchant_by_user(user.id).await.unwrap()
    }

    pub async fn charge_count(&self) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM charges")
            .fetch_one(self.store.pool())
            .await
            .unwrap()
    }

    /// Every byte the database holds on disk. SQLite: the main file, WAL and shared memory.
    /// PostgreSQL: every row of every table as text (what a dump holds), and — when the
    /// throw-away cluster's directory is readable (`KHQR_PG_DIR`) — this database's files
    /// and the cluster's WAL.
    pub async fn database_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        if super::db::on_postgres() {
            return super::db::postgres_bytes(&self.store).await;
        }
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", self.db_path().display()));
            if let Ok(bytes) = std::fs::read(&path) {
                all.extend(bytes);
            }
        }
        all
    }
}

/// Decodes the QR code in a PNG (the photo the bot sent) as a phone does: with rxing, the
/// ZXing-family decoder. (rqrr, used here before, once found the grid of a card and failed
/// to decode it: `ops::webhook` under `--test-threads=4`, a card with a random bill number.)
pub fn decode_qr(png: &[u8]) -> String {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    crate::support::render::rxing_read(&img)
        .unwrap_or_else(|e| panic!("no QR code read from the card: {e}"))
}

/// True when rqrr finds no QR code at all in a PNG.
pub fn no_qr_in(png: &[u8]) -> bool {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    rqrr::PreparedImage::prepare(img).detect_grids().is_empty()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
