//! Issue 15 end to end: pay links. The real bot against the Telegram emulator and the
//! Bakong sandbox: `/link` gives a `t.me` URL and a poster that scans to it; buyers (any
//! Telegram user, no setup) open it with `/start <code>` and get their own live KHQR; the
//! seller hears of each payment once; limits hold when buyers race; paused, closed and
//! ended links create nothing; variable amounts are asked and checked like /charge, and
//! within an `any` link's bounds. A buyer holds one open QR per link (opening it again shows
//! that one); throwaway accounts cannot keep a limited link sold out; `/links` shows what
//! open QRs hold; `/link` options are read wherever they stand or refused with a hint.

use std::time::Duration;

use crate::support::app::{TestApp, WAIT, decode_qr};
use crate::support::fake_telegram::{Call, TgUser};
use crate::support::render::rxing_misreads;
use khqr_bot::bakong::sandbox::Payment;
use khqr_bot::bakong::{Currency as BakongCurrency, DecimalAmount};
use khqr_bot::store::{Charge, ChargeId, ChargeStatus};

const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];
/// `bot::links::buy::REQUEST_GAP_SECS`: one link request per buyer per this many seconds.
const REQUEST_GAP_SECS: i64 = 5;

/// `/link …` → the link's code, after checking the reply carries its exact t.me URL and
/// the poster that follows scans (rqrr and rxing, as a phone) to that URL.
async fn make_link(app: &TestApp, user: &TgUser, args: &str) -> String {
    let since = app.telegram.call_count();
    let reply = app.say(user, &format!("/link {args}")).await;
    let prefix = format!("https://t.me/{}?start=", app.telegram.bot_username());
    let start = reply.find(&prefix).unwrap_or_else(|| panic!("{reply}"));
    let url: String = reply[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let code = url[prefix.len()..].to_owned();
    assert_eq!(code.len(), 22, "{url}");
    assert!(
        code.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'),
        "{code}"
    );
    let poster = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(user.id), WAIT)
        .await
        .unwrap();
    let png = poster.file("photo").unwrap();
    assert_eq!(decode_qr(png), url);
    assert_eq!(rxing_misreads(png, &url), Vec::<String>::new());
    code
}

/// The buyer opens the link: the photo sent to them (their own chat), and its charge.
async fn open_link(app: &TestApp, buyer: &TgUser, code: &str) -> (Call, Charge) {
    let since = app.telegram.call_count();
    app.telegram.send_text(buyer, &format!("/start {code}"));
    let photo = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(buyer.id), WAIT)
        .await
        .unwrap();
    app.wait_no_creating_charges().await;
    let charge = charge_shown(app, &photo).await;
    (photo, charge)
}

/// The charge whose QR the photo shows.
async fn charge_shown(app: &TestApp, photo: &Call) -> Charge {
    charge_in(app, photo.file("photo").unwrap()).await
}

/// The charge whose QR the PNG shows.
async fn charge_in(app: &TestApp, png: &[u8]) -> Charge {
    let khqr = decode_qr(png);
    let md5 = khqr_bot::khqr::md5_hex(&khqr);
    let id: i64 = sqlx::query_scalar("SELECT id FROM charges WHERE md5 = $1")
        .bind(&md5)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    app.store.charge(ChargeId(id)).await.unwrap().unwrap()
}

fn texts_containing(app: &TestApp, chat: i64, word: &str) -> usize {
    app.telegram
        .sent_texts(chat)
        .iter()
        .filter(|t| t.contains(word))
        .count()
}

async fn button_answer(app: &TestApp, callback_id: &str) -> String {
    app.telegram
        .wait_for(
            "answerCallbackQuery",
            |c| c.str_param("callback_query_id") == Some(callback_id),
            WAIT,
        )
        .await
        .unwrap()
        .str_param("text")
        .unwrap_or_default()
        .to_owned()
}

