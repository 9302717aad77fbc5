//! Proxying (RFC 2865 §2.3), sans-IO like the rest of the crate:
//! [`realm`] routes a User-Name to a home-server pool or to the local
//! handlers, [`pool`] picks a server of the pool, [`health`] tracks each
//! home server (alive / zombie / dead, Status-Server probes), and
//! [`forward`] rewrites one request for one hop and relays the reply;
//! [`operator`] holds the RFC 5580/8559 attributes that route CoA and
//! Disconnect requests back to the NAS; [`relay`] keeps the requests
//! forwarded over one socket (Identifiers, verification, retransmission
//! and expiry by deadline) for the datagram-level proxy path.

pub mod forward;
pub mod health;
pub mod operator;
pub mod pool;
pub mod realm;
pub mod relay;
