//! Start-up settings from the environment (and `.env`), parsed into a typed [`Config`].
//!
//! [`Config::from_source`] is a pure function over a key → value lookup so it can be tested
//! without touching the process environment; [`Config::from_env`] feeds it `std::env`.
//! Every error names the setting it is about, in one line.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::crypto::SecretKey;
use crate::store::Backend;

mod flood;
pub use flood::{Budget, FloodLimits};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://khqr-bot.db";
/// The integration guide's ceiling for a dynamic KHQR's lifetime.
pub const MAX_CHARGE_TTL_SECS: u64 = 600;
pub const DEFAULT_CHARGE_TTL_SECS: u64 = 600;
pub const DEFAULT_POLL_INTERVAL_SECS: u64 = 5;
const MIN_CHARGE_TTL_SECS: u64 = 60;
const MAX_POLL_INTERVAL_SECS: u64 = 300;
const MAX_BAKONG_RPS: u32 = 1000;
/// Where the webhook listener binds when `TELEGRAM_WEBHOOK_LISTEN` is unset.
pub const DEFAULT_WEBHOOK_LISTEN: &str = "0.0.0.0:8443";
/// Telegram's limit on `secret_token` (setWebhook): 1–256 characters of `A-Za-z0-9_-`.
const MAX_WEBHOOK_SECRET: usize = 256;
/// Our floor for `TELEGRAM_WEBHOOK_SECRET`: the secret is all that stands between the open
/// webhook URL and forged updates (anyone's `/charge`, button presses), and Telegram itself
/// accepts a single character. 16 characters of its 64-letter alphabet are 96 bits.
pub const MIN_WEBHOOK_SECRET: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{name}: {reason}")]
pub struct ConfigError {
    /// The environment variable at fault.
    pub name: &'static str,
    pub reason: String,
}

impl ConfigError {
    fn new(name: &'static str, reason: impl Into<String>) -> Self {
        Self {
            name,
            reason: reason.into(),
        }
    }
}

/// The Telegram bot token. `Debug` does not print it.
#[derive(Clone)]
pub struct BotToken(String);

impl BotToken {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for BotToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BotToken(<redacted>)")
    }
}

/// `TELEGRAM_WEBHOOK_SECRET`: what Telegram sends back in `X-Telegram-Bot-Api-Secret-Token`
/// on every webhook request. `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookSecret(String);

impl WebhookSecret {
    /// Telegram's rule for `secret_token` (at most 256 characters, only `A-Z a-z 0-9 _ -`)
    /// and our floor of [`MIN_WEBHOOK_SECRET`] characters: a short secret can be guessed.
    pub fn parse(text: &str) -> Result<Self, String> {
        let len = text.chars().count();
        if len < MIN_WEBHOOK_SECRET {
            return Err(format!(
                "too short to keep forged updates out: at least {MIN_WEBHOOK_SECRET} characters (it is {len}); use a random one, e.g. openssl rand -hex 32"
            ));
        }
        if len > MAX_WEBHOOK_SECRET {
            return Err(format!(
                "Telegram takes at most {MAX_WEBHOOK_SECRET} characters (it is {len})"
            ));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err("only letters A-Z a-z, digits, _ and - are allowed".to_owned());
        }
        Ok(Self(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(<redacted>)")
    }
}

/// Webhook mode (`TELEGRAM_WEBHOOK_URL` set): Telegram POSTs updates to `url`, which a
/// reverse proxy or load balancer forwards to `listen`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// `TELEGRAM_WEBHOOK_URL`: the public address given to `setWebhook`; its path is the
    /// path the listener accepts updates on.
    pub url: reqwest::Url,
    /// `TELEGRAM_WEBHOOK_LISTEN` (default [`DEFAULT_WEBHOOK_LISTEN`]).
    pub listen: SocketAddr,
    /// `TELEGRAM_WEBHOOK_SECRET` (required).
    pub secret: WebhookSecret,
}

/// `LOG_FORMAT`: how log lines are written to stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Unset or `text`: one human-readable line per event.
    #[default]
    Text,
    /// `json`: one JSON object per line (for log collectors).
    Json,
}

