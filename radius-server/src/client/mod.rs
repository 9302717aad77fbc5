//! RADIUS clients: a UDP client for authentication, accounting,
//! Status-Server and CoA/Disconnect (towards a NAS on port 3799).
//!
//! ```no_run
//! use radius_server::client::UdpClient;
//! use radius_dict::prelude::{UserName, UserPassword};
//!
//! # async fn run() -> Result<(), radius_server::client::ClientError> {
//! let client = UdpClient::new("127.0.0.1:1812".parse().unwrap(), "testing123");
//! let reply = client
//!     .access_request()
//!     .with(UserName::new("bob"))
//!     .with(UserPassword::new("hello"))
//!     .send()
//!     .await?;
//! println!("{} after {} attempt(s)", reply.code(), reply.attempts());
//! # Ok(()) }
//! ```
//!
//! What it does for you:
//! - **Retransmission** per RFC 5080 §2.2.1: the same datagram (same
//!   Identifier, same authenticator) is resent with exponential backoff and
//!   ±10% jitter until a reply arrives, the attempts run out or the total
//!   time passes ([`RetryPolicy`]).
//! - **Identifiers** are allocated per socket (256 each) across any number
//!   of requests in flight; when all 256 of every socket are taken, another
//!   socket is opened, up to [`UdpClientBuilder::max_sockets`]; beyond that,
//!   requests wait for a free Identifier.
//! - **Verification**: a reply must come from the server (connected
//!   sockets), carry a pending Identifier, a code that answers the request,
//!   a correct Response Authenticator and, when present (or required, see
//!   [`RequireMessageAuthenticator`]), a correct Message-Authenticator.
//!   Anything else is discarded and counted, and the request keeps waiting
//!   for the genuine reply.
//! - **Message-Authenticator** is always added (first) to Access-Request
//!   and Status-Server.
//!
//! The protocol rules live in the sans-IO [`proto`] module; this module only
//! drives them with tokio sockets and timers.

pub use radius_proto::client as proto;

use std::fmt;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use radius_core::crypto::batch::{by_length, expected_per_datagram, ReplyToCheck, MIN_BATCH};
use radius_core::md5x::Md5Batch;
use radius_core::packet::MAX_PACKET_LEN;
use radius_core::typed::{get_all_from, get_from, Attribute, CryptoCtx};
use radius_core::{Code, EncodeError, Packet, RadiusVersion, Secret, ValueError};
use tokio::net::UdpSocket;

use crate::batch::RecvBatch;
use crate::send_queue::SendQueue;
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

pub use proto::{ClientRequest, IdPool, Jitter, ReplyError, RetryPolicy};

/// The CoA/Disconnect port of a NAS (RFC 5176 §3).
pub const COA_PORT: u16 = 3799;

/// Whether replies to Access-Request must carry a Message-Authenticator
/// (the BlastRADIUS protection, CVE-2024-3596). A Message-Authenticator in
/// any reply is always verified when present; this only decides whether its
/// absence from an Access-Accept/Reject/Challenge is acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequireMessageAuthenticator {
    /// Never require it (e.g. FreeRADIUS before 3.2.5 sends none).
    No,
    /// Every reply to an Access-Request must carry a valid one.
    Yes,
    /// Once the server has signed a reply to an Access-Request, require it
    /// from then on (the BlastRADIUS "auto" rule). The default.
    #[default]
    Auto,
}