async fn link_charges(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM link_charges")
        .fetch_one(app.store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_link_bought_by_two_buyers_is_paid_twice_and_the_seller_told_twice() {
    let app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5101).await;
    let code = make_link(&app, &shop, "5 USD iced coffee max 20").await;
    let seller_row = app.merchant(&shop).await.unwrap();

    let dara = TgUser::new(5201, "Dara").with_language("km");
    let john = TgUser::new(5202, "John").with_language("en");
    let (dara_photo, dara_charge) = open_link(&app, &dara, &code).await;
    let (john_photo, john_charge) = open_link(&app, &john, &code).await;

    // Each buyer got their own fresh QR of the seller's, in their own chat and language.
    for (buyer, photo, charge) in [
        (&dara, &dara_photo, &dara_charge),
        (&john, &john_photo, &john_charge),
    ] {
        assert_eq!(charge.merchant_id, seller_row.id);
        assert_eq!(charge.chat_id, buyer.id);
        let shown = app.telegram.sent_photos(buyer.id);
        assert_eq!(shown.len(), 1);
        assert_eq!(charge.message_id, Some(shown[0].message_id));
        assert_eq!(charge.status, ChargeStatus::Pending);
        assert_eq!(charge.amount.minor(), 500);
        assert_eq!(charge.note.as_deref(), Some("iced coffee"));
        let caption = photo.caption().unwrap();
        assert!(
            caption.contains("$5.00") && caption.contains("Sokha Coffee"),
            "{caption}"
        );
        // Their one button: check. Never the seller's Cancel or "Send to customer".
        let buttons = photo.inline_buttons();
        assert_eq!(buttons.len(), 1, "{buttons:?}");
        assert_eq!(buttons[0].len(), 1, "{buttons:?}");
        assert_eq!(
            buttons[0][0].1,
            format!("chk:{}:{}", charge.id.0, charge.bill_number)
        );
    }
    assert_ne!(dara_charge.md5, john_charge.md5);
    let greeting = app.telegram.sent_texts(dara.id).join("\n");
    assert!(greeting.contains("សួស្ដី Dara"), "{greeting}");
    assert!(
        app.telegram
            .sent_texts(john.id)
            .join("\n")
            .contains("Hello John"),
    );
    // The seller's chat got nothing of the buyers' QRs.
    assert_eq!(
        app.telegram.sent_photos(shop.id).len(),
        1,
        "the poster only"
    );

    let since = app.telegram.call_count();
    app.pay_from(&dara_charge.md5, "5", "dara@wing");
    app.edited_to(dara.id, dara_charge.message_id.unwrap(), since, "បាន")
        .await;
    let sale = app.message_containing(shop.id, since, "Dara paid").await;
    assert!(
        sale.contains("$5.00") && sale.contains("iced coffee") && sale.contains("dara@wing"),
        "{sale}"
    );
    let since = app.telegram.call_count();
    app.pay_from(&john_charge.md5, "5", "john@aclb");
    app.edited_to(john.id, john_charge.message_id.unwrap(), since, "Paid")
        .await;
    app.message_containing(shop.id, since, "John paid").await;
    app.wait_status(dara_charge.id, ChargeStatus::Paid).await;
    app.wait_status(john_charge.id, ChargeStatus::Paid).await;

    // Told exactly once each, even after more rounds.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(texts_containing(&app, shop.id, "Dara paid"), 1);
    assert_eq!(texts_containing(&app, shop.id, "John paid"), 1);
    // The buyers were not sent the seller's notices.
    assert_eq!(texts_containing(&app, dara.id, "paid"), 0);

    let history = app.say_or_caption(&shop, "/history").await;
    assert!(
        history.contains("USD: $10.00 received · 2 payment(s)"),
        "{history}"
    );
    let links = app.say(&shop, "/links").await;
    assert!(links.contains("2 of 20 sold"), "{links}");
    assert!(links.contains("$10.00 received"), "{links}");
}

#[tokio::test]
async fn five_buyers_racing_for_the_last_two_units_get_two_qrs() {
    let app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5102).await;
    let code = make_link(&app, &shop, "3 USD cake max 3").await;
    // One unit sold already.
    let first = TgUser::new(5300, "First").with_language("en");
    let (_, sold) = open_link(&app, &first, &code).await;
    app.pay_from(&sold.md5, "3", "first@wing");
    app.wait_status(sold.id, ChargeStatus::Paid).await;

    let buyers: Vec<TgUser> = (1..=5)
        .map(|i| TgUser::new(5300 + i, format!("Racer{i}")).with_language("en"))
        .collect();
    let since = app.telegram.call_count();
    // All five at once: the bot handles the chats concurrently.
    for buyer in &buyers {
        app.telegram.send_text(buyer, &format!("/start {code}"));
    }
    // Every buyer gets an answer: a QR or "sold out".
    let deadline = tokio::time::Instant::now() + WAIT;
    let (mut photos, mut refused);
    loop {
        let calls = app.telegram.calls();
        let after = &calls[since.min(calls.len())..];
        photos = buyers
            .iter()
            .filter(|b| {
                after
                    .iter()
                    .any(|c| c.is("sendPhoto") && c.chat_id() == Some(b.id) && c.succeeded())
            })
            .count();
        refused = buyers
            .iter()
            .filter(|b| {
                after.iter().any(|c| {
                    c.is("sendMessage")
                        && c.chat_id() == Some(b.id)
                        && c.text().is_some_and(|t| t.contains("Sold out"))
                })
            })
            .count();
        if photos + refused == buyers.len() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{photos} QRs, {refused} sold out"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.wait_no_creating_charges().await;
    assert_eq!((photos, refused), (2, 3));
    assert_eq!(link_charges(&app).await, 3);
    assert_eq!(app.charge_count().await, 3);
}

#[tokio::test]
async fn an_expired_qr_is_renewed_by_its_buyer_only_and_a_late_payment_is_reported() {
    let app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5103).await;
    let code = make_link(&app, &shop, "2 USD tea max 1").await;
    let buyer = TgUser::new(5401, "Sophea").with_language("en");
    let other = TgUser::new(5402, "Other").with_language("en");
    let (_, charge) = open_link(&app, &buyer, &code).await;
    let message = charge.message_id.unwrap();

    // The only unit is held: another buyer is told to come back.
    let answer = app.say(&other, &format!("/start {code}")).await;
    assert!(answer.contains("Sold out for now"), "{answer}");

    sqlx::query("UPDATE charges SET expires_at = created_at + 1 WHERE id = $1")
        .bind(charge.id.0)
        .execute(app.store.pool())
        .await
        .unwrap();
    let since = app.telegram.call_count();
    let edit = app.edited_to(buyer.id, message, since, "Expired").await;
    let expired = app.wait_status(charge.id, ChargeStatus::Expired).await;
    let buttons = edit.inline_buttons();
    assert_eq!(buttons.len(), 1, "{buttons:?}");
    let new_qr = buttons[0][0].1.clone();
    assert_eq!(new_qr, format!("lnq:{}", charge.id.0));

    // Someone else cannot use it.
    let press = app.telegram.press_button(&other, message, &new_qr);
    assert!(button_answer(&app, &press).await.contains("not yours"));
    // The buyer can (after the per-buyer gap).
    app.advance_clock(REQUEST_GAP_SECS);
    let since = app.telegram.call_count();
    let press = app.telegram.press_button(&buyer, message, &new_qr);
    let fresh = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(buyer.id), WAIT)
        .await
        .unwrap();
    assert!(button_answer(&app, &press).await.contains("new QR"));
    app.wait_no_creating_charges().await;
    let renewed = charge_shown(&app, &fresh).await;
    assert_ne!(renewed.id, charge.id);
    assert_eq!(renewed.chat_id, buyer.id);
    assert_eq!(renewed.amount, charge.amount);

    // The renewed QR is paid, and then the expired one too (late): money is never refused;
    // the seller hears it came late and beyond the limit of 1.
    let since = app.telegram.call_count();
    app.pay_from(&renewed.md5, "2", "sophea@wing");
    app.message_containing(shop.id, since, "Sophea paid").await;
    let since = app.telegram.call_count();
    let mut late = Payment::new(
        &DecimalAmount::parse("2").unwrap(),
        BakongCurrency::Usd,
        "sokha@aclb",
    );
    late.from_account_id = Some("sophea@wing".into());
    late.created_date_ms = Some(u64::try_from(expired.expires_at + 20).unwrap() * 1000);
    app.bakong.pay(&charge.md5, late).unwrap();
    let sale = app.message_containing(shop.id, since, "Sophea paid").await;
    assert!(sale.contains("after the QR code had expired"), "{sale}");
    assert!(sale.contains("beyond the link's limit"), "{sale}");
    app.edited_to(buyer.id, message, since, "Paid").await;
    // One message for the late payment (no second "paid late" notice), to the seller only.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(texts_containing(&app, shop.id, "Sophea paid"), 2);
    assert_eq!(texts_containing(&app, buyer.id, "Sophea paid"), 0);
    let history = app.say_or_caption(&shop, "/history").await;
    assert!(
        history.contains("USD: $4.00 received · 2 payment(s)"),
        "{history}"
    );
}

