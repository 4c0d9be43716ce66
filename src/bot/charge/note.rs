//! A charge's note as a person counts it, and the copy of it the QR can carry.
//!
//! A note is counted in grapheme clusters, what a reader sees as one character, so a Khmer
//! note and a Latin one get the same [`MAX_NOTE_CLUSTERS`]: "កាហ្វេទឹកដោះគោទឹកកក ស្ករតិច"
//! (iced milk coffee, less sugar) is 15 clusters but 27 UTF-16 units, more than the 25 the
//! QR's purpose of transaction (tag 62-08) holds. The card and the captions show the whole
//! note; only the QR's copy is shortened, by [`qr_purpose`]: visibly ("…") and between
//! clusters, so a bank app never shows half a syllable or half an emoji.
//!
//! Clusters are Unicode's extended grapheme clusters (UAX #29, with the conjunct rule GB9c):
//! a Khmer consonant stacked under another with COENG (U+17D2), as in "ស្ក", stays in the
//! cluster of the consonant above it, so a cut never leaves a subscript sign hanging.

use std::borrow::Cow;

use unicode_segmentation::UnicodeSegmentation;

use crate::khqr::PURPOSE_MAX_UTF16;

/// Longest note, in clusters ([`clusters`]), for Khmer and Latin alike. Room for what a stall
/// writes about one sale ("2 iced milk coffees, less sugar, no ice, take away" is 50; three
/// Khmer item names of 15 and more), while the card still shows it whole (four lines at the
/// note's size even in the widest Khmer stacks: `render::card`'s test) and a `/history` line
/// stays readable; Telegram's 1,024-character caption has room to spare.
pub const MAX_NOTE_CLUSTERS: usize = 60;

/// What ends a purpose that was cut: one UTF-16 code unit, a character like any other to the
/// SDK and to bank apps.
pub const CUT_MARK: char = '…';

/// The clusters of `text` with their byte offsets.
pub fn clusters(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.grapheme_indices(true)
}

/// How many clusters `text` has.
pub fn cluster_count(text: &str) -> usize {
    clusters(text).count()
}

/// The note as the QR's purpose of transaction can carry it: unchanged when it fits in
/// [`PURPOSE_MAX_UTF16`] units (as the SDK counts), else its longest run of whole clusters
/// that leaves room for [`CUT_MARK`], without the spaces at its end, then the mark. The result
/// always fits; a first cluster too long on its own (a letter under dozens of marks) leaves
/// the mark alone. The same note always gives the same purpose.
pub fn qr_purpose(note: &str) -> Cow<'_, str> {
    if utf16_len(note) <= PURPOSE_MAX_UTF16 {
        return Cow::Borrowed(note);
    }
    let room = PURPOSE_MAX_UTF16 - CUT_MARK.len_utf16();
    let mut used = 0;
    let mut end = 0;
    for (at, cluster) in clusters(note) {
        used += utf16_len(cluster);
        if used > room {
            break;
        }
        end = at + cluster.len();
    }
    let mut cut = note.get(..end).unwrap_or_default().trim_end().to_owned();
    cut.push(CUT_MARK);
    Cow::Owned(cut)
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// "Iced milk coffee, less sugar": 27 UTF-16 units.
    const KHMER_NOTE: &str = "កាហ្វេទឹកដោះគោទឹកកក ស្ករតិច";

    #[test]
    fn clusters_are_what_a_reader_sees() {
        let seen: Vec<&str> = clusters(KHMER_NOTE).map(|(_, c)| c).collect();
        assert_eq!(
            seen,
            [
                "កា",
                "ហ្វេ",
                "ទឹ",
                "ក",
                "ដោះ",
                "គោ",
                "ទឹ",
                "ក",
                "ក",
                "ក",
                " ",
                "ស្ក",
                "រ",
                "តិ",
                "ច"
            ]
        );
        assert_eq!(cluster_count(KHMER_NOTE), 15);
        assert_eq!(cluster_count("iced coffee"), 11);
        assert_eq!(cluster_count("👨‍👩‍👧‍👦 é"), 3);
        // Stacks are one cluster: two subscripts, and a COENG at the very end with its base.
        assert_eq!(cluster_count("ស្ត្រី"), 1);
        assert_eq!(cluster_count("ក្"), 1);
        assert_eq!(cluster_count(""), 0);
    }

    #[test]
    fn a_note_that_fits_is_the_purpose_as_it_is() {
        for text in [
            "iced coffee",
            "exactly twenty-five chars",
            "កាហ្វេទឹកកក",
            "ស្ករតិច 😀 two",
        ] {
            assert!(utf16_len(text) <= PURPOSE_MAX_UTF16, "{text}");
            assert!(matches!(qr_purpose(text), Cow::Borrowed(t) if t == text));
        }
    }

    #[test]
    fn a_khmer_note_is_cut_between_stacks_and_marked() {
        let purpose = qr_purpose(KHMER_NOTE);
        assert_eq!(purpose, "កាហ្វេទឹកដោះគោទឹកកក ស្ករ…");
        assert_eq!(utf16_len(&purpose), PURPOSE_MAX_UTF16);
        // A stack that does not fit goes whole, never its top without the subscript.
        let stacked = "កាហ្វេទឹកដោះគោទឹកកក ស្ត្រី";
        assert_eq!(qr_purpose(stacked), "កាហ្វេទឹកដោះគោទឹកកក…");
    }

    #[test]
    fn latin_and_emoji_are_cut_on_whole_clusters() {
        assert_eq!(
            qr_purpose("two iced milk coffees, less sugar, no ice"),
            "two iced milk coffees, l…"
        );
        // A space at the cut is dropped rather than left before the mark.
        assert_eq!(
            qr_purpose("twenty-three characters and more"),
            "twenty-three characters…"
        );
        // A family emoji is one cluster of 11 units: kept whole or not at all.
        let family = "👨‍👩‍👧‍👦";
        assert_eq!(utf16_len(family), 11);
        assert_eq!(
            qr_purpose(&format!("cakes for {family} and more")),
            format!("cakes for {family} an…")
        );
        assert_eq!(
            qr_purpose(&format!("birthday cakes {family} x2")),
            "birthday cakes…"
        );
        // One cluster longer than the tag: only the mark is left.
        let heavy = format!("a{}", "\u{301}".repeat(30));
        assert_eq!(qr_purpose(&heavy), "…");
    }

    proptest! {
        #[test]
        fn the_purpose_fits_and_is_the_longest_run_of_whole_clusters(
            text in "[\\PC\u{17D2}\u{200D}]{0,80}"
        ) {
            let purpose = qr_purpose(&text);
            prop_assert!(utf16_len(&purpose) <= PURPOSE_MAX_UTF16);
            if utf16_len(&text) <= PURPOSE_MAX_UTF16 {
                prop_assert_eq!(&*purpose, text.as_str());
            } else {
                let kept = purpose.strip_suffix(CUT_MARK).expect("a cut purpose ends in the mark");
                // Whole clusters of the text, and as many as fit beside the mark.
                let mut used = 0;
                let longest: String = clusters(&text)
                    .map(|(_, c)| c)
                    .take_while(|c| {
                        used += utf16_len(c);
                        used < PURPOSE_MAX_UTF16
                    })
                    .collect();
                prop_assert_eq!(kept, longest.trim_end());
                let ours: Vec<&str> = clusters(kept).map(|(_, c)| c).collect();
                let theirs: Vec<&str> = clusters(&text).map(|(_, c)| c).take(ours.len()).collect();
                prop_assert_eq!(ours, theirs);
            }
        }
    }
}
