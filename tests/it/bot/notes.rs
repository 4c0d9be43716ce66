//! A seller's note at its real length, end to end (the real bot, the Telegram emulator):
//! a note is limited in characters as a person counts them (grapheme clusters), the same for
//! Khmer and Latin; the card and the caption show all of it, and only the QR's purpose of
//! transaction (tag 62-08, 25 UTF-16 units) carries a copy cut visibly on a cluster
//! boundary. The QR is read back from the PNG with rxing, as a bank app would.

use crate::support::app::{TestApp, WAIT, decode_qr};
use crate::support::fake_telegram::TgUser;
use khqr_bot::bot::charge::bill_ref::BillRef;
use khqr_bot::bot::charge::note::{MAX_NOTE_CLUSTERS, cluster_count};
use khqr_bot::bot::phnom_penh_time;
use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{self, md5_hex};
use khqr_bot::render::{CardSpec, card_png};

/// Iced milk coffee, less sugar: 15 clusters, 27 UTF-16 units (two more than tag 62-08).
const KHMER_NOTE: &str = "កាហ្វេទឹកដោះគោទឹកកក ស្ករតិច";
/// What the QR carries of it: whole clusters and the cut mark, 25 units.
const KHMER_PURPOSE: &str = "កាហ្វេទឹកដោះគោទឹកកក ស្ករ…";

async fn seller(app: &TestApp, id: i64, lang: &str) -> TgUser {
    let user = TgUser::new(id, "Sophea").with_language(lang);
    app.setup_merchant(&user, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    user
}

fn now_ms() -> u64 {
    u64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis(),
    )
    .unwrap()
}

/// The QR read from `png` (rxing), verified as a KHQR, and the card `png` must be: the card
/// drawn with the whole `note`, not with the QR's copy of it.
fn check_card(png: &[u8], note: &str, purpose: &str, lang: Lang) -> String {
    let payload = decode_qr(png);
    let qr = khqr::verify(&payload, now_ms()).unwrap();
    assert_eq!(qr.purpose(), Some(purpose));
    let expires = i64::try_from(qr.expires_at_ms().unwrap() / 1000).unwrap();
    let expires_line = khqr_bot::t!(lang, "charge-card-expires", time = phnom_penh_time(expires));
    let reference = BillRef::of(qr.bill_number().unwrap());
    let card = |note: &str| {
        card_png(&CardSpec {
            payload: &payload,
            shop_name: "Sokha Coffee",
            amount_text: "$5.00",
            usd: true,
            note: Some(note),
            expires_line: Some(&expires_line),
            reference: Some(reference.as_str()),
        })
        .unwrap()
    };
    assert!(
        png == card(note),
        "the card is not drawn with the whole note"
    );
    assert!(
        png != card(purpose),
        "a cut note must look different on the card"
    );
    payload
}

#[tokio::test]
async fn a_khmer_note_longer_than_the_qr_field_makes_a_card_with_all_of_it() {
    let app = TestApp::spawn().await;
    let user = seller(&app, 4401, "km").await;
    let call = app
        .charge_photo(&user, &format!("/charge 5 USD {KHMER_NOTE}"))
        .await;
    let caption = call.caption().unwrap();
    assert!(caption.contains(KHMER_NOTE), "{caption}");
    let photo = app.telegram.sent_photos(user.id).remove(0);
    let payload = check_card(&photo.bytes, KHMER_NOTE, KHMER_PURPOSE, Lang::Km);

    // The charge keeps the whole note (history, export, summaries) and the QR as sent.
    let m = app.merchant(&user).await.unwrap();
    let c = app.store.merchant_charges(m.id, 1).await.unwrap().remove(0);
    assert_eq!(c.note.as_deref(), Some(KHMER_NOTE));
    assert_eq!(c.md5, md5_hex(&payload));
}

#[tokio::test]
async fn the_longest_note_is_taken_and_one_character_more_is_refused() {
    let app = TestApp::spawn().await;
    let user = seller(&app, 4402, "en").await;
    // 60 clusters: four Khmer phrases would be 63, so three and 12 Latin characters.
    let longest = format!("{KHMER_NOTE} {KHMER_NOTE} {KHMER_NOTE} big cups, x2");
    assert_eq!(cluster_count(&longest), MAX_NOTE_CLUSTERS);
    let call = app
        .charge_photo(&user, &format!("/charge 5 USD {longest}"))
        .await;
    assert!(call.caption().unwrap().contains(&longest));
    let photo = app.telegram.sent_photos(user.id).remove(0);
    check_card(&photo.bytes, &longest, KHMER_PURPOSE, Lang::En);

    // One more: refused with the count and the limit, and nothing is created.
    let charges = app.charge_count().await;
    for (too_long, lang) in [(format!("{longest}!"), "en"), (format!("{longest}ក"), "km")] {
        assert_eq!(cluster_count(&too_long), MAX_NOTE_CLUSTERS + 1);
        let device = TgUser::new(user.id, "Sophea").with_language(lang);
        let answer = app.say(&device, &format!("/charge 5 USD {too_long}")).await;
        // The seller's language, whatever device: English (set up in English).
        assert_eq!(
            answer,
            "The note is too long: 61 characters, at most 60. Please write it shorter."
        );
    }
    app.say(&user, "/lang km").await;
    let answer = app
        .say(&user, &format!("/charge 5 USD {longest} {KHMER_NOTE}"))
        .await;
    assert_eq!(
        answer,
        khqr_bot::t!(Lang::Km, "charge-error-note", len = 76, max = 60)
    );
    assert_eq!(app.charge_count().await, charges);
}

#[tokio::test]
async fn a_pay_link_with_a_long_khmer_note_sells_cards_with_all_of_it() {
    let app = TestApp::spawn().await;
    let user = seller(&app, 4403, "km").await;
    let reply = app.say(&user, &format!("/link 5 USD {KHMER_NOTE}")).await;
    let code = reply
        .split("?start=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no link in {reply}"))
        .to_owned();
    let buyer = TgUser::new(4404, "Dara").with_language("km");
    let since = app.telegram.call_count();
    app.telegram.send_text(&buyer, &format!("/start {code}"));
    let card = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(buyer.id), WAIT)
        .await
        .unwrap();
    assert!(card.caption().unwrap().contains(KHMER_NOTE));
    let photo = app.telegram.sent_photos(buyer.id).remove(0);
    check_card(&photo.bytes, KHMER_NOTE, KHMER_PURPOSE, Lang::Km);
}
