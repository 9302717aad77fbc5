//! PEAPv0 phase 2 (draft-kamath-pppext-peapv0, [MS-PEAP]): inside the TLS
//! tunnel the server asks for the inner Identity, runs EAP-MSCHAPv2 (or
//! EAP-GTC when the peer Naks to it), then reports the outcome with a
//! Result TLV that the peer echoes; only then does the outer EAP-Success
//! (with the MPPE keys) or EAP-Failure go out.
//!
//! Inner packets use PEAPv0's header compression: every inner EAP packet
//! travels as Type and Type-Data only, without Code, Identifier and
//! Length, except the Extensions (TLV, type 33) packets, which keep the
//! full header. A peer that sends a full header anyway is understood too.

use super::mschapv2::{self, MsChapV2};
use super::tunnel::{InnerOut, Phase2};
use super::{Credential, InnerMethod, GTC, IDENTITY, MSCHAPV2, NAK, RESPONSE};

/// EAP type of PEAP's Extensions (TLV) packets.
const TLV: u8 = 33;
/// Result TLV type (with the mandatory bit, 0x8003) and its statuses.
const RESULT_TLV: u16 = 3;
const RESULT_SUCCESS: u16 = 1;
const RESULT_FAILURE: u16 = 2;

#[derive(Debug)]
enum Stage {
    /// Tunnel up, inner Identity not yet asked.
    NotStarted,
    /// Identity request sent.
    Identity,
    /// EAP-MSCHAPv2 running.
    MsChap(MsChapV2),
    /// GTC request sent.
    Gtc,
    /// GTC password received, credential awaited.
    GtcCheck(Vec<u8>),
    /// Result TLV sent with this outcome; the peer's echo awaited.
    Result(bool),
}

/// PEAPv0 phase 2 state.
#[derive(Debug)]
pub(crate) struct Peap {
    stage: Stage,
    identity: String,
    id: u8,
}

impl Peap {
    pub(crate) fn new() -> Peap {
        Peap {
            stage: Stage::NotStarted,
            identity: String::new(),
            id: radius_core::crypto::random_authenticator()[0],
        }
    }

    /// A compressed inner request: Type, Type-Data.
    fn send(typ: u8, data: &[u8]) -> InnerOut {
        let mut d = Vec::with_capacity(1 + data.len());
        d.push(typ);
        d.extend_from_slice(data);
        InnerOut::Send(d)
    }

    /// A Result TLV in a full-header Extensions request.
    fn result(&mut self, ok: bool) -> InnerOut {
        self.stage = Stage::Result(ok);
        self.id = self.id.wrapping_add(1);
        let status = if ok { RESULT_SUCCESS } else { RESULT_FAILURE };
        let mut tlv = Vec::with_capacity(6);
        tlv.extend_from_slice(&(0x8000 | RESULT_TLV).to_be_bytes());
        tlv.extend_from_slice(&2u16.to_be_bytes());
        tlv.extend_from_slice(&status.to_be_bytes());
        InnerOut::Send(super::packet::request(self.id, TLV, &tlv))
    }

    fn mschap(&mut self, out: mschapv2::Out) -> InnerOut {
        match out {
            mschapv2::Out::Send(d) => Self::send(MSCHAPV2, &d),
            mschapv2::Out::Lookup(_) => InnerOut::Lookup {
                identity: self.identity.clone(),
                method: InnerMethod::EapMsChapV2,
            },
            mschapv2::Out::Done(ok) => self.result(ok),
            mschapv2::Out::Error(e) => InnerOut::Failure(e),
        }
    }
}

/// The Result TLV status in an Extensions packet's TLVs.
fn result_status(mut tlvs: &[u8]) -> Option<u16> {
    while let Some(h) = tlvs.get(..4) {
        let typ = u16::from_be_bytes([h[0], h[1]]) & 0x3fff;
        let len = u16::from_be_bytes([h[2], h[3]]) as usize;
        let v = tlvs.get(4..4 + len)?;
        if typ == RESULT_TLV && len == 2 {
            return Some(u16::from_be_bytes([v[0], v[1]]));
        }
        tlvs = &tlvs[4 + len..];
    }
    None
}

/// Split an inner packet into (Type, Type-Data), compressed or not.
fn decompress(plain: &[u8]) -> Option<(u8, &[u8])> {
    if plain.len() >= 5
        && plain[0] == RESPONSE
        && u16::from_be_bytes([plain[2], plain[3]]) as usize == plain.len()
    {
        return Some((plain[4], &plain[5..]));
    }
    let (&typ, data) = plain.split_first()?;
    Some((typ, data))
}

