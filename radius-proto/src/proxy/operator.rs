//! RFC 5580 Operator-Name and RFC 8559 Operator-NAS-Identifier: what a
//! visited network's proxy adds to the requests it forwards so that a
//! later CoA-Request or Disconnect-Request from the home network can be
//! routed back to the NAS that holds the session.
//!
//! The Operator-NAS-Identifier this proxy issues is a token for the NAS's
//! address that only this proxy can read: the address encrypted under a
//! key, with a tag (HMAC-MD5) so a forged or altered token is refused
//! instead of routing a CoA to an address someone chose. It is derived from
//! the address alone, so one NAS always gets the same token, and any node
//! configured with the same key resolves it, after a restart too: nothing
//! is stored.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Mutex};

use radius_core::crypto::ct_eq;
use radius_core::Secret;

/// RFC 8559's Operator-NAS-Identifier: Extended-Type-1 (241), type 8.
pub const OPERATOR_NAS_IDENTIFIER: (u8, u8) = (241, 8);
/// RFC 5580's Operator-Name.
pub const OPERATOR_NAME: u8 = 126;

const NONCE: usize = 4;
const TAG: usize = 8;
/// Tokens remembered (direct-mapped by address).
const RECENT: usize = 64;

/// Tokens issued lately: one costs three HMACs and depends on the address
/// alone, and a proxy forwards many requests from each NAS.
type Recent = [Mutex<Option<(IpAddr, Vec<u8>)>>; RECENT];

/// Issues and resolves this proxy's Operator-NAS-Identifier tokens.
#[derive(Clone)]
pub struct NasTokens {
    key: Secret,
    recent: Arc<Recent>,
}

impl std::fmt::Debug for NasTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NasTokens").finish_non_exhaustive()
    }
}

impl NasTokens {
    /// Tokens under `key` (nodes that must resolve each other's tokens, or
    /// survive a restart, share it).
    pub fn new(key: impl AsRef<[u8]>) -> Self {
        NasTokens {
            key: Secret::new(key),
            recent: Arc::new(std::array::from_fn(|_| Mutex::new(None))),
        }
    }

    /// Tokens under a random key (valid while this process runs).
    pub fn random() -> Self {
        Self::new(radius_core::crypto::random_authenticator())
    }

    fn mac(&self, parts: &[&[u8]]) -> [u8; 16] {
        let mut h = self.key.hmac();
        for p in parts {
            h.update(p);
        }
        h.finalize()
    }

    /// The token for the NAS at `nas`: family (4 or 6), nonce, the address
    /// encrypted, tag; 17 octets for IPv4, 29 for IPv6.
    pub fn issue(&self, nas: IpAddr) -> Vec<u8> {
        let nas = nas.to_canonical();
        let folded = match nas {
            IpAddr::V4(a) => u32::from(a) as u64,
            IpAddr::V6(a) => {
                let x = u128::from(a);
                (x as u64) ^ (x >> 64) as u64
            }
        };
        let slot = &self.recent[(folded ^ folded >> 7 ^ folded >> 17) as usize % RECENT];
        let mut slot = slot.lock().unwrap_or_else(|p| p.into_inner());
        match &*slot {
            Some((a, t)) if *a == nas => t.clone(),
            _ => {
                let t = self.compute(nas);
                *slot = Some((nas, t.clone()));
                t
            }
        }
    }

    fn compute(&self, nas: IpAddr) -> Vec<u8> {
        let (family, addr): (u8, Vec<u8>) = match nas {
            IpAddr::V4(a) => (4, a.octets().to_vec()),
            IpAddr::V6(a) => (6, a.octets().to_vec()),
        };
        let nonce = &self.mac(&[b"nonce", &[family], &addr])[..NONCE];
        let stream = self.mac(&[b"stream", nonce]);
        let mut out = Vec::with_capacity(1 + NONCE + addr.len() + TAG);
        out.push(family);
        out.extend_from_slice(nonce);
        out.extend(addr.iter().zip(stream).map(|(a, k)| a ^ k));
        let tag = self.mac(&[b"tag", &out]);
        out.extend_from_slice(&tag[..TAG]);
        out
    }

