//! One language per seller, end to end (the real bot, the Telegram emulator, the Bakong
//! sandbox): it starts from Telegram's language when the seller's row is made (the end of
//! /setup) and changes only with /lang. Telegram's `language_code` is the language of the
//! device a message comes from, so a seller with a phone in Khmer and a computer in
//! English sends both; replies, cards, the watcher's edits and its notices must all speak
//! the seller's one language whatever device the last message came from. A buyer of a pay
//! link keeps their own.

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::{Call, TgUser};
use khqr_bot::bot::charge::bill_ref::BillRef;
use khqr_bot::i18n::Lang;
use khqr_bot::store::{Charge, ChargeStatus};

const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];

/// Whether `text` has Khmer letters. The shop, city, account, payer and notes in these
/// tests are Latin, so any Khmer letter is the bot's own words.
fn khmer(text: &str) -> bool {
    text.chars().any(|c| ('\u{1780}'..='\u{17FF}').contains(&c))
}

fn assert_speaks(lang: Lang, what: &str, text: &str) {
    match lang {
        Lang::Km => assert!(khmer(text), "{what} is not in Khmer: {text}"),
        Lang::En => assert!(!khmer(text), "{what} is not in English: {text}"),
    }
}

/// `/charge …` from `device` → the card's call and the charge as stored.
async fn charge(app: &TestApp, device: &TgUser, text: &str) -> (Call, Charge) {
    let call = app.charge_photo(device, text).await;
    let m = app.merchant(device).await.unwrap();
    let c = app.store.merchant_charges(m.id, 1).await.unwrap().remove(0);
    (call, c)
}

/// The caption of the first successful edit of the charge's card at or after `since`.
async fn edit_caption(app: &TestApp, seller: &TgUser, c: &Charge, since: usize) -> String {
    app.telegram
        .wait_for_since(
            since,
            "editMessageMedia",
            |call| {
                call.chat_id() == Some(seller.id)
                    && call.message_id() == c.message_id
                    && call.succeeded()
            },
            WAIT,
        )
        .await
        .unwrap()
        .caption()
        .unwrap()
        .to_owned()
}

/// The first message to the seller at or after `since` naming the charge's bill number
/// (the watcher's notice about it).
async fn notice(app: &TestApp, seller: &TgUser, c: &Charge, since: usize) -> String {
    app.telegram
        .wait_for_since(
            since,
            "sendMessage",
            |call| {
                call.chat_id() == Some(seller.id)
                    && call
                        .text()
                        .is_some_and(|t| t.contains(BillRef::of(&c.bill_number).as_str()))
            },
            WAIT,
        )
        .await
        .unwrap()
        .text()
        .unwrap()
        .to_owned()
}

async fn button_answer(app: &TestApp, since: usize) -> String {
    app.telegram
        .wait_for_since(since, "answerCallbackQuery", |_| true, WAIT)
        .await
        .unwrap()
        .str_param("text")
        .unwrap_or_default()
        .to_owned()
}

