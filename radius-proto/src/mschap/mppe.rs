//! MPPE key derivation from an MS-CHAPv2 exchange (RFC 3079 §3): the
//! master key and the two start keys that RADIUS carries to the NAS in
//! MS-MPPE-Send-Key and MS-MPPE-Recv-Key (RFC 2548 §2.4.2, §2.4.3), and
//! the session-key step the two PPP ends run from them.
//!
//! [`super::v2::mppe_keys`] is the usual entry point; these are the steps
//! it is made of, named as in the RFC, for the EAP methods that need them
//! (EAP-MSCHAPv2's MSK is the peer's send key then its receive key).

use sha1::{Digest, Sha1};

/// RFC 3079 §3.4 Magic1 (the array types check the RFC's lengths).
const MAGIC1: &[u8; 27] = b"This is the MPPE Master Key";
/// Magic2: the client's send key, the server's receive key.
const MAGIC2: &[u8; 84] =
    b"On the client side, this is the send key; on the server side, it is the receive key.";
/// Magic3: the client's receive key, the server's send key.
const MAGIC3: &[u8; 84] =
    b"On the client side, this is the receive key; on the server side, it is the send key.";
/// SHSpad1 / SHApad1: forty zero octets.
const PAD1: [u8; 40] = [0; 40];
/// SHSpad2 / SHApad2: forty 0xF2 octets.
const PAD2: [u8; 40] = [0xf2; 40];

/// RFC 3079 §3.4 GetMasterKey: the first 16 octets of
/// SHA1(PasswordHashHash, NT-Response, Magic1).
pub fn master_key(password_hash_hash: &[u8; 16], nt_response: &[u8; 24]) -> [u8; 16] {
    let d = Sha1::new()
        .chain_update(password_hash_hash)
        .chain_update(nt_response)
        .chain_update(MAGIC1)
        .finalize();
    d[..16].try_into().expect("SHA-1 is 20 octets")
}

/// RFC 3079 §3.4 GetAsymmetricStartKey with SessionKeyLength 16 (128-bit
/// keys; a 40- or 56-bit key is a prefix of this, RFC 3079 §3.3): the
/// start key for sending (`is_send`) or receiving, from the server's side
/// (`is_server`) or the client's. The server's send key is the client's
/// receive key and the other way round.
pub fn asymmetric_start_key(master_key: &[u8; 16], is_send: bool, is_server: bool) -> [u8; 16] {
    let magic = if is_send == is_server { MAGIC3 } else { MAGIC2 };
    let d = Sha1::new()
        .chain_update(master_key)
        .chain_update(PAD1)
        .chain_update(magic)
        .chain_update(PAD2)
        .finalize();
    d[..16].try_into().expect("SHA-1 is 20 octets")
}

/// RFC 3079 §3.4 (and §2.4) GetNewKeyFromSHA for 128-bit keys: the first
/// 16 octets of SHA1(StartKey, SHApad1, SessionKey, SHApad2). The initial
/// session key is this with both arguments the start key; the PPP ends
/// run it, not the RADIUS server, which sends the start keys.
pub fn new_key_from_sha(start_key: &[u8; 16], session_key: &[u8; 16]) -> [u8; 16] {
    let d = Sha1::new()
        .chain_update(start_key)
        .chain_update(PAD1)
        .chain_update(session_key)
        .chain_update(PAD2)
        .finalize();
    d[..16].try_into().expect("SHA-1 is 20 octets")
}

#[cfg(test)]
mod tests {
    use super::super::tests::unhex;
    use super::super::NtHash;
    use super::*;

    /// RFC 3079 §3.5.3, "Sample Key Derivations" for 128-bit keys, from
    /// the RFC 2759 §9.2 exchange (User / clientPass).
    #[test]
    fn rfc3079_128_bit_sample() {
        let hash = NtHash::from_password("clientPass");
        let hh = hash.hash_hash();
        assert_eq!(hh, unhex("41 C0 0C 58 4B D2 D9 1C 40 17 A2 A1 2F A5 9F 3F"));
        let nt = unhex("82 30 9E CD 8D 70 8B 5E A0 8F AA 39 81 CD 83 54 42 33 11 4A 3D 85 D6 DF");
        let master = master_key(&hh, &nt);
        assert_eq!(
            master,
            unhex("FD EC E3 71 7A 8C 83 8C B3 88 E5 27 AE 3C DD 31")
        );
        // The RFC's SendStartKey128 is the server's send key (Magic3).
        let send = asymmetric_start_key(&master, true, true);
        assert_eq!(
            send,
            unhex("8B 7C DC 14 9B 99 3A 1B A1 18 CB 15 3F 56 DC CB")
        );
        assert_eq!(asymmetric_start_key(&master, false, false), send);
        // SendSessionKey128: the initial session key from that start key.
        assert_eq!(
            new_key_from_sha(&send, &send),
            unhex("40 5C B2 24 7A 79 56 E6 E2 11 00 7A E2 7B 22 D4")
        );
        // The other direction (Magic2). Not printed in RFC 3079; this value
        // is the EAP-MSCHAPv2 MSK's first half in other implementations,
        // and FreeRADIUS's MS-MPPE-Recv-Key for the same exchange.
        let recv = asymmetric_start_key(&master, false, true);
        assert_eq!(asymmetric_start_key(&master, true, false), recv);
        assert_eq!(
            recv,
            unhex("D5 F0 E9 52 1E 3E A9 58 96 45 E8 60 51 C8 22 26")
        );
    }
}