#[tokio::test]
async fn paused_closed_and_ended_links_create_nothing_and_only_the_owner_manages_them() {
    let app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5104).await;
    let code = make_link(&app, &shop, "1 USD water").await;
    let buyer = TgUser::new(5501, "Buyer").with_language("en");

    let since = app.telegram.call_count();
    app.telegram.send_text(&shop, "/links");
    let list = app.next_text(&shop, since).await;
    assert!(list.text().unwrap().contains("selling"), "{list:?}");
    let buttons = list.inline_buttons();
    let pause = buttons[0][0].1.clone();
    let close = buttons[0][1].1.clone();
    // sendMessage carries no message id; the list is the last message of the chat.
    let list_id = app.telegram.chat(shop.id).last().unwrap().message_id;

    // Not the owner: refused, nothing changes.
    let stranger = app.seller(5105).await;
    let press = app.telegram.press_button(&stranger, list_id, &pause);
    assert!(button_answer(&app, &press).await.contains("not yours"));
    let press = app.telegram.press_button(&buyer, list_id, &close);
    assert!(button_answer(&app, &press).await.contains("not yours"));

    let press = app.telegram.press_button(&shop, list_id, &pause);
    assert!(button_answer(&app, &press).await.contains("paused"));
    assert!(
        app.say(&buyer, &format!("/start {code}"))
            .await
            .contains("paused")
    );

    let press = app.telegram.press_button(&shop, list_id, &close);
    assert!(button_answer(&app, &press).await.contains("closed"));
    assert!(
        app.say(&buyer, &format!("/start {code}"))
            .await
            .contains("closed")
    );
    // Closed is final.
    let resume = pause.replace(":p", ":r");
    let press = app.telegram.press_button(&shop, list_id, &resume);
    assert!(
        button_answer(&app, &press)
            .await
            .contains("Nothing changed")
    );

    // A link until today ends at Phnom Penh midnight.
    let today = khqr_bot::time::LocalDate::at(app.clock_now());
    let ending = make_link(&app, &shop, &format!("1 USD water until {today}")).await;
    app.set_clock(today.end());
    let said = app.say(&buyer, &format!("/start {ending}")).await;
    assert!(said.contains(&format!("ended on {today}")), "{said}");
    // An unknown code is said so.
    let said = app.say(&buyer, "/start AAAAAAAAAAAAAAAAAAAAAA").await;
    assert!(said.contains("does not exist"), "{said}");

    assert_eq!(app.charge_count().await, 0);
    assert!(app.telegram.sent_photos(buyer.id).is_empty());
}

