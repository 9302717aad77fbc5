//! Codec benchmark: the request->reply work of a RADIUS server without
//! sockets, ours next to the `radius` crate (radius-rs) in the same run.
//!
//! One round = decode a 12-attribute Access-Request, verify its
//! Message-Authenticator, read User-Name, decrypt User-Password, then encode
//! an Access-Accept with Message-Authenticator (first), Session-Timeout and
//! Reply-Message and its Response Authenticator. radius-rs has no
//! Message-Authenticator support, so its rounds do that with the `hmac`
//! crate, as a radius-rs server that checked it would have to.
//!
//! `sixteen_requests_to_accepts` does sixteen such rounds: ours one by one,
//! ours batched as the UDP server does (authenticators and keystreams in
//! SIMD lanes, `radius_core::crypto::batch`), and radius-rs.
use std::hint::black_box;
use std::net::Ipv4Addr;

use criterion::{criterion_group, criterion_main, Criterion};
use radius_core::crypto::{self, Secret};
use radius_core::packet::{Code, Packet, PacketWriter};

const SECRET: &[u8] = b"testing123";

fn request() -> Vec<u8> {
    let s = Secret::new(SECRET);
    let mut buf = Vec::new();
    let mut w = PacketWriter::request(&mut buf, Code::ACCESS_REQUEST, 42);
    let auth = w.authenticator();
    w.attr(1, b"bob").unwrap();
    w.attr_with(2, |o| {
        Ok(crypto::encrypt_user_password(b"hello", &s, &auth, o)?)
    })
    .unwrap();
    w.attr(4, &[10, 0, 0, 1]).unwrap();
    w.attr(5, &12345u32.to_be_bytes()).unwrap();
    w.attr(61, &15u32.to_be_bytes()).unwrap();
    w.attr(6, &2u32.to_be_bytes()).unwrap();
    w.attr(7, &1u32.to_be_bytes()).unwrap();
    w.attr(30, b"00-11-22-33-44-55:corp-wifi").unwrap();
    w.attr(31, b"66-77-88-99-AA-BB").unwrap();
    w.attr(32, b"nas01.example.net").unwrap();
    w.attr(44, b"5F3A0C1D-00000001").unwrap();
    w.message_authenticator().unwrap();
    w.finish(&s).unwrap();
    buf
}

/// Our round; `out` and `pw` are reused buffers as in the server.
fn ours(req: &[u8], s: &Secret, out: &mut Vec<u8>, pw: &mut Vec<u8>) -> usize {
    let p = Packet::decode(req).unwrap();
    assert_eq!(p.verify_request(s), Ok(true));
    answer(
        &p,
        out,
        |cipher, pw| crypto::decrypt_user_password(cipher, s, p.authenticator(), pw),
        pw,
    )
    .finish(s)
    .unwrap()
    .len()
}

/// Read User-Name and User-Password (decrypted by `decrypt`) and write the
/// reply, unsigned yet.
fn answer<'o>(
    p: &Packet<'_>,
    out: &'o mut Vec<u8>,
    decrypt: impl FnOnce(&[u8], &mut Vec<u8>) -> Result<(), radius_core::ValueError>,
    pw: &mut Vec<u8>,
) -> PacketWriter<'o> {
    let mut user: &[u8] = &[];
    let mut cipher: &[u8] = &[];
    for a in p.attributes() {
        match a.typ {
            1 => user = a.value,
            2 => cipher = a.value,
            _ => {}
        }
    }
    decrypt(cipher, pw).unwrap();
    let ok = user == b"bob" && pw.as_slice() == b"hello";
    let code = if ok {
        Code::ACCESS_ACCEPT
    } else {
        Code::ACCESS_REJECT
    };
    let mut w = PacketWriter::reply(out, code, p.identifier(), p.authenticator());
    w.message_authenticator().unwrap();
    w.attr(27, &3600u32.to_be_bytes()).unwrap();
    w.attr(18, b"Welcome, bob").unwrap();
    w
}

/// Sixteen rounds the way the UDP server does a received batch: every
/// request's Message-Authenticator and User-Password keystream computed
/// together in SIMD lanes, then every reply signed together.
fn ours_batched(
    reqs: &[Vec<u8>],
    s: &Secret,
    outs: &mut [Vec<u8>],
    md5: &mut radius_core::md5x::Md5Batch,
    expected: &mut Vec<crypto::batch::Expected>,
    pw: &mut Vec<u8>,
) -> usize {
    let packets: Vec<Packet<'_>> = reqs.iter().map(|r| Packet::decode(r).unwrap()).collect();
    let items: Vec<_> = packets.iter().map(|p| p.to_check(s)).collect();
    crypto::batch::expected_for_requests(&items, md5, expected);
    let mut unsigned = Vec::with_capacity(reqs.len());
    for ((p, e), out) in packets.iter().zip(expected.iter()).zip(outs.iter_mut()) {
        assert_eq!(p.verify_request_expected(e), Ok(true));
        let key = e.keystream.unwrap();
        let w = answer(
            p,
            out,
            |cipher, pw| crypto::decrypt_user_password_keyed(cipher, s, &key, pw),
            pw,
        );
        unsigned.push(w.finish_or_defer(s).unwrap().unwrap());
    }
    let mut jobs: Vec<_> = outs
        .iter_mut()
        .zip(&unsigned)
        .map(|(o, u)| u.to_sign(o, s))
        .collect();
    crypto::batch::sign_replies(&mut jobs, md5);
    outs.iter().map(Vec::len).sum()
}

