//! The typed async Bakong Open API client.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use serde::Serialize;
use serde_json::json;

use super::envelope::{BatchItem, Envelope, RawTransaction, code};
use super::error::{BakongError, excerpt};
use super::retry::{RetryPolicy, parse_retry_after};
use super::token::Token;
use super::types::{Currency, DecimalAmount, Lookup, SourceInfo, Transaction};
use crate::metrics::Metrics;

/// Production Open API.
pub const DEFAULT_BASE_URL: &str = "https://api-bakong.nbc.gov.kh";
/// Environment variable overriding the base URL (a relay in Cambodia, or the sandbox).
pub const BASE_URL_ENV: &str = "BAKONG_API_URL";
/// Most md5s (or hashes) Bakong accepts in one list call.
pub const MAX_LIST_LEN: usize = 50;
/// Bodies larger than this are not read (the real answers are a few KB).
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
const EXCERPT_CHARS: usize = 200;

/// How to reach Bakong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// Scheme, host and optional path prefix; `/v1/...` is appended.
    pub base_url: String,
    /// Sent on every request (some fronts reject requests without one).
    pub user_agent: String,
    pub connect_timeout: Duration,
    /// Whole request, including reading the body.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            user_agent: concat!("khqr-bot/", env!("CARGO_PKG_VERSION")).to_owned(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(15),
            retry: RetryPolicy::default(),
        }
    }
}

impl ClientConfig {
    /// Defaults, with the base URL from `BAKONG_API_URL` when it is set and not empty.
    pub fn from_env() -> Self {
        let mut config = Self::default();
        if let Ok(url) = std::env::var(BASE_URL_ENV)
            && !url.trim().is_empty()
        {
            config.base_url = url.trim().to_owned();
        }
        config
    }

    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }
}

/// A Bakong Open API client. Build it once: it owns one connection pool; clones share it.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// `base_url` without a trailing slash.
    base: String,
    retry: RetryPolicy,
    /// Where each exchange's latency and each failed call's error kind are counted.
    metrics: Arc<Metrics>,
}

/// A decoded envelope and the HTTP status it came with.
struct Reply {
    status: StatusCode,
    env: Envelope,
}

impl Reply {
    fn api_error(&self) -> BakongError {
        BakongError::Api {
            status: self.status.as_u16(),
            error_code: self.env.error_code(),
            message: self.env.message(),
        }
    }

    /// `data` of a successful reply, or a decode error naming what was expected.
    fn data<T: serde::de::DeserializeOwned>(&self, what: &str) -> Result<T, BakongError> {
        let data = self.env.data.clone().unwrap_or(serde_json::Value::Null);
        let shown = data.to_string();
        serde_json::from_value(data).map_err(|e| BakongError::Decode {
            reason: format!("{what}: {e}"),
            excerpt: excerpt(shown.as_bytes(), EXCERPT_CHARS),
        })
    }
}

