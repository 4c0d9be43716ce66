//! The daily closing summary: its text, and the loop that queues it once per day
//! at each seller's `/close` time (see [`super::close`] for which day it covers and why it is
//! sent exactly once). The outbox delivers it (kind `close_summary`, its text in the
//! payload).

use serde_json::json;

use crate::i18n::Lang;
use crate::khqr::Currency;
use crate::render::format_minor_units;
use crate::store::{CloseSetting, HistorySummary, MerchantId, NoteTotal, Store, StoreError};
use crate::t;
use crate::time::{UnixSecs, phnom_penh_time};

use super::close::{Window, close_due, window};
use crate::bot::stranger_text::StrangerText;

/// Top notes listed per currency.
const TOP_NOTES: i64 = 3;

/// Everything a summary says, read from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFigures {
    pub day: HistorySummary,
    pub top: Vec<NoteTotal>,
    /// The same hours on the same weekday a week earlier.
    pub week_before: HistorySummary,
}

async fn figures(store: &Store, m: MerchantId, w: Window) -> Result<CloseFigures, StoreError> {
    let before = w.week_before();
    Ok(CloseFigures {
        day: store.history_summary(m, w.from, w.to).await?,
        top: store.top_notes(m, w.from, w.to, TOP_NOTES).await?,
        week_before: store.history_summary(m, before.from, before.to).await?,
    })
}

fn paid_in(s: &HistorySummary, currency: Currency) -> u64 {
    s.received
        .iter()
        .find(|t| t.currency == currency)
        .map_or(0, |t| t.sum_minor)
}

/// `+25%`, `−10%`, `±0%` (rounded to the nearest whole percent).
fn change(now: u64, before: u64) -> String {
    let (now, before) = (i128::from(now), i128::from(before));
    let diff = now - before;
    let pct = (diff * 100 + diff.signum() * before / 2) / before.max(1);
    match pct.signum() {
        1 => format!("+{pct}%"),
        -1 => format!("−{}%", -pct),
        _ => "±0%".to_owned(),
    }
}

/// The summary's text in `lang`.
pub fn summary_text(lang: Lang, w: Window, f: &CloseFigures) -> String {
    let day = w.day.to_string();
    let mut text = vec![if w.same_day {
        t!(
            lang,
            "close-title-today",
            date = day.as_str(),
            time = phnom_penh_time(w.to)
        )
    } else {
        t!(lang, "close-title-yesterday", date = day.as_str())
    }];
    text.extend(super::history::totals_lines(
        lang,
        &f.day,
        t!(lang, "close-no-payments"),
    ));
    text.push(t!(
        lang,
        "close-others",
        expired = f.day.expired,
        failed = f.day.failed,
        cancelled = f.day.cancelled
    ));
    if !f.top.is_empty() {
        text.push(String::new());
        text.push(t!(lang, "close-top"));
        for n in &f.top {
            let note = match &n.note {
                Some(note) => StrangerText(note).shown(),
                None => t!(lang, "close-no-note"),
            };
            text.push(t!(
                lang,
                "close-top-line",
                note = note,
                count = n.count,
                sum = format_minor_units(n.sum_minor, n.currency)
            ));
        }
    }
    text.push(String::new());
    let before = w.week_before();
    text.push(t!(lang, "close-vs-title", date = before.day.to_string()));
    let mut currencies: Vec<Currency> = f
        .day
        .received
        .iter()
        .chain(&f.week_before.received)
        .map(|t| t.currency)
        .collect();
    currencies.sort_by_key(|c| *c != Currency::Usd);
    currencies.dedup();
    if currencies.is_empty() {
        text.push(t!(lang, "close-vs-none"));
    }
    for c in currencies {
        let (now, then) = (paid_in(&f.day, c), paid_in(&f.week_before, c));
        let (now_text, then_text) = (format_minor_units(now, c), format_minor_units(then, c));
        text.push(if then == 0 {
            t!(lang, "close-vs-new", currency = c.alpha(), sum = now_text)
        } else {
            t!(
                lang,
                "close-vs-line",
                currency = c.alpha(),
                sum = now_text,
                before = then_text,
                change = change(now, then)
            )
        });
    }
    text.join("\n")
}

/// Queues every closing summary due at `now` (see [`close_due`]); a day without a single
/// charge is claimed without a message. Returns how many were queued.
pub async fn queue_close_summaries(store: &Store, now: UnixSecs) -> Result<usize, StoreError> {
    let mut queued = 0;
    for CloseSetting {
        merchant,
        minute,
        done_on,
    } in store.close_settings_on().await?
    {
        let Some(close_date) = close_due(minute, done_on, now) else {
            continue;
        };
        let w = window(minute, close_date);
        let payload = if store.charges_touching(merchant, w.from, w.to).await? == 0 {
            None
        } else {
            let Some(m) = store.merchant(merchant).await? else {
                continue;
            };
            let text = summary_text(m.language, w, &figures(store, merchant, w).await?);
            Some(json!({ "day": w.day.to_string(), "text": text }))
        };
        if store
            .claim_close(merchant, minute, close_date, payload.as_ref(), now)
            .await?
            && payload.is_some()
        {
            queued += 1;
        }
    }
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_in_whole_percent() {
        assert_eq!(change(125, 100), "+25%");
        assert_eq!(change(90, 100), "−10%");
        assert_eq!(change(100, 100), "±0%");
        assert_eq!(change(0, 100), "−100%");
        assert_eq!(change(2, 3), "−33%");
        assert_eq!(change(5, 3), "+67%");
    }
}
