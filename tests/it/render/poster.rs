//! The pay-link poster. Its QR is the link's URL, read back exactly by a ZXing-family
//! decoder as a phone meets it (as sent, half size, JPEG). It says what it is, in the bot's
//! own words (the Fluent texts `poster-title` and `poster-footer`): scan with the phone's
//! camera, which opens Telegram; not a KHQR, a bank app will not read it. Khmer shop names
//! and items are shaped. The posters in docs/bot.md (docs/images/poster-khmer.png,
//! poster-english.png) are what `poster_png` draws today with those texts, and were looked
//! at: a pixel comparison with them is how a test sees the words are there.
//!
//! Regenerate the docs images after an intended design or wording change with
//! `RENDER_BLESS=1 cargo test --test it render::poster::`, then look at them.

use std::path::Path;

use crate::support::render::*;
use khqr_bot::i18n::Lang;
use khqr_bot::render::{PosterSpec, poster_png};
use khqr_bot::t;

const URL: &str = "https://t.me/khqr_demo_bot?start=Qm9uQXBwZXRpdF9LSFFSXw";

/// The poster the bot draws for a seller in `lang`, as in the docs.
fn docs_poster(lang: Lang) -> Vec<u8> {
    let (shop, amount, item) = match lang {
        Lang::Km => ("ហាងកាហ្វេស្រីមុំ", "$2.50", "កាហ្វេទឹកដោះគោទឹកកក ស្ករតិច"),
        Lang::En => ("Sreymom Coffee", "$2.50", "Iced milk coffee, less sugar"),
    };
    poster_png(&PosterSpec {
        url: URL,
        title: &t!(lang, "poster-title"),
        shop_name: shop,
        amount_text: amount,
        item: Some(item),
        footer: Some(&t!(lang, "poster-footer")),
    })
    .unwrap()
}

#[test]
fn a_poster_scans_to_exactly_its_url_as_a_phone_meets_it() {
    for (url, lang) in [
        (
            "https://t.me/khqr_bot?start=AZaz09_-AZaz09_-AZaz09",
            Lang::En,
        ),
        (
            "https://t.me/a_much_longer_bot_username_bot?start=zzzzzzzzzzzzzzzzzzzzzz",
            Lang::Km,
        ),
    ] {
        let png = poster_png(&PosterSpec {
            url,
            title: &t!(lang, "poster-title"),
            shop_name: "Sokha Coffee",
            amount_text: "20,000 ៛",
            item: Some("iced coffee"),
            footer: Some(&t!(lang, "poster-footer")),
        })
        .unwrap();
        assert_eq!(rxing_misreads(&png, url), Vec::<String>::new(), "{url}");
    }
}

#[test]
fn the_docs_posters_are_what_poster_png_draws_and_scan_to_their_url() {
    for (lang, file) in [
        (Lang::Km, "docs/images/poster-khmer.png"),
        (Lang::En, "docs/images/poster-english.png"),
    ] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
        let drawn = docs_poster(lang);
        if std::env::var_os("RENDER_BLESS").is_some() {
            std::fs::write(&path, &drawn).unwrap();
        }
        let on_file = std::fs::read(&path).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(
            rxing_misreads(&on_file, URL),
            Vec::<String>::new(),
            "{file}"
        );
        let (on_file, drawn) = (load_rgb(&on_file), load_rgb(&drawn));
        assert_eq!(on_file.dimensions(), drawn.dimensions(), "{file}");
        let differing = differing_pixels(&on_file, &drawn, 48);
        assert!(differing <= 50, "{differing} pixels differ from {file}");
    }
}
