//! The operator's HTTP endpoints on `METRICS_LISTEN`: `GET /healthz` (200 or 503, JSON) and
//! `GET /metrics` (Prometheus text exposition format). Nothing else is served there: put
//! the address on a private network, it tells the number of pending charges.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::health::Health;
use crate::metrics::{Metrics, StoreGauges};

/// The content type of the text exposition format.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone)]
struct OpsState {
    health: Arc<Health>,
    metrics: Arc<Metrics>,
}

/// The running endpoints. Dropping it stops the server at once; [`OpsServer::stop`] lets
/// the requests in hand finish.
pub struct OpsServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl OpsServer {
    /// Binds `addr` (port 0 picks a free port: see [`OpsServer::addr`]) and serves.
    pub async fn start(
        addr: SocketAddr,
        health: Arc<Health>,
        metrics: Arc<Metrics>,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/healthz", get(healthz))
            .route("/metrics", get(metrics_text))
            .with_state(OpsState { health, metrics });
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(shutdown)
                .await
            {
                tracing::error!(error = %e, "METRICS_LISTEN: the health and metrics server stopped");
            }
        });
        tracing::info!(%addr, "serving /healthz and /metrics");
        Ok(Self {
            addr,
            stop,
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, finishes the requests in hand.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take()
            && let Err(e) = task.await
        {
            tracing::warn!(error = %e, "the health and metrics server ended badly");
        }
    }
}

impl Drop for OpsServer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

async fn healthz(State(state): State<OpsState>) -> Response {
    let report = state.health.check().await;
    let status = if report.healthy() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, axum::Json(report.to_json(state.health.now()))).into_response()
}

async fn metrics_text(State(state): State<OpsState>) -> Response {
    let gauges = store_gauges(&state.health).await;
    let body = state.metrics.render(gauges);
    ([(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)], body).into_response()
}

/// The gauges read from the database; `None` when it does not answer (the counters are
/// still served, with `khqr_bot_database_up 0`).
async fn store_gauges(health: &Health) -> Option<StoreGauges> {
    let store = health.store();
    let read = async {
        let pending_charges = store.count_pending_charges().await?;
        let backlog = store.outbox_backlog().await?;
        Ok::<_, crate::store::StoreError>((pending_charges, backlog))
    };
    match read.await {
        Ok((pending_charges, backlog)) => {
            let now = health.now();
            let lag = backlog
                .oldest_created_at
                .map_or(0, |at| now.saturating_sub(at).max(0));
            Some(StoreGauges {
                pending_charges,
                outbox_queued: backlog.queued,
                outbox_lag_secs: u64::try_from(lag).unwrap_or(0),
            })
        }
        Err(e) => {
            tracing::warn!(error = %e, "/metrics: cannot read the gauges from the database");
            None
        }
    }
}
