//! The validated KHQR value and its encoder.

use std::fmt;

use super::account::BakongAccountId;
use super::amount::Amount;
use super::checksum::{crc16, push_crc_hex};
use super::currency::Currency;
use super::fields::{COUNTRY_CODE, DYNAMIC_QR, PAYLOAD_FORMAT, STATIC_QR};
use super::tlv::{
    push_ascii, push_header, push_tlv, push_tlv_with_len, push_u64, tlv_len, utf16_len,
};

/// Tag 29 (individual) or tag 30 (merchant) content besides the account ID. `T` is `&str`
/// while assembling and [`Span`] inside a [`Khqr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AccountKind<T> {
    Individual {
        account_information: Option<T>,
        acquiring_bank: Option<T>,
    },
    Merchant {
        merchant_id: T,
        acquiring_bank: T,
    },
}

/// What makes a KHQR dynamic: a non-zero amount and its timestamps (tags 54, 99).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dynamic {
    pub(crate) amount: Amount,
    pub(crate) created_at_ms: u64,
    pub(crate) expires_at_ms: u64,
}

/// Static (`010211`) or dynamic (`010212`), with what tag 99 says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Timing {
    /// No amount. Tag 99 is optional and informative here: the SDK never writes one for a
    /// static KHQR, other libraries do, and the SDK's decoder returns what it holds, so the
    /// decoder keeps it (and the encoder writes it back).
    Static {
        created_at_ms: Option<u64>,
        expires_at_ms: Option<u64>,
    },
    Dynamic(Dynamic),
}

impl Timing {
    /// A static KHQR without tag 99, as the SDK and [`KhqrInput::build`] make them.
    ///
    /// [`KhqrInput::build`]: super::KhqrInput::build
    pub(crate) const STATIC: Timing = Timing::Static {
        created_at_ms: None,
        expires_at_ms: None,
    };
}

/// Validated field values, borrowed from the input or the decoded string, ready to be copied
/// into a [`Khqr`]. Only `build` and `decode` create one, after checking every field.
pub(crate) struct Parts<'a> {
    pub(crate) account_id: &'a str,
    pub(crate) account: AccountKind<&'a str>,
    pub(crate) upi_merchant_account: Option<&'a str>,
    pub(crate) mcc: [u8; 4],
    pub(crate) currency: Currency,
    pub(crate) timing: Timing,
    pub(crate) merchant_name: &'a str,
    pub(crate) merchant_city: &'a str,
    /// Bill number, mobile number, store label, terminal label, purpose (62-01/02/03/07/08).
    pub(crate) additional: [Option<&'a str>; 5],
    /// (language preference, alternate-language merchant name) (64-00, 64-01).
    pub(crate) alt_name: Option<(&'a str, &'a str)>,
    pub(crate) alt_merchant_city: Option<&'a str>,
}

/// Byte range of one field inside [`Khqr::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Span {
    start: u16,
    end: u16,
}

/// A valid KHQR: every field within its limits, defaults resolved (city `Phnom Penh`, MCC
/// `5999`), templates short enough to encode. Built with [`KhqrInput::build`] or read with
/// [`decode`]/[`verify`]; `decode(&k.encode()) == Ok(k)`.
///
/// All text lives in one buffer (one allocation per value), written in a fixed field order,
/// so equal KHQRs have equal buffers.
///
/// [`KhqrInput::build`]: super::KhqrInput::build
/// [`decode`]: super::decode
/// [`verify`]: super::verify
#[derive(Clone, PartialEq, Eq)]
pub struct Khqr {
    text: String,
    account_id: Span,
    account: AccountKind<Span>,
    upi_merchant_account: Option<Span>,
    mcc: [u8; 4],
    currency: Currency,
    timing: Timing,
    merchant_name: Span,
    merchant_city: Span,
    additional: [Option<Span>; 5],
    alt_name: Option<(Span, Span)>,
    alt_merchant_city: Option<Span>,
}

/// Appends `value` to `text` and returns where it went. Field limits keep the whole text far
/// below 64 KiB (at most ~450 UTF-16 units, ≤ 4 bytes each).
fn append(text: &mut String, value: &str) -> Span {
    let start = u16::try_from(text.len()).unwrap_or(u16::MAX); // ok: bounded by field limits
    text.push_str(value);
    let end = u16::try_from(text.len()).unwrap_or(u16::MAX); // ok: bounded by field limits
    Span { start, end }
}

