//! The payments ledger: one row per Bakong transaction credited to one of our charges
//! (`payments`, its `hash` UNIQUE), whatever the charge's state when the money was found.
//!
//! **Every payment is money received, counted once.** A SUCCESS Bakong reports for one of
//! our QRs with a hash the ledger does not hold is recorded here, in the same transaction as
//! the charge's new status and the seller's follow-ups ([`Store::record_payment`]): paid
//! while open, paid more or less than asked, paid after a Cancel, an expiry or a failed
//! attempt, paid a second time. A charge's status follows from its payments
//! ([`ChargeMoney::status`]): as much as asked or more in its currency → `paid`, less →
//! `underpaid`, none in its currency to the seller's account → `mismatch`. Totals
//! (`/history`, the chart, the closing summary, `/export`) read the ledger's counted
//! payments by when the customer paid, never the charges.
//!
//! **One transaction, one charge.** A hash the ledger already holds for another charge
//! changes nothing on this one: it is recorded in `payment_conflicts` and the seller is told
//! once per (charge, hash) ([`SettleOutcome::HashTaken`]).

use std::str::FromStr;

use serde_json::json;

use super::event_kind::EventKind;
use super::events::append;
use super::follow_up::FollowUpKind;
use super::model::{ChargeId, ChargeStatus, MerchantId, PaidAfter, parse_currency};
use super::outbox::enqueue;
use super::{Result, Store, StoreError};
use crate::khqr::Currency;

/// An amount in a currency we know, in minor units (what Bakong reports need not fit a
/// KHQR, so this is not a `khqr::Amount`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub currency: Currency,
    pub minor: u64,
}

/// How a counted transfer compares with what its charge asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fit {
    Exact,
    Over,
    Under,
    /// In the other currency we know (counted in that currency).
    OtherCurrency,
}

impl Fit {
    /// `received` against `asked`.
    pub fn of(asked: Money, received: Money) -> Fit {
        if received.currency != asked.currency {
            return Fit::OtherCurrency;
        }
        match received.minor.cmp(&asked.minor) {
            std::cmp::Ordering::Equal => Fit::Exact,
            std::cmp::Ordering::Greater => Fit::Over,
            std::cmp::Ordering::Less => Fit::Under,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Fit::Exact => "exact",
            Fit::Over => "over",
            Fit::Under => "under",
            Fit::OtherCurrency => "other_currency",
        }
    }
}

/// What [`Store::record_payment`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettleOutcome {
    /// The charge changed to `status`; `after` is set when money was found after it had
    /// ended without (cancelled, expired, failed…: the seller is also sent a notice).
    Changed {
        status: ChargeStatus,
        after: Option<PaidAfter>,
    },
    /// Nothing to do: the charge had already changed, or this payment was already recorded.
    Unchanged,
    /// A payment was recorded and counted but left the charge's status as it was (another
    /// payment of a paid QR, …); the seller is told.
    Recorded,
    /// The transaction already belongs to another charge: this one is not changed; the
    /// seller is told (once per charge and hash).
    HashTaken,
}

/// Whether a transfer is in the seller's totals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arrival {
    /// It reached the charge's account (the seller's), in a currency we know, with an amount
    /// of no more decimals than that currency has: counted.
    Counted { money: Money, fit: Fit },
    /// It went to another account, or its currency or amount cannot be read: not counted
    /// (it did not reach the seller). `readable` is the amount when it can be read.
    NotCounted { readable: Option<Money> },
}

impl Arrival {
    /// The amount in minor units, when it can be read.
    pub fn readable(self) -> Option<Money> {
        match self {
            Arrival::Counted { money, .. } => Some(money),
            Arrival::NotCounted { readable } => readable,
        }
    }

    /// The counted money, if it is counted.
    pub fn counted(self) -> Option<Money> {
        match self {
            Arrival::Counted { money, .. } => Some(money),
            Arrival::NotCounted { .. } => None,
        }
    }

