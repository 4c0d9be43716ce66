//! `/history [today|yesterday|YYYY-MM-DD|week|month]`, with its chart (`chart.rs`), and the
//! totals lines the closing summary shares.

use crate::i18n::Lang;
use crate::khqr::Currency;
use crate::render::format_minor_units;
use crate::store::{HistorySummary, ListedPayment};
use crate::t;

use super::chart;
use super::period::{Period, parse_period};
use super::period_words::{period_refusal, period_title};
use crate::bot::HandlerResult;
use crate::bot::caller::Shop;
use crate::bot::charge::bill_ref::BillRef;
use crate::bot::charge::label::ChargeLabel;
use crate::bot::format::{phnom_penh_date, phnom_penh_time};
use crate::bot::stranger_text::StrangerText;
use crate::bot::turn::Turn;

/// Latest paid charges listed under the totals.
const LATEST: i64 = 10;

fn money(minor: u64, currency: Currency) -> String {
    format_minor_units(minor, currency)
}

fn listed_line(lang: Lang, p: &ListedPayment) -> String {
    let amount = money(p.amount_minor, p.currency);
    let label = ChargeLabel::new(&p.bill_number, p.note.as_deref());
    let note = label.note_shown().unwrap_or_default();
    let payer = StrangerText(&p.payer_account_id).shown();
    let mut line = t!(
        lang,
        "history-line",
        time = phnom_penh_time(p.paid_at),
        amount = amount,
        reference = label.reference().as_str(),
        note = note,
        payer = payer
    );
    if p.needs_attention {
        line.push_str(" ⚠️");
    }
    if let Some(bill) = &p.rest_of {
        let bill = BillRef::of(bill);
        line.push(' ');
        line.push_str(&t!(lang, "history-line-rest-of", bill = bill.as_str()));
    }
    line
}

/// The lines of a summary's totals: per currency what arrived and what of it needs a look,
/// the transfers that did not reach the seller, and the charges that ended without money.
/// `/history` and the closing summary say the same.
pub(in crate::bot) fn totals_lines(
    lang: Lang,
    summary: &HistorySummary,
    no_payments: String,
) -> Vec<String> {
    let mut text = Vec::new();
    if summary.received.is_empty() {
        text.push(no_payments);
    }
    for total in &summary.received {
        text.push(t!(
            lang,
            "history-total",
            currency = total.currency.alpha(),
            count = total.count,
            sum = money(total.sum_minor, total.currency)
        ));
        if let Some(look) = summary
            .attention
            .iter()
            .find(|a| a.currency == total.currency)
        {
            text.push(t!(
                lang,
                "history-attention",
                count = look.count,
                sum = money(look.sum_minor, look.currency)
            ));
        }
    }
    if summary.not_counted > 0 {
        text.push(t!(lang, "history-not-counted", count = summary.not_counted));
    }
    text
}

/// `/history`'s text: the totals (`head`, the chart's caption when the whole is too long
/// for one) and the whole, with the latest payments.
pub(in crate::bot) fn history_text(
    lang: Lang,
    period: &Period,
    summary: &HistorySummary,
    latest: &[ListedPayment],
) -> (String, String) {
    let mut text = vec![period_title(lang, period)];
    text.extend(totals_lines(lang, summary, t!(lang, "history-no-payments")));
    if summary.expired + summary.failed + summary.cancelled > 0 {
        text.push(t!(
            lang,
            "history-others",
            expired = summary.expired,
            failed = summary.failed,
            cancelled = summary.cancelled
        ));
    }
    if summary.unverified > 0 {
        text.push(t!(lang, "history-unverified", count = summary.unverified));
    }
    let head = text.join("\n");
    if !latest.is_empty() {
        text.push(String::new());
        text.push(t!(lang, "history-latest"));
        for p in latest {
            let day = if period.first == period.last {
                String::new()
            } else {
                format!("{} ", phnom_penh_date(p.paid_at))
            };
            text.push(format!("{day}{}", listed_line(lang, p)));
        }
    }
    (head, text.join("\n"))
}

/// `/history [period]`.
pub(in crate::bot) async fn command(turn: &Turn, shop: &Shop, arg: &str) -> HandlerResult {
    let (ctx, lang, m) = (&*turn.ctx, turn.lang(), &shop.merchant);
    let period = match parse_period(arg, ctx.clock.unix_secs()) {
        Ok(p) => p,
        Err(e) => {
            let usage = t!(lang, "history-usage");
            return turn.reply(period_refusal(lang, &e, usage)).await;
        }
    };
    let summary = ctx
        .store
        .history_summary(m.id, period.start(), period.end())
        .await?;
    let latest = ctx
        .store
        .latest_payments(m.id, period.start(), period.end(), LATEST)
        .await?;
    let (head, text) = history_text(lang, &period, &summary, &latest);
    // A period with a payment gets its chart, the summary as caption; else the text alone.
    if !summary.received.is_empty() {
        let shop_name = shop.profile.shop_name.as_str();
        if let Some(png) = chart::chart(ctx, lang, m.id, shop_name, &period).await? {
            return chart::send(turn, png, &head, &text).await;
        }
    }
    turn.reply(text).await
}
