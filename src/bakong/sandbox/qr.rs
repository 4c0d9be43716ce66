//! Reading the few fields the sandbox needs from a pasted KHQR string.
//!
//! INTEGRATION POINT: this is a deliberately tiny TLV reader (CRC check, tags 29/30-00,
//! 53, 54) written while the `khqr` codec was being built on another branch. At merge it
//! should be replaced by `crate::khqr::decode` (account_id / amount / currency) and
//! `crate::khqr::md5_hex`; the rest of the sandbox only uses [`PastedQr`].

use md5::{Digest, Md5};

use crate::bakong::types::{Currency, DecimalAmount};

/// What the sandbox takes from a pasted QR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastedQr {
    /// Lowercase hex md5 of the whole string: the key Bakong is asked about.
    pub md5: String,
    /// Receiving Bakong account (tag 29 or 30, sub-tag 00).
    pub account_id: String,
    /// Tag 53, if it is 840 or 116.
    pub currency: Option<Currency>,
    /// Tag 54 (absent on static QRs).
    pub amount: Option<DecimalAmount>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("this is not a KHQR string (it must end with 6304 and a 4-digit CRC)")]
    NotKhqr,
    #[error("the QR's CRC does not match: was it pasted completely?")]
    BadCrc,
    #[error("the QR's fields are malformed")]
    Malformed,
    #[error("the QR has no Bakong account (tag 29 or 30)")]
    NoAccount,
    #[error("the QR's amount is not a number")]
    BadAmount,
}

/// Lowercase hex md5 of the UTF-8 bytes, as Bakong keys QRs.
pub fn md5_hex(text: &str) -> String {
    format!("{:x}", Md5::digest(text.as_bytes()))
}

pub fn read(qr: &str) -> Result<PastedQr, QrError> {
    let qr = qr.trim();
    let n = qr.len();
    if n < 12 {
        return Err(QrError::NotKhqr);
    }
    let (Some("6304"), Some(crc_hex)) = (qr.get(n - 8..n - 4), qr.get(n - 4..)) else {
        return Err(QrError::NotKhqr);
    };
    let given = u16::from_str_radix(crc_hex, 16).map_err(|_| QrError::NotKhqr)?;
    let crc = crc::Crc::<u16>::new(&crc::CRC_16_IBM_3740).checksum(&qr.as_bytes()[..n - 4]);
    if crc != given {
        return Err(QrError::BadCrc);
    }
    let fields = tlv(qr)?;
    let account_id = fields
        .iter()
        .filter(|(tag, _)| tag == "29" || tag == "30")
        .find_map(|(_, v)| {
            tlv(v)
                .ok()?
                .into_iter()
                .find(|(t, _)| t == "00")
                .map(|(_, v)| v)
        })
        .filter(|a| !a.is_empty())
        .ok_or(QrError::NoAccount)?;
    let get = |tag: &str| {
        fields
            .iter()
            .find(|(t, _)| t == tag)
            .map(|(_, v)| v.as_str())
    };
    let currency = get("53").and_then(Currency::parse);
    let amount = get("54")
        .map(|a| DecimalAmount::parse(a).map_err(|_| QrError::BadAmount))
        .transpose()?;
    Ok(PastedQr {
        md5: md5_hex(qr),
        account_id,
        currency,
        amount,
    })
}

/// Splits `tag(2) len(2) value(len UTF-16 units)` fields.
fn tlv(text: &str) -> Result<Vec<(String, String)>, QrError> {
    let units: Vec<u16> = text.encode_utf16().collect();
    let ascii = |s: &[u16]| String::from_utf16(s).map_err(|_| QrError::Malformed);
    let mut out = Vec::new();
    let mut i = 0;
    while i < units.len() {
        let head = units.get(i..i + 4).ok_or(QrError::Malformed)?;
        let tag = ascii(&head[..2])?;
        let len: usize = ascii(&head[2..])?.parse().map_err(|_| QrError::Malformed)?;
        let value = units.get(i + 4..i + 4 + len).ok_or(QrError::Malformed)?;
        out.push((tag, ascii(value)?));
        i += 4 + len;
    }
    Ok(out)
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
        assert_eq!(read("hello"), Err(QrError::NotKhqr));
        let damaged = MERCHANT.replace("1453.31", "1453.32");
        assert_eq!(read(&damaged), Err(QrError::BadCrc));
        assert_eq!(read(&MERCHANT[..MERCHANT.len() - 1]), Err(QrError::NotKhqr));
    }
}
