//! EAP-MD5 (RFC 3748 §5.4) carried in RADIUS (RFC 3579).
//!
//! Sans-IO: [`EapMd5::step`] takes the EAP-Message and State of an
//! Access-Request and returns what to answer. The exchange is
//!
//! 1. EAP-Response/Identity -> Access-Challenge carrying an
//!    EAP-Request/MD5-Challenge and a fresh State;
//! 2. EAP-Response/MD5-Challenge with that State -> Access-Accept with
//!    EAP-Success when the value is MD5(Identifier, password, challenge),
//!    else Access-Reject with EAP-Failure.
//!
//! EAP-MD5 derives no keys and does not authenticate the server, so it is
//! unfit for wireless networks; it is here for wired 802.1X labs and to
//! exercise the EAP plumbing (State, Access-Challenge, EAP-Message with
//! Message-Authenticator) against real supplicants such as `eapol_test`.
//! A user whose password is stored hashed cannot use it (MD5 needs the
//! cleartext), as with CHAP.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{FAILURE, IDENTITY, MD5_CHALLENGE, NAK, REQUEST, RESPONSE, SUCCESS};

/// What the server sends as the Name of its MD5-Challenge.
const SERVER_NAME: &[u8] = b"typed-radius";

/// An Access-Request's EAP exchange step, answered.
#[derive(Debug, PartialEq, Eq)]
pub enum EapReply {
    /// Access-Challenge with this EAP-Message and State.
    Challenge {
        /// EAP-Request/MD5-Challenge.
        eap: Vec<u8>,
        /// State to echo back with the response.
        state: [u8; 16],
    },
    /// Access-Accept with this EAP-Message (EAP-Success).
    Accept(Vec<u8>),
    /// Access-Reject with this EAP-Message (EAP-Failure), and why.
    Reject(Vec<u8>, &'static str),
}

/// A challenge sent and not yet answered.
struct Pending {
    user: String,
    id: u8,
    challenge: [u8; 16],
    at: Instant,
}

/// EAP-MD5 authenticator state: the challenges in flight, bounded in number
/// and age.
pub struct EapMd5 {
    pending: Mutex<HashMap<[u8; 16], Pending>>,
    max_pending: usize,
    ttl: Duration,
}

impl Default for EapMd5 {
    fn default() -> Self {
        Self::new(65536, Duration::from_secs(30))
    }
}

impl EapMd5 {
    /// At most `max_pending` challenges in flight, each answerable for `ttl`.
    pub fn new(max_pending: usize, ttl: Duration) -> Self {
        EapMd5 {
            pending: Mutex::new(HashMap::new()),
            max_pending,
            ttl,
        }
    }

    /// Answer one Access-Request: its (joined) EAP-Message, its State, the
    /// User-Name, and that user's cleartext password (`None`: unknown user,
    /// or stored hashed).
    pub fn step(
        &self,
        eap: &[u8],
        state: Option<&[u8]>,
        user: &str,
        password: Option<&str>,
        now: Instant,
    ) -> EapReply {
        // Octets past the EAP Length are link padding (RFC 3748 §4).
        let Some(&[code, id, l0, l1]) = eap.get(..4) else {
            return EapReply::Reject(failure(0), "EAP-Message shorter than an EAP header");
        };
        let len = u16::from_be_bytes([l0, l1]) as usize;
        if code != RESPONSE || len < 5 || len > eap.len() {
            return EapReply::Reject(failure(id), "not an EAP-Response with a type");
        }
        let (typ, data) = (eap[4], &eap[5..len]);
        match typ {
            IDENTITY => self.challenge(id, user, now),
            MD5_CHALLENGE => {
                let Some(state) = state.and_then(|s| <[u8; 16]>::try_from(s).ok()) else {
                    return EapReply::Reject(failure(id), "MD5 response without our State");
                };
                let Some(p) = self.take(&state, now) else {
                    return EapReply::Reject(failure(id), "unknown or expired State");
                };
                let (Some(16), Some(value)) = (data.first().map(|&n| n as usize), data.get(1..17))
                else {
                    return EapReply::Reject(failure(id), "malformed MD5 response");
                };
                if p.id != id || p.user != user {
                    return EapReply::Reject(failure(id), "response to another challenge");
                }
                let Some(password) = password else {
                    return EapReply::Reject(failure(id), "unknown user or no cleartext password");
                };
                let want =
                    radius_core::crypto::chap_response(id, password.as_bytes(), &p.challenge);
                if radius_core::crypto::ct_eq(&want, value) {
                    EapReply::Accept(vec![SUCCESS, id, 0, 4])
                } else {
                    EapReply::Reject(failure(id), "wrong password")
                }
            }
            NAK => EapReply::Reject(failure(id), "peer refused EAP-MD5"),
            _ => EapReply::Reject(failure(id), "unsupported EAP type"),
        }
    }

