//! The generated attribute types (build.rs over dictionaries/, and the
//! radius_dictionary! macro over a test vendor) encode and decode through a
//! real packet with the right wire layout.

use radius_core::typed::CryptoCtx;
use radius_core::{Code, Packet, PacketExt, PacketWriter, Secret};
use typed_radius::dict::prelude::*;

mod acme {
    typed_radius::radius_dictionary!("tests/fixtures/dictionary.acme");
}
use acme::prelude::*;

fn roundtrip(build: impl FnOnce(&mut PacketWriter<'_>, &Secret)) -> (Vec<u8>, Secret) {
    let s = Secret::new("testing123");
    let mut buf = Vec::new();
    let mut w = PacketWriter::request(&mut buf, Code::ACCESS_REQUEST, 1);
    build(&mut w, &s);
    w.finish(&s).unwrap();
    (buf, s)
}

#[test]
fn rfc_attributes_from_build_rs() {
    let (buf, s) = roundtrip(|w, s| {
        w.add(&UserName::new("bob"), s).unwrap();
        w.add(&UserPassword::new("hello"), s).unwrap();
        w.add(&NasIpAddress::new(std::net::Ipv4Addr::new(10, 0, 0, 1)), s)
            .unwrap();
        w.add(&ServiceType::new(ServiceTypeValue::FramedUser), s)
            .unwrap();
        w.add(&TunnelType::new(TunnelTypeValue::Vlan).with_tag(1), s)
            .unwrap();
        w.add(&TunnelPassword::new("tunnel").with_tag(1), s)
            .unwrap();
        w.add(&EapMessage::new(vec![1u8; 300]), s).unwrap();
        w.add(
            &FramedIpv6Prefix::new(radius_core::value::Ipv6Prefix {
                addr: "2001:db8::".parse().unwrap(),
                len: 32,
            }),
            s,
        )
        .unwrap();
        w.add(&MsChapChallenge::new(vec![9u8; 16]), s).unwrap();
    });
    let p = Packet::decode(&buf).unwrap();
    let auth = *p.authenticator();
    let ctx = CryptoCtx {
        secret: &s,
        authenticator: &auth,
    };
    // Wire layout checks against the RFC numbers.
    assert_eq!(p.find(1), Some(&b"bob"[..]));
    assert_eq!(p.find(6), Some(&[0, 0, 0, 2][..]));
    assert_eq!(
        p.find(64),
        Some(&[1, 0, 0, 13][..]),
        "tagged integer: tag replaces the high octet"
    );
    assert_eq!(p.find_all(79).count(), 2, "EAP-Message split at 253");
    assert_eq!(p.find(97), Some(&[0, 32, 0x20, 0x01, 0x0d, 0xb8][..]));
    // Microsoft VSA: 26 / 311 / type 11.
    let vsa = p.find(26).unwrap();
    assert_eq!(&vsa[..6], &[0, 0, 1, 55, 11, 18]);
    // Typed reads.
    assert_eq!(*p.get::<UserPassword>(&ctx).unwrap().unwrap(), "hello");
    assert_eq!(
        p.get::<ServiceType>(&ctx).unwrap().unwrap().name(),
        Some("Framed-User")
    );
    let tp = p.get::<TunnelPassword>(&ctx).unwrap().unwrap();
    assert_eq!((tp.value().as_str(), tp.tag()), ("tunnel", 1));
    assert_eq!(p.get::<EapMessage>(&ctx).unwrap().unwrap().len(), 300);
    assert_eq!(UserName::NAME, "User-Name");
}

#[test]
fn macro_generated_vendor_with_tlv() {
    let (buf, s) = roundtrip(|w, s| {
        w.add(&AcmeRole::new("admin"), s).unwrap();
        w.add(&AcmeLevel::new(AcmeLevelValue::Admin), s).unwrap();
        w.add(&AcmeSecret::new("k3y"), s).unwrap();
        w.add(&AcmeLimitRate::new(1000), s).unwrap();
        w.add(&WideName::new("wide"), s).unwrap();
    });
    let p = Packet::decode(&buf).unwrap();
    let auth = *p.authenticator();
    let ctx = CryptoCtx {
        secret: &s,
        authenticator: &auth,
    };
    let vsas: Vec<&[u8]> = p.find_all(26).collect();
    assert_eq!(
        vsas[0],
        &[0, 0, 0xfd, 0xe9, 1, 7, b'a', b'd', b'm', b'i', b'n'][..]
    );
    // TLV member wrapped in its parent (type 4) inside the VSA.
    assert_eq!(vsas[3], &[0, 0, 0xfd, 0xe9, 4, 8, 1, 6, 0, 0, 3, 0xe8][..]);
    // format=2,2: 2-octet type, 2-octet length.
    assert_eq!(
        vsas[4],
        &[0, 0, 0xfd, 0xea, 1, 44, 0, 8, b'w', b'i', b'd', b'e'][..]
    );
    assert_eq!(*p.get::<WideName>(&ctx).unwrap().unwrap(), "wide");
    assert_eq!(*p.get::<AcmeRole>(&ctx).unwrap().unwrap(), "admin");
    assert_eq!(p.get::<AcmeLevel>(&ctx).unwrap().unwrap().number(), 2);
    assert_eq!(*p.get::<AcmeSecret>(&ctx).unwrap().unwrap(), "k3y");
    assert_eq!(*p.get::<AcmeLimitRate>(&ctx).unwrap().unwrap(), 1000);
    assert!(p.get::<AcmeLimitBurst>(&ctx).is_none());
}

#[test]
fn untagged_string_starting_below_0x20_keeps_its_first_octet() {
    // RFC 2868 §3.6: an octet 0x00-0x1F first is a tag, so a value starting
    // with one must be sent behind tag 0 or it loses that octet.
    let (buf, s) = roundtrip(|w, s| {
        w.add(&TunnelPrivateGroupId::new("\u{1}vlan"), s).unwrap();
        w.add(&TunnelClientEndpoint::new("host"), s).unwrap();
    });
    let p = Packet::decode(&buf).unwrap();
    let auth = *p.authenticator();
    let ctx = CryptoCtx {
        secret: &s,
        authenticator: &auth,
    };
    assert_eq!(p.find(81), Some(&b"\x00\x01vlan"[..]));
    assert_eq!(p.find(66), Some(&b"host"[..]), "no tag octet needed");
    let v = p.get::<TunnelPrivateGroupId>(&ctx).unwrap().unwrap();
    assert_eq!((v.as_str(), v.tag()), ("\u{1}vlan", 0));
}
