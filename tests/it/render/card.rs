//! The payment card scans back to the exact payload, like a phone would read it.

use crate::support::render::*;
use image::RgbImage;
use khqr_bot::khqr::{Amount, Currency};
use khqr_bot::render::{CardSpec, RenderError, card_png, format_money, qr_code};

fn card(payload: &str, shop_name: &str, amount_text: &str, usd: bool) -> Vec<u8> {
    card_png(&CardSpec {
        payload,
        shop_name,
        amount_text,
        usd,
        note: Some("Order #42"),
        expires_line: Some("Expires 14:05"),
        reference: None,
    })
    .expect("card renders")
}

#[test]
fn static_usd_card_scans() {
    assert_scans_to(&card(STATIC_USD, "Dara Market", "", true), STATIC_USD);
}

#[test]
fn static_khr_card_scans() {
    assert_scans_to(&card(STATIC_KHR, "Dara Market", "", false), STATIC_KHR);
}

#[test]
fn dynamic_usd_card_scans() {
    let amount = format_money(Amount::from_minor(500, Currency::Usd).unwrap());
    assert_scans_to(
        &card(DYNAMIC_USD, "Sokha Coffee", &amount, true),
        DYNAMIC_USD,
    );
}

#[test]
fn dynamic_khr_card_with_khmer_shop_name_scans() {
    let amount = format_money(Amount::from_minor(12_000, Currency::Khr).unwrap());
    let png = card(DYNAMIC_KHR_KHMER, "ហាងកាហ្វេស្រីមុំ", &amount, false);
    assert_scans_to(&png, DYNAMIC_KHR_KHMER);
}

#[test]
fn longest_payload_scans() {
    assert_eq!(LONGEST.chars().count(), 442);
    let amount = format_money(Amount::from_minor(9_999_999_999_999, Currency::Khr).unwrap());
    let png = card(LONGEST, "ហាងលក់គ្រឿងទេសក្រុងសៀមរាប", &amount, false);
    assert_scans_to(&png, LONGEST);
}

#[test]
fn long_khmer_texts_still_leave_a_scannable_code() {
    let png = card_png(&CardSpec {
        payload: DYNAMIC_KHR_KHMER,
        shop_name: "ហាងលក់គ្រឿងទេសនិងម្ហូបខ្មែរដ៏ឆ្ងាញ់បំផុតនៅក្រុងសៀមរាប",
        amount_text: "999,999,999,999 ៛",
        usd: false,
        note: Some("ទិញទំនិញសម្រាប់ពិធីមង្គលការ ស្ករ អង្ករ ប្រេងឆា ទឹកត្រី និងគ្រឿងទេសផ្សេងៗទៀតជាច្រើនមុខ"),
        expires_line: Some("ផុតកំណត់ ម៉ោង 14:05 ថ្ងៃទី ២៨ ខែវិច្ឆិកា ឆ្នាំ ២០២៦"),
        reference: None,
    })
    .expect("card renders");
    assert_scans_to(&png, DYNAMIC_KHR_KHMER);
}

/// Deterministic filler payload of `len` bytes (mixed case letters, digits, punctuation, so
/// the encoder uses byte mode like a real KHQR does).
fn filler(len: usize) -> String {
    let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@.-# ";
    let mut state: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            alphabet[(state >> 24) as usize % alphabet.len()] as char
        })
        .collect()
}

/// The badge must stay within level M's budget at every symbol size a card can carry, not
/// only at the sizes of the sample payloads.
#[test]
fn badge_is_tolerated_at_every_symbol_version() {
    let mut versions = Vec::new();
    for len in (20..=700).step_by(40) {
        let payload = filler(len);
        let png = card(&payload, "Shop", "$1.00", len % 80 == 20);
        for decodes in phone_decodes(&png) {
            assert_eq!(
                decodes.len(),
                1,
                "len {len}: expected one QR, found {decodes:?}"
            );
            assert_eq!(decodes[0].text, payload, "len {len}");
            versions.push(decodes[0].version);
        }
    }
    versions.dedup();
    assert!(
        versions.len() >= 12,
        "too few versions covered: {versions:?}"
    );
}

/// Where the symbol sits in the card and how big its modules are, measured from pixels.
struct Geometry {
    left: u32,
    top: u32,
    module_px: u32,
    modules: u32,
}

