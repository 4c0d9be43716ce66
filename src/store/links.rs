//! Pay links: a seller's link, the charges bought through it, and the limits on
//! who gets a QR of it ([`LinkLimits`]).
//!
//! A link's uses are never stored: they are counted from its charges. A charge of a link
//! that is `creating` or `pending` *holds* one unit of `max_uses`; a `paid` one *used* it;
//! any other ending (expired, cancelled, failed, mismatch, unverified) gives it back.
//! [`Store::reserve_link_charge`] inserts the charge and its `link_charges` row in one
//! `BEGIN IMMEDIATE` transaction whose insert is guarded by `held + used < max_uses`, so
//! buyers racing for the last units never get more QRs than there are units. The same
//! transaction refuses a buyer who already holds an open QR of the link
//! ([`Reserved::AlreadyOpen`]: the bot shows that one again) and applies [`LinkLimits`].
//!
//! Money is never refused: a QR whose unit went back (it expired) and that is then paid
//! late (the late watch) becomes `paid` all the same, and the link may then have sold more
//! than `max_uses`; the seller's sale message says so ([`LinkSale::over_limit`]).

use std::fmt;

use rand::TryRngCore;
use serde_json::json;

use super::follow_up::FollowUpKind;
use super::link_limits::LinkLimits;
use super::link_price::{AnyAmount, LinkPrice};
use super::model::{
    ChargeId, MerchantId, NewCharge, PaidAfter, amount, parse_currency, parse_lang,
};
use super::outbox::enqueue;
use super::{Result, Store, StoreError};
use crate::i18n::Lang;

/// The unguessable code of a link: the `start` payload of its `t.me` URL. 16 bytes (128
/// bits) from the OS random number generator, base64url without padding (22 characters of
/// `[A-Za-z0-9_-]`, which Telegram's `start` parameter allows, up to 64).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LinkCode(String);

/// Why a text is not a [`LinkCode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a pay link code")]
pub struct NotALinkCode;

impl LinkCode {
    const LEN: usize = 22;

    /// A fresh code from the OS random number generator.
    pub fn generate() -> std::result::Result<Self, rand::rand_core::OsError> {
        use base64::Engine;
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.try_fill_bytes(&mut bytes)?;
        Ok(LinkCode(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes),
        ))
    }

    /// A code as [`LinkCode::generate`] makes them: exactly 22 characters of
    /// `[A-Za-z0-9_-]` (anything else, e.g. `/start setup`, is not a link).
    pub fn parse(text: &str) -> std::result::Result<Self, NotALinkCode> {
        let ok = text.len() == Self::LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok {
            Ok(LinkCode(text.to_owned()))
        } else {
            Err(NotALinkCode)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LinkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Only a prefix in logs and `Debug`: the code is what lets anyone buy.
impl fmt::Debug for LinkCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LinkCode({}…)", self.0.get(..4).unwrap_or(""))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkId(pub i64);

impl fmt::Display for LinkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Whether a link sells. `Closed` is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkState {
    Active,
    Paused,
    Closed,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Active => "active",
            LinkState::Paused => "paused",
            LinkState::Closed => "closed",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "active" => Ok(LinkState::Active),
            "paused" => Ok(LinkState::Paused),
            "closed" => Ok(LinkState::Closed),
            other => Err(StoreError::Corrupt(format!("link state {other:?}"))),
        }
    }
}

/// Input to [`Store::insert_link`].
#[derive(Debug, Clone)]
pub struct NewPayLink {
    pub merchant_id: MerchantId,
    pub price: LinkPrice,
    pub note: Option<String>,
    pub max_uses: Option<u32>,
    /// Exclusive end, unix seconds (the end of a Phnom Penh day).
    pub until_at: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayLink {
    pub id: LinkId,
    pub merchant_id: MerchantId,
    pub code: LinkCode,
    pub price: LinkPrice,
    pub note: Option<String>,
    pub max_uses: Option<u32>,
    pub until_at: Option<i64>,
    pub state: LinkState,
    pub created_at: i64,
}

/// A link's counts, from its charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkStats {
    /// Paid charges (a late payment included).
    pub paid: i64,
    /// Open QRs (creating or pending): each holds a unit.
    pub open: i64,
    /// Sum of the paid charges, minor units of the link's currency.
    pub paid_minor: i64,
    /// When the last of the open QRs expires (`None`: none open).
    pub held_until: Option<i64>,
}