impl Khqr {
    /// Copies validated parts into one buffer, in a fixed order.
    pub(crate) fn assemble(p: Parts<'_>) -> Khqr {
        let opt_len = |o: Option<&str>| o.map_or(0, str::len);
        let capacity = p.account_id.len()
            + match p.account {
                AccountKind::Individual {
                    account_information,
                    acquiring_bank,
                } => opt_len(account_information) + opt_len(acquiring_bank),
                AccountKind::Merchant {
                    merchant_id,
                    acquiring_bank,
                } => merchant_id.len() + acquiring_bank.len(),
            }
            + opt_len(p.upi_merchant_account)
            + p.merchant_name.len()
            + p.merchant_city.len()
            + p.additional.iter().map(|a| opt_len(*a)).sum::<usize>()
            + p.alt_name.map_or(0, |(l, n)| l.len() + n.len())
            + opt_len(p.alt_merchant_city);
        let mut text = String::with_capacity(capacity);
        let t = &mut text;
        let account_id = append(t, p.account_id);
        let account = match p.account {
            AccountKind::Individual {
                account_information,
                acquiring_bank,
            } => AccountKind::Individual {
                account_information: account_information.map(|v| append(t, v)),
                acquiring_bank: acquiring_bank.map(|v| append(t, v)),
            },
            AccountKind::Merchant {
                merchant_id,
                acquiring_bank,
            } => AccountKind::Merchant {
                merchant_id: append(t, merchant_id),
                acquiring_bank: append(t, acquiring_bank),
            },
        };
        let upi_merchant_account = p.upi_merchant_account.map(|v| append(t, v));
        let merchant_name = append(t, p.merchant_name);
        let merchant_city = append(t, p.merchant_city);
        let additional = p.additional.map(|a| a.map(|v| append(t, v)));
        let alt_name = p.alt_name.map(|(l, n)| (append(t, l), append(t, n)));
        let alt_merchant_city = p.alt_merchant_city.map(|v| append(t, v));
        Khqr {
            text,
            account_id,
            account,
            upi_merchant_account,
            mcc: p.mcc,
            currency: p.currency,
            timing: p.timing,
            merchant_name,
            merchant_city,
            additional,
            alt_name,
            alt_merchant_city,
        }
    }

    fn get(&self, span: Span) -> &str {
        self.text
            .get(usize::from(span.start)..usize::from(span.end))
            .unwrap_or("") // ok: spans are made by `append` on this very buffer
    }

    fn get_opt(&self, span: Option<Span>) -> Option<&str> {
        span.map(|s| self.get(s))
    }

    /// Dynamic (`010212`: amount, creation and expiration) rather than static (`010211`).
    pub fn is_dynamic(&self) -> bool {
        matches!(self.timing, Timing::Dynamic(_))
    }

    fn dynamic(&self) -> Option<&Dynamic> {
        match &self.timing {
            Timing::Dynamic(d) => Some(d),
            Timing::Static { .. } => None,
        }
    }

    /// Merchant KHQR (tag 30) rather than individual (tag 29).
    pub fn is_merchant(&self) -> bool {
        matches!(self.account, AccountKind::Merchant { .. })
    }

    /// Bakong account ID (29-00 / 30-00).
    pub fn account_id(&self) -> &str {
        self.get(self.account_id)
    }

    /// Bakong account ID as its type.
    pub fn bakong_account_id(&self) -> BakongAccountId {
        BakongAccountId(self.account_id().to_owned())
    }

    /// Merchant ID (30-01); `None` for an individual KHQR.
    pub fn merchant_id(&self) -> Option<&str> {
        match self.account {
            AccountKind::Merchant { merchant_id, .. } => Some(self.get(merchant_id)),
            AccountKind::Individual { .. } => None,
        }
    }

    /// Account information (29-01); always `None` for a merchant KHQR.
    pub fn account_information(&self) -> Option<&str> {
        match self.account {
            AccountKind::Individual {
                account_information,
                ..
            } => self.get_opt(account_information),
            AccountKind::Merchant { .. } => None,
        }
    }

    /// Acquiring bank (29-02 / 30-02); always present for a merchant KHQR.
    pub fn acquiring_bank(&self) -> Option<&str> {
        match self.account {
            AccountKind::Individual { acquiring_bank, .. } => self.get_opt(acquiring_bank),
            AccountKind::Merchant { acquiring_bank, .. } => Some(self.get(acquiring_bank)),
        }
    }

    /// UnionPay merchant account (tag 15), KHR only.
    pub fn upi_merchant_account(&self) -> Option<&str> {
        self.get_opt(self.upi_merchant_account)
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
        self.dynamic().map(|d| d.amount)
    }

    /// Merchant name (tag 59).
    pub fn merchant_name(&self) -> &str {
        self.get(self.merchant_name)
    }

    /// Merchant city (tag 60), `Phnom Penh` when none was given.
    pub fn merchant_city(&self) -> &str {
        self.get(self.merchant_city)
    }

