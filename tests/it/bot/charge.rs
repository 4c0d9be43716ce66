//! End to end: /charge against the fake Telegram Bot API and the Bakong sandbox. Happy paths
//! (USD, KHR, the ways sellers type amounts), every bad-input form, an unconfigured user,
//! Telegram refusing or losing the photo, and two merchants who cannot touch each other's
//! charges through forged button data.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::support::app::{TestApp, WAIT, decode_qr};
use crate::support::fake_telegram::{Failure, TgUser};
use khqr_bot::bot::phnom_penh_time;
use khqr_bot::khqr::{self, Currency};
use khqr_bot::store::{ChargeId, ChargeStatus};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Presses a button and returns the text of the callback answer.
async fn press(app: &TestApp, user: &TgUser, message_id: i32, data: &str) -> String {
    let query = app.telegram.press_button(user, message_id, data);
    let answer = app
        .telegram
        .wait_for(
            "answerCallbackQuery",
            |c| c.str_param("callback_query_id") == Some(query.as_str()),
            WAIT,
        )
        .await
        .unwrap();
    answer.str_param("text").unwrap_or_default().to_owned()
}

#[tokio::test]
async fn charge_usd_sends_one_scannable_card_and_stores_it_pending() {
    let app = TestApp::spawn().await;
    let user = app.seller(1001).await;
    let before = now_ms();
    let call = app.charge_photo(&user, "/charge 5 USD iced coffee").await;

    // Exactly one photo, no text besides.
    let photos = app.telegram.sent_photos(user.id);
    assert_eq!(photos.len(), 1);
    let photo = &photos[0];

    // The QR in the picture is a valid dynamic KHQR for what was asked.
    let payload = decode_qr(&photo.bytes);
    let qr = khqr::verify(&payload, now_ms()).unwrap();
    assert!(qr.is_dynamic());
    assert_eq!(qr.account_id(), "sokha@aclb");
    assert_eq!(qr.merchant_name(), "Sokha Coffee");
    assert_eq!(qr.merchant_city(), "Phnom Penh");
    assert_eq!(qr.currency(), Currency::Usd);
    let amount = qr.amount().unwrap();
    assert_eq!((amount.minor(), amount.currency()), (500, Currency::Usd));
    assert_eq!(qr.purpose(), Some("iced coffee"));
    let created = qr.created_at_ms().unwrap();
    let expires = qr.expires_at_ms().unwrap();
    assert!(created >= before - 1000 && created <= now_ms());
    assert_eq!(
        expires - created,
        600_000,
        "tag 99 expiry = now + CHARGE_TTL_SECS"
    );

    // Stored pending with the message that shows it, same payload and md5.
    let m = app.merchant(&user).await.unwrap();
    let charges = app.store.merchant_charges(m.id, 10).await.unwrap();
    assert_eq!(charges.len(), 1);
    let c = &charges[0];
    assert_eq!(c.status, ChargeStatus::Pending);
    assert_eq!(c.message_id, Some(photo.message_id));
    assert_eq!(c.chat_id, user.id);
    assert_eq!(c.khqr, payload);
    assert_eq!(c.md5, khqr::md5_hex(&payload));
    assert_eq!(Some(c.bill_number.as_str()), qr.bill_number());
    assert_eq!(
        (c.amount.minor(), c.amount.currency()),
        (500, Currency::Usd)
    );
    assert_eq!(c.note.as_deref(), Some("iced coffee"));
    assert_eq!(c.to_account_id, "sokha@aclb");
    assert_eq!(c.expires_at * 1000, expires as i64);
    let kinds: Vec<_> = app
        .store
        .charge_events(c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["charge_created"]);

    // Caption: amount, shop, the charge's reference and note on one line, expiry in Phnom
    // Penh time; buttons carry the charge id and its bill number.
    let caption = call.caption().unwrap();
    let time = phnom_penh_time(c.expires_at);
    let reference = khqr_bot::bot::charge::bill_ref::BillRef::of(&c.bill_number);
    assert_eq!(reference.as_str(), format!("#{}", &c.bill_number[8..]));
    let label = format!("🧾 {reference} · 📝 iced coffee");
    for part in [
        "$5.00",
        "Sokha Coffee",
        label.as_str(),
        time.as_str(),
        "Phnom Penh time",
    ] {
        assert!(caption.contains(part), "caption lacks {part}: {caption}");
    }
    let id = c.id.0;
    assert_eq!(
        photo.buttons,
        vec![
            vec![
                (
                    "🔄 Check now".to_owned(),
                    format!("chk:{id}:{}", c.bill_number)
                ),
                (
                    "✖️ Cancel".to_owned(),
                    format!("cxl:{id}:{}", c.bill_number)
                ),
            ],
            // Issue 12: "Send to customer" (switch_inline_query_chosen_chat, no callback data).
            vec![("📤 Send to customer".to_owned(), String::new())],
        ]
    );
}