#[tokio::test]
async fn a_variable_amount_is_asked_and_checked_like_charge() {
    let app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5106).await;
    let code = make_link(&app, &shop, "any USD donation").await;
    let buyer = TgUser::new(5601, "Giver").with_language("en");
    let since = app.telegram.call_count();
    app.telegram.send_text(&buyer, &format!("/start {code}"));
    let asked = app.message_containing(buyer.id, since, "How much").await;
    assert!(asked.contains("USD"), "{asked}");

    for (bad, reason) in [
        ("abc", "abc"),
        ("-3", "more than zero"),
        ("5.123", "decimals"),
        ("5 EUR", "EUR"),
        ("20000 KHR", "USD only"),
    ] {
        let said = app.say(&buyer, bad).await;
        assert!(said.contains(reason), "{bad}: {said}");
    }
    assert_eq!(app.charge_count().await, 0);

    let since = app.telegram.call_count();
    app.telegram.send_text(&buyer, "7.50");
    let photo = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(buyer.id), WAIT)
        .await
        .unwrap();
    app.wait_no_creating_charges().await;
    let charge = charge_shown(&app, &photo).await;
    assert_eq!(charge.amount.minor(), 750);
    assert_eq!(charge.note.as_deref(), Some("donation"));
    assert!(photo.caption().unwrap().contains("$7.50"));
    // The question is over: another message is not an amount.
    let said = app.say(&buyer, "9").await;
    assert!(!said.contains("How much"), "{said}");
    assert_eq!(app.charge_count().await, 1);
}

