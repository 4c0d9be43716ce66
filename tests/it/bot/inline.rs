//! Issue 12 end to end: the live KHQR card in a customer's chat (inline mode), the real bot
//! against the Telegram emulator (inline queries, answers, chosen results, edits and button
//! presses by `inline_message_id`) and the Bakong sandbox.

use std::time::Duration;

use crate::support::app::{TestApp, WAIT, decode_qr, no_qr_in};
use crate::support::fake_telegram::{Call, ChosenInline, InlineAnswer, TgUser};
use crate::support::steps::SELLER_ACCOUNT;
use khqr_bot::bakong::Currency as BakongCurrency;
use khqr_bot::bot::charge::bill_ref::BillRef;
use khqr_bot::khqr::md5_hex;
use khqr_bot::store::ChargeId;
use khqr_bot::store::{Charge, ChargeStatus};

const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];
/// A chat between the seller and a customer (the bot is not in it).
const CUSTOMER_CHAT: i64 = 880_000_001;
/// Seconds after which an unchosen draft is discarded (`bot::inline::draft::DRAFT_TTL_SECS`).
const DRAFT_TTL_SECS: i64 = 120;

/// `user` types `@bot <query>` in a chat; the bot's answer once the query settled.
async fn ask(app: &TestApp, user: &TgUser, query: &str) -> (String, InlineAnswer) {
    let id = app.telegram.send_inline_query(user, query, "private");
    let answer = app.telegram.wait_inline_answer(&id, WAIT).await.unwrap();
    (id, answer)
}