/// Why a request got no (valid) reply.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No valid reply within the retry policy.
    #[error("no reply from {server} for Identifier {id} after {attempts} attempt(s) in {:.1} s", .elapsed.as_secs_f64())]
    Timeout {
        /// The server.
        server: SocketAddr,
        /// The Identifier the request was sent with.
        id: u8,
        /// Transmissions made.
        attempts: u32,
        /// Time from the first transmission to giving up.
        elapsed: Duration,
    },
    /// The request could not be encoded (too long, bad value ...).
    #[error("cannot encode request: {0}")]
    Encode(#[from] EncodeError),
    /// Attributes in text form that do not parse or encode.
    #[error("cannot encode request: {0}")]
    Text(#[from] radius_core::text::TextError),
    /// A socket error other than an ICMP-reported refusal.
    #[error("socket error: {0}")]
    Io(#[from] io::Error),
    /// The client was shut down while the request was pending.
    #[error("client closed")]
    Closed,
}

impl ClientError {
    /// Whether this is a timeout (as opposed to a local failure).
    pub fn is_timeout(&self) -> bool {
        matches!(self, ClientError::Timeout { .. })
    }
}

/// Counters of a [`UdpClient`].
#[derive(Debug, Default)]
struct Counters {
    requests: AtomicU64,
    retransmissions: AtomicU64,
    replies: AtomicU64,
    invalid_replies: AtomicU64,
    unmatched_replies: AtomicU64,
    timeouts: AtomicU64,
}

/// A snapshot of a client's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientStats {
    /// Requests started.
    pub requests: u64,
    /// Datagrams sent again.
    pub retransmissions: u64,
    /// Valid replies matched to a request.
    pub replies: u64,
    /// Datagrams for a pending Identifier that failed verification.
    pub invalid_replies: u64,
    /// Datagrams for no pending request (late, duplicate or stray).
    pub unmatched_replies: u64,
    /// Requests that timed out.
    pub timeouts: u64,
    /// Sockets open.
    pub sockets: usize,
}

/// Builds a [`UdpClient`].
#[derive(Debug, Clone)]
pub struct UdpClientBuilder {
    server: SocketAddr,
    secret: Secret,
    policy: RetryPolicy,
    require_ma: RequireMessageAuthenticator,
    bind: Option<SocketAddr>,
    max_sockets: usize,
}

impl UdpClientBuilder {
    /// The retry policy for requests that do not set their own
    /// (default: [`RetryPolicy::RFC5080`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Whether replies must carry Message-Authenticator (default: `Auto`).
    pub fn require_message_authenticator(mut self, r: RequireMessageAuthenticator) -> Self {
        self.require_ma = r;
        self
    }

    /// Local address to bind each socket to (default: the unspecified
    /// address of the server's family, port 0).
    pub fn bind(mut self, local: SocketAddr) -> Self {
        self.bind = Some(local);
        self
    }

    /// Most sockets to open (256 requests in flight each; default 16).
    pub fn max_sockets(mut self, n: usize) -> Self {
        self.max_sockets = n.max(1);
        self
    }

    /// Make the client. Sockets are opened on first use (inside a tokio runtime).
    pub fn build(self) -> UdpClient {
        let bind = self.bind.unwrap_or(match self.server {
            SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
            SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
        });
        UdpClient {
            inner: Arc::new(Inner {
                server: self.server,
                bind,
                policy: self.policy,
                require_ma: self.require_ma,
                seen_ma: AtomicBool::new(false),
                shared: Arc::new(Shared {
                    secret: self.secret,
                    counters: Counters::default(),
                }),
                permits: Arc::new(Semaphore::new(self.max_sockets * 256)),
                sockets: Mutex::new(Vec::new()),
                max_sockets: self.max_sockets,
                jitter: Mutex::new(Jitter::from_os()),
            }),
        }
    }
}

/// A RADIUS client over UDP for one server (or NAS). Cheap to clone; clones
/// share sockets, Identifiers and counters. Dropping the last clone closes
/// the sockets.
#[derive(Clone)]
pub struct UdpClient {
    inner: Arc<Inner>,
}

impl fmt::Debug for UdpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UdpClient")
            .field("server", &self.inner.server)
            .field("policy", &self.inner.policy)
            .finish_non_exhaustive()
    }
}

struct Inner {
    server: SocketAddr,
    bind: SocketAddr,
    policy: RetryPolicy,
    require_ma: RequireMessageAuthenticator,
    seen_ma: AtomicBool,
    shared: Arc<Shared>,
    permits: Arc<Semaphore>,
    sockets: Mutex<Vec<Arc<Sock>>>,
    max_sockets: usize,
    jitter: Mutex<Jitter>,
}

/// What the receive tasks need.
struct Shared {
    secret: Secret,
    counters: Counters,
}

/// One connected socket, its Identifiers and pending requests.
struct Sock {
    udp: Arc<UdpSocket>,
    /// Requests of tasks that send together go out in one system call.
    queue: SendQueue,
    server: SocketAddr,
    local: SocketAddr,
    state: Arc<Mutex<SockState>>,
    task: JoinHandle<()>,
}

impl Drop for Sock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A socket's outstanding requests: the shared protocol table, holding the
/// channel each sender waits on.
type SockState = proto::Outstanding<oneshot::Sender<(Vec<u8>, bool)>>;

impl UdpClient {
    /// A client for `server` with shared secret `secret` and default settings.
    pub fn new(server: SocketAddr, secret: impl AsRef<[u8]>) -> Self {
        Self::builder(server, secret).build()
    }

