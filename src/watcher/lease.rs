//! The watcher's side of the leases (the SQL is `store::leases`): a round
//! claims merchants chunk by chunk and holds them while it asks about their charges, the
//! outbox holds the merchants whose follow-ups it delivers, and [`Heartbeat`] renews what
//! this replica holds every third of the lease's life while the work goes on. When the work
//! is done the leases are released; when the replica dies they lapse after
//! [`DEFAULT_LEASE_TTL_SECS`] and another replica claims them. Every lease time is the
//! database's clock ([`Store::now`]), shared by all replicas, whatever their own clocks say.

use std::time::Duration;

use tokio::task::JoinHandle;

use crate::store::{LeaseKind, ReplicaId, Store, StoreError};

/// How long a lease lasts unless renewed: a dead replica's merchants are taken over by
/// another within this (plus a round), and a live one renews every third of it.
pub const DEFAULT_LEASE_TTL_SECS: i64 = 10;

/// Merchants a round claims at a time: the replicas share a round's work chunk by chunk.
pub const DEFAULT_LEASE_CHUNK: usize = 50;

/// Renews `me`'s leases of one kind every `ttl / 3` until dropped.
#[derive(Debug)]
pub struct Heartbeat {
    task: JoinHandle<()>,
}

impl Heartbeat {
    pub fn start(store: Store, kind: LeaseKind, me: ReplicaId, ttl_secs: i64) -> Self {
        let ttl_ms = u64::try_from(ttl_secs.max(1))
            .unwrap_or(1)
            .saturating_mul(1000);
        let every = Duration::from_millis((ttl_ms / 3).max(100));
        let task = tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                if let Err(e) = renew(&store, kind, &me, ttl_secs).await {
                    // The leases may lapse: then another replica takes the work over, and
                    // the guarded writes keep that harmless.
                    tracing::warn!(replica = %me, ?kind, error = %e, "could not renew leases");
                }
            }
        });
        Self { task }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Renews `me`'s live leases of `kind` for `ttl_secs` from the database's now.
async fn renew(
    store: &Store,
    kind: LeaseKind,
    me: &ReplicaId,
    ttl_secs: i64,
) -> Result<u64, StoreError> {
    let now = store.now().await?;
    store.renew_leases(kind, me, now, ttl_secs).await
}

/// Releases `me`'s leases of `kind` (the work is done) at the database's now; a failure is
/// logged, and the leases then lapse on their own.
pub async fn release(store: &Store, kind: LeaseKind, me: &ReplicaId) {
    let released = match store.now().await {
        Ok(now) => store.release_leases(kind, me, now).await,
        Err(e) => Err(e),
    };
    if let Err(e) = released {
        tracing::warn!(replica = %me, ?kind, error = %e, "could not release leases; they lapse on their own");
    }
}
