//! Anju's storage: one `Store` over two backends, SQLite (embedded, the default) and
//! PostgreSQL (production). Both run the same SQL (`$n` placeholders, BIGINT/TEXT
//! columns) and the same tests; each backend has its own migration tree.
//!
//! Every query takes a [`Scope`](anju_core::Scope): rows outside its subtree are not
//! found, not counted and not listed.

mod areas;
mod error;
mod households;
mod houses;
mod officers;
mod page;
mod pool;
mod units;

pub use areas::{AreaSeed, BoundarySeed};
pub use error::StoreError;
pub use households::HouseholdSeed;
pub use officers::OfficerSeed;
pub use page::ListQuery;
pub use pool::{Backend, Store};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
