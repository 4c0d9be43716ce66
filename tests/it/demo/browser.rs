//! `khqr-bot demo` in a real browser: the built binary on a free loopback port, Debian's
//! chromedriver + headless Chromium driven over the W3C WebDriver protocol. The flow a visitor
//! follows: one-click demo seller (the real /setup wizard), `/charge 5 USD coffee`, scan the
//! card in the bank pane (the QR read from the card's image) and pay it through the sandbox,
//! then the same chat message turns to paid and `/history` shows $5.00.
//!
//! Needs `chromedriver` and `chromium`, so it is `#[ignore]`d in a plain `cargo test`;
//! `.ci/run` installs them and runs it (`--include-ignored`, with `KHQR_DEMO_BROWSER=required`
//! so a missing driver fails). Elsewhere, without chromedriver it says so and returns.
//!
//! Set `KHQR_DEMO_SCREENSHOTS=<dir>` to save the screenshots `scripts/demo-screenshots.sh`
//! refreshes in docs/images. The inline flow in the customer's chat is `demo::browser_inline`,
//! on the helpers here.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::support::webhook::free_port;

/// Upper bound for anything to appear on the page; only reached when the test fails.
pub(super) const WAIT: Duration = Duration::from_secs(60);

/// A child process killed when the test ends, however it ends. Started in a process group
/// of its own (`in_own_group`, as every `Killed` here is), the whole group goes: chromedriver's Chromium processes are
/// its children, and killing chromedriver alone left two Chromium trees running after every
/// run of the suite.
pub(super) struct Killed(Child);

impl Killed {
    /// `cmd` in a new process group, so that [`Killed`]'s drop reaches its children too.
    pub(super) fn in_own_group(cmd: &mut Command) -> &mut Command {
        use std::os::unix::process::CommandExt as _;
        cmd.process_group(0)
    }
}

