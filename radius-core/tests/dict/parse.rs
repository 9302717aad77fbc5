//! Every dictionary construct, on small inline dictionaries whose expected
//! model is written out by hand.

use radius_core::dict::{AttrId, DataType, Dictionary, Encrypt, Flags, Loader};

fn parse(text: &str) -> Dictionary {
    Dictionary::parse_str("dictionary.test", text).unwrap_or_else(|e| panic!("{e}"))
}

fn id(d: &Dictionary, name: &str) -> AttrId {
    d.attr_by_name(name)
        .unwrap_or_else(|| panic!("{name} not defined"))
}

#[test]
fn every_data_type_and_alias() {
    let cases = [
        ("string", DataType::String),
        ("octets", DataType::Octets),
        ("ipaddr", DataType::Ipaddr),
        ("ipv4prefix", DataType::Ipv4Prefix),
        ("cidr", DataType::Ipv4Prefix),
        ("ipv6addr", DataType::Ipv6Addr),
        ("ipv6prefix", DataType::Ipv6Prefix),
        ("integer", DataType::Integer),
        ("uint32", DataType::Integer),
        ("integer64", DataType::Integer64),
        ("uint64", DataType::Integer64),
        ("date", DataType::Date),
        ("ifid", DataType::Ifid),
        ("ether", DataType::Ether),
        ("byte", DataType::Byte),
        ("uint8", DataType::Byte),
        ("short", DataType::Short),
        ("uint16", DataType::Short),
        ("signed", DataType::Signed),
        ("int32", DataType::Signed),
        ("bool", DataType::Bool),
        ("tlv", DataType::Tlv),
        ("combo-ip", DataType::ComboIp),
        ("abinary", DataType::Abinary),
        ("String", DataType::String), // as in Debian's dictionary.juniper
        ("OCTETS", DataType::Octets),
    ];
    let mut text = String::new();
    for (i, (ty, _)) in cases.iter().enumerate() {
        text.push_str(&format!("ATTRIBUTE\tT-{i}\t{}\t{ty}\n", i + 1));
    }
    let d = parse(&text);
    assert_eq!(d.num_attributes(), cases.len());
    for (i, (ty, want)) in cases.iter().enumerate() {
        let a = d.attr(id(&d, &format!("T-{i}")));
        assert_eq!(a.data_type, *want, "{ty}");
        assert_eq!(a.number, i as u32 + 1);
        assert_eq!((a.parent, a.vendor), (None, None));
        assert_eq!(a.location.line, i as u32 + 1);
    }
    assert!(
        d.attr(id(&d, "T-23")).flags.abinary,
        "abinary type sets the flag"
    );
    for t in DataType::ALL {
        assert_eq!(DataType::from_name(t.name()), Some(*t));
    }
    assert_eq!(DataType::from_name("strng"), None);
}

#[test]
fn container_types() {
    let d = parse(
        "ATTRIBUTE Vendor-Specific 26 vsa\n\
         ATTRIBUTE Extended-Attribute-1 241 extended\n\
         ATTRIBUTE Extended-Attribute-5 245 long-extended\n\
         ATTRIBUTE Extended-Vendor-Specific-1 241.26 evs\n\
         ATTRIBUTE Extended-Vendor-Specific-5 245.26 evs\n",
    );
    let e1 = id(&d, "Extended-Attribute-1");
    let e5 = id(&d, "Extended-Attribute-5");
    assert_eq!(d.attr(id(&d, "Vendor-Specific")).data_type, DataType::Vsa);
    assert_eq!(d.attr(e5).data_type, DataType::LongExtended);
    let evs1 = d.attr(id(&d, "Extended-Vendor-Specific-1"));
    assert_eq!(
        (evs1.parent, evs1.number, evs1.data_type),
        (Some(e1), 26, DataType::Evs)
    );
    assert_eq!(d.children(e1), &[id(&d, "Extended-Vendor-Specific-1")]);
    assert_eq!(d.oid(id(&d, "Extended-Vendor-Specific-5")), "245.26");
    assert!(DataType::Evs.is_container() && !DataType::String.is_container());
}

