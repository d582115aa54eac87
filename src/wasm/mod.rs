//! The edge: runs the core's call machines with the global `fetch` and timers (so one build
//! works in a Window, a Worker and Node) and exports them to JavaScript.

mod answers;
mod bulk;
mod convert;
mod csv;
mod driver;
mod exports;
mod global;
mod journal;
mod pages;
mod prepare;
mod resource;
mod scripts;
mod token;
mod transport;
mod types;

pub use bulk::create_user_states;
pub use csv::read_user_states_csv;
pub use exports::{create_user_state, validate_user_state};
pub use pages::{list_user_state_pages, UserStatePages};
pub use resource::{delete_user_state, get_user_state, list_user_states, update_user_state};
pub use scripts::list_scripts;

/// lol_alloc's free-list allocator (sorted, coalescing; safe to construct, so the crate keeps
/// `forbid(unsafe_code)`): 3.1 KB gzipped smaller than Rust's default dlmalloc, and the
/// 10,000-create memory test stays flat with it (BENCHMARKS.md, "What the bytes bought").
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
