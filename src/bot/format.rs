//! Small text helpers: Phnom Penh clock (UTC+7, no DST), masking, UTF-16 lengths.

use std::time::{SystemTime, UNIX_EPOCH};

/// Cambodia is UTC+7 all year.
const PHNOM_PENH_OFFSET_SECS: i64 = 7 * 3600;

/// Current unix time in seconds.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// `HH:MM` in Phnom Penh for a unix time.
pub fn phnom_penh_time(unix_secs: i64) -> String {
    let local = unix_secs + PHNOM_PENH_OFFSET_SECS;
    let secs_of_day = local.rem_euclid(86_400);
    format!("{:02}:{:02}", secs_of_day / 3600, (secs_of_day % 3600) / 60)
}

/// `YYYY-MM-DD` in Phnom Penh for a unix time.
pub fn phnom_penh_date(unix_secs: i64) -> String {
    let days = (unix_secs + PHNOM_PENH_OFFSET_SECS).div_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A token shown without revealing it: `•••• ` and its last four characters.
pub fn mask_secret(secret: &str) -> String {
    let tail: String = secret
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    if secret.chars().count() <= 8 {
        "••••".to_owned()
    } else {
        format!("••••{tail}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phnom_penh_clock() {
        // 2026-01-01T00:00:00Z is 07:00 in Phnom Penh.
        assert_eq!(phnom_penh_time(1_767_225_600), "07:00");
        assert_eq!(phnom_penh_date(1_767_225_600), "2026-01-01");
        // 2025-12-31T17:30:00Z is already 00:30 on New Year's Day there.
        assert_eq!(phnom_penh_time(1_767_202_200), "00:30");
        assert_eq!(phnom_penh_date(1_767_202_200), "2026-01-01");
        assert_eq!(phnom_penh_date(0), "1970-01-01");
        assert_eq!(phnom_penh_date(951_782_400), "2000-02-29");
    }

    #[test]
    fn masks_all_but_the_tail() {
        assert_eq!(
            mask_secret("eyJhbGciOiJIUzI1NiJ9.payload.sig1234"),
            "••••1234"
        );
        assert_eq!(mask_secret("short"), "••••");
    }
}
