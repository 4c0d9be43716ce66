//! A buyer opens a pay link: `t.me/<bot>?start=<code>` arrives as `/start
//! <code>` in the buyer's private chat. The buyer needs no setup; they are greeted in their
//! language and sent a fresh dynamic KHQR of the seller's, a charge like any other (the
//! seller's merchant, watched, edited to paid / expired in the buyer's chat) whose card
//! lives in the buyer's chat and which holds one unit of the link (`Store::reserve_link_charge`).
//!
//! Buyers see only the shop name, the item and the price. Their buttons: "I have paid —
//! check" (the customer's rate-limited check, `callbacks`) and, once a QR expired, "New QR"
//! (`lnq:<charge id>`, only for the buyer it was made for). A buyer holds one open QR per
//! link: asking again while it is open shows that one again (`again`). One request
//! (/start or New QR) per buyer per [`REQUEST_GAP_SECS`]; the link's own limits are
//! [`LinkLimits::DEFAULT`] (see `store::link_limits` for the numbers and why).

use teloxide::prelude::*;
use teloxide::types::{InlineKeyboardButton, InlineKeyboardMarkup, InputFile, User};

use crate::i18n::Lang;
use crate::khqr::{Amount, md5_hex};
use crate::render::format_money;
use crate::store::{
    AnyAmount, Charge, ChargeStatus, LinkBuyer, LinkCode, LinkId, LinkLimits, LinkPrice, LinkSale,
    LinkState, NewCharge, OutOfBounds, OutboxItem, PayLink, Reserved, Store, StoreError,
};
use crate::t;
use crate::watcher::outbox::DeliveryError;

use crate::bot::caller::Shop;
use crate::bot::charge::args::{ChargeArgs, parse_charge};
use crate::bot::charge::bill_ref::new_bill_number;
use crate::bot::charge::{BILL_ATTEMPTS, CardOwned, build_khqr, caption, maybe_delivered};
use crate::bot::dialogue::{BotDialogue, State};
use crate::bot::format::{phnom_penh_date, phnom_penh_date_time, phnom_penh_time};
use crate::bot::stranger_text::StrangerText;
use crate::bot::turn::Turn;
use crate::bot::{Ctx, HandlerError, HandlerResult, TgBot};

/// A buyer's link requests (/start <code>, "New QR") at most once per this many seconds.
pub(in crate::bot) const REQUEST_GAP_SECS: i64 = 5;

/// The callback data prefix of "New QR" (`lnq:<charge id>`).
pub(in crate::bot) const NEW_QR: &str = "lnq:";

/// The buyer as the link's charge records them.
fn buyer_of(user: &User, lang: Lang) -> LinkBuyer {
    let name = match &user.last_name {
        Some(last) => format!("{} {last}", user.first_name),
        None => user.first_name.clone(),
    };
    LinkBuyer {
        user_id: i64::try_from(user.id.0).unwrap_or(i64::MAX),
        name,
        lang,
    }
}

/// The price as a buyer reads it, with an `any` link's bounds.
pub(in crate::bot) fn price_text(lang: Lang, price: LinkPrice) -> String {
    match price {
        LinkPrice::Any(any) if any.min().is_some() || any.max().is_some() => t!(
            lang,
            "link-price-any-bounded",
            currency = any.currency().alpha(),
            bounds = bounds_text(lang, any)
        ),
        LinkPrice::Fixed(_) | LinkPrice::Any(_) => price_headline(lang, price),
    }
}

/// The price in a few words (the poster's headline): an `any` link's bounds left out.
pub(in crate::bot) fn price_headline(lang: Lang, price: LinkPrice) -> String {
    match price {
        LinkPrice::Fixed(amount) => format_money(amount),
        LinkPrice::Any(any) => t!(lang, "link-price-any", currency = any.currency().alpha()),
    }
}

/// "from $1.00 to $50.00", "of at least $1.00", "of at most $50.00" (empty: no bounds).
fn bounds_text(lang: Lang, any: AnyAmount) -> String {
    match (any.min(), any.max()) {
        (Some(min), Some(max)) => t!(
            lang,
            "link-bounds-range",
            min = format_money(min),
            max = format_money(max)
        ),
        (Some(min), None) => t!(lang, "link-bounds-min", min = format_money(min)),
        (None, Some(max)) => t!(lang, "link-bounds-max", max = format_money(max)),
        (None, None) => String::new(),
    }
}

