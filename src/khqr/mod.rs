//! KHQR codec: builds, encodes, decodes and verifies Bakong KHQR strings byte-for-byte as NBC's
//! official JavaScript SDK (`bakong-khqr` 1.0.20) does. Pure: no I/O, no clock (callers pass
//! `now` in Unix epoch milliseconds).
//!
//! ```
//! use khqr_bot::khqr::{Amount, Currency, KhqrInput, decode, md5_hex};
//!
//! let input = KhqrInput {
//!     account_id: "john_smith@devb".into(),
//!     merchant_name: "John Smith".into(),
//!     currency: Currency::Usd,
//!     amount: Some(Amount::parse_decimal("1.5", Currency::Usd)?),
//!     expiration_ms: Some(1_767_226_200_000),
//!     ..KhqrInput::default()
//! };
//! let khqr = input.build(1_767_225_600_000)?;
//! let qr = khqr.encode();
//! assert_eq!(qr, "00020101021229190015john_smith@devb52045999530384054041.505802KH5910John Smith6010Phnom Penh9934001317672256000000113176722620000063045E22");
//! assert_eq!(md5_hex(&qr), "df7bb48fcd4754014da5a6b0f8dc15a3");
//! assert_eq!(decode(&qr)?, khqr);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Layout: `tlv` (TLV plumbing, lengths in UTF-16 units), `fields` (every field limit with
//! its SDK error code, shared by building and decoding), `model` (the typed [`Khqr`] and its
//! encoder), `input` ([`KhqrInput`] and its validation), `decode` ([`decode`]/[`verify`]),
//! `sdk_rules` (which rule of the SDK's verifier a string fails first, so [`decode`] reports
//! the SDK's code), `checksum` ([`crc16`], [`md5_hex`]), plus [`Amount`], [`Currency`], [`BakongAccountId`],
//! [`ShopName`] / [`City`] (`shop.rs`) and [`KhqrError`].
//!
//! Where the SDK accepts input it then emits broken (a template longer than 99, an alternate
//! name without language, an amount printed as `1e+21`), this codec rejects it; its decoder
//! is likewise stricter than the SDK's verifier (see [`decode`]); it never accepts a string
//! that verifier rejects, and for one it rejects it reports the SDK's first failing rule and
//! code (checked rule by rule, and by differential runs on mutated SDK output).

mod account;
mod amount;
mod checksum;
mod currency;
mod decode;
mod error;
mod fields;
mod input;
mod model;
mod sdk_rules;
mod shop;
mod tlv;

pub use account::BakongAccountId;
pub use amount::{Amount, AmountError};
pub use checksum::{crc16, md5_hex, md5_hex_bytes};
pub use currency::{Currency, ParseCurrencyError};
pub use decode::{decode, verify};
pub use error::{KhqrError, KhqrErrorKind};
pub use input::KhqrInput;
pub use model::Khqr;
/// Longest purpose of transaction (tag 62-08), in UTF-16 code units as the SDK counts it.
pub const PURPOSE_MAX_UTF16: usize = fields::PURPOSE.max;
pub use shop::{City, NameError, ShopName, is_bidi_control, is_invisible};
