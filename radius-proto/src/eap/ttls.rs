//! EAP-TTLS phase 2 (RFC 5281 §11): the peer sends AVPs through the
//! tunnel — User-Name with User-Password (PAP), MS-CHAP-Challenge with
//! MS-CHAP2-Response (MSCHAPv2, the challenge derived from the TLS keys,
//! §11.2.4), or EAP-Message (inner EAP: EAP-MSCHAPv2, EAP-GTC) — and the
//! server answers with AVPs until it sends the outer EAP-Success.

use crate::mschap;

use super::avp;
use super::mschapv2::{self, MsChapV2};
use super::packet::{self, Packet};
use super::tunnel::{InnerOut, Phase2};
use super::{Credential, InnerMethod, GTC, IDENTITY, MSCHAPV2, NAK};

const USER_NAME: u32 = 1;
const USER_PASSWORD: u32 = 2;
const EAP_MESSAGE: u32 = 79;
const MICROSOFT: u32 = 311;
const MS_CHAP_CHALLENGE: u32 = 11;
const MS_CHAP2_RESPONSE: u32 = 25;
const MS_CHAP2_SUCCESS: u32 = 26;

#[derive(Debug)]
enum Stage {
    /// Waiting for the peer's first AVPs.
    Start,
    /// PAP: password received, credential awaited.
    Pap(Vec<u8>),
    /// MSCHAPv2 AVPs received (ident, peer challenge, NT-Response).
    MsChap(u8, [u8; 16], [u8; 24]),
    /// MS-CHAP2-Success sent; the peer's ACK ends it.
    MsChapSent,
    /// Inner EAP: EAP-MSCHAPv2 running under inner Identifier `id`.
    Eap(MsChapV2),
    /// Inner EAP-GTC request sent.
    Gtc,
    /// Inner EAP-GTC password received.
    GtcCheck(Vec<u8>),
}

/// EAP-TTLS phase 2 state.
#[derive(Debug)]
pub(crate) struct Ttls {
    stage: Stage,
    identity: String,
    /// The implicit MS-CHAP challenge (16 octets) and ident (1), from the
    /// "ttls challenge" export.
    implicit: [u8; 17],
    /// Inner EAP Identifier of the last inner request.
    id: u8,
    /// The TLS session was resumed, and who completed phase 2 in the
    /// session it resumed (if anyone, recently).
    resumed: Option<Option<String>>,
}

impl Ttls {
    pub(crate) fn new(implicit: [u8; 17], resumed: bool, recalled: Option<String>) -> Ttls {
        Ttls {
            stage: Stage::Start,
            identity: String::new(),
            implicit,
            id: 0,
            resumed: resumed.then_some(recalled),
        }
    }

    /// An inner EAP request inside an EAP-Message AVP.
    fn eap_request(&mut self, typ: u8, data: &[u8]) -> InnerOut {
        self.id = self.id.wrapping_add(1);
        let mut out = Vec::new();
        avp::push(
            &mut out,
            EAP_MESSAGE,
            0,
            &packet::request(self.id, typ, data),
        );
        InnerOut::Send(out)
    }

    fn lookup(&self, method: InnerMethod) -> InnerOut {
        InnerOut::Lookup {
            identity: self.identity.clone(),
            method,
        }
    }