/// The question for an `any` link's amount.
fn ask_amount(lang: Lang, any: AnyAmount) -> String {
    if any.min().is_none() && any.max().is_none() {
        return t!(lang, "link-ask-amount", currency = any.currency().alpha());
    }
    t!(
        lang,
        "link-ask-amount-bounded",
        currency = any.currency().alpha(),
        bounds = bounds_text(lang, any)
    )
}

/// Why a link does not sell at `now`, as its buyer is told (`None`: it sells).
fn not_selling(lang: Lang, link: &PayLink, now: i64) -> Option<String> {
    match link.state {
        LinkState::Closed => return Some(t!(lang, "link-closed")),
        LinkState::Paused => return Some(t!(lang, "link-paused")),
        LinkState::Active => {}
    }
    match link.until_at {
        Some(end) if now >= end => Some(t!(
            lang,
            "link-ended",
            date = phnom_penh_date(end.saturating_sub(1))
        )),
        _ => None,
    }
}

/// The seller's shop behind a link, if it can take a payment now (a complete profile and a
/// token that is neither expired, refused nor unreadable). Buyers are never told why not.
async fn seller_shop(ctx: &Ctx, link: &PayLink) -> Result<Option<Shop>, StoreError> {
    let Some(merchant) = ctx.store.merchant(link.merchant_id).await? else {
        return Ok(None);
    };
    let Some(profile) = merchant.profile.clone() else {
        return Ok(None);
    };
    let now = ctx.clock.unix_secs();
    if profile.token_expires_at.is_some_and(|exp| exp <= now)
        || merchant.token_rejected_at.is_some()
        || crate::bot::setup::stored_token::open(ctx, &merchant, &profile).is_none()
    {
        tracing::info!(link = %link.id, merchant = %merchant.id, "link not sold: the seller's token cannot confirm payments");
        return Ok(None);
    }
    Ok(Some(Shop { merchant, profile }))
}

/// `/start <code>`: the link's greeting and a fresh QR (or, for a variable amount, the
/// question); the buyer's open QR of the link shown again instead when they hold one.
/// Closed, paused, ended, sold-out and busy links, a seller who cannot take payments and a
/// buyer asking too often are answered in words, and nothing is created.
pub(in crate::bot) async fn start(
    turn: &Turn,
    dialogue: &BotDialogue,
    code: &LinkCode,
) -> HandlerResult {
    let (ctx, lang) = (&*turn.ctx, turn.lang());
    let Some(user) = turn.msg.from.as_ref() else {
        return Ok(());
    };
    let buyer = buyer_of(user, lang);
    let now = ctx.clock.unix_secs();
    let Some(link) = ctx.store.link_by_code(code).await? else {
        return turn.reply(t!(lang, "link-unknown")).await;
    };
    let outlook = ctx
        .store
        .link_outlook(&link, buyer.user_id, now, &LinkLimits::DEFAULT)
        .await?;
    // Their open QR first: it is still payable even if the link was paused since.
    if let Some(Reserved::AlreadyOpen(id)) = outlook {
        if !ctx
            .store
            .claim_link_request(buyer.user_id, now, REQUEST_GAP_SECS)
            .await?
        {
            return turn.reply(t!(lang, "link-slow-down")).await;
        }
        if let Some(why) = super::again::show_again(&turn.bot, ctx, id, lang).await? {
            turn.reply(why).await?;
        }
        return Ok(());
    }
    if let Some(why) = not_selling(lang, &link, now) {
        return turn.reply(why).await;
    }
    let Some(shop) = seller_shop(ctx, &link).await? else {
        return turn.reply(t!(lang, "link-unavailable")).await;
    };
    if !ctx
        .store
        .claim_link_request(buyer.user_id, now, REQUEST_GAP_SECS)
        .await?
    {
        return turn.reply(t!(lang, "link-slow-down")).await;
    }
    if let Some(refused) = outlook {
        let stats = ctx.store.link_stats(link.id).await?;
        let why = refusal_text(lang, &refused, &link, stats.paid, now)
            .unwrap_or_else(|| t!(lang, "link-unknown"));
        return turn.reply(why).await;
    }
    let name = StrangerText(&buyer.name).shown();
    let shop_name = StrangerText(shop.profile.shop_name.as_str()).shown();
    let price = price_text(lang, link.price);
    let greeting = match &link.note {
        Some(item) => t!(
            lang,
            "link-greeting",
            name = name,
            shop = shop_name,
            item = StrangerText(item).shown(),
            price = price
        ),
        None => t!(
            lang,
            "link-greeting-no-item",
            name = name,
            shop = shop_name,
            price = price
        ),
    };
    turn.reply(greeting).await?;
    match link.price {
        LinkPrice::Fixed(amount) => {
            if let Some(refusal) = sell(&turn.bot, ctx, &shop, &link, &buyer, amount).await? {
                turn.reply(refusal).await?;
            }
            Ok(())
        }
        LinkPrice::Any(any) => {
            dialogue
                .update(State::AwaitLinkAmount { link: link.id.0 })
                .await?;
            turn.reply(ask_amount(lang, any)).await
        }
    }
}

