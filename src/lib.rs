//! Create and manage Intune device management script user run states in Microsoft Graph
//! (beta) from WebAssembly.
//!
//! The core (everything but `wasm`) is plain Rust with no JS types: the model ([`model`]),
//! the input rules ([`validate`]), where requests go ([`endpoint`]), Graph's answers
//! ([`graph`]), the retry policy ([`retry`]) and the calls as state machines that decide what
//! to send next ([`call`], [`create`]). The `wasm` module is the thin edge that runs those
//! machines with the global `fetch` and timers and exports them to JavaScript.

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod bulk;
pub mod call;
pub mod create;
pub mod csv;
pub mod endpoint;
pub mod error;
pub mod graph;
pub mod http;
pub mod http_date;
pub mod journal;
pub mod json;
pub mod model;
pub mod retry;
pub mod single;
pub mod text;
pub mod uuid;
pub mod validate;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use call::{Action, Operation};
pub use create::Create;
pub use error::{Error, FieldError, GraphError, ValidationError};
pub use json::Json;

#[cfg(target_arch = "wasm32")]
pub use wasm::read_user_states_csv;
#[cfg(target_arch = "wasm32")]
pub use wasm::{
    create_user_state, create_user_states, delete_user_state, get_user_state, list_scripts,
    list_user_state_pages, list_user_states, update_user_state, validate_user_state,
    UserStatePages,
};
