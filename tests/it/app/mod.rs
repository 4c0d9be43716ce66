//! The process (`src/app`, `khqr-bot run`): start-up, settings, stopping, several replicas on one
//! database.

mod replicas;
mod run;
mod stop;