/// Only QR modules are pure black on the card (text ink is #17181C), so the bounding box of
/// pure-black pixels is the symbol; the top-left finder's top edge is 7 modules long.
fn measure(img: &RgbImage) -> Geometry {
    let black = |x: u32, y: u32| img.get_pixel(x, y).0 == [0, 0, 0];
    let (mut x0, mut y0, mut x1, mut y1) = (u32::MAX, u32::MAX, 0, 0);
    for (x, y, p) in img.enumerate_pixels() {
        if p.0 == [0, 0, 0] {
            (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
        }
    }
    assert_eq!(x1 - x0, y1 - y0, "symbol is not square");
    let finder_run = (x0..=x1).take_while(|&x| black(x, y0)).count() as u32;
    assert_eq!(
        finder_run % 7,
        0,
        "finder pattern is not 7 whole modules: {finder_run} px"
    );
    let module_px = finder_run / 7;
    let side = x1 - x0 + 1;
    assert_eq!(
        side % module_px,
        0,
        "symbol side {side} px is not whole modules"
    );
    Geometry {
        left: x0,
        top: y0,
        module_px,
        modules: side / module_px,
    }
}

/// Integer module size, crisp modules, a clean 4-module quiet zone, and the badge hides few
/// modules: compared module by module with a fresh level-M encoding of the payload.
fn assert_symbol_geometry(payload: &str, usd: bool) {
    let img = load_rgb(&card(payload, "Sokha Coffee", "$5.00", usd));
    let g = measure(&img);
    let code = qr_code(payload).unwrap();
    assert_eq!(
        g.modules as usize,
        code.width(),
        "not the level-M symbol size"
    );
    assert!(
        g.module_px >= 4,
        "modules too small to scan: {} px",
        g.module_px
    );

    let m = g.module_px;
    let quiet = 4 * m;
    let (qx0, qy0) = (g.left - quiet, g.top - quiet);
    let qside = g.modules * m + 2 * quiet;
    for y in qy0..qy0 + qside {
        for x in qx0..qx0 + qside {
            let inside = x >= g.left
                && y >= g.top
                && x < g.left + g.modules * m
                && y < g.top + g.modules * m;
            if !inside {
                assert_eq!(
                    img.get_pixel(x, y).0,
                    [255; 3],
                    "quiet zone not white at ({x},{y})"
                );
            }
        }
    }

    let expected = code.to_colors();
    let (mut wrong, mut mixed) = (0usize, 0usize);
    let centre = g.modules as f32 / 2.0;
    let mut max_dist = 0.0_f32;
    for my in 0..g.modules {
        for mx in 0..g.modules {
            let px: Vec<[u8; 3]> = (0..m * m)
                .map(|i| {
                    img.get_pixel(g.left + mx * m + i % m, g.top + my * m + i / m)
                        .0
                })
                .collect();
            let want_dark = expected[(my * g.modules + mx) as usize] == qrcode::Color::Dark;
            let all = |v: [u8; 3]| px.iter().all(|p| *p == v);
            let ok = if want_dark {
                all([0; 3])
            } else {
                all([255; 3])
            };
            if !ok {
                if !all([0; 3]) && !all([255; 3]) {
                    mixed += 1;
                }
                wrong += 1;
                let d = (mx as f32 + 0.5 - centre).hypot(my as f32 + 0.5 - centre);
                max_dist = max_dist.max(d);
            }
        }
    }
    let total = (g.modules * g.modules) as usize;
    // Every difference is the badge: in a disc around the centre...
    assert!(
        max_dist < g.modules as f32 * 0.16,
        "damage far from the centre: {max_dist}"
    );
    // ...covering well under level M's ~15 % recovery capacity.
    let share = wrong as f64 / total as f64;
    assert!(
        share < 0.05,
        "badge hides {wrong}/{total} modules ({share:.3})"
    );
    assert!(wrong > 0 && mixed > 0, "no badge drawn");
}

#[test]
fn symbol_has_whole_pixel_modules_quiet_zone_and_a_small_badge() {
    assert_symbol_geometry(DYNAMIC_USD, true);
    assert_symbol_geometry(DYNAMIC_KHR_KHMER, false);
    assert_symbol_geometry(STATIC_KHR, false);
    assert_symbol_geometry(LONGEST, false);
}

#[test]
fn cards_are_deterministic_and_reasonably_sized() {
    let a = card(DYNAMIC_KHR_KHMER, "ហាងកាហ្វេស្រីមុំ", "12,000 ៛", false);
    let b = card(DYNAMIC_KHR_KHMER, "ហាងកាហ្វេស្រីមុំ", "12,000 ៛", false);
    assert_eq!(a, b);
    let img = load_rgb(&a);
    assert!((640..=800).contains(&img.width()), "width {}", img.width());
    assert!(a.len() < 80 * 1024, "PNG is {} bytes", a.len());
}

#[test]
fn unencodable_payloads_are_errors() {
    let empty = card_png(&CardSpec {
        payload: "",
        shop_name: "x",
        amount_text: "",
        usd: true,
        note: None,
        expires_line: None,
        reference: None,
    });
    assert!(matches!(empty, Err(RenderError::EmptyPayload)), "{empty:?}");

    let huge = filler(3_000);
    let too_long = card_png(&CardSpec {
        payload: &huge,
        shop_name: "x",
        amount_text: "",
        usd: true,
        note: None,
        expires_line: None,
        reference: None,
    });
    assert!(
        matches!(too_long, Err(RenderError::PayloadTooLong { len: 3000, .. })),
        "{too_long:?}"
    );

    // Fits in a QR code, but only at modules too small to scan from a phone screen.
    let dense = filler(1_500);
    let too_dense = card_png(&CardSpec {
        payload: &dense,
        shop_name: "x",
        amount_text: "",
        usd: true,
        note: None,
        expires_line: None,
        reference: None,
    });
    assert!(
        matches!(too_dense, Err(RenderError::TooDense { .. })),
        "{too_dense:?}"
    );
}