/// Who bought a link charge (what the seller's sale message names).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkBuyer {
    pub user_id: i64,
    /// Telegram first (and last) name, as the buyer's client sent it.
    pub name: String,
    pub lang: Lang,
}

/// A charge bought through a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkCharge {
    pub charge_id: ChargeId,
    pub link_id: LinkId,
    pub buyer: LinkBuyer,
}

/// What [`Store::reserve_link_charge`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reserved {
    /// The charge is `creating`, its unit held.
    Charge(ChargeId),
    /// Every unit is paid for or held by an open QR.
    SoldOut,
    /// This buyer already holds this open (`creating` or `pending`) QR of the link.
    AlreadyOpen(ChargeId),
    /// This buyer's QR of the link has expired but is not settled yet (its unit is still
    /// held until the watcher ends it).
    OpenEnding,
    /// The link gave out [`LinkLimits::per_link`] QRs within the last window.
    Busy,
    /// This buyer took [`LinkLimits::unpaid_per_buyer`] QRs of this limited link without
    /// paying; the next one from `retry_at` (unix seconds).
    BuyerLimit { retry_at: i64 },
    /// Paused, closed or past its `until` (the link as it is now).
    NotSelling(PayLink),
    /// The link is gone.
    NoLink,
}

/// The payload of a [`FollowUpKind::LinkSale`] task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkSale {
    pub after: Option<PaidAfter>,
    /// Paid beyond `max_uses` (a late payment of a QR whose unit had gone to someone else).
    pub over_limit: bool,
}

super::rows::from_row! {
    struct LinkRow {
        id: i64,
        merchant_id: i64,
        code: String,
        amount_minor: Option<i64>,
        currency: String,
        note: Option<String>,
        max_uses: Option<i64>,
        until_at: Option<i64>,
        state: String,
        created_at: i64,
        min_minor: Option<i64>,
        max_minor: Option<i64>,
    }
}

const LINK_COLUMNS: &str = "id, merchant_id, code, amount_minor, currency, note, max_uses, \
     until_at, state, created_at, min_minor, max_minor";

impl TryFrom<LinkRow> for PayLink {
    type Error = StoreError;

    fn try_from(r: LinkRow) -> Result<Self> {
        let currency = parse_currency(&r.currency)?;
        let bound = |minor: Option<i64>| minor.map(|m| amount(m, currency)).transpose();
        let (min, max) = (bound(r.min_minor)?, bound(r.max_minor)?);
        let price = match r.amount_minor {
            Some(_) if min.is_some() || max.is_some() => {
                return Err(StoreError::Corrupt(format!(
                    "link {} has a fixed price and bounds",
                    r.id
                )));
            }
            Some(minor) => LinkPrice::Fixed(amount(minor, currency)?),
            None => LinkPrice::Any(
                AnyAmount::new(currency, min, max)
                    .map_err(|e| StoreError::Corrupt(format!("link {} bounds: {e}", r.id)))?,
            ),
        };
        let code = LinkCode::parse(&r.code)
            .map_err(|_| StoreError::Corrupt(format!("link {} code", r.id)))?;
        let max_uses = r
            .max_uses
            .map(u32::try_from)
            .transpose()
            .map_err(|_| StoreError::Corrupt(format!("link {} max_uses", r.id)))?;
        Ok(PayLink {
            id: LinkId(r.id),
            merchant_id: MerchantId(r.merchant_id),
            code,
            price,
            note: r.note,
            max_uses,
            until_at: r.until_at,
            state: LinkState::parse(&r.state)?,
            created_at: r.created_at,
        })
    }
}

impl PayLink {
    /// Whether it sells at `now` (state and `until`; the count is the reservation's).
    pub fn selling_at(&self, now: i64) -> bool {
        self.state == LinkState::Active && self.until_at.is_none_or(|end| now < end)
    }
}

