//! Requests forwarded over one UDP socket to any number of home servers,
//! without a task or timer per request: the datagram-level proxy path.
//!
//! A [`Relay`] keeps, per destination address, the requests outstanding
//! there (an Identifier space of 256, the shared [`Outstanding`] table, so
//! replies are matched and verified by the same rules as the clients'),
//! their datagrams for retransmission, and their deadlines. It takes the
//! time as an argument and returns datagrams and events; the I/O layer
//! sends what [`transmit`](Relay::transmit) hands it (the requests sent
//! since, their Message-Authenticators computed together in one MD5
//! batch, and the retransmissions due), feeds it what arrives and calls
//! [`poll`](Relay::poll) when [`next_deadline`](Relay::next_deadline)
//! passes. `T` is what the caller keeps per request (the NAS's request,
//! the servers tried ...), handed back with the reply or the expiry.
//!
//! Deadlines are kept per destination in send order: every request to one
//! home server has the same timing, so a new deadline is the latest and
//! inserting it is O(1) (a different timing is inserted in order).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use radius_core::crypto::batch::{sign_requests, RequestToSign};
use radius_core::md5x::Md5Batch;
use radius_core::{Code, EncodeError, Packet, RadiusVersion, Secret};

use crate::client::{ClientRequest, Outstanding, ReplyError, Slot};

/// When a forwarded request is sent again, and when it is given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Send the same datagram once more after this long without a reply.
    pub retransmit: Option<Duration>,
    /// Give up this long after the first transmission.
    pub give_up: Duration,
}

impl Timing {
    /// One retransmission halfway through a response `window`, and give up
    /// at its end (what the handler-driven proxy does per server).
    pub fn window(window: Duration) -> Self {
        Timing {
            retransmit: Some(window / 2),
            give_up: window,
        }
    }
}

/// Why [`Relay::send`] did not take a request (handed back with it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// All 256 Identifiers towards that address are in use.
    #[error("all Identifiers towards the home server are in use")]
    NoIdentifier,
    /// Requests with another secret are outstanding towards that address
    /// (its secret was changed by a reload): the two cannot share an
    /// Identifier space until those are done.
    #[error("the home server's secret changed while requests are outstanding")]
    SecretChanged,
    /// The request could not be encoded.
    #[error("cannot encode the forwarded request: {0}")]
    Encode(EncodeError),
}

/// A request [`Relay::send`] did not take, and why.
#[derive(Debug)]
pub struct Refused<T> {
    /// The caller's value, back.
    pub ctx: T,
    /// Why.
    pub why: Refusal,
}

/// A verified reply and the request it answers.
#[derive(Debug)]
pub struct Answer<'a, T> {
    /// The caller's value for the request.
    pub ctx: T,
    /// The reply.
    pub packet: Packet<'a>,
    /// The Request Authenticator the request went out with (what the
    /// reply's obfuscated attributes are keyed on).
    pub request_authenticator: [u8; 16],
    /// Transmissions made (1: answered without retransmission).
    pub attempts: u32,
}

/// A request given up: no reply in time (its Identifier is free again).
#[derive(Debug)]
pub struct Expired<T> {
    /// The home server.
    pub dst: SocketAddr,
    /// The caller's value for it.
    pub ctx: T,
}

struct Pending<T> {
    ctx: T,
    slot: Slot,
    datagram: Vec<u8>,
    auth: [u8; 16],
    /// Names this transmission in the deadline queue (an Identifier is
    /// reused, a sequence number is not).
    seq: u64,
    retransmit_at: Option<Instant>,
    give_up_at: Instant,
    attempts: u32,
    /// Offset of its Message-Authenticator while not yet computed.
    unsigned: Option<usize>,
}

struct Table<T> {
    dst: SocketAddr,
    secret: Secret,
    out: Outstanding<Pending<T>>,
    /// (when, Identifier, seq), earliest first.
    deadlines: VecDeque<(Instant, u8, u64)>,
    /// It has signed a reply to an Access-Request: require that from now
    /// on (the BlastRADIUS "auto" rule).
    seen_ma: bool,
    /// [`Relay::transmit`]'s scratch: the Identifiers queued here.
    to_sign: Vec<u8>,
}

impl<T> Table<T> {
    fn schedule(&mut self, at: Instant, id: u8, seq: u64) {
        // Later than all (the usual case) goes at the back in O(1).
        let pos = self
            .deadlines
            .iter()
            .rposition(|d| d.0 <= at)
            .map_or(0, |p| p + 1);
        self.deadlines.insert(pos, (at, id, seq));
    }
}

