//! Khmer is shaped, not just mapped to glyphs: compared with a checked-in reference image.
//!
//! Regenerate the reference after an intended design change with
//! `RENDER_BLESS=1 cargo test --test it render::khmer::`, then look at it.

use std::path::Path;

use crate::support::render::*;
use image::RgbImage;
use khqr_bot::render::{CardSpec, card_png};

const REFERENCE: &str = "tests/fixtures/render/khmer-card.png";

/// Subscript consonants (្រ ្វ ្ញ), vowels drawn before their consonant (េ ែ ោ), vowels
/// above and below, and the riel sign next to Latin digits.
const SHOP: &str = "ហាងកាហ្វេស្រីមុំ";
const NOTE: &str = "កាហ្វេទឹកដោះគោទឹកកក ២ កែវ និងនំបញ្ចុក";
const EXPIRES: &str = "ផុតកំណត់ ម៉ោង 14:05";

fn render(shop: &str) -> RgbImage {
    load_rgb(&render_png(shop))
}

fn render_png(shop: &str) -> Vec<u8> {
    card_png(&CardSpec {
        payload: DYNAMIC_KHR_KHMER,
        shop_name: shop,
        amount_text: "12,000 ៛",
        usd: false,
        note: Some(NOTE),
        expires_line: Some(EXPIRES),
        reference: None,
    })
    .unwrap()
}

/// Pixels that may differ from the reference (anti-aliasing noise on another CPU or
/// compiler); one misplaced Khmer sign changes several hundred.
const BUDGET: usize = 50;
const THRESHOLD: u8 = 48;

#[test]
fn khmer_card_matches_the_reference() {
    let png = render_png(SHOP);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(REFERENCE);
    if std::env::var_os("RENDER_BLESS").is_some() {
        std::fs::write(&path, &png).unwrap();
        return;
    }
    let actual = load_rgb(&png);
    let reference = image::open(&path)
        .unwrap_or_else(|e| panic!("{REFERENCE}: {e} (RENDER_BLESS=1 creates it)"))
        .to_rgb8();
    assert_eq!(
        actual.dimensions(),
        reference.dimensions(),
        "layout changed"
    );
    let diff = differing_pixels(&actual, &reference, THRESHOLD);
    assert!(
        diff <= BUDGET,
        "{diff} pixels differ from {REFERENCE} (budget {BUDGET})"
    );
}

/// The comparison is sharp enough to notice one wrong cluster: dropping a single coeng
/// (ស្រី → សរី, a subscript becoming a full consonant) changes ~470 pixels, over 9x the budget.
#[test]
fn the_reference_comparison_catches_a_single_misshaped_cluster() {
    let right = render(SHOP);
    let wrong = render("ហាងកាហ្វេសរីមុំ");
    let diff = differing_pixels(&right, &wrong, THRESHOLD);
    assert!(diff > 5 * BUDGET, "only {diff} pixels differ");
}
