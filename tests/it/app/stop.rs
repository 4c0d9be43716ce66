//! Stopping the bot (SIGTERM, the demo's stop, every test's `stop`): it always stops, and a
//! stop asked before polling starts is not lost.
//!
//! teloxide's own `ShutdownToken::shutdown()` future could miss the dispatcher's "done" and
//! wait for ever: 1 stop in 23 to 63 hung on this 2-core machine under load (CI saw it as a
//! 20 s timeout in `app::replicas::*`). A cancelled `App::shutdown_token` stops the update listener
//! itself (`Bot::dispatch`) and the caller waits for `App::run` to return.

use crate::support::app::{TestApp, WAIT, pacing};
use crate::support::fake_telegram::TgUser;
use khqr_bot::app::{App, RunError};
use khqr_bot::config::Config;
use khqr_bot::store::Store;
use khqr_bot::time::TestClock;

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

/// The app's `Config` for another start on `app`'s database and key, with `changes`.
fn config_like(app: &TestApp, changes: &[(&str, &str)]) -> Config {
    let mut env = app.env();
    for (name, value) in changes {
        env.insert((*name).to_owned(), (*value).to_owned());
    }
    Config::from_source(|k| env.get(k).cloned()).unwrap()
}

/// A stop asked after start but before `run` is kept: `run` returns without polling.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_asked_before_run_is_kept() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let config = config_like(&app, &[]);
    let second = App::start_with(&config, TestClock::following_system().shared(), pacing())
        .await
        .unwrap();
    let store = second.store.clone();
    let polls_before = app.telegram.get_updates_count();
    second.shutdown_token().cancel();
    tokio::time::timeout(WAIT, second.run())
        .await
        .expect("run returns at once")
        .unwrap();
    assert_eq!(
        app.telegram.get_updates_count(),
        polls_before,
        "it never polled"
    );
    store.close().await;
}

/// When the dispatcher ends by itself (here: Telegram cannot be reached at start), `run`
/// says why, after stopping every other part: the ops server no longer answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_that_cannot_start_stops_every_part() {
    let mut app = TestApp::spawn().await;
    app.stop().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let config = config_like(
        &app,
        &[
            ("TELOXIDE_API_URL", nowhere.as_str()),
            ("METRICS_LISTEN", "127.0.0.1:0"),
        ],
    );
    let second = App::start_with(&config, TestClock::following_system().shared(), pacing())
        .await
        .unwrap();
    let store = second.store.clone();
    let ops = second.ops_addr.expect("METRICS_LISTEN is set");
    let result = tokio::time::timeout(WAIT, second.run())
        .await
        .expect("run returns once the dispatcher has failed");
    assert!(matches!(result, Err(RunError::Telegram(_))), "{result:?}");
    assert!(
        tokio::net::TcpStream::connect(ops).await.is_err(),
        "the ops server stopped with the rest"
    );
    store.close().await;
}
