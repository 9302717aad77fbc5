//! The RadSec client: one TLS connection reused for every request,
//! reconnected with exponential backoff, watched with Status-Server
//! (RFC 6614 §2.6, RFC 5997), replies matched by Identifier and verified
//! (Response Authenticator, Message-Authenticator).

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use radius_core::packet::EncodeError;
use radius_core::typed::{get_all_from_with, get_from_with, AttrCrypto, Attribute, CryptoCtx};
use radius_core::{Code, Packet, PacketWriter, RadiusVersion, Secret, ValueError};
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Semaphore};
use tokio_rustls::TlsConnector;

use crate::client::ClientStats;

use super::client_conn::{exchange, read_loop, write_loop, Conn};
use super::tls::{describe_tls_error, RadiusV11, TlsConfig, TlsConfigError};
use radius_proto::client::{
    needs_message_authenticator, ClientRequest, Outstanding, Reconnect, Slot,
};
use radius_proto::radsec::RADSEC_SECRET;

/// RadSec client settings.
#[derive(Debug, Clone)]
pub struct RadSecClientConfig {
    /// The server's address.
    pub server: SocketAddr,
    /// The name the server's certificate must carry (DNS name or IP address).
    pub server_name: String,
    /// Shared secret (default `"radsec"`, RFC 6614 §2.3).
    pub secret: Secret,
    /// TCP connect plus TLS handshake limit (default 5 s).
    pub connect_timeout: Duration,
    /// How long to wait for a reply (default 5 s). There is no
    /// retransmission over TCP (RFC 6613 §2.6.1).
    pub request_timeout: Duration,
    /// Send Status-Server when nothing was received for this long
    /// (default 30 s; `None`: no watchdog).
    pub watchdog_interval: Option<Duration>,
    /// A watchdog Status-Server unanswered this long closes the
    /// connection (default 5 s).
    pub watchdog_timeout: Duration,
    /// First reconnect delay after a failure (default 100 ms), doubled per
    /// failure up to `max_backoff` (default 30 s).
    pub min_backoff: Duration,
    /// Longest reconnect delay.
    pub max_backoff: Duration,
    /// Demand a Message-Authenticator in replies to Access-Request
    /// (default false: TLS already protects the reply). Not applicable to
    /// RADIUS/1.1, which has no Message-Authenticator.
    pub require_message_authenticator: bool,
    /// RADIUS/1.1 (RFC 9765): `Off` (default: offer ALPN `radius/1.0`),
    /// `Allowed` (offer `radius/1.1` and `radius/1.0`, use what the server
    /// picks) or `Required` (offer `radius/1.1` only; a connection without
    /// it fails). On a RADIUS/1.1 connection requests carry a Token (a
    /// per-connection counter from a random start), nothing is computed
    /// with the secret, and `PacketWriter::add` writes User-Password and
    /// the like in clear.
    pub radius_v11: RadiusV11,
}

impl RadSecClientConfig {
    /// Defaults for a server at `server` whose certificate names `server_name`.
    pub fn new(server: SocketAddr, server_name: impl Into<String>) -> Self {
        RadSecClientConfig {
            server,
            server_name: server_name.into(),
            secret: Secret::new(RADSEC_SECRET),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(5),
            watchdog_interval: Some(Duration::from_secs(30)),
            watchdog_timeout: Duration::from_secs(5),
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(30),
            require_message_authenticator: false,
            radius_v11: RadiusV11::Off,
        }
    }
}

