//! Sans-IO engine tests: every drop reason, duplicates, BlastRADIUS policies,
//! Status-Server, reply layout.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::common::*;
use radius_core::{Code, Packet, Secret};
use radius_dict::prelude::ErrorCauseValue;
use radius_server::engine::Incoming;
use radius_server::{
    radius_handler, AccessAccept, AccessReject, AccessRequest, AccountingResponse, ClientConfig,
    CoaAck, CoaRequest, DropReason, Engine, EngineConfig, Event, Handler, HandlerError, HostTable,
    Policy, PortKind, Reply, Request,
};

fn src() -> SocketAddr {
    "127.0.0.1:40000".parse().unwrap()
}

fn engine_with(cfg: ClientConfig) -> Engine {
    Engine::new(
        HostTable::new().with("127.0.0.0/8".parse::<radius_server::Cidr>().unwrap(), cfg),
        EngineConfig::default(),
    )
}

fn engine() -> Engine {
    engine_with(ClientConfig::new("local", SECRET))
}

fn handle(e: &Engine, pkt: &[u8], port: PortKind) -> (Event, Vec<u8>) {
    handle_at(e, pkt, port, Instant::now())
}

/// [`handle`] at a chosen instant: the engine never reads a clock, so tests
/// move time by hand.
fn handle_at(e: &Engine, pkt: &[u8], port: PortKind, now: Instant) -> (Event, Vec<u8>) {
    let mut out = Vec::new();
    let ev = e.handle(Incoming::datagram(pkt, src(), port), now, &mut out);
    (ev, out)
}

fn dropped(e: &Engine, pkt: &[u8], port: PortKind) -> DropReason {
    match handle(e, pkt, port).0 {
        Event::Drop(r) => r,
        other => panic!("expected a drop, got {other:?}"),
    }
}

fn dispatched(e: &Engine, pkt: &[u8], port: PortKind) -> Request {
    match handle(e, pkt, port).0 {
        Event::Dispatch(r) => r,
        other => panic!("expected dispatch, got {other:?}"),
    }
}

