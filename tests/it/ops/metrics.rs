//! `/metrics` on `METRICS_LISTEN` (issue 16): every line valid in the Prometheus text
//! exposition format, and the figures move with what the bot does — pending charges, a
//! watcher round meeting a Bakong error of a given kind, a follow-up sent.

use std::collections::HashMap;
use std::time::Duration;

use super::health::ops_app;
use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::TgUser;
use khqr_bot::bakong::sandbox::{Fault, FaultKind};

/// One sample: name, labels, value.
#[derive(Debug, Clone, PartialEq)]
struct Sample {
    name: String,
    labels: Vec<(String, String)>,
    value: f64,
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn value(s: &str) -> Option<f64> {
    match s {
        "+Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// `{a="x",b="y"}` → pairs; the label values' escapes (`\\`, `\"`, `\n`) undone.
fn labels(s: &str) -> Option<Vec<(String, String)>> {
    let inner = s.strip_prefix('{')?.strip_suffix('}')?;
    let mut out = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"")?;
        if !is_name(name) || name.starts_with("__") {
            return None;
        }
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '\\' => match chars.next()?.1 {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    _ => return None,
                },
                '"' => break i,
                c => value.push(c),
            }
        };
        out.push((name.to_owned(), value));
        rest = &after[end + 1..];
        rest = match rest.strip_prefix(',') {
            Some(r) => r,
            None if rest.is_empty() => rest,
            None => return None,
        };
    }
    Some(out)
}

/// Parses an exposition, failing on the first line that breaks the format's rules: every
/// family has `# HELP` and `# TYPE` (once, before its samples), counters end in `_total`,
/// a histogram has cumulative buckets ending in `le="+Inf"` equal to its `_count`, and a
/// `_sum`.
fn parse(text: &str) -> Vec<Sample> {
    assert!(text.ends_with('\n'), "the exposition ends with a newline");
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helped: Vec<String> = Vec::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        assert!(!line.is_empty(), "empty line in\n{text}");
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect(line);
            assert!(is_name(name) && !help.is_empty(), "{line}");
            assert!(!helped.contains(&name.to_owned()), "HELP twice: {line}");
            helped.push(name.to_owned());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect(line);
            assert!(is_name(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                helped.contains(&name.to_owned()),
                "TYPE before HELP: {line}"
            );
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "TYPE twice: {line}"
            );
            if kind == "counter" {
                assert!(name.ends_with("_total"), "counter without _total: {line}");
            }
        } else {
            assert!(!line.starts_with('#'), "unknown comment: {line}");
            let (series, value_text) = line.rsplit_once(' ').expect(line);
            let value = value(value_text).unwrap_or_else(|| panic!("bad value: {line}"));
            let (name, labels) = match series.find('{') {
                Some(i) => (
                    &series[..i],
                    labels(&series[i..]).unwrap_or_else(|| panic!("bad labels: {line}")),
                ),
                None => (series, Vec::new()),
            };
            assert!(is_name(name), "bad name: {line}");
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| {
                    name.strip_suffix(suffix)
                        .filter(|base| types.get(*base).map(String::as_str) == Some("histogram"))
                })
                .unwrap_or(name);
            assert!(types.contains_key(family), "sample before its TYPE: {line}");
            samples.push(Sample {
                name: name.to_owned(),
                labels,
                value,
            });
        }
    }
    for (family, kind) in &types {
        if kind != "histogram" {
            continue;
        }
        let buckets: Vec<&Sample> = samples
            .iter()
            .filter(|s| s.name == format!("{family}_bucket"))
            .collect();
        assert!(!buckets.is_empty(), "{family}: no buckets");
        let mut last_bound = f64::NEG_INFINITY;
        let mut last_count = 0.0;
        for b in &buckets {
            let le = b.labels.iter().find(|(k, _)| k == "le").expect("le label");
            let bound = value(&le.1).expect("le is a number");
            assert!(bound > last_bound, "{family}: buckets out of order");
            assert!(b.value >= last_count, "{family}: buckets not cumulative");
            last_bound = bound;
            last_count = b.value;
        }
        assert_eq!(last_bound, f64::INFINITY, "{family}: no +Inf bucket");
        let count = samples
            .iter()
            .find(|s| s.name == format!("{family}_count"))
            .expect("_count");
        assert_eq!(count.value, last_count, "{family}: +Inf bucket != _count");
        assert!(
            samples.iter().any(|s| s.name == format!("{family}_sum")),
            "{family}: no _sum"
        );
    }
    samples
}

fn get(samples: &[Sample], name: &str, label: Option<(&str, &str)>) -> f64 {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && label.is_none_or(|(k, v)| s.labels.iter().any(|(a, b)| a == k && b == v))
        })
        .unwrap_or_else(|| panic!("no sample {name} {label:?}"))
        .value
}

