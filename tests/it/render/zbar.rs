//! A second, independent decoder: zbar (the scanner inside many phone apps), on the card as
//! sent, at half size, and after the JPEG recompression Telegram applies to photos.
//!
//! Ignored by default because it needs external programs:
//! `apt-get install zbar-tools libjpeg-turbo-progs`, then
//! `cargo test --test it render::zbar:: -- --ignored`. Fails (never skips) when they are missing.

use std::path::Path;
use std::process::Command;

use crate::support::render::*;
use image::imageops;
use khqr_bot::render::{CardSpec, card_png};

fn zbar(path: &Path) -> Option<String> {
    let out = Command::new("zbarimg")
        .args(["-q", "--raw", "-Sbinary"])
        .arg(path)
        .output()
        .expect("zbarimg (apt-get install zbar-tools)");
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn jpeg(ppm: &Path, quality: u8, out: &Path) {
    let file = std::fs::File::create(out).unwrap();
    let status = Command::new("cjpeg")
        .args(["-quality", &quality.to_string()])
        .arg(ppm)
        .stdout(file)
        .status()
        .expect("cjpeg (apt-get install libjpeg-turbo-progs)");
    assert!(status.success());
}

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

#[test]
#[ignore = "needs zbar-tools and libjpeg-turbo-progs"]
fn zbar_reads_every_card_as_sent_halved_and_as_jpeg() {
    let dir = tempfile::tempdir().unwrap();
    let mut payloads: Vec<String> = [
        STATIC_USD,
        STATIC_KHR,
        DYNAMIC_USD,
        DYNAMIC_KHR_KHMER,
        LONGEST,
    ]
    .map(String::from)
    .to_vec();
    payloads.extend((20..=700).step_by(40).map(filler));
    let mut failures = Vec::new();
    for (i, payload) in payloads.iter().enumerate() {
        for usd in [true, false] {
            let png = card_png(&CardSpec {
                payload,
                shop_name: "Sokha Coffee",
                amount_text: "$5.00",
                usd,
                note: Some("2 × iced latte"),
                expires_line: Some("Expires 14:05"),
                reference: None,
            })
            .unwrap();
            let img = load_rgb(&png);
            let (w, h) = img.dimensions();
            let sent = dir.path().join("sent.png");
            std::fs::write(&sent, &png).unwrap();
            let half = dir.path().join("half.png");
            imageops::resize(&img, w / 2, h / 2, imageops::FilterType::Triangle)
                .save(&half)
                .unwrap();
            let ppm = dir.path().join("card.ppm");
            let mut raw = format!("P6\n{w} {h}\n255\n").into_bytes();
            raw.extend_from_slice(img.as_raw());
            std::fs::write(&ppm, raw).unwrap();
            let mut variants = vec![("png", sent), ("half", half)];
            for q in [80, 60] {
                let out = dir.path().join(format!("q{q}.jpg"));
                jpeg(&ppm, q, &out);
                variants.push((if q == 80 { "jpeg80" } else { "jpeg60" }, out));
            }
            for (kind, path) in variants {
                if zbar(&path).as_deref() != Some(payload.as_str()) {
                    failures.push(format!("payload #{i} usd={usd} {kind}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "zbar failed on: {failures:?}");
}

#[test]
#[ignore = "needs zbar-tools"]
fn zbar_finds_no_code_on_status_cards() {
    use khqr_bot::render::{StatusKind, StatusSpec, status_png};
    let dir = tempfile::tempdir().unwrap();
    for kind in [
        StatusKind::Paid,
        StatusKind::Expired,
        StatusKind::Failed,
        StatusKind::Cancelled,
        StatusKind::Attention,
    ] {
        let png = status_png(&StatusSpec {
            kind,
            title: "Status",
            shop_name: "ហាងកាហ្វេស្រីមុំ",
            amount_text: "12,000 ៛",
            note: None,
            reference: None,
            lines: &["From Chan Dara", "14:02, 28 Nov 2026", DYNAMIC_KHR_KHMER],
        })
        .unwrap();
        let path = dir.path().join("status.png");
        std::fs::write(&path, &png).unwrap();
        assert_eq!(zbar(&path), None, "{kind:?}");
    }
}
