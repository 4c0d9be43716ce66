//! The sandbox's in-memory world: issued tokens, per-md5 scripts, transactions, faults,
//! latency and the request log. Everything sits in one [`State`] behind a `Mutex`
//! ([`Shared`]); handlers lock it briefly and never across an `.await`.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::Rng;
use serde::{Deserialize, Serialize};

use super::faults::Fault;
use super::log::LoggedRequest;
use crate::bakong::types::{Currency, DecimalAmount};
use crate::time::{Clock, SystemClock};

/// Token lifetime, as NBC issues them.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(90 * 24 * 3600);
/// Oldest requests are dropped beyond this many.
const MAX_LOG: usize = 10_000;
/// A script step's `times` is capped so one request cannot allocate unbounded memory.
const MAX_STEP_TIMES: u32 = 10_000;

/// A payment the sandbox will report. Unset fields are filled in when the payment is
/// first recorded (hash: random 64 hex; created: that moment; from: a sandbox payer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Decimal text, e.g. `"1.50"`; must parse as a [`DecimalAmount`].
    pub amount: String,
    /// `USD` or `KHR`.
    pub currency: String,
    pub to_account_id: String,
    #[serde(default)]
    pub from_account_id: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub created_date_ms: Option<u64>,
    #[serde(default)]
    pub hash: Option<String>,
}

impl Payment {
    pub fn new(amount: &DecimalAmount, currency: Currency, to_account_id: &str) -> Self {
        Self {
            amount: amount.as_str().to_owned(),
            currency: currency.alpha().to_owned(),
            to_account_id: to_account_id.to_owned(),
            from_account_id: None,
            description: None,
            created_date_ms: None,
            hash: None,
        }
    }

    /// Checks the amount and currency; returns them typed.
    pub fn validate(&self) -> Result<(DecimalAmount, Currency), String> {
        let amount = DecimalAmount::parse(&self.amount).map_err(|e| e.to_string())?;
        let currency = self
            .currency
            .trim()
            .parse::<Currency>()
            .ok()
            .filter(|c| c.alpha().eq_ignore_ascii_case(self.currency.trim()))
            .ok_or_else(|| format!("currency must be USD or KHR, not {:?}", self.currency))?;
        if self.to_account_id.trim().is_empty() {
            return Err("to_account_id is required".into());
        }
        Ok((amount, currency))
    }
}

/// One answer of the md5 endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// errorCode 1 / `NOT_FOUND`.
    NotFound,
    /// responseCode 0 with the transaction / `SUCCESS`.
    Paid(Payment),
    /// errorCode 3 / `FAILED`.
    Failed,
    /// errorCode 2 / `STATIC_QR`.
    StaticQr,
    /// List item `SERVICE_FAILED` (a single md5 call answers HTTP 500 JSON).
    ServiceFailed,
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::NotFound => "not found",
            Outcome::Paid(_) => "paid",
            Outcome::Failed => "failed",
            Outcome::StaticQr => "static QR",
            Outcome::ServiceFailed => "service failed",
        }
    }
}

/// One step of a script: an outcome answered `times` times in a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    #[serde(flatten)]
    pub outcome: Outcome,
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

impl Step {
    pub fn new(outcome: Outcome, times: u32) -> Self {
        Self { outcome, times }
    }
}

/// Outcomes consumed one per question; the last one repeats forever.
#[derive(Debug, Clone, Default)]
struct Script {
    steps: Vec<Outcome>,
    next: usize,
}

impl Script {
    fn new(steps: Vec<Step>) -> Self {
        let steps = steps
            .into_iter()
            .flat_map(|s| std::iter::repeat_n(s.outcome, s.times.min(MAX_STEP_TIMES) as usize))
            .collect();
        Self { steps, next: 0 }
    }

    /// The index of the outcome to answer now (`None`: not found).
    fn advance(&mut self) -> Option<usize> {
        let last = self.steps.len().checked_sub(1)?;
        let i = self.next.min(last);
        self.next = self.next.saturating_add(1);
        Some(i)
    }
}

/// What the sandbox knows about one md5.
#[derive(Debug, Clone, Default)]
struct Md5Record {
    script: Script,
    asked: u32,
    first_asked_seq: Option<u64>,
    last_answer: Option<&'static str>,
    /// The QR pasted to pay it, if any.
    qr: Option<String>,
}

/// An md5 as shown on the page and by `GET /sandbox/md5s`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Md5Status {
    pub md5: String,
    /// How many times a client asked about it.
    pub asked: u32,
    /// Label of the last answer given (`None`: never asked).
    pub last_answer: Option<&'static str>,
    /// Label of the answer the next question gets.
    pub next_answer: &'static str,
    pub qr: Option<String>,
}

