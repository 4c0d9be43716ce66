//! The locales (`locales/`, `src/i18n.rs`).

mod locales;
