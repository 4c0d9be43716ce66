//! The validated KHQR value and its encoder.

use super::account::BakongAccountId;
use super::amount::Amount;
use super::checksum::{crc16, push_crc_hex};
use super::currency::Currency;
use super::fields::{COUNTRY_CODE, DYNAMIC_QR, PAYLOAD_FORMAT, STATIC_QR};
use super::tlv::{push_header, push_tlv, push_tlv_with_len, push_u64, tlv_len, utf16_len};

/// Tag 29 (individual) or tag 30 (merchant) content besides the account ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AccountKind {
    Individual {
        account_information: Option<String>,
        acquiring_bank: Option<String>,
    },
    Merchant {
        merchant_id: String,
        acquiring_bank: String,
    },
}

/// What makes a KHQR dynamic: a non-zero amount and its timestamps (tags 54, 99).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dynamic {
    pub(crate) amount: Amount,
    pub(crate) created_at_ms: u64,
    pub(crate) expires_at_ms: u64,
}

/// Alternate-language merchant name with its language (64-00 and 64-01 go together).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AltName {
    pub(crate) language_preference: String,
    pub(crate) merchant_name: String,
}

/// A valid KHQR: every field within its limits, defaults resolved (city `Phnom Penh`, MCC
/// `5999`), templates short enough to encode. Built with [`KhqrInput::build`] or read with
/// [`decode`]/[`verify`]; `decode(&k.encode()) == Ok(k)`.
///
/// [`KhqrInput::build`]: super::KhqrInput::build
/// [`decode`]: super::decode
/// [`verify`]: super::verify
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Khqr {
    pub(crate) account_id: BakongAccountId,
    pub(crate) account: AccountKind,
    pub(crate) upi_merchant_account: Option<String>,
    pub(crate) mcc: [u8; 4],
    pub(crate) currency: Currency,
    pub(crate) dynamic: Option<Dynamic>,
    pub(crate) merchant_name: String,
    pub(crate) merchant_city: String,
    pub(crate) bill_number: Option<String>,
    pub(crate) mobile_number: Option<String>,
    pub(crate) store_label: Option<String>,
    pub(crate) terminal_label: Option<String>,
    pub(crate) purpose: Option<String>,
    pub(crate) alt_name: Option<AltName>,
    pub(crate) alt_merchant_city: Option<String>,
}

impl Khqr {
    /// Dynamic (`010212`: amount, creation and expiration) rather than static (`010211`).
    pub fn is_dynamic(&self) -> bool {
        self.dynamic.is_some()
    }

    /// Merchant KHQR (tag 30) rather than individual (tag 29).
    pub fn is_merchant(&self) -> bool {
        matches!(self.account, AccountKind::Merchant { .. })
    }

    /// Bakong account ID (29-00 / 30-00).
    pub fn account_id(&self) -> &str {
        self.account_id.as_str()
    }

    /// Bakong account ID as its type.
    pub fn bakong_account_id(&self) -> &BakongAccountId {
        &self.account_id
    }

    /// Merchant ID (30-01); `None` for an individual KHQR.
    pub fn merchant_id(&self) -> Option<&str> {
        match &self.account {
            AccountKind::Merchant { merchant_id, .. } => Some(merchant_id),
            AccountKind::Individual { .. } => None,
        }
    }

    /// Account information (29-01); always `None` for a merchant KHQR.
    pub fn account_information(&self) -> Option<&str> {
        match &self.account {
            AccountKind::Individual {
                account_information,
                ..
            } => account_information.as_deref(),
            AccountKind::Merchant { .. } => None,
        }
    }

    /// Acquiring bank (29-02 / 30-02); always present for a merchant KHQR.
    pub fn acquiring_bank(&self) -> Option<&str> {
        match &self.account {
            AccountKind::Individual { acquiring_bank, .. } => acquiring_bank.as_deref(),
            AccountKind::Merchant { acquiring_bank, .. } => Some(acquiring_bank),
        }
    }

    /// UnionPay merchant account (tag 15), KHR only.
    pub fn upi_merchant_account(&self) -> Option<&str> {
        self.upi_merchant_account.as_deref()
    }

    /// Merchant category code (tag 52), 4 digits.
    pub fn merchant_category_code(&self) -> &str {
        std::str::from_utf8(&self.mcc).unwrap_or("5999") // ok: 4 ASCII digits by construction
    }

    /// Transaction currency (tag 53).
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Amount (tag 54); `Some` exactly when the KHQR is dynamic, and then never zero.
    pub fn amount(&self) -> Option<Amount> {
        self.dynamic.map(|d| d.amount)
    }

    /// Merchant name (tag 59).
    pub fn merchant_name(&self) -> &str {
        &self.merchant_name
    }

    /// Merchant city (tag 60), `Phnom Penh` when none was given.
    pub fn merchant_city(&self) -> &str {
        &self.merchant_city
    }

    /// Bill number (62-01).
    pub fn bill_number(&self) -> Option<&str> {
        self.bill_number.as_deref()
    }

    /// Mobile number (62-02), as given.
    pub fn mobile_number(&self) -> Option<&str> {
        self.mobile_number.as_deref()
    }

    /// Store label (62-03).
    pub fn store_label(&self) -> Option<&str> {
        self.store_label.as_deref()
    }

    /// Terminal label (62-07).
    pub fn terminal_label(&self) -> Option<&str> {
        self.terminal_label.as_deref()
    }

    /// Purpose of transaction (62-08).
    pub fn purpose(&self) -> Option<&str> {
        self.purpose.as_deref()
    }

    /// Language preference (64-00), present together with the alternate name.
    pub fn language_preference(&self) -> Option<&str> {
        self.alt_name
            .as_ref()
            .map(|a| a.language_preference.as_str())
    }