#[test]
fn fixed_length_octets() {
    let d = parse(
        "ATTRIBUTE ARAP-Password 70 octets[16]\n\
         VENDOR Microsoft 311\n\
         BEGIN-VENDOR Microsoft\n\
         ATTRIBUTE MS-CHAP-MPPE-Keys 12 octets[24] encrypt=1\n\
         END-VENDOR Microsoft\n\
         ATTRIBUTE MS-Old-Style 13 octets Microsoft\n",
    );
    let a = d.attr(id(&d, "ARAP-Password"));
    assert_eq!((a.data_type, a.flags.length), (DataType::Octets, Some(16)));
    let k = d.attr(id(&d, "mS-cHaP-mPpE-kEyS"));
    assert_eq!(k.flags.length, Some(24));
    assert_eq!(k.flags.encrypt, Encrypt::UserPassword);
    assert_eq!(k.vendor, Some(311));
    let old = d.attr(id(&d, "MS-Old-Style"));
    assert_eq!(
        (old.vendor, old.number),
        (Some(311), 13),
        "old-style vendor 4th field"
    );
    assert_eq!(old.flags, Flags::default());
}

#[test]
fn every_flag() {
    let d = parse(
        "ATTRIBUTE User-Password 2 string encrypt=1\n\
         ATTRIBUTE Tunnel-Type 64 integer has_tag\n\
         ATTRIBUTE Tunnel-Password 69 string has_tag,encrypt=2\n\
         ATTRIBUTE Tunnel-Other 70 string has_tag=1\n\
         ATTRIBUTE Ascend-Send-Secret 214 string encrypt=3\n\
         ATTRIBUTE EAP-Message 79 octets concat\n\
         ATTRIBUTE Dns-Servers 100 ipaddr array\n\
         ATTRIBUTE Client-Secret 1123 string secret\n\
         ATTRIBUTE Packet-Type 1047 integer virtual\n\
         ATTRIBUTE Filter 242 octets abinary\n\
         ATTRIBUTE Plain 1 string\n",
    );
    let flags = |n: &str| d.attr(id(&d, n)).flags;
    assert_eq!(
        flags("User-Password"),
        Flags {
            encrypt: Encrypt::UserPassword,
            secret: true,
            ..Flags::default()
        }
    );
    assert_eq!(
        flags("Tunnel-Type"),
        Flags {
            has_tag: true,
            ..Flags::default()
        }
    );
    assert_eq!(
        flags("Tunnel-Password"),
        Flags {
            has_tag: true,
            encrypt: Encrypt::TunnelPassword,
            secret: true,
            ..Flags::default()
        }
    );
    assert!(flags("Tunnel-Other").has_tag);
    assert_eq!(flags("Ascend-Send-Secret").encrypt, Encrypt::AscendSecret);
    assert_eq!(flags("Ascend-Send-Secret").encrypt.number(), 3);
    assert!(flags("EAP-Message").concat);
    assert!(flags("Dns-Servers").array);
    assert!(flags("Client-Secret").secret);
    assert!(flags("Packet-Type").virtual_);
    assert!(flags("Filter").abinary);
    assert_eq!(flags("Plain"), Flags::default());
}