    /// Configure a client for `server` (for a NAS's CoA port, see [`COA_PORT`]).
    pub fn builder(server: SocketAddr, secret: impl AsRef<[u8]>) -> UdpClientBuilder {
        UdpClientBuilder {
            server,
            secret: Secret::new(secret),
            policy: RetryPolicy::default(),
            require_ma: RequireMessageAuthenticator::default(),
            bind: None,
            max_sockets: 16,
        }
    }

    /// The server this client talks to.
    pub fn server(&self) -> SocketAddr {
        self.inner.server
    }

    /// The shared secret.
    pub fn secret(&self) -> &Secret {
        &self.inner.shared.secret
    }

    /// A request with `code`, to fill with attributes and send.
    pub fn request(&self, code: Code) -> RequestBuilder<'_> {
        RequestBuilder {
            client: self,
            req: Ok(ClientRequest::new(code)),
            policy: None,
        }
    }

    /// An Access-Request (Message-Authenticator included).
    pub fn access_request(&self) -> RequestBuilder<'_> {
        self.request(Code::ACCESS_REQUEST)
    }

    /// An Accounting-Request.
    pub fn accounting_request(&self) -> RequestBuilder<'_> {
        self.request(Code::ACCOUNTING_REQUEST)
    }

    /// A Status-Server (RFC 5997; Message-Authenticator included).
    pub fn status_server(&self) -> RequestBuilder<'_> {
        self.request(Code::STATUS_SERVER)
    }

    /// A CoA-Request (RFC 5176), for a client built for a NAS's port 3799.
    pub fn coa_request(&self) -> RequestBuilder<'_> {
        self.request(Code::COA_REQUEST)
    }

    /// A Disconnect-Request (RFC 5176).
    pub fn disconnect_request(&self) -> RequestBuilder<'_> {
        self.request(Code::DISCONNECT_REQUEST)
    }

    /// The counters.
    pub fn stats(&self) -> ClientStats {
        let c = &self.inner.shared.counters;
        ClientStats {
            requests: c.requests.load(Ordering::Relaxed),
            retransmissions: c.retransmissions.load(Ordering::Relaxed),
            replies: c.replies.load(Ordering::Relaxed),
            invalid_replies: c.invalid_replies.load(Ordering::Relaxed),
            unmatched_replies: c.unmatched_replies.load(Ordering::Relaxed),
            timeouts: c.timeouts.load(Ordering::Relaxed),
            sockets: self.inner.sockets.lock().expect("lock").len(),
        }
    }

    /// Send a prepared request with the client's retry policy.
    pub async fn send(&self, req: &ClientRequest) -> Result<Response, ClientError> {
        self.send_with(req, self.inner.policy).await
    }

    /// Send a prepared request with a given retry policy.
    pub async fn send_with(
        &self,
        req: &ClientRequest,
        policy: RetryPolicy,
    ) -> Result<Response, ClientError> {
        let inner = &self.inner;
        let counters = &inner.shared.counters;
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let permit = inner
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| ClientError::Closed)?;
        let (sock, reserved) = inner.alloc()?;
        let id = reserved.id();
        let slot = Slot {
            sock,
            reserved,
            _permit: permit,
        };
        let mut buf = Vec::with_capacity(64 + req.attribute_bytes().len());
        let auth = req.encode(id, &inner.shared.secret, &mut buf)?;
        let is_access = req.code() == Code::ACCESS_REQUEST;
        let require_ma = is_access
            && match inner.require_ma {
                RequireMessageAuthenticator::No => false,
                RequireMessageAuthenticator::Yes => true,
                RequireMessageAuthenticator::Auto => inner.seen_ma.load(Ordering::Relaxed),
            };
        let (tx, mut rx) = oneshot::channel();
        slot.sock
            .state
            .lock()
            .expect("lock")
            .sent(slot.reserved, req.code(), auth, require_ma, tx);
        let start = Instant::now();
        let mut backoff = {
            let mut j = inner.jitter.lock().expect("lock");
            proto::Backoff::new(policy, start, &mut j)
        };
        slot.sock.transmit(&buf).await?;
        let timer = tokio::time::sleep_until(backoff.deadline().into());
        tokio::pin!(timer);
        loop {
            tokio::select! {
                r = &mut rx => {
                    let (data, has_ma) = r.map_err(|_| ClientError::Closed)?;
                    if has_ma && is_access {
                        inner.seen_ma.store(true, Ordering::Relaxed);
                    }
                    return Ok(Response {
                        data,
                        request: buf,
                        local: slot.sock.local,
                        server: inner.server,
                        request_auth: auth,
                        request_code: req.code(),
                        client: self.inner.shared.clone(),
                        rtt: start.elapsed(),
                        attempts: backoff.attempts(),
                        has_ma,
                    });
                }
                _ = &mut timer => {
                    let now = Instant::now();
                    let step = {
                        let mut j = inner.jitter.lock().expect("lock");
                        backoff.on_timeout(now, &mut j)
                    };
                    match step {
                        proto::Step::Retransmit(next) => {
                            counters.retransmissions.fetch_add(1, Ordering::Relaxed);
                            tracing::debug!(server = %inner.server, id, attempt = backoff.attempts(), "retransmitting");
                            slot.sock.transmit(&buf).await?;
                            timer.as_mut().reset(next.into());
                        }
                        proto::Step::GiveUp => {
                            counters.timeouts.fetch_add(1, Ordering::Relaxed);
                            return Err(ClientError::Timeout {
                                server: inner.server,
                                id,
                                attempts: backoff.attempts(),
                                elapsed: now - start,
                            });
                        }
                    }
                }
            }
        }
    }
}