    /// The NAS address of a token this proxy (or one with the same key)
    /// issued; `None` for anything else.
    pub fn resolve(&self, token: &[u8]) -> Option<IpAddr> {
        let len = match token.first()? {
            4 => 4,
            6 => 16,
            _ => return None,
        };
        if token.len() != 1 + NONCE + len + TAG {
            return None;
        }
        let (body, tag) = token.split_at(1 + NONCE + len);
        if !ct_eq(&self.mac(&[b"tag", body])[..TAG], tag) {
            return None;
        }
        let stream = self.mac(&[b"stream", &body[1..1 + NONCE]]);
        let plain: Vec<u8> = body[1 + NONCE..]
            .iter()
            .zip(stream)
            .map(|(c, k)| c ^ k)
            .collect();
        Some(match len {
            4 => IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(plain).ok()?)),
            _ => IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(plain).ok()?)),
        })
    }
}

/// The Operator-NAS-Identifier values of a packet's attributes.
pub fn operator_nas_identifiers(attrs: &[u8]) -> impl Iterator<Item = &[u8]> {
    radius_core::attr::Attributes::new(attrs).filter_map(|a| {
        let (t, e) = OPERATOR_NAS_IDENTIFIER;
        (a.typ == t && a.value.first() == Some(&e)).then(|| &a.value[1..])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_tokens_are_the_computed_ones() {
        let t = NasTokens::new("node key");
        // More addresses than slots, so slots are shared and replaced.
        let addrs: Vec<IpAddr> = (0..200u32)
            .map(|i| IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i * 37)))
            .chain((0..50u16).map(|i| IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, i, 1))))
            .collect();
        for round in 0..3 {
            for &a in &addrs {
                let issued = t.issue(a);
                assert_eq!(issued, t.compute(a), "round {round}, {a}");
                assert_eq!(t.resolve(&issued), Some(a));
            }
        }
    }

    #[test]
    fn tokens_round_trip_are_stable_and_opaque() {
        let t = NasTokens::new("node key");
        let v4: IpAddr = "192.0.2.17".parse().unwrap();
        let v6: IpAddr = "2001:db8::5".parse().unwrap();
        let a = t.issue(v4);
        assert_eq!(a.len(), 17);
        assert_eq!(t.issue(v6).len(), 29);
        assert_eq!(t.resolve(&a), Some(v4));
        assert_eq!(t.resolve(&t.issue(v6)), Some(v6));
        // Same NAS, same token (and on another node with the same key).
        assert_eq!(a, NasTokens::new("node key").issue(v4));
        // The address does not appear in the token.
        assert!(!a.windows(4).any(|w| w == [192, 0, 2, 17]));
        // Another NAS, another token; a v4-mapped v6 address is the v4 NAS.
        assert_ne!(a, t.issue("192.0.2.18".parse().unwrap()));
        assert_eq!(t.issue("::ffff:192.0.2.17".parse().unwrap()), a);
    }

    #[test]
    fn forged_altered_or_foreign_tokens_are_refused() {
        let t = NasTokens::new("node key");
        let a = t.issue("192.0.2.17".parse().unwrap());
        for i in 0..a.len() {
            let mut b = a.clone();
            b[i] ^= 1;
            assert_eq!(t.resolve(&b), None, "octet {i} altered");
        }
        assert_eq!(NasTokens::new("other key").resolve(&a), None);
        assert_eq!(t.resolve(&a[..16]), None);
        assert_eq!(t.resolve(b""), None);
        assert_eq!(t.resolve(b"nas-17"), None);
    }

    #[test]
    fn identifiers_are_found_among_attributes() {
        // User-Name "x", Operator-NAS-Identifier 0x0102, an Extended-Type-1
        // attribute of another type.
        let attrs = [1, 3, b'x', 241, 5, 8, 1, 2, 241, 4, 9, 7];
        let got: Vec<&[u8]> = operator_nas_identifiers(&attrs).collect();
        assert_eq!(got, vec![&[1u8, 2][..]]);
    }
}