/// Polls the store until `pred` holds for the charge `id`.
async fn wait_charge(app: &TestApp, id: i64, pred: impl Fn(&Charge) -> bool) -> Charge {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let charge = app.store.charge(ChargeId(id)).await.unwrap();
        if let Some(c) = charge.filter(|c| pred(c)) {
            return c;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "charge {id} never got there"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn charge_id_of(result_id: &str) -> i64 {
    result_id[1..].parse().unwrap()
}

/// Types `query` in the customer's chat and chooses the card: the charge it became.
async fn send_card(app: &TestApp, user: &TgUser, query: &str) -> (Charge, ChosenInline) {
    let (qid, answer) = ask(app, user, query).await;
    assert_eq!(answer.results.len(), 1, "{answer:?}");
    let result = &answer.results[0];
    assert_eq!(result.kind, "photo", "{answer:?}");
    let chosen = app
        .telegram
        .choose_inline_result(user, &qid, &result.id, CUSTOMER_CHAT)
        .unwrap();
    let inline_id = chosen.inline_message_id.clone().expect("a keyboard: an id");
    let charge = wait_charge(app, charge_id_of(&result.id), |c| {
        c.status == ChargeStatus::Pending && c.inline_message_id.as_deref() == Some(&inline_id)
    })
    .await;
    (charge, chosen)
}

/// The first successful edit of the inline message `inline_id` with `method`, at or after
/// call `since`.
async fn inline_edit(app: &TestApp, method: &str, inline_id: &str, since: usize) -> Call {
    app.telegram
        .wait_for_since(
            since,
            method,
            |c| c.str_param("inline_message_id") == Some(inline_id) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap()
}

/// Rows of `(text, callback_data)`.
type Buttons = Vec<Vec<(String, String)>>;

/// The card in the customer's chat now: caption, buttons, photo bytes.
fn customer_card(app: &TestApp, inline_id: &str) -> (Option<String>, Buttons, Vec<u8>) {
    let (chat, message) = app.telegram.inline_message(inline_id).unwrap();
    assert_eq!(chat, CUSTOMER_CHAT);
    let bytes = app
        .telegram
        .file(message.photo_file_id.as_deref().unwrap())
        .unwrap();
    (message.caption, message.buttons, bytes)
}

async fn answer_text(app: &TestApp, callback_id: &str) -> String {
    app.telegram
        .wait_for(
            "answerCallbackQuery",
            |c| c.str_param("callback_query_id") == Some(callback_id),
            WAIT,
        )
        .await
        .unwrap()
        .text()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn inline_charge_is_the_real_card_and_turns_paid_in_the_customers_chat() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3101).await;
    let (charge, chosen) = send_card(&app, &user, "5 USD iced coffee").await;
    let inline_id = chosen.inline_message_id.clone().unwrap();

    // The customer sees the real KHQR of this charge, captioned like the private card.
    let (caption, buttons, png) = customer_card(&app, &inline_id);
    let caption = caption.unwrap();
    for part in ["$5.00", "Sokha Coffee", "iced coffee", "Phnom Penh time"] {
        assert!(caption.contains(part), "caption lacks {part}: {caption}");
    }
    let payload = decode_qr(&png);
    assert_eq!(md5_hex(&payload), charge.md5);
    let id = charge.id.0;
    assert_eq!(
        buttons,
        vec![vec![
            (
                "🔄 Check now".to_owned(),
                format!("chk:{id}:{}", charge.bill_number)
            ),
            (
                "✖️ Cancel".to_owned(),
                format!("cxl:{id}:{}", charge.bill_number)
            ),
        ]]
    );
    // The record copy that gave the file_id is deleted at once; the private card is the
    // same photo, sent again by file_id once the card was chosen.
    let record = app.telegram.sent_photos(user.id).remove(0);
    app.telegram
        .wait_for(
            "deleteMessage",
            |c| c.message_id() == Some(record.message_id) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap();
    let private = wait_charge(&app, id, |c| c.message_id.is_some())
        .await
        .message_id
        .unwrap();
    assert_ne!(private, record.message_id);
    let private_card = app
        .telegram
        .chat(user.id)
        .into_iter()
        .find(|m| m.message_id == private)
        .unwrap();
    assert_eq!(private_card.photo_file_id, Some(record.file_id.clone()));
    assert!(private_card.caption.unwrap().contains("iced coffee"));
    assert!(
        app.telegram.message(user.id, record.message_id).is_none(),
        "the record copy is still in the seller's chat"
    );

    let since = app.telegram.call_count();
    app.pay(&charge.md5, "5.00", BakongCurrency::Usd, SELLER_ACCOUNT);
    let call = inline_edit(&app, "editMessageMedia", &inline_id, since).await;
    assert!(call.files.is_empty(), "an upload to an inline message");
    let (caption, buttons, png) = customer_card(&app, &inline_id);
    let caption = caption.unwrap();
    assert!(
        caption.contains("Paid") && caption.contains("$5.00"),
        "{caption}"
    );
    assert!(buttons.iter().all(Vec::is_empty), "{buttons:?}");
    assert!(no_qr_in(&png), "the customer's card still shows a QR");
    // The private card too.
    let private_now = app
        .telegram
        .chat(user.id)
        .into_iter()
        .find(|m| m.message_id == private)
        .unwrap();
    assert!(private_now.caption.unwrap().contains("Paid"));
    let paid = wait_charge(&app, id, |c| c.status == ChargeStatus::Paid).await;
    assert_eq!(paid.inline_message_id.as_deref(), Some(inline_id.as_str()));
}

#[tokio::test]
async fn inline_charges_expire_and_are_cancelled_by_the_seller_in_the_customers_chat() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3102).await;
    let (expiring, chosen_a) = send_card(&app, &user, "3 USD").await;
    let (cancelled, chosen_b) = send_card(&app, &user, "4 USD").await;
    let (a, b) = (
        chosen_a.inline_message_id.unwrap(),
        chosen_b.inline_message_id.unwrap(),
    );
    let since = app.telegram.call_count();
    sqlx::query("UPDATE charges SET expires_at = created_at + 1 WHERE id = $1")
        .bind(expiring.id.0)
        .execute(app.store.pool())
        .await
        .unwrap();
    let press = app
        .telegram
        .press_inline_button(&user, &b, &format!("cxl:{}", cancelled.id.0));
    assert!(answer_text(&app, &press).await.contains("cancelled"));

    inline_edit(&app, "editMessageMedia", &a, since).await;
    inline_edit(&app, "editMessageMedia", &b, since).await;
    let (caption, _, _) = customer_card(&app, &a);
    assert!(caption.unwrap().contains("Expired"));
    let (caption, buttons, png) = customer_card(&app, &b);
    assert!(caption.unwrap().contains("ancelled"));
    assert!(buttons.iter().all(Vec::is_empty));
    assert!(no_qr_in(&png));
    wait_charge(&app, expiring.id.0, |c| c.status == ChargeStatus::Expired).await;
    wait_charge(&app, cancelled.id.0, |c| {
        c.status == ChargeStatus::Cancelled
    })
    .await;
}

#[tokio::test]
async fn the_customer_may_check_but_not_cancel() {
    let app = TestApp::spawn_with(&[("POLL_INTERVAL_SECS", "300")]).await;
    let user = app.seller(3103).await;
    let customer = TgUser::english(3199);
    let (charge, chosen) = send_card(&app, &user, "2 USD").await;
    let inline_id = chosen.inline_message_id.unwrap();
    let id = charge.id.0;

    // Cancel by the customer: refused, nothing changes.
    let press = app
        .telegram
        .press_inline_button(&customer, &inline_id, &format!("cxl:{id}"));
    assert!(answer_text(&app, &press).await.contains("Only the seller"));
    // Check now: Bakong is asked at once, not paid yet.
    let press = app
        .telegram
        .press_inline_button(&customer, &inline_id, &format!("chk:{id}"));
    assert!(answer_text(&app, &press).await.contains("Not paid yet"));
    // Again right away: rate-limited per charge, without asking Bakong.
    let press = app
        .telegram
        .press_inline_button(&customer, &inline_id, &format!("chk:{id}"));
    assert!(answer_text(&app, &press).await.contains("Just checked"));
    assert_eq!(
        app.store.charge(charge.id).await.unwrap().unwrap().status,
        ChargeStatus::Pending
    );

    // Paid; the customer's next press (after the gap) finds it and the card turns paid.
    let since = app.telegram.call_count();
    app.pay(&charge.md5, "2", BakongCurrency::Usd, SELLER_ACCOUNT);
    app.advance_clock(11);
    let press = app
        .telegram
        .press_inline_button(&customer, &inline_id, &format!("chk:{id}"));
    // (The watcher's own round may have found it first: then it is "already received".)
    let said = answer_text(&app, &press).await;
    assert!(said.contains("Paid") || said.contains("received"), "{said}");
    inline_edit(&app, "editMessageMedia", &inline_id, since).await;
    wait_charge(&app, id, |c| c.status == ChargeStatus::Paid).await;
    // The button of someone else's charge still gets "not yours" outside the inline card.
    let press = app
        .telegram
        .press_button(&customer, 1, &format!("cxl:{id}"));
    assert!(answer_text(&app, &press).await.contains("not yours"));
}

#[tokio::test]
async fn send_to_customer_keeps_both_cards_up_to_date() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3104).await;
    app.charge_photo(&user, "/charge 6 USD tea").await;
    let m = app.merchant(&user).await.unwrap();
    let charge = app.store.merchant_charges(m.id, 1).await.unwrap().remove(0);
    let private = charge.message_id.unwrap();
    // The private card's button puts the bill number in the seller's query.
    let message = app.telegram.message(user.id, private).unwrap();
    let switch = &message["reply_markup"]["inline_keyboard"][1][0];
    assert_eq!(switch["text"], "📤 Send to customer");
    let chosen_chat = &switch["switch_inline_query_chosen_chat"];
    assert_eq!(chosen_chat["query"], charge.bill_number.as_str());
    assert_eq!(chosen_chat["allow_user_chats"], true);
    assert_eq!(chosen_chat["allow_group_chats"], true);

    let (qid, answer) = ask(&app, &user, &charge.bill_number).await;
    assert_eq!(answer.results.len(), 1, "{answer:?}");
    let result = &answer.results[0];
    assert_eq!(result.id, format!("s{}", charge.id.0));
    let private_file = app
        .telegram
        .sent_photos(user.id)
        .last()
        .unwrap()
        .file_id
        .clone();
    assert_eq!(result.photo_file_id.as_deref(), Some(private_file.as_str()));
    let chosen = app
        .telegram
        .choose_inline_result(&user, &qid, &result.id, CUSTOMER_CHAT)
        .unwrap();
    let inline_id = chosen.inline_message_id.unwrap();
    wait_charge(&app, charge.id.0, |c| {
        c.inline_message_id.as_deref() == Some(inline_id.as_str())
    })
    .await;

    let since = app.telegram.call_count();
    app.pay(&charge.md5, "6", BakongCurrency::Usd, SELLER_ACCOUNT);
    inline_edit(&app, "editMessageMedia", &inline_id, since).await;
    let private_edit = app
        .telegram
        .wait_for_since(
            since,
            "editMessageMedia",
            |c| c.message_id() == Some(private) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap();
    assert!(private_edit.caption().unwrap().contains("Paid"));
    assert!(customer_card(&app, &inline_id).0.unwrap().contains("Paid"));
    // A settled charge is not offered again.
    let (_, answer) = ask(&app, &user, &charge.bill_number).await;
    assert_eq!(answer.results[0].kind, "article", "{answer:?}");
}

