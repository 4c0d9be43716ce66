//! End to end (fake Telegram + Bakong sandbox): the secret key that seals Bakong tokens.
//! A restart with another key (or without the key file of a database in use) refuses to
//! start, names KHQR_BOT_SECRET_KEY in one line and changes nothing; the right key then
//! works. A token that cannot be opened: the seller is told once, /charge refuses, and their
//! charges are checked again as soon as a new token is stored.

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::TgUser;
use khqr_bot::bakong::sandbox::Payment;
use khqr_bot::bakong::{Currency, DecimalAmount};
use khqr_bot::i18n::Lang;
use khqr_bot::store::{ChargeStatus, Store};
use khqr_bot::t;

const KEY_A: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const KEY_B: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// Tokens, check value, counts of events / charges / outbox items, files.
type Snapshot = (
    Vec<(i64, Vec<u8>)>,
    Option<Vec<u8>>,
    i64,
    i64,
    i64,
    Vec<String>,
);

/// Everything a refused start must leave alone: tokens, check value, events, charges,
/// outbox, and the files next to the database.
async fn snapshot(app: &TestApp) -> Snapshot {
    let store = Store::open(app.db_url()).await.unwrap();
    let tokens: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT id, token_sealed FROM merchants ORDER BY id")
            .fetch_all(store.pool())
            .await
            .unwrap();
    let count = |table: &str| {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let pool = store.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(sql))
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let events = count("events").await;
    let charges = count("charges").await;
    let outbox = count("telegram_outbox").await;
    let check = store.key_check().await.unwrap();
    store.close().await;
    let mut files: Vec<String> = std::fs::read_dir(app.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with("-wal") && !name.ends_with("-shm"))
        .collect();
    files.sort();
    (tokens, check, events, charges, outbox, files)
}

async fn merchant(app: &TestApp, id: i64) -> TgUser {
    merchant_with_token(app, id).await.0
}

/// The merchant and what /settings shows of their token when it opens (its last four).
async fn merchant_with_token(app: &TestApp, id: i64) -> (TgUser, String) {
    let user = TgUser::english(id);
    let token = app
        .setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    (user, format!("••••{}", &token[token.len() - 4..]))
}

async fn status_of(app: &TestApp, md5: &str) -> ChargeStatus {
    let status: String = sqlx::query_scalar("SELECT status FROM charges WHERE md5 = $1")
        .bind(md5)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    status.parse().unwrap()
}

async fn wait_paid(app: &TestApp, md5: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while status_of(app, md5).await != ChargeStatus::Paid {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the charge was never paid"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn restart_with_a_wrong_key_refuses_and_changes_nothing_then_the_right_key_works() {
    let mut app =
        TestApp::spawn_with(&[("KHQR_BOT_SECRET_KEY", KEY_A), ("POLL_INTERVAL_SECS", "1")]).await;
    let (user, tail) = merchant_with_token(&app, 5101).await;
    app.charge_photo(&user, "/charge 4 USD").await;
    let m = app.merchant(&user).await.unwrap();
    let charge = app.store.merchant_charges(m.id, 1).await.unwrap().remove(0);
    app.stop().await;
    let before = snapshot(&app).await;
    assert!(
        before.1.is_some(),
        "the first start stored a key check value"
    );

    // Another key: refused, one line naming the setting.
    app.set_env("KHQR_BOT_SECRET_KEY", Some(KEY_B));
    let err = app
        .try_start()
        .await
        .expect_err("a wrong key must not start");
    let line = err.to_string();
    assert!(line.starts_with("KHQR_BOT_SECRET_KEY: "), "{line}");
    assert!(!line.contains('\n'), "{line}");
    assert!(line.contains("rotate-key"), "{line}");
    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused start changes nothing"
    );

    // No key at all: the key file beside the database would be new, so it is not made.
    app.set_env("KHQR_BOT_SECRET_KEY", None);
    let err = app.try_start().await.expect_err("no key must not start");
    let line = err.to_string();
    assert!(
        line.starts_with("KHQR_BOT_SECRET_KEY: ") && line.contains("khqr-bot.key"),
        "{line}"
    );
    assert!(
        !app.dir.path().join("khqr-bot.key").exists(),
        "no new key file"
    );
    assert_eq!(snapshot(&app).await, before);

    // The right key: the bot runs, the token opens, the pending charge is watched and paid.
    app.set_env("KHQR_BOT_SECRET_KEY", Some(KEY_A));
    app.start().await;
    let settings = app.say(&user, "/settings").await;
    assert!(settings.contains(tail.as_str()), "{settings}");
    app.bakong
        .pay(
            &charge.md5,
            Payment::new(
                &DecimalAmount::parse("4").unwrap(),
                Currency::Usd,
                "sokha@aclb",
            ),
        )
        .unwrap();
    wait_paid(&app, &charge.md5).await;
    app.stop().await;
}

