//! `khqr-bot demo` in a real browser, inline mode (issue 12): the seller types
//! `@bot 5 USD iced coffee` in their chat with a customer, one inline query per keystroke;
//! the page's result picker shows the bot's answers (the set-up button before /setup, the
//! help on an empty query, the explanation of an invalid one, then the real card); choosing
//! the card puts it in the customer's chat, where the customer's Check now is answered and
//! their Cancel refused; the bank pane scans that card and pays it, and both the customer's
//! card and the seller's private copy turn paid. Then "Send to customer" on a /charge card
//! opens the customer chat with the bill number typed, and its card is sent there too.
//!
//! Same requirements as `demo::browser` (chromedriver, `KHQR_DEMO_BROWSER=required` on CI);
//! with `KHQR_DEMO_SCREENSHOTS=<dir>` it saves the docs' `inline-*.png`, cropped to the
//! chats (`scripts/demo-screenshots.sh`).

use std::path::PathBuf;

use serde::Deserialize;

use super::browser::{
    Browser, chat, click_css, connect_sized, send, start_chromedriver, start_demo, wait_until,
};

/// The bot's `@username` in the emulator.
const BOT: &str = "@khqr_test_bot";

/// The result picker above the customer chat's composer, as shown.
#[derive(Debug, Deserialize)]
struct Picker {
    /// `answered` once the bot's answer to the text in the composer is shown.
    state: String,
    /// The button above the results, if any.
    button: Option<String>,
    /// (result id, kind, visible text, shows a picture).
    results: Vec<(String, String, String, bool)>,
}

/// One message of the customer chat, as shown.
#[derive(Debug, Deserialize)]
struct Shown {
    id: i64,
    text: String,
    photo: bool,
    buttons: Vec<String>,
}

/// The picker once it shows the bot's answer to what is typed now.
async fn answered_picker(browser: &Browser, what: &str) -> Picker {
    wait_until(what, || async {
        let got = browser
            .execute(
                "const p = document.getElementById('picker'); \
                 if (p.hidden) return null; \
                 const b = p.querySelector('.picker-button'); \
                 return { state: p.dataset.state || '', button: b ? b.innerText : null, \
                   results: [...p.querySelectorAll('.picker-result')].map(r => \
                     [r.dataset.id, r.dataset.kind, r.innerText, !!r.querySelector('img')]) };",
            )
            .await;
        let picker: Option<Picker> = serde_json::from_value(got).expect("the picker's shape");
        picker.filter(|p| p.state == "answered")
    })
    .await
}

async fn customer_chat(browser: &Browser) -> Vec<Shown> {
    let got = browser
        .execute(
            "return [...document.querySelectorAll('#customer-chat .msg')].map(m => ({ \
               id: Number(m.dataset.id), text: m.innerText, photo: !!m.querySelector('img'), \
               buttons: [...m.querySelectorAll('.keyboard button')].map(b => b.innerText) }));",
        )
        .await;
    serde_json::from_value(got).expect("customer chat messages")
}

/// Types into the customer chat's composer (WebDriver sends one key at a time: one input
/// event, so one inline query, per character).
async fn type_customer(browser: &Browser, text: &str) {
    let input = browser
        .find("#customer-input")
        .await
        .expect("customer composer");
    browser.type_into(&input, text).await;
}

