//! End to end: the real dispatcher against the fake Telegram Bot API and the Bakong sandbox.
//! /start, /help, the /setup wizard (wrong answers, wrong token, unknown account), token
//! hygiene, /token, /settings, /lang, /cancel, the command menus, restart mid-wizard.

use crate::support::app::{TestApp, contains};
use crate::support::fake_telegram::TgUser;
use khqr_bot::i18n::Lang;

#[tokio::test]
async fn start_greets_in_the_users_language_and_menus_are_registered() {
    let app = TestApp::spawn().await;
    let en = TgUser::english(101);
    let km = TgUser::khmer(102);
    let hello = app.say(&en, "/start").await;
    assert!(
        hello.contains("Hello User101") && hello.contains("/setup"),
        "{hello}"
    );
    let suosdei = app.say(&km, "/start").await;
    assert!(
        suosdei.starts_with("សួស្ដី") && suosdei.contains("/setup"),
        "{suosdei}"
    );

    let help = app.say(&en, "/help").await;
    for example in [
        "/charge 5 USD iced coffee",
        "/charge 20000 KHR",
        "/setup",
        "/token",
        "/lang km",
        "10 minutes",
    ] {
        assert!(help.contains(example), "help lacks {example}: {help}");
    }

    let menu_en = app.telegram.set_commands_for(None).expect("default menu");
    let menu_km = app
        .telegram
        .set_commands_for(Some("km"))
        .expect("Khmer menu");
    let names: Vec<_> = menu_en.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(
        names,
        [
            "start", "setup", "charge", "settings", "token", "email", "lang", "currency", "cancel",
            "help", "history", "pending", "check", "link", "links", "close", "export"
        ]
    );
    assert_eq!(menu_en.len(), menu_km.len());
    assert!(
        menu_km
            .iter()
            .all(|(_, d)| d.chars().any(|c| ('\u{1780}'..='\u{17FF}').contains(&c)))
    );

    let unknown = app.say(&en, "what is this?").await;
    assert!(unknown.contains("/help"), "{unknown}");
}

