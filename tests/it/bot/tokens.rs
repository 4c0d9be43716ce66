//! End to end: a Bakong token is stored only once Bakong accepted it in an authenticated
//! call, and only such a token is ever renewed — the real bot against the fake Telegram Bot
//! API and the Bakong sandbox, which answers `check_bakong_account` without a token as
//! production does (so a token checked only there would pass whatever it is). The attacks:
//! a made-up JWT at /setup and /token; a seller whose token Bakong never accepted setting
//! someone else's email; a seller with a real token of their own doing the same.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::support::app::TestApp;
use crate::support::fake_telegram::TgUser;
use khqr_bot::bakong::sandbox::{Fault, FaultKind, LoggedRequest};
use khqr_bot::bakong::{BakongError, Client, PROBE_MD5, Token};
use khqr_bot::crypto::{SecretBox, SecretKey};
use khqr_bot::store::{OUTCOME_IDENTITY_MISMATCH, Store};
use khqr_bot::watcher::renewer::{RenewalReport, Renewer};

const DAY: u64 = 86_400;
const REFUSED: &str = "wrong or has expired";
const NOT_RENEWED: &str = "could not renew your Bakong API token automatically";

/// A JWT anyone can write: the shape and claims of NBC's tokens, a signature of nothing.
fn made_up_jwt(exp: u64) -> String {
    let enc = |s: &str| URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.{}",
        enc(r#"{"alg":"HS256","typ":"JWT"}"#),
        enc(&format!(
            r#"{{"data":{{"id":"0de0b57a14434fe7"}},"iat":1700000000,"exp":{exp}}}"#
        )),
        enc("not a signature")
    )
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// /setup up to the token question.
async fn up_to_the_token(app: &TestApp, user: &TgUser) {
    app.say(user, "/setup").await;
    app.say(user, "sokha@aclb").await;
    app.say(user, "Sokha Coffee").await;
    let ask = app.say(user, "Phnom Penh").await;
    assert!(ask.starts_with("Step 4 of 4"), "{ask}");
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(store.pool())
        .await
        .unwrap()
}

fn requests_with(log: &[LoggedRequest], token: &str) -> Vec<LoggedRequest> {
    log.iter()
        .filter(|r| r.bearer() == Some(token))
        .cloned()
        .collect()
}

fn renew_calls(app: &TestApp) -> usize {
    app.bakong
        .request_log()
        .iter()
        .filter(|r| r.path == "/v1/renew_token")
        .count()
}

/// The app's key, to seal or open what a test writes in its database.
fn secrets(app: &TestApp) -> SecretBox {
    let (key, created) =
        SecretKey::load_or_create_file(&app.dir.path().join("khqr-bot.key")).unwrap();
    assert!(!created);
    SecretBox::new(&key)
}

/// A renewal pass of our own over the app's database, key and sandbox: what the app's
/// renewal task does on each tick.
async fn renewal_pass(app: &TestApp) -> RenewalReport {
    let client = Client::new(app.bakong.client_config()).unwrap();
    let renewer = Renewer::new(app.store.clone(), Arc::new(client), secrets(app));
    renewer.run_pass(app.clock_now()).await.unwrap()
}

#[tokio::test]
async fn a_made_up_jwt_is_refused_at_setup_and_token_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(2401);
    up_to_the_token(&app, &user).await;
    let fake = made_up_jwt(4_102_444_800);
    let reply = app.say(&user, &fake).await;
    assert!(
        reply.contains(REFUSED) && reply.contains("Step 4 of 4") && !reply.contains("All set"),
        "{reply}"
    );
    // Nothing stored: no profile, no sealed token anywhere, no setup event.
    assert!(
        app.merchant(&user)
            .await
            .is_none_or(|m| m.profile.is_none())
    );
    assert_eq!(
        count(
            &app.store,
            "SELECT COUNT(*) FROM merchants WHERE token_sealed IS NOT NULL"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &app.store,
            "SELECT COUNT(*) FROM events WHERE kind = 'setup_completed'"
        )
        .await,
        0
    );
    // Refused by the authenticated proof (401), before the account was asked about.
    let log = app.bakong.request_log();
    let proofs = requests_with(&log, &fake);
    assert_eq!(proofs.len(), 1, "{proofs:?}");
    assert_eq!(proofs[0].path, "/v1/check_transaction_by_md5");
    assert!(proofs[0].body.contains(PROBE_MD5));
    assert_eq!(proofs[0].status, Some(401));
    assert!(!log.iter().any(|r| r.path == "/v1/check_bakong_account"));

    // A real token completes it, and is recorded as accepted.
    let token = app.bakong_token("sokha@example.com");
    let done = app.say(&user, &token).await;
    assert!(done.contains("All set"), "{done}");
    let m = app.merchant(&user).await.unwrap();
    assert!(m.token_accepted_at.is_some());
    let before = m.profile.unwrap().token_sealed;

    // /token with a made-up JWT: refused, the stored token unchanged.
    app.say(&user, "/cancel").await;
    app.say(&user, "/token").await;
    let reply = app.say(&user, &made_up_jwt(4_102_444_801)).await;
    assert!(reply.contains(REFUSED), "{reply}");
    let after = app.merchant(&user).await.unwrap();
    assert_eq!(after.token_version, m.token_version);
    assert_eq!(after.profile.unwrap().token_sealed, before);
}

