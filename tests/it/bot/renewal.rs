//! End to end (issue 17): the registered email in /setup and /email, and the Bakong token
//! renewing itself — the real bot against the fake Telegram Bot API and the Bakong sandbox
//! on 127.0.0.1. Time moves with the app's injected clock (`TestApp::advance_clock`).

use std::sync::Arc;
use std::time::Duration;

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::TgUser;
use khqr_bot::bakong::sandbox::{Fault, FaultKind, LoggedRequest, Payment, RenewalMode};
use khqr_bot::bakong::{Client, Currency as BakongCurrency, DecimalAmount, RegisteredEmail};
use khqr_bot::crypto::{SecretBox, SecretKey};
use khqr_bot::store::{ChargeStatus, MerchantId};
use khqr_bot::watcher::renewer::Renewer;

const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];
const DAY: u64 = 86_400;
const EMAIL: &str = "sokha@example.com";
const RENEWED: &str = "renewed automatically";
const REMINDER: &str = "expires in";
/// How every renewal that ends without a token reads, whatever Bakong said.
const NOT_RENEWED: &str = "could not renew your Bakong API token automatically";

/// Runs /setup with a token that expires in `lifetime`, issued for `email`; answers the
/// last question with `email_answer` (an email or "skip"). Returns the token.
async fn setup(app: &TestApp, user: &TgUser, lifetime: Duration, email_answer: &str) -> String {
    let token = app.bakong.issue_token_for(EMAIL, lifetime);
    app.say(user, "/setup").await;
    app.say(user, "sokha@aclb").await;
    app.say(user, "Sokha Coffee").await;
    app.say(user, "Phnom Penh").await;
    // (A token this close to expiry may also get its reminder meanwhile.)
    let since = app.telegram.call_count();
    app.telegram.send_text(user, &token);
    let done = reply_containing(app, user, since, "All set").await;
    assert!(done.contains("Last step, optional"), "{done}");
    let since = app.telegram.call_count();
    app.telegram.send_text(user, email_answer);
    if email_answer == "skip" {
        reply_containing(app, user, since, "no automatic renewal").await;
    } else {
        reply_containing(app, user, since, "Email saved: s•••@example.com").await;
    }
    token
}

/// The first message to `user` from call `since` on that contains `needle`.
async fn reply_containing(app: &TestApp, user: &TgUser, since: usize, needle: &str) -> String {
    let call = app
        .telegram
        .wait_for_since(
            since,
            "sendMessage",
            |c| c.chat_id() == Some(user.id) && c.text().is_some_and(|t| t.contains(needle)),
            WAIT,
        )
        .await
        .unwrap_or_else(|e| panic!("no reply containing {needle:?}: {e:?}"));
    call.text().unwrap().to_owned()
}

fn renew_calls(log: &[LoggedRequest]) -> Vec<&LoggedRequest> {
    log.iter().filter(|r| r.path == "/v1/renew_token").collect()
}

