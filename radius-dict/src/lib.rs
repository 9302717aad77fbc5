//! The typed-radius dictionaries, compiled: one module of typed attributes
//! per RFC dictionary file and per vendor, and a flat [`prelude`].
//!
//! Like `prost-types` for protobuf, this crate is generated once, below the
//! protocol crate and the servers, so that every layer (and every user)
//! names the same `UserName`, `ErrorCauseValue` and `EapMessage` types.
//! The dictionary files themselves were written for typed-radius from the
//! RFCs and the IANA registry; [`FILES`] carries them for run-time loading.
//!
//! ```
//! use radius_dict::prelude::*;
//! let name = UserName::new("bob");
//! assert_eq!(name.value(), "bob");
//! assert_eq!(ServiceType::new(ServiceTypeValue::FramedUser).number(), 2);
//! assert_eq!(*ServiceType::new(2).value(), ServiceTypeValue::FramedUser);
//! ```
#![allow(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/radius_dictionary.rs"));

/// Every file of the crate's `dictionaries/` directory, as (file name,
/// contents); the root file is `"dictionary"`.
pub const FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/embedded_dicts.rs"));
