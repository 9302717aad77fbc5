//! Every error class, with the exact `file:line: message` a person sees.

use radius_core::dict::{DictError, Dictionary, Loader};

fn err(text: &str) -> String {
    match Dictionary::parse_str("dictionary.foo", text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

fn err_value(text: &str) -> DictError {
    Dictionary::parse_str("dictionary.foo", text).unwrap_err()
}

const EXT: &str = "ATTRIBUTE Extended-Attribute-1 241 extended\n\
                   ATTRIBUTE Extended-Vendor-Specific-1 241.26 evs\n";

#[test]
fn unknown_keyword_and_field_counts() {
    assert_eq!(
        err("\n\nATTRIBUT User-Name 1 string\n"),
        "dictionary.foo:3: unknown keyword \"ATTRIBUT\" (expected one of ATTRIBUTE, VALUE, \
         VENDOR, BEGIN-VENDOR, END-VENDOR, BEGIN-TLV, END-TLV, $INCLUDE, $INCLUDE-)"
    );
    assert_eq!(
        err("ATTRIBUTE User-Name 1\n"),
        "dictionary.foo:1: ATTRIBUTE has 2 field(s) after the keyword (expected \
         \"ATTRIBUTE name number type [flags]\")"
    );
    assert_eq!(
        err("ATTRIBUTE User-Name 1 string has_tag extra\n"),
        "dictionary.foo:1: ATTRIBUTE has 5 field(s) after the keyword (expected \
         \"ATTRIBUTE name number type [flags]\")"
    );
    assert_eq!(
        err("ATTRIBUTE A 1 integer\nVALUE A B\n"),
        "dictionary.foo:2: VALUE has 2 field(s) after the keyword (expected \
         \"VALUE attribute name number\")"
    );
    assert_eq!(
        err("VENDOR\n"),
        "dictionary.foo:1: VENDOR has 0 field(s) after the keyword (expected \
         \"VENDOR name number [format=t,l[,c]]\")"
    );
    assert_eq!(
        err("$INCLUDE a b\n"),
        "dictionary.foo:1: $INCLUDE has 2 field(s) after the keyword (expected \"$INCLUDE path\")"
    );
    assert!(err("END-TLV\n").starts_with("dictionary.foo:1: END-TLV has 0 field(s)"));
    assert!(err("BEGIN-TLV a b\n").starts_with("dictionary.foo:1: BEGIN-TLV has 2 field(s)"));
    assert!(err("END-VENDOR a b\n").starts_with("dictionary.foo:1: END-VENDOR has 2 field(s)"));
    assert!(err("BEGIN-VENDOR\n").starts_with("dictionary.foo:1: BEGIN-VENDOR has 0 field(s)"));
}

#[test]
fn unknown_type() {
    assert_eq!(
        err("# comment\n\nATTRIBUTE X 1 strng\n"),
        "dictionary.foo:3: unknown data type \"strng\" (expected one of string, octets, \
         octets[N], ipaddr, ipv4prefix, ipv6addr, ipv6prefix, integer, integer64, date, ifid, \
         ether, byte, short, signed, bool, tlv, vsa, extended, long-extended, evs, combo-ip, \
         abinary, uint8, uint16, uint32, uint64, int32, cidr)"
    );
    for bad in ["octets[0]", "octets[254]", "octets[x]", "octets[16"] {
        assert_eq!(
            err(&format!("ATTRIBUTE X 1 {bad}\n")),
            format!(
                "dictionary.foo:1: invalid octets length \"{bad}\" (expected octets[N] with N \
                 from 1 to 253)"
            )
        );
    }
}

#[test]
fn unknown_and_misplaced_flags() {
    assert_eq!(
        err("ATTRIBUTE X 1 string has_tags\n"),
        "dictionary.foo:1: unknown flag \"has_tags\" (expected one of has_tag, encrypt=1, \
         encrypt=2, encrypt=3, array, concat, virtual, secret, abinary, or (alone, outside \
         BEGIN-VENDOR) a vendor name)"
    );
    assert!(err("ATTRIBUTE X 1 string has_tag,encrypt=4\n")
        .starts_with("dictionary.foo:1: unknown flag \"encrypt=4\""));
    assert!(err("ATTRIBUTE X 1 string NoSuchVendor\n")
        .starts_with("dictionary.foo:1: unknown flag \"NoSuchVendor\""));
    let cases = [
        (
            "ATTRIBUTE X 1 ipaddr has_tag",
            "has_tag",
            "only string and integer attributes can be tagged",
        ),
        (
            "ATTRIBUTE X 1 integer encrypt=3",
            "encrypt=3",
            "encrypt=3 needs a string attribute",
        ),
        (
            "ATTRIBUTE X 1 octets encrypt=1",
            "encrypt=1",
            "encrypt=1 on octets needs a fixed length (octets[N])",
        ),
        (
            "ATTRIBUTE X 1 integer encrypt=1",
            "encrypt=1",
            "encrypt=1 needs a string or octets attribute",
        ),
        (
            "ATTRIBUTE X 1 octets[16] encrypt=2",
            "encrypt=2",
            "encrypt=2 cannot be used with octets[N]",
        ),
        (
            "ATTRIBUTE X 1 integer secret",
            "secret",
            "only string and octets attributes can be secret",
        ),
        (
            "ATTRIBUTE X 1 octets array",
            "array",
            "only ipaddr, ipv6addr, byte, short, integer, date and string attributes can be arrays",
        ),
        (
            "ATTRIBUTE X 1 string concat",
            "concat",
            "only octets attributes can have the concat flag",
        ),
        (
            "ATTRIBUTE X 1 octets concat,abinary",
            "concat",
            "concat cannot be combined with any other flag",
        ),
        (
            "ATTRIBUTE X 100 string virtual",
            "virtual",
            "standard attributes numbered below 256 cannot be virtual",
        ),
        (
            "ATTRIBUTE X 1 string abinary",
            "abinary",
            "only octets attributes can have the abinary flag",
        ),
        (
            "VENDOR V 9\nBEGIN-VENDOR V\nATTRIBUTE X 1 octets concat",
            "concat",
            "vendor-specific attributes cannot be concat",
        ),
        (
            "VENDOR V 9\nBEGIN-VENDOR V\nATTRIBUTE X 1 string virtual",
            "virtual",
            "vendor-specific attributes cannot be virtual",
        ),
        (
            "VENDOR V 9\nBEGIN-VENDOR V\nATTRIBUTE X 1 string V",
            "V",
            "a vendor name as 4th field is not allowed inside BEGIN-VENDOR/BEGIN-TLV",
        ),
        (
            "VENDOR V 9\nATTRIBUTE X 26.9.1 string V",
            "V",
            "a vendor name as 4th field cannot be combined with a dotted attribute number",
        ),
        (
            "ATTRIBUTE E 241 extended\nATTRIBUTE X 241.1 string has_tag",
            "has_tag",
            "attributes in the extended space (RFC 6929) cannot have flags",
        ),
        (
            "ATTRIBUTE T 1 tlv\nATTRIBUTE X 1.1 string has_tag",
            "has_tag",
            "TLV members cannot be tagged",
        ),
    ];
    for (text, flag, reason) in cases {
        let line = text.lines().count();
        assert_eq!(
            err(&format!("{text}\n")),
            format!("dictionary.foo:{line}: flag \"{flag}\" not allowed here: {reason}"),
            "{text}"
        );
    }
}

#[test]
fn invalid_numbers() {
    assert_eq!(
        err("ATTRIBUTE A 1 integer\nVALUE A B 12x\n"),
        "dictionary.foo:2: invalid VALUE number \"12x\" (expected a decimal or 0x-hex number \
         from 0 to 18446744073709551615)"
    );
    assert!(
        err("ATTRIBUTE A 1 integer64\nVALUE A B 18446744073709551616\n")
            .starts_with("dictionary.foo:2: invalid VALUE number \"18446744073709551616\"")
    );
    assert!(err("ATTRIBUTE A 1 integer\nVALUE A B -1\n")
        .starts_with("dictionary.foo:2: invalid VALUE number \"-1\""));
    for bad in ["0", "16777216", "x", "-3"] {
        assert_eq!(
            err(&format!("VENDOR V {bad}\n")),
            format!(
                "dictionary.foo:1: invalid vendor number \"{bad}\" (expected a number from 1 to \
                 16777215)"
            )
        );
    }
}

#[test]
fn bad_oids() {
    let cases: &[(&str, &str, &str)] = &[
        ("ATTRIBUTE X 1a string", "1a", "\"1a\" is not a number (expected decimal or 0x-hex numbers separated by dots)"),
        ("ATTRIBUTE X 1..2 string", "1..2", "\"\" is not a number (expected decimal or 0x-hex numbers separated by dots)"),
        ("ATTRIBUTE X 4294967296 string", "4294967296", "\"4294967296\" is not a number (expected decimal or 0x-hex numbers separated by dots)"),
        ("ATTRIBUTE X 0 string", "0", "standard attributes are numbered 1..=4294967295, not 0"),
        ("ATTRIBUTE X 5.1 string", "5.1", "parent attribute 5 is not defined"),
        ("ATTRIBUTE S 5 string\nATTRIBUTE X 5.1 string", "5.1", "5 is S (dictionary.foo:1), of type string, which cannot have sub-attributes (expected tlv, extended, long-extended or evs)"),
        ("VENDOR V 9\nATTRIBUTE X 26.9 string", "26.9", "26.9 names a vendor, not an attribute (expected 26.9.<attribute number>)"),
        ("VENDOR V 9\nATTRIBUTE X 26.9.256 string", "26.9.256", "vendor V (format=1,x) are numbered 0..=255, not 256"),
        ("VENDOR V 9 format=2,2\nATTRIBUTE X 26.9.65536 string", "26.9.65536", "vendor V (format=2,x) are numbered 1..=65535, not 65536"),
        ("VENDOR V 9 format=2,2\nATTRIBUTE X 26.9.0 string", "26.9.0", "vendor V (format=2,x) are numbered 1..=65535, not 0"),
        ("VENDOR V 9\nBEGIN-VENDOR V\nATTRIBUTE X 7.1 string", "7.1", "parent attribute 7 is not defined in vendor V"),
        ("ATTRIBUTE T 1 tlv\nATTRIBUTE X 1.256 string", "1.256", "sub-attributes of T are numbered 1..=255, not 256"),
        ("ATTRIBUTE T 1 tlv\nATTRIBUTE X 1.0 string", "1.0", "sub-attributes of T are numbered 1..=255, not 0"),
        ("ATTRIBUTE E 241 extended\nATTRIBUTE X 241.300 string", "241.300", "sub-attributes of E are numbered 1..=255, not 300"),
        ("ATTRIBUTE E 241 extended\nATTRIBUTE S 241.26 evs\nATTRIBUTE X 241.26.9 string", "241.26.9", "241.26.9 names a vendor, not an attribute (expected 241.26.9.<attribute number>)"),
        ("ATTRIBUTE T 1 tlv\nATTRIBUTE T2 1.1 tlv\nATTRIBUTE T3 1.1.1 tlv\nATTRIBUTE T4 1.1.1.1 tlv\nATTRIBUTE T5 1.1.1.1.1 tlv\nATTRIBUTE X 1.1.1.1.1.1 string", "1.1.1.1.1.1", "TLVs are nested deeper than 4 levels"),
    ];
    for (text, oid, reason) in cases {
        let line = text.lines().count();
        assert_eq!(
            err(&format!("{text}\n")),
            format!("dictionary.foo:{line}: invalid attribute number \"{oid}\": {reason}"),
            "{text}"
        );
    }
    assert_eq!(
        err("ATTRIBUTE X 26.9.1 string\n"),
        "dictionary.foo:1: unknown vendor \"9\" (define it with VENDOR first)"
    );
    assert_eq!(
        err(&format!("{EXT}ATTRIBUTE X 241.26.77.1 string\n")),
        "dictionary.foo:3: unknown vendor \"77\" (define it with VENDOR first)"
    );
}

#[test]
fn invalid_names() {
    assert_eq!(
        err("ATTRIBUTE Attr-26 26 octets\n"),
        "dictionary.foo:1: invalid name \"Attr-26\": names starting with Attr- are reserved for \
         unknown attributes"
    );
    assert_eq!(
        err("ATTRIBUTE Bad:Name 1 string\n"),
        "dictionary.foo:1: invalid name \"Bad:Name\": character ':' not allowed (attribute names \
         use A-Z a-z 0-9 _ . / -)"
    );
    let long = "A".repeat(128);
    assert_eq!(
        err(&format!("ATTRIBUTE {long} 1 string\n")),
        format!("dictionary.foo:1: invalid name \"{long}\": longer than 127 bytes")
    );
    assert_eq!(
        err(&format!("VENDOR {long} 1\n")),
        format!("dictionary.foo:1: invalid name \"{long}\": longer than 127 bytes")
    );
}

#[test]
fn types_in_the_wrong_place() {
    let cases = [
        (
            "ATTRIBUTE X 240 extended",
            "extended",
            "extended attributes must be standard attributes numbered 241..=255",
        ),
        (
            "VENDOR V 9\nATTRIBUTE X 26.9.241 long-extended",
            "long-extended",
            "extended attributes must be standard attributes numbered 241..=255",
        ),
        (
            "ATTRIBUTE E 241 extended\nATTRIBUTE X 241.25 evs",
            "evs",
            "evs attributes must be number 26 of an extended attribute (e.g. 241.26)",
        ),
        (
            "ATTRIBUTE X 26 evs",
            "evs",
            "evs attributes must be number 26 of an extended attribute (e.g. 241.26)",
        ),
        (
            "VENDOR V 9\nATTRIBUTE X 26.9.26 vsa",
            "vsa",
            "vsa must be a standard attribute",
        ),
        (
            "VENDOR S 8164 format=2,2\nBEGIN-VENDOR S\nATTRIBUTE X 1 tlv",
            "tlv",
            "vendor S uses format=2,2; TLVs need format=1,1",
        ),
    ];
    for (text, ty, reason) in cases {
        let line = text.lines().count();
        assert_eq!(
            err(&format!("{text}\n")),
            format!("dictionary.foo:{line}: data type \"{ty}\" not allowed here: {reason}"),
            "{text}"
        );
    }
}

#[test]
fn bad_vendor_formats() {
    let cases = [
        ("format=3,1", "the type width t must be 1, 2 or 4"),
        ("format=1,3", "the length width l must be 0, 1 or 2"),
        (
            "format=2,1,c",
            "only format=1,1 vendors can have continuations (,c)",
        ),
        (
            "format=1,1,x",
            "the third part can only be \"c\" (continuation)",
        ),
        ("format=1", "expected format=t,l or format=t,l,c"),
        ("type=1,1", "expected format=t,l or format=t,l,c"),
    ];
    for (format, reason) in cases {
        assert_eq!(
            err(&format!("\nVENDOR V 9 {format}\n")),
            format!("dictionary.foo:2: invalid vendor format \"{format}\": {reason}")
        );
    }
}

#[test]
fn unknown_vendor_and_attribute() {
    assert_eq!(
        err("BEGIN-VENDOR Nope\n"),
        "dictionary.foo:1: unknown vendor \"Nope\" (define it with VENDOR first)"
    );
    assert_eq!(
        err("VENDOR V 9\nBEGIN-VENDOR V\nEND-VENDOR W\n"),
        "dictionary.foo:3: unknown vendor \"W\" (define it with VENDOR first)"
    );
    assert_eq!(
        err("BEGIN-TLV Nope\n"),
        "dictionary.foo:1: unknown attribute \"Nope\" in BEGIN-TLV"
    );
    assert_eq!(
        err("ATTRIBUTE T 1 tlv\nBEGIN-TLV T\nEND-TLV Nope\n"),
        "dictionary.foo:3: unknown attribute \"Nope\" in END-TLV"
    );
    assert_eq!(
        err("VENDOR V 9\nBEGIN-VENDOR V format=Extended-Vendor-Specific-1\n"),
        "dictionary.foo:2: unknown attribute \"Extended-Vendor-Specific-1\" in BEGIN-VENDOR \
         format="
    );
    // A VALUE before its ATTRIBUTE is fine (FreeRADIUS resolves them at the
    // end); one for an attribute that never comes is reported at the VALUE.
    assert_eq!(
        err("VALUE Later A 1\nVALUE Never B 2\nATTRIBUTE Later 1 integer\n"),
        "dictionary.foo:2: unknown attribute \"Never\" in VALUE (no ATTRIBUTE of that name is \
         defined in any file)"
    );
    assert_eq!(
        err("ATTRIBUTE S 1 string\nBEGIN-TLV S\n"),
        "dictionary.foo:2: attribute \"S\" (dictionary.foo:1) is of type string, but BEGIN-TLV \
         needs tlv"
    );
    assert_eq!(
        err(&format!(
            "{EXT}VENDOR V 9\nBEGIN-VENDOR V format=Extended-Attribute-1\n"
        )),
        "dictionary.foo:4: attribute \"Extended-Attribute-1\" (dictionary.foo:1) is of type \
         extended, but BEGIN-VENDOR format= needs evs"
    );
    assert_eq!(
        err("VENDOR V 9\nBEGIN-VENDOR V shape=x\n"),
        "dictionary.foo:2: invalid BEGIN-VENDOR option \"shape=x\" (expected \
         format=Extended-Vendor-Specific-N or parent=NAME)"
    );
}

#[test]
fn duplicates_name_both_locations() {
    assert_eq!(
        err("ATTRIBUTE User-Name 1 string\n\nATTRIBUTE user-name 2 string\n"),
        "dictionary.foo:3: attribute \"user-name\" conflicts with its definition at \
         dictionary.foo:1: number 2 here, 1 there"
    );
    assert_eq!(
        err("VENDOR V 9\nATTRIBUTE X 1 string\nATTRIBUTE X 26.9.1 string\n"),
        "dictionary.foo:3: attribute \"X\" conflicts with its definition at dictionary.foo:2: \
         number 26.9.1 here, 1 there"
    );
    assert_eq!(
        err("ATTRIBUTE X 1 string\nATTRIBUTE X 1 octets[4]\n"),
        "dictionary.foo:2: attribute \"X\" conflicts with its definition at dictionary.foo:1: \
         type octets[4] here, string there"
    );
    assert!(
        err("ATTRIBUTE X 1 string\nATTRIBUTE X 1 string has_tag\n").starts_with(
            "dictionary.foo:2: attribute \"X\" conflicts with its definition at dictionary.foo:1: \
         flags Flags { has_tag: true"
        )
    );
    assert_eq!(
        err("VENDOR Cisco 9\nVENDOR cisco 10\n"),
        "dictionary.foo:2: vendor \"cisco\" conflicts with its definition at dictionary.foo:1: \
         number 10 here, 9 there"
    );
    assert_eq!(
        err("VENDOR WiMAX 24757 format=1,1,c\nVENDOR WiMAX 24757\n"),
        "dictionary.foo:2: vendor \"WiMAX\" conflicts with its definition at dictionary.foo:1: \
         format=1,1 here, format=1,1,c there"
    );
    assert_eq!(
        err("ATTRIBUTE A 1 integer\nVALUE A Up 1\nVALUE A up 2\n"),
        "dictionary.foo:3: VALUE \"up\" of attribute \"A\" is 2 here but 1 at dictionary.foo:2"
    );
    // Through an alias: values belong to the number.
    assert_eq!(
        err("ATTRIBUTE A 1 integer\nATTRIBUTE B 1 integer\nVALUE A Up 1\nVALUE B Up 2\n"),
        "dictionary.foo:4: VALUE \"Up\" of attribute \"B\" is 2 here but 1 at dictionary.foo:3"
    );
}

#[test]
fn values_not_allowed() {
    assert_eq!(
        err("ATTRIBUTE A 1 byte\nVALUE A Big 256\n"),
        "dictionary.foo:2: VALUE \"Big\" = 256 not allowed for attribute \"A\" of type byte: the \
         number does not fit the data type"
    );
    assert!(err("ATTRIBUTE A 1 short\nVALUE A Big 65536\n").contains("does not fit"));
    assert!(err("ATTRIBUTE A 1 integer\nVALUE A Big 4294967296\n").contains("does not fit"));
    assert!(err("ATTRIBUTE A 1 bool\nVALUE A Big 2\n").contains("does not fit"));
    assert_eq!(
        err("ATTRIBUTE A 1 ipaddr\nVALUE A Any 0\n"),
        "dictionary.foo:2: VALUE \"Any\" = 0 not allowed for attribute \"A\" of type ipaddr: only \
         byte, short, integer, integer64, signed, date, bool and octets attributes can have \
         VALUEs"
    );
    // Forward references are checked when resolved, at the VALUE's line.
    assert!(err("VALUE A Big 256\nATTRIBUTE A 1 byte\n")
        .starts_with("dictionary.foo:1: VALUE \"Big\" = 256 not allowed"));
}

#[test]
fn block_mismatch_and_unterminated() {
    assert_eq!(
        err("VENDOR V 9\nVENDOR W 10\nBEGIN-VENDOR V\nEND-VENDOR W\n"),
        "dictionary.foo:4: END-VENDOR W does not match the open block (BEGIN-VENDOR V at \
         dictionary.foo:3)"
    );
    assert_eq!(
        err("VENDOR V 9\nEND-VENDOR V\n"),
        "dictionary.foo:2: END-VENDOR V does not match the open block (none)"
    );
    assert_eq!(
        err("VENDOR V 9\nBEGIN-VENDOR V\nATTRIBUTE T 1 tlv\nBEGIN-TLV T\nEND-VENDOR V\n"),
        "dictionary.foo:5: END-VENDOR V does not match the open block (BEGIN-TLV T at \
         dictionary.foo:4)"
    );
    assert_eq!(
        err("ATTRIBUTE T 1 tlv\nATTRIBUTE U 2 tlv\nBEGIN-TLV T\nEND-TLV U\n"),
        "dictionary.foo:4: END-TLV U does not match the open block (BEGIN-TLV T at \
         dictionary.foo:3)"
    );
    assert_eq!(
        err("VENDOR V 9\nBEGIN-VENDOR V\nBEGIN-VENDOR V\n"),
        "dictionary.foo:3: BEGIN-VENDOR V inside the open block BEGIN-VENDOR V at \
         dictionary.foo:2"
    );
    assert_eq!(
        err("VENDOR V 9\n\nBEGIN-VENDOR V\nATTRIBUTE X 1 string\n"),
        "dictionary.foo:3: BEGIN-VENDOR V is never closed (expected END-VENDOR V before the end \
         of the file)"
    );
    assert_eq!(
        err("ATTRIBUTE T 1 tlv\nBEGIN-TLV T\n"),
        "dictionary.foo:2: BEGIN-TLV T is never closed (expected END-TLV T before the end of the \
         file)"
    );
    assert_eq!(
        err("ATTRIBUTE T 1 tlv\nATTRIBUTE T2 1.1 tlv\nATTRIBUTE T3 1.1.1 tlv\nATTRIBUTE T4 1.1.1.1 tlv\nATTRIBUTE T5 1.1.1.1.1 tlv\n\
             BEGIN-TLV T\nBEGIN-TLV T2\nBEGIN-TLV T3\nBEGIN-TLV T4\nBEGIN-TLV T5\n"),
        "dictionary.foo:10: BEGIN-TLV T5 nests TLV blocks deeper than 4 levels"
    );
    // A block cannot be closed in another file.
    let e = Loader::new()
        .virtual_file("inc", "END-VENDOR V\n")
        .add_str(
            "root",
            "VENDOR V 9\nBEGIN-VENDOR V\n$INCLUDE inc\nEND-VENDOR V\n",
        )
        .load()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "inc:1: END-VENDOR V does not match the open block (none)"
    );
}

#[test]
fn include_loops_and_errors_in_included_files() {
    let e = Loader::new()
        .virtual_file("d/a", "ATTRIBUTE A 1 string\n$INCLUDE sub/b\n")
        .virtual_file("d/sub/b", "\n$INCLUDE ../a\n")
        .add_str("d/root", "$INCLUDE a\n")
        .load()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "d/sub/b:2: $INCLUDE loop: \"d/sub/../a\" is already being read (d/root -> d/a -> d/sub/b \
         -> d/sub/../a)"
    );
    assert_eq!(e.location().unwrap().line, 2);
    let e = Loader::new()
        .virtual_file("root", "")
        .add_str("root", "$INCLUDE root\n")
        .load()
        .unwrap_err();
    assert!(e.to_string().starts_with("root:1: $INCLUDE loop"), "{e}");
    let e = Loader::new()
        .virtual_file(
            "d/dictionary.bad",
            "ATTRIBUTE X 1 string\nATTRIBUTE Y 2 strng\n",
        )
        .add_str("d/dictionary", "$INCLUDE dictionary.bad\n")
        .load()
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("d/dictionary.bad:2: unknown data type \"strng\""),
        "{e}"
    );
    assert!(matches!(e, DictError::UnknownType { ref found, .. } if found == "strng"));
}

#[test]
fn error_values_carry_structured_fields() {
    match err_value("ATTRIBUTE A 1 string\nATTRIBUTE A 2 string\n") {
        DictError::DuplicateAttribute {
            at, name, previous, ..
        } => {
            assert_eq!((at.line, previous.line, name.as_str()), (2, 1, "A"));
            assert_eq!(at.file.to_str(), Some("dictionary.foo"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn odd_bytes_never_panic() {
    for text in [
        "ATTRIBUTE X 1 octets€\n",
        "ATTRIBUTE X 1 octets[€]\n",
        "VENDOR V 9 format€=1\n",
        "VENDOR V 9 fo€\n",
        "VENDOR V 9\nBEGIN-VENDOR V forma€=x\n",
        "ATTRIBUTE Att€-X 1 string\n",
        "ATTRIBUTE X 1.€ string\n",
        "VALUE € € €\n",
        "\u{feff}ATTRIBUTE X 1 string\n",
    ] {
        assert!(Dictionary::parse_str("d", text).is_err(), "{text}");
    }
}
