//! Load shedding: every Telegram update passes [`Shedding::admit`] before it can reach the
//! dispatcher's per-chat queues, in polling and webhook mode alike ([`SheddingListener`]
//! wraps either update listener). No chat waits behind another chat's flood.
//!
//! What is dropped, silently:
//! - **Budgets** (token buckets, `FLOOD_*` settings, [`crate::config::FloodLimits`]): the
//!   messages and button presses of one user (all chats together), and the updates of one
//!   chat (all members together); inline queries and chosen inline results have their own,
//!   roomier, per-user budget ([`INLINE`]: one query per keystroke).
//! - **Lanes full** ([`in_flight`]): at most [`in_flight::PER_CHAT`] updates of a chat in
//!   flight (queued for its handler or being handled), [`in_flight::KEYLESS`] updates
//!   without a chat (inline queries, presses on inline cards; at most
//!   [`in_flight::KEYLESS_PER_USER`] of one sender), [`in_flight::TOTAL`] in all.
//!
//! A dropped button press is answered with a short "wait a moment" (a press left
//! unanswered keeps the user's client spinning until its own timeout), as long as the
//! process-wide [`PRESS_ANSWERS`] budget allows; beyond that it is dropped without answer.
//! Handlers use the two answer gates here: a private chat's unknown message gets at most
//! one hint a minute ([`Shedding::may_hint`]), a group's commands at most one answer per
//! `FLOOD_GROUP_ANSWER_SECS` ([`Shedding::may_answer_group`]); both also share the
//! process-wide [`COURTESY`] budget, so a crowd of strangers cannot fill Telegram's
//! 25-messages-a-second budget with hints.
//!
//! **Why the dispatch loop never waits.** teloxide's dispatcher takes one update at a time
//! from the listener and `send(…).await`s it into the bounded queue (capacity
//! [`WORKER_QUEUE`]) of a worker picked by [`chat_lane`]: one worker per chat, handling its
//! updates one after another, and one worker for updates without a chat, handling them
//! concurrently. While that send waits, no other update is dispatched. Here every update
//! that reaches the dispatcher holds a place in its lane, taken in [`Shedding::admit`]
//! (before the dispatcher sees it) and given back only when its handler has returned (the
//! [`Slot`] the handler tree's first step puts in the update's dependency map, which
//! dptree keeps until the endpoint's future has completed). So every update in a worker's
//! queue holds a place of that worker's lane, and a queue never holds more than its lane's
//! bound, which is below the queue's capacity (checked at compile time below). The send
//! therefore always finds room: no tuning of numbers is involved, only the order "place
//! taken before the send, given back after the handler". The lane and the worker are picked
//! by the same function, [`chat_lane`], given to the dispatcher as its distribution
//! function. Stopping drains only the admitted updates: at most `PER_CHAT` per chat.
//!
//! State lives in memory, per process (a restart forgets the budgets; each replica keeps
//! its own). Every map is bounded: idle buckets are swept and the maps capped
//! ([`bucket::Buckets`]), the in-flight table by [`in_flight::TOTAL`].

mod bucket;
pub mod in_flight;
mod listener;

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use teloxide::types::{ChatId, Update, UpdateKind};

use crate::config::{Budget, FloodLimits};
use crate::metrics::Metrics;
use crate::time::SharedClock;

use bucket::{Buckets, TokenBucket};
pub use in_flight::Slot;
use in_flight::{InFlight, Lane};
pub use listener::SheddingListener;

/// Capacity of each of teloxide's worker queues (`Dispatcher::worker_queue_size`): above
/// every lane's bound, so that a send into a queue always finds room.
pub const WORKER_QUEUE: usize = 128;
const _: () = assert!(in_flight::PER_CHAT < WORKER_QUEUE);
const _: () = assert!(in_flight::KEYLESS < WORKER_QUEUE);

/// Inline queries and chosen inline results of one user: Telegram sends a query on every
/// keystroke, and only the settled one is answered (`inline.rs`).
pub const INLINE: Budget = Budget::per_minute(40, 240);
/// Hints to a private chat's unknown messages: one a minute.
pub const HINT: Budget = Budget::once_every(Duration::from_secs(60));
/// Hints and group answers, the whole process together (five a second).
pub const COURTESY: Budget = Budget::per_minute(10, 300);
/// Answers to dropped button presses, the whole process together (ten a second).
pub const PRESS_ANSWERS: Budget = Budget::per_minute(30, 600);
/// Most keys each budget map tracks (a few MB at most).
const TRACKED: usize = 50_000;

/// The dispatcher's distribution function, and the lane an update is counted in: its chat
/// (`None`: no chat, teloxide's concurrent worker). One function for both, so they agree.
pub fn chat_lane(update: &Update) -> Option<ChatId> {
    update.chat().map(|chat| chat.id)
}

/// Why an update was dropped (the `reason` of `khqr_bot_updates_shed_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shed {
    UserBudget,
    ChatBudget,
    InlineBudget,
    InFlight,
}