#[test]
fn values_hex_large_forward_and_aliases() {
    let d = parse(
        "VALUE Service-Type Early 99\n\
         ATTRIBUTE Service-Type 6 integer\n\
         VALUE Service-Type Login-User 1\n\
         VALUE Service-Type Framed-User 0x2\n\
         VALUE Service-Type Big 4294967295\n\
         VALUE Service-Type High-Bit 0x80000000\n\
         VALUE Service-Type Login-User 1\n\
         VALUE Service-Type Framed 2\n\
         ATTRIBUTE Counter 1148 integer64\n\
         VALUE Counter Max 18446744073709551615\n\
         VALUE Counter Max-Hex 0xFFFFFFFFFFFFFFFF\n\
         ATTRIBUTE Small 200 byte\n\
         VALUE Small Top 255\n\
         ATTRIBUTE Port 201 short\n\
         VALUE Port Top 65535\n",
    );
    let st = id(&d, "service-type");
    let names: Vec<(&str, u64, u32)> = d
        .values_of(st)
        .iter()
        .map(|v| (v.name.as_str(), v.value, v.location.line))
        .collect();
    assert_eq!(
        names,
        [
            ("Early", 99, 1),
            ("Login-User", 1, 3),
            ("Framed-User", 2, 4),
            ("Big", 4294967295, 5),
            ("High-Bit", 0x8000_0000, 6),
            ("Framed", 2, 8),
        ],
        "definition order, identical repetition ignored"
    );
    assert_eq!(d.value_by_name(st, "LOGIN-user").map(|v| v.value), Some(1));
    assert_eq!(
        d.value_name(st, 2),
        Some("Framed"),
        "last name for a number is printed"
    );
    assert_eq!(d.value_name(st, 99), Some("Early"));
    assert_eq!(d.value_name(st, 3), None);
    let c = id(&d, "Counter");
    assert_eq!(d.value_by_name(c, "max").unwrap().value, u64::MAX);
    assert_eq!(d.value_name(c, u64::MAX), Some("Max-Hex"));
    assert_eq!(d.values_of(id(&d, "Small"))[0].value, 255);
    assert_eq!(d.values_of(id(&d, "Port"))[0].value, 65535);
    assert_eq!(d.num_values(), 6 + 2 + 1 + 1);
}

#[test]
fn forward_reference_does_not_take_printed_name() {
    // FreeRADIUS: a VALUE seen before its ATTRIBUTE is resolved at the end
    // and only becomes the printed name if no later VALUE claimed the number.
    let d = parse(
        "VALUE Foo Old-A 1\n\
         VALUE Foo Old-B 1\n\
         VALUE Foo Only-Early 2\n\
         ATTRIBUTE Foo 1 integer\n\
         VALUE Foo New 1\n",
    );
    let foo = id(&d, "Foo");
    assert_eq!(d.value_name(foo, 1), Some("New"));
    assert_eq!(d.value_name(foo, 2), Some("Only-Early"));
    let d = parse("VALUE Foo Old-A 1\nVALUE Foo Old-B 1\nATTRIBUTE Foo 1 integer\n");
    assert_eq!(
        d.value_name(id(&d, "Foo"), 1),
        Some("Old-B"),
        "last of the early ones"
    );
}

#[test]
fn attribute_aliases_share_number_and_values() {
    let d = parse(
        "ATTRIBUTE Client-Id 4 ipaddr\n\
         ATTRIBUTE NAS-IP-Address 4 ipaddr\n\
         ATTRIBUTE NAS-IP-Address 4 ipaddr\n\
         ATTRIBUTE Service-Type 6 integer\n\
         ATTRIBUTE User-Service-Type 6 integer\n\
         VALUE Service-Type Login-User 1\n",
    );
    assert_eq!(d.num_attributes(), 4, "identical redefinition counted once");
    let old = id(&d, "Client-Id");
    let new = id(&d, "NAS-IP-Address");
    assert_eq!(d.attr_by_number(None, None, 4), Some(new), "last one wins");
    assert_eq!(d.canonical(old), new);
    assert!(d.is_alias(old) && !d.is_alias(new));
    assert_eq!(
        d.attr(new).location.line,
        2,
        "first identical definition kept"
    );
    let ust = id(&d, "User-Service-Type");
    assert_eq!(d.attr_by_number(None, None, 6), Some(ust));
    assert_eq!(
        d.value_name(ust, 1),
        Some("Login-User"),
        "values keyed by number"
    );
    assert_eq!(d.values_of(id(&d, "Service-Type")), d.values_of(ust));
    assert!(d.values_of(new).is_empty());
}