#[tokio::test]
async fn empty_and_invalid_queries_explain_and_create_nothing() {
    let app = TestApp::spawn().await;
    let user = app.seller(3105).await;
    let (_, help) = ask(&app, &user, "").await;
    assert_eq!(help.results.len(), 1);
    assert_eq!(help.results[0].kind, "article");
    assert!(
        help.results[0]
            .message_text
            .as_deref()
            .unwrap()
            .contains("5 USD")
    );
    for (query, reason) in [
        ("abc", "abc"),
        ("5 EUR", "EUR"),
        ("0", "more than zero"),
        ("5.123 USD", "decimals"),
    ] {
        let (_, answer) = ask(&app, &user, query).await;
        assert_eq!(answer.results.len(), 1, "{query}: {answer:?}");
        let r = &answer.results[0];
        assert_eq!(r.kind, "article", "{query}");
        let said = r.description.clone().unwrap_or_default();
        assert!(said.contains(reason), "{query}: {said}");
    }
    assert_eq!(app.charge_count().await, 0);
    assert!(app.telegram.sent_photos(user.id).is_empty());
}

#[tokio::test]
async fn a_user_without_a_shop_gets_the_set_up_button() {
    let app = TestApp::spawn().await;
    let stranger = TgUser::english(3106);
    let (_, answer) = ask(&app, &stranger, "5 USD").await;
    assert!(answer.results.is_empty(), "{answer:?}");
    let button = answer.button.unwrap();
    assert_eq!(button.start_parameter.as_deref(), Some("setup"));
    assert!(button.text.contains("Set up"));
    assert!(answer.is_personal);
    assert_eq!(app.charge_count().await, 0);
    // The button's `/start setup` is a welcome.
    let reply = app.say(&stranger, "/start setup").await;
    assert!(reply.contains("/setup"), "{reply}");
}