#[test]
fn every_malformed_class_is_dropped_and_counted() {
    let e = engine();
    let good = pap(1, SECRET, "bob", "hello", true);

    assert_eq!(
        dropped(&e, &good[..19], PortKind::Auth),
        DropReason::TooShort
    );

    let mut bad_len = good.clone();
    bad_len[2..4].copy_from_slice(&5000u16.to_be_bytes());
    assert_eq!(dropped(&e, &bad_len, PortKind::Auth), DropReason::BadLength);
    let mut truncated = good.clone();
    truncated[2..4].copy_from_slice(&((good.len() + 10) as u16).to_be_bytes());
    assert_eq!(
        dropped(&e, &truncated, PortKind::Auth),
        DropReason::BadLength
    );

    // Attribute length 1, then one running past the end.
    let mut bad_attr = request(Code::ACCESS_REQUEST, 2, SECRET, false, &[(1, b"bob")]);
    bad_attr[21] = 1;
    assert_eq!(
        dropped(&e, &bad_attr, PortKind::Auth),
        DropReason::BadAttributeLength
    );
    bad_attr[21] = 40;
    assert_eq!(
        dropped(&e, &bad_attr, PortKind::Auth),
        DropReason::BadAttributeLength
    );

    // Wrong secret: Accounting Request Authenticator, Access MA.
    let acct = request(
        Code::ACCOUNTING_REQUEST,
        3,
        "wrong",
        false,
        &[(40, &1u32.to_be_bytes())],
    );
    assert_eq!(
        dropped(&e, &acct, PortKind::Acct),
        DropReason::BadRequestAuthenticator
    );
    let forged = pap(4, "wrong", "bob", "hello", true);
    assert_eq!(
        dropped(&e, &forged, PortKind::Auth),
        DropReason::BadMessageAuthenticator
    );
    // Tampered after signing.
    let mut tampered = good.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        dropped(&e, &tampered, PortKind::Auth),
        DropReason::BadMessageAuthenticator
    );
    // MA with a bad length.
    let bad_ma = request(Code::ACCESS_REQUEST, 5, SECRET, false, &[(80, &[0; 10])]);
    assert_eq!(
        dropped(&e, &bad_ma, PortKind::Auth),
        DropReason::BadMessageAuthenticator
    );

    // Wrong code for the port.
    let acct_ok = request(
        Code::ACCOUNTING_REQUEST,
        6,
        SECRET,
        false,
        &[(40, &1u32.to_be_bytes())],
    );
    assert_eq!(dropped(&e, &acct_ok, PortKind::Auth), DropReason::WrongCode);
    assert_eq!(dropped(&e, &good, PortKind::Acct), DropReason::WrongCode);
    assert_eq!(dropped(&e, &good, PortKind::Coa), DropReason::WrongCode);
    let accept = request(Code::ACCESS_ACCEPT, 7, SECRET, false, &[]);
    assert_eq!(dropped(&e, &accept, PortKind::Auth), DropReason::WrongCode);

    // Unknown client.
    let mut out = Vec::new();
    let stranger: SocketAddr = "192.0.2.1:1000".parse().unwrap();
    assert!(matches!(
        e.handle(
            Incoming::datagram(&good, stranger, PortKind::Auth),
            Instant::now(),
            &mut out
        ),
        Event::Drop(DropReason::UnknownClient)
    ));

    let s = e.stats().snapshot();
    assert_eq!(s.dropped(DropReason::TooShort), 1);
    assert_eq!(s.dropped(DropReason::BadLength), 2);
    assert_eq!(s.dropped(DropReason::BadAttributeLength), 2);
    assert_eq!(s.dropped(DropReason::BadRequestAuthenticator), 1);
    assert_eq!(s.dropped(DropReason::BadMessageAuthenticator), 3);
    assert_eq!(s.dropped(DropReason::WrongCode), 4);
    assert_eq!(s.dropped(DropReason::UnknownClient), 1);
    assert_eq!(s.received, 14);
    assert_eq!(s.dispatched, 0);
}

#[test]
fn no_handler_is_a_drop() {
    let e = Engine::new(
        HostTable::new().add("127.0.0.1", "l", SECRET).unwrap(),
        EngineConfig {
            served: radius_server::Served {
                access: true,
                accounting: false,
                coa: false,
                disconnect: false,
            },
            ..Default::default()
        },
    );
    let acct = request(
        Code::ACCOUNTING_REQUEST,
        1,
        SECRET,
        false,
        &[(40, &1u32.to_be_bytes())],
    );
    assert_eq!(dropped(&e, &acct, PortKind::Acct), DropReason::NoHandler);
}

#[test]
fn require_message_authenticator_auto_learns() {
    let e = engine();
    dispatched(&e, &pap(1, SECRET, "bob", "hello", false), PortKind::Auth);
    dispatched(&e, &pap(2, SECRET, "bob", "hello", true), PortKind::Auth);
    // From now on Message-Authenticator is required.
    assert_eq!(
        dropped(&e, &pap(3, SECRET, "bob", "hello", false), PortKind::Auth),
        DropReason::MissingMessageAuthenticator
    );
    dispatched(&e, &pap(4, SECRET, "bob", "hello", true), PortKind::Auth);
}

#[test]
fn require_message_authenticator_yes_and_no() {
    let e = engine_with(ClientConfig::new("c", SECRET).require_message_authenticator(Policy::Yes));
    assert_eq!(
        dropped(&e, &pap(1, SECRET, "bob", "hello", false), PortKind::Auth),
        DropReason::MissingMessageAuthenticator
    );
    let e = engine_with(ClientConfig::new("c", SECRET).require_message_authenticator(Policy::No));
    dispatched(&e, &pap(1, SECRET, "bob", "hello", true), PortKind::Auth);
    dispatched(&e, &pap(2, SECRET, "bob", "hello", false), PortKind::Auth);
    // EAP-Message always needs Message-Authenticator (RFC 3579).
    let eap = request(
        Code::ACCESS_REQUEST,
        3,
        SECRET,
        false,
        &[(1, b"bob"), (79, &[2, 0, 0, 4])],
    );
    assert_eq!(
        dropped(&e, &eap, PortKind::Auth),
        DropReason::MissingMessageAuthenticator
    );
}

