//! The chart `/history` sends with its summary: paid totals per Phnom Penh hour (one day)
//! or day (a week, a month), one panel per currency, and the caption rule.
//!
//! The horizontal axis covers the whole calendar week (Monday to Sunday) or month (1st to
//! its last day), or the 24 hours of the day; slots still to come are empty with pale labels,
//! so the seller sees where in the week they are.

use teloxide::prelude::*;
use teloxide::types::InputFile;

use super::period::{Period, PeriodKind};
use crate::i18n::Lang;
use crate::khqr::Currency;
use crate::render::{ChartSeries, ChartSlot, ChartSpec, chart_png, format_minor_units};
use crate::store::{BucketTotal, BucketWidth, MerchantId, StoreError};
use crate::t;
use crate::time::{LocalDate, SECS_PER_DAY, UnixSecs};

use crate::bot::stranger_text::StrangerText;
use crate::bot::turn::Turn;
use crate::bot::{Ctx, HandlerResult};

/// Telegram's limit on a photo caption (counted here in UTF-16 code units, the stricter
/// count).
pub(in crate::bot) const CAPTION_LIMIT: usize = 1024;

/// The horizontal axis of a period's chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::bot) struct Slots {
    pub width: BucketWidth,
    pub slots: Vec<SlotLabel>,
}

/// How one slot (an hour, a day) is labelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(in crate::bot) struct SlotLabel {
    /// The hour (`09`) or the day of the month (`23`).
    pub label: String,
    /// The weekday (`Mon`) in a week's chart, else empty.
    pub weekday: String,
    /// Still to come.
    pub upcoming: bool,
}

/// The slots for `period` at instant `now`: 24 hours for a day, else every day of the
/// calendar week or month (even on a Monday or the 1st), in Phnom Penh time. Slot 0 starts
/// at `period.start()`.
pub(in crate::bot) fn slots(lang: Lang, period: &Period, now: UnixSecs) -> Slots {
    // The last day on the axis; none for a day, which is shown by the hour.
    let last_day = match period.kind {
        PeriodKind::Today | PeriodKind::Yesterday | PeriodKind::Day => None,
        PeriodKind::Week => Some(period.first.week_start().add_days(6)),
        PeriodKind::Month | PeriodKind::MonthOf => Some(
            period
                .first
                .month_start()
                .add_days(31)
                .month_start()
                .add_days(-1),
        ),
        // A range's own days; a one-day range is a day, by the hour.
        PeriodKind::Range => (period.first != period.last).then_some(period.last),
    };
    let Some(last) = last_day.map(|d| d.max(period.last)) else {
        let slots = (0..24)
            .map(|h| {
                let starts = period.start() + h * 3_600;
                SlotLabel {
                    label: format!("{h:02}"),
                    weekday: String::new(),
                    upcoming: starts > now,
                }
            })
            .collect();
        return Slots {
            width: BucketWidth::Hour,
            slots,
        };
    };
    let today = LocalDate::at(now);
    let days = (last.start() - period.first.start()) / SECS_PER_DAY + 1;
    let slots = (0..days)
        .map(|i| {
            let day = period.first.add_days(i);
            // Weekdays where there is room for them (a week), day numbers alone otherwise.
            let weekday = if days <= 7 {
                weekday_name(lang, day)
            } else {
                String::new()
            };
            SlotLabel {
                label: day.day().to_string(),
                weekday,
                upcoming: day > today,
            }
        })
        .collect();
    Slots {
        width: BucketWidth::Day,
        slots,
    }
}

/// The short weekday name of `day` (`Mon`, `ចន្ទ`).
fn weekday_name(lang: Lang, day: LocalDate) -> String {
    match day.weekday_from_monday() {
        0 => t!(lang, "history-chart-mon"),
        1 => t!(lang, "history-chart-tue"),
        2 => t!(lang, "history-chart-wed"),
        3 => t!(lang, "history-chart-thu"),
        4 => t!(lang, "history-chart-fri"),
        5 => t!(lang, "history-chart-sat"),
        _ => t!(lang, "history-chart-sun"), // 6: the only other value
    }
}

