//! Batched authenticators (SIMD lanes) give exactly what the one-at-a-time
//! code gives, for every mix of packet kinds, sizes and secrets, on both
//! sides of the lane threshold.

use radius_core::crypto::batch::{
    expected_for_replies, expected_for_requests, sign_replies, sign_requests, ReplyToCheck,
    RequestToSign, MIN_BATCH,
};
use radius_core::crypto::{decrypt_user_password, decrypt_user_password_keyed};
use radius_core::md5x::Md5Batch;
use radius_core::packet::AuthError;
use radius_core::{Code, Packet, PacketWriter, Secret};

fn secrets() -> Vec<Secret> {
    vec![
        Secret::new("testing123"),
        Secret::new("x"),
        Secret::new(vec![b'k'; 70]), // longer than a block: hashed key
    ]
}

/// Requests of several kinds: (octets, secret index).
fn requests(n: usize) -> Vec<(Vec<u8>, usize)> {
    let s = secrets();
    (0..n)
        .map(|i| {
            let k = i % s.len();
            let code = [
                Code::ACCESS_REQUEST,
                Code::ACCOUNTING_REQUEST,
                Code::COA_REQUEST,
                Code::STATUS_SERVER,
            ][i % 4];
            let mut buf = Vec::new();
            let mut w = PacketWriter::request(&mut buf, code, i as u8);
            if i % 3 != 1 || code == Code::STATUS_SERVER {
                w.message_authenticator().unwrap();
            }
            w.attr(1, &vec![b'u'; 1 + i * 7 % 200]).unwrap();
            w.finish(&s[k]).unwrap();
            (buf, k)
        })
        .collect()
}

#[test]
fn expected_authenticators_match_verify_request() {
    let s = secrets();
    let mut scratch = Md5Batch::new();
    let mut out = Vec::new();
    for n in [1, MIN_BATCH - 1, MIN_BATCH, 13, 40] {
        let mut reqs = requests(n);
        // Tamper with some: a flipped attribute octet breaks MA or digest.
        for (i, (r, _)) in reqs.iter_mut().enumerate() {
            if i % 5 == 2 {
                let last = r.len() - 1;
                r[last] ^= 1;
            }
        }
        let packets: Vec<Packet<'_>> = reqs
            .iter()
            .map(|(r, _)| Packet::decode(r).unwrap())
            .collect();
        let items: Vec<_> = packets
            .iter()
            .zip(&reqs)
            .map(|(p, (_, k))| p.to_check(&s[*k]))
            .collect();
        expected_for_requests(&items, &mut scratch, &mut out);
        assert_eq!(out.len(), n);
        let mut failures = 0;
        for (i, (p, (_, k))) in packets.iter().zip(&reqs).enumerate() {
            let one = p.verify_request(&s[*k]);
            let batched = p.verify_request_expected(&out[i]);
            assert_eq!(batched, one, "request {i} of {n}");
            failures += usize::from(one.is_err());
            // The User-Password keystream decrypts like the plain path.
            match p.find(2) {
                Some(c) => {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    decrypt_user_password(c, &s[*k], p.authenticator(), &mut a).unwrap();
                    let first = out[i].keystream.expect("Access-Request with User-Password");
                    decrypt_user_password_keyed(c, &s[*k], &first, &mut b).unwrap();
                    assert_eq!(a, b);
                    assert!(a.iter().all(|&x| x == b'p'), "{a:?}");
                }
                None => assert_eq!(out[i].keystream, None),
            }
        }
        if n >= 13 {
            assert!(failures > 0, "tampered requests must fail");
        }
        // And a wrong secret fails everything that is authenticated.
        let wrong = Secret::new("wrong");
        let items: Vec<_> = packets.iter().map(|p| p.to_check(&wrong)).collect();
        expected_for_requests(&items, &mut scratch, &mut out);
        for (i, p) in packets.iter().enumerate() {
            assert_eq!(p.verify_request_expected(&out[i]), p.verify_request(&wrong));
        }
    }
    assert!(matches!(
        Packet::decode(&requests(2)[1].0)
            .unwrap()
            .verify_request_expected(&Default::default()),
        Err(AuthError::RequestAuthenticator)
    ));
}