#[tokio::test]
async fn charge_khr_and_the_ways_sellers_type_amounts() {
    let app = TestApp::spawn().await;
    let user = app.seller(1101).await;
    let cases: &[(&str, u64, Currency, &str)] = &[
        ("/charge 20000 KHR", 20_000, Currency::Khr, "20,000 ៛"),
        ("/charge 5,000 KHR rice", 5_000, Currency::Khr, "5,000 ៛"),
        ("/charge ៛5000", 5_000, Currency::Khr, "5,000 ៛"),
        ("/charge $5", 500, Currency::Usd, "$5.00"),
        ("/charge 5usd", 500, Currency::Usd, "$5.00"),
        ("/charge 12.5", 1_250, Currency::Usd, "$12.50"),
    ];
    for (i, (text, minor, currency, shown)) in cases.iter().enumerate() {
        let call = app.charge_photo(&user, text).await;
        let photos = app.telegram.sent_photos(user.id);
        assert_eq!(photos.len(), i + 1, "{text}: one photo per charge");
        let payload = decode_qr(&photos[i].bytes);
        let qr = khqr::verify(&payload, now_ms()).unwrap();
        let amount = qr.amount().unwrap();
        assert_eq!(
            (amount.minor(), amount.currency()),
            (*minor, *currency),
            "{text}"
        );
        assert_eq!(qr.currency(), *currency);
        assert_eq!(qr.account_id(), "sokha@aclb");
        assert!(qr.expires_at_ms().unwrap() > now_ms());
        assert!(
            call.caption().unwrap().contains(shown),
            "{text}: {:?}",
            call.caption()
        );
    }
    // Every charge has its own bill number and md5.
    let m = app.merchant(&user).await.unwrap();
    let charges = app.store.merchant_charges(m.id, 100).await.unwrap();
    assert_eq!(charges.len(), cases.len());
    let bills: std::collections::HashSet<_> =
        charges.iter().map(|c| c.bill_number.clone()).collect();
    let md5s: std::collections::HashSet<_> = charges.iter().map(|c| c.md5.clone()).collect();
    assert_eq!((bills.len(), md5s.len()), (cases.len(), cases.len()));
    assert!(charges.iter().all(|c| c.status == ChargeStatus::Pending));
}

#[tokio::test]
async fn khmer_merchant_gets_a_khmer_caption() {
    let app = TestApp::spawn().await;
    let user = TgUser::khmer(1201);
    app.setup_merchant(&user, "dara@wing", "ហាងដារ៉ា", "Battambang")
        .await;
    let call = app.charge_photo(&user, "/charge 10000 KHR").await;
    let caption = call.caption().unwrap();
    assert!(
        caption.contains("10,000 ៛") && caption.contains("ហាងដារ៉ា") && caption.contains("ម៉ោងភ្នំពេញ"),
        "{caption}"
    );
    let payload = decode_qr(&app.telegram.sent_photos(user.id)[0].bytes);
    assert_eq!(
        khqr::verify(&payload, now_ms()).unwrap().merchant_name(),
        "ហាងដារ៉ា"
    );
    let buttons = &app.telegram.sent_photos(user.id)[0].buttons;
    assert_eq!(buttons[0][0].0, "🔄 ពិនិត្យឥឡូវ");
}

