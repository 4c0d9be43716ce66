//! The KHQR codec (`src/khqr`): every SDK fixture, hand-picked cases, property tests, the plain
//! PNG.

mod codec;
mod conformance;
mod plain_png;
mod props;
