//! The well-behaved client: one new Access-Request every interval from its
//! own port, never retransmitted, each reply verified and timed.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use radius_core::{Code, Secret};
use radius_server::client::proto::{verify_reply, Jitter};

use crate::bench::request::Template;

/// What became of one steady request.
#[derive(Debug, Clone, Copy)]
pub(super) struct Outcome {
    /// When it was sent, from the start of the run.
    pub(super) sent_at: Duration,
    /// Its answer's latency, if one came before the run ended.
    pub(super) latency: Option<Duration>,
}

/// How long an unanswered request keeps its Identifier.
const RESERVE: Duration = Duration::from_secs(3);

struct InFlight {
    auth: [u8; 16],
    sent: Instant,
    index: usize,
}

/// Send one request per `interval` for `total`, then wait `grace` for the
/// last answers; every request's outcome in sending order.
pub(super) fn run(
    sock: UdpSocket,
    tpl: &Template,
    interval: Duration,
    total: Duration,
    grace: Duration,
    seed: u64,
) -> anyhow::Result<Vec<Outcome>> {
    let secret: &Secret = &tpl.secret;
    let mut rng = Jitter::seeded(seed);
    let mut out: Vec<Outcome> = Vec::new();
    let mut flight: Vec<Option<InFlight>> = (0..256).map(|_| None).collect();
    let mut buf = Vec::with_capacity(128);
    let mut rbuf = vec![0u8; 4096];
    let start = Instant::now();
    let mut next_send = start;
    let mut id = 0u8;
    let end_send = start + total;
    let end = end_send + grace;
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        if now >= next_send && now < end_send {
            // An Identifier whose last request is still unanswered stays
            // reserved for a while (its answer may yet come); take the next
            // free one. After `RESERVE` it is given up on (a late answer to
            // it then fails verification against the new request).
            for f in flight.iter_mut() {
                if f.as_ref()
                    .is_some_and(|f| now.duration_since(f.sent) > RESERVE)
                {
                    *f = None;
                }
            }
            let mut tries = 0;
            while flight[id as usize].is_some() && tries < 256 {
                id = id.wrapping_add(1);
                tries += 1;
            }
            if flight[id as usize].is_none() {
                let auth = tpl.encode(&mut buf, id, &mut rng, out.len() as u64)?;
                let sent = Instant::now();
                let _ = sock.send(&buf);
                flight[id as usize] = Some(InFlight {
                    auth,
                    sent,
                    index: out.len(),
                });
                out.push(Outcome {
                    sent_at: sent - start,
                    latency: None,
                });
                id = id.wrapping_add(1);
            }
            next_send += interval;
            continue;
        }
        let wait = if now < end_send {
            next_send.saturating_duration_since(now)
        } else {
            end - now
        };
        sock.set_read_timeout(Some(wait.max(Duration::from_micros(100))))?;
        let n = match sock.recv(&mut rbuf) {
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            // ICMP port unreachable (server not up yet, or gone).
            Err(_) => continue,
        };
        let got = Instant::now();
        if n < 20 {
            continue;
        }
        let rid = rbuf[1];
        let Some(f) = &flight[rid as usize] else {
            continue;
        };
        if verify_reply(
            &rbuf[..n],
            Code::ACCESS_REQUEST,
            rid,
            &f.auth,
            secret,
            false,
        )
        .is_ok()
        {
            out[f.index].latency = Some(got - f.sent);
            flight[rid as usize] = None;
        }
    }
    Ok(out)
}