#[tokio::test]
async fn a_buyer_checks_their_own_qr_and_never_acts_on_anothers() {
    let app = TestApp::spawn_with(&[("POLL_INTERVAL_SECS", "30")]).await;
    let shop = app.seller(5107).await;
    let code = make_link(&app, &shop, "4 USD noodles").await;
    let a = TgUser::new(5701, "Alpha").with_language("en");
    let b = TgUser::new(5702, "Bravo").with_language("en");
    let (a_photo, a_charge) = open_link(&app, &a, &code).await;
    let (b_photo, _) = open_link(&app, &b, &code).await;
    // Neither chat shows the other's QR.
    let a_qr = decode_qr(a_photo.file("photo").unwrap());
    let b_qr = decode_qr(b_photo.file("photo").unwrap());
    assert_ne!(a_qr, b_qr);
    for photo in app.telegram.sent_photos(b.id) {
        assert_ne!(decode_qr(&photo.bytes), a_qr);
    }

    let a_message = a_charge.message_id.unwrap();
    let check = format!("chk:{}", a_charge.id.0);
    // Bravo forging Alpha's buttons: refused.
    for data in [check.clone(), format!("cxl:{}", a_charge.id.0)] {
        let press = app.telegram.press_button(&b, a_message, &data);
        assert!(
            button_answer(&app, &press).await.contains("not yours"),
            "{data}"
        );
    }
    // Alpha cannot cancel (only the seller may); checking asks Bakong, rate-limited.
    let press = app
        .telegram
        .press_button(&a, a_message, &format!("cxl:{}", a_charge.id.0));
    assert!(
        button_answer(&app, &press)
            .await
            .contains("Only the seller")
    );
    let press = app.telegram.press_button(&a, a_message, &check);
    assert!(button_answer(&app, &press).await.contains("Not paid yet"));
    let press = app.telegram.press_button(&a, a_message, &check);
    assert!(button_answer(&app, &press).await.contains("Just checked"));
    // Paid: the next check (after the gap) finds it at once.
    app.pay_from(&a_charge.md5, "4", "alpha@wing");
    app.advance_clock(11);
    let press = app.telegram.press_button(&a, a_message, &check);
    let said = button_answer(&app, &press).await;
    assert!(said.contains("Paid") || said.contains("received"), "{said}");
    app.wait_status(a_charge.id, ChargeStatus::Paid).await;
    assert_eq!(
        app.store.charge(a_charge.id).await.unwrap().unwrap().status,
        ChargeStatus::Paid
    );
    // The seller's own commands still work and see the buyers' charges.
    let pending = app.say(&shop, "/pending").await;
    assert!(pending.contains("$4.00"), "{pending}");
}

/// The photos in `chat` as the person sees it (deleted ones gone): `(message id, file id)`.
fn photos_in_chat(app: &TestApp, chat: i64) -> Vec<(i32, String)> {
    app.telegram
        .chat(chat)
        .into_iter()
        .filter_map(|m| Some((m.message_id, m.photo_file_id?)))
        .collect()
}

