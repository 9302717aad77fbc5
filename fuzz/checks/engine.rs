//! The server engine, datagram in → action out, with a host table and
//! policies chosen by the input: it must never panic, and its answers must
//! keep the protocol's promises whatever arrives — every reply it sends is
//! a well-formed, correctly signed answer of a legal kind, a retransmission
//! of an answered request gets the same octets from the cache, and every
//! datagram is counted exactly once.
//!
//! Input: byte 0 picks the listener, the client policies and whether the
//! rest is taken raw or re-signed into a valid request (so the fuzzer gets
//! past the authenticator checks); byte 1 picks the handler's reply; the
//! rest is the datagram (raw) or code, Identifier and attributes (signed).
//!
//! Shared by the fuzz target (`fuzz/fuzz_targets/engine.rs`) and the test that
//! replays `fuzz/corpus/engine/` in `cargo test`.

use std::time::{Duration, Instant};

use radius_core::{Code, Packet, PacketWriter, Secret};
use radius_proto::client::is_reply_to;
use radius_proto::engine::Incoming;
use radius_proto::{
    AccessAccept, AccessChallenge, AccessReject, AccountingResponse, Cidr, ClientConfig, CoaAck,
    CoaNak, DisconnectAck, Engine, EngineConfig, Event, HandlerError, HostTable, Policy, PortKind,
    Reply,
};

const SECRET: &[u8] = b"testing123";

fn reply_for(choice: u8) -> Reply {
    match choice % 10 {
        0 => AccessAccept::new().into(),
        1 => AccessReject::new().into(),
        2 => AccessChallenge::new().into(),
        3 => AccountingResponse::new().into(),
        4 => CoaAck::new().into(),
        5 => CoaNak::new().into(),
        6 => DisconnectAck::new().into(),
        7 => Reply::NoReply,
        8 => Reply::Error(HandlerError::missing_attribute("User-Name")),
        _ => Reply::Error(HandlerError::new("fuzz")),
    }
}

/// The check the `engine` target runs on each input (and the corpus test
/// on each committed input): panics on a failure.
pub fn run(data: &[u8]) {
    let [flags, choice, rest @ ..] = data else {
        return;
    };
    let port = [PortKind::Auth, PortKind::Acct, PortKind::Coa][(flags & 3) as usize % 3];
    let policy = |bits: u8| [Policy::No, Policy::Yes, Policy::Auto][(bits % 3) as usize];
    let mut cfg = ClientConfig::new("fuzz", SECRET);
    cfg.require_message_authenticator = policy(flags >> 2);
    cfg.limit_proxy_state = policy(flags >> 4);
    let hosts = HostTable::new().with("127.0.0.0/8".parse::<Cidr>().unwrap(), cfg);
    let engine = Engine::new(hosts, EngineConfig::default());
    let secret = Secret::new(SECRET);

    let mut signed = Vec::new();
    let datagram: &[u8] = if flags & 0x40 != 0 {
        // Re-sign: code, Identifier, then attributes; Message-Authenticator
        // when the top bit says so.
        let [code, id, attrs @ ..] = rest else { return };
        let mut w = PacketWriter::request(&mut signed, Code(*code), *id);
        if flags & 0x80 != 0 && w.message_authenticator().is_err() {
            return;
        }
        if w.raw(attrs).is_err() || w.finish(&secret).is_err() {
            return;
        }
        &signed
    } else {
        rest
    };

    let src = "127.0.0.1:40000".parse().unwrap();
    let t0 = Instant::now();
    let mut out = Vec::new();
    let ev = engine.handle(Incoming::datagram(datagram, src, port), t0, &mut out);
    let request = Packet::decode(datagram).ok();
    let sent = match ev {
        Event::Drop(_) => {
            assert!(out.is_empty());
            None
        }
        Event::Send { cached } => {
            // Only Status-Server is answered by the engine on first sight.
            assert!(!cached);
            let req = request.expect("answered a well-formed packet");
            assert_eq!(req.code(), Code::STATUS_SERVER);
            Some(out.clone())
        }
        Event::Dispatch(req) => {
            assert!(port.serves(req.code()));
            let c = engine.complete(&req, reply_for(*choice), t0, &mut out);
            c.is_send().then(|| out.clone())
        }
    };
    if let Some(reply) = &sent {
        let req = request.expect("answered a well-formed packet");
        let p = Packet::decode(reply).expect("our reply decodes");
        assert!(
            is_reply_to(req.code(), p.code()),
            "{} to {}",
            p.code(),
            req.code()
        );
        assert_eq!(p.identifier(), req.identifier());
        p.verify_reply(&secret, req.authenticator())
            .expect("our reply verifies");
    }
    // The same datagram again, a second later: a cached answer is resent
    // unchanged (Status-Server is answered afresh, also identically).
    let mut again = Vec::new();
    let ev = engine.handle(
        Incoming::datagram(datagram, src, port),
        t0 + Duration::from_secs(1),
        &mut again,
    );
    match (&sent, ev) {
        (Some(first), Event::Send { .. }) => assert_eq!(first, &again),
        (Some(_), other) => panic!("answered once, then {other:?}"),
        (None, Event::Send { .. }) => panic!("a cached answer that was never sent"),
        (None, _) => {}
    }
    // Both datagrams were counted, and neither twice as a success (a
    // dispatched request that got no reply also counts a NoReply drop).
    let s = engine.stats().snapshot();
    assert_eq!(s.received, 2);
    let served = s.dispatched + s.status_server + s.duplicates;
    assert!(served <= 2 && served + s.dropped_total() >= 2, "{s:?}");
}
