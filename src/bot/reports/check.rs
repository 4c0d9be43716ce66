//! `/check <hash>` / `/check <short hash> <amount> <currency>`: a transaction a customer
//! shows, verified with Bakong.

use crate::bakong::{BakongError, DecimalAmount, Lookup, Transaction};
use crate::i18n::Lang;
use crate::khqr::{Amount, Currency};
use crate::render::format_minor_units;
use crate::store::{ChargeStatus, Merchant, Profile};
use crate::t;

use crate::bot::caller::Shop;
use crate::bot::charge::args::{ChargeArgs, ChargeArgsError, parse_charge};
use crate::bot::charge::explain as explain_charge_error;
use crate::bot::charge::label::ChargeLabel;
use crate::bot::format::phnom_penh_date_time;
use crate::bot::setup::stored_token;
use crate::bot::turn::Turn;
use crate::bot::{Ctx, HandlerError, HandlerResult};

/// What `/check` was asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Receipt {
    /// The full transaction hash (64 hex, lowercased).
    Hash(String),
    /// The 8-hex short hash a bank receipt shows (lowercased), with the amount paid.
    Short { hash: String, amount: Amount },
}

/// Why `/check` arguments were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ReceiptError {
    Usage,
    Amount(ChargeArgsError),
}

fn is_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `<64-hex>` or `<8-hex> <amount> [currency]` (the amount as /charge reads it; without a
/// currency, the merchant's default).
fn parse_receipt(arg: &str, default_currency: Currency) -> Result<Receipt, ReceiptError> {
    let arg = arg.trim();
    let (first, rest) = arg
        .split_once(char::is_whitespace)
        .map_or((arg, ""), |(a, b)| (a, b.trim()));
    let hash = first.to_ascii_lowercase();
    if is_hex(&hash, 64) && rest.is_empty() {
        return Ok(Receipt::Hash(hash));
    }
    if !is_hex(&hash, 8) || rest.is_empty() {
        return Err(ReceiptError::Usage);
    }
    match parse_charge(rest, default_currency) {
        Ok(ChargeArgs { amount, note: None }) => Ok(Receipt::Short { hash, amount }),
        Ok(_) | Err(ChargeArgsError::MissingAmount) => Err(ReceiptError::Usage),
        Err(e) => Err(ReceiptError::Amount(e)),
    }
}

/// `/check <hash>` or `/check <short hash> <amount> <currency>`: verifies a transaction a
/// customer shows, says whether it went to this seller's account and which of their charges
/// it already settled (an old receipt cannot pass for a new payment).
pub(in crate::bot) async fn command(turn: &Turn, shop: &Shop, arg: &str) -> HandlerResult {
    let (ctx, lang) = (&*turn.ctx, turn.lang());
    let (m, p) = (&shop.merchant, &shop.profile);
    let receipt = match parse_receipt(arg, m.default_currency) {
        Ok(r) => r,
        Err(ReceiptError::Usage) => return turn.reply(t!(lang, "check-usage")).await,
        Err(ReceiptError::Amount(e)) => {
            return turn.reply(explain_charge_error(lang, &e)).await;
        }
    };
    let Some(token) = stored_token::open(ctx, m, p) else {
        return stored_token::refuse_unreadable(turn, m).await;
    };
    let answer = match &receipt {
        Receipt::Hash(hash) => ctx.bakong.check_transaction_by_hash(&token, hash).await,
        Receipt::Short { hash, amount } => {
            let currency = amount.currency();
            let decimal = DecimalAmount::from_minor(amount.minor(), currency.decimals());
            ctx.bakong
                .check_transaction_by_short_hash(&token, hash, &decimal, currency)
                .await
        }
    };
    let text = match answer {
        Ok(Lookup::Paid(tx)) => found(ctx, lang, m, p, &tx).await?,
        Ok(Lookup::Failed) => t!(lang, "check-failed"),
        Ok(_) => match receipt {
            Receipt::Hash(_) => t!(lang, "check-not-found"),
            Receipt::Short { .. } => t!(lang, "check-not-found-short"),
        },
        Err(BakongError::Unauthorized) => t!(lang, "notice-token-refused"),
        Err(e) => {
            tracing::warn!(merchant = %m.id, error = %e, "/check could not reach Bakong");
            t!(lang, "check-unavailable")
        }
    };
    turn.reply(text).await
}

/// The answer for a transaction Bakong knows.
async fn found(
    ctx: &Ctx,
    lang: Lang,
    m: &Merchant,
    p: &Profile,
    tx: &Transaction,
) -> Result<String, HandlerError> {
    let amount = match tx.currency() {
        Some(c) => match tx.amount_minor(c.decimals()) {
            Some(minor) => format_minor_units(minor, c),
            None => format!("{} {}", tx.amount, c.alpha()),
        },
        None => format!("{} {}", tx.amount, tx.currency_code),
    };
    let at = tx
        .created_date_ms
        .or(tx.acknowledged_date_ms)
        .and_then(|ms| i64::try_from(ms / 1000).ok());
    let time = at.map_or_else(|| "—".to_owned(), phnom_penh_date_time);
    let from = tx.from_account_id.clone().unwrap_or_else(|| "—".into());
    let mine = tx
        .to_account_id
        .trim()
        .eq_ignore_ascii_case(p.account_id.as_str().trim());
    let body = t!(
        lang,
        "check-details",
        amount = amount,
        from = from,
        to = tx.to_account_id.as_str(),
        time = time,
        hash = tx.hash.chars().take(8).collect::<String>()
    );
    let head = if mine {
        t!(lang, "check-found")
    } else {
        t!(
            lang,
            "check-found-elsewhere",
            account = p.account_id.as_str()
        )
    };
    let settled = match ctx.store.charge_settled_by(m.id, &tx.hash).await? {
        Some(s) => {
            let when = s
                .settled_at
                .map_or_else(|| "—".to_owned(), phnom_penh_date_time);
            let label = ChargeLabel::new(&s.bill_number, s.note.as_deref());
            let bill = label.reference().as_str();
            let text = if matches!(s.status, ChargeStatus::Paid | ChargeStatus::Underpaid) {
                t!(lang, "check-settled", bill = bill, time = when)
            } else {
                t!(lang, "check-recorded", bill = bill, time = when)
            };
            // The reference and the note, as on the charge's card.
            format!("{text}\n{}", label.line())
        }
        None if mine => t!(lang, "check-no-charge"),
        None => return Ok(format!("{head}\n{body}")),
    };
    Ok(format!("{head}\n{body}\n\n{settled}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: u64) -> Amount {
        Amount::from_minor(minor, Currency::Usd).unwrap()
    }

    #[test]
    fn receipts_by_full_or_short_hash() {
        let full = "AB".repeat(32);
        assert_eq!(
            parse_receipt(&format!("  {full} "), Currency::Usd),
            Ok(Receipt::Hash("ab".repeat(32)))
        );
        assert_eq!(
            parse_receipt("DEADBEEF 2.50 USD", Currency::Khr),
            Ok(Receipt::Short {
                hash: "deadbeef".into(),
                amount: usd(250)
            })
        );
        assert_eq!(
            parse_receipt("deadbeef $2.5", Currency::Khr),
            Ok(Receipt::Short {
                hash: "deadbeef".into(),
                amount: usd(250)
            })
        );
        assert_eq!(
            parse_receipt("deadbeef 20,000 riel", Currency::Usd),
            Ok(Receipt::Short {
                hash: "deadbeef".into(),
                amount: Amount::from_minor(20_000, Currency::Khr).unwrap()
            })
        );
        // The merchant's default currency when none is named.
        assert_eq!(
            parse_receipt("deadbeef 3", Currency::Usd),
            Ok(Receipt::Short {
                hash: "deadbeef".into(),
                amount: usd(300)
            })
        );
    }

    #[test]
    fn bad_receipts_are_refused_with_a_reason() {
        for bad in [
            "",
            "deadbeef",
            "deadbee 2 USD",
            "deadbeefx 2 USD",
            "zzzzzzzz 2 USD",
            &"ab".repeat(31),
            &format!("{} 2 USD", "ab".repeat(32)),
            "deadbeef 2 USD coffee",
        ] {
            assert_eq!(
                parse_receipt(bad, Currency::Usd),
                Err(ReceiptError::Usage),
                "{bad:?}"
            );
        }
        assert_eq!(
            parse_receipt("deadbeef 2.555 USD", Currency::Usd),
            Err(ReceiptError::Amount(ChargeArgsError::TooManyDecimals))
        );
        assert_eq!(
            parse_receipt("deadbeef 5 EUR", Currency::Usd),
            Err(ReceiptError::Amount(ChargeArgsError::UnsupportedCurrency(
                "EUR".into()
            )))
        );
    }
}
