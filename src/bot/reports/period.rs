//! `/history` and `/export` periods (`today|yesterday|week|month|YYYY-MM-DD|YYYY-MM|
//! YYYY-MM-DD..YYYY-MM-DD`): which days, as unix-second ranges. One parser for both commands.
//!
//! Days are Phnom Penh days ([`crate::time::LocalDate`]: UTC+7 all year, no daylight
//! saving). `week` runs from this week's Monday to today,
//! `month` from the 1st of this month to today, `YYYY-MM` is that whole month (up to today
//! for the current one), and `A..B` runs from day A to day B inclusive, at most
//! [`MAX_SPAN_DAYS`] days; nothing may lie in the future. Every range ends at the end of its
//! last day (exclusive bound), and the store compares `paid_at` / `settled_at` against it.

pub use crate::time::LocalDate;
use crate::time::UnixSecs;

/// Which kind of period was asked for (for the reply's title).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodKind {
    Today,
    Yesterday,
    Day,
    Week,
    Month,
    /// A whole calendar month, `YYYY-MM` (up to today when it is the current month).
    MonthOf,
    /// `YYYY-MM-DD..YYYY-MM-DD`.
    Range,
}

/// The longest `A..B` range, in days (a year and a day: a leap year fits).
pub const MAX_SPAN_DAYS: i64 = 366;

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
    #[error("the range ends ({last}) before it starts ({first})")]
    Reversed { first: LocalDate, last: LocalDate },
    #[error("the range spans {days} days; at most {MAX_SPAN_DAYS}")]
    TooLong { days: i64 },
}

/// Parse the `/history` or `/export` argument at instant `now`. Empty means `today`. English
/// words are case-insensitive; the Khmer words ថ្ងៃនេះ, ម្សិលមិញ, សប្តាហ៍ and ខែ are accepted
/// too.
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
            first: today.week_start(),
            last: today,
        }),
        "month" | "ខែ" => Ok(Period {
            kind: PeriodKind::Month,
            first: today.month_start(),
            last: today,
        }),
        _ if arg.contains("..") => parse_range(arg, today),
        _ if looks_like_month(arg) => parse_month(arg, today),
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

/// `YYYY-MM-DD..YYYY-MM-DD` (spaces around `..` allowed).
fn parse_range(arg: &str, today: LocalDate) -> Result<Period, PeriodError> {
    let (a, b) = arg
        .split_once("..")
        .ok_or_else(|| PeriodError::Unknown(arg.to_owned()))?;
    let date = |s: &str| {
        let s = s.trim();
        if !looks_like_date(s) {
            return Err(PeriodError::Unknown(arg.to_owned()));
        }
        LocalDate::parse_iso(s).ok_or_else(|| PeriodError::InvalidDate(s.to_owned()))
    };
    let (first, last) = (date(a)?, date(b)?);
    if last < first {
        return Err(PeriodError::Reversed { first, last });
    }
    if last > today {
        return Err(PeriodError::Future(last));
    }
    let days = (last.start() - first.start()) / crate::time::SECS_PER_DAY + 1;
    if days > MAX_SPAN_DAYS {
        return Err(PeriodError::TooLong { days });
    }
    Ok(Period {
        kind: PeriodKind::Range,
        first,
        last,
    })
}

/// `YYYY-MM`: the whole month, up to today for the current one.
fn parse_month(arg: &str, today: LocalDate) -> Result<Period, PeriodError> {
    let invalid = || PeriodError::InvalidDate(arg.to_owned());
    let year = arg
        .get(0..4)
        .and_then(|y| y.parse().ok())
        .ok_or_else(invalid)?;
    let month = arg
        .get(5..7)
        .and_then(|m| m.parse().ok())
        .ok_or_else(invalid)?;
    let first = LocalDate::new(year, month, 1).ok_or_else(invalid)?;
    if first > today {
        return Err(PeriodError::Future(first));
    }
    // The last day of the month: the day before the 1st of the next one.
    let last = first.add_days(31).month_start().add_days(-1).min(today);
    Ok(Period {
        kind: PeriodKind::MonthOf,
        first,
        last,
    })
}

/// Exactly `NNNN-NN`.
fn looks_like_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
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
    fn a_whole_month() {
        let now = pp(2024, 3, 10, 9, 0, 0);
        let p = parse_period("2024-02", now).unwrap();
        assert_eq!(
            (p.kind, p.first, p.last),
            (PeriodKind::MonthOf, date(2024, 2, 1), date(2024, 2, 29))
        );
        assert_eq!(p.end(), date(2024, 3, 1).start());
        let p = parse_period("2023-12", now).unwrap();
        assert_eq!((p.first, p.last), (date(2023, 12, 1), date(2023, 12, 31)));
        let p = parse_period("2023-02", now).unwrap();
        assert_eq!(p.last, date(2023, 2, 28));
        // The current month: up to today.
        let p = parse_period("2024-03", now).unwrap();
        assert_eq!((p.first, p.last), (date(2024, 3, 1), date(2024, 3, 10)));
        assert_eq!(
            parse_period("2024-04", now),
            Err(PeriodError::Future(date(2024, 4, 1)))
        );
        for bad in ["2024-13", "2024-00", "1969-12"] {
            assert_eq!(
                parse_period(bad, now),
                Err(PeriodError::InvalidDate(bad.into())),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_range_of_days() {
        let now = pp(2024, 3, 10, 9, 0, 0);
        let p = parse_period("2024-02-28..2024-03-02", now).unwrap();
        assert_eq!(
            (p.kind, p.first, p.last),
            (PeriodKind::Range, date(2024, 2, 28), date(2024, 3, 2))
        );
        assert_eq!(p.end() - p.start(), 4 * 86_400);
        assert_eq!(parse_period("2024-02-28 .. 2024-03-02", now).unwrap(), p);
        // One day, and up to today.
        let p = parse_period("2024-03-10..2024-03-10", now).unwrap();
        assert_eq!((p.first, p.last), (date(2024, 3, 10), date(2024, 3, 10)));
        assert_eq!(
            parse_period("2024-03-02..2024-02-28", now),
            Err(PeriodError::Reversed {
                first: date(2024, 3, 2),
                last: date(2024, 2, 28)
            })
        );
        assert_eq!(
            parse_period("2024-03-01..2024-03-11", now),
            Err(PeriodError::Future(date(2024, 3, 11)))
        );
        // 366 days is the most (2023-03-10 .. 2024-03-09 is 366 days: 2024 is leap).
        assert!(parse_period("2023-03-10..2024-03-09", now).is_ok());
        assert_eq!(
            parse_period("2023-03-09..2024-03-09", now),
            Err(PeriodError::TooLong { days: 367 })
        );
        assert_eq!(
            parse_period("2024-02-30..2024-03-01", now),
            Err(PeriodError::InvalidDate("2024-02-30".into()))
        );
        for bad in ["2024-02-01..", "..2024-02-01", "2024-02-01..week", "a..b"] {
            assert_eq!(
                parse_period(bad, now),
                Err(PeriodError::Unknown(bad.into())),
                "{bad}"
            );
        }
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