/// Why a request got no verified reply.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TLS configuration is unusable.
    #[error(transparent)]
    Config(#[from] TlsConfigError),
    /// The server name is not a valid DNS name or IP address.
    #[error("invalid server name {0:?}")]
    ServerName(String),
    /// Connecting (TCP or TLS) failed; the text says which check failed.
    #[error("cannot connect to {server}: {reason}")]
    Connect {
        /// The server.
        server: SocketAddr,
        /// Why.
        reason: String,
    },
    /// Still backing off after failed connection attempts.
    #[error("not reconnecting to {server} for another {retry_in:?} (backoff after: {last})")]
    Backoff {
        /// The server.
        server: SocketAddr,
        /// Time left.
        retry_in: Duration,
        /// The last connection error.
        last: String,
    },
    /// The request could not be encoded.
    #[error("cannot encode request: {0}")]
    Encode(#[from] EncodeError),
    /// No reply in time.
    #[error("no reply within {0:?}")]
    Timeout(Duration),
    /// The connection closed before the reply came; why, as far as known
    /// (a TLS alert from the server names the certificate check that failed).
    #[error("connection lost before the reply: {0}")]
    ConnectionLost(String),
    /// [`RadSecClient::send`] of a request encoded for RADIUS/1.0 on a
    /// RADIUS/1.1 connection.
    #[error("a request encoded beforehand (obfuscated with the secret) cannot go over RADIUS/1.1")]
    PreEncodedOnV11,
}

/// A verified reply.
#[derive(Debug, Clone)]
pub struct Response {
    pub(super) bytes: Vec<u8>,
    pub(super) request_authenticator: [u8; 16],
    pub(super) secret: Secret,
    pub(super) version: RadiusVersion,
}

impl Response {
    /// The reply code.
    pub fn code(&self) -> Code {
        Code(self.bytes[0])
    }

    /// The packet octets.
    pub fn raw(&self) -> &[u8] {
        &self.bytes
    }

    /// The packet, for raw attribute access.
    pub fn packet(&self) -> Packet<'_> {
        Packet::decode_version(&self.bytes, self.version).expect("verified on receipt")
    }

    /// The first attribute `T` (obfuscated ones decoded, or read in clear
    /// in RADIUS/1.1).
    pub fn get<T: Attribute>(&self) -> Option<Result<T, ValueError>> {
        get_from_with::<T>(&self.bytes[20..], &self.crypto())
    }

    /// Every attribute `T`.
    pub fn get_all<T: Attribute>(&self) -> Vec<Result<T, ValueError>> {
        get_all_from_with::<T>(&self.bytes[20..], &self.crypto())
    }

    /// The Request Authenticator of the request it answers, as sent (the
    /// key of its obfuscated attributes).
    pub fn request_authenticator(&self) -> &[u8; 16] {
        &self.request_authenticator
    }

    /// The RADIUS version of the connection it came over.
    pub fn version(&self) -> RadiusVersion {
        self.version
    }

    /// The RADIUS/1.1 Token (the request's); `None` in RADIUS/1.0.
    pub fn token(&self) -> Option<u32> {
        self.version.is_v1_1().then(|| self.packet().token())
    }

    fn crypto(&self) -> AttrCrypto<'_> {
        match self.version {
            RadiusVersion::V1_0 => AttrCrypto::Obfuscated(CryptoCtx {
                secret: &self.secret,
                authenticator: &self.request_authenticator,
            }),
            RadiusVersion::V1_1 => AttrCrypto::Clear,
        }
    }
}

/// What the client counts, shared by its connections.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) requests: AtomicU64,
    pub(super) replies: AtomicU64,
    pub(super) invalid: AtomicU64,
    pub(super) unmatched: AtomicU64,
    pub(super) timeouts: AtomicU64,
}

struct Inner {
    config: RadSecClientConfig,
    counters: Arc<Counters>,
    connector: TlsConnector,
    name: ServerName<'static>,
    conn: tokio::sync::Mutex<Option<Arc<Conn>>>,
    backoff: Mutex<Reconnect>,
    connects: AtomicU64,
}

/// A RadSec client; cheap to clone (clones share the connection).
///
/// ```no_run
/// use radius_server::radsec::{RadSecClient, RadSecClientConfig, TlsConfig};
/// use radius_core::Code;
/// use radius_dict::prelude::{UserName, UserPassword};
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let tls = TlsConfig::from_pem_files("client.pem", "client.key", "ca.pem")?;
/// let server = "192.0.2.1:2083".parse()?;
/// let client = RadSecClient::new(RadSecClientConfig::new(server, "radius.example.org"), tls)?;
/// let reply = client
///     .request(Code::ACCESS_REQUEST, |w, secret| {
///         w.add(&UserName::new("bob"), secret)?;
///         w.add(&UserPassword::new("hello"), secret)
///     })
///     .await?;
/// assert_eq!(reply.code(), Code::ACCESS_ACCEPT);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RadSecClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RadSecClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RadSecClient")
            .field("server", &self.inner.config.server)
            .finish_non_exhaustive()
    }
}

impl RadSecClient {
    /// A client; it connects on the first request.
    pub fn new(config: RadSecClientConfig, tls: TlsConfig) -> Result<Self, ClientError> {
        let name = ServerName::try_from(config.server_name.clone())
            .map_err(|_| ClientError::ServerName(config.server_name.clone()))?;
        let connector = TlsConnector::from(Arc::new(tls.client_config_v11(config.radius_v11)?));
        Ok(RadSecClient {
            inner: Arc::new(Inner {
                connector,
                name,
                conn: tokio::sync::Mutex::new(None),
                backoff: Mutex::new(Reconnect::new(config.min_backoff, config.max_backoff)),
                connects: AtomicU64::new(0),
                counters: Arc::default(),
                config,
            }),
        })
    }

    /// Connect now (or return the live connection's status): a way to see
    /// configuration and certificate errors before the first request.
    pub async fn connect(&self) -> Result<(), ClientError> {
        self.conn().await.map(|_| ())
    }