#[tokio::test]
async fn restart_with_a_pending_inline_charge_loses_nothing() {
    let mut app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3107).await;
    let (charge, chosen) = send_card(&app, &user, "7 USD").await;
    let inline_id = chosen.inline_message_id.unwrap();
    app.stop().await;
    app.pay(&charge.md5, "7", BakongCurrency::Usd, SELLER_ACCOUNT);
    let since = app.telegram.call_count();
    app.start().await;
    inline_edit(&app, "editMessageMedia", &inline_id, since).await;
    assert!(customer_card(&app, &inline_id).0.unwrap().contains("Paid"));
    wait_charge(&app, charge.id.0, |c| c.status == ChargeStatus::Paid).await;
}

#[tokio::test]
async fn two_sellers_never_see_each_others_drafts() {
    let app = TestApp::spawn().await;
    let (a, b) = (app.seller(3108).await, app.seller(3109).await);
    let qa = app.telegram.send_inline_query(&a, "5 USD", "private");
    let qb = app.telegram.send_inline_query(&b, "5 USD", "group");
    let answer_a = app.telegram.wait_inline_answer(&qa, WAIT).await.unwrap();
    let answer_b = app.telegram.wait_inline_answer(&qb, WAIT).await.unwrap();
    let (ra, rb) = (&answer_a.results[0], &answer_b.results[0]);
    assert_ne!(ra.id, rb.id);
    assert_ne!(ra.photo_file_id, rb.photo_file_id);
    assert!(answer_a.is_personal && answer_b.is_personal);
    assert_eq!(answer_a.cache_time, Some(0));
    let (ma, mb) = (
        app.merchant(&a).await.unwrap(),
        app.merchant(&b).await.unwrap(),
    );
    // Each draft is its seller's, its record copy in its seller's chat only.
    assert!(
        app.store
            .is_inline_draft(ChargeId(charge_id_of(&ra.id)), ma.id)
            .await
            .unwrap()
    );
    assert!(
        !app.store
            .is_inline_draft(ChargeId(charge_id_of(&ra.id)), mb.id)
            .await
            .unwrap()
    );
    assert_eq!(app.telegram.sent_photos(a.id).len(), 1);
    assert_eq!(app.telegram.sent_photos(b.id).len(), 1);
    // B cannot choose A's draft: it is not among B's results.
    assert!(
        app.telegram
            .choose_inline_result(&b, &qb, &ra.id, CUSTOMER_CHAT)
            .is_err()
    );
    let chosen = app
        .telegram
        .choose_inline_result(&b, &qb, &rb.id, CUSTOMER_CHAT)
        .unwrap();
    let c = wait_charge(&app, charge_id_of(&rb.id), |c| {
        c.status == ChargeStatus::Pending
    })
    .await;
    assert_eq!(c.merchant_id, mb.id);
    assert_eq!(c.inline_message_id, chosen.inline_message_id);
    // A's draft is untouched by B's choice.
    let draft_a = app
        .store
        .charge(ChargeId(charge_id_of(&ra.id)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(draft_a.status, ChargeStatus::Creating);
    assert_eq!(draft_a.merchant_id, ma.id);
}

#[tokio::test]
async fn only_the_settled_query_is_answered_and_unchosen_drafts_are_discarded() {
    let app = TestApp::spawn().await;
    let user = app.seller(3110).await;
    // Keystrokes: only the last one is answered, and only it makes a draft.
    let typed: Vec<String> = ["5", "5 U", "5 USD", "5 USD te"]
        .iter()
        .map(|q| app.telegram.send_inline_query(&user, q, "private"))
        .collect();
    let last = app
        .telegram
        .send_inline_query(&user, "5 USD tea", "private");
    let answer = app.telegram.wait_inline_answer(&last, WAIT).await.unwrap();
    assert_eq!(answer.results.len(), 1);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for q in &typed {
        assert!(app.telegram.inline_answer(q).is_none(), "{q} was answered");
    }
    assert_eq!(app.charge_count().await, 1);
    let draft = charge_id_of(&answer.results[0].id);
    let record = app.telegram.sent_photos(user.id)[0].message_id;
    // The record copy went as soon as it gave the file_id.
    app.telegram
        .wait_for(
            "deleteMessage",
            |c| c.chat_id() == Some(user.id) && c.message_id() == Some(record) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap();

    // Never chosen: after the TTL the draft ends as a discarded charge (kept: its QR was
    // shown in the picker, so the late watch still asks about it).
    app.advance_clock(DRAFT_TTL_SECS + 5);
    let discarded = wait_charge(&app, draft, |c| c.status == ChargeStatus::Discarded).await;
    assert_eq!(discarded.message_id, None);
    assert!(discarded.settled_at.is_some());
    let drafts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inline_drafts")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(drafts, 0);
    // Nothing in /history or /pending for it.
    let history = app.say(&user, "/history").await;
    assert!(!history.contains("$5.00"), "{history}");
    let pending = app.say(&user, "/pending").await;
    assert!(!pending.contains("$5.00"), "{pending}");
    let export = app.say(&user, "/export").await;
    assert!(export.contains("nothing to export"), "{export}");

    // Chosen after all (the client still showed it): the card says it is void.
    let chosen = app
        .telegram
        .choose_inline_result(&user, &last, &format!("c{draft}"), CUSTOMER_CHAT)
        .unwrap();
    let inline_id = chosen.inline_message_id.unwrap();
    inline_edit(&app, "editMessageCaption", &inline_id, 0).await;
    let (caption, buttons, _) = customer_card(&app, &inline_id);
    assert!(caption.unwrap().contains("Do not pay"));
    assert!(buttons.iter().all(Vec::is_empty));
    assert_eq!(app.charge_count().await, 1);
    assert_eq!(
        app.store
            .charge(ChargeId(draft))
            .await
            .unwrap()
            .unwrap()
            .status,
        ChargeStatus::Discarded
    );
}

/// A draft nobody chose whose QR was scanned from the picker's preview and paid: the late
/// watch finds it, the seller is told (paid, never sent), it counts as paid once.
#[tokio::test]
async fn a_discarded_draft_paid_all_the_same_is_reported_and_counted_once() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3111).await;
    let (_, answer) = ask(&app, &user, "5 USD iced coffee").await;
    let draft = charge_id_of(&answer.results[0].id);
    // What the customer scanned: the draft's card.
    let png = app.telegram.sent_photos(user.id)[0].bytes.clone();
    let md5 = md5_hex(&decode_qr(&png));
    app.advance_clock(DRAFT_TTL_SECS + 5);
    wait_charge(&app, draft, |c| c.status == ChargeStatus::Discarded).await;

    let since = app.telegram.call_count();
    app.pay(&md5, "5", BakongCurrency::Usd, SELLER_ACCOUNT);
    let paid = wait_charge(&app, draft, |c| c.status == ChargeStatus::Paid).await;
    assert_eq!(paid.paid_after, Some(khqr_bot::store::PaidAfter::Discarded));
    let told = |c: &Call| {
        c.chat_id() == Some(user.id) && c.text().is_some_and(|t| t.contains("did not choose"))
    };
    let notice = app
        .telegram
        .wait_for_since(since, "sendMessage", told, WAIT)
        .await
        .unwrap();
    let text = notice.text().unwrap();
    assert!(
        text.contains(BillRef::of(&paid.bill_number).as_str()) && text.contains("$5.00"),
        "{text}"
    );
    // The card is gone, so the status card comes as a new photo in the seller's chat.
    let status = app
        .telegram
        .wait_for_since(
            since,
            "sendPhoto",
            |c| c.chat_id() == Some(user.id) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap();
    assert!(status.caption().unwrap().contains("Paid"), "{status:?}");
    // Counted as paid (late) in /history, once (a photo with its chart: the summary is
    // its caption).
    let history = app.say_or_caption(&user, "/history").await;
    assert!(history.contains("$5.00"), "{history}");
    // More rounds later: told once, settled once.
    app.advance_clock(60);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let notices = app
        .telegram
        .calls_of("sendMessage")
        .into_iter()
        .filter(told)
        .count();
    assert_eq!(notices, 1);
    let paid_events: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM events WHERE charge_id = $1 AND kind = 'charge_paid_late'",
    )
    .bind(draft)
    .fetch_one(app.store.pool())
    .await
    .unwrap();
    assert_eq!(paid_events, 1);
}

/// A copy of an inline card paid after the seller cancelled it: the late watch finds it,
/// the card in the customer's chat turns paid (no QR), the seller is told, settled once.
#[tokio::test]
async fn an_inline_card_paid_after_cancel_turns_paid_late_in_the_customers_chat() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3110).await;
    let (charge, chosen) = send_card(&app, &user, "5 USD iced coffee").await;
    let inline_id = chosen.inline_message_id.unwrap();

    let since = app.telegram.call_count();
    let press =
        app.telegram
            .press_inline_button(&user, &inline_id, &format!("cxl:{}", charge.id.0));
    assert!(answer_text(&app, &press).await.contains("cancelled"));
    wait_charge(&app, charge.id.0, |c| c.status == ChargeStatus::Cancelled).await;
    inline_edit(&app, "editMessageMedia", &inline_id, since).await;

    // The customer had already scanned it and pays now.
    let since = app.telegram.call_count();
    app.pay(&charge.md5, "5", BakongCurrency::Usd, SELLER_ACCOUNT);
    let paid = wait_charge(&app, charge.id.0, |c| c.status == ChargeStatus::Paid).await;
    assert_eq!(paid.paid_after, Some(khqr_bot::store::PaidAfter::Cancelled));
    let notice = app
        .telegram
        .wait_for_since(
            since,
            "sendMessage",
            |c| {
                c.chat_id() == Some(user.id)
                    && c.text().is_some_and(|t| t.contains("after you cancelled"))
            },
            WAIT,
        )
        .await
        .unwrap();
    assert!(
        notice
            .text()
            .unwrap()
            .contains(BillRef::of(&charge.bill_number).as_str())
    );
    inline_edit(&app, "editMessageMedia", &inline_id, since).await;
    let (caption, buttons, png) = customer_card(&app, &inline_id);
    let caption = caption.unwrap();
    assert!(caption.contains("Paid"), "{caption}");
    assert!(buttons.iter().all(Vec::is_empty));
    assert!(no_qr_in(&png));
    // Told once, settled once.
    let notices = app
        .telegram
        .calls_of("sendMessage")
        .into_iter()
        .filter(|c| {
            c.chat_id() == Some(user.id)
                && c.text().is_some_and(|t| t.contains("after you cancelled"))
        })
        .count();
    assert_eq!(notices, 1);
}

