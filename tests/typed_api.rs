//! The typed value API a handler author touches: VALUE types, the value
//! accessor shared by plain and tagged attributes, what `new` accepts, and
//! the dictionary data type in the attribute metadata. (What `new` refuses
//! is in tests/ui, run by tests/compile_fail.rs.)

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use radius_core::dict::{DataType, Dictionary};
use radius_core::text::Codec;
use radius_core::typed::{Attribute, CryptoCtx, ValueEnum};
use radius_core::{Code, Packet, PacketExt, PacketWriter, Secret};
use typed_radius::dict::prelude::*;

/// Encode `attrs` into an Access-Request and decode it again.
fn through_packet(attrs: impl FnOnce(&mut PacketWriter<'_>, &Secret)) -> (Vec<u8>, Secret) {
    let s = Secret::new("testing123");
    let mut buf = Vec::new();
    let mut w = PacketWriter::request(&mut buf, Code::ACCESS_REQUEST, 1);
    attrs(&mut w, &s);
    w.finish(&s).unwrap();
    (buf, s)
}

fn read<A: Attribute>(buf: &[u8], s: &Secret) -> A {
    let p = Packet::decode(buf).unwrap();
    let auth = *p.authenticator();
    let ctx = CryptoCtx {
        secret: s,
        authenticator: &auth,
    };
    p.get::<A>(&ctx).unwrap().unwrap()
}

#[test]
fn a_named_number_is_its_constant_whichever_way_it_was_made() {
    let decoded = {
        let (buf, s) = through_packet(|w, s| w.add(&ServiceType::new(2), s).unwrap());
        read::<ServiceType>(&buf, &s).into_value()
    };
    for v in [
        decoded,
        ServiceTypeValue::new(2),
        ServiceTypeValue::from(2),
        ServiceTypeValue::from_number(2),
        ServiceTypeValue::from_name("framed-user").unwrap(),
    ] {
        assert_eq!(v, ServiceTypeValue::FramedUser);
        // Usable as a pattern.
        assert!(matches!(v, ServiceTypeValue::FramedUser));
    }
    assert_eq!(u32::from(ServiceTypeValue::FramedUser), 2);
    assert_eq!(ServiceTypeValue::FramedUser.number(), 2);
    assert_eq!(
        <ServiceTypeValue as ValueEnum>::number(ServiceTypeValue::FramedUser),
        2
    );
    assert!(ServiceTypeValue::TABLE.contains(&(ServiceTypeValue::FramedUser, "Framed-User")));
}

#[test]
fn unnamed_numbers_are_values_that_print_as_numbers() {
    let odd = ServiceTypeValue::new(99);
    assert_eq!(odd.name(), None);
    assert_eq!(<ServiceTypeValue as ValueEnum>::name(odd), None);
    assert_eq!(odd.to_string(), "99");
    assert_eq!(format!("{odd:?}"), "99");
    let label = match odd {
        ServiceTypeValue::LoginUser | ServiceTypeValue::FramedUser => "known",
        other => {
            assert_eq!(other.number(), 99);
            "other"
        }
    };
    assert_eq!(label, "other");
    // Named: the dictionary name, in Display, Debug and the attribute's Debug.
    let named = ServiceTypeValue::FramedUser;
    assert_eq!(named.name(), Some("Framed-User"));
    assert_eq!(named.to_string(), "Framed-User");
    assert_eq!(format!("{named:?}"), "Framed-User");
    assert_eq!(
        format!("{:?}", ServiceType::new(named)),
        "Service-Type(Framed-User)"
    );
    assert_eq!(format!("{:?}", ServiceType::new(99)), "Service-Type(99)");
    // Ordered and hashable by number.
    let set: BTreeSet<_> = [odd, named, ServiceTypeValue::LoginUser].into();
    assert_eq!(
        set.into_iter().map(|v| v.number()).collect::<Vec<_>>(),
        [1, 2, 99]
    );
}

#[test]
fn the_text_form_still_names_values() {
    let (buf, _) = through_packet(|w, s| {
        w.add(&ServiceType::new(ServiceTypeValue::FramedUser), s)
            .unwrap();
        w.add(&AcctTerminateCause::new(9999), s).unwrap();
        w.add(&TunnelType::new(TunnelTypeValue::Vlan).with_tag(1), s)
            .unwrap();
    });
    let dict = Dictionary::from_file(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/radius-dict/dictionaries/dictionary"
    ))
    .unwrap();
    let p = Packet::decode(&buf).unwrap();
    let text = Codec::new(&dict)
        .decode_to_string(p.attribute_bytes())
        .unwrap();
    assert!(text.contains("Service-Type = Framed-User"), "{text}");
    assert!(text.contains("Acct-Terminate-Cause = 9999"), "{text}");
    assert!(text.contains("Tunnel-Type:1 = VLAN"), "{text}");
}

#[test]
fn plain_and_tagged_attributes_read_the_same_way() {
    let name = UserName::new("bob");
    let vlan = TunnelPrivateGroupId::new("100").with_tag(1);
    let medium = TunnelMediumType::new(TunnelMediumTypeValue::Ieee802).with_tag(1);
    assert_eq!(name.value(), "bob");
    assert_eq!(vlan.value(), "100");
    assert_eq!(*medium.value(), TunnelMediumTypeValue::Ieee802);
    assert_eq!((vlan.tag(), medium.tag()), (1, 1));
    // Deref still reaches the value.
    assert_eq!((name.as_str(), vlan.as_str()), ("bob", "100"));
    assert_eq!(name.into_value(), String::from("bob"));
    assert_eq!(vlan.into_value(), String::from("100"));
    // Through a packet.
    let (buf, s) = through_packet(|w, s| {
        w.add(&UserName::new("alice"), s).unwrap();
        w.add(&TunnelPassword::new("pw").with_tag(3), s).unwrap();
    });
    assert_eq!(read::<UserName>(&buf, &s).value(), "alice");
    let tp = read::<TunnelPassword>(&buf, &s);
    assert_eq!((tp.value().as_str(), tp.tag()), ("pw", 3));
}

