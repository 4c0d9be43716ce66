//! Every follow-up about a charge names it as its cards do: the reference and the note.

use super::*;
use crate::khqr::{Amount, Currency};
use crate::store::{Arrival, ChargeId, Fit, MerchantId, Money};

const BILL: &str = "KB7Q4M2HXK9RW3";
const REFERENCE: &str = "#XK9RW3";
const NOTE: &str = "ការ៉េមដូង iced coffee";

fn charge(status: ChargeStatus) -> Charge {
    Charge {
        id: ChargeId(1),
        merchant_id: MerchantId(1),
        chat_id: 1,
        message_id: Some(1),
        bill_number: BILL.into(),
        khqr: String::new(),
        md5: String::new(),
        to_account_id: "shop@aba".into(),
        amount: Amount::from_minor(500, Currency::Usd).unwrap(),
        note: Some(NOTE.into()),
        status,
        created_at: 0,
        expires_at: 600,
        next_poll_at: 0,
        last_check_at: None,
        settled_at: Some(700),
        bakong_hash: None,
        payer_account_id: None,
        paid_amount_minor: None,
        paid_currency: None,
        paid_to_account_id: None,
        paid_at: Some(700),
        paid_after: None,
        inline_message_id: None,
        card_file_id: None,
        difference_of: None,
    }
}

fn payment(minor: u64, was: ChargeStatus) -> Payment {
    let money = Money {
        currency: Currency::Usd,
        minor,
    };
    let asked = Money {
        currency: Currency::Usd,
        minor: 500,
    };
    Payment {
        id: 1,
        charge_id: ChargeId(1),
        merchant_id: MerchantId(1),
        hash: "ab".repeat(32),
        payer_account: "cust@wing".into(),
        to_account: "shop@aba".into(),
        currency: "USD".into(),
        amount: "5".into(),
        arrival: Arrival::Counted {
            money,
            fit: Fit::of(asked, money),
        },
        charge_was: was,
        paid_at: 700,
        found_at: 701,
    }
}

fn merchant(language: Lang) -> Merchant {
    Merchant {
        id: MerchantId(1),
        telegram_user_id: 1,
        chat_id: 1,
        language,
        language_chosen: true,
        default_currency: Currency::Usd,
        profile: None,
        token_version: 1,
        token_rejected_at: None,
        token_reminded_at: None,
        token_accepted_at: None,
        email: None,
        created_at: 0,
        updated_at: 0,
    }
}

fn task(kind: FollowUpKind, payload: serde_json::Value) -> OutboxItem {
    OutboxItem {
        id: 7,
        merchant_id: MerchantId(1),
        charge_id: Some(ChargeId(1)),
        kind,
        payload,
        attempts: 0,
        next_attempt_at: 0,
        last_error: None,
        created_at: 700,
        done_at: None,
    }
}

