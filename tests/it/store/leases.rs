//! Issue 16 item 2: the lease SQL straight at the store (`store::leases`): two owners
//! splitting the merchants chunk by chunk, expiry and take-over, renewal only by the holder,
//! release, what is claimable (due charges, late watch, refused tokens), the outbox's
//! per-merchant leases — and settling twice is impossible even without any lease.

use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{Amount, Currency};
use khqr_bot::store::{
    ChargeId, ChargeStatus, FollowUpKind, LeaseKind, MerchantId, NewCharge, OutboxHold, ReplicaId,
    SettleOutcome, Store,
};

const NOW: i64 = 1_780_000_000;
const TTL: i64 = 10;
const LATE: i64 = 900;

async fn store(dir: &tempfile::TempDir) -> Store {
    store_and_url(dir).await.0
}

async fn store_and_url(dir: &tempfile::TempDir) -> (Store, String) {
    let url = crate::support::db::fresh_database_url(dir.path(), "leases.db").await;
    (Store::open(&url).await.unwrap(), url)
}

async fn merchant(s: &Store, user: i64) -> MerchantId {
    s.ensure_merchant(user, user, Lang::En, NOW)
        .await
        .unwrap()
        .id
}

/// A pending charge of `m`, due from `NOW`.
async fn pending(s: &Store, m: MerchantId, n: u32) -> ChargeId {
    let id = s
        .insert_creating_charge(&NewCharge {
            merchant_id: m,
            chat_id: 42,
            bill_number: format!("L{n}"),
            khqr: format!("000201...{n}"),
            md5: format!("{n:032x}"),
            to_account_id: "sokha@aclb".into(),
            amount: Amount::from_minor(500, Currency::Usd).unwrap(),
            note: None,
            created_at: NOW,
            expires_at: NOW + 600,
        })
        .await
        .unwrap();
    assert!(s.activate_charge(id, 1000 + n as i32, NOW).await.unwrap());
    id
}

async fn claim(s: &Store, me: &ReplicaId, now: i64, limit: i64) -> Vec<MerchantId> {
    s.claim_watch_leases(me, now, TTL, now, LATE, limit)
        .await
        .unwrap()
}

fn ids(ms: &[MerchantId]) -> Vec<i64> {
    ms.iter().map(|m| m.0).collect()
}

#[tokio::test]
async fn two_owners_split_the_merchants_chunk_by_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let mut all = vec![];
    for user in 1..=5 {
        let m = merchant(&s, user).await;
        pending(&s, m, user as u32).await;
        all.push(m.0);
    }
    let (a, b) = (ReplicaId::named("a"), ReplicaId::named("b"));
    assert_eq!(
        s.claimable_watch_merchants(NOW, NOW, LATE)
            .await
            .unwrap()
            .len(),
        5
    );
    let first = claim(&s, &a, NOW, 2).await;
    assert_eq!(ids(&first), all[..2]);
    let second = claim(&s, &b, NOW, 10).await;
    assert_eq!(ids(&second), all[2..], "b gets only what a does not hold");
    // Nothing left for anyone, a itself included (a round claims a merchant once).
    assert!(claim(&s, &a, NOW, 10).await.is_empty());
    assert!(claim(&s, &b, NOW, 10).await.is_empty());
    assert!(
        s.claimable_watch_merchants(NOW, NOW, LATE)
            .await
            .unwrap()
            .is_empty()
    );
    let held = s.held_leases(LeaseKind::Watch).await.unwrap();
    let owners: Vec<(i64, &str, i64)> = held
        .iter()
        .map(|h| (h.merchant.0, h.owner.as_str(), h.until))
        .collect();
    assert_eq!(
        owners,
        vec![
            (all[0], "a", NOW + TTL),
            (all[1], "a", NOW + TTL),
            (all[2], "b", NOW + TTL),
            (all[3], "b", NOW + TTL),
            (all[4], "b", NOW + TTL),
        ]
    );
}