#[tokio::test]
async fn opening_a_link_again_shows_the_same_qr_and_it_is_the_card_that_turns_paid() {
    let app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5108).await;
    let code = make_link(&app, &shop, "1 USD gum").await;
    let buyer = TgUser::new(5801, "Again").with_language("en");
    let (first_photo, charge) = open_link(&app, &buyer, &code).await;
    let first = app.telegram.sent_photos(buyer.id)[0].clone();
    assert_eq!(charge.message_id, Some(first.message_id));
    assert_eq!(charge.card_file_id.as_deref(), Some(first.file_id.as_str()));
    let qr = decode_qr(first_photo.file("photo").unwrap());

    // Too soon after the first request: slowed down, nothing sent.
    let said = app.say(&buyer, &format!("/start {code}")).await;
    assert!(said.contains("One moment"), "{said}");
    assert_eq!(app.telegram.sent_photos(buyer.id).len(), 1);

    // Later: the same QR again (the same charge, by its file_id), at the bottom of the chat;
    // the old card is gone, so one card shows it.
    app.advance_clock(REQUEST_GAP_SECS);
    let since = app.telegram.call_count();
    app.telegram.send_text(&buyer, &format!("/start {code}"));
    let again = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(buyer.id), WAIT)
        .await
        .unwrap();
    let said = app
        .message_containing(buyer.id, since, "here it is again")
        .await;
    assert!(said.contains("valid until"), "{said}");
    assert_eq!(again.str_param("photo"), Some(first.file_id.as_str()));
    let shown = app.telegram.sent_photos(buyer.id);
    assert_eq!(shown.len(), 2);
    assert_eq!(decode_qr(&shown[1].bytes), qr);
    assert_eq!(shown[1].buttons, first.buttons);
    assert_eq!(shown[1].caption, first.caption);
    let deadline = tokio::time::Instant::now() + WAIT;
    while photos_in_chat(&app, buyer.id) != vec![(shown[1].message_id, first.file_id.clone())] {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            photos_in_chat(&app, buyer.id)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.charge_count().await, 1);
    assert_eq!(link_charges(&app).await, 1);
    let moved = app.store.charge(charge.id).await.unwrap().unwrap();
    assert_eq!(moved.message_id, Some(shown[1].message_id));
    assert_eq!(moved.status, ChargeStatus::Pending);

    // Paid: the card the buyer now sees turns paid; the seller is told once.
    let since = app.telegram.call_count();
    app.pay_from(&charge.md5, "1", "again@wing");
    app.edited_to(buyer.id, shown[1].message_id, since, "Paid")
        .await;
    app.message_containing(shop.id, since, "Again paid").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(texts_containing(&app, shop.id, "Again paid"), 1);
    // Paid, so the next /start makes a fresh QR.
    app.advance_clock(REQUEST_GAP_SECS);
    let (_, next) = open_link(&app, &buyer, &code).await;
    assert_ne!(next.id, charge.id);
}

#[tokio::test]
async fn new_qr_on_an_expired_card_shows_the_qr_still_open_instead_of_a_second() {
    let app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5111).await;
    let code = make_link(&app, &shop, "1 USD gum").await;
    let buyer = TgUser::new(5811, "Twice").with_language("km");
    let (_, old) = open_link(&app, &buyer, &code).await;
    // Counted before the expiry: the edit may go out before the status is seen expired.
    let since = app.telegram.call_count();
    expire_now(&app, old.id).await;
    let edit = app
        .edited_to(buyer.id, old.message_id.unwrap(), since, "ផុតកំណត់")
        .await;
    let new_qr = edit.inline_buttons()[0][0].1.clone();
    // A fresh QR from the link itself …
    app.advance_clock(REQUEST_GAP_SECS);
    let (_, open) = open_link(&app, &buyer, &code).await;
    // … then "New QR" on the expired card: that open one again, nothing new.
    app.advance_clock(REQUEST_GAP_SECS);
    let since = app.telegram.call_count();
    let press = app
        .telegram
        .press_button(&buyer, old.message_id.unwrap(), &new_qr);
    app.telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(buyer.id), WAIT)
        .await
        .unwrap();
    assert!(button_answer(&app, &press).await.contains("នៅតែបើក"));
    let again = app.telegram.sent_photos(buyer.id).pop().unwrap();
    assert_eq!(charge_in(&app, &again.bytes).await.id, open.id);
    assert_eq!(app.charge_count().await, 2);
}

/// Makes charge `id` expire now (the watcher then settles it as expired).
async fn expire_now(app: &TestApp, id: ChargeId) {
    sqlx::query("UPDATE charges SET expires_at = created_at + 1 WHERE id = $1")
        .bind(id.0)
        .execute(app.store.pool())
        .await
        .unwrap();
    app.wait_status(id, ChargeStatus::Expired).await;
}

