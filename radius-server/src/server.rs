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
use std::time::{Duration, Instant};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::engine::{Engine, EngineConfig};
use crate::handler::{DynHandler, Handler, Handlers};
use crate::host::HostTable;
use crate::listener::recv_loop;
use crate::port::PortKind;
use crate::proxy::Forward;
use crate::request::Request;
use crate::stats::{LogLimiter, Stats};

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
pub(crate) type ForwardHook<S> = Box<dyn Fn(&S, &Request) -> Option<Forward> + Send + Sync>;

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

/// What every receive loop of one server shares.
pub(crate) struct Inner<S> {
    pub(crate) state: S,
    pub(crate) handlers: Handlers<S>,
    pub(crate) forward: Option<ForwardHook<S>>,
    /// Requests in spawned handlers or forwarded, not yet answered.
    pub(crate) in_flight: AtomicUsize,
    pub(crate) config: ServerConfig,
}

impl<S: Send + Sync> InFlight for Inner<S> {
    fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }
}

impl<S: 'static> Inner<S> {
    /// Whether a new request would pass the in-flight limits (in total,
    /// or for `client`).
    pub(crate) fn overloaded(&self, client: &crate::Client) -> bool {
        self.in_flight.load(Ordering::Relaxed) >= self.config.max_in_flight
            || client.in_flight() >= self.config.max_in_flight_per_client
    }

    pub(crate) fn handler(&self, code: radius_core::Code) -> Option<&DynHandler<S>> {
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