#[tokio::test]
async fn a_lapsed_lease_is_taken_over_and_only_its_holder_renews_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let m = merchant(&s, 1).await;
    pending(&s, m, 1).await;
    let (a, b) = (ReplicaId::named("a"), ReplicaId::named("b"));
    assert_eq!(claim(&s, &a, NOW, 50).await, vec![m]);
    // a works on: its heartbeat renews before the lease lapses.
    assert_eq!(
        s.renew_leases(LeaseKind::Watch, &a, NOW + 5, TTL)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.renew_leases(LeaseKind::Watch, &b, NOW + 5, TTL)
            .await
            .unwrap(),
        0
    );
    assert!(
        claim(&s, &b, NOW + 14, 50).await.is_empty(),
        "held until NOW + 15"
    );
    // a dies: nobody renews; at NOW + 15 the lease has lapsed and b takes it over.
    assert_eq!(claim(&s, &b, NOW + 15, 50).await, vec![m]);
    // a, back from a pause, cannot renew what is b's now, nor release it.
    assert_eq!(
        s.renew_leases(LeaseKind::Watch, &a, NOW + 16, TTL)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.release_leases(LeaseKind::Watch, &a, NOW + 16)
            .await
            .unwrap(),
        0
    );
    let held = s.held_leases(LeaseKind::Watch).await.unwrap();
    assert_eq!(
        (held[0].owner.as_str(), held[0].until),
        ("b", NOW + 15 + TTL)
    );
    // A lease that lapsed is not renewed even by its (slow) holder: it may be anyone's.
    assert_eq!(
        s.renew_leases(LeaseKind::Watch, &b, NOW + 40, TTL)
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_released_lease_is_free_at_once_and_the_longest_unwatched_go_first() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let m1 = merchant(&s, 1).await;
    let m2 = merchant(&s, 2).await;
    pending(&s, m1, 1).await;
    pending(&s, m2, 2).await;
    let (a, b) = (ReplicaId::named("a"), ReplicaId::named("b"));
    assert_eq!(claim(&s, &a, NOW, 1).await, vec![m1]);
    assert_eq!(
        s.release_leases(LeaseKind::Watch, &a, NOW + 1)
            .await
            .unwrap(),
        1
    );
    assert!(s.held_leases(LeaseKind::Watch).await.unwrap().is_empty());
    // m1 was watched at NOW + 1, m2 never: m2 goes first.
    assert_eq!(claim(&s, &b, NOW + 1, 1).await, vec![m2]);
    assert_eq!(claim(&s, &b, NOW + 1, 1).await, vec![m1]);
}

#[tokio::test]
async fn only_merchants_with_due_work_and_a_usable_token_are_claimed() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let idle = merchant(&s, 1).await;
    let refused = merchant(&s, 2).await;
    let late = merchant(&s, 3).await;
    let later = merchant(&s, 4).await;
    pending(&s, refused, 2).await;
    sqlx::query("UPDATE merchants SET token_rejected_at = $1 WHERE id = $2")
        .bind(NOW)
        .bind(refused.0)
        .execute(s.pool())
        .await
        .unwrap();
    let c = pending(&s, late, 3).await;
    assert!(s.cancel_charge(late, c, NOW).await.unwrap());
    let c = pending(&s, later, 4).await;
    s.set_next_polls(&[(c, NOW + 30)]).await.unwrap();
    let me = ReplicaId::named("a");
    // The cancelled charge is in its late watch: its merchant is claimed.
    assert_eq!(claim(&s, &me, NOW, 50).await, vec![late]);
    s.release_leases(LeaseKind::Watch, &me, NOW).await.unwrap();
    // The round pushes the late-watched charge back (every 30 s): at NOW + 20 nothing is due.
    let late_watch = khqr_bot::store::LateWatch {
        window_secs: LATE,
        every_secs: 30,
    };
    assert_eq!(
        s.late_watched_due_of(NOW, late_watch, &[late])
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(claim(&s, &me, NOW + 20, 50).await.is_empty());
    // Once its late watch is over (window 0: at its expiry) the cancelled charge no longer
    // counts; the pending one, due since NOW + 30, does.
    assert_eq!(
        s.claim_watch_leases(&me, NOW + 600, TTL, NOW + 600, 0, 50)
            .await
            .unwrap(),
        vec![later]
    );
    assert!(
        !s.held_leases(LeaseKind::Watch)
            .await
            .unwrap()
            .iter()
            .any(|h| h.merchant == idle)
    );
}

