//! `LOG_FORMAT=json` (issue 16): the `khqr-bot run` binary writes one JSON object per line
//! on stderr, and no secret shows in them — not the bot token, not a seller's Bakong token,
//! not the webhook secret — here in webhook mode, through a whole /setup and a /charge.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::app::{WAIT, contains};
use crate::support::db::{fresh_database_url, on_postgres};
use crate::support::fake_telegram::{FakeTelegram, TgUser};
use crate::support::webhook::{SECRET, free_port};
use khqr_bot::bakong::sandbox::Sandbox;

fn khqr_bot(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_khqr-bot"));
    cmd.current_dir(dir)
        .env_clear()
        .env("RUST_LOG", "info,khqr_bot=debug");
    cmd
}

/// `user` says `text`; waits for the bot's next message to them.
async fn say(telegram: &FakeTelegram, user: &TgUser, text: &str) -> String {
    let since = telegram.call_count();
    telegram.send_text(user, text);
    let call = telegram
        .wait_for_since(since, "sendMessage", |c| c.chat_id() == Some(user.id), WAIT)
        .await
        .unwrap();
    call.text().unwrap().to_owned()
}

#[test]
fn a_bad_log_format_stops_start_up_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = khqr_bot(dir.path())
        .arg("run")
        .env("TELOXIDE_TOKEN", "123:abc")
        .env("LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].starts_with("error: LOG_FORMAT: "), "{stderr}");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line_and_carry_no_secret() {
    let telegram = FakeTelegram::start().await;
    let bakong = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db_url = fresh_database_url(dir.path(), "khqr-bot.db").await;
    let port = free_port();
    let mut cmd = khqr_bot(dir.path());
    if on_postgres() {
        // The key file SQLite keeps beside the database; PostgreSQL has no "beside".
        cmd.env("KHQR_BOT_SECRET_KEY_FILE", dir.path().join("khqr-bot.key"));
    }
    let mut child = cmd
        .arg("run")
        .env("DATABASE_URL", &db_url)
        .env("LOG_FORMAT", "json")
        .env("TELOXIDE_TOKEN", telegram.bot_token())
        .env("TELOXIDE_API_URL", telegram.api_url().as_str())
        .env("BAKONG_API_URL", bakong.base_url())
        .env(
            "TELEGRAM_WEBHOOK_URL",
            format!("http://127.0.0.1:{port}/hook"),
        )
        .env("TELEGRAM_WEBHOOK_LISTEN", format!("127.0.0.1:{port}"))
        .env("TELEGRAM_WEBHOOK_SECRET", SECRET)
        .env("METRICS_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let user = TgUser::english(16_201);
    let bakong_token = bakong.issue_token("seller@example.com");
    say(&telegram, &user, "/setup").await;
    say(&telegram, &user, "sokha@aclb").await;
    say(&telegram, &user, "Sokha Coffee").await;
    say(&telegram, &user, "Phnom Penh").await;
    let done = say(&telegram, &user, &bakong_token).await;
    assert!(done.contains("sokha@aclb"), "{done}");
    let since = telegram.call_count();
    telegram.send_text(&user, "/charge 5 USD coffee");
    telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(user.id), WAIT)
        .await
        .unwrap();
    // A request with a wrong secret is logged (refused) — the secret it carried is not.
    let refused = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/hook"))
        .header("X-Telegram-Bot-Api-Secret-Token", "Wrong-Guess")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = std::time::Instant::now() + WAIT;
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    assert!(exit.success(), "exit {exit:?}: {stderr}");

    let lines: Vec<&str> = stderr.lines().collect();
    assert!(lines.len() >= 5, "{stderr}");
    let mut messages = Vec::new();
    for line in &lines {
        let event: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(event["timestamp"].is_string(), "{line}");
        assert!(event["level"].is_string(), "{line}");
        assert!(event["target"].is_string(), "{line}");
        messages.push(event["message"].as_str().unwrap_or_default().to_owned());
    }
    assert!(
        messages.iter().any(|m| m.contains("webhook registered")),
        "{messages:?}"
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("without the right secret")),
        "{messages:?}"
    );
    let bot_secret = telegram.bot_token().split(':').nth(1).unwrap();
    for (name, secret) in [
        ("bot token", bot_secret),
        ("Bakong token", bakong_token.as_str()),
        ("webhook secret", SECRET),
        ("refused secret", "Wrong-Guess"),
    ] {
        assert!(
            !contains(stderr.as_bytes(), secret.as_bytes()),
            "{name} logged:\n{stderr}"
        );
    }
}
