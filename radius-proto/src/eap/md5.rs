//! EAP-MD5 (RFC 3748 §5.4): the server sends a random challenge; the peer
//! answers MD5(Identifier, password, challenge), as CHAP does. It derives
//! no keys and does not authenticate the server, so it is unfit for
//! wireless networks; it is here for wired 802.1X labs. It needs the
//! cleartext password.

use super::{Credential, MD5_CHALLENGE};

/// What the server sends as the Name of its MD5-Challenge.
const SERVER_NAME: &[u8] = b"typed-radius";

/// A challenge sent, its answer awaited.
#[derive(Debug)]
pub(crate) struct Md5 {
    challenge: [u8; 16],
    value: Option<[u8; 16]>,
}

impl Md5 {
    /// A fresh challenge and its Type-Data.
    pub(crate) fn start() -> (Md5, Vec<u8>) {
        let challenge = radius_core::crypto::random_authenticator();
        let mut d = Vec::with_capacity(17 + SERVER_NAME.len());
        d.push(16);
        d.extend_from_slice(&challenge);
        d.extend_from_slice(SERVER_NAME);
        (
            Md5 {
                challenge,
                value: None,
            },
            d,
        )
    }

    /// The peer's Type-Data: `Err` when malformed.
    pub(crate) fn receive(&mut self, data: &[u8]) -> Result<(), &'static str> {
        match (data.first(), data.get(1..17)) {
            (Some(16), Some(v)) => {
                self.value = Some(v.try_into().expect("16 octets"));
                Ok(())
            }
            _ => Err("malformed MD5 response"),
        }
    }

    /// Whether the received value answers the challenge sent with
    /// Identifier `id` for `cred` (cleartext passwords only).
    pub(crate) fn check(&self, id: u8, cred: &Credential) -> bool {
        let (Some(value), Credential::Password(p)) = (self.value, cred) else {
            return false;
        };
        let want = radius_core::crypto::chap_response(id, p.as_bytes(), &self.challenge);
        radius_core::crypto::ct_eq(&want, &value)
    }
}

/// The EAP type this module implements.
pub(crate) const TYPE: u8 = MD5_CHALLENGE;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_password_only() {
        let (mut m, d) = Md5::start();
        assert_eq!(d[0], 16);
        let c: [u8; 16] = d[1..17].try_into().unwrap();
        let mut r = vec![16];
        r.extend_from_slice(&radius_core::crypto::chap_response(7, b"hello", &c));
        m.receive(&r).unwrap();
        assert!(m.check(7, &Credential::Password("hello".into())));
        assert!(!m.check(8, &Credential::Password("hello".into())));
        assert!(!m.check(7, &Credential::Password("nope".into())));
        assert!(!m.check(7, &Credential::Unknown));
        assert!(m.receive(&[16, 1, 2]).is_err());
    }
}