#[tokio::test]
async fn each_merchants_follow_ups_are_handed_to_one_replica_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let m1 = merchant(&s, 1).await;
    let m2 = merchant(&s, 2).await;
    // Follow-ups queued by cancellations: m1, m2, m1 (oldest first).
    let c1 = pending(&s, m1, 1).await;
    let c2 = pending(&s, m2, 2).await;
    let c3 = pending(&s, m1, 3).await;
    for (m, c) in [(m1, c1), (m2, c2), (m1, c3)] {
        assert!(s.cancel_charge(m, c, NOW).await.unwrap());
    }
    let (a, b) = (ReplicaId::named("a"), ReplicaId::named("b"));
    let got_a = s.outbox_claim(&a, NOW, NOW, TTL, 1, 100).await.unwrap();
    let got_b = s.outbox_claim(&b, NOW, NOW, TTL, 10, 100).await.unwrap();
    let of = |items: &[khqr_bot::store::OutboxItem]| {
        items
            .iter()
            .map(|i| (i.merchant_id, i.charge_id))
            .collect::<Vec<_>>()
    };
    // a took m1 (its follow-up is the oldest): both of m1's, in order; b only m2's.
    assert_eq!(of(&got_a), vec![(m1, Some(c1)), (m1, Some(c3))]);
    assert_eq!(of(&got_b), vec![(m2, Some(c2))]);
    assert!(
        got_a
            .iter()
            .all(|i| i.kind == FollowUpKind::ChargeCancelled)
    );
    // While a holds m1, b gets none of m1's; a delivers one and releases.
    assert!(
        s.outbox_claim(&b, NOW + 1, NOW + 1, TTL, 10, 100)
            .await
            .unwrap()
            .len()
            == 1
    );
    assert!(s.outbox_done(got_a[0].id, NOW + 1).await.unwrap());
    s.release_leases(LeaseKind::Outbox, &a, NOW + 1)
        .await
        .unwrap();
    s.release_leases(LeaseKind::Outbox, &b, NOW + 1)
        .await
        .unwrap();
    let next = s
        .outbox_claim(&b, NOW + 2, NOW + 2, TTL, 10, 100)
        .await
        .unwrap();
    // In id order: m2's cancellation was queued before m1's second one.
    assert_eq!(of(&next), vec![(m2, Some(c2)), (m1, Some(c3))]);
    // Delivered by a replica whose lease lapsed: still recorded once, never undone.
    assert!(s.outbox_done(got_a[1].id, NOW + 3).await.unwrap());
    assert!(!s.outbox_done(got_a[1].id, NOW + 3).await.unwrap());
    assert!(!s.outbox_retry(got_a[1].id, "late", NOW + 60).await.unwrap());
}