    /// Whether a connection is up.
    pub fn is_connected(&self) -> bool {
        self.inner
            .conn
            .try_lock()
            .map(|g| g.as_ref().is_some_and(|c| c.alive.load(Ordering::Relaxed)))
            .unwrap_or(true)
    }

    /// Connections established so far (1 while the first one lasts).
    pub fn connects(&self) -> u64 {
        self.inner.connects.load(Ordering::Relaxed)
    }

    /// Counters so far: requests, verified replies, replies dropped for
    /// failing verification (the connection stays up), unmatched replies,
    /// timeouts; `sockets` is 1 while connected. TCP has no
    /// retransmissions.
    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.counters;
        let n = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ClientStats {
            requests: n(&c.requests),
            retransmissions: 0,
            replies: n(&c.replies),
            invalid_replies: n(&c.invalid),
            unmatched_replies: n(&c.unmatched),
            timeouts: n(&c.timeouts),
            sockets: usize::from(self.is_connected()),
        }
    }

    /// Close the connection (the next request reconnects).
    pub async fn disconnect(&self) {
        if let Some(c) = self.inner.conn.lock().await.take() {
            c.close("closed by disconnect()");
        }
    }

    async fn conn(&self) -> Result<Arc<Conn>, ClientError> {
        let mut g = self.inner.conn.lock().await;
        if let Some(c) = g.as_ref() {
            if c.alive.load(Ordering::Relaxed) {
                return Ok(c.clone());
            }
        }
        *g = None;
        let cfg = &self.inner.config;
        {
            let b = self.inner.backoff.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(retry_in) = b.wait(Instant::now()) {
                return Err(ClientError::Backoff {
                    server: cfg.server,
                    retry_in,
                    last: b.last_error().to_owned(),
                });
            }
        }
        match tokio::time::timeout(cfg.connect_timeout, self.open()).await {
            Ok(Ok(c)) => {
                let mut b = self.inner.backoff.lock().unwrap_or_else(|p| p.into_inner());
                b.succeeded();
                self.inner.connects.fetch_add(1, Ordering::Relaxed);
                *g = Some(c.clone());
                Ok(c)
            }
            r => {
                let reason = match r {
                    Ok(Err(e)) => e,
                    _ => format!("timed out after {:?}", cfg.connect_timeout),
                };
                let mut b = self.inner.backoff.lock().unwrap_or_else(|p| p.into_inner());
                let delay = b.failed(Instant::now(), &reason);
                tracing::warn!(server = %cfg.server, retry_in = ?delay, "RadSec connect failed: {reason}");
                Err(ClientError::Connect {
                    server: cfg.server,
                    reason,
                })
            }
        }
    }

    async fn open(&self) -> Result<Arc<Conn>, String> {
        let cfg = &self.inner.config;
        let tcp = TcpStream::connect(cfg.server)
            .await
            .map_err(|e| format!("TCP: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let tls = self
            .inner
            .connector
            .connect(self.inner.name.clone(), tcp)
            .await
            .map_err(|e| format!("TLS: {}", describe_tls_error(&e)))?;
        let alpn = tls.get_ref().1.alpn_protocol();
        // rustls refuses a name we did not offer; no ALPN is RADIUS/1.0.
        let version = RadiusVersion::from_alpn(alpn).unwrap_or(RadiusVersion::V1_0);
        if !cfg.radius_v11.accepts(version) {
            return Err(format!(
                "server negotiated {version} (ALPN {:?}) but radius_v11 = {}",
                alpn.map(String::from_utf8_lossy),
                cfg.radius_v11
            ));
        }
        let (rd, wr) = tokio::io::split(tls);
        let (tx, rx) = mpsc::channel::<Vec<u8>>(512);
        let seed = radius_core::crypto::random_authenticator();
        let conn = Arc::new(Conn {
            tx,
            version,
            slots: Mutex::new(Outstanding::new(
                version,
                u32::from_be_bytes([seed[0], seed[1], seed[2], seed[3]]),
            )),
            ids: Arc::new(Semaphore::new(256)),
            alive: AtomicBool::new(true),
            reason: Mutex::new(None),
            last_rx: Mutex::new(Instant::now()),
            tasks: Mutex::new(Vec::new()),
            counters: self.inner.counters.clone(),
        });
        let weak = Arc::downgrade(&conn);
        let w = tokio::spawn(write_loop(wr, rx, weak.clone()));
        let r = tokio::spawn(read_loop(rd, weak.clone(), cfg.secret.clone(), cfg.server));
        let mut tasks = vec![w, r];
        if let Some(every) = cfg.watchdog_interval {
            tasks.push(tokio::spawn(watchdog(
                self.clone_weak(),
                weak,
                every,
                cfg.watchdog_timeout,
            )));
        }
        *conn.tasks.lock().unwrap_or_else(|p| p.into_inner()) = tasks;
        tracing::debug!(server = %cfg.server, %version, "RadSec connection established");
        Ok(conn)
    }

    fn clone_weak(&self) -> std::sync::Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    /// Send a request and wait for its verified reply. `build` adds the
    /// attributes; the client picks the Identifier, adds
    /// Message-Authenticator to Access-Request and Status-Server, and
    /// computes the authenticators with the shared secret (passed to
    /// `build` for obfuscating User-Password and the like). On a
    /// RADIUS/1.1 connection it picks a Token instead, adds no
    /// Message-Authenticator, `PacketWriter::add` writes obfuscated
    /// attributes in clear, and the reply is matched by Token.
    pub async fn request(
        &self,
        code: Code,
        build: impl FnOnce(&mut PacketWriter<'_>, &Secret) -> Result<(), EncodeError>,
    ) -> Result<Response, ClientError> {
        let conn = self.conn().await?;
        exchange(
            &conn,
            &self.inner.config,
            code,
            built(code, build),
            self.inner.config.request_timeout,
        )
        .await
    }

    /// Send a request built beforehand (a proxy's rewritten request, or one
    /// shared with a [`UdpClient`](crate::client::UdpClient)) and wait for
    /// its verified reply. Its obfuscated attributes were encoded with this
    /// client's secret and the request's own authenticator, which only
    /// RADIUS/1.0 carries: on a RADIUS/1.1 connection this fails with
    /// [`ClientError::PreEncodedOnV11`] (use [`request`](Self::request)).
    pub async fn send(&self, req: &ClientRequest) -> Result<Response, ClientError> {
        let conn = self.conn().await?;
        let encode = |slot: Slot, secret: &Secret, buf: &mut Vec<u8>| {
            if slot.token().is_some() {
                return Err(ClientError::PreEncodedOnV11);
            }
            req.encode(slot.id(), secret, buf)?;
            Ok(())
        };
        exchange(
            &conn,
            &self.inner.config,
            req.code(),
            encode,
            self.inner.config.request_timeout,
        )
        .await
    }

    /// Status-Server (RFC 5997): whether the server is alive, as an
    /// Access-Accept.
    pub async fn status(&self) -> Result<Response, ClientError> {
        self.request(Code::STATUS_SERVER, |_, _| Ok(())).await
    }
}

/// Build a request from attributes: the client picks the header, and adds
/// Message-Authenticator where the code needs one.
fn built(
    code: Code,
    build: impl FnOnce(&mut PacketWriter<'_>, &Secret) -> Result<(), EncodeError>,
) -> impl FnOnce(Slot, &Secret, &mut Vec<u8>) -> Result<(), ClientError> {
    move |slot, secret, buf| {
        let mut w = match slot.token() {
            Some(token) => PacketWriter::v1_1(buf, code, token),
            None => PacketWriter::request(buf, code, slot.id()),
        };
        if needs_message_authenticator(code) {
            // A no-op in RADIUS/1.1.
            w.message_authenticator()?;
        }
        build(&mut w, secret)?;
        w.finish(secret)?;
        Ok(())
    }
}

async fn watchdog(
    client: std::sync::Weak<Inner>,
    conn: std::sync::Weak<Conn>,
    every: Duration,
    timeout: Duration,
) {
    loop {
        let since = {
            let Some(c) = conn.upgrade() else { return };
            let at = *c.last_rx.lock().unwrap_or_else(|p| p.into_inner());
            at.elapsed()
        };
        if since < every {
            tokio::time::sleep(every - since).await;
            continue;
        }
        let (Some(c), Some(inner)) = (conn.upgrade(), client.upgrade()) else {
            return;
        };
        match exchange(
            &c,
            &inner.config,
            Code::STATUS_SERVER,
            built(Code::STATUS_SERVER, |_, _| Ok(())),
            timeout,
        )
        .await
        {
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(server = %inner.config.server,
                    "RadSec watchdog: Status-Server failed ({e}); closing the connection");
                // Do not abort ourselves before the others.
                c.set_reason(&format!("watchdog Status-Server failed: {e}"));
                c.alive.store(false, Ordering::Relaxed);
                let waiters = c.slots.lock().unwrap_or_else(|p| p.into_inner()).drain();
                drop(waiters);
                c.ids.close();
                let me = tokio::task::try_id();
                for t in c.tasks.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
                    if Some(t.id()) != me {
                        t.abort();
                    }
                }
                return;
            }
        }
    }
}

#[allow(dead_code)]
fn _assert_send() {
    fn is_send<T: Send + Sync>() {}
    is_send::<RadSecClient>();
    let _ = io::ErrorKind::Other;
}