    /// Bill number (62-01).
    pub fn bill_number(&self) -> Option<&str> {
        self.get_opt(self.additional[0])
    }

    /// Mobile number (62-02), as given.
    pub fn mobile_number(&self) -> Option<&str> {
        self.get_opt(self.additional[1])
    }

    /// Store label (62-03).
    pub fn store_label(&self) -> Option<&str> {
        self.get_opt(self.additional[2])
    }

    /// Terminal label (62-07).
    pub fn terminal_label(&self) -> Option<&str> {
        self.get_opt(self.additional[3])
    }

    /// Purpose of transaction (62-08).
    pub fn purpose(&self) -> Option<&str> {
        self.get_opt(self.additional[4])
    }

    /// Language preference (64-00), present together with the alternate name.
    pub fn language_preference(&self) -> Option<&str> {
        self.alt_name.map(|(language, _)| self.get(language))
    }

    /// Merchant name in the alternate language (64-01).
    pub fn alt_merchant_name(&self) -> Option<&str> {
        self.alt_name.map(|(_, name)| self.get(name))
    }

    /// Merchant city in the alternate language (64-02).
    pub fn alt_merchant_city(&self) -> Option<&str> {
        self.get_opt(self.alt_merchant_city)
    }

    /// Creation timestamp (99-00), Unix epoch ms: always there in a dynamic KHQR, and in a
    /// static one when its tag 99 carries it.
    pub fn created_at_ms(&self) -> Option<u64> {
        match self.timing {
            Timing::Dynamic(d) => Some(d.created_at_ms),
            Timing::Static { created_at_ms, .. } => created_at_ms,
        }
    }

    /// Expiration timestamp (99-01), Unix epoch ms: always there in a dynamic KHQR, and in a
    /// static one when its tag 99 carries it (a static KHQR never expires all the same).
    pub fn expires_at_ms(&self) -> Option<u64> {
        match self.timing {
            Timing::Dynamic(d) => Some(d.expires_at_ms),
            Timing::Static { expires_at_ms, .. } => expires_at_ms,
        }
    }

    /// True when this is a dynamic KHQR whose expiration lies before `now_ms` (as the SDK's
    /// verifier decides: expired once `expires < now`; it checks no static KHQR's expiry).
    pub fn is_expired(&self, now_ms: u64) -> bool {
        self.dynamic().is_some_and(|d| d.expires_at_ms < now_ms)
    }

    /// The input this KHQR is built from: `self.to_input().build(created)` gives `self` back
    /// (for a static KHQR without tag 99 with any clock; a static KHQR's tag 99 is not input). Handy to issue a fresh KHQR for the same sale with
    /// another expiry.
    pub fn to_input(&self) -> super::KhqrInput {
        let owned = |s: Option<&str>| s.map(str::to_owned);
        super::KhqrInput {
            merchant_id: owned(self.merchant_id()),
            account_id: self.account_id().to_owned(),
            account_information: owned(self.account_information()),
            acquiring_bank: owned(self.acquiring_bank()),
            merchant_name: self.merchant_name().to_owned(),
            merchant_city: Some(self.merchant_city().to_owned()),
            merchant_category_code: Some(self.merchant_category_code().to_owned()),
            currency: self.currency,
            amount: self.amount(),
            bill_number: owned(self.bill_number()),
            mobile_number: owned(self.mobile_number()),
            store_label: owned(self.store_label()),
            terminal_label: owned(self.terminal_label()),
            purpose: owned(self.purpose()),
            language_preference: owned(self.language_preference()),
            alt_merchant_name: owned(self.alt_merchant_name()),
            alt_merchant_city: owned(self.alt_merchant_city()),
            upi_merchant_account: owned(self.upi_merchant_account()),
            expiration_ms: self.expires_at_ms(),
        }
    }

