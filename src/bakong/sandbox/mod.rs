//! A local Bakong Open API emulator: the same `/v1` endpoints, envelopes and error codes
//! as production, tokens it issues itself, scriptable answers and injectable faults, a
//! request log, and a small HTML page where a person marks QRs paid.
//!
//! Tests start it in-process with `Sandbox::start("127.0.0.1:0".parse()?)`; people run
//! `khqr-bot sandbox`.
//!
//! Routes: `/v1/*` (the API), `/sandbox/*` (JSON control, see [`control`]), `/` and `/ui/*`
//! (the page).

mod api;
pub mod control;
pub mod faults;
pub mod log;
mod middleware;
mod page;
pub mod qr;
pub mod state;

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use api::MAX_LIST;
pub use faults::{Fault, FaultKind};
pub use log::LoggedRequest;
pub use qr::{PastedQr, QrError};
pub use state::{Md5Status, Outcome, Payment, RenewalMode, Step, TOKEN_LIFETIME, Tx};

use crate::bakong::client::ClientConfig;
use state::Shared;

/// A control call with invalid input (bad amount, unknown currency, bad QR...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

/// Starts sandboxes.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Binds `addr` (use port 0 for a free one) and serves in a background task until the
    /// handle is shut down or dropped.
    pub async fn start(addr: SocketAddr) -> io::Result<SandboxHandle> {
        let listener = TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        let shared = Arc::new(Shared::new(base_url(local)));
        let (tx, rx) = oneshot::channel::<()>();
        let app = router(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
        });
        Ok(SandboxHandle {
            shared,
            addr: local,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// Serves on `listener` until `shutdown` completes (the CLI passes ctrl-c/SIGTERM).
    /// Returns the base URL through `on_ready` before serving. `batch_closed` starts it
    /// in the production-like mode (see [`SandboxHandle::set_batch_closed`]).
    pub async fn serve(
        listener: TcpListener,
        batch_closed: bool,
        shutdown: impl Future<Output = ()> + Send + 'static,
        on_ready: impl FnOnce(&str),
    ) -> io::Result<()> {
        let local = listener.local_addr()?;
        let shared = Arc::new(Shared::new(base_url(local)));
        shared.lock().batch_closed = batch_closed;
        on_ready(&shared.base_url);
        axum::serve(listener, router(shared))
            .with_graceful_shutdown(shutdown)
            .await
    }
}

fn base_url(addr: SocketAddr) -> String {
    let mut shown = addr;
    if addr.ip().is_unspecified() {
        shown.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{shown}")
}

fn router(shared: Arc<Shared>) -> Router {
    let v1 = api::router(shared.clone())
        .route_layer(from_fn_with_state(shared.clone(), middleware::apply))
        .route_layer(from_fn_with_state(shared.clone(), middleware::record));
    Router::new()
        .merge(v1)
        .nest("/sandbox", control::router(shared.clone()))
        .merge(page::router(shared))
}

/// A running sandbox. Dropping it stops the server.
#[derive(Debug)]
pub struct SandboxHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<io::Result<()>>>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:<port>`: use it as `BAKONG_API_URL`.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Default client settings pointed at this sandbox.
    pub fn client_config(&self) -> ClientConfig {
        ClientConfig::default().with_base_url(self.base_url())
    }

    /// Issues a token as `renew_token` would (90 days; the email's older tokens are revoked).
    pub fn issue_token(&self, email: &str) -> String {
        self.shared.lock().issue_token(email)
    }

    /// Issues a token that expires `lifetime` from now (the email's older ones are revoked).
    pub fn issue_token_for(&self, email: &str, lifetime: Duration) -> String {
        self.shared.lock().issue_token_for(email, lifetime)
    }

    /// How `renew_token` answers registered emails from now on: a new token (default),
    /// "sent to your email", or a refusal with an errorCode.
    pub fn set_renewal_mode(&self, mode: RenewalMode) {
        self.shared.lock().set_renewal_mode(mode);
    }

    /// Makes a token it issued fail with 401 from now on. `false` if it did not issue it.
    pub fn revoke_token(&self, token: &str) -> bool {
        self.shared.lock().revoke_token(token)
    }

    /// Moves a token's expiry into the past (401 from now on).
    pub fn expire_token(&self, token: &str) -> bool {
        self.shared.lock().expire_token(token)
    }

    /// `renew_token` for this email answers errorCode 10 while `registered` is false.
    pub fn set_registered(&self, email: &str, registered: bool) {
        self.shared.lock().set_registered(email, registered);
    }

    /// Well-formed accounts exist unless set otherwise here.
    pub fn set_account_exists(&self, account_id: &str, exists: bool) {
        self.shared.lock().set_account_exists(account_id, exists);
    }

    /// Marks the md5 paid from now on; returns the recorded transaction.
    pub fn pay(&self, md5: &str, payment: Payment) -> Result<Tx, InvalidInput> {
        self.shared
            .lock()
            .pay(md5, payment, None)
            .map_err(InvalidInput)
    }

    /// Marks a pasted QR paid with the amount, currency and account it carries.
    /// Returns its md5 and the transaction.
    pub fn pay_qr(&self, qr: &str) -> Result<(String, Tx), InvalidInput> {
        let input = control::PayInput {
            qr: Some(qr.to_owned()),
            ..Default::default()
        };
        control::pay_input(&self.shared, input).map_err(InvalidInput)
    }

    /// Marks the md5 failed from now on.
    pub fn fail(&self, md5: &str) {
        self.shared.lock().fail(md5);
    }

    /// Sets the answers for an md5: each step `times` times, the last one repeating.
    pub fn script(&self, md5: &str, steps: Vec<Step>) -> Result<(), InvalidInput> {
        self.shared
            .lock()
            .set_script(md5, steps)
            .map_err(InvalidInput)
    }

    /// Queues a fault for the next matching `/v1` requests.
    pub fn push_fault(&self, fault: Fault) -> Result<(), InvalidInput> {
        fault.validate().map_err(InvalidInput)?;
        self.shared.lock().faults.push_back(fault);
        Ok(())
    }

    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Like production (API.md §5): while `closed`, `check_transaction_by_md5_list` answers
    /// a bare nginx HTML 403 to every request, whatever the body and token, and
    /// `check_transaction_by_md5` keeps working.
    pub fn set_batch_closed(&self, closed: bool) {
        self.shared.lock().batch_closed = closed;
    }

    /// Delay added to every `/v1` answer.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.lock().latency = latency;
    }

    /// Every `/v1` request so far, oldest first.
    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.iter().cloned().collect()
    }

    pub fn clear_request_log(&self) {
        self.shared.lock().log.clear();
    }

    /// md5s asked about or scripted.
    pub fn md5_statuses(&self) -> Vec<Md5Status> {
        self.shared.lock().md5_statuses()
    }

    /// Stops accepting connections and waits for the server task.
    pub async fn shutdown(mut self) -> io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.task.take() {
            Some(task) => task.await.map_err(io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
