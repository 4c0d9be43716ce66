//! [`Lookups`] over the Bakong [`Client`].

use std::time::Duration;

use super::ports::Lookups;
use super::types::{Lookup, LookupFailure, Token};
use crate::bakong::{Client, ClientConfig, RetryPolicy};

impl Lookups for Client {
    async fn check_md5_list(
        &self,
        token: &Token,
        md5s: &[String],
    ) -> Result<Vec<(String, Lookup)>, LookupFailure> {
        self.check_transaction_by_md5_list(token, md5s)
            .await
            .map_err(|e| {
                tracing::debug!(error = %e, "Bakong md5 list lookup failed");
                LookupFailure::from(&e)
            })
    }

    async fn check_md5(&self, token: &Token, md5: &str) -> Result<Lookup, LookupFailure> {
        self.check_transaction_by_md5(token, md5)
            .await
            .map_err(|e| {
                tracing::debug!(error = %e, "Bakong md5 lookup failed");
                LookupFailure::from(&e)
            })
    }
}

/// Client settings for the watcher: one quick retry at most inside a call. The watcher's
/// per-merchant back-off handles longer trouble, so a bad minute at Bakong never stretches
/// a round (or a "Check now") to the client's full retry budget.
pub fn watcher_client_config(base: ClientConfig) -> ClientConfig {
    ClientConfig {
        request_timeout: Duration::from_secs(10),
        retry: RetryPolicy {
            max_attempts: 2,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(1),
            max_total_wait: Duration::from_secs(2),
        },
        ..base
    }
}