    /// An unknown user (or one without a cleartext password) is challenged
    /// too and fails only at the response, so the exchange does not tell
    /// which user names exist.
    fn challenge(&self, id: u8, user: &str, now: Instant) -> EapReply {
        let challenge = radius_core::crypto::random_authenticator();
        let state = radius_core::crypto::random_authenticator();
        {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            if pending.len() >= self.max_pending {
                pending.retain(|_, p| now.saturating_duration_since(p.at) < self.ttl);
                if pending.len() >= self.max_pending {
                    return EapReply::Reject(failure(id), "too many EAP conversations");
                }
            }
            pending.insert(
                state,
                Pending {
                    user: user.to_owned(),
                    id: id.wrapping_add(1),
                    challenge,
                    at: now,
                },
            );
        }
        // The request's Identifier follows the response's (RFC 3748 §4.1).
        let next = id.wrapping_add(1);
        let len = 4 + 1 + 1 + 16 + SERVER_NAME.len();
        let mut eap = Vec::with_capacity(len);
        eap.extend_from_slice(&[REQUEST, next]);
        eap.extend_from_slice(&(len as u16).to_be_bytes());
        eap.extend_from_slice(&[MD5_CHALLENGE, 16]);
        eap.extend_from_slice(&challenge);
        eap.extend_from_slice(SERVER_NAME);
        EapReply::Challenge { eap, state }
    }

    /// Remove and return the live challenge under `state`.
    fn take(&self, state: &[u8; 16], now: Instant) -> Option<Pending> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let p = pending.remove(state)?;
        (now.saturating_duration_since(p.at) < self.ttl).then_some(p)
    }

    /// Challenges in flight.
    #[cfg(test)]
    fn in_flight(&self) -> usize {
        self.pending.lock().unwrap().len()
    }
}

