use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use teloxide::types::Update;

use super::*;
use crate::time::TestClock;

const T0: i64 = 1_800_000_000;

/// An update as Telegram sends it (from text: teloxide's `Update` reads a `Value` as an
/// unparsed update).
fn update(update_id: u32, kind: &str, payload: Value) -> Update {
    let text = json!({ "update_id": update_id, kind: payload }).to_string();
    let update: Update = serde_json::from_str(&text).unwrap();
    assert!(!matches!(update.kind, UpdateKind::Error(_)), "{text}");
    update
}

fn user_json(user: u64) -> Value {
    json!({ "id": user, "is_bot": false, "first_name": "U", "language_code": "en" })
}

fn chat_json(chat: i64) -> Value {
    if chat > 0 {
        json!({ "id": chat, "type": "private", "first_name": "U" })
    } else {
        json!({ "id": chat, "type": "group", "title": "G" })
    }
}

fn message(update_id: u32, user: u64, chat: i64, text: &str) -> Update {
    update(
        update_id,
        "message",
        json!({
            "message_id": update_id,
            "date": 0,
            "chat": chat_json(chat),
            "from": user_json(user),
            "text": text,
        }),
    )
}

fn inline_query(update_id: u32, user: u64) -> Update {
    update(
        update_id,
        "inline_query",
        json!({ "id": format!("q{update_id}"), "from": user_json(user), "query": "5", "offset": "" }),
    )
}

fn shedding(limits: FloodLimits, clock: &TestClock) -> Arc<Shedding> {
    Arc::new(Shedding::new(
        limits,
        clock.shared(),
        Arc::new(Metrics::default()),
    ))
}

/// Budgets so large that only the lanes can drop anything.
fn roomy() -> FloodLimits {
    FloodLimits {
        user: Budget::per_minute(100_000, 60_000),
        chat: Budget::per_minute(100_000, 60_000),
        group_answer: Duration::from_secs(60),
    }
}

/// Admits `updates` one after another, each finishing at once (its slot claimed and
/// dropped): only the budgets can drop one. Returns how many were admitted.
fn admitted_finishing_at_once(shedding: &Arc<Shedding>, updates: &[Update]) -> usize {
    updates
        .iter()
        .filter(|u| {
            let ok = shedding.admit(u).is_ok();
            drop(shedding.claim(u));
            ok
        })
        .count()
}

#[test]
fn a_user_gets_the_burst_then_one_update_per_interval_and_others_are_not_held_up() {
    let clock = TestClock::frozen_at(T0);
    let shedding = shedding(FloodLimits::default(), &clock);
    let flood: Vec<Update> = (0..150).map(|i| message(i, 1, 1, "hi")).collect();
    assert_eq!(admitted_finishing_at_once(&shedding, &flood), 20);
    assert_eq!(
        admitted_finishing_at_once(&shedding, &[message(500, 2, 2, "/charge 5")]),
        1,
        "another user in another chat"
    );
    clock.advance_secs(2);
    let more: Vec<Update> = (600..610).map(|i| message(i, 1, 1, "hi")).collect();
    assert_eq!(admitted_finishing_at_once(&shedding, &more), 1);
    assert_eq!(shedding.metrics.updates_shed("user_budget"), 150 - 20 + 9);
}

#[test]
fn a_group_is_bounded_as_a_whole_and_each_member_by_their_own_budget() {
    let clock = TestClock::frozen_at(T0);
    let shedding = shedding(FloodLimits::default(), &clock);
    // 40 members, one command each: the chat's burst (30) is what drops the rest.
    let crowd: Vec<Update> = (0..40)
        .map(|i| message(i, 100 + u64::from(i), -5, "/help"))
        .collect();
    assert_eq!(admitted_finishing_at_once(&shedding, &crowd), 30);
    assert_eq!(shedding.metrics.updates_shed("chat_budget"), 10);
    // Their private chats are not held up by the group.
    assert_eq!(
        admitted_finishing_at_once(&shedding, &[message(99, 100, 100, "/help")]),
        1
    );
}

#[test]
fn inline_queries_have_their_own_roomier_budget() {
    let clock = TestClock::frozen_at(T0);
    let shedding = shedding(FloodLimits::default(), &clock);
    let typing: Vec<Update> = (0..100).map(|i| inline_query(i, 7)).collect();
    assert_eq!(admitted_finishing_at_once(&shedding, &typing), 40);
    // The user's messages are still within their own budget.
    assert_eq!(
        admitted_finishing_at_once(&shedding, &[message(200, 7, 7, "/charge 1")]),
        1
    );
}

