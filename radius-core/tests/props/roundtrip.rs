//! Property tests: encode then decode gives back what went in, for packets,
//! every attribute layout, obfuscation schemes and value types; and no
//! input makes the decoders panic.

use proptest::prelude::*;
use radius_core::attr::{self, AttrKey, Attributes, VendorFormat};
use radius_core::crypto::{self, Secret};
use radius_core::packet::{Code, Packet, PacketWriter};
use radius_core::value::{AttrValue, Ipv4Prefix, Ipv6Prefix};

fn formats() -> impl Strategy<Value = VendorFormat> {
    prop_oneof![
        Just(VendorFormat::DEFAULT),
        Just(VendorFormat::WIMAX),
        Just(VendorFormat {
            type_width: 2,
            length_width: 2,
            continuation: false
        }),
        Just(VendorFormat {
            type_width: 4,
            length_width: 0,
            continuation: false
        }),
        Just(VendorFormat {
            type_width: 2,
            length_width: 1,
            continuation: false
        }),
        Just(VendorFormat {
            type_width: 4,
            length_width: 1,
            continuation: false
        }),
    ]
}

proptest! {
    #[test]
    fn packet_roundtrip(code in 1u8..=52, id: u8,
                        attrs in prop::collection::vec((1u8..=255, prop::collection::vec(any::<u8>(), 0..=253)), 0..14),
                        with_ma: bool) {
        let s = Secret::new("s3cret");
        let mut buf = Vec::new();
        let mut w = PacketWriter::request(&mut buf, Code(code), id);
        let mut written = vec![];
        for (t, v) in &attrs {
            if *t == 80 { continue; }
            if w.attr(*t, v).is_ok() { written.push((*t, v.clone())); }
        }
        if with_ma { let _ = w.message_authenticator(); }
        let out = w.finish(&s).unwrap().to_vec();
        let p = Packet::decode(&out).unwrap();
        prop_assert_eq!(p.code(), Code(code));
        prop_assert_eq!(p.identifier(), id);
        let got: Vec<(u8, Vec<u8>)> = p.attributes().filter(|a| a.typ != 80).map(|a| (a.typ, a.value.to_vec())).collect();
        prop_assert_eq!(got, written);
        prop_assert!(p.verify_request(&s).is_ok());
    }

    #[test]
    fn decode_never_panics(data in prop::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(p) = Packet::decode(&data) {
            prop_assert!(p.len() >= 20 && p.len() <= data.len());
            let _ = p.verify_request(&Secret::new("x"));
            for a in p.attributes() { prop_assert!(a.value.len() <= 253); }
        }
    }

    #[test]
    fn vsa_roundtrip(fmt in formats(), vendor in 1u32..16_777_215, typ in 1u32..=255,
                     value in prop::collection::vec(any::<u8>(), 0..240)) {
        let mut out = vec![];
        let max = 253 - 4 - (fmt.type_width + fmt.length_width + fmt.continuation as u8) as usize;
        let r = attr::encode_vsa(&mut out, vendor, fmt, typ, &value);
        if value.len() > max && !fmt.continuation {
            prop_assert!(r.is_err());
        } else {
            r.unwrap();
            prop_assert!(!Attributes::new(&out).malformed());
            let key = AttrKey::Vendor { vendor, format: fmt, typ };
            let got: Vec<Vec<u8>> = key.find_all(&out).map(|c| c.into_owned()).collect();
            prop_assert_eq!(got, vec![value]);
        }
    }

    #[test]
    fn long_extended_roundtrip(base in 245u8..=246, typ: u8, value in prop::collection::vec(any::<u8>(), 0..1500)) {
        let mut out = vec![];
        attr::encode_long_extended(&mut out, base, typ, &value);
        let got: Vec<Vec<u8>> = AttrKey::Extended { base, typ }.find_all(&out).map(|c| c.into_owned()).collect();
        prop_assert_eq!(got, vec![value]);
    }

    #[test]
    fn user_password_roundtrip(pw in prop::collection::vec(1u8..=255, 0..=128), auth: [u8; 16], secret in "[ -~]{1,40}") {
        let s = Secret::new(secret);
        let mut c = vec![];
        crypto::encrypt_user_password(&pw, &s, &auth, &mut c).unwrap();
        let mut p = vec![];
        crypto::decrypt_user_password(&c, &s, &auth, &mut p).unwrap();
        prop_assert_eq!(p, pw);
    }

    #[test]
    fn tunnel_password_roundtrip(pw in prop::collection::vec(any::<u8>(), 0..=239), auth: [u8; 16], salt: [u8; 2]) {
        let s = Secret::new("testing123");
        let mut c = vec![];
        crypto::encrypt_tunnel_password(&pw, &s, &auth, Some(salt), &mut c).unwrap();
        let mut p = vec![];
        crypto::decrypt_tunnel_password(&c, &s, &auth, &mut p).unwrap();
        prop_assert_eq!(p, pw);
    }

    #[test]
    fn prefixes_roundtrip(a: [u8; 16], l in 0u8..=128, a4: [u8; 4], l4 in 0u8..=32) {
        // Bits past the prefix length go out as zero (RFC 8044 §3.10/3.11),
        // so what comes back is the address masked to its length.
        let mut masked = a;
        for (i, b) in masked.iter_mut().enumerate() {
            let keep = (l as i32 - 8 * i as i32).clamp(0, 8);
            *b &= (0xffu16 << (8 - keep)) as u8;
        }
        let p6 = Ipv6Prefix { addr: a.into(), len: l };
        let mut out = vec![];
        p6.encode_value(&mut out).unwrap();
        prop_assert_eq!(Ipv6Prefix::decode_value(&out).unwrap(), Ipv6Prefix { addr: masked.into(), len: l });
        let mut masked4 = a4;
        for (i, b) in masked4.iter_mut().enumerate() {
            let keep = (l4 as i32 - 8 * i as i32).clamp(0, 8);
            *b &= (0xffu16 << (8 - keep)) as u8;
        }
        let p4 = Ipv4Prefix { addr: a4.into(), len: l4 };
        let mut out = vec![];
        p4.encode_value(&mut out).unwrap();
        prop_assert_eq!(Ipv4Prefix::decode_value(&out).unwrap(), Ipv4Prefix { addr: masked4.into(), len: l4 });
    }
}
