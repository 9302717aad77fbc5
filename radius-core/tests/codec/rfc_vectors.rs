//! Worked examples from the RFCs, byte for byte. These are independent
//! truth: each one is self-verifying (the authenticators only check out if
//! both the bytes and our crypto are right).

use radius_core::crypto::{self, Secret};
use radius_core::packet::{AuthError, Code, DecodeError, Packet, PacketWriter};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// RFC 2865 §7.1: User Telnet to a specified host, PAP, secret "xyzzy5461".
const RFC2865_7_1_REQUEST: &str = "
    01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb
    98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d
    93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8
    01 10 05 06 00 00 00 03";
const RFC2865_7_1_ACCEPT: &str = "
    02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf
    9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 00 00
    0e 06 c0 a8 01 03";

/// RFC 5997 §6: Status-Server with Message-Authenticator, secret "xyzzy5461".
const RFC5997_STATUS_SERVER: &str = "
    0c da 00 26 8a 54 f4 68 6f b3 94 c5 28 66 e3 02
    18 5d 06 23 50 12 5a 66 5e 2e 1e 84 11 f3 e2 43
    82 20 97 c8 4f a3";

fn secret() -> Secret {
    Secret::new("xyzzy5461")
}

#[test]
fn rfc2865_7_1_pap_request_decodes_and_password_decrypts() {
    let bytes = hex(RFC2865_7_1_REQUEST);
    let p = Packet::decode(&bytes).unwrap();
    assert_eq!(p.code(), Code::ACCESS_REQUEST);
    assert_eq!(p.identifier(), 0);
    assert_eq!(p.find(1), Some(&b"nemo"[..]));
    assert_eq!(p.find(4), Some(&[192, 168, 1, 16][..]));
    assert_eq!(p.find(5), Some(&[0, 0, 0, 3][..]));
    let mut pw = Vec::new();
    crypto::decrypt_user_password(p.find(2).unwrap(), &secret(), p.authenticator(), &mut pw)
        .unwrap();
    assert_eq!(pw, b"arctangent");
    // And the other direction reproduces the RFC's ciphertext exactly.
    let mut c = Vec::new();
    crypto::encrypt_user_password(b"arctangent", &secret(), p.authenticator(), &mut c).unwrap();
    assert_eq!(c, p.find(2).unwrap());
    assert_eq!(
        p.verify_request(&secret()),
        Ok(false),
        "no Message-Authenticator in 1997"
    );
}

#[test]
fn rfc2865_7_1_accept_authenticator_verifies_and_reencodes() {
    let req = hex(RFC2865_7_1_REQUEST);
    let req = Packet::decode(&req).unwrap();
    let acc = hex(RFC2865_7_1_ACCEPT);
    let p = Packet::decode(&acc).unwrap();
    assert_eq!(p.verify_reply(&secret(), req.authenticator()), Ok(false));
    assert_eq!(
        p.verify_reply(&Secret::new("wrong"), req.authenticator()),
        Err(AuthError::ResponseAuthenticator)
    );
    // Build the same reply ourselves: byte-identical.
    let mut buf = Vec::new();
    let mut w = PacketWriter::reply(&mut buf, Code::ACCESS_ACCEPT, 0, req.authenticator());
    w.attr(6, &[0, 0, 0, 1]).unwrap(); // Service-Type = Login-User
    w.attr(15, &[0, 0, 0, 0]).unwrap(); // Login-Service = Telnet
    w.attr(14, &[192, 168, 1, 3]).unwrap(); // Login-IP-Host
    w.finish(&secret()).unwrap();
    assert_eq!(buf, acc);
}

