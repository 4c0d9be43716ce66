//! The demo, through its own HTTP API (the page's endpoints in `src/demo/`, no browser): a
//! seller's session of exact, over, under, failed-then-paid and late (after Cancel) payments
//! made in the bank pane ends with `/history` showing exactly what the bank pane paid.

use std::time::Duration;

use serde_json::{Value, json};

/// Upper bound for anything to appear in the demo; only reached when the test fails.
const WAIT: Duration = Duration::from_secs(40);

struct Demo {
    base: String,
    http: reqwest::Client,
}

impl Demo {
    async fn get(&self, path: &str) -> Value {
        self.http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap();
        assert!(status.is_success(), "{path} {body}: {status} {v}");
        v
    }

    /// The seller's chat with the bot, as the page shows it.
    async fn messages(&self) -> Vec<Value> {
        self.get("/api/state").await["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// Waits for `pick` to find something in the seller's chat.
    async fn wait_for<T>(&self, what: &str, pick: impl Fn(&[Value]) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if let Some(found) = pick(&self.messages().await) {
                return found;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting for {what}: {:#?}",
                self.messages().await
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// `/charge …` typed by the seller: the message id of the card the bot sent, which the
    /// bank pane has scanned.
    async fn charge(&self, text: &str) -> i64 {
        let sent = self.post("/api/send", json!({ "text": text })).await["message_id"]
            .as_i64()
            .unwrap();
        let card = self
            .wait_for("the card", |ms| {
                ms.iter()
                    .find(|m| {
                        m["from_bot"] == true
                            && m["id"].as_i64() > Some(sent)
                            && m["photo"].is_string()
                    })
                    .and_then(|m| m["id"].as_i64())
            })
            .await;
        self.scan(card).await;
        card
    }

    /// The caption of message `id` once it contains `word`.
    async fn caption_with(&self, id: i64, word: &str) -> String {
        self.wait_for(&format!("message {id} to say {word:?}"), |ms| {
            ms.iter()
                .find(|m| m["id"].as_i64() == Some(id))
                .and_then(|m| m["caption"].as_str())
                .filter(|c| c.contains(word))
                .map(str::to_owned)
        })
        .await
    }

    /// The bank pane scans card `id` (and keeps the scan, as a phone's gallery does).
    async fn scan(&self, id: i64) {
        self.post("/api/bank/scan", json!({ "chat": "bot", "message_id": id }))
            .await;
    }

    /// The bank pane does `action` with its scan of card `id`: what the pane says it did.
    async fn bank(&self, id: i64, action: Value) -> String {
        let mut body = json!({ "chat": "bot", "message_id": id });
        for (k, v) in action.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.post("/api/bank/act", body).await["done"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A button of card `id` whose data starts with `prefix`.
    async fn button(&self, id: i64, prefix: &str) -> String {
        self.wait_for("the button", |ms| {
            ms.iter()
                .find(|m| m["id"].as_i64() == Some(id))?
                .get("buttons")?
                .as_array()?
                .iter()
                .flat_map(|row| row.as_array().cloned().unwrap_or_default())
                .find_map(|b| {
                    b["data"]
                        .as_str()
                        .filter(|d| d.starts_with(prefix))
                        .map(str::to_owned)
                })
        })
        .await
    }
}

/// Cents paid, from the bank pane's "paid 2.50 USD · ref 1a2b3c4d".
fn cents(done: &str) -> u64 {
    let amount = done
        .strip_prefix("paid ")
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("{done}"));
    assert!(done.contains(" USD "), "{done}");
    let (units, fraction) = amount.split_once('.').unwrap_or((amount, "0"));
    let fraction = format!("{fraction:0<2}");
    units.parse::<u64>().unwrap() * 100 + fraction[..2].parse::<u64>().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_session_ends_with_history_equal_to_what_the_bank_pane_paid() {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<String>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let demo = tokio::spawn(async move {
        let options = khqr_bot::demo::DemoOptions {
            listen: "127.0.0.1:0".parse().unwrap(),
            database: None,
        };
        let stop = async move {
            let _ = stop_rx.await;
        };
        khqr_bot::demo::run(options, stop, |url| {
            let _ = ready_tx.send(url.trim_end_matches('/').to_owned());
        })
        .await
    });
    let d = Demo {
        base: ready_rx.await.expect("the demo starts"),
        http: reqwest::Client::new(),
    };

    d.post("/api/setup", json!({})).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let setup = d.get("/api/state").await["setup"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(!setup.starts_with("failed"), "{setup}");
        if setup == "done" {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "setup: {setup}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let mut paid = 0;
    // Exact.
    let card = d.charge("/charge 5 USD coffee").await;
    paid += cents(&d.bank(card, json!({ "action": "pay" })).await);
    d.caption_with(card, "Paid $5.00").await;
    // More than asked.
    let card = d.charge("/charge 2 USD tea").await;
    paid += cents(
        &d.bank(card, json!({ "action": "amount", "amount": "2.50" }))
            .await,
    );
    d.caption_with(card, "more than asked").await;
    // Less than asked.
    let card = d.charge("/charge 4 USD cake").await;
    paid += cents(
        &d.bank(card, json!({ "action": "amount", "amount": "3" }))
            .await,
    );
    d.caption_with(card, "Paid in part").await;
    // Failed, then paid.
    let card = d.charge("/charge 3 USD juice").await;
    assert_eq!(d.bank(card, json!({ "action": "fail" })).await, "failed");
    d.caption_with(card, "Payment failed").await;
    paid += cents(&d.bank(card, json!({ "action": "pay" })).await);
    d.caption_with(card, "Paid $3.00").await;
    // Late: cancelled, then the scanned copy paid.
    let card = d.charge("/charge 1.25 USD water").await;
    d.post(
        "/api/bank/scan",
        json!({ "chat": "bot", "message_id": card }),
    )
    .await;
    let cancel = d.button(card, "cxl:").await;
    d.post(
        "/api/press",
        json!({ "chat": "bot", "message_id": card, "data": cancel }),
    )
    .await;
    d.caption_with(card, "Cancelled").await;
    paid += cents(&d.bank(card, json!({ "action": "pay" })).await);
    d.caption_with(card, "Paid $1.25").await;
    assert_eq!(paid, 500 + 250 + 300 + 300 + 125);

    let sent = d.post("/api/send", json!({ "text": "/history" })).await["message_id"]
        .as_i64()
        .unwrap();
    let history = d
        .wait_for("/history's answer", |ms| {
            // (A notice about the late payment may come in between.)
            ms.iter()
                .filter(|m| m["from_bot"] == true && m["id"].as_i64() > Some(sent))
                .filter_map(|m| m["caption"].as_str().or(m["text"].as_str()))
                .find(|t| t.starts_with("📊"))
                .map(str::to_owned)
        })
        .await;
    let total = format!(
        "💵 USD: ${}.{:02} received · 5 payment(s)",
        paid / 100,
        paid % 100
    );
    assert!(history.lines().any(|l| l == total), "{total} in {history}");

    let _ = stop_tx.send(());
    demo.await.unwrap().unwrap();
}
