//! `/close 21:30` / `/close off` / `/close`: the daily closing summary's time, and
//! the pure rules of when a summary is due and which day it covers.
//!
//! **Which hours.** A closing time at or after noon closes *today*: at 21:30 the summary covers
//! the 24 hours since the previous day's 21:30 (a Z-report: a payment after one close is in
//! the next one, so with the setting unchanged every payment is in exactly one summary). A
//! closing time before noon (a shop open past midnight, `/close 01:00`) closes *the day that
//! just ended*: at 01:00 on the 2nd the summary covers the whole of the 1st. The message
//! title says which. Days are Phnom Penh days; payments count when the customer paid.
//!
//! **Once.** The loop ([`super::close_summary`]) claims the closing time's Phnom Penh date in
//! the database and queues the message through the outbox in the same transaction
//! (`Store::claim_close`). A closing time that passed while the bot was down is sent when it
//! comes back (only the latest one); a restart after sending sends nothing again.

use crate::i18n::Lang;
use crate::t;
use crate::time::{LocalDate, UnixSecs};

use crate::bot::HandlerResult;
use crate::bot::caller::Shop;
use crate::bot::turn::Turn;

/// Minutes in a day.
const DAY_MINUTES: u16 = 24 * 60;
/// Closing times from here on close the same day; earlier ones close the day before.
const NOON: u16 = 12 * 60;

/// What `/close` was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::bot) enum CloseArg {
    Show,
    Off,
    /// Minutes after Phnom Penh midnight.
    At(u16),
}

/// `""`, `off` (or Khmer បិទ), or `HH:MM` / `H:MM` on a 24-hour clock.
pub(in crate::bot) fn parse_close(arg: &str) -> Option<CloseArg> {
    let arg = arg.trim();
    match arg.to_lowercase().as_str() {
        "" => return Some(CloseArg::Show),
        "off" | "បិទ" => return Some(CloseArg::Off),
        _ => {}
    }
    let (h, m) = arg.split_once(':')?;
    let digits = |s: &str, max_len| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    let (h, m) = (digits(h, 2)?, digits(m, 2).filter(|_| m.len() == 2)?);
    (h < 24 && m < 60).then_some(CloseArg::At(h * 60 + m))
}

/// `HH:MM` of a closing minute.
pub(in crate::bot) fn close_text(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The instant of the closing time on `date`.
fn close_instant(minute: u16, date: LocalDate) -> UnixSecs {
    date.start() + i64::from(minute.min(DAY_MINUTES - 1)) * 60
}

/// The Phnom Penh date of the latest closing time at or before `now`.
pub(in crate::bot) fn last_close(minute: u16, now: UnixSecs) -> LocalDate {
    let today = LocalDate::at(now);
    if now >= close_instant(minute, today) {
        today
    } else {
        today.add_days(-1)
    }
}

/// The closing time due at `now`, by its Phnom Penh date: the latest one that passed, if
/// the summary of that date is not done yet.
pub(in crate::bot) fn close_due(
    minute: u16,
    done_on: Option<LocalDate>,
    now: UnixSecs,
) -> Option<LocalDate> {
    let last = last_close(minute, now);
    done_on.is_none_or(|done| done < last).then_some(last)
}

/// What a closing summary covers: `[from, to)`, named by `day`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::bot) struct Window {
    pub day: LocalDate,
    pub from: UnixSecs,
    pub to: UnixSecs,
    /// The 24 hours until today's closing time (else the whole day before).
    pub same_day: bool,
}

impl Window {
    /// The same hours one week earlier (the same weekday last week).
    pub(in crate::bot) fn week_before(self) -> Window {
        let week = 7 * crate::time::SECS_PER_DAY;
        Window {
            day: self.day.add_days(-7),
            from: self.from - week,
            to: self.to - week,
            same_day: self.same_day,
        }
    }
}

/// The window of the closing time `minute` on `close_date` (see the module documentation).
pub(in crate::bot) fn window(minute: u16, close_date: LocalDate) -> Window {
    if minute >= NOON {
        Window {
            day: close_date,
            from: close_instant(minute, close_date.add_days(-1)),
            to: close_instant(minute, close_date),
            same_day: true,
        }
    } else {
        let day = close_date.add_days(-1);
        Window {
            day,
            from: day.start(),
            to: day.end(),
            same_day: false,
        }
    }
}

fn usage(lang: Lang) -> String {
    t!(lang, "close-usage")
}