#[tokio::test]
async fn every_bad_input_gets_a_reason_and_no_photo_and_nothing_stored() {
    let app = TestApp::spawn().await;
    let cases: &[(&str, &str)] = &[
        ("/charge", "Tell me how much"),
        ("/charge USD", "Tell me how much"),
        ("/charge abc", "is not an amount"),
        ("/charge 5kg rice", "is not an amount"),
        ("/charge -5", "must be more than zero"),
        ("/charge 0", "must be more than zero"),
        ("/charge 0.00 USD", "must be more than zero"),
        ("/charge 5.123 USD", "at most 2 decimals"),
        ("/charge 1.5 KHR", "whole numbers"),
        ("/charge 99999999 USD", "too large: at most $10,000.00"),
        ("/charge 50000000 KHR", "too large: at most 40,000,000 ៛"),
        ("/charge 5 EUR", "KHQR only takes USD and KHR, not EUR"),
        ("/charge €5", "not EUR"),
        ("/charge 5 THB coffee", "not THB"),
        ("/charge $5 KHR", "two currencies"),
        ("/charge 5,00", "commas only between groups of three digits"),
        (
            "/charge 5 USD this note is far too long for a card, whatever the QR can carry!",
            "too long: 64 characters, at most 60",
        ),
        ("/charge 5 USD a\u{202e}b", "cannot be shown"),
    ];
    // Telegram allows about 20 messages a minute in one chat (the bot throttles itself), so
    // the cases are spread over three merchants, each in their own chat.
    let runs = cases.chunks(6).enumerate().map(|(i, chunk)| {
        let app = &app;
        async move {
            let user = app.seller(1301 + i as i64).await;
            for (text, expected) in chunk {
                let reply = app.say(&user, text).await;
                assert!(
                    reply.contains(expected),
                    "{text:?} → {reply:?} (expected {expected:?})"
                );
            }
            assert!(app.telegram.sent_photos(user.id).is_empty());
        }
    });
    futures_util::future::join_all(runs).await;
    assert!(app.telegram.calls_of("sendPhoto").is_empty());
    assert_eq!(app.charge_count().await, 0);
}

#[tokio::test]
async fn unconfigured_user_is_sent_to_setup() {
    let app = TestApp::spawn().await;
    let user = TgUser::english(1401);
    let reply = app.say(&user, "/charge 5 USD").await;
    assert_eq!(reply, "Please set up your shop first: send /setup.");
    // Half-way through the wizard is still not configured.
    app.say(&user, "/setup").await;
    app.say(&user, "sokha@aclb").await;
    let reply = app.say(&user, "/charge 5").await;
    assert!(reply.contains("/setup"), "{reply}");
    let km = TgUser::khmer(1402);
    let reply = app.say(&km, "/charge 5").await;
    assert!(reply.contains("/setup") && reply.contains("សូម"), "{reply}");
    assert!(app.telegram.calls_of("sendPhoto").is_empty());
    assert_eq!(app.charge_count().await, 0);
}

#[tokio::test]
async fn telegram_refusing_the_photo_leaves_nothing_pending() {
    let app = TestApp::spawn().await;
    let user = app.seller(1501).await;
    app.telegram.fail_next(
        "sendPhoto",
        1,
        Failure::Api {
            code: 400,
            description: "Bad Request: PHOTO_INVALID_DIMENSIONS".into(),
        },
    );
    let reply = app.say(&user, "/charge 5 USD").await;
    assert!(
        reply.contains("could not send the QR code, so nothing was charged"),
        "{reply}"
    );
    assert_eq!(app.charge_count().await, 0, "no charge left behind");
    // The next attempt works normally.
    app.charge_photo(&user, "/charge 5 USD").await;
    assert_eq!(app.charge_count().await, 1);
}

#[tokio::test]
async fn a_lost_answer_keeps_the_charge_watched_without_a_message() {
    let app = TestApp::spawn().await;
    let user = app.seller(1601).await;
    // Telegram shows the photo but the answer never reaches the bot: the customer may pay
    // this QR, so the charge must stay watched (pending) rather than vanish.
    app.telegram
        .fail_next("sendPhoto", 1, Failure::ResponseLost);
    let reply = app.say(&user, "/charge 7 USD").await;
    assert!(reply.contains("did not confirm"), "{reply}");
    let m = app.merchant(&user).await.unwrap();
    let charges = app.store.merchant_charges(m.id, 10).await.unwrap();
    assert_eq!(charges.len(), 1);
    assert_eq!(
        (charges[0].status, charges[0].message_id),
        (ChargeStatus::Pending, None)
    );
    let payload = decode_qr(&app.telegram.sent_photos(user.id)[0].bytes);
    assert_eq!(
        khqr::md5_hex(&payload),
        charges[0].md5,
        "the shown QR is the one watched"
    );
}

