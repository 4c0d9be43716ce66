//! `/pending`: the seller's open charges.

use crate::render::format_minor_units;
use crate::t;

use crate::bot::HandlerResult;
use crate::bot::caller::Shop;
use crate::bot::charge::label::ChargeLabel;
use crate::bot::format::phnom_penh_time;
use crate::bot::turn::Turn;

/// Open charges listed by /pending.
const PENDING_LIMIT: i64 = 30;

/// `/pending`.
pub(in crate::bot) async fn command(turn: &Turn, shop: &Shop) -> HandlerResult {
    let (ctx, lang, m) = (&*turn.ctx, turn.lang(), &shop.merchant);
    let open = ctx.store.open_charges(m.id, PENDING_LIMIT).await?;
    if open.is_empty() {
        return turn.reply(t!(lang, "pending-none")).await;
    }
    let mut text = vec![t!(lang, "pending-title", count = open.len())];
    for c in &open {
        let label = ChargeLabel::new(&c.bill_number, c.note.as_deref());
        let note = label.note_shown().unwrap_or_default();
        text.push(t!(
            lang,
            "pending-line",
            amount = format_minor_units(c.amount_minor, c.currency),
            reference = label.reference().as_str(),
            note = note,
            time = phnom_penh_time(c.expires_at)
        ));
    }
    turn.reply(text.join("\n")).await
}
