//! Forwarding one request to a home server, and its reply back to the NAS
//! (RFC 2865 §2.3, RFC 2866 §2.3; the Proxy-State rules of RFC 2865 §5.33).
//!
//! Each hop has its own secret and Request Authenticator, so everything
//! keyed on them is redone: User-Password and Tunnel-Password are
//! decrypted with the NAS's secret and encrypted again for the home
//! server's; CHAP-Password keeps working because the original authenticator
//! travels on as CHAP-Challenge; Message-Authenticator is recomputed (and
//! always sent on Access-Request); the proxy appends its own Proxy-State
//! after the NAS's, in order. On the way back, Tunnel-Password and the
//! MS-MPPE keys are decrypted with the home server's secret and our
//! Request Authenticator and handed to the reply as typed attributes, so
//! the engine encrypts them again for the NAS; every Proxy-State is
//! removed (the engine copies the NAS's own from its request), and so is
//! Message-Authenticator (the engine signs the reply).

use radius_core::attr::Attributes;
use radius_core::{crypto, Code, Secret};
use radius_dict::prelude::{MsChapMppeKeys, MsMppeRecvKey, MsMppeSendKey, TunnelPassword};

use super::operator::{OPERATOR_NAME, OPERATOR_NAS_IDENTIFIER};
use crate::client::ClientRequest;
use crate::reply::{
    AccessAccept, AccessChallenge, AccessReject, AccountingResponse, CoaAck, CoaNak, DisconnectAck,
    DisconnectNak, Reply,
};
use crate::request::Request;

const USER_NAME: u8 = 1;
const USER_PASSWORD: u8 = 2;
const CHAP_PASSWORD: u8 = 3;
const VENDOR_SPECIFIC: u8 = 26;
const PROXY_STATE: u8 = 33;
const CHAP_CHALLENGE: u8 = 60;
const TUNNEL_PASSWORD: u8 = 69;
const MESSAGE_AUTHENTICATOR: u8 = 80;
const MICROSOFT: u32 = 311;
const MS_CHAP_MPPE_KEYS: u8 = 12;
const MS_MPPE_SEND_KEY: u8 = 16;
const MS_MPPE_RECV_KEY: u8 = 17;

/// Why a request could not be forwarded or a reply not relayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForwardError {
    /// An obfuscated attribute did not decrypt.
    #[error("cannot re-encrypt {0}: {1}")]
    Crypto(&'static str, String),
    /// The rewritten request does not fit a RADIUS packet.
    #[error("forwarded request does not fit: {0}")]
    Encode(String),
    /// The home server answered with a code that does not answer the request.
    #[error("home server answered {0:?}, which does not answer the request")]
    Code(Code),
}

/// What to change on the way.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rewrite<'a> {
    /// Forward this User-Name instead (realm stripped).
    pub user_name: Option<&'a [u8]>,
    /// The proxy's own Proxy-State value for this hop.
    pub proxy_state: &'a [u8],
    /// Add this Operator-Name (RFC 5580) unless the request has one.
    pub operator_name: Option<&'a [u8]>,
    /// Add this Operator-NAS-Identifier (RFC 8559) unless the request has
    /// one (a proxy nearer the NAS issued it, and routes CoA by it).
    pub operator_nas_id: Option<&'a [u8]>,
    /// Leave out every Operator-NAS-Identifier: a CoA or Disconnect on its
    /// way to the NAS, which never saw the one this proxy issued.
    pub drop_operator_nas_id: bool,
}

