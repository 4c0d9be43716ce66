//! The cards shown in the README (docs/images/card-*.png) scan, with a ZXing-family decoder,
//! to exactly the KHQR string in tests/fixtures/render/docs-cards.txt, and that string is a
//! valid KHQR (CRC and fields). Regenerate the images with
//! `cargo run --example render_samples`.

use std::collections::BTreeMap;
use std::path::Path;

use crate::support::render::*;

fn expected() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/render/docs-cards.txt");
    let text = std::fs::read_to_string(&path).expect("fixture file");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (name, payload) = l.split_once('\t').expect("name<TAB>payload");
            (name.to_owned(), payload.to_owned())
        })
        .collect()
}

fn card_images() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/images");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("docs/images")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.starts_with("card-") && n.ends_with(".png"))
        .collect();
    names.sort();
    names
}

#[test]
fn every_docs_card_has_its_payload_on_file() {
    let expected = expected();
    let images = card_images();
    assert!(images.len() >= 2, "cards in docs/images: {images:?}");
    assert_eq!(
        images,
        expected.keys().cloned().collect::<Vec<_>>(),
        "docs/images cards and tests/fixtures/render/docs-cards.txt disagree"
    );
    for payload in expected.values() {
        khqr_bot::khqr::decode(payload).unwrap_or_else(|e| panic!("{payload}: {e}"));
    }
}

#[test]
fn every_docs_card_scans_to_exactly_its_payload() {
    let mut failures = Vec::new();
    for (name, payload) in expected() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/images")
            .join(&name);
        let png = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        for misread in rxing_misreads(&png, &payload) {
            failures.push(format!("{name}, {misread}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
