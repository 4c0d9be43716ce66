//! Every payment counted once, whatever the customer did — end to end: the real bot against
//! the Telegram emulator and the Bakong sandbox. Paid after a failed attempt, paid more than
//! asked, a paid QR paid a second time, one transaction Bakong reports for two QRs, a pay
//! link's buyer paying less or to another account, and a day of all of them whose `/history`
//! total is the sum of what the sandbox paid into the seller's account.

use std::collections::HashMap;

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::TgUser;
use khqr_bot::bakong::sandbox::{Payment, Tx};
use khqr_bot::bakong::{Currency as BakongCurrency, DecimalAmount};
use khqr_bot::bot::charge::bill_ref::BillRef;
use khqr_bot::store::{Charge, ChargeId, ChargeStatus, PaidAfter};

/// Polls every second, so the late watch asks every 6 s.
const FAST: &[(&str, &str)] = &[("POLL_INTERVAL_SECS", "1")];
const ACCOUNT: &str = "sokha@aclb";

fn messages_containing(app: &TestApp, chat: i64, word: &str) -> usize {
    app.telegram
        .sent_texts(chat)
        .iter()
        .filter(|t| t.contains(word))
        .count()
}

/// `amount` of `currency` paid to `to` for the QR of `md5`, from `payer`; the sandbox's
/// transaction.
fn pay_to(
    app: &TestApp,
    md5: &str,
    amount: &str,
    currency: BakongCurrency,
    to: &str,
    payer: &str,
) -> Tx {
    let mut p = Payment::new(&DecimalAmount::parse(amount).unwrap(), currency, to);
    p.from_account_id = Some(payer.into());
    app.bakong.pay(md5, p).unwrap()
}

fn pay(app: &TestApp, md5: &str, amount: &str, currency: BakongCurrency) -> Tx {
    pay_to(app, md5, amount, currency, ACCOUNT, "dara@wing")
}

/// A late payment is asked about at the late watch's pace: let a few of its rounds pass.
async fn late_rounds() {
    tokio::time::sleep(std::time::Duration::from_secs(7)).await;
}

/// The customer's first try fails (low balance); they top up and pay the same QR: the
/// money is found although the charge had failed, the card turns paid, the seller is told
/// plainly, and `/history` counts it once.
#[tokio::test]
async fn failed_then_paid_is_paid_and_the_seller_is_told() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(25_001).await;
    let c = app.charge(&user, "/charge 3 USD latte").await;
    let message = c.message_id.unwrap();
    let since = app.telegram.call_count();
    app.bakong.fail(&c.md5);
    app.edited_to(user.id, message, since, "Payment failed")
        .await;
    app.wait_status(c.id, ChargeStatus::Failed).await;

    let since = app.telegram.call_count();
    pay(&app, &c.md5, "3.00", BakongCurrency::Usd);
    let notice = app
        .message_containing(user.id, since, "after a payment attempt had failed")
        .await;
    assert!(
        notice.contains(BillRef::of(&c.bill_number).as_str())
            && notice.contains("Received $3.00 from dara@wing")
            && notice.contains("the bill is paid"),
        "{notice}"
    );
    app.edited_to(user.id, message, since, "Paid $3.00").await;
    let paid = app.wait_status(c.id, ChargeStatus::Paid).await;
    assert_eq!(paid.paid_after, Some(PaidAfter::Failed));
    let history = app.say_or_caption(&user, "/history").await;
    assert!(
        history.contains("USD: $3.00 received · 1 payment(s)")
            && history.contains("of which $3.00 to look at"),
        "{history}"
    );
    assert!(!history.contains("1 failed"), "{history}");
    late_rounds().await;
    assert_eq!(
        messages_containing(&app, user.id, "after a payment attempt had failed"),
        1
    );
    assert_eq!(app.store.charge_payments(c.id).await.unwrap().len(), 1);
}

/// $2.50 paid for $2.00: paid, and the card says what arrived and the excess; counted as it
/// arrived.
#[tokio::test]
async fn an_over_payment_is_paid_and_shows_what_arrived() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(25_002).await;
    let c = app.charge(&user, "/charge 2 USD tea").await;
    let since = app.telegram.call_count();
    pay(&app, &c.md5, "2.50", BakongCurrency::Usd);
    let call = app
        .edited_to(user.id, c.message_id.unwrap(), since, "Paid")
        .await;
    let caption = call.caption().unwrap();
    assert!(
        caption.contains("Received $2.50: $0.50 more than asked."),
        "{caption}"
    );
    assert!(call.inline_buttons().iter().all(Vec::is_empty));
    app.wait_status(c.id, ChargeStatus::Paid).await;
    let history = app.say_or_caption(&user, "/history").await;
    assert!(
        history.contains("USD: $2.50 received · 1 payment(s)")
            && history.contains("of which $2.50 to look at"),
        "{history}"
    );
}