#[test]
fn vendors_formats_and_blocks() {
    let d = parse(
        "VENDOR Cisco 9\n\
         VENDOR USR 429\n\
         VENDOR Lucent 4846\n\
         VENDOR Starent 8164\n\
         VENDOR Nokia 94 format=2,2\n\
         VENDOR Wide 5000 format=4,0\n\
         VENDOR WiMAX 24757 format=1,1,c\n\
         VENDOR Altiga 3076\n\
         VENDOR Cisco-ASA 3076\n\
         VENDOR Cisco 9\n\
         begin-vendor cisco\n\
         ATTRIBUTE Cisco-AVPair 1 string\n\
         Attribute Cisco-Zero 0 string\n\
         END-VENDOR Cisco\n\
         BEGIN-VENDOR Starent\n\
         ATTRIBUTE SN-Big 65535 integer\n\
         END-VENDOR Starent\n\
         BEGIN-VENDOR Wide\n\
         ATTRIBUTE Wide-Huge 0x10000000 integer\n\
         END-VENDOR Wide\n\
         ATTRIBUTE USR-Thing 0x0066 string USR\n",
    );
    let fmt = |n: &str| {
        let v = d.vendor_by_name(n).unwrap();
        (v.id, v.type_width, v.length_width, v.continuation)
    };
    assert_eq!(fmt("cisco"), (9, 1, 1, false));
    assert_eq!(fmt("USR"), (429, 4, 0, false));
    assert_eq!(fmt("Lucent"), (4846, 2, 1, false));
    assert_eq!(fmt("Starent"), (8164, 2, 2, false));
    assert_eq!(fmt("Nokia"), (94, 2, 2, false));
    assert_eq!(fmt("Wide"), (5000, 4, 0, false));
    assert_eq!(fmt("wimax"), (24757, 1, 1, true));
    assert_eq!(d.num_vendors(), 9, "identical VENDOR line counted once");
    assert_eq!(
        d.vendor_by_id(3076).unwrap().name,
        "Cisco-ASA",
        "last name wins"
    );
    assert_eq!(d.vendor_by_name("Altiga").unwrap().id, 3076);
    assert_eq!(d.vendor_by_id(9).unwrap().location.line, 1);

    let avpair = id(&d, "Cisco-AVPair");
    let a = d.attr(avpair);
    assert_eq!((a.vendor, a.parent, a.number), (Some(9), None, 1));
    assert_eq!(d.attr_by_number(None, Some(9), 1), Some(avpair));
    assert_eq!(d.attr_by_number(None, None, 1), None);
    assert_eq!(d.oid(avpair), "26.9.1");
    assert_eq!(d.attr(id(&d, "Cisco-Zero")).number, 0);
    assert_eq!(d.vendor_attributes(9), &[avpair, id(&d, "Cisco-Zero")]);
    assert_eq!(d.attr(id(&d, "SN-Big")).number, 65535);
    assert_eq!(d.attr(id(&d, "Wide-Huge")).number, 0x1000_0000);
    let usr = d.attr(id(&d, "USR-Thing"));
    assert_eq!((usr.vendor, usr.number), (Some(429), 0x66));
}

