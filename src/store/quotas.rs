//! Quotas: how often one subject (a merchant, a Telegram user) may do something limited in
//! a fixed window — change the registered email, make a button press ask Bakong, have a
//! pasted token proven — and the gap between two presses that ask Bakong about one charge.
//! Kept in the database, so every replica and a restart count the same uses. A claim is one
//! guarded statement: racing claims never grant more than the quota.

use super::model::ChargeId;
use super::{Result, Store};

/// What is limited. Stored as its text in `quotas.scope`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuotaScope {
    /// Setting the registered email (per merchant).
    EmailChange,
    /// A button press that asks Bakong with the merchant's token ("Check now", the check
    /// before a Cancel), whoever pressed (per merchant).
    BakongPress,
    /// A pasted token proven with an authenticated Bakong call (per Telegram user).
    TokenProof,
}

impl QuotaScope {
    fn as_str(self) -> &'static str {
        match self {
            QuotaScope::EmailChange => "email_change",
            QuotaScope::BakongPress => "bakong_press",
            QuotaScope::TokenProof => "token_proof",
        }
    }
}

/// At most `max` uses per `window_secs`, counted per subject. The window starts at the
/// first use after the previous one ended (a fixed window, not a sliding one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub scope: QuotaScope,
    pub window_secs: i64,
    pub max: i64,
}

impl Store {
    /// Claims one use of `quota` for `subject` at `now`: true when it was granted (and
    /// counted), false when the subject has used it up for the current window.
    pub async fn claim_quota(&self, quota: Quota, subject: i64, now: i64) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO quotas (scope, subject, window_start, used) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (scope, subject) DO UPDATE SET \
                 window_start = CASE WHEN quotas.window_start <= $3 - $4 THEN $3 \
                                     ELSE quotas.window_start END, \
                 used = CASE WHEN quotas.window_start <= $3 - $4 THEN 1 \
                             ELSE quotas.used + 1 END \
             WHERE quotas.window_start <= $3 - $4 OR quotas.used < $5",
        )
        .bind(quota.scope.as_str())
        .bind(subject)
        .bind(now)
        .bind(quota.window_secs.max(1))
        .bind(quota.max)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Claims a press that asks Bakong about charge `id` ("Check now" by anyone, the check
    /// before the seller's Cancel): true at most once per `gap_secs` per charge (the claim
    /// is the guarded update itself, so racing presses get one). The column keeps the name
    /// it had when only customers' presses were limited.
    pub async fn claim_charge_check(&self, id: ChargeId, now: i64, gap_secs: i64) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE charges SET guest_check_at = $2 \
             WHERE id = $1 AND (guest_check_at IS NULL OR guest_check_at <= $2 - $3)",
        )
        .bind(id.0)
        .bind(now)
        .bind(gap_secs)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRESSES: Quota = Quota {
        scope: QuotaScope::BakongPress,
        window_secs: 60,
        max: 3,
    };

    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::store::test_database_url(dir.path()).await;
        (Store::open(&url).await.unwrap(), dir)
    }

    #[tokio::test]
    async fn a_quota_grants_max_uses_per_window_per_subject() {
        let (store, _dir) = store().await;
        let claim = |subject, now| {
            let store = store.clone();
            async move { store.claim_quota(PRESSES, subject, now).await.unwrap() }
        };
        for now in [1000, 1001, 1059] {
            assert!(claim(7, now).await, "use at {now}");
        }
        assert!(!claim(7, 1059).await, "the fourth in the window");
        // Another subject and another scope count on their own.
        assert!(claim(8, 1059).await);
        let email = Quota {
            scope: QuotaScope::EmailChange,
            ..PRESSES
        };
        assert!(store.claim_quota(email, 7, 1059).await.unwrap());
        // The window ends 60 s after it started: three more.
        for now in [1060, 1060, 1061] {
            assert!(claim(7, now).await, "new window at {now}");
        }
        assert!(!claim(7, 1119).await);
        assert!(claim(7, 1120).await);
    }

    #[tokio::test]
    async fn racing_claims_never_grant_more_than_the_quota() {
        let (store, _dir) = store().await;
        let mut claims = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let store = store.clone();
            claims.spawn(async move { store.claim_quota(PRESSES, 1, 5000).await.unwrap() });
        }
        let granted = claims.join_all().await.into_iter().filter(|g| *g).count();
        assert_eq!(granted, 3);
    }
}