/// The same QR paid twice (a bank app that allows it, a customer who did not see the first
/// go through): the second payment is found by the late watch, counted, and reported once;
/// the card is not edited again.
#[tokio::test]
async fn a_second_payment_of_a_paid_qr_is_counted_and_reported_once() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(25_003).await;
    let c = app.charge(&user, "/charge 5 USD lunch").await;
    let since = app.telegram.call_count();
    pay(&app, &c.md5, "5", BakongCurrency::Usd);
    app.edited_to(user.id, c.message_id.unwrap(), since, "Paid")
        .await;
    app.wait_status(c.id, ChargeStatus::Paid).await;

    let since = app.telegram.call_count();
    pay_to(&app, &c.md5, "5", BakongCurrency::Usd, ACCOUNT, "dara@aclb");
    let notice = app
        .message_containing(user.id, since, "which was already paid")
        .await;
    assert!(
        notice.contains(BillRef::of(&c.bill_number).as_str())
            && notice.contains("Received $5.00 from dara@aclb")
            && notice.contains("refund them"),
        "{notice}"
    );
    let history = app.say_or_caption(&user, "/history").await;
    assert!(
        history.contains("USD: $10.00 received · 2 payment(s)")
            && history.contains("of which $5.00 to look at (1:"),
        "{history}"
    );
    late_rounds().await;
    assert_eq!(
        messages_containing(&app, user.id, "which was already paid"),
        1
    );
    let edits = app
        .telegram
        .calls_of("editMessageMedia")
        .iter()
        .filter(|e| e.message_id() == c.message_id && e.succeeded())
        .count();
    assert_eq!(edits, 1, "the paid card is not edited again");
    assert_eq!(app.store.charge_payments(c.id).await.unwrap().len(), 2);
}

/// A relay garbling answers reports one transaction for two QRs of the same amount: it pays
/// the first charge only; the second stays open, and the seller is told once, plainly, which
/// bill the transaction paid. `/check` names that bill too.
#[tokio::test]
async fn one_transaction_reported_for_two_qrs_pays_one_and_the_seller_is_told_once() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(25_004).await;
    let first = app.charge(&user, "/charge 4 USD").await;
    let second = app.charge(&user, "/charge 4 USD").await;
    let hash = "ab12cd34".repeat(8);
    let since = app.telegram.call_count();
    for c in [&first, &second] {
        let mut p = Payment::new(
            &DecimalAmount::parse("4").unwrap(),
            BakongCurrency::Usd,
            ACCOUNT,
        );
        p.hash = Some(hash.clone());
        app.bakong.pay(&c.md5, p).unwrap();
    }
    let notice = app
        .message_containing(user.id, since, "already paid bill")
        .await;
    let (first_ref, second_ref) = (
        BillRef::of(&first.bill_number),
        BillRef::of(&second.bill_number),
    );
    assert_eq!(
        notice,
        format!(
            "⚠️ Bakong reported transaction ab12cd34 for bill {second_ref} ($4.00), but that \
             transaction already paid bill {first_ref}. Bill {second_ref} is not paid by it. Check \
             your Bakong app.\n🧾 {second_ref}",
        )
    );
    app.wait_status(first.id, ChargeStatus::Paid).await;
    late_rounds().await;
    assert_eq!(
        app.store.charge(second.id).await.unwrap().unwrap().status,
        ChargeStatus::Pending
    );
    assert_eq!(messages_containing(&app, user.id, "already paid bill"), 1);
    let history = app.say_or_caption(&user, "/history").await;
    assert!(
        history.contains("USD: $4.00 received · 1 payment(s)"),
        "counted once: {history}"
    );
    let check = app.say(&user, &format!("/check {hash}")).await;
    assert!(
        check.contains(BillRef::of(&first.bill_number).as_str()),
        "{check}"
    );
    assert!(
        !check.contains(BillRef::of(&second.bill_number).as_str()),
        "{check}"
    );
}

