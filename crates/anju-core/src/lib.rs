//! Anju's domain core: valid-by-construction types and the rules over them.
//!
//! Nothing here performs I/O or awaits; the store and the server call into it.

pub mod access;
pub mod area;
pub mod clock;
pub mod deadline;
pub mod error;
pub mod geometry;
pub mod household;
pub mod identity;
pub mod item;
pub mod lifecycle;
pub mod officer;
pub mod phone;
pub mod prevention;
pub mod recovery;
pub mod report;
pub mod scope;
pub mod view;

pub use access::{Permission, Role};
pub use area::{AreaCode, AreaLevel, GeoPoint};
pub use clock::Clock;
pub use error::{FieldError, ValidationError};
pub use scope::{Actor, Forbidden, Scope};