    fn inner_eap(&mut self, eap: &[u8]) -> InnerOut {
        let Ok(p) = Packet::parse(eap) else {
            return InnerOut::Failure("malformed inner EAP packet");
        };
        match (&mut self.stage, p.typ) {
            (Stage::Start, Some(IDENTITY)) => {
                self.identity = String::from_utf8_lossy(p.data).into_owned();
                self.id = p.id;
                let (m, challenge) = MsChapV2::start();
                self.stage = Stage::Eap(m);
                self.eap_request(MSCHAPV2, &challenge)
            }
            (Stage::Eap(m), Some(MSCHAPV2)) => match m.receive(p.data) {
                mschapv2::Out::Send(d) => self.eap_request(MSCHAPV2, &d),
                mschapv2::Out::Lookup(_) => self.lookup(InnerMethod::EapMsChapV2),
                mschapv2::Out::Done(true) => InnerOut::Success(self.identity.clone()),
                mschapv2::Out::Done(false) => InnerOut::Failure("inner EAP-MSCHAPv2 failed"),
                mschapv2::Out::Error(e) => InnerOut::Failure(e),
            },
            (Stage::Eap(_), Some(NAK)) if p.data.contains(&GTC) => {
                self.stage = Stage::Gtc;
                self.eap_request(GTC, b"Password: ")
            }
            (Stage::Gtc, Some(GTC)) => {
                self.stage = Stage::GtcCheck(p.data.to_vec());
                self.lookup(InnerMethod::Gtc)
            }
            _ => InnerOut::Failure("unexpected inner EAP packet"),
        }
    }
}

impl Phase2 for Ttls {
    fn receive(&mut self, plain: &[u8]) -> InnerOut {
        let Ok(avps) = avp::parse(plain) else {
            return InnerOut::Failure("malformed TTLS AVPs");
        };
        if let Some(eap) = avp::find(&avps, EAP_MESSAGE, 0) {
            return self.inner_eap(eap);
        }
        if !matches!(self.stage, Stage::Start) {
            return InnerOut::Failure("unexpected TTLS AVPs");
        }
        let Some(name) = avp::find(&avps, USER_NAME, 0) else {
            return InnerOut::Failure("TTLS phase 2 without User-Name");
        };
        self.identity = String::from_utf8_lossy(name).into_owned();
        if let Some(pw) = avp::find(&avps, USER_PASSWORD, 0) {
            // RFC 5281 §11.2.5: padded with NULs to a multiple of 16.
            let end = pw.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            self.stage = Stage::Pap(pw[..end].to_vec());
            return self.lookup(InnerMethod::Pap);
        }
        let challenge = avp::find(&avps, MS_CHAP_CHALLENGE, MICROSOFT);
        let response = avp::find(&avps, MS_CHAP2_RESPONSE, MICROSOFT);
        if let (Some(c), Some(r)) = (challenge, response) {
            // Ident(1) Flags(1) Peer-Challenge(16) Reserved(8) NT-Response(24).
            // The challenge must be the one both sides derived (§11.2.4).
            if r.len() != 50 || c != &self.implicit[..16] || r[0] != self.implicit[16] {
                return InnerOut::Failure("MS-CHAP challenge not derived from this tunnel");
            }
            let peer: [u8; 16] = r[2..18].try_into().expect("16 octets");
            let nt: [u8; 24] = r[26..50].try_into().expect("24 octets");
            self.stage = Stage::MsChap(r[0], peer, nt);
            return self.lookup(InnerMethod::MsChapV2);
        }
        InnerOut::Failure("no supported TTLS inner method")
    }

    fn on_ack(&mut self) -> InnerOut {
        match self.stage {
            Stage::MsChapSent => InnerOut::Success(self.identity.clone()),
            // RFC 5281 §11.1: on a resumed session the peer may wait for the
            // server to skip phase 2 (wpa_supplicant does). That is safe only
            // if the original session completed phase 2: the TLS session
            // is cached at the handshake, before the inner authentication,
            // so its token must be found among those that succeeded.
            Stage::Start => match &self.resumed {
                Some(Some(identity)) => InnerOut::Success(identity.clone()),
                Some(None) => InnerOut::Failure(
                    "resumed TLS session never completed phase 2 (or it expired); \
                     the peer must authenticate in full",
                ),
                None => InnerOut::Failure("peer sent no phase 2 data"),
            },
            _ => InnerOut::Failure("unexpected TTLS acknowledgement"),
        }
    }

