//! Plain RADIUS MS-CHAP for `radius serve` (RFC 2548): the NAS ran the
//! MS-CHAP exchange with the peer and forwards the challenge and the
//! response in Microsoft vendor attributes; the crypto is
//! [`radius_proto::mschap`].
//!
//! - MS-CHAP v1: MS-CHAP-Challenge (8 octets) + MS-CHAP-Response →
//!   Access-Accept with MS-CHAP-MPPE-Keys.
//! - MS-CHAPv2: MS-CHAP-Challenge (16 octets) + MS-CHAP2-Response →
//!   Access-Accept with MS-CHAP2-Success (the "S=" authenticator response)
//!   and MS-MPPE-Send-Key / MS-MPPE-Recv-Key (RFC 3079 128-bit start keys).
//!
//! Both add MS-MPPE-Encryption-Policy (Encryption-Allowed) and
//! MS-MPPE-Encryption-Types (RC4 40 or 128 bit), after the user's own reply
//! attributes, as FreeRADIUS 3.2's rlm_mschap does by default. The keys
//! are obfuscated with the request authenticator when the reply is
//! encoded (the dictionary's `encrypt=` flags).
//!
//! A failure is an Access-Reject with MS-CHAP-Error, the same for a wrong
//! password, an unknown user and a user without an NT hash or cleartext
//! password (a password hash only): the reply does not tell which user names
//! exist. v1 words it as FreeRADIUS does (`E=691 R=1 C=... V=2`); v2 says
//! `R=0` where FreeRADIUS says `R=1` (see
//! [`radius_proto::mschap::v2::failure_message`]). A request whose MS-CHAP attributes are malformed is rejected
//! without MS-CHAP-Error.

use radius_proto::mschap::{self, v1, v2, NtHash};
use radius_server::{AccessReject, Reply, Request};
use typed_radius::dict::prelude::*;

use super::config::Password;
use radius_core::dict::Dictionary;

use super::auth::accept_for;
use super::User;

/// MS-MPPE-Encryption-Types: RC4 with 40- or 128-bit keys allowed (RFC 2548
/// §2.4.5 bits 0x2 and 0x4), what FreeRADIUS sends unless told to require
/// strong keys.
const ENCRYPTION_TYPES_40_OR_128: u32 = 6;

/// Answer an Access-Request that carries MS-CHAP-Challenge (or an MS-CHAP
/// response); `None` when it is not MS-CHAP at all.
pub(super) fn is_mschap(req: &Request) -> bool {
    req.get::<MsChapChallenge>().is_some()
        || req.get::<MsChapResponse>().is_some()
        || req.get::<MsChap2Response>().is_some()
}

/// Answer an MS-CHAP Access-Request ([`is_mschap`]) for `user` (`None`:
/// unknown, answered like a wrong password).
pub(super) fn answer(req: &Request, name: &str, user: Option<&User>, dict: &Dictionary) -> Reply {
    let challenge = req.get::<MsChapChallenge>();
    let v1_response = req.get::<MsChapResponse>();
    let v2_response = req.get::<MsChap2Response>();
    let challenge = challenge.and_then(Result::ok);
    let challenge = challenge.as_ref().map(|c| c.value().as_slice());
    let reply = match (challenge, v1_response, v2_response) {
        (Some(c), Some(Ok(r)), None) => {
            match (<&[u8; 8]>::try_from(c), v1::Response::parse(r.value())) {
                (Ok(c), Some(r)) => version1(req, name, user, dict, c, &r),
                _ => malformed(
                    name,
                    "MS-CHAP-Challenge is not 8 octets or MS-CHAP-Response not 50",
                ),
            }
        }
        (Some(c), None, Some(Ok(r))) => {
            match (<&[u8; 16]>::try_from(c), v2::Response::parse(r.value())) {
                (Ok(c), Some(r)) => version2(req, name, user, dict, c, &r),
                _ => malformed(
                    name,
                    "MS-CHAP-Challenge is not 16 octets or MS-CHAP2-Response not 50",
                ),
            }
        }
        (None, _, _) => malformed(name, "MS-CHAP response without MS-CHAP-Challenge"),
        (Some(_), None, None) => malformed(name, "MS-CHAP-Challenge without a response"),
        (Some(_), Some(_), Some(_)) => {
            malformed(name, "both MS-CHAP-Response and MS-CHAP2-Response")
        }
        _ => malformed(name, "undecodable MS-CHAP response"),
    };
    reply
}

