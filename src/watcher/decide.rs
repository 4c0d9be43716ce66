//! The settlement rules, as one pure function.
//!
//! From the NBC integration guide: success → paid, failed → failed, not found while the QR
//! is valid → keep polling, not found once it expired → time-out. On top of the guide:
//!
//! - A transaction only settles a charge when its receiving account, currency and amount
//!   (exact minor units, no floats) all match. Anything else is a *mismatch*: recorded and
//!   shown to the merchant, never counted as paid.
//! - A payment confirmed in the customer's app just before the QR expired may reach Bakong
//!   a moment later. So the first "not found" after `expires_at` is not final: it is
//!   recorded ([`Decision::LastCheckThenExpire`]) and the charge is expired only by a later
//!   "not found" at least `expiry_grace_secs` after that one.
//! - "Bakong could not answer this item" is never read as "not paid".
//! - A cancelled or expired charge is still watched for a while (a forwarded copy of its QR
//!   can be paid): for it only a transaction matters — it is judged like any other (the
//!   store records it as paid *late*) — and every other answer changes nothing.

use super::types::{Currency, Lookup, Transaction, UnixSecs};
/// What the watcher knows about a charge: the store reads it ([`crate::store::DueCharge`]),
/// these rules judge it.
pub use crate::store::ChargeFacts;

/// How long after its QR's expiry a cancelled or expired charge is still asked about.
pub const LATE_WATCH_SECS: i64 = 15 * 60;

/// A pending charge never verified (Bakong could not be asked: token refused or
/// unopenable, Bakong unreachable) ends as `unverified` this long after its QR's expiry.
pub const UNVERIFIED_AFTER_SECS: i64 = 24 * 3600;

/// Tunables of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Minimum time between the first "not found" after expiry and the check that expires
    /// the charge.
    pub expiry_grace_secs: i64,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            expiry_grace_secs: 5,
        }
    }
}

/// A payment that settles the charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    /// Bakong transaction hash (64 hex).
    pub hash: String,
    /// The customer's Bakong account.
    pub payer_account: String,
    /// When Bakong created the transaction (falls back to acknowledgement time, then to
    /// the time of the check), unix seconds.
    pub paid_at: UnixSecs,
    /// The transaction was created after the QR's expiry. The money arrived all the same,
    /// so the charge is paid; the flag lets the merchant see it.
    pub late: bool,
}

/// Which facts of a transaction disagree with the charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MismatchFields {
    pub account: bool,
    pub currency: bool,
    pub amount: bool,
}

/// A transaction for this QR that does not settle the charge: what arrived, verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub hash: String,
    pub payer_account: String,
    pub to_account: String,
    /// Currency text as Bakong sent it.
    pub currency: String,
    /// Amount text as Bakong sent it.
    pub amount: String,
    pub fields: MismatchFields,
    /// When Bakong created the transaction, unix seconds (or the check time if unknown).
    pub at: UnixSecs,
}

/// What to do with a pending charge after a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Terminal: paid. Record hash, payer and time; edit the message.
    MarkPaid(Payment),
    /// Terminal, NOT paid: a transaction arrived that does not match. Record it and tell
    /// the merchant what arrived.
    RecordMismatch(Mismatch),
    /// Terminal: Bakong reports the transaction failed.
    MarkFailed,
    /// Nothing to record; ask again next round.
    KeepPolling,
    /// Not found after expiry for the first time: record `last_check_at = at`, ask again.
    LastCheckThenExpire { at: UnixSecs },
    /// Terminal: not found, expired, and the last check came back empty.
    MarkExpired,
}

impl Decision {
    /// Whether the decision ends the charge's life.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Decision::MarkPaid(_)
                | Decision::RecordMismatch(_)
                | Decision::MarkFailed
                | Decision::MarkExpired
        )
    }
}

