//! The tokio UDP server.
//!
//! ```no_run
//! use radius_server::{radius_handler, AccessAccept, AccessRequest, ClientConfig, HostTable, Reply, Server};
//!
//! #[radius_handler]
//! async fn auth(_req: AccessRequest) -> Reply {
//!     AccessAccept::new().into()
//! }
//!
//! # async fn run() -> std::io::Result<()> {
//! let clients = HostTable::new().with("127.0.0.0/8".parse().unwrap(),
//!                                     ClientConfig::new("localhost", "testing123"));
//! let server = Server::builder()
//!     .clients(clients)
//!     .auth(auth)
//!     .bind_auth("127.0.0.1:1812".parse().unwrap())
//!     .spawn()
//!     .await?;
//! println!("listening on {:?}", server.auth_addrs());
//! server.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! Design: each listener address gets one `SO_REUSEPORT` socket per worker
//! (the kernel spreads clients over them by address hash, so one client's
//! retransmissions reach the same worker and its duplicate cache). A worker
//! is an OS thread with a single-threaded tokio runtime
//! ([`ServerConfig::own_threads`]). Each socket has one receive loop that:
//!
//! 1. takes up to 32 queued datagrams per system call (`recvmmsg` on Linux);
//! 2. computes the Message-Authenticators, Request Authenticator digests and
//!    User-Password keystreams the whole batch needs at once, in SIMD lanes
//!    ([`radius_core::crypto::batch`]);
//! 3. runs the [`Engine`] on each datagram, calls the handler and polls its
//!    future once: a ready handler answers without a task switch; a pending
//!    one is spawned on the worker's runtime, bounded by the in-flight limits
//!    and the handler timeout, and sends its own reply;
//! 4. signs the batch's ready replies together, caches them for duplicates,
//!    and sends them in one `sendmmsg`.
//!
//! Receive and send buffers are reused. Handlers run on the worker thread,
//! so `tokio::task::block_in_place` is not available there (use a sync
//! handler, which runs on the blocking pool), and tasks a handler spawns
//! and leaves running end with the worker at shutdown.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

use radius_core::crypto::batch::Expected;
use radius_core::md5x::Md5Batch;

use crate::batch::{RecvBatch, SendBatch, BATCH};
use crate::engine::{Completion, Engine, EngineConfig, Event, Incoming};
use crate::fair::{FairQueue, Overload};
use crate::forward::Upstream;
use crate::handler::{call_and_poll, finish_pending, DynHandler, FirstPoll, Handler, Handlers};
use crate::host::HostTable;
use crate::port::PortKind;
use crate::proxy::Forward;
use crate::reply::Reply;
use crate::request::Request;
use crate::send_queue::{sign_queued, SendQueue, Unsigned};
use crate::stats::{DropReason, LogLimiter, Stats};

/// Server limits and tuning.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Sockets (and receive loops) per listener address; default: half the
    /// CPUs, at least 1. Measured on 2 cores under 64 closed-loop clients:
    /// one worker served 236k req/s at 4.2 µs CPU each; two workers served
    /// fewer (170k–230k) at 4.7–5.2 µs, because each wakeup found half the
    /// batch and the threads competed with the kernel's network work.
    pub workers: usize,
    /// Spawned (not immediately ready) requests in flight, in total.
    pub max_in_flight: usize,
    /// Spawned requests in flight per client.
    pub max_in_flight_per_client: u32,
    /// A handler running longer is abandoned (no reply; the client retransmits).
    pub handler_timeout: Duration,
    /// Duplicate cache entries per worker.
    pub dedup_capacity: usize,
    /// How long replies stay cached.
    pub dedup_ttl: Duration,
    /// Drop log lines per reason per second.
    pub log_lines_per_second: u32,
    /// Kernel socket buffer size to request (each direction).
    pub socket_buffer: usize,
    /// Run each worker on its own OS thread with a single-threaded tokio
    /// runtime (thread per core; the default), instead of as tasks on the
    /// caller's runtime. Handlers that do not finish at once are spawned on
    /// their worker's runtime; sync handlers use its blocking pool. Why:
    /// as a task on a multi-threaded runtime, a receive loop hops between
    /// threads, and one worker cost 6.2–6.7 µs per request instead of 4.2.
    pub own_threads: bool,
    /// Send replies of one size to one client as one segmented datagram
    /// train (Linux UDP GSO, 4.18+; probed per socket, and turned off on a
    /// socket where the kernel refuses it). Clients see ordinary datagrams.
    pub udp_gso: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            workers: std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            max_in_flight: 65536,
            max_in_flight_per_client: 4096,
            handler_timeout: Duration::from_secs(10),
            dedup_capacity: 65536,
            dedup_ttl: Duration::from_secs(30),
            log_lines_per_second: 10,
            socket_buffer: 4 << 20,
            own_threads: true,
            udp_gso: true,
        }
    }
}

