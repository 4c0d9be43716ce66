//! `/history [today|yesterday|YYYY-MM-DD|week|month]`: which days, as unix-second ranges.
//!
//! Days are Phnom Penh days (Asia/Phnom_Penh = UTC+7 all year, no daylight saving since
//! 1975), so no time-zone database is needed. `week` runs from this week's Monday to today,
//! `month` from the 1st of this month to today; every range ends at the end of its last day
//! (exclusive bound), and the store compares `settled_at` / `created_at` against it.

use std::fmt;

use super::types::UnixSecs;

/// Asia/Phnom_Penh's offset from UTC, in seconds.
pub const PHNOM_PENH_OFFSET_SECS: i64 = 7 * 3600;

const SECS_PER_DAY: i64 = 86_400;

/// A calendar date in Phnom Penh (proleptic Gregorian), years 1970–9999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDate {
    year: i32,
    month: u8,
    day: u8,
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i32, month: u8, day: u8) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // day ∈ 1..=31 and month ∈ 1..=12 by construction.
    (year, month as u8, day as u8)
}

impl LocalDate {
    pub const MIN_YEAR: i32 = 1970;
    pub const MAX_YEAR: i32 = 9999;

    /// A valid date, or `None` (month 13, 29 February of a common year, year 10000…).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        let valid = (Self::MIN_YEAR..=Self::MAX_YEAR).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month);
        valid.then_some(Self { year, month, day })
    }

    pub fn year(self) -> i32 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day
    }

    fn days(self) -> i64 {
        days_from_civil(self.year, self.month, self.day)
    }

    fn from_days(days: i64) -> Self {
        let (year, month, day) = civil_from_days(days);
        let year = year.clamp(i64::from(Self::MIN_YEAR), i64::from(Self::MAX_YEAR));
        Self {
            year: year as i32, // ok: clamped into i32 range above
            month,
            day,
        }
    }

    /// The Phnom Penh date at the instant `unix`.
    pub fn at(unix: UnixSecs) -> Self {
        Self::from_days(
            unix.saturating_add(PHNOM_PENH_OFFSET_SECS)
                .div_euclid(SECS_PER_DAY),
        )
    }

    /// Phnom Penh midnight starting this day, in unix seconds.
    pub fn start(self) -> UnixSecs {
        self.days() * SECS_PER_DAY - PHNOM_PENH_OFFSET_SECS
    }

    /// Phnom Penh midnight ending this day (= start of the next), in unix seconds.
    pub fn end(self) -> UnixSecs {
        self.start() + SECS_PER_DAY
    }

    /// `n` days later (earlier when negative).
    pub fn add_days(self, n: i64) -> Self {
        Self::from_days(self.days().saturating_add(n))
    }

    /// Days since Monday: Monday 0 … Sunday 6.
    pub fn weekday_from_monday(self) -> u8 {
        // 1970-01-01 was a Thursday (3 days after a Monday).
        (self.days() + 3).rem_euclid(7) as u8 // ok: rem_euclid(7) < 7
    }

    /// Strict `YYYY-MM-DD`.
    pub fn parse_iso(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |s: &str| -> Option<u32> {
            s.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| s.parse().ok())
                .flatten()
        };
        let year = i32::try_from(digits(text.get(0..4)?)?).ok()?;
        let month = u8::try_from(digits(text.get(5..7)?)?).ok()?;
        let day = u8::try_from(digits(text.get(8..10)?)?).ok()?;
        Self::new(year, month, day)
    }
}

impl fmt::Display for LocalDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Which kind of period was asked for (for the reply's title).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Today,
    Yesterday,
    Day,
    Week,
    Month,
}

/// Whole Phnom Penh days from `first` to `last`, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub kind: PeriodKind,
    pub first: LocalDate,
    pub last: LocalDate,
}

impl Period {
    /// Inclusive lower bound, unix seconds.
    pub fn start(&self) -> UnixSecs {
        self.first.start()
    }

    /// Exclusive upper bound, unix seconds.
    pub fn end(&self) -> UnixSecs {
        self.last.end()
    }

    /// Whether `t` falls in the period.
    pub fn contains(&self, t: UnixSecs) -> bool {
        self.start() <= t && t < self.end()
    }
}

/// Why a `/history` argument was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("unknown period {0:?}: use today, yesterday, week, month or a date like 2025-01-31")]
    Unknown(String),
    #[error("{0:?} is not a valid date (YYYY-MM-DD)")]
    InvalidDate(String),
    #[error("{0} is still to come")]
    Future(LocalDate),
}

