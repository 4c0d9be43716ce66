//! The poster `/link` sends: `render::poster_png` on the render thread, with the words in
//! the seller's language: scan with the phone's camera, which opens Telegram; a bank app
//! will not read it.

use crate::i18n::Lang;
use crate::render::{PosterSpec, on_render_thread, poster_png};
use crate::store::PayLink;
use crate::t;

use super::buy::price_headline;
use crate::bot::HandlerError;
use crate::bot::caller::Shop;
use crate::bot::stranger_text::StrangerText;

/// The poster PNG of `link` (its QR is `url`).
pub(in crate::bot) async fn render(
    shop: &Shop,
    link: &PayLink,
    url: &str,
    lang: Lang,
) -> Result<Vec<u8>, HandlerError> {
    let url = url.to_owned();
    let title = t!(lang, "poster-title");
    let footer = t!(lang, "poster-footer");
    let shop_name = StrangerText(shop.profile.shop_name.as_str())
        .bare()
        .into_owned();
    let amount_text = price_headline(lang, link.price);
    let item = link
        .note
        .as_deref()
        .map(|n| StrangerText(n).bare().into_owned());
    let png = on_render_thread(move || {
        poster_png(&PosterSpec {
            url: &url,
            title: &title,
            shop_name: &shop_name,
            amount_text: &amount_text,
            item: item.as_deref(),
            footer: Some(&footer),
        })
    })
    .await??;
    Ok(png)
}