#[test]
fn oids_extended_evs_and_vendor_paths() {
    let d = parse(
        "ATTRIBUTE Extended-Attribute-1 241 extended\n\
         ATTRIBUTE Extended-Attribute-5 245 long-extended\n\
         ATTRIBUTE Extended-Vendor-Specific-1 241.26 evs\n\
         ATTRIBUTE Extended-Vendor-Specific-5 245.26 evs\n\
         ATTRIBUTE Frag-Status 241.1 integer\n\
         ATTRIBUTE IP-Port-Limit-Info 241.5 tlv\n\
         ATTRIBUTE IP-Port-Type 241.5.1 integer\n\
         ATTRIBUTE Long-Thing 245.3 octets\n\
         VENDOR Cisco 9\n\
         VENDOR FreeRADIUS 11344\n\
         ATTRIBUTE Cisco-AVPair 26.9.1 string\n\
         ATTRIBUTE Cisco-Evs-Thing 0xf1.26.9.0x01 string\n\
         BEGIN-VENDOR FreeRADIUS format=Extended-Vendor-Specific-5\n\
         ATTRIBUTE FreeRADIUS-802.1X-Anonce 1 octets\n\
         END-VENDOR FreeRADIUS\n\
         BEGIN-VENDOR FreeRADIUS parent=Extended-Vendor-Specific-1\n\
         ATTRIBUTE FreeRADIUS-Evs1 2 octets\n\
         END-VENDOR FreeRADIUS\n",
    );
    let e1 = id(&d, "Extended-Attribute-1");
    let e5 = id(&d, "Extended-Attribute-5");
    let evs1 = id(&d, "Extended-Vendor-Specific-1");
    let evs5 = id(&d, "Extended-Vendor-Specific-5");
    let frag = d.attr(id(&d, "Frag-Status"));
    assert_eq!((frag.parent, frag.vendor, frag.number), (Some(e1), None, 1));
    let info = id(&d, "IP-Port-Limit-Info");
    let ty = id(&d, "IP-Port-Type");
    assert_eq!(d.attr(ty).parent, Some(info));
    assert_eq!(d.children(info), &[ty]);
    assert_eq!(d.oid(ty), "241.5.1");
    assert_eq!(d.attr(id(&d, "Long-Thing")).parent, Some(e5));
    assert_eq!(
        d.children(e1),
        &[evs1, id(&d, "Frag-Status"), info],
        "definition order"
    );
    let cevs = id(&d, "Cisco-Evs-Thing");
    let a = d.attr(cevs);
    assert_eq!((a.parent, a.vendor, a.number), (Some(evs1), Some(9), 1));
    assert_eq!(d.oid(cevs), "241.26.9.1");
    let anonce = id(&d, "FreeRADIUS-802.1X-Anonce");
    let a = d.attr(anonce);
    assert_eq!((a.parent, a.vendor, a.number), (Some(evs5), Some(11344), 1));
    assert_eq!(d.oid(anonce), "245.26.11344.1");
    assert_eq!(d.attr_by_number(Some(evs5), Some(11344), 1), Some(anonce));
    assert_eq!(d.children(evs5), &[anonce]);
    assert_eq!(d.oid(id(&d, "FreeRADIUS-Evs1")), "241.26.11344.2");
    assert_eq!(
        d.vendor_attributes(11344),
        &[] as &[AttrId],
        "EVS attributes are not VSAs"
    );
    assert_eq!(d.top_level(), &[e1, e5]);
}

