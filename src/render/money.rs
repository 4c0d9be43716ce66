//! Amounts as people read them on the card and in captions.

/// Formats an amount in minor units for display: US cents as `$1,234.50`, riel as `12,000 ៛`.
///
/// USD always shows two decimals (`$5.00`); KHR has no minor unit in KHQR, so `minor` is whole
/// riel. Thousands are grouped with commas.
pub fn format_money(minor: u64, usd: bool) -> String {
    if usd {
        format!("${}.{:02}", group_thousands(minor / 100), minor % 100)
    } else {
        format!("{} ៛", group_thousands(minor))
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
    use super::format_money;

    #[test]
    fn usd_shows_cents_and_groups_thousands() {
        assert_eq!(format_money(500, true), "$5.00");
        assert_eq!(format_money(123_450, true), "$1,234.50");
        assert_eq!(format_money(5, true), "$0.05");
        assert_eq!(format_money(0, true), "$0.00");
        assert_eq!(
            format_money(99_999_999_999_999, true),
            "$999,999,999,999.99"
        );
    }

    #[test]
    fn khr_is_whole_riel_with_the_riel_sign() {
        assert_eq!(format_money(12_000, false), "12,000 ៛");
        assert_eq!(format_money(100, false), "100 ៛");
        assert_eq!(format_money(1_000_000, false), "1,000,000 ៛");
        assert_eq!(
            format_money(u64::MAX, false),
            "18,446,744,073,709,551,615 ៛"
        );
    }
}