/// The requests forwarded over one socket (see the module docs).
pub struct Relay<T> {
    tables: Vec<Table<T>>,
    seq: u64,
    len: usize,
    /// Datagrams to hand to the I/O layer: (table, Identifier, seq).
    queued: Vec<(usize, u8, u64)>,
}

impl<T> Default for Relay<T> {
    fn default() -> Self {
        Relay {
            tables: Vec::new(),
            seq: 0,
            len: 0,
            queued: Vec::new(),
        }
    }
}

impl<T> std::fmt::Debug for Relay<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("destinations", &self.tables.len())
            .field("outstanding", &self.len)
            .finish()
    }
}

impl<T> Relay<T> {
    /// An empty relay.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests outstanding.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether none is outstanding.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Encode `req` for the home server at `dst` (secret `secret`) under a
    /// free Identifier, keep it outstanding with `ctx`, and queue its
    /// datagram for the next [`transmit`](Self::transmit).
    pub fn send(
        &mut self,
        dst: SocketAddr,
        secret: &Secret,
        req: &ClientRequest,
        timing: Timing,
        now: Instant,
        ctx: T,
    ) -> Result<(), Refused<T>> {
        let t = match self.tables.iter().position(|t| t.dst == dst) {
            Some(i) => i,
            None => {
                self.tables.push(Table {
                    dst,
                    secret: secret.clone(),
                    out: Outstanding::new(RadiusVersion::V1_0, 0),
                    deadlines: VecDeque::new(),
                    seen_ma: false,
                    to_sign: Vec::new(),
                });
                self.tables.len() - 1
            }
        };
        let table = &mut self.tables[t];
        if table.secret.as_bytes() != secret.as_bytes() {
            if table.out.in_use() > 0 {
                return Err(Refused {
                    ctx,
                    why: Refusal::SecretChanged,
                });
            }
            table.secret = secret.clone();
            table.seen_ma = false;
        }
        let Some(slot) = table.out.reserve() else {
            return Err(Refused {
                ctx,
                why: Refusal::NoIdentifier,
            });
        };
        let mut datagram = Vec::with_capacity(64 + req.attribute_bytes().len());
        let (auth, unsigned) = match req.encode_deferred(slot.id(), secret, &mut datagram) {
            Ok(a) => a,
            Err(e) => {
                table.out.release(slot);
                return Err(Refused {
                    ctx,
                    why: Refusal::Encode(e),
                });
            }
        };
        self.seq += 1;
        let seq = self.seq;
        let retransmit_at = timing.retransmit.map(|r| now + r);
        let give_up_at = now + timing.give_up;
        table.schedule(retransmit_at.unwrap_or(give_up_at), slot.id(), seq);
        let require_ma = req.code() == Code::ACCESS_REQUEST && table.seen_ma;
        table.out.sent(
            slot,
            req.code(),
            auth,
            require_ma,
            Pending {
                ctx,
                slot,
                datagram,
                auth,
                seq,
                retransmit_at,
                give_up_at,
                attempts: 1,
                unsigned,
            },
        );
        self.len += 1;
        self.queued.push((t, slot.id(), seq));
        Ok(())
    }

    /// Hand `f` every datagram queued since the last call (requests sent,
    /// retransmissions due), in order, after computing the
    /// Message-Authenticators of the new ones together (`scratch` keeps
    /// its buffers between calls).
    pub fn transmit(&mut self, scratch: &mut Md5Batch, mut f: impl FnMut(SocketAddr, &[u8])) {
        if self.queued.is_empty() {
            return;
        }
        {
            let mut items: Vec<RequestToSign<'_>> = Vec::new();
            for &(t, id, _) in &self.queued {
                self.tables[t].to_sign.push(id);
            }
            for table in &mut self.tables {
                let Table {
                    out,
                    secret,
                    to_sign,
                    ..
                } = table;
                to_sign.sort_unstable();
                for p in out.waiters_at_mut(to_sign) {
                    // Retransmissions are signed already.
                    if let Some(off) = p.unsigned.take() {
                        items.push(RequestToSign {
                            packet: &mut p.datagram,
                            ma_offset: off,
                            secret,
                        });
                    }
                }
            }
            sign_requests(&mut items, scratch);
        }
        for t in &mut self.tables {
            t.to_sign.clear();
        }
        for (t, id, seq) in self.queued.drain(..) {
            let table = &self.tables[t];
            if let Some(p) = table.out.waiter(id).filter(|p| p.seq == seq) {
                f(table.dst, &p.datagram);
            }
        }
    }

