//! The committed corpora of the radius-proto fuzz targets (`engine`,
//! `eap`), replayed through the targets' own checks.

use radius_test_support::fuzz::replay;

#[path = "../../../fuzz/checks/eap.rs"]
mod eap;
#[path = "../../../fuzz/checks/engine.rs"]
mod engine;

#[test]
fn engine_corpus() {
    replay("engine", engine::run);
}

#[test]
fn eap_corpus() {
    replay("eap", eap::run);
}