#[test]
fn limit_proxy_state_modes() {
    let ps_no_ma = |id| {
        request(
            Code::ACCESS_REQUEST,
            id,
            SECRET,
            false,
            &[(1, b"bob"), (33, b"ps")],
        )
    };
    let plain = |id| request(Code::ACCESS_REQUEST, id, SECRET, false, &[(1, b"bob")]);
    let ps_ma = |id| {
        request(
            Code::ACCESS_REQUEST,
            id,
            SECRET,
            true,
            &[(1, b"bob"), (33, b"ps")],
        )
    };

    // yes: always dropped without MA.
    let e = engine_with(ClientConfig::new("c", SECRET).limit_proxy_state(Policy::Yes));
    assert_eq!(
        dropped(&e, &ps_no_ma(1), PortKind::Auth),
        DropReason::ProxyStateWithoutMessageAuthenticator
    );
    dispatched(&e, &plain(2), PortKind::Auth);

    // no: accepted.
    let e = engine_with(ClientConfig::new("c", SECRET).limit_proxy_state(Policy::No));
    dispatched(&e, &ps_no_ma(1), PortKind::Auth);

    // auto, first packet without Proxy-State: the limit turns on.
    let e = engine();
    dispatched(&e, &plain(1), PortKind::Auth);
    assert_eq!(
        dropped(&e, &ps_no_ma(2), PortKind::Auth),
        DropReason::ProxyStateWithoutMessageAuthenticator
    );

    // auto, first packet has Proxy-State without MA: an old proxy, limit off.
    let e = engine();
    dispatched(&e, &ps_no_ma(1), PortKind::Auth);
    dispatched(&e, &ps_no_ma(2), PortKind::Auth);

    // auto, first packet with MA: MA required from then on anyway.
    let e = engine();
    dispatched(&e, &ps_ma(1), PortKind::Auth);
    assert_eq!(
        dropped(&e, &ps_no_ma(2), PortKind::Auth),
        DropReason::MissingMessageAuthenticator
    );
}

#[test]
fn status_server_answered_by_engine() {
    let e = engine();
    let no_ma = request(Code::STATUS_SERVER, 9, SECRET, false, &[]);
    assert_eq!(
        dropped(&e, &no_ma, PortKind::Auth),
        DropReason::MissingMessageAuthenticator
    );

    for (port, code) in [
        (PortKind::Auth, Code::ACCESS_ACCEPT),
        (PortKind::Acct, Code::ACCOUNTING_RESPONSE),
    ] {
        let ss = request(Code::STATUS_SERVER, 10, SECRET, true, &[]);
        let (ev, out) = handle(&e, &ss, port);
        assert!(matches!(ev, Event::Send { cached: false }), "{ev:?}");
        let (c, has_ma, first) = check_reply(&out, &ss, SECRET);
        assert_eq!(c, code);
        assert!(has_ma && first);
    }
    assert_eq!(
        dropped(
            &e,
            &request(Code::STATUS_SERVER, 11, SECRET, true, &[]),
            PortKind::Coa
        ),
        DropReason::WrongCode
    );
    assert_eq!(e.stats().snapshot().status_server, 2);
}

