//! Leases: several `khqr-bot run` replicas on one database split the
//! work by merchant. A merchant's **watch** (its due charges, asked about with its Bakong
//! token) and its **outbox** (its Telegram follow-ups, delivered in id order) are each held
//! by at most one replica at a time: `merchants.watch_owner` / `watch_until` and
//! `outbox_owner` / `outbox_until` (migration `20261201000900_leases.sql`).
//!
//! A lease is claimed by one guarded statement (`UPDATE … WHERE id IN (SELECT … lease free
//! … LIMIT n {lock}) RETURNING id`, one statement, not inside `write_tx`), renewed by its
//! holder while it works ([`Store::renew_leases`], only while it still holds it) and
//! released when the work is done ([`Store::release_leases`]); a follow-up is sent only
//! after its sender has checked, in the same statement that renews it, that it still holds
//! the merchant's outbox ([`Store::hold_outbox_lease`]). Every time here (`now`, `*_until`)
//! is the database's clock ([`Store::now`]), which all replicas share: a replica whose own
//! clock runs seconds behind would otherwise see another's live lease as lapsed.
//!
//! A replica that dies holds its leases until they lapse (`*_until <= now`); then any
//! other replica claims them. A lease only shares the work out: every state change stays guarded by its own SQL
//! (`settle_charge_watched`, `outbox_done`), so a lease bug can cost a repeated question to
//! Bakong or a repeated (identical) edit, never a second settlement.
//!
//! The Telegram long-poller is held by one replica too ([`Store::try_hold_poller_lock`]).

use super::follow_up::FollowUpKind;
use super::model::MerchantId;
use super::{Backend, Result, Store};

/// One running process among the replicas: `host-pid-random`, made once at start and
/// written into the leases it holds (so an operator can tell whose a lease is).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReplicaId(String);

impl ReplicaId {
    /// This process's identity: host name, process id and 6 random hex digits (two
    /// `Watcher`s in one process — tests — are two replicas).
    pub fn generate() -> Self {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "host".to_owned());
        let suffix: u32 = rand::random::<u32>() & 0x00ff_ffff;
        ReplicaId(format!("{host}-{}-{suffix:06x}", std::process::id()))
    }

    /// A given identity (tests).
    pub fn named(name: &str) -> Self {
        ReplicaId(name.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which of a merchant's two leases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseKind {
    /// Its due charges (`watch_owner`, `watch_until`).
    Watch,
    /// Its follow-ups (`outbox_owner`, `outbox_until`).
    Outbox,
}

impl LeaseKind {
    fn columns(self) -> (&'static str, &'static str) {
        match self {
            LeaseKind::Watch => ("watch_owner", "watch_until"),
            LeaseKind::Outbox => ("outbox_owner", "outbox_until"),
        }
    }
}

/// What a replica about to send a follow-up finds ([`Store::hold_outbox_lease`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboxHold {
    /// It holds the merchant's outbox (renewed just now) and the follow-up is undone: send.
    Held,
    /// It holds the merchant's outbox, but the follow-up was delivered meanwhile (by the
    /// replica that held it before): skip it.
    Done,
    /// Its lease lapsed (and may be another replica's): send nothing more of this merchant.
    Lost,
}

/// A lease somebody holds (tests, operators).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLease {
    pub merchant: MerchantId,
    pub owner: String,
    pub until: i64,
}

/// Holding the Telegram long-poller (one `getUpdates` consumer per bot token). Dropping
/// it lets another replica take the poller.
pub struct PollerLock {
    /// PostgreSQL: the connection whose session holds the advisory lock (closed on drop,
    /// which releases it). SQLite: none.
    session: Option<tokio::sync::Mutex<sqlx::AnyConnection>>,
}

impl std::fmt::Debug for PollerLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.session.is_some() {
            "PollerLock(advisory)"
        } else {
            "PollerLock(local)"
        })
    }
}