impl LogFormat {
    /// `LOG_FORMAT` from `get` (trimmed, non-empty values only; case-insensitive).
    pub fn from_source(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        match get("LOG_FORMAT") {
            None => Ok(LogFormat::Text),
            Some(v) if v.eq_ignore_ascii_case("text") => Ok(LogFormat::Text),
            Some(v) if v.eq_ignore_ascii_case("json") => Ok(LogFormat::Json),
            Some(v) => Err(ConfigError::new(
                "LOG_FORMAT",
                format!("expected text or json, got {v}"),
            )),
        }
    }

    /// `LOG_FORMAT` from the process environment (`.env` included once loaded; logging
    /// starts before the other settings are read). `None` for a value that is neither `text` nor `json`
    /// (`khqr-bot run` then stops with the error from [`Config`]).
    pub fn from_env() -> Option<Self> {
        Self::from_source(&|name| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        })
        .ok()
    }
}

/// Where the key that encrypts Bakong tokens at rest comes from.
#[derive(Debug, Clone)]
pub enum KeySource {
    /// `KHQR_BOT_SECRET_KEY`.
    Env(SecretKey),
    /// Unset: a key file beside the database, created on first start.
    File(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub telegram_token: BotToken,
    /// `TELOXIDE_API_URL`: another Bot API server (tests, local Bot API server).
    pub telegram_api_url: Option<reqwest::Url>,
    pub database_url: String,
    /// `BAKONG_API_URL`: `None` means the Bakong client's production default.
    pub bakong_api_url: Option<reqwest::Url>,
    pub secret_key: KeySource,
    pub charge_ttl: Duration,
    pub poll_interval: Duration,
    /// `BAKONG_MAX_RPS`: most Bakong requests a second when the watcher has to poll per
    /// md5 (the list endpoint closed).
    pub bakong_max_rps: u32,
    /// `TELEGRAM_WEBHOOK_*`: `None` = long polling (the default).
    pub webhook: Option<WebhookConfig>,
    /// `METRICS_LISTEN`: where `/healthz` and `/metrics` are served; `None` = nowhere.
    pub metrics_listen: Option<SocketAddr>,
    /// `LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `FLOOD_*`: what the bot drops before its handlers (see `bot::shedding`).
    pub flood: FloodLimits,
}

impl Config {
    /// Reads `.env` when present, then the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a malformed one is reported by name.
        if let Err(e) = dotenvy::dotenv()
            && !e.not_found()
        {
            return Err(ConfigError::new(".env", e.to_string()));
        }
        Self::from_source(|name| std::env::var(name).ok())
    }

    /// Parses settings from `get` (variable name → value). Empty values count as unset.
    pub fn from_source(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let telegram_token = get("TELOXIDE_TOKEN").ok_or_else(|| {
            ConfigError::new(
                "TELOXIDE_TOKEN",
                "required: the bot token @BotFather gave you",
            )
        })?;
        if !looks_like_bot_token(&telegram_token) {
            return Err(ConfigError::new(
                "TELOXIDE_TOKEN",
                "malformed: expected <digits>:<secret> as given by @BotFather",
            ));
        }
        let telegram_api_url = get("TELOXIDE_API_URL")
            .map(|v| parse_http_url("TELOXIDE_API_URL", &v))
            .transpose()?;
        let bakong_api_url = get("BAKONG_API_URL")
            .map(|v| parse_http_url("BAKONG_API_URL", &v))
            .transpose()?;

        let database_url = database_url(&get)?;
        let secret_key = key_source(&get, &database_url)?;

        let charge_ttl = secs(
            "CHARGE_TTL_SECS",
            get("CHARGE_TTL_SECS"),
            DEFAULT_CHARGE_TTL_SECS,
            MIN_CHARGE_TTL_SECS..=MAX_CHARGE_TTL_SECS,
        )?;
        let poll_interval = secs(
            "POLL_INTERVAL_SECS",
            get("POLL_INTERVAL_SECS"),
            DEFAULT_POLL_INTERVAL_SECS,
            1..=MAX_POLL_INTERVAL_SECS,
        )?;

        let bakong_max_rps = match get("BAKONG_MAX_RPS") {
            None => crate::watcher::DEFAULT_MAX_RPS,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_BAKONG_RPS).contains(n))
                .ok_or_else(|| {
                    ConfigError::new(
                        "BAKONG_MAX_RPS",
                        format!(
                            "not a whole number of requests a second in 1..={MAX_BAKONG_RPS}: {v}"
                        ),
                    )
                })?,
        };

        let webhook = webhook(&get, telegram_api_url.is_some())?;
        let metrics_listen = get("METRICS_LISTEN")
            .map(|v| listen_address("METRICS_LISTEN", &v))
            .transpose()?;
        if let (Some(metrics), Some(hook)) = (metrics_listen, &webhook)
            && metrics == hook.listen
        {
            return Err(ConfigError::new(
                "METRICS_LISTEN",
                format!(
                    "{metrics} is TELEGRAM_WEBHOOK_LISTEN's address too: give each its own port"
                ),
            ));
        }
        let log_format = LogFormat::from_source(&get)?;
        let flood = FloodLimits::from_source(&get)?;

        Ok(Self {
            telegram_token: BotToken(telegram_token),
            telegram_api_url,
            database_url,
            bakong_api_url,
            secret_key,
            charge_ttl,
            poll_interval,
            bakong_max_rps,
            webhook,
            metrics_listen,
            log_format,
            flood,
        })
    }
}