/// Right before each send the sender checks, in SQL, that it still holds the merchant's
/// outbox (renewing it) and that the follow-up is still undone; a lapsed lease is lost even
/// if nobody took it yet, and a follow-up delivered meanwhile is skipped.
#[tokio::test]
async fn a_follow_up_is_sent_only_by_the_live_holder_of_its_merchant() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let m = merchant(&s, 1).await;
    let other = merchant(&s, 2).await;
    let mut charges = Vec::new();
    for (n, merchant) in [(1, m), (2, m), (3, other)] {
        let c = pending(&s, merchant, n).await;
        assert!(s.cancel_charge(merchant, c, NOW).await.unwrap());
        charges.push(c);
    }
    let (a, b) = (ReplicaId::named("a"), ReplicaId::named("b"));
    let got = s.outbox_claim(&a, NOW, NOW, TTL, 1, 100).await.unwrap();
    let (first, second) = (got[0].id, got[1].id);
    assert!(got.iter().all(|t| t.merchant_id == m));
    // a holds m: each check renews the lease from the time it is made.
    assert_eq!(
        s.hold_outbox_lease(&a, m, first, NOW + 5, TTL)
            .await
            .unwrap(),
        OutboxHold::Held
    );
    assert_eq!(
        held_until(&s, LeaseKind::Outbox, m).await,
        Some(NOW + 5 + TTL)
    );
    // Not b's, not for another merchant a does not hold.
    assert_eq!(
        s.hold_outbox_lease(&b, m, first, NOW + 5, TTL)
            .await
            .unwrap(),
        OutboxHold::Lost
    );
    let theirs = s.charge_outbox(charges[2]).await.unwrap()[0].id;
    assert_eq!(
        s.hold_outbox_lease(&a, other, theirs, NOW + 5, TTL)
            .await
            .unwrap(),
        OutboxHold::Lost
    );
    // Lapsed: lost, although nobody has taken it yet; and not renewed by the attempt.
    let lapsed = NOW + 5 + TTL;
    assert_eq!(
        s.hold_outbox_lease(&a, m, first, lapsed, TTL)
            .await
            .unwrap(),
        OutboxHold::Lost
    );
    assert_eq!(held_until(&s, LeaseKind::Outbox, m).await, Some(lapsed));
    // b takes m over and delivers the first follow-up; a comes back to it: lost.
    let taken = s
        .outbox_claim(&b, lapsed, lapsed, TTL, 1, 100)
        .await
        .unwrap();
    assert_eq!(taken.len(), 2);
    assert_eq!(
        s.hold_outbox_lease(&b, m, first, lapsed, TTL)
            .await
            .unwrap(),
        OutboxHold::Held
    );
    assert!(s.outbox_done(first, lapsed).await.unwrap());
    assert_eq!(
        s.hold_outbox_lease(&a, m, second, lapsed + 1, TTL)
            .await
            .unwrap(),
        OutboxHold::Lost
    );
    // A follow-up already delivered is skipped by its holder.
    assert_eq!(
        s.hold_outbox_lease(&b, m, first, lapsed + 1, TTL)
            .await
            .unwrap(),
        OutboxHold::Done
    );
    assert_eq!(
        s.hold_outbox_lease(&b, m, second, lapsed + 1, TTL)
            .await
            .unwrap(),
        OutboxHold::Held
    );
}

async fn held_until(s: &Store, kind: LeaseKind, m: MerchantId) -> Option<i64> {
    s.held_leases(kind)
        .await
        .unwrap()
        .into_iter()
        .find(|h| h.merchant == m)
        .map(|h| h.until)
}