    fn resolve(&mut self, cred: &Credential) -> InnerOut {
        match &mut self.stage {
            Stage::Pap(given) => {
                if cred.check_password(given) {
                    InnerOut::Success(self.identity.clone())
                } else {
                    InnerOut::Failure("wrong password")
                }
            }
            Stage::MsChap(ident, peer, nt) => {
                let (ident, peer, nt) = (*ident, *peer, *nt);
                let Some(hash) = cred.nt_hash() else {
                    return InnerOut::Failure("wrong password");
                };
                let challenge: [u8; 16] = self.implicit[..16].try_into().expect("16 octets");
                let user = mschap::strip_domain(self.identity.as_bytes());
                if !mschap::v2::verify(&challenge, &peer, user, &hash, &nt) {
                    return InnerOut::Failure("wrong password");
                }
                let s = mschap::v2::authenticator_response(&hash, &nt, &peer, &challenge, user);
                let mut data = vec![ident];
                data.extend_from_slice(s.as_bytes());
                let mut out = Vec::new();
                avp::push(&mut out, MS_CHAP2_SUCCESS, MICROSOFT, &data);
                self.stage = Stage::MsChapSent;
                InnerOut::Send(out)
            }
            Stage::Eap(m) => match m.resolve(cred) {
                mschapv2::Out::Send(d) => self.eap_request(MSCHAPV2, &d),
                mschapv2::Out::Error(e) => InnerOut::Failure(e),
                _ => InnerOut::Failure("unexpected EAP-MSCHAPv2 state"),
            },
            Stage::GtcCheck(given) => {
                if cred.check_password(given) {
                    InnerOut::Success(self.identity.clone())
                } else {
                    InnerOut::Failure("wrong password")
                }
            }
            _ => InnerOut::Failure("credential without a pending inner check"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mschap::NtHash;

    #[test]
    fn pap_strips_padding_and_checks() {
        let mut t = Ttls::new([0; 17], false, None);
        let mut b = Vec::new();
        avp::push(&mut b, USER_NAME, 0, b"bob");
        avp::push(&mut b, USER_PASSWORD, 0, b"hello\0\0\0\0\0\0\0\0\0\0\0");
        assert_eq!(
            t.receive(&b),
            InnerOut::Lookup {
                identity: "bob".into(),
                method: InnerMethod::Pap
            }
        );
        assert_eq!(
            t.resolve(&Credential::Password("hello".into())),
            InnerOut::Success("bob".into())
        );
        let mut t = Ttls::new([0; 17], false, None);
        t.receive(&b);
        assert!(matches!(
            t.resolve(&Credential::Unknown),
            InnerOut::Failure(_)
        ));
    }

    #[test]
    fn mschapv2_avps_need_the_implicit_challenge() {
        let implicit = [7u8; 17];
        let hash = NtHash::from_password("hello");
        let peer = [9u8; 16];
        let nt = mschap::v2::nt_response(&[7; 16], &peer, b"bob", &hash);
        let avps = |challenge: &[u8]| {
            let mut r = vec![7, 0];
            r.extend_from_slice(&peer);
            r.extend_from_slice(&[0; 8]);
            r.extend_from_slice(&nt);
            let mut b = Vec::new();
            avp::push(&mut b, USER_NAME, 0, b"bob");
            avp::push(&mut b, MS_CHAP_CHALLENGE, MICROSOFT, challenge);
            avp::push(&mut b, MS_CHAP2_RESPONSE, MICROSOFT, &r);
            b
        };
        let mut t = Ttls::new(implicit, false, None);
        assert!(matches!(t.receive(&avps(&[8; 16])), InnerOut::Failure(_)));
        let mut t = Ttls::new(implicit, false, None);
        assert!(matches!(
            t.receive(&avps(&[7; 16])),
            InnerOut::Lookup { .. }
        ));
        let InnerOut::Send(s) = t.resolve(&Credential::Password("hello".into())) else {
            panic!()
        };
        let a = avp::parse(&s).unwrap();
        let success = avp::find(&a, MS_CHAP2_SUCCESS, MICROSOFT).unwrap();
        let want = mschap::v2::authenticator_response(&hash, &nt, &peer, &[7; 16], b"bob");
        assert_eq!(&success[1..], want.as_bytes());
        assert_eq!(t.on_ack(), InnerOut::Success("bob".into()));
    }
}
