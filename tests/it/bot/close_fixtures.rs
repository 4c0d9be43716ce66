//! Charges written straight into the database for the closing-summary and export tests
//! (issue 14): settled charges at chosen Phnom Penh times, which the bot's own flows could
//! only make by waiting for real days to pass.

use khqr_bot::store::{MerchantId, Store};
use khqr_bot::time::{LocalDate, UnixSecs};

/// Unix time of a Phnom Penh wall-clock time.
pub fn pp(y: i32, m: u8, d: u8, hh: i64, mm: i64) -> UnixSecs {
    LocalDate::new(y, m, d).unwrap().start() + hh * 3600 + mm * 60
}

/// A charge as the watcher would have left it.
#[derive(Debug, Clone)]
pub struct Fixture {
    pub amount_minor: i64,
    pub currency: &'static str,
    pub note: Option<&'static str>,
    pub status: &'static str,
    pub created_at: UnixSecs,
    /// When the customer paid (paid, mismatch).
    pub paid_at: Option<UnixSecs>,
    /// When it ended (every final status).
    pub settled_at: Option<UnixSecs>,
    pub paid_after: Option<&'static str>,
    /// What arrived when it is not what was asked, to the shop's account or not: (minor
    /// units, currency, to account).
    pub arrived: Option<(i64, &'static str, &'static str)>,
}

impl Fixture {
    /// Paid at `paid_at`, created two minutes before.
    pub fn paid(
        amount_minor: i64,
        currency: &'static str,
        note: Option<&'static str>,
        paid_at: UnixSecs,
    ) -> Self {
        Self {
            amount_minor,
            currency,
            note,
            status: "paid",
            created_at: paid_at - 120,
            paid_at: Some(paid_at),
            settled_at: Some(paid_at + 3),
            paid_after: None,
            arrived: None,
        }
    }

    /// Ended `status` (expired, failed, cancelled, unverified) at `at`.
    pub fn ended(
        amount_minor: i64,
        currency: &'static str,
        status: &'static str,
        at: UnixSecs,
    ) -> Self {
        Self {
            amount_minor,
            currency,
            note: None,
            status,
            created_at: at - 600,
            paid_at: None,
            settled_at: Some(at),
            paid_after: None,
            arrived: None,
        }
    }
}

/// The shop's Bakong account in the fixtures.
pub const SHOP_ACCOUNT: &str = "shop@aclb";

/// Inserts `f` for `merchant`, with its payment in the ledger as the watcher records it;
/// returns (charge id, bill number).
pub async fn insert(store: &Store, merchant: MerchantId, f: &Fixture) -> (i64, String) {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM charges")
        .fetch_one(store.pool())
        .await
        .unwrap();
    let bill = format!("FX{:06}", n + 1);
    let (paid_amount, paid_currency, paid_to) = match f.arrived {
        Some((a, c, to)) => (Some(a), Some(c), Some(to)),
        None => (None, None, None),
    };
    let paid = f.paid_at.is_some();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO charges (merchant_id, chat_id, message_id, bill_number, khqr, md5, \
             to_account_id, amount_minor, currency, note, status, created_at, expires_at, \
             next_poll_at, settled_at, bakong_hash, payer_account_id, paid_amount_minor, \
             paid_currency, paid_to_account_id, paid_at, paid_after) \
         SELECT $1, chat_id, NULL, $2, 'fixture', $3, 'shop@aclb', $4, $5, $6, $7, $8, $9, $9, \
             $10, $11, $12, $13, $14, $15, $16, $17 FROM merchants WHERE id = $1 \
         RETURNING id",
    )
    .bind(merchant.0)
    .bind(&bill)
    .bind(format!("{:032x}", n + 1))
    .bind(f.amount_minor)
    .bind(f.currency)
    .bind(f.note)
    .bind(f.status)
    .bind(f.created_at)
    .bind(f.created_at + 300)
    .bind(f.settled_at)
    .bind(paid.then(|| format!("{:064x}", n + 1)))
    .bind(paid.then_some("customer@wing"))
    .bind(paid_amount)
    .bind(paid_currency)
    .bind(paid_to)
    .bind(f.paid_at)
    .bind(f.paid_after)
    .fetch_one(store.pool())
    .await
    .unwrap();
    if let Some(paid_at) = f.paid_at {
        let (minor, currency, to) = f
            .arrived
            .unwrap_or((f.amount_minor, f.currency, SHOP_ACCOUNT));
        let counted = to == SHOP_ACCOUNT;
        let fit = if !counted {
            "not_counted"
        } else if currency != f.currency {
            "other_currency"
        } else {
            match minor.cmp(&f.amount_minor) {
                std::cmp::Ordering::Equal => "exact",
                std::cmp::Ordering::Greater => "over",
                std::cmp::Ordering::Less => "under",
            }
        };
        sqlx::query(
            "INSERT INTO payments (charge_id, merchant_id, hash, payer_account_id, \
                 to_account_id, currency, amount, known_currency, amount_minor, counted, fit, \
                 charge_was, paid_at, found_at) \
             VALUES ($1, $2, $3, 'customer@wing', $4, $5, $11, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(id)
        .bind(merchant.0)
        .bind(format!("{:064x}", n + 1))
        .bind(to)
        .bind(currency)
        .bind(minor)
        .bind(i64::from(counted))
        .bind(fit)
        .bind(f.paid_after.unwrap_or("pending"))
        .bind(paid_at)
        .bind(minor.to_string())
        .execute(store.pool())
        .await
        .unwrap();
    }
    (id, bill)
}
