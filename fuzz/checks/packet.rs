//! Packet decoding: validation, attribute iteration, authenticator checks
//! and every wire layout lookup must never panic on any input; batched
//! authenticator checks must agree with one-by-one ones.
//!
//! Shared by the fuzz target (`fuzz/fuzz_targets/packet.rs`) and the test that
//! replays `fuzz/corpus/packet/` in `cargo test`.

use radius_core::attr::{AttrKey, VendorFormat};
use radius_core::crypto::batch;
use radius_core::md5x::Md5Batch;
use radius_core::{Packet, RadiusVersion, Secret};

/// The check the `packet` target runs on each input (and the corpus test
/// on each committed input): panics on a failure.
pub fn run(data: &[u8]) {
    // RADIUS/1.1 rules accept a superset (any Message-Authenticator length).
    let v11 = Packet::decode_version(data, RadiusVersion::V1_1);
    let Ok(p) = Packet::decode(data) else { return };
    assert!(v11.is_ok());
    let secret = Secret::new(b"testing123");
    let one = p.verify_request(&secret);
    // Batched checks (SIMD lanes from MIN_BATCH up) agree with one-by-one.
    let items: Vec<_> = (0..batch::MIN_BATCH).map(|_| p.to_check(&secret)).collect();
    let mut scratch = Md5Batch::new();
    let mut out = Vec::new();
    batch::expected_for_requests(&items, &mut scratch, &mut out);
    for e in &out {
        assert_eq!(p.verify_request_expected(e), one);
    }
    let _ = p.verify_reply(&secret, &[0; 16]);
    let n = p.attributes().count();
    assert!(n <= (p.len() - 20) / 2);
    for key in [
        AttrKey::Std(1),
        AttrKey::Vendor {
            vendor: 9,
            format: VendorFormat::DEFAULT,
            typ: 1,
        },
        AttrKey::Vendor {
            vendor: 24757,
            format: VendorFormat::WIMAX,
            typ: 1,
        },
        AttrKey::Vendor {
            vendor: 429,
            format: VendorFormat {
                type_width: 4,
                length_width: 0,
                continuation: false,
            },
            typ: 1,
        },
        AttrKey::Extended { base: 241, typ: 1 },
        AttrKey::Extended { base: 245, typ: 1 },
        AttrKey::ExtendedVendor {
            base: 246,
            vendor: 11344,
            typ: 1,
        },
    ] {
        for v in key.find_all(p.attribute_bytes()) {
            assert!(v.len() <= p.len());
        }
    }
    let _ = radius_core::attr::concat(p.attribute_bytes(), 79);
}
