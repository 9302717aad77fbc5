//! One listener socket's receive loop: read a batch (`recvmmsg`), hand it
//! to [`crate::dispatch::handle_batch`], send the replies together
//! (`sendmmsg`); under overload, drain the socket into the fair queue and
//! serve one datagram per source in turn ([`crate::fair`]). Requests the
//! loop forwards itself ([`crate::forward`]) are served in the same turns:
//! their home servers' replies and deadlines, and a drain before it stops.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::watch;

use crate::batch::{RecvBatch, SendBatch, BATCH};
use crate::dispatch::{
    complete_inline, handle_batch, send_failed, BatchWork, Ctx, InFlightGuard, Inline,
};
use crate::engine::Engine;
use crate::fair::{FairQueue, Overload};
use crate::forward::Upstream;
use crate::port::PortKind;
use crate::send_queue::{sign_queued, SendQueue};
use crate::server::Inner;
use crate::stats::DropReason;

struct NoopWaker;
impl Wake for NoopWaker {
    fn wake(self: Arc<Self>) {}
}

/// Datagrams handled before yielding to other tasks.
const BUDGET: usize = 64;

/// The overload queue of one listener socket: room in total and per source
/// ([`crate::fair`]). 8192 short datagrams are ~2 MiB of slab, allocated
/// only as a flood first fills it. A source port cannot have more than 256
/// requests outstanding (the Identifier is one octet), so more than that
/// queued from one source can only be retransmissions or junk.
const QUEUE_TOTAL: usize = 8192;
const QUEUE_PER_SOURCE: usize = 256;

/// Datagrams moved from the socket into the queue per turn at most, so a
/// flood faster than `recvmmsg` itself cannot keep the loop from serving.
const DRAIN_MAX: usize = 1024;

pub(crate) async fn recv_loop<S: Clone + Send + Sync + 'static>(
    sock: Arc<UdpSocket>,
    engine: Arc<Engine>,
    shared: Arc<Inner<S>>,
    kind: PortKind,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut rx = RecvBatch::new(radius_core::packet::MAX_PACKET_LEN);
    let mut tx = SendBatch::new(256);
    if shared.config.udp_gso {
        tx.enable_gso(&sock);
    }
    let mut work = BatchWork::default();
    let waker = Waker::from(Arc::new(NoopWaker));
    // Replies of handlers that finish later (spawned) go out together.
    let later = Arc::new(SendQueue::new(&sock, shared.config.udp_gso, 256));
    // Filled only when more arrives than is served (see `crate::fair`).
    let mut queue = FairQueue::new(QUEUE_TOTAL, QUEUE_PER_SOURCE);
    let mut overload = Overload::default();
    let mut serve_bufs: Vec<Vec<u8>> = (0..BATCH).map(|_| Vec::with_capacity(256)).collect();
    let mut serve_srcs: Vec<SocketAddr> = Vec::with_capacity(BATCH);
    // Requests forwarded by this loop itself (`Builder::forward`).
    let mut up: Upstream<InFlightGuard<S>> = Upstream::default();
    let mut deadline = Deadline::new();
    loop {
        if queue.is_empty() {
            deadline.arm(up.next_deadline());
            tokio::select! {
                biased;
                _ = shutdown.changed() => break,
                r = sock.readable() => {
                    if let Err(e) = r {
                        tracing::error!(listener = %kind, "socket failed: {e}");
                        break;
                    }
                }
                _ = readable(up.socket(false)), if up.socket(false).is_some() => {}
                _ = readable(up.socket(true)), if up.socket(true).is_some() => {}
                _ = deadline.wait(), if deadline.is_armed() => {}
            }
        }
        if up.is_busy() {
            // Replies from home servers and deadlines, relayed to NASes.
            let now = Instant::now();
            upstream_turn(&mut up, &mut tx, &mut work, &engine, now);
            up.flush().await;
            let segmented = tx
                .flush(&sock, |f| send_failed(&engine, f.dst, &f.error))
                .await;
            engine.stats().segmented(segmented);
        }
        let mut drained = false;
        let mut handled = 0;
        while handled < BUDGET {
            let got = match rx.try_recv(&sock) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if queue.is_empty() {
                        drained = true;
                        break;
                    }
                    0
                }
                // ICMP errors from earlier sends (ECONNREFUSED ...) surface
                // here, once each.
                Err(e) => {
                    tracing::debug!(listener = %kind, "recv error: {e}");
                    handled += 1;
                    continue;
                }
            };
            let ctx = Ctx {
                sock: &sock,
                later: &later,
                engine: &engine,
                shared: &shared,
                waker: &waker,
                kind,
                now: Instant::now(),
            };
            // A full batch alone is no overload (64 NASes with one request
            // each fill two); the kernel's backlog tells.
            if queue.is_empty() && (got < BATCH || !overload.behind(crate::batch::backlog(&sock))) {
                // Keeping up: serve what came, in arrival order.
                let datagrams: Vec<(&[u8], SocketAddr)> = (0..got).map(|i| rx.get(i)).collect();
                handle_batch(&datagrams, &mut tx, &mut work, &mut up, &ctx);
                handled += got.max(1);
            } else {
                // More may be waiting than one batch: drain the socket into
                // the fair queue first, then serve one datagram per source
                // in turn.
                enqueue(&rx, &mut queue, &engine);
                let mut moved = got;
                while moved < DRAIN_MAX {
                    match rx.try_recv(&sock) {
                        Ok(n) => {
                            enqueue(&rx, &mut queue, &engine);
                            moved += n;
                        }
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(_) => moved += 1,
                    }
                }
                serve_srcs.clear();
                queue.pop_round(BATCH, |d, src| {
                    let b = &mut serve_bufs[serve_srcs.len()];
                    b.clear();
                    b.extend_from_slice(d);
                    serve_srcs.push(src);
                });
                let datagrams: Vec<(&[u8], SocketAddr)> = serve_bufs
                    .iter()
                    .zip(&serve_srcs)
                    .map(|(d, s)| (&d[..], *s))
                    .collect();
                handle_batch(&datagrams, &mut tx, &mut work, &mut up, &ctx);
                handled += serve_srcs.len().max(1);
            }
            if up.is_busy() {
                upstream_turn(&mut up, &mut tx, &mut work, &engine, ctx.now);
                up.flush().await;
            }
            // At most BATCH handled, so the replies fit: send them together.
            let segmented = tx
                .flush(&sock, |f| send_failed(&engine, f.dst, &f.error))
                .await;
            engine.stats().segmented(segmented);
        }
        if *shutdown.borrow() {
            break;
        }
        deadline.arm(up.next_deadline());
        if drained {
            // readable() parks the task until epoll reports more.
            continue;
        }
        // A full budget: let other tasks (spawned handlers, other sockets) run.
        tokio::task::yield_now().await;
    }
    drain_upstream(&mut up, &mut deadline, &sock, &mut tx, &mut work, &engine).await;
}