/// What a buyer is told when no new QR is made (`None`: a QR was, or is shown again).
fn refusal_text(
    lang: Lang,
    refused: &Reserved,
    link: &PayLink,
    paid: i64,
    now: i64,
) -> Option<String> {
    match refused {
        Reserved::Charge(_) | Reserved::AlreadyOpen(_) => None,
        Reserved::SoldOut => Some(sold_out_text(lang, paid, link.max_uses)),
        Reserved::OpenEnding => Some(t!(lang, "link-qr-ending")),
        Reserved::Busy => Some(t!(lang, "link-busy")),
        Reserved::BuyerLimit { retry_at } => Some(t!(
            lang,
            "link-buyer-limit",
            time = phnom_penh_time(*retry_at)
        )),
        Reserved::NotSelling(now_link) => {
            Some(not_selling(lang, now_link, now).unwrap_or_else(|| t!(lang, "link-unknown")))
        }
        Reserved::NoLink => Some(t!(lang, "link-unknown")),
    }
}

/// A sold-out link's answer (a unit may come back when an open QR expires).
fn sold_out_text(lang: Lang, paid: i64, max: Option<u32>) -> String {
    if max.is_some_and(|m| paid >= i64::from(m)) {
        t!(lang, "link-sold-out")
    } else {
        t!(lang, "link-sold-out-for-now")
    }
}

/// The buyer's answer to "how much?" for a variable-amount link: read like /charge (the
/// one parser) in the link's currency; a bad amount is explained and asked again.
pub(in crate::bot) async fn on_amount(
    turn: Turn,
    dialogue: BotDialogue,
    link: i64,
) -> HandlerResult {
    let result = answer_amount(&turn, &dialogue, LinkId(link)).await;
    if let Err(e) = result {
        turn.apologise(&e).await;
    }
    Ok(())
}

async fn answer_amount(turn: &Turn, dialogue: &BotDialogue, id: LinkId) -> HandlerResult {
    let (ctx, lang) = (&*turn.ctx, turn.lang());
    let (Some(user), Some(text)) = (turn.msg.from.as_ref(), turn.msg.text()) else {
        return turn.reply(t!(lang, "link-ask-amount-again")).await;
    };
    let Some(link) = ctx.store.link(id).await? else {
        dialogue.exit().await?;
        return turn.reply(t!(lang, "link-unknown")).await;
    };
    let currency = link.price.currency();
    let any = match link.price {
        LinkPrice::Any(any) => any,
        LinkPrice::Fixed(_) => AnyAmount::unbounded(currency),
    };
    let amount = match parse_charge(text, currency) {
        Ok(ChargeArgs { amount, .. }) => match any.admits(amount) {
            Ok(()) => amount,
            Err(OutOfBounds::Currency) => {
                return turn
                    .reply(t!(
                        lang,
                        "link-amount-currency",
                        currency = currency.alpha()
                    ))
                    .await;
            }
            Err(OutOfBounds::Range) => {
                return turn
                    .reply(t!(
                        lang,
                        "link-amount-out-of-bounds",
                        bounds = bounds_text(lang, any)
                    ))
                    .await;
            }
        },
        Err(e) => {
            let why = crate::bot::charge::explain(lang, &e);
            return turn
                .reply(format!("{why}\n{}", t!(lang, "link-ask-amount-again")))
                .await;
        }
    };
    dialogue.exit().await?;
    let now = ctx.clock.unix_secs();
    if let Some(why) = not_selling(lang, &link, now) {
        return turn.reply(why).await;
    }
    let Some(shop) = seller_shop(ctx, &link).await? else {
        return turn.reply(t!(lang, "link-unavailable")).await;
    };
    let buyer = buyer_of(user, lang);
    if let Some(refusal) = sell(&turn.bot, ctx, &shop, &link, &buyer, amount).await? {
        turn.reply(refusal).await?;
    }
    Ok(())
}