    fn fit_text(self) -> &'static str {
        match self {
            Arrival::Counted { fit, .. } => fit.as_str(),
            Arrival::NotCounted { .. } => "not_counted",
        }
    }

    pub(super) fn from_columns(
        fit: &str,
        known_currency: Option<&str>,
        amount_minor: Option<i64>,
    ) -> Result<Self> {
        let readable = match (known_currency, amount_minor) {
            (Some(c), Some(m)) => Some(Money {
                currency: parse_currency(c)?,
                minor: u64::try_from(m)
                    .map_err(|_| StoreError::Corrupt(format!("payment amount {m}")))?,
            }),
            (None, None) => None,
            _ => {
                return Err(StoreError::Corrupt(
                    "payment amount without currency".into(),
                ));
            }
        };
        let fit = match fit {
            "exact" => Fit::Exact,
            "over" => Fit::Over,
            "under" => Fit::Under,
            "other_currency" => Fit::OtherCurrency,
            "not_counted" => return Ok(Arrival::NotCounted { readable }),
            other => return Err(StoreError::Corrupt(format!("payment fit {other:?}"))),
        };
        let money = readable
            .ok_or_else(|| StoreError::Corrupt("counted payment without an amount".into()))?;
        Ok(Arrival::Counted { money, fit })
    }
}

/// A transaction Bakong reported for one of our QRs, as it arrived, judged against its
/// charge (`watcher::decide`): what [`Store::record_payment`] records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transfer {
    /// Bakong's transaction hash, trimmed and lowercase ([`normalise_hash`]).
    pub hash: String,
    /// The customer's Bakong account (often a bank's pooled one); empty when not given.
    pub payer_account: String,
    /// Where the money went, the currency and the amount, as Bakong sent them (trimmed).
    pub to_account: String,
    pub currency: String,
    pub amount: String,
    pub arrival: Arrival,
    /// When the customer paid: Bakong's createdDateMs, else acknowledgement, else the check.
    pub paid_at: i64,
    /// Created after the QR's expiry.
    pub late: bool,
}

/// A transaction hash as the ledger keeps it: trimmed, lowercase.
pub fn normalise_hash(hash: &str) -> String {
    hash.trim().to_ascii_lowercase()
}

/// A ledger row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payment {
    pub id: i64,
    pub charge_id: ChargeId,
    pub merchant_id: MerchantId,
    pub hash: String,
    pub payer_account: String,
    pub to_account: String,
    pub currency: String,
    pub amount: String,
    pub arrival: Arrival,
    /// The charge's status when the money was found (`pending` while its QR was open).
    pub charge_was: ChargeStatus,
    pub paid_at: i64,
    pub found_at: i64,
}

impl Payment {
    /// Money in the seller's totals that they should look at: anything but the exact amount
    /// paid while the QR was open (over, under, another currency, late, a second payment).
    pub fn needs_attention(&self) -> bool {
        match self.arrival {
            Arrival::Counted { fit, .. } => {
                fit != Fit::Exact || self.charge_was != ChargeStatus::Pending
            }
            Arrival::NotCounted { .. } => false,
        }
    }

    /// Found after the charge had ended without money (cancelled, expired, failed…).
    pub fn late_after(&self) -> Option<PaidAfter> {
        PaidAfter::of(self.charge_was)
    }
}

super::rows::from_row! {
    struct PaymentRow {
        id: i64,
        charge_id: i64,
        merchant_id: i64,
        hash: String,
        payer_account_id: String,
        to_account_id: String,
        currency: String,
        amount: String,
        known_currency: Option<String>,
        amount_minor: Option<i64>,
        fit: String,
        charge_was: String,
        paid_at: i64,
        found_at: i64,
    }
}