/// A recorded (paid) transaction, as served by md5 and hash lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tx {
    pub hash: String,
    pub from_account_id: String,
    pub to_account_id: String,
    pub currency: Currency,
    pub amount: DecimalAmount,
    pub description: Option<String>,
    pub created_date_ms: u64,
    pub acknowledged_date_ms: u64,
}

impl Tx {
    /// The Open API's transaction object (amount as a JSON number, like production).
    pub fn to_json(&self, with_tracking: bool) -> serde_json::Value {
        let amount: f64 = self.amount.as_str().parse().unwrap_or(0.0); // ok: validated decimal text
        let mut v = serde_json::json!({
            "hash": self.hash,
            "fromAccountId": self.from_account_id,
            "toAccountId": self.to_account_id,
            "currency": self.currency.alpha(),
            "amount": amount,
            "description": self.description,
            "createdDateMs": self.created_date_ms,
            "acknowledgedDateMs": self.acknowledged_date_ms,
        });
        if with_tracking && let Some(obj) = v.as_object_mut() {
            obj.insert("trackingStatus".into(), "COMPLETED".into());
            obj.insert("receiverBank".into(), serde_json::Value::Null);
            obj.insert("receiverBankAccount".into(), serde_json::Value::Null);
        }
        v
    }
}

/// What an md5 question resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    NotFound,
    Paid(Tx),
    Failed,
    StaticQr,
    ServiceFailed,
}

#[derive(Debug, Clone)]
struct IssuedToken {
    email: String,
    exp: u64,
    revoked: bool,
}

/// How `renew_token` answers a registered email (an unregistered one always gets
/// errorCode 10).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum RenewalMode {
    /// A new token in `data` (the email's older tokens are revoked), as the document says.
    #[default]
    Issue,
    /// responseCode 0, `data: null`, "Token has been sent to your email": nothing revoked
    /// here (the token went to the mailbox).
    Mailed,
    /// responseCode 1 with this errorCode (7: email server down, 10: not registered, …).
    Refuse { error_code: u8 },
}

/// Why a bearer token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenCheck {
    Valid,
    Missing,
    Unknown,
    Revoked,
    Expired,
}

/// The whole mutable world of one sandbox.
#[derive(Debug, Default)]
pub struct State {
    tokens: HashMap<String, IssuedToken>,
    /// Each email's registration id, the `data.id` of every token issued for it (like
    /// NBC's, it stays the same when the token is renewed). Kept across [`State::reset`].
    registrations: HashMap<String, String>,
    unregistered: HashSet<String>,
    renewal_mode: RenewalMode,
    missing_accounts: HashSet<String>,
    md5s: BTreeMap<String, Md5Record>,
    txs: BTreeMap<String, Tx>,
    pub(super) faults: VecDeque<Fault>,
    pub(super) latency: Duration,
    pub(super) log: VecDeque<LoggedRequest>,
    /// Production's quirk: `check_transaction_by_md5_list` answers a bare 403 page to
    /// everyone while `check_transaction_by_md5` works. Kept across [`State::reset`].
    pub(super) batch_closed: bool,
    next_seq: u64,
    asked_seq: u64,
}

/// The state plus what never changes: the start instant (log timestamps) and base URL.
#[derive(Debug)]
pub struct Shared {
    state: Mutex<State>,
    pub started: Instant,
    pub base_url: String,
}

impl Shared {
    pub fn new(base_url: String) -> Self {
        Self {
            state: Mutex::new(State::default()),
            started: Instant::now(),
            base_url,
        }
    }

    /// Locks the state. A panic while holding it cannot leave it half-updated in a way
    /// that matters for a test double, so poisoning is ignored.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The sandbox's own clock (a separate fake server: not the bot's injected one).
pub fn now_ms() -> u64 {
    u64::try_from(SystemClock.unix_ms()).unwrap_or(0)
}

fn random_hex(bytes: usize) -> String {
    let mut rng = rand::rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.random::<u8>()))
        .collect()
}

fn key(md5: &str) -> String {
    md5.trim().to_ascii_lowercase()
}

impl State {
    // ----- tokens -----

    /// Issues a JWT-shaped token (`exp` = now + 90 days) and revokes the email's older
    /// ones, like `renew_token`.
    pub fn issue_token(&mut self, email: &str) -> String {
        self.issue_token_for(email, TOKEN_LIFETIME)
    }