/// Less than asked on an inline card: the card in the customer's chat tells the customer, in
/// their words, what arrived, what is missing, that the seller knows, and not to pay this QR
/// again (no QR, no buttons); the seller's private card has "Charge the missing".
#[tokio::test]
async fn an_underpaid_inline_card_tells_the_customer_what_arrived_and_not_to_pay_again() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(3112).await;
    let (charge, chosen) = send_card(&app, &user, "5 USD iced coffee").await;
    let inline_id = chosen.inline_message_id.unwrap();
    let since = app.telegram.call_count();
    app.pay(&charge.md5, "4", BakongCurrency::Usd, SELLER_ACCOUNT);
    inline_edit(&app, "editMessageMedia", &inline_id, since).await;
    let (caption, buttons, png) = customer_card(&app, &inline_id);
    let caption = caption.unwrap();
    assert_eq!(
        caption,
        format!(
            "⚠️ $4.00 arrived for $5.00 — Sokha Coffee: $1.00 is missing.\n\
             🧾 {} · 📝 iced coffee\n\
             The seller has been told and will ask you for the rest. Do not pay this QR code again.",
            BillRef::of(&charge.bill_number)
        )
    );
    assert!(buttons.iter().all(Vec::is_empty));
    assert!(no_qr_in(&png));
    let c = wait_charge(&app, charge.id.0, |c| c.status == ChargeStatus::Underpaid).await;
    assert_eq!(c.paid_amount_minor, Some(400));
    let private = app
        .telegram
        .calls_of("editMessageMedia")
        .into_iter()
        .find(|e| e.chat_id() == Some(user.id) && e.succeeded())
        .unwrap();
    assert!(
        private.caption().unwrap().contains("Paid in part"),
        "{private:?}"
    );
    assert_eq!(
        private.inline_buttons(),
        vec![vec![(
            "➕ Charge the missing $1.00".to_owned(),
            format!("dif:{}:{}", c.id.0, c.bill_number)
        )]]
    );
}
