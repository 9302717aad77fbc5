//! MS-CHAP version 1 (RFC 2433) as RADIUS carries it (RFC 2548 §2.1.3,
//! §2.4.1): the peer answers the 8-octet MS-CHAP-Challenge with an
//! MS-CHAP-Response; the server checks the NT-Response and, on success,
//! sends MS-CHAP-MPPE-Keys.
//!
//! Only the NT-Response is supported: the LAN Manager response (Flags 0)
//! rests on a hash of the upper-cased password that can be cracked in
//! minutes, and modern peers do not send it alone.

use super::des::challenge_response;
use super::NtHash;

/// RFC 2433 §A.2 NtChallengeResponse: the 24-octet NT-Response to
/// `challenge` for the password whose hash is `hash`.
pub fn nt_response(challenge: &[u8; 8], hash: &NtHash) -> [u8; 24] {
    challenge_response(challenge, &hash.0)
}

/// Whether `nt_response` answers `challenge` for `hash`; compared in
/// constant time.
pub fn verify(challenge: &[u8; 8], hash: &NtHash, nt_response: &[u8; 24]) -> bool {
    radius_core::crypto::ct_eq(&self::nt_response(challenge, hash), nt_response)
}

/// The 32-octet plaintext of MS-CHAP-MPPE-Keys (RFC 2548 §2.4.1), as
/// FreeRADIUS 3.2 sends it: 8 octets of LAN Manager key (zero: no LM
/// hash is kept), the NT hash-hash (RFC 3079 §2.4 uses it as the 128-bit
/// start key; RFC 2548's "NT-Key" is in practice this, not the NT hash),
/// then 8 octets of zero padding. The attribute is hidden like a
/// User-Password (`encrypt=1`), which pads to 32 anyway; the dictionary
/// declares it `octets[24]`, so a receiver keeps the first 24.
pub fn mppe_keys_plain(hash: &NtHash) -> [u8; 32] {
    let mut out = [0u8; 32];
    out[8..24].copy_from_slice(&hash.hash_hash());
    out
}

/// The RFC 2548 §2.4.1 flag bit: the NT-Response field is to be used.
pub const FLAG_USE_NT: u8 = 0x01;

/// An MS-CHAP-Response attribute's value (RFC 2548 §2.1.3): 50 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// The PPP CHAP Identifier, echoed in MS-CHAP-Error.
    pub ident: u8,
    /// Bit 0 ([`FLAG_USE_NT`]): use the NT-Response.
    pub flags: u8,
    /// LAN Manager response (ignored here).
    pub lm_response: [u8; 24],
    /// NT-Response.
    pub nt_response: [u8; 24],
}

impl Response {
    /// Length of the value.
    pub const LEN: usize = 50;

    /// Split a value; `None` unless it is exactly [`Response::LEN`] octets.
    pub fn parse(value: &[u8]) -> Option<Response> {
        if value.len() != Self::LEN {
            return None;
        }
        Some(Response {
            ident: value[0],
            flags: value[1],
            lm_response: value[2..26].try_into().ok()?,
            nt_response: value[26..50].try_into().ok()?,
        })
    }

    /// The value octets (for clients and tests).
    pub fn to_bytes(&self) -> [u8; 50] {
        let mut out = [0u8; 50];
        out[0] = self.ident;
        out[1] = self.flags;
        out[2..26].copy_from_slice(&self.lm_response);
        out[26..].copy_from_slice(&self.nt_response);
        out
    }

    /// Whether the peer asks for its NT-Response to be used.
    pub fn uses_nt(&self) -> bool {
        self.flags & FLAG_USE_NT != 0
    }
}

/// The MS-CHAP-Error text of a failed v1 exchange (RFC 2433 §6), as
/// FreeRADIUS 3.2 words it: `E=691 R=<retry> C=<16 lower-case hex of a
/// new challenge> V=2` (FreeRADIUS sends R=1). The caller prefixes the
/// Ident octet.
pub fn failure_message(retry: bool, new_challenge: &[u8; 8]) -> String {
    format!(
        "E=691 R={} C={} V=2",
        u8::from(retry),
        super::hex(new_challenge, false)
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::unhex;
    use super::*;

    /// RFC 2433 Appendix B.2.
    #[test]
    fn rfc2433_example() {
        let hash = NtHash::from_password("MyPw");
        let challenge = unhex("10 2D B5 DF 08 5D 30 41");
        let want = unhex("4E 9D 3C 8F 9C FD 38 5D 5B F4 D3 24 67 91 95 6C A4 C3 51 AB 40 9A 3D 61");
        assert_eq!(nt_response(&challenge, &hash), want);
        assert!(verify(&challenge, &hash, &want));
        let mut wrong = want;
        wrong[23] ^= 1;
        assert!(!verify(&challenge, &hash, &wrong));
        assert!(!verify(&challenge, &NtHash::from_password("MyPW"), &want));
        let mut other = challenge;
        other[0] ^= 0x80;
        assert!(!verify(&other, &hash, &want));
    }

    #[test]
    fn mppe_keys_layout() {
        let hash = NtHash::from_password("hello");
        let k = mppe_keys_plain(&hash);
        assert_eq!(k[..8], [0; 8]);
        // What FreeRADIUS 3.2 put in its Accept for bob/hello.
        assert_eq!(k[8..24], unhex::<16>("ac0782e2de2337dee40e54ee732c1af5"));
        assert_eq!(k[24..], [0; 8]);
    }

    #[test]
    fn response_round_trip_and_length() {
        let r = Response {
            ident: 7,
            flags: FLAG_USE_NT,
            lm_response: [1; 24],
            nt_response: [2; 24],
        };
        let b = r.to_bytes();
        assert_eq!(Response::parse(&b), Some(r));
        assert!(r.uses_nt());
        assert_eq!(Response::parse(&b[..49]), None);
        assert_eq!(Response::parse(&[0; 51]), None);
        assert!(!Response::parse(&[0; 50]).unwrap().uses_nt());
    }

    #[test]
    fn failure_text() {
        assert_eq!(
            failure_message(true, &[0x5a, 0xd6, 0x0f, 0x94, 0x08, 0x17, 0xab, 0x26]),
            "E=691 R=1 C=5ad60f940817ab26 V=2"
        );
        assert!(failure_message(false, &[0; 8]).starts_with("E=691 R=0 "));
    }
}
