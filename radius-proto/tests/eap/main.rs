//! `EapServer` driven in memory by a rustls *client* playing the peer: no
//! sockets, no clock but the one passed in. The keys the server puts in
//! its Access-Accept must be the ones the client exports by itself, for
//! EAP-TLS and TTLS over TLS 1.2 and 1.3, fragmented both ways; replayed
//! and foreign States are refused; conversations are bounded and expire.

mod fuzz_corpus;
mod peer;

use std::time::{Duration, Instant};

use peer::{pki, Peer, Pki};
use radius_proto::eap::tls::{TlsConfigs, TlsSettings, TlsVersion};
use radius_proto::eap::{
    packet, Answer, Credential, EapConfig, EapServer, Keys, Method, Need, Resolution, Step,
};

fn server(pki: &Pki, methods: Vec<Method>, fragment: usize) -> EapServer {
    let mut s = TlsSettings::new(vec![pki.server.0.clone()], pki.server.1.clone_key());
    s.client_ca = vec![pki.ca.clone()];
    EapServer::new(EapConfig {
        methods,
        tls: Some(TlsConfigs::build(&s).unwrap()),
        fragment_size: fragment,
        max_sessions: 8,
        ..EapConfig::default()
    })
    .unwrap()
}

fn finish(s: &EapServer, mut step: Step, now: Instant) -> Answer {
    loop {
        match step {
            Step::Done(a) => return a,
            Step::Pending(p) => {
                let r = match p.need() {
                    Need::Credential { identity, .. } => {
                        assert_eq!(identity, "bob");
                        Resolution::Credential(Credential::Password("hello".into()))
                    }
                    Need::Certificate { chain, .. } => {
                        assert_eq!(chain.len(), 1, "the verified client chain");
                        Resolution::Certificate(true)
                    }
                };
                step = s.resume(p, r, now);
            }
        }
    }
}

/// Run a whole conversation; returns the server's keys, the peer's, and
/// the number of rounds.
fn converse(s: &EapServer, peer: &mut Peer, now: Instant) -> (Keys, Keys, usize) {
    let mut resp = packet::typed(2, 1, 1, b"anonymous");
    let mut state: Option<[u8; 16]> = None;
    for round in 1..200 {
        let step = s.step(&resp, state.as_ref().map(|s| &s[..]), now);
        match finish(s, step, now) {
            Answer::Challenge { eap, state: st } => {
                state = Some(st);
                resp = peer.respond(&eap);
            }
            Answer::Accept {
                keys,
                eap,
                identity,
                method,
                ..
            } => {
                assert_eq!(eap[0], radius_proto::eap::SUCCESS);
                assert_eq!(method, peer.method);
                if method == Method::Ttls {
                    assert_eq!(identity, "bob");
                }
                return (keys.unwrap(), peer.keys(), round);
            }
            Answer::Reject { reason, .. } => panic!("rejected: {reason}"),
        }
    }
    panic!("no end")
}

#[test]
fn keys_match_the_peers_own_export() {
    let pki = pki();
    for method in [Method::Tls, Method::Ttls] {
        for version in [TlsVersion::Tls12, TlsVersion::Tls13] {
            for fragment in [1000, 128] {
                let s = server(&pki, vec![method], fragment);
                let mut peer = Peer::new(&pki, method, version, fragment);
                let (ours, theirs, rounds) = converse(&s, &mut peer, Instant::now());
                assert!(
                    ours == theirs,
                    "{method:?} {version:?} fragment {fragment}: MSK differs"
                );
                if fragment == 128 {
                    assert!(
                        rounds > 6,
                        "{method:?} {version:?}: {rounds} rounds with 128-octet fragments"
                    );
                }
                assert_eq!(s.in_progress(), 0, "finished conversations are forgotten");
            }
        }
    }
}

