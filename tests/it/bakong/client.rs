//! The Bakong client against the in-process sandbox: lookups, lists, errors, retries.
//! Assertions look at the sandbox's request log, not only at results.

use crate::support::bakong;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support::bakong::{UA, md5_of, payment, start, start_with};
use khqr_bot::bakong::sandbox::{Fault, FaultKind, Outcome, Step};
use khqr_bot::bakong::{BakongError, Currency, DecimalAmount, Lookup, SourceInfo, Token};

#[tokio::test]
async fn paid_md5_returns_the_exact_transaction_and_sends_auth_and_user_agent() {
    let env = start().await;
    let md5 = md5_of(1);
    let mut p = payment("1.50", Currency::Usd, "coffee.shop@wing");
    p.created_date_ms = Some(1_767_225_700_000);
    p.description = Some("latte".into());
    let recorded = env.sandbox.pay(&md5, p).unwrap();

    let lookup = env
        .client
        .check_transaction_by_md5(&env.token, &md5)
        .await
        .unwrap();
    let Lookup::Paid(tx) = lookup else {
        panic!("{lookup:?}")
    };
    assert_eq!(tx.hash, recorded.hash);
    assert_eq!(tx.to_account_id, "coffee.shop@wing");
    assert_eq!(tx.currency(), Some(Currency::Usd));
    assert_eq!(tx.amount_minor(2), Some(150));
    assert_eq!(
        tx.amount_minor(0),
        None,
        "1.5 is not a whole number of riel"
    );
    assert_eq!(tx.created_date_ms, Some(1_767_225_700_000));
    assert_eq!(tx.description.as_deref(), Some("latte"));

    let log = env.sandbox.request_log();
    assert_eq!(log.len(), 1);
    let r = &log[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/v1/check_transaction_by_md5");
    assert_eq!(r.user_agent.as_deref(), Some(UA));
    assert_eq!(r.bearer(), Some(env.token.expose_secret()));
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body, serde_json::json!({ "md5": md5 }));
    assert_eq!(r.status, Some(200));
}

#[tokio::test]
async fn not_found_failed_and_static_qr_are_told_apart() {
    let env = start().await;
    let (unknown, failed, fixed) = (md5_of(2), md5_of(3), md5_of(4));
    env.sandbox.fail(&failed);
    env.sandbox
        .script(&fixed, vec![Step::new(Outcome::StaticQr, 1)])
        .unwrap();

    let c = &env.client;
    assert_eq!(
        c.check_transaction_by_md5(&env.token, &unknown)
            .await
            .unwrap(),
        Lookup::NotFound
    );
    assert_eq!(
        c.check_transaction_by_md5(&env.token, &failed)
            .await
            .unwrap(),
        Lookup::Failed
    );
    assert_eq!(
        c.check_transaction_by_md5(&env.token, &fixed)
            .await
            .unwrap(),
        Lookup::StaticQr
    );
    assert_eq!(
        env.sandbox.request_log().len(),
        3,
        "no retries for lookup outcomes"
    );
}

#[tokio::test]
async fn a_script_is_followed_call_by_call() {
    let env = start().await;
    let md5 = md5_of(5);
    let steps = vec![
        Step::new(Outcome::NotFound, 2),
        Step::new(
            Outcome::Paid(payment("4000", Currency::Khr, "shop@aclb")),
            1,
        ),
    ];
    env.sandbox.script(&md5, steps).unwrap();
    let ask = || env.client.check_transaction_by_md5(&env.token, &md5);
    assert_eq!(ask().await.unwrap(), Lookup::NotFound);
    assert_eq!(ask().await.unwrap(), Lookup::NotFound);
    let Lookup::Paid(first) = ask().await.unwrap() else {
        panic!()
    };
    let Lookup::Paid(again) = ask().await.unwrap() else {
        panic!()
    };
    assert_eq!(
        first, again,
        "the last step repeats with the same transaction"
    );
    assert_eq!(first.amount_minor(0), Some(4000));
    assert_eq!(first.currency(), Some(Currency::Khr));
}

