//! `radius attr encode|decode` and `radius dict check|show` through the
//! built binary.

use std::path::Path;
use std::process::{Command, Output};

use radius_test_support::{debian_dictionary, run_with_input, TempDir};

fn radius(args: &[&str], stdin: &str) -> Output {
    // Run from a directory without dictionaries: the binary embeds them.
    run_with_input(
        Command::new(env!("CARGO_BIN_EXE_radius"))
            .args(args)
            .current_dir(std::env::temp_dir()),
        stdin,
    )
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn encode_one_line_per_list() {
    let o = radius(
        &["attr", "encode"],
        "User-Name = \"bob\", Tunnel-Type:1 = PPTP\nCisco-AVPair = \"shell:priv-lvl=15\"\n\nFrag-Status = 2\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "01 05 62 6f 62 40 06 01 00 00 01\n\
         1a 19 00 00 00 09 01 13 73 68 65 6c 6c 3a 70 72 69 76 2d 6c 76 6c 3d 31 35\n\
         \n\
         f1 07 01 00 00 00 02\n"
    );
}

#[test]
fn encode_errors_are_lines_and_the_exit_status() {
    let o = radius(
        &["attr", "encode"],
        "No-Such-Attr = 1\nNAS-Port = 1\nNAS-Port = x\n",
    );
    assert!(!o.status.success());
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0], "error: unknown attribute \"No-Such-Attr\"");
    assert_eq!(lines[1], "05 06 00 00 00 01");
    assert!(
        lines[2].starts_with("error: NAS-Port: invalid integer value \"x\""),
        "{out}"
    );
    assert!(
        stderr(&o).contains("2 of 3 input lines failed"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn decode_one_line_per_hex_string() {
    let o = radius(
        &["attr", "decode"],
        "01 05 62 6f 62 40 06 01 00 00 01\n1a0a000000096304 0102\n08 05 01 02 03\n0105\nxyz\n",
    );
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "User-Name = \"bob\", Tunnel-Type:1 = PPTP");
    assert_eq!(lines[1], "Attr-26.9.99 = 0x0102");
    assert_eq!(lines[2], "Attr-8 = 0x010203");
    assert!(
        lines[3].starts_with("error: malformed attribute at offset 0"),
        "{out}"
    );
    assert!(lines[4].starts_with("error: invalid hex input"), "{out}");
    assert!(!o.status.success());
}

#[test]
fn secret_and_authenticator_key_encrypted_attributes() {
    let line = "User-Password = \"hello\", Tunnel-Password:1 = \"vpn\"\n";
    let args = [
        "--secret",
        "s3cret",
        "--authenticator",
        "ffeeddccbbaa99887766554433221100",
    ];
    let enc = radius(&[&["attr", "encode"][..], &args[..]].concat(), line);
    assert!(enc.status.success(), "{}", stderr(&enc));
    let hex = stdout(&enc);
    let dec = radius(&[&["attr", "decode"][..], &args[..]].concat(), &hex);
    assert_eq!(
        stdout(&dec),
        "User-Password = \"hello\", Tunnel-Password:1 = \"vpn\"\n"
    );
    // The defaults (testing123, 00..0f) are FreeRADIUS's test conventions.
    let d = radius(&["attr", "decode"], &hex);
    assert_ne!(stdout(&d), stdout(&dec));
    let fixed = radius(
        &["attr", "encode", "--salt", "8001"],
        "Tunnel-Password:1 = \"vpn\"\n",
    );
    let again = radius(
        &["attr", "encode", "--salt", "8001"],
        "Tunnel-Password:1 = \"vpn\"\n",
    );
    assert_eq!(stdout(&fixed), stdout(&again));
    let bad = radius(&["attr", "encode", "--authenticator", "00"], "");
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--authenticator"), "{}", stderr(&bad));
}

#[test]
fn run_time_dictionary() {
    let Some(root) = debian_dictionary() else {
        return;
    };
    let o = radius(
        &["attr", "encode", "--dict", root.to_str().unwrap()],
        "USR-Last-Number-Dialed-Out = \"1\"\n",
    );
    assert_eq!(stdout(&o), "1a 0b 00 00 01 ad 00 00 00 66 31\n");
    // A directory stands for its `dictionary` file, as FreeRADIUS's -D
    // /usr/share/freeradius does.
    let dir = root.parent().unwrap();
    let o = radius(
        &["attr", "encode", "--dict", dir.to_str().unwrap()],
        "USR-Last-Number-Dialed-Out = \"1\"\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "1a 0b 00 00 01 ad 00 00 00 66 31\n");
    let by_file = radius(&["dict", "check", root.to_str().unwrap()], "");
    let by_dir = radius(&["dict", "check", dir.to_str().unwrap()], "");
    assert!(by_dir.status.success(), "{}", stderr(&by_dir));
    let counts = |o: &Output| stdout(o).split_once(": OK: ").unwrap().1.to_owned();
    assert_eq!(counts(&by_file), counts(&by_dir));
}

#[test]
fn dict_check_reports_counts_or_file_and_line() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../radius-dict/dictionaries/dictionary");
    let o = radius(&["dict", "check", root.to_str().unwrap()], "");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("vendors") && out.contains("attributes") && out.contains("values"),
        "{out}"
    );

    let dir = TempDir::new("cli-dict-broken");
    std::fs::write(dir.join("dictionary"), "# root\n$INCLUDE dictionary.bad\n").unwrap();
    std::fs::write(
        dir.join("dictionary.bad"),
        "ATTRIBUTE\tGood\t1\tstring\n\nATTRIBUTE\tBad\t2\tstrnig\n",
    )
    .unwrap();
    let o = radius(
        &["dict", "check", dir.join("dictionary").to_str().unwrap()],
        "",
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("dictionary.bad:3"), "{err}");
    assert!(err.contains("strnig"), "{err}");
    // The directory: the same error, from its `dictionary` file.
    let o = radius(&["dict", "check", dir.path().to_str().unwrap()], "");
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("dictionary.bad:3"), "{err}");
    assert!(!err.contains("Is a directory"), "{err}");

    let o = radius(
        &["dict", "check", dir.join("missing").to_str().unwrap()],
        "",
    );
    assert!(!o.status.success());
    assert!(stderr(&o).contains("missing"), "{}", stderr(&o));
}

#[test]
fn dict_show_prints_a_definition() {
    let o = radius(&["dict", "show", "tunnel-type"], "");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for want in [
        "name:     Tunnel-Type",
        "oid:      64",
        "type:     integer",
        "flags:    has_tag",
        "PPTP = 1",
        "dictionary.rfc2868:",
    ] {
        assert!(out.contains(want), "{want} in {out}");
    }
    let o = radius(&["dict", "show", "WiMAX-Capability.WiMAX-Release"], "");
    let out = stdout(&o);
    assert!(
        out.contains("oid:      26.24757.1.1") && out.contains("WiMAX (24757, format=1,1,c)"),
        "{out}"
    );
    let o = radius(&["dict", "show", "No-Such"], "");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("No-Such"));
}
