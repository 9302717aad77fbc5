//! The RadSec (RADIUS over TLS, RFC 6614) server.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use radius_core::Code;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

use super::connection::connection;
use super::gate::Gate;
use super::tls::{RadiusV11, TlsConfig, TlsConfigError};
use crate::engine::EngineConfig;
use crate::handler::{DynHandler, Handler, Handlers};
use crate::host::HostTable;
use crate::stats::{LogLimiter, Stats};
use radius_proto::radsec::{AdmissionConfig, AdmissionStats, TlsClientTable};
use radius_proto::Cidr;

/// The default RadSec port (RFC 6614 §2.1).
pub const RADSEC_PORT: u16 = 2083;

/// RadSec server limits.
#[derive(Debug, Clone)]
pub struct RadSecConfig {
    /// A TLS handshake taking longer is abandoned and its connection
    /// closed (default 5 s).
    pub handshake_timeout: Duration,
    /// Connections whose TLS handshake is in progress: per source (default
    /// 16), in total (default 256), allowed source networks (default: those
    /// of the client table when every entry has an address, else any) and
    /// how often refusals are logged. Refused connections are closed before
    /// any TLS work; these never take one of `max_connections`.
    pub handshakes: AdmissionConfig,
    /// A connection with no packet and nothing in flight for this long is
    /// closed (default 120 s; RFC 6613 §2.6.3 suggests no less than 30 s
    /// beyond the client's Status-Server interval).
    pub idle_timeout: Duration,
    /// Established (authenticated) connections; one more is closed after
    /// its handshake (default 1024). Handshakes in progress have their own
    /// budget (`handshakes`).
    pub max_connections: usize,
    /// Requests being handled per connection; at the limit the connection
    /// is not read until one finishes (TCP back-pressure, no drops;
    /// default 256).
    pub max_in_flight_per_connection: usize,
    /// A handler running longer is abandoned (no reply) (default 10 s).
    pub handler_timeout: Duration,
    /// Per-connection duplicate cache lifetime (default 30 s).
    pub dedup_ttl: Duration,
    /// Drop log lines per reason per second (default 10).
    pub log_lines_per_second: u32,
}

impl Default for RadSecConfig {
    fn default() -> Self {
        RadSecConfig {
            handshake_timeout: Duration::from_secs(5),
            handshakes: AdmissionConfig::default(),
            idle_timeout: Duration::from_secs(120),
            max_connections: 1024,
            max_in_flight_per_connection: 256,
            handler_timeout: Duration::from_secs(10),
            dedup_ttl: Duration::from_secs(30),
            log_lines_per_second: 10,
        }
    }
}

/// Entry point: `RadSecServer::builder(tls)` or `RadSecServer::with_state(tls, state)`.
///
/// ```no_run
/// use radius_server::radsec::{RadSecServer, TlsClient, TlsClientTable, TlsConfig};
/// use radius_server::{radius_handler, AccessAccept, AccessRequest, Reply};
///
/// #[radius_handler]
/// async fn auth(_req: AccessRequest) -> Reply {
///     AccessAccept::new().into()
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let tls = TlsConfig::from_pem_files("server.pem", "server.key", "ca.pem")?;
/// let server = RadSecServer::builder(tls)
///     .clients(TlsClientTable::new().with(TlsClient::new("nas1").cert_name("nas1.example.org")))
///     .auth(auth)
///     .bind("0.0.0.0:2083".parse()?)
///     .spawn()
///     .await?;
/// println!("RadSec on {}", server.local_addr());
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RadSecServer;

impl RadSecServer {
    /// A builder without shared state.
    pub fn builder(tls: TlsConfig) -> RadSecBuilder<()> {
        RadSecBuilder::new(tls, ())
    }

    /// A builder whose handlers can take [`Shared<S>`](crate::Shared).
    pub fn with_state<S: Clone + Send + Sync + 'static>(
        tls: TlsConfig,
        state: S,
    ) -> RadSecBuilder<S> {
        RadSecBuilder::new(tls, state)
    }
}