/// Reserves, renders and sends one QR of `link` for `amount` to the buyer's private chat.
/// `Ok(None)`: the card is out (or may be: then it is watched without a message id);
/// `Ok(Some(text))`: nothing was created, tell the buyer `text`.
async fn sell(
    bot: &TgBot,
    ctx: &Ctx,
    shop: &Shop,
    link: &PayLink,
    buyer: &LinkBuyer,
    amount: Amount,
) -> Result<Option<String>, HandlerError> {
    let lang = buyer.lang;
    let profile = &shop.profile;
    let now = ctx.clock.unix_secs();
    let limits = LinkLimits::DEFAULT;
    let ttl = i64::try_from(ctx.charge_ttl.as_secs()).unwrap_or(600);
    let expires_at = now + limits.qr_lifetime(link.max_uses.is_some(), ttl);
    let time = phnom_penh_time(expires_at);
    let request = ChargeArgs {
        amount,
        note: link.note.clone(),
    };
    let amount_text = format_money(amount);
    let chat = ChatId(buyer.user_id);
    let mut attempt = 0;
    let (id, bill, png) = loop {
        attempt += 1;
        let bill = new_bill_number();
        let khqr = build_khqr(profile, &request, &bill, now, expires_at)?;
        let card = CardOwned {
            payload: khqr.clone(),
            shop: profile.shop_name.to_string(),
            amount_text: amount_text.clone(),
            usd: amount.currency() == crate::khqr::Currency::Usd,
            note: request.note.clone(),
            expires_line: t!(lang, "charge-card-expires", time = time.as_str()),
            bill: bill.clone(),
        };
        let png = card.render_on_render_thread().await??;
        let new = NewCharge {
            merchant_id: shop.merchant.id,
            chat_id: chat.0,
            bill_number: bill.clone(),
            md5: md5_hex(&khqr),
            khqr,
            to_account_id: profile.account_id.to_string(),
            amount,
            note: request.note.clone(),
            created_at: now,
            expires_at,
        };
        match ctx
            .store
            .reserve_link_charge(link.id, buyer, &new, &limits)
            .await
        {
            Ok(Reserved::Charge(id)) => break (id, bill, png),
            // Asked twice at once (or typed an amount while one is open): that one again.
            Ok(Reserved::AlreadyOpen(id)) => {
                return super::again::show_again(bot, ctx, id, lang).await;
            }
            Ok(refused) => {
                let paid = match refused {
                    Reserved::SoldOut => ctx.store.link_stats(link.id).await?.paid,
                    _ => 0,
                };
                return Ok(Some(
                    refusal_text(lang, &refused, link, paid, now)
                        .unwrap_or_else(|| t!(lang, "link-unknown")),
                ));
            }
            Err(StoreError::Duplicate(_)) if attempt < BILL_ATTEMPTS => continue,
            Err(e) => return Err(e.into()),
        }
    };
    let caption = caption(
        lang,
        &amount_text,
        profile.shop_name.as_str(),
        &bill,
        request.note.as_deref(),
        &time,
    );
    let sent = bot
        .send_photo(chat, InputFile::memory(png).file_name("khqr.png"))
        .caption(caption)
        .reply_markup(super::again::buyer_buttons(lang, id, &bill))
        .await;
    let sent = match sent {
        Ok(sent) => sent,
        Err(e) if maybe_delivered(&e) => {
            tracing::warn!(charge = %id, error = %e, "no answer to sendPhoto of a link QR; keeping it unconfirmed");
            ctx.store
                .keep_unconfirmed_charge(id, "no answer from Telegram to sendPhoto", now)
                .await?;
            return Ok(Some(t!(
                lang,
                "charge-send-uncertain-buyer",
                time = time.as_str()
            )));
        }
        Err(e) => {
            tracing::warn!(charge = %id, error = %e, "Telegram refused a link QR; discarding it");
            ctx.store.discard_creating_charge(id).await?;
            return Ok(Some(t!(lang, "charge-send-failed")));
        }
    };
    match ctx
        .store
        .activate_charge(id, sent.id.0, ctx.clock.unix_secs())
        .await
    {
        Ok(true) => {
            tracing::info!(charge = %id, link = %link.id, merchant = %shop.merchant.id, "link charge created");
            // To show the same card again without rendering it (`again`).
            if let Some(file_id) = crate::bot::charge::largest_photo(&sent)
                && let Err(e) = ctx.store.set_card_file_id(id, &file_id).await
            {
                tracing::warn!(charge = %id, error = %e, "could not record the card's file_id");
            }
        }
        outcome => {
            tracing::error!(charge = %id, ?outcome, "could not activate a sent link charge; keeping it watched without its message id");
            ctx.store
                .keep_unconfirmed_charge(
                    id,
                    "photo sent, but its message id could not be recorded",
                    ctx.clock.unix_secs(),
                )
                .await?;
        }
    }
    Ok(None)
}