/// `/link` made, its URL's start code.
async fn make_link(app: &TestApp, user: &TgUser, args: &str) -> String {
    let reply = app.say(user, &format!("/link {args}")).await;
    let prefix = format!("https://t.me/{}?start=", app.telegram.bot_username());
    let start = reply.find(&prefix).unwrap_or_else(|| panic!("{reply}"));
    reply[start + prefix.len()..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect()
}

/// A buyer opens the link: their card's message and its charge.
async fn buy(app: &TestApp, buyer: &TgUser, code: &str) -> (i32, Charge) {
    let since = app.telegram.call_count();
    app.telegram.send_text(buyer, &format!("/start {code}"));
    let photo = app
        .telegram
        .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(buyer.id), WAIT)
        .await
        .unwrap();
    app.wait_no_creating_charges().await;
    let khqr = crate::support::app::decode_qr(photo.file("photo").unwrap());
    let md5 = khqr_bot::khqr::md5_hex(&khqr);
    let id: i64 = sqlx::query_scalar("SELECT id FROM charges WHERE md5 = $1")
        .bind(&md5)
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    let message = app
        .telegram
        .chat(buyer.id)
        .into_iter()
        .filter(|m| m.from_bot && m.photo_file_id.is_some())
        .map(|m| m.message_id)
        .max()
        .unwrap();
    (
        message,
        app.store.charge(ChargeId(id)).await.unwrap().unwrap(),
    )
}

/// A pay link's buyer who pays less than the price is told, in their own words, what
/// arrived, what is missing, that the seller knows, and not to pay again; the seller sees
/// what arrived (not the price), for which item, and from whom. One who pays to another
/// account is told it does not match; the seller sees where it went.
#[tokio::test]
async fn a_link_buyer_who_pays_the_wrong_amount_gets_their_own_wording() {
    let app = TestApp::spawn_with(FAST).await;
    let seller = app.seller(25_005).await;
    let code = make_link(&app, &seller, "5 USD iced coffee").await;

    let dara = TgUser::new(25_105, "Dara").with_language("en");
    let (message, c) = buy(&app, &dara, &code).await;
    let since = app.telegram.call_count();
    pay_to(&app, &c.md5, "3", BakongCurrency::Usd, ACCOUNT, "dara@wing");
    let card = app.edited_to(dara.id, message, since, "is missing").await;
    assert_eq!(
        card.caption().unwrap(),
        format!(
            "⚠️ $3.00 arrived for $5.00 — Sokha Coffee: $2.00 is missing.\n\
             🧾 {} · 📝 iced coffee\n\
             The seller has been told and will ask you for the rest. Do not pay this QR code again.",
            BillRef::of(&c.bill_number)
        )
    );
    assert!(card.inline_buttons().iter().all(Vec::is_empty));
    let sale = app
        .message_containing(seller.id, since, "iced coffee")
        .await;
    assert!(
        sale.starts_with("⚠️ Dara paid $3.00 of $5.00 for iced coffee through your pay link")
            && sale.contains("from dara@wing")
            && sale.contains("$2.00 is missing"),
        "{sale}"
    );
    app.wait_status(c.id, ChargeStatus::Underpaid).await;

    let sophea = TgUser::new(25_106, "Sophea").with_language("en");
    let (message, c) = buy(&app, &sophea, &code).await;
    let since = app.telegram.call_count();
    pay_to(
        &app,
        &c.md5,
        "5",
        BakongCurrency::Usd,
        "thief@aba",
        "sophea@wing",
    );
    let card = app
        .edited_to(sophea.id, message, since, "does not match")
        .await;
    assert_eq!(
        card.caption().unwrap(),
        format!(
            "⚠️ $5.00 arrived — Sokha Coffee — but it does not match this payment request ($5.00).\n\
             🧾 {} · 📝 iced coffee\n\
             The seller has been told. Do not pay again: wait for the seller.",
            BillRef::of(&c.bill_number)
        )
    );
    let sale = app.message_containing(seller.id, since, "Sophea").await;
    assert!(
        sale.contains("went to thief@aba, not to your account")
            && sale.contains("from sophea@wing")
            && sale.contains("iced coffee")
            && sale.contains("not counted"),
        "{sale}"
    );
    app.wait_status(c.id, ChargeStatus::Mismatch).await;
}

/// The totals of a `/history` line per currency: `USD: $1.00 received · 2 payment(s)`.
fn received_line(history: &str, currency: &str) -> Option<String> {
    history
        .lines()
        .find(|l| l.contains(&format!("{currency}: ")) && l.contains("received"))
        .map(str::to_owned)
}

