//! What people are told about money that arrived, read from the payments ledger: the
//! status card of a charge with payments (paid, paid in part, another currency, not
//! received), the seller's notices (money after an ending, another payment of a QR, a
//! transaction that already paid another bill), the customer's own wording (a pay link's
//! buyer, the card in a customer's chat), and the pay-link sale message.
//!
//! The rule everywhere: say what arrived, not what was asked. The card is never red for money
//! that reached the seller (less than asked, another currency: amber); only a transfer that
//! did not reach their account is.

use crate::i18n::Lang;
use crate::render::{StatusKind, format_minor_units, format_money};
use crate::store::{Arrival, Charge, ChargeMoney, ChargeStatus, Fit, Money, PaidAfter, Payment};
use crate::t;

use crate::bot::charge::bill_ref::BillRef;
use crate::bot::charge::label::ChargeLabel;
use crate::bot::format::phnom_penh_date_time;
use crate::bot::stranger_text::StrangerText;

/// `$2.50`, `20,000 ៛`.
pub(in crate::bot) fn money_text(m: Money) -> String {
    format_minor_units(m.minor, m.currency)
}

/// What a transfer brought, as text: the amount when it can be read, else Bakong's own text.
pub(in crate::bot) fn arrived_text(p: &Payment) -> String {
    match p.arrival.readable() {
        Some(m) => money_text(m),
        None if p.amount.is_empty() && p.currency.is_empty() => "?".to_owned(),
        None => format!("{} {}", p.amount, p.currency).trim().to_owned(),
    }
}

/// `$1.00 + 4,000 ៛`: several amounts in one text.
fn sums_text(sums: &[Money]) -> String {
    sums.iter()
        .map(|m| money_text(*m))
        .collect::<Vec<_>>()
        .join(" + ")
}

/// The first 8 characters of a hash, as bank receipts show it.
pub(in crate::bot) fn short_hash(hash: &str) -> String {
    let short: String = hash.chars().take(8).collect();
    if short.is_empty() {
        "—".to_owned()
    } else {
        short
    }
}

fn asked(charge: &Charge) -> Money {
    Money {
        currency: charge.amount.currency(),
        minor: charge.amount.minor(),
    }
}

/// The charge's money from these of its payments.
pub(in crate::bot) fn charge_money<'a>(
    charge: &Charge,
    payments: impl IntoIterator<Item = &'a Payment>,
) -> ChargeMoney {
    let arrivals: Vec<Arrival> = payments.into_iter().map(|p| p.arrival).collect();
    ChargeMoney::of(asked(charge), &arrivals)
}

/// The money received in the charge's currency, as text.
fn received_text(charge: &Charge, m: &ChargeMoney) -> String {
    format_minor_units(m.received, charge.amount.currency())
}

fn missing_text(charge: &Charge, m: &ChargeMoney) -> String {
    format_minor_units(m.missing(), charge.amount.currency())
}

/// The payer's account as Bakong sent it, stripped of bidi controls and invisible
/// characters (a relay's answer is untrusted text; also drawn on cards, so not wrapped).
fn payer_of(p: Option<&Payment>) -> String {
    p.map(|p| StrangerText(&p.payer_account).bare().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "—".to_owned())
}

/// A settled card of a charge with payments.
pub(in crate::bot) struct MoneyCard {
    pub kind: StatusKind,
    pub title: String,
    pub caption: String,
    pub lines: Vec<String>,
}

