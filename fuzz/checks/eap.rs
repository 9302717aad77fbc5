//! The EAP decoders and the EAP server: EAP packets, the EAP-TLS record
//! layer (L/M/S flags, reassembly), TTLS's Diameter AVPs, and whole
//! conversations through `EapServer` with every method on. Nothing may
//! panic; every answer must be a well-formed EAP packet whose Identifier
//! answers the response; reassembly stays within its bound.
//!
//! Input: byte 0 picks the target; for conversations, the rest is a
//! sequence of responses, each `len(1) type(1) data(len)`: the fuzzer
//! plays the peer, and the harness supplies the right State and
//! Identifier so that rounds get past the conversation checks.
//!
//! Shared by the fuzz target (`fuzz/fuzz_targets/eap.rs`) and the test that
//! replays `fuzz/corpus/eap/` in `cargo test`.

use std::sync::OnceLock;
use std::time::Instant;

use radius_proto::eap::tls::{Frames, Inbound, TlsConfigs, TlsSettings};
use radius_proto::eap::{
    avp, packet, Answer, Credential, EapConfig, EapServer, Method, Need, Resolution, Step,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const MAX_IN: usize = 4096;

fn server() -> &'static EapServer {
    static S: OnceLock<EapServer> = OnceLock::new();
    S.get_or_init(|| {
        let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let chain = vec![CertificateDer::from(ca.cert.der().to_vec())];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(ca.key_pair.serialize_der()));
        let mut s = TlsSettings::new(chain.clone(), key);
        s.client_ca = chain;
        let tls = TlsConfigs::build(&s).unwrap();
        EapServer::new(EapConfig {
            methods: vec![Method::Peap, Method::Ttls, Method::Tls, Method::Md5],
            tls: Some(tls),
            fragment_size: 100,
            max_message: MAX_IN,
            max_sessions: 64,
            ..EapConfig::default()
        })
        .unwrap()
    })
}

fn check(eap: &[u8], answering: u8) {
    let p = packet::Packet::parse(eap).expect("server sends well-formed EAP");
    assert_eq!(p.code == packet_code::REQUEST, p.typ.is_some());
    if p.code != packet_code::REQUEST {
        assert_eq!(
            p.id, answering,
            "Success/Failure carry the response's Identifier"
        );
    }
}

mod packet_code {
    pub const REQUEST: u8 = radius_proto::eap::REQUEST;
}

fn conversation(mut data: &[u8]) {
    let s = server();
    let now = Instant::now();
    let mut resp = packet::typed(2, 7, 1, b"bob");
    let mut state: Option<[u8; 16]> = None;
    loop {
        let id = resp[1];
        let mut step = s.step(&resp, state.as_ref().map(|s| &s[..]), now);
        let answer = loop {
            match step {
                Step::Done(a) => break a,
                Step::Pending(p) => {
                    let r = match p.need() {
                        Need::Credential { .. } => {
                            Resolution::Credential(Credential::Password("hello".into()))
                        }
                        Need::Certificate { .. } => Resolution::Certificate(true),
                    };
                    step = s.resume(p, r, now);
                }
            }
        };
        let (eap, st) = match answer {
            Answer::Challenge { eap, state } => (eap, Some(state)),
            Answer::Accept { eap, .. } | Answer::Reject { eap, .. } => {
                check(&eap, id);
                return;
            }
        };
        check(&eap, id);
        state = st;
        let Some((&len, rest)) = data.split_first() else {
            return;
        };
        let Some((&typ, rest)) = rest.split_first() else {
            return;
        };
        let n = (len as usize).min(rest.len());
        resp = packet::typed(2, eap[1], typ, &rest[..n]);
        data = &rest[n..];
    }
}

fn frames(data: &[u8]) {
    let mut f = Frames::new(64, MAX_IN);
    for chunk in data.split(|&b| b == 0xfe) {
        if let Ok(Inbound::Message(m)) = f.receive(chunk) {
            assert!(m.len() <= MAX_IN);
        }
        if f.sending() {
            let frag = f.next_fragment(0);
            assert!(frag.len() <= 64 + 5);
        }
        f.queue(chunk.to_vec());
        assert!(f.held() <= 3 * MAX_IN + 64 * 1024);
    }
}

/// The check the `eap` target runs on each input (and the corpus test
/// on each committed input): panics on a failure.
pub fn run(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    match which % 4 {
        0 => {
            if let Ok(p) = packet::Packet::parse(rest) {
                assert!(p.data.len() + 4 <= rest.len());
            }
        }
        1 => frames(rest),
        2 => {
            if let Ok(avps) = avp::parse(rest) {
                let mut out = Vec::new();
                for a in &avps {
                    avp::push(&mut out, a.code, a.vendor, a.data);
                }
                let again = avp::parse(&out).expect("what push writes parses");
                assert_eq!(again.len(), avps.len());
            }
        }
        _ => conversation(rest),
    }
}
