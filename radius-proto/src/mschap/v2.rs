//! MS-CHAP version 2 (RFC 2759) as RADIUS carries it (RFC 2548 §2.3): the
//! peer answers the 16-octet MS-CHAP-Challenge with an MS-CHAP2-Response
//! holding its own Peer-Challenge and the NT-Response; the server checks
//! it and proves that it knows the password too with the authenticator
//! response in MS-CHAP2-Success, and hands the NAS the MPPE keys.
//!
//! `user_name` everywhere is the name the peer hashed: the User-Name
//! without a domain prefix ([`super::strip_domain`]).

use sha1::{Digest, Sha1};

use super::des::challenge_response;
use super::{mppe, NtHash};

/// RFC 2759 §8.7 Magic1.
const MAGIC1: &[u8; 39] = b"Magic server to client signing constant";
/// RFC 2759 §8.7 Magic2.
const MAGIC2: &[u8; 41] = b"Pad to make it do more than one iteration";

/// RFC 2759 §8.2 ChallengeHash: the first 8 octets of
/// SHA1(PeerChallenge, AuthenticatorChallenge, UserName), the challenge
/// the NT-Response answers.
pub fn challenge_hash(
    peer_challenge: &[u8; 16],
    auth_challenge: &[u8; 16],
    user_name: &[u8],
) -> [u8; 8] {
    let d = Sha1::new()
        .chain_update(peer_challenge)
        .chain_update(auth_challenge)
        .chain_update(user_name)
        .finalize();
    d[..8].try_into().expect("SHA-1 is 20 octets")
}

/// RFC 2759 §8.1 GenerateNTResponse.
pub fn nt_response(
    auth_challenge: &[u8; 16],
    peer_challenge: &[u8; 16],
    user_name: &[u8],
    hash: &NtHash,
) -> [u8; 24] {
    let c = challenge_hash(peer_challenge, auth_challenge, user_name);
    challenge_response(&c, &hash.0)
}

/// Constant-time check of a peer's NT-Response.
pub fn verify(
    auth_challenge: &[u8; 16],
    peer_challenge: &[u8; 16],
    user_name: &[u8],
    hash: &NtHash,
    nt_response: &[u8; 24],
) -> bool {
    let want = self::nt_response(auth_challenge, peer_challenge, user_name, hash);
    radius_core::crypto::ct_eq(&want, nt_response)
}

/// RFC 2759 §8.7 GenerateAuthenticatorResponse: `"S="` and 40 upper-case
/// hex digits, the text of MS-CHAP2-Success after its Ident octet (and of
/// the EAP-MSCHAPv2 Success-Request).
pub fn authenticator_response(
    hash: &NtHash,
    nt_response: &[u8; 24],
    peer_challenge: &[u8; 16],
    auth_challenge: &[u8; 16],
    user_name: &[u8],
) -> String {
    let digest = Sha1::new()
        .chain_update(hash.hash_hash())
        .chain_update(nt_response)
        .chain_update(MAGIC1)
        .finalize();
    let challenge = challenge_hash(peer_challenge, auth_challenge, user_name);
    let digest = Sha1::new()
        .chain_update(digest)
        .chain_update(challenge)
        .chain_update(MAGIC2)
        .finalize();
    format!("S={}", super::hex(&digest, true))
}

/// RFC 3079 §3.4 MPPE keys (16 octets each, "strongest" key length):
/// (MS-MPPE-Send-Key, MS-MPPE-Recv-Key) as the SERVER sends them, i.e. the
/// server's send and receive start keys. RADIUS obfuscates both with the
/// salted scheme of RFC 2548 §2.4.2 when the reply is encoded.
pub fn mppe_keys(hash: &NtHash, nt_response: &[u8; 24]) -> ([u8; 16], [u8; 16]) {
    let master = mppe::master_key(&hash.hash_hash(), nt_response);
    (
        mppe::asymmetric_start_key(&master, true, true),
        mppe::asymmetric_start_key(&master, false, true),
    )
}

/// An MS-CHAP2-Response attribute's value (RFC 2548 §2.3.2): 50 octets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Response {
    /// The PPP CHAP Identifier, echoed in MS-CHAP2-Success and
    /// MS-CHAP-Error.
    pub ident: u8,
    /// Flags (reserved, zero).
    pub flags: u8,
    /// The peer's challenge.
    pub peer_challenge: [u8; 16],
    /// NT-Response.
    pub nt_response: [u8; 24],
}

impl Response {
    /// Length of the value.
    pub const LEN: usize = 50;

    /// Split a value; `None` unless it is exactly [`Response::LEN`] octets.
    /// The 8 reserved octets after the Peer-Challenge are not checked
    /// (RFC 2759 §4 says zero; receivers ignore them).
    pub fn parse(value: &[u8]) -> Option<Response> {
        if value.len() != Self::LEN {
            return None;
        }
        Some(Response {
            ident: value[0],
            flags: value[1],
            peer_challenge: value[2..18].try_into().ok()?,
            nt_response: value[26..50].try_into().ok()?,
        })
    }