/// The buttons under a buyer's card once it settled: "New QR" when it expired or was
/// cancelled, none otherwise.
pub(in crate::bot) fn settled_buttons(lang: Lang, charge: &Charge) -> InlineKeyboardMarkup {
    match charge.status {
        ChargeStatus::Expired | ChargeStatus::Cancelled => {
            InlineKeyboardMarkup::new([[InlineKeyboardButton::callback(
                t!(lang, "button-new-qr"),
                format!("{NEW_QR}{}", charge.id.0),
            )]])
        }
        ChargeStatus::Creating
        | ChargeStatus::Pending
        | ChargeStatus::Paid
        | ChargeStatus::Underpaid
        | ChargeStatus::Mismatch
        | ChargeStatus::Failed
        | ChargeStatus::Unverified
        // Only inline drafts are discarded, never a buyer's card.
        | ChargeStatus::Discarded => InlineKeyboardMarkup::new(Vec::<Vec<_>>::new()),
    }
}

/// The caption of a buyer's settled card where the seller's would not fit them (an
/// expired card offers "New QR", not /charge; money that arrived is told in the buyer's
/// words); `None`: the seller's caption is right.
pub(in crate::bot) fn buyer_caption(
    lang: Lang,
    charge: &Charge,
    payments: &[crate::store::Payment],
    merchant: &crate::store::Merchant,
) -> Option<String> {
    let shop = StrangerText(merchant.profile.as_ref()?.shop_name.as_str()).shown();
    let label = crate::bot::charge::label::ChargeLabel::of(charge);
    if let Some(words) =
        crate::bot::followups::money_words::customer_caption(lang, charge, payments, &shop)
    {
        return Some(label.under_headline(&words));
    }
    let amount = format_money(charge.amount);
    let caption = match charge.status {
        ChargeStatus::Expired => Some(t!(
            lang,
            "link-status-expired-caption",
            amount = amount.as_str(),
            shop = shop.as_str(),
            time = phnom_penh_time(charge.expires_at)
        )),
        ChargeStatus::Creating
        | ChargeStatus::Pending
        | ChargeStatus::Paid
        | ChargeStatus::Underpaid
        | ChargeStatus::Mismatch
        | ChargeStatus::Failed
        | ChargeStatus::Cancelled
        | ChargeStatus::Unverified
        | ChargeStatus::Discarded => None,
    };
    caption.map(|c| label.under_headline(&c))
}

