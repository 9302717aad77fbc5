//! EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2), the inner method of
//! PEAP and TTLS: the server's Challenge, the peer's Response checked
//! against its NT hash (RFC 2759), then Success ("S=" authenticator
//! response) or Failure (E=691), each acknowledged by the peer.
//!
//! The machine works on Type-Data (after the EAP Type octet 26) so that
//! PEAP's compressed inner packets and TTLS's full ones share it.

use crate::mschap::{self, NtHash};

use super::Credential;

/// OpCodes (draft-kamath §2).
const CHALLENGE: u8 = 1;
const RESPONSE: u8 = 2;
const SUCCESS: u8 = 3;
const FAILURE: u8 = 4;

/// The Name the server puts in its Challenge.
const SERVER_NAME: &[u8] = b"typed-radius";

/// Where the exchange stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Challenge sent, Response awaited.
    Challenged,
    /// Response received, credential awaited.
    Checking,
    /// Success request sent, the peer's Success ACK awaited.
    Succeeded,
    /// Failure request sent, the peer's Failure ACK awaited.
    Failed,
}

/// What the machine wants next.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Out {
    /// Send this EAP-MSCHAPv2 Type-Data in a Request.
    Send(Vec<u8>),
    /// The peer's user name (from the Response's Name): look its credential
    /// up and call [`MsChapV2::resolve`].
    Lookup(String),
    /// The peer acknowledged: the method succeeded (`true`) or failed.
    Done(bool),
    /// A malformed or unexpected packet.
    Error(&'static str),
}

/// One EAP-MSCHAPv2 exchange, server side.
#[derive(Debug)]
pub(crate) struct MsChapV2 {
    challenge: [u8; 16],
    id: u8,
    stage: Stage,
    peer_challenge: [u8; 16],
    nt_response: [u8; 24],
    name: Vec<u8>,
}

impl MsChapV2 {
    /// A new exchange and its Challenge Type-Data.
    pub(crate) fn start() -> (MsChapV2, Vec<u8>) {
        let challenge = radius_core::crypto::random_authenticator();
        let id = challenge[0] ^ challenge[15];
        let m = MsChapV2 {
            challenge,
            id,
            stage: Stage::Challenged,
            peer_challenge: [0; 16],
            nt_response: [0; 24],
            name: Vec::new(),
        };
        let mut d = vec![CHALLENGE, id, 0, 0, 16];
        d.extend_from_slice(&challenge);
        d.extend_from_slice(SERVER_NAME);
        set_ms_length(&mut d);
        (m, d)
    }

    /// The peer's Type-Data.
    pub(crate) fn receive(&mut self, data: &[u8]) -> Out {
        match (self.stage, data.first()) {
            (Stage::Challenged, Some(&RESPONSE)) => {
                // OpCode, ID, MS-Length(2), Value-Size = 49, Peer-Challenge(16),
                // Reserved(8), NT-Response(24), Flags(1), Name.
                if data.len() < 54 || data[4] != 49 || data[1] != self.id {
                    return Out::Error("malformed EAP-MSCHAPv2 Response");
                }
                self.peer_challenge.copy_from_slice(&data[5..21]);
                self.nt_response.copy_from_slice(&data[29..53]);
                self.name = data[54..].to_vec();
                self.stage = Stage::Checking;
                Out::Lookup(String::from_utf8_lossy(&self.name).into_owned())
            }
            (Stage::Succeeded, Some(&SUCCESS)) => Out::Done(true),
            (Stage::Failed, Some(&FAILURE)) => Out::Done(false),
            _ => Out::Error("unexpected EAP-MSCHAPv2 packet"),
        }
    }

