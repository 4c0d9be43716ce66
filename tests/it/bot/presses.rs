//! End to end: people's presses of "Check now" and "Cancel" ask Bakong within limits — at
//! most one ask per charge per 10 s, at most 10 a minute per seller, whoever pressed — and
//! a 429 one of them meets backs off that seller's token only. The real bot against the
//! fake Telegram Bot API and the Bakong sandbox; Bakong's side is counted in the sandbox's
//! request log. The first two tests freeze the app's clock: no charge comes due again and
//! no limit's window passes while they press, so every request they count is a press's.

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::TgUser;
use khqr_bot::bakong::sandbox::{Fault, FaultKind, LoggedRequest, Payment};
use khqr_bot::bakong::{Currency as BakongCurrency, DecimalAmount};
use khqr_bot::i18n::Lang;
use khqr_bot::store::{Charge, ChargeStatus};
use khqr_bot::time::TestClock;

const JUST_CHECKED: &str = "Just checked. Please try again in a few seconds.";
const SLOW_DOWN: &str = "Too many checks in a short time";
/// A user's flood budget that the setup, the charges and the presses here stay within even
/// with the clock frozen (a frozen clock never refills it): the limits measured here are the
/// presses' own.
const ROOMY_FLOOD: &[(&str, &str)] = &[("FLOOD_USER_BURST", "200"), ("FLOOD_CHAT_BURST", "200")];

/// What a press gets when the chat already has as many updates in flight as it may: the
/// flood guard answers it without running it.
const TOO_MANY_TAPS: &str = "Too many taps at once. Please wait a moment and tap again.";

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Requests to Bakong that ask about `md5`.
fn asking_about(log: &[LoggedRequest], md5: &str) -> usize {
    log.iter()
        .filter(|r| r.path.starts_with("/v1/check_transaction_by_md5") && r.body.contains(md5))
        .count()
}

/// `user`'s charges, newest first.
async fn charges(app: &TestApp, user: &TgUser) -> Vec<Charge> {
    let m = app.merchant(user).await.unwrap();
    app.store.merchant_charges(m.id, 100).await.unwrap()
}

/// Presses every button in `presses` at once (without waiting between them) and returns
/// the callback answers' texts, in press order.
async fn press_all(app: &TestApp, user: &TgUser, presses: &[(i32, String)]) -> Vec<String> {
    let ids: Vec<String> = presses
        .iter()
        .map(|(message, data)| app.telegram.press_button(user, *message, data))
        .collect();
    let mut answers = Vec::new();
    for id in ids {
        let answer = app
            .telegram
            .wait_for(
                "answerCallbackQuery",
                |c| c.str_param("callback_query_id") == Some(id.as_str()),
                WAIT,
            )
            .await
            .unwrap();
        answers.push(answer.str_param("text").unwrap_or_default().to_owned());
    }
    answers
}

/// Presses the buttons in `presses` one after the other, each once the previous one was
/// answered, and returns the answers' texts.
async fn press_each(app: &TestApp, user: &TgUser, presses: &[(i32, String)]) -> Vec<String> {
    let mut answers = Vec::new();
    for press in presses {
        answers.extend(press_all(app, user, std::slice::from_ref(press)).await);
    }
    answers
}

/// Waits until Bakong was asked about `md5` at least `n` times.
async fn until_asked(app: &TestApp, md5: &str, n: usize) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while asking_about(&app.bakong.request_log(), md5) < n {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{md5} never asked {n} times"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_burst_of_25_presses_asks_bakong_once_and_the_rest_are_told_to_wait() {
    let app = TestApp::spawn_with_clock(ROOMY_FLOOD, TestClock::frozen_at(unix_now())).await;
    let user = TgUser::english(2501);
    app.setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    app.charge_photo(&user, "/charge 5 USD coffee").await;
    let c = charges(&app, &user).await.remove(0);
    // The watcher's first look (then, the clock frozen, the charge is never due again).
    until_asked(&app, &c.md5, 1).await;
    let before = asking_about(&app.bakong.request_log(), &c.md5);

    let check = format!("chk:{}:{}", c.id.0, c.bill_number);
    let burst: Vec<(i32, String)> = (0..25)
        .map(|_| (c.message_id.unwrap(), check.clone()))
        .collect();
    let answers = press_all(&app, &user, &burst).await;

    let asked = asking_about(&app.bakong.request_log(), &c.md5) - before;
    assert_eq!(asked, 1, "one ask per charge per 10 s");
    // The ones the flood guard shed (the chat had four presses in flight) never reached the
    // check; every other one but the first was told the charge was just checked.
    let waits = answers
        .iter()
        .filter(|a| *a == JUST_CHECKED || *a == TOO_MANY_TAPS)
        .count();
    let pending = answers
        .iter()
        .filter(|a| a.starts_with("Not paid yet"))
        .count();
    assert_eq!((pending, waits), (1, 24), "{answers:?}");
    // Cancel right after: no second ask within the gap, cancelled all the same (and still
    // watched for a late payment).
    let cancel = format!("cxl:{}:{}", c.id.0, c.bill_number);
    let answer = press_all(&app, &user, &[(c.message_id.unwrap(), cancel)]).await;
    assert_eq!(answer, vec!["Payment cancelled.".to_owned()]);
    assert_eq!(asking_about(&app.bakong.request_log(), &c.md5) - before, 1);
    let c = app.store.charge(c.id).await.unwrap().unwrap();
    assert_eq!(c.status, ChargeStatus::Cancelled);
}

