//! The text form over the project's dictionaries: parsing, layouts and the
//! typed errors, without external tools.

use std::path::PathBuf;

use radius_core::dict::Dictionary;
use radius_core::text::{hex_spaced, Codec, TextError};

fn dict() -> Dictionary {
    let root =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../radius-dict/dictionaries/dictionary");
    Dictionary::from_file(root).unwrap_or_else(|e| panic!("{e}"))
}

fn enc(line: &str) -> String {
    let d = dict();
    let c = Codec::new(&d).with_salt([0x80, 0x01]);
    hex_spaced(
        &c.encode_line(line)
            .unwrap_or_else(|e| panic!("{line}: {e}")),
    )
}

fn err(line: &str) -> TextError {
    let d = dict();
    let c = Codec::new(&d);
    c.encode_line(line).expect_err(line)
}

#[test]
fn the_brief_example() {
    let line = r#"User-Name = "bob", Tunnel-Type:1 = PPTP, Cisco-AVPair = "shell:priv-lvl=15", Framed-IP-Address = 10.0.0.1, Attr-26.9.99 = 0x0102, Frag-Status = 2, WiMAX-Capability.WiMAX-Release = "2.1""#;
    assert_eq!(
        enc(line),
        "01 05 62 6f 62 40 06 01 00 00 01 1a 19 00 00 00 09 01 13 73 68 65 6c 6c 3a 70 72 69 76 2d \
         6c 76 6c 3d 31 35 08 06 0a 00 00 01 1a 0a 00 00 00 09 63 04 01 02 f1 07 01 00 00 00 02 \
         1a 0e 00 00 60 b5 01 08 00 01 05 32 2e 31"
    );
    let d = dict();
    let c = Codec::new(&d);
    let wire = c.encode_line(line).unwrap();
    assert_eq!(
        c.decode_to_string(&wire).unwrap(),
        r#"User-Name = "bob", Tunnel-Type:1 = PPTP, Cisco-AVPair = "shell:priv-lvl=15", Framed-IP-Address = 10.0.0.1, Attr-26.9.99 = 0x0102, Frag-Status = More-Data-Pending, WiMAX-Release = "2.1""#
    );
}

#[test]
fn values_of_every_kind() {
    assert_eq!(enc("Service-Type = 0x2"), "06 06 00 00 00 02");
    assert_eq!(enc("Framed-IPv6-Prefix = 2001:db8::1/32").len(), 20 * 3 - 1);
    assert_eq!(
        enc("Event-Timestamp = 2020-01-01T00:00:00Z"),
        "37 06 5e 0b e1 00"
    );
    assert_eq!(
        enc("Framed-Interface-Id = 1:2:3:4"),
        "60 0a 00 01 00 02 00 03 00 04"
    );
    assert_eq!(enc("User-Name = \"\\377\\000x\""), "01 05 ff 00 78");
    assert_eq!(enc("User-Name = ''"), "");
    assert_eq!(enc("Tunnel-Preference:2 = 5"), "53 06 02 00 00 05");
    assert_eq!(enc("Tunnel-Password = x").len(), 21 * 3 - 1);
    assert_eq!(
        enc(&format!("EAP-Message = 0x{}", "00".repeat(300))).len(),
        304 * 3 - 1
    );
    assert_eq!(enc("# a comment"), "");
}