impl PollerLock {
    /// Resolves when the lock is lost — its connection broke, so the server may already
    /// have given it to another replica: the poller must stop then, or two replicas would
    /// poll (Telegram answers 409). Checked every 5 s. On SQLite it is never lost.
    pub async fn lost(&self) {
        let Some(session) = &self.session else {
            return std::future::pending::<()>().await;
        };
        loop {
            tokio::time::sleep(POLLER_LOCK_CHECK).await;
            let mut conn = session.lock().await;
            let still: std::result::Result<bool, sqlx::Error> = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' \
                     AND pid = pg_backend_pid() AND granted \
                     AND ((classid::bigint << 32) | objid::bigint) = $1)",
            )
            .bind(POLLER_LOCK_KEY)
            .fetch_one(&mut *conn)
            .await;
            match still {
                Ok(true) => {}
                Ok(false) => {
                    tracing::error!("the Telegram poller lock is no longer held");
                    return;
                }
                Err(e) => {
                    tracing::error!(error = %e, "the Telegram poller lock's connection broke");
                    return;
                }
            }
        }
    }
}

/// A charge `c` due at placeholder `due`, with `late` the late-watch window: pending, or
/// late-watched (`model::LATE_WATCHED`) and in its late watch — exactly what `due_charges`
/// and `late_watched_due` return — for the claims (found through the `charges_due` index).
fn charge_due(due: &str, late: &str) -> String {
    format!(
        "c.status IN ('pending', 'cancelled', 'expired', 'discarded', 'failed', 'paid', \
             'underpaid', 'mismatch') AND c.next_poll_at <= {due} \
         AND (c.status = 'pending' OR c.expires_at + {late} > {due})"
    )
}

/// The merchants with a charge matching `due_charge`, as one list made before the merchants
/// are looked at (`MATERIALIZED`: PostgreSQL would otherwise probe each merchant's charges).
fn due_merchants(due_charge: &str) -> String {
    format!(
        "WITH due AS MATERIALIZED (SELECT DISTINCT c.merchant_id FROM charges c \
         WHERE {due_charge}) SELECT merchant_id FROM due"
    )
}

