//! Create and manage Intune device management script user run states in Microsoft Graph
//! (beta): the core, plain Rust with no JS types.
//!
//! The model ([`model`]), the input rules ([`validate`]), where requests go ([`endpoint`]),
//! Graph's answers ([`graph`]), the retry policy ([`retry`]) and the calls as state machines
//! that decide what to send next ([`Operation`], [`Create`], [`single`], [`bulk`]), with no I/O
//! and no clock. The wasm crate at the repository's root is the thin edge that runs those
//! machines with the global `fetch` and timers and exports them to JavaScript; the native
//! tests (`core/tests/`) and the fuzz targets drive them with scripted answers. The layout
//! is in ARCHITECTURE.md.

#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]
#![deny(missing_docs)]

mod call;
mod create;
mod http_date;

// Documented as a whole in their module docs; their items' docs are still to come.
#[allow(missing_docs)]
pub mod batch;
#[allow(missing_docs)]
pub mod bulk;
#[allow(missing_docs)]
pub mod list;
#[allow(missing_docs)]
pub mod lookup;
#[allow(missing_docs)]
pub mod request;
#[allow(missing_docs)]
pub mod retry;
#[allow(missing_docs)]
pub mod single;

pub mod csv;
pub mod endpoint;
pub mod error;
pub mod graph;
pub mod http;
pub mod journal;
pub mod json;
pub mod model;
pub mod plan;
pub mod sync;
pub mod text;
pub mod uuid;
pub mod validate;
pub mod writes;

pub use call::{Action, Operation, Policy};
pub use create::Create;
pub use error::{Error, FieldError, GraphError, ValidationError};
pub use json::Json;