#[test]
fn tlvs_by_oid_and_by_block() {
    let d = parse(
        "VENDOR WiMAX 24757 format=1,1,c\n\
         BEGIN-VENDOR WiMAX\n\
         ATTRIBUTE WiMAX-Capability 1 tlv\n\
         ATTRIBUTE WiMAX-Release 1.1 string\n\
         ATTRIBUTE WiMAX-Deep 1.2 tlv\n\
         ATTRIBUTE WiMAX-Deeper 1.2.3 integer\n\
         BEGIN-TLV WiMAX-Deep\n\
         ATTRIBUTE WiMAX-In-Block 4 byte\n\
         ATTRIBUTE WiMAX-Inner 5 tlv\n\
         BEGIN-TLV WiMAX-Inner\n\
         ATTRIBUTE WiMAX-Innermost 6 ether\n\
         END-TLV WiMAX-Inner\n\
         END-TLV WiMAX-Deep\n\
         END-VENDOR WiMAX\n\
         ATTRIBUTE IPv6-6rd-Configuration 173 tlv\n\
         ATTRIBUTE IPv6-6rd-IPv4MaskLen 173.1 integer\n\
         BEGIN-TLV IPv6-6rd-Configuration\n\
         ATTRIBUTE IPv6-6rd-Prefix 2 ipv6prefix\n\
         END-TLV IPv6-6rd-Configuration\n",
    );
    let cap = id(&d, "WiMAX-Capability");
    let rel = id(&d, "WiMAX-Release");
    let deep = id(&d, "WiMAX-Deep");
    let a = d.attr(rel);
    assert_eq!((a.parent, a.vendor, a.number), (Some(cap), Some(24757), 1));
    assert_eq!(d.oid(rel), "26.24757.1.1");
    assert_eq!(d.children(cap), &[rel, deep]);
    assert_eq!(d.oid(id(&d, "WiMAX-Deeper")), "26.24757.1.2.3");
    let inb = d.attr(id(&d, "WiMAX-In-Block"));
    assert_eq!(
        (inb.parent, inb.vendor, inb.number),
        (Some(deep), Some(24757), 4)
    );
    assert_eq!(d.oid(id(&d, "WiMAX-Innermost")), "26.24757.1.2.5.6");
    assert_eq!(
        d.attr_by_number(Some(id(&d, "WiMAX-Inner")), Some(24757), 6),
        Some(id(&d, "WiMAX-Innermost"))
    );
    assert_eq!(d.vendor_attributes(24757), &[cap]);
    let six = id(&d, "IPv6-6rd-Configuration");
    assert_eq!(d.children(six).len(), 2);
    assert_eq!(d.oid(id(&d, "IPv6-6rd-Prefix")), "173.2");
    assert_eq!(d.attr(id(&d, "IPv6-6rd-Prefix")).vendor, None);
}

#[test]
fn lexical_details() {
    let d = parse(
        "# a comment\n\
         \n\
         \t   \n\
         attribute\tUser-Name\t1\tstring # trailing comment\r\n\
         ATTRIBUTE  Odd 2 string#comment\n\
         \tVALUE   User-Name-Typo-Free   X 1\n\
         ATTRIBUTE User-Name-Typo-Free 3 integer\n\
         Vendor acme 0x10\n",
    );
    let a = d.attr(id(&d, "USER-NAME"));
    assert_eq!((a.number, a.location.line), (1, 4));
    assert_eq!(a.location.to_string(), "dictionary.test:4");
    assert_eq!(d.vendor_by_id(16).unwrap().name, "acme");
    assert_eq!(d.num_attributes(), 3);
    // '#' starts a comment anywhere, as in FreeRADIUS.
    assert_eq!(d.attr(id(&d, "odd")).data_type, DataType::String);
}

#[test]
fn includes_virtual_and_optional() {
    let d = Loader::new()
        .virtual_file(
            "dicts/dictionary.a",
            "VENDOR Acme 9999\n$INCLUDE sub/dictionary.b\n",
        )
        .virtual_file(
            "dicts/sub/dictionary.b",
            "BEGIN-VENDOR Acme\nATTRIBUTE Acme-Thing 1 string\nEND-VENDOR Acme\n",
        )
        .add_str(
            "dicts/dictionary",
            "$INCLUDE dictionary.a\n\
             $INCLUDE- dictionary.missing\n\
             $-INCLUDE ./does/not/exist\n\
             $INCLUDE ./sub/../dictionary.a\n\
             VALUE Acme-Thing Ok 1\n",
        )
        .load();
    let err = d.unwrap_err().to_string();
    // VALUE on a string attribute: reported with its location.
    assert_eq!(
        err,
        "dicts/dictionary:5: VALUE \"Ok\" = 1 not allowed for attribute \"Acme-Thing\" of type \
         string: only byte, short, integer, integer64, signed, date, bool and octets attributes \
         can have VALUEs"
    );
    let d = Loader::new()
        .virtual_file(
            "dicts/dictionary.a",
            "VENDOR Acme 9999\n$INCLUDE sub/dictionary.b\n",
        )
        .virtual_file(
            "dicts/sub/dictionary.b",
            "BEGIN-VENDOR Acme\nATTRIBUTE Acme-Thing 1 string\nEND-VENDOR Acme\n",
        )
        .add_str(
            "dicts/dictionary",
            "$INCLUDE dictionary.a\n$INCLUDE- dictionary.missing\n$INCLUDE dictionary.a\n",
        )
        .load()
        .unwrap();
    let a = d.attr(id(&d, "Acme-Thing"));
    assert_eq!(a.location.to_string(), "dicts/sub/dictionary.b:2");
    assert_eq!(a.vendor, Some(9999));
    assert!(d.files().is_empty(), "virtual files are not listed");
}

