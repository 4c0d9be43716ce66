//! The Bakong client and sandbox (`src/bakong`): lookups, errors and retries against the sandbox's
//! request log; the sandbox's own API.

mod client;
mod sandbox;
mod sandbox_payments;
