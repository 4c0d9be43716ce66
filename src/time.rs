//! Time for the whole crate: instants as unix seconds, Phnom Penh calendar dates and their
//! `[start, end)` ranges, the `HH:MM` / `YYYY-MM-DD` texts the bot prints, and the one
//! injectable [`Clock`].
//!
//! Sellers live in Phnom Penh (Asia/Phnom_Penh): UTC+7 all year, with no daylight saving and
//! no change of offset since 1920 (the tz database links it to Asia/Bangkok). So a fixed
//! [`chrono::FixedOffset`] ([`PHNOM_PENH`]) is exact for every instant the bot stores (from
//! 1970 on), and no time-zone database (chrono-tz and its tables) is compiled in. The
//! calendar arithmetic (days, months, leap years, weekdays) is chrono's; none is written by
//! hand here.
//!
//! Layering: this module sits at the bottom beside `khqr`; it imports nothing of the crate.
//! Code that needs "now" takes a [`SharedClock`] (production: [`system_clock`]; tests:
//! [`TestClock`]) or, for pure rules, a `now` argument.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveTime, Utc};

/// Unix time in whole seconds (what the store keeps in `INTEGER` columns).
pub type UnixSecs = i64;

/// Seconds in a Phnom Penh day (always 86 400: no daylight saving, no leap seconds in unix
/// time).
pub const SECS_PER_DAY: i64 = 86_400;

/// Asia/Phnom_Penh: UTC+7.
pub const PHNOM_PENH: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"), // ok: evaluated at compile time
};

/// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: what [`utc`] clamps to (chrono cannot show
/// its own first and last instants on a UTC+7 wall clock).
const FIRST_SECS: UnixSecs = -62_135_596_800;
const LAST_SECS: UnixSecs = 253_402_300_799;

/// The instant `unix` in UTC, clamped into the years 1–9999.
pub fn utc(unix: UnixSecs) -> DateTime<Utc> {
    let clamped = unix.clamp(FIRST_SECS, LAST_SECS);
    DateTime::from_timestamp(clamped, 0).unwrap_or_default() // always Some within the clamp
}

/// The instant `unix` on Phnom Penh's wall clock.
pub fn in_phnom_penh(unix: UnixSecs) -> DateTime<FixedOffset> {
    utc(unix).with_timezone(&PHNOM_PENH)
}

/// `HH:MM` in Phnom Penh at the instant `unix`.
pub fn phnom_penh_time(unix: UnixSecs) -> String {
    in_phnom_penh(unix).format("%H:%M").to_string()
}

/// `YYYY-MM-DD` in Phnom Penh at the instant `unix` (the calendar date itself, not clamped
/// like [`LocalDate::at`]).
pub fn phnom_penh_date(unix: UnixSecs) -> String {
    in_phnom_penh(unix).format("%Y-%m-%d").to_string()
}

/// `YYYY-MM-DD HH:MM` in Phnom Penh at the instant `unix`.
pub fn phnom_penh_date_time(unix: UnixSecs) -> String {
    in_phnom_penh(unix).format("%Y-%m-%d %H:%M").to_string()
}

/// A calendar date in Phnom Penh (proleptic Gregorian), 1970-01-01 to 9999-12-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalDate(NaiveDate);

impl LocalDate {
    pub const MIN_YEAR: i32 = 1970;
    pub const MAX_YEAR: i32 = 9999;

    const MIN: LocalDate = match NaiveDate::from_ymd_opt(Self::MIN_YEAR, 1, 1) {
        Some(d) => LocalDate(d),
        None => panic!("1970-01-01 exists"), // ok: evaluated at compile time
    };
    const MAX: LocalDate = match NaiveDate::from_ymd_opt(Self::MAX_YEAR, 12, 31) {
        Some(d) => LocalDate(d),
        None => panic!("9999-12-31 exists"), // ok: evaluated at compile time
    };

