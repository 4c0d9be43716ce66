//! The `khqr-bot run` binary itself: one clear line for a bad setting, and a clean exit on
//! SIGTERM after it started against the fake Telegram server and the Bakong sandbox.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::app::{WAIT, contains};
use crate::support::fake_telegram::{FakeTelegram, TgUser};
use khqr_bot::bakong::sandbox::Sandbox;

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

async fn sealed_tokens(app: &crate::support::app::TestApp) -> Vec<Vec<u8>> {
    let store = khqr_bot::store::Store::open(app.db_url()).await.unwrap();
    let tokens = sqlx::query_scalar("SELECT token_sealed FROM merchants ORDER BY id")
        .fetch_all(store.pool())
        .await
        .unwrap();
    store.close().await;
    tokens
}

fn one_error_line(out: &std::process::Output) -> String {
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    let lines: Vec<_> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    lines[0].to_owned()
}

#[tokio::test]
async fn rotate_key_reseals_every_token_and_the_bot_then_runs_only_with_the_new_key() {
    let mut app = crate::support::app::TestApp::spawn().await;
    let users = [TgUser::english(9101), TgUser::khmer(9102)];
    let mut tails = Vec::new();
    for u in &users {
        let token = app
            .setup_merchant(u, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
            .await;
        // /settings shows the token's last four characters only when it opens.
        tails.push(format!("••••{}", &token[token.len() - 4..]));
    }
    app.stop().await;
    let cwd = tempfile::tempdir().unwrap();
    let db_url = app.db_url().to_owned();
    let new_key = "33".repeat(32);
    let before = sealed_tokens(&app).await;
    // On PostgreSQL the key file is named by KHQR_BOT_SECRET_KEY_FILE (nothing is "beside").
    let key_file = app.env().get("KHQR_BOT_SECRET_KEY_FILE").cloned();
    let rotate = || {
        let mut cmd = khqr_bot(cwd.path());
        cmd.arg("rotate-key").env("DATABASE_URL", &db_url);
        if let Some(file) = &key_file {
            cmd.env("KHQR_BOT_SECRET_KEY_FILE", file);
        }
        cmd
    };

    // A wrong old key, or no new key: one line, nothing changed.
    let out = rotate()
        .env("KHQR_BOT_OLD_SECRET_KEY", "44".repeat(32))
        .env("KHQR_BOT_NEW_SECRET_KEY", &new_key)
        .output()
        .unwrap();
    let line = one_error_line(&out);
    assert!(line.starts_with("error: old key: "), "{line}");
    let line = one_error_line(&rotate().output().unwrap());
    assert!(
        line.starts_with("error: KHQR_BOT_NEW_SECRET_KEY: "),
        "{line}"
    );
    assert_eq!(sealed_tokens(&app).await, before);

    // The old key from the key file beside the database (what `run` uses), the new one
    // from the environment.
    let out = rotate()
        .env("KHQR_BOT_NEW_SECRET_KEY", &new_key)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("re-sealed 2 Bakong token(s)"), "{stdout}");
    let after = sealed_tokens(&app).await;
    assert_eq!(after.len(), 2);
    assert!(
        after.iter().zip(&before).all(|(a, b)| a != b),
        "every token re-sealed"
    );

    // The old key no longer starts the bot; the new one does, and every token opens.
    let err = app
        .try_start()
        .await
        .expect_err("the old key must be refused");
    assert!(
        err.to_string().starts_with("KHQR_BOT_SECRET_KEY: "),
        "{err}"
    );
    app.set_env("KHQR_BOT_SECRET_KEY", Some(&new_key));
    app.start().await;
    for (u, tail) in users.iter().zip(&tails) {
        let settings = app.say(u, "/settings").await;
        assert!(settings.contains(tail.as_str()), "{settings}");
    }
    app.stop().await;

    // Again, into a new key file that rotate-key creates (0600).
    let next = cwd.path().join("next.key");
    let out = rotate()
        .env("KHQR_BOT_SECRET_KEY", &new_key)
        .arg("--new-key-file")
        .arg(&next)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&next).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let next_key = std::fs::read_to_string(&next).unwrap();
    app.set_env("KHQR_BOT_SECRET_KEY", Some(next_key.trim()));
    app.start().await;
    let settings = app.say(&users[0], "/settings").await;
    assert!(settings.contains(tails[0].as_str()), "{settings}");
    app.stop().await;
}