/// One panel per currency with a payment (USD first): (currency, count, sum, per slot).
pub(in crate::bot) fn series(
    buckets: &[BucketTotal],
    slots: usize,
) -> Vec<(Currency, u64, u64, Vec<u64>)> {
    [Currency::Usd, Currency::Khr]
        .into_iter()
        .filter_map(|currency| {
            let mut values = vec![0_u64; slots];
            let (mut count, mut sum) = (0_u64, 0_u64);
            for b in buckets.iter().filter(|b| b.currency == currency) {
                if let Some(v) = values.get_mut(b.bucket as usize) {
                    *v = v.saturating_add(b.sum_minor);
                    count = count.saturating_add(b.count);
                    sum = sum.saturating_add(b.sum_minor);
                }
            }
            (count > 0).then_some((currency, count, sum, values))
        })
        .collect()
}

fn subtitle(lang: Lang, p: &Period) -> String {
    let (from, to) = (p.first.to_string(), p.last.to_string());
    match p.kind {
        PeriodKind::Today => t!(lang, "history-chart-today", date = from),
        PeriodKind::Yesterday => t!(lang, "history-chart-yesterday", date = from),
        PeriodKind::Day => t!(lang, "history-chart-day", date = from),
        PeriodKind::Week => t!(lang, "history-chart-week", from = from, to = to),
        PeriodKind::Month => t!(lang, "history-chart-month", from = from, to = to),
        PeriodKind::Range if p.first == p.last => t!(lang, "history-chart-day", date = from),
        PeriodKind::MonthOf | PeriodKind::Range => {
            t!(lang, "history-chart-range", from = from, to = to)
        }
    }
}

/// The chart of the merchant's payments in `period` as PNG bytes, rendered on the render
/// thread; `None` when nothing was paid (no empty chart is sent) or when rendering failed
/// (logged: the summary is then sent as text alone).
pub(in crate::bot) async fn chart(
    ctx: &Ctx,
    lang: Lang,
    merchant: MerchantId,
    shop_name: &str,
    period: &Period,
) -> Result<Option<Vec<u8>>, StoreError> {
    let axis = slots(lang, period, ctx.clock.unix_secs());
    let buckets = ctx
        .store
        .paid_by_bucket(merchant, period.start(), period.end(), axis.width)
        .await?;
    let series: Vec<(Currency, String, Vec<u64>)> = series(&buckets, axis.slots.len())
        .into_iter()
        .map(|(currency, count, sum, values)| {
            let heading = t!(
                lang,
                "history-chart-series",
                currency = currency.alpha(),
                count = count,
                sum = format_minor_units(sum, currency)
            );
            (currency, heading, values)
        })
        .collect();
    if series.is_empty() {
        return Ok(None);
    }
    let title = StrangerText(shop_name).bare().into_owned();
    let subtitle = subtitle(lang, period);
    let empty_text = t!(lang, "history-no-payments");
    let rendered = crate::render::on_render_thread(move || {
        let slots: Vec<ChartSlot<'_>> = axis
            .slots
            .iter()
            .map(|s| ChartSlot {
                label: &s.label,
                sublabel: &s.weekday,
                upcoming: s.upcoming,
            })
            .collect();
        let series: Vec<ChartSeries<'_>> = series
            .iter()
            .map(|(currency, heading, values)| ChartSeries {
                currency: *currency,
                heading,
                minor: values,
            })
            .collect();
        chart_png(&ChartSpec {
            title: &title,
            subtitle: &subtitle,
            slots: &slots,
            series: &series,
            empty_text: &empty_text,
        })
    })
    .await;
    match rendered {
        Ok(Ok(png)) => Ok(Some(png)),
        Ok(Err(e)) => {
            tracing::warn!(merchant = %merchant, error = %e, "could not render the history chart");
            Ok(None)
        }
        Err(e) => {
            tracing::warn!(merchant = %merchant, error = %e, "could not render the history chart");
            Ok(None)
        }
    }
}