/// EAP-Failure for the response with Identifier `id` (RFC 3748 §4.2).
fn failure(id: u8) -> Vec<u8> {
    vec![FAILURE, id, 0, 4]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(id: u8, name: &str) -> Vec<u8> {
        let mut e = vec![RESPONSE, id, 0, 0, IDENTITY];
        e.extend_from_slice(name.as_bytes());
        let n = e.len() as u16;
        e[2..4].copy_from_slice(&n.to_be_bytes());
        e
    }

    /// The supplicant's answer to `challenge_eap` for `password`.
    fn answer(challenge_eap: &[u8], password: &str) -> Vec<u8> {
        assert_eq!(&challenge_eap[..2], &[REQUEST, challenge_eap[1]]);
        assert_eq!(challenge_eap[4..6], [MD5_CHALLENGE, 16]);
        let id = challenge_eap[1];
        let value =
            radius_core::crypto::chap_response(id, password.as_bytes(), &challenge_eap[6..22]);
        let mut e = vec![RESPONSE, id, 0, 22, MD5_CHALLENGE, 16];
        e.extend_from_slice(&value);
        e
    }

    fn challenge(m: &EapMd5, id: u8, now: Instant) -> (Vec<u8>, [u8; 16]) {
        match m.step(&identity(id, "bob"), None, "bob", Some("hello"), now) {
            EapReply::Challenge { eap, state } => (eap, state),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn right_password_succeeds_once() {
        let m = EapMd5::default();
        let now = Instant::now();
        let (eap, state) = challenge(&m, 7, now);
        assert_eq!(eap[1], 8, "request Identifier follows the response's");
        assert_eq!(u16::from_be_bytes([eap[2], eap[3]]) as usize, eap.len());
        let resp = answer(&eap, "hello");
        assert_eq!(
            m.step(&resp, Some(&state), "bob", Some("hello"), now),
            EapReply::Accept(vec![SUCCESS, 8, 0, 4])
        );
        // The State is used up: a replay fails.
        assert!(matches!(
            m.step(&resp, Some(&state), "bob", Some("hello"), now),
            EapReply::Reject(_, "unknown or expired State")
        ));
        assert_eq!(m.in_flight(), 0);
    }

    #[test]
    fn wrong_password_other_user_and_stale_state_fail() {
        let m = EapMd5::default();
        let now = Instant::now();
        let (eap, state) = challenge(&m, 1, now);
        assert_eq!(
            m.step(
                &answer(&eap, "nope"),
                Some(&state),
                "bob",
                Some("hello"),
                now
            ),
            EapReply::Reject(vec![FAILURE, 2, 0, 4], "wrong password")
        );
        let (eap, state) = challenge(&m, 1, now);
        assert!(matches!(
            m.step(
                &answer(&eap, "hello"),
                Some(&state),
                "eve",
                Some("hello"),
                now
            ),
            EapReply::Reject(_, "response to another challenge")
        ));
        let (eap, state) = challenge(&m, 1, now);
        let late = now + Duration::from_secs(31);
        assert!(matches!(
            m.step(
                &answer(&eap, "hello"),
                Some(&state),
                "bob",
                Some("hello"),
                late
            ),
            EapReply::Reject(_, "unknown or expired State")
        ));
        // Unknown users (or hashed passwords) are challenged like known
        // ones, and fail at the response whatever they answer.
        let EapReply::Challenge { eap, state } = m.step(&identity(1, "x"), None, "x", None, now)
        else {
            panic!("unknown users are challenged too")
        };
        assert_eq!(
            m.step(&answer(&eap, "hello"), Some(&state), "x", None, now),
            EapReply::Reject(
                vec![FAILURE, 2, 0, 4],
                "unknown user or no cleartext password"
            )
        );
    }

    #[test]
    fn nak_malformed_and_other_types_are_rejected_with_eap_failure() {
        let m = EapMd5::default();
        let now = Instant::now();
        for (eap, id) in [
            (vec![RESPONSE, 3, 0, 6, NAK, 13], 3),  // wants EAP-TLS
            (vec![RESPONSE, 4, 0, 5, 25], 4),       // PEAP
            (vec![REQUEST, 5, 0, 5, IDENTITY], 5),  // not a response
            (vec![RESPONSE, 6, 0, 9, IDENTITY], 6), // Length past the data
            (vec![RESPONSE, 6, 0, 4], 6),           // no type
            (vec![RESPONSE], 0),
        ] {
            match m.step(&eap, None, "bob", Some("hello"), now) {
                EapReply::Reject(f, _) => assert_eq!(f, vec![FAILURE, id, 0, 4], "{eap:?}"),
                other => panic!("{eap:?}: {other:?}"),
            }
        }
        // Link padding past the EAP Length is ignored.
        let mut padded = identity(9, "bob");
        padded.extend_from_slice(&[0; 6]);
        assert!(matches!(
            m.step(&padded, None, "bob", Some("hello"), now),
            EapReply::Challenge { .. }
        ));
    }

    #[test]
    fn challenges_in_flight_are_bounded() {
        let m = EapMd5::new(2, Duration::from_secs(30));
        let now = Instant::now();
        challenge(&m, 1, now);
        challenge(&m, 1, now);
        assert!(matches!(
            m.step(&identity(1, "bob"), None, "bob", Some("hello"), now),
            EapReply::Reject(_, "too many EAP conversations")
        ));
        // Expired ones make room.
        let later = now + Duration::from_secs(31);
        assert!(matches!(
            m.step(&identity(1, "bob"), None, "bob", Some("hello"), later),
            EapReply::Challenge { .. }
        ));
        assert_eq!(m.in_flight(), 1);
    }
}