#[tokio::test]
async fn setup_wizard_rejects_wrong_answers_then_completes() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(201);

    let ask = app.say(&user, "/setup").await;
    assert!(ask.starts_with("Step 1 of 4"), "{ask}");
    // Wrong account IDs: a reason, then the same question again.
    for wrong in ["sokha", "sokha@@aclb", "so kha@aclb", "x@y@z"] {
        let reply = app.say(&user, wrong).await;
        assert!(
            reply.contains("is not a Bakong account ID"),
            "{wrong}: {reply}"
        );
        assert!(
            reply.contains("Step 1 of 4"),
            "same question again: {reply}"
        );
    }
    let reply = app.say(&user, "sokha@aclb").await;
    assert!(reply.starts_with("Step 2 of 4"), "{reply}");

    // Shop name: empty / too long (25 UTF-16 units) refused.
    let reply = app.say(&user, &"x".repeat(26)).await;
    assert!(
        reply.contains("too long") && reply.contains("Step 2 of 4"),
        "{reply}"
    );
    let reply = app.say(&user, "   Sokha   Coffee ").await;
    assert!(reply.starts_with("Step 3 of 4"), "{reply}");

    // City: at most 15.
    let reply = app.say(&user, "Phnom Penh Capital City").await;
    assert!(
        reply.contains("too long") && reply.contains("Step 3 of 4"),
        "{reply}"
    );
    let reply = app.say(&user, "Phnom Penh").await;
    assert!(reply.starts_with("Step 4 of 4"), "{reply}");

    // Not a token at all.
    let since = app.telegram.call_count();
    let junk_id = app.telegram.send_text(&user, "hello there");
    let reply = app.next_text(&user, since).await;
    assert!(
        reply
            .text()
            .unwrap()
            .contains("does not look like a Bakong API token")
    );
    assert!(
        app.telegram
            .deleted_messages()
            .contains(&(user.id, junk_id))
    );

    // A JWT-shaped token Bakong does not accept → 401 → "wrong or expired".
    let fake_jwt = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl";
    let since = app.telegram.call_count();
    let wrong_id = app.telegram.send_text(&user, fake_jwt);
    let reply = app.next_text(&user, since).await;
    let reply = reply.text().unwrap();
    assert!(
        reply.contains("wrong or has expired") && reply.contains("Step 4 of 4"),
        "{reply}"
    );
    assert!(
        app.telegram
            .deleted_messages()
            .contains(&(user.id, wrong_id))
    );
    assert!(
        app.merchant(&user)
            .await
            .is_none_or(|m| m.profile.is_none())
    );

    // The real token: deleted from the chat, validated, stored encrypted.
    let token = app.bakong_token("sokha@example.com");
    let since = app.telegram.call_count();
    let token_msg = app.telegram.send_text(&user, &token);
    let done = app.next_text(&user, since).await;
    let done = done.text().unwrap();
    assert!(
        done.contains("All set") && done.contains("Sokha Coffee") && done.contains("sokha@aclb"),
        "{done}"
    );
    assert!(
        done.contains("I deleted the message with your token"),
        "{done}"
    );
    assert!(
        app.telegram
            .deleted_messages()
            .contains(&(user.id, token_msg))
    );
    assert!(!done.contains(&token));

    let m = app.merchant(&user).await.unwrap();
    let p = m.profile.unwrap();
    assert_eq!(
        (p.account_id.as_str(), p.shop_name.as_str(), p.city.as_str()),
        ("sokha@aclb", "Sokha Coffee", "Phnom Penh")
    );
    assert!(
        p.token_expires_at.unwrap() > 1_700_000_000,
        "expiry from the JWT exp"
    );
    // The token proved itself in an authenticated call (an md5 nobody uses: "not found"),
    // then Bakong was asked whether the account exists.
    let log = app.bakong.request_log();
    assert!(log.iter().any(|r| r.path == "/v1/check_transaction_by_md5"
        && r.body.contains(khqr_bot::bakong::PROBE_MD5)
        && r.bearer() == Some(token.as_str())
        && r.status == Some(200)));
    assert!(
        log.iter()
            .any(|r| r.path == "/v1/check_bakong_account" && r.body.contains("sokha@aclb"))
    );

    // The token is nowhere in the database files in clear (main file, WAL, shm).
    let bytes = app.database_bytes().await;
    assert!(!bytes.is_empty());
    assert!(!contains(&bytes, token.as_bytes()), "token stored in clear");
    let signature = token.rsplit('.').next().unwrap();
    assert!(
        !contains(&bytes, signature.as_bytes()),
        "token signature stored in clear"
    );
    assert!(
        !contains(&bytes, token.split('.').nth(1).unwrap().as_bytes()),
        "token payload in clear"
    );
    // ... nor in anything the bot said.
    for call in app.telegram.calls() {
        assert!(
            !call.params.to_string().contains(&token) || call.is("deleteMessage"),
            "{call:?}"
        );
    }

    // /settings shows the profile with the token masked.
    let settings = app.say(&user, "/settings").await;
    assert!(
        settings.contains("sokha@aclb")
            && settings.contains("Sokha Coffee")
            && settings.contains("USD"),
        "{settings}"
    );
    let tail: String = token
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(settings.contains(&format!("••••{tail}")), "{settings}");
    assert!(!settings.contains(&token[..20]), "{settings}");
}

#[tokio::test]
async fn unknown_account_is_asked_again_without_asking_the_token_again() {
    let app = TestApp::spawn().await;
    app.bakong.set_account_exists("ghost@aclb", false);
    let user = TgUser::english(301);
    app.say(&user, "/setup").await;
    app.say(&user, "ghost@aclb").await;
    app.say(&user, "Ghost Shop").await;
    app.say(&user, "Siem Reap").await;
    let token = app.bakong_token("ghost@example.com");
    let reply = app.say(&user, &token).await;
    assert!(
        reply.contains("Bakong has no account ghost@aclb"),
        "{reply}"
    );
    assert!(
        app.merchant(&user)
            .await
            .is_none_or(|m| m.profile.is_none())
    );
    // The token waits sealed in the dialogue, not in clear.
    assert!(!contains(&app.database_bytes().await, token.as_bytes()));

    let reply = app.say(&user, "real@aclb").await;
    assert!(
        reply.contains("All set") && reply.contains("real@aclb"),
        "{reply}"
    );
    let p = app.merchant(&user).await.unwrap().profile.unwrap();
    assert_eq!(
        (p.account_id.as_str(), p.shop_name.as_str(), p.city.as_str()),
        ("real@aclb", "Ghost Shop", "Siem Reap")
    );
}

#[tokio::test]
async fn cancel_leaves_the_wizard_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(401);
    assert!(
        app.say(&user, "/cancel")
            .await
            .contains("nothing to cancel")
    );
    app.say(&user, "/setup").await;
    app.say(&user, "sokha@aclb").await;
    let reply = app.say(&user, "/cancel").await;
    assert!(reply.contains("Setup stopped"), "{reply}");
    // Out of the wizard: a plain text is not taken as a shop name.
    let reply = app.say(&user, "Sokha Coffee").await;
    assert!(reply.contains("/help"), "{reply}");
    assert!(
        app.merchant(&user)
            .await
            .is_none_or(|m| m.profile.is_none())
    );
    assert_eq!(app.store.dialogue(user.id).await.unwrap(), None);
}