#[test]
fn nak_switches_to_a_method_the_peer_wants() {
    let pki = pki();
    let s = server(&pki, vec![Method::Peap, Method::Tls], 1000);
    let now = Instant::now();
    let Step::Done(Answer::Challenge { eap, state }) =
        s.step(&packet::typed(2, 1, 1, b"bob"), None, now)
    else {
        panic!()
    };
    assert_eq!(eap[4], radius_proto::eap::PEAP);
    // Nak: the peer wants EAP-TLS (13).
    let nak = packet::typed(2, eap[1], 3, &[13]);
    let Step::Done(Answer::Challenge { eap, .. }) = s.step(&nak, Some(&state), now) else {
        panic!()
    };
    assert_eq!(eap[4], radius_proto::eap::TLS);
    // A Nak asking only for methods not offered ends it.
    let s2 = server(&pki, vec![Method::Peap], 1000);
    let Step::Done(Answer::Challenge { eap, state }) =
        s2.step(&packet::typed(2, 1, 1, b"bob"), None, now)
    else {
        panic!()
    };
    let nak = packet::typed(2, eap[1], 3, &[4]);
    assert!(matches!(
        s2.step(&nak, Some(&state), now),
        Step::Done(Answer::Reject { .. })
    ));
}

#[test]
fn states_work_once_and_expire_and_are_bounded() {
    let pki = pki();
    let s = server(&pki, vec![Method::Md5], 1000);
    let t0 = Instant::now();
    let id = packet::typed(2, 1, 1, b"bob");
    let Step::Done(Answer::Challenge { eap, state }) = s.step(&id, None, t0) else {
        panic!()
    };
    let answer = packet::typed(2, eap[1], 4, &[16; 17]);
    // First use: a (wrong) MD5 answer is checked; the State is used up.
    assert!(matches!(
        s.step(&answer, Some(&state), t0),
        Step::Pending(_)
    ));
    let Step::Done(Answer::Reject { reason, .. }) = s.step(&answer, Some(&state), t0) else {
        panic!()
    };
    assert!(reason.contains("State"), "{reason}");
    // A State the server never issued.
    let Step::Done(Answer::Reject { .. }) = s.step(&answer, Some(&[7; 16]), t0) else {
        panic!()
    };
    // Expired after the 30 s round timeout.
    let Step::Done(Answer::Challenge { eap, state }) = s.step(&id, None, t0) else {
        panic!()
    };
    let late = packet::typed(2, eap[1], 4, &[16; 17]);
    let later = t0 + Duration::from_secs(31);
    assert!(matches!(
        s.step(&late, Some(&state), later),
        Step::Done(Answer::Reject { .. })
    ));
    // Bounded: 8 conversations at most; the ninth is refused until some expire.
    for _ in 0..8 {
        assert!(matches!(
            s.step(&id, None, t0),
            Step::Done(Answer::Challenge { .. })
        ));
    }
    let Step::Done(Answer::Reject { reason, .. }) = s.step(&id, None, t0) else {
        panic!()
    };
    assert!(reason.contains("too many"), "{reason}");
    assert!(matches!(
        s.step(&id, None, later),
        Step::Done(Answer::Challenge { .. })
    ));
    assert_eq!(s.expire(later), 0);
    assert_eq!(s.expire(later + Duration::from_secs(31)), 1);
}

/// A round refused because the table is full still answers the response
/// it got (EAP-Failure with that Identifier), also mid-conversation (found
/// by the eap fuzz target).
#[test]
fn full_table_failure_answers_the_response() {
    let pki = pki();
    let s = server(&pki, vec![Method::Tls], 1000);
    let now = Instant::now();
    let mut peer = Peer::new(&pki, Method::Tls, TlsVersion::Tls13, 1000);
    let mut resp = packet::typed(2, 1, 1, b"bob");
    let mut state: Option<[u8; 16]> = None;
    // Run until the server asks to authorize the client certificate.
    let pending = loop {
        match s.step(&resp, state.as_ref().map(|s| &s[..]), now) {
            Step::Done(Answer::Challenge { eap, state: st }) => {
                state = Some(st);
                resp = peer.respond(&eap);
            }
            Step::Pending(p) => break p,
            Step::Done(other) => panic!("{other:?}"),
        }
    };
    let answering = resp[1];
    // Fill the table while that conversation is out of it.
    for i in 0..8 {
        let id = packet::typed(2, i, 1, b"x");
        assert!(matches!(
            s.step(&id, None, now),
            Step::Done(Answer::Challenge { .. })
        ));
    }
    let Step::Done(Answer::Reject { eap, reason }) =
        s.resume(pending, Resolution::Certificate(true), now)
    else {
        panic!("a full table refuses the next round")
    };
    assert!(reason.contains("too many"), "{reason}");
    assert_eq!(eap, packet::failure(answering));
}