fn rs_verify_ma(bs: &[u8]) -> bool {
    use hmac::{Hmac, Mac};
    let mut i = 20;
    let mut at = None;
    while i + 2 <= bs.len() {
        let l = bs[i + 1] as usize;
        if bs[i] == 80 && l == 18 {
            at = Some(i + 2);
            break;
        }
        i += l.max(2);
    }
    let Some(at) = at else { return false };
    let mut m = Hmac::<md5::Md5>::new_from_slice(SECRET).unwrap();
    m.update(&bs[..at]);
    m.update(&[0u8; 16]);
    m.update(&bs[at + 16..]);
    m.verify_slice(&bs[at..at + 16]).is_ok()
}

fn radius_rs(req: &[u8]) -> Vec<u8> {
    use radius::core::code::Code as RCode;
    use radius::core::packet::Packet as RPacket;
    use radius::core::rfc2865;
    assert!(rs_verify_ma(req));
    let p = RPacket::decode(req, SECRET).unwrap();
    let user = rfc2865::lookup_user_name(&p).unwrap().unwrap();
    let pass = rfc2865::lookup_user_password(&p).unwrap().unwrap();
    let ok = user == "bob" && pass == b"hello";
    let mut r = p.make_response_packet(if ok {
        RCode::AccessAccept
    } else {
        RCode::AccessReject
    });
    rfc2865::add_session_timeout(&mut r, 3600);
    rfc2865::add_reply_message(&mut r, "Welcome, bob");
    r.encode().unwrap()
}

fn bench(c: &mut Criterion) {
    let req = request();
    let s = Secret::new(SECRET);
    let (mut out, mut pw) = (Vec::with_capacity(4096), Vec::with_capacity(128));
    assert_eq!(ours(&req, &s, &mut out, &mut pw), out.len());
    assert_eq!(out[0], 2, "Access-Accept");
    assert_eq!(out[20], 80, "Message-Authenticator first");
    assert_eq!(
        Packet::decode(&out)
            .unwrap()
            .verify_reply(&s, Packet::decode(&req).unwrap().authenticator()),
        Ok(true)
    );
    assert_eq!(radius_rs(&req)[0], 2);
    let _ = Ipv4Addr::LOCALHOST;

    let mut g = c.benchmark_group("access_request_to_accept");
    g.bench_function("typed-radius", |b| {
        b.iter(|| ours(black_box(&req), &s, &mut out, &mut pw))
    });
    g.bench_function("radius-rs", |b| b.iter(|| radius_rs(black_box(&req))));
    g.finish();

    // A batch of 16 as the server sees it: one by one, and in lanes.
    let reqs: Vec<Vec<u8>> = (0..16).map(|_| request()).collect();
    let mut outs: Vec<Vec<u8>> = (0..16).map(|_| Vec::with_capacity(4096)).collect();
    let mut md5 = radius_core::md5x::Md5Batch::new();
    let mut expected = Vec::new();
    ours_batched(&reqs, &s, &mut outs, &mut md5, &mut expected, &mut pw);
    for (r, o) in reqs.iter().zip(&outs) {
        let mut one = Vec::new();
        ours(r, &s, &mut one, &mut pw);
        assert_eq!(&one, o, "batched reply == one-by-one reply");
    }
    let mut g = c.benchmark_group("sixteen_requests_to_accepts");
    g.bench_function("typed-radius one by one", |b| {
        b.iter(|| {
            reqs.iter()
                .zip(outs.iter_mut())
                .map(|(r, o)| ours(black_box(r), &s, o, &mut pw))
                .sum::<usize>()
        })
    });
    g.bench_function("typed-radius batched", |b| {
        b.iter(|| {
            ours_batched(
                black_box(&reqs),
                &s,
                &mut outs,
                &mut md5,
                &mut expected,
                &mut pw,
            )
        })
    });
    g.bench_function("radius-rs", |b| {
        b.iter(|| {
            reqs.iter()
                .map(|r| radius_rs(black_box(r)).len())
                .sum::<usize>()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("pieces");
    g.bench_function("decode+validate", |b| {
        b.iter(|| Packet::decode(black_box(&req)).unwrap().len())
    });
    g.bench_function("verify_request_ma", |b| {
        let p = Packet::decode(&req).unwrap();
        b.iter(|| black_box(p).verify_request(&s).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
