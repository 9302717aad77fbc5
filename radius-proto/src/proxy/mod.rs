//! Proxying: routing requests by realm to home-server pools (issue 14).
//!
//! - [`realm`]: realm routing on User-Name — exact, `/regex/` and `*`
//!   rules, optional stripping, a local target.

pub mod realm;
