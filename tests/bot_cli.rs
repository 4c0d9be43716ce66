//! The `khqr-bot run` binary itself: one clear line for a bad setting, and a clean exit on
//! SIGTERM after it started against the fake Telegram server and the Bakong sandbox.

mod support;

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use khqr_bot::bakong::sandbox::Sandbox;
use support::app::{WAIT, contains};
use support::fake_telegram::{FakeTelegram, TgUser};

fn khqr_bot(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_khqr-bot"));
    cmd.current_dir(dir).env_clear().env("RUST_LOG", "info");
    cmd
}

#[test]
fn bad_settings_stop_start_up_with_one_line_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[], "TELOXIDE_TOKEN"),
        (
            &[("TELOXIDE_TOKEN", "123:abc"), ("CHARGE_TTL_SECS", "601")],
            "CHARGE_TTL_SECS",
        ),
        (
            &[
                ("TELOXIDE_TOKEN", "123:abc"),
                ("KHQR_BOT_SECRET_KEY", "tooshort"),
            ],
            "KHQR_BOT_SECRET_KEY",
        ),
        (
            &[
                ("TELOXIDE_TOKEN", "123:abc"),
                ("BAKONG_API_URL", "not a url"),
            ],
            "BAKONG_API_URL",
        ),
    ];
    for (env, name) in cases {
        let out = khqr_bot(dir.path())
            .arg("run")
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{name}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        let lines: Vec<_> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{name}: {stderr}");
        assert!(
            lines[0].starts_with(&format!("error: {name}: ")),
            "{stderr}"
        );
    }
    // Nothing was created for a configuration that never started.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn run_serves_then_exits_cleanly_on_sigterm() {
    let telegram = FakeTelegram::start().await;
    let bakong = Sandbox::start(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut child = khqr_bot(dir.path())
        .arg("run")
        .env("TELOXIDE_TOKEN", telegram.bot_token())
        .env("TELOXIDE_API_URL", telegram.api_url().as_str())
        .env("BAKONG_API_URL", bakong.base_url())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // It answers a user, so it is up.
    let user = TgUser::english(9001);
    telegram.send_text(&user, "/start");
    let hello = telegram
        .wait_for("sendMessage", |c| c.chat_id() == Some(user.id), WAIT)
        .await
        .unwrap();
    assert!(hello.text().unwrap().contains("/setup"));

    // Database created where DATABASE_URL's default points, key file beside it, 0600.
    assert!(dir.path().join("khqr-bot.db").exists());
    let key = dir.path().join("khqr-bot.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }

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
    assert!(
        stderr.contains("created a new key file"),
        "warning about the key file: {stderr}"
    );
    assert!(
        !contains(
            stderr.as_bytes(),
            telegram.bot_token().split(':').nth(1).unwrap().as_bytes()
        ),
        "bot token logged"
    );
}
