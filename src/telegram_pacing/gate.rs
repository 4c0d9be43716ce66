//! The flood gate: one per process, shared by every request the bot makes to Telegram.
//!
//! It knows two things. Telegram's flood control: a `retry_after` answer to any request
//! ([`FloodGate::freeze`]) pauses every later request of the bot until it has passed. And
//! the pacing limits ([`Limits`]): at most one message (send or edit) per second in a chat,
//! 20 per minute in a group, supergroup or channel, and 25 per second in all.
//!
//! Time is tokio's ([`tokio::time::Instant`]), so tests drive it with `tokio::time::pause`.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

/// The chat a request goes to, as far as pacing is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChatKey {
    /// A numeric chat id: positive for private chats, negative for groups, supergroups and
    /// channels.
    Id(i64),
    /// `@username` of a public channel or supergroup.
    Username(String),
}

impl ChatKey {
    /// Groups, supergroups and channels have a per-minute limit of their own.
    pub fn is_group(&self) -> bool {
        match self {
            Self::Id(id) => *id < 0,
            Self::Username(_) => true,
        }
    }
}

/// Telegram's limits for a bot (its FAQ "My bot is hitting limits, how do I avoid this?"),
/// with some headroom on the overall one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Shortest time between two messages in one chat.
    pub per_chat_interval: Duration,
    /// Messages per minute in one group, supergroup or channel.
    pub group_per_minute: usize,
    /// Messages per second over all chats.
    pub overall_per_second: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            per_chat_interval: Duration::from_secs(1),
            group_per_minute: 20,
            overall_per_second: 25,
        }
    }
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

fn latest(a: Option<Instant>, b: Instant) -> Option<Instant> {
    Some(a.map_or(b, |a| a.max(b)))
}

/// What a request is, for the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace<'a> {
    /// A message (send or edit) to this chat: paced per chat and overall.
    Chat(&'a ChatKey),
    /// A message without a chat (an inline message edit): paced overall.
    Overall,
    /// Anything else (answering a button, deleting a message, …): not paced, but it waits
    /// for the end of a flood-control pause like everything else.
    Unpaced,
}

#[derive(Debug, Default)]
struct State {
    frozen_until: Option<Instant>,
    /// When each paced request of the last second went, oldest first.
    last_second: VecDeque<Instant>,
    /// The last paced request to each chat (dropped once older than the chat interval).
    last_in_chat: HashMap<ChatKey, Instant>,
    /// The last minute's paced requests to each group chat, oldest first.
    group_minute: HashMap<ChatKey, VecDeque<Instant>>,
}

impl State {
    fn forget_old(&mut self, limits: &Limits, now: Instant) {
        while self.last_second.front().is_some_and(|t| *t + SECOND <= now) {
            self.last_second.pop_front();
        }
        self.last_in_chat
            .retain(|_, t| *t + limits.per_chat_interval > now);
        self.group_minute.retain(|_, sent| {
            while sent.front().is_some_and(|t| *t + MINUTE <= now) {
                sent.pop_front();
            }
            !sent.is_empty()
        });
        if self.frozen_until.is_some_and(|t| t <= now) {
            self.frozen_until = None;
        }
    }

    /// When a message to `chat` may go, as far as the pause and the chat's own limits go.
    fn chat_blocked_until(&self, limits: &Limits, chat: &ChatKey, now: Instant) -> Option<Instant> {
        let mut until = self.frozen_until;
        if let Some(last) = self.last_in_chat.get(chat) {
            until = latest(until, *last + limits.per_chat_interval);
        }
        let per_minute = limits.group_per_minute.max(1);
        if chat.is_group()
            && let Some(sent) = self.group_minute.get(chat)
            && sent.len() >= per_minute
        {
            until = latest(until, sent[sent.len() - per_minute] + MINUTE);
        }
        until.filter(|t| *t > now)
    }

    /// When a request like this may go, if not now.
    fn blocked_until(&self, limits: &Limits, pace: Pace<'_>, now: Instant) -> Option<Instant> {
        let mut until = match pace {
            Pace::Chat(chat) => self.chat_blocked_until(limits, chat, now),
            Pace::Overall | Pace::Unpaced => self.frozen_until,
        };
        let per_second = limits.overall_per_second.max(1);
        if pace != Pace::Unpaced && self.last_second.len() >= per_second {
            let oldest_counted = self.last_second[self.last_second.len() - per_second];
            until = latest(until, oldest_counted + SECOND);
        }
        until.filter(|t| *t > now)
    }