/// Parse the `/history` argument at instant `now`. Empty means `today`. English words are
/// case-insensitive; the Khmer words ថ្ងៃនេះ, ម្សិលមិញ, សប្តាហ៍ and ខែ are accepted too.
pub fn parse_period(arg: &str, now: UnixSecs) -> Result<Period, PeriodError> {
    let today = LocalDate::at(now);
    let arg = arg.trim();
    let word = arg.to_lowercase();
    let day = |kind, d| Period {
        kind,
        first: d,
        last: d,
    };
    match word.as_str() {
        "" | "today" | "ថ្ងៃនេះ" => Ok(day(PeriodKind::Today, today)),
        "yesterday" | "ម្សិលមិញ" => {
            Ok(day(PeriodKind::Yesterday, today.add_days(-1)))
        }
        "week" | "សប្តាហ៍" | "សប្ដាហ៍" => Ok(Period {
            kind: PeriodKind::Week,
            first: today.add_days(-i64::from(today.weekday_from_monday())),
            last: today,
        }),
        "month" | "ខែ" => Ok(Period {
            kind: PeriodKind::Month,
            first: LocalDate { day: 1, ..today },
            last: today,
        }),
        _ if looks_like_date(arg) => {
            let date = LocalDate::parse_iso(arg)
                .ok_or_else(|| PeriodError::InvalidDate(arg.to_owned()))?;
            if date > today {
                return Err(PeriodError::Future(date));
            }
            Ok(day(PeriodKind::Day, date))
        }
        _ => Err(PeriodError::Unknown(arg.to_owned())),
    }
}