#[tokio::test]
async fn merchants_only_act_on_their_own_charges() {
    let app = TestApp::spawn().await;
    let alice = app.seller(1701).await;
    let bob = TgUser::english(1702);
    app.setup_merchant(&bob, "bob@abaa", "Bob Noodles", "Kampot")
        .await;
    let stranger = TgUser::english(1703);

    app.charge_photo(&alice, "/charge 5 USD").await;
    let a = app.merchant(&alice).await.unwrap();
    let charge = app.store.merchant_charges(a.id, 1).await.unwrap().remove(0);
    let msg = charge.message_id.unwrap();
    let id = charge.id.0;

    // Bob forges Alice's charge id into button presses from his own chat.
    app.charge_photo(&bob, "/charge 1 USD").await;
    let bob_msg = app.telegram.sent_photos(bob.id)[0].message_id;
    assert_eq!(
        press(&app, &bob, bob_msg, &format!("cxl:{id}")).await,
        "This payment is not yours."
    );
    assert_eq!(
        press(&app, &bob, msg, &format!("chk:{id}")).await,
        "This payment is not yours."
    );
    assert_eq!(
        press(&app, &stranger, msg, &format!("cxl:{id}")).await,
        "This payment is not yours."
    );
    let still = app.store.charge(ChargeId(id)).await.unwrap().unwrap();
    assert_eq!(still.status, ChargeStatus::Pending);
    assert!(
        app.store
            .charge_outbox(ChargeId(id))
            .await
            .unwrap()
            .is_empty()
    );

    // Junk and unknown ids.
    assert_eq!(
        press(&app, &alice, msg, "cxl:999999").await,
        "I cannot find this payment."
    );
    assert_eq!(
        press(&app, &alice, msg, "rm -rf").await,
        "I cannot find this payment."
    );

    // A card made for another charge that had this id (a database restored from an older
    // backup gives ids again): its bill number is not this charge's, so it acts on nothing.
    for data in [
        format!("cxl:{id}:KB000000000000"),
        format!("chk:{id}:KB000000000000"),
    ] {
        assert_eq!(
            press(&app, &alice, msg, &data).await,
            "I cannot find this payment."
        );
    }
    let still = app.store.charge(ChargeId(id)).await.unwrap().unwrap();
    assert_eq!(still.status, ChargeStatus::Pending);

    // Alice checks (a button from before bill numbers were in them) and cancels (today's
    // button) her own, once.
    let check = press(&app, &alice, msg, &format!("chk:{id}")).await;
    assert!(
        check.starts_with("Not paid yet") && check.contains(&phnom_penh_time(charge.expires_at)),
        "{check}"
    );
    assert_eq!(
        press(
            &app,
            &alice,
            msg,
            &format!("cxl:{id}:{}", charge.bill_number)
        )
        .await,
        "Payment cancelled."
    );
    assert_eq!(
        press(&app, &alice, msg, &format!("cxl:{id}")).await,
        "This payment was already cancelled."
    );
    let cancelled = app.store.charge(ChargeId(id)).await.unwrap().unwrap();
    assert_eq!(cancelled.status, ChargeStatus::Cancelled);
    let outbox = app.store.charge_outbox(ChargeId(id)).await.unwrap();
    assert_eq!(outbox.len(), 1, "one follow-up edit queued for the watcher");

    // Bob's own charge is untouched by all this.
    let b = app.merchant(&bob).await.unwrap();
    let bobs = app.store.merchant_charges(b.id, 10).await.unwrap();
    assert_eq!(bobs.len(), 1);
    assert_eq!(bobs[0].status, ChargeStatus::Pending);
    // Every callback query (ten presses) was answered exactly once.
    assert_eq!(app.telegram.calls_of("answerCallbackQuery").len(), 10);
}

