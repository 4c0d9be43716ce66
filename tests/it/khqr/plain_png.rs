//! The plain QR PNG scans back to exactly the KHQR string.

use khqr_bot::khqr::{Amount, Currency, KhqrInput};
use khqr_bot::render::plain_png;

fn scan(png: &[u8]) -> (u32, String) {
    let img = image::load_from_memory(png).unwrap().to_luma8();
    let width = img.width();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code");
    let (_, content) = grids[0].decode().unwrap();
    (width, content)
}

#[test]
fn khmer_merchant_qr_round_trips_through_the_png() {
    let khqr = KhqrInput {
        merchant_id: Some("M-0001".into()),
        account_id: "coffee.shop@wing".into(),
        acquiring_bank: Some("ACLEDA Bank".into()),
        merchant_name: "ហាងកាហ្វេ".into(),
        merchant_city: Some("សៀមរាប".into()),
        currency: Currency::Khr,
        amount: Some(Amount::parse_decimal("25000", Currency::Khr).unwrap()),
        bill_number: Some("INV-2026-0042".into()),
        language_preference: Some("km".into()),
        alt_merchant_name: Some("ហាងកាហ្វេ ២៤".into()),
        expiration_ms: Some(1_767_226_200_000),
        ..KhqrInput::default()
    }
    .build(1_767_225_600_000)
    .unwrap();
    let qr = khqr.encode();
    let png = plain_png(&qr).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let (width, content) = scan(&png);
    assert_eq!(content, qr);
    assert!((560..=640).contains(&width), "about 640 px wide: {width}");
}

#[test]
fn short_static_qr_is_also_about_640_px() {
    let qr = "00020101021129190015john_smith@devb5204599953031165802KH5910John Smith6010Phnom Penh63046BFA";
    let (width, content) = scan(&plain_png(qr).unwrap());
    assert_eq!(content, qr);
    assert!((560..=640).contains(&width), "{width}");
}

#[test]
fn oversized_payload_is_an_error_not_a_panic() {
    let huge = "A".repeat(5000);
    assert!(plain_png(&huge).is_err());
}