impl Phase2 for Peap {
    fn receive(&mut self, plain: &[u8]) -> InnerOut {
        let Some((typ, data)) = decompress(plain) else {
            return InnerOut::Failure("empty PEAP inner packet");
        };
        match (&mut self.stage, typ) {
            (Stage::Identity, IDENTITY) => {
                self.identity = String::from_utf8_lossy(data).into_owned();
                let (m, challenge) = MsChapV2::start();
                self.stage = Stage::MsChap(m);
                Self::send(MSCHAPV2, &challenge)
            }
            (Stage::MsChap(m), MSCHAPV2) => {
                let out = m.receive(data);
                self.mschap(out)
            }
            (Stage::MsChap(_), NAK) if data.contains(&GTC) => {
                self.stage = Stage::Gtc;
                Self::send(GTC, b"Password: ")
            }
            (Stage::Gtc, GTC) => {
                self.stage = Stage::GtcCheck(data.to_vec());
                InnerOut::Lookup {
                    identity: self.identity.clone(),
                    method: InnerMethod::Gtc,
                }
            }
            (Stage::Result(ok), TLV) => match result_status(data) {
                Some(RESULT_SUCCESS) if *ok => InnerOut::Success(self.identity.clone()),
                _ => InnerOut::Failure("PEAP phase 2 failed"),
            },
            (Stage::MsChap(_) | Stage::Identity, NAK) => {
                InnerOut::Failure("peer refused every inner method")
            }
            _ => InnerOut::Failure("unexpected PEAP inner packet"),
        }
    }

    fn on_ack(&mut self) -> InnerOut {
        match self.stage {
            Stage::NotStarted => {
                self.stage = Stage::Identity;
                Self::send(IDENTITY, &[])
            }
            _ => InnerOut::Failure("unexpected PEAP acknowledgement"),
        }
    }

    fn resolve(&mut self, cred: &Credential) -> InnerOut {
        match &mut self.stage {
            Stage::MsChap(m) => {
                let out = m.resolve(cred);
                self.mschap(out)
            }
            Stage::GtcCheck(given) => {
                let ok = cred.check_password(given);
                self.result(ok)
            }
            _ => InnerOut::Failure("credential without a pending inner check"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eap::REQUEST;

    #[test]
    fn decompresses_both_forms() {
        assert_eq!(decompress(&[1, b'b', b'o', b'b']), Some((1, &b"bob"[..])));
        assert_eq!(
            decompress(&[2, 5, 0, 8, 1, b'b', b'o', b'b']),
            Some((1, &b"bob"[..]))
        );
        assert_eq!(
            decompress(&[2, 5, 0, 10, 33, 0x80, 3, 0, 2, 0]),
            Some((33, &[0x80, 3, 0, 2, 0][..]))
        );
        assert_eq!(decompress(&[]), None);
    }

    #[test]
    fn result_tlv_round_trip() {
        let mut p = Peap::new();
        let InnerOut::Send(r) = p.result(true) else {
            panic!()
        };
        assert_eq!(r[0], REQUEST);
        assert_eq!(&r[4..], &[33, 0x80, 0x03, 0, 2, 0, 1]);
        assert_eq!(result_status(&r[5..]), Some(1));
        assert_eq!(
            result_status(&[0, 7, 0, 1, 9, 0x80, 3, 0, 2, 0, 2]),
            Some(2)
        );
        assert_eq!(result_status(&[0x80, 3, 0, 9]), None);
    }

    #[test]
    fn identity_then_challenge_then_lookup() {
        let mut p = Peap::new();
        assert_eq!(p.on_ack(), InnerOut::Send(vec![IDENTITY]));
        let InnerOut::Send(c) = p.receive(b"\x01bob") else {
            panic!()
        };
        assert_eq!(c[0], MSCHAPV2);
        assert_eq!(c[1], 1);
        // A Nak to GTC switches methods.
        assert_eq!(
            p.receive(&[NAK, GTC]),
            InnerOut::Send(b"\x06Password: ".to_vec())
        );
        assert!(matches!(
            p.receive(b"\x06hello"),
            InnerOut::Lookup {
                method: InnerMethod::Gtc,
                ..
            }
        ));
        let InnerOut::Send(r) = p.resolve(&Credential::Password("hello".into())) else {
            panic!()
        };
        assert_eq!(result_status(&r[5..]), Some(RESULT_SUCCESS));
        let mut echo = r.clone();
        echo[0] = RESPONSE;
        assert_eq!(p.receive(&echo), InnerOut::Success("bob".into()));
    }

    #[test]
    fn wrong_gtc_password_reports_failure() {
        let mut p = Peap::new();
        p.on_ack();
        p.receive(b"\x01bob");
        p.receive(&[NAK, GTC]);
        p.receive(b"\x06nope");
        let InnerOut::Send(r) = p.resolve(&Credential::Password("hello".into())) else {
            panic!()
        };
        assert_eq!(result_status(&r[5..]), Some(RESULT_FAILURE));
        let mut echo = r.clone();
        echo[0] = RESPONSE;
        assert!(matches!(p.receive(&echo), InnerOut::Failure(_)));
    }
}
