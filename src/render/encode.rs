//! The one QR encoder of the crate: numeric, alphanumeric and byte segments only.
//!
//! `qrcode`'s own entry points (`QrCode::new`, `with_error_correction_level`) optimise the
//! segments with Kanji mode among them, and put any byte pair in a Shift-JIS range into a
//! Kanji segment. UTF-8 Khmer (`E1 9E xx`, `E1 9F xx`) is full of such pairs. A scanner
//! decodes a Kanji segment as Shift-JIS characters (and guesses the charset of the byte
//! segments around it from what is left), so ZXing-family decoders — Android's ML Kit, most
//! bank apps — read a Khmer card as mojibake, the CRC fails, and the app refuses the QR.
//!
//! Here the same segment optimiser runs with Kanji taken out: what it would have put in a
//! Kanji segment is byte data, adjacent byte segments are joined, and no ECI header is
//! written (NBC's SDK renderers use plain byte mode too). For an ASCII payload nothing
//! changes — `qrcode` never finds Kanji there — so the symbol is bit for bit today's. A
//! Khmer run costs 8 bits per byte instead of 13 per pair, which can take a symbol one
//! version up.

use qrcode::bits::Bits;
use qrcode::optimize::{Optimizer, Parser, Segment, total_encoded_len};
use qrcode::types::{Mode, QrError, QrResult, Version};
use qrcode::{EcLevel, QrCode};

/// Error-correction level of every QR code the crate draws (about 15 % of codewords
/// recoverable: room for the card's currency badge and real-world damage).
pub const QR_EC_LEVEL: EcLevel = EcLevel::M;

/// Versions that share the widths of the character-count fields (ISO/IEC 18004 table 3):
/// within a group, a segment costs the same number of bits at every version.
const VERSION_GROUPS: [(i16, i16); 3] = [(1, 9), (10, 26), (27, 40)];

/// Encodes `payload` (its UTF-8 bytes, verbatim) at level M in the smallest QR version it
/// fits, with numeric, alphanumeric and byte segments only — never Kanji, no ECI.
///
/// # Errors
/// [`QrError::DataTooLong`] when it does not fit in a version-40 symbol.
pub fn qr_code(payload: &str) -> QrResult<QrCode> {
    let data = payload.as_bytes();
    for (first, last) in VERSION_GROUPS {
        let segments = segments(data, Version::Normal(last));
        let needed = total_encoded_len(&segments, Version::Normal(last));
        for v in first..=last {
            let version = Version::Normal(v);
            if Bits::new(version).max_len(QR_EC_LEVEL)? >= needed {
                let mut bits = Bits::new(version);
                bits.push_segments(data, segments.into_iter())?;
                bits.push_terminator(QR_EC_LEVEL)?;
                return QrCode::with_bits(bits, QR_EC_LEVEL);
            }
        }
    }
    Err(QrError::DataTooLong)
}

