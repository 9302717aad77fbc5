//! The committed corpora of the radius-core fuzz targets (`packet`,
//! `attr`, `dict`, `text`), replayed through the targets' own checks.

use radius_test_support::fuzz::{corpus_dirs_are_replayed, replay};

#[path = "../../../fuzz/checks/attr.rs"]
mod attr;
#[path = "../../../fuzz/checks/dict.rs"]
mod dict;
#[path = "../../../fuzz/checks/packet.rs"]
mod packet;
#[path = "../../../fuzz/checks/text.rs"]
mod text;

#[test]
fn every_corpus_directory_is_replayed() {
    corpus_dirs_are_replayed();
}

#[test]
fn packet_corpus() {
    replay("packet", packet::run);
}

#[test]
fn attr_corpus() {
    replay("attr", attr::run);
}

#[test]
fn dict_corpus() {
    replay("dict", dict::run);
}

#[test]
fn text_corpus() {
    replay("text", text::run);
}
