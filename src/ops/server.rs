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
use tokio_util::sync::CancellationToken;

use super::health::Health;
use crate::metrics::{Metrics, StoreGauges};

/// The content type of the text exposition format.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone)]
struct OpsState {
    health: Arc<Health>,
    metrics: Arc<Metrics>,
}

/// The bound endpoints: [`OpsServer::serve`] serves them.
pub struct OpsServer {
    addr: SocketAddr,
    listener: TcpListener,
    app: Router,
}

impl OpsServer {
    /// Binds `addr` (port 0 picks a free port: see [`OpsServer::addr`]).
    pub async fn bind(
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
        Ok(Self {
            addr,
            listener,
            app,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves until `stop` is cancelled; then stops accepting and finishes the requests in
    /// hand.
    pub async fn serve(self, stop: CancellationToken) {
        tracing::info!(addr = %self.addr, "serving /healthz and /metrics");
        if let Err(e) = axum::serve(self.listener, self.app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await
        {
            tracing::error!(error = %e, "METRICS_LISTEN: the health and metrics server stopped");
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
