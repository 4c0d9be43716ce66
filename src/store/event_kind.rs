//! The kinds of entry in the append-only event log (`events.kind`), as one enum.
//!
//! Each kind is stored as the text [`EventKind::as_str`] gives (the strings databases
//! already hold; no migration) and read back with [`FromStr`](std::str::FromStr). Events
//! are written only through this enum; a row whose kind this build does not know (written
//! by a newer build, or by hand) reads as [`super::StoreError::Corrupt`], naming it
//! ([`UnknownEventKind`]).

use super::stored_text::stored_as_text;

/// What an event records. Only tests and people read the log; nothing in the bot matches
/// on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A merchant finished /setup (or set it up again).
    SetupCompleted,
    /// A merchant stored a new Bakong token with /token.
    TokenReplaced,
    /// The database's secret-key check value was written (first start).
    KeyCheckCreated,
    /// `khqr-bot rotate-key` resealed every token under a new key.
    KeyRotated,
    /// A merchant's stored token does not open with the key.
    TokenUnreadable,
    /// A charge's card was sent: `creating` → `pending`.
    ChargeCreated,
    /// The card's send went unanswered: pending without a message id.
    ChargeUnconfirmed,
    /// Left `creating` by an interrupted send; picked up at start.
    ChargeRecovered,
    /// The seller pressed Cancel (also a watcher settlement kind).
    ChargeCancelled,
    /// Paid: as much as asked arrived, or more.
    ChargePaid,
    /// Paid after the charge had ended without money (cancelled, expired, failed…).
    ChargePaidLate,
    /// Money arrived in the charge's currency, less than asked.
    ChargeUnderpaid,
    /// Such a payment, found after the charge had ended without money.
    ChargeUnderpaidLate,
    /// Transfers for this QR arrived, none in its currency to the seller's account.
    ChargeMismatch,
    /// Such a transfer, found after the charge had ended without money.
    ChargeMismatchLate,
    /// Bakong reported the payment failed.
    ChargeFailed,
    /// Expired unpaid.
    ChargeExpired,
    /// Never verified by Bakong until long after expiry.
    ChargeUnverified,
    /// A payment for a charge that could no longer take it, reported but not counted (older
    /// builds: every payment is recorded in the ledger now).
    PaymentUnwatched,
    /// Another payment of a QR whose charge already had money: recorded and counted.
    PaymentExtra,
    /// Bakong reported for this charge a transaction that already paid another one: the
    /// charge was not changed.
    PaymentHashTaken,
    /// Bakong refused the merchant's token (401).
    TokenRejected,
    /// A re-check found a refused token working again.
    TokenAcceptedAgain,
    /// The merchant gave their registered email (/email).
    EmailSet,
    /// The merchant removed it.
    EmailRemoved,
    /// The bot renewed the merchant's token by itself.
    TokenRenewed,
    /// A renewal by itself ended without a new token.
    TokenRenewalEnded,
    /// A charge's card was put into a customer's chat through inline mode ("Send to
    /// customer").
    ChargeSentInline,
    /// An inline draft nobody chose ended (`creating` → `discarded`).
    ChargeDiscarded,
}

impl EventKind {
    /// Every kind, for tests and exhaustive checks.
    pub const ALL: [EventKind; 29] = [
        EventKind::SetupCompleted,
        EventKind::TokenReplaced,
        EventKind::KeyCheckCreated,
        EventKind::KeyRotated,
        EventKind::TokenUnreadable,
        EventKind::ChargeCreated,
        EventKind::ChargeUnconfirmed,
        EventKind::ChargeRecovered,
        EventKind::ChargeCancelled,
        EventKind::ChargePaid,
        EventKind::ChargePaidLate,
        EventKind::ChargeUnderpaid,
        EventKind::ChargeUnderpaidLate,
        EventKind::ChargeMismatch,
        EventKind::ChargeMismatchLate,
        EventKind::ChargeFailed,
        EventKind::ChargeExpired,
        EventKind::ChargeUnverified,
        EventKind::PaymentUnwatched,
        EventKind::PaymentExtra,
        EventKind::PaymentHashTaken,
        EventKind::TokenRejected,
        EventKind::TokenAcceptedAgain,
        EventKind::EmailSet,
        EventKind::EmailRemoved,
        EventKind::TokenRenewed,
        EventKind::TokenRenewalEnded,
        EventKind::ChargeSentInline,
        EventKind::ChargeDiscarded,
    ];

