//! One request's way through a pool's servers: the steps both forwarding
//! paths take, [`Proxy::forward`] in a handler and the listener's
//! datagram path ([`crate::forward`]): the server to try next (health,
//! pool policy, EAP stickiness), the request rewritten for it, and what
//! its answer or silence does to the server's health.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use radius_core::{Code, Secret};
use radius_dict::prelude::{CallingStationId, NasIdentifier, NasIpAddress, State as StateAttr};
use radius_proto::proxy::forward::{forward_request, relay_reply, ForwardError, Rewrite};
use radius_proto::proxy::pool::{Candidate, PoolKind, SelectKey};
use radius_proto::{Reply, Request};
use smallvec::SmallVec;

use super::{lock, Proxy, STICKY_MAX, STICKY_TTL};
use crate::client::ClientRequest;

impl Proxy {
    /// The start of `req`'s way through pool `p`: its selection key, the
    /// server its EAP conversation is on, its Operator-NAS-Identifier.
    pub(crate) fn walk(&self, req: &Request, p: usize) -> Walk {
        let entry = &self.inner.pool_list[p];
        // Only keyed balance reads the conversation's attributes.
        let key = match entry.pool.kind() {
            PoolKind::KeyedBalance => select_key(req),
            _ => SelectKey::new(req.source().ip()),
        };
        let preferred = req
            .get::<StateAttr>()
            .and_then(Result::ok)
            .and_then(|s| self.sticky(s.value()));
        let token = match (&self.operator.nas_tokens, req.code()) {
            (Some(t), Code::ACCESS_REQUEST | Code::ACCOUNTING_REQUEST) => {
                Some(t.issue(req.source().ip()))
            }
            _ => None,
        };
        Walk {
            pool: p,
            key,
            preferred,
            tried: SmallVec::new(),
            token,
        }
    }

    /// The next server of the walk's pool to try (an index into the
    /// homes), or `None` when every usable one was tried.
    pub(crate) fn next_server(&self, w: &mut Walk, now: Instant) -> Option<usize> {
        let inner = &*self.inner;
        let entry = &inner.pool_list[w.pool];
        let cands: SmallVec<[Candidate; 8]> = entry
            .members
            .iter()
            .map(|&i| {
                let h = &inner.homes[i];
                // Transitions due by now count before choosing (the
                // probe timer may not have run since).
                let mut g = lock(&h.health);
                g.poll(now);
                Candidate::new(
                    &g,
                    now,
                    h.outstanding.load(Ordering::Relaxed),
                    h.cfg.max_outstanding,
                    h.id,
                )
            })
            .collect();
        let pos = match w
            .preferred
            .take()
            .and_then(|i| entry.members.iter().position(|&m| m == i))
        {
            Some(pos) if cands[pos].usable && !w.tried.contains(&pos) => Some(pos),
            _ => entry.pool.select(&cands, &w.key, &w.tried),
        }?;
        w.tried.push(pos);
        Some(entry.members[pos])
    }

    /// `req` rewritten for home server `idx`.
    pub(crate) fn rewrite(
        &self,
        req: &Request,
        idx: usize,
        user_name: Option<&[u8]>,
        token: Option<&[u8]>,
    ) -> Result<ClientRequest, ForwardError> {
        let ps = self.next_proxy_state();
        forward_request(
            req,
            &self.inner.homes[idx].secret,
            &Rewrite {
                user_name,
                proxy_state: &ps,
                operator_name: self.operator.name.as_deref(),
                operator_nas_id: token,
                drop_operator_nas_id: false,
            },
        )
    }

    /// A request went to home server `idx`.
    pub(crate) fn on_sent(&self, idx: usize, now: Instant) {
        let h = &self.inner.homes[idx];
        lock(&h.health).on_sent(now);
        h.forwarded.fetch_add(1, Ordering::Relaxed);
        h.outstanding.fetch_add(1, Ordering::Relaxed);
    }