    /// The value octets (for clients and tests), reserved octets zero.
    pub fn to_bytes(&self) -> [u8; 50] {
        let mut out = [0u8; 50];
        out[0] = self.ident;
        out[1] = self.flags;
        out[2..18].copy_from_slice(&self.peer_challenge);
        out[26..].copy_from_slice(&self.nt_response);
        out
    }
}

/// The MS-CHAP-Error text of a failed v2 exchange (RFC 2759 §6):
/// `E=691 R=<retry> C=<32 lower-case hex of a new challenge> V=3
/// M=Authentication failed`. The caller prefixes the Ident octet.
///
/// FreeRADIUS 3.2 sends the same with `R=1` and `M=Authentication
/// rejected`. Over RADIUS the NAS, not the server, issues the next
/// challenge, so a server that offers a retry (R=1) offers what it cannot
/// see through; `R=0` also stops Windows peers from prompting again in a
/// loop.
pub fn failure_message(retry: bool, new_challenge: &[u8; 16]) -> String {
    format!(
        "E=691 R={} C={} V=3 M=Authentication failed",
        u8::from(retry),
        super::hex(new_challenge, false)
    )
}

#[cfg(test)]
mod tests {
    use super::super::tests::unhex;
    use super::*;

    const AUTH: &str = "5B 5D 7C 7D 7B 3F 2F 3E 3C 2C 60 21 32 26 26 28";
    const PEER: &str = "21 40 23 24 25 5E 26 2A 28 29 5F 2B 3A 33 7C 7E";
    const NT: &str = "82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF";

    /// RFC 2759 §9.2, every intermediate value.
    #[test]
    fn rfc2759_hash_example() {
        let (auth, peer) = (unhex(AUTH), unhex(PEER));
        let user = b"User";
        let hash = NtHash::from_password("clientPass");
        assert_eq!(
            hash.0,
            unhex("44 EB BA 8D 53 12 B8 D6 11 47 44 11 F5 69 89 AE")
        );
        assert_eq!(
            challenge_hash(&peer, &auth, user),
            unhex("D0 2E 43 86 BC E9 12 26")
        );
        let nt = nt_response(&auth, &peer, user, &hash);
        assert_eq!(nt, unhex(NT));
        assert_eq!(
            hash.hash_hash(),
            unhex("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F")
        );
        assert_eq!(
            authenticator_response(&hash, &nt, &peer, &auth, user),
            "S=407A5589115FD0D6209F510FE9C04566932CDA56"
        );
    }

    #[test]
    fn verify_rejects_any_change() {
        let (auth, peer) = (unhex(AUTH), unhex(PEER));
        let hash = NtHash::from_password("clientPass");
        let nt = unhex(NT);
        assert!(verify(&auth, &peer, b"User", &hash, &nt));
        assert!(!verify(&auth, &peer, b"user", &hash, &nt));
        assert!(!verify(&auth, &peer, b"DOM\\User", &hash, &nt));
        assert!(verify(
            &auth,
            &peer,
            super::super::strip_domain(b"DOM\\User"),
            &hash,
            &nt
        ));
        assert!(!verify(&peer, &auth, b"User", &hash, &nt));
        assert!(!verify(
            &auth,
            &peer,
            b"User",
            &NtHash::from_password("clientpass"),
            &nt
        ));
        let mut bad = nt;
        bad[0] ^= 1;
        assert!(!verify(&auth, &peer, b"User", &hash, &bad));
    }

    /// RFC 3079 §3.5.3: the server's send key is the RFC's SendStartKey128.
    #[test]
    fn mppe_keys_are_the_servers_start_keys() {
        let hash = NtHash::from_password("clientPass");
        let (send, recv) = mppe_keys(&hash, &unhex(NT));
        assert_eq!(
            send,
            unhex("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB")
        );
        assert_eq!(
            recv,
            unhex("D5 F0 E9 52 1E 3E A9 58 96 45 E8 60 51 C8 22 26")
        );
    }

    #[test]
    fn response_layout() {
        let r = Response {
            ident: 9,
            flags: 0,
            peer_challenge: unhex(PEER),
            nt_response: unhex(NT),
        };
        let b = r.to_bytes();
        assert_eq!(b[18..26], [0; 8]);
        assert_eq!(Response::parse(&b), Some(r));
        assert_eq!(Response::parse(&b[1..]), None);
        let mut reserved = b;
        reserved[20] = 0xff;
        assert_eq!(Response::parse(&reserved), Some(r));
    }

    #[test]
    fn failure_text() {
        let m = failure_message(false, &[0xab; 16]);
        assert_eq!(
            m,
            "E=691 R=0 C=abababababababababababababababab V=3 M=Authentication failed"
        );
    }
}