/// When the last open QR of a link expires (link id is `$1`).
const HELD_UNTIL: &str = "SELECT CAST(MAX(c.expires_at) AS BIGINT) \
     FROM link_charges lc JOIN charges c ON c.id = lc.charge_id \
     WHERE lc.link_id = $1 AND c.status IN ('creating', 'pending')";

/// Counts of a link's charges: `paid`, `open`, and `paid_minor`: what the payments ledger
/// counted for them in the link's currency (what arrived, not the prices), link id `$1`.
const STATS: &str = "SELECT \
        CAST(COALESCE(SUM(CASE WHEN c.status IN ('paid', 'underpaid') THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE(SUM(CASE WHEN c.status IN ('creating', 'pending') THEN 1 ELSE 0 END), 0) AS BIGINT), \
        CAST(COALESCE((SELECT SUM(p.amount_minor) FROM payments p \
            JOIN link_charges l2 ON l2.charge_id = p.charge_id \
            JOIN pay_links pl ON pl.id = l2.link_id \
            WHERE l2.link_id = $1 AND p.counted = 1 AND p.known_currency = pl.currency), 0) AS BIGINT) \
     FROM link_charges lc JOIN charges c ON c.id = lc.charge_id WHERE lc.link_id = $1";

impl Store {
    /// Stores a new active link with a fresh code (drawn again on the impossible collision).
    pub async fn insert_link(&self, new: &NewPayLink) -> Result<PayLink> {
        let minor = |a: crate::khqr::Amount| {
            i64::try_from(a.minor())
                .map_err(|_| StoreError::Corrupt("link amount too large".into()))
        };
        let (fixed, min, max) = match new.price {
            LinkPrice::Fixed(a) => (Some(minor(a)?), None, None),
            LinkPrice::Any(any) => (
                None,
                any.min().map(minor).transpose()?,
                any.max().map(minor).transpose()?,
            ),
        };
        let currency = new.price.currency();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let code = LinkCode::generate()
                .map_err(|e| StoreError::Corrupt(format!("OS random number generator: {e}")))?;
            let inserted = sqlx::query_scalar::<_, i64>(
                "INSERT INTO pay_links (merchant_id, code, amount_minor, currency, note, max_uses, \
                     until_at, state, created_at, updated_at, min_minor, max_minor) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $8, $9, $10) RETURNING id",
            )
            .bind(new.merchant_id.0)
            .bind(code.as_str())
            .bind(fixed)
            .bind(currency.alpha())
            .bind(&new.note)
            .bind(new.max_uses.map(i64::from))
            .bind(new.until_at)
            .bind(new.created_at)
            .bind(min)
            .bind(max)
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::from);
            match inserted {
                Ok(id) => {
                    return Ok(PayLink {
                        id: LinkId(id),
                        merchant_id: new.merchant_id,
                        code,
                        price: new.price,
                        note: new.note.clone(),
                        max_uses: new.max_uses,
                        until_at: new.until_at,
                        state: LinkState::Active,
                        created_at: new.created_at,
                    });
                }
                Err(StoreError::Duplicate(_)) if attempt < 3 => continue,
                Err(e) => return Err(e),
            }
        }
    }

    pub async fn link_by_code(&self, code: &LinkCode) -> Result<Option<PayLink>> {
        // ok: the only dynamic part is the constant column list.
        let sql = format!("SELECT {LINK_COLUMNS} FROM pay_links WHERE code = $1");
        let row: Option<LinkRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(code.as_str())
            .fetch_optional(&self.pool)
            .await?;
        row.map(PayLink::try_from).transpose()
    }

    pub async fn link(&self, id: LinkId) -> Result<Option<PayLink>> {
        let sql = format!("SELECT {LINK_COLUMNS} FROM pay_links WHERE id = $1");
        let row: Option<LinkRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        row.map(PayLink::try_from).transpose()
    }

    /// The merchant's links, newest first, with their counts.
    pub async fn merchant_links(&self, merchant: MerchantId) -> Result<Vec<(PayLink, LinkStats)>> {
        let sql = format!(
            "SELECT {LINK_COLUMNS} FROM pay_links WHERE merchant_id = $1 \
             ORDER BY created_at DESC, id DESC"
        );
        let rows: Vec<LinkRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(merchant.0)
            .fetch_all(&self.pool)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let link = PayLink::try_from(row)?;
            let stats = self.link_stats(link.id).await?;
            out.push((link, stats));
        }
        Ok(out)
    }

    pub async fn link_stats(&self, id: LinkId) -> Result<LinkStats> {
        let (paid, open, paid_minor): (i64, i64, i64) = sqlx::query_as(STATS)
            .bind(id.0)
            .fetch_one(&self.pool)
            .await?;
        let held_until: Option<i64> = sqlx::query_scalar(HELD_UNTIL)
            .bind(id.0)
            .fetch_one(&self.pool)
            .await?;
        Ok(LinkStats {
            paid,
            open,
            paid_minor,
            held_until,
        })
    }

    /// Moves the merchant's link to `to` (guarded: only the owner, never out of `closed`,
    /// and only from another state). False when nothing changed.
    pub async fn set_link_state(
        &self,
        merchant: MerchantId,
        id: LinkId,
        to: LinkState,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE pay_links SET state = $3, updated_at = $4 \
             WHERE id = $1 AND merchant_id = $2 AND state <> 'closed' AND state <> $3",
        )
        .bind(id.0)
        .bind(merchant.0)
        .bind(to.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The per-buyer rate limit of link requests (/start <code>, "New QR"): true (and
    /// recorded) when the buyer's last request is at least `gap_secs` old.
    pub async fn claim_link_request(&self, buyer: i64, now: i64, gap_secs: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO link_buyers (buyer_user_id, last_request_at) VALUES ($1, $2) \
             ON CONFLICT (buyer_user_id) DO UPDATE SET last_request_at = excluded.last_request_at \
             WHERE link_buyers.last_request_at <= $2 - $3",
        )
        .bind(buyer)
        .bind(now)
        .bind(gap_secs)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// What asking for a new QR of `link` would meet now, read without the write lock (a
    /// cheap answer before the greeting): `None` when a reservation may be tried.
    /// [`Store::reserve_link_charge`] decides.
    pub async fn link_outlook(
        &self,
        link: &PayLink,
        buyer: i64,
        now: i64,
        limits: &LinkLimits,
    ) -> Result<Option<Reserved>> {
        let mut conn = self.pool.acquire().await?;
        refusal(&mut conn, link, buyer, now, limits).await
    }

    /// Reserves a charge of `link` for `buyer` as `creating` (follow with
    /// [`Store::activate_charge`] / [`Store::discard_creating_charge`] like /charge),
    /// holding one unit: in one `BEGIN IMMEDIATE` transaction, the buyer must hold no open
    /// QR of the link, the link must sell at `now`, its paid + open charges must be under
    /// `max_uses`, and `limits` must allow one more QR. A reused bill number or md5 is
    /// [`StoreError::Duplicate`].
    pub async fn reserve_link_charge(
        &self,
        link: LinkId,
        buyer: &LinkBuyer,
        c: &NewCharge,
        limits: &LinkLimits,
    ) -> Result<Reserved> {
        let mut tx = self.write_tx().await?;
        let sql = format!("SELECT {LINK_COLUMNS} FROM pay_links WHERE id = $1");
        let row: Option<LinkRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(link.0)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Ok(Reserved::NoLink);
        };
        let current = PayLink::try_from(row)?;
        if current.merchant_id != c.merchant_id {
            return Ok(Reserved::NotSelling(current));
        }
        if let Some(refused) =
            refusal(&mut tx, &current, buyer.user_id, c.created_at, limits).await?
        {
            return Ok(refused);
        }
        let id = super::charges::insert_creating(&mut tx, c).await?.0;
        // The guard: the unit is taken only while paid + open (this charge not yet counted:
        // its row is not there yet) is under max_uses.
        let held = sqlx::query(
            "INSERT INTO link_charges (charge_id, link_id, buyer_user_id, buyer_name, buyer_lang, created_at) \
             SELECT $1, l.id, $3, $4, $5, $6 FROM pay_links l \
             WHERE l.id = $2 AND l.state = 'active' \
               AND (l.max_uses IS NULL OR l.max_uses > ( \
                   SELECT COUNT(*) FROM link_charges lc JOIN charges c ON c.id = lc.charge_id \
                   WHERE lc.link_id = l.id AND c.status IN ('creating', 'pending', 'paid', 'underpaid')))",
        )
        .bind(id)
        .bind(link.0)
        .bind(buyer.user_id)
        .bind(&buyer.name)
        .bind(buyer.lang.code())
        .bind(c.created_at)
        .execute(&mut *tx)
        .await?;
        if held.rows_affected() != 1 {
            // Rolled back with the charge (the transaction is dropped).
            return Ok(Reserved::SoldOut);
        }
        tx.commit().await?;
        Ok(Reserved::Charge(ChargeId(id)))
    }

    /// A buyer's open card of a link charge, shown again as message `to`: the charge is
    /// edited there from now on. Guarded: only while the charge is `pending` and still
    /// shown as `from` (`None`: its first photo was never confirmed). False when it settled
    /// (or was shown again elsewhere) meanwhile; then `to` is a stale copy.
    pub async fn move_link_card(&self, id: ChargeId, from: Option<i32>, to: i32) -> Result<bool> {
        let done = match from {
            Some(from) => {
                sqlx::query(
                    "UPDATE charges SET message_id = $2 \
                     WHERE id = $1 AND status = 'pending' AND message_id = $3",
                )
                .bind(id.0)
                .bind(i64::from(to))
                .bind(i64::from(from))
                .execute(&self.pool)
                .await?
            }
            None => {
                sqlx::query(
                    "UPDATE charges SET message_id = $2 \
                     WHERE id = $1 AND status = 'pending' AND message_id IS NULL",
                )
                .bind(id.0)
                .bind(i64::from(to))
                .execute(&self.pool)
                .await?
            }
        };
        Ok(done.rows_affected() == 1)
    }

    /// The link and buyer of a charge, if it was bought through a link.
    pub async fn link_charge(&self, id: ChargeId) -> Result<Option<LinkCharge>> {
        let row: Option<(i64, i64, String, String)> = sqlx::query_as(
            "SELECT link_id, buyer_user_id, buyer_name, buyer_lang FROM link_charges \
             WHERE charge_id = $1",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|(link, user_id, name, lang)| {
            Ok(LinkCharge {
                charge_id: id,
                link_id: LinkId(link),
                buyer: LinkBuyer {
                    user_id,
                    name,
                    lang: parse_lang(&lang)?,
                },
            })
        })
        .transpose()
    }
}