#[test]
fn errors_name_the_attribute() {
    let e = err("Foo-Bar = 1");
    assert_eq!(e, TextError::UnknownAttribute("Foo-Bar".into()));
    let e = err("NAS-Port = ten").to_string();
    assert!(e.contains("NAS-Port") && e.contains("\"ten\""), "{e}");
    let e = err("Framed-IP-Address = 10.0.0.256").to_string();
    assert!(e.starts_with("Framed-IP-Address: invalid ipaddr"), "{e}");
    let e = err("User-Name:1 = x").to_string();
    assert!(e.contains("User-Name") && e.contains("has_tag"), "{e}");
    let e = err("Tunnel-Type:32 = PPTP").to_string();
    assert!(e.contains("Tunnel-Type") && e.contains("32"), "{e}");
    let e = err("Tunnel-Type:1 = 0x1000000").to_string();
    assert!(e.contains("Tunnel-Type") && e.contains("24 bits"), "{e}");
    let e = err(&format!("User-Name = \"{}\"", "x".repeat(254))).to_string();
    assert!(
        e.contains("User-Name") && e.contains("254") && e.contains("253"),
        "{e}"
    );
    let e = err(&format!("Cisco-AVPair = \"{}\"", "x".repeat(248))).to_string();
    assert!(e.contains("Cisco-AVPair") && e.contains("247"), "{e}");
    let e = err(&format!("User-Password = \"{}\"", "x".repeat(129))).to_string();
    assert!(e.contains("User-Password") && e.contains("128"), "{e}");
    let e = err("Attr-26.9.1 = hi").to_string();
    assert!(e.contains("Attr-26.9.1") && e.contains("hex"), "{e}");
    let e = err("Vendor-Specific = 0x00").to_string();
    assert!(
        e.contains("Vendor-Specific") && e.contains("Attr-26"),
        "{e}"
    );
    let e = err("Class = 0x0").to_string();
    assert!(e.contains("Class") && e.contains("odd"), "{e}");
    assert!(matches!(
        err("User-Name = \"bob"),
        TextError::Syntax { column: 13, .. }
    ));
    assert!(matches!(err("User-Name bob"), TextError::Syntax { .. }));
    assert!(matches!(err("User-Name = a b"), TextError::Syntax { .. }));
}

#[test]
fn malformed_octets_are_raw_or_errors() {
    let d = dict();
    let c = Codec::new(&d);
    let h = |s: &str| radius_core::text::hex_decode(s).unwrap();
    assert_eq!(
        c.decode_to_string(&h("08 05 01 02 03")).unwrap(),
        "Attr-8 = 0x010203"
    );
    assert_eq!(
        c.decode_to_string(&h("f1 04 63 01")).unwrap(),
        "Attr-241 = 0x6301"
    );
    assert_eq!(
        c.decode_to_string(&h("f5 05 63 00 01")).unwrap(),
        "Attr-245.99 = 0x01"
    );
    assert_eq!(
        c.decode_to_string(&h("1a 05 00 00 00")).unwrap(),
        "Attr-26 = 0x000000"
    );
    assert!(matches!(
        c.decode(&h("01 05 41")),
        Err(TextError::Malformed { offset: 0, .. })
    ));
    assert!(matches!(
        c.decode(&h("01 03 41 00")),
        Err(TextError::Malformed { offset: 3, .. })
    ));
}

/// A borrowed, already keyed secret encrypts and decrypts exactly as the
/// same secret given as octets; the default is radclient's `testing123`.
#[test]
fn keyed_secret_is_the_same_secret() {
    let d = dict();
    let line = r#"User-Password = "hunter2", Tunnel-Password:1 = "tun""#;
    let key = radius_core::Secret::new("s3cret");
    let by_octets = Codec::new(&d).with_secret("s3cret").with_salt([0x80, 1]);
    let by_key = Codec::new(&d).with_secret_key(&key).with_salt([0x80, 1]);
    let wire = by_octets.encode_line(line).unwrap();
    assert_eq!(by_key.encode_line(line).unwrap(), wire);
    let back = by_key.decode(&wire).unwrap();
    assert_eq!(by_key.format(&back), line);
    // Another secret does not decrypt it.
    let other = Codec::new(&d).with_secret("other");
    assert_ne!(other.format(&other.decode(&wire).unwrap()), line);
    let default = Codec::new(&d).with_salt([0x80, 1]);
    let explicit = Codec::new(&d)
        .with_secret("testing123")
        .with_salt([0x80, 1]);
    assert_eq!(
        default.encode_line(line).unwrap(),
        explicit.encode_line(line).unwrap()
    );
}