pub(super) const PAYMENT_COLUMNS: &str = "id, charge_id, merchant_id, hash, payer_account_id, \
    to_account_id, currency, amount, known_currency, amount_minor, fit, charge_was, paid_at, \
    found_at";

impl TryFrom<PaymentRow> for Payment {
    type Error = StoreError;

    fn try_from(r: PaymentRow) -> Result<Self> {
        Ok(Payment {
            id: r.id,
            charge_id: ChargeId(r.charge_id),
            merchant_id: MerchantId(r.merchant_id),
            hash: r.hash,
            payer_account: r.payer_account_id,
            to_account: r.to_account_id,
            currency: r.currency,
            amount: r.amount,
            arrival: Arrival::from_columns(&r.fit, r.known_currency.as_deref(), r.amount_minor)?,
            charge_was: r.charge_was.parse()?,
            paid_at: r.paid_at,
            found_at: r.found_at,
        })
    }
}

/// A charge's money: what it asked and what its payments brought. The one rule from which
/// a charge's status follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChargeMoney {
    pub asked: Money,
    /// Counted payments in the charge's currency, summed.
    pub received: u64,
    /// Counted payments in another currency, summed per currency.
    pub other: Vec<Money>,
    /// Transfers that did not reach the seller (not counted).
    pub not_counted: usize,
}

impl ChargeMoney {
    pub fn of<'a>(asked: Money, payments: impl IntoIterator<Item = &'a Arrival>) -> Self {
        let mut m = ChargeMoney {
            asked,
            received: 0,
            other: Vec::new(),
            not_counted: 0,
        };
        for arrival in payments {
            match arrival.counted() {
                Some(money) if money.currency == asked.currency => {
                    m.received = m.received.saturating_add(money.minor);
                }
                Some(money) => match m.other.iter_mut().find(|o| o.currency == money.currency) {
                    Some(o) => o.minor = o.minor.saturating_add(money.minor),
                    None => m.other.push(money),
                },
                None => m.not_counted += 1,
            }
        }
        m
    }

    /// The status of a charge with these payments (at least one): `paid`, `underpaid` or
    /// `mismatch`.
    pub fn status(&self) -> ChargeStatus {
        if self.received >= self.asked.minor {
            ChargeStatus::Paid
        } else if self.received > 0 {
            ChargeStatus::Underpaid
        } else {
            ChargeStatus::Mismatch
        }
    }

    /// What is still missing in the charge's currency.
    pub fn missing(&self) -> u64 {
        self.asked.minor.saturating_sub(self.received)
    }

    /// What arrived beyond what was asked, in the charge's currency.
    pub fn excess(&self) -> u64 {
        self.received.saturating_sub(self.asked.minor)
    }
}

/// Where a hash the ledger already holds belongs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBy {
    pub charge: ChargeId,
    pub merchant: MerchantId,
    pub bill_number: String,
}

/// The charge a transaction hash is recorded for, in the ledger.
pub(super) async fn held_by(ex: &mut sqlx::AnyConnection, hash: &str) -> Result<Option<HeldBy>> {
    let row: Option<(i64, i64, String)> = sqlx::query_as(
        "SELECT c.id, c.merchant_id, c.bill_number FROM payments p \
         JOIN charges c ON c.id = p.charge_id WHERE p.hash = $1",
    )
    .bind(hash)
    .fetch_optional(&mut *ex)
    .await?;
    Ok(row.map(|(id, merchant, bill_number)| HeldBy {
        charge: ChargeId(id),
        merchant: MerchantId(merchant),
        bill_number,
    }))
}

