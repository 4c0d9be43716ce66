//! The settlement rules, as one pure function.
//!
//! From the NBC integration guide: success → paid, failed → failed, not found while the QR
//! is valid → keep polling, not found once it expired → time-out. On top of the guide:
//!
//! - **Every transaction Bakong reports for one of our QRs is money received**, whatever
//!   the charge's state: it is judged ([`Transfer`]: did it reach the charge's account, in
//!   a currency we know, with a readable amount, and how does it compare with what was
//!   asked — exact minor units, no floats) and recorded in the payments ledger
//!   ([`Decision::Record`]). The ledger makes the charge `paid`, `underpaid` or `mismatch`
//!   from all its payments (`store::ChargeMoney`); money that did not reach the seller's
//!   account is recorded but never counted.
//! - A transaction the ledger already holds for the charge (its own payment seen again, or
//!   one refused because it belongs to another charge: [`ChargeFacts::seen_hashes`])
//!   changes nothing.
//! - A payment confirmed in the customer's app just before the QR expired may reach Bakong
//!   a moment later. So the first "not found" after `expires_at` is not final: it is
//!   recorded ([`Decision::LastCheckThenExpire`]) and the charge is expired only by a later
//!   "not found" at least `expiry_grace_secs` after that one.
//! - "Bakong could not answer this item" is never read as "not paid".
//! - A charge no longer pending (cancelled, expired, failed, a draft nobody chose, or
//!   settled) is still watched for a while: a forwarded copy of its QR can be paid, a
//!   failed payment tried again, a paid QR paid twice. For it only a new transaction
//!   matters; every other answer changes nothing.

use super::types::{Currency, Lookup, Transaction, UnixSecs};
/// What the watcher knows about a charge: the store reads it ([`crate::store::DueCharge`]),
/// these rules judge it.
pub use crate::store::ChargeFacts;
use crate::store::{Arrival, ChargeStatus, Fit, Money, Transfer, normalise_hash};

/// How long after its QR's expiry an ended or settled charge is still asked about.
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

/// What to do with a charge after a lookup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// A transaction the ledger does not hold yet: record it (the charge's status follows
    /// from its payments; the merchant is told what arrived).
    Record(Transfer),
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
    /// Whether the decision ends a pending charge's wait.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Decision::Record(_) | Decision::MarkFailed | Decision::MarkExpired
        )
    }
}