/// The seller's status card of a charge that has money (`paid`, `underpaid`, `mismatch`):
/// what arrived, and what is missing or extra. `None` for any other status. Without
/// `show_payer` the picture's lines name neither the payer's account nor the transaction
/// (a picture shared with a customer's chat); the seller's caption always does.
pub(in crate::bot) fn money_card(
    lang: Lang,
    charge: &Charge,
    payments: &[Payment],
    shop: &str,
    show_payer: bool,
) -> Option<MoneyCard> {
    let m = charge_money(charge, payments);
    let last = payments.last();
    let amount = format_money(charge.amount);
    let payer = payer_of(last);
    let hash = short_hash(last.map_or("", |p| p.hash.as_str()));
    let at = last
        .map(|p| p.paid_at)
        .or(charge.paid_at)
        .or(charge.settled_at)
        .unwrap_or(charge.created_at);
    let time = phnom_penh_date_time(at);
    let (amount, payer, hash, time) = (
        amount.as_str(),
        payer.as_str(),
        hash.as_str(),
        time.as_str(),
    );
    let counted = payments
        .iter()
        .filter(|p| p.arrival.counted().is_some())
        .count();
    let card = match charge.status {
        ChargeStatus::Paid => {
            let received = received_text(charge, &m);
            let mut caption = t!(
                lang,
                "status-paid-caption",
                amount = amount,
                shop = shop,
                payer = payer,
                time = time,
                hash = hash
            );
            let mut lines = Vec::new();
            if m.excess() > 0 {
                let excess = format_minor_units(m.excess(), charge.amount.currency());
                caption.push('\n');
                caption.push_str(&t!(
                    lang,
                    "status-caption-over",
                    arrived = received.as_str(),
                    excess = excess.as_str()
                ));
                lines.push(t!(
                    lang,
                    "status-line-over",
                    arrived = received.as_str(),
                    excess = excess.as_str()
                ));
            }
            if counted > 1 {
                caption.push('\n');
                caption.push_str(&t!(
                    lang,
                    "status-caption-payments",
                    arrived = received.as_str(),
                    count = counted
                ));
            }
            lines.push(t!(lang, "status-line-from", payer = payer));
            lines.push(t!(lang, "status-line-time", time = time));
            lines.push(t!(lang, "status-line-ref", hash = hash));
            MoneyCard {
                kind: StatusKind::Paid,
                title: t!(lang, "status-paid-title"),
                caption,
                lines,
            }
        }
        ChargeStatus::Underpaid => {
            let (received, missing) = (received_text(charge, &m), missing_text(charge, &m));
            MoneyCard {
                kind: StatusKind::Attention,
                title: t!(lang, "status-underpaid-title"),
                caption: t!(
                    lang,
                    "status-underpaid-caption",
                    amount = amount,
                    shop = shop,
                    arrived = received.as_str(),
                    missing = missing.as_str(),
                    payer = payer,
                    time = time,
                    hash = hash
                ),
                lines: vec![
                    t!(
                        lang,
                        "status-line-received-of",
                        arrived = received.as_str(),
                        amount = amount
                    ),
                    t!(lang, "status-line-missing", missing = missing.as_str()),
                    t!(lang, "status-line-from", payer = payer),
                    t!(lang, "status-line-ref", hash = hash),
                ],
            }
        }
        ChargeStatus::Mismatch if !m.other.is_empty() => {
            let arrived = sums_text(&m.other);
            MoneyCard {
                kind: StatusKind::Attention,
                title: t!(lang, "status-other-currency-title"),
                caption: t!(
                    lang,
                    "status-other-currency-caption",
                    arrived = arrived.as_str(),
                    amount = amount,
                    shop = shop,
                    payer = payer,
                    hash = hash
                ),
                lines: vec![
                    t!(
                        lang,
                        "status-line-received-of",
                        arrived = arrived.as_str(),
                        amount = amount
                    ),
                    t!(lang, "status-line-from", payer = payer),
                    t!(lang, "status-line-ref", hash = hash),
                ],
            }
        }
        ChargeStatus::Mismatch => {
            let arrived = last.map_or_else(|| "?".to_owned(), arrived_text);
            let to = last
                .map(|p| p.to_account.clone())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "—".to_owned());
            MoneyCard {
                kind: StatusKind::Failed,
                title: t!(lang, "status-mismatch-title"),
                caption: t!(
                    lang,
                    "status-mismatch-caption",
                    amount = amount,
                    account = charge.to_account_id.as_str(),
                    arrived = arrived.as_str(),
                    to = to.as_str(),
                    payer = payer,
                    hash = hash
                ),
                lines: vec![
                    t!(
                        lang,
                        "status-line-received",
                        arrived = arrived.as_str(),
                        to = to.as_str()
                    ),
                    t!(lang, "status-line-from", payer = payer),
                    t!(lang, "status-line-ref", hash = hash),
                ],
            }
        }
        _ => return None,
    };
    let mut card = card;
    if !show_payer {
        let (from, reference) = (
            t!(lang, "status-line-from", payer = payer),
            t!(lang, "status-line-ref", hash = hash),
        );
        card.lines.retain(|l| *l != from && *l != reference);
    }
    Some(card)
}