#[tokio::test]
async fn a_charge_interrupted_by_a_crash_is_watched_after_restart() {
    let mut app = TestApp::spawn().await;
    let user = app.seller(1801).await;
    let m = app.merchant(&user).await.unwrap();
    app.stop().await;

    // What a crash between "reserve" and "photo accepted" leaves behind.
    let store = khqr_bot::store::Store::open(app.db_url()).await.unwrap();
    let now = (now_ms() / 1000) as i64;
    // Left `creating` longer ago than any send takes (younger ones may be another
    // replica's send in progress, issue 16).
    let crashed_at = now - khqr_bot::watcher::scheduler::RECOVERY_GRACE_SECS - 60;
    let id = store
        .insert_creating_charge(&khqr_bot::store::NewCharge {
            merchant_id: m.id,
            chat_id: user.id,
            bill_number: "KBCRASHED0001".into(),
            khqr: "0002010102121234".into(),
            md5: "0123456789abcdef0123456789abcdef".into(),
            to_account_id: "sokha@aclb".into(),
            amount: khqr::Amount::from_minor(500, Currency::Usd).unwrap(),
            note: None,
            created_at: crashed_at,
            expires_at: now + 600,
        })
        .await
        .unwrap();
    store.close().await;

    app.start().await;
    let c = app.store.charge(id).await.unwrap().unwrap();
    assert_eq!((c.status, c.message_id), (ChargeStatus::Pending, None));
    let kinds: Vec<_> = app
        .store
        .charge_events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["charge_recovered"]);
}

/// `/currency` reads the same currency words as `/charge` (caller11: one currency-word parser).
#[tokio::test]
async fn currency_takes_the_words_charge_takes() {
    let app = TestApp::spawn().await;
    let user = app.seller(1911).await;
    let reply = app.say(&user, "/currency riels").await;
    assert!(reply.contains("KHR"), "{reply}");
    let m = app.merchant(&user).await.unwrap();
    assert_eq!(m.default_currency, Currency::Khr);
    let reply = app.say(&user, "/currency dollar").await;
    assert!(reply.contains("USD"), "{reply}");
    let m = app.merchant(&user).await.unwrap();
    assert_eq!(m.default_currency, Currency::Usd);
    let call = app.charge_photo(&user, "/charge 5 tea").await;
    assert!(
        call.caption().unwrap().contains("$5.00"),
        "{:?}",
        call.caption()
    );
    // Khmer words too; another currency's word is still refused and changes nothing.
    app.say(&user, "/currency រៀល").await;
    assert_eq!(
        app.merchant(&user).await.unwrap().default_currency,
        Currency::Khr
    );
    let reply = app.say(&user, "/currency euro").await;
    assert!(reply.contains("/currency KHR"), "{reply}");
    assert_eq!(
        app.merchant(&user).await.unwrap().default_currency,
        Currency::Khr
    );
}

#[tokio::test]
async fn default_currency_applies_when_none_is_written() {
    let app = TestApp::spawn().await;
    let user = app.seller(1901).await;
    assert!(
        app.say(&user, "/currency EUR")
            .await
            .contains("/currency KHR")
    );
    let reply = app.say(&user, "/currency khr").await;
    assert!(reply.contains("KHR"), "{reply}");
    let call = app.charge_photo(&user, "/charge 5000 noodles").await;
    assert!(
        call.caption().unwrap().contains("5,000 ៛"),
        "{:?}",
        call.caption()
    );
    let payload = decode_qr(&app.telegram.sent_photos(user.id)[0].bytes);
    let qr = khqr::verify(&payload, now_ms()).unwrap();
    assert_eq!(qr.currency(), Currency::Khr);
    assert_eq!(qr.amount().unwrap().minor(), 5000);
    assert_eq!(qr.purpose(), Some("noodles"));
    // An explicit currency still wins.
    app.charge_photo(&user, "/charge 2 USD").await;
    let payload = decode_qr(&app.telegram.sent_photos(user.id)[1].bytes);
    assert_eq!(
        khqr::verify(&payload, now_ms()).unwrap().currency(),
        Currency::Usd
    );
    let unconfigured = TgUser::english(1902);
    assert!(
        app.say(&unconfigured, "/currency KHR")
            .await
            .contains("/setup")
    );
}
