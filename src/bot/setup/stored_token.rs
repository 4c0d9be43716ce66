//! Opening a merchant's stored Bakong token for a command, and what the seller is told when
//! it cannot be opened (a damaged row: the key itself is checked at start-up).

use crate::bakong::Token;
use crate::store::{Merchant, Profile};
use crate::t;

use crate::bot::turn::Turn;
use crate::bot::{Ctx, HandlerResult};

/// The merchant's token, or `None` if it does not open (or is not a token any more).
pub(in crate::bot) fn open(ctx: &Ctx, merchant: &Merchant, profile: &Profile) -> Option<Token> {
    ctx.secrets
        .open(&merchant.id.token_aad(), &profile.token_sealed)
        .ok()
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|raw| Token::new(&raw).ok())
}

/// Records that the stored token does not open (so the watcher does not send the notice a
/// second time) and tells the seller, in answer to their command, to send /token.
pub(in crate::bot) async fn refuse_unreadable(turn: &Turn, merchant: &Merchant) -> HandlerResult {
    tracing::error!(merchant = %merchant.id, "stored Bakong token cannot be opened");
    turn.ctx
        .store
        .mark_token_unreadable(
            merchant.id,
            merchant.token_version,
            false,
            turn.ctx.clock.unix_secs(),
        )
        .await?;
    turn.reply(t!(turn.lang(), "notice-token-unreadable")).await
}
