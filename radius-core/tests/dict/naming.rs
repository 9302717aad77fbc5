//! The documented naming rules of `radius_core::dict::naming`.

use radius_core::dict::naming::{resolve_collisions, rust_type_name, rust_variant_name};

#[test]
fn camel_case() {
    let cases = [
        ("User-Name", "UserName"),
        ("Cisco-AVPair", "CiscoAvPair"),
        ("NAS-IP-Address", "NasIpAddress"),
        ("NAS-IPv6-Address", "NasIpv6Address"),
        ("Acct-Input-Octets-64", "AcctInputOctets64"),
        ("Acct-Input-Octets64", "AcctInputOctets64"),
        ("Ruckus-Acct-Ctrs_TC-Name", "RuckusAcctCtrsTcName"),
        ("FreeRADIUS-802.1X-Anonce", "FreeRadius8021xAnonce"),
        ("T1,T1-E1/PRI-Call-Arrive-Event", "T1T1E1PriCallArriveEvent"),
        ("ADSL2+", "Adsl2"),
        ("TACACS+-Server", "TacacsServer"),
        ("already CamelCase", "AlreadyCamelCase"),
        ("lower", "Lower"),
        ("X", "X"),
    ];
    for (name, want) in cases {
        assert_eq!(rust_type_name(name), want, "{name}");
        assert_eq!(rust_variant_name(name), want, "{name}");
    }
}

#[test]
fn leading_digits_keywords_and_reserved() {
    assert_eq!(rust_type_name("3GPP-IMSI"), "N3gppImsi");
    assert_eq!(
        rust_type_name("3GPP2-Remote-IP-Address"),
        "N3gpp2RemoteIpAddress"
    );
    assert_eq!(rust_variant_name("1xRTT"), "N1xRtt");
    assert_eq!(rust_variant_name("802.11a"), "N80211a");
    assert_eq!(rust_type_name("--"), "Unnamed");
    assert_eq!(rust_type_name("self"), "SelfAttr");
    assert_eq!(rust_variant_name("Self"), "SelfValue");
    assert_eq!(rust_variant_name("Other"), "OtherValue");
    assert_eq!(rust_variant_name("other"), "OtherValue");
    assert_eq!(
        rust_type_name("Other"),
        "Other",
        "only variants reserve Other"
    );
    assert_eq!(rust_variant_name("None"), "None");
    assert_eq!(rust_variant_name("Unknown"), "Unknown");
}

#[test]
fn collisions_get_deterministic_suffixes() {
    let names = ["Acct-Input-Octets64", "User-Name", "Acct-Input-Octets-64"];
    assert_eq!(
        resolve_collisions(&names, rust_type_name),
        ["AcctInputOctets64_2", "UserName", "AcctInputOctets64"]
    );
    // Order of the input does not matter for who gets which name.
    let reversed = ["Acct-Input-Octets-64", "User-Name", "Acct-Input-Octets64"];
    assert_eq!(
        resolve_collisions(&reversed, rust_type_name),
        ["AcctInputOctets64", "UserName", "AcctInputOctets64_2"]
    );
    // Letters end: plain number suffix, skipping identifiers already taken.
    let names = ["Foo_Bar", "Foo-Bar", "FOO-BAR", "Foo-Bar-2"];
    assert_eq!(
        resolve_collisions(&names, rust_type_name),
        ["FooBar4", "FooBar3", "FooBar", "FooBar2"],
        "sorted by bytes: FOO-BAR < Foo-Bar < Foo_Bar, and FooBar2 is taken"
    );
    // Variants: Other is reserved, and a real "Other-Value" still gets its own.
    let values = ["Other", "Other-Value", "None"];
    assert_eq!(
        resolve_collisions(&values, rust_variant_name),
        ["OtherValue", "OtherValue2", "None"]
    );
    let none: [&str; 0] = [];
    assert!(resolve_collisions(&none, rust_type_name).is_empty());
}

#[test]
fn no_identifier_is_lost_or_duplicated() {
    let names: Vec<String> = (0..50)
        .map(|i| match i % 5 {
            0 => format!("Attr-Like-{}", i / 5),
            1 => format!("Attr_Like_{}", i / 5),
            2 => format!("AttrLike{}", i / 5),
            3 => "attr-like".to_owned(),
            _ => format!("ATTR-LIKE-{}", i / 5),
        })
        .collect();
    let out = resolve_collisions(&names, rust_type_name);
    assert_eq!(out.len(), names.len());
    let unique: std::collections::HashSet<_> = out.iter().collect();
    assert_eq!(unique.len(), out.len(), "{out:?}");
    for ident in &out {
        assert!(ident.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        assert!(ident.starts_with(|c: char| c.is_ascii_uppercase()));
    }
}
