//! A period's words, shared by `/history` and `/export`: its title, and why an argument
//! was refused.

use super::period::{MAX_SPAN_DAYS, Period, PeriodError, PeriodKind};
use crate::i18n::Lang;
use crate::t;

/// The title of `p` ("📊 Today (2026-12-07)", "📊 2026-12-01 – 2026-12-07", …).
pub(in crate::bot) fn period_title(lang: Lang, p: &Period) -> String {
    let first = p.first.to_string();
    let last = p.last.to_string();
    match p.kind {
        PeriodKind::Today => t!(lang, "history-title-today", date = first),
        PeriodKind::Yesterday => t!(lang, "history-title-yesterday", date = first),
        PeriodKind::Day => t!(lang, "history-title-day", date = first),
        PeriodKind::Week => t!(lang, "history-title-week", from = first, to = last),
        PeriodKind::Month => t!(lang, "history-title-month", from = first, to = last),
        PeriodKind::MonthOf => t!(lang, "history-title-month-of", from = first, to = last),
        PeriodKind::Range => t!(lang, "history-title-range", from = first, to = last),
    }
}

/// What a `/history` or `/export` period argument was refused for, in `lang`; `usage` is the
/// command's own usage text (for words and dates it cannot read).
pub(in crate::bot) fn period_refusal(lang: Lang, e: &PeriodError, usage: String) -> String {
    match e {
        PeriodError::Future(d) => t!(lang, "history-future", date = d.to_string()),
        PeriodError::Reversed { first, last } => t!(
            lang,
            "period-reversed",
            first = first.to_string(),
            last = last.to_string()
        ),
        PeriodError::TooLong { days } => {
            t!(
                lang,
                "period-too-long",
                days = days.to_string(),
                max = MAX_SPAN_DAYS.to_string()
            )
        }
        PeriodError::InvalidDate(_) | PeriodError::Unknown(_) => usage,
    }
}
