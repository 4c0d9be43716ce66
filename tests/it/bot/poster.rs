//! The poster `/link` sends, end to end (the real bot, the Telegram emulator): a ZXing-family
//! decoder (rxing) reads its QR as the link's `t.me` URL, it is drawn with the seller's words
//! for what it is (scan with the phone's camera, opens Telegram; not a KHQR), and its caption
//! tells the seller that a bank app will not read it.

use crate::support::app::{TestApp, WAIT};
use crate::support::fake_telegram::TgUser;
use crate::support::render::rxing_misreads;
use khqr_bot::i18n::Lang;
use khqr_bot::render::{PosterSpec, poster_png};
use khqr_bot::t;

#[tokio::test]
async fn the_link_poster_says_it_opens_telegram_and_that_a_bank_app_will_not_read_it() {
    let app = TestApp::spawn().await;
    for (id, lang, code) in [(4501, Lang::En, "en"), (4502, Lang::Km, "km")] {
        let seller = TgUser::new(id, "Sophea").with_language(code);
        app.setup_merchant(&seller, "sokha@aclb", "Sokha Coffee", "Phnom Penh")
            .await;
        let since = app.telegram.call_count();
        let reply = app.say(&seller, "/link 2.50 USD iced coffee").await;
        let prefix = format!("https://t.me/{}?start=", app.telegram.bot_username());
        let url: String = reply[reply.find(&prefix).unwrap_or_else(|| panic!("{reply}"))..]
            .chars()
            .take_while(|c| !c.is_whitespace())
            .collect();
        let poster = app
            .telegram
            .wait_for_since(since, "sendPhoto", |c| c.chat_id() == Some(id), WAIT)
            .await
            .unwrap();

        let caption = poster.caption().unwrap();
        assert_eq!(caption, t!(lang, "link-poster-caption"));
        if lang == Lang::En {
            assert!(
                caption.contains("A bank app will not read") && caption.contains("not a KHQR"),
                "{caption}"
            );
        }

        let png = poster.file("photo").unwrap();
        assert_eq!(rxing_misreads(png, &url), Vec::<String>::new(), "{lang:?}");
        // Drawn with the seller's words for what it is (docs/images/poster-*.png, looked at,
        // are the same drawing: render::poster).
        let expected = poster_png(&PosterSpec {
            url: &url,
            title: &t!(lang, "poster-title"),
            shop_name: "Sokha Coffee",
            amount_text: "$2.50",
            item: Some("iced coffee"),
            footer: Some(&t!(lang, "poster-footer")),
        })
        .unwrap();
        assert!(png == expected, "{lang:?}: not the poster with its words");
    }
}
