//! The sandbox answers a QR's md5 the way Bakong is documented to (and, where that is not
//! documented, the way docs/bakong.md says is unverified): after a failed attempt the same
//! md5 can later answer a success (the customer topped up and paid again), and after two
//! payments it answers the latest; every transaction stays findable by its hash. The bot's
//! payments ledger relies on neither being the only answer ever given for a QR.

use crate::support::bakong::{md5_of, payment, start};
use khqr_bot::bakong::{Currency, Lookup};

#[tokio::test]
async fn after_a_failure_the_same_md5_answers_the_payment_made_after_it() {
    let env = start().await;
    let md5 = md5_of(1);
    env.sandbox.fail(&md5);
    assert_eq!(
        env.client
            .check_transaction_by_md5(&env.token, &md5)
            .await
            .unwrap(),
        Lookup::Failed
    );
    let tx = env
        .sandbox
        .pay(&md5, payment("3.00", Currency::Usd, "sokha@aclb"))
        .unwrap();
    match env
        .client
        .check_transaction_by_md5(&env.token, &md5)
        .await
        .unwrap()
    {
        Lookup::Paid(t) => assert_eq!(t.hash, tx.hash),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn after_two_payments_the_md5_answers_the_latest_and_both_stay_findable() {
    let env = start().await;
    let md5 = md5_of(2);
    let first = env
        .sandbox
        .pay(&md5, payment("5.00", Currency::Usd, "sokha@aclb"))
        .unwrap();
    let second = env
        .sandbox
        .pay(&md5, payment("5.00", Currency::Usd, "sokha@aclb"))
        .unwrap();
    assert_ne!(first.hash, second.hash, "two transactions");
    for _ in 0..2 {
        match env
            .client
            .check_transaction_by_md5(&env.token, &md5)
            .await
            .unwrap()
        {
            Lookup::Paid(t) => assert_eq!(t.hash, second.hash),
            other => panic!("{other:?}"),
        }
    }
    // The list endpoint says the same.
    let list = env
        .client
        .check_transaction_by_md5_list(&env.token, std::slice::from_ref(&md5))
        .await
        .unwrap();
    match &list[..] {
        [(m, Lookup::Paid(t))] => {
            assert_eq!(m, &md5);
            assert_eq!(t.hash, second.hash);
        }
        other => panic!("{other:?}"),
    }
    for tx in [&first, &second] {
        match env
            .client
            .check_transaction_by_hash(&env.token, &tx.hash)
            .await
            .unwrap()
        {
            Lookup::Paid(t) => assert_eq!(t.hash, tx.hash),
            other => panic!("{other:?}"),
        }
    }
}
