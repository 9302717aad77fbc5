//! The authenticators of many packets at once, hashed in SIMD lanes
//! ([`crate::md5x`]): what a server does for each batch of datagrams.
//! Results are identical to the one-at-a-time functions of
//! [`crypto`](super); batches smaller than [`MIN_BATCH`] are computed one
//! at a time, which is faster.

use super::{message_authenticator, request_digest, response_authenticator, Secret};
use crate::md5x::{Md5Batch, Md5State};

/// Below this many packets, lanes cost more than they save (measured
/// per one-block message: ~400 ns alone in lanes, ~115 ns with 4, ~49 ns
/// with 13, against ~105 ns scalar).
pub const MIN_BATCH: usize = 4;

/// A reply whose Length and attributes are final and whose
/// Message-Authenticator value (if any) is sixteen zero octets.
#[derive(Debug)]
pub struct ReplyToSign<'a> {
    /// The packet octets; Message-Authenticator and Response
    /// Authenticator are written into them.
    pub packet: &'a mut [u8],
    /// The request's authenticator.
    pub request_auth: [u8; 16],
    /// Offset of the Message-Authenticator value, if the reply has one.
    pub ma_offset: Option<usize>,
    /// The shared secret.
    pub secret: &'a Secret,
}

/// Sign replies: Message-Authenticator (RFC 3579 §3.2), then the
/// Response Authenticator over it (RFC 2865 §3). `scratch` keeps its
/// buffers between calls.
pub fn sign_replies(items: &mut [ReplyToSign<'_>], scratch: &mut Md5Batch) {
    if items.len() < MIN_BATCH {
        for it in items.iter_mut() {
            if let Some(off) = it.ma_offset {
                let mac = message_authenticator(it.secret, it.packet, &it.request_auth, off);
                it.packet[off..off + 16].copy_from_slice(&mac);
            }
            let ra = response_authenticator(it.secret, it.packet, &it.request_auth);
            it.packet[4..20].copy_from_slice(&ra);
        }
        return;
    }
    // Message-Authenticators (keyed on the request's authenticator) first.
    let macs = hmac_lanes(
        items
            .iter()
            .filter_map(|it| Some((&*it.packet, it.request_auth, it.ma_offset?, it.secret))),
        scratch,
    );
    let mut macs = macs.iter();
    for it in items.iter_mut() {
        if let Some(off) = it.ma_offset {
            it.packet[off..off + 16].copy_from_slice(macs.next().expect("one per MA"));
        }
    }
    // Response Authenticators over the signed packets.
    scratch.clear();
    for it in items.iter() {
        let p = &*it.packet;
        scratch.push(
            Md5State::INITIAL,
            &[&p[..4], &it.request_auth, &p[20..], it.secret.as_bytes()],
        );
    }
    scratch.run();
    for (i, it) in items.iter_mut().enumerate() {
        it.packet[4..20].copy_from_slice(&scratch.digest(i));
    }
}

/// The Message-Authenticators (HMAC-MD5, RFC 3579 §3.2) of packets whose
/// MA value is sixteen zero octets at `offset`, each keyed on `auth` in
/// place of its authenticator field: inner hashes in one batch, then the
/// outer ones.
fn hmac_lanes<'x>(
    jobs: impl Iterator<Item = (&'x [u8], [u8; 16], usize, &'x Secret)>,
    scratch: &mut Md5Batch,
) -> Vec<[u8; 16]> {
    scratch.clear();
    let mut secrets = Vec::new();
    for (p, auth, off, secret) in jobs {
        scratch.push(
            secret.ipad_state,
            &[&p[..4], &auth, &p[20..off], &[0; 16], &p[off + 16..]],
        );
        secrets.push(secret);
    }
    if secrets.is_empty() {
        return Vec::new();
    }
    scratch.run();
    let inner: Vec<[u8; 16]> = (0..scratch.len()).map(|i| scratch.digest(i)).collect();
    scratch.clear();
    for (secret, ih) in secrets.iter().zip(&inner) {
        scratch.push(secret.opad_state, &[ih]);
    }
    scratch.run();
    (0..scratch.len()).map(|i| scratch.digest(i)).collect()
}

