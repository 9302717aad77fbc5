//! Shared test helpers: attribute types and a minimal RADIUS client.
#![allow(dead_code, unused_imports)]

use std::net::SocketAddr;
use std::time::Duration;

use radius_core::{Code, Packet, PacketWriter, Secret};
use tokio::net::UdpSocket;

pub use radius_dict::prelude::{
    AcctSessionId, AcctStatusType, Class, EapMessage, ErrorCause, ProxyState, ReplyMessage,
    SessionTimeout, UserName, UserPassword,
};

pub const SECRET: &str = "testing123";

/// Build a request. `ma`: add Message-Authenticator (first).
pub fn request(code: Code, id: u8, secret: &str, ma: bool, attrs: &[(u8, &[u8])]) -> Vec<u8> {
    let secret = Secret::new(secret);
    let mut buf = Vec::new();
    let mut w = PacketWriter::request(&mut buf, code, id);
    if ma {
        w.message_authenticator().unwrap();
    }
    for (t, v) in attrs {
        w.attr(*t, v).unwrap();
    }
    w.finish(&secret).unwrap();
    buf
}

/// A PAP Access-Request for `user`/`pass`.
pub fn pap(id: u8, secret: &str, user: &str, pass: &str, ma: bool) -> Vec<u8> {
    let s = Secret::new(secret);
    let mut buf = Vec::new();
    let mut w = PacketWriter::request(&mut buf, Code::ACCESS_REQUEST, id);
    if ma {
        w.message_authenticator().unwrap();
    }
    w.add(&UserName::new(user), &s).unwrap();
    w.add(&UserPassword::new(pass), &s).unwrap();
    w.finish(&s).unwrap();
    buf
}

/// A CHAP Access-Request (CHAP-Challenge = the Request Authenticator).
pub fn chap(id: u8, secret: &str, user: &str, pass: &str) -> Vec<u8> {
    let s = Secret::new(secret);
    let auth = radius_core::crypto::random_authenticator();
    let mut buf = Vec::new();
    let mut w = PacketWriter::request_with_authenticator(&mut buf, Code::ACCESS_REQUEST, id, auth);
    w.message_authenticator().unwrap();
    w.add(&UserName::new(user), &s).unwrap();
    let mut cp = vec![7u8];
    cp.extend_from_slice(&radius_core::crypto::chap_response(
        7,
        pass.as_bytes(),
        &auth,
    ));
    w.attr(3, &cp).unwrap();
    w.finish(&s).unwrap();
    buf
}

pub fn auth_of(req: &[u8]) -> [u8; 16] {
    req[4..20].try_into().unwrap()
}

/// Check a reply against its request; returns (code, has MA, MA is first).
pub fn check_reply(reply: &[u8], req: &[u8], secret: &str) -> (Code, bool, bool) {
    let p = Packet::decode(reply).expect("reply decodes");
    assert_eq!(p.identifier(), req[1], "reply identifier");
    let has_ma = p
        .verify_reply(&Secret::new(secret), &auth_of(req))
        .expect("response authenticator and Message-Authenticator verify");
    let first = p.attributes().next().map(|a| a.typ) == Some(80);
    (p.code(), has_ma, first)
}

/// Send and wait for one datagram (None on timeout).
pub async fn exchange(
    sock: &UdpSocket,
    to: SocketAddr,
    pkt: &[u8],
    wait: Duration,
) -> Option<Vec<u8>> {
    sock.send_to(pkt, to).await.unwrap();
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(wait, sock.recv_from(&mut buf)).await {
        Ok(Ok((n, _))) => Some(buf[..n].to_vec()),
        _ => None,
    }
}

// ---- A test server -------------------------------------------------------

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use radius_server::{
    radius_handler, AccessAccept, AccessReject, AccessRequest, AccountingRequest,
    AccountingResponse, CoaAck, CoaNak, CoaRequest, DisconnectAck, DisconnectNak,
    DisconnectRequest, HostTable, Reply, Server, ServerHandle, Shared,
};

/// Shared state: how often the auth handler ran.
#[derive(Clone, Default)]
pub struct Calls(pub Arc<AtomicU64>);

/// PAP or CHAP for bob/hello; "slow" answers after 50 ms; "hang" never in time.
#[radius_handler]
pub async fn auth(
    req: AccessRequest,
    name: UserName,
    pass: Option<UserPassword>,
    calls: Shared<Calls>,
) -> Reply {
    calls.0 .0.fetch_add(1, Ordering::Relaxed);
    match name.as_str() {
        "slow" => tokio::time::sleep(Duration::from_millis(50)).await,
        "hang" => tokio::time::sleep(Duration::from_secs(30)).await,
        _ => {}
    }
    let ok = match &pass {
        Some(p) => p.as_str() == "hello",
        None => req.verify_chap(b"hello") == Some(true),
    };
    if ok && name.as_str() != "alice" {
        AccessAccept::new()
            .with(ReplyMessage::new(format!("welcome {}", name.as_str())))
            .into()
    } else {
        AccessReject::new().into()
    }
}

#[radius_handler]
pub async fn acct(
    _req: AccountingRequest,
    _status: AcctStatusType,
    _session: Option<AcctSessionId>,
) -> AccountingResponse {
    AccountingResponse::new()
}

#[radius_handler]
pub async fn coa(_req: CoaRequest, name: Option<UserName>) -> Reply {
    match name.as_deref().map(String::as_str) {
        Some("bob") => CoaAck::new().into(),
        _ => CoaNak::new()
            .error_cause(radius_dict::prelude::ErrorCauseValue::SessionContextNotFound)
            .into(),
    }
}

/// Sync: runs on the blocking pool.
#[radius_handler]
pub fn disconnect(_req: DisconnectRequest, name: UserName) -> Reply {
    if name.as_str() == "bob" {
        DisconnectAck::new().into()
    } else {
        DisconnectNak::new()
            .error_cause(radius_dict::prelude::ErrorCauseValue::SessionContextNotFound)
            .into()
    }
}

/// Start the test server on 127.0.0.1 (random ports), client 127.0.0.1 only.
pub async fn start_server(calls: Calls) -> ServerHandle {
    start_server_on(
        calls,
        "127.0.0.1:0".parse().unwrap(),
        HostTable::new()
            .add("127.0.0.1", "localhost", SECRET)
            .unwrap(),
    )
    .await
}

pub async fn start_server_on(calls: Calls, addr: SocketAddr, hosts: HostTable) -> ServerHandle {
    Server::with_state(calls)
        .clients(hosts)
        .auth(auth)
        .accounting(acct)
        .coa(coa)
        .disconnect(disconnect)
        .bind_auth(addr)
        .bind_acct(addr)
        .bind_coa(addr)
        .workers(2)
        .handler_timeout(Duration::from_millis(300))
        .spawn()
        .await
        .expect("server starts")
}
