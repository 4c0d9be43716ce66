//! Status cards announce the outcome and can never be scanned and paid again.

use crate::support::render::*;
use image::imageops;
use khqr_bot::render::{StatusKind, StatusSpec, status_png};

const KINDS: [(StatusKind, &str); 5] = [
    (StatusKind::Paid, "Paid"),
    (StatusKind::Expired, "Expired"),
    (StatusKind::Failed, "Payment failed"),
    (StatusKind::Cancelled, "Cancelled"),
    (StatusKind::Attention, "Paid in part"),
];

fn status(kind: StatusKind, title: &str, shop: &str, lines: &[&str]) -> Vec<u8> {
    status_png(&StatusSpec {
        kind,
        title,
        shop_name: shop,
        amount_text: "$1,234.50",
        // As the bot draws them: the note (a payload-like one must not become a code
        // either) and the reference.
        note: Some(DYNAMIC_USD),
        reference: Some("#XK9RW3"),
        lines,
    })
    .expect("status card renders")
}

#[test]
fn no_status_card_contains_a_qr_code() {
    // A payload-like detail line must not turn into a code either.
    let lines = [
        "From Chan Dara (dara_chan@aclb)",
        "14:02, 28 Nov 2026",
        "Ref 8f3a91c2",
        DYNAMIC_USD,
    ];
    for (kind, title) in KINDS {
        for shop in ["Sokha Coffee", "ហាងកាហ្វេស្រីមុំ"] {
            let png = status(kind, title, shop, &lines);
            for (pass, decodes) in phone_decodes(&png).into_iter().enumerate() {
                assert!(
                    decodes.is_empty(),
                    "{kind:?} pass {pass} decoded {decodes:?}"
                );
            }
            let gray = imageops::grayscale(&load_rgb(&png));
            assert_eq!(grid_count(&gray), 0, "{kind:?}: rqrr sees a QR grid");
        }
    }
}

/// The detector used above does find codes in images like ours: the check is not vacuous.
#[test]
fn the_no_qr_check_would_see_a_code() {
    let card = khqr_bot::render::card_png(&khqr_bot::render::CardSpec {
        payload: DYNAMIC_USD,
        shop_name: "Sokha Coffee",
        amount_text: "$5.00",
        usd: true,
        note: None,
        expires_line: None,
        reference: None,
    })
    .unwrap();
    assert_eq!(grid_count(&imageops::grayscale(&load_rgb(&card))), 1);
}

#[test]
fn each_kind_has_its_own_colour_and_symbol() {
    let images: Vec<_> = KINDS
        .iter()
        .map(|(kind, _)| load_rgb(&status(*kind, "Status", "Shop", &["line"])))
        .collect();
    let width = images[0].width();
    assert!((640..=800).contains(&width), "width {width}");
    for (i, a) in images.iter().enumerate() {
        for b in &images[i + 1..] {
            assert!(differing_pixels(a, b, 40) > 2_000, "two kinds look alike");
        }
    }
    // The paid card is unmistakably green where the symbol is.
    let paid = &images[0];
    let greenish = paid
        .pixels()
        .filter(|p| p.0[1] > 140 && p.0[0] < 60 && p.0[2] < 110)
        .count();
    assert!(
        greenish > 5_000,
        "paid symbol not green enough: {greenish} px"
    );
}

#[test]
fn status_cards_are_small_pngs() {
    let lines = ["From Chan Dara", "14:02, 28 Nov 2026", "Ref 8f3a91c2"];
    for (kind, title) in KINDS {
        let png = status(kind, title, "ហាងកាហ្វេស្រីមុំ", &lines);
        assert!(png.len() < 80 * 1024, "{kind:?}: {} bytes", png.len());
    }
}
