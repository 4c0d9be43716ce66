//! What names a charge wherever it is shown: its short reference ([`BillRef`]) and its note,
//! whole. Every caption, status card, notice and listing about a charge takes them from
//! here, so a seller can lay any message next to the card it is about and see the same
//! `#XK9RW3` and the same words.
//!
//! The note is a stranger's text: messages take its [`StrangerText::shown`] form, pictures
//! its [`StrangerText::bare`] form.

use std::borrow::Cow;

use crate::store::Charge;

use super::bill_ref::BillRef;
use crate::bot::stranger_text::StrangerText;

/// A charge's reference and note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::bot) struct ChargeLabel<'a> {
    reference: BillRef,
    note: Option<&'a str>,
}

impl<'a> ChargeLabel<'a> {
    /// The label of the charge with bill number `bill` and note `note` (a blank note is none).
    pub(in crate::bot) fn new(bill: &str, note: Option<&'a str>) -> Self {
        Self {
            reference: BillRef::of(bill),
            note: note.filter(|n| !n.trim().is_empty()),
        }
    }

    /// The label of `charge`.
    pub(in crate::bot) fn of(charge: &'a Charge) -> Self {
        Self::new(&charge.bill_number, charge.note.as_deref())
    }

    /// `#XK9RW3`.
    pub(in crate::bot) fn reference(&self) -> &BillRef {
        &self.reference
    }

    /// The note as a picture draws it (see the module documentation).
    pub(in crate::bot) fn note_bare(&self) -> Option<Cow<'a, str>> {
        self.note.map(|n| StrangerText(n).bare())
    }

    /// The note as a message shows it.
    pub(in crate::bot) fn note_shown(&self) -> Option<String> {
        self.note.map(|n| StrangerText(n).shown())
    }

    /// The line of a caption or message: `🧾 #XK9RW3 · 📝 iced coffee`, or `🧾 #XK9RW3`.
    /// Symbols and the seller's own words only, so the same in every language.
    pub(in crate::bot) fn line(&self) -> String {
        let reference = self.reference.as_str();
        match self.note_shown() {
            Some(note) => format!("🧾 {reference} · 📝 {note}"),
            None => format!("🧾 {reference}"),
        }
    }

    /// `text` with the label as its second line (after the headline), or as its only
    /// other line: how captions and notices carry it.
    pub(in crate::bot) fn under_headline(&self, text: &str) -> String {
        let line = self.line();
        match text.split_once('\n') {
            Some((head, rest)) => format!("{head}\n{line}\n{rest}"),
            None => format!("{text}\n{line}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_has_the_reference_and_the_whole_note() {
        let note = "ការ៉េមដូង និងកាហ្វេទឹកដោះគោទឹកកក ពីរកែវ ".repeat(2);
        let label = ChargeLabel::new("KB7Q4M2HXK9RW3", Some(&note));
        let line = label.line();
        assert!(line.contains("#XK9RW3"), "{line}");
        assert!(line.contains(note.trim_end()), "{line}");
        let bare = ChargeLabel::new("KB7Q4M2HXK9RW3", None).line();
        assert_eq!(bare, "🧾 #XK9RW3");
    }

    #[test]
    fn a_note_is_shown_as_stranger_text() {
        let label = ChargeLabel::new("KB7Q4M2HXK9RW3", Some("a\u{202e}b"));
        assert_eq!(label.note_bare().as_deref(), Some("ab"));
        assert!(!label.line().contains('\u{202e}'));
        assert_eq!(
            ChargeLabel::new("KB7Q4M2HXK9RW3", Some("  ")).note_shown(),
            None
        );
    }

    #[test]
    fn the_label_goes_under_the_headline() {
        let label = ChargeLabel::new("KB7Q4M2HXK9RW3", Some("latte"));
        assert_eq!(
            label.under_headline("Paid\nFrom x"),
            "Paid\n🧾 #XK9RW3 · 📝 latte\nFrom x"
        );
        assert_eq!(label.under_headline("Paid"), "Paid\n🧾 #XK9RW3 · 📝 latte");
    }
}
