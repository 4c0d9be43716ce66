//! Card and status-card rendering: shaping + rasterising + PNG encoding, per image.
//!
//! `cargo bench --bench render`. Prints the cold-start cost and each image's PNG size before
//! measuring.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use khqr_bot::render::{CardSpec, StatusKind, StatusSpec, card_png, status_png, warm_up};

const USD: &str = "00020101021229210017sokha_coffee@aclb520459995303840540155802KH5912Sokha Coffee6010Phnom Penh62120108INV-10429934001317980000000000113179800060000063045E57";
const KHR_KHMER: &str = "00020101021229210017sreymom_shop@wing5204599953031165405120005802KH5916ហាងកាហ្វេស្រីមុំ6006សៀមរាប62120108INV-2077993400131798000000000011317980006000006304F4F5";
const LONGEST: &str = "00020101021215375204000000000000000000000000000000001301010032longest_possible_account_id@aclb0128MERCHANT-00000000000000000010229Advanced Bank of Asia Limited520459995303116541399999999999995802KH5925ហាងលក់គ្រឿងទេសក្រុងសៀមរាប6014Siem Reap City62940124INV-2026-0000000000000010212+855123456780322Psar Chas Branch No. 20710Counter 120806Spices64500002km0125ហាងលក់គ្រឿងទេសក្រុងសៀមរាប0211ក្រុងសៀមរាប993400131798000000000011317980006000006304A924";

fn cards() -> [(&'static str, CardSpec<'static>); 3] {
    [
        (
            "card_usd",
            CardSpec {
                payload: USD,
                shop_name: "Sokha Coffee",
                amount_text: "$5.00",
                usd: true,
                note: Some("2 × iced latte"),
                expires_line: Some("Expires 14:05 · INV-1042"),
                reference: None,
            },
        ),
        (
            "card_khr_khmer",
            CardSpec {
                payload: KHR_KHMER,
                shop_name: "ហាងកាហ្វេស្រីមុំ",
                amount_text: "12,000 ៛",
                usd: false,
                note: Some("កាហ្វេទឹកដោះគោទឹកកក ២ កែវ"),
                expires_line: Some("ផុតកំណត់ ម៉ោង 14:05"),
                reference: None,
            },
        ),
        (
            "card_longest_payload",
            CardSpec {
                payload: LONGEST,
                shop_name: "ហាងលក់គ្រឿងទេសក្រុងសៀមរាប",
                amount_text: "9,999,999,999,999 ៛",
                usd: false,
                note: Some("Spices"),
                expires_line: Some("Expires 14:05"),
                reference: None,
            },
        ),
    ]
}

const PAID_LINES: [&str; 3] = [
    "From Chan Dara (dara_chan@aclb)",
    "14:02, 28 Nov 2026",
    "Ref 8f3a91c2",
];

fn paid() -> StatusSpec<'static> {
    StatusSpec {
        kind: StatusKind::Paid,
        title: "Paid",
        shop_name: "ហាងកាហ្វេស្រីមុំ",
        amount_text: "12,000 ៛",
        note: None,
        reference: None,
        lines: &PAID_LINES,
    }
}

fn bench(c: &mut Criterion) {
    // Cold start: font database, face parsing, glyph cache all empty.
    let started = std::time::Instant::now();
    warm_up();
    let loaded = started.elapsed();
    let first = card_png(&cards()[1].1).expect("card renders");
    eprintln!(
        "cold start: font database {loaded:?}, first card {:?} ({} bytes)",
        started.elapsed(),
        first.len()
    );
    for (name, spec) in cards() {
        let png = card_png(&spec).expect("card renders");
        eprintln!("{name}: PNG {} bytes", png.len());
        c.bench_function(name, |b| b.iter(|| card_png(black_box(&spec))));
    }
    let png = status_png(&paid()).expect("status renders");
    eprintln!("status_paid: PNG {} bytes", png.len());
    c.bench_function("status_paid", |b| b.iter(|| status_png(black_box(&paid()))));
}

criterion_group!(benches, bench);
criterion_main!(benches);
