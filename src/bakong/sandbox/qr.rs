//! Reading the few fields the sandbox needs from a pasted KHQR string, through the
//! project's own KHQR codec (`crate::khqr`): the same decoder the bot trusts. The clock is
//! not checked, so an expired QR can still be marked paid (a late payment is a case worth
//! trying against the bot).

use crate::bakong::types::{Currency, DecimalAmount};
use crate::khqr::{self, KhqrError};

/// What the sandbox takes from a pasted QR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastedQr {
    /// Lowercase hex md5 of the whole string: the key Bakong is asked about.
    pub md5: String,
    /// Receiving Bakong account (tag 29 or 30, sub-tag 00).
    pub account_id: String,
    /// Tag 53.
    pub currency: Option<Currency>,
    /// Tag 54 (absent on static QRs).
    pub amount: Option<DecimalAmount>,
}

/// Why a pasted string is not a KHQR the sandbox can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("this is not a valid KHQR string ({0}); was it pasted completely?")]
    Invalid(#[from] KhqrError),
    #[error("the QR's amount is not a number")]
    BadAmount,
}

/// Lowercase hex md5 of the UTF-8 bytes, as Bakong keys QRs.
pub fn md5_hex(text: &str) -> String {
    khqr::md5_hex(text)
}

pub fn read(qr: &str) -> Result<PastedQr, QrError> {
    let qr = qr.trim();
    let decoded = khqr::decode(qr)?;
    let currency = Some(decoded.currency());
    let amount = decoded
        .amount()
        .map(|a| DecimalAmount::parse(&a.to_string()).map_err(|_| QrError::BadAmount))
        .transpose()?;
    Ok(PastedQr {
        md5: md5_hex(qr),
        account_id: decoded.account_id().to_owned(),
        currency,
        amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // From shared/khqr/vectors.jsonl (NBC's SDK output).
    const MERCHANT: &str = "00020101021230500016coffee.shop@wing01061234560216Canadia Bank Plc52045999530384054071453.315802KH5908Shop #126003Kep62270709Counter 20810Buy coffee64110207ភ្នំពេញ9934001317774747502850113177747487028563048841";
    const INDIVIDUAL_KHR: &str = "00020101021229190015sokha.chan@aclb52045999530311654062672005802KH5911O'Neil Mart6010Phnom Penh62230110INV-8496810305BKK-1993400131783801668970011317838025689706304EC4A";

    #[test]
    fn reads_a_merchant_usd_qr() {
        let q = read(MERCHANT).unwrap();
        assert_eq!(q.md5, "c08ee51e3b4f4969e41774c0e5220681");
        assert_eq!(q.account_id, "coffee.shop@wing");
        assert_eq!(q.currency, Some(Currency::Usd));
        assert_eq!(q.amount.unwrap().as_str(), "1453.31");
    }

    #[test]
    fn reads_an_individual_khr_qr() {
        let q = read(INDIVIDUAL_KHR).unwrap();
        assert_eq!(q.md5, "4c613357707d3cef9459a75a7afbcc20");
        assert_eq!(q.account_id, "sokha.chan@aclb");
        assert_eq!(q.currency, Some(Currency::Khr));
        assert_eq!(q.amount.unwrap().as_str(), "267200");
    }

    #[test]
    fn rejects_damaged_strings() {
        assert!(matches!(read("hello"), Err(QrError::Invalid(_))));
        let damaged = MERCHANT.replace("1453.31", "1453.32");
        let Err(QrError::Invalid(e)) = read(&damaged) else {
            panic!("a damaged QR must be refused")
        };
        assert_eq!(e.code(), 8, "CRC mismatch is the SDK's error 8");
        assert!(matches!(
            read(&MERCHANT[..MERCHANT.len() - 1]),
            Err(QrError::Invalid(_))
        ));
    }
}
