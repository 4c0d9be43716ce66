//! PNG images of KHQR payment requests and their outcomes.
//!
//! - [`card_png`]: the KHQR-style card a merchant forwards to the customer — red header band
//!   with the "KHQR" wordmark, shop name, large amount, dashed separator, the QR code (error
//!   correction level M, 4-module quiet zone, integer module size) with a round currency badge
//!   in its centre, and an optional note and expiry line.
//! - [`plain_png`]: the bare QR code, black on white.
//! - [`qr_code`]: the one QR encoder both use (numeric, alphanumeric and byte segments, never
//!   Kanji, so phone scanners read Khmer text back exactly).
//! - [`status_png`]: the card that replaces the QR once the charge is settled (paid, expired,
//!   failed, cancelled). It never contains a scannable code.
//! - [`chart_png`]: the `/history` chart — paid totals per hour or day, one panel (own axis)
//!   per currency, in the cards' frame and type.
//! - [`format_money`]: a KHQR [`Amount`](crate::khqr::Amount) as people read it (`$1,234.50`,
//!   `12,000 ៛`); [`format_minor_units`] the same for totals that need not fit a KHQR.
//!
//! Every word drawn on an image comes from the caller, already localized: this module has no
//! i18n dependency. Text is shaped with `cosmic-text` (HarfBuzz-compatible shaping, so Khmer
//! subscripts and vowel reordering are correct) using Noto fonts embedded in the binary; the
//! fonts are parsed once per process.
//!
//! Rendering is CPU work (a few milliseconds per card, see `BENCHMARKS.md`) and serialises on
//! one process-wide font cache, built on first use (or by [`warm_up`] at startup). From async
//! code, call it on the render thread ([`on_render_thread`]: one thread, so one malloc arena
//! keeps the canvases) or on a blocking thread:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use khqr_bot::render::{CardSpec, card_png};
//! let payload = "00020101021129190015john_smith@devb5204599953031165802KH5910John Smith6010Phnom Penh63046BFA".to_owned();
//! let png = tokio::task::spawn_blocking(move || {
//!     card_png(&CardSpec {
//!         payload: &payload,
//!         shop_name: "John Smith",
//!         amount_text: "$5.00",
//!         usd: true,
//!         note: None,
//!         expires_line: Some("Expires 14:05"),
//!         reference: None,
//!     })
//! })
//! .await??;
//! # let _ = png; Ok(()) }
//! ```

mod canvas;
mod card;
mod chart;
mod chart_scale;
mod encode;
mod error;
mod fonts;
mod frame;
mod money;
mod plain;
mod png;
mod poster;
mod qr;
mod status;
mod text;
mod theme;
mod worker;

pub use card::{CardSpec, card_png};
pub use chart::{ChartSeries, ChartSlot, ChartSpec, chart_png};
pub use encode::{QR_EC_LEVEL, qr_code};
pub use error::RenderError;
pub use fonts::warm_up;
pub use money::{format_minor_units, format_money};
pub use plain::{PlainRenderError, plain_png};
pub use poster::{PosterSpec, poster_png};
pub use status::{StatusKind, StatusSpec, status_png};
pub use worker::{RenderThreadError, on_render_thread};