/// Why `buyer` gets no new QR of `link` at `now` (`None`: they may), in the order a buyer
/// is told: the open QR they already hold (or one expired but not settled yet), a link
/// that does not sell, sold out, the link's rate, the buyer's unpaid QRs of a limited link.
async fn refusal(
    conn: &mut sqlx::AnyConnection,
    link: &PayLink,
    buyer: i64,
    now: i64,
    limits: &LinkLimits,
) -> Result<Option<Reserved>> {
    let open: Option<(i64, String, i64)> = sqlx::query_as(
        "SELECT c.id, c.status, c.expires_at FROM link_charges lc \
         JOIN charges c ON c.id = lc.charge_id \
         WHERE lc.link_id = $1 AND lc.buyer_user_id = $2 \
           AND c.status IN ('creating', 'pending') \
         ORDER BY c.id DESC LIMIT 1",
    )
    .bind(link.id.0)
    .bind(buyer)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some((id, status, expires_at)) = open {
        if status == "pending" && expires_at <= now {
            return Ok(Some(Reserved::OpenEnding));
        }
        return Ok(Some(Reserved::AlreadyOpen(ChargeId(id))));
    }
    if !link.selling_at(now) {
        return Ok(Some(Reserved::NotSelling(link.clone())));
    }
    if let Some(max) = link.max_uses {
        let (paid, open, _): (i64, i64, i64) = sqlx::query_as(STATS)
            .bind(link.id.0)
            .fetch_one(&mut *conn)
            .await?;
        if paid + open >= i64::from(max) {
            return Ok(Some(Reserved::SoldOut));
        }
    }
    let recent: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM link_charges WHERE link_id = $1 AND created_at > $2",
    )
    .bind(link.id.0)
    .bind(now - limits.link_window_secs)
    .fetch_one(&mut *conn)
    .await?;
    if recent >= limits.per_link {
        return Ok(Some(Reserved::Busy));
    }
    if link.max_uses.is_some() {
        // Newest first: when the n-th newest leaves the window, the buyer is under n.
        let unpaid: Vec<i64> = sqlx::query_scalar(
            "SELECT lc.created_at FROM link_charges lc JOIN charges c ON c.id = lc.charge_id \
             WHERE lc.link_id = $1 AND lc.buyer_user_id = $2 AND lc.created_at > $3 \
               AND c.status NOT IN ('paid', 'underpaid') \
             ORDER BY lc.created_at DESC",
        )
        .bind(link.id.0)
        .bind(buyer)
        .bind(now - limits.buyer_window_secs)
        .fetch_all(&mut *conn)
        .await?;
        let nth = usize::try_from(limits.unpaid_per_buyer.max(1) - 1).unwrap_or(0);
        if let Some(at) = unpaid.get(nth) {
            return Ok(Some(Reserved::BuyerLimit {
                retry_at: at + limits.buyer_window_secs,
            }));
        }
    }
    Ok(None)
}

