//! Issue 15: the pay-link poster. Its QR is the link's URL, read back exactly by a
//! ZXing-family decoder as a phone meets it (as sent, half size, JPEG); Khmer shop names and
//! items are shaped. The poster in docs/bot.md (docs/images/poster-khmer.png) is what
//! `poster_png` draws today and scans to its URL.
//!
//! Regenerate the docs image after an intended design change with
//! `RENDER_BLESS=1 cargo test --test it bot_links_poster::`, then look at it.

use std::path::Path;

use crate::support::render::*;
use khqr_bot::render::{PosterSpec, poster_png};

const DOCS_IMAGE: &str = "docs/images/poster-khmer.png";
const URL: &str = "https://t.me/khqr_demo_bot?start=Qm9uQXBwZXRpdF9LSFFSXw";

fn docs_poster() -> Vec<u8> {
    poster_png(&PosterSpec {
        url: URL,
        title: "ស្កេនដើម្បីបង់ប្រាក់",
        shop_name: "ហាងកាហ្វេស្រីមុំ",
        amount_text: "$2.50",
        usd: true,
        item: Some("កាហ្វេទឹកដោះគោទឹកកក"),
        footer: Some("ស្កេនដោយកាមេរ៉ាទូរសព្ទរបស់អ្នក៖ Telegram នឹងបើក ហើយផ្ដល់ KHQR ផ្ទាល់ខ្លួនឱ្យអ្នកបង់ប្រាក់។"),
    })
    .unwrap()
}

#[test]
fn a_poster_scans_to_exactly_its_url_as_a_phone_meets_it() {
    for (url, usd) in [
        ("https://t.me/khqr_bot?start=AZaz09_-AZaz09_-AZaz09", true),
        (
            "https://t.me/a_much_longer_bot_username_bot?start=zzzzzzzzzzzzzzzzzzzzzz",
            false,
        ),
    ] {
        let png = poster_png(&PosterSpec {
            url,
            title: "Scan to pay",
            shop_name: "Sokha Coffee",
            amount_text: if usd { "$5.00" } else { "20,000 ៛" },
            usd,
            item: Some("iced coffee"),
            footer: Some("Scan with your phone camera."),
        })
        .unwrap();
        assert_eq!(rxing_misreads(&png, url), Vec::<String>::new(), "{url}");
    }
}

#[test]
fn the_docs_poster_is_what_poster_png_draws_and_scans_to_its_url() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DOCS_IMAGE);
    let drawn = docs_poster();
    if std::env::var_os("RENDER_BLESS").is_some() {
        std::fs::write(&path, &drawn).unwrap();
    }
    let on_file = std::fs::read(&path).expect("docs/images/poster-khmer.png");
    assert_eq!(rxing_misreads(&on_file, URL), Vec::<String>::new());
    let differing = differing_pixels(&load_rgb(&on_file), &load_rgb(&drawn), 48);
    assert!(
        differing <= 50,
        "{differing} pixels differ from {DOCS_IMAGE}"
    );
}