fn looks_like_date(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b == b'-') && s.contains('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u8, d: u8) -> LocalDate {
        LocalDate::new(y, m, d).unwrap()
    }

    /// Unix time of a Phnom Penh wall-clock time.
    fn pp(y: i32, m: u8, d: u8, hh: i64, mm: i64, ss: i64) -> UnixSecs {
        date(y, m, d).start() + hh * 3600 + mm * 60 + ss
    }

    #[test]
    fn known_instants() {
        // 1970-01-01T00:00:00Z is 07:00 in Phnom Penh.
        assert_eq!(LocalDate::at(0), date(1970, 1, 1));
        assert_eq!(date(1970, 1, 2).start(), 86_400 - 7 * 3600);
        // 2024-02-29T00:00:00+07:00 = 2024-02-28T17:00:00Z = 1709139600.
        assert_eq!(date(2024, 2, 29).start(), 1_709_139_600);
        // 2025-01-01T00:00:00+07:00 = 2024-12-31T17:00:00Z = 1735664400.
        assert_eq!(date(2025, 1, 1).start(), 1_735_664_400);
    }

    #[test]
    fn day_boundary_is_midnight_in_phnom_penh_not_utc() {
        let midnight = date(2024, 3, 1).start();
        assert_eq!(LocalDate::at(midnight - 1), date(2024, 2, 29));
        assert_eq!(LocalDate::at(midnight), date(2024, 3, 1));
        // 23:30 UTC on 2024-02-29 is already 06:30 on 1 March in Phnom Penh.
        assert_eq!(LocalDate::at(1_709_249_400), date(2024, 3, 1));
    }

    #[test]
    fn leap_years() {
        assert!(LocalDate::new(2024, 2, 29).is_some());
        assert!(LocalDate::new(2000, 2, 29).is_some());
        assert!(LocalDate::new(2023, 2, 29).is_none());
        assert!(LocalDate::new(2100, 2, 29).is_none());
        assert_eq!(date(2024, 2, 28).add_days(1), date(2024, 2, 29));
        assert_eq!(date(2023, 2, 28).add_days(1), date(2023, 3, 1));
        assert_eq!(date(2100, 2, 28).add_days(1), date(2100, 3, 1));
        assert_eq!(date(2000, 2, 28).add_days(1), date(2000, 2, 29));
    }

    #[test]
    fn invalid_dates() {
        for (y, m, d) in [
            (2024, 0, 1),
            (2024, 13, 1),
            (2024, 4, 31),
            (2024, 1, 0),
            (1969, 12, 31),
            (10_000, 1, 1),
        ] {
            assert!(LocalDate::new(y, m, d).is_none(), "{y}-{m}-{d}");
        }
    }

    #[test]
    fn every_day_round_trips_and_lasts_86400_seconds() {
        let mut d = date(1970, 1, 1);
        let mut expected_start = -7 * 3600;
        for _ in 0..(366 * 60) {
            assert_eq!(d.start(), expected_start, "{d}");
            assert_eq!(LocalDate::at(d.start()), d);
            assert_eq!(LocalDate::at(d.end() - 1), d);
            assert_eq!(LocalDate::parse_iso(&d.to_string()), Some(d));
            let next = d.add_days(1);
            assert!(next > d);
            assert_eq!(next.add_days(-1), d);
            expected_start += 86_400;
            d = next;
        }
    }

    #[test]
    fn weekdays() {
        assert_eq!(date(1970, 1, 1).weekday_from_monday(), 3); // Thursday
        assert_eq!(date(2024, 2, 26).weekday_from_monday(), 0); // Monday
        assert_eq!(date(2024, 3, 3).weekday_from_monday(), 6); // Sunday
        assert_eq!(date(2026, 11, 28).weekday_from_monday(), 5); // Saturday
    }

    #[test]
    fn parse_iso_is_strict() {
        assert_eq!(LocalDate::parse_iso("2024-02-29"), Some(date(2024, 2, 29)));
        for bad in [
            "2024-2-29",
            "2024-02-29 ",
            "24-02-29",
            "2024/02/29",
            "2024-02-30",
            "+024-02-01",
            "2024-0a-01",
            "２０２４-02-01",
        ] {
            assert_eq!(LocalDate::parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn today_and_yesterday() {
        let now = pp(2025, 1, 1, 0, 30, 0);
        let p = parse_period("", now).unwrap();
        assert_eq!(
            (p.kind, p.first, p.last),
            (PeriodKind::Today, date(2025, 1, 1), date(2025, 1, 1))
        );
        assert_eq!(p.start(), 1_735_664_400);
        assert_eq!(p.end(), 1_735_664_400 + 86_400);
        assert_eq!(parse_period("Today", now).unwrap(), p);
        assert_eq!(parse_period("ថ្ងៃនេះ", now).unwrap(), p);

        let y = parse_period("yesterday", now).unwrap();
        assert_eq!(
            (y.kind, y.first, y.last),
            (
                PeriodKind::Yesterday,
                date(2024, 12, 31),
                date(2024, 12, 31)
            )
        );
        assert_eq!(y.end(), p.start());
        assert_eq!(parse_period(" ម្សិលមិញ ", now).unwrap(), y);
    }

    #[test]
    fn today_follows_phnom_penh_midnight() {
        // 16:59:59 UTC is 23:59:59 in Phnom Penh; one second later it is tomorrow there.
        let before = date(2024, 3, 1).start() - 1;
        assert_eq!(
            parse_period("today", before).unwrap().first,
            date(2024, 2, 29)
        );
        assert_eq!(
            parse_period("today", before + 1).unwrap().first,
            date(2024, 3, 1)
        );
        assert_eq!(
            parse_period("yesterday", before + 1).unwrap().first,
            date(2024, 2, 29)
        );
    }

    #[test]
    fn week_starts_on_monday_and_may_cross_months_and_years() {
        // Sunday 2024-03-03: week = Mon 26 Feb .. Sun 3 Mar.
        let p = parse_period("week", pp(2024, 3, 3, 20, 0, 0)).unwrap();
        assert_eq!((p.first, p.last), (date(2024, 2, 26), date(2024, 3, 3)));
        assert_eq!(p.end() - p.start(), 7 * 86_400);
        // Monday: just today.
        let p = parse_period("WEEK", pp(2024, 2, 26, 0, 0, 0)).unwrap();
        assert_eq!((p.first, p.last), (date(2024, 2, 26), date(2024, 2, 26)));
        // Wednesday 2025-01-01: from Monday 2024-12-30.
        let p = parse_period("សប្តាហ៍", pp(2025, 1, 1, 12, 0, 0)).unwrap();
        assert_eq!(
            (p.kind, p.first, p.last),
            (PeriodKind::Week, date(2024, 12, 30), date(2025, 1, 1))
        );
    }

    #[test]
    fn month_runs_from_the_first() {
        let p = parse_period("month", pp(2024, 2, 29, 23, 59, 59)).unwrap();
        assert_eq!(
            (p.kind, p.first, p.last),
            (PeriodKind::Month, date(2024, 2, 1), date(2024, 2, 29))
        );
        assert_eq!(p.end() - p.start(), 29 * 86_400);
        assert!(p.contains(date(2024, 2, 1).start()));
        assert!(!p.contains(date(2024, 2, 1).start() - 1));
        assert!(!p.contains(date(2024, 3, 1).start()));
        // One second later it is March: just the 1st.
        let p = parse_period("ខែ", pp(2024, 3, 1, 0, 0, 0)).unwrap();
        assert_eq!((p.first, p.last), (date(2024, 3, 1), date(2024, 3, 1)));
        // January.
        let p = parse_period("Month", pp(2025, 1, 15, 8, 0, 0)).unwrap();
        assert_eq!((p.first, p.last), (date(2025, 1, 1), date(2025, 1, 15)));
    }

    #[test]
    fn a_given_date() {
        let now = pp(2024, 3, 10, 9, 0, 0);
        let p = parse_period("2024-02-29", now).unwrap();
        assert_eq!(
            (p.kind, p.first, p.last),
            (PeriodKind::Day, date(2024, 2, 29), date(2024, 2, 29))
        );
        assert_eq!(p.start(), 1_709_139_600);
        assert_eq!(
            parse_period("2024-03-10", now).unwrap().first,
            date(2024, 3, 10)
        );
        assert_eq!(
            parse_period("2024-03-11", now),
            Err(PeriodError::Future(date(2024, 3, 11)))
        );
        assert_eq!(
            parse_period("2023-02-29", now),
            Err(PeriodError::InvalidDate("2023-02-29".into()))
        );
        assert_eq!(
            parse_period("2024-3-1", now),
            Err(PeriodError::InvalidDate("2024-3-1".into()))
        );
    }

    #[test]
    fn unknown_words() {
        for bad in ["tomorrow", "last week", "31/01/2024", "all", "7"] {
            assert_eq!(
                parse_period(bad, 0),
                Err(PeriodError::Unknown(bad.into())),
                "{bad}"
            );
        }
    }
}