    fn record(&mut self, pace: Pace<'_>, now: Instant) {
        if pace == Pace::Unpaced {
            return;
        }
        self.last_second.push_back(now);
        if let Pace::Chat(chat) = pace {
            self.last_in_chat.insert(chat.clone(), now);
            if chat.is_group() {
                self.group_minute
                    .entry(chat.clone())
                    .or_default()
                    .push_back(now);
            }
        }
    }
}

/// The process-wide gate in front of Telegram (share it in an `Arc`).
#[derive(Debug, Default)]
pub struct FloodGate {
    limits: Limits,
    state: Mutex<State>,
}

impl FloodGate {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            state: Mutex::new(State::default()),
        }
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The state is only counters and times; what a panicking holder left is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Telegram answered `retry_after`: nothing goes until it has passed (a longer pause
    /// already in force stays). Returns the end of the pause.
    pub fn freeze(&self, retry_after: Duration) -> Instant {
        let until = Instant::now() + retry_after;
        let mut state = self.state();
        let extended = state.frozen_until.is_none_or(|t| until > t);
        if extended {
            state.frozen_until = Some(until);
            tracing::warn!(
                retry_after_secs = retry_after.as_secs(),
                "Telegram flood control: every send and edit of the bot waits until it has passed"
            );
        }
        state.frozen_until.unwrap_or(until)
    }

    /// The end of the flood-control pause in force, if any.
    pub fn frozen_until(&self) -> Option<Instant> {
        let now = Instant::now();
        self.state().frozen_until.filter(|t| *t > now)
    }

    /// When a message to `chat` may go, if not now: the pause, the chat's own limits (one a
    /// second; 20 a minute in a group). The overall limit is left out: it is the same for
    /// every chat, and [`FloodGate::pass`] waits for it. Reserves nothing.
    pub fn chat_ready_at(&self, chat: &ChatKey) -> Option<Instant> {
        let now = Instant::now();
        let mut state = self.state();
        state.forget_old(&self.limits, now);
        state.chat_blocked_until(&self.limits, chat, now)
    }

    /// Waits until a request like this may go and counts it as gone. Gives up without
    /// counting, and returns when it could have gone, if that is more than `max_wait` away.
    pub async fn pass(&self, pace: Pace<'_>, max_wait: Duration) -> Result<(), Instant> {
        let deadline = Instant::now() + max_wait;
        loop {
            let until = {
                let now = Instant::now();
                let mut state = self.state();
                state.forget_old(&self.limits, now);
                match state.blocked_until(&self.limits, pace, now) {
                    None => {
                        state.record(pace, now);
                        return Ok(());
                    }
                    Some(until) => until,
                }
            };
            if until > deadline {
                return Err(until);
            }
            tokio::time::sleep_until(until).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LONG: Duration = Duration::from_secs(3600);

    /// Seconds (to the millisecond) since `start` at which each of `n` messages to the
    /// chats `chat(i)` passed the gate, sent one after another.
    async fn pass_times(gate: &FloodGate, n: usize, chat: impl Fn(usize) -> ChatKey) -> Vec<f64> {
        let start = Instant::now();
        let mut times = Vec::new();
        for i in 0..n {
            gate.pass(Pace::Chat(&chat(i)), LONG).await.unwrap();
            times.push((start.elapsed().as_millis() as f64) / 1000.0);
        }
        times
    }

    #[tokio::test(start_paused = true)]
    async fn one_message_a_second_in_a_private_chat() {
        let gate = FloodGate::default();
        let times = pass_times(&gate, 4, |_| ChatKey::Id(7)).await;
        assert_eq!(times, vec![0.0, 1.0, 2.0, 3.0]);
        // Another chat is not held up by the first one.
        gate.pass(Pace::Chat(&ChatKey::Id(7)), LONG).await.unwrap();
        let other = Instant::now();
        gate.pass(Pace::Chat(&ChatKey::Id(8)), LONG).await.unwrap();
        assert_eq!(other.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn twenty_messages_a_minute_in_a_group() {
        let gate = FloodGate::default();
        let times = pass_times(&gate, 22, |_| ChatKey::Id(-100_123)).await;
        // One a second for the first 20, then the 21st waits until a minute after the 1st.
        let first_twenty: Vec<f64> = (0..20).map(f64::from).collect();
        assert_eq!(times[..20], first_twenty[..]);
        assert_eq!(times[20..], [60.0, 61.0]);
        // A channel by username is a group too.
        let times = pass_times(&gate, 21, |_| ChatKey::Username("@shop".into())).await;
        assert_eq!(times[20], 60.0);
        // A private chat has no per-minute limit.
        let times = pass_times(&gate, 22, |_| ChatKey::Id(42)).await;
        assert_eq!(times[21], 21.0);
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_25_a_second_in_all() {
        let gate = FloodGate::default();
        let times = pass_times(&gate, 60, |i| ChatKey::Id(1000 + i as i64)).await;
        let in_window = |from: f64| {
            times
                .iter()
                .filter(|t| **t >= from && **t < from + 1.0)
                .count()
        };
        assert_eq!(
            (in_window(0.0), in_window(1.0), in_window(2.0)),
            (25, 25, 10)
        );
        // No window of one second, wherever it starts, holds more than 25.
        for (i, t) in times.iter().enumerate() {
            assert!(times[i..].iter().take_while(|u| **u < t + 1.0).count() <= 25);
        }
        // Inline edits count towards the overall limit; unpaced requests do not.
        let gate = FloodGate::default();
        for _ in 0..25 {
            gate.pass(Pace::Overall, LONG).await.unwrap();
        }
        let start = Instant::now();
        gate.pass(Pace::Unpaced, LONG).await.unwrap();
        assert_eq!(start.elapsed(), Duration::ZERO);
        gate.pass(Pace::Overall, LONG).await.unwrap();
        assert_eq!(start.elapsed(), SECOND);
    }

    #[tokio::test(start_paused = true)]
    async fn a_freeze_holds_every_request_until_it_has_passed() {
        let gate = FloodGate::default();
        let start = Instant::now();
        let until = gate.freeze(Duration::from_secs(9));
        assert_eq!(until, start + Duration::from_secs(9));
        assert_eq!(gate.frozen_until(), Some(until));
        // A shorter retry_after does not shorten it.
        assert_eq!(gate.freeze(Duration::from_secs(2)), until);
        assert_eq!(gate.chat_ready_at(&ChatKey::Id(5)), Some(until));
        for pace in [Pace::Chat(&ChatKey::Id(5)), Pace::Overall, Pace::Unpaced] {
            gate.pass(pace, LONG).await.unwrap();
            assert!(Instant::now() >= until, "{pace:?} went during the pause");
        }
        assert_eq!(gate.frozen_until(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_rather_than_waiting_too_long() {
        let gate = FloodGate::default();
        let until = gate.freeze(Duration::from_secs(90));
        let start = Instant::now();
        assert_eq!(
            gate.pass(Pace::Chat(&ChatKey::Id(1)), Duration::from_secs(60))
                .await,
            Err(until)
        );
        assert_eq!(start.elapsed(), Duration::ZERO, "it did not wait in vain");
        // What gave up was not counted: the chat is free once the pause is over.
        tokio::time::sleep_until(until).await;
        assert_eq!(gate.chat_ready_at(&ChatKey::Id(1)), None);
    }

    #[tokio::test(start_paused = true)]
    async fn chat_ready_at_tells_without_reserving() {
        let gate = FloodGate::default();
        let chat = ChatKey::Id(3);
        assert_eq!(gate.chat_ready_at(&chat), None);
        assert_eq!(gate.chat_ready_at(&chat), None);
        let start = Instant::now();
        gate.pass(Pace::Chat(&chat), LONG).await.unwrap();
        assert_eq!(gate.chat_ready_at(&chat), Some(start + SECOND));
        // The overall limit is not the chat's: a full second of other chats leaves it ready.
        for i in 0..25 {
            gate.pass(Pace::Chat(&ChatKey::Id(100 + i)), LONG)
                .await
                .unwrap();
        }
        assert_eq!(gate.chat_ready_at(&ChatKey::Id(4)), None);
    }
}