/// `buyer` opens the link after the per-buyer gap; the text they got if no QR came.
async fn try_open(app: &TestApp, buyer: &TgUser, code: &str) -> Result<Charge, String> {
    app.advance_clock(REQUEST_GAP_SECS);
    let since = app.telegram.call_count();
    app.telegram.send_text(buyer, &format!("/start {code}"));
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let calls = app.telegram.calls();
        let to_buyer = || {
            calls
                .iter()
                .skip(since)
                .filter(|c| c.chat_id() == Some(buyer.id) && c.succeeded())
        };
        if let Some(photo) = to_buyer().find(|c| c.is("sendPhoto")) {
            app.wait_no_creating_charges().await;
            return Ok(charge_shown(app, photo).await);
        }
        // Refusals come without a greeting first.
        if let Some(text) = to_buyer()
            .filter_map(|c| c.text())
            .find(|t| !t.contains("Hello"))
        {
            return Err(text.to_owned());
        }
        assert!(tokio::time::Instant::now() < deadline, "no answer");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn three_throwaway_buyers_cannot_keep_a_limited_link_sold_out() {
    let app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5112).await;
    let code = make_link(&app, &shop, "2 USD cake max 2").await;
    let [a, b, c] =
        [5821, 5822, 5823].map(|id| TgUser::new(id, format!("Hoarder{id}")).with_language("en"));
    let honest = TgUser::new(5824, "Honest").with_language("en");

    // Round 1: A and B hold both units; C is told "sold out for now".
    let a1 = try_open(&app, &a, &code).await.unwrap();
    let b1 = try_open(&app, &b, &code).await.unwrap();
    // A QR of a limited link holds its unit 5 minutes (CHARGE_TTL_SECS is 10 here).
    assert_eq!(a1.expires_at - a1.created_at, 300);
    let said = try_open(&app, &c, &code).await.unwrap_err();
    assert!(said.contains("Sold out for now"), "{said}");
    // /links shows what the open QRs hold, and until when.
    let links = app.say(&shop, "/links").await;
    let until = khqr_bot::time::phnom_penh_time(a1.expires_at.max(b1.expires_at));
    assert!(
        links.contains(&format!("held by open QR codes: 2, until {until}")),
        "{links}"
    );
    assert!(links.contains("0 of 2 sold"), "{links}");

    // Round 2: both lapse; A and B take their second QR at once.
    expire_now(&app, a1.id).await;
    expire_now(&app, b1.id).await;
    let a2 = try_open(&app, &a, &code).await.unwrap();
    let b2 = try_open(&app, &b, &code).await.unwrap();
    assert!(
        try_open(&app, &c, &code)
            .await
            .unwrap_err()
            .contains("Sold out for now")
    );

    // Round 3: lapsed again. A and B have had their two unpaid QRs for half an hour; C and
    // an honest buyer get the units.
    expire_now(&app, a2.id).await;
    expire_now(&app, b2.id).await;
    let retry = khqr_bot::time::phnom_penh_time(a1.created_at + 30 * 60);
    for hoarder in [&a, &b] {
        let said = try_open(&app, hoarder, &code).await.unwrap_err();
        assert!(said.contains("ran out without a payment"), "{said}");
    }
    let said = try_open(&app, &a, &code).await.unwrap_err();
    assert!(said.contains(&format!("new one from {retry}")), "{said}");
    let c1 = try_open(&app, &c, &code).await.unwrap();
    let h1 = try_open(&app, &honest, &code).await.unwrap();
    assert_ne!(c1.id, h1.id);
    let links = app.say(&shop, "/links").await;
    assert!(links.contains("held by open QR codes: 2"), "{links}");
    // The honest buyer pays: one sold, one held.
    app.pay_from(&h1.md5, "2", "honest@wing");
    app.wait_status(h1.id, ChargeStatus::Paid).await;
    let links = app.say(&shop, "/links").await;
    assert!(links.contains("1 of 2 sold"), "{links}");
    assert!(links.contains("held by open QR codes: 1"), "{links}");
    assert_eq!(link_charges(&app).await, 6);
}