async fn customer_text(browser: &Browser) -> String {
    browser
        .execute("return document.getElementById('customer-input').value;")
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The customer chat's toast once it shows something other than `before`.
async fn customer_toast(browser: &Browser, before: &str) -> String {
    wait_until("the answer to the press", || async {
        let text = browser
            .execute(
                "const t = document.getElementById('customer-toast'); \
                 return t.hidden ? null : t.innerText;",
            )
            .await;
        text.as_str().filter(|t| *t != before).map(str::to_owned)
    })
    .await
}

/// Saves a picture of the element matching `css` as docs/images/inline-`name`.png.
async fn picture(browser: &Browser, css: &str, name: &str) {
    if let Some(dir) = std::env::var_os("KHQR_DEMO_SCREENSHOTS") {
        let element = browser.find(css).await.expect("the element to picture");
        let path = PathBuf::from(dir).join(format!("inline-{name}.png"));
        std::fs::write(&path, browser.element_screenshot(&element).await)
            .expect("screenshot written");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromium-driver; .ci/run installs them and runs it"]
async fn demo_inline_card_in_a_customer_chat_in_a_browser() {
    let Some((_driver, webdriver)) = start_chromedriver() else {
        return;
    };
    let (_demo, url) = start_demo();
    // Taller than demo::browser's window: a whole card and its caption fit in the chat.
    let browser = connect_sized(&webdriver, "1280,1060").await;
    browser.goto(&url).await;

    // Before /setup the bot offers no card, only the button to the private chat.
    type_customer(&browser, &format!("{BOT} 5")).await;
    let picker = answered_picker(&browser, "the set-up-first answer").await;
    assert!(picker.results.is_empty(), "{picker:?}");
    assert!(
        picker
            .button
            .as_deref()
            .is_some_and(|b| b.contains("Set up your shop first")),
        "{picker:?}"
    );
    // The button opens the private chat with `/start setup`, which the bot answers.
    click_css(&browser, "#picker .picker-button").await;
    wait_until("the bot's answer to /start setup", || async {
        let messages = chat(&browser).await;
        let start = messages
            .iter()
            .position(|(_, bot, t)| !*bot && t.contains("/start setup"))?;
        messages[start + 1..]
            .iter()
            .any(|(_, bot, _)| *bot)
            .then_some(())
    })
    .await;
    assert!(customer_text(&browser).await.is_empty());

    click_css(&browser, "#setup-demo").await;
    wait_until("setup to finish", || async {
        let state = browser
            .execute("return document.getElementById('setup-status').dataset.state || '';")
            .await;
        let state = state.as_str().unwrap_or_default().to_owned();
        assert!(!state.starts_with("failed"), "one-click setup: {state}");
        (state == "done").then_some(())
    })
    .await;

    // An empty query: the help result. Then an invalid one: the explanation, nothing made.
    type_customer(&browser, &format!("{BOT} ")).await;
    let help = answered_picker(&browser, "the help result").await;
    assert_eq!(help.results.len(), 1, "{help:?}");
    assert_eq!(help.results[0].0, "help", "{help:?}");
    assert!(help.results[0].2.contains("Ask for a payment"), "{help:?}");
    type_customer(&browser, "5 EUR").await;
    let invalid = answered_picker(&browser, "the explanation of 5 EUR").await;
    assert_eq!(invalid.results.len(), 1, "{invalid:?}");
    assert_eq!(invalid.results[0].0, "invalid", "{invalid:?}");
    assert!(
        invalid.results[0]
            .2
            .contains("I cannot make this payment request"),
        "{invalid:?}"
    );
    // The real query, typed on: the card is the only result.
    type_customer(&browser, "\u{E003}\u{E003}\u{E003}USD iced coffee").await;
    assert_eq!(
        customer_text(&browser).await,
        format!("{BOT} 5 USD iced coffee")
    );
    let offered = answered_picker(&browser, "the card in the picker").await;
    assert_eq!(offered.results.len(), 1, "{offered:?}");
    let (result_id, kind, text, shows_picture) = &offered.results[0];
    assert_eq!(kind, "photo", "{offered:?}");
    assert!(
        shows_picture,
        "the card's picture is in the picker: {offered:?}"
    );
    assert!(
        text.contains("$5.00") && text.contains("Sokha Coffee"),
        "{text}"
    );
    picture(&browser, "#customer-phone", "picker").await;

    // The record copy that gave the picker its photo is gone from the seller's private
    // chat again (deleted as soon as it was uploaded).
    let private = chat(&browser).await;
    let copies = private
        .iter()
        .filter(|(_, bot, t)| *bot && t.contains("iced coffee"))
        .count();
    assert_eq!(copies, 0, "a record copy stayed: {private:?}");

    // Tap it: the card is in the customer chat, sent by the seller via the bot.
    click_css(
        &browser,
        &format!("#picker .picker-result[data-id='{result_id}']"),
    )
    .await;
    let card = wait_until("the card in the customer chat", || async {
        customer_chat(&browser).await.into_iter().find(|m| m.photo)
    })
    .await;
    assert!(card.text.contains(&format!("via {BOT}")), "{card:?}");
    assert!(card.text.contains("$5.00"), "{card:?}");
    assert!(card.text.contains("iced coffee"), "{card:?}");
    assert_eq!(card.buttons.len(), 2, "Check now and Cancel: {card:?}");
    assert!(customer_text(&browser).await.is_empty());
    // Chosen: its private card arrives in the seller's chat, once.
    wait_until("the private card", || async {
        let private = chat(&browser).await;
        let cards = private
            .iter()
            .filter(|(_, bot, t)| *bot && t.contains("iced coffee"))
            .count();
        (cards == 1).then_some(())
    })
    .await;
    picture(&browser, "#customer-phone", "card").await;

    // The customer (Telegram in Khmer) presses Check now: answered at once, in Khmer.
    let card_css = format!("#customer-chat .msg[data-id='{}']", card.id);
    click_css(
        &browser,
        &format!("{card_css} .keyboard button:first-child"),
    )
    .await;
    let checked = customer_toast(&browser, "").await;
    assert!(
        checked.contains("មិនទាន់បានបង់"),
        "not paid yet, in Khmer: {checked}"
    );
    // ... and Cancel: refused, nothing changes.
    click_css(
        &browser,
        &format!("{card_css} .keyboard .row button:last-child"),
    )
    .await;
    let refused = customer_toast(&browser, &checked).await;
    assert!(
        refused.contains("មានតែអ្នកលក់"),
        "only the seller, in Khmer: {refused}"
    );
    picture(&browser, "#customer-phone", "customer-buttons").await;
    let still = customer_chat(&browser).await;
    let still = still.iter().find(|m| m.id == card.id).expect("the card");
    assert_eq!(still.buttons.len(), 2, "still open: {still:?}");
    wait_until("the answer's toast to go", || async {
        let hidden = browser
            .execute("return document.getElementById('customer-toast').hidden;")
            .await;
        hidden.as_bool().filter(|h| *h)
    })
    .await;

    // The customer scans the card in their chat and pays: both cards turn paid.
    click_css(
        &browser,
        &format!(".scan-btn[data-chat='customer'][data-id='{}']", card.id),
    )
    .await;
    let scan_css = format!("#scans .scan[data-chat='customer'][data-id='{}']", card.id);
    let scanned = wait_until("the scan", || async {
        let text = browser
            .execute(&format!(
                "const s = document.querySelector(\"{scan_css}\"); return s ? s.innerText : null;"
            ))
            .await;
        text.as_str().map(str::to_owned)
    })
    .await;
    assert!(scanned.contains("5 USD"), "{scanned}");
    click_css(&browser, &format!("{scan_css} .bank-pay")).await;
    let paid = wait_until("the customer's card to show paid", || async {
        let m = customer_chat(&browser)
            .await
            .into_iter()
            .find(|m| m.id == card.id)?;
        m.text.contains("Paid").then_some(m)
    })
    .await;
    assert!(paid.text.contains("$5.00"), "{paid:?}");
    assert!(paid.buttons.is_empty(), "the buttons go: {paid:?}");
    let private_paid = wait_until("the private card to show paid", || async {
        chat(&browser)
            .await
            .into_iter()
            .find(|(_, bot, t)| *bot && t.contains("Paid $5.00"))
    })
    .await;
    assert!(private_paid.2.contains("Sokha Coffee"), "{private_paid:?}");
    picture(&browser, ".chats", "paid").await;

    // "Send to customer" on a /charge card: the customer chat opens with its bill typed.
    send(&browser, "/charge 3 USD tea").await;
    let charge_id = wait_until("the /charge card", || async {
        browser
            .execute(
                "const b = [...document.querySelectorAll('#chat .msg.bot .switch-inline')] \
                   .filter(b => b.closest('.msg').innerText.includes('$3.00')); \
                 return b.length ? Number(b[0].closest('.msg').dataset.id) : null;",
            )
            .await
            .as_i64()
    })
    .await;
    click_css(
        &browser,
        &format!("#chat .msg[data-id='{charge_id}'] .switch-inline"),
    )
    .await;
    let typed = customer_text(&browser).await;
    let bill = typed
        .strip_prefix(&format!("{BOT} "))
        .unwrap_or_else(|| panic!("the query is typed in the customer chat: {typed}"))
        .to_owned();
    assert!(bill.starts_with("KB"), "the bill number: {bill}");
    let existing = answered_picker(&browser, "the existing card in the picker").await;
    assert_eq!(existing.results.len(), 1, "{existing:?}");
    assert!(existing.results[0].0.starts_with('s'), "{existing:?}");
    assert!(existing.results[0].2.contains("$3.00"), "{existing:?}");
    picture(&browser, ".chats", "send-to-customer").await;
    let existing_id = existing.results[0].0.clone();
    click_css(
        &browser,
        &format!("#picker .picker-result[data-id='{existing_id}']"),
    )
    .await;
    let sent = wait_until("the sent card in the customer chat", || async {
        customer_chat(&browser)
            .await
            .into_iter()
            .find(|m| m.photo && m.text.contains("$3.00"))
    })
    .await;
    assert!(sent.text.contains("tea"), "{sent:?}");
    assert_eq!(sent.buttons.len(), 2, "a live card: {sent:?}");

    // In Khmer: the page (and the seller's Telegram) switched, a riel card with a Khmer note.
    click_css(&browser, ".lang[data-lang='km']").await;
    wait_until("the page in Khmer", || async {
        let lang = browser
            .execute("return document.documentElement.lang;")
            .await;
        (lang.as_str() == Some("km")).then_some(())
    })
    .await;
    type_customer(&browser, &format!("{BOT} 20000 KHR កាហ្វេទឹកកក")).await;
    let khmer = answered_picker(&browser, "the riel card in the picker").await;
    assert_eq!(khmer.results.len(), 1, "{khmer:?}");
    assert_eq!(khmer.results[0].1, "photo", "{khmer:?}");
    assert!(
        khmer.results[0].2.contains("ទូទាត់") && khmer.results[0].2.contains("Sokha Coffee"),
        "the Khmer title: {khmer:?}"
    );
    let khmer_id = khmer.results[0].0.clone();
    click_css(
        &browser,
        &format!("#picker .picker-result[data-id='{khmer_id}']"),
    )
    .await;
    let riel = wait_until("the riel card in the customer chat", || async {
        customer_chat(&browser)
            .await
            .into_iter()
            .find(|m| m.photo && m.text.contains("កាហ្វេទឹកកក"))
    })
    .await;
    assert_eq!(riel.buttons.len(), 2, "a live card: {riel:?}");
    assert!(
        riel.buttons.iter().any(|b| b.contains("ពិនិត្យឥឡូវ")),
        "Khmer buttons: {riel:?}"
    );
    picture(&browser, "#customer-phone", "card-km").await;

    browser.close().await;
}
