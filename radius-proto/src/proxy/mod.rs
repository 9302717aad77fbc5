//! Proxying: home-server health ([`health`]) and server selection in
//! home-server pools ([`pool`]), sans-IO like the rest of the crate.

pub mod health;
pub mod pool;
