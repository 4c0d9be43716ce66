pub mod plain;
pub use plain::{PlainRenderError, plain_png};