/// The server; start with [`Server::builder`] or [`Server::with_state`].
#[derive(Debug)]
pub struct Server;

impl Server {
    /// A builder for a server without shared state.
    pub fn builder() -> Builder<()> {
        Builder::new(())
    }

    /// A builder for a server whose handlers can take [`Shared<S>`](crate::Shared).
    pub fn with_state<S: Clone + Send + Sync + 'static>(state: S) -> Builder<S> {
        Builder::new(state)
    }
}

/// Configures and starts a [`Server`].
pub struct Builder<S> {
    hosts: HostTable,
    state: S,
    handlers: Handlers<S>,
    forward: Option<ForwardHook<S>>,
    binds: Vec<(PortKind, SocketAddr)>,
    config: ServerConfig,
}

/// What [`Builder::forward`] takes.
type ForwardHook<S> = Box<dyn Fn(&S, &Request) -> Option<Forward> + Send + Sync>;

impl<S: Clone + Send + Sync + 'static> Builder<S> {
    fn new(state: S) -> Self {
        Builder {
            hosts: HostTable::new(),
            state,
            handlers: Handlers::default(),
            forward: None,
            binds: Vec::new(),
            config: ServerConfig::default(),
        }
    }

    /// Replace the shared state (and its type). Handlers registered before
    /// are kept only if the state type stays the same, so call this first.
    pub fn state<T: Clone + Send + Sync + 'static>(self, state: T) -> Builder<T> {
        Builder {
            hosts: self.hosts,
            state,
            handlers: Handlers::default(),
            forward: None,
            binds: self.binds,
            config: self.config,
        }
    }

    /// The host table (clients and secrets).
    pub fn clients(mut self, hosts: HostTable) -> Self {
        self.hosts = hosts;
        self
    }

    /// Handler for Access-Request.
    pub fn auth<M: 'static>(mut self, h: impl Handler<M, S>) -> Self {
        self.handlers.set(radius_core::Code::ACCESS_REQUEST, h);
        self
    }

    /// Handler for Accounting-Request.
    pub fn accounting<M: 'static>(mut self, h: impl Handler<M, S>) -> Self {
        self.handlers.set(radius_core::Code::ACCOUNTING_REQUEST, h);
        self
    }

    /// Handler for CoA-Request.
    pub fn coa<M: 'static>(mut self, h: impl Handler<M, S>) -> Self {
        self.handlers.set(radius_core::Code::COA_REQUEST, h);
        self
    }

    /// Handler for Disconnect-Request.
    pub fn disconnect<M: 'static>(mut self, h: impl Handler<M, S>) -> Self {
        self.handlers.set(radius_core::Code::DISCONNECT_REQUEST, h);
        self
    }

    /// Forward requests to home servers in the receive loop itself, before
    /// any handler runs: for each request the engine would hand to a
    /// handler, `route` may return a [`Forward`] (from
    /// [`Proxy::forwarding`](crate::proxy::Proxy::forwarding)); the
    /// listener then sends it to the pool's servers in turn, failing over
    /// on its own deadlines, and relays the reply, with no task, channel
    /// or timer per request. `None` leaves the request to its handler
    /// (which may still call [`Proxy::forward`](crate::proxy::Proxy::forward),
    /// e.g. to adjust the reply), as does a request the listener cannot
    /// take (all 256 Identifiers towards that server in use on its
    /// socket). Only codes with a handler are offered.
    pub fn forward(
        mut self,
        route: impl Fn(&S, &Request) -> Option<Forward> + Send + Sync + 'static,
    ) -> Self {
        self.forward = Some(Box::new(route));
        self
    }

    /// Listen for Access-Request and Status-Server here (may be repeated,
    /// e.g. once for IPv4 and once for IPv6). Port 0 picks a free port.
    pub fn bind_auth(mut self, addr: SocketAddr) -> Self {
        self.binds.push((PortKind::Auth, addr));
        self
    }

    /// Listen for Accounting-Request and Status-Server here.
    pub fn bind_acct(mut self, addr: SocketAddr) -> Self {
        self.binds.push((PortKind::Acct, addr));
        self
    }

    /// Listen for CoA-Request and Disconnect-Request here.
    pub fn bind_coa(mut self, addr: SocketAddr) -> Self {
        self.binds.push((PortKind::Coa, addr));
        self
    }

    /// Replace all limits and tuning at once.
    pub fn config(mut self, config: ServerConfig) -> Self {
        self.config = config;
        self
    }

    /// Sockets per listener address, one receive loop (and thread) each.
    pub fn workers(mut self, n: usize) -> Self {
        self.config.workers = n.max(1);
        self
    }

    /// Whether workers get their own threads (default) or run as tasks on
    /// the caller's runtime; see [`ServerConfig::own_threads`].
    pub fn own_threads(mut self, yes: bool) -> Self {
        self.config.own_threads = yes;
        self
    }

    /// Whether replies to one client may be sent as one segmented train;
    /// see [`ServerConfig::udp_gso`].
    pub fn udp_gso(mut self, yes: bool) -> Self {
        self.config.udp_gso = yes;
        self
    }

    /// In-flight limits (spawned handlers), in total and per client.
    pub fn max_in_flight(mut self, total: usize, per_client: u32) -> Self {
        self.config.max_in_flight = total;
        self.config.max_in_flight_per_client = per_client;
        self
    }

    /// Handler timeout.
    pub fn handler_timeout(mut self, d: Duration) -> Self {
        self.config.handler_timeout = d;
        self
    }

    /// Duplicate cache size (per worker) and lifetime.
    pub fn dedup(mut self, capacity: usize, ttl: Duration) -> Self {
        self.config.dedup_capacity = capacity;
        self.config.dedup_ttl = ttl;
        self
    }

    /// Bind every listener and start serving on the current tokio runtime.
    pub async fn spawn(self) -> io::Result<ServerHandle> {
        if self.binds.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "no listener address given",
            ));
        }
        let served = self.handlers.served();
        let stats = Arc::new(Stats::new());
        let limiter = Arc::new(LogLimiter::new(self.config.log_lines_per_second));
        let hosts = radius_proto::live_hosts::LiveHosts::new(self.hosts);
        let shared = Arc::new(Inner {
            state: self.state,
            handlers: self.handlers,
            forward: self.forward,
            in_flight: AtomicUsize::new(0),
            config: self.config.clone(),
        });
        let engine_config = EngineConfig {
            dedup_capacity: self.config.dedup_capacity,
            dedup_ttl: self.config.dedup_ttl,
            served,
        };
        let (tx, rx) = watch::channel(false);
        let workers = self.config.workers.max(1);
        // Sockets by worker: worker w serves socket w of every listener.
        let mut per_worker: Vec<Vec<(std::net::UdpSocket, PortKind)>> =
            (0..workers).map(|_| Vec::new()).collect();
        let mut addrs = Vec::new();
        for (kind, addr) in self.binds {
            let first = bind_udp(addr, workers > 1, self.config.socket_buffer)?;
            let local = first.local_addr()?;
            addrs.push((kind, local));
            per_worker[0].push((first, kind));
            for w in per_worker.iter_mut().skip(1) {
                w.push((bind_udp(local, true, self.config.socket_buffer)?, kind));
            }
            tracing::info!(listener = %kind, %local, workers, "RADIUS listener up");
        }
        let new_engine = || {
            Arc::new(Engine::with_shared(
                hosts.clone(),
                engine_config.clone(),
                stats.clone(),
                limiter.clone(),
            ))
        };
        let mut tasks = Vec::new();
        for (w, socks) in per_worker.into_iter().enumerate() {
            let loops: Vec<_> = socks
                .into_iter()
                .map(|(s, kind)| (s, new_engine(), kind))
                .collect();
            if self.config.own_threads {
                tasks.push(spawn_worker_thread(w, loops, shared.clone(), rx.clone())?);
            } else {
                for (s, engine, kind) in loops {
                    let sock = Arc::new(UdpSocket::from_std(s)?);
                    tasks.push(tokio::spawn(recv_loop(
                        sock,
                        engine,
                        shared.clone(),
                        kind,
                        rx.clone(),
                    )));
                }
            }
        }
        Ok(ServerHandle {
            addrs,
            hosts,
            stats,
            shutdown: tx,
            tasks,
            shared: shared.clone() as Arc<dyn InFlight>,
        })
    }

    /// Start and serve until the process ends (or a listener fails).
    pub async fn run(self) -> io::Result<()> {
        let h = self.spawn().await?;
        h.wait().await;
        Ok(())
    }
}

