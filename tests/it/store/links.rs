//! The store under pay links, on SQLite and PostgreSQL: the guarded reservation under
//! concurrency (5 buyers at once for the last 2 units), units given back by an ending QR,
//! one open QR per buyer per link, the per-link rate, the unpaid-QR limit of a limited link,
//! moving a buyer's card to the message that shows it again, the holds `link_stats` reports,
//! an `any` link's bounds, link states (closed is final, only the owner) and the per-buyer
//! request gap.

use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{Amount, Currency};
use khqr_bot::store::{
    AnyAmount, ChargeId, LinkBuyer, LinkLimits, LinkPrice, LinkState, MerchantId, NewCharge,
    NewPayLink, PayLink, Reserved, Store,
};

const NOW: i64 = 1_780_000_000;
const LIMITS: LinkLimits = LinkLimits::DEFAULT;

async fn store(dir: &tempfile::TempDir) -> Store {
    let url = crate::support::db::fresh_database_url(dir.path(), "links.db").await;
    Store::open(&url).await.unwrap()
}

async fn link_priced(s: &Store, price: LinkPrice, max: Option<u32>) -> (MerchantId, PayLink) {
    let m = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    let link = s
        .insert_link(&NewPayLink {
            merchant_id: m.id,
            price,
            note: Some("cake".into()),
            max_uses: max,
            until_at: None,
            created_at: NOW,
        })
        .await
        .unwrap();
    (m.id, link)
}

async fn link(s: &Store, max: Option<u32>) -> (MerchantId, PayLink) {
    let price = LinkPrice::Fixed(Amount::from_minor(300, Currency::Usd).unwrap());
    link_priced(s, price, max).await
}

fn buyer(id: i64) -> LinkBuyer {
    LinkBuyer {
        user_id: id,
        name: format!("Buyer {id}"),
        lang: Lang::En,
    }
}

fn charge_at(merchant: MerchantId, buyer: i64, n: u32, at: i64) -> NewCharge {
    NewCharge {
        merchant_id: merchant,
        chat_id: buyer,
        bill_number: format!("L{n}"),
        khqr: format!("000201...{n}"),
        md5: format!("{n:032x}"),
        to_account_id: "sokha@aclb".into(),
        amount: Amount::from_minor(300, Currency::Usd).unwrap(),
        note: Some("cake".into()),
        created_at: at,
        expires_at: at + 300,
    }
}

fn charge(merchant: MerchantId, buyer: i64, n: u32) -> NewCharge {
    charge_at(merchant, buyer, n, NOW)
}

async fn reserve(s: &Store, link: &PayLink, c: &NewCharge, limits: &LinkLimits) -> Reserved {
    s.reserve_link_charge(link.id, &buyer(c.chat_id), c, limits)
        .await
        .unwrap()
}

fn reserved(r: Reserved) -> ChargeId {
    match r {
        Reserved::Charge(id) => id,
        other => panic!("not reserved: {other:?}"),
    }
}

/// Ends a charge as the watcher would (`expired` or `paid`).
async fn end(s: &Store, id: ChargeId, status: &str) {
    let paid_at = (status == "paid").then_some(NOW);
    sqlx::query("UPDATE charges SET status = $2, settled_at = $3, paid_at = $4 WHERE id = $1")
        .bind(id.0)
        .bind(status)
        .bind(NOW)
        .bind(paid_at)
        .execute(s.pool())
        .await
        .unwrap();
}

#[tokio::test]
async fn five_concurrent_reservations_for_the_last_two_units_take_exactly_two() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let (m, link) = link(&s, Some(3)).await;
    let first = reserve(&s, &link, &charge(m, 100, 0), &LIMITS).await;
    let first = reserved(first);

    let tasks: Vec<_> = (1..=5)
        .map(|i| {
            let s = s.clone();
            let link = link.clone();
            tokio::spawn(
                async move { reserve(&s, &link, &charge(m, 100 + i, i as u32), &LIMITS).await },
            )
        })
        .collect();
    let mut got = Vec::new();
    for t in tasks {
        got.push(t.await.unwrap());
    }
    let won = got
        .iter()
        .filter(|r| matches!(r, Reserved::Charge(_)))
        .count();
    let sold_out = got.iter().filter(|r| **r == Reserved::SoldOut).count();
    assert_eq!((won, sold_out), (2, 3), "{got:?}");
    let stats = s.link_stats(link.id).await.unwrap();
    assert_eq!((stats.paid, stats.open), (0, 3));
    assert_eq!(stats.held_until, Some(NOW + 300));
    // The refused ones left no charge behind.
    let charges: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM charges")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(charges, 3);

    // An open QR that ends gives its unit back.
    assert!(s.discard_creating_charge(first).await.unwrap());
    let again = reserve(&s, &link, &charge(m, 200, 20), &LIMITS).await;
    assert!(matches!(again, Reserved::Charge(_)), "{again:?}");
    let stats = s.link_stats(link.id).await.unwrap();
    assert_eq!(stats.open, 3);
}

