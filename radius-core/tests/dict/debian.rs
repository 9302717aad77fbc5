//! Loads the dictionary tree of Debian's `freeradius-common` package from its
//! root file, `/usr/share/freeradius/dictionary`, following every
//! `$INCLUDE`, and checks it against independently derived numbers and
//! against what FreeRADIUS's own files say.
//!
//! Without the package the tests print why they are skipped and pass, unless
//! `RADIUS_REQUIRE_DEBIAN_DICT=1` (CI) makes that a failure.
//!
//! # Where the numbers come from (freeradius-common 3.2.1+dfsg-4+deb12u1)
//!
//! Only the root file has `$INCLUDE` lines; it includes 224 of the 236
//! `dictionary.*` files (the rest, e.g. `dictionary.dhcp`, `dictionary.vqp`,
//! are commented out or loaded by modules), so 225 files are read. Over
//! exactly those files (`F="dictionary $(awk 'toupper($1)=="$INCLUDE"{print
//! $2}' dictionary)"`), with comments stripped:
//!
//! - vendors: `cat $F | sed 's/#.*//' | awk 'toupper($1)=="VENDOR"{print
//!   tolower($2)}' | sort -u | wc -l` = 185 (186 VENDOR lines; `Motorola
//!   161` is defined identically in two files);
//! - attributes: same with `ATTRIBUTE` = 7468 (7468 lines, all names
//!   distinct; 180 of them are aliases of another name's number);
//! - values: 7987 VALUE lines, 7983 distinct (attribute name, value name)
//!   pairs; 7974 distinct (attribute number key, value name) pairs, which is
//!   what the model counts because aliases share their values (as in
//!   FreeRADIUS, which keys values by number). The key was computed by an
//!   awk script that tracks the `BEGIN-VENDOR` block of each file, maps
//!   vendor names to numbers and decodes `0x` numbers; the same computation
//!   is redone in Rust by [`independent_counts`] below.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Instant;

use radius_core::dict::{AttrId, DataType, Dictionary, Encrypt};
use radius_test_support::{debian_dictionary, have_tool, DEBIAN_DICTIONARY};

const ROOT: &str = DEBIAN_DICTIONARY;

const VENDORS: usize = 185;
const ATTRIBUTES: usize = 7468;
const VALUES: usize = 7974;
const FILES: usize = 225;

fn load() -> Option<Dictionary> {
    debian_dictionary()?;
    let start = Instant::now();
    let dict = Dictionary::from_file(ROOT).unwrap_or_else(|e| panic!("{e}"));
    eprintln!(
        "loaded {ROOT}: {} files, {} vendors, {} attributes, {} values in {:?}",
        dict.files().len(),
        dict.num_vendors(),
        dict.num_attributes(),
        dict.num_values(),
        start.elapsed()
    );
    Some(dict)
}

fn id(d: &Dictionary, name: &str) -> AttrId {
    d.attr_by_name(name)
        .unwrap_or_else(|| panic!("{name} not defined"))
}

/// The files named by the root's `$INCLUDE` lines, found by plain text
/// scanning (the Debian root has no optional includes and no nested ones).
fn included_files() -> Vec<PathBuf> {
    let root = std::fs::read_to_string(ROOT).unwrap();
    let dir = Path::new(ROOT).parent().unwrap();
    let mut files = vec![PathBuf::from(ROOT)];
    for line in root.lines() {
        let mut words = line.split_whitespace();
        if words.next() == Some("$INCLUDE") {
            files.push(dir.join(words.next().unwrap()));
        }
    }
    files
}

