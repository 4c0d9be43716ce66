//! Issue 15, the store under pay links on a real SQLite file: the guarded reservation under
//! concurrency (5 buyers at once for the last 2 units), units given back by an ending QR,
//! the per-buyer open-QR limit, link states (closed is final, only the owner) and the
//! per-buyer request gap.

use khqr_bot::i18n::Lang;
use khqr_bot::khqr::{Amount, Currency};
use khqr_bot::store::{
    LinkBuyer, LinkPrice, LinkState, MAX_OPEN_PER_BUYER, MerchantId, NewCharge, NewPayLink,
    PayLink, Reserved, Store,
};

const NOW: i64 = 1_780_000_000;

async fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    (dir, Store::open(&url).await.unwrap())
}

async fn link(s: &Store, max: Option<u32>) -> (MerchantId, PayLink) {
    let m = s.ensure_merchant(7, 70, Lang::En, NOW).await.unwrap();
    let link = s
        .insert_link(&NewPayLink {
            merchant_id: m.id,
            price: LinkPrice::Fixed(Amount::from_minor(300, Currency::Usd).unwrap()),
            note: Some("cake".into()),
            max_uses: max,
            until_at: None,
            created_at: NOW,
        })
        .await
        .unwrap();
    (m.id, link)
}

fn buyer(id: i64) -> LinkBuyer {
    LinkBuyer {
        user_id: id,
        name: format!("Buyer {id}"),
        lang: Lang::En,
    }
}

fn charge(merchant: MerchantId, buyer: i64, n: u32) -> NewCharge {
    NewCharge {
        merchant_id: merchant,
        chat_id: buyer,
        bill_number: format!("L{n}"),
        khqr: format!("000201...{n}"),
        md5: format!("{n:032x}"),
        to_account_id: "sokha@aclb".into(),
        amount: Amount::from_minor(300, Currency::Usd).unwrap(),
        note: Some("cake".into()),
        created_at: NOW,
        expires_at: NOW + 600,
    }
}

#[tokio::test]
async fn five_concurrent_reservations_for_the_last_two_units_take_exactly_two() {
    let (_d, s) = store().await;
    let (m, link) = link(&s, Some(3)).await;
    let first = s
        .reserve_link_charge(link.id, &buyer(100), &charge(m, 100, 0))
        .await
        .unwrap();
    assert!(matches!(first, Reserved::Charge(_)), "{first:?}");

    let tasks: Vec<_> = (1..=5)
        .map(|i| {
            let s = s.clone();
            tokio::spawn(async move {
                s.reserve_link_charge(link.id, &buyer(100 + i), &charge(m, 100 + i, i as u32))
                    .await
                    .unwrap()
            })
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
    // The refused ones left no charge behind.
    let charges: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM charges")
        .fetch_one(s.pool())
        .await
        .unwrap();
    assert_eq!(charges, 3);

    // An open QR that ends gives its unit back.
    let Reserved::Charge(id) = first else {
        unreachable!()
    };
    assert!(s.discard_creating_charge(id).await.unwrap());
    let again = s
        .reserve_link_charge(link.id, &buyer(200), &charge(m, 200, 20))
        .await
        .unwrap();
    assert!(matches!(again, Reserved::Charge(_)), "{again:?}");
    let stats = s.link_stats(link.id).await.unwrap();
    assert_eq!(stats.open, 3);
}

#[tokio::test]
async fn a_buyer_holds_at_most_the_open_limit() {
    let (_d, s) = store().await;
    let (m, link) = link(&s, None).await;
    for n in 0..MAX_OPEN_PER_BUYER {
        let r = s
            .reserve_link_charge(link.id, &buyer(1), &charge(m, 1, n as u32))
            .await
            .unwrap();
        assert!(matches!(r, Reserved::Charge(_)), "{r:?}");
    }
    let r = s
        .reserve_link_charge(link.id, &buyer(1), &charge(m, 1, 50))
        .await
        .unwrap();
    assert_eq!(r, Reserved::TooManyOpen);
    let other = s
        .reserve_link_charge(link.id, &buyer(2), &charge(m, 2, 51))
        .await
        .unwrap();
    assert!(matches!(other, Reserved::Charge(_)), "{other:?}");
}

#[tokio::test]
async fn states_are_guarded_and_closed_is_final() {
    let (_d, s) = store().await;
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
    let r = s
        .reserve_link_charge(link.id, &buyer(1), &charge(m, 1, 1))
        .await
        .unwrap();
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
    let (_d, s) = store().await;
    assert!(s.claim_link_request(1, NOW, 5).await.unwrap());
    assert!(!s.claim_link_request(1, NOW + 4, 5).await.unwrap());
    assert!(s.claim_link_request(2, NOW + 4, 5).await.unwrap());
    assert!(s.claim_link_request(1, NOW + 5, 5).await.unwrap());
}