trait InFlight: Send + Sync {
    fn in_flight(&self) -> usize;
}

struct Inner<S> {
    state: S,
    handlers: Handlers<S>,
    forward: Option<ForwardHook<S>>,
    in_flight: AtomicUsize,
    config: ServerConfig,
}

impl<S: Send + Sync> InFlight for Inner<S> {
    fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }
}

impl<S: 'static> Inner<S> {
    fn handler(&self, code: radius_core::Code) -> Option<&DynHandler<S>> {
        self.handlers.get(code)
    }
}

/// A running server: its addresses, counters and shutdown.
pub struct ServerHandle {
    addrs: Vec<(PortKind, SocketAddr)>,
    hosts: radius_proto::live_hosts::LiveHosts,
    stats: Arc<Stats>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    shared: Arc<dyn InFlight>,
}

impl ServerHandle {
    /// Replace the clients (a reload): packets arriving from now on are
    /// matched against `hosts`; requests in flight finish with the client
    /// they were matched to. Unchanged entries keep their learned
    /// BlastRADIUS state. Returns how many entries were carried over.
    pub fn replace_clients(&self, hosts: HostTable) -> usize {
        self.hosts.replace(hosts)
    }

    /// The live client table the listeners read (replace it from a task
    /// that outlives this borrow, e.g. one polling a database).
    pub fn live_clients(&self) -> radius_proto::live_hosts::LiveHosts {
        self.hosts.clone()
    }