/// Everything the seller is sent in `lang`: the reply to a command, the card, a button's
/// answer, the paid edit, the cancelled edit and the paid-after-cancel notice. `device`
/// is the Telegram client the seller writes from (its `language_code` must not matter).
async fn everything_speaks(app: &TestApp, device: &TgUser, lang: Lang) {
    let (card, paid) = charge(app, device, "/charge 5 USD iced coffee").await;
    assert_speaks(lang, "the card's caption", card.caption().unwrap());
    let buttons: Vec<String> = card
        .inline_buttons()
        .into_iter()
        .flatten()
        .map(|(text, _)| text)
        .collect();
    assert_speaks(lang, "the card's buttons", &buttons.concat());

    let since = app.telegram.call_count();
    app.pay_from(&paid.md5, "5.00", "dara@wing");
    let caption = edit_caption(app, device, &paid, since).await;
    assert_speaks(lang, "the watcher's paid edit", &caption);
    assert!(caption.contains("$5.00"), "{caption}");

    // Cancelled, then paid all the same: the edit and the notice come from the watcher and
    // the outbox, which know the seller only by their row.
    let (_, late) = charge(app, device, "/charge 2 USD").await;
    let since = app.telegram.call_count();
    app.telegram.press_button(
        device,
        late.message_id.unwrap(),
        &format!("cxl:{}", late.id.0),
    );
    assert_speaks(lang, "Cancel's answer", &button_answer(app, since).await);
    assert_speaks(
        lang,
        "the cancelled edit",
        &edit_caption(app, device, &late, since).await,
    );
    app.wait_status(late.id, ChargeStatus::Cancelled).await;
    let since = app.telegram.call_count();
    app.pay_from(&late.md5, "2.00", "dara@wing");
    assert_speaks(
        lang,
        "the paid-late notice",
        &notice(app, device, &late, since).await,
    );
    assert_speaks(
        lang,
        "the paid-late edit",
        &edit_caption(app, device, &late, since).await,
    );

    let history = app.say_or_caption(device, "/history").await;
    assert_speaks(lang, "/history", &history);
}

#[tokio::test]
async fn a_seller_who_never_sent_lang_hears_their_telegram_language_from_every_part_until_lang() {
    let app = TestApp::spawn_with(FAST).await;
    // Set up from a phone in Khmer: the seller's language is Khmer from here on.
    let phone = TgUser::new(4101, "Sophea").with_language("km");
    app.setup_merchant(&phone, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    let m = app.merchant(&phone).await.unwrap();
    assert_eq!((m.language, m.language_chosen), (Lang::Km, false));

    // The same seller at a computer whose Telegram is in English: still Khmer, everywhere.
    let computer = TgUser::new(4101, "Sophea").with_language("en");
    assert_speaks(Lang::Km, "/start", &app.say(&computer, "/start").await);
    everything_speaks(&app, &computer, Lang::Km).await;

    // /lang en switches everything, from whichever device.
    assert_eq!(
        app.say(&phone, "/lang en").await,
        khqr_bot::t!(Lang::En, "lang-set")
    );
    assert_eq!(app.merchant(&phone).await.unwrap().language, Lang::En);
    everything_speaks(&app, &phone, Lang::En).await;
    let m = app.merchant(&phone).await.unwrap();
    assert_eq!((m.language, m.language_chosen), (Lang::En, true));
}

#[tokio::test]
async fn a_seller_who_set_up_in_english_stays_english_when_telegram_turns_khmer() {
    let app = TestApp::spawn_with(FAST).await;
    let seller = TgUser::new(4201, "Dara").with_language("en");
    app.setup_merchant(&seller, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    // Telegram switched to Khmer later (or a second device): no /lang, so no change.
    let khmer_client = TgUser::new(4201, "Dara").with_language("km");
    everything_speaks(&app, &khmer_client, Lang::En).await;
    let m = app.merchant(&seller).await.unwrap();
    assert_eq!((m.language, m.language_chosen), (Lang::En, false));
}

#[tokio::test]
async fn a_pay_link_buyer_keeps_their_own_language() {
    let app = TestApp::spawn_with(FAST).await;
    let seller = TgUser::new(4301, "Sophea").with_language("km");
    app.setup_merchant(&seller, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
        .await;
    let reply = app.say(&seller, "/link 3 USD iced tea").await;
    assert_speaks(Lang::Km, "the /link reply", &reply);
    let code = reply
        .split("?start=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no link in {reply}"))
        .to_owned();
    // A buyer whose Telegram is in English: greeted and sold to in English.
    let buyer = TgUser::new(4302, "John").with_language("en");
    let since = app.telegram.call_count();
    app.telegram.send_text(&buyer, &format!("/start {code}"));
    let card = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(buyer.id), WAIT)
        .await
        .unwrap();
    assert_speaks(Lang::En, "the buyer's card", card.caption().unwrap());
}