#[test]
fn duplicates_in_progress_and_cached() {
    let e = engine();
    let pkt = pap(1, SECRET, "bob", "hello", true);
    let req = dispatched(&e, &pkt, PortKind::Auth);
    assert_eq!(
        dropped(&e, &pkt, PortKind::Auth),
        DropReason::DuplicateInProgress
    );
    let mut out = Vec::new();
    e.complete(&req, AccessAccept::new().into(), Instant::now(), &mut out);
    let (ev, cached) = handle(&e, &pkt, PortKind::Auth);
    assert!(matches!(ev, Event::Send { cached: true }), "{ev:?}");
    assert_eq!(cached, out, "retransmission gets the identical reply");
    // Same id, new authenticator: a new request.
    dispatched(&e, &pap(1, SECRET, "bob", "hello", true), PortKind::Auth);
    let s = e.stats().snapshot();
    assert_eq!(s.duplicates, 1);
    assert_eq!(s.dropped(DropReason::DuplicateInProgress), 1);
    assert_eq!(s.dispatched, 2);
    assert_eq!(s.accepted, 1);
}

#[test]
fn retransmissions_are_recognised_before_their_authenticators_are_checked() {
    // A flood of copies must not cost MD5 each: the cache is consulted by
    // (source, Identifier, Request Authenticator) first, so a copy whose
    // Message-Authenticator was damaged in transit still gets the reply
    // its first copy earned, and precompute skips copies altogether.
    let e = engine();
    let pkt = pap(2, SECRET, "bob", "hello", true);
    let req = dispatched(&e, &pkt, PortKind::Auth);
    let at = Packet::decode(&pkt)
        .unwrap()
        .message_authenticator_offset()
        .unwrap();
    let mut damaged = pkt.clone();
    damaged[at] ^= 0xff;
    assert_eq!(
        dropped(&e, &damaged, PortKind::Auth),
        DropReason::DuplicateInProgress
    );
    let mut out = Vec::new();
    e.complete(&req, AccessAccept::new().into(), Instant::now(), &mut out);
    let (ev, cached) = handle(&e, &damaged, PortKind::Auth);
    assert!(matches!(ev, Event::Send { cached: true }), "{ev:?}");
    assert_eq!(cached, out);
    let src = src();
    let fresh = pap(3, SECRET, "bob", "hello", true);
    let mut scratch = Default::default();
    let mut expected = Vec::new();
    e.precompute(
        &[(&pkt, src), (&fresh, src)],
        PortKind::Auth,
        Instant::now(),
        &mut scratch,
        &mut expected,
    );
    assert!(expected[0].is_none(), "a known request needs no MD5");
    assert!(expected[1].is_some(), "a new one does");
    // A damaged copy of a request never seen is still refused.
    let mut forged = pap(4, SECRET, "bob", "hello", true);
    forged[at] ^= 0xff;
    assert_eq!(
        dropped(&e, &forged, PortKind::Auth),
        DropReason::BadMessageAuthenticator
    );
}

#[test]
fn dedup_entries_expire() {
    // A simulated clock: the reply is cached for dedup_ttl after it was
    // sent, then forgotten (RFC 5080 §2.2.2), with no sleeping.
    let e = Engine::new(
        HostTable::new().add("127.0.0.1", "l", SECRET).unwrap(),
        EngineConfig {
            dedup_ttl: Duration::from_secs(30),
            ..Default::default()
        },
    );
    let t0 = Instant::now();
    let pkt = pap(1, SECRET, "bob", "hello", true);
    let req = match handle_at(&e, &pkt, PortKind::Auth, t0).0 {
        Event::Dispatch(r) => r,
        other => panic!("expected dispatch, got {other:?}"),
    };
    let mut sent = Vec::new();
    let at = t0 + Duration::from_secs(1);
    e.complete(&req, AccessAccept::new().into(), at, &mut sent);
    let (ev, cached) = handle_at(&e, &pkt, PortKind::Auth, at + Duration::from_secs(29));
    assert!(matches!(ev, Event::Send { cached: true }), "{ev:?}");
    assert_eq!(cached, sent);
    let (ev, _) = handle_at(&e, &pkt, PortKind::Auth, at + Duration::from_secs(31));
    assert!(matches!(ev, Event::Dispatch(_)), "expired: {ev:?}");
}