#[tokio::test]
async fn a_list_of_120_goes_out_in_three_bare_arrays_and_maps_back() {
    let env = start().await;
    let md5s: Vec<String> = (0..120).map(md5_of).collect();
    for (i, m) in md5s.iter().enumerate() {
        match i % 5 {
            0 => {
                let amount = DecimalAmount::from_minor(100 + i as u64, 2);
                let p =
                    khqr_bot::bakong::sandbox::Payment::new(&amount, Currency::Usd, "shop@wing");
                env.sandbox.pay(m, p).unwrap();
            }
            1 => env.sandbox.fail(m),
            2 => env
                .sandbox
                .script(m, vec![Step::new(Outcome::StaticQr, 1)])
                .unwrap(),
            3 => env
                .sandbox
                .script(m, vec![Step::new(Outcome::ServiceFailed, 1)])
                .unwrap(),
            _ => {} // never paid
        }
    }
    // Ask in a shuffled order so positional mapping would be caught.
    let mut asked = md5s.clone();
    asked.reverse();
    asked.swap(3, 77);

    let results = env
        .client
        .check_transaction_by_md5_list(&env.token, &asked)
        .await
        .unwrap();
    assert_eq!(results.len(), 120);
    for ((md5, lookup), expected_md5) in results.iter().zip(&asked) {
        assert_eq!(md5, expected_md5, "results keep the input order");
        let i = md5s.iter().position(|m| m == md5).unwrap();
        match (i % 5, lookup) {
            (0, Lookup::Paid(tx)) => assert_eq!(tx.amount_minor(2), Some(100 + i as u64), "{md5}"),
            (1, Lookup::Failed)
            | (2, Lookup::StaticQr)
            | (3, Lookup::Unavailable)
            | (4, Lookup::NotFound) => {}
            (k, other) => panic!("md5 #{i} (kind {k}) got {other:?}"),
        }
    }

    let log = env.sandbox.request_log();
    assert_eq!(log.len(), 3);
    assert_eq!(
        log.iter().map(|r| r.list_len).collect::<Vec<_>>(),
        vec![Some(50), Some(50), Some(20)]
    );
    let mut sent = Vec::new();
    for r in &log {
        assert_eq!(r.path, "/v1/check_transaction_by_md5_list");
        assert_eq!(r.bearer(), Some(env.token.expose_secret()));
        assert_eq!(r.user_agent.as_deref(), Some(UA));
        let body: Vec<String> =
            serde_json::from_str(&r.body).expect("a bare JSON array of strings");
        sent.extend(body);
    }
    assert_eq!(sent, asked, "every md5 sent exactly once, in order");
}

#[tokio::test]
async fn list_dedupes_and_handles_empty_input() {
    let env = start().await;
    assert_eq!(
        env.client
            .check_transaction_by_md5_list(&env.token, &[])
            .await
            .unwrap(),
        vec![]
    );
    assert!(
        env.sandbox.request_log().is_empty(),
        "nothing to ask, no request"
    );
    let a = md5_of(9);
    let got = env
        .client
        .check_transaction_by_md5_list(&env.token, &[a.clone(), a.to_uppercase(), a.clone()])
        .await
        .unwrap();
    assert_eq!(got, vec![(a, Lookup::NotFound)]);
    assert_eq!(env.sandbox.request_log()[0].list_len, Some(1));
}

#[tokio::test]
async fn a_token_the_server_did_not_issue_is_unauthorized_without_retry() {
    let env = start().await;
    let wrong = Token::new("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln").unwrap();
    let err = env
        .client
        .check_transaction_by_md5(&wrong, &md5_of(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::Unauthorized), "{err:?}");
    let log = env.sandbox.request_log();
    assert_eq!(log.len(), 1, "401 is never retried");
    assert_eq!(log[0].status, Some(401));
}