/// `TELEGRAM_WEBHOOK_URL`, `_LISTEN`, `_SECRET`. The URL must be https for Telegram's own
/// servers; plain http is accepted only with another Bot API server (`TELOXIDE_API_URL`:
/// a local Bot API server, the emulator). The listen address and the secret without a URL
/// are mistakes, not silently ignored settings.
fn webhook(
    get: &impl Fn(&str) -> Option<String>,
    other_api_server: bool,
) -> Result<Option<WebhookConfig>, ConfigError> {
    let Some(url_text) = get("TELEGRAM_WEBHOOK_URL") else {
        for name in ["TELEGRAM_WEBHOOK_LISTEN", "TELEGRAM_WEBHOOK_SECRET"] {
            if get(name).is_some() {
                return Err(ConfigError::new(
                    name,
                    "only used with TELEGRAM_WEBHOOK_URL, which is not set",
                ));
            }
        }
        return Ok(None);
    };
    let url = parse_http_url("TELEGRAM_WEBHOOK_URL", &url_text)?;
    if url.scheme() != "https" && !other_api_server {
        return Err(ConfigError::new(
            "TELEGRAM_WEBHOOK_URL",
            format!("Telegram only calls https webhooks: {url_text}"),
        ));
    }
    let listen = listen_address(
        "TELEGRAM_WEBHOOK_LISTEN",
        &get("TELEGRAM_WEBHOOK_LISTEN").unwrap_or_else(|| DEFAULT_WEBHOOK_LISTEN.to_owned()),
    )?;
    let secret_text = get("TELEGRAM_WEBHOOK_SECRET").ok_or_else(|| {
        ConfigError::new(
            "TELEGRAM_WEBHOOK_SECRET",
            "required with TELEGRAM_WEBHOOK_URL: a random string of 16 to 256 characters A-Z a-z 0-9 _ - (e.g. openssl rand -hex 32)",
        )
    })?;
    let secret = WebhookSecret::parse(&secret_text)
        .map_err(|reason| ConfigError::new("TELEGRAM_WEBHOOK_SECRET", reason))?;
    Ok(Some(WebhookConfig {
        url,
        listen,
        secret,
    }))
}

/// An `ip:port` to listen on (`0.0.0.0:9100`, `127.0.0.1:0`, `[::]:8443`).
fn listen_address(name: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| {
        ConfigError::new(
            name,
            format!("not an ip:port address to listen on (e.g. 0.0.0.0:9100): {value}"),
        )
    })
}