/// The request `req` (from a NAS) rewritten for a home server with secret
/// `home`. Attributes keep their order; Message-Authenticator is recomputed.
pub fn forward_request(
    req: &Request,
    home: &Secret,
    rw: &Rewrite<'_>,
) -> Result<ClientRequest, ForwardError> {
    let code = req.code();
    let mut out = ClientRequest::new(code);
    // The NAS's attributes, and room for what this hop adds.
    out.reserve(req.raw().len() + 64);
    if req.has_message_authenticator() {
        out.set_message_authenticator(true);
    }
    let enc = |e: radius_core::EncodeError| ForwardError::Encode(e.to_string());
    // Decoded only when the request has one (most have none).
    let mut tunnel_passwords = None;
    let mut chap = false;
    let mut chap_challenge = false;
    let mut has_operator_name = false;
    let mut has_operator_nas_id = false;
    let (ext, nas_id) = OPERATOR_NAS_IDENTIFIER;
    for a in Attributes::new(&req.raw()[20..]) {
        match a.typ {
            MESSAGE_AUTHENTICATOR => {}
            t if t == ext && a.value.first() == Some(&nas_id) => {
                has_operator_nas_id = true;
                if !rw.drop_operator_nas_id {
                    out.attr(t, a.value).map_err(enc)?;
                }
            }
            USER_NAME if rw.user_name.is_some() => {
                out.attr(USER_NAME, rw.user_name.unwrap_or_default())
                    .map_err(enc)?;
            }
            USER_PASSWORD => {
                let mut plain = Vec::new();
                req.decrypt_user_password(a.value, &mut plain)
                    .map_err(|e| ForwardError::Crypto("User-Password", e.to_string()))?;
                let mut v = Vec::new();
                crypto::encrypt_user_password(&plain, home, out.authenticator(), &mut v)
                    .map_err(|e| ForwardError::Crypto("User-Password", e.to_string()))?;
                out.attr(USER_PASSWORD, &v).map_err(enc)?;
            }
            TUNNEL_PASSWORD => match tunnel_passwords
                .get_or_insert_with(|| req.get_all::<TunnelPassword>().into_iter())
                .next()
            {
                Some(Ok(tp)) => out.add(&tp, home).map_err(enc)?,
                _ => return Err(ForwardError::Crypto("Tunnel-Password", "malformed".into())),
            },
            t => {
                chap |= t == CHAP_PASSWORD;
                chap_challenge |= t == CHAP_CHALLENGE;
                has_operator_name |= t == OPERATOR_NAME;
                out.attr(t, a.value).map_err(enc)?;
            }
        }
    }
    if let (Some(name), false) = (rw.operator_name, has_operator_name) {
        out.attr(OPERATOR_NAME, name).map_err(enc)?;
    }
    if let (Some(token), false) = (rw.operator_nas_id, has_operator_nas_id) {
        let mut v = Vec::with_capacity(1 + token.len());
        v.push(nas_id);
        v.extend_from_slice(token);
        out.attr(ext, &v).map_err(enc)?;
    }
    // CHAP's challenge was the NAS's Request Authenticator (RFC 2865 §2.2):
    // the home server must see it, and this hop's authenticator differs.
    if chap && !chap_challenge {
        out.attr(CHAP_CHALLENGE, req.authenticator()).map_err(enc)?;
    }
    out.attr(PROXY_STATE, rw.proxy_state).map_err(enc)?;
    Ok(out)
}

/// One attribute of the reply for the NAS.
enum Relay {
    Raw(u8, Vec<u8>),
    Tunnel(TunnelPassword),
    Send(Vec<u8>),
    Recv(Vec<u8>),
    ChapKeys(Vec<u8>),
}