/// The guard below the leases: two handles on one database settling the same charge at the
/// same time, with no lease at all — one settles it, with one event and one follow-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_leases_a_charge_still_settles_once() {
    let dir = tempfile::tempdir().unwrap();
    let (s, url) = store_and_url(&dir).await;
    let other = Store::open(&url).await.unwrap();
    let m = merchant(&s, 1).await;
    let mut charges = vec![];
    for n in 1..=20 {
        charges.push(pending(&s, m, n).await);
    }
    let paid = |n: usize| {
        crate::support::money::exact(
            &format!("{n:064x}"),
            "sokha@aclb",
            Currency::Usd,
            500,
            NOW + 5,
        )
    };
    let mut tasks = vec![];
    for (n, c) in charges.iter().copied().enumerate() {
        for handle in [s.clone(), other.clone()] {
            let transfer = paid(n);
            tasks.push(tokio::spawn(async move {
                handle
                    .record_payment(c, &transfer, NOW + 5, NOW + 35)
                    .await
                    .unwrap()
            }));
        }
    }
    let mut changed = 0;
    for t in tasks {
        match t.await.unwrap() {
            SettleOutcome::Changed {
                status: ChargeStatus::Paid,
                after: None,
            } => changed += 1,
            SettleOutcome::Unchanged => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(changed, charges.len());
    for c in &charges {
        let kinds: Vec<String> = s
            .charge_events(*c)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.kind.to_string())
            .collect();
        assert_eq!(kinds, ["charge_created", "charge_paid"], "{c:?}");
        let follow_ups: Vec<FollowUpKind> = s
            .charge_outbox(*c)
            .await
            .unwrap()
            .into_iter()
            .map(|o| o.kind)
            .collect();
        assert_eq!(follow_ups, [FollowUpKind::ChargePaid], "{c:?}");
    }
}

/// The Telegram poller lock. On SQLite (one machine, one polling process) it always holds
/// and is never lost. On PostgreSQL one replica holds it at a time; when its holder lets it
/// go (or dies: its session ends), another takes it.
#[tokio::test]
async fn the_poller_lock_is_held_by_one_replica_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let (s, url) = store_and_url(&dir).await;
    let other = Store::open(&url).await.unwrap();
    let first = s.try_hold_poller_lock().await.unwrap().expect("held");
    let lost = tokio::time::timeout(std::time::Duration::from_millis(50), first.lost()).await;
    assert!(lost.is_err(), "not lost");
    match s.backend() {
        khqr_bot::store::Backend::Sqlite => {
            assert!(other.try_hold_poller_lock().await.unwrap().is_some());
        }
        khqr_bot::store::Backend::Postgres => {
            assert!(other.try_hold_poller_lock().await.unwrap().is_none());
            drop(first);
            // The holder's session ends when its connection closes.
            let deadline = tokio::time::Instant::now() + crate::support::app::WAIT;
            while other.try_hold_poller_lock().await.unwrap().is_none() {
                assert!(tokio::time::Instant::now() < deadline, "never released");
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        }
    }
}

/// Replica-safe recovery: a charge `creating` for longer than the grace was interrupted
/// and becomes pending; a younger one may be another replica's card being sent right now
/// and is left alone.
#[tokio::test]
async fn recovery_takes_only_charges_creating_for_longer_than_the_grace() {
    use khqr_bot::watcher::scheduler::{RECOVERY_GRACE_SECS, recover_interrupted};
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let m = merchant(&s, 1).await;
    let charge = |n: u32, created_at: i64| NewCharge {
        merchant_id: m,
        chat_id: 42,
        bill_number: format!("R{n}"),
        khqr: format!("000201...{n}"),
        md5: format!("{n:032x}"),
        to_account_id: "sokha@aclb".into(),
        amount: Amount::from_minor(500, Currency::Usd).unwrap(),
        note: None,
        created_at,
        expires_at: NOW + 900,
    };
    let old = s
        .insert_creating_charge(&charge(1, NOW - RECOVERY_GRACE_SECS - 1))
        .await
        .unwrap();
    let sending = s
        .insert_creating_charge(&charge(2, NOW - 60))
        .await
        .unwrap();
    recover_interrupted(&s, NOW).await.unwrap();
    let status = |c| {
        let s = s.clone();
        async move { s.charge(c).await.unwrap().unwrap().status }
    };
    assert_eq!(status(old).await, ChargeStatus::Pending);
    assert_eq!(status(sending).await, ChargeStatus::Creating);
    // The live replica finishes its send: the charge is its own, with its message.
    assert!(s.activate_charge(sending, 77, NOW + 1).await.unwrap());
    assert_eq!(
        s.charge(sending).await.unwrap().unwrap().message_id,
        Some(77)
    );
}
