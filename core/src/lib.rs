//! Create and manage Intune device management script user run states in Microsoft Graph
//! (beta): the core, plain Rust with no JS types.
//!
//! The model ([`model`]), the input rules ([`validate`]), where requests go ([`endpoint`]),
//! Graph's answers ([`graph`]), the retry policy ([`retry`]) and the calls as state machines
//! that decide what to send next ([`call`], [`create`]). The wasm crate at the repository's
//! root is the thin edge that runs those machines with the global `fetch` and timers and
//! exports them to JavaScript.

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

pub mod batch;
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
pub mod list;
pub mod lookup;
pub mod model;
pub mod plan;
pub mod request;
pub mod retry;
pub mod single;
pub mod sync;
pub mod text;
pub mod uuid;
pub mod validate;
pub mod writes;

pub use call::{Action, Operation};
pub use create::Create;
pub use error::{Error, FieldError, GraphError, ValidationError};
pub use json::Json;