/// In the settling transaction of a payment (paid or mismatch) for charge `id`: queues the
/// seller's one sale message when the charge was bought through a link. True if it was
/// (the caller then sends no `charge_paid_late` notice: the sale message carries it).
pub(super) async fn queue_link_sale(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    merchant: MerchantId,
    id: ChargeId,
    after: Option<PaidAfter>,
    now: i64,
) -> Result<bool> {
    let row: Option<(i64, Option<i64>)> = sqlx::query_as(
        "SELECT l.id, l.max_uses FROM link_charges lc JOIN pay_links l ON l.id = lc.link_id \
         WHERE lc.charge_id = $1",
    )
    .bind(id.0)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((link, max_uses)) = row else {
        return Ok(false);
    };
    let paid: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM link_charges lc JOIN charges c ON c.id = lc.charge_id \
         WHERE lc.link_id = $1 AND c.status IN ('paid', 'underpaid')",
    )
    .bind(link)
    .fetch_one(&mut **tx)
    .await?;
    let over_limit = max_uses.is_some_and(|max| paid > max);
    let payload = json!({
        "after": after.map(PaidAfter::as_str),
        "over_limit": over_limit,
    });
    enqueue(
        tx,
        merchant,
        Some(id),
        FollowUpKind::LinkSale,
        &payload,
        now,
    )
    .await?;
    Ok(true)
}

impl LinkSale {
    /// Reads a [`FollowUpKind::LinkSale`] payload (missing keys: an on-time sale).
    pub fn from_payload(payload: &serde_json::Value) -> Self {
        LinkSale {
            after: payload
                .get("after")
                .and_then(serde_json::Value::as_str)
                .and_then(|a| a.parse().ok()),
            over_limit: payload
                .get("over_limit")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_and_are_distinct() {
        let a = LinkCode::generate().unwrap();
        let b = LinkCode::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22);
        assert_eq!(LinkCode::parse(a.as_str()), Ok(a.clone()));
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn only_codes_of_our_shape_parse() {
        for junk in [
            "",
            "setup",
            "abcdefghijklmnopqrstu",
            "abcdefghijklmnopqrstuvw",
            "abcdefghijklmnopqrst+/",
            "abcdefghijklmnopqrst=",
        ] {
            assert_eq!(LinkCode::parse(junk), Err(NotALinkCode), "{junk}");
        }
        assert!(LinkCode::parse("AZaz09_-AZaz09_-AZaz09").is_ok());
    }
}