    /// Merchant name in the alternate language (64-01).
    pub fn alt_merchant_name(&self) -> Option<&str> {
        self.alt_name.as_ref().map(|a| a.merchant_name.as_str())
    }

    /// Merchant city in the alternate language (64-02).
    pub fn alt_merchant_city(&self) -> Option<&str> {
        self.alt_merchant_city.as_deref()
    }

    /// Creation timestamp (99-00), Unix epoch ms; dynamic KHQR only.
    pub fn created_at_ms(&self) -> Option<u64> {
        self.dynamic.map(|d| d.created_at_ms)
    }

    /// Expiration timestamp (99-01), Unix epoch ms; dynamic KHQR only.
    pub fn expires_at_ms(&self) -> Option<u64> {
        self.dynamic.map(|d| d.expires_at_ms)
    }

    /// True when this is a dynamic KHQR whose expiration lies before `now_ms` (as the SDK's
    /// verifier decides: expired once `expires < now`).
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.dynamic.is_some_and(|d| d.expires_at_ms < now_ms)
    }

    /// The KHQR string, byte-identical to what NBC's SDK emits for the same input.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.capacity_hint());
        self.encode_into(&mut out);
        out
    }

    /// Appends the KHQR string to `out` (the CRC covers only the appended part).
    pub fn encode_into(&self, out: &mut String) {
        let start = out.len();
        out.reserve(self.capacity_hint());
        push_tlv_with_len(out, "00", 2, PAYLOAD_FORMAT);
        let poi = if self.dynamic.is_some() {
            DYNAMIC_QR
        } else {
            STATIC_QR
        };
        push_tlv_with_len(out, "01", 2, poi);
        if let Some(upi) = &self.upi_merchant_account {
            push_tlv(out, "15", upi);
        }
        self.push_account(out);
        push_tlv_with_len(out, "52", 4, self.merchant_category_code());
        push_tlv_with_len(out, "53", 3, self.currency.numeric());
        if let Some(d) = &self.dynamic {
            push_header(out, "54", d.amount.formatted_len());
            d.amount.write_to(out);
        }
        push_tlv_with_len(out, "58", 2, COUNTRY_CODE);
        push_tlv(out, "59", &self.merchant_name);
        push_tlv(out, "60", &self.merchant_city);
        self.push_additional_data(out);
        self.push_language(out);
        if let Some(d) = &self.dynamic {
            push_header(out, "99", 34);
            push_header(out, "00", 13);
            push_u64(out, d.created_at_ms);
            push_header(out, "01", 13);
            push_u64(out, d.expires_at_ms);
        }
        out.push_str("6304");
        let crc = crc16(&out.as_bytes()[start..]);
        push_crc_hex(out, crc);
    }

    fn capacity_hint(&self) -> usize {
        // Byte length, generous: Khmer text takes 3 bytes per UTF-16 unit.
        let text = |s: &str| s.len() + 4;
        let opt = |s: &Option<String>| s.as_deref().map_or(0, text);
        96 + text(&self.merchant_name)
            + text(&self.merchant_city)
            + self.account_id.as_str().len()
            + opt(&self.upi_merchant_account)
            + match &self.account {
                AccountKind::Individual {
                    account_information,
                    acquiring_bank,
                } => opt(account_information) + opt(acquiring_bank),
                AccountKind::Merchant {
                    merchant_id,
                    acquiring_bank,
                } => text(merchant_id) + text(acquiring_bank),
            }
            + opt(&self.bill_number)
            + opt(&self.mobile_number)
            + opt(&self.store_label)
            + opt(&self.terminal_label)
            + opt(&self.purpose)
            + self
                .alt_name
                .as_ref()
                .map_or(0, |a| text(&a.merchant_name) + 8)
            + opt(&self.alt_merchant_city)
    }

    fn push_account(&self, out: &mut String) {
        let id = self.account_id.as_str();
        let (tag, first, second) = match &self.account {
            AccountKind::Individual {
                account_information,
                acquiring_bank,
            } => (
                "29",
                account_information.as_deref(),
                acquiring_bank.as_deref(),
            ),
            AccountKind::Merchant {
                merchant_id,
                acquiring_bank,
            } => (
                "30",
                Some(merchant_id.as_str()),
                Some(acquiring_bank.as_str()),
            ),
        };
        push_template(out, tag, &[("00", Some(id)), ("01", first), ("02", second)]);
    }

    fn push_additional_data(&self, out: &mut String) {
        push_template(
            out,
            "62",
            &[
                ("01", self.bill_number.as_deref()),
                ("02", self.mobile_number.as_deref()),
                ("03", self.store_label.as_deref()),
                ("07", self.terminal_label.as_deref()),
                ("08", self.purpose.as_deref()),
            ],
        );
    }

    fn push_language(&self, out: &mut String) {
        push_template(
            out,
            "64",
            &[
                ("00", self.language_preference()),
                ("01", self.alt_merchant_name()),
                ("02", self.alt_merchant_city.as_deref()),
            ],
        );
    }
}

/// Length (UTF-16 units) of a template's value made of the present sub-fields.
pub(crate) fn template_len(subs: &[Option<&str>]) -> usize {
    subs.iter().flatten().map(|v| tlv_len(utf16_len(v))).sum()
}

/// Writes a template with the present sub-fields; nothing when none is present.
fn push_template(out: &mut String, tag: &str, subs: &[(&str, Option<&str>)]) {
    let mut len = 0;
    let mut any = false;
    for (_, value) in subs {
        if let Some(v) = value {
            len += tlv_len(utf16_len(v));
            any = true;
        }
    }
    if !any {
        return;
    }
    push_header(out, tag, len);
    for (sub, value) in subs {
        if let Some(v) = value {
            push_tlv(out, sub, v);
        }
    }
}