    /// Every bound listener with its kind.
    pub fn local_addrs(&self) -> &[(PortKind, SocketAddr)] {
        &self.addrs
    }

    fn of(&self, k: PortKind) -> Vec<SocketAddr> {
        self.addrs
            .iter()
            .filter(|(x, _)| *x == k)
            .map(|(_, a)| *a)
            .collect()
    }

    /// Bound authentication listeners.
    pub fn auth_addrs(&self) -> Vec<SocketAddr> {
        self.of(PortKind::Auth)
    }

    /// Bound accounting listeners.
    pub fn acct_addrs(&self) -> Vec<SocketAddr> {
        self.of(PortKind::Acct)
    }

    /// Bound CoA/Disconnect listeners.
    pub fn coa_addrs(&self) -> Vec<SocketAddr> {
        self.of(PortKind::Coa)
    }

    /// The counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Requests whose handler is still running.
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight()
    }

    /// Stop receiving, let running handlers finish (up to 5 s), then return.
    pub async fn shutdown(self) {
        self.shutdown_within(Duration::from_secs(5)).await
    }

    /// Stop receiving and wait up to `grace` for running handlers.
    pub async fn shutdown_within(self, grace: Duration) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        let deadline = Instant::now() + grace;
        while self.shared.in_flight() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Wait until every receive loop ends (they end only on shutdown or a
    /// fatal socket error).
    pub async fn wait(self) {
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

impl std::fmt::Debug for ServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerHandle")
            .field("addrs", &self.addrs)
            .finish_non_exhaustive()
    }
}

/// How far ahead [`keep_timer_armed`] keeps a timer: sooner than any
/// per-request deadline (handler timeouts, client retransmissions).
const TIMER_ANCHOR: Duration = Duration::from_millis(50);

/// Keep one timer pending on this runtime, always. Why: tokio's time
/// driver wakes the I/O driver (an eventfd write, and an extra trip
/// through epoll) whenever a timer is armed that expires before every
/// other one, which with no other timer pending is each request's first
/// timer after the runtime went idle. Measured with perf on the proxy path:
/// 1.5% of its CPU in that write alone. A waking every 50 ms costs nothing.
async fn keep_timer_armed() {
    loop {
        tokio::time::sleep(TIMER_ANCHOR).await;
    }
}

