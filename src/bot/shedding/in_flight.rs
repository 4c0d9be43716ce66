//! Updates in flight: admitted by the shedding step and not yet finished by their handler.
//!
//! Each admitted update gets a ticket (by update id) counted against its lane — its chat,
//! or for updates without a chat (inline queries, presses on inline cards) the one lane
//! of teloxide's concurrent worker and the sender's share of it. The handler tree's first
//! step turns the ticket into a [`Slot`]; dropping the slot (when the handler has returned)
//! gives the place back. A lane that is full refuses the update: see the module
//! documentation of [`super`] for why that keeps the dispatcher from ever waiting.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Most updates of one chat in flight (queued in its worker or being handled).
pub const PER_CHAT: usize = 4;
/// Most updates without a chat in flight, all senders together.
pub const KEYLESS: usize = 64;
/// Most updates without a chat in flight from one sender.
pub const KEYLESS_PER_USER: usize = 8;
/// Most updates in flight in all, whatever the number of chats: bounds the ticket table, and
/// what a stop has to drain — about what Telegram's 25 messages a second lets the bot
/// answer in ten seconds.
pub const TOTAL: usize = 256;

/// Where an update waits for its handler: the worker of its chat, or teloxide's worker for
/// updates without a chat (which runs them concurrently; `user` is the sender, if any).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lane {
    Chat(i64),
    Keyless { user: Option<u64> },
}

#[derive(Debug, Default)]
struct Table {
    chats: HashMap<i64, usize>,
    keyless_users: HashMap<u64, usize>,
    keyless: usize,
    total: usize,
    /// Admitted updates whose handler has not started yet, by update id.
    tickets: HashMap<u32, Lane>,
}

impl Table {
    fn has_room(&self, lane: Lane) -> bool {
        if self.total >= TOTAL {
            return false;
        }
        match lane {
            Lane::Chat(chat) => self.chats.get(&chat).copied().unwrap_or(0) < PER_CHAT,
            Lane::Keyless { user } => {
                self.keyless < KEYLESS
                    && user.is_none_or(|u| {
                        self.keyless_users.get(&u).copied().unwrap_or(0) < KEYLESS_PER_USER
                    })
            }
        }
    }

    fn count(&mut self, lane: Lane, up: bool) {
        fn step(map_count: &mut usize, up: bool) {
            if up {
                *map_count += 1;
            } else {
                *map_count = map_count.saturating_sub(1);
            }
        }
        step(&mut self.total, up);
        match lane {
            Lane::Chat(chat) => {
                let n = self.chats.entry(chat).or_default();
                step(n, up);
                if *n == 0 {
                    self.chats.remove(&chat);
                }
            }
            Lane::Keyless { user } => {
                step(&mut self.keyless, up);
                if let Some(user) = user {
                    let n = self.keyless_users.entry(user).or_default();
                    step(n, up);
                    if *n == 0 {
                        self.keyless_users.remove(&user);
                    }
                }
            }
        }
    }
}

/// The process's updates in flight (shared in an `Arc`).
#[derive(Debug, Default)]
pub struct InFlight {
    table: Mutex<Table>,
}

impl InFlight {
    fn table(&self) -> MutexGuard<'_, Table> {
        // Counters only: what a panicking holder left is still consistent enough to go on.
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Counts update `update_id` into `lane` if the lane has room; `false` = drop it. The
    /// same update id while it still waits for its handler (a webhook update delivered
    /// twice) is dropped too: every update in a worker's queue holds its own ticket.
    pub fn try_enter(&self, update_id: u32, lane: Lane) -> bool {
        let mut table = self.table();
        if !table.has_room(lane) || table.tickets.contains_key(&update_id) {
            return false;
        }
        table.count(lane, true);
        table.tickets.insert(update_id, lane);
        true
    }

    /// Turns update `update_id`'s ticket into the slot its handler holds. An update that
    /// was never admitted (none should reach a handler) gets an empty slot.
    pub fn claim(self: &Arc<Self>, update_id: u32) -> Slot {
        let lane = self.table().tickets.remove(&update_id);
        Slot {
            in_flight: Arc::clone(self),
            lane,
        }
    }

    /// Updates in flight in `lane`.
    pub fn in_lane(&self, lane: Lane) -> usize {
        let table = self.table();
        match lane {
            Lane::Chat(chat) => table.chats.get(&chat).copied().unwrap_or(0),
            Lane::Keyless { user: None } => table.keyless,
            Lane::Keyless { user: Some(u) } => table.keyless_users.get(&u).copied().unwrap_or(0),
        }
    }

    /// Updates in flight in all.
    pub fn total(&self) -> usize {
        self.table().total
    }
}

/// An admitted update's place in its lane, held by its handler (a value in the handler
/// tree's dependency map, which dptree keeps until the endpoint has returned); dropped, it
/// gives the place back.
#[derive(Debug)]
pub struct Slot {
    in_flight: Arc<InFlight>,
    lane: Option<Lane>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Some(lane) = self.lane.take() {
            self.in_flight.table().count(lane, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chat_has_at_most_per_chat_updates_in_flight() {
        let in_flight = Arc::new(InFlight::default());
        let chat = Lane::Chat(7);
        for id in 0..PER_CHAT as u32 {
            assert!(in_flight.try_enter(id, chat));
        }
        assert!(!in_flight.try_enter(100, chat), "the chat is full");
        assert!(
            in_flight.try_enter(101, Lane::Chat(8)),
            "another chat is not"
        );
        // A handler starting takes its ticket; its place is given back when it returns.
        let slot = in_flight.claim(0);
        assert_eq!(in_flight.in_lane(chat), PER_CHAT);
        assert!(!in_flight.try_enter(102, chat));
        drop(slot);
        assert_eq!(in_flight.in_lane(chat), PER_CHAT - 1);
        assert!(in_flight.try_enter(102, chat));
    }

    #[test]
    fn updates_without_a_chat_are_bounded_per_sender_and_in_all() {
        let in_flight = Arc::new(InFlight::default());
        let mut id = 0;
        let mut enter = |user: Option<u64>| {
            id += 1;
            in_flight.try_enter(id, Lane::Keyless { user })
        };
        let one = (0..100).filter(|_| enter(Some(1))).count();
        assert_eq!(one, KEYLESS_PER_USER);
        let many = (0..1000u64).filter(|u| enter(Some(100 + u))).count();
        assert_eq!(many, KEYLESS - KEYLESS_PER_USER);
        assert!(!enter(None));
    }

    #[test]
    fn the_total_is_bounded_whatever_the_number_of_chats() {
        let in_flight = Arc::new(InFlight::default());
        let admitted = (0..10_000u32)
            .filter(|id| in_flight.try_enter(*id, Lane::Chat(i64::from(*id))))
            .count();
        assert_eq!(admitted, TOTAL);
        assert_eq!(in_flight.total(), TOTAL);
        drop(in_flight.claim(0));
        assert!(in_flight.try_enter(20_000, Lane::Chat(-1)));
    }

    #[test]
    fn an_update_id_still_waiting_is_not_admitted_again() {
        let in_flight = Arc::new(InFlight::default());
        assert!(in_flight.try_enter(5, Lane::Chat(1)));
        assert!(!in_flight.try_enter(5, Lane::Chat(1)));
        assert_eq!(in_flight.in_lane(Lane::Chat(1)), 1);
        drop(in_flight.claim(5));
        assert_eq!(in_flight.total(), 0);
        // Claiming an id that was never admitted gives nothing back.
        drop(in_flight.claim(6));
        assert_eq!(in_flight.total(), 0);
    }
}
