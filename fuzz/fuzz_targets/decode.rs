//! The KHQR decoder must never panic or hang, and whatever it accepts must survive
//! re-encoding. Each input is tried as is and with a valid CRC appended (so the fuzzer gets
//! past the checksum and into the TLV structure).
#![no_main]

use khqr_bot::khqr::{crc16, decode, verify};
use libfuzzer_sys::fuzz_target;

fn check(s: &str) {
    if let Ok(khqr) = decode(s) {
        let again = khqr.encode();
        assert_eq!(decode(&again).as_ref(), Ok(&khqr), "{s:?}");
    }
    let _ = verify(s, 1_767_225_600_000);
}

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    check(s);
    let mut with_crc = format!("{s}6304");
    let crc = crc16(with_crc.as_bytes());
    with_crc.push_str(&format!("{crc:04X}"));
    check(&with_crc);
});