#[tokio::test]
async fn a_used_database_without_its_key_file_refuses_to_start_until_the_file_is_back() {
    let mut app = TestApp::spawn().await;
    let key_file = app.dir.path().join("khqr-bot.key");
    assert!(key_file.exists(), "first start made the key file");
    let (user, tail) = merchant_with_token(&app, 5201).await;
    app.stop().await;
    let saved = std::fs::read(&key_file).unwrap();
    std::fs::remove_file(&key_file).unwrap();
    let before = snapshot(&app).await;

    let err = app.try_start().await.expect_err("must refuse");
    assert!(
        err.to_string().starts_with("KHQR_BOT_SECRET_KEY: "),
        "{err}"
    );
    assert!(!key_file.exists(), "no new key file was made");
    assert_eq!(snapshot(&app).await, before);

    std::fs::write(&key_file, saved).unwrap();
    app.start().await;
    let settings = app.say(&user, "/settings").await;
    assert!(settings.contains(tail.as_str()), "{settings}");
    app.stop().await;
}

#[tokio::test]
async fn an_unreadable_token_is_reported_once_refuses_charge_and_polling_resumes_with_a_new_token()
{
    let mut app = TestApp::spawn_with(&[("POLL_INTERVAL_SECS", "1")]).await;
    let user = merchant(&app, 5301).await;
    app.charge_photo(&user, "/charge 3 USD").await;
    let m = app.merchant(&user).await.unwrap();
    let charge = app.store.merchant_charges(m.id, 1).await.unwrap().remove(0);
    app.stop().await;

    // Damage the stored token (one flipped byte) while the bot is stopped.
    let mut sealed = m.profile.clone().unwrap().token_sealed;
    let last = sealed.len() - 1;
    sealed[last] ^= 0x01;
    let store = Store::open(app.db_url()).await.unwrap();
    sqlx::query("UPDATE merchants SET token_sealed = $1 WHERE id = $2")
        .bind(&sealed)
        .bind(m.id.0)
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    // The customer pays meanwhile.
    app.bakong
        .pay(
            &charge.md5,
            Payment::new(
                &DecimalAmount::parse("3").unwrap(),
                Currency::Usd,
                "sokha@aclb",
            ),
        )
        .unwrap();

    app.start().await;
    let notice = t!(Lang::En, "notice-token-unreadable");
    let since = 0;
    app.telegram
        .wait_for_since(
            since,
            "sendMessage",
            |c| c.chat_id() == Some(user.id) && c.text() == Some(notice.as_str()),
            WAIT,
        )
        .await
        .unwrap();
    assert_eq!(status_of(&app, &charge.md5).await, ChargeStatus::Pending);

    // /charge refuses with the same message and shows no QR.
    let photos = app.telegram.sent_photos(user.id).len();
    let answer = app.say(&user, "/charge 2 USD").await;
    assert_eq!(answer, notice);
    assert_eq!(app.telegram.sent_photos(user.id).len(), photos);

    // A new token: the payment made meanwhile is found.
    app.say(&user, "/token").await;
    let replaced = app
        .say(&user, &app.bakong_token("5301-new@example.com"))
        .await;
    assert!(replaced.contains("✅"), "{replaced}");
    wait_paid(&app, &charge.md5).await;

    // Told once by the watcher (plus the answer to /charge), however many rounds ran.
    let told = app
        .telegram
        .sent_texts(user.id)
        .iter()
        .filter(|t| **t == notice)
        .count();
    assert_eq!(told, 2, "one notice and one /charge answer");
    let events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM events WHERE kind = 'token_unreadable' AND merchant_id = $1",
    )
    .bind(m.id.0)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(events, 1);
    let m = app.merchant(&user).await.unwrap();
    let unreadable: Option<i64> =
        sqlx::query_scalar("SELECT token_unreadable_at FROM merchants WHERE id = $1")
            .bind(m.id.0)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(unreadable, None, "cleared by the new token");
    app.stop().await;
}

#[cfg(unix)]
#[tokio::test]
async fn the_database_files_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let app = TestApp::spawn().await;
    merchant(&app, 5401).await;
    // SQLite's files; a PostgreSQL server keeps its own (0600 under its data directory).
    let files: &[&str] = if crate::support::db::on_postgres() {
        &[]
    } else {
        &["", "-wal", "-shm"]
    };
    for suffix in files {
        let path = format!("{}{suffix}", app.db_path().display());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{path}");
    }
    let key = std::fs::metadata(app.dir.path().join("khqr-bot.key")).unwrap();
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
}