async fn scrape(app: &TestApp) -> Vec<Sample> {
    let url = format!("http://{}/metrics", app.ops_addr.unwrap());
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    parse(&response.text().await.unwrap())
}

/// Scrapes until `ok` holds for the samples.
async fn scrape_until(app: &TestApp, what: &str, ok: impl Fn(&[Sample]) -> bool) -> Vec<Sample> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let samples = scrape(app).await;
        if ok(&samples) {
            return samples;
        }
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const ERRORS: &str = "khqr_bot_bakong_errors_total";
const ROUNDS: &str = "khqr_bot_watcher_rounds_total";

#[test]
fn the_checker_refuses_broken_expositions() {
    let good = "# HELP a_total A.\n# TYPE a_total counter\na_total{kind=\"x\\\"y\"} 1\n";
    assert_eq!(parse(good)[0].labels[0].1, "x\"y");
    for bad in [
        "# TYPE a_total counter\na_total 1\n",
        "# HELP a A.\n# TYPE a counter\na 1\n",
        "# HELP a A.\n# TYPE a gauge\na one\n",
        "b 1\n",
        "# HELP a A.\n# TYPE a gauge\na{k=\"v} 1\n",
        "# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
    ] {
        assert!(
            std::panic::catch_unwind(|| parse(bad)).is_err(),
            "accepted: {bad}"
        );
    }
}

#[tokio::test]
async fn metrics_follow_a_charge_a_bakong_error_round_and_a_follow_up() {
    let mut app = ops_app(&[("POLL_INTERVAL_SECS", "1")]).await;
    let user = TgUser::english(16_101);
    app.setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    let samples = scrape(&app).await;
    assert_eq!(get(&samples, "khqr_bot_database_up", None), 1.0);
    assert_eq!(get(&samples, "khqr_bot_pending_charges", None), 0.0);
    // Setup checked the token with Bakong: a request was timed.
    assert!(
        get(
            &samples,
            "khqr_bot_bakong_request_duration_seconds_count",
            None
        ) >= 1.0
    );

    app.charge_photo(&user, "/charge 5 USD iced coffee").await;
    let samples = scrape(&app).await;
    assert_eq!(get(&samples, "khqr_bot_pending_charges", None), 1.0);
    let geo_before = get(&samples, ERRORS, Some(("kind", "geo_blocked")));
    let rounds_before = get(&samples, ROUNDS, None);
    let sent_before = get(&samples, "khqr_bot_outbox_sent_total", None);

    // Bakong answers 403 (the geo-block page) to everything: the next rounds count it.
    app.bakong
        .push_fault(Fault::new(FaultKind::GeoBlocked, 1000))
        .unwrap();
    let samples = scrape_until(&app, "a geo_blocked error counted", |s| {
        get(s, ERRORS, Some(("kind", "geo_blocked"))) > geo_before
            && get(s, ROUNDS, None) > rounds_before
    })
    .await;
    assert_eq!(get(&samples, ERRORS, Some(("kind", "server"))), 0.0);
    assert!(
        get(
            &samples,
            "khqr_bot_watcher_round_duration_seconds_count",
            None
        ) > 0.0
    );
    assert_eq!(get(&samples, "khqr_bot_pending_charges", None), 1.0);

    // Bakong back, the charge paid: no longer pending, its edit sent and counted.
    app.bakong.clear_faults();
    let m = app.merchant(&user).await.unwrap();
    let charge = app.store.merchant_charges(m.id, 1).await.unwrap().remove(0);
    app.bakong
        .pay(
            &charge.md5,
            khqr_bot::bakong::sandbox::Payment::new(
                &khqr_bot::bakong::DecimalAmount::parse("5.00").unwrap(),
                khqr_bot::bakong::Currency::Usd,
                "sokha@aclb",
            ),
        )
        .unwrap();
    let samples = scrape_until(&app, "the paid edit sent", |s| {
        get(s, "khqr_bot_pending_charges", None) == 0.0
            && get(s, "khqr_bot_outbox_sent_total", None) > sent_before
            && get(s, "khqr_bot_outbox_queued", None) == 0.0
    })
    .await;
    assert_eq!(get(&samples, "khqr_bot_outbox_lag_seconds", None), 0.0);

    // The database gone: still an answer, the counters without the database's gauges.
    app.store.close().await;
    let samples = scrape(&app).await;
    assert_eq!(get(&samples, "khqr_bot_database_up", None), 0.0);
    assert!(!samples.iter().any(|s| s.name == "khqr_bot_pending_charges"));
    assert!(get(&samples, ROUNDS, None) > rounds_before);
    app.stop().await;
}
