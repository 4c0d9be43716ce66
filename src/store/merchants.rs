//! Merchants: one row per Telegram user who talked to the bot; the Bakong profile is filled
//! in when /setup completes.

use serde_json::json;

use crate::bakong::RegisteredEmail;
use crate::i18n::Lang;
use crate::khqr::{BakongAccountId, City, Currency, ShopName};

use super::event_kind::EventKind;
use super::events::append;
use super::model::{Merchant, MerchantId, Profile, ProfileInput, parse_currency, parse_lang};
use super::{Result, Store, StoreError};

super::rows::from_row! {
    struct Row {
        id: i64,
        telegram_user_id: i64,
        chat_id: i64,
        language: String,
        language_chosen: i64,
        default_currency: String,
        bakong_account_id: Option<String>,
        shop_name: Option<String>,
        city: Option<String>,
        token_sealed: Option<Vec<u8>>,
        token_expires_at: Option<i64>,
        token_version: i64,
        token_rejected_at: Option<i64>,
        token_reminded_at: Option<i64>,
        token_accepted_at: Option<i64>,
        email: Option<String>,
        created_at: i64,
        updated_at: i64,
    }
}

const COLUMNS: &str = "id, telegram_user_id, chat_id, language, language_chosen, default_currency, \
    bakong_account_id, shop_name, city, token_sealed, token_expires_at, token_version, token_rejected_at, \
    token_reminded_at, token_accepted_at, email, created_at, updated_at";

impl TryFrom<Row> for Merchant {
    type Error = StoreError;