/// The texts a follow-up of `kind` sends about the charge, in `lang`; empty for the kinds
/// that are not about one charge.
fn texts(kind: FollowUpKind, lang: Lang) -> Vec<String> {
    use FollowUpKind as K;
    let settled = |status: ChargeStatus, payments: &[Payment]| {
        let rendered = render_settled(
            &charge(status),
            payments,
            &merchant(lang),
            800,
            Audience::Seller,
        )
        .unwrap();
        vec![rendered.caption, rendered.guest_caption]
    };
    let notice = |status: ChargeStatus, payload, payments: &[Payment], other: Option<&str>| {
        let t = task(kind, payload);
        vec![charge_notice_text(&t, &charge(status), payments, other, lang).unwrap()]
    };
    let late = serde_json::json!({ "payment": 1 });
    match kind {
        K::ChargePaid => settled(ChargeStatus::Paid, &[payment(500, ChargeStatus::Pending)]),
        K::ChargeUnderpaid => settled(
            ChargeStatus::Underpaid,
            &[payment(300, ChargeStatus::Pending)],
        ),
        K::ChargeMismatch => {
            let mut p = payment(500, ChargeStatus::Pending);
            p.arrival = Arrival::NotCounted { readable: None };
            settled(ChargeStatus::Mismatch, &[p])
        }
        K::ChargeFailed => settled(ChargeStatus::Failed, &[]),
        K::ChargeExpired => settled(ChargeStatus::Expired, &[]),
        K::ChargeCancelled => settled(ChargeStatus::Cancelled, &[]),
        K::ChargeUnverified => settled(ChargeStatus::Unverified, &[]),
        K::ChargeUnverifiedNotice => {
            notice(ChargeStatus::Unverified, serde_json::json!({}), &[], None)
        }
        K::ChargePaidLate => {
            let mut texts = Vec::new();
            for was in [
                ChargeStatus::Expired,
                ChargeStatus::Cancelled,
                ChargeStatus::Failed,
                ChargeStatus::Unverified,
                ChargeStatus::Discarded,
            ] {
                let payments = [payment(500, was)];
                texts.extend(notice(ChargeStatus::Paid, late.clone(), &payments, None));
            }
            texts
        }
        K::PaymentExtra => {
            let mut texts = Vec::new();
            for was in [
                ChargeStatus::Paid,
                ChargeStatus::Underpaid,
                ChargeStatus::Mismatch,
            ] {
                let payments = [payment(500, was)];
                texts.extend(notice(ChargeStatus::Paid, late.clone(), &payments, None));
            }
            texts
        }
        K::PaymentUnwatched => notice(
            ChargeStatus::Expired,
            serde_json::json!({ "payer": "cust@wing", "hash": "ab", "status": "expired" }),
            &[],
            None,
        ),
        K::PaymentHashTaken => {
            let payload = serde_json::json!({ "hash": "ab".repeat(32) });
            let mut texts = notice(
                ChargeStatus::Pending,
                payload.clone(),
                &[],
                Some("KB22222222OTHER"),
            );
            texts.extend(notice(ChargeStatus::Pending, payload, &[], None));
            texts
        }
        K::LinkSale => {
            let mut texts = Vec::new();
            for (status, minor) in [
                (ChargeStatus::Paid, 500),
                (ChargeStatus::Paid, 600),
                (ChargeStatus::Underpaid, 300),
            ] {
                let sale = money_words::Sale {
                    buyer: "Dara",
                    item: NOTE,
                    time: "12:00",
                };
                let payments = [payment(minor, ChargeStatus::Pending)];
                texts.push(money_words::sale_text(
                    lang,
                    &charge(status),
                    &payments,
                    &sale,
                ));
            }
            texts
        }
        K::TokenRefused
        | K::TokenExpiring
        | K::TokenRenewed
        | K::TokenRenewalEnded
        | K::TokenUnreadable
        | K::CloseSummary => Vec::new(),
    }
}

#[test]
fn every_follow_up_about_a_charge_names_its_reference_and_note_in_both_languages() {
    let mut about_a_charge = 0;
    for kind in FollowUpKind::ALL {
        for lang in Lang::ALL {
            let texts = texts(kind, lang);
            if !texts.is_empty() {
                about_a_charge += 1;
            }
            for text in texts {
                assert!(text.contains(REFERENCE), "{kind} {lang:?}: {text}");
                assert!(text.contains(NOTE), "{kind} {lang:?}: {text}");
                // The full bill number is for /check, exports and Bakong support.
                assert!(!text.contains(BILL), "{kind} {lang:?}: {text}");
            }
        }
    }
    assert_eq!(about_a_charge, 2 * 13);
}

#[test]
fn a_transaction_that_paid_another_bill_names_that_bill_by_its_reference() {
    let t = task(
        FollowUpKind::PaymentHashTaken,
        serde_json::json!({ "hash": "ab".repeat(32) }),
    );
    let text = charge_notice_text(
        &t,
        &charge(ChargeStatus::Pending),
        &[],
        Some("KB22222222OTHER"),
        Lang::En,
    )
    .unwrap();
    assert!(text.contains("#2OTHER"), "{text}");
}
