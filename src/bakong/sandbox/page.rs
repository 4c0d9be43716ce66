//! The sandbox's one HTML page: which md5s were asked about, and forms to mark a QR paid
//! or failed and to get a token. Plain HTML forms, no JavaScript.

use std::fmt::Write as _;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::control::{PayInput, pay_input};
use super::state::Shared;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/ui/pay", post(ui_pay))
        .route("/ui/fail", post(ui_fail))
        .route("/ui/token", post(ui_token))
        .with_state(shared)
}

/// Escapes text for HTML bodies and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn back(message: &str, is_error: bool) -> Response {
    let kind = if is_error { "error" } else { "msg" };
    Redirect::to(&format!("/?{kind}={}", url_encode(message))).into_response()
}

#[derive(Debug, Default, Deserialize)]
struct Notice {
    #[serde(default)]
    msg: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}code{background:#f3f3f3;padding:0 .2rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.35rem;text-align:left;vertical-align:top}
.msg{background:#e7f7ea;padding:.6rem}.error{background:#fde8e8;padding:.6rem}
textarea{width:100%;font-family:monospace}input[type=text]{width:9rem}form.inline{display:inline}
.paid{color:#176b2c;font-weight:600}.failed{color:#a11}";

async fn page(State(shared): State<Arc<Shared>>, Query(notice): Query<Notice>) -> Response {
    let base = esc(&shared.base_url);
    let statuses = shared.lock().md5_statuses();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Bakong sandbox</title>\
         <style>{STYLE}</style></head><body><h1>Bakong sandbox</h1>\
         <p>A local stand-in for the Bakong Open API. Point the bot at it with \
         <code>BAKONG_API_URL={base}</code>. Nothing here touches real money.</p>"
    );
    if let Some(m) = notice.msg {
        let _ = write!(h, "<p class=\"msg\">{}</p>", esc(&m));
    }
    if let Some(e) = notice.error {
        let _ = write!(h, "<p class=\"error\">{}</p>", esc(&e));
    }
    h.push_str(
        "<h2>Pay a QR</h2><form method=\"post\" action=\"/ui/pay\">\
         <p><label>Paste the KHQR text (the amount, currency and account are read from it)<br>\
         <textarea name=\"qr\" rows=\"3\"></textarea></label></p>\
         <p>Or give an md5 and the details yourself: <input type=\"text\" name=\"md5\" placeholder=\"md5\" style=\"width:18rem\"> \
         <input type=\"text\" name=\"amount\" placeholder=\"amount, e.g. 1.50\"> \
         <select name=\"currency\"><option value=\"\">currency</option><option>USD</option><option>KHR</option></select> \
         <input type=\"text\" name=\"to_account_id\" placeholder=\"to account@bank\" style=\"width:14rem\"></p>\
         <p><button type=\"submit\">Mark paid</button></p></form>",
    );
    h.push_str("<h2>QRs asked about</h2>");
    if statuses.is_empty() {
        h.push_str("<p>None yet. When the bot polls Bakong for a QR, its md5 shows up here.</p>");
    } else {
        h.push_str("<table><tr><th>md5</th><th>asked</th><th>last answer</th><th>next answer</th><th>mark</th></tr>");
        for s in statuses {
            let md5 = esc(&s.md5);
            let class = match s.next_answer {
                "paid" => "paid",
                "failed" => "failed",
                _ => "",
            };
            let _ = write!(
                h,
                "<tr><td><code>{md5}</code></td><td>{}</td><td>{}</td><td class=\"{class}\">{}</td><td>\
                 <form class=\"inline\" method=\"post\" action=\"/ui/pay\"><input type=\"hidden\" name=\"md5\" value=\"{md5}\">\
                 <input type=\"text\" name=\"amount\" placeholder=\"amount\" required> \
                 <select name=\"currency\"><option>USD</option><option>KHR</option></select> \
                 <input type=\"text\" name=\"to_account_id\" placeholder=\"to account@bank\" required> \
                 <button type=\"submit\">Paid</button></form> \
                 <form class=\"inline\" method=\"post\" action=\"/ui/fail\"><input type=\"hidden\" name=\"md5\" value=\"{md5}\">\
                 <button type=\"submit\">Failed</button></form></td></tr>",
                s.asked,
                s.last_answer.unwrap_or("—"),
                s.next_answer,
            );
        }
        h.push_str("</table>");
    }
    h.push_str(
        "<h2>Get a token</h2><p>The sandbox accepts only tokens it issued (like Bakong, they last 90 days).</p>\
         <form method=\"post\" action=\"/ui/token\"><input type=\"text\" name=\"email\" placeholder=\"you@example.com\" style=\"width:18rem\" required> \
         <button type=\"submit\">Issue token</button></form>\
         <p><a href=\"/\">Refresh</a> · JSON: <a href=\"/sandbox/requests\">request log</a> · <a href=\"/sandbox/md5s\">md5s</a></p>\
         </body></html>",
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(h)).into_response()
}

#[derive(Debug, Deserialize)]
struct PayForm {
    #[serde(default)]
    qr: String,
    #[serde(default)]
    md5: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    currency: String,
    #[serde(default)]
    to_account_id: String,
}

async fn ui_pay(State(shared): State<Arc<Shared>>, Form(form): Form<PayForm>) -> Response {
    let input = PayInput {
        qr: Some(form.qr),
        md5: Some(form.md5),
        amount: Some(form.amount),
        currency: Some(form.currency),
        to_account_id: Some(form.to_account_id),
        ..PayInput::default()
    };
    match pay_input(&shared, input) {
        Ok((md5, tx)) => back(
            &format!(
                "{md5} is now paid: {} {} to {}",
                tx.amount, tx.currency, tx.to_account_id
            ),
            false,
        ),
        Err(e) => back(&e, true),
    }
}

#[derive(Debug, Deserialize)]
struct FailForm {
    md5: String,
}

async fn ui_fail(State(shared): State<Arc<Shared>>, Form(form): Form<FailForm>) -> Response {
    let md5 = form.md5.trim().to_ascii_lowercase();
    if md5.is_empty() {
        return back("give an md5", true);
    }
    shared.lock().fail(&md5);
    back(&format!("{md5} is now failed"), false)
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    email: String,
}

async fn ui_token(State(shared): State<Arc<Shared>>, Form(form): Form<TokenForm>) -> Response {
    let email = form.email.trim();
    if email.is_empty() {
        return back("give an email", true);
    }
    let token = shared.lock().issue_token(email);
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sandbox token</title>\
         <style>{STYLE}</style></head><body><h1>Sandbox token for {}</h1>\
         <p>Valid for 90 days, only against this sandbox. Older sandbox tokens for this email no longer work.</p>\
         <textarea rows=\"5\" readonly>{}</textarea><p><a href=\"/\">Back</a></p></body></html>",
        esc(email),
        esc(&token)
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
        assert_eq!(url_encode("a b&c/ក"), "a%20b%26c%2F%E1%9E%80");
    }
}
