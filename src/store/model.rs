//! Rows as domain types. Conversions check what the schema cannot.

use std::fmt;
use std::str::FromStr;

use crate::i18n::Lang;
use crate::khqr::{Amount, BakongAccountId, City, Currency, ShopName};

use super::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MerchantId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChargeId(pub i64);

impl fmt::Display for MerchantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for ChargeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl MerchantId {
    /// Associated data binding a sealed token to its merchant row.
    pub fn token_aad(self) -> Vec<u8> {
        format!("merchant:{}", self.0).into_bytes()
    }
}

/// What a merchant completed in /setup: all present together or not at all. Carried typed
/// (parsed once, in /setup); the table keeps them as TEXT and they are checked again when read.
#[derive(Clone, PartialEq, Eq)]
pub struct Profile {
    pub account_id: BakongAccountId,
    pub shop_name: ShopName,
    pub city: City,
    /// XChaCha20-Poly1305 blob; open with `crypto::SecretBox` and [`MerchantId::token_aad`].
    pub token_sealed: Vec<u8>,
    pub token_expires_at: Option<i64>,
}

impl fmt::Debug for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Profile")
            .field("account_id", &self.account_id)
            .field("shop_name", &self.shop_name)
            .field("city", &self.city)
            .field(
                "token_sealed",
                &format_args!("<{} bytes>", self.token_sealed.len()),
            )
            .field("token_expires_at", &self.token_expires_at)
            .finish()
    }
}

/// Input to [`super::Store::save_profile`].
pub type ProfileInput = Profile;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    pub id: MerchantId,
    pub telegram_user_id: i64,
    pub chat_id: i64,
    /// The seller's one language for everything the bot sends them: Telegram's hint when
    /// the row was made, then whatever /lang set.
    pub language: Lang,
    /// The user picked the language with /lang (else it is the hint the row was made with).
    pub language_chosen: bool,
    pub default_currency: Currency,
    /// `None` until /setup completes.
    pub profile: Option<Profile>,
    /// Bumped each time a token is stored (0 before the first).
    pub token_version: i64,
    pub token_rejected_at: Option<i64>,
    pub token_reminded_at: Option<i64>,
    /// When Bakong first answered an authenticated call made with the stored token version
    /// (`None`: never seen accepted; such a token is never renewed automatically).
    pub token_accepted_at: Option<i64>,
    /// The email registered at the Bakong Open API site (`renew_token`), if given.
    pub email: Option<crate::bakong::RegisteredEmail>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChargeStatus {
    /// Reserved while the photo is being sent; never polled, never shown.
    Creating,
    Pending,
    /// Its payments in its currency reach what it asked, or more (`store::payments`).
    Paid,
    /// Money arrived in its currency, less than it asked: the seller may ask for the rest
    /// ("Charge the missing", a charge with `difference_of`).
    Underpaid,
    /// Transfers for this QR arrived, none of them in its currency to the seller's account
    /// (another currency, counted in that one; another account or unreadable, not counted).
    Mismatch,
    Failed,
    Expired,
    Cancelled,
    /// Bakong could not be asked about it (token refused, Bakong unreachable) until long
    /// after its expiry; the seller was told to check their Bakong app.
    Unverified,
    /// An inline draft nobody chose in time. Its QR was seen in the inline
    /// picker, so it is late-watched like a cancelled charge; never listed unless paid.
    Discarded,
}

impl ChargeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChargeStatus::Creating => "creating",
            ChargeStatus::Pending => "pending",
            ChargeStatus::Paid => "paid",
            ChargeStatus::Underpaid => "underpaid",
            ChargeStatus::Mismatch => "mismatch",
            ChargeStatus::Failed => "failed",
            ChargeStatus::Expired => "expired",
            ChargeStatus::Cancelled => "cancelled",
            ChargeStatus::Unverified => "unverified",
            ChargeStatus::Discarded => "discarded",
        }
    }

    pub fn is_final(self) -> bool {
        !matches!(self, ChargeStatus::Creating | ChargeStatus::Pending)
    }

    /// Whether money for the charge is in the ledger (`paid`, `underpaid`, `mismatch`).
    pub fn has_payment(self) -> bool {
        matches!(
            self,
            ChargeStatus::Paid | ChargeStatus::Underpaid | ChargeStatus::Mismatch
        )
    }

    /// Every status, for tests and exhaustive checks.
    pub const ALL: [ChargeStatus; 10] = [
        ChargeStatus::Creating,
        ChargeStatus::Pending,
        ChargeStatus::Paid,
        ChargeStatus::Underpaid,
        ChargeStatus::Mismatch,
        ChargeStatus::Failed,
        ChargeStatus::Expired,
        ChargeStatus::Cancelled,
        ChargeStatus::Unverified,
        ChargeStatus::Discarded,
    ];
}

/// The statuses a charge is still asked about after it left `pending`, until
/// `expires_at` + the late window (`Store::late_watched_due`): a copy of its QR can still be
/// paid, after a Cancel, an expiry, a failed attempt or a draft nobody chose, and a settled
/// QR can be paid a second time. As an SQL list.
pub(super) const LATE_WATCHED: &str =
    "('cancelled', 'expired', 'discarded', 'failed', 'paid', 'underpaid', 'mismatch')";

/// Which ending without money a payment was found after (see `Charge::paid_after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaidAfter {
    Cancelled,
    Expired,
    /// An inline draft nobody chose.
    Discarded,
    /// Bakong had reported the payment failed (the customer topped up and paid again).
    Failed,
    /// Bakong could not be asked about it in time (found in a race with that ending).
    Unverified,
}