#[tokio::test]
async fn an_any_link_with_bounds_refuses_amounts_outside_them_in_the_buyers_language() {
    let app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5113).await;
    // A bare `max 50` could mean uses or dollars here: refused with both spellings.
    let said = app.say(&shop, "/link any USD min 1 max 50 donation").await;
    assert!(
        said.contains("max 50 USD") && said.contains("uses 50"),
        "{said}"
    );
    let code = make_link(&app, &shop, "any USD min 1 max 50 USD donation").await;
    let links = app.say(&shop, "/links").await;
    assert!(
        links.contains("any amount in USD from $1.00 to $50.00"),
        "{links}"
    );

    let km = TgUser::new(5831, "Dara").with_language("km");
    let since = app.telegram.call_count();
    app.telegram.send_text(&km, &format!("/start {code}"));
    let asked = app.message_containing(km.id, since, "ប៉ុន្មាន").await;
    assert!(asked.contains("ពី $1.00 ដល់ $50.00"), "{asked}");
    for bad in ["0.99", "50.01", "1000"] {
        let said = app.say(&km, bad).await;
        assert!(
            said.contains("តំណនេះទទួលចំនួនទឹកប្រាក់ ពី $1.00 ដល់ $50.00"),
            "{bad}: {said}"
        );
    }
    let en = TgUser::new(5832, "John").with_language("en");
    app.advance_clock(REQUEST_GAP_SECS);
    let since = app.telegram.call_count();
    app.telegram.send_text(&en, &format!("/start {code}"));
    app.message_containing(en.id, since, "How much").await;
    let said = app.say(&en, "0.50").await;
    assert!(
        said.contains("This link takes amounts from $1.00 to $50.00"),
        "{said}"
    );
    assert_eq!(app.charge_count().await, 0);

    // The bounds themselves are fine.
    for (buyer, amount, minor) in [(&km, "50", 5000), (&en, "1", 100)] {
        let since = app.telegram.call_count();
        app.telegram.send_text(buyer, amount);
        let photo = app
            .telegram
            .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(buyer.id), WAIT)
            .await
            .unwrap();
        app.wait_no_creating_charges().await;
        assert_eq!(charge_shown(&app, &photo).await.amount.minor(), minor);
    }
}

#[tokio::test]
async fn link_options_are_read_wherever_they_stand_or_refused_with_a_hint() {
    let app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5114).await;
    let code = make_link(&app, &shop, "1.5 USD max 2 cake").await;
    let link = app
        .store
        .link_by_code(&khqr_bot::store::LinkCode::parse(&code).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.max_uses, Some(2));
    assert_eq!(link.note.as_deref(), Some("cake"));
    let links = app.say(&shop, "/links").await;
    assert!(
        links.contains("$1.50 · cake · at most 2 sold") && links.contains("0 of 2 sold"),
        "{links}"
    );
    for (line, why) in [
        (
            "/link 5 USD cake max two",
            "\"two\" is not a number of uses",
        ),
        (
            "/link 5 USD 10 min massage",
            "only for links where the buyer types",
        ),
        ("/link 1.5 USD max 2 max 3 cake", "\"max\" is there twice"),
        ("/link 5 USD cake until", "\"until\" needs a value"),
    ] {
        let said = app.say(&shop, line).await;
        assert!(said.contains(why), "{line}: {said}");
        assert!(
            said.contains("cannot be part of the item's name"),
            "{line}: {said}"
        );
    }
    let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pay_links")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn a_link_code_sent_in_a_group_is_only_the_welcome() {
    let app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5109).await;
    let code = make_link(&app, &shop, "1 USD gum").await;
    let buyer = TgUser::new(5901, "Grouped").with_language("en");
    const GROUP: i64 = -1_005_550_001;
    let since = app.telegram.call_count();
    app.telegram
        .send_group_text(&buyer, GROUP, &format!("/start {code}"));
    app.message_containing(GROUP, since, "Hello").await;
    app.wait_no_creating_charges().await;
    assert_eq!(app.charge_count().await, 0);
    assert!(app.telegram.sent_photos(buyer.id).is_empty());
}

#[tokio::test]
async fn a_link_charge_survives_a_restart_and_is_paid_in_the_buyers_chat() {
    let mut app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(5110).await;
    let code = make_link(&app, &shop, "6 USD soup max 5").await;
    let buyer = TgUser::new(5951, "Restart").with_language("en");
    let (_, charge) = open_link(&app, &buyer, &code).await;
    app.stop().await;
    app.start().await;

    let since = app.telegram.call_count();
    app.pay_from(&charge.md5, "6", "restart@wing");
    app.edited_to(buyer.id, charge.message_id.unwrap(), since, "Paid")
        .await;
    let sale = app.message_containing(shop.id, since, "Restart paid").await;
    assert!(sale.contains("$6.00") && sale.contains("soup"), "{sale}");
    let links = app.say(&shop, "/links").await;
    assert!(links.contains("1 of 5 sold"), "{links}");
}