impl Sock {
    /// Send one datagram, with those other requests queue meanwhile. An
    /// ICMP error the kernel reports for an earlier datagram (connection
    /// refused) is no reason to stop retrying; any other failure this call
    /// sees is returned.
    async fn transmit(&self, buf: &[u8]) -> Result<(), ClientError> {
        let mut err = None;
        self.queue
            .send(&self.udp, self.server, buf, |f| {
                if !is_transient(&f.error) {
                    err.get_or_insert(f.error);
                }
            })
            .await;
        err.map_or(Ok(()), |e| Err(e.into()))
    }
}

fn is_transient(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    ) || e.raw_os_error() == Some(113) // EHOSTUNREACH
}

/// An allocated (socket, Identifier); frees both on drop, whatever ends the request.
struct Slot {
    sock: Arc<Sock>,
    reserved: proto::Slot,
    _permit: OwnedSemaphorePermit,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.sock.state.lock().expect("lock").release(self.reserved);
    }
}

impl Inner {
    /// A free Identifier on an open socket, opening one if all are full.
    /// The caller holds a permit, so one is free or a socket may be opened.
    fn alloc(&self) -> Result<(Arc<Sock>, proto::Slot), ClientError> {
        let mut socks = self.sockets.lock().expect("lock");
        for s in socks.iter() {
            if let Some(slot) = s.state.lock().expect("lock").reserve() {
                return Ok((s.clone(), slot));
            }
        }
        if socks.len() >= self.max_sockets {
            // Unreachable while permits match capacity; be safe anyway.
            return Err(ClientError::Io(io::Error::other(
                "all Identifiers of all sockets in use",
            )));
        }
        let sock = self.open()?;
        let slot = sock
            .state
            .lock()
            .expect("lock")
            .reserve()
            .expect("fresh pool");
        socks.push(sock.clone());
        tracing::debug!(server = %self.server, sockets = socks.len(), "client socket opened");
        Ok((sock, slot))
    }

    fn open(&self) -> io::Result<Arc<Sock>> {
        let std = std::net::UdpSocket::bind(self.bind)?;
        std.connect(self.server)?;
        std.set_nonblocking(true)?;
        let local = std.local_addr()?;
        let udp = Arc::new(UdpSocket::from_std(std)?);
        let state = Arc::new(Mutex::new(SockState::new(RadiusVersion::V1_0, 0)));
        let task = tokio::spawn(recv_loop(udp.clone(), state.clone(), self.shared.clone()));
        Ok(Arc::new(Sock {
            queue: SendQueue::new(&udp, true, 256),
            server: self.server,
            udp,
            local,
            state,
            task,
        }))
    }
}

async fn recv_loop(udp: Arc<UdpSocket>, state: Arc<Mutex<SockState>>, shared: Arc<Shared>) {
    // Replies to requests in flight together arrive together: take every
    // queued one per system call.
    let mut batch = RecvBatch::new(MAX_PACKET_LEN);
    let mut checks = Checks::default();
    loop {
        if let Err(e) = udp.readable().await {
            tracing::warn!("client socket failed: {e}");
            return;
        }
        loop {
            match batch.try_recv(&udp) {
                Ok(n) => on_batch(&batch, n, &state, &shared, &mut checks),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if is_transient(&e) => {}
                Err(e) => {
                    tracing::warn!("client socket failed: {e}");
                    return;
                }
            }
        }
    }
}