    /// Check the Response against `cred` and build Success or Failure.
    /// An unknown user is checked against a random hash, so that it fails
    /// exactly like a wrong password.
    pub(crate) fn resolve(&mut self, cred: &Credential) -> Out {
        if self.stage != Stage::Checking {
            return Out::Error("credential without a pending EAP-MSCHAPv2 Response");
        }
        let hash = match cred {
            Credential::Password(p) => NtHash::from_password(p),
            Credential::NtHash(h) => NtHash(h.0),
            Credential::Unknown => NtHash(radius_core::crypto::random_authenticator()),
        };
        let user = mschap::strip_domain(&self.name);
        let ok = !matches!(cred, Credential::Unknown)
            && mschap::v2::verify(
                &self.challenge,
                &self.peer_challenge,
                user,
                &hash,
                &self.nt_response,
            );
        let mut d = vec![0, self.id, 0, 0];
        if ok {
            d[0] = SUCCESS;
            let s = mschap::v2::authenticator_response(
                &hash,
                &self.nt_response,
                &self.peer_challenge,
                &self.challenge,
                user,
            );
            d.extend_from_slice(s.as_bytes());
            d.extend_from_slice(b" M=Authentication succeeded");
            self.stage = Stage::Succeeded;
        } else {
            d[0] = FAILURE;
            // E=691 (authentication failure), R=0 (no retry), a fresh
            // challenge and version 3, as RFC 2759 §6 describes.
            let c = radius_core::crypto::random_authenticator();
            let hex: String = c.iter().map(|b| format!("{b:02X}")).collect();
            d.extend_from_slice(
                format!("E=691 R=0 C={hex} V=3 M=Authentication failed").as_bytes(),
            );
            self.stage = Stage::Failed;
        }
        set_ms_length(&mut d);
        Out::Send(d)
    }
}

/// MS-Length: the octets from OpCode to the end.
fn set_ms_length(d: &mut [u8]) {
    let n = d.len() as u16;
    d[2..4].copy_from_slice(&n.to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A peer's Response Type-Data to challenge Type-Data `c`.
    fn response(c: &[u8], user: &str, password: &str) -> Vec<u8> {
        let auth: [u8; 16] = c[5..21].try_into().unwrap();
        let peer = [0x5a; 16];
        let nt = mschap::v2::nt_response(
            &auth,
            &peer,
            user.as_bytes(),
            &NtHash::from_password(password),
        );
        let mut d = vec![RESPONSE, c[1], 0, 0, 49];
        d.extend_from_slice(&peer);
        d.extend_from_slice(&[0; 8]);
        d.extend_from_slice(&nt);
        d.push(0);
        d.extend_from_slice(user.as_bytes());
        set_ms_length(&mut d);
        d
    }

    #[test]
    fn right_password_gets_success_with_authenticator_response() {
        let (mut m, c) = MsChapV2::start();
        assert_eq!(c[0], CHALLENGE);
        assert_eq!(u16::from_be_bytes([c[2], c[3]]) as usize, c.len());
        let r = response(&c, "bob", "hello");
        assert_eq!(m.receive(&r), Out::Lookup("bob".into()));
        let Out::Send(s) = m.resolve(&Credential::Password("hello".into())) else {
            panic!("no success request")
        };
        assert_eq!(s[0], SUCCESS);
        let auth: [u8; 16] = c[5..21].try_into().unwrap();
        let want = mschap::v2::authenticator_response(
            &NtHash::from_password("hello"),
            r[29..53].try_into().unwrap(),
            &[0x5a; 16],
            &auth,
            b"bob",
        );
        assert!(s[4..].starts_with(want.as_bytes()));
        assert_eq!(m.receive(&[SUCCESS]), Out::Done(true));
    }

    #[test]
    fn wrong_password_and_unknown_user_fail_alike() {
        for cred in [Credential::Password("nope".into()), Credential::Unknown] {
            let (mut m, c) = MsChapV2::start();
            let r = response(&c, "bob", "hello");
            assert!(matches!(m.receive(&r), Out::Lookup(_)));
            let Out::Send(f) = m.resolve(&cred) else {
                panic!("no failure request")
            };
            assert_eq!(f[0], FAILURE);
            assert!(f[4..].starts_with(b"E=691 R=0 C="));
            assert_eq!(
                m.receive(&[SUCCESS]),
                Out::Error("unexpected EAP-MSCHAPv2 packet")
            );
        }
    }

    #[test]
    fn refuses_malformed_and_wrong_id() {
        let (mut m, c) = MsChapV2::start();
        let mut r = response(&c, "bob", "hello");
        r[1] ^= 1;
        assert!(matches!(m.receive(&r), Out::Error(_)));
        assert!(matches!(m.receive(&r[..20]), Out::Error(_)));
        assert!(matches!(m.resolve(&Credential::Unknown), Out::Error(_)));
    }
}