/// Recounts vendors, attributes and values without the parser, the way the
/// awk pipeline in the module docs does.
fn independent_counts(files: &[PathBuf]) -> (usize, usize, usize) {
    fn num(s: &str) -> u64 {
        match s.strip_prefix("0x") {
            Some(hex) => u64::from_str_radix(hex, 16).unwrap(),
            None => s.parse().unwrap(),
        }
    }
    let mut vendors = HashSet::new();
    let mut vendor_ids = HashMap::new();
    let mut attrs = HashMap::new(); // lower name -> key
    let mut values = Vec::new(); // (lower attr name, lower value name)
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        let mut block = String::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap();
            let w: Vec<&str> = line.split_whitespace().collect();
            match w.first().map(|k| k.to_ascii_uppercase()).as_deref() {
                Some("VENDOR") => {
                    vendors.insert(w[1].to_ascii_lowercase());
                    vendor_ids.insert(w[1].to_ascii_lowercase(), num(w[2]));
                }
                Some("BEGIN-VENDOR") => {
                    block = format!(
                        "{}{}",
                        vendor_ids[&w[1].to_ascii_lowercase()],
                        w.get(2).map(|o| format!("@{o}")).unwrap_or_default()
                    );
                }
                Some("END-VENDOR") => block.clear(),
                Some("ATTRIBUTE") => {
                    let oid: Vec<String> = w[2].split('.').map(|p| num(p).to_string()).collect();
                    attrs.insert(
                        w[1].to_ascii_lowercase(),
                        format!("{block}|{}", oid.join(".")),
                    );
                }
                Some("VALUE") => {
                    values.push((w[1].to_ascii_lowercase(), w[2].to_ascii_lowercase()))
                }
                _ => {}
            }
        }
    }
    let distinct_values: HashSet<(&String, &String)> =
        values.iter().map(|(a, v)| (&attrs[a], v)).collect();
    (vendors.len(), attrs.len(), distinct_values.len())
}

#[test]
fn whole_tree_loads_with_exact_counts() {
    let Some(d) = load() else { return };
    assert_eq!(d.num_vendors(), VENDORS);
    assert_eq!(d.num_attributes(), ATTRIBUTES);
    assert_eq!(d.num_values(), VALUES);
    assert_eq!(d.vendors().len(), VENDORS);
    assert_eq!(d.attributes().len(), ATTRIBUTES);
    // Nothing skipped: every included file was read, in include order.
    let files = included_files();
    assert_eq!(files.len(), FILES);
    assert_eq!(d.files(), files.as_slice());
    assert_eq!(independent_counts(&files), (VENDORS, ATTRIBUTES, VALUES));
    // Every definition points back at a real line of a file that was read.
    for a in d.attributes() {
        assert!(
            files.iter().any(|f| **f == *a.location.file),
            "{:?}",
            a.location
        );
        assert!(a.location.line > 0);
    }
    assert_eq!(d.iter().filter(|&(id, _)| d.is_alias(id)).count(), 180);
}