#[test]
fn blocks_do_not_leak_into_included_files() {
    // FreeRADIUS v3 starts every file at the top level.
    let d = Loader::new()
        .virtual_file("inc", "ATTRIBUTE Plain 5 string\n")
        .add_str(
            "root",
            "VENDOR Acme 9999\nBEGIN-VENDOR Acme\n$INCLUDE inc\nATTRIBUTE In 5 string\nEND-VENDOR Acme\n",
        )
        .load()
        .unwrap();
    assert_eq!(d.attr(id(&d, "Plain")).vendor, None);
    assert_eq!(d.attr(id(&d, "In")).vendor, Some(9999));
}

#[test]
fn files_on_disk() {
    let dir = std::env::temp_dir().join(format!("radius-dict-test-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(
        dir.join("dictionary"),
        "$INCLUDE sub/dictionary.x\n$INCLUDE- dictionary.absent\nATTRIBUTE Root 2 string\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("sub/dictionary.x"),
        format!(
            "ATTRIBUTE X 1 string\n$INCLUDE {}\n",
            dir.join("dictionary.abs").display()
        ),
    )
    .unwrap();
    std::fs::write(dir.join("dictionary.abs"), "ATTRIBUTE Abs 3 string\n").unwrap();
    let d = Dictionary::from_file(dir.join("dictionary")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        d.files(),
        &[
            dir.join("dictionary"),
            dir.join("sub/dictionary.x"),
            dir.join("dictionary.abs")
        ]
    );
    assert_eq!(
        d.attr(id(&d, "Abs")).location.to_string(),
        format!("{}:1", dir.join("dictionary.abs").display())
    );
    // A missing mandatory include names the including line.
    std::fs::write(dir.join("dictionary.bad"), "\n$INCLUDE dictionary.absent\n").unwrap();
    let err = Dictionary::from_file(dir.join("dictionary.bad"))
        .unwrap_err()
        .to_string();
    let want = format!(
        "{}:2: cannot read dictionary \"{}\": ",
        dir.join("dictionary.bad").display(),
        dir.join("dictionary.absent").display()
    );
    assert!(err.starts_with(&want), "{err}");
    let err = Dictionary::from_file(dir.join("nope"))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with(&format!(
        "cannot read dictionary \"{}\"",
        dir.join("nope").display()
    )));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn text_target_follows_freeradius_is_dup() {
    let d = parse(
        "ATTRIBUTE Multi-Link-Flag 126 integer\n\
         ATTRIBUTE X-Temporary-Rtes 126 integer\n\
         ATTRIBUTE Operator-Name 126 string\n\
         ATTRIBUTE Lonely 7 integer\n",
    );
    let op = id(&d, "Operator-Name");
    assert_eq!(
        d.text_target(id(&d, "Multi-Link-Flag")),
        op,
        "same-type successor"
    );
    let rtes = id(&d, "X-Temporary-Rtes");
    assert_eq!(d.text_target(rtes), rtes, "successor of another type");
    assert_eq!(d.canonical(rtes), op);
    assert_eq!(d.text_target(op), op);
    assert_eq!(d.text_target(id(&d, "Lonely")), id(&d, "Lonely"));
}