    /// The secret of the home server at `src`, if requests went there.
    pub fn secret(&self, src: SocketAddr) -> Option<&Secret> {
        self.tables.iter().find(|t| t.dst == src).map(|t| &t.secret)
    }

    /// The Request Authenticator of the request the reply `data` from `src`
    /// would answer, if one is outstanding: what a batch of replies needs
    /// to compute their Response Authenticators together
    /// ([`radius_core::crypto::batch::expected_for_replies`]).
    pub fn request_authenticator(&self, src: SocketAddr, data: &[u8]) -> Option<[u8; 16]> {
        let t = self.tables.iter().find(|t| t.dst == src)?;
        t.out.request_authenticator(data)
    }

    /// The value kept with the request a datagram `data` from `src` names
    /// by its Identifier, if one is outstanding (e.g. to count a reply
    /// that failed verification against its home server).
    pub fn pending(&self, src: SocketAddr, data: &[u8]) -> Option<&T> {
        let t = self.tables.iter().find(|t| t.dst == src)?;
        t.out.waiter(*data.get(1)?).map(|p| &p.ctx)
    }

    /// Match the datagram `data` from `src` to its request and verify it
    /// (`pre`: its Response Authenticator computed in a batch, see
    /// [`Outstanding::on_reply_expected`]). A reply that fails leaves the
    /// request waiting for the genuine one.
    pub fn on_reply<'a>(
        &mut self,
        src: SocketAddr,
        data: &'a [u8],
        pre: Option<([u8; 16], [u8; 16])>,
    ) -> Result<Answer<'a, T>, ReplyError> {
        let Some(t) = self.tables.iter_mut().find(|t| t.dst == src) else {
            return Err(ReplyError::Unmatched);
        };
        let m = t.out.on_reply_expected(data, &t.secret, pre)?;
        let p = m.waiter;
        t.out.release(p.slot);
        let access_reply = matches!(
            m.packet.code(),
            Code::ACCESS_ACCEPT | Code::ACCESS_REJECT | Code::ACCESS_CHALLENGE
        );
        if m.has_message_authenticator && access_reply {
            t.seen_ma = true;
        }
        self.len -= 1;
        Ok(Answer {
            ctx: p.ctx,
            packet: m.packet,
            request_authenticator: p.auth,
            attempts: p.attempts,
        })
    }

    /// The earliest deadline, if any request is outstanding. (It may be
    /// of a request answered since: [`poll`](Self::poll) then finds
    /// nothing to do.)
    pub fn next_deadline(&self) -> Option<Instant> {
        self.tables
            .iter()
            .filter_map(|t| t.deadlines.front().map(|d| d.0))
            .min()
    }

    /// Run every deadline due by `now`: a retransmission due is queued for
    /// [`transmit`](Self::transmit), and `f` hears of each request given up.
    pub fn poll(&mut self, now: Instant, mut f: impl FnMut(Expired<T>)) {
        for (ti, t) in self.tables.iter_mut().enumerate() {
            while let Some(&(at, id, seq)) = t.deadlines.front() {
                if at > now {
                    break;
                }
                t.deadlines.pop_front();
                // Answered (or the Identifier reused) since: nothing to do.
                let Some(p) = t.out.waiter(id).filter(|p| p.seq == seq) else {
                    continue;
                };
                if p.retransmit_at == Some(at) {
                    let give_up = p.give_up_at;
                    t.schedule(give_up, id, seq);
                    let p = t.out.waiter_mut(id).expect("outstanding");
                    p.retransmit_at = None;
                    p.attempts += 1;
                    self.queued.push((ti, id, seq));
                } else {
                    let slot = p.slot;
                    let p = t.out.release(slot).expect("outstanding");
                    self.len -= 1;
                    f(Expired {
                        dst: t.dst,
                        ctx: p.ctx,
                    });
                }
            }
        }
    }

    /// Give up every request (the socket is closing): their values.
    pub fn drain(&mut self) -> Vec<T> {
        self.len = 0;
        self.queued.clear();
        let mut out = Vec::new();
        for t in &mut self.tables {
            t.deadlines.clear();
            out.extend(t.out.drain().into_iter().map(|p| p.ctx));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_core::packet::PacketWriter;

    const SECRET: &str = "testing123";

    fn home(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    fn access() -> ClientRequest {
        let mut r = ClientRequest::new(Code::ACCESS_REQUEST);
        r.attr(1, b"bob").unwrap();
        r
    }

    /// What the relay hands over to send now.
    fn sent<T>(r: &mut Relay<T>) -> Vec<(SocketAddr, Vec<u8>)> {
        let mut out = Vec::new();
        r.transmit(&mut Md5Batch::default(), |dst, d| {
            out.push((dst, d.to_vec()))
        });
        out
    }

    /// Send one request and take its datagram.
    fn send_one<T>(
        r: &mut Relay<T>,
        dst: SocketAddr,
        timing: Timing,
        at: Instant,
        ctx: T,
    ) -> Vec<u8> {
        r.send(dst, &Secret::new(SECRET), &access(), timing, at, ctx)
            .map_err(|e| e.why)
            .unwrap();
        let mut d = sent(r);
        assert_eq!(d.len(), 1);
        d.pop().unwrap().1
    }

    /// The home server's reply to `datagram`.
    fn answer(datagram: &[u8], code: Code, secret: &str, ma: bool) -> Vec<u8> {
        let auth: [u8; 16] = datagram[4..20].try_into().unwrap();
        let mut buf = Vec::new();
        let mut w = PacketWriter::reply(&mut buf, code, datagram[1], &auth);
        if ma {
            w.message_authenticator().unwrap();
        }
        w.finish(&Secret::new(secret)).unwrap();
        buf
    }

    #[test]
    fn requests_sent_together_are_signed_in_one_batch_as_one_at_a_time() {
        let s = Secret::new(SECRET);
        let other = Secret::new("other-secret");
        let t0 = Instant::now();
        let timing = Timing::window(Duration::from_secs(2));
        // Below and above the lane threshold, to two servers with two secrets.
        for n in [1, 3, 4, 9, 40] {
            let mut r = Relay::new();
            for i in 0..n {
                let (dst, secret) = if i % 3 == 2 {
                    (home(1645), &other)
                } else {
                    (home(1812), &s)
                };
                let mut req = access();
                req.attr(4, &[10, 0, 0, i as u8]).unwrap();
                r.send(dst, secret, &req, timing, t0, i).unwrap();
            }
            let out = sent(&mut r);
            assert_eq!(out.len(), n);
            for (i, (dst, d)) in out.iter().enumerate() {
                let secret = if dst.port() == 1645 { &other } else { &s };
                let p = Packet::decode(d).unwrap();
                assert_eq!(p.verify_request(secret), Ok(true), "n {n}, request {i}");
                assert_eq!(p.attributes().next().unwrap().typ, 80, "MA first");
            }
            // Handed over once.
            assert!(sent(&mut r).is_empty());
        }
    }

    #[test]
    fn a_reply_is_verified_matched_and_frees_its_identifier() {
        let s = Secret::new(SECRET);
        let mut r = Relay::new();
        let t0 = Instant::now();
        let timing = Timing::window(Duration::from_secs(2));
        let d = send_one(&mut r, home(1812), timing, t0, "a");
        assert_eq!(Packet::decode(&d).unwrap().verify_request(&s), Ok(true));
        let d2 = send_one(&mut r, home(1812), timing, t0, "b");
        assert_ne!(d[1], d2[1], "one Identifier space per destination");
        assert_eq!(r.len(), 2);

        // Forged (wrong secret), from elsewhere, and of the wrong kind: refused,
        // and the request keeps waiting.
        let forged = answer(&d, Code::ACCESS_ACCEPT, "wrong", true);
        assert!(matches!(
            r.on_reply(home(1812), &forged, None),
            Err(ReplyError::Auth(_))
        ));
        let good = answer(&d, Code::ACCESS_ACCEPT, SECRET, true);
        assert_eq!(
            r.on_reply(home(1999), &good, None).unwrap_err(),
            ReplyError::Unmatched
        );
        let coa = answer(&d, Code::COA_ACK, SECRET, true);
        assert!(matches!(
            r.on_reply(home(1812), &coa, None),
            Err(ReplyError::UnexpectedCode { .. })
        ));
        assert_eq!(r.pending(home(1812), &forged), Some(&"a"));
        assert_eq!(r.pending(home(1999), &forged), None);
        let a = r.on_reply(home(1812), &good, None).unwrap();
        assert_eq!((a.ctx, a.attempts), ("a", 1));
        assert_eq!(&a.request_authenticator[..], &d[4..20]);
        assert_eq!(r.len(), 1);
        // Answered once: a duplicate is unmatched.
        assert_eq!(
            r.on_reply(home(1812), &good, None).unwrap_err(),
            ReplyError::Unmatched
        );
        // Its deadline comes and finds nothing to do; the other request's
        // retransmission is due: the same octets again.
        let mut expired = Vec::new();
        r.poll(t0 + Duration::from_secs(1), |e| expired.push(e.ctx));
        assert!(expired.is_empty());
        assert_eq!(sent(&mut r), [(home(1812), d2.clone())]);
        // Once signed, a reply to an Access-Request must be signed: the
        // next one without Message-Authenticator is refused.
        let d3 = send_one(&mut r, home(1812), timing, t0, "c");
        let unsigned = answer(&d3, Code::ACCESS_REJECT, SECRET, false);
        assert_eq!(
            r.on_reply(home(1812), &unsigned, None).unwrap_err(),
            ReplyError::MissingMessageAuthenticator
        );
    }

    #[test]
    fn deadlines_retransmit_once_then_expire_in_order() {
        let mut r = Relay::new();
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let timing = Timing::window(ms(1000));
        let a = send_one(&mut r, home(1812), timing, t0, 1);
        let b = send_one(&mut r, home(1812), timing, t0 + ms(100), 2);
        // A shorter timing to another server, and to the same server (out of
        // send order): each deadline is kept in order.
        let short = Timing {
            retransmit: None,
            give_up: ms(200),
        };
        send_one(&mut r, home(1813), short, t0 + ms(100), 3);
        send_one(&mut r, home(1812), short, t0 + ms(150), 4);
        assert_eq!(r.next_deadline(), Some(t0 + ms(300)));
        let mut log = Vec::new();
        let run = |r: &mut Relay<i32>, at: Duration, log: &mut Vec<String>| {
            r.poll(t0 + at, |e| {
                log.push(format!("exp {} {}", e.dst.port(), e.ctx))
            });
            for (dst, d) in sent(r) {
                log.push(format!("re {} id {}", dst.port(), d[1]));
            }
        };
        run(&mut r, ms(299), &mut log);
        assert!(log.is_empty());
        run(&mut r, ms(350), &mut log);
        assert_eq!(log, ["exp 1812 4", "exp 1813 3"]);
        run(&mut r, ms(600), &mut log);
        assert_eq!(
            log[2..],
            [
                format!("re 1812 id {}", a[1]),
                format!("re 1812 id {}", b[1])
            ]
        );
        run(&mut r, ms(1050), &mut log);
        assert_eq!(log[4..], ["exp 1812 1"]);
        run(&mut r, ms(1100), &mut log);
        assert_eq!(log[5..], ["exp 1812 2"]);
        assert!(r.is_empty());
        assert_eq!(r.next_deadline(), None);
    }

    #[test]
    fn identifiers_run_out_and_a_changed_secret_waits() {
        let s = Secret::new(SECRET);
        let mut r = Relay::new();
        let t0 = Instant::now();
        let timing = Timing::window(Duration::from_secs(1));
        for i in 0..256 {
            r.send(home(1812), &s, &access(), timing, t0, i).unwrap();
        }
        let e = r
            .send(home(1812), &s, &access(), timing, t0, 256)
            .unwrap_err();
        assert_eq!((e.ctx, e.why), (256, Refusal::NoIdentifier));
        // Another address has its own 256.
        r.send(home(1813), &s, &access(), timing, t0, 257).unwrap();
        let other = Secret::new("reloaded");
        let e = r
            .send(home(1813), &other, &access(), timing, t0, 258)
            .unwrap_err();
        assert_eq!(e.why, Refusal::SecretChanged);
        assert_eq!(r.drain().len(), 257);
        assert!(r.is_empty());
        assert!(sent(&mut r).is_empty(), "drained: nothing left to send");
        // Nothing outstanding: the new secret takes over.
        r.send(home(1813), &other, &access(), timing, t0, 259)
            .unwrap();
        let d = sent(&mut r).pop().unwrap().1;
        assert_eq!(Packet::decode(&d).unwrap().verify_request(&other), Ok(true));
    }
}
