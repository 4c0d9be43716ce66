//! The kinds of Telegram follow-up the outbox holds (`telegram_outbox.kind`), as one enum.
//!
//! Each kind is stored as the text [`FollowUpKind::as_str`] gives (the strings databases
//! already hold; no migration) and read back with [`FromStr`](std::str::FromStr). A row
//! whose kind this build does not know (written by a newer build during a rolling upgrade,
//! or by hand) is an [`UnknownFollowUpKind`]: the outbox leaves it undone for a replica that
//! knows it (the queries read only [`FollowUpKind::sql_list`]'s kinds), it never panics.

use super::stored_text::stored_as_text;

/// What a queued follow-up does. The deliverer (`bot::followups`) matches it exhaustively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FollowUpKind {
    /// Edit the charge's message: paid.
    ChargePaid,
    /// Edit the charge's message: less than asked arrived (what arrived, what is missing).
    ChargeUnderpaid,
    /// Edit the charge's message: transfers arrived, none in its currency to the seller's
    /// account.
    ChargeMismatch,
    /// Edit the charge's message: Bakong reported the payment failed.
    ChargeFailed,
    /// Edit the charge's message: expired unpaid.
    ChargeExpired,
    /// Edit the charge's message: cancelled by the seller.
    ChargeCancelled,
    /// Edit the charge's message: never verified by Bakong.
    ChargeUnverified,
    /// Tell the seller a charge could not be verified (check the Bakong app).
    ChargeUnverifiedNotice,
    /// Tell the seller money arrived after the charge ended without (cancelled, expired,
    /// failed…).
    ChargePaidLate,
    /// Tell the seller about a payment for a charge that could no longer take it (queued by
    /// older builds; every payment is recorded now).
    PaymentUnwatched,
    /// Tell the seller another payment arrived for a QR whose charge already had money.
    PaymentExtra,
    /// Tell the seller Bakong reported for a charge a transaction that already paid another
    /// one (the charge is not paid by it).
    PaymentHashTaken,
    /// Bakong refused the token (401): renew it with /token.
    TokenRefused,
    /// The token expires soon.
    TokenExpiring,
    /// The bot renewed the token by itself.
    TokenRenewed,
    /// A renewal by itself ended without a new token.
    TokenRenewalEnded,
    /// The stored token cannot be opened: send /token.
    TokenUnreadable,
    /// Tell the seller a buyer paid a charge of one of their pay links.
    LinkSale,
    /// The day's closing summary (`/close`); the payload holds its text.
    CloseSummary,
}

impl FollowUpKind {
    /// Every kind, for tests and exhaustive checks.
    pub const ALL: [FollowUpKind; 19] = [
        FollowUpKind::ChargePaid,
        FollowUpKind::ChargeUnderpaid,
        FollowUpKind::ChargeMismatch,
        FollowUpKind::ChargeFailed,
        FollowUpKind::ChargeExpired,
        FollowUpKind::ChargeCancelled,
        FollowUpKind::ChargeUnverified,
        FollowUpKind::ChargeUnverifiedNotice,
        FollowUpKind::ChargePaidLate,
        FollowUpKind::PaymentUnwatched,
        FollowUpKind::PaymentExtra,
        FollowUpKind::PaymentHashTaken,
        FollowUpKind::TokenRefused,
        FollowUpKind::TokenExpiring,
        FollowUpKind::TokenRenewed,
        FollowUpKind::TokenRenewalEnded,
        FollowUpKind::TokenUnreadable,
        FollowUpKind::LinkSale,
        FollowUpKind::CloseSummary,
    ];

