//! Shared test helpers: attribute types and a minimal RADIUS client.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use radius_core::{Code, Packet, PacketWriter, Secret};
use tokio::net::UdpSocket;

radius_core::attribute! { UserName(UserName_) = "User-Name", Std(1), String }
radius_core::attribute! { UserPassword(UserPassword_) = "User-Password", Std(2), String, encrypt = UserPassword }
radius_core::attribute! { ReplyMessage(ReplyMessage_) = "Reply-Message", Std(18), String }
radius_core::attribute! { ProxyState(ProxyState_) = "Proxy-State", Std(33), Vec<u8> }
radius_core::attribute! { Class(Class_) = "Class", Std(25), Vec<u8> }
radius_core::attribute! { SessionTimeout(SessionTimeout_) = "Session-Timeout", Std(27), u32 }
radius_core::attribute! { AcctStatusType(AcctStatusType_) = "Acct-Status-Type", Std(40), u32 }
radius_core::attribute! { AcctSessionId(AcctSessionId_) = "Acct-Session-Id", Std(44), String }
radius_core::attribute! { ErrorCause(ErrorCause_) = "Error-Cause", Std(101), u32 }
radius_core::attribute! { EapMessage(EapMessage_) = "EAP-Message", Std(79), Vec<u8>, concat }

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