    /// The text stored in `events.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SetupCompleted => "setup_completed",
            EventKind::TokenReplaced => "token_replaced",
            EventKind::KeyCheckCreated => "key_check_created",
            EventKind::KeyRotated => "key_rotated",
            EventKind::TokenUnreadable => "token_unreadable",
            EventKind::ChargeCreated => "charge_created",
            EventKind::ChargeUnconfirmed => "charge_unconfirmed",
            EventKind::ChargeRecovered => "charge_recovered",
            EventKind::ChargeCancelled => "charge_cancelled",
            EventKind::ChargePaid => "charge_paid",
            EventKind::ChargePaidLate => "charge_paid_late",
            EventKind::ChargeUnderpaid => "charge_underpaid",
            EventKind::ChargeUnderpaidLate => "charge_underpaid_late",
            EventKind::ChargeMismatch => "charge_mismatch",
            EventKind::ChargeMismatchLate => "charge_mismatch_late",
            EventKind::ChargeFailed => "charge_failed",
            EventKind::ChargeExpired => "charge_expired",
            EventKind::ChargeUnverified => "charge_unverified",
            EventKind::PaymentUnwatched => "payment_unwatched",
            EventKind::PaymentExtra => "payment_extra",
            EventKind::PaymentHashTaken => "payment_hash_taken",
            EventKind::TokenRejected => "token_rejected",
            EventKind::TokenAcceptedAgain => "token_accepted_again",
            EventKind::EmailSet => "email_set",
            EventKind::EmailRemoved => "email_removed",
            EventKind::TokenRenewed => "token_renewed",
            EventKind::TokenRenewalEnded => "token_renewal_ended",
            EventKind::ChargeSentInline => "charge_sent_inline",
            EventKind::ChargeDiscarded => "charge_discarded",
        }
    }

    /// The kind a payment event is recorded as when the money was found after the charge
    /// had ended without (`charge_paid` → `charge_paid_late`, …); other kinds have no late
    /// form and stay as they are.
    pub fn late(self) -> Self {
        match self {
            EventKind::ChargePaid => EventKind::ChargePaidLate,
            EventKind::ChargeUnderpaid => EventKind::ChargeUnderpaidLate,
            EventKind::ChargeMismatch => EventKind::ChargeMismatchLate,
            other => other,
        }
    }
}

/// An `events.kind` this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown event kind {0:?}")]
pub struct UnknownEventKind(pub String);

stored_as_text!(EventKind, UnknownEventKind);

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts existing databases hold (as written before the enum existed; the late
    /// forms as `format!("{event}_late")`): each kind is written as its text and read back
    /// from it, and `ALL` lists exactly these.
    #[test]
    fn every_kind_round_trips_through_the_text_already_stored() {
        let stored = [
            ("setup_completed", EventKind::SetupCompleted),
            ("token_replaced", EventKind::TokenReplaced),
            ("key_check_created", EventKind::KeyCheckCreated),
            ("key_rotated", EventKind::KeyRotated),
            ("token_unreadable", EventKind::TokenUnreadable),
            ("charge_created", EventKind::ChargeCreated),
            ("charge_unconfirmed", EventKind::ChargeUnconfirmed),
            ("charge_recovered", EventKind::ChargeRecovered),
            ("charge_cancelled", EventKind::ChargeCancelled),
            ("charge_paid", EventKind::ChargePaid),
            ("charge_paid_late", EventKind::ChargePaidLate),
            ("charge_underpaid", EventKind::ChargeUnderpaid),
            ("charge_underpaid_late", EventKind::ChargeUnderpaidLate),
            ("charge_mismatch", EventKind::ChargeMismatch),
            ("charge_mismatch_late", EventKind::ChargeMismatchLate),
            ("charge_failed", EventKind::ChargeFailed),
            ("charge_expired", EventKind::ChargeExpired),
            ("charge_unverified", EventKind::ChargeUnverified),
            ("payment_unwatched", EventKind::PaymentUnwatched),
            ("payment_extra", EventKind::PaymentExtra),
            ("payment_hash_taken", EventKind::PaymentHashTaken),
            ("token_rejected", EventKind::TokenRejected),
            ("token_accepted_again", EventKind::TokenAcceptedAgain),
            ("email_set", EventKind::EmailSet),
            ("email_removed", EventKind::EmailRemoved),
            ("token_renewed", EventKind::TokenRenewed),
            ("token_renewal_ended", EventKind::TokenRenewalEnded),
            ("charge_sent_inline", EventKind::ChargeSentInline),
            ("charge_discarded", EventKind::ChargeDiscarded),
        ];
        assert_eq!(stored.map(|(_, kind)| kind), EventKind::ALL);
        for (text, kind) in stored {
            assert_eq!((kind.as_str(), kind.to_string()), (text, text.to_owned()));
            assert_eq!(text.parse(), Ok(kind));
            assert!(kind == text);
        }
    }

    /// The late form is what `settle_charge_watched` wrote as `format!("{event}_late")`.
    #[test]
    fn late_forms_are_the_old_suffixed_texts() {
        for kind in [
            EventKind::ChargePaid,
            EventKind::ChargeUnderpaid,
            EventKind::ChargeMismatch,
        ] {
            assert_eq!(kind.late().as_str(), format!("{}_late", kind.as_str()));
        }
        assert_eq!(EventKind::ChargeFailed.late(), EventKind::ChargeFailed);
    }

    #[test]
    fn unknown_texts_are_typed_errors() {
        for text in ["charge_teleported", "Charge_Paid", "charge_paid ", ""] {
            assert_eq!(
                text.parse::<EventKind>(),
                Err(UnknownEventKind(text.into()))
            );
        }
    }
}
