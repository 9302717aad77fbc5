//! MS-CHAP crypto, sans-IO: version 1 (RFC 2433) and version 2 (RFC 2759),
//! with the MPPE key derivations a server hands to the NAS (RFC 2548,
//! RFC 3079).
//!
//! Everything here is a pure function of octets: a server looks up the
//! user's [`NtHash`] (stored, or [`NtHash::from_password`] of a cleartext
//! password), checks the peer's NT-Response with [`v1::verify`] or
//! [`v2::verify`], and on success builds its reply from
//! [`v2::authenticator_response`] and [`v2::mppe_keys`] (or
//! [`v1::mppe_keys_plain`]). The RADIUS attribute layouts of RFC 2548
//! (MS-CHAP-Response, MS-CHAP2-Response) are parsed by
//! [`v1::Response::parse`] and [`v2::Response::parse`]; the obfuscation of
//! the MPPE key attributes is radius-core's (`encrypt=1` / `encrypt=2` in
//! the Microsoft dictionary), applied when the reply is encoded.
//!
//! The same functions serve EAP-MSCHAPv2 and the MS-CHAP inner methods of
//! PEAP and TTLS: the Challenge, Response and Success packets differ, the
//! crypto does not.
//!
//! MS-CHAP offers little protection by itself (the NT hash is a
//! password-equivalent, and a captured exchange can be cracked offline);
//! use it inside a TLS tunnel, or on a network you trust.
//!
//! ```
//! use radius_proto::mschap::{v2, NtHash};
//!
//! let hash = NtHash::from_password("clientPass");
//! let (auth, peer) = ([0x5b; 16], [0x21; 16]);
//! // What the peer sends ...
//! let nt = v2::nt_response(&auth, &peer, b"User", &hash);
//! // ... and what the server checks and answers.
//! assert!(v2::verify(&auth, &peer, b"User", &hash, &nt));
//! let success = v2::authenticator_response(&hash, &nt, &peer, &auth, b"User");
//! assert!(success.starts_with("S=") && success.len() == 42);
//! ```

mod des;
pub mod mppe;
pub mod v1;
pub mod v2;

use md4::{Digest, Md4};

/// A user's NT password hash: MD4 of the password in UTF-16LE (RFC 2759
/// §8.3 NtPasswordHash). A password-equivalent for MS-CHAP: keep it as
/// secret as a cleartext password. `Debug` does not print it, and `==`
/// is not constant-time: check a peer with [`v1::verify`] or
/// [`v2::verify`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct NtHash(pub [u8; 16]);

impl std::fmt::Debug for NtHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NtHash(..)")
    }
}

impl NtHash {
    /// MD4(UTF-16LE(password)). Characters outside the Basic Multilingual
    /// Plane become surrogate pairs, as Windows encodes them.
    pub fn from_password(password: &str) -> NtHash {
        let mut h = Md4::new();
        for unit in password.encode_utf16() {
            h.update(unit.to_le_bytes());
        }
        NtHash(h.finalize().into())
    }

    /// Parse 32 hexadecimal digits (either case), as FreeRADIUS's
    /// `NT-Password` and `pwdump` write them. `None` for anything else.
    pub fn from_hex(s: &str) -> Option<NtHash> {
        let s = s.as_bytes();
        if s.len() != 32 {
            return None;
        }
        let mut out = [0u8; 16];
        for (o, pair) in out.iter_mut().zip(s.chunks_exact(2)) {
            *o = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
        }
        Some(NtHash(out))
    }

    /// MD4 of the hash (RFC 2759 §8.4 HashNtPasswordHash): what the MPPE
    /// keys and the v2 authenticator response are made from.
    pub fn hash_hash(&self) -> [u8; 16] {
        Md4::digest(self.0).into()
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The user name without a Windows domain prefix: `DOMAIN\user` → `user`
/// (everything after the last backslash). RFC 2759 §8.2 hashes this name,
/// not the full one, into the v2 challenge, as Windows peers and
/// FreeRADIUS do. A name without a backslash is returned whole.
pub fn strip_domain(name: &[u8]) -> &[u8] {
    match name.iter().rposition(|&b| b == b'\\') {
        Some(i) => &name[i + 1..],
        None => name,
    }
}

/// Hexadecimal of `bytes`, upper- or lower-case.
fn hex(bytes: &[u8], upper: bool) -> String {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut s = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        s.push(digits[(b >> 4) as usize] as char);
        s.push(digits[(b & 15) as usize] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hex to octets, for test vectors written as in the RFCs.
    pub(crate) fn unhex<const N: usize>(s: &str) -> [u8; N] {
        let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        assert_eq!(digits.len(), 2 * N, "{s}");
        let mut out = [0u8; N];
        for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
            *o = (hex_digit(pair[0]).unwrap() << 4) | hex_digit(pair[1]).unwrap();
        }
        out
    }

    #[test]
    fn nt_hash_of_rfc_passwords() {
        // RFC 2759 §9.2 PasswordHash and PasswordHashHash.
        let h = NtHash::from_password("clientPass");
        assert_eq!(
            h.0,
            unhex("44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE")
        );
        assert_eq!(
            h.hash_hash(),
            unhex("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F")
        );
        // RFC 2433 Appendix B.2.
        assert_eq!(
            NtHash::from_password("MyPw").0,
            unhex("FC 15 6A F7 ED CD 6C 0E DD E3 33 7D 42 7F 4E AC")
        );
        // The demo user's: FreeRADIUS 3.2 sent this hash-hash in the
        // MS-CHAP-MPPE-Keys of its Accept for bob/hello.
        assert_eq!(
            NtHash::from_password("hello").hash_hash(),
            unhex("ac0782e2de2337dee40e54ee732c1af5")
        );
        // The well-known hash of "password", as the guide's example has it.
        assert_eq!(
            NtHash::from_hex("8846f7eaee8fb117ad06bdd830b7586c"),
            Some(NtHash::from_password("password"))
        );
        // UTF-16: a non-ASCII password is not hashed as its UTF-8 octets.
        assert_ne!(
            NtHash::from_password("pässword"),
            NtHash(Md4::digest("pässword".as_bytes()).into())
        );
    }

    #[test]
    fn from_hex_takes_exactly_32_hex_digits() {
        let h = NtHash::from_password("clientPass");
        assert_eq!(
            NtHash::from_hex("44EBBA8D5312B8D611474411F56989AE"),
            Some(h)
        );
        assert_eq!(
            NtHash::from_hex("44ebba8d5312b8d611474411f56989ae"),
            Some(h)
        );
        for bad in [
            "",
            "44EBBA8D5312B8D611474411F56989A",
            "44EBBA8D5312B8D611474411F56989AE0",
            "44EBBA8D5312B8D611474411F56989AG",
            "0x44EBBA8D5312B8D611474411F56989",
            "44EBBA8D5312B8D6 11474411F56989A",
        ] {
            assert_eq!(NtHash::from_hex(bad), None, "{bad:?}");
        }
        assert_eq!(format!("{h:?}"), "NtHash(..)");
    }

    #[test]
    fn strip_domain_keeps_what_follows_the_last_backslash() {
        assert_eq!(strip_domain(b"CORP\\alice"), b"alice");
        assert_eq!(strip_domain(b"a\\b\\carol"), b"carol");
        assert_eq!(strip_domain(b"bob"), b"bob");
        assert_eq!(strip_domain(b"bob@example.com"), b"bob@example.com");
        assert_eq!(strip_domain(b"CORP\\"), b"");
    }
}