#[tokio::test]
async fn bakong_unreachable_during_setup_stores_nothing_and_asks_to_try_again() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(2402);
    up_to_the_token(&app, &user).await;
    app.bakong
        .push_fault(
            Fault::new(FaultKind::ServerErrorHtml { status: 503 }, 100)
                .on("check_transaction_by_md5"),
        )
        .unwrap();
    let token = app.bakong_token("sokha@example.com");
    let reply = app.say(&user, &token).await;
    assert!(
        reply.contains("could not check this token with Bakong just now")
            && reply.contains("nothing was stored")
            && !reply.contains("All set"),
        "{reply}"
    );
    assert!(
        app.merchant(&user)
            .await
            .is_none_or(|m| m.profile.is_none())
    );
    // Bakong is back: the same step takes the token.
    app.bakong.clear_faults();
    let done = app.say(&user, &token).await;
    assert!(done.contains("All set"), "{done}");
}

#[tokio::test]
async fn pasted_tokens_are_proven_a_few_times_an_hour_per_user() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(2403);
    up_to_the_token(&app, &user).await;
    for i in 0..10 {
        let reply = app.say(&user, &made_up_jwt(4_102_444_800 + i)).await;
        assert!(reply.contains(REFUSED), "{i}: {reply}");
    }
    let token = app.bakong_token("sokha@example.com");
    let reply = app.say(&user, &token).await;
    assert!(
        reply.contains("many tokens") && reply.contains("60 minutes"),
        "{reply}"
    );
    let proofs = app
        .bakong
        .request_log()
        .iter()
        .filter(|r| r.path == "/v1/check_transaction_by_md5")
        .count();
    assert_eq!(proofs, 10, "the 11th was not sent to Bakong");
    assert!(
        app.merchant(&user)
            .await
            .is_none_or(|m| m.profile.is_none())
    );
    // An hour later the real token is proven and taken.
    app.advance_clock(3600);
    let done = app.say(&user, &token).await;
    assert!(done.contains("All set"), "{done}");
}

