//! The built binary's codec commands (`khqr-bot qr`, `khqr-bot decode`).

mod khqr;