impl Store {
    /// The row-lock clause of the claims' inner `SELECT`: on PostgreSQL rows another
    /// transaction has locked are skipped, not waited for (`FOR UPDATE SKIP LOCKED`);
    /// SQLite has no such clause and needs none (`BEGIN IMMEDIATE`: one writer at a time).
    pub fn skip_locked(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// Claims the watch of up to `limit` merchants that have a charge due at `due` (pending,
    /// or late-watched (ended or settled) within `late_window_secs` of its expiry), whose token
    /// was not refused, and whose watch nobody holds at `now` (never held, or lapsed —
    /// including one of `me`'s own: a round claims each merchant once). Held by `me` until
    /// `now + ttl_secs`. The merchants watched longest ago (never first) go first, then by
    /// id; returns them by id.
    pub async fn claim_watch_leases(
        &self,
        me: &ReplicaId,
        now: i64,
        ttl_secs: i64,
        due: i64,
        late_window_secs: i64,
        limit: i64,
    ) -> Result<Vec<MerchantId>> {
        let lock = self.skip_locked();
        let due_charge = charge_due("$4", "$6");
        // One statement, outside `write_tx`: it is atomic on its own, and on PostgreSQL the
        // row locks (`SKIP LOCKED`, re-checked after a concurrent claim) keep two replicas'
        // claims apart — under the one-writer lock a claim made every other write wait.
        // The merchants with due work come from `charges_due` first (a materialized list),
        // not from a probe of every merchant's charges, which grows slow with the charges
        // table once its rows churn.
        let mut ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "UPDATE merchants SET watch_owner = $1, watch_until = $2 + $3 \
             WHERE id IN (SELECT m.id FROM merchants m \
                 WHERE m.token_rejected_at IS NULL \
                     AND (m.watch_until IS NULL OR m.watch_until <= $2) \
                     AND m.id IN ({due_merchants}) \
                 ORDER BY COALESCE(m.watch_until, 0), m.id LIMIT $5{lock}) \
             RETURNING id",
            due_merchants = due_merchants(&due_charge),
        )))
        .bind(me.as_str())
        .bind(now)
        .bind(ttl_secs.max(1))
        .bind(due)
        .bind(limit.max(1))
        .bind(late_window_secs)
        .fetch_all(&self.pool)
        .await?;
        ids.sort_unstable();
        Ok(ids.into_iter().map(MerchantId).collect())
    }

    /// The merchants a claim at `now` could take, with a charge due at `due` (see
    /// [`Store::claim_watch_leases`]), without claiming them: how much work the round has
    /// (the watcher spreads a crowd of merchants over several rounds).
    pub async fn claimable_watch_merchants(
        &self,
        now: i64,
        due: i64,
        late_window_secs: i64,
    ) -> Result<Vec<MerchantId>> {
        let due_charge = charge_due("$2", "$3");
        let ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT m.id FROM merchants m \
             WHERE m.token_rejected_at IS NULL \
                 AND (m.watch_until IS NULL OR m.watch_until <= $1) \
                 AND m.id IN ({due_merchants}) \
             ORDER BY m.id",
            due_merchants = due_merchants(&due_charge),
        )))
        .bind(now)
        .bind(due)
        .bind(late_window_secs)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.into_iter().map(MerchantId).collect())
    }

    /// Claims the outbox of up to `limit` merchants with a follow-up due at `due` (of a kind
    /// this build knows), whose outbox nobody else holds at `now` (free, lapsed, or already
    /// `me`'s), oldest due follow-up first. Held by `me` until `now + ttl_secs`. Returns
    /// them.
    pub async fn claim_outbox_leases(
        &self,
        me: &ReplicaId,
        now: i64,
        due: i64,
        ttl_secs: i64,
        limit: i64,
    ) -> Result<Vec<MerchantId>> {
        // One statement outside `write_tx`, like the watch claim.
        let lock = self.skip_locked();
        // The grouped pick (oldest follow-up first) cannot take row locks; the outer
        // SELECT re-checks the lease on the rows it locks. A merchant whose due follow-ups
        // are all of kinds this build does not know is not taken: a newer replica may be
        // waiting for it.
        let mut ids: Vec<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "UPDATE merchants SET outbox_owner = $1, outbox_until = $2 + $3 \
             WHERE id IN (SELECT m.id FROM merchants m \
                 WHERE (m.outbox_until IS NULL OR m.outbox_until <= $2 OR m.outbox_owner = $1) \
                     AND m.id IN (SELECT o.merchant_id FROM telegram_outbox o \
                         JOIN merchants f ON f.id = o.merchant_id \
                         WHERE o.done_at IS NULL AND o.next_attempt_at <= $5 \
                             AND o.kind IN ({known}) \
                             AND (f.outbox_until IS NULL OR f.outbox_until <= $2 \
                                 OR f.outbox_owner = $1) \
                         GROUP BY o.merchant_id ORDER BY MIN(o.id) LIMIT $4){lock}) \
             RETURNING id",
            known = FollowUpKind::sql_list(),
        )))
        .bind(me.as_str())
        .bind(now)
        .bind(ttl_secs.max(1))
        .bind(limit.max(1))
        .bind(due)
        .fetch_all(&self.pool)
        .await?;
        ids.sort_unstable();
        Ok(ids.into_iter().map(MerchantId).collect())
    }

    /// Right before `me` sends follow-up `task` of `merchant`: in one statement, checks that
    /// `me` still holds the merchant's outbox lease at `now` (the database's clock) and, if
    /// so, renews it to `now + ttl_secs` — and says whether the task is still undone. A
    /// drain that finds the lease [`OutboxHold::Lost`] (it lapsed, and another replica may
    /// have claimed it) stops for that merchant: the new holder delivers its follow-ups.
    pub async fn hold_outbox_lease(
        &self,
        me: &ReplicaId,
        merchant: MerchantId,
        task: i64,
        now: i64,
        ttl_secs: i64,
    ) -> Result<OutboxHold> {
        let undone: Option<i64> = sqlx::query_scalar(
            "UPDATE merchants SET outbox_until = $3 + $4 \
             WHERE id = $1 AND outbox_owner = $2 AND outbox_until > $3 \
             RETURNING (SELECT CAST(COUNT(*) AS BIGINT) FROM telegram_outbox \
                 WHERE id = $5 AND done_at IS NULL)",
        )
        .bind(merchant.0)
        .bind(me.as_str())
        .bind(now)
        .bind(ttl_secs.max(1))
        .bind(task)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match undone {
            None => OutboxHold::Lost,
            Some(0) => OutboxHold::Done,
            Some(_) => OutboxHold::Held,
        })
    }

    /// Extends `me`'s leases of `kind` that have not lapsed at `now` to `now + ttl_secs`
    /// (a lease that lapsed may already be another replica's: it is not taken back).
    /// Returns how many.
    pub async fn renew_leases(
        &self,
        kind: LeaseKind,
        me: &ReplicaId,
        now: i64,
        ttl_secs: i64,
    ) -> Result<u64> {
        let (owner, until) = kind.columns();
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE merchants SET {until} = $2 + $3 WHERE {owner} = $1 AND {until} > $2"
        )))
        .bind(me.as_str())
        .bind(now)
        .bind(ttl_secs.max(1))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Gives up every lease of `kind` that `me` holds, at `now`: the owner is cleared and
    /// `*_until` becomes `now` (free from now on; the watch claim takes the merchants
    /// watched longest ago first, so the work rotates). Returns how many.
    pub async fn release_leases(&self, kind: LeaseKind, me: &ReplicaId, now: i64) -> Result<u64> {
        let (owner, until) = kind.columns();
        let done = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE merchants SET {owner} = NULL, {until} = $2 WHERE {owner} = $1"
        )))
        .bind(me.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    /// Every lease of `kind` somebody holds or held (not released), by merchant.
    pub async fn held_leases(&self, kind: LeaseKind) -> Result<Vec<HeldLease>> {
        let (owner, until) = kind.columns();
        let rows: Vec<(i64, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT id, {owner}, {until} FROM merchants \
             WHERE {owner} IS NOT NULL AND {until} IS NOT NULL ORDER BY id"
        )))
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, owner, until)| HeldLease {
                merchant: MerchantId(id),
                owner,
                until,
            })
            .collect())
    }

    /// The Telegram long-poller's lock: `Some` when this process may poll, `None` while
    /// another replica holds it. On SQLite (one machine) it always holds: one `khqr-bot run`
    /// per bot token polls, as before. On PostgreSQL it is the session advisory lock
    /// [`POLLER_LOCK_KEY`] (`pg_try_advisory_lock`), taken on a connection of its own that
    /// the guard keeps (out of the pool) for the poller's life: when the process dies, or
    /// the guard is dropped, the connection closes and the server releases the lock.
    pub async fn try_hold_poller_lock(&self) -> Result<Option<PollerLock>> {
        match self.backend() {
            Backend::Sqlite => Ok(Some(PollerLock { session: None })),
            Backend::Postgres => {
                let mut conn = self.pool.acquire().await?.detach();
                let held: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(POLLER_LOCK_KEY)
                    .fetch_one(&mut conn)
                    .await?;
                Ok(held.then(|| PollerLock {
                    session: Some(tokio::sync::Mutex::new(conn)),
                }))
            }
        }
    }
}

/// Key of the PostgreSQL session advisory lock held by the replica that long-polls
/// Telegram ("khqr" in ASCII, then 2; `Store::write_tx` uses 1).
pub const POLLER_LOCK_KEY: i64 = 0x6b68_7172_0000_0002;

/// How often the poller lock's connection is checked (`PollerLock::lost`).
const POLLER_LOCK_CHECK: std::time::Duration = std::time::Duration::from_secs(5);