/// Configures and starts a RadSec server (see [`RadSecServer`]). Handlers
/// are the same as for the UDP [`Server`](crate::Server); they see
/// [`Protocol::Tls`](crate::Protocol::Tls) in the [`Transport`](crate::Transport) extractor.
pub struct RadSecBuilder<S> {
    tls: TlsConfig,
    clients: TlsClientTable,
    state: S,
    handlers: Handlers<S>,
    addr: SocketAddr,
    config: RadSecConfig,
    v11: RadiusV11,
}

/// Why a RadSec server could not start.
#[derive(Debug, thiserror::Error)]
pub enum RadSecError {
    /// The TLS material is unusable.
    #[error(transparent)]
    Tls(#[from] TlsConfigError),
    /// The listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: io::Error,
    },
}

impl<S: Clone + Send + Sync + 'static> RadSecBuilder<S> {
    fn new(tls: TlsConfig, state: S) -> Self {
        RadSecBuilder {
            tls,
            clients: TlsClientTable::new(),
            state,
            handlers: Handlers::default(),
            addr: SocketAddr::from(([0, 0, 0, 0], RADSEC_PORT)),
            config: RadSecConfig::default(),
            v11: RadiusV11::Off,
        }
    }

    /// RADIUS/1.1 (RFC 9765) on this listener: `Off` (default, ALPN
    /// `radius/1.0` only), `Allowed` (`radius/1.1` when the client offers
    /// it, else RADIUS/1.0) or `Required` (clients must offer `radius/1.1`;
    /// one offering only `radius/1.0` fails the handshake, one offering no
    /// ALPN is closed after it). Client entries can narrow it
    /// ([`TlsClient::radius_v11`](super::TlsClient::radius_v11)).
    pub fn radius_v11(mut self, v11: RadiusV11) -> Self {
        self.v11 = v11;
        self
    }

    /// The RadSec clients (by certificate name and/or address).
    pub fn clients(mut self, clients: TlsClientTable) -> Self {
        self.clients = clients;
        self
    }

    /// Handler for Access-Request.
    pub fn auth<M: 'static>(mut self, h: impl Handler<M, S>) -> Self {
        self.handlers.set(Code::ACCESS_REQUEST, h);
        self
    }

    /// Handler for Accounting-Request.
    pub fn accounting<M: 'static>(mut self, h: impl Handler<M, S>) -> Self {
        self.handlers.set(Code::ACCOUNTING_REQUEST, h);
        self
    }

    /// Handler for CoA-Request (RFC 5176), on the same connections: a
    /// RadSec connection carries every RADIUS code (RFC 6614 §2.5).
    pub fn coa<M: 'static>(mut self, h: impl Handler<M, S>) -> Self {
        self.handlers.set(Code::COA_REQUEST, h);
        self
    }

    /// Handler for Disconnect-Request (RFC 5176), on the same connections.
    pub fn disconnect<M: 'static>(mut self, h: impl Handler<M, S>) -> Self {
        self.handlers.set(Code::DISCONNECT_REQUEST, h);
        self
    }

    /// Listen here (default `0.0.0.0:2083`; port 0 picks a free port).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Replace the limits.
    pub fn config(mut self, config: RadSecConfig) -> Self {
        self.config = config;
        self
    }

    /// Accept connections only from these source networks; others are
    /// closed before any TLS work (sets
    /// [`RadSecConfig::handshakes`]`.allowed`). Without it: the networks of
    /// the client table when every entry requires an address
    /// ([`TlsClient::addr`](super::TlsClient::addr)), else any address.
    /// Call it after [`config`](Self::config), which replaces the whole
    /// configuration.
    pub fn allowed_sources(mut self, networks: impl IntoIterator<Item = Cidr>) -> Self {
        self.config.handshakes.allowed = networks.into_iter().collect();
        self
    }

    /// Bind and start serving on the current tokio runtime.
    pub async fn spawn(self) -> Result<RadSecHandle, RadSecError> {
        let tls = Arc::new(self.tls.server_config_v11(self.v11)?);
        let listener = TcpListener::bind(self.addr)
            .await
            .map_err(|source| RadSecError::Bind {
                addr: self.addr,
                source,
            })?;
        let local = listener.local_addr().map_err(|source| RadSecError::Bind {
            addr: self.addr,
            source,
        })?;
        let served = self.handlers.served();
        let mut admission = self.config.handshakes.clone();
        if admission.allowed.is_empty() {
            admission.allowed = self.clients.source_networks().unwrap_or_default();
        }
        if !admission.allowed.is_empty() {
            let nets: Vec<String> = admission.allowed.iter().map(|n| n.to_string()).collect();
            tracing::info!(networks = %nets.join(", "), "RadSec accepts connections only from these networks");
        }
        let gate = Arc::new(Gate::new(admission, self.config.max_connections));
        let stats = Arc::new(Stats::new());
        let shared = Arc::new(Inner {
            state: self.state,
            handlers: self.handlers,
            clients: self.clients,
            engine_config: EngineConfig {
                dedup_capacity: (self.config.max_in_flight_per_connection * 4).max(64),
                dedup_ttl: self.config.dedup_ttl,
                served,
            },
            stats: stats.clone(),
            limiter: Arc::new(LogLimiter::new(self.config.log_lines_per_second)),
            hosts: radius_proto::live_hosts::LiveHosts::new(HostTable::new()),
            gate,
            open: AtomicUsize::new(0),
            handshake_failures: AtomicU64::new(0),
            stream_errors: AtomicU64::new(0),
            recent: Default::default(),
            config: self.config,
            v11: self.v11,
        });
        let (tx, rx) = watch::channel(false);
        let acceptor = Arc::new(std::sync::RwLock::new(TlsAcceptor::from(tls)));
        let task = tokio::spawn(accept_loop(listener, acceptor.clone(), shared.clone(), rx));
        tracing::info!(%local, "RadSec listener up");
        Ok(RadSecHandle {
            addr: local,
            acceptor,
            v11: shared.v11,
            stats,
            shutdown: tx,
            task,
            shared: shared as Arc<dyn Counters>,
        })
    }
}

