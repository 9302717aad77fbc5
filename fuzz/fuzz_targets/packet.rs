//! Packet decoding: validation, attribute iteration, authenticator checks
//! and every wire layout lookup must never panic on any input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use radius_core::attr::{AttrKey, VendorFormat};
use radius_core::{Packet, Secret};

fuzz_target!(|data: &[u8]| {
    let Ok(p) = Packet::decode(data) else { return };
    let secret = Secret::new(b"testing123");
    let _ = p.verify_request(&secret);
    let _ = p.verify_reply(&secret, &[0; 16]);
    let n = p.attributes().count();
    assert!(n <= (p.len() - 20) / 2);
    for key in [
        AttrKey::Std(1),
        AttrKey::Vendor { vendor: 9, format: VendorFormat::DEFAULT, typ: 1 },
        AttrKey::Vendor { vendor: 24757, format: VendorFormat::WIMAX, typ: 1 },
        AttrKey::Vendor {
            vendor: 429,
            format: VendorFormat { type_width: 4, length_width: 0, continuation: false },
            typ: 1,
        },
        AttrKey::Extended { base: 241, typ: 1 },
        AttrKey::Extended { base: 245, typ: 1 },
        AttrKey::ExtendedVendor { base: 246, vendor: 11344, typ: 1 },
    ] {
        for v in key.find_all(p.attribute_bytes()) {
            assert!(v.len() <= p.len());
        }
    }
    let _ = radius_core::attr::concat(p.attribute_bytes(), 79);
});