#[tokio::test]
async fn a_revoked_token_is_unauthorized_and_renewal_fixes_it() {
    let env = start().await;
    assert!(env.sandbox.revoke_token(env.token.expose_secret()));
    let err = env
        .client
        .check_transaction_by_md5_list(&env.token, &[md5_of(1)])
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::Unauthorized), "{err:?}");

    let renewed = env.client.renew_token("seller@example.com").await.unwrap();
    assert_ne!(renewed, env.token);
    let ok = env
        .client
        .check_transaction_by_md5(&renewed, &md5_of(1))
        .await
        .unwrap();
    assert_eq!(ok, Lookup::NotFound);
    let log = env.sandbox.request_log();
    assert_eq!(log.len(), 3);
    assert_eq!(log[1].path, "/v1/renew_token");
    assert_eq!(log[1].authorization, None, "renew_token needs no token");
}

#[tokio::test]
async fn renewing_revokes_the_previous_token() {
    let env = start().await;
    let first = env.client.renew_token("a@example.com").await.unwrap();
    let second = env.client.renew_token("a@example.com").await.unwrap();
    let err = env
        .client
        .check_transaction_by_md5(&first, &md5_of(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::Unauthorized));
    assert!(
        env.client
            .check_transaction_by_md5(&second, &md5_of(1))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_expired_token_is_unauthorized() {
    let env = start().await;
    env.sandbox.expire_token(env.token.expose_secret());
    let err = env
        .client
        .check_transaction_by_md5(&env.token, &md5_of(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::Unauthorized), "{err:?}");
    assert_eq!(env.sandbox.request_log().len(), 1);
    // The account check needs no token (like production): it proves nothing about one.
    assert!(
        env.client
            .check_bakong_account(&env.token, "shop@wing")
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn renew_token_for_an_unregistered_email_is_not_registered() {
    let env = start().await;
    env.sandbox.set_registered("stranger@example.com", false);
    let err = env
        .client
        .renew_token("stranger@example.com")
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::NotRegistered), "{err:?}");
    assert_eq!(env.sandbox.request_log().len(), 1);
}

#[tokio::test]
async fn issued_tokens_expire_in_90_days_and_never_print() {
    let env = start().await;
    let token = env.client.renew_token("seller@example.com").await.unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = token
        .expires_at()
        .expect("sandbox tokens are JWTs with exp");
    let ninety_days = 90 * 24 * 3600;
    assert!(
        exp.abs_diff(now + ninety_days) <= 300,
        "exp {exp} vs now {now}"
    );
    assert!(!token.is_expired_at(now));
    let shown = format!("{token:?} {:?}", env.token);
    assert!(!shown.contains(token.expose_secret()));
    assert!(!shown.contains(env.token.expose_secret()));
    assert!(!shown.contains("eyJ"), "{shown}");
}

#[tokio::test]
async fn geo_block_403_html_is_geoblocked_without_retry() {
    let env = start().await;
    env.sandbox
        .push_fault(Fault::new(FaultKind::GeoBlocked, 5))
        .unwrap();
    let err = env
        .client
        .check_transaction_by_md5(&env.token, &md5_of(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::GeoBlocked), "{err:?}");
    let log = env.sandbox.request_log();
    assert_eq!(log.len(), 1);
    assert_eq!((log[0].status, log[0].fault), (Some(403), true));
}

#[tokio::test]
async fn rate_limit_with_retry_after_waits_at_least_that_long_then_succeeds() {
    let env = start().await;
    let md5 = md5_of(7);
    env.sandbox.fail(&md5);
    env.sandbox
        .push_fault(Fault::new(
            FaultKind::RateLimited {
                retry_after_secs: Some(1),
            },
            1,
        ))
        .unwrap();
    let got = env
        .client
        .check_transaction_by_md5(&env.token, &md5)
        .await
        .unwrap();
    assert_eq!(got, Lookup::Failed);
    let log = env.sandbox.request_log();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].status, Some(429));
    assert_eq!(log[1].status, Some(200));
    let gap = log[1].at - log[0].at;
    assert!(
        gap >= Duration::from_secs(1),
        "retried after {gap:?}, before Retry-After"
    );
    assert_eq!(
        log[1].bearer(),
        Some(env.token.expose_secret()),
        "the retry carries the token too"
    );
}