#[test]
fn reply_has_ma_first_and_proxy_state_in_order() {
    let e = engine();
    let pkt = request(
        Code::ACCESS_REQUEST,
        42,
        SECRET,
        true,
        &[
            (1, b"bob"),
            (33, b"first"),
            (18, b"x"),
            (33, b"second"),
            (33, b"third"),
        ],
    );
    let req = dispatched(&e, &pkt, PortKind::Auth);
    let mut out = Vec::new();
    e.complete(
        &req,
        AccessAccept::new()
            .with(ReplyMessage::new("hi"))
            .with(SessionTimeout::new(60u32))
            .into(),
        Instant::now(),
        &mut out,
    );
    let (c, has_ma, first) = check_reply(&out, &pkt, SECRET);
    assert_eq!((c, has_ma, first), (Code::ACCESS_ACCEPT, true, true));
    let p = Packet::decode(&out).unwrap();
    let types: Vec<u8> = p.attributes().map(|a| a.typ).collect();
    assert_eq!(types, [80, 18, 27, 33, 33, 33]);
    let ps: Vec<&[u8]> = p.find_all(33).collect();
    assert_eq!(ps, [&b"first"[..], b"second", b"third"]);
}

#[test]
fn reject_also_carries_ma_even_without_request_ma() {
    let e = engine_with(ClientConfig::new("c", SECRET).require_message_authenticator(Policy::No));
    let pkt = pap(1, SECRET, "bob", "bad", false);
    let req = dispatched(&e, &pkt, PortKind::Auth);
    let mut out = Vec::new();
    e.complete(&req, AccessReject::new().into(), Instant::now(), &mut out);
    assert_eq!(
        check_reply(&out, &pkt, SECRET),
        (Code::ACCESS_REJECT, true, true)
    );
}

#[test]
fn errors_map_to_negative_replies() {
    let e = engine();
    // Access: Reject.
    let pkt = pap(1, SECRET, "bob", "hello", true);
    let req = dispatched(&e, &pkt, PortKind::Auth);
    let mut out = Vec::new();
    e.complete(
        &req,
        Reply::Error(HandlerError::new("db down")),
        Instant::now(),
        &mut out,
    );
    assert_eq!(check_reply(&out, &pkt, SECRET).0, Code::ACCESS_REJECT);

    // Accounting: no reply, and a retransmission is handled afresh.
    let acct = request(
        Code::ACCOUNTING_REQUEST,
        2,
        SECRET,
        false,
        &[(40, &1u32.to_be_bytes())],
    );
    let req = dispatched(&e, &acct, PortKind::Acct);
    let c = e.complete(
        &req,
        Reply::Error(HandlerError::new("disk full")),
        Instant::now(),
        &mut out,
    );
    assert_eq!(c, radius_server::Completion::NoReply(DropReason::NoReply));
    let req = dispatched(&e, &acct, PortKind::Acct);
    e.complete(
        &req,
        AccountingResponse::new().into(),
        Instant::now(),
        &mut out,
    );
    let (c, has_ma, _) = check_reply(&out, &acct, SECRET);
    assert_eq!((c, has_ma), (Code::ACCOUNTING_RESPONSE, false));

    // CoA: NAK with Error-Cause.
    let coa = request(Code::COA_REQUEST, 3, SECRET, false, &[(1, b"bob")]);
    let req = dispatched(&e, &coa, PortKind::Coa);
    e.complete(
        &req,
        Reply::Error(HandlerError::missing_attribute("Acct-Session-Id")),
        Instant::now(),
        &mut out,
    );
    assert_eq!(check_reply(&out, &coa, SECRET).0, Code::COA_NAK);
    let p = Packet::decode(&out).unwrap();
    assert_eq!(p.find(101).unwrap(), 402u32.to_be_bytes());

    // A reply of the wrong kind becomes the negative reply.
    let dm = request(Code::DISCONNECT_REQUEST, 4, SECRET, true, &[(1, b"bob")]);
    let req = dispatched(&e, &dm, PortKind::Coa);
    e.complete(&req, AccessAccept::new().into(), Instant::now(), &mut out);
    let (c, has_ma, first) = check_reply(&out, &dm, SECRET);
    assert_eq!((c, has_ma, first), (Code::DISCONNECT_NAK, true, true));

    // An unencodable reply falls back to Access-Reject.
    let pkt = pap(5, SECRET, "bob", "hello", true);
    let req = dispatched(&e, &pkt, PortKind::Auth);
    e.complete(
        &req,
        AccessAccept::new()
            .with(ReplyMessage::new("x".repeat(300)))
            .into(),
        Instant::now(),
        &mut out,
    );
    assert_eq!(check_reply(&out, &pkt, SECRET).0, Code::ACCESS_REJECT);
}