/// Scratch for checking the replies of one receive batch together.
#[derive(Default)]
struct Checks {
    md5: Md5Batch,
    /// Per datagram: the request authenticator it would answer.
    auths: Vec<Option<[u8; 16]>>,
    /// Per datagram: what [`proto::Outstanding::on_reply_expected`] takes.
    pre: Vec<Option<([u8; 16], [u8; 16])>>,
}

/// Hand each of `n` received datagrams to the request it answers. From
/// [`MIN_BATCH`] on, their Response Authenticators are computed together
/// in one MD5 batch first (as the server checks its requests).
fn on_batch(
    batch: &RecvBatch,
    n: usize,
    state: &Mutex<SockState>,
    shared: &Shared,
    w: &mut Checks,
) {
    if n < MIN_BATCH {
        for i in 0..n {
            on_datagram(batch.get(i).0, state, shared, None);
        }
        return;
    }
    {
        let st = state.lock().expect("lock");
        w.auths.clear();
        w.auths.extend(
            (0..n).map(|i| by_length(batch.get(i).0).and_then(|p| st.request_authenticator(p))),
        );
    }
    let checks = (0..n).map(|i| {
        Some(ReplyToCheck {
            packet: by_length(batch.get(i).0)?,
            request_auth: w.auths[i]?,
            secret: &shared.secret,
        })
    });
    expected_per_datagram(checks, &mut w.md5, &mut w.pre);
    for i in 0..n {
        on_datagram(batch.get(i).0, state, shared, w.pre[i]);
    }
}

/// Hand one datagram to the request it answers, or count why not;
/// `pre`: its Response Authenticator computed in a batch (see
/// [`proto::Outstanding::on_reply_expected`]).
fn on_datagram(
    data: &[u8],
    state: &Mutex<SockState>,
    shared: &Shared,
    pre: Option<([u8; 16], [u8; 16])>,
) {
    let c = &shared.counters;
    let mut st = state.lock().expect("lock");
    match st.on_reply_expected(data, &shared.secret, pre) {
        Ok(m) => {
            drop(st);
            c.replies.fetch_add(1, Ordering::Relaxed);
            let _ = m
                .waiter
                .send((m.packet.as_bytes().to_vec(), m.has_message_authenticator));
        }
        Err(proto::ReplyError::Unmatched) => {
            drop(st);
            c.unmatched_replies.fetch_add(1, Ordering::Relaxed);
        }
        Err(e) => {
            drop(st);
            c.invalid_replies.fetch_add(1, Ordering::Relaxed);
            tracing::debug!("discarding reply: {e}");
        }
    }
}

/// Fills a request with attributes, then sends it. Encoding errors are
/// kept and reported by [`send`](Self::send).
pub struct RequestBuilder<'c> {
    client: &'c UdpClient,
    req: Result<ClientRequest, ClientError>,
    policy: Option<RetryPolicy>,
}

impl fmt::Debug for RequestBuilder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestBuilder")
            .field("req", &self.req)
            .finish_non_exhaustive()
    }
}

impl RequestBuilder<'_> {
    /// Add a typed attribute (generated from a dictionary).
    pub fn with<A: Attribute>(mut self, attr: A) -> Self {
        self.add(&attr);
        self
    }

    /// Add a typed attribute by reference.
    pub fn add<A: Attribute>(&mut self, attr: &A) -> &mut Self {
        let secret = &self.client.inner.shared.secret;
        if let Ok(r) = &mut self.req {
            if let Err(e) = r.add(attr, secret) {
                self.req = Err(e.into());
            }
        }
        self
    }

    /// Add a plain attribute by number.
    pub fn with_raw(mut self, typ: u8, value: &[u8]) -> Self {
        if let Ok(r) = &mut self.req {
            if let Err(e) = r.attr(typ, value) {
                self.req = Err(e.into());
            }
        }
        self
    }

    /// Add already-encoded attribute octets (type, length, value ...).
    pub fn with_encoded(mut self, encoded: &[u8]) -> Self {
        if let Ok(r) = &mut self.req {
            if let Err(e) = r.raw(encoded) {
                self.req = Err(e.into());
            }
        }
        self
    }

    /// Add attributes in FreeRADIUS's text form
    /// (`User-Name = "bob", User-Password = "hello"`), resolved in a
    /// run-time dictionary (e.g. one loaded with
    /// `radius_core::dict::Dictionary::from_file`).
    pub fn with_text(mut self, dict: &radius_core::dict::Dictionary, text: &str) -> Self {
        let secret = &self.client.inner.shared.secret;
        if let Ok(r) = &mut self.req {
            if let Err(e) = r.add_text(dict, text, secret) {
                self.req = Err(e.into());
            }
        }
        self
    }

    /// Add Message-Authenticator to Accounting/CoA/Disconnect requests too.
    pub fn message_authenticator(mut self) -> Self {
        if let Ok(r) = &mut self.req {
            r.set_message_authenticator(true);
        }
        self
    }

    /// Use this retry policy instead of the client's.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = Some(policy);
        self
    }

    /// The request as built so far, to send later with [`UdpClient::send`].
    /// Each `send` is a new request (new Identifier) with the same
    /// authenticator; for Access-Request, whose authenticator should never
    /// repeat, build a fresh request each time instead.
    pub fn build(self) -> Result<ClientRequest, ClientError> {
        self.req
    }

    /// Send and wait for the verified reply.
    pub async fn send(self) -> Result<Response, ClientError> {
        let req = self.req?;
        match self.policy {
            Some(p) => self.client.send_with(&req, p).await,
            None => self.client.send(&req).await,
        }
    }
}