#[test]
fn spot_checks() {
    let Some(d) = load() else { return };

    // dictionary.cisco: ATTRIBUTE Cisco-AVPair 1 string, inside BEGIN-VENDOR Cisco (9).
    let avpair = id(&d, "cisco-avpair");
    let a = d.attr(avpair);
    assert_eq!(
        (a.vendor, a.parent, a.number, a.data_type),
        (Some(9), None, 1, DataType::String)
    );
    assert_eq!(d.attr_by_number(None, Some(9), 1), Some(avpair));
    assert_eq!(d.oid(avpair), "26.9.1");
    assert!(a.location.file.ends_with("dictionary.cisco"));

    // dictionary.rfc2868: Tunnel-Password 69 string has_tag,encrypt=2.
    let tp = d.attr(id(&d, "Tunnel-Password"));
    assert_eq!(
        (tp.number, tp.vendor, tp.data_type),
        (69, None, DataType::String)
    );
    assert!(tp.flags.has_tag && tp.flags.secret);
    assert_eq!(tp.flags.encrypt, Encrypt::TunnelPassword);
    assert_eq!(
        d.attr(id(&d, "User-Password")).flags.encrypt,
        Encrypt::UserPassword
    );
    let keys = d.attr(id(&d, "MS-CHAP-MPPE-Keys"));
    assert_eq!(
        (keys.vendor, keys.number, keys.flags.length),
        (Some(311), 12, Some(24))
    );
    assert_eq!(keys.flags.encrypt, Encrypt::UserPassword);
    assert!(d.attr(id(&d, "EAP-Message")).flags.concat);
    assert!(d.attr(id(&d, "Packet-Type")).flags.virtual_);

    // dictionary.wimax: VENDOR WiMAX 24757 format=1,1,c; WiMAX-Capability 1 tlv;
    // WiMAX-Release 1.1 string.
    let wimax = d.vendor_by_name("WiMAX").unwrap();
    assert_eq!(
        (
            wimax.id,
            wimax.type_width,
            wimax.length_width,
            wimax.continuation
        ),
        (24757, 1, 1, true)
    );
    let cap = id(&d, "WiMAX-Capability");
    let rel = id(&d, "WiMAX-Release");
    assert_eq!(d.attr(cap).data_type, DataType::Tlv);
    let r = d.attr(rel);
    assert_eq!((r.parent, r.vendor, r.number), (Some(cap), Some(24757), 1));
    assert_eq!(d.oid(rel), "26.24757.1.1");
    assert!(d.children(cap).contains(&rel));
    assert_eq!(d.attr_by_number(Some(cap), Some(24757), 1), Some(rel));

    // dictionary.rfc6929 / rfc7499: extended space and Frag-Status 241.1 integer.
    let e1 = id(&d, "Extended-Attribute-1");
    assert_eq!(d.attr(e1).data_type, DataType::Extended);
    let frag = id(&d, "Frag-Status");
    let f = d.attr(frag);
    assert_eq!(
        (f.parent, f.vendor, f.number, f.data_type),
        (Some(e1), None, 1, DataType::Integer)
    );
    assert_eq!(d.value_name(frag, 1), Some("Fragmentation-Supported"));
    assert_eq!(d.value_by_name(frag, "more-data-request").unwrap().value, 3);
    // dictionary.rfc8045: a TLV inside the extended space.
    assert_eq!(d.oid(id(&d, "IP-Port-Type")), "241.5.1");
    assert_eq!(
        d.attr(id(&d, "IP-Port-Type")).parent,
        Some(id(&d, "IP-Port-Limit-Info"))
    );

    // Long-extended 245 and the EVS below it: dictionary.freeradius.evs5 uses
    // BEGIN-VENDOR FreeRADIUS format=Extended-Vendor-Specific-5.
    let e5 = id(&d, "Extended-Attribute-5");
    assert_eq!(d.attr(e5).data_type, DataType::LongExtended);
    let evs5 = id(&d, "Extended-Vendor-Specific-5");
    assert_eq!(
        (d.attr(evs5).parent, d.attr(evs5).data_type),
        (Some(e5), DataType::Evs)
    );
    let anonce = id(&d, "FreeRADIUS-802.1X-Anonce");
    let a = d.attr(anonce);
    assert_eq!((a.parent, a.vendor, a.number), (Some(evs5), Some(11344), 1));
    assert_eq!(d.oid(anonce), "245.26.11344.1");
    assert_eq!(d.children(evs5).len(), 2);

    // Vendor formats: USR 4,0 (built in, and format=4,0 in dictionary.usr),
    // Starent format=2,2, Lucent format=2,1.
    let usr = d.vendor_by_name("USR").unwrap();
    assert_eq!((usr.id, usr.type_width, usr.length_width), (429, 4, 0));
    let ld = d.attr(id(&d, "USR-Last-Number-Dialed-Out"));
    assert_eq!((ld.vendor, ld.number), (Some(429), 0x66));
    let starent = d.vendor_by_id(8164).unwrap();
    assert_eq!(
        (
            starent.name.as_str(),
            starent.type_width,
            starent.length_width
        ),
        ("Starent", 2, 2)
    );
    let lucent = d.vendor_by_id(4846).unwrap();
    assert_eq!((lucent.type_width, lucent.length_width), (2, 1));

    // Aliases: dictionary.compat's Client-Id (4) is printed as NAS-IP-Address;
    // vendor 3076 is Altiga then Cisco-ASA.
    assert_eq!(d.canonical(id(&d, "Client-Id")), id(&d, "NAS-IP-Address"));
    assert_eq!(d.vendor_by_id(3076).unwrap().name, "Cisco-ASA");
    assert_eq!(d.vendor_by_name("altiga").unwrap().id, 3076);

    // Values at and above 2^31 (dictionary.usr).
    let syslog = id(&d, "USR-Syslog-Tap");
    assert_eq!(
        d.value_by_name(syslog, "Unknown").unwrap().value,
        4294967295
    );
    let rip = id(&d, "USR-IP-RIP-Policies");
    assert_eq!(d.value_by_name(rip, "Silent").unwrap().value, 0x8000_0000);

    // Standard TLV (RFC 6930) and `String` spelled with a capital (juniper).
    assert_eq!(d.oid(id(&d, "IPv6-6rd-Prefix")), "173.2");
    let jp = d.attr(id(&d, "Juniper-Junosspace-Profile"));
    assert_eq!(
        (jp.vendor, jp.number, jp.data_type),
        (Some(2636), 11, DataType::String)
    );
    assert_eq!(
        d.canonical(id(&d, "Juniper-Junosspace-Profile")),
        id(&d, "Juniper-Junosspace-Profiles")
    );
    assert_eq!(d.value_name(id(&d, "Service-Type"), 1), Some("Login-User"));
}

