//! The edge: runs the core's call machines (`intune_core`, in `core/`) with the global `fetch`
//! and timers (so one build works in a Window, a Worker and Node) and exports them to
//! JavaScript. Everything here is `wasm32` only; natively this crate is empty.
#![cfg(target_arch = "wasm32")]
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations)]

mod answers;
mod batched;
mod caller_journal;
mod convert;
mod create_user_states;
mod driver;
mod exports;
mod global;
mod pages;
mod plan_user_states;
mod prepare;
mod read_user_states_csv;
mod resource;
mod scripts;
mod sync_user_states;
mod token;
mod transport;
mod types;

pub use create_user_states::create_user_states;
pub use exports::{create_user_state, validate_user_state};
pub use pages::{list_user_state_pages, UserStatePages};
pub use plan_user_states::plan_user_states;
pub use read_user_states_csv::read_user_states_csv;
pub use resource::{delete_user_state, get_user_state, list_user_states, update_user_state};
pub use scripts::list_scripts;
pub use sync_user_states::sync_user_states;

/// lol_alloc's free-list allocator (sorted, coalescing; safe to construct, so the crate keeps
/// `forbid(unsafe_code)`), with size classes in front of it (`heap/`): a free in lol_alloc's
/// sorted list walks the list, which a long bulk run makes long, so small blocks (nearly every
/// block the machines make) are freed and taken again from a list per size instead.
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<heap::SizeClasses<lol_alloc::FreeListAllocator>> =
    lol_alloc::LockedAllocator::new(heap::SizeClasses::new(lol_alloc::FreeListAllocator::new()));
