//! A button's callback data is whatever a client sends (forged data included):
//! `CallbackAction::decode` must never panic, and what it accepts must be a well-formed
//! action that encodes within Telegram's 64 bytes and decodes back to itself.
#![no_main]

use khqr_bot::bot::CallbackAction;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Some(action) = CallbackAction::decode(text) else {
        return;
    };
    assert!(action.charge.0 >= 0, "{text:?}");
    let encoded = action.encode();
    assert!(encoded.len() <= 64, "{text:?} -> {encoded:?}");
    assert_eq!(CallbackAction::decode(&encoded), Some(action), "{text:?}");
});