/// Sample value text (as radclient reads it) for the types checked against
/// FreeRADIUS, with the value length FreeRADIUS must encode.
fn sample(a: &radius_core::dict::Attribute) -> Option<(String, Option<usize>)> {
    Some(match a.data_type {
        DataType::String => ("\"x\"".to_owned(), Some(1)),
        DataType::Octets => match a.flags.length {
            Some(n) => (format!("0x{}", "00".repeat(n.into())), Some(n.into())),
            None => ("0x01".to_owned(), Some(1)),
        },
        DataType::Ipaddr | DataType::ComboIp => ("127.0.0.1".to_owned(), Some(4)),
        DataType::Ipv4Prefix => ("127.0.0.1/32".to_owned(), Some(6)),
        DataType::Ipv6Addr => ("::1".to_owned(), Some(16)),
        DataType::Ipv6Prefix => ("::1/128".to_owned(), None),
        DataType::Ifid => ("0:0:0:1".to_owned(), Some(8)),
        DataType::Ether => ("00:01:02:03:04:05".to_owned(), Some(6)),
        DataType::Integer
        | DataType::Integer64
        | DataType::Byte
        | DataType::Short
        | DataType::Signed
        | DataType::Date => ("1".to_owned(), a.data_type.fixed_len()),
        _ => return None,
    })
}

/// Walks one encoded attribute the way the model says it is nested and
/// returns its OID as encoded, plus its innermost value.
fn encoded_oid(d: &Dictionary, attr: &[u8], depth: usize) -> (String, Vec<u8>) {
    let mut path = vec![u64::from(attr[0])];
    let mut value = &attr[2..usize::from(attr[1])];
    if depth == 1 {
        return (path[0].to_string(), value.to_vec());
    }
    match attr[0] {
        26 => {
            let vid = u32::from_be_bytes(value[..4].try_into().unwrap());
            let v = d.vendor_by_id(vid).unwrap();
            let (t, l) = (usize::from(v.type_width), usize::from(v.length_width));
            let typ = value[4..4 + t]
                .iter()
                .fold(0u64, |n, b| n << 8 | u64::from(*b));
            path.extend([u64::from(vid), typ]);
            value = &value[4 + t + l + usize::from(v.continuation)..];
        }
        241..=246 => {
            path.push(u64::from(value[0]));
            value = &value[if attr[0] >= 245 { 2 } else { 1 }..];
            if path[1] == 26 {
                path.push(u64::from(u32::from_be_bytes(
                    value[..4].try_into().unwrap(),
                )));
                path.push(u64::from(value[4]));
                value = &value[5..];
            }
        }
        _ => {}
    }
    while path.len() < depth {
        path.push(u64::from(value[0]));
        value = &value[2..usize::from(value[1])];
    }
    let oid = path
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".");
    (oid, value.to_vec())
}