/// A token Bakong never accepted (stored by an older build, which checked tokens only
/// through `check_bakong_account`) never makes the bot ask `renew_token`, whether it expires
/// soon or Bakong refused it while polling — even with someone else's registered email.
#[tokio::test]
async fn a_never_accepted_token_with_someone_else_s_email_never_triggers_renew_token() {
    let mut app = TestApp::spawn_with(&[("POLL_INTERVAL_SECS", "1")]).await;
    let victim = app.bakong.issue_token("victim@example.com");
    let expiring = TgUser::english(2404);
    let refused = TgUser::english(2405);
    app.setup_merchant(&expiring, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    app.say(&expiring, "/cancel").await;
    app.setup_merchant(&refused, "dara@wing", "Dara Shop", "Kampot")
        .await;
    app.say(&refused, "/cancel").await;
    app.stop().await;

    // What an older build stored: made-up tokens, never accepted by Bakong. One expires in
    // two days (renewal would be due), the other in 2100 (polling will meet a 401).
    let store = Store::open(app.db_url()).await.unwrap();
    let secrets = secrets(&app);
    for (user, exp) in [(&expiring, unix_now() + 2 * DAY), (&refused, 4_102_444_800)] {
        let m = store.merchant_by_user(user.id).await.unwrap().unwrap();
        let sealed = secrets
            .seal(&m.id.token_aad(), made_up_jwt(exp).as_bytes())
            .unwrap();
        assert!(
            store
                .replace_token(m.id, &sealed, Some(exp as i64), 0)
                .await
                .unwrap()
        );
    }
    sqlx::query("UPDATE merchants SET token_accepted_at = NULL")
        .execute(store.pool())
        .await
        .unwrap();
    store.close().await;
    app.start().await;

    // Polling meets the 401 with the far-off one; the seller is told to send /token.
    app.charge_photo(&refused, "/charge 2 USD").await;
    app.message_containing(refused.id, 0, "refused your API token")
        .await;
    for (user, email) in [
        (&expiring, "/email victim@example.com"),
        (&refused, "/email victim@example.com"),
    ] {
        let reply = app.say(user, email).await;
        assert!(reply.contains("Email saved"), "{reply}");
    }
    // The expiring one is proven before any renewal: refused, and the seller told so.
    app.message_containing(expiring.id, 0, "refused your API token")
        .await;
    let pass = renewal_pass(&app).await;
    assert_eq!((pass.claimed, pass.calls), (0, 0), "{pass:?}");
    assert_eq!(renew_calls(&app), 0, "renew_token was never asked");
    assert_eq!(
        count(&app.store, "SELECT COUNT(*) FROM token_renewals").await,
        0
    );
    // The victim's token still works.
    let client = Client::new(app.bakong.client_config()).unwrap();
    assert!(
        client
            .check_transaction_by_md5(&Token::new(&victim).unwrap(), PROBE_MD5)
            .await
            .is_ok()
    );
}

/// A seller with a real token of their own sets someone else's (registered) email: Bakong
/// issues a token for that other registration, which the bot discards unused, tells the
/// seller only what it tells everyone whose renewal did not work, and never renews this
/// seller automatically again. (What it cannot prevent: `renew_token` itself revoked the
/// other person's token — docs/bakong.md says so.)
#[tokio::test]
async fn a_renewed_token_of_another_registration_is_discarded_unused() {
    let app = TestApp::spawn_with(&[("POLL_INTERVAL_SECS", "1")]).await;
    let victim_token = app.bakong.issue_token("victim@example.com");
    let attacker = TgUser::english(2406);
    let own = app
        .bakong
        .issue_token_for("attacker@example.com", Duration::from_secs(2 * DAY));
    up_to_the_token(&app, &attacker).await;
    let done = app.say(&attacker, &own).await;
    assert!(done.contains("All set"), "{done}");
    app.say(&attacker, "skip").await;

    let since = app.telegram.call_count();
    app.telegram
        .send_text(&attacker, "/email victim@example.com");
    let told = app.message_containing(attacker.id, 0, NOT_RENEWED).await;
    assert_eq!(
        told,
        khqr_bot::t!(khqr_bot::i18n::Lang::En, "notice-renewal-failed")
    );
    assert!(app.telegram.call_count() > since);
    let outcome: String =
        sqlx::query_scalar("SELECT outcome FROM token_renewals WHERE state = 'refused'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(outcome, OUTCOME_IDENTITY_MISMATCH);
    let m = app.merchant(&attacker).await.unwrap();
    assert_eq!(m.token_version, 1, "the attacker's own token stays");
    assert_eq!(renew_calls(&app), 1);
    // The token Bakong issued for the victim was never used, not even to prove it: every
    // request after the renewal carries a token this seller or the victim had before.
    let log = app.bakong.request_log();
    let renew_seq = log
        .iter()
        .find(|r| r.path == "/v1/renew_token")
        .unwrap()
        .seq;
    for r in log.iter().filter(|r| r.seq > renew_seq) {
        assert!(
            r.bearer().is_none_or(|b| b == own || b == victim_token),
            "{} carried another token",
            r.path
        );
    }
    // Another email does not start it again: no more automatic renewal for this seller.
    let reply = app.say(&attacker, "/email someone@example.com").await;
    assert!(reply.contains("Email saved"), "{reply}");
    let pass = renewal_pass(&app).await;
    assert_eq!((pass.claimed, pass.calls), (0, 0), "{pass:?}");
    assert_eq!(renew_calls(&app), 1);
    // The residual risk, as documented: renew_token revoked the victim's previous token.
    let client = Client::new(app.bakong.client_config()).unwrap();
    assert!(matches!(
        client
            .check_transaction_by_md5(&Token::new(&victim_token).unwrap(), PROBE_MD5)
            .await,
        Err(BakongError::Unauthorized)
    ));
}

#[tokio::test]
async fn email_changes_are_limited_per_seller_and_say_nothing_about_bakong() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(2407);
    app.setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    app.say(&user, "/cancel").await;
    app.bakong.set_registered("nobody@example.com", false);
    // A registered and an unknown email read alike.
    let known = app.say(&user, "/email victim@example.com").await;
    let unknown = app.say(&user, "/email nobody@example.com").await;
    assert_eq!(
        known.replace("v•••@example.com", "_"),
        unknown.replace("n•••@example.com", "_")
    );
    let third = app.say(&user, "/email sokha@example.com").await;
    assert!(third.contains("Email saved"), "{third}");
    let fourth = app.say(&user, "/email dara@example.com").await;
    assert!(
        fourth.contains("3 times") && !fourth.contains("Email saved"),
        "{fourth}"
    );
    let m = app.merchant(&user).await.unwrap();
    assert_eq!(m.email.unwrap().as_str(), "sokha@example.com");
    // The same email again changes nothing, and removing is never limited.
    assert!(
        app.say(&user, "/email sokha@example.com")
            .await
            .contains("Email saved")
    );
    assert!(app.say(&user, "/email off").await.contains("Email removed"));
    let km = app.say(&user, "/lang km").await;
    assert!(!km.is_empty());
    let refused_km = app.say(&user, "/email dara@example.com").await;
    assert_eq!(
        refused_km,
        khqr_bot::t!(khqr_bot::i18n::Lang::Km, "email-too-many-changes", max = 3)
    );
    // A day later it may be set again.
    app.advance_clock(DAY as i64);
    let reply = app.say(&user, "/email dara@example.com").await;
    assert!(reply.contains("dara") || reply.contains("d•••"), "{reply}");
    assert_eq!(
        app.merchant(&user).await.unwrap().email.unwrap().as_str(),
        "dara@example.com"
    );
}
