//! The listener's datagram-level proxy path: requests the
//! [`Builder::forward`](crate::server::Builder::forward) hook hands over
//! are forwarded by the receive loop itself, with no task, channel or
//! timer per request. The rules are the same as [`Proxy::forward`]'s
//! (server choice, failover, health, rewriting and relaying, from
//! [`crate::proxy`]); the requests outstanding, their retransmission and
//! expiry are the sans-IO [`Relay`]'s. This module only moves datagrams:
//! one upstream socket per address family, its receive batch verified in
//! one MD5 batch, forwarded requests sent together per loop turn.
//!
//! Measured in scripts/side-by-side-proxy.sh (the figures are in the
//! README): each proxied request otherwise cost a spawned task, two tokio
//! timers, a oneshot channel and their wakeups.

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Instant;

use radius_core::crypto::batch::{by_length, expected_per_datagram, ReplyToCheck, MIN_BATCH};
use radius_core::md5x::Md5Batch;
use radius_core::packet::MAX_PACKET_LEN;
use radius_proto::client::ReplyError;
use radius_proto::proxy::relay::{Refusal, Relay, Timing};
use tokio::net::UdpSocket;

use crate::batch::{RecvBatch, SendBatch};
use crate::proxy::{Forward, ProxyError, Walk};
use crate::reply::Reply;
use crate::request::Request;

/// One forwarded request: the NAS's request, its way through the pool,
/// and `G`, held until it is answered (the listener's in-flight count).
pub(crate) struct Job<G> {
    fw: Forward,
    req: Request,
    walk: Walk,
    /// The home server it is outstanding at.
    home: usize,
    _guard: G,
}

/// A request done with: its reply for the NAS (or none).
pub(crate) struct Done {
    pub(crate) req: Request,
    pub(crate) reply: Reply,
    pub(crate) on_reply: Option<fn(&Request, &Reply)>,
}

/// One upstream socket and its batches.
struct Side {
    sock: UdpSocket,
    rx: RecvBatch,
    tx: SendBatch,
}

/// Scratch for checking one receive batch's replies together (and for
/// signing the forwarded requests).
#[derive(Default)]
struct Checks {
    md5: Md5Batch,
    /// Per datagram: what `Relay::on_reply` takes.
    pre: Vec<Option<([u8; 16], [u8; 16])>>,
}

/// A receive loop's forwarding state (see the module docs).
pub(crate) struct Upstream<G> {
    relay: Relay<Job<G>>,
    /// IPv4 and IPv6, opened on first use.
    sides: [Option<Side>; 2],
    checks: Checks,
    /// Requests answered (or failed) since the listener last took them.
    pub(crate) done: Vec<Done>,
}

impl<G> Default for Upstream<G> {
    fn default() -> Self {
        Upstream {
            relay: Relay::new(),
            sides: [None, None],
            checks: Checks::default(),
            done: Vec::new(),
        }
    }
}

fn family(dst: SocketAddr) -> usize {
    usize::from(dst.is_ipv6())
}

fn open(v6: bool) -> io::Result<Side> {
    let bind: SocketAddr = if v6 {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    };
    let std = crate::server::bind_udp(bind, false, UPSTREAM_BUFFER)?;
    let sock = UdpSocket::from_std(std)?;
    let mut tx = SendBatch::new(256);
    tx.enable_gso(&sock);
    Ok(Side {
        sock,
        rx: RecvBatch::new(MAX_PACKET_LEN),
        tx,
    })
}

/// Socket buffers of an upstream socket: replies of a whole window's
/// requests may arrive while the loop serves NASes.
const UPSTREAM_BUFFER: usize = 4 << 20;

impl<G> Upstream<G> {
    /// Whether anything is outstanding (the loop then also waits for
    /// replies and deadlines, and drains before it stops).
    pub(crate) fn is_busy(&self) -> bool {
        !self.relay.is_empty()
    }

    /// The upstream socket of family `v6`, if open.
    pub(crate) fn socket(&self, v6: bool) -> Option<&UdpSocket> {
        self.sides[usize::from(v6)].as_ref().map(|s| &s.sock)
    }