/// `/close [HH:MM|off]`.
pub(in crate::bot) async fn command(turn: &Turn, shop: &Shop, arg: &str) -> HandlerResult {
    let (ctx, lang, m) = (&*turn.ctx, turn.lang(), &shop.merchant);
    let now = ctx.clock.unix_secs();
    let text = match parse_close(arg) {
        None => usage(lang),
        Some(CloseArg::Show) => match ctx.store.close_minute(m.id).await? {
            Some(minute) => t!(lang, "close-is-on", time = close_text(minute)),
            None => t!(lang, "close-is-off"),
        },
        Some(CloseArg::Off) => {
            ctx.store.set_close_minute(m.id, None, None, now).await?;
            t!(lang, "close-turned-off")
        }
        Some(CloseArg::At(minute)) => {
            // A closing time already past today waits for tomorrow.
            let handled = last_close(minute, now);
            ctx.store
                .set_close_minute(m.id, Some(minute), Some(handled), now)
                .await?;
            let which = if minute >= NOON {
                t!(lang, "close-covers-today", time = close_text(minute))
            } else {
                t!(lang, "close-covers-yesterday")
            };
            t!(lang, "close-set", time = close_text(minute), covers = which)
        }
    };
    turn.reply(text).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u8, d: u8) -> LocalDate {
        LocalDate::new(y, m, d).unwrap()
    }

    fn pp(y: i32, m: u8, d: u8, hh: i64, mm: i64) -> UnixSecs {
        date(y, m, d).start() + hh * 3600 + mm * 60
    }

    #[test]
    fn close_arguments() {
        assert_eq!(parse_close(""), Some(CloseArg::Show));
        assert_eq!(parse_close(" OFF "), Some(CloseArg::Off));
        assert_eq!(parse_close("បិទ"), Some(CloseArg::Off));
        assert_eq!(parse_close("21:30"), Some(CloseArg::At(21 * 60 + 30)));
        assert_eq!(parse_close("1:05"), Some(CloseArg::At(65)));
        assert_eq!(parse_close("00:00"), Some(CloseArg::At(0)));
        assert_eq!(parse_close("23:59"), Some(CloseArg::At(1439)));
        for bad in [
            "24:00",
            "21:60",
            "21:3",
            "21",
            "2130",
            "9pm",
            "-1:00",
            "21:30:00",
            "１２:００",
            "on",
            ":30",
            "123:00",
        ] {
            assert_eq!(parse_close(bad), None, "{bad}");
        }
        assert_eq!(close_text(65), "01:05");
        assert_eq!(close_text(1290), "21:30");
    }

    #[test]
    fn an_evening_close_covers_the_24_hours_since_the_last_one() {
        let m = 21 * 60 + 30;
        let w = window(m, date(2026, 12, 1));
        assert_eq!(w.day, date(2026, 12, 1));
        assert_eq!(
            (w.from, w.to),
            (pp(2026, 11, 30, 21, 30), pp(2026, 12, 1, 21, 30))
        );
        assert!(w.same_day);
        // The next close starts where this one ended: no payment falls between two.
        assert_eq!(window(m, date(2026, 12, 2)).from, w.to);
        let before = w.week_before();
        assert_eq!(before.day, date(2026, 11, 24));
        assert_eq!(
            (before.from, before.to),
            (pp(2026, 11, 23, 21, 30), pp(2026, 11, 24, 21, 30))
        );
    }

    #[test]
    fn a_close_after_midnight_covers_the_day_that_ended() {
        let w = window(60, date(2026, 12, 2));
        assert_eq!(w.day, date(2026, 12, 1));
        assert_eq!(
            (w.from, w.to),
            (pp(2026, 12, 1, 0, 0), pp(2026, 12, 2, 0, 0))
        );
        assert!(!w.same_day);
        // 11:59 is still "the day before"; 12:00 is the same day.
        assert!(!window(719, date(2026, 12, 2)).same_day);
        assert!(window(720, date(2026, 12, 2)).same_day);
    }

    #[test]
    fn due_once_per_day_and_only_the_latest() {
        let m = 21 * 60 + 30;
        // Before today's closing time: yesterday's is the latest.
        assert_eq!(last_close(m, pp(2026, 12, 1, 21, 29)), date(2026, 11, 30));
        assert_eq!(last_close(m, pp(2026, 12, 1, 21, 30)), date(2026, 12, 1));
        let done = Some(date(2026, 11, 30));
        assert_eq!(close_due(m, done, pp(2026, 12, 1, 21, 29)), None);
        assert_eq!(
            close_due(m, done, pp(2026, 12, 1, 21, 30)),
            Some(date(2026, 12, 1))
        );
        assert_eq!(
            close_due(m, Some(date(2026, 12, 1)), pp(2026, 12, 1, 23, 0)),
            None
        );
        // Down for three days: only the latest closing time is due.
        assert_eq!(
            close_due(m, done, pp(2026, 12, 4, 8, 0)),
            Some(date(2026, 12, 3))
        );
        // Phnom Penh midnight, not UTC's: 01:00 on the 2nd is 18:00 UTC on the 1st.
        assert_eq!(
            close_due(60, Some(date(2026, 12, 1)), pp(2026, 12, 2, 1, 0)),
            Some(date(2026, 12, 2))
        );
        assert_eq!(
            close_due(60, Some(date(2026, 12, 1)), pp(2026, 12, 2, 0, 59)),
            None
        );
    }
}