/// The missing part of an under-paid charge, for its "Charge the missing" button.
pub(in crate::bot) fn missing_money(charge: &Charge, payments: &[Payment]) -> Option<Money> {
    if charge.status != ChargeStatus::Underpaid {
        return None;
    }
    let m = charge_money(charge, payments);
    (m.missing() > 0).then_some(Money {
        currency: charge.amount.currency(),
        minor: m.missing(),
    })
}

/// What the customer is told about their money on their own card (a pay link's buyer, the
/// card in a customer's chat): paid; paid with what arrived; what arrived and what is
/// missing, that the seller is told and not to pay this QR again; what arrived does not
/// match, the seller is told, not to pay again. `None` for a charge without money.
pub(in crate::bot) fn customer_caption(
    lang: Lang,
    charge: &Charge,
    payments: &[Payment],
    shop: &str,
) -> Option<String> {
    let m = charge_money(charge, payments);
    let amount = format_money(charge.amount);
    let amount = amount.as_str();
    Some(match charge.status {
        ChargeStatus::Paid if m.excess() > 0 => {
            let received = received_text(charge, &m);
            let excess = format_minor_units(m.excess(), charge.amount.currency());
            t!(
                lang,
                "customer-paid-over",
                shop = shop,
                arrived = received.as_str(),
                amount = amount,
                excess = excess.as_str()
            )
        }
        ChargeStatus::Paid => t!(lang, "customer-paid", amount = amount, shop = shop),
        ChargeStatus::Underpaid => {
            let (received, missing) = (received_text(charge, &m), missing_text(charge, &m));
            t!(
                lang,
                "customer-underpaid",
                arrived = received.as_str(),
                amount = amount,
                shop = shop,
                missing = missing.as_str()
            )
        }
        ChargeStatus::Mismatch => {
            let arrived = if m.other.is_empty() {
                payments.last().map_or_else(|| "?".to_owned(), arrived_text)
            } else {
                sums_text(&m.other)
            };
            t!(
                lang,
                "customer-mismatch",
                arrived = arrived.as_str(),
                shop = shop,
                amount = amount
            )
        }
        _ => return None,
    })
}

/// What one payment meant for its charge, in one line of a notice.
fn outcome_line(lang: Lang, charge: &Charge, payments: &[Payment], p: &Payment) -> String {
    // The charge's money as this payment left it (later ones are other notices' news).
    let upto: Vec<&Payment> = payments.iter().filter(|q| q.id <= p.id).collect();
    let m = charge_money(charge, upto.iter().copied());
    let arrived = arrived_text(p);
    let payer = payer_of(Some(p));
    let time = phnom_penh_date_time(p.paid_at);
    let (arrived, payer, time) = (arrived.as_str(), payer.as_str(), time.as_str());
    let currency = charge.amount.currency();
    match p.arrival {
        Arrival::NotCounted { .. } => t!(
            lang,
            "notice-money-not-counted",
            arrived = arrived,
            to = p.to_account.as_str(),
            payer = payer,
            time = time,
            account = charge.to_account_id.as_str()
        ),
        Arrival::Counted {
            fit: Fit::OtherCurrency,
            ..
        } => t!(
            lang,
            "notice-money-other-currency",
            arrived = arrived,
            payer = payer,
            time = time
        ),
        Arrival::Counted { .. } if p.charge_was == ChargeStatus::Paid => t!(
            lang,
            "notice-money-on-top",
            arrived = arrived,
            payer = payer,
            time = time
        ),
        Arrival::Counted { .. } if m.status() == ChargeStatus::Paid => {
            if p.charge_was == ChargeStatus::Underpaid {
                t!(
                    lang,
                    "notice-money-paid-in-full",
                    arrived = arrived,
                    payer = payer,
                    time = time,
                    total = format_minor_units(m.received, currency)
                )
            } else if m.excess() > 0 {
                t!(
                    lang,
                    "notice-money-over",
                    arrived = arrived,
                    payer = payer,
                    time = time,
                    excess = format_minor_units(m.excess(), currency)
                )
            } else {
                t!(
                    lang,
                    "notice-money-paid",
                    arrived = arrived,
                    payer = payer,
                    time = time
                )
            }
        }
        Arrival::Counted { .. } => t!(
            lang,
            "notice-money-underpaid",
            arrived = arrived,
            payer = payer,
            time = time,
            missing = format_minor_units(m.missing(), currency)
        ),
    }
}