/// Run one worker's receive loops on a new OS thread with its own
/// single-threaded runtime. The returned task (on the caller's runtime)
/// ends when the loops do; the thread lives on until the worker's spawned
/// handlers finish (each bounded by the handler timeout).
fn spawn_worker_thread<S: Clone + Send + Sync + 'static>(
    w: usize,
    loops: Vec<(std::net::UdpSocket, Arc<Engine>, PortKind)>,
    shared: Arc<Inner<S>>,
    shutdown: watch::Receiver<bool>,
) -> io::Result<JoinHandle<()>> {
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::Builder::new()
        .name(format!("radius-worker-{w}"))
        .spawn(move || {
            // Built here: a runtime must not be dropped inside async code.
            let rt = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!("worker {w}: no runtime: {e}");
                    return;
                }
            };
            rt.block_on(async move {
                let anchor = tokio::spawn(keep_timer_armed());
                let mut set = Vec::new();
                for (s, engine, kind) in loops {
                    match UdpSocket::from_std(s) {
                        Ok(sock) => set.push(tokio::spawn(recv_loop(
                            Arc::new(sock),
                            engine,
                            shared.clone(),
                            kind,
                            shutdown.clone(),
                        ))),
                        Err(e) => tracing::error!(listener = %kind, "socket failed: {e}"),
                    }
                }
                for t in set {
                    let _ = t.await;
                }
                let _ = done_tx.send(());
                // Handlers spawned here run on this runtime: let them finish.
                while shared.in_flight.load(Ordering::Relaxed) > 0 {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                anchor.abort();
            })
        })?;
    Ok(tokio::spawn(async move {
        let _ = done_rx.await;
    }))
}

pub(crate) fn bind_udp(
    addr: SocketAddr,
    reuse_port: bool,
    buffer: usize,
) -> io::Result<std::net::UdpSocket> {
    let s = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if addr.is_ipv6() {
        s.set_only_v6(true)?;
    }
    #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
    if reuse_port {
        s.set_reuse_port(true)?;
    }
    #[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
    let _ = reuse_port;
    let _ = s.set_recv_buffer_size(buffer);
    // The kernel doubles what it grants (its bookkeeping), and caps it at
    // net.core.rmem_max: past that only a privileged process gets more.
    if s.recv_buffer_size().is_ok_and(|got| got < buffer) {
        crate::batch::force_recv_buffer(&s, buffer);
    }
    let _ = s.set_send_buffer_size(buffer);
    s.set_nonblocking(true)?;
    s.bind(&addr.into())?;
    Ok(s.into())
}

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

async fn recv_loop<S: Clone + Send + Sync + 'static>(
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

/// What one receive loop hands to [`handle_batch`].
struct Ctx<'a, S> {
    sock: &'a Arc<UdpSocket>,
    later: &'a Arc<SendQueue>,
    engine: &'a Arc<Engine>,
    shared: &'a Arc<Inner<S>>,
    waker: &'a Waker,
    kind: PortKind,
    now: Instant,
}

/// Buffers for one batch's authenticator work, reused across batches.
#[derive(Default)]
struct BatchWork {
    expected: Vec<Option<Expected>>,
    md5: Md5Batch,
    /// Inline replies waiting to be signed with their batch, by index in it.
    pending: Vec<(usize, Unsigned)>,
}

/// Handle one received batch: check every request's authenticators
/// together, run the engine and the handlers, sign the inline replies
/// together, cache them, and queue them in `tx`.
fn handle_batch<S: Clone + Send + Sync + 'static>(
    datagrams: &[(&[u8], SocketAddr)],
    tx: &mut SendBatch,
    work: &mut BatchWork,
    up: &mut Upstream<InFlightGuard<S>>,
    cx: &Ctx<'_, S>,
) {
    cx.engine.precompute(
        datagrams,
        cx.kind,
        cx.now,
        &mut work.md5,
        &mut work.expected,
    );
    for (&(data, src), expected) in datagrams.iter().zip(&work.expected) {
        let slot = tx.len();
        let out = tx.next_buf();
        let incoming = Incoming::datagram(data, src, cx.kind).with_expected(expected.as_ref());
        let reply = match cx.engine.handle(incoming, cx.now, out) {
            Event::Drop(_) => false,
            Event::Send { .. } => true,
            Event::Dispatch(req) => match dispatch(req, cx, up, out) {
                Inline::Nothing => false,
                Inline::Ready => true,
                Inline::Unsigned(u) => {
                    work.pending.push((slot, u));
                    true
                }
            },
        };
        if reply {
            tx.push(src);
        }
    }
    if work.pending.is_empty() {
        return;
    }
    sign_queued(tx, &work.pending, &mut work.md5, cx.engine, cx.now);
    work.pending.clear();
}

fn send_failed(engine: &Engine, dst: SocketAddr, e: &io::Error) {
    engine.stats().count_drop(DropReason::SendError);
    tracing::debug!(%dst, "send failed: {e}");
}

fn span_for(req: &Request) -> tracing::Span {
    // debug level: a span per request costs ~1 µs when enabled, a cached
    // callsite check when not (RUST_LOG=radius_server=debug turns them on).
    tracing::debug_span!("radius", client = req.client().name(), code = %req.code(), id = req.identifier())
}