/// Move the last received batch into the fair queue; count what it refuses.
/// (A datagram a newcomer pushed out of a full queue counts the same.)
fn enqueue(rx: &RecvBatch, queue: &mut FairQueue, engine: &Engine) {
    let evicted = queue.evicted();
    let mut dropped = 0;
    for i in 0..rx.len() {
        let (data, src) = rx.get(i);
        if queue.push(data, src).is_err() {
            dropped += 1;
        }
    }
    dropped += queue.evicted() - evicted;
    for _ in 0..dropped {
        engine.stats().received();
        engine.stats().count_drop(DropReason::SourceQueueFull);
    }
}

/// Finish what this loop forwarded before it stops: replies, failover and
/// expiry still run (each request is bounded by its pool's windows).
async fn drain_upstream<G>(
    up: &mut Upstream<G>,
    deadline: &mut Deadline,
    sock: &UdpSocket,
    tx: &mut SendBatch,
    work: &mut BatchWork,
    engine: &Engine,
) {
    while up.is_busy() {
        deadline.arm(up.next_deadline());
        tokio::select! {
            _ = readable(up.socket(false)), if up.socket(false).is_some() => {}
            _ = readable(up.socket(true)), if up.socket(true).is_some() => {}
            _ = deadline.wait(), if deadline.is_armed() => {}
        }
        upstream_turn(up, tx, work, engine, Instant::now());
        up.flush().await;
        tx.flush(sock, |f| send_failed(engine, f.dst, &f.error))
            .await;
    }
}

/// Wait until `sock` (an upstream socket) may have something to read.
async fn readable(sock: Option<&UdpSocket>) {
    match sock {
        Some(s) => {
            let _ = s.readable().await;
        }
        None => std::future::pending().await,
    }
}

/// The forwarded requests' part of a loop turn: read the home servers'
/// replies, run the deadlines due, and queue the replies for the NASes
/// in `tx` (signed together, as a batch's inline replies are).
fn upstream_turn<G>(
    up: &mut Upstream<G>,
    tx: &mut SendBatch,
    work: &mut BatchWork,
    engine: &Engine,
    now: Instant,
) {
    up.receive(now);
    if up.next_deadline().is_some_and(|d| d <= now) {
        up.on_deadlines(now);
    }
    for d in up.done.drain(..) {
        if let Some(f) = d.on_reply {
            f(&d.req, &d.reply);
        }
        let dst = d.req.source();
        let slot = tx.len();
        match complete_inline(d.req, d.reply, engine, now, tx.next_buf()) {
            Inline::Nothing => {}
            Inline::Ready => tx.push(dst),
            Inline::Unsigned(u) => {
                work.pending.push((slot, u));
                tx.push(dst);
            }
        }
    }
    if !work.pending.is_empty() {
        sign_queued(tx, &work.pending, &mut work.md5, engine, now);
        work.pending.clear();
    }
}

/// The receive loop's one timer, for the forwarded requests' earliest
/// deadline. It is re-armed at most every [`Deadline::TICK`]: deadlines
/// of requests answered since stay queued until due, so the earliest one
/// moves on with every request.
struct Deadline {
    sleep: std::pin::Pin<Box<tokio::time::Sleep>>,
    armed: Option<Instant>,
}

impl Deadline {
    const TICK: Duration = Duration::from_millis(10);

    fn new() -> Self {
        Deadline {
            sleep: Box::pin(tokio::time::sleep(Duration::ZERO)),
            armed: None,
        }
    }

    fn is_armed(&self) -> bool {
        self.armed.is_some()
    }

    /// Wake at `next` (or a little later), or not at all for `None`.
    fn arm(&mut self, next: Option<Instant>) {
        let Some(next) = next else {
            self.armed = None;
            return;
        };
        match self.armed {
            Some(at) if at <= next + Self::TICK && at + Self::TICK >= next => {}
            _ => {
                let at = next.max(Instant::now() + Self::TICK / 2);
                self.sleep.as_mut().reset(at.into());
                self.armed = Some(at);
            }
        }
    }

    async fn wait(&mut self) {
        (&mut self.sleep).await;
        self.armed = None;
    }
}
