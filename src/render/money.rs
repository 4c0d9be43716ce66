//! Amounts as people read them on the card and in captions.

use crate::khqr::{Amount, Currency};

/// Formats an amount for display: US cents as `$1,234.50`, riel as `12,000 ៛`.
///
/// USD always shows two decimals (`$5.00`); KHR has no minor unit in KHQR, so it shows whole
/// riel. Thousands are grouped with commas.
pub fn format_money(amount: Amount) -> String {
    format_minor_units(amount.minor(), amount.currency())
}

/// [`format_money`] for a number of minor units that need not fit a KHQR amount (tag 54's
/// 13 characters): the totals of `/history`, and amounts other systems (Bakong) report.
pub fn format_minor_units(minor: u64, currency: Currency) -> String {
    match currency {
        Currency::Usd => format!("${}.{:02}", group_thousands(minor / 100), minor % 100),
        Currency::Khr => format!("{} ៛", group_thousands(minor)),
    }
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: u64) -> String {
        format_money(Amount::from_minor(minor, Currency::Usd).unwrap())
    }

    fn khr(minor: u64) -> String {
        format_money(Amount::from_minor(minor, Currency::Khr).unwrap())
    }

    #[test]
    fn usd_shows_cents_and_groups_thousands() {
        assert_eq!(usd(500), "$5.00");
        assert_eq!(usd(123_450), "$1,234.50");
        assert_eq!(usd(5), "$0.05");
        assert_eq!(usd(0), "$0.00");
        // Beyond a KHQR amount (a total).
        assert_eq!(
            format_minor_units(99_999_999_999_999, Currency::Usd),
            "$999,999,999,999.99"
        );
        assert_eq!(usd(999_999_999_999), "$9,999,999,999.99");
    }

    #[test]
    fn khr_is_whole_riel_with_the_riel_sign() {
        assert_eq!(khr(12_000), "12,000 ៛");
        assert_eq!(khr(100), "100 ៛");
        assert_eq!(khr(1_000_000), "1,000,000 ៛");
        assert_eq!(
            format_minor_units(u64::MAX, Currency::Khr),
            "18,446,744,073,709,551,615 ៛"
        );
        assert_eq!(khr(9_999_999_999_999), "9,999,999,999,999 ៛");
    }
}
