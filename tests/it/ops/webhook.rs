//! Webhook mode (issue 16): the bot registers its webhook with the secret and the update
//! kinds it needs, Telegram (the emulator) POSTs every update to it, and a request without
//! the right `X-Telegram-Bot-Api-Secret-Token` is refused with 401 and changes nothing.

use serde_json::{Value, json};

use crate::support::app::{TestApp, WAIT, decode_qr};
use crate::support::fake_telegram::TgUser;
use crate::support::webhook::{SECRET, free_port};
use khqr_bot::store::ChargeStatus;

/// The bot in webhook mode against the emulator; returns it and its webhook URL.
pub async fn webhook_app(extra: &[(&str, &str)]) -> (TestApp, String) {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/telegram/updates");
    let listen = format!("127.0.0.1:{port}");
    let mut env = vec![
        ("TELEGRAM_WEBHOOK_URL", url.as_str()),
        ("TELEGRAM_WEBHOOK_LISTEN", listen.as_str()),
        ("TELEGRAM_WEBHOOK_SECRET", SECRET),
        ("POLL_INTERVAL_SECS", "1"),
    ];
    env.extend_from_slice(extra);
    let app = TestApp::spawn_with(&env).await;
    // Registered before any update is served.
    app.telegram
        .wait_for("setWebhook", |c| c.succeeded(), WAIT)
        .await
        .unwrap();
    (app, url)
}

async fn charge_status(app: &TestApp, md5: &str) -> ChargeStatus {
    let status: String = sqlx::query_scalar("SELECT status FROM charges WHERE md5 = $1")
        .bind(md5)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    status.parse().unwrap()
}

