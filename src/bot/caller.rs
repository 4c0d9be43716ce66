//! Who is calling, worked out once per update: the first step of the handler tree
//! ([`resolve`], a dptree `filter_map_async`) looks up the Telegram user's merchant row and
//! puts a [`Caller`] in the tree for every handler below it. Commands that need a finished
//! /setup get a [`Shop`] from [`Caller::shop`] in their own branch.

use std::sync::Arc;

use teloxide::types::{Update, UpdateKind, User};

use crate::i18n::Lang;
use crate::store::{Merchant, Profile, StoreError};

use super::Ctx;

/// The sender of the update being handled.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    /// The language to answer in: a seller's one language (`merchants.language`, the one the
    /// watcher's edits and notices use too), else, for someone without a merchant row (a
    /// stranger, a buyer, a customer), Telegram's hint.
    pub lang: Lang,
    /// Telegram user id as stored; `None` for a message without a sender (a channel).
    pub user_key: Option<i64>,
    /// Their merchant row, if they have one (a profile only once /setup finished).
    pub merchant: Option<Merchant>,
}

/// A caller who finished /setup: their merchant row and its complete profile.
#[derive(Debug, Clone)]
pub(super) struct Shop {
    pub merchant: Merchant,
    pub profile: Profile,
}

impl Caller {
    /// Looks `user` up in the store (nothing to look up without a user).
    pub(super) async fn lookup(ctx: &Ctx, user: Option<&User>) -> Result<Caller, StoreError> {
        let user_key = user.map(user_key);
        let merchant = match user_key {
            Some(key) => ctx.store.merchant_by_user(key).await?,
            None => None,
        };
        Ok(Caller {
            lang: lang_of(user, merchant.as_ref()),
            user_key,
            merchant,
        })
    }

    /// The caller's configured shop, `None` before /setup finished.
    pub(super) fn shop(&self) -> Option<Shop> {
        let merchant = self.merchant.as_ref()?;
        let profile = merchant.profile.clone()?;
        Some(Shop {
            merchant: merchant.clone(),
            profile,
        })
    }
}

/// The handler tree's caller step, for messages, button presses and inline mode (other updates go on to
/// the default handler untouched). A store failure is logged and the update dropped: no
/// handler can answer correctly without knowing who asks.
pub(super) async fn resolve(update: Update, ctx: Arc<Ctx>) -> Option<Caller> {
    if !matches!(
        update.kind,
        UpdateKind::Message(_)
            | UpdateKind::CallbackQuery(_)
            | UpdateKind::InlineQuery(_)
            | UpdateKind::ChosenInlineResult(_)
    ) {
        return None;
    }
    match Caller::lookup(&ctx, update.from()).await {
        Ok(caller) => Some(caller),
        Err(e) => {
            tracing::error!(update_id = update.id.0, error = %e, "could not look up the caller");
            None
        }
    }
}

/// The language to answer `user` in. A seller has one language, stored on their merchant
/// row when it was made (Telegram's hint at the end of /setup, or their /lang) and changed
/// only by /lang: Telegram's hint changes with the device they write from, and the watcher,
/// the outbox and the closing summary, which have no update to read it from, must speak the
/// same language as the replies. Without a row, Telegram's hint is all there is.
fn lang_of(user: Option<&User>, merchant: Option<&Merchant>) -> Lang {
    match merchant {
        Some(m) => m.language,
        None => Lang::from_telegram(user.and_then(|u| u.language_code.as_deref())),
    }
}

/// Telegram user id as stored (Telegram ids fit in 52 bits).
fn user_key(user: &User) -> i64 {
    i64::try_from(user.id.0).unwrap_or(i64::MAX)
}