#[tokio::test]
async fn a_buyer_holds_one_open_qr_per_link_and_is_pointed_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let (m, link) = link(&s, None).await;
    let open = reserved(reserve(&s, &link, &charge(m, 1, 1), &LIMITS).await);
    // Creating, then pending: both are the open QR, and nothing new is made.
    let pointed = |r: Reserved| assert_eq!(r, Reserved::AlreadyOpen(open));
    pointed(reserve(&s, &link, &charge(m, 1, 2), &LIMITS).await);
    assert!(s.activate_charge(open, 10, NOW).await.unwrap());
    pointed(reserve(&s, &link, &charge(m, 1, 2), &LIMITS).await);
    let outlook = s.link_outlook(&link, 1, NOW, &LIMITS).await.unwrap();
    pointed(outlook.unwrap());
    // Expired but not yet settled by the watcher: still theirs, said so, nothing new.
    let expiry = NOW + 300;
    assert_eq!(
        s.link_outlook(&link, 1, expiry, &LIMITS).await.unwrap(),
        Some(Reserved::OpenEnding)
    );
    assert_eq!(
        reserve(&s, &link, &charge_at(m, 1, 2, expiry), &LIMITS).await,
        Reserved::OpenEnding
    );
    // Another buyer is not held back; the same buyer is once theirs has ended.
    assert!(matches!(
        reserve(&s, &link, &charge(m, 2, 3), &LIMITS).await,
        Reserved::Charge(_)
    ));
    end(&s, open, "expired").await;
    assert_eq!(s.link_outlook(&link, 1, NOW, &LIMITS).await.unwrap(), None);
    assert!(matches!(
        reserve(&s, &link, &charge(m, 1, 4), &LIMITS).await,
        Reserved::Charge(_)
    ));
    let stats = s.link_stats(link.id).await.unwrap();
    assert_eq!(stats.open, 2);
}

#[tokio::test]
async fn a_link_gives_out_at_most_its_rate_of_qrs_whoever_asks() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let (m, link) = link(&s, None).await;
    let limits = LinkLimits {
        per_link: 3,
        link_window_secs: 60,
        ..LIMITS
    };
    for n in 0..3 {
        reserved(
            reserve(
                &s,
                &link,
                &charge_at(m, 10 + i64::from(n), n, NOW + i64::from(n)),
                &limits,
            )
            .await,
        );
    }
    // A fourth account within the minute: busy, and nothing is created.
    assert_eq!(
        reserve(&s, &link, &charge_at(m, 20, 10, NOW + 30), &limits).await,
        Reserved::Busy
    );
    assert_eq!(
        s.link_outlook(&link, 21, NOW + 30, &limits).await.unwrap(),
        Some(Reserved::Busy)
    );
    assert_eq!(s.link_stats(link.id).await.unwrap().open, 3);
    // A minute after the first, one more.
    assert!(matches!(
        reserve(&s, &link, &charge_at(m, 20, 11, NOW + 60), &limits).await,
        Reserved::Charge(_)
    ));
    assert_eq!(
        reserve(&s, &link, &charge_at(m, 21, 12, NOW + 60), &limits).await,
        Reserved::Busy
    );
    // Another link of the same seller has its own rate.
    let (_, other) = self::link(&s, None).await;
    assert!(matches!(
        s.reserve_link_charge(
            other.id,
            &buyer(22),
            &charge_at(m, 22, 13, NOW + 60),
            &limits
        )
        .await
        .unwrap(),
        Reserved::Charge(_)
    ));
}

#[tokio::test]
async fn a_buyer_who_lets_two_qrs_of_a_limited_link_lapse_waits_half_an_hour() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let (m, limited) = link(&s, Some(5)).await;
    let window = LIMITS.buyer_window_secs;
    let first = reserved(reserve(&s, &limited, &charge_at(m, 1, 1, NOW), &LIMITS).await);
    end(&s, first, "expired").await;
    let second = reserved(reserve(&s, &limited, &charge_at(m, 1, 2, NOW + 300), &LIMITS).await);
    end(&s, second, "expired").await;
    // Two unpaid in the window: the next from when the first is 30 minutes old.
    let refused = Reserved::BuyerLimit {
        retry_at: NOW + window,
    };
    assert_eq!(
        reserve(&s, &limited, &charge_at(m, 1, 3, NOW + 600), &LIMITS).await,
        refused
    );
    assert_eq!(
        s.link_outlook(&limited, 1, NOW + window - 1, &LIMITS)
            .await
            .unwrap(),
        Some(refused)
    );
    // Other buyers are not held back by it.
    let other = reserved(reserve(&s, &limited, &charge_at(m, 2, 4, NOW + 600), &LIMITS).await);
    let third = reserved(reserve(&s, &limited, &charge_at(m, 1, 5, NOW + window), &LIMITS).await);
    // A paid QR does not count: a buyer who pays may buy again at once.
    end(&s, third, "paid").await;
    end(&s, other, "paid").await;
    let fourth =
        reserved(reserve(&s, &limited, &charge_at(m, 1, 6, NOW + window + 1), &LIMITS).await);
    end(&s, fourth, "paid").await;
    assert!(matches!(
        reserve(&s, &limited, &charge_at(m, 1, 7, NOW + window + 2), &LIMITS).await,
        Reserved::Charge(_)
    ));

    // On a link without a limit there is no stock to hoard: no such rule.
    let (_, open) = link(&s, None).await;
    for n in 0..4u32 {
        let id = reserved(
            s.reserve_link_charge(
                open.id,
                &buyer(3),
                &charge_at(m, 3, 20 + n, NOW + i64::from(n)),
                &LIMITS,
            )
            .await
            .unwrap(),
        );
        end(&s, id, "expired").await;
    }
}