/// An Access-Request or Status-Server whose Length, attributes and
/// (random) Request Authenticator are final and whose
/// Message-Authenticator value is sixteen zero octets.
#[derive(Debug)]
pub struct RequestToSign<'a> {
    /// The packet octets; the Message-Authenticator is written into them.
    pub packet: &'a mut [u8],
    /// Offset of the Message-Authenticator value.
    pub ma_offset: usize,
    /// The shared secret.
    pub secret: &'a Secret,
}

/// Fill in the Message-Authenticators of requests (RFC 3579 §3.2, keyed
/// on each one's own Request Authenticator): what a proxy does for the
/// requests it forwards together.
pub fn sign_requests(items: &mut [RequestToSign<'_>], scratch: &mut Md5Batch) {
    let auth = |p: &[u8]| -> [u8; 16] { p[4..20].try_into().expect("header") };
    if items.len() < MIN_BATCH {
        for it in items.iter_mut() {
            let off = it.ma_offset;
            let mac = message_authenticator(it.secret, it.packet, &auth(it.packet), off);
            it.packet[off..off + 16].copy_from_slice(&mac);
        }
        return;
    }
    let macs = hmac_lanes(
        items
            .iter()
            .map(|it| (&*it.packet, auth(it.packet), it.ma_offset, it.secret)),
        scratch,
    );
    for (it, mac) in items.iter_mut().zip(&macs) {
        it.packet[it.ma_offset..it.ma_offset + 16].copy_from_slice(mac);
    }
}

/// A received request whose authenticators are to be checked.
#[derive(Debug)]
pub struct RequestToCheck<'a> {
    /// The packet octets (as received, trimmed to Length).
    pub packet: &'a [u8],
    /// The shared secret of the client it came from.
    pub secret: &'a Secret,
    /// Offset of the Message-Authenticator value, if present.
    pub ma_offset: Option<usize>,
    /// The authenticator the MA is keyed on (the packet's own for
    /// Access-Request and Status-Server, zeros for the others).
    pub ma_key: [u8; 16],
    /// Whether the Request Authenticator is a digest to check
    /// (Accounting, CoA and Disconnect requests).
    pub digest: bool,
    /// Whether to compute the first User-Password keystream block
    /// (an Access-Request carrying User-Password).
    pub user_password: bool,
}

/// What a request's authenticators must be, computed in a batch;
/// compare with [`crate::Packet::verify_request_expected`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Expected {
    /// The Message-Authenticator value it must carry.
    pub ma: Option<[u8; 16]>,
    /// The Request Authenticator it must carry.
    pub digest: Option<[u8; 16]>,
    /// MD5(secret + Request Authenticator), for
    /// [`decrypt_user_password_keyed`](super::decrypt_user_password_keyed).
    pub keystream: Option<[u8; 16]>,
}

