//! The edge: runs the core's call machines with the global `fetch` and timers (so one build
//! works in a Window, a Worker and Node) and exports them to JavaScript.

mod bulk;
mod convert;
mod driver;
mod exports;
mod global;
mod pages;
mod prepare;
mod resource;
mod token;
mod transport;
mod types;

pub use bulk::create_user_states;
pub use exports::{create_user_state, validate_user_state};
pub use pages::{list_user_state_pages, UserStatePages};
pub use resource::{delete_user_state, get_user_state, list_user_states, update_user_state};