/// `DATABASE_URL` (default [`DEFAULT_DATABASE_URL`]): an `sqlite:` URL naming a file (or
/// memory), or a `postgres://` / `postgresql://` URL with a host and a database name.
/// `get` returns trimmed, non-empty values only.
pub fn database_url(get: &impl Fn(&str) -> Option<String>) -> Result<String, ConfigError> {
    let url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
    let invalid = |reason: String| ConfigError::new("DATABASE_URL", reason);
    match Backend::of_url(&url) {
        Some(Backend::Sqlite) => {
            sqlite_path(&url).map_err(invalid)?;
        }
        Some(Backend::Postgres) => {
            let parsed = reqwest::Url::parse(&url)
                .map_err(|e| invalid(format!("not a PostgreSQL URL ({e})")))?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err(invalid(
                    "no host in the PostgreSQL URL (postgres://USER:PASSWORD@HOST:5432/DATABASE)"
                        .to_owned(),
                ));
            }
            if parsed.path().trim_start_matches('/').is_empty() {
                return Err(invalid(
                    "no database name in the PostgreSQL URL (postgres://USER:PASSWORD@HOST:5432/DATABASE)"
                        .to_owned(),
                ));
            }
        }
        None => {
            return Err(invalid(
                "only sqlite: and postgres:// URLs are supported (e.g. sqlite://khqr-bot.db)"
                    .to_owned(),
            ));
        }
    }
    Ok(url)
}

/// The key that seals Bakong tokens: `KHQR_BOT_SECRET_KEY`, else the file
/// `KHQR_BOT_SECRET_KEY_FILE` names (e.g. a container secret), else — SQLite only — the key
/// file beside the database at `database_url`. With PostgreSQL there is no "beside": every
/// replica must be given the same key. `get` returns trimmed, non-empty values only.
pub fn key_source(
    get: &impl Fn(&str) -> Option<String>,
    database_url: &str,
) -> Result<KeySource, ConfigError> {
    if let Some(text) = get("KHQR_BOT_SECRET_KEY") {
        return secret_key("KHQR_BOT_SECRET_KEY", &text).map(KeySource::Env);
    }
    if let Some(path) = get("KHQR_BOT_SECRET_KEY_FILE") {
        return Ok(KeySource::File(PathBuf::from(path)));
    }
    if Backend::of_url(database_url) == Some(Backend::Postgres) {
        return Err(ConfigError::new(
            "KHQR_BOT_SECRET_KEY",
            "required with PostgreSQL (or KHQR_BOT_SECRET_KEY_FILE): every replica needs the same key",
        ));
    }
    let db_path =
        sqlite_path(database_url).map_err(|reason| ConfigError::new("DATABASE_URL", reason))?;
    match db_path {
        Some(path) => Ok(KeySource::File(path.with_extension("key"))),
        None => Err(ConfigError::new(
            "KHQR_BOT_SECRET_KEY",
            "required with an in-memory database (no place for a key file)",
        )),
    }
}

/// A key given in the environment variable `name`.
pub fn secret_key(name: &'static str, text: &str) -> Result<SecretKey, ConfigError> {
    SecretKey::parse(text).map_err(|e| ConfigError::new(name, format!("malformed: {e}")))
}

fn looks_like_bot_token(token: &str) -> bool {
    match token.split_once(':') {
        Some((id, secret)) => {
            !id.is_empty()
                && id.bytes().all(|b| b.is_ascii_digit())
                && !secret.is_empty()
                && secret
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        }
        None => false,
    }
}