/// Compute [`Expected`] for each request into `out` (same order).
pub fn expected_for_requests(
    items: &[RequestToCheck<'_>],
    scratch: &mut Md5Batch,
    out: &mut Vec<Expected>,
) {
    out.clear();
    out.resize(items.len(), Expected::default());
    if items.len() < MIN_BATCH {
        for (it, e) in items.iter().zip(out.iter_mut()) {
            if let Some(off) = it.ma_offset {
                e.ma = Some(message_authenticator(it.secret, it.packet, &it.ma_key, off));
            }
            if it.digest {
                e.digest = Some(request_digest(it.secret, it.packet));
            }
            if it.user_password {
                e.keystream = Some(super::secret_digest(it.secret, &it.packet[4..20]));
            }
        }
        return;
    }
    // Digests and HMAC inner hashes in one pass, then the outer hashes.
    scratch.clear();
    let mut inner_at = Vec::with_capacity(items.len());
    for it in items {
        let p = it.packet;
        if it.digest {
            scratch.push(
                Md5State::INITIAL,
                &[&p[..4], &[0; 16], &p[20..], it.secret.as_bytes()],
            );
        }
        inner_at.push(it.ma_offset.map(|off| {
            scratch.push(
                it.secret.ipad_state,
                &[&p[..4], &it.ma_key, &p[20..off], &[0; 16], &p[off + 16..]],
            )
        }));
        if it.user_password {
            scratch.push(Md5State::INITIAL, &[it.secret.as_bytes(), &p[4..20]]);
        }
    }
    if scratch.is_empty() {
        return;
    }
    scratch.run();
    let mut k = 0;
    let mut inner = Vec::new();
    for ((it, e), at) in items.iter().zip(out.iter_mut()).zip(&inner_at) {
        if it.digest {
            e.digest = Some(scratch.digest(k));
            k += 1;
        }
        if let Some(at) = at {
            inner.push(scratch.digest(*at));
            k += 1;
        }
        if it.user_password {
            e.keystream = Some(scratch.digest(k));
            k += 1;
        }
    }
    debug_assert_eq!(k, scratch.len());
    if inner.is_empty() {
        return;
    }
    scratch.clear();
    for (it, ih) in items.iter().filter(|it| it.ma_offset.is_some()).zip(&inner) {
        scratch.push(it.secret.opad_state, &[ih]);
    }
    scratch.run();
    let mut k = 0;
    for (it, e) in items.iter().zip(out.iter_mut()) {
        if it.ma_offset.is_some() {
            e.ma = Some(scratch.digest(k));
            k += 1;
        }
    }
}

/// A received reply whose Response Authenticator is to be checked.
#[derive(Debug)]
pub struct ReplyToCheck<'a> {
    /// The packet octets (as received, trimmed to Length).
    pub packet: &'a [u8],
    /// The authenticator of the request it answers.
    pub request_auth: [u8; 16],
    /// The shared secret of the server it came from.
    pub secret: &'a Secret,
}

/// The Response Authenticator each reply must carry (RFC 2865 §3), into
/// `out` (same order); compare with
/// [`crate::Packet::verify_reply_expected`].
pub fn expected_for_replies(
    items: &[ReplyToCheck<'_>],
    scratch: &mut Md5Batch,
    out: &mut Vec<[u8; 16]>,
) {
    out.clear();
    if items.len() < MIN_BATCH {
        out.extend(
            items
                .iter()
                .map(|it| response_authenticator(it.secret, it.packet, &it.request_auth)),
        );
        return;
    }
    scratch.clear();
    for it in items {
        let p = it.packet;
        scratch.push(
            Md5State::INITIAL,
            &[&p[..4], &it.request_auth, &p[20..], it.secret.as_bytes()],
        );
    }
    scratch.run();
    out.extend((0..items.len()).map(|i| scratch.digest(i)));
}

/// A received datagram as its Length field says (octets past Length are
/// not part of the packet); `None` when Length is not usable.
pub fn by_length(datagram: &[u8]) -> Option<&[u8]> {
    let len = datagram
        .get(2..4)
        .map_or(0, |l| u16::from_be_bytes([l[0], l[1]]) as usize);
    (20..=datagram.len())
        .contains(&len)
        .then(|| &datagram[..len])
}

/// [`expected_for_replies`] for a receive batch: given per datagram the
/// reply to check (`None`: nothing to precompute), `out` gets per datagram
/// `Some((request authenticator, expected Response Authenticator))`, the
/// pair `Outstanding::on_reply_expected` in radius-proto takes.
pub fn expected_per_datagram<'a>(
    checks: impl IntoIterator<Item = Option<ReplyToCheck<'a>>>,
    scratch: &mut Md5Batch,
    out: &mut Vec<Option<([u8; 16], [u8; 16])>>,
) {
    out.clear();
    let mut items = Vec::new();
    for c in checks {
        out.push(c.as_ref().map(|c| (c.request_auth, [0; 16])));
        items.extend(c);
    }
    let mut expected = Vec::with_capacity(items.len());
    expected_for_replies(&items, scratch, &mut expected);
    let mut expected = expected.into_iter();
    for (_, e) in out.iter_mut().flatten() {
        *e = expected.next().expect("one per reply checked");
    }
}
