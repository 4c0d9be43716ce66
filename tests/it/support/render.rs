//! Helpers shared by the `render_*` integration tests: realistic payloads, a phone-style QR
//! decode with `rqrr`, and image comparison.

use image::{GrayImage, RgbImage, imageops};

/// Static individual QR, USD (no amount, no tag 99). Built by NBC's SDK.
pub const STATIC_USD: &str =
    "00020101021129200016dara_market@abaa5204599953038405802KH5911Dara Market6006Kampot630489BE";
/// Static individual QR, KHR.
pub const STATIC_KHR: &str =
    "00020101021129200016dara_market@abaa5204599953031165802KH5911Dara Market6006Kampot6304DB98";
/// Dynamic USD $5 with bill number and expiry.
pub const DYNAMIC_USD: &str = "00020101021229210017sokha_coffee@aclb520459995303840540155802KH5912Sokha Coffee6010Phnom Penh62120108INV-10429934001317980000000000113179800060000063045E57";
/// Dynamic KHR 12,000 with a Khmer merchant name and city.
pub const DYNAMIC_KHR_KHMER: &str = "00020101021229210017sreymom_shop@wing5204599953031165405120005802KH5916ហាងកាហ្វេស្រីមុំ6006សៀមរាប62120108INV-2077993400131798000000000011317980006000006304F4F5";
/// The longest payload the SDK builds: merchant QR with UnionPay (tag 15), a 32-char
/// account, merchant id and bank, a 25-char Khmer name, the maximum amount, all tag-62
/// fields up to 99 chars, tag 64 with Khmer alternates and tag 99. 423 characters,
/// 564 UTF-8 bytes.
pub const LONGEST: &str = "00020101021215375204000000000000000000000000000000001301010032longest_possible_account_id@aclb0128MERCHANT-00000000000000000010229Advanced Bank of Asia Limited520459995303116541399999999999995802KH5925ហាងលក់គ្រឿងទេសក្រុងសៀមរាប6014Siem Reap City62940124INV-2026-0000000000000010212+855123456780322Psar Chas Branch No. 20710Counter 120806Spices64500002km0125ហាងលក់គ្រឿងទេសក្រុងសៀមរាប0211ក្រុងសៀមរាប993400131798000000000011317980006000006304A924";

/// A QR found in an image: its text and error-correction level (0 = M in the format bits).
#[derive(Debug)]
pub struct Decoded {
    pub text: String,
    pub ecc_level: u16,
    pub version: usize,
}

pub fn load_rgb(png: &[u8]) -> RgbImage {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    image::load_from_memory(png)
        .expect("decodable PNG")
        .to_rgb8()
}

/// Every QR code `rqrr` finds and decodes in the grey image.
pub fn decode_gray(img: &GrayImage) -> Vec<Decoded> {
    let mut prepared = rqrr::PreparedImage::prepare(img.clone());
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|grid| grid.decode().ok())
        .map(|(meta, text)| Decoded {
            text,
            ecc_level: meta.ecc_level,
            version: meta.version.0,
        })
        .collect()
}

/// Number of QR-like grids `rqrr` detects at all (decodable or not).
pub fn grid_count(img: &GrayImage) -> usize {
    rqrr::PreparedImage::prepare(img.clone())
        .detect_grids()
        .len()
}

/// Decodes the PNG as a phone would meet it: the image as sent; a photo of a screen (grey,
/// washed-out contrast: black becomes 40, white 215); and a screenshot from a 2x display
/// (every pixel doubled). Returns the decodes of each pass.
///
/// `rqrr` cannot read resampled images reliably (a plain, badge-free code on a white page
/// already fails at 0.8x or with a 1 px blur), so smoothing passes would test `rqrr`, not
/// the card; the card was checked against those with zbar by hand (see BENCHMARKS.md).
pub fn phone_decodes(png: &[u8]) -> Vec<Vec<Decoded>> {
    let gray = imageops::grayscale(&load_rgb(png));
    let (w, h) = gray.dimensions();
    let mut washed = gray.clone();
    for p in washed.pixels_mut() {
        p.0[0] = 40 + (u16::from(p.0[0]) * 175 / 255) as u8;
    }
    let doubled = imageops::resize(&gray, w * 2, h * 2, imageops::FilterType::Nearest);
    [gray, washed, doubled].iter().map(decode_gray).collect()
}

/// Asserts that every phone-style pass finds exactly one code, equal to `payload`, at level M.
pub fn assert_scans_to(png: &[u8], payload: &str) {
    for (pass, decodes) in phone_decodes(png).into_iter().enumerate() {
        assert_eq!(
            decodes.len(),
            1,
            "pass {pass}: expected one QR, found {decodes:?}"
        );
        assert_eq!(decodes[0].text, payload, "pass {pass}: wrong payload");
        assert_eq!(
            decodes[0].ecc_level, 0,
            "pass {pass}: not error-correction level M"
        );
    }
}

/// Pixels whose largest channel difference exceeds `threshold`.
pub fn differing_pixels(a: &RgbImage, b: &RgbImage, threshold: u8) -> usize {
    assert_eq!(a.dimensions(), b.dimensions(), "image sizes differ");
    a.pixels()
        .zip(b.pixels())
        .filter(|(p, q)| (0..3).any(|c| p.0[c].abs_diff(q.0[c]) > threshold))
        .count()
}

/// What a ZXing-family decoder (rxing, the Rust port of ZXing; the family inside Android's
/// ML Kit and most banking apps) reads in the grey image: the decoded *text*, with ZXing's
/// own charset guessing and no hints beyond "it is a QR code", as a phone app would call it.
pub fn rxing_read(img: &GrayImage) -> Result<String, String> {
    let (w, h) = img.dimensions();
    rxing::helpers::detect_in_luma(
        img.as_raw().clone(),
        w,
        h,
        Some(rxing::BarcodeFormat::QR_CODE),
    )
    .map(|found| found.getText().to_owned())
    .map_err(|e| e.to_string())
}

/// The image as a phone meets it: as sent, at half size (a thumbnail, a small screen), and
/// after JPEG recompression at quality 75 (Telegram recompresses photos).
pub fn phone_copies(png: &[u8]) -> [(&'static str, GrayImage); 3] {
    let rgb = load_rgb(png);
    let (w, h) = rgb.dimensions();
    let half = imageops::resize(&rgb, w / 2, h / 2, imageops::FilterType::Triangle);
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 75)
        .encode_image(&rgb)
        .expect("JPEG encoding");
    let jpeg = image::load_from_memory(&jpeg)
        .expect("JPEG decodes")
        .to_luma8();
    [
        ("png", imageops::grayscale(&rgb)),
        ("half", imageops::grayscale(&half)),
        ("jpeg75", jpeg),
    ]
}

/// Every copy of the image that rxing does not read as exactly `payload`, described.
pub fn rxing_misreads(png: &[u8], payload: &str) -> Vec<String> {
    phone_copies(png)
        .into_iter()
        .filter_map(|(copy, img)| match rxing_read(&img) {
            Ok(text) if text == payload => None,
            Ok(text) => Some(format!("{copy}: read {text:?}")),
            Err(e) => Some(format!("{copy}: nothing read ({e})")),
        })
        .collect()
}