#[tokio::test]
async fn a_card_moves_only_while_its_charge_is_open_and_shown_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let (m, link) = link(&s, None).await;
    let id = reserved(reserve(&s, &link, &charge(m, 1, 1), &LIMITS).await);
    // Still creating: nothing to move.
    assert!(!s.move_link_card(id, None, 11).await.unwrap());
    assert!(s.activate_charge(id, 10, NOW).await.unwrap());
    assert!(!s.move_link_card(id, Some(9), 11).await.unwrap());
    assert!(s.move_link_card(id, Some(10), 11).await.unwrap());
    assert_eq!(s.charge(id).await.unwrap().unwrap().message_id, Some(11));
    // The move from 10 again (a second copy racing the first) finds it moved.
    assert!(!s.move_link_card(id, Some(10), 12).await.unwrap());
    end(&s, id, "paid").await;
    assert!(!s.move_link_card(id, Some(11), 13).await.unwrap());
    assert_eq!(s.charge(id).await.unwrap().unwrap().message_id, Some(11));

    // A charge kept without a message id (its photo unconfirmed) takes its first one.
    let unconfirmed = reserved(reserve(&s, &link, &charge(m, 2, 2), &LIMITS).await);
    assert!(
        s.keep_unconfirmed_charge(unconfirmed, "test", NOW)
            .await
            .unwrap()
    );
    assert!(s.move_link_card(unconfirmed, None, 20).await.unwrap());
    assert_eq!(
        s.charge(unconfirmed).await.unwrap().unwrap().message_id,
        Some(20)
    );
}

#[tokio::test]
async fn an_any_links_bounds_are_stored_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let usd = |minor| Amount::from_minor(minor, Currency::Usd).unwrap();
    for any in [
        AnyAmount::new(Currency::Usd, Some(usd(100)), Some(usd(5000))).unwrap(),
        AnyAmount::new(Currency::Usd, Some(usd(100)), None).unwrap(),
        AnyAmount::new(Currency::Usd, None, Some(usd(5000))).unwrap(),
        AnyAmount::unbounded(Currency::Khr),
    ] {
        let (_, link) = link_priced(&s, LinkPrice::Any(any), None).await;
        assert_eq!(link.price, LinkPrice::Any(any));
        let read = s.link(link.id).await.unwrap().unwrap();
        assert_eq!(read, link);
    }
    // A fixed price with bounds is a corrupt row, not a price.
    let (_, fixed) = self::link(&s, None).await;
    sqlx::query("UPDATE pay_links SET min_minor = 100 WHERE id = $1")
        .bind(fixed.id.0)
        .execute(s.pool())
        .await
        .unwrap();
    assert!(s.link(fixed.id).await.is_err());
}

#[tokio::test]
async fn states_are_guarded_and_closed_is_final() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    let (m, link) = link(&s, None).await;
    let stranger = s.ensure_merchant(8, 80, Lang::En, NOW).await.unwrap();
    assert!(
        !s.set_link_state(stranger.id, link.id, LinkState::Paused, NOW)
            .await
            .unwrap()
    );
    assert!(
        s.set_link_state(m, link.id, LinkState::Paused, NOW)
            .await
            .unwrap()
    );
    let r = reserve(&s, &link, &charge(m, 1, 1), &LIMITS).await;
    assert!(matches!(r, Reserved::NotSelling(_)), "{r:?}");
    assert!(
        s.set_link_state(m, link.id, LinkState::Closed, NOW)
            .await
            .unwrap()
    );
    assert!(
        !s.set_link_state(m, link.id, LinkState::Active, NOW)
            .await
            .unwrap()
    );
    let now = s.link(link.id).await.unwrap().unwrap();
    assert_eq!(now.state, LinkState::Closed);
    assert_eq!(s.link_by_code(&link.code).await.unwrap(), Some(now));
}

#[tokio::test]
async fn link_requests_are_limited_per_buyer() {
    let dir = tempfile::tempdir().unwrap();
    let s = store(&dir).await;
    assert!(s.claim_link_request(1, NOW, 5).await.unwrap());
    assert!(!s.claim_link_request(1, NOW + 4, 5).await.unwrap());
    assert!(s.claim_link_request(2, NOW + 4, 5).await.unwrap());
    assert!(s.claim_link_request(1, NOW + 5, 5).await.unwrap());
}