/// What [`dispatch`] left in `out`.
enum Inline {
    /// Nothing to send (spawned, dropped or no reply).
    Nothing,
    /// A finished, cached reply.
    Ready,
    /// A reply to sign with its batch, then finish.
    Unsigned(Unsigned),
}

/// Run the handler for `req`. A handler that finishes at its first poll
/// leaves its reply in `out`; one that does not is spawned and sends its
/// own reply.
fn dispatch<S: Clone + Send + Sync + 'static>(
    mut req: Request,
    cx: &Ctx<'_, S>,
    up: &mut Upstream<InFlightGuard<S>>,
    out: &mut Vec<u8>,
) -> Inline {
    let (engine, shared, waker, now) = (cx.engine, cx.shared, cx.waker, cx.now);
    if let Some(fw) = shared.forward.as_ref().and_then(|f| f(&shared.state, &req)) {
        let client = req.client().clone();
        if shared.in_flight.load(Ordering::Relaxed) >= shared.config.max_in_flight
            || client.in_flight() >= shared.config.max_in_flight_per_client
        {
            engine.abandon(&req, DropReason::Overloaded, now);
            return Inline::Nothing;
        }
        let guard = InFlightGuard::new(shared.clone(), client);
        match up.start(req, fw, guard, now) {
            Ok(()) => return Inline::Nothing,
            // Not taken (no Identifier free): the handler forwards it.
            Err(r) => req = r,
        }
    }
    // `now` is the batch's receive time: inline work reads no clock of its own.
    let Some(handler) = shared.handler(req.code()) else {
        // The engine only dispatches codes that have a handler.
        engine.abandon(&req, DropReason::NoHandler, now);
        return Inline::Nothing;
    };
    let client = req.client().clone();
    if shared.in_flight.load(Ordering::Relaxed) >= shared.config.max_in_flight
        || client.in_flight() >= shared.config.max_in_flight_per_client
    {
        engine.abandon(&req, DropReason::Overloaded, now);
        return Inline::Nothing;
    }
    let span = span_for(&req);
    let first = {
        let _g = span.enter();
        call_and_poll(&**handler, req.clone(), &shared.state, waker)
    };
    let fut = match first {
        FirstPoll::Ready(reply) => {
            return span.in_scope(|| complete_inline(req, reply, engine, now, out));
        }
        FirstPoll::Panicked => {
            engine.abandon(&req, DropReason::HandlerPanic, now);
            return Inline::Nothing;
        }
        FirstPoll::Pending(f) => f,
    };
    // Slow path: run it as a task, bounded.
    let guard = InFlightGuard::new(shared.clone(), client);
    let (sock, later) = (cx.sock.clone(), cx.later.clone());
    let engine = engine.clone();
    let timeout = shared.config.handler_timeout;
    tokio::spawn(
        async move {
            let _guard = guard;
            // Left unsigned: the queue signs the replies it sends together
            // in one MD5 batch.
            if let Some((out, unsigned)) = finish_pending(fut, timeout, &engine, &req, true).await {
                let dst = req.source();
                let unsigned = unsigned.map(|(code, reply)| Unsigned { req, code, reply });
                later
                    .send_reply(&sock, &engine, dst, &out, unsigned, |f| {
                        send_failed(&engine, f.dst, &f.error)
                    })
                    .await;
            }
        }
        .instrument(span),
    );
    Inline::Nothing
}

/// Encode an inline reply; a RADIUS/1.0 one is left for its batch to sign.
fn complete_inline(
    req: Request,
    reply: Reply,
    engine: &Engine,
    now: Instant,
    out: &mut Vec<u8>,
) -> Inline {
    match engine.complete_deferred(&req, reply, now, out, true) {
        (Completion::Send(code), Some(reply)) => Inline::Unsigned(Unsigned { req, code, reply }),
        (Completion::Send(_), None) => Inline::Ready,
        (Completion::NoReply(_), _) => Inline::Nothing,
    }
}

struct InFlightGuard<S> {
    shared: Arc<Inner<S>>,
    _client: crate::host::InFlight,
}

impl<S> InFlightGuard<S> {
    fn new(shared: Arc<Inner<S>>, client: crate::Client) -> Self {
        shared.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlightGuard {
            shared,
            _client: client.track_in_flight(),
        }
    }
}

impl<S> Drop for InFlightGuard<S> {
    fn drop(&mut self) {
        self.shared.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}