impl Drop for Killed {
    fn drop(&mut self) {
        if let Ok(pid) = i32::try_from(self.0.id()) {
            // SAFETY: kill(2) with a negative pid signals that process group; no memory is
            // involved. The group is the child's own (`in_own_group`).
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Starts `khqr-bot demo` and waits for the line with its address.
pub(super) fn start_demo() -> (Killed, String) {
    let port = free_port();
    let mut child = Killed::in_own_group(&mut Command::new(env!("CARGO_BIN_EXE_khqr-bot")))
        .args([
            "demo",
            "--no-open",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("khqr-bot demo starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let demo = Killed(child);
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("khqr-bot demo printed its address before exiting")
            .expect("readable stdout");
        if let Some(rest) = line.strip_prefix("khqr-bot demo running at ") {
            break rest.trim().to_owned();
        }
    };
    // Keep draining stdout so the demo never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (demo, url)
}

/// Starts chromedriver on a free port; `None` (with a message) when it is not installed.
pub(super) fn start_chromedriver() -> Option<(Killed, String)> {
    let Some(driver) = find_in_path("chromedriver") else {
        assert!(
            std::env::var("KHQR_DEMO_BROWSER").as_deref() != Ok("required"),
            "chromedriver is missing but KHQR_DEMO_BROWSER=required (.ci/run installs chromium and chromium-driver)"
        );
        eprintln!(
            "SKIPPED demo::browser: no chromedriver on PATH (apt-get install chromium chromium-driver)"
        );
        return None;
    };
    let port = free_port();
    let child = Killed::in_own_group(&mut Command::new(driver))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    Some((Killed(child), format!("http://127.0.0.1:{port}")))
}

/// A W3C WebDriver session, spoken over plain HTTP with the reqwest the crate already has
/// (fantoccini was tried: its features on hyper/tracing rebuild most of the dependency tree).
pub(super) struct Browser {
    http: reqwest::Client,
    session: String,
}

/// The W3C key of an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Browser {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> Result<Value, String> {
        let url = format!("{}{path}", self.session);
        let request = self.http.request(method.clone(), &url);
        let request = if method == reqwest::Method::GET {
            request
        } else {
            request.json(&body)
        };
        let answer: Value = request
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        let value = answer.get("value").cloned().unwrap_or(Value::Null);
        if value.get("error").is_some() {
            return Err(value.to_string());
        }
        Ok(value)
    }

    pub(super) async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await
            .expect("page loads");
    }

    /// The element matching `css`, if there is one now.
    pub(super) async fn find(&self, css: &str) -> Option<String> {
        let found = self
            .call(
                reqwest::Method::POST,
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await
            .ok()?;
        found.get(ELEMENT)?.as_str().map(str::to_owned)
    }

    pub(super) async fn click(&self, element: &str) -> Result<(), String> {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            json!({}),
        )
        .await
        .map(|_| ())
    }

    pub(super) async fn type_into(&self, element: &str, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await
        .expect("typing");
    }

    pub(super) async fn execute(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": script, "args": [] }),
        )
        .await
        .expect("script runs")
    }

    pub(super) async fn screenshot(&self) -> Vec<u8> {
        let b64 = self
            .call(reqwest::Method::GET, "/screenshot", Value::Null)
            .await
            .expect("screenshot");
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("base64 PNG")
    }

    /// A PNG of one element only (cropped to its box), for the docs' pictures.
    pub(super) async fn element_screenshot(&self, element: &str) -> Vec<u8> {
        let b64 = self
            .call(
                reqwest::Method::GET,
                &format!("/element/{element}/screenshot"),
                Value::Null,
            )
            .await
            .expect("element screenshot");
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("base64 PNG")
    }

    pub(super) async fn close(&self) {
        let _ = self.call(reqwest::Method::DELETE, "", Value::Null).await;
    }
}

pub(super) async fn connect(webdriver: &str) -> Browser {
    connect_sized(webdriver, "1280,860").await
}

/// A browser session with a window of `size` ("width,height").
pub(super) async fn connect_sized(webdriver: &str, size: &str) -> Browser {
    let http = reqwest::Client::new();
    let window = format!("--window-size={size}");
    let caps = json!({ "capabilities": { "alwaysMatch": {
        "browserName": "chrome",
        "goog:chromeOptions": { "args": [
            "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-dev-shm-usage", window
        ] }
    } } });
    let deadline = Instant::now() + WAIT;
    loop {
        let answer = http
            .post(format!("{webdriver}/session"))
            .json(&caps)
            .send()
            .await;
        match answer {
            Ok(res) => {
                let body: Value = res.json().await.expect("JSON from chromedriver");
                let id = body["value"]["sessionId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no browser session: {body}"));
                return Browser {
                    http,
                    session: format!("{webdriver}/session/{id}"),
                };
            }
            // chromedriver takes a moment to listen.
            Err(e) if Instant::now() < deadline => {
                eprintln!("waiting for chromedriver: {e}");
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            Err(e) => panic!("cannot reach chromedriver: {e}"),
        }
    }
}

/// Polls `f` until it returns `Some`, up to [`WAIT`].
pub(super) async fn wait_until<T, F, Fut>(what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The chat's messages as shown, in order: (message id, from the bot, visible text).
pub(super) async fn chat(browser: &Browser) -> Vec<(i64, bool, String)> {
    let got = browser
        .execute(
            "return [...document.querySelectorAll('#chat .msg')].map(m => \
             [Number(m.dataset.id), m.classList.contains('bot'), m.innerText]);",
        )
        .await;
    serde_json::from_value(got).expect("rows of [id, bool, text]")
}

pub(super) async fn send(browser: &Browser, text: &str) {
    let input = browser.find("#composer-input").await.expect("composer");
    browser.type_into(&input, text).await;
    click_css(browser, "#send").await;
}

/// Clicks the element matching `css` once it is there.
pub(super) async fn click_css(browser: &Browser, css: &str) {
    wait_until(css, || async {
        let el = browser.find(css).await?;
        browser.click(&el).await.ok()
    })
    .await;
}

async fn screenshot(browser: &Browser, name: &str) {
    if let Some(dir) = std::env::var_os("KHQR_DEMO_SCREENSHOTS") {
        let path = PathBuf::from(dir).join(format!("demo-{name}.png"));
        std::fs::write(&path, browser.screenshot().await).expect("screenshot written");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs it"]
async fn demo_setup_charge_pay_history_in_a_browser() {
    let Some((_driver, webdriver)) = start_chromedriver() else {
        return;
    };
    let (_demo, url) = start_demo();
    let browser = connect(&webdriver).await;
    browser.goto(&url).await;

    // One click: the demo seller answers the real /setup wizard.
    click_css(&browser, "#setup-demo").await;
    wait_until("setup to finish", || async {
        let state = browser
            .execute("return document.getElementById('setup-status').dataset.state || '';")
            .await;
        let state = state.as_str().unwrap_or_default().to_owned();
        assert!(!state.starts_with("failed"), "one-click setup: {state}");
        (state == "done").then_some(())
    })
    .await;
    let messages = chat(&browser).await;
    assert!(
        messages
            .iter()
            .any(|(_, bot, t)| *bot && t.contains("All set")),
        "the wizard's last answer is in the chat: {messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|(_, bot, t)| !*bot && t.contains("/setup")),
        "the seller's /setup is in the chat: {messages:?}"
    );

    // The charge: a KHQR card photo with a caption and buttons.
    send(&browser, "/charge 5 USD coffee").await;
    let card_id = wait_until("the KHQR card", || async {
        browser
            .execute(
                "const img = document.querySelector('#chat .msg.bot img'); \
                 return img ? Number(img.parentElement.dataset.id) : null;",
            )
            .await
            .as_i64()
    })
    .await;
    screenshot(&browser, "charge").await;

    // The bank pane scans the card's image and shows what it asks for.
    click_css(&browser, &format!(".scan-btn[data-id='{card_id}']")).await;
    let scanned = wait_until("the scan", || async {
        let text = browser
            .execute(&format!(
                "const s = document.querySelector(\"#scans .scan[data-id='{card_id}']\"); \
                 return s ? s.innerText : null;"
            ))
            .await;
        text.as_str().map(str::to_owned)
    })
    .await;
    assert!(
        scanned.contains("5 USD"),
        "the amount the QR carries: {scanned}"
    );
    assert!(scanned.contains("Sokha Coffee"), "{scanned}");
    assert!(scanned.contains("sokha@aclb"), "{scanned}");
    screenshot(&browser, "scan").await;

    // Pay it: the same chat message turns to paid.
    click_css(
        &browser,
        &format!("#scans .scan[data-id='{card_id}'] .bank-pay"),
    )
    .await;
    let paid = wait_until("the card to show paid", || async {
        let text = chat(&browser)
            .await
            .into_iter()
            .find(|(id, _, _)| *id == card_id)?
            .2;
        text.contains("Paid").then_some(text)
    })
    .await;
    assert!(paid.contains("$5.00"), "{paid}");
    screenshot(&browser, "paid").await;

    // /history counts it.
    let before = chat(&browser).await.len();
    send(&browser, "/history").await;
    let history = wait_until("the /history answer", || async {
        chat(&browser)
            .await
            .into_iter()
            .skip(before)
            .find(|(_, bot, t)| *bot && t.contains("received"))
            .map(|m| m.2)
    })
    .await;
    assert!(history.contains("$5.00"), "{history}");
    screenshot(&browser, "history").await;

    browser.close().await;
}