trait Counters: Send + Sync {
    fn open(&self) -> usize;
    fn handshake_failures(&self) -> u64;
    fn stream_errors(&self) -> u64;
    fn recent_errors(&self) -> Vec<String>;
    fn gate(&self) -> &Gate;
}

pub(super) struct Inner<S> {
    pub(super) state: S,
    pub(super) handlers: Handlers<S>,
    pub(super) clients: TlsClientTable,
    pub(super) engine_config: EngineConfig,
    pub(super) stats: Arc<Stats>,
    pub(super) limiter: Arc<LogLimiter>,
    pub(super) hosts: radius_proto::live_hosts::LiveHosts,
    pub(super) gate: Arc<Gate>,
    pub(super) open: AtomicUsize,
    pub(super) handshake_failures: AtomicU64,
    pub(super) stream_errors: AtomicU64,
    pub(super) recent: std::sync::Mutex<std::collections::VecDeque<String>>,
    pub(super) config: RadSecConfig,
    pub(super) v11: RadiusV11,
}

impl<S: Send + Sync> Counters for Inner<S> {
    fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
    fn handshake_failures(&self) -> u64 {
        self.handshake_failures.load(Ordering::Relaxed)
    }
    fn stream_errors(&self) -> u64 {
        self.stream_errors.load(Ordering::Relaxed)
    }
    fn recent_errors(&self) -> Vec<String> {
        let g = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        g.iter().cloned().collect()
    }
    fn gate(&self) -> &Gate {
        &self.gate
    }
}

