//! The one-click demo seller: the sandbox issues a Bakong token and the seller answers the
//! REAL `/setup` wizard through the Telegram emulator, one message after each bot reply, so
//! the wizard's questions and answers are all in the chat.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{SELLER_ID, Shared};

/// The demo shop (a well-formed account exists in the sandbox).
pub const ACCOUNT: &str = "sokha@aclb";
pub const SHOP: &str = "Sokha Coffee";
pub const CITY: &str = "Phnom Penh";
/// The email the sandbox issues the token to (and renews it for).
pub const EMAIL: &str = "sokha@example.com";

/// Longest wait for one bot reply (only reached if the bot is stuck).
const REPLY_WAIT: Duration = Duration::from_secs(30);

/// Answers the wizard from `/setup` to the optional email. Returns when the bot has
/// answered the last message, or why it stopped.
pub async fn set_up(shared: Arc<Shared>) -> Result<(), String> {
    let token = shared.sandbox.issue_token(EMAIL);
    let steps = ["/setup", ACCOUNT, SHOP, CITY, token.as_str(), EMAIL];
    for (i, text) in steps.iter().enumerate() {
        let sent = shared.telegram.send_text(&shared.seller(), text);
        wait_for_reply(&shared, sent)
            .await
            .map_err(|()| format!("the bot did not answer step {} of the wizard", i + 1))?;
    }
    Ok(())
}

/// Waits until the bot has written in the seller's chat after message `sent`.
async fn wait_for_reply(shared: &Shared, sent: i32) -> Result<(), ()> {
    let deadline = Instant::now() + REPLY_WAIT;
    while Instant::now() < deadline {
        let answered = shared
            .telegram
            .chat(SELLER_ID)
            .iter()
            .any(|m| m.from_bot && m.message_id > sent);
        if answered {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(())
}
