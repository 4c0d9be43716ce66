//! Text from strangers, end to end: a pay-link buyer named with a right-to-left override is
//! shown as written (the exact text the emulator received), a right-to-left name is isolated,
//! /setup refuses shop names and cities that carry bidirectional controls, and `/export`'s
//! CSV neutralises a note that a spreadsheet would run as a formula while the XLSX keeps it
//! as a string.

use std::io::Cursor;
use std::time::Duration;

use calamine::{Data, Reader, Xlsx};

use crate::support::app::{TestApp, WAIT, decode_qr};
use crate::support::fake_telegram::{Call, TgUser};
use khqr_bot::bakong::sandbox::Payment;
use khqr_bot::bakong::{Currency as BakongCurrency, DecimalAmount};
use khqr_bot::bot::charge::bill_ref::BillRef;
use khqr_bot::store::{Charge, ChargeId, ChargeStatus};
use khqr_bot::time::phnom_penh_date_time;

const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];
/// U+202E RIGHT-TO-LEFT OVERRIDE, then the words reversed: reads "✅ paid $500.00".
const SPOOF: &str = "\u{202E}00.005$ diap ✅";

/// `/link …` → the link's code.
async fn make_link(app: &TestApp, user: &TgUser, args: &str) -> String {
    let reply = app.say(user, &format!("/link {args}")).await;
    let prefix = format!("https://t.me/{}?start=", app.telegram.bot_username());
    let start = reply.find(&prefix).unwrap_or_else(|| panic!("{reply}"));
    reply[start + prefix.len()..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

async fn charge_shown(app: &TestApp, photo: &Call) -> Charge {
    let md5 = khqr_bot::khqr::md5_hex(&decode_qr(photo.file("photo").unwrap()));
    let id: i64 = sqlx::query_scalar("SELECT id FROM charges WHERE md5 = $1")
        .bind(&md5)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    app.store.charge(ChargeId(id)).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_buyer_named_backwards_is_shown_as_written_in_the_sale_message() {
    let mut app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(24_601).await;
    let code = make_link(&app, &shop, "1.25 USD cake").await;
    let buyer = TgUser::new(24_602, SPOOF).with_language("en");

    let since = app.telegram.call_count();
    app.telegram.send_text(&buyer, &format!("/start {code}"));
    // The buyer's own greeting shows their name as written too.
    let greeting = app.message_containing(buyer.id, since, "Hello").await;
    assert_eq!(
        greeting,
        "Hello 00.005$ diap ✅! Sokha Coffee — cake: $1.25."
    );
    let photo = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(buyer.id), WAIT)
        .await
        .unwrap();
    app.wait_no_creating_charges().await;
    let charge = charge_shown(&app, &photo).await;

    let since = app.telegram.call_count();
    let mut payment = Payment::new(
        &DecimalAmount::parse("1.25").unwrap(),
        BakongCurrency::Usd,
        "sokha@aclb",
    );
    payment.from_account_id = Some("buyer@wing".into());
    app.bakong.pay(&charge.md5, payment).unwrap();
    let paid = app.wait_status(charge.id, ChargeStatus::Paid).await;
    let sale = app
        .message_containing(shop.id, since, "through your pay link")
        .await;
    let time = phnom_penh_date_time(paid.paid_at.unwrap());
    // Exactly what the seller's app received: the override is gone, the words read as
    // they are ("00.005$ diap"), nothing says "paid $500.00".
    assert_eq!(
        sale,
        format!(
            "💰 00.005$ diap ✅ paid $1.25 for cake through your pay link, from buyer@wing ({time}).\n\
             🧾 {} · 📝 cake",
            BillRef::of(&paid.bill_number)
        )
    );
    assert!(!sale.contains('\u{202E}'));
    app.stop().await;
}

#[tokio::test]
async fn a_right_to_left_name_is_isolated_and_cannot_reorder_the_message() {
    let mut app = TestApp::spawn_with(FAST).await;
    let shop = app.seller(24_611).await;
    let code = make_link(&app, &shop, "2 USD tea").await;
    // Hebrew, then a PDI of its own and an override trying to escape the isolation.
    let buyer = TgUser::new(24_612, "שרה\u{2069}\u{202E} 5").with_language("en");
    let since = app.telegram.call_count();
    app.telegram.send_text(&buyer, &format!("/start {code}"));
    let greeting = app.message_containing(buyer.id, since, "Hello").await;
    assert_eq!(
        greeting,
        "Hello \u{2068}שרה 5\u{2069}! Sokha Coffee — tea: $2.00."
    );
    app.stop().await;
}

#[tokio::test]
async fn setup_refuses_shop_names_and_cities_with_bidirectional_controls() {
    let mut app = TestApp::spawn_with(FAST).await;
    let user = TgUser::english(24_621);
    app.say(&user, "/setup").await;
    app.say(&user, "sokha@aclb").await;
    for bad in [
        "\u{202E}eeffoC ahkoS",
        "Sokha\u{2066} Coffee",
        "Sok\u{200F}ha",
    ] {
        let reply = app.say(&user, bad).await;
        assert!(
            reply.contains("reverse the text") && reply.contains("Step 2 of 4"),
            "{bad:?}: {reply}"
        );
    }
    let reply = app.say(&user, "Sokha Coffee").await;
    assert!(reply.contains("Step 3 of 4"), "{reply}");
    for bad in ["\u{202E}hneP monhP", "Kampot\u{2060}"] {
        let reply = app.say(&user, bad).await;
        assert!(
            reply.contains("reverse the text") && reply.contains("Step 3 of 4"),
            "{bad:?}: {reply}"
        );
    }
    let reply = app.say(&user, "Phnom Penh").await;
    assert!(reply.contains("Step 4 of 4"), "{reply}");
    let token = app.bakong_token("24621@example.com");
    app.say(&user, &token).await;
    let profile = app.merchant(&user).await.unwrap().profile.unwrap();
    assert_eq!(profile.shop_name.as_str(), "Sokha Coffee");
    assert_eq!(profile.city.as_str(), "Phnom Penh");
    // Khmer with its word separator is a fine name: the rule is not "ASCII only".
    app.say(&user, "/setup").await;
    app.say(&user, "sokha@aclb").await;
    let reply = app.say(&user, "ហាង\u{200B}កាហ្វេ").await;
    assert!(reply.contains("Step 3 of 4"), "{reply}");
    app.stop().await;
}

/// `/export` of today: the CSV and XLSX bytes.
async fn export_today(app: &TestApp, user: &TgUser) -> (Vec<u8>, Vec<u8>) {
    let since = app.telegram.call_count();
    app.telegram.send_text(user, "/export");
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let docs: Vec<Call> = app.telegram.calls()[since..]
            .iter()
            .filter(|c| c.is("sendDocument") && c.chat_id() == Some(user.id))
            .cloned()
            .collect();
        if docs.len() >= 2 {
            let bytes = |c: &Call| c.files.first().map(|(_, b)| b.to_vec()).unwrap();
            return (bytes(&docs[0]), bytes(&docs[1]));
        }
        assert!(tokio::time::Instant::now() < deadline, "no export");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_formula_note_is_a_neutral_csv_cell_and_a_string_in_the_xlsx() {
    const FORMULA: &str = "=2+5+cmd|' /C calc'!A0";
    let mut app = TestApp::spawn_with(FAST).await;
    let user = app.seller(24_631).await;
    app.charge_photo(&user, &format!("/charge 1.25 USD {FORMULA}"))
        .await;
    app.charge_photo(&user, "/charge 2 USD -tea").await;
    app.charge_photo(&user, "/charge 3 USD coffee").await;
    let m = app.merchant(&user).await.unwrap();
    let notes: Vec<Option<String>> = app
        .store
        .merchant_charges(m.id, 3)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.note)
        .collect();
    assert!(notes.contains(&Some(FORMULA.to_owned())), "{notes:?}");

    let (csv_bytes, xlsx_bytes) = export_today(&app, &user).await;
    let mut reader = csv::Reader::from_reader(&csv_bytes[3..]);
    let mut csv_notes: Vec<String> = reader.records().map(|r| r.unwrap()[5].to_owned()).collect();
    csv_notes.sort();
    // Excel's own "this is text" mark before each cell a spreadsheet would run.
    assert_eq!(
        csv_notes,
        [
            "'-tea".to_owned(),
            format!("'{FORMULA}"),
            "coffee".to_owned()
        ]
    );
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(xlsx_bytes)).unwrap();
    let sheet = book.worksheet_range("Charges").unwrap();
    let mut xlsx_notes: Vec<Data> = sheet.rows().skip(1).map(|r| r[5].clone()).collect();
    xlsx_notes.sort_by_key(|d| d.to_string());
    // The workbook's cells are strings, never formulas: kept as typed.
    assert_eq!(
        xlsx_notes,
        [
            Data::String("-tea".into()),
            Data::String(FORMULA.into()),
            Data::String("coffee".into()),
        ]
    );
    let formulas = book.worksheet_formula("Charges").unwrap();
    assert!(
        formulas.cells().all(|(_, _, f)| f.is_empty()),
        "a formula in the workbook"
    );
    app.stop().await;
}
