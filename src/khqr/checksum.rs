//! CRC-16 (tag 63) and the md5 Bakong uses to look a payment up.

use crc::{CRC_16_IBM_3740, Crc, Table};
use md5::{Digest, Md5};

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), slice-by-16 tables.
static CRC16: Crc<u16, Table<16>> = Crc::<u16, Table<16>>::new(&CRC_16_IBM_3740);

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// CRC-16/CCITT-FALSE of `bytes` (`crc::CRC_16_IBM_3740`); `b"123456789"` → `0x29B1`.
pub fn crc16(bytes: &[u8]) -> u16 {
    CRC16.checksum(bytes)
}

/// Appends `crc` as 4 uppercase hex digits.
pub(crate) fn push_crc_hex(out: &mut String, crc: u16) {
    for shift in [12, 8, 4, 0] {
        out.push(char::from(HEX_UPPER[usize::from((crc >> shift) & 0xF)]));
    }
}

/// MD5 of the UTF-8 bytes of `qr` as 32 lowercase hex digits, written into a stack buffer.
pub fn md5_hex_bytes(qr: &str) -> [u8; 32] {
    let digest = Md5::digest(qr.as_bytes());
    let mut out = [0u8; 32];
    for (i, byte) in digest.iter().enumerate() {
        out[2 * i] = HEX_LOWER[usize::from(byte >> 4)];
        out[2 * i + 1] = HEX_LOWER[usize::from(byte & 0xF)];
    }
    out
}

/// MD5 of the UTF-8 bytes of `qr` as 32 lowercase hex digits: the key Bakong's
/// `check_transaction_by_md5` takes.
pub fn md5_hex(qr: &str) -> String {
    let hex = md5_hex_bytes(qr);
    let mut s = String::with_capacity(32);
    for &b in &hex {
        s.push(char::from(b));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_check_value() {
        assert_eq!(crc16(b"123456789"), 0x29B1);
        let mut s = String::new();
        push_crc_hex(&mut s, 0x0A1F);
        assert_eq!(s, "0A1F");
    }

    #[test]
    fn spec_examples() {
        let payload = "00020101021129190015john_smith@devb5204599953031165802KH5910John Smith6010Phnom Penh6304";
        assert_eq!(crc16(payload.as_bytes()), 0x6BFA);
        let qr = format!("{payload}6BFA");
        assert_eq!(md5_hex(&qr), "851710edf362c4a9091f7b4739cbe1a3");
        assert_eq!(&md5_hex_bytes(&qr), b"851710edf362c4a9091f7b4739cbe1a3");
    }
}
