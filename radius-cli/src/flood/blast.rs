//! The flooding threads: each owns some source ports and sends the mix at
//! its share of the rate, 32 datagrams per `sendmmsg`, paced every
//! millisecond.

use std::io::IoSlice;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use rustix::net::{sendmmsg, MMsgHdr, SendAncillaryBuffer, SendFlags};

use super::craft::Crafter;

/// Datagrams per system call.
const BURST: usize = 32;

/// One flooding thread's sockets and pace.
pub(super) struct Blaster {
    pub(super) socks: Vec<UdpSocket>,
    pub(super) crafters: Vec<Crafter>,
    /// Datagrams per second for this thread.
    pub(super) rate: f64,
}

/// Bind `n` sockets of `server`'s family, each connected to it.
pub(super) fn sockets(server: SocketAddr, n: usize) -> anyhow::Result<Vec<UdpSocket>> {
    let bind: SocketAddr = if server.is_ipv4() {
        "127.0.0.1:0".parse()?
    } else {
        "[::1]:0".parse()?
    };
    (0..n)
        .map(|_| {
            let s = UdpSocket::bind(bind).context("binding a flood socket")?;
            s.connect(server).context("connecting a flood socket")?;
            // Replies to the flood are not read: keep their buffer small
            // so they cost little.
            Ok(s)
        })
        .collect()
}

impl Blaster {
    /// Send until `stop`; adds what went out to `sent`, refusals to `errors`.
    pub(super) fn run(mut self, stop: &AtomicBool, sent: &AtomicU64, errors: &AtomicU64) {
        let mut bufs: Vec<Vec<u8>> = (0..BURST).map(|_| Vec::with_capacity(256)).collect();
        let start = Instant::now();
        let mut done = 0u64;
        let mut turn = 0usize;
        while !stop.load(Ordering::Relaxed) {
            let due = (start.elapsed().as_secs_f64() * self.rate) as u64;
            if done >= due {
                std::thread::sleep(Duration::from_micros(500));
                continue;
            }
            // One burst on the next socket in turn.
            let k = turn % self.socks.len();
            turn += 1;
            let n = ((due - done) as usize).min(BURST);
            for b in &mut bufs[..n] {
                self.crafters[k].next(b);
            }
            let iovs: Vec<[IoSlice<'_>; 1]> = bufs[..n].iter().map(|b| [IoSlice::new(b)]).collect();
            let mut controls: Vec<SendAncillaryBuffer<'_, '_, '_>> =
                (0..n).map(|_| SendAncillaryBuffer::default()).collect();
            let mut msgs: Vec<MMsgHdr<'_>> = iovs
                .iter()
                .zip(controls.iter_mut())
                .map(|(iov, c)| MMsgHdr::new(iov, c))
                .collect();
            match sendmmsg(&self.socks[k], &mut msgs, SendFlags::empty()) {
                Ok(m) => {
                    sent.fetch_add(m as u64, Ordering::Relaxed);
                    if m < n {
                        errors.fetch_add((n - m) as u64, Ordering::Relaxed);
                    }
                }
                // ECONNREFUSED from an earlier ICMP, a full send buffer:
                // count it and go on (the pace is kept in `done`).
                Err(_) => {
                    errors.fetch_add(n as u64, Ordering::Relaxed);
                }
            }
            done += n as u64;
        }
    }
}

/// Start `threads` flooding threads sharing `socks` and `rate`.
pub(super) fn start(
    socks: Vec<UdpSocket>,
    mut crafters: Vec<Crafter>,
    threads: usize,
    rate: f64,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
    errors: Arc<AtomicU64>,
) -> Vec<std::thread::JoinHandle<()>> {
    let threads = threads.clamp(1, socks.len());
    let mut groups: Vec<Blaster> = (0..threads)
        .map(|_| Blaster {
            socks: Vec::new(),
            crafters: Vec::new(),
            rate: rate / threads as f64,
        })
        .collect();
    for (i, s) in socks.into_iter().enumerate() {
        groups[i % threads].socks.push(s);
    }
    for (i, c) in crafters.drain(..).enumerate() {
        groups[i % threads].crafters.push(c);
    }
    groups
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let (stop, sent, errors) = (stop.clone(), sent.clone(), errors.clone());
            std::thread::Builder::new()
                .name(format!("flood-{i}"))
                .spawn(move || b.run(&stop, &sent, &errors))
                .expect("spawning a flood thread")
        })
        .collect()
}
