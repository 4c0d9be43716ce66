//! Wizard state per chat, kept in the database (table `dialogues`) so /setup survives a
//! restart. Implements teloxide's `Storage` over our own [`Store`].

use std::sync::Arc;

use teloxide::dispatching::dialogue::{Dialogue, ErasedStorage, Storage};
use teloxide::types::ChatId;

use crate::khqr::{BakongAccountId, City, ShopName};
use crate::store::{Store, StoreError};
use crate::time::SharedClock;

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Where a chat is in a conversation with the bot. Stored as JSON; the typed answers are
/// plain strings there, checked again when read (a state that no longer parses is dropped).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "step")]
pub enum State {
    #[default]
    Idle,
    /// /setup step 1: Bakong account ID.
    AwaitAccount,
    /// Step 2: shop name.
    AwaitShop { account: BakongAccountId },
    /// Step 3: city.
    AwaitCity {
        account: BakongAccountId,
        shop: ShopName,
    },
    /// Step 4: Bakong API token.
    AwaitToken {
        account: BakongAccountId,
        shop: ShopName,
        city: City,
    },
    /// The token is valid but Bakong does not know the account: ask the account again.
    /// The token waits here sealed (base64 of a `SecretBox` blob bound to the chat).
    FixAccount {
        shop: ShopName,
        city: City,
        sealed_token: String,
    },
    /// /token: a replacement token.
    AwaitNewToken,
    /// After /setup saved the profile: the email registered at the Bakong Open API site
    /// (optional, for automatic token renewal).
    AwaitEmail,
    /// A buyer opened a variable-amount pay link: the amount they pay.
    AwaitLinkAmount { link: i64 },
}

pub type BotDialogue = Dialogue<State, ErasedStorage<State>>;

#[derive(Debug, thiserror::Error)]
pub enum DialogueStorageError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("dialogue state is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// teloxide dialogue storage over the `dialogues` table.
#[derive(Debug, Clone)]
pub struct DbStorage {
    store: Store,
    clock: SharedClock,
}

impl DbStorage {
    pub fn new(store: Store, clock: SharedClock) -> Arc<Self> {
        Arc::new(Self { store, clock })
    }
}

impl Storage<State> for DbStorage {
    type Error = DialogueStorageError;

    /// Idempotent: removing a chat without a dialogue is not an error.
    fn remove_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
    ) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            self.store.remove_dialogue(chat_id.0).await?;
            Ok(())
        })
    }

    fn update_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
        dialogue: State,
    ) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            if dialogue == State::Idle {
                self.store.remove_dialogue(chat_id.0).await?;
                return Ok(());
            }
            let json = serde_json::to_string(&dialogue)?;
            self.store
                .put_dialogue(chat_id.0, &json, self.clock.unix_secs())
                .await?;
            Ok(())
        })
    }

    fn get_dialogue(
        self: Arc<Self>,
        chat_id: ChatId,
    ) -> BoxFuture<'static, Result<Option<State>, Self::Error>> {
        Box::pin(async move {
            let Some(json) = self.store.dialogue(chat_id.0).await? else {
                return Ok(None);
            };
            match serde_json::from_str(&json) {
                Ok(state) => Ok(Some(state)),
                Err(e) => {
                    // A state from an older version: start over rather than wedge the chat.
                    tracing::warn!(chat_id = chat_id.0, error = %e, "dropping unreadable dialogue state");
                    self.store.remove_dialogue(chat_id.0).await?;
                    Ok(None)
                }
            }
        })
    }
}