/// The hashes the ledger holds for each of these charges — their own payments and those
/// refused because they belong to another charge — for the watcher's rules (a hash seen
/// before changes nothing).
pub(super) async fn seen_hashes(
    pool: &sqlx::AnyPool,
    charges: &[ChargeId],
) -> Result<std::collections::HashMap<ChargeId, Vec<String>>> {
    let mut out: std::collections::HashMap<ChargeId, Vec<String>> = Default::default();
    for chunk in charges.chunks(200) {
        let list: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let list = list.join(", ");
        let mut q = sqlx::query_as::<_, (i64, String)>(sqlx::AssertSqlSafe(format!(
            "SELECT charge_id, hash FROM payments WHERE charge_id IN ({list}) \
             UNION ALL SELECT charge_id, hash FROM payment_conflicts WHERE charge_id IN ({list})"
        )));
        for c in chunk {
            q = q.bind(c.0);
        }
        for (charge, hash) in q.fetch_all(pool).await? {
            out.entry(ChargeId(charge)).or_default().push(hash);
        }
    }
    Ok(out)
}

impl Store {
    /// The charge's payments, oldest first.
    pub async fn charge_payments(&self, charge: ChargeId) -> Result<Vec<Payment>> {
        sqlx::query_as::<_, PaymentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE charge_id = $1 ORDER BY paid_at, id"
        )))
        .bind(charge.0)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(Payment::try_from)
        .collect()
    }

    /// One ledger row.
    pub async fn payment(&self, id: i64) -> Result<Option<Payment>> {
        sqlx::query_as::<_, PaymentRow>(sqlx::AssertSqlSafe(format!(
            "SELECT {PAYMENT_COLUMNS} FROM payments WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .map(Payment::try_from)
        .transpose()
    }

    /// The charge a transaction hash (any case, surrounding spaces ignored) is recorded for.
    pub async fn payment_held_by(&self, hash: &str) -> Result<Option<HeldBy>> {
        let mut conn = self.pool.acquire().await?;
        held_by(&mut conn, &normalise_hash(hash)).await
    }

    /// Records a transfer Bakong reported for charge `id`, whatever the charge's state, in
    /// ONE transaction with the charge's new status, its event and the seller's follow-ups:
    ///
    /// - a hash the ledger holds for this charge: nothing ([`SettleOutcome::Unchanged`]);
    /// - a hash it holds for another charge: this charge is not changed; the conflict is
    ///   recorded and the seller told once per (charge, hash) ([`SettleOutcome::HashTaken`],
    ///   then `Unchanged`);
    /// - otherwise the payment is recorded and the charge's status follows from all its
    ///   payments ([`ChargeMoney::status`]). From `pending`, or from an ending without money
    ///   (cancelled, expired, discarded, failed, unverified: `paid_after`), it becomes
    ///   `paid` / `underpaid` / `mismatch` with its event (the `_late` form after an ending),
    ///   the edit of its card, a `charge_paid_late` notice after an ending, and a pay link's
    ///   sale message. A charge that already had money (`paid`, `underpaid`, `mismatch`) may
    ///   change status (the rest arrived) and the seller gets a `payment_extra` notice
    ///   ([`SettleOutcome::Changed`], or [`SettleOutcome::Recorded`] when the status stays).
    ///
    /// A charge whose status changed is next asked about at `recheck_at` (its late watch,
    /// for another payment of its QR), not at once. A charge still `creating` (never polled)
    /// is left alone.
    pub async fn record_payment(
        &self,
        id: ChargeId,
        t: &Transfer,
        now: i64,
        recheck_at: i64,
    ) -> Result<SettleOutcome> {
        let hash = normalise_hash(&t.hash);
        if hash.is_empty() {
            return Ok(SettleOutcome::Unchanged);
        }
        let mut tx = self.write_tx().await?;
        let row: Option<(i64, String, i64, String)> = sqlx::query_as(
            "SELECT merchant_id, status, amount_minor, currency FROM charges WHERE id = $1",
        )
        .bind(id.0)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((merchant, status, asked_minor, currency)) = row else {
            return Ok(SettleOutcome::Unchanged);
        };
        let merchant = MerchantId(merchant);
        let was: ChargeStatus = status.parse()?;
        if was == ChargeStatus::Creating {
            return Ok(SettleOutcome::Unchanged);
        }
        if let Some(holder) = held_by(&mut tx, &hash).await? {
            let outcome = if holder.charge == id {
                SettleOutcome::Unchanged
            } else {
                hash_taken(&mut tx, merchant, id, &hash, &holder, now).await?
            };
            tx.commit().await?;
            return Ok(outcome);
        }
        let readable = t.arrival.readable();
        let payment: i64 = sqlx::query_scalar(
            "INSERT INTO payments (charge_id, merchant_id, hash, payer_account_id, to_account_id, \
                 currency, amount, known_currency, amount_minor, counted, fit, charge_was, \
                 paid_at, found_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind(id.0)
        .bind(merchant.0)
        .bind(&hash)
        .bind(t.payer_account.trim())
        .bind(t.to_account.trim())
        .bind(t.currency.trim())
        .bind(t.amount.trim())
        .bind(readable.map(|m| m.currency.alpha()))
        .bind(readable.map(|m| minor_i64(m.minor)).transpose()?)
        .bind(i64::from(t.arrival.counted().is_some()))
        .bind(t.arrival.fit_text())
        .bind(was.as_str())
        .bind(t.paid_at)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        let asked = Money {
            currency: parse_currency(&currency)?,
            minor: u64::try_from(asked_minor)
                .map_err(|_| StoreError::Corrupt(format!("charge {id} amount {asked_minor}")))?,
        };
        let arrivals = charge_arrivals(&mut tx, id).await?;
        let status = ChargeMoney::of(asked, &arrivals).status();
        let after = PaidAfter::of(was);
        let first = !was.has_payment();
        let mut detail = json!({
            "payment": payment, "hash": hash, "payer": t.payer_account, "to": t.to_account,
            "currency": t.currency, "amount": t.amount, "paid_at": t.paid_at, "late": t.late,
            "fit": t.arrival.fit_text(), "status": status.as_str(),
        });
        if first {
            // The charge's summary columns hold the payment that first settled it.
            let done = sqlx::query(
                "UPDATE charges SET status = $2, settled_at = $3, bakong_hash = $4, \
                     payer_account_id = $5, paid_amount_minor = $6, paid_currency = $7, \
                     paid_to_account_id = $8, paid_at = $9, paid_after = $10, \
                     next_poll_at = $12 \
                 WHERE id = $1 AND status = $11",
            )
            .bind(id.0)
            .bind(status.as_str())
            .bind(now)
            .bind(&hash)
            .bind(t.payer_account.trim())
            .bind(readable.map(|m| minor_i64(m.minor)).transpose()?)
            .bind(t.currency.trim())
            .bind(t.to_account.trim())
            .bind(t.paid_at)
            .bind(after.map(PaidAfter::as_str))
            .bind(was.as_str())
            .bind(recheck_at)
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Ok(SettleOutcome::Unchanged);
            }
            let event = match status {
                ChargeStatus::Paid => EventKind::ChargePaid,
                ChargeStatus::Underpaid => EventKind::ChargeUnderpaid,
                _ => EventKind::ChargeMismatch,
            };
            let event = match after {
                Some(after) => {
                    if let Some(d) = detail.as_object_mut() {
                        d.insert("after".into(), json!(after.as_str()));
                    }
                    event.late()
                }
                None => event,
            };
            append(&mut tx, Some(merchant), Some(id), event, &detail, now).await?;
            enqueue(
                &mut tx,
                merchant,
                Some(id),
                edit_of(status),
                &json!({}),
                now,
            )
            .await?;
            let link_sale =
                super::links::queue_link_sale(&mut tx, merchant, id, after, now).await?;
            if let Some(after) = after.filter(|_| !link_sale) {
                let payload = json!({ "after": after.as_str(), "payment": payment });
                enqueue(
                    &mut tx,
                    merchant,
                    Some(id),
                    FollowUpKind::ChargePaidLate,
                    &payload,
                    now,
                )
                .await?;
            }
            tx.commit().await?;
            return Ok(SettleOutcome::Changed { status, after });
        }
        // The charge already had money: this is another payment of its QR.
        if let Some(d) = detail.as_object_mut() {
            d.insert("was".into(), json!(was.as_str()));
        }
        let changed = status != was;
        if changed {
            let done = sqlx::query(
                "UPDATE charges SET status = $2, settled_at = $3 WHERE id = $1 AND status = $4",
            )
            .bind(id.0)
            .bind(status.as_str())
            .bind(now)
            .bind(was.as_str())
            .execute(&mut *tx)
            .await?;
            if done.rows_affected() != 1 {
                return Ok(SettleOutcome::Unchanged);
            }
            enqueue(
                &mut tx,
                merchant,
                Some(id),
                edit_of(status),
                &json!({}),
                now,
            )
            .await?;
        }
        append(
            &mut tx,
            Some(merchant),
            Some(id),
            EventKind::PaymentExtra,
            &detail,
            now,
        )
        .await?;
        let payload = json!({ "payment": payment, "was": was.as_str() });
        enqueue(
            &mut tx,
            merchant,
            Some(id),
            FollowUpKind::PaymentExtra,
            &payload,
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::warn!(charge = %id, %merchant, was = was.as_str(), status = status.as_str(), "another payment of an already-paid QR: recorded, counted and reported");
        Ok(if changed {
            SettleOutcome::Changed {
                status,
                after: None,
            }
        } else {
            SettleOutcome::Recorded
        })
    }
}

/// The follow-up that edits a charge's card to `status`.
fn edit_of(status: ChargeStatus) -> FollowUpKind {
    match status {
        ChargeStatus::Paid => FollowUpKind::ChargePaid,
        ChargeStatus::Underpaid => FollowUpKind::ChargeUnderpaid,
        _ => FollowUpKind::ChargeMismatch,
    }
}

fn minor_i64(minor: u64) -> Result<i64> {
    i64::try_from(minor).map_err(|_| StoreError::Corrupt(format!("amount {minor} too large")))
}

/// How the charge's recorded payments arrived.
async fn charge_arrivals(ex: &mut sqlx::AnyConnection, id: ChargeId) -> Result<Vec<Arrival>> {
    let rows: Vec<(String, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT fit, known_currency, amount_minor FROM payments WHERE charge_id = $1",
    )
    .bind(id.0)
    .fetch_all(&mut *ex)
    .await?;
    rows.iter()
        .map(|(fit, c, m)| Arrival::from_columns(fit, c.as_deref(), *m))
        .collect()
}

/// A hash the ledger holds for another charge, reported for charge `id`: recorded once per
/// (charge, hash) with its event and the seller's notice; the charge is not changed.
async fn hash_taken(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    merchant: MerchantId,
    id: ChargeId,
    hash: &str,
    holder: &HeldBy,
    now: i64,
) -> Result<SettleOutcome> {
    let inserted = sqlx::query(
        "INSERT INTO payment_conflicts (charge_id, hash, other_charge_id, at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (charge_id, hash) DO NOTHING",
    )
    .bind(id.0)
    .bind(hash)
    .bind(holder.charge.0)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() != 1 {
        return Ok(SettleOutcome::Unchanged);
    }
    tracing::warn!(charge = %id, other = %holder.charge, %merchant, "Bakong reported a transaction that already paid another charge: this one is not paid; seller told");
    let detail = json!({ "hash": hash, "other_charge": holder.charge.0 });
    append(
        tx,
        Some(merchant),
        Some(id),
        EventKind::PaymentHashTaken,
        &detail,
        now,
    )
    .await?;
    enqueue(
        tx,
        merchant,
        Some(id),
        FollowUpKind::PaymentHashTaken,
        &detail,
        now,
    )
    .await?;
    Ok(SettleOutcome::HashTaken)
}

impl FromStr for Fit {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "exact" => Ok(Fit::Exact),
            "over" => Ok(Fit::Over),
            "under" => Ok(Fit::Under),
            "other_currency" => Ok(Fit::OtherCurrency),
            other => Err(StoreError::Corrupt(format!("payment fit {other:?}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn counted(asked: Money, money: Money) -> Arrival {
        Arrival::Counted {
            money,
            fit: Fit::of(asked, money),
        }
    }

    #[test]
    fn fits_compare_exact_minor_units_in_the_same_currency() {
        assert_eq!(Fit::of(usd(200), usd(200)), Fit::Exact);
        assert_eq!(Fit::of(usd(200), usd(250)), Fit::Over);
        assert_eq!(Fit::of(usd(400), usd(300)), Fit::Under);
        assert_eq!(Fit::of(usd(500), khr(500)), Fit::OtherCurrency);
        assert_eq!(Fit::of(khr(20_000), usd(20_000)), Fit::OtherCurrency);
    }

    #[test]
    fn a_charges_status_follows_from_what_arrived_in_its_currency() {
        let asked = usd(400);
        let none = ChargeMoney::of(asked, &[Arrival::NotCounted { readable: None }]);
        assert_eq!(
            (none.status(), none.missing()),
            (ChargeStatus::Mismatch, 400)
        );
        let other = ChargeMoney::of(asked, &[counted(asked, khr(16_000))]);
        assert_eq!(other.status(), ChargeStatus::Mismatch);
        assert_eq!(other.other, vec![khr(16_000)]);
        let under = ChargeMoney::of(asked, &[counted(asked, usd(300))]);
        assert_eq!(
            (under.status(), under.missing(), under.excess()),
            (ChargeStatus::Underpaid, 100, 0)
        );
        let completed =
            ChargeMoney::of(asked, &[counted(asked, usd(300)), counted(asked, usd(100))]);
        assert_eq!(completed.status(), ChargeStatus::Paid);
        let over = ChargeMoney::of(asked, &[counted(asked, usd(450))]);
        assert_eq!((over.status(), over.excess()), (ChargeStatus::Paid, 50));
        // Another currency never fills the charge's own.
        let mixed = ChargeMoney::of(
            asked,
            &[counted(asked, usd(100)), counted(asked, khr(4_000_000))],
        );
        assert_eq!(mixed.status(), ChargeStatus::Underpaid);
    }

    #[test]
    fn attention_is_everything_but_the_exact_amount_while_open() {
        let p = |fit: Fit, was: ChargeStatus| Payment {
            id: 1,
            charge_id: ChargeId(1),
            merchant_id: MerchantId(1),
            hash: "h".into(),
            payer_account: String::new(),
            to_account: "shop@aba".into(),
            currency: "USD".into(),
            amount: "1".into(),
            arrival: Arrival::Counted {
                money: usd(100),
                fit,
            },
            charge_was: was,
            paid_at: 0,
            found_at: 0,
        };
        assert!(!p(Fit::Exact, ChargeStatus::Pending).needs_attention());
        for fit in [Fit::Over, Fit::Under, Fit::OtherCurrency] {
            assert!(p(fit, ChargeStatus::Pending).needs_attention());
        }
        for was in [
            ChargeStatus::Failed,
            ChargeStatus::Cancelled,
            ChargeStatus::Paid,
        ] {
            assert!(p(Fit::Exact, was).needs_attention());
        }
        let mut lost = p(Fit::Exact, ChargeStatus::Pending);
        lost.arrival = Arrival::NotCounted { readable: None };
        assert!(!lost.needs_attention(), "not in the totals at all");
    }

    #[test]
    fn hashes_are_kept_trimmed_and_lowercase() {
        assert_eq!(normalise_hash("  ABcd12 \n"), "abcd12");
    }
}
