//! The steps the end-to-end tests repeat on a running [`TestApp`]: a seller set up, a
//! charge made and paid in the sandbox, a message, a card's edit or a charge's status
//! waited for.

use std::time::Duration;

use khqr_bot::bakong::sandbox::{Payment, Tx};
use khqr_bot::bakong::{Currency, DecimalAmount};
use khqr_bot::store::{Charge, ChargeId, ChargeStatus};

use super::app::{TestApp, WAIT};
use super::fake_telegram::{Call, TgUser};

/// The account every seller of [`TestApp::seller`] is paid into.
pub const SELLER_ACCOUNT: &str = "sokha@aclb";

impl TestApp {
    /// User `id` (English) set up as the seller "Sokha Coffee" of [`SELLER_ACCOUNT`], Phnom Penh.
    pub async fn seller(&self, id: i64) -> TgUser {
        let user = TgUser::english(id);
        self.setup_merchant(&user, SELLER_ACCOUNT, "Sokha Coffee", "Phnom Penh")
            .await;
        user
    }

    /// `user` sends `/charge …`; the charge as stored once its card is sent.
    pub async fn charge(&self, user: &TgUser, text: &str) -> Charge {
        self.charge_photo(user, text).await;
        let m = self.merchant(user).await.unwrap();
        self.store
            .merchant_charges(m.id, 1)
            .await
            .unwrap()
            .remove(0)
    }

    /// `amount` of `currency` paid to `to` for the QR of `md5`: the sandbox's transaction.
    pub fn pay(&self, md5: &str, amount: &str, currency: Currency, to: &str) -> Tx {
        let amount = DecimalAmount::parse(amount).unwrap();
        self.bakong
            .pay(md5, Payment::new(&amount, currency, to))
            .unwrap()
    }

    /// `amount` US dollars paid from `from` to [`SELLER_ACCOUNT`] for the QR of `md5`.
    pub fn pay_from(&self, md5: &str, amount: &str, from: &str) -> Tx {
        let amount = DecimalAmount::parse(amount).unwrap();
        let mut payment = Payment::new(&amount, Currency::Usd, SELLER_ACCOUNT);
        payment.from_account_id = Some(from.into());
        self.bakong.pay(md5, payment).unwrap()
    }

    /// The text of the first message to `chat` from call `since` on that contains `word`.
    pub async fn message_containing(&self, chat: i64, since: usize, word: &str) -> String {
        self.telegram
            .wait_for_since(
                since,
                "sendMessage",
                |c| c.chat_id() == Some(chat) && c.text().is_some_and(|t| t.contains(word)),
                WAIT,
            )
            .await
            .unwrap_or_else(|e| panic!("no message with {word:?} to {chat}: {e}"))
            .text()
            .unwrap()
            .to_owned()
    }

    /// How many messages to `chat` contain `word`, sent or refused.
    pub fn messages_containing(&self, chat: i64, word: &str) -> usize {
        self.telegram
            .calls_of("sendMessage")
            .iter()
            .filter(|c| c.chat_id() == Some(chat) && c.text().is_some_and(|t| t.contains(word)))
            .count()
    }

    /// The first successful edit of the card `message` in `chat` from call `since` on whose
    /// caption contains `word`.
    pub async fn edited_to(&self, chat: i64, message: i32, since: usize, word: &str) -> Call {
        self.telegram
            .wait_for_since(
                since,
                "editMessageMedia",
                |c| {
                    c.chat_id() == Some(chat)
                        && c.message_id() == Some(message)
                        && c.succeeded()
                        && c.caption().is_some_and(|t| t.contains(word))
                },
                WAIT,
            )
            .await
            .unwrap_or_else(|e| panic!("card {message} in {chat} never edited to {word:?}: {e}"))
    }

    /// Charge `id` as stored once its status is `status`.
    pub async fn wait_status(&self, id: ChargeId, status: ChargeStatus) -> Charge {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let c = self.store.charge(id).await.unwrap().unwrap();
            if c.status == status {
                return c;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "charge {id} stayed {:?}, expected {status:?}",
                c.status
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
