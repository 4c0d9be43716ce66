//! Stopping the bot (SIGTERM, the demo's stop, every test's `stop`): it always stops, and a
//! stop asked before polling starts is not lost.
//!
//! teloxide's own `ShutdownToken::shutdown()` future could miss the dispatcher's "done" and
//! wait for ever: 1 stop in 23 to 63 hung on this 2-core machine under load (CI saw it as a
//! 20 s timeout in `replicas::*`). A cancelled `App::shutdown_token` stops the update listener
//! itself (`Bot::dispatch`) and the caller waits for `App::run` to return.

use crate::support::app::TestApp;
use crate::support::fake_telegram::TgUser;
use khqr_bot::store::Store;

/// Start, serve one command, stop; again and again. Each stop must end `App::run` (the
/// support's `stop` fails the test if it takes longer than `WAIT`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_stops_every_time_it_is_asked() {
    let mut app = TestApp::spawn().await;
    let user = TgUser::english(17_001);
    for _ in 0..40 {
        let answer = app.say(&user, "/help").await;
        assert!(!answer.is_empty());
        app.stop().await;
        app.start().await;
    }
    app.stop().await;
}

/// A replica waiting for the Telegram poller lock (another replica polls) stops when asked;
/// before, the stop was seen only once it held the lock, so SIGTERM did nothing until then.
/// On SQLite the lock always holds (one polling process): the bot polls and stops as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bot_waiting_for_the_poller_lock_stops_when_asked() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let other_replica = Store::open(app.db_url()).await.unwrap();
    let held = other_replica
        .try_hold_poller_lock()
        .await
        .unwrap()
        .expect("nobody polls: the lock is free");
    let polls_before = app.telegram.get_updates_count();

    app.start().await;
    // On PostgreSQL it now waits for the lock (its watcher and outbox run meanwhile).
    app.stop().await;
    if crate::support::db::on_postgres() {
        assert_eq!(
            app.telegram.get_updates_count(),
            polls_before,
            "it never polled: the other replica held the lock"
        );
    }
    drop(held);
    other_replica.close().await;
}