    fn try_from(r: Row) -> Result<Self> {
        let profile = match (r.bakong_account_id, r.shop_name, r.city, r.token_sealed) {
            (Some(account_id), Some(shop_name), Some(city), Some(token_sealed)) => {
                let corrupt = |what: &str, err: &dyn std::fmt::Display| {
                    StoreError::Corrupt(format!("merchant {} {what}: {err}", r.id))
                };
                Some(Profile {
                    account_id: BakongAccountId::parse(&account_id)
                        .map_err(|e| corrupt("account", &e))?,
                    shop_name: ShopName::from_stored(&shop_name)
                        .map_err(|e| corrupt("shop name", &e))?,
                    city: City::from_stored(&city).map_err(|e| corrupt("city", &e))?,
                    token_sealed,
                    token_expires_at: r.token_expires_at,
                })
            }
            (None, None, None, None) => None,
            _ => {
                return Err(StoreError::Corrupt(format!(
                    "merchant {} has a partial profile",
                    r.id
                )));
            }
        };
        Ok(Merchant {
            id: MerchantId(r.id),
            telegram_user_id: r.telegram_user_id,
            chat_id: r.chat_id,
            language: parse_lang(&r.language)?,
            language_chosen: r.language_chosen != 0,
            default_currency: parse_currency(&r.default_currency)?,
            profile,
            token_version: r.token_version,
            token_rejected_at: r.token_rejected_at,
            token_reminded_at: r.token_reminded_at,
            token_accepted_at: r.token_accepted_at,
            email: r
                .email
                .map(|e| {
                    RegisteredEmail::parse(&e).map_err(|err| {
                        StoreError::Corrupt(format!("merchant {} email: {err}", r.id))
                    })
                })
                .transpose()?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

impl Store {
    pub async fn merchant(&self, id: MerchantId) -> Result<Option<Merchant>> {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM merchants WHERE id = $1"
        )))
        .bind(id.0)
        .fetch_optional(&self.pool)
        .await?
        .map(Merchant::try_from)
        .transpose()
    }

    pub async fn merchant_by_user(&self, telegram_user_id: i64) -> Result<Option<Merchant>> {
        sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM merchants WHERE telegram_user_id = $1"
        )))
        .bind(telegram_user_id)
        .fetch_optional(&self.pool)
        .await?
        .map(Merchant::try_from)
        .transpose()
    }

    /// The merchant row for a Telegram user, created if new. `language_hint` (from Telegram)
    /// becomes the language of a new row only: an existing row keeps its language, which
    /// only /lang ([`Store::set_language`]) changes, so everything the seller is sent
    /// (replies, edits, notices) speaks one language.
    pub async fn ensure_merchant(
        &self,
        telegram_user_id: i64,
        chat_id: i64,
        language_hint: Lang,
        now: i64,
    ) -> Result<Merchant> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "INSERT INTO merchants (telegram_user_id, chat_id, language, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (telegram_user_id) DO UPDATE SET chat_id = excluded.chat_id \
             RETURNING {COLUMNS}"
        )))
        .bind(telegram_user_id)
        .bind(chat_id)
        .bind(language_hint.code())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Merchant::try_from(row)
    }

    /// Records the language picked with /lang (creating the row if new).
    pub async fn set_language(
        &self,
        telegram_user_id: i64,
        chat_id: i64,
        lang: Lang,
        now: i64,
    ) -> Result<Merchant> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(format!(
            "INSERT INTO merchants (telegram_user_id, chat_id, language, language_chosen, created_at, updated_at) \
             VALUES ($1, $2, $3, 1, $4, $4) \
             ON CONFLICT (telegram_user_id) DO UPDATE SET \
                 chat_id = excluded.chat_id, language = excluded.language, language_chosen = 1, \
                 updated_at = excluded.updated_at \
             RETURNING {COLUMNS}"
        )))
        .bind(telegram_user_id)
        .bind(chat_id)
        .bind(lang.code())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Merchant::try_from(row)
    }

    pub async fn set_default_currency(
        &self,
        id: MerchantId,
        currency: Currency,
        now: i64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE merchants SET default_currency = $2, updated_at = $3 WHERE id = $1",
        )
        .bind(id.0)
        .bind(currency.alpha())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Stores the profile completed in /setup (replacing any earlier one). The token must be
    /// sealed with this merchant's [`MerchantId::token_aad`], and Bakong must have just
    /// accepted it in an authenticated call (`bakong::Client::prove_token`): it is recorded
    /// as accepted at `now`.
    pub async fn save_profile(&self, id: MerchantId, p: &ProfileInput, now: i64) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE merchants SET bakong_account_id = $2, shop_name = $3, city = $4, \
                 token_sealed = $5, token_expires_at = $6, token_version = token_version + 1, \
                 token_rejected_at = NULL, token_unreadable_at = NULL, \
                 token_reminded_at = NULL, token_accepted_at = $7, updated_at = $7 \
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(p.account_id.as_str())
        .bind(p.shop_name.as_str())
        .bind(p.city.as_str())
        .bind(&p.token_sealed)
        .bind(p.token_expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            let detail = json!({
                "account_id": p.account_id.as_str(),
                "shop_name": p.shop_name.as_str(),
                "city": p.city.as_str(),
                "token_expires_at": p.token_expires_at,
            });
            append(
                &mut tx,
                Some(id),
                None,
                EventKind::SetupCompleted,
                &detail,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Replaces the token of a merchant who completed /setup; clears any 401 mark so polling
    /// resumes. As for [`Store::save_profile`], Bakong must have just accepted the token in
    /// an authenticated call: it is recorded as accepted at `now`. False when the merchant
    /// has no profile yet.
    pub async fn replace_token(
        &self,
        id: MerchantId,
        token_sealed: &[u8],
        token_expires_at: Option<i64>,
        now: i64,
    ) -> Result<bool> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query(
            "UPDATE merchants SET token_sealed = $2, token_expires_at = $3, token_version = token_version + 1, \
                 token_rejected_at = NULL, token_unreadable_at = NULL, \
                 token_reminded_at = NULL, token_accepted_at = $4, updated_at = $4 \
             WHERE id = $1 AND token_sealed IS NOT NULL",
        )
        .bind(id.0)
        .bind(token_sealed)
        .bind(token_expires_at)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            let detail = json!({ "token_expires_at": token_expires_at });
            append(
                &mut tx,
                Some(id),
                None,
                EventKind::TokenReplaced,
                &detail,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }
}