    /// The earliest retransmission or expiry.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.relay.next_deadline()
    }

    /// Forward `req` as `fw` says. `Err` hands it back for the handlers
    /// (no Identifier free towards the chosen server on this socket, or
    /// no socket): [`Proxy::forward`] then takes it.
    pub(crate) fn start(
        &mut self,
        req: Request,
        fw: Forward,
        guard: G,
        now: Instant,
    ) -> Result<(), Request> {
        let walk = fw.proxy.walk(&req, fw.pool);
        let job = Job {
            fw,
            req,
            walk,
            home: usize::MAX,
            _guard: guard,
        };
        match self.send(job, now, true) {
            Some(j) => Err(j.req),
            None => Ok(()),
        }
    }

    /// Send `job` to the next server of its pool, or finish it when none
    /// is left. With `first`, a request the relay cannot take is handed
    /// back (returned) instead.
    fn send(&mut self, mut job: Job<G>, now: Instant, first: bool) -> Option<Job<G>> {
        // Kept past the move of `job` into the relay.
        let proxy = job.fw.proxy.clone();
        let Some(idx) = proxy.next_server(&mut job.walk, now) else {
            let e = ProxyError::NoServer(proxy.pool_name(job.fw.pool).to_owned());
            self.fail(job, &e);
            return None;
        };
        let rewritten = proxy.rewrite(
            &job.req,
            idx,
            job.fw.user_name.as_deref(),
            job.walk.token.as_deref(),
        );
        let creq = match rewritten {
            Ok(r) => r,
            Err(e) => {
                self.fail(job, &ProxyError::Forward(e));
                return None;
            }
        };
        let (dst, secret, window) = proxy.udp_target(idx, job.req.code());
        let f = family(dst);
        if self.sides[f].is_none() {
            match open(dst.is_ipv6()) {
                Ok(s) => self.sides[f] = Some(s),
                Err(e) => {
                    tracing::warn!(%dst, "no upstream socket: {e}");
                    if first {
                        return Some(job);
                    }
                    // Ours, not the server's: its health stays as it is.
                    self.fail(job, &ProxyError::Socket(e));
                    return None;
                }
            }
        }
        job.home = idx;
        match self
            .relay
            .send(dst, secret, &creq, Timing::window(window), now, job)
        {
            Ok(()) => {
                proxy.on_sent(idx, now);
                None
            }
            Err(r) if first && !matches!(r.why, Refusal::Encode(_)) => Some(r.ctx),
            Err(r) => {
                self.fail(r.ctx, &ProxyError::Relay(r.why));
                None
            }
        }
    }

    fn fail(&mut self, job: Job<G>, e: &ProxyError) {
        tracing::debug!(error = %e, "not forwarded");
        let reply = (job.fw.on_failure)(&job.req, e);
        self.finish(job, reply);
    }

    fn finish(&mut self, job: Job<G>, reply: Reply) {
        self.done.push(Done {
            on_reply: job.fw.on_reply,
            req: job.req,
            reply,
        });
    }

    /// Read what the home servers sent; each verified reply becomes a
    /// [`Done`].
    pub(crate) fn receive(&mut self, now: Instant) {
        for f in 0..2 {
            let mut errors = 0;
            while let Some(side) = &mut self.sides[f] {
                let n = match side.rx.try_recv(&side.sock) {
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    // ICMP errors of earlier sends (a home server down)
                    // surface once each; anything persistent ends the turn.
                    Err(_) if errors < 8 => {
                        errors += 1;
                        continue;
                    }
                    Err(_) => break,
                };
                let side = self.sides[f].take().expect("checked");
                self.on_batch(&side.rx, n, now);
                self.sides[f] = Some(side);
            }
        }
    }

    /// Hand each of `n` datagrams to the request it answers. From
    /// [`MIN_BATCH`] on, their Response Authenticators are computed
    /// together first (as the UDP client checks its replies).
    fn on_batch(&mut self, rx: &RecvBatch, n: usize, now: Instant) {
        let w = &mut self.checks;
        w.pre.clear();
        if n >= MIN_BATCH {
            let relay = &self.relay;
            let checks = (0..n).map(|i| {
                let (d, src) = rx.get(i);
                let packet = by_length(d)?;
                Some(ReplyToCheck {
                    packet,
                    request_auth: relay.request_authenticator(src, packet)?,
                    secret: relay.secret(src)?,
                })
            });
            expected_per_datagram(checks, &mut w.md5, &mut w.pre);
        }
        for i in 0..n {
            let (data, src) = rx.get(i);
            let pre = self.checks.pre.get(i).copied().flatten();
            self.on_datagram(src, data, pre, now);
        }
    }

    fn on_datagram(
        &mut self,
        src: SocketAddr,
        data: &[u8],
        pre: Option<([u8; 16], [u8; 16])>,
        now: Instant,
    ) {
        match self.relay.on_reply(src, data, pre) {
            Ok(a) => {
                let job = a.ctx;
                let reply = job.fw.proxy.on_answer(
                    job.home,
                    now,
                    a.packet.as_bytes(),
                    &a.request_authenticator,
                    job.req.code(),
                );
                match reply {
                    Ok(r) => self.finish(job, r),
                    Err(e) => self.fail(job, &ProxyError::Forward(e)),
                }
            }
            Err(ReplyError::Unmatched) => {
                tracing::debug!(%src, "reply for no outstanding request (late or stray)");
            }
            Err(e) => {
                if let Some(job) = self.relay.pending(src, data) {
                    job.fw.proxy.count(job.home, true);
                }
                tracing::debug!(%src, "discarding reply: {e}");
            }
        }
    }

    /// Run the deadlines due by `now`: retransmissions are queued, and a
    /// request its server did not answer goes to the next one.
    pub(crate) fn on_deadlines(&mut self, now: Instant) {
        let mut expired = Vec::new();
        self.relay.poll(now, |e| expired.push(e.ctx));
        for job in expired {
            let p = &job.fw.proxy;
            p.on_no_answer(job.home, now, false, &"no reply within the response window");
            p.count(job.home, false);
            // Never handed back: it is no first attempt.
            let _ = self.send(job, now, false);
        }
    }

    /// Send the datagrams queued for the home servers (the new requests'
    /// Message-Authenticators computed together first).
    pub(crate) async fn flush(&mut self) {
        let sides = &mut self.sides;
        self.relay.transmit(&mut self.checks.md5, |dst, datagram| {
            if let Some(side) = &mut sides[family(dst)] {
                side.tx.next_buf().extend_from_slice(datagram);
                side.tx.push(dst);
            }
        });
        for side in self.sides.iter_mut().flatten() {
            if side.tx.len() > 0 {
                side.tx
                    .flush(
                        &side.sock,
                        |f| tracing::debug!(dst = %f.dst, "forwarding failed: {}", f.error),
                    )
                    .await;
            }
        }
    }
}