#[test]
fn new_takes_the_value_type_and_its_borrowed_forms() {
    // Integer literals infer the attribute's integer type: no suffix.
    assert_eq!(*SessionTimeout::new(3600).value(), 3600u32);
    assert_eq!(*FramedMtu::new(1500).value(), 1500u32);
    // An enumerated integer takes a constant or its number.
    assert_eq!(*ServiceType::new(2).value(), ServiceTypeValue::FramedUser);
    assert_eq!(
        *TunnelType::new(13).with_tag(1).value(),
        TunnelTypeValue::Vlan
    );
    // Text: String, &str, &String.
    let owned = String::from("bob");
    assert_eq!(UserName::new("bob").value(), "bob");
    assert_eq!(UserName::new(&owned).value(), "bob");
    assert_eq!(UserName::new(format!("b{}b", 'o')).value(), "bob");
    assert_eq!(TunnelPrivateGroupId::new("100").value(), "100");
    // Octets: Vec<u8>, &[u8], &[u8; N], [u8; N], &Vec<u8>.
    let bytes = vec![1u8, 2, 3];
    assert_eq!(State::new(bytes.clone()).value(), &bytes);
    assert_eq!(State::new(&bytes[..]).value(), &bytes);
    assert_eq!(State::new(&bytes).value(), &bytes);
    assert_eq!(State::new(b"\x01\x02\x03").value(), &bytes);
    assert_eq!(State::new([1u8, 2, 3]).value(), &bytes);
    // Addresses: the address type; a combo-ip takes either family.
    let lo = Ipv4Addr::LOCALHOST;
    assert_eq!(*NasIpAddress::new(lo).value(), lo);
    assert_eq!(*ComboIp::new(lo).value(), IpAddr::V4(lo));
    assert_eq!(*ComboIp::new(IpAddr::V4(lo)).value(), IpAddr::V4(lo));
}

// No generated RFC attribute is combo-ip: one to try the conversion on.
radius_core::attribute! { ComboIp(ComboIp_) = "Combo-IP", Std(250), ::std::net::IpAddr }

#[test]
fn attribute_metadata_carries_the_dictionary_data_type() {
    assert_eq!(UserName::INFO.data_type, DataType::String);
    assert_eq!(State::INFO.data_type, DataType::Octets);
    assert_eq!(NasIpAddress::INFO.data_type, DataType::Ipaddr);
    assert_eq!(ServiceType::INFO.data_type, DataType::Integer);
    assert_eq!(TunnelType::INFO.data_type, DataType::Integer);
    assert_eq!(TunnelPassword::INFO.data_type, DataType::String);
    assert_eq!(FramedIpv6Prefix::INFO.data_type, DataType::Ipv6Prefix);
    assert_eq!(EventTimestamp::INFO.data_type, DataType::Date);
    // The value is octets, the dictionary says tlv: the metadata says tlv.
    assert_eq!(Ipv66rdConfiguration::INFO.data_type, DataType::Tlv);
    const {
        assert!(matches!(
            Ipv66rdConfiguration::INFO.data_type,
            DataType::Tlv
        ))
    };
    // Hand-written attributes default to the value type's data type.
    assert_eq!(ComboIp::INFO.data_type, DataType::ComboIp);
}

radius_core::attribute! {
    /// A `bool` in the dictionary, a `u8` in Rust.
    Flag(Flag_) = "Flag", Std(251), u8, data_type = Bool
}
radius_core::attribute! {
    /// `data_type` combines with the other flags in any order.
    TaggedNumber(TaggedNumber_) = "Tagged-Number", Std(252), u32, data_type = Integer, tagged
}

#[test]
fn the_data_type_flag_overrides_the_value_types_own() {
    assert_eq!(Flag::INFO.data_type, DataType::Bool);
    assert_eq!(TaggedNumber::INFO.data_type, DataType::Integer);
    const { assert!(TaggedNumber::INFO.has_tag) };
    // A tagged integer: the tag replaces the high octet (RFC 2868 §3.1),
    // chosen from the data type.
    let (buf, s) = through_packet(|w, s| w.add(&TaggedNumber::new(7).with_tag(2), s).unwrap());
    assert_eq!(
        Packet::decode(&buf).unwrap().find(252),
        Some(&[2, 0, 0, 7][..])
    );
    let n = read::<TaggedNumber>(&buf, &s);
    assert_eq!((*n.value(), n.tag()), (7, 2));
}

/// The server's names and the dictionary's no longer collide under glob
/// imports: `State` is the RFC 2865 attribute, `Shared` the extractor.
mod server_and_dictionary_globs {
    use typed_radius::dict::prelude::*;
    use typed_radius::server::*;

    #[radius_handler]
    async fn auth(state: Option<State>, n: Shared<u32>) -> AccessAccept {
        let _ = (state.map(State::into_value), *n);
        AccessAccept::new()
    }

    #[test]
    fn state_is_the_attribute_and_shared_the_extractor() {
        assert_eq!(State::NAME, "State");
        assert_eq!(State::new(b"s1").value(), b"s1");
        let _ = Server::with_state(7u32).auth(auth);
    }
}