fn parse_http_url(name: &'static str, value: &str) -> Result<reqwest::Url, ConfigError> {
    let url = reqwest::Url::parse(value)
        .map_err(|e| ConfigError::new(name, format!("not a URL ({e}): {value}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(name, format!("must be http(s): {value}")));
    }
    Ok(url)
}

fn secs(
    name: &'static str,
    value: Option<String>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<Duration, ConfigError> {
    let Some(value) = value else {
        return Ok(Duration::from_secs(default));
    };
    let n: u64 = value
        .parse()
        .map_err(|_| ConfigError::new(name, format!("not a whole number of seconds: {value}")))?;
    if !range.contains(&n) {
        return Err(ConfigError::new(
            name,
            format!("{n} is out of range {}..={}", range.start(), range.end()),
        ));
    }
    Ok(Duration::from_secs(n))
}

/// The file behind a `sqlite:` URL; `Ok(None)` for an in-memory database.
pub fn sqlite_path(url: &str) -> Result<Option<PathBuf>, String> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| format!("only sqlite: URLs are supported, got {url}"))?;
    let path = rest.split('?').next().unwrap_or_default(); // ok: split yields at least one item
    if path == ":memory:" || rest.contains("mode=memory") {
        return Ok(None);
    }
    if path.is_empty() {
        return Err(format!("no database file in {url}"));
    }
    Ok(Some(PathBuf::from(path)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const TOKEN: &str = "123456:ABC-def_ghi";

    fn parse(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_source(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_with_only_the_token() {
        let c = parse(&[("TELOXIDE_TOKEN", TOKEN)]).unwrap();
        assert_eq!(c.telegram_token.expose(), TOKEN);
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.charge_ttl, Duration::from_secs(600));
        assert_eq!(c.poll_interval, Duration::from_secs(5));
        assert_eq!(c.bakong_max_rps, crate::watcher::DEFAULT_MAX_RPS);
        assert!(c.telegram_api_url.is_none());
        assert!(c.bakong_api_url.is_none());
        assert!(c.webhook.is_none());
        assert!(c.metrics_listen.is_none());
        assert_eq!(c.log_format, LogFormat::Text);
        match c.secret_key {
            KeySource::File(p) => assert_eq!(p, PathBuf::from("khqr-bot.key")),
            KeySource::Env(_) => panic!("expected a key file"),
        }
    }

    #[test]
    fn everything_set() {
        let c = parse(&[
            ("TELOXIDE_TOKEN", TOKEN),
            ("TELOXIDE_API_URL", "http://127.0.0.1:9000/"),
            ("DATABASE_URL", "sqlite:///data/khqr-bot.db"),
            ("BAKONG_API_URL", "http://127.0.0.1:8099"),
            ("KHQR_BOT_SECRET_KEY", &"ab".repeat(32)),
            ("CHARGE_TTL_SECS", "300"),
            ("POLL_INTERVAL_SECS", "2"),
            ("BAKONG_MAX_RPS", "25"),
        ])
        .unwrap();
        assert_eq!(c.bakong_max_rps, 25);
        assert_eq!(
            c.telegram_api_url.unwrap().as_str(),
            "http://127.0.0.1:9000/"
        );
        assert_eq!(c.bakong_api_url.unwrap().port(), Some(8099));
        assert_eq!(c.charge_ttl, Duration::from_secs(300));
        assert_eq!(c.poll_interval, Duration::from_secs(2));
        assert!(matches!(c.secret_key, KeySource::Env(_)));
    }

    #[test]
    fn key_file_sits_beside_the_database() {
        let c = parse(&[
            ("TELOXIDE_TOKEN", TOKEN),
            ("DATABASE_URL", "sqlite:///data/khqr-bot.db?mode=rwc"),
        ])
        .unwrap();
        match c.secret_key {
            KeySource::File(p) => assert_eq!(p, PathBuf::from("/data/khqr-bot.key")),
            KeySource::Env(_) => panic!("expected a key file"),
        }
    }

    #[test]
    fn postgres_needs_a_host_a_database_and_the_key_given() {
        let url = "postgres://khqr:pw@db:5432/khqr";
        let err = parse(&[("TELOXIDE_TOKEN", TOKEN), ("DATABASE_URL", url)]).unwrap_err();
        assert_eq!(err.name, "KHQR_BOT_SECRET_KEY");
        let c = parse(&[
            ("TELOXIDE_TOKEN", TOKEN),
            ("DATABASE_URL", url),
            ("KHQR_BOT_SECRET_KEY_FILE", "/run/secrets/khqr_key"),
        ])
        .unwrap();
        assert_eq!(c.database_url, url);
        match c.secret_key {
            KeySource::File(p) => assert_eq!(p, PathBuf::from("/run/secrets/khqr_key")),
            KeySource::Env(_) => panic!("expected the named key file"),
        }
        let key = "ab".repeat(32);
        for ok in [
            "postgresql://db/khqr",
            "postgres://u@127.0.0.1:6432/khqr?sslmode=require",
        ] {
            let c = parse(&[
                ("TELOXIDE_TOKEN", TOKEN),
                ("DATABASE_URL", ok),
                ("KHQR_BOT_SECRET_KEY", &key),
            ])
            .unwrap();
            assert!(matches!(c.secret_key, KeySource::Env(_)), "{ok}");
        }
        for bad in [
            "postgres://db",
            "postgres:///khqr",
            "mysql://db/khqr",
            "db.sqlite",
        ] {
            let err = parse(&[
                ("TELOXIDE_TOKEN", TOKEN),
                ("DATABASE_URL", bad),
                ("KHQR_BOT_SECRET_KEY", &key),
            ])
            .unwrap_err();
            assert_eq!(err.name, "DATABASE_URL", "{bad}");
        }
    }

    #[test]
    fn each_bad_setting_is_named() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[], "TELOXIDE_TOKEN"),
            (&[("TELOXIDE_TOKEN", "   ")], "TELOXIDE_TOKEN"),
            (&[("TELOXIDE_TOKEN", "no-colon")], "TELOXIDE_TOKEN"),
            (
                &[("TELOXIDE_TOKEN", TOKEN), ("TELOXIDE_API_URL", "not a url")],
                "TELOXIDE_API_URL",
            ),
            (
                &[("TELOXIDE_TOKEN", TOKEN), ("BAKONG_API_URL", "ftp://x")],
                "BAKONG_API_URL",
            ),
            (
                &[("TELOXIDE_TOKEN", TOKEN), ("DATABASE_URL", "postgres://x")],
                "DATABASE_URL",
            ),
            (
                &[("TELOXIDE_TOKEN", TOKEN), ("KHQR_BOT_SECRET_KEY", "short")],
                "KHQR_BOT_SECRET_KEY",
            ),
            (
                &[
                    ("TELOXIDE_TOKEN", TOKEN),
                    ("DATABASE_URL", "sqlite::memory:"),
                ],
                "KHQR_BOT_SECRET_KEY",
            ),
            (
                &[("TELOXIDE_TOKEN", TOKEN), ("CHARGE_TTL_SECS", "601")],
                "CHARGE_TTL_SECS",
            ),
            (
                &[("TELOXIDE_TOKEN", TOKEN), ("CHARGE_TTL_SECS", "ten")],
                "CHARGE_TTL_SECS",
            ),
            (
                &[("TELOXIDE_TOKEN", TOKEN), ("BAKONG_MAX_RPS", "0")],
                "BAKONG_MAX_RPS",
            ),
            (
                &[("TELOXIDE_TOKEN", TOKEN), ("BAKONG_MAX_RPS", "fast")],
                "BAKONG_MAX_RPS",
            ),
            (
                &[("TELOXIDE_TOKEN", TOKEN), ("POLL_INTERVAL_SECS", "0")],
                "POLL_INTERVAL_SECS",
            ),
            (
                &[("TELOXIDE_TOKEN", TOKEN), ("METRICS_LISTEN", "localhost")],
                "METRICS_LISTEN",
            ),
            (
                &[("TELOXIDE_TOKEN", TOKEN), ("LOG_FORMAT", "yaml")],
                "LOG_FORMAT",
            ),
            (
                &[
                    ("TELOXIDE_TOKEN", TOKEN),
                    ("TELEGRAM_WEBHOOK_SECRET", "abc"),
                ],
                "TELEGRAM_WEBHOOK_SECRET",
            ),
            (
                &[
                    ("TELOXIDE_TOKEN", TOKEN),
                    ("TELEGRAM_WEBHOOK_LISTEN", "0.0.0.0:8443"),
                ],
                "TELEGRAM_WEBHOOK_LISTEN",
            ),
            (
                &[
                    ("TELOXIDE_TOKEN", TOKEN),
                    ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/tg"),
                ],
                "TELEGRAM_WEBHOOK_SECRET",
            ),
            (
                &[
                    ("TELOXIDE_TOKEN", TOKEN),
                    ("TELEGRAM_WEBHOOK_URL", "http://bot.example.com/tg"),
                    ("TELEGRAM_WEBHOOK_SECRET", "s3cret-s3cret-s3cret"),
                ],
                "TELEGRAM_WEBHOOK_URL",
            ),
            (
                &[
                    ("TELOXIDE_TOKEN", TOKEN),
                    ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/tg"),
                    ("TELEGRAM_WEBHOOK_SECRET", "not allowed! not allowed!"),
                ],
                "TELEGRAM_WEBHOOK_SECRET",
            ),
            (
                &[
                    ("TELOXIDE_TOKEN", TOKEN),
                    ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/tg"),
                    ("TELEGRAM_WEBHOOK_SECRET", "fifteen-chars-x"),
                ],
                "TELEGRAM_WEBHOOK_SECRET",
            ),
            (
                &[
                    ("TELOXIDE_TOKEN", TOKEN),
                    ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/tg"),
                    ("TELEGRAM_WEBHOOK_SECRET", "s"),
                ],
                "TELEGRAM_WEBHOOK_SECRET",
            ),
            (
                &[
                    ("TELOXIDE_TOKEN", TOKEN),
                    ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/tg"),
                    ("TELEGRAM_WEBHOOK_SECRET", &"a".repeat(257)),
                ],
                "TELEGRAM_WEBHOOK_SECRET",
            ),
            (
                &[
                    ("TELOXIDE_TOKEN", TOKEN),
                    ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/tg"),
                    ("TELEGRAM_WEBHOOK_SECRET", "s3cret-s3cret-s3cret"),
                    ("TELEGRAM_WEBHOOK_LISTEN", ":8443"),
                ],
                "TELEGRAM_WEBHOOK_LISTEN",
            ),
            (
                &[
                    ("TELOXIDE_TOKEN", TOKEN),
                    ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/tg"),
                    ("TELEGRAM_WEBHOOK_SECRET", "s3cret-s3cret-s3cret"),
                    ("METRICS_LISTEN", "0.0.0.0:8443"),
                ],
                "METRICS_LISTEN",
            ),
        ];
        for (pairs, name) in cases {
            let err = parse(pairs).unwrap_err();
            assert_eq!(err.name, *name, "{pairs:?}");
            let line = err.to_string();
            assert!(line.starts_with(name) && !line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn a_webhook_secret_shorter_than_16_characters_is_refused_at_start() {
        let with_secret = |secret: &str| {
            parse(&[
                ("TELOXIDE_TOKEN", TOKEN),
                ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/tg"),
                ("TELEGRAM_WEBHOOK_SECRET", secret),
            ])
        };
        let err = with_secret(&"k".repeat(MIN_WEBHOOK_SECRET - 1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "TELEGRAM_WEBHOOK_SECRET: too short to keep forged updates out: at least 16 \
             characters (it is 15); use a random one, e.g. openssl rand -hex 32"
        );
        let hook = with_secret(&"k".repeat(MIN_WEBHOOK_SECRET))
            .unwrap()
            .webhook
            .unwrap();
        assert_eq!(hook.secret.expose().len(), MIN_WEBHOOK_SECRET);
    }

    #[test]
    fn debug_hides_secrets() {
        let c = parse(&[
            ("TELOXIDE_TOKEN", TOKEN),
            ("KHQR_BOT_SECRET_KEY", &"cd".repeat(32)),
            ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/tg"),
            ("TELEGRAM_WEBHOOK_SECRET", "Wh00k-Secret_value"),
        ])
        .unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("ABC-def"));
        assert!(!shown.contains("cdcd"));
        assert!(!shown.contains("Wh00k"));
    }

    #[test]
    fn webhook_metrics_and_log_format() {
        let c = parse(&[
            ("TELOXIDE_TOKEN", TOKEN),
            ("TELEGRAM_WEBHOOK_URL", "https://bot.example.com/tg/updates"),
            (
                "TELEGRAM_WEBHOOK_SECRET",
                &format!("{}_-Z9", "x".repeat(252)),
            ),
            ("METRICS_LISTEN", "127.0.0.1:9100"),
            ("LOG_FORMAT", "JSON"),
        ])
        .unwrap();
        let hook = c.webhook.unwrap();
        assert_eq!(hook.url.path(), "/tg/updates");
        assert_eq!(hook.listen, DEFAULT_WEBHOOK_LISTEN.parse().unwrap());
        assert_eq!(hook.secret.expose().len(), 256);
        assert_eq!(c.metrics_listen, Some("127.0.0.1:9100".parse().unwrap()));
        assert_eq!(c.log_format, LogFormat::Json);

        // Plain http only towards another Bot API server (local server, emulator).
        let c = parse(&[
            ("TELOXIDE_TOKEN", TOKEN),
            ("TELOXIDE_API_URL", "http://127.0.0.1:9000/"),
            ("TELEGRAM_WEBHOOK_URL", "http://127.0.0.1:8443/"),
            ("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1:8443"),
            ("TELEGRAM_WEBHOOK_SECRET", "sixteen-chars-ok"),
            ("LOG_FORMAT", "text"),
        ])
        .unwrap();
        assert_eq!(c.webhook.unwrap().listen, "127.0.0.1:8443".parse().unwrap());
        assert_eq!(c.log_format, LogFormat::Text);
    }
}