#[test]
fn rfc5997_status_server_message_authenticator() {
    let bytes = hex(RFC5997_STATUS_SERVER);
    let p = Packet::decode(&bytes).unwrap();
    assert_eq!(p.code(), Code::STATUS_SERVER);
    assert_eq!(p.identifier(), 0xda);
    assert!(p.has_message_authenticator());
    assert_eq!(p.verify_request(&secret()), Ok(true));
    assert_eq!(
        p.verify_request(&Secret::new("xyzzy5462")),
        Err(AuthError::MessageAuthenticator)
    );
    // Flip one bit anywhere outside the MA: the check must fail.
    for i in [0usize, 1, 5, 19] {
        let mut t = bytes.clone();
        t[i] ^= 1;
        if let Ok(q) = Packet::decode(&t) {
            assert!(
                q.verify_request(&secret()).is_err(),
                "bit flip at {i} not caught"
            );
        }
    }
    // Re-encoding with the same authenticator gives the same bytes.
    let mut buf = Vec::new();
    let mut w = PacketWriter::request_with_authenticator(
        &mut buf,
        Code::STATUS_SERVER,
        0xda,
        *p.authenticator(),
    );
    w.message_authenticator().unwrap();
    w.finish(&secret()).unwrap();
    assert_eq!(buf, bytes);
}

#[test]
fn chap_password_verification() {
    // A CHAP-Password built as RFC 1994 says verifies; a wrong password does not.
    let challenge = [0x11u8; 16];
    let resp = crypto::chap_response(7, b"hello", &challenge);
    let mut v = vec![7u8];
    v.extend_from_slice(&resp);
    assert!(crypto::verify_chap_password(&v, b"hello", &challenge));
    assert!(!crypto::verify_chap_password(&v, b"hellp", &challenge));
    assert!(!crypto::verify_chap_password(
        &v[..16],
        b"hello",
        &challenge
    ));
}

#[test]
fn header_validation_errors() {
    assert_eq!(
        Packet::decode(&[1; 19]).unwrap_err(),
        DecodeError::TooShort(19)
    );
    let mut p = hex(RFC2865_7_1_REQUEST);
    // Octets past Length are padding and ignored.
    p.extend_from_slice(&[0xee; 10]);
    assert_eq!(Packet::decode(&p).unwrap().len(), 0x38);
    // Fewer octets than Length: error.
    assert!(matches!(
        Packet::decode(&p[..0x37]),
        Err(DecodeError::Truncated { .. })
    ));
    let mut bad = p.clone();
    bad[2] = 0x10; // 4096+ (0x1038)
    assert!(matches!(
        Packet::decode(&bad),
        Err(DecodeError::BadLength(_))
    ));
    let mut bad = p.clone();
    bad[21] = 1; // User-Name length 1
    assert!(matches!(
        Packet::decode(&bad),
        Err(DecodeError::AttrTooShort { offset: 20, len: 1 })
    ));
    let mut bad = p.clone();
    bad[21] = 0x30; // runs past the end
    assert!(matches!(
        Packet::decode(&bad),
        Err(DecodeError::AttrOverflow { .. })
    ));
}

#[test]
fn accounting_request_authenticator_roundtrip() {
    let s = Secret::new("testing123");
    let mut buf = Vec::new();
    let mut w = PacketWriter::request(&mut buf, Code::ACCOUNTING_REQUEST, 9);
    w.attr(40, &[0, 0, 0, 1]).unwrap();
    w.message_authenticator().unwrap();
    w.finish(&s).unwrap();
    let p = Packet::decode(&buf).unwrap();
    assert_eq!(p.verify_request(&s), Ok(true));
    assert_eq!(
        p.verify_request(&Secret::new("x")),
        Err(AuthError::RequestAuthenticator)
    );
    // CoA and Disconnect use the same scheme (RFC 5176 §2.3).
    for code in [Code::COA_REQUEST, Code::DISCONNECT_REQUEST] {
        let mut w = PacketWriter::request(&mut buf, code, 1);
        w.attr(1, b"bob").unwrap();
        w.finish(&s).unwrap();
        assert_eq!(Packet::decode(&buf).unwrap().verify_request(&s), Ok(false));
    }
}

