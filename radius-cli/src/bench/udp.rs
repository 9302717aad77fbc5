//! The UDP load: per socket, a closed loop of requests in reused slots,
//! with Identifiers lent out in rotation and replies drained in batches.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use radius_core::Code;
use radius_server::client::proto::{verify_reply, Jitter};
use tokio::net::UdpSocket;

use super::request::Template;
use super::stats::{Counters, Histogram};

struct Slot {
    buf: Vec<u8>,
    auth: [u8; 16],
    sent: Instant,
    /// The Identifier in use, if a request is in flight.
    id: Option<u8>,
}

/// Which slot each Identifier of a socket is lent to. Identifiers rotate
/// (the next free one after the last handed out), so an Identifier comes
/// back only after the others: a server that still holds the previous
/// request under it (a duplicate-detection window) is not confused, as it
/// would be by a client that reuses one Identifier back to back.
struct Ids {
    owner: [u16; 256],
    next: u8,
}

const FREE: u16 = u16::MAX;

impl Ids {
    fn take(&mut self, slot: usize) -> u8 {
        for k in 0..=255u8 {
            let id = self.next.wrapping_add(k);
            if self.owner[id as usize] == FREE {
                self.owner[id as usize] = slot as u16;
                self.next = id.wrapping_add(1);
                return id;
            }
        }
        unreachable!("at most 256 slots per socket")
    }
}

/// A client socket connected to `server`.
pub(super) async fn client_socket(server: SocketAddr) -> anyhow::Result<UdpSocket> {
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().expect("addr")
    } else {
        "[::]:0".parse().expect("addr")
    };
    let sock = UdpSocket::bind(bind)
        .await
        .context("binding a client socket")?;
    sock.connect(server)
        .await
        .context("connecting a client socket")?;
    // Room for every reply in flight on this socket (up to 256): with
    // the default buffer a burst of replies can overflow it, and the
    // lost ones would count against the server as timeouts.
    let _ = socket2::SockRef::from(&sock).set_recv_buffer_size(4 << 20);
    Ok(sock)
}

/// One socket's closed loop: `slots` requests in flight until `stop`.
pub(super) async fn socket_loop(
    sock: UdpSocket,
    slots: usize,
    tpl: Arc<Template>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    timeout: Duration,
    seed: u64,
) -> anyhow::Result<Histogram> {
    let mut hist = Histogram::default();
    let mut rng = Jitter::seeded(seed);
    let code = tpl.code();
    let mut seq = seed << 20;
    let mut ids = Ids {
        owner: [FREE; 256],
        next: 0,
    };
    let mut slot: Vec<Slot> = (0..slots)
        .map(|_| Slot {
            buf: Vec::with_capacity(128),
            auth: [0; 16],
            sent: Instant::now(),
            id: None,
        })
        .collect();
    let mut rbuf = vec![0u8; 4096];
    // Start every slot.
    for (k, s) in slot.iter_mut().enumerate() {
        seq += 1;
        let id = ids.take(k);
        s.auth = tpl.encode(&mut s.buf, id, &mut rng, seq)?;
        s.sent = Instant::now();
        s.id = Some(id);
        send(&sock, &s.buf, &counters).await;
    }
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            r = sock.readable() => { r.context("socket")?; }
            _ = tick.tick() => {
                // Timeouts: count, and replace with a fresh request.
                let now = Instant::now();
                let stopping = stop.load(Ordering::Relaxed);
                for (k, s) in slot.iter_mut().enumerate() {
                    let Some(old) = s.id else { continue };
                    if now.duration_since(s.sent) >= timeout {
                        counters.timeouts.fetch_add(1, Ordering::Relaxed);
                        ids.owner[old as usize] = FREE;
                        s.id = None;
                        if !stopping {
                            seq += 1;
                            let id = ids.take(k);
                            s.auth = tpl.encode(&mut s.buf, id, &mut rng, seq)?;
                            s.sent = now;
                            s.id = Some(id);
                            send(&sock, &s.buf, &counters).await;
                        }
                    }
                }
                if stopping {
                    return Ok(hist);
                }
                continue;
            }
        }
        loop {
            let n = match sock.try_recv(&mut rbuf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    // ICMP errors (nobody listening) surface here.
                    counters.send_errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            let now = Instant::now();
            let data = &rbuf[..n];
            let owner = if n >= 20 {
                ids.owner[data[1] as usize]
            } else {
                FREE
            };
            if owner == FREE {
                counters.stray.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let k = owner as usize;
            let s = &mut slot[k];
            let id = data[1];
            match verify_reply(data, code, id, &s.auth, &tpl.secret, false) {
                Ok((p, _)) => {
                    hist.record(now.duration_since(s.sent).as_nanos() as u64);
                    if matches!(p.code(), Code::ACCESS_ACCEPT | Code::ACCOUNTING_RESPONSE) {
                        counters.ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        counters.negative.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(_) => {
                    // Not the reply to this request (forged, late, corrupt):
                    // keep waiting for the real one.
                    counters.invalid.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
            ids.owner[id as usize] = FREE;
            s.id = None;
            if stop.load(Ordering::Relaxed) {
                if slot.iter().all(|s| s.id.is_none()) {
                    return Ok(hist);
                }
                continue;
            }
            seq += 1;
            let id = ids.take(k);
            s.auth = tpl.encode(&mut s.buf, id, &mut rng, seq)?;
            s.sent = now;
            s.id = Some(id);
            send(&sock, &s.buf, &counters).await;
        }
    }
}

#[inline]
async fn send(sock: &UdpSocket, buf: &[u8], counters: &Counters) {
    let r = match sock.try_send(buf) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => sock.send(buf).await,
        r => r,
    };
    if r.is_err() {
        counters.send_errors.fetch_add(1, Ordering::Relaxed);
    }
}