/// "New QR" pressed on a buyer's expired card: a fresh QR of the same link and amount, for
/// the buyer it was made for only, under the same limits as /start. The answer to the press.
pub(in crate::bot) async fn new_qr(
    bot: &TgBot,
    ctx: &Ctx,
    presser: Option<i64>,
    lang: Lang,
    data: &str,
) -> Result<String, HandlerError> {
    let Some(id) = data
        .strip_prefix(NEW_QR)
        .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse().ok())
        .map(crate::store::ChargeId)
    else {
        return Ok(t!(lang, "callback-unknown"));
    };
    let (Some(charge), Some(bought)) = (
        ctx.store.charge(id).await?,
        ctx.store.link_charge(id).await?,
    ) else {
        return Ok(t!(lang, "callback-unknown"));
    };
    if presser != Some(bought.buyer.user_id) {
        tracing::warn!(charge = %id, user = presser, "New QR pressed by someone else");
        return Ok(t!(lang, "callback-not-yours"));
    }
    if !matches!(
        charge.status,
        ChargeStatus::Expired | ChargeStatus::Cancelled
    ) {
        return Ok(t!(lang, "link-new-qr-not-expired"));
    }
    let Some(link) = ctx.store.link(bought.link_id).await? else {
        return Ok(t!(lang, "link-unknown"));
    };
    let now = ctx.clock.unix_secs();
    let buyer = LinkBuyer {
        lang,
        ..bought.buyer
    };
    let say = |text: String| async move {
        bot.send_message(ChatId(buyer.user_id), text).await?;
        Ok::<_, HandlerError>(())
    };
    // A QR of the link they opened since is still open: that one again.
    if let Some(Reserved::AlreadyOpen(open)) = ctx
        .store
        .link_outlook(&link, buyer.user_id, now, &LinkLimits::DEFAULT)
        .await?
    {
        if !ctx
            .store
            .claim_link_request(buyer.user_id, now, REQUEST_GAP_SECS)
            .await?
        {
            return Ok(t!(lang, "link-slow-down"));
        }
        return match super::again::show_again(bot, ctx, open, lang).await? {
            None => Ok(t!(lang, "link-new-qr-again")),
            Some(why) => {
                say(why.clone()).await?;
                Ok(why)
            }
        };
    }
    if let Some(why) = not_selling(lang, &link, now) {
        say(why.clone()).await?;
        return Ok(why);
    }
    let Some(shop) = seller_shop(ctx, &link).await? else {
        return Ok(t!(lang, "link-unavailable"));
    };
    if !ctx
        .store
        .claim_link_request(buyer.user_id, now, REQUEST_GAP_SECS)
        .await?
    {
        return Ok(t!(lang, "link-slow-down"));
    }
    match sell(bot, ctx, &shop, &link, &buyer, charge.amount).await? {
        None => Ok(t!(lang, "link-new-qr-sent")),
        Some(refusal) => {
            say(refusal.clone()).await?;
            Ok(refusal)
        }
    }
}

/// The seller's message about one payment of a link charge ([`FollowUpKind::LinkSale`]):
/// the buyer's Telegram name, the amount, the item and the payer's account, and whether
/// it came late or beyond the link's limit. Goes to the seller's private chat.
///
/// [`FollowUpKind::LinkSale`]: crate::store::FollowUpKind::LinkSale
pub(in crate::bot) async fn sale_message(
    store: &Store,
    task: &OutboxItem,
) -> Result<(ChatId, String), DeliveryError> {
    let store_err = |e: StoreError| DeliveryError::Transient(format!("database: {e}"));
    let id = task
        .charge_id
        .ok_or_else(|| DeliveryError::Permanent("link sale without a charge".into()))?;
    let charge = store
        .charge(id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| DeliveryError::Permanent(format!("charge {id} is gone")))?;
    let merchant = store
        .merchant(charge.merchant_id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| DeliveryError::Permanent(format!("merchant of charge {id} is gone")))?;
    let bought = store
        .link_charge(id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| DeliveryError::Permanent(format!("charge {id} is not a link's")))?;
    let lang = merchant.language;
    let sale = LinkSale::from_payload(&task.payload);
    let payments = store.charge_payments(id).await.map_err(store_err)?;
    let item = charge.note.clone().unwrap_or_else(|| "—".into());
    let time = phnom_penh_date_time(
        payments
            .first()
            .map(|p| p.paid_at)
            .or(charge.paid_at)
            .or(charge.settled_at)
            .unwrap_or(task.created_at),
    );
    let (buyer, item) = (
        StrangerText(&bought.buyer.name).shown(),
        StrangerText(&item).shown(),
    );
    let mut text = crate::bot::followups::money_words::sale_text(
        lang,
        &charge,
        &payments,
        &crate::bot::followups::money_words::Sale {
            buyer: buyer.as_str(),
            item: item.as_str(),
            time: time.as_str(),
        },
    );
    if sale.after.is_some() {
        text.push('\n');
        text.push_str(&t!(lang, "link-sale-late"));
    }
    if sale.over_limit {
        text.push('\n');
        text.push_str(&t!(lang, "link-sale-over-limit"));
    }
    Ok((ChatId(merchant.chat_id), text))
}