#[test]
fn batch_signed_replies_equal_finish() {
    let s = secrets();
    let mut scratch = Md5Batch::new();
    for n in [1, MIN_BATCH - 1, MIN_BATCH, 13, 40] {
        let mut want = Vec::new();
        let mut got = Vec::new();
        let mut pending = Vec::new();
        for i in 0..n {
            let k = i % s.len();
            let auth = [i as u8; 16];
            let code = [
                Code::ACCESS_ACCEPT,
                Code::ACCOUNTING_RESPONSE,
                Code::ACCESS_REJECT,
            ][i % 3];
            fn build<'b>(
                buf: &'b mut Vec<u8>,
                code: Code,
                i: usize,
                auth: &[u8; 16],
            ) -> PacketWriter<'b> {
                let mut w = PacketWriter::reply(buf, code, i as u8, auth);
                if code != Code::ACCOUNTING_RESPONSE {
                    w.message_authenticator().unwrap();
                }
                w.attr(18, &vec![b'r'; i * 13 % 250]).unwrap();
                w
            }
            let mut a = Vec::new();
            build(&mut a, code, i, &auth).finish(&s[k]).unwrap();
            want.push(a);
            let mut b = Vec::new();
            let u = build(&mut b, code, i, &auth)
                .finish_or_defer(&s[k])
                .unwrap()
                .expect("a reply is deferred");
            got.push(b);
            pending.push((u, k));
        }
        let mut items: Vec<_> = got
            .iter_mut()
            .zip(&pending)
            .map(|(b, (u, k))| u.to_sign(b, &s[*k]))
            .collect();
        sign_replies(&mut items, &mut scratch);
        assert_eq!(got, want, "{n} replies");
        // Each verifies as a reply to its request.
        for (i, g) in got.iter().enumerate() {
            Packet::decode(g)
                .unwrap()
                .verify_reply(&s[i % s.len()], &[i as u8; 16])
                .unwrap();
        }
    }
    // Requests are not deferred: finish_or_defer finishes them.
    let mut buf = Vec::new();
    let w = PacketWriter::request(&mut buf, Code::ACCOUNTING_REQUEST, 1);
    assert!(w.finish_or_defer(&s[0]).unwrap().is_none());
    Packet::decode(&buf).unwrap().verify_request(&s[0]).unwrap();
}

#[test]
fn batch_signed_requests_equal_finish() {
    let s = secrets();
    let mut scratch = Md5Batch::new();
    for n in [1, MIN_BATCH - 1, MIN_BATCH, 13, 40] {
        let mut want = Vec::new();
        let mut got = Vec::new();
        let mut offsets = Vec::new();
        for i in 0..n {
            let code = [Code::ACCESS_REQUEST, Code::STATUS_SERVER][i % 2];
            fn build(buf: &mut Vec<u8>, code: Code, i: usize) -> PacketWriter<'_> {
                let mut w = PacketWriter::request_with_authenticator(
                    buf,
                    code,
                    i as u8,
                    [i as u8 ^ 0x5a; 16],
                );
                w.message_authenticator().unwrap();
                w.attr(1, &vec![b'u'; 1 + i * 11 % 240]).unwrap();
                w
            }
            let mut a = Vec::new();
            build(&mut a, code, i).finish(&s[i % s.len()]).unwrap();
            want.push(a);
            let mut b = Vec::new();
            let off = build(&mut b, code, i)
                .finish_request_or_defer(&s[i % s.len()])
                .unwrap()
                .expect("deferred");
            got.push(b);
            offsets.push(off);
        }
        let mut items: Vec<_> = got
            .iter_mut()
            .zip(&offsets)
            .enumerate()
            .map(|(i, (b, &ma_offset))| RequestToSign {
                packet: b,
                ma_offset,
                secret: &s[i % s.len()],
            })
            .collect();
        sign_requests(&mut items, &mut scratch);
        assert_eq!(got, want, "{n} requests");
    }
    // Only Access-Request and Status-Server with an MA are deferred.
    let mut buf = Vec::new();
    let mut w = PacketWriter::request(&mut buf, Code::ACCOUNTING_REQUEST, 1);
    w.message_authenticator().unwrap();
    assert!(w.finish_request_or_defer(&s[0]).unwrap().is_none());
    Packet::decode(&buf).unwrap().verify_request(&s[0]).unwrap();
    let mut buf = Vec::new();
    let w = PacketWriter::request(&mut buf, Code::ACCESS_REQUEST, 1);
    assert!(w.finish_request_or_defer(&s[0]).unwrap().is_none());
}