/// Apply the rules to one lookup made at `now`.
pub fn decide(charge: &ChargeFacts, lookup: &Lookup, now: UnixSecs, rules: Rules) -> Decision {
    if charge.ended.is_some() {
        // Late watch: only money changes anything; "failed", "not found" and no answer
        // leave the cancelled/expired charge as it is.
        return match lookup {
            Lookup::Paid(tx) => judge_transaction(charge, tx, now),
            _ => Decision::KeepPolling,
        };
    }
    match lookup {
        Lookup::Paid(tx) => judge_transaction(charge, tx, now),
        Lookup::Failed => Decision::MarkFailed,
        // Our QRs are dynamic, so "static QR" is an anomaly; it is as good as "nothing
        // found" for the deadline (the merchant keeps the manual `/check <hash>`).
        Lookup::NotFound | Lookup::StaticQr => not_found(charge, now, rules),
        Lookup::Unavailable => Decision::KeepPolling,
    }
}

fn not_found(charge: &ChargeFacts, now: UnixSecs, rules: Rules) -> Decision {
    if now < charge.expires_at {
        return Decision::KeepPolling;
    }
    match charge.last_check_at {
        None => Decision::LastCheckThenExpire { at: now },
        Some(first) if now.saturating_sub(first) >= rules.expiry_grace_secs.max(0) => {
            Decision::MarkExpired
        }
        Some(_) => Decision::KeepPolling,
    }
}

fn judge_transaction(charge: &ChargeFacts, tx: &Transaction, now: UnixSecs) -> Decision {
    let hash = tx.hash.trim();
    if hash.is_empty() {
        // A "transaction" without a hash cannot be recorded or verified later: treat the
        // answer as unusable and ask again.
        return Decision::KeepPolling;
    }
    let at = tx
        .created_date_ms
        .or(tx.acknowledged_date_ms)
        .and_then(|ms| UnixSecs::try_from(ms / 1000).ok())
        .unwrap_or(now);

    let currency = tx.currency_code.trim().parse::<Currency>().ok();
    let fields = MismatchFields {
        account: !same_account(&tx.to_account_id, &charge.account_id),
        currency: currency != Some(charge.currency),
        // Read the amount with the charge's precision; with a foreign currency the amount
        // is compared the same way but the currency flag already makes it a mismatch.
        amount: tx.amount_minor(charge.currency.decimals()) != Some(charge.amount_minor),
    };

    if fields == MismatchFields::default() {
        Decision::MarkPaid(Payment {
            hash: hash.to_owned(),
            payer_account: payer(tx),
            paid_at: at,
            late: tx
                .created_date_ms
                .and_then(|ms| UnixSecs::try_from(ms / 1000).ok())
                .is_some_and(|created| created > charge.expires_at),
        })
    } else {
        Decision::RecordMismatch(Mismatch {
            hash: hash.to_owned(),
            payer_account: payer(tx),
            to_account: tx.to_account_id.trim().to_owned(),
            currency: tx.currency_code.trim().to_owned(),
            amount: tx.amount.as_str().to_owned(),
            fields,
            at,
        })
    }
}

