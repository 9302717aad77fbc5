//! The committed corpora of the radius-proto fuzz targets (`engine`,
//! `eap`, `radsec_frame`), replayed through the targets' own checks.

use radius_test_support::fuzz::replay;

#[path = "../../../fuzz/checks/eap.rs"]
mod eap;
#[path = "../../../fuzz/checks/engine.rs"]
mod engine;
#[path = "../../../fuzz/checks/radsec_frame.rs"]
mod radsec_frame;

#[test]
fn engine_corpus() {
    replay("engine", engine::run);
}

#[test]
fn eap_corpus() {
    replay("eap", eap::run);
}

#[test]
fn radsec_frame_corpus() {
    replay("radsec_frame", radsec_frame::run);
}
