//! The ops server and the webhook (`src/ops`): health, metrics, logs, webhook delivery.

mod health;
mod logs;
mod metrics;
mod webhook;
