//! The DES step shared by both versions: RFC 2759 §8.5 ChallengeResponse
//! and §8.6 DesEncrypt (RFC 2433 Appendix A.5 is the same function).

use des::cipher::{BlockEncrypt, KeyInit};
use des::Des;

/// Encrypt the 8-octet `challenge` under the 16-octet `hash`, padded with
/// five zero octets to 21 and cut into three 7-octet DES keys.
pub(crate) fn challenge_response(challenge: &[u8; 8], hash: &[u8; 16]) -> [u8; 24] {
    let mut z = [0u8; 21];
    z[..16].copy_from_slice(hash);
    let mut out = [0u8; 24];
    for (key, block) in z.chunks_exact(7).zip(out.chunks_exact_mut(8)) {
        block.copy_from_slice(&des_encrypt(challenge, key.try_into().expect("7 octets")));
    }
    out
}

/// DES-ECB of one block under a 56-bit key given as 7 octets: each output
/// key octet takes the next 7 key bits, followed by a parity bit that DES
/// ignores (left zero).
fn des_encrypt(clear: &[u8; 8], key7: &[u8; 7]) -> [u8; 8] {
    let bits = key7.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64);
    let mut key = [0u8; 8];
    for (i, k) in key.iter_mut().enumerate() {
        *k = (((bits >> (49 - 7 * i)) & 0x7f) as u8) << 1;
    }
    let cipher = Des::new(&key.into());
    let mut block = (*clear).into();
    cipher.encrypt_block(&mut block);
    block.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_octet_keys_spread_over_eight() {
        // The all-ones key has every key bit set: each octet 0xFE once
        // the ignored parity bit is cleared, so it encrypts like DES under
        // FEFEFEFEFEFEFEFE (a weak key: encryption is its own inverse).
        let once = des_encrypt(&[0x42; 8], &[0xff; 7]);
        let cipher = Des::new(&[0xfe; 8].into());
        let mut again = once.into();
        cipher.encrypt_block(&mut again);
        assert_eq!(<[u8; 8]>::from(again), [0x42; 8]);
        assert_ne!(once, [0x42; 8]);
    }
}
