//! Running the bot as a service: the webhook listener
//! ([`webhook`]: Telegram POSTs updates instead of the bot long-polling), and the operator's
//! endpoints on `METRICS_LISTEN` ([`server`]: `/healthz` from [`health`], `/metrics` from
//! [`crate::metrics`] plus gauges read from the store).
//!
//! Everything here reaches the database through the store's API only ([`Store::ping`],
//! counts), so another backend changes nothing here. `crate::app` runs these: `App::start`
//! binds the listeners (a busy address stops start-up with the setting's name), `App::run`
//! serves them and stops them (see its stop order).
//!
//! [`Store::ping`]: crate::store::Store::ping

pub mod health;
pub mod server;
pub mod webhook;

pub use health::{Health, HealthReport};
pub use server::OpsServer;
pub use webhook::WebhookServer;