impl PaidAfter {
    pub const ALL: [PaidAfter; 5] = [
        PaidAfter::Cancelled,
        PaidAfter::Expired,
        PaidAfter::Discarded,
        PaidAfter::Failed,
        PaidAfter::Unverified,
    ];

    pub fn as_str(self) -> &'static str {
        self.status().as_str()
    }

    /// The status this is.
    pub fn status(self) -> ChargeStatus {
        match self {
            PaidAfter::Cancelled => ChargeStatus::Cancelled,
            PaidAfter::Expired => ChargeStatus::Expired,
            PaidAfter::Discarded => ChargeStatus::Discarded,
            PaidAfter::Failed => ChargeStatus::Failed,
            PaidAfter::Unverified => ChargeStatus::Unverified,
        }
    }

    /// The ending without money this is, if `status` is one.
    pub fn of(status: ChargeStatus) -> Option<Self> {
        match status {
            ChargeStatus::Cancelled => Some(PaidAfter::Cancelled),
            ChargeStatus::Expired => Some(PaidAfter::Expired),
            ChargeStatus::Discarded => Some(PaidAfter::Discarded),
            ChargeStatus::Failed => Some(PaidAfter::Failed),
            ChargeStatus::Unverified => Some(PaidAfter::Unverified),
            ChargeStatus::Creating
            | ChargeStatus::Pending
            | ChargeStatus::Paid
            | ChargeStatus::Underpaid
            | ChargeStatus::Mismatch => None,
        }
    }
}

impl FromStr for PaidAfter {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse::<ChargeStatus>()
            .ok()
            .and_then(PaidAfter::of)
            .ok_or_else(|| StoreError::Corrupt(format!("paid_after {s:?}")))
    }
}

impl FromStr for ChargeStatus {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "creating" => ChargeStatus::Creating,
            "pending" => ChargeStatus::Pending,
            "paid" => ChargeStatus::Paid,
            "underpaid" => ChargeStatus::Underpaid,
            "mismatch" => ChargeStatus::Mismatch,
            "failed" => ChargeStatus::Failed,
            "expired" => ChargeStatus::Expired,
            "cancelled" => ChargeStatus::Cancelled,
            "unverified" => ChargeStatus::Unverified,
            "discarded" => ChargeStatus::Discarded,
            other => return Err(StoreError::Corrupt(format!("charge status {other:?}"))),
        })
    }
}

impl fmt::Display for ChargeStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A charge about to be shown: see [`super::Store::insert_creating_charge`].
#[derive(Debug, Clone)]
pub struct NewCharge {
    pub merchant_id: MerchantId,
    pub chat_id: i64,
    pub bill_number: String,
    pub khqr: String,
    pub md5: String,
    pub to_account_id: String,
    pub amount: Amount,
    pub note: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Charge {
    pub id: ChargeId,
    pub merchant_id: MerchantId,
    pub chat_id: i64,
    /// `None` only while creating, or for a charge recovered after a crash mid-send.
    pub message_id: Option<i32>,
    pub bill_number: String,
    pub khqr: String,
    pub md5: String,
    pub to_account_id: String,
    pub amount: Amount,
    pub note: Option<String>,
    pub status: ChargeStatus,
    pub created_at: i64,
    pub expires_at: i64,
    pub next_poll_at: i64,
    pub last_check_at: Option<i64>,
    pub settled_at: Option<i64>,
    pub bakong_hash: Option<String>,
    pub payer_account_id: Option<String>,
    pub paid_amount_minor: Option<i64>,
    pub paid_currency: Option<String>,
    pub paid_to_account_id: Option<String>,
    /// When the customer paid (Bakong's `createdDateMs`), for paid and mismatched charges.
    pub paid_at: Option<i64>,
    /// Paid after it had ended without money (cancelled, expired, failed…).
    pub paid_after: Option<PaidAfter>,
    /// The card's message in a customer's chat, sent through inline mode (edited by this id).
    pub inline_message_id: Option<String>,
    /// The `file_id` of the card photo in the seller's private chat.
    pub card_file_id: Option<String>,
    /// The under-paid charge whose missing part this one asks for.
    pub difference_of: Option<ChargeId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: i64,
    pub merchant_id: Option<MerchantId>,
    pub charge_id: Option<ChargeId>,
    pub kind: super::event_kind::EventKind,
    pub detail: serde_json::Value,
    pub at: i64,
}

/// One queued Telegram follow-up (a `telegram_outbox` row), as the watcher's outbox hands
/// it to the deliverer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub merchant_id: MerchantId,
    pub charge_id: Option<ChargeId>,
    /// What to do (edit the charge's message to paid, tell the seller to renew the token,
    /// …); the deliverer reads the current rows to build the message.
    pub kind: super::follow_up::FollowUpKind,
    pub payload: serde_json::Value,
    /// Failed attempts so far.
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub done_at: Option<i64>,
}

pub(super) fn parse_currency(s: &str) -> Result<Currency, StoreError> {
    s.parse::<Currency>()
        .map_err(|_| StoreError::Corrupt(format!("currency {s:?}")))
}

pub(super) fn parse_lang(s: &str) -> Result<Lang, StoreError> {
    s.parse::<Lang>()
        .map_err(|_| StoreError::Corrupt(format!("language {s:?}")))
}

pub(super) fn amount(minor: i64, currency: Currency) -> Result<Amount, StoreError> {
    let minor = u64::try_from(minor)
        .map_err(|_| StoreError::Corrupt(format!("negative amount {minor}")))?;
    Amount::from_minor(minor, currency)
        .map_err(|e| StoreError::Corrupt(format!("amount {minor} {currency}: {e}")))
}

pub(super) fn json(text: &str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("JSON: {e}")))
}