impl Client {
    /// Builds the client (rustls, connection pool, timeouts, `User-Agent`).
    pub fn new(config: ClientConfig) -> Result<Self, BakongError> {
        let base = config.base_url.trim().trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&base)
            .map_err(|e| BakongError::Config(format!("base URL {base:?}: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(BakongError::Config(format!(
                "base URL {base:?} is not http(s)"
            )));
        }
        if url.scheme() == "http" && !is_loopback(&url) {
            tracing::warn!(
                "BAKONG_API_URL uses plain http to a non-local host: the token travels unencrypted"
            );
        }
        if config.retry.max_attempts == 0 {
            return Err(BakongError::Config(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .use_rustls_tls()
            .user_agent(config.user_agent.clone())
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .build()
            .map_err(|e| BakongError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            http,
            base,
            retry: config.retry,
            metrics: Arc::new(Metrics::default()),
        })
    }

    /// Records request latencies and errors into `metrics` (the process's registry).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The base URL in use (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// Has the dynamic KHQR with this md5 been paid?
    #[tracing::instrument(level = "debug", skip(self, token))]
    pub async fn check_transaction_by_md5(
        &self,
        token: &Token,
        md5: &str,
    ) -> Result<Lookup, BakongError> {
        let reply = self
            .post(
                "check_transaction_by_md5",
                Some(token),
                &json!({ "md5": md5 }),
            )
            .await?;
        lookup(reply)
    }

    /// Looks up any number of md5s, in calls of at most [`MAX_LIST_LEN`] (sent one after
    /// the other, as a bare JSON array). Returns one entry per distinct md5, in input
    /// order (duplicates are asked once). Items are matched to the asked md5s by the md5
    /// each item echoes (any case), never by position: an item without an md5, or echoing
    /// one that was not asked, is ignored. An md5 that the answer leaves out is
    /// **unanswered** — [`Lookup::Unavailable`], like a `SERVICE_FAILED` item: ask again,
    /// never read as "not found" or "paid". If any call fails (after retries) the whole
    /// lookup fails: ask again later.
    #[tracing::instrument(level = "debug", skip(self, token, md5s), fields(count = md5s.len()))]
    pub async fn check_transaction_by_md5_list(
        &self,
        token: &Token,
        md5s: &[String],
    ) -> Result<Vec<(String, Lookup)>, BakongError> {
        let mut seen = HashSet::new();
        let unique: Vec<&str> = md5s
            .iter()
            .map(String::as_str)
            .filter(|m| seen.insert(m.to_ascii_lowercase()))
            .collect();
        let mut out = Vec::with_capacity(unique.len());
        for chunk in unique.chunks(MAX_LIST_LEN) {
            let reply = self
                .post("check_transaction_by_md5_list", Some(token), &chunk)
                .await?;
            if !reply.env.is_success() || !reply.status.is_success() {
                return Err(reply.api_error());
            }
            let items: Vec<BatchItem> = reply.data("md5 list items")?;
            out.extend(map_batch(chunk, items));
        }
        Ok(out)
    }

    /// Looks a transaction up by its full (64 hex) hash.
    #[tracing::instrument(level = "debug", skip(self, token))]
    pub async fn check_transaction_by_hash(
        &self,
        token: &Token,
        hash: &str,
    ) -> Result<Lookup, BakongError> {
        let reply = self
            .post(
                "check_transaction_by_hash",
                Some(token),
                &json!({ "hash": hash }),
            )
            .await?;
        lookup(reply)
    }

    /// Looks a transaction up by the first 8 characters of its hash plus amount and
    /// currency (what a payer reads off a receipt).
    #[tracing::instrument(level = "debug", skip(self, token))]
    pub async fn check_transaction_by_short_hash(
        &self,
        token: &Token,
        short_hash: &str,
        amount: &DecimalAmount,
        currency: Currency,
    ) -> Result<Lookup, BakongError> {
        if short_hash.chars().count() != 8 {
            return Err(BakongError::Config(
                "a short hash has exactly 8 characters".into(),
            ));
        }
        // The API wants a JSON number; amounts here have at most a few decimals.
        let number: f64 = amount
            .as_str()
            .parse()
            .map_err(|_| BakongError::Config(format!("amount {amount}")))?;
        let body = json!({ "hash": short_hash, "amount": number, "currency": currency.alpha() });
        let reply = self
            .post("check_transaction_by_short_hash", Some(token), &body)
            .await?;
        lookup(reply)
    }

    /// Does this Bakong account (`name@bank`) exist? errorCode 11 → `false`;
    /// errorCode 12 (malformed id) → [`BakongError::InvalidAccountId`].
    #[tracing::instrument(level = "debug", skip(self, token))]
    pub async fn check_bakong_account(
        &self,
        token: &Token,
        account_id: &str,
    ) -> Result<bool, BakongError> {
        let body = json!({ "accountId": account_id });
        let reply = self
            .post("check_bakong_account", Some(token), &body)
            .await?;
        if reply.env.is_success() && reply.status.is_success() {
            return Ok(true);
        }
        match reply.env.error_code() {
            Some(code::ACCOUNT_NOT_FOUND) => Ok(false),
            Some(code::ACCOUNT_INVALID) => Err(BakongError::InvalidAccountId),
            _ => Err(reply.api_error()),
        }
    }

    /// Asks Bakong for a new token for a registered email (no token needed).
    /// errorCode 10 → [`BakongError::NotRegistered`]; an answer that says the token was
    /// mailed instead is a [`BakongError::Decode`] here (see [`Client::request_renewal`]).
    #[tracing::instrument(level = "debug", skip(self, email))]
    pub async fn renew_token(&self, email: &str) -> Result<Token, BakongError> {
        match self.request_renewal(email).await? {
            Renewal::Issued(token) => Ok(token),
            Renewal::Mailed { message } => Err(BakongError::Decode {
                reason: "renew_token: no token in a successful answer".to_owned(),
                excerpt: message,
            }),
        }
    }

    /// `renew_token`: the new token, or — a successful answer without one — Bakong saying
    /// it emailed the token instead. errorCode 10 → [`BakongError::NotRegistered`]; other
    /// refusals (7: email server down, …) → [`BakongError::Api`].
    #[tracing::instrument(level = "debug", skip(self, email))]
    pub async fn request_renewal(&self, email: &str) -> Result<Renewal, BakongError> {
        let reply = self
            .post("renew_token", None, &json!({ "email": email }))
            .await?;
        if !(reply.env.is_success() && reply.status.is_success()) {
            return match reply.env.error_code() {
                Some(code::NOT_REGISTERED) => Err(BakongError::NotRegistered),
                _ => Err(reply.api_error()),
            };
        }
        let token = reply
            .env
            .data
            .as_ref()
            .and_then(|d| d.get("token"))
            .and_then(serde_json::Value::as_str)
            .filter(|t| !t.trim().is_empty());
        match token {
            None => Ok(Renewal::Mailed {
                message: reply.env.message(),
            }),
            Some(raw) => Token::new(raw)
                .map(Renewal::Issued)
                .map_err(|e| BakongError::Decode {
                    reason: format!("renew_token: {e}"),
                    excerpt: String::new(),
                }),
        }
    }

    /// A short link that opens the payer's Bakong app on this QR (no token needed).
    #[tracing::instrument(level = "debug", skip(self, qr))]
    pub async fn generate_deeplink_by_qr(
        &self,
        qr: &str,
        source_info: &SourceInfo,
    ) -> Result<String, BakongError> {
        let body = json!({ "qr": qr, "sourceInfo": source_info });
        let reply = self.post("generate_deeplink_by_qr", None, &body).await?;
        if !(reply.env.is_success() && reply.status.is_success()) {
            return Err(reply.api_error());
        }
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Data {
            short_link: String,
        }
        Ok(reply.data::<Data>("deeplink data")?.short_link)
    }

    /// POSTs `body` to `/v1/{endpoint}` with retries; returns the decoded envelope.
    async fn post(
        &self,
        endpoint: &'static str,
        token: Option<&Token>,
        body: &impl Serialize,
    ) -> Result<Reply, BakongError> {
        let url = format!("{}/v1/{endpoint}", self.base);
        let body = serde_json::to_vec(body)
            .map_err(|e| BakongError::Config(format!("request body: {e}")))?;
        let auth = match token {
            Some(t) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", t.expose_secret()))
                    .map_err(|_| BakongError::Config("token is not a valid header value".into()))?;
                v.set_sensitive(true);
                Some(v)
            }
            None => None,
        };
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        loop {
            let (result, retry_after) = self.attempt(&url, auth.as_ref(), &body).await;
            let error = match result {
                Ok(reply) => return Ok(reply),
                Err(e) => e,
            };
            let delay =
                self.retry
                    .next_delay(attempt, &error, retry_after, waited, &mut rand::rng());
            let Some(delay) = delay else {
                tracing::debug!(endpoint, attempt, %error, "Bakong call failed");
                self.metrics.bakong_error(error.kind());
                return Err(error);
            };
            tracing::warn!(
                endpoint,
                attempt,
                delay_ms = delay.as_millis() as u64,
                %error,
                "Bakong call failed, retrying"
            );
            tokio::time::sleep(delay).await;
            waited += delay;
            attempt += 1;
        }
    }

    /// One HTTP exchange, classified. Also returns the `Retry-After` header, if any.
    async fn attempt(
        &self,
        url: &str,
        auth: Option<&HeaderValue>,
        body: &[u8],
    ) -> (Result<Reply, BakongError>, Option<Duration>) {
        let mut request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .body(body.to_vec());
        if let Some(auth) = auth {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let started = Instant::now();
        let (result, retry_after) = self.exchange(request).await;
        self.metrics.bakong_request(started.elapsed());
        (result, retry_after)
    }

    /// Sends `request` and classifies the answer (body read included).
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (Result<Reply, BakongError>, Option<Duration>) {
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => return (Err(transport(e)), None),
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let body = match read_capped(response).await {
            Ok(b) => b,
            Err(e) => return (Err(e), retry_after),
        };
        tracing::debug!(
            status = status.as_u16(),
            bytes = body.len(),
            "Bakong answered"
        );
        (classify(status, &body, retry_after), retry_after)
    }
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let host = url.host_str().unwrap_or("");
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn transport(e: reqwest::Error) -> BakongError {
    if e.is_timeout() {
        BakongError::Timeout
    } else {
        BakongError::Transport(e.without_url())
    }
}

async fn read_capped(mut response: reqwest::Response) -> Result<Vec<u8>, BakongError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BakongError::Decode {
                reason: format!("body larger than {MAX_BODY_BYTES} bytes"),
                excerpt: excerpt(&body, EXCERPT_CHARS),
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Maps an HTTP answer to a reply or an error, before any endpoint-specific reading.
fn classify(
    status: StatusCode,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Result<Reply, BakongError> {
    let envelope = serde_json::from_slice::<Envelope>(body);
    let unauthorized =
        |env: &Envelope| !env.is_success() && env.error_code() == Some(code::UNAUTHORIZED);
    match status.as_u16() {
        401 => Err(BakongError::Unauthorized),
        403 => match envelope {
            Ok(env) if unauthorized(&env) => Err(BakongError::Unauthorized),
            _ => Err(BakongError::GeoBlocked),
        },
        429 => Err(BakongError::RateLimited { retry_after }),
        500..=599 => Err(BakongError::Server {
            status: status.as_u16(),
            excerpt: excerpt(body, EXCERPT_CHARS),
        }),
        200..=299 => match envelope {
            Ok(env) if unauthorized(&env) => Err(BakongError::Unauthorized),
            Ok(env) => Ok(Reply { status, env }),
            Err(e) => Err(BakongError::Decode {
                reason: format!("not a Bakong envelope: {e}"),
                excerpt: excerpt(body, EXCERPT_CHARS),
            }),
        },
        // 404/405 with no envelope: the endpoint does not exist here (an nginx page).
        404 | 405 if envelope.is_err() => Err(BakongError::NoSuchEndpoint {
            status: status.as_u16(),
        }),
        // Other 4xx: an envelope explains it (the endpoint decides); otherwise refuse.
        _ => match envelope {
            Ok(env) if unauthorized(&env) => Err(BakongError::Unauthorized),
            Ok(env) if !env.is_success() => Ok(Reply { status, env }),
            Ok(env) => Err(BakongError::Api {
                status: status.as_u16(),
                error_code: env.error_code(),
                message: env.message(),
            }),
            Err(_) => Err(BakongError::Api {
                status: status.as_u16(),
                error_code: None,
                message: excerpt(body, EXCERPT_CHARS),
            }),
        },
    }
}

/// Reads a single-transaction answer (md5, hash, short hash).
fn lookup(reply: Reply) -> Result<Lookup, BakongError> {
    if reply.env.is_success() && reply.status.is_success() {
        if reply
            .env
            .data
            .as_ref()
            .is_none_or(serde_json::Value::is_null)
        {
            return Err(BakongError::Decode {
                reason: "success without a transaction".into(),
                excerpt: String::new(),
            });
        }
        let tx: RawTransaction = reply.data("transaction")?;
        return Ok(Lookup::Paid(Transaction::from(tx)));
    }
    match reply.env.error_code() {
        Some(code::NOT_FOUND) => Ok(Lookup::NotFound),
        Some(code::STATIC_QR) => Ok(Lookup::StaticQr),
        Some(code::FAILED) => Ok(Lookup::Failed),
        _ => Err(reply.api_error()),
    }
}

/// Maps list items back to the asked md5s by the md5 each item echoes (any case), never by
/// position. An asked md5 with no item is [`Lookup::Unavailable`] (unanswered: ask again).
/// Items without an md5 or with one that was not asked are ignored (and logged); if two
/// items echo the same md5, the first wins.
fn map_batch(asked: &[&str], items: Vec<BatchItem>) -> Vec<(String, Lookup)> {
    let wanted: HashSet<String> = asked.iter().map(|m| m.to_ascii_lowercase()).collect();
    let mut by_key: HashMap<String, Lookup> = HashMap::new();
    let mut ignored = 0usize;
    for item in items {
        let Some(key) = item.key().map(|k| k.trim().to_ascii_lowercase()) else {
            ignored += 1;
            continue;
        };
        if !wanted.contains(&key) {
            ignored += 1;
            continue;
        }
        by_key.entry(key).or_insert_with(|| item.into_lookup());
    }
    if ignored > 0 {
        tracing::warn!(
            ignored,
            "Bakong md5 list answer has items without an asked md5; ignored"
        );
    }
    let missing = asked.len().saturating_sub(by_key.len());
    if missing > 0 {
        tracing::debug!(
            missing,
            "Bakong md5 list answer left md5s out; asked again later"
        );
    }
    asked
        .iter()
        .map(|m| {
            let lookup = by_key
                .remove(&m.to_ascii_lowercase())
                .unwrap_or(Lookup::Unavailable);
            ((*m).to_owned(), lookup)
        })
        .collect()
}

/// What `renew_token` answered (see [`Client::request_renewal`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Renewal {
    /// The new token (Bakong revokes the previous one).
    Issued(Token),
    /// Success without a token: Bakong says it emailed it (e.g. "Token has been sent to
    /// your email"). The seller must paste it.
    Mailed { message: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(json: &str) -> BatchItem {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn batch_maps_by_md5_and_leaves_missing_unanswered() {
        let items = vec![
            item(r#"{"md5":"BB","status":"FAILED"}"#),
            item(r#"{"md5":"aa","status":"STATIC_QR"}"#),
            item(r#"{"md5":"zz","status":"FAILED"}"#),
        ];
        let got = map_batch(&["aa", "bb", "cc"], items);
        assert_eq!(
            got,
            vec![
                ("aa".to_owned(), Lookup::StaticQr),
                ("bb".to_owned(), Lookup::Failed),
                ("cc".to_owned(), Lookup::Unavailable),
            ]
        );
    }

    #[test]
    fn batch_items_without_key_are_never_matched_by_position() {
        let items = vec![
            item(
                r#"{"status":"SUCCESS","data":{"hash":"h","fromAccountId":"a@b","toAccountId":"c@d","currency":"USD","amount":1}}"#,
            ),
            item(r#"{"status":"FAILED"}"#),
        ];
        let got = map_batch(&["a", "b"], items);
        assert_eq!(
            got,
            vec![
                ("a".to_owned(), Lookup::Unavailable),
                ("b".to_owned(), Lookup::Unavailable),
            ]
        );
    }

    #[test]
    fn classify_statuses() {
        let ok = |s: u16, b: &str| classify(StatusCode::from_u16(s).unwrap(), b.as_bytes(), None);
        assert!(matches!(ok(401, "{}"), Err(BakongError::Unauthorized)));
        assert!(matches!(
            ok(403, "<html>Forbidden</html>"),
            Err(BakongError::GeoBlocked)
        ));
        assert!(matches!(
            ok(
                403,
                r#"{"responseCode":1,"errorCode":6,"responseMessage":"x"}"#
            ),
            Err(BakongError::Unauthorized)
        ));
        assert!(matches!(
            ok(
                200,
                r#"{"responseCode":1,"errorCode":6,"responseMessage":"x"}"#
            ),
            Err(BakongError::Unauthorized)
        ));
        assert!(matches!(
            ok(502, "<h1>Bad Gateway</h1>"),
            Err(BakongError::Server { status: 502, .. })
        ));
        assert!(matches!(
            ok(200, "{\"respon"),
            Err(BakongError::Decode { .. })
        ));
        assert!(matches!(
            ok(200, "<html></html>"),
            Err(BakongError::Decode { .. })
        ));
        assert!(matches!(
            ok(400, "<html>bad</html>"),
            Err(BakongError::Api { status: 400, .. })
        ));
        assert!(matches!(
            ok(404, "<html>Not Found</html>"),
            Err(BakongError::NoSuchEndpoint { status: 404 })
        ));
        assert!(matches!(
            ok(405, ""),
            Err(BakongError::NoSuchEndpoint { status: 405 })
        ));
        let r = ok(
            404,
            r#"{"responseCode":1,"errorCode":1,"responseMessage":"nf"}"#,
        )
        .unwrap();
        assert!(matches!(lookup(r), Ok(Lookup::NotFound)));
    }

    #[test]
    fn config_is_validated() {
        let bad = |u: &str| Client::new(ClientConfig::default().with_base_url(u)).is_err();
        assert!(bad("not a url"));
        assert!(bad("ftp://example.com"));
        let c = Client::new(ClientConfig::default().with_base_url("http://127.0.0.1:9/relay/"))
            .unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:9/relay");
        assert_eq!(
            Client::new(ClientConfig::default()).unwrap().base_url(),
            DEFAULT_BASE_URL
        );
    }
}