/// A verified reply.
pub struct Response {
    data: Vec<u8>,
    request: Vec<u8>,
    local: SocketAddr,
    server: SocketAddr,
    request_auth: [u8; 16],
    request_code: Code,
    client: Arc<Shared>,
    rtt: Duration,
    attempts: u32,
    has_ma: bool,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("packet", &self.packet())
            .field("rtt", &self.rtt)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl Response {
    /// The reply's code.
    pub fn code(&self) -> Code {
        Code(self.data[0])
    }

    /// Whether it is Access-Accept, Accounting-Response, CoA-ACK or Disconnect-ACK.
    pub fn is_positive(&self) -> bool {
        matches!(
            self.code(),
            Code::ACCESS_ACCEPT | Code::ACCOUNTING_RESPONSE | Code::COA_ACK | Code::DISCONNECT_ACK
        )
    }

    /// The Identifier.
    pub fn identifier(&self) -> u8 {
        self.data[1]
    }

    /// The request datagram as sent (its Identifier and authenticator
    /// included), e.g. to print it.
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// The local address of the socket the request went out on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// The server it came from.
    pub fn server(&self) -> SocketAddr {
        self.server
    }

    /// The code of the request it answers.
    pub fn request_code(&self) -> Code {
        self.request_code
    }

    /// The packet, for raw attribute iteration.
    pub fn packet(&self) -> Packet<'_> {
        Packet::decode(&self.data).expect("verified on receipt")
    }

    /// The packet octets.
    pub fn as_bytes(&self) -> &[u8] {
        &self.data
    }

    /// What obfuscated reply attributes (Tunnel-Password, MS-MPPE keys)
    /// are keyed on: the secret and the request's authenticator.
    pub fn crypto(&self) -> CryptoCtx<'_> {
        CryptoCtx {
            secret: &self.client.secret,
            authenticator: &self.request_auth,
        }
    }

    /// The first attribute of type `A`: `None` if absent, `Some(Err)` if malformed.
    pub fn get<A: Attribute>(&self) -> Option<Result<A, ValueError>> {
        get_from::<A>(&self.data[20..], &self.crypto())
    }

    /// The attributes in FreeRADIUS's text form, one `Name = value` per
    /// element, decoded with a run-time dictionary (obfuscated attributes
    /// such as Tunnel-Password decrypted).
    pub fn to_text(
        &self,
        dict: &radius_core::dict::Dictionary,
    ) -> Result<Vec<String>, radius_core::text::TextError> {
        let codec = radius_core::text::Codec::new(dict)
            .with_secret_key(&self.client.secret)
            .with_authenticator(self.request_auth);
        let pairs = codec.decode(&self.data[20..])?;
        Ok(pairs.iter().map(|p| codec.format_pair(p)).collect())
    }

    /// Every attribute of type `A`.
    pub fn get_all<A: Attribute>(&self) -> Vec<Result<A, ValueError>> {
        get_all_from::<A>(&self.data[20..], &self.crypto())
    }

    /// Whether it carried a (valid) Message-Authenticator.
    pub fn has_message_authenticator(&self) -> bool {
        self.has_ma
    }

    /// Time from the first transmission to the reply.
    pub fn rtt(&self) -> Duration {
        self.rtt
    }

    /// Transmissions made (1 = answered without retransmission).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
}