fn payer(tx: &Transaction) -> String {
    tx.from_account_id
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Bakong account IDs (`name@bank`) are compared ignoring ASCII case and surrounding
/// whitespace, like the e-mail-style identifiers they are; every other byte must match.
fn same_account(received: &str, expected: &str) -> bool {
    let (r, e) = (received.trim(), expected.trim());
    !r.is_empty() && r.eq_ignore_ascii_case(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bakong::DecimalAmount;
    use crate::store::PaidAfter;

    const EXPIRES: UnixSecs = 1_800_000_600;
    const RULES: Rules = Rules {
        expiry_grace_secs: 5,
    };

    fn usd_charge(amount_minor: u64) -> ChargeFacts {
        ChargeFacts {
            account_id: "shop@aba".into(),
            currency: Currency::Usd,
            amount_minor,
            expires_at: EXPIRES,
            last_check_at: None,
            ended: None,
        }
    }

    fn khr_charge(amount_minor: u64) -> ChargeFacts {
        ChargeFacts {
            currency: Currency::Khr,
            ..usd_charge(amount_minor)
        }
    }

    fn tx(to: &str, currency: &str, amount: &str) -> Transaction {
        Transaction {
            hash: "ab".repeat(32),
            from_account_id: Some("customer@wing".into()),
            to_account_id: to.into(),
            currency_code: currency.into(),
            amount: DecimalAmount::parse(amount).unwrap(),
            description: None,
            created_date_ms: Some(1_800_000_100_123),
            acknowledged_date_ms: Some(1_800_000_101_000),
            tracking_status: None,
            receiver_bank: None,
            receiver_bank_account: None,
        }
    }

    fn paid(charge: &ChargeFacts, t: Transaction, now: UnixSecs) -> Decision {
        decide(charge, &Lookup::Paid(t), now, RULES)
    }

    fn expect_mismatch(d: Decision) -> Mismatch {
        match d {
            Decision::RecordMismatch(m) => m,
            other => panic!("expected a mismatch, got {other:?}"),
        }
    }

    #[test]
    fn matching_usd_transaction_is_paid_with_hash_payer_and_time() {
        let d = paid(
            &usd_charge(500),
            tx("shop@aba", "USD", "5.0"),
            EXPIRES - 100,
        );
        assert_eq!(
            d,
            Decision::MarkPaid(Payment {
                hash: "ab".repeat(32),
                payer_account: "customer@wing".into(),
                paid_at: 1_800_000_100,
                late: false,
            })
        );
        assert!(d.is_terminal());
    }

    #[test]
    fn matching_amount_in_any_exact_spelling_is_paid() {
        for text in ["5", "5.0", "5.00", "5.000", " 5.00 "] {
            let d = paid(&usd_charge(500), tx("shop@aba", "USD", text), EXPIRES - 1);
            assert!(matches!(d, Decision::MarkPaid(_)), "{text}: {d:?}");
        }
        let d = paid(
            &khr_charge(40_000),
            tx("shop@aba", "KHR", "40000"),
            EXPIRES - 1,
        );
        assert!(matches!(d, Decision::MarkPaid(_)), "{d:?}");
        let d = paid(
            &khr_charge(40_000),
            tx("shop@aba", "khr", "40000.0"),
            EXPIRES - 1,
        );
        assert!(matches!(d, Decision::MarkPaid(_)), "{d:?}");
    }

    #[test]
    fn account_match_ignores_ascii_case_and_whitespace_only() {
        let d = paid(&usd_charge(500), tx(" SHOP@ABA ", "USD", "5"), EXPIRES - 1);
        assert!(matches!(d, Decision::MarkPaid(_)), "{d:?}");
        let m = expect_mismatch(paid(&usd_charge(500), tx("shop2@aba", "USD", "5"), 0));
        assert!(m.fields.account);
        let m = expect_mismatch(paid(&usd_charge(500), tx("shop@abb", "USD", "5"), 0));
        assert!(m.fields.account);
        let m = expect_mismatch(paid(&usd_charge(500), tx("", "USD", "5"), 0));
        assert!(m.fields.account);
    }

    #[test]
    fn wrong_amount_is_a_mismatch_never_paid() {
        for text in ["4.99", "5.01", "50", "0.5", "500", "0", "5.001", "05.0001"] {
            let m = expect_mismatch(paid(&usd_charge(500), tx("shop@aba", "USD", text), 1));
            assert_eq!(
                m.fields,
                MismatchFields {
                    amount: true,
                    ..Default::default()
                },
                "{text}"
            );
            assert_eq!(m.amount, text.trim());
        }
        let m = expect_mismatch(paid(
            &khr_charge(40_000),
            tx("shop@aba", "KHR", "40000.5"),
            1,
        ));
        assert!(m.fields.amount);
        let m = expect_mismatch(paid(&khr_charge(40_000), tx("shop@aba", "KHR", "4000"), 1));
        assert!(m.fields.amount);
    }

    #[test]
    fn wrong_currency_is_a_mismatch_even_when_the_number_matches() {
        // 5 USD charge, 500 KHR paid: the "minor units" coincide, the money does not.
        let m = expect_mismatch(paid(&usd_charge(500), tx("shop@aba", "KHR", "500"), 1));
        assert!(m.fields.currency);
        let m = expect_mismatch(paid(&usd_charge(500), tx("shop@aba", "KHR", "5.00"), 1));
        assert!(m.fields.currency);
        assert!(!m.fields.amount);
        let m = expect_mismatch(paid(&khr_charge(20_000), tx("shop@aba", "USD", "20000"), 1));
        assert!(m.fields.currency);
        let m = expect_mismatch(paid(&usd_charge(500), tx("shop@aba", "EUR", "5"), 1));
        assert!(m.fields.currency);
        let m = expect_mismatch(paid(&usd_charge(500), tx("shop@aba", "", "5"), 1));
        assert!(m.fields.currency);
    }

    #[test]
    fn mismatch_reports_everything_that_arrived() {
        let mut t = tx("other@acleda", "KHR", "1000");
        t.from_account_id = Some(" payer@abaa ".into());
        let m = expect_mismatch(paid(&usd_charge(500), t, 42));
        assert_eq!(
            m,
            Mismatch {
                hash: "ab".repeat(32),
                payer_account: "payer@abaa".into(),
                to_account: "other@acleda".into(),
                currency: "KHR".into(),
                amount: "1000".into(),
                fields: MismatchFields {
                    account: true,
                    currency: true,
                    amount: true
                },
                at: 1_800_000_100,
            }
        );
    }

    #[test]
    fn mismatch_is_terminal_and_not_paid_even_after_expiry() {
        let d = paid(&usd_charge(500), tx("shop@aba", "USD", "4"), EXPIRES + 1000);
        assert!(matches!(d, Decision::RecordMismatch(_)));
        assert!(d.is_terminal());
    }

    #[test]
    fn late_payment_that_matches_is_paid_and_flagged() {
        let mut t = tx("shop@aba", "USD", "5");
        t.created_date_ms = Some((EXPIRES as u64 + 30) * 1000);
        let mut charge = usd_charge(500);
        charge.last_check_at = Some(EXPIRES + 2);
        match paid(&charge, t, EXPIRES + 40) {
            Decision::MarkPaid(p) => {
                assert!(p.late);
                assert_eq!(p.paid_at, EXPIRES + 30);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn paid_time_falls_back_to_acknowledged_then_now() {
        let mut t = tx("shop@aba", "USD", "5");
        t.created_date_ms = None;
        match paid(&usd_charge(500), t.clone(), 7) {
            Decision::MarkPaid(p) => {
                assert_eq!(p.paid_at, 1_800_000_101);
                assert!(!p.late);
            }
            other => panic!("{other:?}"),
        }
        t.acknowledged_date_ms = None;
        match paid(&usd_charge(500), t, 7) {
            Decision::MarkPaid(p) => assert_eq!(p.paid_at, 7),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn transaction_without_hash_is_not_settled() {
        let mut t = tx("shop@aba", "USD", "5");
        t.hash = "  ".into();
        assert_eq!(paid(&usd_charge(500), t, 1), Decision::KeepPolling);
    }

    #[test]
    fn failed_is_failed_before_and_after_expiry() {
        for now in [EXPIRES - 100, EXPIRES, EXPIRES + 100] {
            let d = decide(&usd_charge(500), &Lookup::Failed, now, RULES);
            assert_eq!(d, Decision::MarkFailed);
            assert!(d.is_terminal());
        }
    }

    #[test]
    fn not_found_before_expiry_keeps_polling() {
        for now in [0, EXPIRES - 600, EXPIRES - 1] {
            let d = decide(&usd_charge(500), &Lookup::NotFound, now, RULES);
            assert_eq!(d, Decision::KeepPolling);
            assert!(!d.is_terminal());
        }
    }

    #[test]
    fn not_found_at_or_after_expiry_asks_once_more_then_expires() {
        let mut charge = usd_charge(500);
        let d = decide(&charge, &Lookup::NotFound, EXPIRES, RULES);
        assert_eq!(d, Decision::LastCheckThenExpire { at: EXPIRES });
        assert!(!d.is_terminal());

        charge.last_check_at = Some(EXPIRES);
        // Too soon after the first empty answer (e.g. a "Check now" press): not yet.
        for now in [EXPIRES, EXPIRES + 4] {
            assert_eq!(
                decide(&charge, &Lookup::NotFound, now, RULES),
                Decision::KeepPolling
            );
        }
        for now in [EXPIRES + 5, EXPIRES + 3600] {
            let d = decide(&charge, &Lookup::NotFound, now, RULES);
            assert_eq!(d, Decision::MarkExpired);
            assert!(d.is_terminal());
        }
    }

    #[test]
    fn long_overdue_charge_still_gets_its_last_check() {
        // After a long outage/restart the first check is far past expiry: still not
        // expired on that check alone.
        let d = decide(&usd_charge(500), &Lookup::NotFound, EXPIRES + 86_400, RULES);
        assert_eq!(
            d,
            Decision::LastCheckThenExpire {
                at: EXPIRES + 86_400
            }
        );
    }

    #[test]
    fn payment_found_on_the_last_check_wins_over_expiry() {
        let mut charge = usd_charge(500);
        charge.last_check_at = Some(EXPIRES + 1);
        let d = paid(&charge, tx("shop@aba", "USD", "5"), EXPIRES + 10);
        assert!(matches!(d, Decision::MarkPaid(_)));
    }

    #[test]
    fn static_qr_answer_follows_the_not_found_path() {
        assert_eq!(
            decide(&usd_charge(500), &Lookup::StaticQr, EXPIRES - 1, RULES),
            Decision::KeepPolling
        );
        assert_eq!(
            decide(&usd_charge(500), &Lookup::StaticQr, EXPIRES, RULES),
            Decision::LastCheckThenExpire { at: EXPIRES }
        );
    }

    #[test]
    fn unavailable_never_expires_a_charge() {
        let mut charge = usd_charge(500);
        charge.last_check_at = Some(EXPIRES);
        for now in [EXPIRES - 1, EXPIRES + 5, EXPIRES + 86_400] {
            assert_eq!(
                decide(&charge, &Lookup::Unavailable, now, RULES),
                Decision::KeepPolling
            );
        }
    }

    #[test]
    fn zero_or_negative_grace_expires_on_the_next_check() {
        let mut charge = usd_charge(500);
        charge.last_check_at = Some(EXPIRES);
        for grace in [0, -10] {
            let rules = Rules {
                expiry_grace_secs: grace,
            };
            assert_eq!(
                decide(&charge, &Lookup::NotFound, EXPIRES, rules),
                Decision::MarkExpired
            );
        }
    }

    #[test]
    fn ended_charges_only_change_for_a_transaction() {
        for after in [
            PaidAfter::Cancelled,
            PaidAfter::Expired,
            PaidAfter::Discarded,
        ] {
            let mut charge = usd_charge(500);
            charge.ended = Some(after);
            charge.last_check_at = Some(EXPIRES);
            for lookup in [
                Lookup::Failed,
                Lookup::NotFound,
                Lookup::StaticQr,
                Lookup::Unavailable,
            ] {
                for now in [EXPIRES - 100, EXPIRES + 20, EXPIRES + LATE_WATCH_SECS] {
                    assert_eq!(
                        decide(&charge, &lookup, now, RULES),
                        Decision::KeepPolling,
                        "{after:?} {lookup:?} at {now}"
                    );
                }
            }
            let mut t = tx("shop@aba", "USD", "5");
            t.created_date_ms = Some((EXPIRES as u64 + 20) * 1000);
            match paid(&charge, t, EXPIRES + 40) {
                Decision::MarkPaid(p) => {
                    assert!(p.late);
                    assert_eq!(p.paid_at, EXPIRES + 20);
                }
                other => panic!("{other:?}"),
            }
            let m = expect_mismatch(paid(&charge, tx("shop@aba", "USD", "4"), EXPIRES + 40));
            assert!(m.fields.amount);
        }
    }
}