fn malformed(name: &str, why: &str) -> Reply {
    tracing::debug!(user = %name, "rejected (MS-CHAP): {why}");
    AccessReject::new().into()
}

/// The NT hash a password gives MS-CHAP (computed once, at start-up):
/// stored, or made from the cleartext. A password hash cannot give one.
pub(super) fn nt_hash(p: &Password) -> Option<NtHash> {
    match p {
        Password::Clear(c) => Some(NtHash::from_password(c)),
        Password::NtHash(h) => Some(*h),
        Password::Hash(_) => None,
    }
}

/// Checked against this when the user is unknown, so that the work (and
/// the reply) is the same as for a wrong password.
const NO_HASH: NtHash = NtHash([0; 16]);

fn version1(
    req: &Request,
    name: &str,
    user: Option<&User>,
    dict: &Dictionary,
    challenge: &[u8; 8],
    r: &v1::Response,
) -> Reply {
    let hash = user.and_then(|u| u.nt_hash);
    let ok = v1::verify(challenge, &hash.unwrap_or(NO_HASH), &r.nt_response);
    match (user, hash) {
        (Some(user), Some(hash)) if ok && r.uses_nt() => {
            tracing::debug!(user = %name, "accepted (MS-CHAP v1)");
            accept_for(user, req, dict)
                .with(MsChapMppeKeys::new(v1::mppe_keys_plain(&hash).to_vec()))
                .with(MsMppeEncryptionPolicy::new(
                    MsMppeEncryptionPolicyValue::EncryptionAllowed,
                ))
                .with(MsMppeEncryptionTypes::new(ENCRYPTION_TYPES_40_OR_128))
                .into()
        }
        _ => {
            tracing::debug!(user = %name, "rejected (MS-CHAP v1): bad credentials");
            let c = radius_core::crypto::random_authenticator();
            let text = v1::failure_message(true, c[..8].try_into().expect("8 of 16"));
            reject(r.ident, &text)
        }
    }
}

fn version2(
    req: &Request,
    name: &str,
    user: Option<&User>,
    dict: &Dictionary,
    challenge: &[u8; 16],
    r: &v2::Response,
) -> Reply {
    let hash = user.and_then(|u| u.nt_hash);
    // The peer hashed its user name without the domain (RFC 2759 §8.2).
    let hashed_name = mschap::strip_domain(name.as_bytes());
    let ok = v2::verify(
        challenge,
        &r.peer_challenge,
        hashed_name,
        &hash.unwrap_or(NO_HASH),
        &r.nt_response,
    );
    match (user, hash) {
        (Some(user), Some(hash)) if ok => {
            tracing::debug!(user = %name, "accepted (MS-CHAPv2)");
            let s = v2::authenticator_response(
                &hash,
                &r.nt_response,
                &r.peer_challenge,
                challenge,
                hashed_name,
            );
            let mut success = Vec::with_capacity(1 + s.len());
            success.push(r.ident);
            success.extend_from_slice(s.as_bytes());
            let (send, recv) = v2::mppe_keys(&hash, &r.nt_response);
            accept_for(user, req, dict)
                .with(MsChap2Success::new(success))
                .with(MsMppeRecvKey::new(recv.to_vec()))
                .with(MsMppeSendKey::new(send.to_vec()))
                .with(MsMppeEncryptionPolicy::new(
                    MsMppeEncryptionPolicyValue::EncryptionAllowed,
                ))
                .with(MsMppeEncryptionTypes::new(ENCRYPTION_TYPES_40_OR_128))
                .into()
        }
        _ => {
            tracing::debug!(user = %name, "rejected (MS-CHAPv2): bad credentials");
            let text = v2::failure_message(false, &radius_core::crypto::random_authenticator());
            reject(r.ident, &text)
        }
    }
}

/// Access-Reject with MS-CHAP-Error: the Ident octet, then the text.
fn reject(ident: u8, text: &str) -> Reply {
    let mut value = Vec::with_capacity(1 + text.len());
    value.push(ident);
    value.extend_from_slice(text.as_bytes());
    AccessReject::new().with(MsChapError::new(value)).into()
}
