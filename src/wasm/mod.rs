//! The edge: runs the core's call machines with the global `fetch` and timers (so one build
//! works in a Window, a Worker and Node) and exports them to JavaScript.

mod convert;
mod driver;
mod exports;
pub use exports::{create_user_state, validate_user_state};
mod global;
mod token;
mod transport;