    /// The text stored in `telegram_outbox.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowUpKind::ChargePaid => "charge_paid",
            FollowUpKind::ChargeUnderpaid => "charge_underpaid",
            FollowUpKind::ChargeMismatch => "charge_mismatch",
            FollowUpKind::ChargeFailed => "charge_failed",
            FollowUpKind::ChargeExpired => "charge_expired",
            FollowUpKind::ChargeCancelled => "charge_cancelled",
            FollowUpKind::ChargeUnverified => "charge_unverified",
            FollowUpKind::ChargeUnverifiedNotice => "charge_unverified_notice",
            FollowUpKind::ChargePaidLate => "charge_paid_late",
            FollowUpKind::PaymentUnwatched => "payment_unwatched",
            FollowUpKind::PaymentExtra => "payment_extra",
            FollowUpKind::PaymentHashTaken => "payment_hash_taken",
            FollowUpKind::TokenRefused => "token_refused",
            FollowUpKind::TokenExpiring => "token_expiring",
            FollowUpKind::TokenRenewed => "token_renewed",
            FollowUpKind::TokenRenewalEnded => "token_renewal_ended",
            FollowUpKind::TokenUnreadable => "token_unreadable",
            FollowUpKind::LinkSale => "link_sale",
            FollowUpKind::CloseSummary => "close_summary",
        }
    }

    /// Every kind's text as an SQL list (`'charge_paid', 'charge_mismatch', …`), for
    /// `kind IN (…)`: the outbox hands out only the kinds this build can deliver. The texts
    /// are this enum's constants, never input.
    pub(super) fn sql_list() -> String {
        Self::ALL
            .iter()
            .map(|k| format!("'{}'", k.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Whether this follow-up edits the charge's own message to its final state (the
    /// others send a new message).
    pub fn edits_charge_message(self) -> bool {
        matches!(
            self,
            FollowUpKind::ChargePaid
                | FollowUpKind::ChargeUnderpaid
                | FollowUpKind::ChargeMismatch
                | FollowUpKind::ChargeFailed
                | FollowUpKind::ChargeExpired
                | FollowUpKind::ChargeCancelled
                | FollowUpKind::ChargeUnverified
        )
    }
}

/// A `telegram_outbox.kind` this build does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown follow-up kind {0:?}")]
pub struct UnknownFollowUpKind(pub String);

stored_as_text!(FollowUpKind, UnknownFollowUpKind);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_text() {
        for kind in FollowUpKind::ALL {
            assert_eq!(kind.as_str().parse::<FollowUpKind>(), Ok(kind));
        }
    }

    /// The texts existing databases hold (as written before the enum existed): they must
    /// keep parsing to the same kinds.
    #[test]
    fn texts_are_those_already_stored() {
        let stored = [
            ("charge_paid", FollowUpKind::ChargePaid),
            ("charge_underpaid", FollowUpKind::ChargeUnderpaid),
            ("charge_mismatch", FollowUpKind::ChargeMismatch),
            ("charge_failed", FollowUpKind::ChargeFailed),
            ("charge_expired", FollowUpKind::ChargeExpired),
            ("charge_cancelled", FollowUpKind::ChargeCancelled),
            ("charge_unverified", FollowUpKind::ChargeUnverified),
            (
                "charge_unverified_notice",
                FollowUpKind::ChargeUnverifiedNotice,
            ),
            ("charge_paid_late", FollowUpKind::ChargePaidLate),
            ("payment_unwatched", FollowUpKind::PaymentUnwatched),
            ("payment_extra", FollowUpKind::PaymentExtra),
            ("payment_hash_taken", FollowUpKind::PaymentHashTaken),
            ("token_refused", FollowUpKind::TokenRefused),
            ("token_expiring", FollowUpKind::TokenExpiring),
            ("token_renewed", FollowUpKind::TokenRenewed),
            ("token_renewal_ended", FollowUpKind::TokenRenewalEnded),
            ("token_unreadable", FollowUpKind::TokenUnreadable),
            ("link_sale", FollowUpKind::LinkSale),
            ("close_summary", FollowUpKind::CloseSummary),
        ];
        assert_eq!(stored.len(), FollowUpKind::ALL.len());
        for (text, kind) in stored {
            assert_eq!(kind.as_str(), text);
            assert_eq!(text.parse::<FollowUpKind>(), Ok(kind));
        }
    }

    #[test]
    fn the_sql_list_names_every_kind_quoted() {
        let list = FollowUpKind::sql_list();
        assert!(
            list.starts_with("'charge_paid', 'charge_underpaid', "),
            "{list}"
        );
        assert_eq!(list.matches('\'').count(), 2 * FollowUpKind::ALL.len());
        for kind in FollowUpKind::ALL {
            let text = kind.as_str();
            assert!(
                text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{text}"
            );
            assert!(list.contains(&format!("'{text}'")));
        }
    }

    #[test]
    fn an_unknown_text_is_a_typed_error() {
        assert_eq!(
            "charge_teleported".parse::<FollowUpKind>(),
            Err(UnknownFollowUpKind("charge_teleported".into()))
        );
        assert_eq!(
            "Charge_Paid".parse::<FollowUpKind>(),
            Err(UnknownFollowUpKind("Charge_Paid".into()))
        );
    }
}
