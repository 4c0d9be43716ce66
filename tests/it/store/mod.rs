//! The store (`src/store`) on both backends: charges, pay links, the payment ledger, leases.

mod charges;
mod leases;
mod links;
mod payments;