    /// A valid date, or `None` (month 13, 29 February of a common year, year 10000…).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Self> {
        NaiveDate::from_ymd_opt(year, u32::from(month), u32::from(day))
            .map(LocalDate)
            .filter(|d| (Self::MIN..=Self::MAX).contains(d))
    }

    /// Clamped into `MIN..=MAX`.
    fn clamped(date: NaiveDate) -> Self {
        LocalDate(date).clamp(Self::MIN, Self::MAX)
    }

    pub fn year(self) -> i32 {
        self.0.year()
    }
    pub fn month(self) -> u8 {
        self.0.month() as u8 // ok: 1..=12
    }
    pub fn day(self) -> u8 {
        self.0.day() as u8 // ok: 1..=31
    }

    /// The Phnom Penh date at the instant `unix`; instants before 1970-01-01 or after
    /// 9999-12-31 (Phnom Penh) give the first or last date.
    pub fn at(unix: UnixSecs) -> Self {
        Self::clamped(in_phnom_penh(unix).date_naive())
    }

    /// Phnom Penh midnight starting this day, in unix seconds.
    pub fn start(self) -> UnixSecs {
        (self.0.and_time(NaiveTime::MIN) - PHNOM_PENH)
            .and_utc()
            .timestamp()
    }

    /// Phnom Penh midnight ending this day (= start of the next), in unix seconds.
    pub fn end(self) -> UnixSecs {
        self.start() + SECS_PER_DAY
    }

    /// `n` days later (earlier when negative), clamped into `MIN..=MAX`.
    pub fn add_days(self, n: i64) -> Self {
        let days = Days::new(n.unsigned_abs());
        let moved = if n >= 0 {
            self.0.checked_add_days(days)
        } else {
            self.0.checked_sub_days(days)
        };
        moved.map_or(if n >= 0 { Self::MAX } else { Self::MIN }, Self::clamped)
    }

    /// Days since Monday: Monday 0 … Sunday 6.
    pub fn weekday_from_monday(self) -> u8 {
        self.0.weekday().num_days_from_monday() as u8 // ok: 0..=6
    }

    /// The Monday of this date's week (this date, if a Monday), clamped to `MIN`.
    pub fn week_start(self) -> Self {
        self.add_days(-i64::from(self.weekday_from_monday()))
    }

    /// The 1st of this date's month.
    pub fn month_start(self) -> Self {
        Self::clamped(self.0.with_day(1).unwrap_or(self.0)) // day 1 exists in every month
    }

    /// Strict `YYYY-MM-DD`: exactly four, two and two ASCII digits.
    pub fn parse_iso(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let shape = b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
        if !shape {
            return None;
        }
        let year = text.get(0..4)?.parse().ok()?;
        let month = text.get(5..7)?.parse().ok()?;
        let day = text.get(8..10)?.parse().ok()?;
        Self::new(year, month, day)
    }
}

impl fmt::Display for LocalDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// Where "now" comes from. The process has one, shared as a [`SharedClock`]: the watcher's
/// loops, the handlers and the outbox all read the same one, so a test that moves it moves
/// every part of the bot together.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;

    /// The current instant in whole unix seconds.
    fn unix_secs(&self) -> UnixSecs {
        self.now().timestamp()
    }

    /// The current instant in unix milliseconds.
    fn unix_ms(&self) -> i64 {
        self.now().timestamp_millis()
    }

    /// The database's clock as this process should take it, given what the database reads
    /// (`db_ms`, unix milliseconds): as it is. The database is the one clock every replica
    /// shares, so leases, expiry and schedules are judged by it, whatever this machine's
    /// clock says. A test clock moves it with itself (see [`TestClock`]).
    fn database_ms(&self, db_ms: i64) -> i64 {
        db_ms
    }
}

/// The clock as the process shares it.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock, shared.
pub fn system_clock() -> SharedClock {
    Arc::new(SystemClock)
}

/// A clock tests set and move: either frozen at an instant ([`TestClock::frozen_at`]) or
/// running with the system clock, shifted ([`TestClock::following_system`]; for end-to-end
/// tests whose other parts, such as the Bakong sandbox, read the real time). Clones share
/// one time.
#[derive(Debug, Clone)]
pub struct TestClock {
    state: Arc<TestClockState>,
}

#[derive(Debug)]
struct TestClockState {
    /// `true`: `ms` is an offset from the system clock; `false`: the frozen instant.
    follows_system: bool,
    ms: AtomicI64,
}

impl TestClock {
    /// Stopped at `unix` seconds until set or advanced.
    pub fn frozen_at(unix: UnixSecs) -> Self {
        Self::with(false, unix.saturating_mul(1000))
    }

    /// The system clock, shifted by nothing until set or advanced.
    pub fn following_system() -> Self {
        Self::with(true, 0)
    }

    fn with(follows_system: bool, ms: i64) -> Self {
        Self {
            state: Arc::new(TestClockState {
                follows_system,
                ms: AtomicI64::new(ms),
            }),
        }
    }

    /// Moves the clock by `secs` (back when negative).
    pub fn advance_secs(&self, secs: i64) {
        self.state
            .ms
            .fetch_add(secs.saturating_mul(1000), Ordering::SeqCst);
    }