/// The segments `data` is written as at `version`: `qrcode`'s optimiser with every Kanji
/// candidate turned into byte data, then adjacent segments of one mode joined (always
/// shorter, and it makes each byte segment start and end on a character boundary: only
/// byte segments hold non-ASCII bytes).
pub(crate) fn segments(data: &[u8], version: Version) -> Vec<Segment> {
    let no_kanji = Parser::new(data).map(|s| match s.mode {
        Mode::Kanji => Segment {
            mode: Mode::Byte,
            ..s
        },
        _ => s,
    });
    let mut out: Vec<Segment> = Vec::new();
    for s in Optimizer::new(no_kanji, version) {
        match out.last_mut() {
            Some(prev) if prev.mode == s.mode && prev.end == s.begin => prev.end = s.end,
            _ => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const USD: &str = "00020101021229210017sokha_coffee@aclb520459995303840540155802KH5912Sokha Coffee6010Phnom Penh62120108INV-10429934001317980000000000113179800060000063045E57";
    const KHR_KHMER: &str = "00020101021229210017sreymom_shop@wing5204599953031165405120005802KH5916ហាងកាហ្វេស្រីមុំ6006សៀមរាប62120108INV-2077993400131798000000000011317980006000006304F4F5";
    const LONGEST: &str = "00020101021215375204000000000000000000000000000000001301010032longest_possible_account_id@aclb0128MERCHANT-00000000000000000010229Advanced Bank of Asia Limited520459995303116541399999999999995802KH5925ហាងលក់គ្រឿងទេសក្រុងសៀមរាប6014Siem Reap City62940124INV-2026-0000000000000010212+855123456780322Psar Chas Branch No. 20710Counter 120806Spices64500002km0125ហាងលក់គ្រឿងទេសក្រុងសៀមរាប0211ក្រុងសៀមរាប993400131798000000000011317980006000006304A924";
    const STATIC: &str = "00020101021129190015john_smith@devb5204599953031165802KH5910John Smith6010Phnom Penh63046BFA";

    fn version_number(code: &QrCode) -> i16 {
        match code.version() {
            Version::Normal(v) | Version::Micro(v) => v,
        }
    }

    #[test]
    fn khmer_payloads_get_no_kanji_segment() {
        for payload in [KHR_KHMER, LONGEST, "ហាងកាហ្វេ", "ក្រុងសៀមរាប ២០២៦"]
        {
            for (first, last) in VERSION_GROUPS {
                for version in [first, last] {
                    let ours = segments(payload.as_bytes(), Version::Normal(version));
                    assert!(
                        ours.iter().all(|s| s.mode != Mode::Kanji),
                        "{payload} v{version}: {ours:?}"
                    );
                }
            }
        }
        // The crate's own optimiser does pick Kanji for these: the bug being avoided.
        for payload in [KHR_KHMER, LONGEST] {
            let theirs: Vec<Segment> = Parser::new(payload.as_bytes())
                .optimize(Version::Normal(9))
                .collect();
            assert!(
                theirs.iter().any(|s| s.mode == Mode::Kanji),
                "{payload}: qrcode no longer picks Kanji, update the module docs"
            );
        }
    }

    #[test]
    fn segments_cover_the_payload_and_split_only_between_characters() {
        for payload in [USD, KHR_KHMER, LONGEST, STATIC, "៛", "a៛1"] {
            let ours = segments(payload.as_bytes(), Version::Normal(9));
            assert_eq!(ours.first().map(|s| s.begin), Some(0), "{payload}");
            assert_eq!(ours.last().map(|s| s.end), Some(payload.len()));
            for pair in ours.windows(2) {
                assert_eq!(pair[0].end, pair[1].begin, "{payload}: gap or overlap");
                assert_ne!(pair[0].mode, pair[1].mode, "{payload}: not joined");
                assert!(payload.is_char_boundary(pair[0].end), "{payload}: {pair:?}");
            }
            for s in &ours {
                let text = &payload[s.begin..s.end];
                match s.mode {
                    Mode::Numeric => assert!(text.bytes().all(|b| b.is_ascii_digit())),
                    Mode::Alphanumeric => assert!(text.bytes().all(|b| {
                        b.is_ascii_digit() || b.is_ascii_uppercase() || b" $%*+-./:".contains(&b)
                    })),
                    Mode::Byte => {}
                    Mode::Kanji => panic!("Kanji in {payload}"),
                }
            }
        }
    }

    /// For ASCII the optimiser's choices are `qrcode`'s own; joining the adjacent byte
    /// segments it leaves (it merges greedily, pair by pair) can only save a header. The
    /// sample dynamic USD card is version 6 here, 7 with `qrcode` alone.
    #[test]
    fn ascii_payloads_are_never_larger_than_with_qrcode_alone() {
        for (payload, theirs, ours) in [(USD, 7, 6), (STATIC, 5, 5)] {
            let qrcode_alone =
                QrCode::with_error_correction_level(payload.as_bytes(), QR_EC_LEVEL).expect("fits");
            assert_eq!(version_number(&qrcode_alone), theirs, "{payload}");
            assert_eq!(version_number(&qr_code(payload).expect("fits")), ours);
        }
        for len in 1..300 {
            let payload: String = "0020101sokha_coffee@aclb5204KH59 INV-42"
                .chars()
                .cycle()
                .take(len)
                .collect();
            let theirs =
                QrCode::with_error_correction_level(payload.as_bytes(), QR_EC_LEVEL).expect("fits");
            let ours = qr_code(&payload).expect("fits");
            assert!(
                version_number(&ours) <= version_number(&theirs),
                "{payload}"
            );
        }
    }

    #[test]
    fn the_smallest_version_is_chosen_and_kept_at_level_m() {
        // 13-digit amounts and timestamps are numeric runs; Khmer is byte data.
        for payload in [USD, KHR_KHMER, LONGEST, STATIC] {
            let code = qr_code(payload).expect("fits");
            assert_eq!(code.error_correction_level(), EcLevel::M);
            let v = version_number(&code);
            let needed = total_encoded_len(
                &segments(payload.as_bytes(), Version::Normal(v)),
                Version::Normal(v),
            );
            let fits = |v: i16| Bits::new(Version::Normal(v)).max_len(QR_EC_LEVEL).unwrap();
            assert!(fits(v) >= needed, "{payload}");
            if v > 1 {
                // One version down the segments cost the same or less (narrower length
                // fields at a group boundary), and still do not fit.
                let below = total_encoded_len(
                    &segments(payload.as_bytes(), Version::Normal(v - 1)),
                    Version::Normal(v - 1),
                );
                assert!(fits(v - 1) < below, "{payload}: v{} would do", v - 1);
            }
        }
    }

    #[test]
    fn too_long_is_an_error() {
        assert_eq!(
            qr_code(&"x".repeat(2_400)).err(),
            Some(QrError::DataTooLong)
        );
        // The largest byte payload of a version-40 level-M symbol still fits.
        let code = qr_code(&"x".repeat(2_331)).expect("fits version 40");
        assert_eq!(version_number(&code), 40);
    }
}