/// The seller's notice about payment `p` of `charge`: money found after the charge ended
/// without (`after`), or another payment of a QR that already had money (`p.charge_was`).
pub(in crate::bot) fn payment_notice(
    lang: Lang,
    charge: &Charge,
    payments: &[Payment],
    p: &Payment,
) -> String {
    let amount = format_money(charge.amount);
    let bill = BillRef::of(&charge.bill_number);
    let (bill, amount) = (bill.as_str(), amount.as_str());
    let head = match (PaidAfter::of(p.charge_was), p.charge_was) {
        (Some(PaidAfter::Cancelled), _) => {
            t!(lang, "notice-late-cancelled", bill = bill, amount = amount)
        }
        (Some(PaidAfter::Expired), _) => {
            t!(lang, "notice-late-expired", bill = bill, amount = amount)
        }
        (Some(PaidAfter::Discarded), _) => {
            t!(lang, "notice-late-discarded", bill = bill, amount = amount)
        }
        (Some(PaidAfter::Failed), _) => {
            t!(lang, "notice-late-failed", bill = bill, amount = amount)
        }
        (Some(PaidAfter::Unverified), _) => {
            t!(lang, "notice-late-unverified", bill = bill, amount = amount)
        }
        (None, ChargeStatus::Paid) => t!(lang, "notice-extra-paid", bill = bill, amount = amount),
        (None, ChargeStatus::Underpaid) => {
            t!(lang, "notice-extra-underpaid", bill = bill, amount = amount)
        }
        (None, _) => t!(lang, "notice-extra-mismatch", bill = bill, amount = amount),
    };
    let outcome = outcome_line(lang, charge, payments, p);
    let reference = t!(lang, "notice-money-ref", hash = short_hash(&p.hash));
    format!("{head}\n{outcome}\n{reference}")
}

/// The seller's notice that Bakong reported for `charge` transaction `hash`, which already
/// paid bill `other` (`None`: another seller's charge, not named). Bills are named by their
/// references, as their cards show them.
pub(in crate::bot) fn hash_taken_notice(
    lang: Lang,
    charge: &Charge,
    hash: &str,
    other: Option<&str>,
) -> String {
    let amount = format_money(charge.amount);
    let bill = BillRef::of(&charge.bill_number);
    let (bill, amount, hash) = (bill.as_str(), amount.as_str(), short_hash(hash));
    match other.map(BillRef::of) {
        Some(other) => t!(
            lang,
            "notice-hash-taken",
            hash = hash.as_str(),
            bill = bill,
            amount = amount,
            other = other.as_str()
        ),
        None => t!(
            lang,
            "notice-hash-taken-elsewhere",
            hash = hash.as_str(),
            bill = bill,
            amount = amount
        ),
    }
}

/// Who bought what through a pay link, for [`sale_text`].
pub(in crate::bot) struct Sale<'a> {
    pub buyer: &'a str,
    pub item: &'a str,
    pub time: &'a str,
}