impl<S> Inner<S> {
    pub(super) fn handshake_failed(&self, peer: SocketAddr, why: String) {
        self.handshake_failures.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(%peer, "RadSec TLS handshake failed: {why}");
        let mut g = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        if g.len() == 16 {
            g.pop_front();
        }
        g.push_back(format!("{peer}: {why}"));
    }
}

impl<S: 'static> Inner<S> {
    pub(super) fn handler(&self, code: Code) -> Option<&DynHandler<S>> {
        self.handlers.get(code)
    }
}

/// A running RadSec server.
pub struct RadSecHandle {
    addr: SocketAddr,
    /// Replaced by [`RadSecHandle::replace_tls`]; read once per connection.
    acceptor: Arc<std::sync::RwLock<TlsAcceptor>>,
    v11: RadiusV11,
    stats: Arc<Stats>,
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
    shared: Arc<dyn Counters>,
}

impl std::fmt::Debug for RadSecHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RadSecHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RadSecHandle {
    /// Use `tls` (new certificate, key, CAs) for connections accepted from
    /// now on; established connections keep theirs. For a reload: a
    /// configuration that does not build is refused and the old one stays.
    pub fn replace_tls(&self, tls: &TlsConfig) -> Result<(), TlsConfigError> {
        let cfg = Arc::new(tls.server_config_v11(self.v11)?);
        *self.acceptor.write().unwrap_or_else(|p| p.into_inner()) = TlsAcceptor::from(cfg);
        Ok(())
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The counters (shared by all connections).
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Connections open now (handshaking or established).
    pub fn connections(&self) -> usize {
        self.shared.open()
    }

    /// Connections whose TLS handshake is in progress.
    pub fn handshakes(&self) -> usize {
        self.shared.gate().handshakes()
    }

    /// What the pre-handshake budget decided so far: admitted, refused
    /// (outside the allowed networks, source budget or total used up) and
    /// displaced handshakes ([`RadSecConfig::handshakes`]).
    pub fn admission(&self) -> AdmissionStats {
        self.shared.gate().stats()
    }

    /// Connections closed after a successful handshake because
    /// `max_connections` established connections were open.
    pub fn over_capacity(&self) -> u64 {
        self.shared.gate().over_capacity()
    }

    /// TLS handshakes that failed (bad certificate, timeout ...).
    pub fn handshake_failures(&self) -> u64 {
        self.shared.handshake_failures()
    }

    /// Connections closed for a malformed stream or an unknown client.
    pub fn stream_errors(&self) -> u64 {
        self.shared.stream_errors()
    }

    /// The last (up to 16) TLS handshake failures: peer and which check
    /// failed, e.g. `127.0.0.1:40000: certificate rejected: expired`.
    pub fn recent_handshake_errors(&self) -> Vec<String> {
        self.shared.recent_errors()
    }

    /// Stop accepting and close every connection (running handlers finish
    /// on their own but their replies are not sent).
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }

    /// Serve until the listener fails.
    pub async fn wait(self) {
        let _ = self.task.await;
    }
}

async fn accept_loop<S: Clone + Send + Sync + 'static>(
    listener: TcpListener,
    acceptor: Arc<std::sync::RwLock<TlsAcceptor>>,
    shared: Arc<Inner<S>>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let (tcp, peer) = tokio::select! {
            _ = shutdown.changed() => break,
            r = listener.accept() => match r {
                Ok(v) => v,
                Err(e) => {
                    // EMFILE and friends: back off briefly instead of spinning.
                    tracing::warn!("RadSec accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Before any TLS work: the source's and the total handshake budget.
        let Some(pending) = shared.gate.admit(peer) else {
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let shared = shared.clone();
        let acceptor = acceptor.read().unwrap_or_else(|p| p.into_inner()).clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            shared.open.fetch_add(1, Ordering::Relaxed);
            connection(tcp, peer, acceptor, &shared, shutdown, pending).await;
            shared.open.fetch_sub(1, Ordering::Relaxed);
        });
    }
}