#[test]
fn a_chat_has_at_most_per_chat_updates_in_flight_whatever_its_budget() {
    let clock = TestClock::frozen_at(T0);
    let shedding = shedding(roomy(), &clock);
    let flood: Vec<Update> = (0..150).map(|i| message(i, 1, 1, "hi")).collect();
    let admitted: Vec<&Update> = flood.iter().filter(|u| shedding.admit(u).is_ok()).collect();
    assert_eq!(admitted.len(), in_flight::PER_CHAT);
    assert!(shedding.admit(&message(900, 2, 2, "/charge 5")).is_ok());
    // A handler that returns gives its place back: the next update of the chat goes in.
    let slot = shedding.claim(admitted[0]);
    assert!(
        shedding.admit(&message(901, 1, 1, "hi")).is_err(),
        "still handling"
    );
    drop(slot);
    assert!(shedding.admit(&message(902, 1, 1, "hi")).is_ok());
}

#[test]
fn hints_come_once_a_minute_per_chat_and_group_answers_once_per_interval() {
    let clock = TestClock::frozen_at(T0);
    let limits = FloodLimits {
        group_answer: Duration::from_secs(300),
        ..FloodLimits::default()
    };
    let shedding = shedding(limits, &clock);
    let stranger = ChatId(42);
    assert!(shedding.may_hint(stranger));
    assert!(!shedding.may_hint(stranger));
    assert!(
        shedding.may_hint(ChatId(43)),
        "another chat gets its own hint"
    );
    clock.advance_secs(59);
    assert!(!shedding.may_hint(stranger));
    clock.advance_secs(1);
    assert!(shedding.may_hint(stranger));

    let group = ChatId(-100);
    assert!(shedding.may_answer_group(group));
    clock.advance_secs(299);
    assert!(!shedding.may_answer_group(group));
    clock.advance_secs(1);
    assert!(shedding.may_answer_group(group));
}

#[test]
fn a_crowd_of_strangers_gets_hints_within_the_process_wide_budget() {
    let clock = TestClock::frozen_at(T0);
    let shedding = shedding(FloodLimits::default(), &clock);
    let hinted = (0..1000)
        .filter(|i| shedding.may_hint(ChatId(1_000 + i)))
        .count();
    assert_eq!(hinted, 10, "the courtesy burst");
    clock.advance_secs(1);
    let hinted = (0..1000)
        .filter(|i| shedding.may_hint(ChatId(5_000 + i)))
        .count();
    assert_eq!(hinted, 5, "then five a second");
}

#[test]
fn a_stranger_flood_from_fresh_ids_keeps_the_budget_maps_bounded() {
    let clock = TestClock::frozen_at(T0);
    let shedding = shedding(FloodLimits::default(), &clock);
    for i in 0..200_000u32 {
        let user = 10_000_000 + u64::from(i);
        let update = message(i, user, i64::try_from(user).unwrap(), "hi");
        if shedding.admit(&update).is_ok() {
            drop(shedding.claim(&update));
        }
        if i % 1000 == 0 {
            clock.advance_secs(1);
        }
    }
    let budgets = shedding.budgets();
    assert!(budgets.users.len() <= TRACKED, "{}", budgets.users.len());
    assert!(budgets.chats.len() <= TRACKED, "{}", budgets.chats.len());
    drop(budgets);
    assert_eq!(shedding.in_flight(), 0);
}