/// A day of everything a customer can do — exact, over, under, failed then paid, paid after
/// Cancel, a paid QR paid again, in dollars and riel, and a transfer to another account —
/// ends with `/history` showing, per currency, exactly what the sandbox paid into the
/// seller's account.
#[tokio::test]
async fn a_days_history_total_is_what_the_sandbox_paid_into_the_account() {
    let app = TestApp::spawn_with(FAST).await;
    let user = app.seller(25_006).await;
    let mut paid: Vec<Tx> = Vec::new();
    let mut waits: Vec<(ChargeId, ChargeStatus)> = Vec::new();

    let exact = app.charge(&user, "/charge 5 USD coffee").await;
    paid.push(pay(&app, &exact.md5, "5", BakongCurrency::Usd));
    waits.push((exact.id, ChargeStatus::Paid));

    let over = app.charge(&user, "/charge 2 USD tea").await;
    paid.push(pay(&app, &over.md5, "2.50", BakongCurrency::Usd));
    waits.push((over.id, ChargeStatus::Paid));

    let under = app.charge(&user, "/charge 4 USD cake").await;
    paid.push(pay(&app, &under.md5, "3", BakongCurrency::Usd));
    waits.push((under.id, ChargeStatus::Underpaid));

    let riel = app.charge(&user, "/charge 20000 KHR noodles").await;
    paid.push(pay(&app, &riel.md5, "20000", BakongCurrency::Khr));
    waits.push((riel.id, ChargeStatus::Paid));

    let elsewhere = app.charge(&user, "/charge 6 USD soup").await;
    pay_to(
        &app,
        &elsewhere.md5,
        "6",
        BakongCurrency::Usd,
        "thief@aba",
        "x@wing",
    );
    waits.push((elsewhere.id, ChargeStatus::Mismatch));

    let failed = app.charge(&user, "/charge 7 USD rice").await;
    app.bakong.fail(&failed.md5);
    app.wait_status(failed.id, ChargeStatus::Failed).await;
    paid.push(pay(&app, &failed.md5, "7", BakongCurrency::Usd));
    waits.push((failed.id, ChargeStatus::Paid));

    let cancelled = app.charge(&user, "/charge 1.25 USD water").await;
    let since = app.telegram.call_count();
    app.telegram.press_button(
        &user,
        cancelled.message_id.unwrap(),
        &format!("cxl:{}:{}", cancelled.id.0, cancelled.bill_number),
    );
    app.telegram
        .wait_for_since(since, "answerCallbackQuery", |_| true, WAIT)
        .await
        .unwrap();
    app.wait_status(cancelled.id, ChargeStatus::Cancelled).await;
    paid.push(pay(&app, &cancelled.md5, "1.25", BakongCurrency::Usd));
    waits.push((cancelled.id, ChargeStatus::Paid));

    for (id, status) in &waits {
        app.wait_status(*id, *status).await;
    }
    // The exact one's QR paid again, once that one was settled.
    let since = app.telegram.call_count();
    paid.push(pay(&app, &exact.md5, "5", BakongCurrency::Usd));
    app.message_containing(user.id, since, "which was already paid")
        .await;

    let mut sums: HashMap<&str, u64> = HashMap::new();
    for tx in &paid {
        assert_eq!(tx.to_account_id, ACCOUNT);
        let minor = tx.amount.to_minor(tx.currency.decimals()).unwrap();
        *sums.entry(tx.currency.alpha()).or_default() += minor;
    }
    let history = app.say_or_caption(&user, "/history").await;
    assert_eq!(sums["USD"], 2_375);
    assert_eq!(
        received_line(&history, "USD").as_deref(),
        Some("💵 USD: $23.75 received · 6 payment(s)"),
        "{history}"
    );
    assert_eq!(sums["KHR"], 20_000);
    assert_eq!(
        received_line(&history, "KHR").as_deref(),
        Some("💵 KHR: 20,000 ៛ received · 1 payment(s)"),
        "{history}"
    );
    assert!(
        history.contains("🚫 1 transfer(s) did not reach your account (not counted)"),
        "{history}"
    );
    // Over (2.50), under (3), failed then paid (7), after Cancel (1.25), again (5).
    assert!(
        history.contains("⚠️ of which $18.75 to look at (5:"),
        "{history}"
    );
}