#[test]
fn expected_response_authenticators_match_verify_reply() {
    let s = secrets();
    let mut scratch = Md5Batch::new();
    let mut out = Vec::new();
    for n in [1, MIN_BATCH - 1, MIN_BATCH, 13, 40] {
        // Replies signed one at a time (PacketWriter::finish), some then
        // tampered with: a flipped attribute octet or a wrong request.
        let replies: Vec<(Vec<u8>, [u8; 16], usize)> = (0..n)
            .map(|i| {
                let k = i % s.len();
                let auth = [i as u8 ^ 0x5a; 16];
                let mut buf = Vec::new();
                let code = [Code::ACCESS_ACCEPT, Code::ACCOUNTING_RESPONSE][i % 2];
                let mut w = PacketWriter::reply(&mut buf, code, i as u8, &auth);
                if i % 3 == 0 {
                    w.message_authenticator().unwrap();
                }
                w.attr(18, &vec![b'r'; 1 + i * 11 % 240]).unwrap();
                w.finish(&s[k]).unwrap();
                match i % 5 {
                    2 => {
                        let last = buf.len() - 1;
                        buf[last] ^= 1;
                        (buf, auth, k)
                    }
                    4 => (buf, [0xee; 16], k),
                    _ => (buf, auth, k),
                }
            })
            .collect();
        let items: Vec<ReplyToCheck<'_>> = replies
            .iter()
            .map(|(p, auth, k)| ReplyToCheck {
                packet: p,
                request_auth: *auth,
                secret: &s[*k],
            })
            .collect();
        expected_for_replies(&items, &mut scratch, &mut out);
        assert_eq!(out.len(), n);
        for (i, ((p, auth, k), want)) in replies.iter().zip(&out).enumerate() {
            let pkt = Packet::decode(p).unwrap();
            let one = pkt.verify_reply(&s[*k], auth);
            let batched = pkt.verify_reply_expected(&s[*k], auth, want);
            assert_eq!(one, batched, "reply {i} of {n}");
            assert_eq!(
                one.is_ok(),
                i % 5 != 2 && i % 5 != 4,
                "reply {i} of {n}: {one:?}"
            );
        }
    }
}

#[test]
fn expected_per_datagram_pairs_each_reply_and_skips_the_rest() {
    use radius_core::crypto::batch::{by_length, expected_per_datagram};
    let s = Secret::new("testing123");
    let mut datagrams = Vec::new();
    for i in 0..9u8 {
        let auth = [i; 16];
        let mut buf = Vec::new();
        let mut w = PacketWriter::reply(&mut buf, Code::ACCESS_ACCEPT, i, &auth);
        w.attr(18, &vec![b'm'; i as usize * 9]).unwrap();
        w.finish(&s).unwrap();
        // Trailing octets past Length are not part of the packet.
        buf.extend_from_slice(&[0xee; 3]);
        datagrams.push((buf, auth));
    }
    assert_eq!(by_length(&[1, 2, 0, 19]), None);
    assert_eq!(by_length(&[0u8; 19]), None);
    let mut out = Vec::new();
    let checks = datagrams.iter().enumerate().map(|(i, (d, auth))| {
        (i % 4 != 3).then(|| ReplyToCheck {
            packet: by_length(d).unwrap(),
            request_auth: *auth,
            secret: &s,
        })
    });
    expected_per_datagram(checks, &mut Md5Batch::new(), &mut out);
    assert_eq!(out.len(), datagrams.len());
    for (i, ((d, auth), pre)) in datagrams.iter().zip(&out).enumerate() {
        if i % 4 == 3 {
            assert_eq!(*pre, None);
            continue;
        }
        let (a, e) = pre.unwrap();
        assert_eq!(a, *auth);
        // The expected value is the one the reply carries.
        assert_eq!(&e[..], &by_length(d).unwrap()[4..20], "datagram {i}");
    }
}
