//! `/healthz` on `METRICS_LISTEN` (issue 16): 200 while the database answers and Telegram's
//! `getMe` succeeded recently (asked at most every 30 s by the app's clock, not on every
//! probe); 503 naming the failing part otherwise.

use serde_json::Value;

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::Failure;
use khqr_bot::ops::health::TELEGRAM_CHECK_SECS;

pub async fn ops_app(extra: &[(&str, &str)]) -> TestApp {
    let mut env = vec![("METRICS_LISTEN", "127.0.0.1:0")];
    env.extend_from_slice(extra);
    let app = TestApp::spawn_with(&env).await;
    assert!(app.ops_addr.is_some());
    app
}

async fn probe(app: &TestApp) -> (u16, Value) {
    let url = format!("http://{}/healthz", app.ops_addr.unwrap());
    let response = reqwest::get(&url).await.unwrap();
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    (status, body)
}

fn get_me_calls(app: &TestApp) -> usize {
    app.telegram.calls_of("getMe").len()
}

/// Waits until the bot polls (its own start-up getMe calls are over).
async fn wait_polling(app: &TestApp) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.telegram.get_updates_count() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "never polled");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn healthz_is_200_then_names_telegram_then_the_database() {
    let mut app = ops_app(&[]).await;
    wait_polling(&app).await;

    let (status, body) = probe(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["failing"], serde_json::json!([]));
    assert_eq!(body["database"]["ok"], true);
    assert_eq!(body["telegram"]["ok"], true);

    // Probes do not call Telegram each time: the answer is kept for 30 s.
    let asked = get_me_calls(&app);
    for _ in 0..5 {
        assert_eq!(probe(&app).await.0, 200);
    }
    assert_eq!(get_me_calls(&app), asked);

    // Telegram unreachable: seen at the next check, not before.
    app.telegram.fail_next("getMe", 1, Failure::Network);
    assert_eq!(probe(&app).await.0, 200);
    app.advance_clock(TELEGRAM_CHECK_SECS + 1);
    let (status, body) = probe(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["failing"], serde_json::json!(["telegram"]));
    assert_eq!(body["telegram"]["ok"], false);
    // Which part and how, in fixed words: no driver text (the log has it).
    assert_eq!(body["telegram"]["error"], "getMe failed", "{body}");
    assert_eq!(body["database"]["ok"], true);
    assert_eq!(get_me_calls(&app), asked + 1);

    // Telegram back: healthy at the next check.
    app.advance_clock(TELEGRAM_CHECK_SECS + 1);
    assert_eq!(probe(&app).await.0, 200);

    // The database gone (its pool closed under the running bot): 503 naming it.
    app.store.close().await;
    let (status, body) = probe(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["failing"], serde_json::json!(["database"]));
    assert_eq!(body["database"]["ok"], false);
    // Not sqlx's "attempted to acquire a connection on a closed pool" (or a URL, a host).
    assert_eq!(
        body["database"]["error"], "the database does not answer",
        "{body}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_busy_metrics_address_stops_start_up_naming_the_setting() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let mut app = ops_app(&[]).await;
    app.stop().await;
    app.set_env("METRICS_LISTEN", Some(&addr));
    let err = app.try_start().await.expect_err("the address is taken");
    let line = err.to_string();
    assert!(
        line.starts_with(&format!("METRICS_LISTEN: cannot listen on {addr}: ")),
        "{line}"
    );
}