    /// The KHQR string, byte-identical to what NBC's SDK emits for the same input.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        self.encode_into(&mut out);
        out
    }

    /// Appends the KHQR string to `out` (the CRC covers only the appended part). With a
    /// reused buffer (`out.clear()` first) encoding allocates nothing.
    pub fn encode_into(&self, out: &mut String) {
        let mut bytes = std::mem::take(out).into_bytes();
        self.write(&mut bytes);
        // Only `&str` pieces and ASCII were written, so this never falls back.
        *out = String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    }

    fn write(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.reserve(self.capacity_hint());
        push_tlv_with_len(out, "00", 2, PAYLOAD_FORMAT);
        let poi = if self.is_dynamic() {
            DYNAMIC_QR
        } else {
            STATIC_QR
        };
        push_tlv_with_len(out, "01", 2, poi);
        if let Some(upi) = self.upi_merchant_account() {
            push_tlv(out, "15", upi);
        }
        self.push_account(out);
        push_header(out, "52", 4);
        push_ascii(out, &self.mcc);
        push_tlv_with_len(out, "53", 3, self.currency.numeric());
        if let Some(d) = self.dynamic() {
            push_header(out, "54", d.amount.formatted_len());
            d.amount.write_to(out);
        }
        push_tlv_with_len(out, "58", 2, COUNTRY_CODE);
        push_tlv(out, "59", self.merchant_name());
        push_tlv(out, "60", self.merchant_city());
        self.push_additional_data(out);
        self.push_language(out);
        self.push_timestamps(out);
        out.extend_from_slice(b"6304");
        let crc = crc16(&out[start..]);
        push_crc_hex(out, crc);
    }

    fn capacity_hint(&self) -> usize {
        // Fixed fields and headers take < 110 bytes; each text field adds a 4-byte header.
        110 + self.text.len() + 4 * 14
    }

    fn push_account(&self, out: &mut Vec<u8>) {
        let id = Some(self.account_id());
        match self.account {
            AccountKind::Individual { .. } => push_template(
                out,
                "29",
                &[
                    ("00", id),
                    ("01", self.account_information()),
                    ("02", self.acquiring_bank()),
                ],
            ),
            AccountKind::Merchant { .. } => push_template(
                out,
                "30",
                &[
                    ("00", id),
                    ("01", self.merchant_id()),
                    ("02", self.acquiring_bank()),
                ],
            ),
        }
    }

    fn push_additional_data(&self, out: &mut Vec<u8>) {
        push_template(
            out,
            "62",
            &[
                ("01", self.bill_number()),
                ("02", self.mobile_number()),
                ("03", self.store_label()),
                ("07", self.terminal_label()),
                ("08", self.purpose()),
            ],
        );
    }

    /// Tag 99: both timestamps of a dynamic KHQR; those a static one was read with.
    fn push_timestamps(&self, out: &mut Vec<u8>) {
        let stamps = [("00", self.created_at_ms()), ("01", self.expires_at_ms())];
        // Every timestamp has 13 digits (checked wherever one is made).
        let len: usize = stamps.iter().filter(|(_, t)| t.is_some()).count() * tlv_len(13);
        if len == 0 {
            return;
        }
        push_header(out, "99", len);
        for (sub, stamp) in stamps {
            if let Some(ms) = stamp {
                push_header(out, sub, 13);
                push_u64(out, ms);
            }
        }
    }

    fn push_language(&self, out: &mut Vec<u8>) {
        push_template(
            out,
            "64",
            &[
                ("00", self.language_preference()),
                ("01", self.alt_merchant_name()),
                ("02", self.alt_merchant_city()),
            ],
        );
    }
}

impl fmt::Debug for Khqr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Khqr")
            .field("account_id", &self.account_id())
            .field("merchant_id", &self.merchant_id())
            .field("account_information", &self.account_information())
            .field("acquiring_bank", &self.acquiring_bank())
            .field("upi_merchant_account", &self.upi_merchant_account())
            .field("merchant_category_code", &self.merchant_category_code())
            .field("currency", &self.currency)
            .field("amount", &self.amount())
            .field("merchant_name", &self.merchant_name())
            .field("merchant_city", &self.merchant_city())
            .field("bill_number", &self.bill_number())
            .field("mobile_number", &self.mobile_number())
            .field("store_label", &self.store_label())
            .field("terminal_label", &self.terminal_label())
            .field("purpose", &self.purpose())
            .field("language_preference", &self.language_preference())
            .field("alt_merchant_name", &self.alt_merchant_name())
            .field("alt_merchant_city", &self.alt_merchant_city())
            .field("created_at_ms", &self.created_at_ms())
            .field("expires_at_ms", &self.expires_at_ms())
            .finish()
    }
}

/// Length (UTF-16 units) of a template's value made of the present sub-fields.
pub(crate) fn template_len(subs: &[Option<&str>]) -> usize {
    subs.iter().flatten().map(|v| tlv_len(utf16_len(v))).sum()
}

/// Writes a template with the present sub-fields; nothing when none is present.
fn push_template<const N: usize>(out: &mut Vec<u8>, tag: &str, subs: &[(&str, Option<&str>); N]) {
    let mut lens = [0usize; N];
    let mut total = 0;
    let mut any = false;
    for (len, (_, value)) in lens.iter_mut().zip(subs) {
        if let Some(v) = value {
            *len = utf16_len(v);
            total += tlv_len(*len);
            any = true;
        }
    }
    if !any {
        return;
    }
    push_header(out, tag, total);
    for (len, (sub, value)) in lens.iter().zip(subs) {
        if let Some(v) = value {
            push_tlv_with_len(out, sub, *len, v);
        }
    }
}