/// The home server's verified reply `packet` to our request (whose
/// authenticator was `our_auth`, secret `home`), as the reply to send to
/// the NAS for its request of code `asked`.
pub fn relay_reply(
    asked: Code,
    packet: &[u8],
    our_auth: &[u8; 16],
    home: &Secret,
) -> Result<Reply, ForwardError> {
    let code = Code(packet[0]);
    if !crate::client::is_reply_to(asked, code) {
        return Err(ForwardError::Code(code));
    }
    let salted = |v: &[u8], what| {
        let mut p = Vec::new();
        crypto::decrypt_tunnel_password(v, home, our_auth, &mut p)
            .map(|()| p)
            .map_err(|e| ForwardError::Crypto(what, e.to_string()))
    };
    let mut items = Vec::new();
    for a in Attributes::new(&packet[20..]) {
        match a.typ {
            MESSAGE_AUTHENTICATOR | PROXY_STATE => {}
            TUNNEL_PASSWORD => {
                let (&tag, rest) = a
                    .value
                    .split_first()
                    .ok_or(ForwardError::Crypto("Tunnel-Password", "empty".into()))?;
                let plain = String::from_utf8(salted(rest, "Tunnel-Password")?).map_err(|_| {
                    ForwardError::Crypto("Tunnel-Password", "not UTF-8 text".into())
                })?;
                items.push(Relay::Tunnel(TunnelPassword::new(plain).with_tag(tag)));
            }
            VENDOR_SPECIFIC if a.value.len() > 4 && a.value[..4] == MICROSOFT.to_be_bytes() => {
                // Microsoft VSAs (RFC 2548 §2), sub-attribute by sub-attribute.
                let mut rest = &a.value[4..];
                while let [t, l, ..] = *rest {
                    let l = (l as usize).clamp(2, rest.len());
                    let v = &rest[2..l];
                    match t {
                        MS_MPPE_SEND_KEY => {
                            items.push(Relay::Send(salted(v, "MS-MPPE-Send-Key")?));
                        }
                        MS_MPPE_RECV_KEY => {
                            items.push(Relay::Recv(salted(v, "MS-MPPE-Recv-Key")?));
                        }
                        MS_CHAP_MPPE_KEYS => {
                            let mut p = Vec::new();
                            crypto::decrypt_user_password_padded(v, home, our_auth, &mut p)
                                .map_err(|e| {
                                    ForwardError::Crypto("MS-CHAP-MPPE-Keys", e.to_string())
                                })?;
                            p.truncate(24);
                            items.push(Relay::ChapKeys(p));
                        }
                        _ => {
                            let mut vsa = MICROSOFT.to_be_bytes().to_vec();
                            vsa.extend_from_slice(&rest[..l]);
                            items.push(Relay::Raw(VENDOR_SPECIFIC, vsa));
                        }
                    }
                    rest = &rest[l..];
                }
            }
            t => items.push(Relay::Raw(t, a.value.to_vec())),
        }
    }
    macro_rules! build {
        ($($c:ident => $t:ident),*) => {
            match code {
                $(Code::$c => {
                    let mut r = $t::new();
                    for i in items {
                        r = match i {
                            Relay::Raw(t, v) => r.with_raw(t, &v),
                            Relay::Tunnel(tp) => r.with(tp),
                            Relay::Send(k) => r.with(MsMppeSendKey::new(k)),
                            Relay::Recv(k) => r.with(MsMppeRecvKey::new(k)),
                            Relay::ChapKeys(k) => r.with(MsChapMppeKeys::new(k)),
                        };
                    }
                    Ok(r.into())
                })*
                other => Err(ForwardError::Code(other)),
            }
        };
    }
    build!(
        ACCESS_ACCEPT => AccessAccept,
        ACCESS_REJECT => AccessReject,
        ACCESS_CHALLENGE => AccessChallenge,
        ACCOUNTING_RESPONSE => AccountingResponse,
        COA_ACK => CoaAck,
        COA_NAK => CoaNak,
        DISCONNECT_ACK => DisconnectAck,
        DISCONNECT_NAK => DisconnectNak
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{Client, ClientConfig};
    use crate::port::PortKind;
    use radius_core::Packet;

    const NAS: &[u8] = b"nas-secret";
    const HOME: &[u8] = b"home-secret";

    /// An Access-Request from the NAS: User-Name, User-Password "hello",
    /// Tunnel-Password:1 "tun", two NAS Proxy-States, CHAP or not.
    fn nas_request(chap: bool) -> Request {
        let secret = Secret::new(NAS);
        let auth = [7u8; 16];
        let mut body = Vec::new();
        let mut push = |t: u8, v: &[u8]| {
            body.push(t);
            body.push(2 + v.len() as u8);
            body.extend_from_slice(v);
        };
        push(USER_NAME, b"bob@example.org");
        if chap {
            push(CHAP_PASSWORD, &[1; 17]);
        } else {
            let mut pw = Vec::new();
            crypto::encrypt_user_password(b"hello", &secret, &auth, &mut pw).unwrap();
            push(USER_PASSWORD, &pw);
        }
        let mut tp = vec![1];
        crypto::encrypt_tunnel_password(b"tun", &secret, &auth, None, &mut tp).unwrap();
        push(TUNNEL_PASSWORD, &tp);
        push(PROXY_STATE, b"nas-ps-1");
        push(4, &[192, 0, 2, 1]);
        push(PROXY_STATE, b"nas-ps-2");
        let mut pkt = vec![1, 42, 0, 0];
        pkt.extend_from_slice(&auth);
        pkt.extend_from_slice(&body);
        let n = pkt.len() as u16;
        pkt[2..4].copy_from_slice(&n.to_be_bytes());
        let client = Client::new(ClientConfig::new("nas", NAS));
        Request::new(
            &pkt,
            client,
            "192.0.2.1:1645".parse().unwrap(),
            PortKind::Auth,
            false,
            None,
        )
    }

    /// The forwarded request as the home server receives it.
    fn on_the_wire(fwd: &ClientRequest) -> Vec<u8> {
        let mut out = Vec::new();
        fwd.encode(9, &Secret::new(HOME), &mut out).unwrap();
        out
    }

    #[test]
    fn user_password_uses_the_batch_keystream_when_there_is_one() {
        let rw = Rewrite {
            proxy_state: b"ours",
            ..Rewrite::default()
        };
        let clear = |req: &Request| {
            let wire = on_the_wire(&forward_request(req, &Secret::new(HOME), &rw).unwrap());
            let auth: [u8; 16] = wire[4..20].try_into().unwrap();
            let p = Packet::decode(&wire).unwrap();
            let v = p
                .attributes()
                .find(|a| a.typ == USER_PASSWORD)
                .unwrap()
                .value
                .to_vec();
            let mut pw = Vec::new();
            crypto::decrypt_user_password(&v, &Secret::new(HOME), &auth, &mut pw).unwrap();
            pw
        };
        let mut req = nas_request(false);
        assert_eq!(clear(&req), b"hello");
        // MD5(secret + Request Authenticator), as the engine's batch sets
        // it: the first cipher block XOR the padded "hello" (RFC 2865 §5.2).
        let c1 = req.raw_attrs(USER_PASSWORD).next().unwrap()[..16].to_vec();
        let mut first = [0u8; 16];
        first[..5].copy_from_slice(b"hello");
        first.iter_mut().zip(&c1).for_each(|(k, c)| *k ^= c);
        req.set_keystream(Some(first));
        assert_eq!(clear(&req), b"hello");
        // A wrong keystream shows it is the one used.
        req.set_keystream(Some([0u8; 16]));
        assert_ne!(clear(&req), b"hello");
    }

    #[test]
    fn passwords_are_re_encrypted_for_the_home_secret() {
        let req = nas_request(false);
        let rw = Rewrite {
            user_name: Some(b"bob"),
            proxy_state: b"ours",
            ..Rewrite::default()
        };
        let fwd = forward_request(&req, &Secret::new(HOME), &rw).unwrap();
        let wire = on_the_wire(&fwd);
        let p = Packet::decode(&wire).unwrap();
        let auth: [u8; 16] = wire[4..20].try_into().unwrap();
        assert_ne!(auth, [7u8; 16], "a new Request Authenticator per hop");
        let attrs: Vec<_> = p.attributes().map(|a| (a.typ, a.value.to_vec())).collect();
        // Message-Authenticator first, then the NAS's order, ours last.
        assert_eq!(attrs[0].0, MESSAGE_AUTHENTICATOR);
        assert_eq!(attrs[1], (USER_NAME, b"bob".to_vec()));
        let mut pw = Vec::new();
        crypto::decrypt_user_password(&attrs[2].1, &Secret::new(HOME), &auth, &mut pw).unwrap();
        assert_eq!(pw, b"hello");
        let mut tp = Vec::new();
        crypto::decrypt_tunnel_password(&attrs[3].1[1..], &Secret::new(HOME), &auth, &mut tp)
            .unwrap();
        assert_eq!((attrs[3].1[0], tp.as_slice()), (1, &b"tun"[..]));
        let ps: Vec<_> = attrs
            .iter()
            .filter(|a| a.0 == PROXY_STATE)
            .map(|a| a.1.clone())
            .collect();
        assert_eq!(
            ps,
            [b"nas-ps-1".to_vec(), b"nas-ps-2".to_vec(), b"ours".to_vec()]
        );
        assert_eq!(attrs.last().unwrap(), &(PROXY_STATE, b"ours".to_vec()));
        // The home server's view verifies: Message-Authenticator under its secret.
        assert!(p
            .verify_message_authenticator(&Secret::new(HOME), &auth)
            .unwrap_or(false));
    }

    #[test]
    fn operator_attributes_are_added_kept_or_dropped() {
        use super::super::operator::operator_nas_identifiers;
        let req = nas_request(false);
        let attrs_of = |rw: &Rewrite<'_>| {
            let fwd = forward_request(&req, &Secret::new(HOME), rw).unwrap();
            on_the_wire(&fwd)[20..].to_vec()
        };
        let added = attrs_of(&Rewrite {
            proxy_state: b"ours",
            operator_name: Some(b"1visited.example"),
            operator_nas_id: Some(b"token"),
            ..Rewrite::default()
        });
        let all: Vec<_> = Attributes::new(&added).map(|a| (a.typ, a.value)).collect();
        assert!(all.contains(&(OPERATOR_NAME, &b"1visited.example"[..])));
        assert_eq!(
            operator_nas_identifiers(&added).collect::<Vec<_>>(),
            [&b"token"[..]]
        );
        // Ours is still the last attribute.
        assert_eq!(all.last().unwrap(), &(PROXY_STATE, &b"ours"[..]));

        // A request that has both keeps them, and a CoA on its way to the
        // NAS loses the identifier.
        let mut with = req.raw().to_vec();
        with.extend_from_slice(&[OPERATOR_NAME, 5, b'1', b'n', b'x']);
        with.extend_from_slice(&[241, 6, 8, b'n', b'a', b's']);
        let n = with.len() as u16;
        with[2..4].copy_from_slice(&n.to_be_bytes());
        let req2 = Request::new(
            &with,
            req.client().clone(),
            req.source(),
            PortKind::Auth,
            false,
            None,
        );
        let fwd = forward_request(
            &req2,
            &Secret::new(HOME),
            &Rewrite {
                proxy_state: b"ours",
                operator_name: Some(b"1visited.example"),
                operator_nas_id: Some(b"token"),
                ..Rewrite::default()
            },
        )
        .unwrap();
        let kept = on_the_wire(&fwd)[20..].to_vec();
        let names: Vec<_> = Attributes::new(&kept)
            .filter(|a| a.typ == OPERATOR_NAME)
            .map(|a| a.value)
            .collect();
        assert_eq!(names, [&b"1nx"[..]]);
        assert_eq!(
            operator_nas_identifiers(&kept).collect::<Vec<_>>(),
            [&b"nas"[..]]
        );
        let fwd = forward_request(
            &req2,
            &Secret::new(HOME),
            &Rewrite {
                proxy_state: b"ours",
                drop_operator_nas_id: true,
                ..Rewrite::default()
            },
        )
        .unwrap();
        assert_eq!(
            operator_nas_identifiers(&on_the_wire(&fwd)[20..]).count(),
            0
        );
    }

    #[test]
    fn chap_takes_the_nas_authenticator_along() {
        let req = nas_request(true);
        let rw = Rewrite {
            user_name: None,
            proxy_state: b"ours",
            ..Rewrite::default()
        };
        let wire = on_the_wire(&forward_request(&req, &Secret::new(HOME), &rw).unwrap());
        let p = Packet::decode(&wire).unwrap();
        let chal: Vec<_> = p
            .attributes()
            .filter(|a| a.typ == CHAP_CHALLENGE)
            .map(|a| a.value.to_vec())
            .collect();
        assert_eq!(chal, [vec![7u8; 16]]);
        let name: Vec<_> = p
            .attributes()
            .filter(|a| a.typ == USER_NAME)
            .map(|a| a.value.to_vec())
            .collect();
        assert_eq!(
            name,
            [b"bob@example.org".to_vec()],
            "no strip asked: the name is kept"
        );
    }

    #[test]
    fn reply_keys_are_decrypted_for_re_encryption_and_proxy_states_dropped() {
        let home = Secret::new(HOME);
        let our_auth = [3u8; 16];
        let mut body = Vec::new();
        let mut push = |t: u8, v: &[u8]| {
            body.push(t);
            body.push(2 + v.len() as u8);
            body.extend_from_slice(v);
        };
        push(18, b"hi");
        let mut recv = Vec::new();
        crypto::encrypt_tunnel_password(&[0xab; 32], &home, &our_auth, None, &mut recv).unwrap();
        let mut vsa = MICROSOFT.to_be_bytes().to_vec();
        vsa.extend_from_slice(&[MS_MPPE_RECV_KEY, 2 + recv.len() as u8]);
        vsa.extend_from_slice(&recv);
        push(VENDOR_SPECIFIC, &vsa);
        push(PROXY_STATE, b"nas-ps-1");
        push(PROXY_STATE, b"ours");
        push(MESSAGE_AUTHENTICATOR, &[0; 16]);
        let mut pkt = vec![2, 9, 0, 0];
        pkt.extend_from_slice(&[0; 16]);
        pkt.extend_from_slice(&body);
        let n = pkt.len() as u16;
        pkt[2..4].copy_from_slice(&n.to_be_bytes());
        let Reply::AccessAccept(a) =
            relay_reply(Code::ACCESS_REQUEST, &pkt, &our_auth, &home).unwrap()
        else {
            panic!("an Access-Accept")
        };
        // Written for the NAS with its secret and authenticator: the key
        // decrypts to the same 32 octets, nothing else is encrypted.
        let nas = Secret::new(NAS);
        let nas_auth = [5u8; 16];
        let ctx = radius_core::typed::CryptoCtx {
            secret: &nas,
            authenticator: &nas_auth,
        };
        let mut out = Vec::new();
        a.attrs().write(&mut out, &ctx).unwrap();
        let attrs: Vec<_> = Attributes::new(&out)
            .map(|a| (a.typ, a.value.to_vec()))
            .collect();
        assert_eq!(attrs[0], (18, b"hi".to_vec()));
        assert!(attrs
            .iter()
            .all(|a| a.0 != PROXY_STATE && a.0 != MESSAGE_AUTHENTICATOR));
        let v = &attrs[1].1;
        assert_eq!(&v[..4], &MICROSOFT.to_be_bytes());
        assert_eq!(v[4], MS_MPPE_RECV_KEY);
        let mut k = Vec::new();
        crypto::decrypt_tunnel_password(&v[6..], &nas, &nas_auth, &mut k).unwrap();
        assert_eq!(k, [0xab; 32]);
    }

    #[test]
    fn a_reply_of_the_wrong_kind_is_refused() {
        let pkt = [
            5u8, 1, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        let e = relay_reply(Code::ACCESS_REQUEST, &pkt, &[0; 16], &Secret::new(HOME));
        assert!(matches!(e, Err(ForwardError::Code(_))));
    }
}