#[tokio::test]
async fn wizard_survives_a_restart() {
    let mut app = TestApp::spawn().await;
    let user = TgUser::khmer(501);
    let ask = app.say(&user, "/setup").await;
    assert!(ask.contains("ជំហានទី 1"), "{ask}");
    app.say(&user, "dara@wing").await;
    let ask_city = app.say(&user, "ហាងដារ៉ា").await;
    assert!(ask_city.contains("ជំហានទី 3"), "{ask_city}");

    app.stop().await;
    let key_file = app.dir.path().join("khqr-bot.key");
    let key_before = std::fs::read(&key_file).unwrap();
    app.start().await;
    assert_eq!(
        std::fs::read(&key_file).unwrap(),
        key_before,
        "key file created once"
    );

    // The new process continues with the city question's answer.
    let ask_token = app.say(&user, "Battambang").await;
    assert!(ask_token.contains("ជំហានទី 4"), "{ask_token}");
    let token = app.bakong_token("dara@example.com");
    let done = app.say(&user, &token).await;
    assert!(
        done.contains("រួចរាល់ហើយ") && done.contains("dara@wing"),
        "{done}"
    );
    let p = app.merchant(&user).await.unwrap().profile.unwrap();
    assert_eq!(
        (p.shop_name.as_str(), p.city.as_str()),
        ("ហាងដារ៉ា", "Battambang")
    );

    // And the token sealed by the first process opens in the second after another restart.
    app.stop().await;
    app.start().await;
    let settings = app.say(&user, "/settings").await;
    let tail: String = token
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(settings.contains(&format!("••••{tail}")), "{settings}");
}

#[tokio::test]
async fn token_command_replaces_the_token_only() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(601);
    assert!(
        app.say(&user, "/token")
            .await
            .contains("finish /setup first")
    );
    let old = app
        .setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    let before = app.merchant(&user).await.unwrap().profile.unwrap();

    assert!(
        app.say(&user, "/token")
            .await
            .contains("Paste your new Bakong API token")
    );
    let reply = app
        .say(
            &user,
            "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl",
        )
        .await;
    assert!(reply.contains("wrong or has expired"), "{reply}");
    let new = app.bakong_token("other@example.com");
    assert_ne!(new, old);
    let since = app.telegram.call_count();
    let msg = app.telegram.send_text(&user, &new);
    let reply = app.next_text(&user, since).await;
    assert!(reply.text().unwrap().contains("Token updated"), "{reply:?}");
    assert!(app.telegram.deleted_messages().contains(&(user.id, msg)));
    let after = app.merchant(&user).await.unwrap().profile.unwrap();
    assert_eq!(
        (after.account_id, after.shop_name, after.city),
        (before.account_id, before.shop_name, before.city)
    );
    assert_ne!(after.token_sealed, before.token_sealed);
    let bytes = app.database_bytes().await;
    assert!(!contains(&bytes, new.as_bytes()) && !contains(&bytes, old.as_bytes()));
}

#[tokio::test]
async fn lang_switches_and_overrides_telegram() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(701);
    let reply = app.say(&user, "/lang km").await;
    assert_eq!(reply, khqr_bot::t!(Lang::Km, "lang-set"));
    let hello = app.say(&user, "/start").await;
    assert!(hello.starts_with("សួស្ដី"), "{hello}");
    let usage = app.say(&user, "/lang fr").await;
    assert_eq!(usage, khqr_bot::t!(Lang::Km, "lang-usage"));
    let reply = app.say(&user, "/lang en").await;
    assert_eq!(reply, "I will speak English from now on.");
    assert!(app.merchant(&user).await.unwrap().language_chosen);
}

#[tokio::test]
async fn a_token_pasted_outside_the_wizard_is_deleted() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(801);
    let token = app.bakong_token("stray@example.com");
    let since = app.telegram.call_count();
    let id = app.telegram.send_text(&user, &token);
    let reply = app.next_text(&user, since).await;
    assert!(
        reply.text().unwrap().contains("send /token first"),
        "{reply:?}"
    );
    assert!(app.telegram.deleted_messages().contains(&(user.id, id)));
    // Ordinary text is left alone.
    let since = app.telegram.call_count();
    app.telegram.send_text(&user, "hello.there.friend");
    app.next_text(&user, since).await;
    assert_eq!(app.telegram.deleted_messages().len(), 1);
}
