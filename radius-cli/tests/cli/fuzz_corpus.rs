//! The committed corpus of the `serve_config` fuzz target, replayed
//! through the target's own check.

#[path = "../../../fuzz/checks/serve_config.rs"]
mod serve_config;

#[test]
fn serve_config_corpus() {
    radius_test_support::fuzz::replay("serve_config", serve_config::run);
}
