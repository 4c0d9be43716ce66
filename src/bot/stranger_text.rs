//! Showing text a stranger wrote: a buyer's Telegram name, a shop's name and city, a note.
//! Every such text the bot puts in a message, a caption, a picture or an export goes through
//! [`StrangerText`], so none can make the text around it read differently from what it says.
//!
//! The attack: a pay-link buyer named `U+202E 00.005$ diap ✅` (a right-to-left override, then
//! the reversed words) appears in the seller's sale message as `✅ paid $500.00`. What we do:
//!
//! - **Stripped**: the bidirectional controls ([`is_bidi_control`]: embeddings, overrides,
//!   isolates and marks), which exist to reorder text, and the invisible characters
//!   ([`is_invisible`]: soft hyphen, word joiner, BOM, Hangul fillers, tag characters…), which
//!   show nothing. In a message, paragraph breaks and other control characters become spaces
//!   too: a new paragraph would end the isolation below.
//! - **Kept**: U+200B ZERO WIDTH SPACE, which Khmer keyboards type between words (invisible,
//!   but it moves nothing), U+200C/U+200D ZERO WIDTH (NON-)JOINER (Khmer shaping, emoji
//!   sequences) and the emoji variation selectors. Stripping them would damage honest Khmer
//!   names; none of them can reorder text.
//! - **Isolated**: in a message, a text that still holds right-to-left letters or Arabic
//!   digits (bidi classes R, AL, AN: the only characters that, once the controls are gone,
//!   can pull the neighbouring numbers and punctuation into their direction, or set the
//!   direction of the whole message when they come first) is wrapped in FSI … PDI (U+2068 …
//!   U+2069), so it is laid out on its own and its surroundings stay as written. Text without
//!   such letters (English, Khmer, digits, emoji) cannot move anything, and is shown as it is
//!   (no invisible marks that a seller would copy along with a name).
//! - A text with nothing visible left is shown as `—`.
//!
//! Pictures (cards, posters, charts) and export cells take [`StrangerText::bare`]: stripped,
//! not wrapped, since each stands alone there. Shop names and cities refuse these characters
//! at /setup (`ShopName::parse`), notes at /charge (`parse_charge`); names saved before that
//! rule, and Telegram names (which nobody validates), are why showing strips them as well.

use std::borrow::Cow;
use std::fmt;

use unicode_bidi::{BidiClass, bidi_class};

use crate::khqr::{is_bidi_control, is_invisible};

/// First Strong Isolate and Pop Directional Isolate.
const FSI: char = '\u{2068}';
const PDI: char = '\u{2069}';
/// What a text with nothing visible left is shown as.
const NOTHING_VISIBLE: &str = "—";

/// A stranger's text on its way to being shown. `Display` gives its form for a message (see
/// the module doc); [`StrangerText::bare`] its form for a picture or a spreadsheet cell.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StrangerText<'a>(pub(crate) &'a str);

fn hidden(c: char) -> bool {
    is_bidi_control(c) || is_invisible(c)
}

/// Characters that end a bidi paragraph (class B) or are otherwise control characters: a
/// space in a message.
fn breaks_a_line(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

fn right_to_left(c: char) -> bool {
    matches!(bidi_class(c), BidiClass::R | BidiClass::AL | BidiClass::AN)
}

impl<'a> StrangerText<'a> {
    /// Without bidirectional controls and invisible characters, nothing else changed: for
    /// pictures and export cells, where the text stands alone.
    pub(crate) fn bare(self) -> Cow<'a, str> {
        if self.0.chars().any(hidden) {
            Cow::Owned(self.0.chars().filter(|&c| !hidden(c)).collect())
        } else {
            Cow::Borrowed(self.0)
        }
    }

    /// The message form as a `String` (what `t!` arguments take).
    pub(crate) fn shown(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for StrangerText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let visible = || {
            self.0
                .chars()
                .filter(|&c| !hidden(c))
                .map(|c| if breaks_a_line(c) { ' ' } else { c })
        };
        if self.0.is_empty() {
            return Ok(());
        }
        if visible().all(char::is_whitespace) {
            return f.write_str(NOTHING_VISIBLE);
        }
        let isolate = visible().any(right_to_left);
        if isolate {
            fmt::Write::write_char(f, FSI)?;
        }
        for c in visible() {
            fmt::Write::write_char(f, c)?;
        }
        if isolate {
            fmt::Write::write_char(f, PDI)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(s: &str) -> String {
        StrangerText(s).shown()
    }

    #[test]
    fn a_reversed_name_reads_as_it_is_written() {
        assert_eq!(shown("\u{202E}00.005$ diap ✅"), "00.005$ diap ✅");
        assert_eq!(
            shown("a\u{2066}b\u{2069}c\u{200E}d\u{202A}e\u{202C}\u{061C}"),
            "abcde"
        );
    }

    #[test]
    fn right_to_left_letters_are_isolated_and_cannot_break_out() {
        assert_eq!(shown("שלום"), "\u{2068}שלום\u{2069}");
        assert_eq!(shown("محمد 5"), "\u{2068}محمد 5\u{2069}");
        // Arabic-Indic digits too.
        assert_eq!(shown("٥٠٠"), "\u{2068}٥٠٠\u{2069}");
        // A PDI of its own or a paragraph break cannot end the isolation early.
        assert_eq!(
            shown("א\u{2069}\u{202E}b\nc\u{2029}d"),
            "\u{2068}אb c d\u{2069}"
        );
    }

    #[test]
    fn khmer_english_and_emoji_are_left_alone() {
        for s in [
            "Sokha Coffee",
            "ហាង\u{200B}កាហ្វេ",
            "ក្ក\u{200C}ខ",
            "👩\u{200D}🍳 ❤\u{FE0F}",
            "$5.00 (50%)",
        ] {
            assert_eq!(shown(s), s);
            assert!(matches!(StrangerText(s).bare(), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn invisible_names_show_a_dash_and_empty_stays_empty() {
        assert_eq!(shown("\u{3164}"), "—");
        assert_eq!(shown("\u{202E}\u{2060} \u{FEFF}"), "—");
        assert_eq!(shown(""), "");
    }

    #[test]
    fn bare_strips_but_neither_wraps_nor_joins_lines() {
        assert_eq!(
            StrangerText("\u{202E}tea\nשלום\u{00AD}").bare(),
            "tea\nשלום"
        );
    }
}
