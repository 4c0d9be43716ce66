//! How many QRs a pay link hands out, to whom and for how long: the numbers
//! [`Store::reserve_link_charge`](super::Store::reserve_link_charge) enforces in its write
//! transaction (so buyers racing each other, or one buyer on two replicas, cannot pass them).
//!
//! Besides these, every buyer holds at most **one** open QR per link (asking again shows
//! that QR again), and asks for a QR of any link at most once per 5 s (the bot's
//! `REQUEST_GAP_SECS`).
//!
//! Why these numbers. Paying a KHQR from a Telegram chat takes an honest buyer a minute or
//! two: open the bank app, scan or pick the screenshot, confirm. A hoarder wants to sit on
//! units without paying, from as many throwaway accounts as they have.
//! - [`LinkLimits::hold_secs`], 5 min: on a link with a limit, a QR (and the unit it holds)
//!   lives at most this long (the usual `CHARGE_TTL_SECS`, up to 10 min, if shorter). Ample
//!   for paying, and half the time a hoarder's QR blocks a unit at the default 10 min.
//! - [`LinkLimits::unpaid_per_buyer`] per [`LinkLimits::buyer_window_secs`], 2 per 30 min,
//!   on a link with a limit: a buyer gets a second QR when the first ran out (the honest
//!   slow payer), then waits until the older one is 30 min old. One account thus holds a
//!   unit at most 2 × 5 = 10 min in any 30 (a third of the time): keeping N units "sold out
//!   for now" takes at least 3N accounts working in turns, instead of N for ever. A paid QR
//!   does not count (a buyer may buy again at once).
//! - [`LinkLimits::per_link`] per [`LinkLimits::link_window_secs`], 20 a minute, every link:
//!   new QRs of one link from all buyers together. A QR is a charge the watcher asks Bakong
//!   about with the seller's token until it ends, so this caps one link at about 200 open
//!   QRs (20 a minute × 10 min) however many accounts ask, and caps how fast a crowd of
//!   accounts can take units. An honest crowd (a post in a busy group) rarely opens one
//!   link 20 times a minute; the 21st is asked to try again in a minute.

/// The limits on one link's QRs. Times are seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkLimits {
    /// New QRs of one link (all buyers together) per [`Self::link_window_secs`].
    pub per_link: i64,
    pub link_window_secs: i64,
    /// On a link with a limit: QRs of it one buyer took and did not pay (the open one
    /// included) per [`Self::buyer_window_secs`].
    pub unpaid_per_buyer: i64,
    pub buyer_window_secs: i64,
    /// On a link with a limit: the longest a QR (and the unit it holds) lives.
    pub hold_secs: i64,
}

impl LinkLimits {
    /// The limits the bot runs with (see the module documentation for why).
    pub const DEFAULT: LinkLimits = LinkLimits {
        per_link: 20,
        link_window_secs: 60,
        unpaid_per_buyer: 2,
        buyer_window_secs: 30 * 60,
        hold_secs: 5 * 60,
    };

    /// How long a new QR of a link lives: `ttl_secs`, and at most [`Self::hold_secs`] when
    /// the link has a limit (its QRs hold units).
    pub fn qr_lifetime(&self, limited: bool, ttl_secs: i64) -> i64 {
        if limited {
            ttl_secs.min(self.hold_secs)
        } else {
            ttl_secs
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_limited_links_shorten_the_qr() {
        let l = LinkLimits::DEFAULT;
        assert_eq!(l.qr_lifetime(false, 600), 600);
        assert_eq!(l.qr_lifetime(true, 600), 300);
        assert_eq!(l.qr_lifetime(true, 120), 120);
    }
}
