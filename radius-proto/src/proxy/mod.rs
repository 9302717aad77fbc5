//! Proxying (RFC 2865 §2.3): forwarding requests to home servers and their
//! replies back, sans-IO. [`forward`] rewrites one request for one hop and
//! relays the reply.

pub mod forward;
