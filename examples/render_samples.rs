//! Writes the sample images shown in the README to `docs/images/` (or the directory given as
//! the first argument): `cargo run --example render_samples [DIR]`.

use std::path::PathBuf;

use khqr_bot::khqr::{Amount, Currency};
use khqr_bot::render::{CardSpec, StatusKind, StatusSpec, card_png, format_money, status_png};

// The cards show the reference the bot derives from each payload's bill number (tag 62-01):
// INV-1042 → #V-1042, INV-2077 → #V-2077.
const USD_DYNAMIC: &str = "00020101021229210017sokha_coffee@aclb520459995303840540155802KH5912Sokha Coffee6010Phnom Penh62120108INV-10429934001317980000000000113179800060000063045E57";
const KHR_DYNAMIC_KHMER: &str = "00020101021229210017sreymom_shop@wing5204599953031165405120005802KH5916ហាងកាហ្វេស្រីមុំ6006សៀមរាប62120108INV-2077993400131798000000000011317980006000006304F4F5";

fn main() -> anyhow::Result<()> {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("docs/images"), PathBuf::from);
    std::fs::create_dir_all(&dir)?;

    let usd = format_money(Amount::from_minor(500, Currency::Usd)?);
    let khr = format_money(Amount::from_minor(12_000, Currency::Khr)?);
    let images = [
        (
            "card-usd.png",
            card_png(&CardSpec {
                payload: USD_DYNAMIC,
                shop_name: "Sokha Coffee",
                amount_text: &usd,
                usd: true,
                note: Some("2 × iced latte"),
                expires_line: Some("Expires 14:05"),
                reference: Some("#V-1042"),
            })?,
        ),
        (
            "card-khr-khmer.png",
            card_png(&CardSpec {
                payload: KHR_DYNAMIC_KHMER,
                shop_name: "ហាងកាហ្វេស្រីមុំ",
                amount_text: &khr,
                usd: false,
                note: Some("កាហ្វេទឹកដោះគោទឹកកក ២ កែវ"),
                expires_line: Some("ផុតកំណត់ ម៉ោង 14:05"),
                reference: Some("#V-2077"),
            })?,
        ),
        (
            "status-paid.png",
            status_png(&StatusSpec {
                kind: StatusKind::Paid,
                title: "Paid",
                shop_name: "Sokha Coffee",
                amount_text: &usd,
                note: Some("2 × iced latte"),
                reference: Some("#V-1042"),
                lines: &[
                    "From Chan Dara (dara_chan@aclb)",
                    "14:02, 28 Nov 2026",
                    "Ref 8f3a91c2",
                ],
            })?,
        ),
        (
            "status-expired.png",
            status_png(&StatusSpec {
                kind: StatusKind::Expired,
                title: "Expired",
                shop_name: "ហាងកាហ្វេស្រីមុំ",
                amount_text: &khr,
                note: Some("កាហ្វេទឹកដោះគោទឹកកក ២ កែវ"),
                reference: Some("#V-2077"),
                lines: &["Not paid before 14:05"],
            })?,
        ),
    ];
    for (name, png) in images {
        let path = dir.join(name);
        std::fs::write(&path, &png)?;
        println!("{} ({} bytes)", path.display(), png.len());
    }
    Ok(())
}