/// Waits until the database says so.
async fn until_sql(app: &TestApp, sql: &str, what: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        if n > 0 {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A renewal pass of our own over the app's database, key and sandbox: what the app's
/// renewal task would do on its next tick.
async fn extra_pass(app: &TestApp) -> khqr_bot::watcher::renewer::RenewalReport {
    let (key, created) =
        SecretKey::load_or_create_file(&app.dir.path().join("khqr-bot.key")).unwrap();
    assert!(!created);
    let client = Client::new(app.bakong.client_config()).unwrap();
    let renewer = Renewer::new(app.store.clone(), Arc::new(client), SecretBox::new(&key));
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    renewer.run_pass(now as i64 + 3600).await.unwrap()
}

async fn merchant_id(app: &TestApp, user: &TgUser) -> MerchantId {
    app.merchant(user).await.unwrap().id
}

async fn charge_and_pay(app: &TestApp, user: &TgUser) {
    app.charge_photo(user, "/charge 5 USD coffee").await;
    let m = merchant_id(app, user).await;
    let c = app.store.merchant_charges(m, 1).await.unwrap().remove(0);
    app.bakong
        .pay(
            &c.md5,
            Payment::new(
                &DecimalAmount::parse("5.00").unwrap(),
                BakongCurrency::Usd,
                "sokha@aclb",
            ),
        )
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let status: String = sqlx::query_scalar("SELECT status FROM charges WHERE id = $1")
            .bind(c.id.0)
            .fetch_one(app.store.pool())
            .await
            .unwrap();
        if status.parse::<ChargeStatus>().unwrap() == ChargeStatus::Paid {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the charge was never confirmed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// After the renewal, every request carries the renewed token, never the old one.
fn assert_only_new_token_after_renewal(log: &[LoggedRequest], old: &str) -> String {
    let renew = renew_calls(log);
    assert_eq!(renew.len(), 1, "exactly one renew_token call");
    let after: Vec<&LoggedRequest> = log
        .iter()
        .filter(|r| r.seq > renew[0].seq && r.bearer().is_some())
        .collect();
    assert!(!after.is_empty());
    let new = after[0].bearer().unwrap().to_owned();
    assert_ne!(new, old);
    for r in &after {
        assert_eq!(
            r.bearer(),
            Some(new.as_str()),
            "{} used another token",
            r.path
        );
    }
    new
}

#[tokio::test]
async fn a_token_two_days_from_expiry_renews_itself_and_charges_confirm_with_the_new_one() {
    let app = TestApp::spawn_with(FAST).await;
    let user = TgUser::english(1701);
    let old = setup(&app, &user, Duration::from_secs(2 * DAY), EMAIL).await;
    let old_exp = khqr_bot::bakong::Token::new(&old)
        .unwrap()
        .expires_at()
        .unwrap() as i64;

    let text = app.message_containing(user.id, 0, RENEWED).await;
    let m = app.merchant(&user).await.unwrap();
    let new_exp = m.profile.as_ref().unwrap().token_expires_at.unwrap();
    assert!(new_exp >= old_exp + 80 * DAY as i64, "new expiry {new_exp}");
    assert!(
        text.contains(&khqr_bot::bot::phnom_penh_date(new_exp)),
        "the seller is told the new expiry date: {text}"
    );
    assert_eq!(
        m.token_version, 2,
        "setup stored version 1, the renewal version 2"
    );

    charge_and_pay(&app, &user).await;
    let log = app.bakong.request_log();
    let new = assert_only_new_token_after_renewal(&log, &old);
    assert!(
        log.iter()
            .any(|r| r.path == "/v1/check_transaction_by_md5_list"
                && r.bearer() == Some(new.as_str())),
        "the charge was confirmed with the new token"
    );
    // Sealed at rest: neither token appears in the database files.
    let bytes = app.database_bytes().await;
    assert!(!crate::support::app::contains(&bytes, old.as_bytes()));
    assert!(!crate::support::app::contains(&bytes, new.as_bytes()));
    // Nothing left to do; told once.
    let again = extra_pass(&app).await;
    assert_eq!((again.claimed, again.calls), (0, 0), "{again:?}");
    assert_eq!(app.messages_containing(user.id, RENEWED), 1);
}

#[tokio::test]
async fn a_refused_token_with_an_email_renews_at_once_and_the_charge_is_still_confirmed() {
    let app = TestApp::spawn_with(FAST).await;
    let user = TgUser::english(1702);
    let old = setup(&app, &user, Duration::from_secs(90 * DAY), EMAIL).await;
    assert!(app.bakong.expire_token(&old));
    // A pending charge meets the 401: polling stops, the renewal starts at once.
    charge_and_pay(&app, &user).await;
    app.message_containing(user.id, 0, RENEWED).await;
    let log = app.bakong.request_log();
    assert!(
        log.iter()
            .any(|r| r.status == Some(401) && r.bearer() == Some(old.as_str())),
        "the old token was refused first"
    );
    assert_only_new_token_after_renewal(&log, &old);
    let m = app.merchant(&user).await.unwrap();
    assert_eq!(m.token_rejected_at, None, "the suspension lifted");
}

#[tokio::test]
async fn without_an_email_there_are_reminders_only() {
    let app = TestApp::spawn_with(FAST).await;
    let user = TgUser::english(1703);
    setup(&app, &user, Duration::from_secs(2 * DAY), "skip").await;
    let reminder = app.message_containing(user.id, 0, REMINDER).await;
    assert!(reminder.contains("2 day(s)"), "{reminder}");
    let pass = extra_pass(&app).await;
    assert_eq!((pass.claimed, pass.calls), (0, 0), "{pass:?}");
    assert!(renew_calls(&app.bakong.request_log()).is_empty());
    let settings = app.say(&user, "/settings").await;
    assert!(settings.contains("Registered email: none"), "{settings}");
}

#[tokio::test]
async fn a_refused_renewal_sends_one_message_and_the_reminders_continue() {
    let app = TestApp::spawn_with(FAST).await;
    // The seller registered EMAIL (their token's), but first types another one.
    const WRONG: &str = "sokha.k@example.com";
    app.bakong.set_registered(WRONG, false);
    let user = TgUser::english(1704);
    setup(&app, &user, Duration::from_secs(2 * DAY), WRONG).await;

    let refused = app.message_containing(user.id, 0, NOT_RENEWED).await;
    assert_eq!(
        refused,
        khqr_bot::t!(khqr_bot::i18n::Lang::En, "notice-renewal-failed")
    );
    assert!(
        refused.contains("/token") && !refused.contains("does not know"),
        "{refused}"
    );
    app.message_containing(user.id, 0, REMINDER).await;
    // The next day's reminder still comes; the renewal is not asked again.
    app.advance_clock(DAY as i64);
    let deadline = tokio::time::Instant::now() + WAIT;
    while app.messages_containing(user.id, REMINDER) < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no second reminder");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let pass = extra_pass(&app).await;
    assert_eq!((pass.claimed, pass.calls), (0, 0), "{pass:?}");
    assert_eq!(renew_calls(&app.bakong.request_log()).len(), 1);
    assert_eq!(app.messages_containing(user.id, NOT_RENEWED), 1);

    // A corrected email gets its own, single attempt. The renewal it starts may report
    // before the handler's own reply is sent, so the reply is looked for by its text, not
    // as the first message after the command.
    let since = app.telegram.call_count();
    app.telegram.send_text(&user, &format!("/email {EMAIL}"));
    let reply = app
        .telegram
        .wait_for_since(
            since,
            "sendMessage",
            |c| c.chat_id() == Some(user.id) && c.text().is_some_and(|t| !t.contains(RENEWED)),
            WAIT,
        )
        .await
        .unwrap();
    let reply = reply.text().unwrap_or_default();
    assert!(reply.contains("Email saved"), "{reply}");
    app.message_containing(user.id, 0, RENEWED).await;
    assert_eq!(renew_calls(&app.bakong.request_log()).len(), 2);
}

/// Mailed, unknown email, email server down: one message each, and the same message, so
/// nobody learns from the bot whether Bakong knows an email.
#[tokio::test]
async fn a_mailed_token_an_unknown_email_or_a_down_email_server_read_the_same() {
    let app = TestApp::spawn_with(FAST).await;
    app.bakong.set_renewal_mode(RenewalMode::Mailed);
    let user = TgUser::english(1705);
    let old = setup(&app, &user, Duration::from_secs(2 * DAY), EMAIL).await;
    let mailed = app.message_containing(user.id, 0, NOT_RENEWED).await;
    assert!(mailed.contains("/token"), "{mailed}");
    let m = app.merchant(&user).await.unwrap();
    assert_eq!(m.token_version, 1, "nothing stored");
    assert!(
        app.bakong.revoke_token(&old),
        "the old token is still the sandbox's"
    );

    app.bakong
        .set_renewal_mode(RenewalMode::Refuse { error_code: 7 });
    let other = TgUser::english(1706);
    app.say(&other, "/setup").await;
    app.say(&other, "dara@wing").await;
    app.say(&other, "Dara Shop").await;
    app.say(&other, "Kampot").await;
    let token = app
        .bakong
        .issue_token_for("dara@example.com", Duration::from_secs(DAY));
    let since = app.telegram.call_count();
    app.telegram.send_text(&other, &token);
    reply_containing(&app, &other, since, "All set").await;
    let since = app.telegram.call_count();
    app.telegram.send_text(&other, "dara@example.com");
    reply_containing(&app, &other, since, "Email saved").await;
    let down = app.message_containing(other.id, 0, NOT_RENEWED).await;
    app.message_containing(other.id, 0, REMINDER).await;
    assert_eq!(renew_calls(&app.bakong.request_log()).len(), 2);

    app.bakong.set_renewal_mode(RenewalMode::Issue);
    app.bakong.set_registered("kosal@example.com", false);
    let third = TgUser::english(1712);
    app.say(&third, "/setup").await;
    app.say(&third, "kosal@wing").await;
    app.say(&third, "Kosal Shop").await;
    app.say(&third, "Kep").await;
    let token = app
        .bakong
        .issue_token_for("kosal-real@example.com", Duration::from_secs(DAY));
    let since = app.telegram.call_count();
    app.telegram.send_text(&third, &token);
    reply_containing(&app, &third, since, "All set").await;
    let since = app.telegram.call_count();
    app.telegram.send_text(&third, "kosal@example.com");
    reply_containing(&app, &third, since, "Email saved").await;
    let unknown = app.message_containing(third.id, 0, NOT_RENEWED).await;
    assert_eq!(renew_calls(&app.bakong.request_log()).len(), 3);
    assert_eq!(mailed, down);
    assert_eq!(mailed, unknown);
}

#[tokio::test]
async fn a_restart_after_bakong_issued_the_token_neither_renews_twice_nor_loses_it() {
    let mut app = TestApp::spawn_with(FAST).await;
    let user = TgUser::english(1707);
    let old = setup(&app, &user, Duration::from_secs(2 * DAY), "skip").await;
    // The proof of the new token fails (Bakong unreachable), so it stays staged. (After
    // /setup, whose own proof of the token must pass; the email starts the renewal.)
    app.bakong
        .push_fault(
            Fault::new(FaultKind::ServerErrorHtml { status: 503 }, 50)
                .on("check_transaction_by_md5"),
        )
        .unwrap();
    let since = app.telegram.call_count();
    app.telegram.send_text(&user, &format!("/email {EMAIL}"));
    reply_containing(&app, &user, since, "Email saved").await;
    until_sql(
        &app,
        "SELECT COUNT(*) FROM token_renewals WHERE state = 'staged'",
        "the issued token is staged",
    )
    .await;
    assert_eq!(app.merchant(&user).await.unwrap().token_version, 1);

    app.stop().await;
    app.bakong.clear_faults();
    // The old token is revoked now: only the staged one can work.
    let log = app.bakong.request_log();
    assert_eq!(renew_calls(&log).len(), 1);
    app.advance_clock(120);
    app.start().await;

    app.message_containing(user.id, 0, RENEWED).await;
    let log = app.bakong.request_log();
    assert_only_new_token_after_renewal(&log, &old);
    let (state, attempts): (String, i64) =
        sqlx::query_as("SELECT state, attempts FROM token_renewals")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!((state.as_str(), attempts), ("renewed", 1));
    assert_eq!(app.merchant(&user).await.unwrap().token_version, 2);
    charge_and_pay(&app, &user).await;
    assert_eq!(app.messages_containing(user.id, RENEWED), 1);
}

#[tokio::test]
async fn a_restart_during_the_renew_call_asks_once_more_and_keeps_the_token() {
    let mut app = TestApp::spawn_with(FAST).await;
    let user = TgUser::english(1708);
    let old = setup(&app, &user, Duration::from_secs(90 * DAY), "skip").await;
    app.stop().await;
    // The previous process claimed the renewal and started the call, then died before
    // Bakong's answer was written: Bakong may have revoked the old token.
    let email = RegisteredEmail::parse(EMAIL).unwrap();
    let store = khqr_bot::store::Store::open(app.db_url()).await.unwrap();
    let m = store.merchant_by_user(user.id).await.unwrap().unwrap();
    store.set_email(m.id, Some(&email), 0).await.unwrap();
    assert!(
        store
            .claim_renewal(m.id, m.token_version, &email, 0)
            .await
            .unwrap()
    );
    let open = store.due_renewals(0).await.unwrap();
    assert!(
        store
            .start_renewal_attempt(open[0].id, 0, 600)
            .await
            .unwrap()
    );
    store.close().await;
    assert!(app.bakong.revoke_token(&old));

    app.start().await;
    app.message_containing(user.id, 0, RENEWED).await;
    let (state, attempts): (String, i64) =
        sqlx::query_as("SELECT state, attempts FROM token_renewals")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!((state.as_str(), attempts), ("renewed", 2));
    charge_and_pay(&app, &user).await;
}

#[tokio::test]
async fn two_passes_at_once_renew_a_seller_only_once() {
    let mut app = TestApp::spawn_with(FAST).await;
    let user = TgUser::english(1711);
    setup(&app, &user, Duration::from_secs(2 * DAY), "skip").await;
    app.stop().await;
    let store = khqr_bot::store::Store::open(app.db_url()).await.unwrap();
    let m = store.merchant_by_user(user.id).await.unwrap().unwrap();
    let email = RegisteredEmail::parse(EMAIL).unwrap();
    store.set_email(m.id, Some(&email), 0).await.unwrap();
    app.store = store;
    // Both passes race for the same seller.
    let (a, b) = tokio::join!(extra_pass(&app), extra_pass(&app));
    assert_eq!(a.claimed + b.claimed, 1, "{a:?} {b:?}");
    assert_eq!(a.calls + b.calls, 1, "{a:?} {b:?}");
    assert_eq!(a.renewed + b.renewed, 1, "{a:?} {b:?}");
    assert_eq!(renew_calls(&app.bakong.request_log()).len(), 1);
    let m = app.store.merchant_by_user(user.id).await.unwrap().unwrap();
    assert_eq!(m.token_version, 2);
    app.store.close().await;
}

#[tokio::test]
async fn email_is_set_validated_masked_and_removed() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(1709);
    let before = app.say(&user, "/email sokha@example.com").await;
    assert!(before.contains("finish /setup"), "{before}");
    app.setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    let wrong = app.say(&user, "not-an-email").await;
    assert!(wrong.contains("not an email address"), "{wrong}");
    let skipped = app.say(&user, "/cancel").await;
    assert!(skipped.contains("no automatic renewal"), "{skipped}");

    let usage = app.say(&user, "/email").await;
    assert!(usage.contains("/email you@example.com"), "{usage}");
    let long = app
        .say(&user, "/email abcdefghijklmnopqrst@example.com")
        .await;
    assert!(long.contains("at most 30 characters"), "{long}");
    let bad = app.say(&user, "/email sokha@example").await;
    assert!(bad.contains("not an email address"), "{bad}");
    assert_eq!(app.merchant(&user).await.unwrap().email, None);

    let set = app.say(&user, "/email sokha@example.com").await;
    assert!(set.contains("s•••@example.com"), "{set}");
    assert!(!set.contains("sokha@example.com"));
    let settings = app.say(&user, "/settings").await;
    assert!(
        settings.contains("Registered email: s•••@example.com (automatic token renewal on)"),
        "{settings}"
    );
    let current = app.say(&user, "/email").await;
    assert!(current.contains("s•••@example.com"), "{current}");
    assert_eq!(
        app.merchant(&user).await.unwrap().email,
        Some(RegisteredEmail::parse("sokha@example.com").unwrap())
    );
    let off = app.say(&user, "/email off").await;
    assert!(off.contains("Email removed"), "{off}");
    assert_eq!(app.merchant(&user).await.unwrap().email, None);

    // Khmer sellers read it in Khmer.
    let km = TgUser::khmer(1710);
    let reply = app.say(&km, "/email").await;
    assert!(reply.contains("សូមបញ្ចប់"), "{reply}");
}

#[tokio::test]
async fn the_sandbox_renewal_switch_drives_the_client() {
    use khqr_bot::bakong::{BakongError, Renewal};
    let app = TestApp::spawn().await;
    let client = Client::new(app.bakong.client_config()).unwrap();
    let first = match client.request_renewal(EMAIL).await.unwrap() {
        Renewal::Issued(t) => t,
        other => panic!("{other:?}"),
    };
    app.bakong.set_renewal_mode(RenewalMode::Mailed);
    assert!(matches!(
        client.request_renewal(EMAIL).await.unwrap(),
        Renewal::Mailed { ref message } if message.contains("email")
    ));
    // Mailed: nothing revoked here.
    assert!(
        client
            .check_transaction_by_md5(&first, "00000000000000000000000000000000")
            .await
            .is_ok()
    );
    app.bakong
        .set_renewal_mode(RenewalMode::Refuse { error_code: 7 });
    assert!(matches!(
        client.request_renewal(EMAIL).await,
        Err(BakongError::Api {
            error_code: Some(7),
            ..
        })
    ));
    app.bakong.set_renewal_mode(RenewalMode::Issue);
    app.bakong.set_registered(EMAIL, false);
    assert!(matches!(
        client.request_renewal(EMAIL).await,
        Err(BakongError::NotRegistered)
    ));
}
