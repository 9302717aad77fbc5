//! Attribute value decoding: every data type, tags and de-obfuscation,
//! and vendor sub-attribute parsing in every format.
//!
//! Shared by the fuzz target (`fuzz/fuzz_targets/attr.rs`) and the test that
//! replays `fuzz/corpus/attr/` in `cargo test`.

use radius_core::attr::{vendor_sub_attrs, VendorFormat};
use radius_core::dict::DataType;
use radius_core::typed::{decode_value_parts, AttrInfo, CryptoCtx, Encrypt};
use radius_core::value::{AttrValue, Date, Ifid, Ipv4Prefix, Ipv6Prefix, MacAddr};
use radius_core::{AttrKey, Secret};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn all<T: AttrValue + PartialEq + std::fmt::Debug>(b: &[u8]) {
    if let Ok(v) = T::decode_value(b) {
        let mut out = Vec::new();
        // Whatever decodes must encode again, to octets that decode to it.
        v.encode_value(&mut out).expect("decoded value re-encodes");
        assert_eq!(
            T::decode_value(&out).ok(),
            Some(v),
            "{b:02x?} -> {out:02x?}"
        );
    }
}

/// The check the `attr` target runs on each input (and the corpus test
/// on each committed input): panics on a failure.
pub fn run(data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let (sel, rest) = (data[0], &data[1..]);
    all::<String>(rest);
    all::<Vec<u8>>(rest);
    all::<u8>(rest);
    all::<u16>(rest);
    all::<u32>(rest);
    all::<u64>(rest);
    all::<i32>(rest);
    all::<Ipv4Addr>(rest);
    all::<Ipv6Addr>(rest);
    all::<IpAddr>(rest);
    all::<Ipv4Prefix>(rest);
    all::<Ipv6Prefix>(rest);
    all::<Date>(rest);
    all::<Ifid>(rest);
    all::<MacAddr>(rest);
    let fmt = VendorFormat {
        type_width: [1, 2, 4][(sel % 3) as usize],
        length_width: [0, 1, 2][((sel / 3) % 3) as usize],
        continuation: sel & 0x80 != 0,
    };
    for s in vendor_sub_attrs(1, rest, fmt).flatten() {
        assert!(s.value.len() <= rest.len());
    }
    let secret = Secret::new(b"testing123");
    let ctx = CryptoCtx {
        secret: &secret,
        authenticator: &[7; 16],
    };
    for (has_tag, encrypt, dt) in [
        (false, Encrypt::UserPassword, DataType::String),
        (true, Encrypt::TunnelPassword, DataType::String),
        (false, Encrypt::AscendSecret, DataType::String),
        (true, Encrypt::None, DataType::Integer),
        (true, Encrypt::None, DataType::String),
    ] {
        let info = AttrInfo {
            name: "x",
            key: AttrKey::Std(1),
            data_type: dt,
            has_tag,
            encrypt,
            concat: false,
        };
        let _ = decode_value_parts::<Vec<u8>>(&info, rest, &ctx);
        let _ = decode_value_parts::<u32>(&info, rest, &ctx);
    }
}