/// Apply the rules to one lookup made at `now`.
pub fn decide(charge: &ChargeFacts, lookup: &Lookup, now: UnixSecs, rules: Rules) -> Decision {
    if charge.status != ChargeStatus::Pending {
        // Late watch: only new money changes anything; "failed", "not found" and no answer
        // leave the ended or settled charge as it is.
        return match lookup {
            Lookup::Paid(tx) => judge_transaction(charge, tx, now, rules),
            _ => Decision::KeepPolling,
        };
    }
    match lookup {
        Lookup::Paid(tx) => judge_transaction(charge, tx, now, rules),
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

fn judge_transaction(
    charge: &ChargeFacts,
    tx: &Transaction,
    now: UnixSecs,
    rules: Rules,
) -> Decision {
    let hash = normalise_hash(&tx.hash);
    if hash.is_empty() {
        // A "transaction" without a hash cannot be recorded or verified later: treat the
        // answer as unusable and ask again.
        return Decision::KeepPolling;
    }
    if charge.seen_hashes.iter().any(|h| normalise_hash(h) == hash) {
        // Already in the ledger for this charge, or refused: it paid another charge. A
        // pending charge has no payment of its own, so this answer brings it none: it ends
        // as an unpaid one would (expired after its QR's time), not open for ever.
        return if charge.status == ChargeStatus::Pending {
            not_found(charge, now, rules)
        } else {
            Decision::KeepPolling
        };
    }
    let at = tx
        .created_date_ms
        .or(tx.acknowledged_date_ms)
        .and_then(|ms| UnixSecs::try_from(ms / 1000).ok())
        .unwrap_or(now);
    let readable = tx
        .currency_code
        .trim()
        .parse::<Currency>()
        .ok()
        .and_then(|currency| {
            let minor = tx.amount_minor(currency.decimals())?;
            Some(Money { currency, minor })
        });
    let asked = Money {
        currency: charge.currency,
        minor: charge.amount_minor,
    };
    let arrival = match readable {
        Some(money) if same_account(&tx.to_account_id, &charge.account_id) => Arrival::Counted {
            money,
            fit: Fit::of(asked, money),
        },
        readable => Arrival::NotCounted { readable },
    };
    Decision::Record(Transfer {
        hash,
        payer_account: payer(tx),
        to_account: tx.to_account_id.trim().to_owned(),
        currency: tx.currency_code.trim().to_owned(),
        amount: tx.amount.as_str().trim().to_owned(),
        arrival,
        paid_at: at,
        late: tx
            .created_date_ms
            .and_then(|ms| UnixSecs::try_from(ms / 1000).ok())
            .is_some_and(|created| created > charge.expires_at),
    })
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
            status: ChargeStatus::Pending,
            seen_hashes: Vec::new(),
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

    fn recorded(d: Decision) -> Transfer {
        match d {
            Decision::Record(t) => t,
            other => panic!("expected a payment to record, got {other:?}"),
        }
    }

    fn usd(minor: u64) -> Money {
        Money {
            currency: Currency::Usd,
            minor,
        }
    }

    fn khr(minor: u64) -> Money {
        Money {
            currency: Currency::Khr,
            minor,
        }
    }

    #[test]
    fn an_exact_usd_transaction_is_recorded_with_hash_payer_and_time() {
        let d = paid(
            &usd_charge(500),
            tx("shop@aba", "USD", "5.0"),
            EXPIRES - 100,
        );
        assert!(d.is_terminal());
        assert_eq!(
            recorded(d),
            Transfer {
                hash: "ab".repeat(32),
                payer_account: "customer@wing".into(),
                to_account: "shop@aba".into(),
                currency: "USD".into(),
                amount: "5.0".into(),
                arrival: Arrival::Counted {
                    money: usd(500),
                    fit: Fit::Exact
                },
                paid_at: 1_800_000_100,
                late: false,
            }
        );
    }

    #[test]
    fn the_exact_amount_in_any_spelling_is_exact() {
        for text in ["5", "5.0", "5.00", "5.000", " 5.00 "] {
            let t = recorded(paid(
                &usd_charge(500),
                tx("shop@aba", "USD", text),
                EXPIRES - 1,
            ));
            assert_eq!(
                t.arrival,
                Arrival::Counted {
                    money: usd(500),
                    fit: Fit::Exact
                },
                "{text}"
            );
        }
        for text in ["40000", "40000.0"] {
            for currency in ["KHR", "khr"] {
                let t = recorded(paid(
                    &khr_charge(40_000),
                    tx("shop@aba", currency, text),
                    EXPIRES - 1,
                ));
                assert_eq!(
                    t.arrival,
                    Arrival::Counted {
                        money: khr(40_000),
                        fit: Fit::Exact
                    }
                );
            }
        }
    }

    #[test]
    fn only_money_to_the_charges_account_is_counted() {
        let t = recorded(paid(
            &usd_charge(500),
            tx(" SHOP@ABA ", "USD", "5"),
            EXPIRES - 1,
        ));
        assert!(
            t.arrival.counted().is_some(),
            "ASCII case and spaces do not matter"
        );
        for to in ["shop2@aba", "shop@abb", ""] {
            let t = recorded(paid(&usd_charge(500), tx(to, "USD", "5"), 0));
            assert_eq!(
                t.arrival,
                Arrival::NotCounted {
                    readable: Some(usd(500))
                },
                "{to:?}"
            );
        }
    }

    #[test]
    fn more_or_less_than_asked_is_counted_as_it_arrived() {
        for (text, minor, fit) in [
            ("4.99", 499, Fit::Under),
            ("0.5", 50, Fit::Under),
            ("0", 0, Fit::Under),
            ("5.01", 501, Fit::Over),
            ("50", 5000, Fit::Over),
        ] {
            let t = recorded(paid(&usd_charge(500), tx("shop@aba", "USD", text), 1));
            assert_eq!(
                t.arrival,
                Arrival::Counted {
                    money: usd(minor),
                    fit
                },
                "{text}"
            );
            assert_eq!(t.amount, text);
        }
        let t = recorded(paid(&khr_charge(40_000), tx("shop@aba", "KHR", "4000"), 1));
        assert_eq!(
            t.arrival,
            Arrival::Counted {
                money: khr(4000),
                fit: Fit::Under
            }
        );
    }

    #[test]
    fn an_amount_with_more_decimals_than_its_currency_is_not_counted() {
        for text in ["5.001", "05.0001"] {
            let t = recorded(paid(&usd_charge(500), tx("shop@aba", "USD", text), 1));
            assert_eq!(t.arrival, Arrival::NotCounted { readable: None }, "{text}");
        }
        let t = recorded(paid(
            &khr_charge(40_000),
            tx("shop@aba", "KHR", "40000.5"),
            1,
        ));
        assert_eq!(t.arrival, Arrival::NotCounted { readable: None });
    }

    #[test]
    fn another_known_currency_is_counted_in_that_currency() {
        // 5 USD asked, 500 KHR paid: the "minor units" coincide, the money does not.
        let t = recorded(paid(&usd_charge(500), tx("shop@aba", "KHR", "500"), 1));
        assert_eq!(
            t.arrival,
            Arrival::Counted {
                money: khr(500),
                fit: Fit::OtherCurrency
            }
        );
        let t = recorded(paid(&khr_charge(20_000), tx("shop@aba", "USD", "20000"), 1));
        assert_eq!(
            t.arrival,
            Arrival::Counted {
                money: usd(2_000_000),
                fit: Fit::OtherCurrency
            }
        );
        for unknown in ["EUR", ""] {
            let t = recorded(paid(&usd_charge(500), tx("shop@aba", unknown, "5"), 1));
            assert_eq!(t.arrival, Arrival::NotCounted { readable: None });
            assert_eq!(t.currency, unknown);
        }
    }

    #[test]
    fn a_transfer_is_kept_as_bakong_sent_it() {
        let mut t = tx("other@acleda", "KHR", "1000");
        t.from_account_id = Some(" payer@abaa ".into());
        t.hash = format!("  {}  ", "AB".repeat(32));
        let t = recorded(paid(&usd_charge(500), t, 42));
        assert_eq!(t.hash, "ab".repeat(32), "trimmed and lowercase");
        assert_eq!(t.payer_account, "payer@abaa");
        assert_eq!(t.to_account, "other@acleda");
        assert_eq!((t.currency.as_str(), t.amount.as_str()), ("KHR", "1000"));
        assert_eq!(t.paid_at, 1_800_000_100);
    }

    #[test]
    fn a_late_transaction_is_flagged_and_timed_by_bakong() {
        let mut t = tx("shop@aba", "USD", "5");
        t.created_date_ms = Some((EXPIRES as u64 + 30) * 1000);
        let mut charge = usd_charge(500);
        charge.last_check_at = Some(EXPIRES + 2);
        let t = recorded(paid(&charge, t, EXPIRES + 40));
        assert!(t.late);
        assert_eq!(t.paid_at, EXPIRES + 30);
    }

    #[test]
    fn paid_time_falls_back_to_acknowledged_then_now() {
        let mut t = tx("shop@aba", "USD", "5");
        t.created_date_ms = None;
        let r = recorded(paid(&usd_charge(500), t.clone(), 7));
        assert_eq!((r.paid_at, r.late), (1_800_000_101, false));
        t.acknowledged_date_ms = None;
        assert_eq!(recorded(paid(&usd_charge(500), t, 7)).paid_at, 7);
    }

    #[test]
    fn transaction_without_hash_is_not_recorded() {
        let mut t = tx("shop@aba", "USD", "5");
        t.hash = "  ".into();
        assert_eq!(paid(&usd_charge(500), t, 1), Decision::KeepPolling);
    }

    #[test]
    fn a_hash_the_ledger_holds_changes_nothing() {
        for status in [ChargeStatus::Pending, ChargeStatus::Paid] {
            let mut charge = usd_charge(500);
            charge.status = status;
            charge.seen_hashes = vec!["ab".repeat(32)];
            charge.last_check_at = Some(EXPIRES + 1);
            let mut t = tx("shop@aba", "USD", "5");
            t.hash = "AB".repeat(32);
            assert_eq!(
                paid(&charge, t.clone(), EXPIRES - 10),
                Decision::KeepPolling
            );
            // A pending charge whose only answer is another charge's transaction ends as an
            // unpaid one would, once its QR expired; a settled one stays as it is.
            let later = if status == ChargeStatus::Pending {
                Decision::MarkExpired
            } else {
                Decision::KeepPolling
            };
            assert_eq!(paid(&charge, t, EXPIRES + 10), later);
            // Another transaction of the same QR is news.
            let mut t = tx("shop@aba", "USD", "5");
            t.hash = "cd".repeat(32);
            assert!(matches!(
                paid(&charge, t, EXPIRES + 10),
                Decision::Record(_)
            ));
        }
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
        assert!(matches!(d, Decision::Record(_)));
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

    /// Every state but `pending` is watched for money only: a failed, cancelled, expired,
    /// discarded or settled charge takes a new transaction, whatever it paid.
    #[test]
    fn charges_no_longer_pending_only_change_for_new_money() {
        for status in ChargeStatus::ALL
            .into_iter()
            .filter(|s| *s != ChargeStatus::Pending)
        {
            let mut charge = usd_charge(500);
            charge.status = status;
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
                        "{status:?} {lookup:?} at {now}"
                    );
                }
            }
            let mut t = tx("shop@aba", "USD", "5");
            t.created_date_ms = Some((EXPIRES as u64 + 20) * 1000);
            let r = recorded(paid(&charge, t, EXPIRES + 40));
            assert!(r.late);
            assert_eq!(r.paid_at, EXPIRES + 20);
            let r = recorded(paid(&charge, tx("shop@aba", "USD", "4"), EXPIRES + 40));
            assert_eq!(
                r.arrival,
                Arrival::Counted {
                    money: usd(400),
                    fit: Fit::Under
                }
            );
        }
    }
}