#[tokio::test]
async fn a_charge_is_set_up_made_and_paid_through_the_webhook() {
    let (mut app, url) = webhook_app(&[]).await;

    // setWebhook: the URL, the secret, and every kind of update the handlers take.
    let set = app.telegram.calls_of("setWebhook").remove(0);
    assert_eq!(set.params["url"], json!(url));
    assert_eq!(set.params["secret_token"], json!(SECRET));
    let allowed: Vec<&str> = set.params["allowed_updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap())
        .collect();
    for kind in [
        "message",
        "callback_query",
        "inline_query",
        "chosen_inline_result",
    ] {
        assert!(
            allowed.contains(&kind),
            "{kind} not registered: {allowed:?}"
        );
    }
    assert_eq!(app.telegram.webhook_url().as_deref(), Some(url.as_str()));

    // The whole flow, every update POSTed by Telegram to the webhook.
    let user = TgUser::english(16_001);
    app.setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    app.charge_photo(&user, "/charge 5 USD iced coffee").await;
    let qr = decode_qr(&app.telegram.sent_photos(user.id)[0].bytes);
    let m = app.merchant(&user).await.unwrap();
    let charge = app.store.merchant_charges(m.id, 1).await.unwrap().remove(0);
    let since = app.telegram.call_count();
    let (md5, _) = app.bakong.pay_qr(&qr).unwrap();
    assert_eq!(md5, charge.md5);
    app.telegram
        .wait_for_since(
            since,
            "editMessageMedia",
            |c| c.chat_id() == Some(user.id) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap();
    assert_eq!(charge_status(&app, &charge.md5).await, ChargeStatus::Paid);

    // Nothing came by long polling: Telegram refuses getUpdates while a webhook is set,
    // and the bot never asked.
    assert_eq!(app.telegram.get_updates_count(), 0);
    let (delivered, last_error) = app.telegram.webhook_deliveries();
    assert!(delivered >= 6, "{delivered} updates delivered");
    assert_eq!(last_error, None);
    assert_eq!(app.telegram.pending_updates(), 0);
    app.stop().await;
}

fn start_update(update_id: i64, user: &TgUser) -> Value {
    json!({
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_780_000_000,
            "chat": { "id": user.id, "type": "private", "first_name": "Dara" },
            "from": {
                "id": user.id,
                "is_bot": false,
                "first_name": "Dara",
                "language_code": "en"
            },
            "text": "/start",
            "entities": [{ "type": "bot_command", "offset": 0, "length": 6 }]
        }
    })
}

#[tokio::test]
async fn a_request_without_the_right_secret_is_refused_and_does_nothing() {
    let (mut app, url) = webhook_app(&[]).await;
    let user = TgUser::english(16_002);
    app.telegram.register_user(&user);
    let http = reqwest::Client::new();
    let update = start_update(990_001, &user);
    let wrong_same_length: String = SECRET
        .chars()
        .map(|c| if c == 'a' { 'b' } else { c })
        .collect();
    assert_ne!(wrong_same_length, SECRET);
    let refused: [Option<&str>; 5] = [
        None,
        Some(""),
        Some("nope"),
        Some(&wrong_same_length),
        Some(&SECRET[..SECRET.len() - 1]),
    ];
    for secret in refused {
        let mut request = http.post(&url).json(&update);
        if let Some(s) = secret {
            request = request.header("X-Telegram-Bot-Api-Secret-Token", s);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "secret {secret:?}");
    }

    // The same update with the secret is served: the only answer the user ever gets.
    let since = app.telegram.call_count();
    let response = http
        .post(&url)
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let hello = app.next_text(&user, since).await;
    assert!(hello.text().unwrap().contains("/setup"), "{hello:?}");
    app.stop().await;
    let answers = app
        .telegram
        .calls_of("sendMessage")
        .into_iter()
        .filter(|c| c.chat_id() == Some(user.id))
        .count();
    assert_eq!(answers, 1, "a refused request reached the bot");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM merchants")
        .fetch_one(
            khqr_bot::store::Store::open(app.db_url())
                .await
                .unwrap()
                .pool(),
        )
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

/// The emulator's side of webhook mode, against plain teloxide and a hand-made receiver:
/// `getUpdates` is refused while a webhook is set, each update carries the secret, a
/// refused delivery is made again, in order, and `deleteWebhook` brings polling back.
#[tokio::test]
async fn the_emulator_delivers_to_the_webhook_until_accepted() {
    use std::sync::{Arc, Mutex};
    use teloxide::prelude::*;
    use teloxide::types::AllowedUpdate;

    let fake = crate::support::fake_telegram::FakeTelegram::start().await;
    let bot = Bot::new(fake.bot_token()).set_api_url(fake.api_url());
    // A receiver answering 500 to the first delivery, 200 after; it records what came.
    /// (secret header, update_id) of each delivery.
    type Deliveries = Vec<(Option<String>, i64)>;
    let seen: Arc<Mutex<Deliveries>> = Arc::default();
    let recorded = Arc::clone(&seen);
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(
            move |headers: axum::http::HeaderMap, body: axum::Json<Value>| {
                let recorded = Arc::clone(&recorded);
                async move {
                    let secret = headers
                        .get("x-telegram-bot-api-secret-token")
                        .map(|v| v.to_str().unwrap().to_owned());
                    let mut seen = recorded.lock().unwrap();
                    seen.push((secret, body["update_id"].as_i64().unwrap()));
                    if seen.len() == 1 {
                        axum::http::StatusCode::INTERNAL_SERVER_ERROR
                    } else {
                        axum::http::StatusCode::OK
                    }
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let user = TgUser::english(16_301);
    fake.send_text(&user, "queued before the webhook");
    bot.set_webhook(url.parse().unwrap())
        .secret_token("abc_DEF-123".to_owned())
        .allowed_updates(vec![AllowedUpdate::Message])
        .await
        .unwrap();
    fake.send_text(&user, "second");
    let err = bot.get_updates().await.unwrap_err();
    assert!(err.to_string().contains("webhook is active"), "{err}");
    let info = bot.get_webhook_info().await.unwrap();
    assert_eq!(info.url.unwrap().as_str(), url);

    let deadline = tokio::time::Instant::now() + WAIT;
    while fake.pending_updates() > 0 {
        assert!(tokio::time::Instant::now() < deadline, "never delivered");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let seen = seen.lock().unwrap().clone();
    let secret = Some("abc_DEF-123".to_owned());
    // The first update refused once (500), sent again, then the second: in order.
    assert_eq!(
        seen,
        [(secret.clone(), 1), (secret.clone(), 1), (secret, 2)]
    );
    assert_eq!(fake.webhook_deliveries().0, 2);

    bot.delete_webhook().await.unwrap();
    assert_eq!(fake.webhook_url(), None);
    fake.send_text(&user, "polled again");
    let updates = bot.get_updates().await.unwrap();
    assert_eq!(updates.len(), 1);
    server.abort();
}

/// A load balancer in front of two replicas: every delivery goes to the active one; told to,
/// it loses the answer to the next delivery (the replica took the update, Telegram sees a
/// 502, as after a timeout) and makes the other replica the active one — so Telegram's
/// second delivery of that update reaches the other replica.
struct Balancer {
    backends: [String; 2],
    active: std::sync::atomic::AtomicUsize,
    lose_next: std::sync::atomic::AtomicBool,
    /// (replica, update_id) of each delivery forwarded.
    log: std::sync::Mutex<Vec<(usize, i64)>>,
    http: reqwest::Client,
}

async fn balance(
    axum::extract::State(lb): axum::extract::State<std::sync::Arc<Balancer>>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::http::StatusCode {
    use std::sync::atomic::Ordering;
    let to = lb.active.load(Ordering::SeqCst);
    let update_id = serde_json::from_slice::<Value>(&body).unwrap()["update_id"]
        .as_i64()
        .unwrap();
    lb.log.lock().unwrap().push((to, update_id));
    let mut request = lb
        .http
        .post(&lb.backends[to])
        .header("content-type", "application/json")
        .body(body);
    if let Some(secret) = headers.get("x-telegram-bot-api-secret-token") {
        request = request.header("x-telegram-bot-api-secret-token", secret.clone());
    }
    let status = request.send().await.unwrap().status();
    if lb.lose_next.swap(false, Ordering::SeqCst) {
        lb.active.store(1 - to, Ordering::SeqCst);
        return axum::http::StatusCode::BAD_GATEWAY;
    }
    axum::http::StatusCode::from_u16(status.as_u16()).unwrap()
}

/// Two replicas behind a load balancer: Telegram delivers a `/charge` again because it never
/// saw the first replica's answer, and the balancer hands it to the second replica. The
/// update is claimed by its id in the shared database, so the second replica leaves it: one
/// card, one charge.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_delivered_again_to_another_replica_is_handled_once() {
    use std::sync::Arc;
    use std::sync::atomic::Ordering;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let ports = [free_port(), free_port()];
    let lb = Arc::new(Balancer {
        backends: ports.map(|p| format!("http://127.0.0.1:{p}/hook")),
        active: Default::default(),
        lose_next: Default::default(),
        log: Default::default(),
        http: reqwest::Client::new(),
    });
    let router = axum::Router::new()
        .route("/hook", axum::routing::post(balance))
        .with_state(Arc::clone(&lb));
    let server = tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    // Replica 0 (the test's app), then replica 1 on the same database and Telegram.
    let listen = format!("127.0.0.1:{}", ports[0]);
    let mut app = TestApp::spawn_with(&[
        ("TELEGRAM_WEBHOOK_URL", url.as_str()),
        ("TELEGRAM_WEBHOOK_LISTEN", listen.as_str()),
        ("TELEGRAM_WEBHOOK_SECRET", SECRET),
        ("POLL_INTERVAL_SECS", "1"),
    ])
    .await;
    let mut env = app.env();
    env.insert(
        "TELEGRAM_WEBHOOK_LISTEN".into(),
        format!("127.0.0.1:{}", ports[1]),
    );
    let config = khqr_bot::config::Config::from_source(|k| env.get(k).cloned()).unwrap();
    let second = khqr_bot::app::App::start_with(
        &config,
        khqr_bot::time::TestClock::following_system().shared(),
        crate::support::app::pacing(),
    )
    .await
    .unwrap();
    let stop_second = second.shutdown_token();
    let second_store = second.store.clone();
    let second_task = tokio::spawn(async move { second.run().await.unwrap() });
    let registered = || {
        app.telegram
            .calls_of("setWebhook")
            .iter()
            .filter(|c| c.succeeded())
            .count()
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while registered() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "replica 1 never registered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }

    let user = TgUser::english(16_003);
    app.setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    // Replica 0 takes the /charge, but Telegram never sees its answer.
    lb.lose_next.store(true, Ordering::SeqCst);
    app.charge_photo(&user, "/charge 5 USD iced coffee").await;
    let charge_update = lb.log.lock().unwrap().last().unwrap().1;
    // Replica 1 gets everything from now on, the /charge's second delivery first: its
    // answer to a later message of the same chat (handled in order) comes after it.
    let later = app.say(&user, "/help").await;
    assert!(later.contains("/charge"), "{later}");
    let log = lb.log.lock().unwrap().clone();
    let deliveries: Vec<usize> = log
        .iter()
        .filter(|(_, id)| *id == charge_update)
        .map(|(to, _)| *to)
        .collect();
    assert_eq!(deliveries, [0, 1], "delivered to both replicas: {log:?}");

    assert_eq!(app.telegram.sent_photos(user.id).len(), 1, "one card");
    let m = app.merchant(&user).await.unwrap();
    assert_eq!(app.store.merchant_charges(m.id, 10).await.unwrap().len(), 1);
    assert_eq!(app.telegram.pending_updates(), 0);

    stop_second.cancel();
    tokio::time::timeout(WAIT, second_task)
        .await
        .unwrap()
        .unwrap();
    second_store.close().await;
    app.stop().await;
    server.abort();
}