    /// Home server `idx` answered (verified) `resp` to our request with
    /// authenticator `sent`: the reply for the NAS's request of code `asked`.
    pub(crate) fn on_answer(
        &self,
        idx: usize,
        now: Instant,
        resp: &[u8],
        sent: &[u8; 16],
        asked: Code,
    ) -> Result<Reply, ForwardError> {
        let h = &self.inner.homes[idx];
        h.outstanding.fetch_sub(1, Ordering::Relaxed);
        if let Some(s) = lock(&h.health).on_answer(now) {
            tracing::info!(home = %h.cfg.name, state = ?s, "home server health");
        }
        if Code(resp[0]) == Code::ACCESS_CHALLENGE {
            let ctx = radius_core::typed::CryptoCtx {
                secret: &h.secret,
                authenticator: sent,
            };
            if let Some(Ok(s)) = radius_core::typed::get_from::<StateAttr>(&resp[20..], &ctx) {
                self.remember(s.into_value(), idx, now);
            }
        }
        relay_reply(asked, resp, sent, &h.secret)
    }

    /// Home server `idx` gave no answer (`unreachable`: could not even be
    /// reached) to a request.
    pub(crate) fn on_no_answer(
        &self,
        idx: usize,
        now: Instant,
        unreachable: bool,
        why: &dyn std::fmt::Display,
    ) {
        let h = &self.inner.homes[idx];
        h.outstanding.fetch_sub(1, Ordering::Relaxed);
        let mut g = lock(&h.health);
        let changed = if unreachable {
            g.on_unreachable(now)
        } else {
            g.on_timeout(now)
        };
        drop(g);
        if let Some(s) = changed {
            tracing::warn!(home = %h.cfg.name, state = ?s, "home server health");
        }
        tracing::debug!(home = %h.cfg.name, error = %why, "no answer; trying the next home server");
    }

    /// Where home server `idx` is reached for a request of `code`, its
    /// secret and response window (a UDP server; see [`forwarding`]).
    ///
    /// [`forwarding`]: Self::forwarding
    pub(crate) fn udp_target(&self, idx: usize, code: Code) -> (SocketAddr, &Secret, Duration) {
        let h = &self.inner.homes[idx];
        let addr = if code == Code::ACCOUNTING_REQUEST {
            h.cfg.acct
        } else {
            h.cfg.auth
        };
        (addr, &h.secret, h.cfg.health.response_window)
    }

    /// Count a reply from home server `idx` that failed verification, or a
    /// request it did not answer in time, on the datagram path.
    pub(crate) fn count(&self, idx: usize, invalid: bool) {
        let h = &self.inner.homes[idx];
        let c = if invalid {
            &h.relay_invalid
        } else {
            &h.relay_timeouts
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// The name of pool `p`.
    pub(crate) fn pool_name(&self, p: usize) -> &str {
        &self.inner.pool_list[p].name
    }

    fn sticky(&self, state: &[u8]) -> Option<usize> {
        let m = lock(&self.inner.sticky);
        let (i, at) = m.get(state)?;
        (at.elapsed() < STICKY_TTL).then_some(*i)
    }

    fn remember(&self, state: Vec<u8>, idx: usize, now: Instant) {
        let mut m = lock(&self.inner.sticky);
        if m.len() >= STICKY_MAX {
            m.retain(|_, (_, at)| now.saturating_duration_since(*at) < STICKY_TTL);
            if m.len() >= STICKY_MAX {
                m.clear();
            }
        }
        m.insert(state, (idx, now));
    }
}

/// One request's way through a pool's servers ([`Proxy::walk`]).
pub(crate) struct Walk {
    pool: usize,
    key: SelectKey,
    /// The server its EAP conversation is on, tried first.
    preferred: Option<usize>,
    /// Positions in the pool tried so far.
    tried: SmallVec<[usize; 4]>,
    /// The Operator-NAS-Identifier to add.
    pub(crate) token: Option<Vec<u8>>,
}

/// Keyed-balance key: Calling-Station-Id and the NAS's identity, so every
/// round of a conversation hashes alike (State changes every round).
fn select_key(req: &Request) -> SelectKey {
    let nas: IpAddr = req.source().ip();
    let csi = req.get::<CallingStationId>().and_then(Result::ok);
    let nid = req.get::<NasIdentifier>().and_then(Result::ok);
    let nip = req.get::<NasIpAddress>().and_then(Result::ok);
    match csi {
        Some(c) => {
            let nas_id: Vec<u8> = match (&nid, &nip) {
                (Some(n), _) => n.value().as_bytes().to_vec(),
                (None, Some(ip)) => ip.value().octets().to_vec(),
                (None, None) => match nas {
                    IpAddr::V4(a) => a.octets().to_vec(),
                    IpAddr::V6(a) => a.octets().to_vec(),
                },
            };
            SelectKey::from_parts(nas, &[c.value().as_bytes(), &nas_id])
        }
        None => SelectKey::new(nas),
    }
}