fn utf16_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `text` cut to at most `limit` UTF-16 units, at a character boundary, ending in `…` when
/// cut.
fn shorten(text: &str, limit: usize) -> String {
    if utf16_len(text) <= limit {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 1; // the ellipsis
    for c in text.chars() {
        used += c.len_utf16();
        if used > limit {
            break;
        }
        out.push(c);
    }
    out.push('…');
    out
}

/// What is sent: the photo's caption, and the text message that follows it (if any).
///
/// The whole summary is the caption when it fits Telegram's 1024; otherwise the caption is
/// the totals (`head`, the summary before its list of latest payments) and the full summary
/// follows as its own message, exactly the text `/history` sent before it had a chart.
pub(in crate::bot) fn caption_and_text(head: &str, full: &str) -> (String, Option<String>) {
    if utf16_len(full) <= CAPTION_LIMIT {
        (full.to_owned(), None)
    } else {
        (shorten(head, CAPTION_LIMIT), Some(full.to_owned()))
    }
}

/// Sends the chart with the summary as its caption (see [`caption_and_text`]).
pub(in crate::bot) async fn send(
    turn: &Turn,
    png: Vec<u8>,
    head: &str,
    full: &str,
) -> HandlerResult {
    let (caption, text) = caption_and_text(head, full);
    turn.bot
        .send_photo(turn.chat(), InputFile::memory(png).file_name("history.png"))
        .caption(caption)
        .await?;
    if let Some(text) = text {
        turn.reply(text).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::period::parse_period;
    use super::*;

    fn date(y: i32, m: u8, d: u8) -> LocalDate {
        LocalDate::new(y, m, d).unwrap()
    }

    fn labels(s: &Slots) -> Vec<(&str, &str, bool)> {
        s.slots
            .iter()
            .map(|s| (s.label.as_str(), s.weekday.as_str(), s.upcoming))
            .collect()
    }

    #[test]
    fn a_day_has_24_phnom_penh_hours_and_later_ones_are_upcoming() {
        // 09:30 in Phnom Penh on 2026-12-01.
        let now = date(2026, 12, 1).start() + 9 * 3_600 + 1_800;
        let s = slots(Lang::En, &parse_period("today", now).unwrap(), now);
        assert_eq!(s.width, BucketWidth::Hour);
        let l = labels(&s);
        assert_eq!(l.len(), 24);
        assert_eq!(l[0], ("00", "", false));
        assert_eq!(l[9], ("09", "", false));
        assert_eq!(l[10], ("10", "", true));
        assert_eq!(l[23], ("23", "", true));
        // Yesterday is over: nothing upcoming.
        let y = slots(Lang::En, &parse_period("yesterday", now).unwrap(), now);
        assert!(y.slots.iter().all(|s| !s.upcoming));
    }

    #[test]
    fn a_week_runs_monday_to_sunday_with_weekday_names() {
        // Wednesday 2026-12-02, noon.
        let now = date(2026, 12, 2).start() + 12 * 3_600;
        let period = parse_period("week", now).unwrap();
        let s = slots(Lang::En, &period, now);
        assert_eq!(s.width, BucketWidth::Day);
        assert_eq!(
            labels(&s),
            vec![
                ("30", "Mon", false),
                ("1", "Tue", false),
                ("2", "Wed", false),
                ("3", "Thu", true),
                ("4", "Fri", true),
                ("5", "Sat", true),
                ("6", "Sun", true),
            ]
        );
        // On a Monday too: the whole week, six days to come.
        let monday = date(2026, 11, 30).start() + 3_600;
        let s = slots(Lang::En, &parse_period("week", monday).unwrap(), monday);
        assert_eq!(s.slots.len(), 7);
        assert_eq!(s.slots.iter().filter(|s| s.upcoming).count(), 6);
        let km = slots(Lang::Km, &period, now);
        let names: Vec<&str> = km.slots.iter().map(|s| s.weekday.as_str()).collect();
        assert_eq!(names, ["ចន្ទ", "អង្គារ", "ពុធ", "ព្រហស្បតិ៍", "សុក្រ", "សៅរ៍", "អាទិត្យ"]);
    }

    #[test]
    fn a_month_has_all_its_days() {
        for (now, days) in [
            (date(2026, 1, 15).start(), 31),
            (date(2024, 2, 29).start(), 29),
            (date(2026, 2, 1).start(), 28),
            (date(2026, 4, 30).start() + 3_600, 30),
        ] {
            let s = slots(Lang::En, &parse_period("month", now).unwrap(), now);
            assert_eq!(s.slots.len(), days);
            assert_eq!(s.slots[0].label, "1");
            assert_eq!(s.slots[days - 1].label, days.to_string());
            assert!(s.slots.iter().all(|s| s.weekday.is_empty()));
        }
    }

    /// `/history 2026-11` is that calendar month by the day; `A..B` its own days, and a
    /// one-day range is that day by the hour.
    #[test]
    fn a_named_month_and_ranges_get_their_own_days() {
        let now = date(2026, 12, 2).start() + 12 * 3_600;
        let nov = slots(Lang::En, &parse_period("2026-11", now).unwrap(), now);
        assert_eq!((nov.width, nov.slots.len()), (BucketWidth::Day, 30));
        assert!(nov.slots.iter().all(|s| !s.upcoming));
        let range = parse_period("2026-11-28..2026-12-02", now).unwrap();
        let r = slots(Lang::En, &range, now);
        assert_eq!(r.width, BucketWidth::Day);
        let days: Vec<&str> = r.slots.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(days, ["28", "29", "30", "1", "2"]);
        assert!(subtitle(Lang::En, &range).contains("2026-11-28 – 2026-12-02"));
        let one = parse_period("2026-11-20..2026-11-20", now).unwrap();
        let o = slots(Lang::En, &one, now);
        assert_eq!((o.width, o.slots.len()), (BucketWidth::Hour, 24));
    }

    #[test]
    fn buckets_become_one_series_per_paid_currency_usd_first() {
        let b = |bucket, currency, count, sum_minor| BucketTotal {
            bucket,
            currency,
            count,
            sum_minor,
        };
        let buckets = [
            b(0, Currency::Khr, 2, 40_100),
            b(0, Currency::Usd, 1, 500),
            b(6, Currency::Usd, 3, 1_250),
        ];
        assert_eq!(
            series(&buckets, 7),
            vec![
                (Currency::Usd, 4, 1_750, vec![500, 0, 0, 0, 0, 0, 1_250]),
                (Currency::Khr, 2, 40_100, vec![40_100, 0, 0, 0, 0, 0, 0]),
            ]
        );
        assert_eq!(series(&[], 24), vec![]);
    }

    #[test]
    fn the_summary_is_the_caption_when_it_fits() {
        let head = "📊 Today (2026-12-01)\n💵 USD: 1 paid · $5.00";
        assert_eq!(caption_and_text(head, head), (head.to_owned(), None));
        let full = format!(
            "{head}\n\nLatest payments:\n{}",
            "• 09:00 $5.00 ☕\n".repeat(80)
        );
        let (caption, text) = caption_and_text(head, &full);
        assert_eq!(caption, head);
        assert_eq!(text.as_deref(), Some(full.as_str()));
        // Exactly at the limit (emoji count twice in UTF-16).
        let at = "☕".repeat(CAPTION_LIMIT);
        assert_eq!(caption_and_text("", &at).1, None);
        let over = "📊".repeat(CAPTION_LIMIT / 2 + 1);
        assert!(caption_and_text("", &over).1.is_some());
    }

    #[test]
    fn an_overlong_head_is_cut_with_an_ellipsis() {
        let head = "📊".repeat(600);
        let (caption, _) = caption_and_text(&head, &head);
        assert!(utf16_len(&caption) <= CAPTION_LIMIT);
        assert!(caption.ends_with('…'));
        assert_eq!(caption.chars().filter(|c| *c == '📊').count(), 511);
    }
}