#[derive(Clone)]
struct Users(&'static str);

#[radius_handler]
async fn pap_handler(
    _req: AccessRequest,
    name: UserName,
    pass: UserPassword,
    radius_server::Shared(Users(pw)): radius_server::Shared<Users>,
) -> Reply {
    if *name == "bob" && *pass == pw {
        AccessAccept::new()
            .with(ReplyMessage::new("welcome"))
            .into()
    } else {
        AccessReject::new().into()
    }
}

#[radius_handler]
fn coa_handler(
    _req: CoaRequest,
    _session: AcctSessionId,
    classes: Vec<Class>,
    timeout: Option<SessionTimeout>,
) -> Result<CoaAck, HandlerError> {
    assert!(classes.len() <= 2);
    let _ = timeout;
    Ok(CoaAck::new())
}

async fn run_handler<M, S>(h: &impl Handler<M, S>, req: Request, state: &S) -> Reply {
    h.call(req, state).into_reply().await
}

#[tokio::test]
async fn extractors_required_optional_repeated() {
    let e = engine();
    let users = Users("hello");
    let pkt = pap(1, SECRET, "bob", "hello", true);
    let r = run_handler(&pap_handler, dispatched(&e, &pkt, PortKind::Auth), &users).await;
    assert_eq!(r.code(), Some(Code::ACCESS_ACCEPT));
    let pkt = pap(2, SECRET, "bob", "nope", true);
    let r = run_handler(&pap_handler, dispatched(&e, &pkt, PortKind::Auth), &users).await;
    assert_eq!(r.code(), Some(Code::ACCESS_REJECT));

    // Missing User-Password: Reply::Error, which the engine turns into a Reject.
    let pkt = request(Code::ACCESS_REQUEST, 3, SECRET, true, &[(1, b"bob")]);
    let req = dispatched(&e, &pkt, PortKind::Auth);
    let r = run_handler(&pap_handler, req.clone(), &users).await;
    match &r {
        Reply::Error(err) => assert!(err.message().contains("User-Password"), "{err}"),
        other => panic!("{other:?}"),
    }
    let mut out = Vec::new();
    e.complete(&req, r, Instant::now(), &mut out);
    assert_eq!(check_reply(&out, &pkt, SECRET).0, Code::ACCESS_REJECT);

    // Malformed User-Name (not UTF-8).
    let pkt = request(
        Code::ACCESS_REQUEST,
        4,
        SECRET,
        true,
        &[(1, &[0xff, 0xfe]), (2, &[0; 16])],
    );
    let r = run_handler(&pap_handler, dispatched(&e, &pkt, PortKind::Auth), &users).await;
    assert!(
        matches!(r, Reply::Error(ref err) if err.error_cause() == Some(ErrorCauseValue::InvalidAttributeValue)),
        "{r:?}"
    );

    // CoA handler (sync, blocking pool): Vec<T>, Option<T>, required T.
    let coa = request(
        Code::COA_REQUEST,
        5,
        SECRET,
        false,
        &[(44, b"s1"), (25, b"a"), (25, b"b")],
    );
    let r = run_handler(&coa_handler, dispatched(&e, &coa, PortKind::Coa), &()).await;
    assert_eq!(r.code(), Some(Code::COA_ACK));
    let coa = request(Code::COA_REQUEST, 6, SECRET, false, &[(25, b"a")]);
    let req = dispatched(&e, &coa, PortKind::Coa);
    let r = run_handler(&coa_handler, req.clone(), &()).await;
    e.complete(&req, r, Instant::now(), &mut out);
    assert_eq!(check_reply(&out, &coa, SECRET).0, Code::COA_NAK);
    assert_eq!(
        Packet::decode(&out).unwrap().find(101).unwrap(),
        402u32.to_be_bytes()
    );
    // Malformed Option<T> (Session-Timeout of 3 octets) is refused too.
    let coa = request(
        Code::COA_REQUEST,
        7,
        SECRET,
        false,
        &[(44, b"s1"), (27, &[0, 0, 1])],
    );
    let r = run_handler(&coa_handler, dispatched(&e, &coa, PortKind::Coa), &()).await;
    assert!(matches!(r, Reply::Error(_)), "{r:?}");
}

#[tokio::test]
async fn typed_request_extractor_checks_code() {
    let e = engine();
    let coa = request(Code::COA_REQUEST, 1, SECRET, false, &[(44, b"s1")]);
    // An auth handler given a CoA request refuses it instead of panicking.
    let r = run_handler(
        &pap_handler,
        dispatched(&e, &coa, PortKind::Coa),
        &Users("x"),
    )
    .await;
    assert!(matches!(r, Reply::Error(_)), "{r:?}");
    let _ = Secret::new("x");
}

// ---- RADIUS/1.1 (RFC 9765) -------------------------------------------------

/// A RADIUS/1.1 packet: Code, Reserved-1, Length, Token, Reserved-2, attributes.
fn v11(code: Code, token: u32, attrs: &[(u8, &[u8])]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = radius_core::PacketWriter::v1_1(&mut buf, code, token);
    for (t, v) in attrs {
        w.attr(*t, v).unwrap();
    }
    w.finish(&Secret::new("unused")).unwrap();
    buf
}

fn handle_v11(e: &Engine, pkt: &[u8], port: PortKind) -> (Event, Vec<u8>) {
    let mut out = Vec::new();
    let client = e.hosts().lookup(src().ip()).unwrap().clone();
    let incoming = Incoming::from_client(
        pkt,
        &client,
        src(),
        port,
        radius_server::RadiusVersion::V1_1,
    );
    let ev = e.handle(incoming, Instant::now(), &mut out);
    (ev, out)
}

#[test]
fn v11_no_authenticator_checks_clear_password_token_reply_without_ma() {
    // Require MA and limit Proxy-State: neither applies in RADIUS/1.1.
    let e = engine_with(
        ClientConfig::new("c", SECRET)
            .require_message_authenticator(Policy::Yes)
            .limit_proxy_state(Policy::Yes),
    );
    // A bogus Message-Authenticator is ignored, User-Password is in clear.
    let pkt = v11(
        Code::ACCESS_REQUEST,
        0x0102_0304,
        &[(80, &[0xee; 16]), (1, b"bob"), (2, b"hello"), (33, b"ps")],
    );
    let Event::Dispatch(req) = handle_v11(&e, &pkt, PortKind::Auth).0 else {
        panic!("expected dispatch")
    };
    assert_eq!(req.version(), radius_server::RadiusVersion::V1_1);
    assert_eq!(req.token(), Some(0x0102_0304));
    assert!(!req.has_message_authenticator());
    assert_eq!(&*req.get::<UserPassword>().unwrap().unwrap(), "hello");
    let mut out = Vec::new();
    e.complete(
        &req,
        AccessAccept::new().with(ReplyMessage::new("hi")).into(),
        Instant::now(),
        &mut out,
    );
    let p = Packet::decode(&out).unwrap();
    assert_eq!(p.code(), Code::ACCESS_ACCEPT);
    assert_eq!(p.token(), 0x0102_0304);
    assert_eq!(&out[8..20], &[0; 12], "Reserved-2 zero");
    assert_eq!(out[1], 0, "Reserved-1 zero");
    let types: Vec<u8> = p.attributes().map(|a| a.typ).collect();
    assert_eq!(
        types,
        [18, 33],
        "no Message-Authenticator, Proxy-State echoed"
    );

    // Accounting-Request: no Request Authenticator to check.
    let acct = v11(Code::ACCOUNTING_REQUEST, 7, &[(40, &[0, 0, 0, 1])]);
    assert!(matches!(
        handle_v11(&e, &acct, PortKind::Acct).0,
        Event::Dispatch(_)
    ));
}

#[test]
fn v11_status_server_without_ma_is_answered_with_token() {
    let e = engine();
    let pkt = v11(Code::STATUS_SERVER, 99, &[]);
    let (ev, out) = handle_v11(&e, &pkt, PortKind::Auth);
    assert!(matches!(ev, Event::Send { cached: false }), "{ev:?}");
    let p = Packet::decode(&out).unwrap();
    assert_eq!((p.code(), p.token()), (Code::ACCESS_ACCEPT, 99));
    assert!(!p.has_message_authenticator());
}

#[test]
fn v11_duplicates_by_token() {
    let e = engine();
    let a = v11(Code::ACCESS_REQUEST, 5, &[(1, b"bob"), (2, b"hello")]);
    let Event::Dispatch(req) = handle_v11(&e, &a, PortKind::Auth).0 else {
        panic!("expected dispatch")
    };
    // Same Token while in progress: dropped; Reserved-1 differs: still the same.
    let mut again = a.clone();
    again[1] = 77;
    assert!(matches!(
        handle_v11(&e, &again, PortKind::Auth).0,
        Event::Drop(DropReason::DuplicateInProgress)
    ));
    let mut out = Vec::new();
    e.complete(&req, AccessAccept::new().into(), Instant::now(), &mut out);
    let (ev, cached) = handle_v11(&e, &a, PortKind::Auth);
    assert!(matches!(ev, Event::Send { cached: true }), "{ev:?}");
    assert_eq!(cached, out);
    // Another Token with the same content is a new request.
    let b = v11(Code::ACCESS_REQUEST, 6, &[(1, b"bob"), (2, b"hello")]);
    assert!(matches!(
        handle_v11(&e, &b, PortKind::Auth).0,
        Event::Dispatch(_)
    ));
    // The same packet as RADIUS/1.0 would fail Message-Authenticator checks;
    // the 1.0 path still applies to handle().
    let with_ma = v11(Code::ACCESS_REQUEST, 8, &[(80, &[1; 16]), (1, b"bob")]);
    assert_eq!(
        dropped(&e, &with_ma, PortKind::Auth),
        DropReason::BadMessageAuthenticator
    );
}

#[test]
fn handler_cannot_add_message_authenticator_or_proxy_state() {
    // The engine writes both itself (MA first, Proxy-State copied from the
    // request); a handler's own copies are dropped, the rest kept in order.
    let e = engine();
    let pkt = request(
        Code::ACCESS_REQUEST,
        7,
        SECRET,
        true,
        &[(1, b"bob"), (33, b"from-proxy")],
    );
    let req = dispatched(&e, &pkt, PortKind::Auth);
    let reply = AccessAccept::new()
        .with_raw(18, b"one")
        .with_raw(80, &[0xee; 16])
        .with_raw(33, b"forged")
        .with_raw(18, b"two");
    let mut out = Vec::new();
    e.complete(&req, reply.into(), Instant::now(), &mut out);
    let p = Packet::decode(&out).unwrap();
    let s = Secret::new(SECRET);
    p.verify_reply(&s, Packet::decode(&pkt).unwrap().authenticator())
        .expect("signed with the engine's own Message-Authenticator");
    let attrs: Vec<(u8, Vec<u8>)> = p.attributes().map(|a| (a.typ, a.value.to_vec())).collect();
    assert_eq!(attrs[0].0, 80, "Message-Authenticator first");
    let rest: Vec<(u8, &[u8])> = attrs[1..].iter().map(|(t, v)| (*t, &v[..])).collect();
    assert_eq!(
        rest,
        vec![
            (18, &b"one"[..]),
            (18, &b"two"[..]),
            (33, &b"from-proxy"[..])
        ]
    );
}