    /// Makes it `unix` seconds now (a following clock keeps running from there).
    pub fn set_unix_secs(&self, unix: UnixSecs) {
        let target = unix.saturating_mul(1000);
        let ms = if self.state.follows_system {
            target.saturating_sub(SystemClock.unix_ms())
        } else {
            target
        };
        self.state.ms.store(ms, Ordering::SeqCst);
    }

    /// As a [`SharedClock`] (sharing this clock's time).
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let ms = self.state.ms.load(Ordering::SeqCst);
        let ms = if self.state.follows_system {
            SystemClock.unix_ms().saturating_add(ms)
        } else {
            ms
        };
        utc(ms.div_euclid(1000)) + chrono::TimeDelta::milliseconds(ms.rem_euclid(1000))
    }

    /// A test moves the database's clock with this one: a following clock shifts it by as
    /// much as it is shifted itself (so advancing it lapses leases and ends charges as time
    /// passing would), a frozen one stands in for it.
    fn database_ms(&self, db_ms: i64) -> i64 {
        let ms = self.state.ms.load(Ordering::SeqCst);
        if self.state.follows_system {
            db_ms.saturating_add(ms)
        } else {
            ms
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn date(y: i32, m: u8, d: u8) -> LocalDate {
        LocalDate::new(y, m, d).unwrap()
    }

    /// Unix time of a Phnom Penh wall-clock time.
    fn pp(y: i32, m: u8, d: u8, hh: i64, mm: i64, ss: i64) -> UnixSecs {
        date(y, m, d).start() + hh * 3600 + mm * 60 + ss
    }

    // The cases `bot/format.rs` asserted for its own civil-date conversion.
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
        assert_eq!(phnom_penh_date_time(1_767_202_200), "2026-01-01 00:30");
    }

    // The cases `cli/qr.rs`'s `phnom_penh_clock` computed by hand (milliseconds there).
    #[test]
    fn hh_mm_wraps_at_phnom_penh_midnight() {
        assert_eq!(phnom_penh_time(0), "07:00");
        assert_eq!(phnom_penh_time(17 * 3600 - 1), "23:59");
        assert_eq!(phnom_penh_time(17 * 3600), "00:00");
        assert_eq!(phnom_penh_time(1_767_225_600 + 59), "07:00");
        assert_eq!(phnom_penh_time(1_767_225_600 + 60), "07:01");
    }

    #[test]
    fn ancient_and_far_instants_do_not_panic() {
        // Before 1970 the text is the real date (the bot prints what it stored)…
        assert_eq!(phnom_penh_date(-1), "1970-01-01");
        assert_eq!(phnom_penh_date(-7 * 3600 - 1), "1969-12-31");
        assert_eq!(phnom_penh_time(-7 * 3600 - 60), "23:59");
        // …while dates for /history are clamped into 1970..=9999.
        assert_eq!(LocalDate::at(-7 * 3600 - 1), date(1970, 1, 1));
        assert_eq!(LocalDate::at(i64::MIN), date(1970, 1, 1));
        assert_eq!(LocalDate::at(i64::MAX), date(9999, 12, 31));
        for t in [i64::MIN, i64::MAX, -62_135_596_800, 253_402_300_799] {
            let _ = phnom_penh_date_time(t);
        }
        assert_eq!(date(9999, 12, 31).add_days(1), date(9999, 12, 31));
        assert_eq!(date(1970, 1, 1).add_days(-1), date(1970, 1, 1));
        assert_eq!(date(2024, 1, 1).add_days(i64::MIN), date(1970, 1, 1));
        assert_eq!(date(2024, 1, 1).add_days(i64::MAX), date(9999, 12, 31));
        // The Monday before 1970-01-01 (a Thursday) is out of range.
        assert_eq!(date(1970, 1, 1).week_start(), date(1970, 1, 1));
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
        assert_eq!(phnom_penh_date_time(midnight - 1), "2024-02-29 23:59");
        assert_eq!(phnom_penh_date_time(midnight), "2024-03-01 00:00");
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
        assert_eq!(date(2024, 2, 29).month_start(), date(2024, 2, 1));
        assert_eq!(date(2024, 3, 1).add_days(-1), date(2024, 2, 29));
    }

    #[test]
    fn month_ends() {
        for (y, m, last) in [
            (2024, 1, 31),
            (2024, 2, 29),
            (2025, 2, 28),
            (2024, 4, 30),
            (2024, 12, 31),
        ] {
            let end = date(y, m, last);
            assert!(LocalDate::new(y, m, last + 1).is_none(), "{end}");
            let next = end.add_days(1);
            assert_eq!(next.day(), 1, "{end}");
            assert_eq!(next.month_start(), next);
            assert_eq!(end.month_start(), date(y, m, 1));
            assert_eq!(LocalDate::at(end.end() - 1), end);
            assert_eq!(LocalDate::at(end.end()), next);
        }
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
            assert_eq!(phnom_penh_date(d.start()), d.to_string());
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
        assert_eq!(date(2024, 3, 3).week_start(), date(2024, 2, 26));
        assert_eq!(date(2025, 1, 1).week_start(), date(2024, 12, 30));
        assert_eq!(date(2024, 2, 26).week_start(), date(2024, 2, 26));
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
            "1969-12-31",
        ] {
            assert_eq!(LocalDate::parse_iso(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_frozen_test_clock_moves_only_when_told() {
        let clock = TestClock::frozen_at(pp(2025, 1, 1, 23, 59, 59));
        let shared = clock.shared();
        assert_eq!(phnom_penh_date_time(shared.unix_secs()), "2025-01-01 23:59");
        clock.advance_secs(1);
        assert_eq!(LocalDate::at(shared.unix_secs()), date(2025, 1, 2));
        assert_eq!(shared.unix_ms(), pp(2025, 1, 2, 0, 0, 0) * 1000);
        clock.set_unix_secs(0);
        assert_eq!(shared.unix_secs(), 0);
        clock.advance_secs(-1);
        assert_eq!(shared.unix_secs(), -1);
    }

    #[test]
    fn a_following_test_clock_is_the_system_clock_shifted() {
        let clock = TestClock::following_system();
        let before = SystemClock.unix_secs();
        clock.advance_secs(86_400);
        let shifted = clock.unix_secs() - 86_400;
        assert!(before <= shifted && shifted <= SystemClock.unix_secs());
        clock.set_unix_secs(pp(2024, 2, 29, 12, 0, 0));
        let now = clock.unix_secs();
        assert!(now >= pp(2024, 2, 29, 12, 0, 0));
        assert_eq!(LocalDate::at(now), date(2024, 2, 29));
    }

    #[test]
    fn the_database_clock_is_taken_as_it_is_or_moved_with_a_test_clock() {
        let db_ms = 1_800_000_000_123;
        assert_eq!(SystemClock.database_ms(db_ms), db_ms);
        let following = TestClock::following_system();
        assert_eq!(following.database_ms(db_ms), db_ms);
        following.advance_secs(-7);
        assert_eq!(following.database_ms(db_ms), db_ms - 7_000);
        let frozen = TestClock::frozen_at(1_000);
        assert_eq!(frozen.database_ms(db_ms), 1_000_000);
        frozen.advance_secs(2);
        assert_eq!(frozen.shared().database_ms(db_ms), 1_002_000);
    }

    proptest! {
        #[test]
        fn an_instant_lies_in_its_own_day(unix in -7 * 3600..253_402_275_600i64) {
            let d = LocalDate::at(unix);
            prop_assert!(d.start() <= unix && unix < d.end());
            // Phnom Penh midnight is 17:00 UTC.
            prop_assert_eq!((d.start() + 7 * 3600).rem_euclid(SECS_PER_DAY), 0);
            prop_assert_eq!(LocalDate::parse_iso(&d.to_string()), Some(d));
            prop_assert_eq!(phnom_penh_date(unix), d.to_string());
            prop_assert_eq!(d.add_days(1).start(), d.end());
            prop_assert!(d.week_start() <= d && d.week_start().weekday_from_monday() == 0);
            prop_assert!(d.month_start() <= d && d.month_start().day() == 1);
        }

        #[test]
        fn hh_mm_is_the_time_of_day_seven_hours_ahead(unix in any::<i32>()) {
            // What `bot/format.rs` computed by hand: seconds of the Phnom Penh day.
            let secs_of_day = (i64::from(unix) + 7 * 3600).rem_euclid(SECS_PER_DAY);
            let expected = format!("{:02}:{:02}", secs_of_day / 3600, (secs_of_day % 3600) / 60);
            prop_assert_eq!(phnom_penh_time(i64::from(unix)), expected);
        }

        #[test]
        fn add_days_round_trips(y in 1970..=9999i32, m in 1..=12u8, d in 1..=28u8, n in -40_000..40_000i64) {
            let day = date(y, m, d);
            let moved = day.add_days(n);
            if moved != LocalDate::MIN && moved != LocalDate::MAX {
                prop_assert_eq!(moved.add_days(-n), day);
                prop_assert_eq!(moved.start() - day.start(), n * SECS_PER_DAY);
            }
        }
    }
}