impl Shed {
    fn label(self) -> &'static str {
        match self {
            Shed::UserBudget => "user_budget",
            Shed::ChatBudget => "chat_budget",
            Shed::InlineBudget => "inline_budget",
            Shed::InFlight => "in_flight",
        }
    }
}

#[derive(Debug)]
struct Budgets {
    users: Buckets<u64>,
    chats: Buckets<i64>,
    inline: Buckets<u64>,
    hints: Buckets<i64>,
    group_answers: Buckets<i64>,
    courtesy: TokenBucket,
    press_answers: TokenBucket,
}

/// The shedding step's state: budgets, answer gates, updates in flight. One per process.
#[derive(Debug)]
pub struct Shedding {
    budgets: Mutex<Budgets>,
    in_flight: Arc<InFlight>,
    clock: SharedClock,
    metrics: Arc<Metrics>,
}

impl Shedding {
    pub fn new(limits: FloodLimits, clock: SharedClock, metrics: Arc<Metrics>) -> Self {
        let now = clock.unix_ms();
        Self {
            budgets: Mutex::new(Budgets {
                users: Buckets::new(limits.user, TRACKED),
                chats: Buckets::new(limits.chat, TRACKED),
                inline: Buckets::new(INLINE, TRACKED),
                hints: Buckets::new(HINT, TRACKED),
                group_answers: Buckets::new(Budget::once_every(limits.group_answer), TRACKED),
                courtesy: TokenBucket::full(COURTESY, now),
                press_answers: TokenBucket::full(PRESS_ANSWERS, now),
            }),
            in_flight: Arc::new(InFlight::default()),
            clock,
            metrics,
        }
    }

    fn budgets(&self) -> MutexGuard<'_, Budgets> {
        // Buckets only: what a panicking holder left is still usable.
        self.budgets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `update` may go on to the dispatcher; if so, it holds a place in its lane
    /// until its handler's [`Slot`] is dropped. Never waits.
    pub fn admit(&self, update: &Update) -> Result<(), Shed> {
        let result = self.check(update);
        if let Err(shed) = result {
            self.metrics.update_shed(shed.label());
            tracing::debug!(
                update_id = update.id.0,
                user = update.from().map(|u| u.id.0),
                chat = chat_lane(update).map(|c| c.0),
                reason = shed.label(),
                "update dropped (flood)"
            );
        }
        result
    }

    fn check(&self, update: &Update) -> Result<(), Shed> {
        // teloxide drops an update it could not parse before any worker: no place needed.
        if matches!(update.kind, UpdateKind::Error(_)) {
            return Ok(());
        }
        let now = self.clock.unix_ms();
        let user = update.from().map(|u| u.id.0);
        let chat = chat_lane(update);
        {
            let mut budgets = self.budgets();
            let inline = matches!(
                update.kind,
                UpdateKind::InlineQuery(_) | UpdateKind::ChosenInlineResult(_)
            );
            let (users, shed) = if inline {
                (&mut budgets.inline, Shed::InlineBudget)
            } else {
                (&mut budgets.users, Shed::UserBudget)
            };
            if let Some(user) = user
                && !users.try_take(&user, now)
            {
                return Err(shed);
            }
            if let Some(chat) = chat
                && !budgets.chats.try_take(&chat.0, now)
            {
                return Err(Shed::ChatBudget);
            }
        }
        let lane = match chat {
            Some(chat) => Lane::Chat(chat.0),
            None => Lane::Keyless { user },
        };
        if self.in_flight.try_enter(update.id.0, lane) {
            Ok(())
        } else {
            Err(Shed::InFlight)
        }
    }

    /// The handler tree's first step: the admitted update's place, held until its handler
    /// has returned.
    pub fn claim(&self, update: &Update) -> Slot {
        self.in_flight.claim(update.id.0)
    }

    /// Whether a private chat's unknown message may get the hint: at most one a minute per
    /// chat, within the process-wide courtesy budget.
    pub fn may_hint(&self, chat: ChatId) -> bool {
        let now = self.clock.unix_ms();
        let mut budgets = self.budgets();
        budgets.hints.try_take(&chat.0, now) && budgets.courtesy.try_take(COURTESY, now)
    }

    /// Whether a group's (or channel's) command may be answered: at most one answer per
    /// `FLOOD_GROUP_ANSWER_SECS` per chat, within the process-wide courtesy budget.
    pub fn may_answer_group(&self, chat: ChatId) -> bool {
        let now = self.clock.unix_ms();
        let mut budgets = self.budgets();
        budgets.group_answers.try_take(&chat.0, now) && budgets.courtesy.try_take(COURTESY, now)
    }

    /// Whether a dropped button press may still be answered (process-wide budget).
    pub fn may_answer_dropped_press(&self) -> bool {
        let now = self.clock.unix_ms();
        self.budgets().press_answers.try_take(PRESS_ANSWERS, now)
    }

    /// Updates admitted and not yet finished, in all.
    pub fn in_flight(&self) -> usize {
        self.in_flight.total()
    }
}

#[cfg(test)]
mod tests;
