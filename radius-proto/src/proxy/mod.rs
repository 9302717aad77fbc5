//! Proxying (RFC 2865 §2.3), sans-IO like the rest of the crate:
//! [`forward`] rewrites one request for one hop and relays the reply,
//! [`health`] tracks each home server (alive / zombie / dead, Status-Server
//! probes), [`pool`] picks a server of a home-server pool, and [`realm`]
//! routes a User-Name to a pool or to the local handlers.

pub mod forward;
pub mod health;
pub mod pool;