#[tokio::test]
async fn a_seller_s_presses_ask_bakong_at_most_ten_times_a_minute() {
    let app = TestApp::spawn_with_clock(ROOMY_FLOOD, TestClock::frozen_at(unix_now())).await;
    let user = TgUser::english(2502);
    app.setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    for i in 1..=12 {
        app.charge_photo(&user, &format!("/charge {i} USD")).await;
    }
    let all = charges(&app, &user).await;
    assert_eq!(all.len(), 12);
    // The watcher's one look at this seller (the clock frozen, never again: the seller was
    // just asked about).
    let deadline = tokio::time::Instant::now() + WAIT;
    while !app
        .bakong
        .request_log()
        .iter()
        .any(|r| r.path == "/v1/check_transaction_by_md5_list")
    {
        assert!(tokio::time::Instant::now() < deadline, "never polled");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let requests = || {
        app.bakong
            .request_log()
            .iter()
            .filter(|r| r.path.starts_with("/v1/check_transaction_by_md5"))
            .count()
    };
    let before = requests();
    let presses: Vec<(i32, String)> = all
        .iter()
        .map(|c| {
            (
                c.message_id.unwrap(),
                format!("chk:{}:{}", c.id.0, c.bill_number),
            )
        })
        .collect();
    // One after the other, so the flood guard (a chat's updates in flight) sheds none: what
    // stops the last two is the seller's limit.
    let answers = press_each(&app, &user, &presses).await;
    assert_eq!(requests() - before, 10, "{answers:?}");
    let slow: Vec<&String> = answers
        .iter()
        .filter(|a| a.starts_with(SLOW_DOWN))
        .collect();
    assert_eq!(slow.len(), 2, "{answers:?}");
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.starts_with("Not paid yet"))
            .count(),
        10
    );
    // In Khmer for a Khmer-speaking seller.
    app.say(&user, "/lang km").await;
    let again = press_all(&app, &user, &presses[11..]).await;
    assert!(
        again == vec![khqr_bot::t!(Lang::Km, "callback-slow-down")]
            || again == vec![khqr_bot::t!(Lang::Km, "callback-check-wait")],
        "{again:?}"
    );
    assert_eq!(requests() - before, 10);
}

/// One seller's token is throttled (429) when they press "Check now": that token backs
/// off, and another seller's payment is still found — the circuit every seller shares stays
/// closed.
#[tokio::test]
async fn a_429_met_by_one_seller_s_press_leaves_another_seller_s_charge_settling() {
    let app = TestApp::spawn_with(&[("POLL_INTERVAL_SECS", "300")]).await;
    let throttled = TgUser::english(2503);
    let token = app
        .setup_merchant(&throttled, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    app.charge_photo(&throttled, "/charge 5 USD").await;
    let c = charges(&app, &throttled).await.remove(0);
    until_asked(&app, &c.md5, 1).await;
    // Three minutes on, the charge is no longer young: the watcher asks once more, then not
    // for POLL_INTERVAL_SECS. What asks with this token from here on is a press.
    app.advance_clock(200);
    until_asked(&app, &c.md5, 2).await;
    app.bakong
        .push_fault(
            Fault::new(
                FaultKind::RateLimited {
                    retry_after_secs: Some(600),
                },
                1,
            )
            .with_token(&token),
        )
        .unwrap();

    let calm = TgUser::english(2504);
    app.setup_merchant(&calm, "dara@wing", "Dara Shop", "Kampot")
        .await;
    app.charge_photo(&calm, "/charge 3 USD").await;
    let paid = charges(&app, &calm).await.remove(0);

    let check = format!("chk:{}:{}", c.id.0, c.bill_number);
    let answer = press_all(&app, &throttled, &[(c.message_id.unwrap(), check)]).await;
    assert_eq!(
        answer,
        vec!["Bakong is not answering right now; I keep checking automatically.".to_owned()]
    );
    let log = app.bakong.request_log();
    let met: Vec<&LoggedRequest> = log
        .iter()
        .filter(|r| r.bearer() == Some(token.as_str()) && r.status == Some(429))
        .collect();
    assert_eq!(met.len(), 1, "the press met the 429");
    let after_429 = met[0].seq;

    app.bakong
        .pay(
            &paid.md5,
            Payment::new(
                &DecimalAmount::parse("3").unwrap(),
                BakongCurrency::Usd,
                "dara@wing",
            ),
        )
        .unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = app.store.charge(paid.id).await.unwrap().unwrap();
        if now.status == ChargeStatus::Paid {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the other seller's payment was never seen (circuit opened by one seller's 429?)"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Meanwhile the throttled token was not used again.
    let log = app.bakong.request_log();
    assert!(
        !log.iter()
            .any(|r| r.seq > after_429 && r.bearer() == Some(token.as_str())),
        "the throttled token waits out its Retry-After"
    );
}