    /// [`State::issue_token`] with another lifetime (e.g. a token two days from expiry).
    pub fn issue_token_for(&mut self, email: &str, lifetime: Duration) -> String {
        let now = now_ms() / 1000;
        let exp = now + lifetime.as_secs();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let id = self
            .registrations
            .entry(email.to_owned())
            .or_insert_with(|| random_hex(8))
            .clone();
        let claims = serde_json::json!({
            "data": { "id": id, "email": email, "sandbox": true },
            "iat": now,
            "exp": exp,
        });
        let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
        let mut sig = [0u8; 32];
        rand::rng().fill(&mut sig);
        let token = format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(sig));
        for t in self.tokens.values_mut().filter(|t| t.email == email) {
            t.revoked = true;
        }
        self.tokens.insert(
            token.clone(),
            IssuedToken {
                email: email.to_owned(),
                exp,
                revoked: false,
            },
        );
        token
    }

    pub fn check_token(&self, bearer: Option<&str>) -> TokenCheck {
        let Some(token) = bearer else {
            return TokenCheck::Missing;
        };
        match self.tokens.get(token) {
            None => TokenCheck::Unknown,
            Some(t) if t.revoked => TokenCheck::Revoked,
            Some(t) if t.exp <= now_ms() / 1000 => TokenCheck::Expired,
            Some(_) => TokenCheck::Valid,
        }
    }

    /// Returns whether the token was one this sandbox issued.
    pub fn revoke_token(&mut self, token: &str) -> bool {
        self.tokens
            .get_mut(token)
            .map(|t| t.revoked = true)
            .is_some()
    }

    /// Sets the token's expiry in the past. Returns whether it was issued here.
    pub fn expire_token(&mut self, token: &str) -> bool {
        self.tokens
            .get_mut(token)
            .map(|t| t.exp = (now_ms() / 1000).saturating_sub(1))
            .is_some()
    }

    pub fn set_registered(&mut self, email: &str, registered: bool) {
        if registered {
            self.unregistered.remove(email);
        } else {
            self.unregistered.insert(email.to_owned());
        }
    }

    pub fn is_registered(&self, email: &str) -> bool {
        !self.unregistered.contains(email)
    }

    /// How `renew_token` answers a registered email from now on.
    pub fn set_renewal_mode(&mut self, mode: RenewalMode) {
        self.renewal_mode = mode;
    }

    pub fn renewal_mode(&self) -> RenewalMode {
        self.renewal_mode
    }

    // ----- accounts -----

    /// Well-formed accounts exist unless marked missing.
    pub fn set_account_exists(&mut self, account_id: &str, exists: bool) {
        if exists {
            self.missing_accounts.remove(account_id);
        } else {
            self.missing_accounts.insert(account_id.to_owned());
        }
    }

    pub fn account_exists(&self, account_id: &str) -> bool {
        !self.missing_accounts.contains(account_id)
    }

    // ----- md5 scripts -----

    /// Replaces the md5's script.
    pub fn set_script(&mut self, md5: &str, steps: Vec<Step>) -> Result<(), String> {
        for step in &steps {
            if let Outcome::Paid(p) = &step.outcome {
                p.validate()?;
            }
        }
        self.md5s.entry(key(md5)).or_default().script = Script::new(steps);
        Ok(())
    }

    /// Marks the md5 paid from now on and records the transaction at once (so it can
    /// also be found by hash). Returns it.
    pub fn pay(&mut self, md5: &str, payment: Payment, qr: Option<String>) -> Result<Tx, String> {
        let tx = self.record(payment)?;
        let record = self.md5s.entry(key(md5)).or_default();
        let mut paid = Payment::new(&tx.amount, tx.currency, &tx.to_account_id);
        paid.hash = Some(tx.hash.clone());
        paid.from_account_id = Some(tx.from_account_id.clone());
        paid.description = tx.description.clone();
        paid.created_date_ms = Some(tx.created_date_ms);
        record.script = Script::new(vec![Step::new(Outcome::Paid(paid), 1)]);
        if qr.is_some() {
            record.qr = qr;
        }
        Ok(tx)
    }

    /// Marks the md5 failed from now on.
    pub fn fail(&mut self, md5: &str) {
        self.md5s.entry(key(md5)).or_default().script =
            Script::new(vec![Step::new(Outcome::Failed, 1)]);
    }

    /// Fills in a payment's missing fields and stores the transaction under its hash.
    fn record(&mut self, payment: Payment) -> Result<Tx, String> {
        let (amount, currency) = payment.validate()?;
        if let Some(existing) = payment.hash.as_deref().and_then(|h| self.txs.get(h)) {
            return Ok(existing.clone());
        }
        let created = payment.created_date_ms.unwrap_or_else(now_ms);
        let tx = Tx {
            hash: payment.hash.unwrap_or_else(|| random_hex(32)),
            from_account_id: payment
                .from_account_id
                .unwrap_or_else(|| "sandbox.payer@devb".into()),
            to_account_id: payment.to_account_id.trim().to_owned(),
            currency,
            amount,
            description: payment.description,
            created_date_ms: created,
            acknowledged_date_ms: created + 1_000,
        };
        self.txs.insert(tx.hash.clone(), tx.clone());
        Ok(tx)
    }

    /// Answers one question about an md5, consuming one script step.
    pub fn answer_md5(&mut self, md5: &str) -> Answer {
        self.asked_seq += 1;
        let seq = self.asked_seq;
        let record = self.md5s.entry(key(md5)).or_default();
        record.asked = record.asked.saturating_add(1);
        record.first_asked_seq.get_or_insert(seq);
        let index = record.script.advance();
        let outcome = index
            .and_then(|i| record.script.steps.get(i).cloned())
            .unwrap_or(Outcome::NotFound);
        record.last_answer = Some(outcome.label());
        match outcome {
            Outcome::NotFound => Answer::NotFound,
            Outcome::Failed => Answer::Failed,
            Outcome::StaticQr => Answer::StaticQr,
            Outcome::ServiceFailed => Answer::ServiceFailed,
            Outcome::Paid(payment) => match self.record(payment) {
                Ok(tx) => {
                    // Pin the generated hash/time so repeated answers are identical.
                    if let Some(record) = self.md5s.get_mut(&key(md5))
                        && let Some(Outcome::Paid(p)) =
                            index.and_then(|i| record.script.steps.get_mut(i))
                    {
                        p.hash = Some(tx.hash.clone());
                        p.created_date_ms = Some(tx.created_date_ms);
                    }
                    Answer::Paid(tx)
                }
                // Scripts are validated when set; keep answering something sane.
                Err(_) => Answer::ServiceFailed,
            },
        }
    }

    /// The transaction with this full hash (any case).
    pub fn tx_by_hash(&self, hash: &str) -> Option<&Tx> {
        let hash = hash.trim();
        self.txs.get(hash).or_else(|| {
            self.txs
                .values()
                .find(|tx| tx.hash.eq_ignore_ascii_case(hash))
        })
    }

    /// The transaction whose hash starts with `short` (exactly 8 hex digits, any case) and
    /// whose amount and currency are these; the latest one if several match. Anything
    /// other than 8 hex digits matches nothing (a shorter prefix would match too much).
    pub fn tx_by_short_hash(
        &self,
        short: &str,
        amount: &DecimalAmount,
        currency: Currency,
    ) -> Option<&Tx> {
        let short = short.trim();
        if short.len() != 8 || !short.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let minor = amount.to_minor(currency.decimals())?;
        self.txs
            .values()
            .filter(|tx| {
                tx.hash
                    .get(..8)
                    .is_some_and(|prefix| prefix.eq_ignore_ascii_case(short))
                    && tx.currency == currency
                    && tx.amount.to_minor(currency.decimals()) == Some(minor)
            })
            .max_by(|a, b| (a.created_date_ms, &a.hash).cmp(&(b.created_date_ms, &b.hash)))
    }

    /// md5s that were asked about or scripted, most recently first-asked first; never
    /// asked ones last.
    pub fn md5_statuses(&self) -> Vec<Md5Status> {
        let mut list: Vec<(&String, &Md5Record)> = self.md5s.iter().collect();
        list.sort_by_key(|(_, r)| std::cmp::Reverse(r.first_asked_seq.unwrap_or(0)));
        list.into_iter()
            .map(|(md5, r)| {
                let next = r
                    .script
                    .steps
                    .get(r.script.next.min(r.script.steps.len().saturating_sub(1)));
                Md5Status {
                    md5: md5.clone(),
                    asked: r.asked,
                    last_answer: r.last_answer,
                    next_answer: next.map_or("not found", Outcome::label),
                    qr: r.qr.clone(),
                }
            })
            .collect()
    }

    // ----- request log -----

    pub(super) fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub(super) fn push_log(&mut self, entry: LoggedRequest) {
        if self.log.len() >= MAX_LOG {
            self.log.pop_front();
        }
        self.log.push_back(entry);
    }

    /// Forgets everything but the issued tokens (and their registrations) and the batch-403
    /// switch.
    pub fn reset(&mut self) {
        let tokens = std::mem::take(&mut self.tokens);
        let registrations = std::mem::take(&mut self.registrations);
        let batch_closed = self.batch_closed;
        *self = State {
            tokens,
            registrations,
            batch_closed,
            ..State::default()
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paid(amount: &str) -> Outcome {
        Outcome::Paid(Payment {
            amount: amount.into(),
            currency: "USD".into(),
            to_account_id: "shop@wing".into(),
            from_account_id: None,
            description: None,
            created_date_ms: None,
            hash: None,
        })
    }

    #[test]
    fn script_is_consumed_and_the_last_step_repeats() {
        let mut s = State::default();
        s.set_script(
            "AB",
            vec![Step::new(Outcome::NotFound, 2), Step::new(paid("1.50"), 1)],
        )
        .unwrap();
        assert_eq!(s.answer_md5("ab"), Answer::NotFound);
        assert_eq!(s.answer_md5("ab"), Answer::NotFound);
        let Answer::Paid(a) = s.answer_md5("ab") else {
            panic!()
        };
        let Answer::Paid(b) = s.answer_md5("ab") else {
            panic!()
        };
        assert_eq!(a, b, "repeated answers carry the same transaction");
        assert_eq!(a.hash.len(), 64);
        assert_eq!(s.tx_by_hash(&a.hash), Some(&a));
        assert_eq!(s.answer_md5("unknown"), Answer::NotFound);
        let st = s.md5_statuses();
        assert_eq!(st[0].md5, "unknown");
        assert_eq!(st[1].asked, 4);
    }

    #[test]
    fn invalid_payments_are_refused() {
        let mut s = State::default();
        assert!(s.set_script("x", vec![Step::new(paid("1,5"), 1)]).is_err());
        let mut p = Payment::new(&DecimalAmount::parse("1").unwrap(), Currency::Usd, "a@b");
        p.currency = "EUR".into();
        assert!(s.pay("x", p, None).is_err());
    }

    #[test]
    fn tokens_are_checked_revoked_and_renewed() {
        let mut s = State::default();
        let a = s.issue_token("me@example.com");
        assert_eq!(s.check_token(Some(&a)), TokenCheck::Valid);
        assert_eq!(s.check_token(Some("nope")), TokenCheck::Unknown);
        assert_eq!(s.check_token(None), TokenCheck::Missing);
        let b = s.issue_token("me@example.com");
        assert_eq!(s.check_token(Some(&a)), TokenCheck::Revoked);
        assert!(s.expire_token(&b));
        assert_eq!(s.check_token(Some(&b)), TokenCheck::Expired);
        // A renewed token names the same registration; another email's does not.
        let identity = |t: &str| crate::bakong::Token::new(t).unwrap().identity();
        assert!(identity(&a).is_some());
        assert_eq!(identity(&a), identity(&b));
        let other = s.issue_token("you@example.com");
        assert_ne!(identity(&a), identity(&other));
        s.reset();
        assert_eq!(identity(&s.issue_token("me@example.com")), identity(&a));
    }

    #[test]
    fn short_hash_matches_amount_and_currency() {
        let mut s = State::default();
        let p = Payment::new(&DecimalAmount::parse("2.5").unwrap(), Currency::Usd, "a@b");
        let tx = s.pay("m", p, None).unwrap();
        let short = &tx.hash[..8];
        let amt = |a: &str| DecimalAmount::parse(a).unwrap();
        assert!(
            s.tx_by_short_hash(short, &amt("2.50"), Currency::Usd)
                .is_some()
        );
        assert!(
            s.tx_by_short_hash(short, &amt("2.51"), Currency::Usd)
                .is_none()
        );
        assert!(
            s.tx_by_short_hash(short, &amt("2.50"), Currency::Khr)
                .is_none()
        );
        // Any case; never a shorter or longer prefix, never a non-hex one.
        assert!(
            s.tx_by_short_hash(&short.to_ascii_uppercase(), &amt("2.5"), Currency::Usd)
                .is_some()
        );
        assert!(
            s.tx_by_short_hash(&tx.hash[..7], &amt("2.50"), Currency::Usd)
                .is_none()
        );
        assert!(
            s.tx_by_short_hash(&tx.hash[..9], &amt("2.50"), Currency::Usd)
                .is_none()
        );
        assert!(
            s.tx_by_short_hash("", &amt("2.50"), Currency::Usd)
                .is_none()
        );
        assert_eq!(
            s.tx_by_hash(&tx.hash.to_ascii_uppercase()).map(|t| &t.hash),
            Some(&tx.hash)
        );
    }
}
