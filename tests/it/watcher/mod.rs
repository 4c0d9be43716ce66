//! The payment watcher (`src/watcher`): rounds over the real store, the sandbox, the full bot; late
//! money, every payment counted once, two watchers sharing a database.

mod e2e;
mod late;
mod money;
mod replicas;
mod round;
mod sql;
