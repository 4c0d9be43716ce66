//! The card in a customer's chat (inline mode) is read by everyone there, often a group:
//! once paid it names neither the payer's account nor the transaction (the seller's private
//! card still does), and "Send to customer" chosen after the charge settled puts the status
//! card there, which cannot be scanned, never the live QR.

use std::time::Duration;

use crate::support::app::{TestApp, WAIT, no_qr_in};
use crate::support::fake_telegram::Call;
use khqr_bot::store::{Charge, ChargeId, ChargeStatus};

const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];
/// A group of the seller's customers (the bot is not in it).
const CUSTOMER_CHAT: i64 = -880_000_024;
const PAYER: &str = "payer.account@wing";

async fn wait_charge(app: &TestApp, id: ChargeId, pred: impl Fn(&Charge) -> bool) -> Charge {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(c) = app.store.charge(id).await.unwrap().filter(|c| pred(c)) {
            return c;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "charge {id} never got there"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

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

/// The card in the customer's chat: caption, whether it has buttons, photo file id.
fn customer_card(app: &TestApp, inline_id: &str) -> (String, bool, String) {
    let (chat, message) = app.telegram.inline_message(inline_id).unwrap();
    assert_eq!(chat, CUSTOMER_CHAT);
    let buttons = message.buttons.iter().any(|row| !row.is_empty());
    (
        message.caption.unwrap_or_default(),
        buttons,
        message.photo_file_id.unwrap(),
    )
}

#[tokio::test]
async fn a_paid_card_in_a_customers_chat_names_no_payer_and_no_transaction() {
    let mut app = TestApp::spawn_with(FAST).await;
    let user = app.seller(24_701).await;
    let qid = app.telegram.send_inline_query(&user, "5 USD tea", "group");
    let answer = app.telegram.wait_inline_answer(&qid, WAIT).await.unwrap();
    let result = &answer.results[0];
    let chosen = app
        .telegram
        .choose_inline_result(&user, &qid, &result.id, CUSTOMER_CHAT)
        .unwrap();
    let inline_id = chosen.inline_message_id.unwrap();
    let id = ChargeId(result.id[1..].parse().unwrap());
    let charge = wait_charge(&app, id, |c| {
        c.status == ChargeStatus::Pending && c.message_id.is_some()
    })
    .await;

    let since = app.telegram.call_count();
    app.pay_from(&charge.md5, "5", PAYER);
    inline_edit(&app, "editMessageMedia", &inline_id, since).await;
    let paid = wait_charge(&app, id, |c| c.status == ChargeStatus::Paid).await;
    let hash = paid.bakong_hash.clone().unwrap();
    let (caption, buttons, photo) = customer_card(&app, &inline_id);
    assert!(
        caption.contains("Paid $5.00") && caption.contains("Sokha Coffee"),
        "{caption}"
    );
    assert!(
        !caption.contains(PAYER),
        "the payer in the group: {caption}"
    );
    assert!(
        !caption.contains(&hash[..8]),
        "the hash in the group: {caption}"
    );
    assert!(!caption.contains("Ref"), "{caption}");
    assert!(!buttons);

    // The seller's private card keeps both, under the same picture.
    let private = app
        .telegram
        .chat(user.id)
        .into_iter()
        .find(|m| Some(m.message_id) == paid.message_id)
        .unwrap();
    let private_caption = private.caption.unwrap();
    assert!(
        private_caption.contains(PAYER) && private_caption.contains(&hash[..8]),
        "{private_caption}"
    );
    assert_eq!(private.photo_file_id.as_deref(), Some(photo.as_str()));
    app.stop().await;
}

#[tokio::test]
async fn send_to_customer_after_the_charge_settled_shows_the_status_card_not_the_qr() {
    let mut app = TestApp::spawn_with(FAST).await;
    let user = app.seller(24_711).await;
    app.charge_photo(&user, "/charge 6 USD tea").await;
    let m = app.merchant(&user).await.unwrap();
    let charge = app.store.merchant_charges(m.id, 1).await.unwrap().remove(0);

    // The picker offers the live card while the charge is open …
    let qid = app
        .telegram
        .send_inline_query(&user, &charge.bill_number, "group");
    let answer = app.telegram.wait_inline_answer(&qid, WAIT).await.unwrap();
    let result = answer.results[0].clone();
    assert_eq!(result.id, format!("s{}", charge.id.0));
    assert_eq!(result.kind, "photo");
    // … the customer pays (another copy) and the private card turns paid …
    let since = app.telegram.call_count();
    app.pay_from(&charge.md5, "6", PAYER);
    app.telegram
        .wait_for_since(
            since,
            "editMessageMedia",
            |c| c.message_id() == charge.message_id && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap();
    wait_charge(&app, charge.id, |c| c.status == ChargeStatus::Paid).await;

    // … and only then is the offered card chosen: the QR lands in the customer's chat.
    let since = app.telegram.call_count();
    let chosen = app
        .telegram
        .choose_inline_result(&user, &qid, &result.id, CUSTOMER_CHAT)
        .unwrap();
    let inline_id = chosen.inline_message_id.unwrap();
    let edit = inline_edit(&app, "editMessageMedia", &inline_id, since).await;
    assert!(edit.files.is_empty(), "an upload to an inline message");
    let (caption, buttons, photo) = customer_card(&app, &inline_id);
    let png = app.telegram.file(&photo).unwrap();
    assert!(
        no_qr_in(&png),
        "the live QR is still in the customer's chat"
    );
    assert!(caption.contains("Paid $6.00"), "{caption}");
    assert!(!caption.contains(PAYER), "{caption}");
    assert!(!buttons);
    // The upload that gave the status card its file id is gone from the seller's chat.
    let upload = app.telegram.sent_photos(user.id).pop().unwrap();
    assert_eq!(upload.file_id, photo);
    app.telegram
        .wait_for_since(
            since,
            "deleteMessage",
            |c| c.message_id() == Some(upload.message_id) && c.succeeded(),
            WAIT,
        )
        .await
        .unwrap();
    assert!(app.telegram.message(user.id, upload.message_id).is_none());
    // Still paid once; the charge never took the inline message.
    let paid = app.store.charge(charge.id).await.unwrap().unwrap();
    assert_eq!(paid.status, ChargeStatus::Paid);
    assert_eq!(paid.inline_message_id, None);
    app.stop().await;
}
