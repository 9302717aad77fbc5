//! The `radius` command's server modules as a library, so that the fuzz
//! targets (`fuzz/`) and tests can call the configuration loader
//! ([`serve::config::Config::parse`]) in process. The binary (`main.rs`)
//! uses this module; nothing here is a stable API.

pub mod serve;
