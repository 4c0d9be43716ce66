//! A charge's bill number, and the short reference every card and message shows of it.
//!
//! **The bill number** (`KB` and 12 characters) is unique in the database
//! (`charges.bill_number` is UNIQUE; a taken one is drawn again). It is the QR's tag 62-01,
//! so it is what the customer's bank records with the payment, and it is what `/check`,
//! `/export` (column "Bill number") and Bakong support go by. It is too long to compare at a
//! glance, so people are shown its tail instead.
//!
//! **The reference** ([`BillRef`]) is `#` and the bill number's last [`REF_LEN`] characters:
//! `KB7Q4M2HXK9RW3` → `#XK9RW3`. Every card (the QR card, the status card), caption, notice,
//! listing and export row of a charge shows the same one, so a seller can put a message next
//! to the card it is about. It is read off the bill number, never stored, so old charges have
//! one too, and the export shows both side by side.
//!
//! **Why six characters are enough for one seller's day.** New bill numbers draw each
//! character uniformly from [`BILL_ALPHABET`], 31 symbols, so a reference is one of
//! 31⁶ ≈ 887 million. Among n charges the chance that any two share a reference is about
//! n² / (2 · 31⁶): 1 in 44,000 for a stall's busy day of 200 charges, 1 in 1,800 for 1,000.
//! Should it happen, the two messages still differ in amount, note and time, and the full
//! bill number in `/export` and `/check` tells them apart. A reference is not an identifier:
//! nothing looks a charge up by it.
//!
//! **Characters people confuse.** [`BILL_ALPHABET`] leaves out `0`/`O`, `1`/`I` and `L`, so
//! a reference read aloud or copied by hand cannot be misread. Bill numbers drawn before
//! (upper-cased letters and digits, all 36) keep their characters: their reference shows the
//! tail as it is, since it must match the bill number the bank recorded.

use std::fmt;

use rand::Rng;

/// What every bill number starts with.
pub const BILL_PREFIX: &str = "KB";

/// Random characters after [`BILL_PREFIX`] (KHQR's tag 62-01 takes up to 25).
pub const BILL_RANDOM_LEN: usize = 12;

/// The symbols of new bill numbers: digits and upper-case letters without `0`, `1`, `I`, `L`
/// and `O`.
pub const BILL_ALPHABET: &[u8; 31] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Characters of the bill number a reference shows.
pub const REF_LEN: usize = 6;

/// A fresh bill number: [`BILL_PREFIX`] and [`BILL_RANDOM_LEN`] characters drawn uniformly
/// from [`BILL_ALPHABET`].
pub fn new_bill_number() -> String {
    let mut rng = rand::rng();
    let mut bill = String::with_capacity(BILL_PREFIX.len() + BILL_RANDOM_LEN);
    bill.push_str(BILL_PREFIX);
    for _ in 0..BILL_RANDOM_LEN {
        let i = rng.random_range(0..BILL_ALPHABET.len());
        bill.push(char::from(BILL_ALPHABET[i]));
    }
    bill
}

/// The short reference of a bill number: `#` and its last [`REF_LEN`] characters (the whole
/// bill number when it is shorter). See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BillRef(String);

impl BillRef {
    /// The reference of `bill_number` (a charge's `bill_number`).
    pub fn of(bill_number: &str) -> Self {
        let bill = bill_number.trim();
        let start = bill
            .char_indices()
            .rev()
            .nth(REF_LEN - 1)
            .map_or(0, |(at, _)| at);
        let tail = bill.get(start..).unwrap_or(bill);
        Self(format!("#{tail}"))
    }

    /// `#XK9RW3`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BillRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn the_reference_is_the_tail_of_the_bill_number() {
        assert_eq!(BillRef::of("KB7Q4M2HXK9RW3").as_str(), "#XK9RW3");
        // Bills of the old alphabet show their tail as it is: it must match the bank's record.
        assert_eq!(BillRef::of("KB3F9Q0ZX7A1B2").as_str(), "#X7A1B2");
        assert_eq!(BillRef::of("KB1").as_str(), "#KB1");
        assert_eq!(BillRef::of("KB0001").as_str(), "#KB0001");
        assert_eq!(BillRef::of(" KB7Q4M2HXK9RW3 ").to_string(), "#XK9RW3");
        assert_eq!(BillRef::of("").as_str(), "#");
    }

    #[test]
    fn new_bill_numbers_avoid_characters_people_confuse() {
        let alphabet: HashSet<u8> = BILL_ALPHABET.iter().copied().collect();
        assert_eq!(alphabet.len(), BILL_ALPHABET.len(), "a symbol listed twice");
        for confused in *b"01ILO" {
            assert!(!alphabet.contains(&confused), "{}", char::from(confused));
        }
        let mut seen = HashSet::new();
        for _ in 0..2_000 {
            let bill = new_bill_number();
            assert_eq!(bill.len(), BILL_PREFIX.len() + BILL_RANDOM_LEN, "{bill}");
            let random = bill.strip_prefix(BILL_PREFIX).expect("the prefix");
            assert!(random.bytes().all(|b| alphabet.contains(&b)), "{bill}");
            // What the callback data and "Send to customer" accept.
            assert!(
                bill.bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
            );
            seen.extend(random.bytes());
        }
        // Uniform draws over 24,000 characters use every symbol.
        assert_eq!(seen, alphabet);
    }
}
