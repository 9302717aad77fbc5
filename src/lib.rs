//! # typed-radius
//!
//! A RADIUS toolkit whose types come from dictionaries: FreeRADIUS-format
//! dictionary files are compiled at build time into typed attributes
//! ([`dict`]), served by async UDP and RadSec servers ([`server`]) to
//! handlers written as plain functions ([`radius_handler`]).
//!
//! ```
//! use typed_radius::prelude::*;
//! let name = UserName::new("bob");
//! assert_eq!(name.value(), "bob");
//! let st = ServiceType::new(ServiceTypeValue::FramedUser);
//! assert_eq!(st.number(), 2);
//! ```
#![warn(missing_docs)]

pub use radius_core;
pub use radius_core::{attr, crypto, packet, typed, value};
pub use radius_core::{Attribute, Code, Packet, PacketWriter, Secret};
pub use radius_derive::{radius_dictionary, radius_handler};
pub use radius_server;
pub use radius_server as server;

/// Typed attributes generated from the project's dictionaries (the
/// [`radius_dict`] crate): one module per RFC dictionary file and per
/// vendor, and a flat [`prelude`](dict::prelude).
pub use radius_dict as dict;

/// The usual imports: every generated attribute, plus the core types.
pub mod prelude {
    pub use crate::dict::prelude::*;
    pub use radius_core::typed::ValueEnum;
    pub use radius_core::{Attribute, Code, PacketExt, Secret};
}

#[doc = include_str!("../docs/guide.md")]
// The guide's build.rs is shown whole, `fn main` included.
#[allow(clippy::needless_doctest_main)]
pub mod guide {}