#[tokio::test]
async fn rate_limit_without_retry_after_backs_off_and_succeeds() {
    let env = start().await;
    env.sandbox
        .push_fault(Fault::new(
            FaultKind::RateLimited {
                retry_after_secs: None,
            },
            2,
        ))
        .unwrap();
    let got = env
        .client
        .check_transaction_by_md5(&env.token, &md5_of(8))
        .await
        .unwrap();
    assert_eq!(got, Lookup::NotFound);
    let log = env.sandbox.request_log();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![Some(429), Some(429), Some(200)]
    );
    // base 10 ms, equal jitter: at least 5 ms, then 10 ms.
    assert!(log[1].at - log[0].at >= Duration::from_millis(5));
    assert!(log[2].at - log[1].at >= Duration::from_millis(10));
}

#[tokio::test]
async fn a_retry_after_longer_than_the_budget_is_returned_to_the_caller() {
    let env = start().await;
    env.sandbox
        .push_fault(Fault::new(
            FaultKind::RateLimited {
                retry_after_secs: Some(60),
            },
            1,
        ))
        .unwrap();
    let err = env
        .client
        .check_transaction_by_md5(&env.token, &md5_of(1))
        .await
        .unwrap_err();
    match err {
        BakongError::RateLimited { retry_after } => {
            assert_eq!(retry_after, Some(Duration::from_secs(60)))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(env.sandbox.request_log().len(), 1);
}

#[tokio::test]
async fn two_html_500s_then_success() {
    let env = start().await;
    let md5 = md5_of(10);
    env.sandbox
        .pay(&md5, payment("0.25", Currency::Usd, "shop@wing"))
        .unwrap();
    env.sandbox
        .push_fault(Fault::new(FaultKind::ServerErrorHtml { status: 500 }, 2))
        .unwrap();
    let Lookup::Paid(tx) = env
        .client
        .check_transaction_by_md5(&env.token, &md5)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(tx.amount_minor(2), Some(25));
    let log = env.sandbox.request_log();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![Some(500), Some(500), Some(200)]
    );
    assert!(
        log.iter().all(|r| r.body == log[0].body),
        "the same request is re-sent"
    );
    assert!(log[1].at - log[0].at >= Duration::from_millis(5));
    assert!(log[2].at - log[1].at >= Duration::from_millis(10));
}

#[tokio::test]
async fn persistent_5xx_gives_server_error_with_an_excerpt_after_bounded_attempts() {
    let env = start().await;
    env.sandbox
        .push_fault(Fault::new(FaultKind::ServerErrorHtml { status: 502 }, 10))
        .unwrap();
    let err = env
        .client
        .check_transaction_by_md5(&env.token, &md5_of(1))
        .await
        .unwrap_err();
    match &err {
        BakongError::Server { status, excerpt } => {
            assert_eq!(*status, 502);
            assert!(excerpt.contains("502 Bad Gateway"), "{excerpt}");
            assert!(excerpt.len() <= 400);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_transient());
    assert_eq!(env.sandbox.request_log().len(), 3, "max_attempts = 3");
}

#[tokio::test]
async fn malformed_json_is_a_decode_error_and_not_retried() {
    let env = start().await;
    env.sandbox
        .push_fault(Fault::new(FaultKind::MalformedJson, 1))
        .unwrap();
    let err = env
        .client
        .check_transaction_by_md5(&env.token, &md5_of(1))
        .await
        .unwrap_err();
    match &err {
        BakongError::Decode { excerpt, .. } => {
            assert!(excerpt.contains("Getting transa"), "{excerpt}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(env.sandbox.request_log().len(), 1);
}

#[tokio::test]
async fn success_with_null_data_is_a_decode_error() {
    let env = start().await;
    env.sandbox
        .push_fault(Fault::new(FaultKind::NullData, 1))
        .unwrap();
    let err = env
        .client
        .check_transaction_by_md5(&env.token, &md5_of(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn a_reply_slower_than_the_timeout_is_a_timeout_after_bounded_attempts() {
    let env = start_with(|mut c| {
        c.request_timeout = Duration::from_millis(500);
        c.retry.max_attempts = 2;
        c
    })
    .await;
    env.sandbox
        .push_fault(Fault::new(FaultKind::Slow { ms: 2_000 }, 2))
        .unwrap();
    let err = env
        .client
        .check_transaction_by_md5(&env.token, &md5_of(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::Timeout), "{err:?}");
    let log = env.sandbox.request_log();
    assert_eq!(log.len(), 2, "the timed-out call was retried once");
    assert!(
        log.iter().all(|r| r.status.is_none()),
        "the client gave up before any answer"
    );
}

#[tokio::test]
async fn one_slow_reply_then_a_normal_one_succeeds() {
    let env = start_with(|mut c| {
        c.request_timeout = Duration::from_millis(500);
        c
    })
    .await;
    env.sandbox
        .push_fault(Fault::new(FaultKind::Slow { ms: 2_000 }, 1).on("check_transaction_by_md5"))
        .unwrap();
    let got = env
        .client
        .check_transaction_by_md5(&env.token, &md5_of(1))
        .await
        .unwrap();
    assert_eq!(got, Lookup::NotFound);
    assert_eq!(env.sandbox.request_log().len(), 2);
}

#[tokio::test]
async fn faults_can_target_one_endpoint() {
    let env = start().await;
    env.sandbox
        .push_fault(Fault::new(FaultKind::GeoBlocked, 1).on("check_transaction_by_md5_list"))
        .unwrap();
    assert!(
        env.client
            .check_transaction_by_md5(&env.token, &md5_of(1))
            .await
            .is_ok()
    );
    let err = env
        .client
        .check_transaction_by_md5_list(&env.token, &[md5_of(1)])
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::GeoBlocked));
}

#[tokio::test]
async fn a_dropped_connection_is_retried_then_a_transport_error() {
    let env = start().await;
    env.sandbox
        .push_fault(Fault::new(FaultKind::Disconnect, 1))
        .unwrap();
    let got = env
        .client
        .check_transaction_by_md5(&env.token, &md5_of(1))
        .await
        .unwrap();
    assert_eq!(got, Lookup::NotFound);
    assert_eq!(env.sandbox.request_log().len(), 2);

    env.sandbox
        .push_fault(Fault::new(FaultKind::Disconnect, 3))
        .unwrap();
    let err = env
        .client
        .check_transaction_by_md5(&env.token, &md5_of(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::Transport(_)), "{err:?}");
    assert_eq!(env.sandbox.request_log().len(), 5);
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sandbox = khqr_bot::bakong::sandbox::Sandbox::start("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut config = bakong::fast_config(&sandbox);
    config.base_url = format!("http://127.0.0.1:{port}");
    let client = khqr_bot::bakong::Client::new(config).unwrap();
    let token = Token::new("unused-token").unwrap();
    let err = client
        .check_transaction_by_md5(&token, &md5_of(1))
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::Transport(_)), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn lookups_by_hash_and_short_hash() {
    let env = start().await;
    let tx = env
        .sandbox
        .pay(&md5_of(11), payment("12.30", Currency::Usd, "shop@wing"))
        .unwrap();
    let c = &env.client;
    let Lookup::Paid(by_hash) = c
        .check_transaction_by_hash(&env.token, &tx.hash)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(by_hash.hash, tx.hash);
    assert_eq!(by_hash.tracking_status.as_deref(), Some("COMPLETED"));
    let short = &tx.hash[..8];
    let amount = DecimalAmount::parse("12.3").unwrap();
    let Lookup::Paid(by_short) = c
        .check_transaction_by_short_hash(&env.token, short, &amount, Currency::Usd)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(by_short.hash, tx.hash);
    let wrong = DecimalAmount::parse("12.31").unwrap();
    let miss = c
        .check_transaction_by_short_hash(&env.token, short, &wrong, Currency::Usd)
        .await
        .unwrap();
    assert_eq!(miss, Lookup::NotFound);
    assert_eq!(
        c.check_transaction_by_hash(&env.token, &"0".repeat(64))
            .await
            .unwrap(),
        Lookup::NotFound
    );
    let body: serde_json::Value = serde_json::from_str(&env.sandbox.request_log()[1].body).unwrap();
    assert_eq!(
        body["amount"],
        serde_json::json!(12.3),
        "amount is sent as a JSON number"
    );
    assert_eq!(body["currency"], "USD");
    let err = c
        .check_transaction_by_short_hash(&env.token, "abc", &amount, Currency::Usd)
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::Config(_)));
}

#[tokio::test]
async fn check_bakong_account_exists_missing_invalid() {
    let env = start().await;
    env.sandbox.set_account_exists("gone@wing", false);
    let c = &env.client;
    assert!(
        c.check_bakong_account(&env.token, "shop@wing")
            .await
            .unwrap()
    );
    assert!(
        !c.check_bakong_account(&env.token, "gone@wing")
            .await
            .unwrap()
    );
    let err = c
        .check_bakong_account(&env.token, "no-at-sign")
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::InvalidAccountId), "{err:?}");
    let body: serde_json::Value = serde_json::from_str(&env.sandbox.request_log()[0].body).unwrap();
    assert_eq!(body, serde_json::json!({ "accountId": "shop@wing" }));
}

#[tokio::test]
async fn deeplink_needs_complete_source_info() {
    let env = start().await;
    let info = SourceInfo {
        app_icon_url: "https://example.com/icon.png".into(),
        app_name: "khqr-bot".into(),
        app_deep_link_callback: "https://t.me/khqr_bot".into(),
    };
    let link = env
        .client
        .generate_deeplink_by_qr(bakong::QR_USD, &info)
        .await
        .unwrap();
    assert!(link.starts_with(env.sandbox.base_url()), "{link}");
    let body: serde_json::Value = serde_json::from_str(&env.sandbox.request_log()[0].body).unwrap();
    assert_eq!(
        body["sourceInfo"]["appDeepLinkCallback"],
        "https://t.me/khqr_bot"
    );
    assert_eq!(env.sandbox.request_log()[0].authorization, None);

    let incomplete = SourceInfo {
        app_name: String::new(),
        ..info
    };
    let err = env
        .client
        .generate_deeplink_by_qr(bakong::QR_USD, &incomplete)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            BakongError::Api {
                error_code: Some(5),
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn latency_setting_delays_answers_but_they_still_arrive() {
    let env = start().await;
    env.sandbox.set_latency(Duration::from_millis(50));
    let got = env
        .client
        .check_transaction_by_md5_list(&env.token, &[md5_of(1), md5_of(2)])
        .await
        .unwrap();
    assert_eq!(got.len(), 2);
}

/// Pays md5_of(i) with 1.00 + i cents for i in 1..=n, returns the md5s.
fn pay_each(env: &bakong::Env, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let md5 = md5_of(i);
            let amount = format!("1.{i:02}");
            env.sandbox
                .pay(&md5, payment(&amount, Currency::Usd, "shop@wing"))
                .unwrap();
            md5
        })
        .collect()
}

#[tokio::test]
async fn a_reordered_list_answer_lands_every_payment_on_its_own_md5() {
    let env = start().await;
    let md5s = pay_each(&env, 4);
    env.sandbox
        .push_fault(Fault::new(FaultKind::ReverseItems, 1).on("check_transaction_by_md5_list"))
        .unwrap();
    let got = env
        .client
        .check_transaction_by_md5_list(&env.token, &md5s)
        .await
        .unwrap();
    assert_eq!(got.len(), 4);
    for (i, (md5, lookup)) in got.iter().enumerate() {
        assert_eq!(md5, &md5s[i], "results keep the input order");
        let Lookup::Paid(tx) = lookup else {
            panic!("{md5}: {lookup:?}")
        };
        assert_eq!(tx.amount_minor(2), Some(101 + i as u64), "{md5}");
    }
    // The answer really was reversed.
    assert_eq!(env.sandbox.request_log()[0].status, Some(200));
}

#[tokio::test]
async fn an_md5_left_out_of_a_list_answer_is_unanswered_never_not_found() {
    let env = start().await;
    let mut md5s = pay_each(&env, 2);
    md5s.push(md5_of(3)); // never paid: NOT_FOUND when answered
    env.sandbox
        .push_fault(Fault::new(FaultKind::DropItems { count: 1 }, 1))
        .unwrap();
    let got = env
        .client
        .check_transaction_by_md5_list(&env.token, &md5s)
        .await
        .unwrap();
    assert_eq!(got[0], (md5s[0].clone(), Lookup::Unavailable));
    assert!(matches!(&got[1].1, Lookup::Paid(tx) if tx.amount_minor(2) == Some(102)));
    assert_eq!(got[2], (md5s[2].clone(), Lookup::NotFound));
    // Asked again, it is answered.
    let again = env
        .client
        .check_transaction_by_md5_list(&env.token, &md5s[..1])
        .await
        .unwrap();
    assert!(matches!(&again[0].1, Lookup::Paid(tx) if tx.amount_minor(2) == Some(101)));
}

#[tokio::test]
async fn the_production_like_sandbox_closes_only_the_md5_list_endpoint() {
    let env = start().await;
    let md5s = pay_each(&env, 1);
    env.sandbox.set_batch_closed(true);
    let err = env
        .client
        .check_transaction_by_md5_list(&env.token, &md5s)
        .await
        .unwrap_err();
    assert!(matches!(err, BakongError::GeoBlocked), "{err:?}");
    // Whatever the body or token: still the bare page.
    let http = reqwest::Client::new();
    let page = http
        .post(format!(
            "{}/v1/check_transaction_by_md5_list",
            env.sandbox.base_url()
        ))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 403);
    assert!(page.text().await.unwrap().contains("nginx"));
    // The single endpoint works with the same token.
    let single = env
        .client
        .check_transaction_by_md5(&env.token, &md5s[0])
        .await
        .unwrap();
    assert!(matches!(single, Lookup::Paid(_)));
    // The control endpoint switches it back.
    let r: serde_json::Value = http
        .post(format!("{}/sandbox/batch_endpoint", env.sandbox.base_url()))
        .json(&serde_json::json!({ "closed": false }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r, serde_json::json!({ "closed": false }));
    assert!(
        env.client
            .check_transaction_by_md5_list(&env.token, &md5s)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn a_missing_endpoint_is_told_apart_from_a_403() {
    // A relay prefix the server does not know: a plain 404 with no envelope.
    let env = start_with(|c| {
        let base = format!("{}/no-such-relay", c.base_url);
        c.with_base_url(base)
    })
    .await;
    let err = env
        .client
        .check_transaction_by_md5_list(&env.token, &[md5_of(1)])
        .await
        .unwrap_err();
    assert!(
        matches!(err, BakongError::NoSuchEndpoint { status: 404 }),
        "{err:?}"
    );
}
