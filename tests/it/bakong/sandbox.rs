//! The sandbox's own surface: raw `/v1` behaviour, the JSON control endpoints and the
//! HTML page with its forms.

use crate::support::bakong;
use crate::support::bakong::{QR_USD, QR_USD_MD5, md5_of, start};
use khqr_bot::bakong::{Currency, Lookup};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn post_json(url: &str, body: Value) -> (u16, Value) {
    let r = http().post(url).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn missing_or_unknown_tokens_get_401_with_error_code_6() {
    let env = start().await;
    let url = format!("{}/v1/check_transaction_by_md5", env.sandbox.base_url());
    for auth in [None, Some("Bearer not-issued"), Some("Basic abc")] {
        let mut req = http().post(&url).json(&json!({ "md5": md5_of(1) }));
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status().as_u16(), 401, "{auth:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(
            body,
            json!({ "responseCode": 1, "errorCode": 6, "responseMessage": "Unauthorized", "data": null })
        );
    }
}

/// Like production (API.md §5): the account check needs no token, so an answer to it says
/// nothing about one — a token checked only there would pass whatever it is.
#[tokio::test]
async fn check_bakong_account_answers_without_a_token_like_production() {
    let env = start().await;
    env.sandbox.set_account_exists("gone@wing", false);
    let url = format!("{}/v1/check_bakong_account", env.sandbox.base_url());
    for auth in [None, Some("Bearer made.up.token"), Some("Basic abc")] {
        for (account, code) in [("shop@wing", None), ("gone@wing", Some(11))] {
            let mut req = http().post(&url).json(&json!({ "accountId": account }));
            if let Some(a) = auth {
                req = req.header("authorization", a);
            }
            let r = req.send().await.unwrap();
            assert_eq!(r.status().as_u16(), 200, "{auth:?} {account}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["errorCode"], json!(code), "{auth:?} {account}: {body}");
        }
    }
}

/// A fault can name the one token it applies to: that seller's requests misbehave, the
/// others' are answered.
#[tokio::test]
async fn a_fault_for_one_token_leaves_the_other_tokens_alone() {
    use khqr_bot::bakong::sandbox::{Fault, FaultKind};
    let env = start().await;
    let other =
        khqr_bot::bakong::Token::new(&env.sandbox.issue_token("other@example.com")).unwrap();
    env.sandbox
        .push_fault(
            Fault::new(
                FaultKind::RateLimited {
                    retry_after_secs: Some(60),
                },
                2,
            )
            .with_token(env.token.expose_secret()),
        )
        .unwrap();
    for _ in 0..3 {
        assert_eq!(
            env.client
                .check_transaction_by_md5(&other, &md5_of(1))
                .await
                .unwrap(),
            Lookup::NotFound
        );
    }
    for _ in 0..2 {
        assert!(matches!(
            env.client
                .check_transaction_by_md5(&env.token, &md5_of(1))
                .await,
            Err(khqr_bot::bakong::BakongError::RateLimited { .. })
        ));
    }
    assert_eq!(
        env.client
            .check_transaction_by_md5(&env.token, &md5_of(1))
            .await
            .unwrap(),
        Lookup::NotFound,
        "used up"
    );
}

#[tokio::test]
async fn lists_longer_than_50_and_non_arrays_are_400() {
    let env = start().await;
    let url = format!(
        "{}/v1/check_transaction_by_md5_list",
        env.sandbox.base_url()
    );
    let auth = format!("Bearer {}", env.token.expose_secret());
    let too_many: Vec<String> = (0..51).map(md5_of).collect();
    let r = http()
        .post(&url)
        .header("authorization", &auth)
        .json(&too_many)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["responseCode"], 1);
    let r = http()
        .post(&url)
        .header("authorization", &auth)
        .json(&json!({ "md5List": ["a"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let fifty: Vec<String> = (0..50).map(md5_of).collect();
    let r = http()
        .post(&url)
        .header("authorization", &auth)
        .json(&fifty)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["data"].as_array().unwrap().len(), 50);
    assert_eq!(
        body["data"][0],
        json!({ "md5": md5_of(0), "status": "NOT_FOUND", "message": "Transaction could not be found.", "data": null })
    );
}

#[tokio::test]
async fn unknown_v1_paths_are_json_404s_and_are_logged() {
    let env = start().await;
    let r = http()
        .post(format!("{}/v1/nope", env.sandbox.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["responseCode"], 1);
    assert_eq!(env.sandbox.request_log()[0].path, "/v1/nope");
}

#[tokio::test]
async fn control_pay_by_md5_and_by_qr() {
    let env = start().await;
    let base = env.sandbox.base_url();
    let md5 = md5_of(20);
    let (status, body) = post_json(
        &format!("{base}/sandbox/pay"),
        json!({ "md5": md5, "amount": "2.75", "currency": "USD", "to_account_id": "shop@wing" }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["amount"], "2.75");
    let Lookup::Paid(tx) = env
        .client
        .check_transaction_by_md5(&env.token, &md5)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (tx.amount_minor(2), tx.hash.as_str()),
        (Some(275), body["hash"].as_str().unwrap())
    );

    let (status, body) = post_json(&format!("{base}/sandbox/pay"), json!({ "qr": QR_USD })).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["md5"], QR_USD_MD5);
    assert_eq!(body["to_account_id"], "coffee.shop@wing");
    let Lookup::Paid(tx) = env
        .client
        .check_transaction_by_md5(&env.token, QR_USD_MD5)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(tx.amount_minor(2), Some(145_331));
    assert_eq!(tx.currency(), Some(Currency::Usd));
    assert_eq!(tx.to_account_id, "coffee.shop@wing");

    for bad in [
        json!({ "md5": md5, "amount": "1,5", "currency": "USD", "to_account_id": "a@b" }),
        json!({ "md5": md5, "amount": "1", "currency": "EUR", "to_account_id": "a@b" }),
        json!({ "qr": "not a qr" }),
        json!({ "qr": QR_USD.replace("1453.31", "1453.32") }),
        json!({ "amount": "1" }),
    ] {
        let (status, body) = post_json(&format!("{base}/sandbox/pay"), bad.clone()).await;
        assert_eq!(status, 400, "{bad} -> {body}");
        assert!(body["error"].is_string());
    }
}

#[tokio::test]
async fn control_fail_script_and_faults() {
    let env = start().await;
    let base = env.sandbox.base_url();
    let (a, b) = (md5_of(30), md5_of(31));
    assert_eq!(
        post_json(&format!("{base}/sandbox/fail"), json!({ "md5": a }))
            .await
            .0,
        200
    );
    let steps = json!([{ "outcome": "not_found", "times": 2 }, { "outcome": "static_qr" }]);
    let (status, body) = post_json(
        &format!("{base}/sandbox/script"),
        json!({ "md5": b, "steps": steps }),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let c = &env.client;
    assert_eq!(
        c.check_transaction_by_md5(&env.token, &a).await.unwrap(),
        Lookup::Failed
    );
    for expected in [
        Lookup::NotFound,
        Lookup::NotFound,
        Lookup::StaticQr,
        Lookup::StaticQr,
    ] {
        assert_eq!(
            c.check_transaction_by_md5(&env.token, &b).await.unwrap(),
            expected
        );
    }

    let (status, _) = post_json(
        &format!("{base}/sandbox/faults"),
        json!({ "kind": "rate_limited", "retry_after_secs": 3, "times": 1 }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = post_json(
        &format!("{base}/sandbox/faults"),
        json!({ "kind": "server_error_html", "status": 503 }),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = post_json(
        &format!("{base}/sandbox/faults"),
        json!({ "kind": "server_error_html", "status": 404 }),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    let url = format!("{base}/v1/check_transaction_by_md5");
    let r = http()
        .post(&url)
        .json(&json!({ "md5": a }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "3");
    let r = http()
        .post(&url)
        .json(&json!({ "md5": a }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 503);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("<h1>503 Service Unavailable</h1>")
    );
    let r = http()
        .post(&url)
        .json(&json!({ "md5": a }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        401,
        "faults used up: normal (unauthenticated) answer"
    );

    let (status, _) = post_json(
        &format!("{base}/sandbox/faults"),
        json!({ "kind": "geo_blocked", "times": 5 }),
    )
    .await;
    assert_eq!(status, 200);
    let r = http()
        .delete(format!("{base}/sandbox/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = http()
        .post(&url)
        .json(&json!({ "md5": a }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401, "cleared faults do not fire");
}

#[tokio::test]
async fn control_tokens_accounts_registrations_latency() {
    let env = start().await;
    let base = env.sandbox.base_url();
    let (_, body) = post_json(
        &format!("{base}/sandbox/tokens"),
        json!({ "email": "x@example.com" }),
    )
    .await;
    let token = khqr_bot::bakong::Token::new(body["token"].as_str().unwrap()).unwrap();
    assert!(
        env.client
            .check_transaction_by_md5(&token, &md5_of(1))
            .await
            .is_ok()
    );
    let (status, _) = post_json(
        &format!("{base}/sandbox/tokens/revoke"),
        json!({ "token": token.expose_secret() }),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        env.client
            .check_transaction_by_md5(&token, &md5_of(1))
            .await
            .is_err()
    );
    let (status, _) = post_json(
        &format!("{base}/sandbox/tokens/expire"),
        json!({ "token": "never-issued" }),
    )
    .await;
    assert_eq!(status, 400);

    post_json(
        &format!("{base}/sandbox/accounts"),
        json!({ "account_id": "gone@wing", "exists": false }),
    )
    .await;
    assert!(
        !env.client
            .check_bakong_account(&env.token, "gone@wing")
            .await
            .unwrap()
    );
    post_json(
        &format!("{base}/sandbox/registrations"),
        json!({ "email": "no@example.com", "registered": false }),
    )
    .await;
    assert!(env.client.renew_token("no@example.com").await.is_err());
    let (status, _) = post_json(&format!("{base}/sandbox/latency"), json!({ "ms": 50 })).await;
    assert_eq!(status, 200);
    assert!(
        env.client
            .check_transaction_by_md5(&env.token, &md5_of(1))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn request_log_json_hides_tokens() {
    let env = start().await;
    env.client
        .check_transaction_by_md5_list(&env.token, &[md5_of(1), md5_of(2)])
        .await
        .unwrap();
    let r = http()
        .get(format!("{}/sandbox/requests", env.sandbox.base_url()))
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(
        !text.contains(env.token.expose_secret()),
        "the log endpoint leaks the token"
    );
    let log: Value = serde_json::from_str(&text).unwrap();
    let entry = &log[0];
    assert_eq!(entry["path"], "/v1/check_transaction_by_md5_list");
    assert_eq!(entry["authorization"], "bearer");
    assert_eq!(entry["list_len"], 2);
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["user_agent"], bakong::UA);
    let r = http()
        .delete(format!("{}/sandbox/requests", env.sandbox.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(env.sandbox.request_log().is_empty());
}

async fn page(base: &str) -> String {
    let r = http().get(format!("{base}/")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    r.text().await.unwrap()
}

async fn post_form(url: &str, form: &[(&str, &str)]) -> reqwest::Response {
    http().post(url).form(form).send().await.unwrap()
}

#[tokio::test]
async fn the_page_lists_asked_md5s_and_its_pay_form_reads_a_pasted_qr() {
    let env = start().await;
    let base = env.sandbox.base_url();
    assert!(page(base).await.contains("None yet"));
    assert_eq!(
        env.client
            .check_transaction_by_md5(&env.token, QR_USD_MD5)
            .await
            .unwrap(),
        Lookup::NotFound
    );
    let html = page(base).await;
    assert!(
        html.contains(QR_USD_MD5),
        "the page lists the md5 the bot asked about"
    );

    let r = post_form(
        &format!("{base}/ui/pay"),
        &[
            ("qr", QR_USD),
            ("md5", ""),
            ("amount", ""),
            ("currency", ""),
            ("to_account_id", ""),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/?msg="), "{location}");

    let Lookup::Paid(tx) = env
        .client
        .check_transaction_by_md5(&env.token, QR_USD_MD5)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(tx.amount.as_str(), "1453.31");
    assert_eq!(tx.to_account_id, "coffee.shop@wing");
    let html = http()
        .get(format!("{base}{location}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("is now paid: 1453.31 USD to coffee.shop@wing"),
        "{html}"
    );
    assert!(html.contains("class=\"paid\""));
}

#[tokio::test]
async fn the_row_forms_mark_paid_with_typed_details_or_failed() {
    let env = start().await;
    let base = env.sandbox.base_url();
    let (a, b) = (md5_of(40), md5_of(41));
    let r = post_form(
        &format!("{base}/ui/pay"),
        &[
            ("md5", &a),
            ("amount", "5000"),
            ("currency", "KHR"),
            ("to_account_id", "shop@aclb"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = post_form(&format!("{base}/ui/fail"), &[("md5", &b)]).await;
    assert_eq!(r.status().as_u16(), 303);
    let Lookup::Paid(tx) = env
        .client
        .check_transaction_by_md5(&env.token, &a)
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(
        (tx.amount_minor(0), tx.currency()),
        (Some(5000), Some(Currency::Khr))
    );
    assert_eq!(
        env.client
            .check_transaction_by_md5(&env.token, &b)
            .await
            .unwrap(),
        Lookup::Failed
    );

    let r = post_form(
        &format!("{base}/ui/pay"),
        &[
            ("md5", &a),
            ("amount", "lots"),
            ("currency", "KHR"),
            ("to_account_id", "shop@aclb"),
        ],
    )
    .await;
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/?error="), "{location}");
}

#[tokio::test]
async fn the_page_escapes_what_clients_send() {
    let env = start().await;
    let evil = "<script>alert(1)</script>";
    env.client
        .check_transaction_by_md5(&env.token, evil)
        .await
        .unwrap();
    let html = page(env.sandbox.base_url()).await;
    assert!(!html.contains(evil));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[tokio::test]
async fn the_token_form_issues_a_working_token() {
    let env = start().await;
    let base = env.sandbox.base_url();
    let html = post_form(&format!("{base}/ui/token"), &[("email", "me@example.com")])
        .await
        .text()
        .await
        .unwrap();
    let start = html.find("readonly>").unwrap() + "readonly>".len();
    let end = html[start..].find("</textarea>").unwrap() + start;
    let token = khqr_bot::bakong::Token::new(&html[start..end]).unwrap();
    assert!(token.expires_at().is_some());
    assert!(
        env.client
            .check_transaction_by_md5(&token, &md5_of(1))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn the_md5s_endpoint_reports_state() {
    let env = start().await;
    env.sandbox.fail(&md5_of(50));
    env.client
        .check_transaction_by_md5(&env.token, &md5_of(50))
        .await
        .unwrap();
    let v: Value = http()
        .get(format!("{}/sandbox/md5s", env.sandbox.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v[0]["md5"], md5_of(50));
    assert_eq!(v[0]["asked"], 1);
    assert_eq!(v[0]["last_answer"], "failed");
}