/// The property the module exists for, with teloxide's real dispatcher: one chat's
/// handlers are stuck (as behind a flood, its replies paced at one a second) and 300 more
/// of its updates arrive, more than its worker queue holds; an update of another chat that
/// comes after them all is still handled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[allow(clippy::disallowed_types)] // a dispatcher polls with the plain bot
async fn the_dispatcher_hands_on_another_chats_update_while_one_chat_is_stuck() {
    use teloxide::dispatching::Dispatcher;
    use teloxide::prelude::*;
    use tokio::sync::{Notify, mpsc};

    let telegram = crate::emulator::telegram::TelegramEmulator::start(([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let bot = teloxide::Bot::new(telegram.bot_token()).set_api_url(telegram.api_url());
    let clock = TestClock::frozen_at(T0);
    // Budgets out of the way: only the structural bound is at work.
    let shedding = shedding(roomy(), &clock);
    let stuck = Arc::new(Notify::new());
    let (handled_tx, mut handled) = mpsc::unbounded_channel::<i64>();

    let handler = dptree::entry()
        .map(|update: Update, shedding: Arc<Shedding>| shedding.claim(&update))
        .endpoint(
            |update: Update, stuck: Arc<Notify>, handled: mpsc::UnboundedSender<i64>| async move {
                let chat = update.chat().map_or(0, |c| c.id.0);
                let _ = handled.send(chat);
                if chat == 1 {
                    stuck.notified().await;
                }
                Ok::<(), std::convert::Infallible>(())
            },
        );
    let mut dispatcher = Dispatcher::builder(bot.clone(), handler)
        .dependencies(dptree::deps![
            Arc::clone(&shedding),
            Arc::clone(&stuck),
            handled_tx
        ])
        .distribution_function(chat_lane)
        .worker_queue_size(WORKER_QUEUE)
        .build();

    let mut updates: Vec<Update> = (1..=300).map(|i| message(i, 1, 1, "hi")).collect();
    updates.push(message(301, 2, 2, "/charge 5 USD"));
    let (listener, stop) = listener_of(updates);
    let shed = SheddingListener::new(listener, Arc::clone(&shedding), &bot_for(&telegram));
    let running = tokio::spawn(async move {
        dispatcher
            .try_dispatch_with_listener(shed, teloxide::error_handlers::LoggingErrorHandler::new())
            .await
    });

    let other_chat_handled = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(chat) = handled.recv().await {
            if chat == 2 {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(
        other_chat_handled,
        Ok(true),
        "the other chat's update never reached its handler"
    );
    assert!(
        shedding.in_flight.in_lane(Lane::Chat(1)) <= in_flight::PER_CHAT,
        "the stuck chat holds at most its lane"
    );
    // Stopping drains only what was admitted: the stuck handlers finish once released.
    stop.stop();
    stuck.notify_waiters();
    let release = {
        let stuck = Arc::clone(&stuck);
        tokio::spawn(async move {
            loop {
                stuck.notify_waiters();
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
    };
    tokio::time::timeout(Duration::from_secs(30), running)
        .await
        .expect("the dispatcher stops")
        .unwrap()
        .unwrap();
    release.abort();
    assert_eq!(shedding.in_flight(), 0, "every place was given back");
}

#[allow(clippy::disallowed_types)] // the bot under the gate, as `App` builds it
fn bot_for(telegram: &crate::emulator::telegram::TelegramEmulator) -> crate::bot::TgBot {
    let plain = teloxide::Bot::new(telegram.bot_token()).set_api_url(telegram.api_url());
    crate::telegram_pacing::PacedBot::new(
        plain,
        Arc::new(crate::telegram_pacing::FloodGate::default()),
        crate::telegram_pacing::WaitPolicy::HANDLERS,
    )
}

/// An update listener that yields its updates, then waits until stopped.
struct ListOfUpdates {
    updates: Vec<Update>,
    stop: teloxide::stop::StopToken,
    stopped: teloxide::stop::StopFlag,
}

type TestStream<'a> = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<Update, std::convert::Infallible>> + Send + 'a>,
>;

impl<'a> teloxide::update_listeners::AsUpdateStream<'a> for ListOfUpdates {
    type StreamErr = std::convert::Infallible;
    type Stream = TestStream<'a>;

    fn as_stream(&'a mut self) -> Self::Stream {
        use futures_util::{StreamExt, future, stream};
        let updates = std::mem::take(&mut self.updates);
        let stopped = self.stopped.clone();
        Box::pin(
            stream::iter(updates.into_iter().map(Ok))
                .chain(stream::once(stopped).filter_map(|()| future::ready(None))),
        )
    }
}

impl teloxide::update_listeners::UpdateListener for ListOfUpdates {
    type Err = std::convert::Infallible;

    fn stop_token(&mut self) -> teloxide::stop::StopToken {
        self.stop.clone()
    }
}

fn listener_of(updates: Vec<Update>) -> (ListOfUpdates, teloxide::stop::StopToken) {
    let (stop, stopped) = teloxide::stop::mk_stop_token();
    let listener = ListOfUpdates {
        updates,
        stop: stop.clone(),
        stopped,
    };
    (listener, stop)
}
