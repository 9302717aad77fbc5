//! The `radius` binary end to end: attr/dict, bench, send, serve (UDP and
//! RadSec). One test binary: each one links on its own, and CI has two
//! cores.

mod attr;
mod bench;
mod fuzz_corpus;
mod send;
mod send_parity;
mod send_radsec;
mod serve;
mod serve_crypt;
mod serve_eap;
mod serve_mschap;
mod serve_ops;
mod serve_pg;
mod serve_proxy;
mod serve_radsec;
mod serve_sql_users;
