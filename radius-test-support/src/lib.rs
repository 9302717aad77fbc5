//! Helpers shared by the workspace's integration tests: free loopback
//! ports, peer-tool detection, temp dirs, test certificates (rcgen), and
//! the radsecproxy and FreeRADIUS processes the interop tests run, and
//! throw-away PostgreSQL clusters.
//!
//! Dev-only (`publish = false`): a dev-dependency of the workspace's
//! crates, never a dependency of a library.
//!
//! Peer tests (radclient, FreeRADIUS, radsecproxy, eapol_test) are skipped
//! with a printed `SKIPPED:` line when the tool is missing, unless
//! `RADIUS_REQUIRE_PEERS=1` (CI), which makes a missing peer a failure.

pub mod freeradius;
pub mod fuzz;
pub mod net;
pub mod peers;
pub mod postgres;
pub mod process;
pub mod radsec;
pub mod tmp;

pub use freeradius::{EapCerts, FreeRadius, SqlDb};
pub use net::{free_port_tcp, free_port_udp, free_udp_pair};
pub use peers::{debian_dictionary, find_tool, have_tool, peers_required, skip, DEBIAN_DICTIONARY};
pub use postgres::Postgres;
pub use process::{radclient, run_with_input, Lines};
#[cfg(feature = "radsec")]
pub use radsec::{client, pap};
pub use radsec::{proxy_leaf, tls_block, Ca, Leaf, Proxy, RADSECPROXY};
pub use tmp::TempDir;
