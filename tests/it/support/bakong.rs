//! Shared setup for the Bakong client/sandbox tests: an in-process sandbox on 127.0.0.1:0
//! and a client with short timeouts and backoffs.

use std::time::Duration;

use khqr_bot::bakong::sandbox::{Payment, Sandbox, SandboxHandle};
use khqr_bot::bakong::{Client, ClientConfig, Currency, DecimalAmount, RetryPolicy, Token};

pub const UA: &str = "khqr-bot-tests/1.0";

/// A KHQR from NBC's SDK (shared/khqr/vectors.jsonl): 1453.31 USD to coffee.shop@wing.
pub const QR_USD: &str = "00020101021230500016coffee.shop@wing01061234560216Canadia Bank Plc52045999530384054071453.315802KH5908Shop #126003Kep62270709Counter 20810Buy coffee64110207ភ្នំពេញ9934001317774747502850113177747487028563048841";
pub const QR_USD_MD5: &str = "c08ee51e3b4f4969e41774c0e5220681";

pub struct Env {
    pub sandbox: SandboxHandle,
    pub client: Client,
    pub token: Token,
}

pub fn fast_config(sandbox: &SandboxHandle) -> ClientConfig {
    ClientConfig {
        base_url: sandbox.base_url().to_owned(),
        user_agent: UA.to_owned(),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            max_total_wait: Duration::from_secs(5),
        },
    }
}

pub async fn start() -> Env {
    start_with(|c| c).await
}

pub async fn start_with(tweak: impl FnOnce(ClientConfig) -> ClientConfig) -> Env {
    let sandbox = Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = Client::new(tweak(fast_config(&sandbox))).unwrap();
    let token = Token::new(&sandbox.issue_token("seller@example.com")).unwrap();
    Env {
        sandbox,
        client,
        token,
    }
}

pub fn md5_of(i: usize) -> String {
    format!("{i:032x}")
}

pub fn payment(amount: &str, currency: Currency, to: &str) -> Payment {
    Payment::new(&DecimalAmount::parse(amount).unwrap(), currency, to)
}