#[test]
fn encode_limit_is_4096() {
    let mut buf = Vec::new();
    let mut w = PacketWriter::request(&mut buf, Code::ACCESS_REQUEST, 1);
    let v = [0u8; 253];
    let mut n = 0;
    while w.attr(18, &v).is_ok() {
        n += 1;
    }
    assert_eq!(n, (4096 - 20) / 255);
    assert!(w.attr(18, &[0; 254]).is_err());
}

/// RFC 4849 §2: "Multiple rules should be separated by a NUL (0x00). A
/// NAS-Filter-Rule attribute may contain a partial rule, one rule, or more
/// than one rule. Filter rules may be continued across attribute
/// boundaries." Here the second rule starts in the first attribute and
/// ends in the second, and consecutive NULs are not rules.
#[test]
fn rfc4849_filter_rules_cross_attribute_boundaries() {
    use radius_core::text::Codec;
    let dict = radius_core::dict::Dictionary::parse_str(
        "d",
        "ATTRIBUTE NAS-Filter-Rule 92 string\nATTRIBUTE User-Name 1 string\n",
    )
    .unwrap();
    let c = Codec::new(&dict);
    let mut wire = vec![92, 255];
    wire.extend_from_slice(&[b'a'; 250]);
    wire.extend_from_slice(b"\0bc");
    wire.extend_from_slice(&[92, 7, b'd', 0, 0, b'e', 0]);
    wire.extend_from_slice(&[1, 3, b'u']);
    let pairs = c.decode(&wire).unwrap();
    assert_eq!(
        c.format(&pairs),
        format!(
            "NAS-Filter-Rule = \"{}\", NAS-Filter-Rule = \"bcd\", NAS-Filter-Rule = \"e\", User-Name = \"u\"",
            "a".repeat(250)
        )
    );
    // Encoding joins with single NULs and cuts at 253 octets.
    let again = c.encode(&pairs).unwrap();
    let mut want = vec![92, 255];
    want.extend_from_slice(&[b'a'; 250]);
    want.extend_from_slice(b"\0bc");
    want.extend_from_slice(&[92, 5, b'd', 0, b'e']);
    want.extend_from_slice(&[1, 3, b'u']);
    assert_eq!(again, want);
}

/// RFC 2868 §3.5: "The high bit of Salt[0] MUST be set ... Each Salt
/// MUST be unique" within a packet. Many Tunnel-Passwords in one packet get
/// distinct salts (random ones, and ones counted up from a fixed salt),
/// and each still decrypts to its own value.
#[test]
fn rfc2868_tunnel_password_salts_are_unique_in_a_packet() {
    use radius_core::text::{Codec, Value};
    let dict = radius_core::dict::Dictionary::parse_str(
        "d",
        "ATTRIBUTE Tunnel-Password 69 string has_tag,encrypt=2\n",
    )
    .unwrap();
    let line: Vec<String> = (0..40)
        .map(|i| format!("Tunnel-Password:{} = \"pw{i}\"", i % 32))
        .collect();
    let line = line.join(", ");
    for codec in [Codec::new(&dict), Codec::new(&dict).with_salt([0x81, 0xff])] {
        for _ in 0..20 {
            let wire = codec.encode_line(&line).unwrap();
            let mut salts = Vec::new();
            let mut off = 0;
            while off < wire.len() {
                assert_eq!(wire[off], 69);
                let salt = [wire[off + 3], wire[off + 4]];
                assert!(salt[0] & 0x80 != 0, "{salt:02x?}");
                salts.push(salt);
                off += wire[off + 1] as usize;
            }
            assert_eq!(salts.len(), 40);
            let mut distinct = salts.clone();
            distinct.sort();
            distinct.dedup();
            assert_eq!(distinct.len(), 40, "{salts:02x?}");
            let pairs = codec.decode(&wire).unwrap();
            for (i, p) in pairs.iter().enumerate() {
                assert_eq!(p.value, Value::String(format!("pw{i}").into_bytes()));
            }
        }
    }
}