/// The seller's message about a pay link's sale: what arrived (not the price), for which
/// item, from whom, and what does not fit; the charge's label under the headline.
pub(in crate::bot) fn sale_text(
    lang: Lang,
    charge: &Charge,
    payments: &[Payment],
    sale: &Sale<'_>,
) -> String {
    let m = charge_money(charge, payments);
    let price = format_money(charge.amount);
    let first = payments.first();
    let payer = payer_of(first);
    let (buyer, item, time, price, payer) = (
        sale.buyer,
        sale.item,
        sale.time,
        price.as_str(),
        payer.as_str(),
    );
    let currency = charge.amount.currency();
    let text = match charge.status {
        ChargeStatus::Underpaid => t!(
            lang,
            "link-sale-underpaid",
            buyer = buyer,
            amount = format_minor_units(m.received, currency),
            price = price,
            item = item,
            payer = payer,
            time = time,
            missing = format_minor_units(m.missing(), currency)
        ),
        ChargeStatus::Mismatch if !m.other.is_empty() => t!(
            lang,
            "link-sale-mismatch",
            buyer = buyer,
            amount = sums_text(&m.other),
            item = item,
            price = price,
            payer = payer,
            time = time
        ),
        ChargeStatus::Mismatch => {
            let arrived = first.map_or_else(|| "?".to_owned(), arrived_text);
            let to = first.map_or("—", |p| p.to_account.as_str());
            t!(
                lang,
                "link-sale-not-counted",
                amount = arrived.as_str(),
                item = item,
                price = price,
                buyer = buyer,
                to = to,
                payer = payer,
                time = time
            )
        }
        _ => {
            let received = if m.received > 0 {
                format_minor_units(m.received, currency)
            } else {
                price.to_owned()
            };
            let mut text = t!(
                lang,
                "link-sale",
                buyer = buyer,
                amount = received.as_str(),
                item = item,
                payer = payer,
                time = time
            );
            if m.excess() > 0 {
                text.push('\n');
                text.push_str(&t!(
                    lang,
                    "link-sale-over",
                    excess = format_minor_units(m.excess(), currency),
                    price = price
                ));
            }
            text
        }
    };
    ChargeLabel::of(charge).under_headline(&text)
}

