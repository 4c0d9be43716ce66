//! The pay-link `/start` payload (`store::LinkCode::parse`), which anyone can send: never a
//! panic; exactly the 22-character `[A-Za-z0-9_-]` codes `LinkCode::generate` makes are
//! accepted, kept byte for byte, and never shown whole in logs (`Debug`).
#![no_main]

use khqr_bot::store::LinkCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = text.len() == 22
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match LinkCode::parse(text) {
        Ok(code) => {
            assert!(ours, "{text:?} accepted");
            assert_eq!(code.as_str(), text);
            assert_eq!(code.to_string(), text);
            assert!(!format!("{code:?}").contains(text));
            assert_eq!(LinkCode::parse(code.as_str()), Ok(code.clone()));
        }
        Err(_) => assert!(!ours, "{text:?} refused"),
    }
});