/// FreeRADIUS's own encoder agrees with the model: every attribute of a
/// plain type that can go on the wire is sent by radclient (one packet
/// each, tagged with NAS-Identifier = its index) to a local socket, and the
/// number path and value length found in the bytes must be the model's.
#[test]
fn radclient_encodes_as_the_model_says() {
    let Some(d) = load() else { return };
    if !have_tool("radclient") {
        return;
    }
    let skip_std = [2, 3, 26, 32, 79, 80];
    let mut chosen = Vec::new();
    let mut input = String::new();
    for (id, a) in d.iter() {
        let std_number = (a.parent.is_none() && a.vendor.is_none()).then_some(a.number);
        if std_number.is_some_and(|n| n > 255 || skip_std.contains(&n))
            || a.flags.virtual_
            || a.flags.encrypt != Encrypt::None
        {
            continue;
        }
        let Some((text, len)) = sample(a) else {
            continue;
        };
        let tag = if a.flags.has_tag { ":1" } else { "" };
        input.push_str(&format!(
            "NAS-Identifier = \"{}\", {}{tag} = {text}\n\n",
            chosen.len(),
            a.name
        ));
        chosen.push((id, len, text));
    }
    assert!(chosen.len() > 5000, "{}", chosen.len());

    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_millis(1500)))
        .unwrap();
    let port = socket.local_addr().unwrap().port();
    let file = std::env::temp_dir().join(format!("radclient-{}.txt", std::process::id()));
    std::fs::write(&file, &input).unwrap();
    let receiver = std::thread::spawn(move || {
        let mut packets = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = socket.recv(&mut buf) {
            packets.push(buf[..n].to_vec());
        }
        packets
    });
    let out = std::process::Command::new("radclient")
        .args([
            "-q", "-r", "1", "-t", "0.5", "-n", "3000", "-p", "100000", "-f",
        ])
        .arg(&file)
        .arg(format!("127.0.0.1:{port}"))
        .args(["auth", "testing123"])
        .output()
        .unwrap();
    let packets = receiver.join().unwrap();
    std::fs::remove_file(&file).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("ERROR"), "radclient: {stderr}");

    let mut seen = vec![false; chosen.len()];
    let mut retyped = Vec::new();
    let mut not_encoded = Vec::new();
    let mut strings_checked = 0;
    for p in &packets {
        let mut index = None;
        let mut other = None;
        let mut rest = &p[20..];
        while rest.len() >= 2 {
            let (attr, next) = rest.split_at(usize::from(rest[1]));
            if attr[0] == 32 {
                index = Some(
                    std::str::from_utf8(&attr[2..])
                        .unwrap()
                        .parse::<usize>()
                        .unwrap(),
                );
            } else {
                assert!(other.is_none(), "one attribute per packet: {p:02x?}");
                other = Some(attr);
            }
            rest = next;
        }
        let index = index.unwrap();
        seen[index] = true;
        let Some(attr) = other else {
            not_encoded.push(d.attr(chosen[index].0).name.clone());
            continue;
        };
        let (id, len, ref text) = chosen[index];
        let a = d.attr(id);
        let oid = d.oid(id);
        let (got, value) = encoded_oid(&d, attr, oid.split('.').count());
        assert_eq!(got, oid, "{} encoded by FreeRADIUS as {attr:02x?}", a.name);
        // FreeRADIUS reads some aliases as the attribute printed for their
        // number, with that attribute's type (Dictionary::text_target).
        let target = d.attr(d.text_target(id));
        if target.data_type != a.data_type || target.flags.length != a.flags.length {
            retyped.push(format!(
                "{} ({}) -> {} ({})",
                a.name, a.data_type, target.name, target.data_type
            ));
            if target.data_type == DataType::String {
                assert_eq!(value, text.trim_matches('"').as_bytes(), "{}", a.name);
                strings_checked += 1;
            }
        } else if let Some(len) = len {
            let tag_len = usize::from(a.flags.has_tag && a.data_type == DataType::String);
            assert_eq!(value.len(), len + tag_len, "{} value {value:02x?}", a.name);
        }
        if a.flags.has_tag {
            assert_eq!(value[0], 1, "{} tag", a.name);
        }
    }
    let missing: Vec<&str> = (0..chosen.len())
        .filter(|&i| !seen[i])
        .map(|i| d.attr(chosen[i].0).name.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "radclient sent nothing for {} of {} attributes, e.g. {:?}; {} packets; radclient {}: {}",
        missing.len(),
        chosen.len(),
        &missing[..missing.len().min(10)],
        packets.len(),
        out.status,
        stderr.chars().take(2000).collect::<String>()
    );
    // FreeRADIUS 3.2.1 drops members of the one standard-space TLV
    // (RFC 6930's IPv6-6rd-Configuration, 173) when they are sent alone.
    assert_eq!(
        not_encoded,
        [
            "IPv6-6rd-IPv4MaskLen",
            "IPv6-6rd-Prefix",
            "IPv6-6rd-BR-IPv4-Address"
        ],
        "attributes FreeRADIUS did not put on the wire"
    );
    assert!(strings_checked > 0, "{strings_checked}");
    eprintln!(
        "{} attributes encoded by radclient as the model says; {} aliases encoded with the \
         type of the name printed for their number, e.g. {:?}",
        chosen.len(),
        retyped.len(),
        &retyped[..retyped.len().min(3)]
    );
}

/// A directory stands for its `dictionary` file, as FreeRADIUS's `-D
/// /usr/share/freeradius` (and radclient's `-d`) read it.
#[test]
fn a_directory_loads_its_dictionary_file() {
    if debian_dictionary().is_none() {
        return;
    }
    let dir = Path::new(ROOT).parent().unwrap();
    let d = Dictionary::from_file(dir).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.files().len(), FILES);
    assert_eq!(d.files()[0], Path::new(ROOT));
    assert_eq!(
        (d.num_vendors(), d.num_attributes(), d.num_values()),
        (VENDORS, ATTRIBUTES, VALUES)
    );
}