/// A payment's kind as a word of the seller's language (the export's "Payment" column).
pub(in crate::bot) fn payment_word(lang: Lang, p: &Payment) -> String {
    let fit = match p.arrival {
        Arrival::Counted {
            fit: Fit::Exact, ..
        } => t!(lang, "pay-fit-exact"),
        Arrival::Counted { fit: Fit::Over, .. } => t!(lang, "pay-fit-over"),
        Arrival::Counted {
            fit: Fit::Under, ..
        } => t!(lang, "pay-fit-under"),
        Arrival::Counted {
            fit: Fit::OtherCurrency,
            ..
        } => t!(lang, "pay-fit-other-currency"),
        Arrival::NotCounted { .. } => t!(lang, "pay-fit-not-counted"),
    };
    if p.charge_was.has_payment() {
        format!("{fit} · {}", t!(lang, "pay-extra"))
    } else {
        fit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::khqr::{Amount, Currency};
    use crate::store::{ChargeId, MerchantId};

    fn charge(status: ChargeStatus, minor: u64) -> Charge {
        Charge {
            id: ChargeId(1),
            merchant_id: MerchantId(1),
            chat_id: 1,
            message_id: Some(1),
            bill_number: "KB1".into(),
            khqr: String::new(),
            md5: String::new(),
            to_account_id: "shop@aba".into(),
            amount: Amount::from_minor(minor, Currency::Usd).unwrap(),
            note: Some("coffee".into()),
            status,
            created_at: 0,
            expires_at: 600,
            next_poll_at: 0,
            last_check_at: None,
            settled_at: Some(10),
            bakong_hash: None,
            payer_account_id: None,
            paid_amount_minor: None,
            paid_currency: None,
            paid_to_account_id: None,
            paid_at: Some(10),
            paid_after: None,
            inline_message_id: None,
            card_file_id: None,
            difference_of: None,
        }
    }

    fn paid(id: i64, minor: u64, asked: u64, was: ChargeStatus) -> Payment {
        let money = Money {
            currency: Currency::Usd,
            minor,
        };
        let asked = Money {
            currency: Currency::Usd,
            minor: asked,
        };
        Payment {
            id,
            charge_id: ChargeId(1),
            merchant_id: MerchantId(1),
            hash: format!("{id:064}"),
            payer_account: "cust@wing".into(),
            to_account: "shop@aba".into(),
            currency: "USD".into(),
            amount: "x".into(),
            arrival: Arrival::Counted {
                money,
                fit: Fit::of(asked, money),
            },
            charge_was: was,
            paid_at: 100,
            found_at: 101,
        }
    }

    #[test]
    fn an_over_payment_card_says_what_arrived_and_the_excess() {
        let c = charge(ChargeStatus::Paid, 200);
        let card = money_card(
            Lang::En,
            &c,
            &[paid(1, 250, 200, ChargeStatus::Pending)],
            "Shop",
            true,
        )
        .unwrap();
        assert_eq!(card.kind, StatusKind::Paid);
        assert!(
            card.caption
                .contains("Received $2.50: $0.50 more than asked"),
            "{}",
            card.caption
        );
        assert_eq!(card.lines[0], "Received $2.50 — $0.50 more than asked");
    }

    #[test]
    fn an_under_payment_card_is_amber_with_what_is_missing() {
        let c = charge(ChargeStatus::Underpaid, 400);
        let payments = [paid(1, 300, 400, ChargeStatus::Pending)];
        let card = money_card(Lang::En, &c, &payments, "Shop", true).unwrap();
        assert_eq!(card.kind, StatusKind::Attention);
        assert!(
            card.caption.contains("Received $3.00: $1.00 missing"),
            "{}",
            card.caption
        );
        assert_eq!(
            missing_money(&c, &payments),
            Some(Money {
                currency: Currency::Usd,
                minor: 100
            })
        );
        let words = customer_caption(Lang::En, &c, &payments, "Shop").unwrap();
        assert!(words.contains("$1.00 is missing"), "{words}");
        assert!(words.contains("Do not pay this QR code again"), "{words}");
    }

    #[test]
    fn notices_say_what_each_payment_did() {
        let c = charge(ChargeStatus::Paid, 400);
        let first = paid(1, 300, 400, ChargeStatus::Pending);
        let second = paid(2, 100, 400, ChargeStatus::Underpaid);
        let payments = [first, second.clone()];
        let text = payment_notice(Lang::En, &c, &payments, &second);
        assert!(text.contains("which was paid in part"), "{text}");
        assert!(text.contains("now paid in full ($4.00 in all)"), "{text}");
        let third = paid(3, 400, 400, ChargeStatus::Paid);
        let text = payment_notice(
            Lang::En,
            &c,
            &[payments[0].clone(), second, third.clone()],
            &third,
        );
        assert!(text.contains("already paid"), "{text}");
        assert!(text.contains("refund them"), "{text}");
        let failed = paid(4, 400, 400, ChargeStatus::Failed);
        let text = payment_notice(Lang::En, &c, std::slice::from_ref(&failed), &failed);
        assert!(
            text.contains("after a payment attempt had failed"),
            "{text}"
        );
        assert!(text.contains("the bill is paid"), "{text}");
    }

    /// A card in a customer's chat shares its picture with the seller's card: that picture,
    /// and the customer's caption, name neither the payer's account nor the transaction;
    /// the seller's own picture and caption do.
    #[test]
    fn a_shared_status_card_shows_no_payer_and_no_hash() {
        let hash = short_hash(&format!("{:064}", 1));
        for (status, asked, minor) in [
            (ChargeStatus::Paid, 200, 250),
            (ChargeStatus::Underpaid, 400, 300),
        ] {
            let c = charge(status, asked);
            let payments = [paid(1, minor, asked, ChargeStatus::Pending)];
            let shared = money_card(Lang::En, &c, &payments, "Shop", false).unwrap();
            let guest = customer_caption(Lang::En, &c, &payments, "Shop").unwrap();
            for text in shared.lines.iter().chain([&guest]) {
                assert!(
                    !text.contains("cust@wing") && !text.contains(&hash),
                    "{status:?}: {text}"
                );
            }
            assert!(shared.caption.contains("cust@wing") && shared.caption.contains(&hash));
            let own = money_card(Lang::En, &c, &payments, "Shop", true).unwrap();
            let all = own.lines.join("\n");
            assert!(all.contains("cust@wing") && all.contains(&hash), "{all}");
        }
    }
}
