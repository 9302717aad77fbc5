//! Forwarding to home servers from a handler: [`Proxy::forward`] sends a
//! request to a pool of home servers and returns the reply to send to the
//! NAS, failing over to the next server itself when one does not answer
//! within its response window — so failover does not wait for the NAS to
//! retransmit. The rules are radius-proto's ([`radius_proto::proxy`]):
//! request rewriting and reply relaying, per-server health (alive /
//! zombie / dead, Status-Server probes), pool selection; this module only
//! moves the packets with [`UdpClient`]s and runs the probe timers.
//!
//! A reply that fails verification (Response Authenticator,
//! Message-Authenticator) is dropped and counted by the client, and the
//! request keeps waiting for a good one: a forged reply neither ends the
//! request nor tears anything down. Every round of one EAP conversation
//! goes to the server that issued its State while that server is alive.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use radius_core::{Code, Secret};
use radius_dict::prelude::{CallingStationId, NasIdentifier, NasIpAddress, State as StateAttr};
use radius_proto::client::RetryPolicy;
use radius_proto::proxy::forward::{forward_request, relay_reply, ForwardError, Rewrite};
use radius_proto::proxy::health::{Check, Health, HealthConfig, State};
use radius_proto::proxy::operator::operator_nas_identifiers;
pub use radius_proto::proxy::operator::NasTokens;
use radius_proto::proxy::pool::{server_id, Candidate, Pool, PoolKind, SelectKey};
use radius_proto::{Reply, Request};
use smallvec::SmallVec;

use crate::client::{ClientRequest, UdpClient};
use crate::radsec::{RadSecClient, RadSecClientConfig, TlsConfig};
use radius_proto::radsec::RADSEC_SECRET;

pub use radius_proto::proxy::health;
pub use radius_proto::proxy::pool;

/// One home server.
#[derive(Debug, Clone)]
pub struct HomeServer {
    /// Name (pools refer to it).
    pub name: String,
    /// Authentication (and Status-Server) address.
    pub auth: SocketAddr,
    /// Accounting address.
    pub acct: SocketAddr,
    /// Shared secret.
    pub secret: Vec<u8>,
    /// Health checking.
    pub health: HealthConfig,
    /// Most requests in flight to it.
    pub max_outstanding: usize,
    /// UDP or RadSec.
    pub transport: Transport,
}

/// How a home server is reached.
#[derive(Debug, Clone, Default)]
pub enum Transport {
    /// RADIUS over UDP: [`HomeServer::auth`] and [`HomeServer::acct`].
    #[default]
    Udp,
    /// RADIUS/1.0 over TLS (RFC 6614) to [`HomeServer::auth`], accounting
    /// on the same connection; [`HomeServer::secret`] is usually
    /// `"radsec"`. A connection that cannot be made fails over at once;
    /// a bad reply is dropped and counted, the connection stays up.
    RadSec {
        /// Our client certificate and the CA for the server's.
        tls: TlsConfig,
        /// The name the server's certificate must carry.
        server_name: String,
    },
}

impl HomeServer {
    /// A home server with accounting on the next port and default health
    /// checking (Status-Server, 2 s response window).
    pub fn new(name: impl Into<String>, auth: SocketAddr, secret: impl AsRef<[u8]>) -> Self {
        HomeServer {
            name: name.into(),
            auth,
            acct: SocketAddr::new(auth.ip(), auth.port().wrapping_add(1)),
            secret: secret.as_ref().to_vec(),
            health: HealthConfig::default(),
            max_outstanding: 65536,
            transport: Transport::Udp,
        }
    }

    /// A RadSec home server at `addr` (secret `"radsec"`).
    pub fn radsec(
        name: impl Into<String>,
        addr: SocketAddr,
        tls: TlsConfig,
        server_name: impl Into<String>,
    ) -> Self {
        HomeServer {
            acct: addr,
            transport: Transport::RadSec {
                tls,
                server_name: server_name.into(),
            },
            ..HomeServer::new(name, addr, RADSEC_SECRET)
        }
    }
}

/// A pool of home servers.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Name (realms refer to it).
    pub name: String,
    /// How requests are spread.
    pub kind: PoolKind,
    /// Its servers, by name, in order.
    pub servers: Vec<String>,
}

/// Why a request was not answered by a home server.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// No such pool.
    #[error("no home-server pool named {0:?}")]
    UnknownPool(String),
    /// A pool names a server that does not exist.
    #[error("pool {0:?} names unknown home server {1:?}")]
    UnknownServer(String, String),
    /// Every server of the pool is dead (or was tried and did not answer).
    #[error("no home server of pool {0:?} answered")]
    NoServer(String),
    /// The request could not be rewritten, or the reply not relayed.
    #[error(transparent)]
    Forward(#[from] ForwardError),
    /// The NAS a CoA or Disconnect request was forwarded to did not answer.
    #[error("NAS {0} did not answer: {1}")]
    NasUnreachable(SocketAddr, String),
    /// The listener's datagram path could not take the request on
    /// failover (see [`Forward`]).
    #[error("{0}")]
    Relay(radius_proto::proxy::relay::Refusal),
    /// A RadSec home server's TLS settings are unusable.
    #[error("home server {0:?}: {1}")]
    RadSec(String, crate::radsec::ClientError),
}

/// The client(s) one home server is reached with.
enum Link {
    Udp { auth: UdpClient, acct: UdpClient },
    RadSec(RadSecClient),
}

impl Link {
    fn new(cfg: &HomeServer) -> Result<Link, ProxyError> {
        let window = cfg.health.response_window;
        Ok(match &cfg.transport {
            Transport::Udp => {
                // One transmission per server attempt: failover to the next
                // server is the proxy's, and a retransmission to a server
                // that missed the first would only add to its queue.
                let policy = RetryPolicy::fixed(window / 2, 2);
                Link::Udp {
                    auth: UdpClient::builder(cfg.auth, &cfg.secret)
                        .retry(policy)
                        .build(),
                    acct: UdpClient::builder(cfg.acct, &cfg.secret)
                        .retry(policy)
                        .build(),
                }
            }
            Transport::RadSec { tls, server_name } => {
                let mut c = RadSecClientConfig::new(cfg.auth, server_name.clone());
                c.secret = Secret::new(&cfg.secret);
                c.request_timeout = window;
                c.connect_timeout = window;
                // Health is the proxy's (Status-Server while not alive).
                c.watchdog_interval = None;
                // A dead server is retried by the probes, not by requests
                // that would wait for a long backoff.
                c.max_backoff = window.max(Duration::from_secs(1));
                Link::RadSec(
                    RadSecClient::new(c, tls.clone())
                        .map_err(|e| ProxyError::RadSec(cfg.name.clone(), e))?,
                )
            }
        })
    }

    /// Send `out`; the verified reply and the authenticator it answers.
    async fn send(&self, out: &ClientRequest) -> Result<(Vec<u8>, [u8; 16]), NoAnswer> {
        match self {
            Link::Udp { auth, acct } => {
                let c = if out.code() == Code::ACCOUNTING_REQUEST {
                    acct
                } else {
                    auth
                };
                let r = c.send(out).await.map_err(|e| NoAnswer {
                    unreachable: false,
                    why: e.to_string(),
                })?;
                let sent: [u8; 16] = r.request()[4..20].try_into().expect("header");
                Ok((r.as_bytes().to_vec(), sent))
            }
            Link::RadSec(c) => {
                let r = c.send(out).await.map_err(|e| NoAnswer {
                    unreachable: matches!(
                        e,
                        crate::radsec::ClientError::Connect { .. }
                            | crate::radsec::ClientError::Backoff { .. }
                    ),
                    why: e.to_string(),
                })?;
                Ok((r.raw().to_vec(), *r.request_authenticator()))
            }
        }
    }

    /// A Status-Server probe answered within `window`.
    async fn probe(&self, window: Duration) -> bool {
        match self {
            Link::Udp { auth, .. } => {
                let policy = RetryPolicy::fixed(window, 1);
                auth.status_server().retry(policy).send().await.is_ok()
            }
            Link::RadSec(c) => c.status().await.is_ok(),
        }
    }

    /// (invalid replies, timeouts).
    fn counters(&self) -> (u64, u64) {
        match self {
            Link::Udp { auth, acct } => {
                let (a, c) = (auth.stats(), acct.stats());
                (
                    a.invalid_replies + c.invalid_replies,
                    a.timeouts + c.timeouts,
                )
            }
            Link::RadSec(c) => {
                let s = c.stats();
                (s.invalid_replies, s.timeouts)
            }
        }
    }
}

/// Why a home server gave no reply.
struct NoAnswer {
    /// It could not be reached at all (no connection), rather than not
    /// answering in time.
    unreachable: bool,
    why: String,
}

struct Home {
    cfg: HomeServer,
    id: u64,
    secret: Secret,
    link: Link,
    health: Mutex<Health>,
    outstanding: AtomicUsize,
    forwarded: AtomicU64,
    /// The datagram path's counters (the handler path's are its clients').
    relay_invalid: AtomicU64,
    relay_timeouts: AtomicU64,
}

/// Counters of one home server.
#[derive(Debug, Clone)]
pub struct HomeStats {
    /// Name.
    pub name: String,
    /// Health now.
    pub state: State,
    /// Requests forwarded to it (Status-Server probes not included).
    pub forwarded: u64,
    /// Replies that failed verification (dropped).
    pub invalid_replies: u64,
    /// Requests it did not answer in time.
    pub timeouts: u64,
}

struct Inner {
    homes: Vec<Home>,
    /// Pools by name: an index into `pool_list`.
    pools: HashMap<String, usize>,
    /// Each pool, its members (indexes into `homes`), and whether every
    /// member is reached over UDP (the datagram path's condition).
    pool_list: Vec<PoolEntry>,
    /// State issued by a home server -> that server (EAP stickiness).
    sticky: Mutex<HashMap<Vec<u8>, (usize, Instant)>>,
    proxy_state: AtomicU64,
    /// Clients of the NASes CoA/Disconnect requests went to.
    nas_clients: Mutex<HashMap<(SocketAddr, Vec<u8>), UdpClient>>,
}

struct PoolEntry {
    name: String,
    pool: Pool,
    members: Vec<usize>,
    all_udp: bool,
}

const NAS_CLIENTS_MAX: usize = 4096;

/// How long an Access-Challenge's State keeps its conversation on one
/// server, and how many are remembered.
const STICKY_TTL: Duration = Duration::from_secs(60);
const STICKY_MAX: usize = 65536;

/// What this proxy adds for the home network to route CoA and Disconnect
/// requests back (RFC 5580, RFC 8559); nothing by default.
#[derive(Debug, Clone, Default)]
pub struct Operator {
    /// Operator-Name added to forwarded Access- and Accounting-Requests
    /// that lack one: the namespace digit and the realm, e.g.
    /// `"1visited.example"` (RFC 5580 §4.1).
    pub name: Option<Vec<u8>>,
    /// Issue an Operator-NAS-Identifier for the NAS (RFC 8559) on
    /// forwarded Access- and Accounting-Requests that lack one, and resolve
    /// it in CoA/Disconnect requests ([`Proxy::coa_target`]).
    pub nas_tokens: Option<NasTokens>,
}

/// The forwarding component (see the module docs). Cheap to clone.
#[derive(Clone)]
pub struct Proxy {
    inner: Arc<Inner>,
    operator: Arc<Operator>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy")
            .field("homes", &self.inner.homes.len())
            .field("pools", &self.inner.pools.len())
            .finish()
    }
}

impl Proxy {
    /// A proxy over these servers and pools. Call from a tokio runtime;
    /// [`spawn_health_checks`](Self::spawn_health_checks) starts the probes.
    pub fn new(homes: Vec<HomeServer>, pools: Vec<PoolConfig>) -> Result<Proxy, ProxyError> {
        let homes: Vec<Home> = homes
            .into_iter()
            .map(|cfg| {
                Ok(Home {
                    id: server_id(&cfg.name),
                    secret: Secret::new(&cfg.secret),
                    link: Link::new(&cfg)?,
                    health: Mutex::new(Health::new(cfg.health)),
                    outstanding: AtomicUsize::new(0),
                    forwarded: AtomicU64::new(0),
                    relay_invalid: AtomicU64::new(0),
                    relay_timeouts: AtomicU64::new(0),
                    cfg,
                })
            })
            .collect::<Result<_, ProxyError>>()?;
        let mut map = HashMap::new();
        let mut pool_list = Vec::new();
        for p in pools {
            let mut idx = Vec::new();
            for s in &p.servers {
                let i = homes
                    .iter()
                    .position(|h| &h.cfg.name == s)
                    .ok_or_else(|| ProxyError::UnknownServer(p.name.clone(), s.clone()))?;
                idx.push(i);
            }
            let all_udp = idx
                .iter()
                .all(|&i| matches!(homes[i].cfg.transport, Transport::Udp));
            map.insert(p.name.clone(), pool_list.len());
            pool_list.push(PoolEntry {
                name: p.name,
                pool: Pool::new(p.kind),
                members: idx,
                all_udp,
            });
        }
        Ok(Proxy {
            operator: Arc::default(),
            inner: Arc::new(Inner {
                homes,
                pools: map,
                pool_list,
                nas_clients: Mutex::new(HashMap::new()),
                sticky: Mutex::new(HashMap::new()),
                proxy_state: AtomicU64::new(u64::from_be_bytes(
                    radius_core::crypto::random_authenticator()[..8]
                        .try_into()
                        .expect("8 octets"),
                )),
            }),
        })
    }

    /// The same proxy adding Operator-Name / Operator-NAS-Identifier.
    pub fn with_operator(mut self, operator: Operator) -> Self {
        self.operator = Arc::new(operator);
        self
    }

    /// The NAS a CoA-Request or Disconnect-Request is for, when it carries
    /// an Operator-NAS-Identifier this proxy issued (with
    /// [`Operator::nas_tokens`]); `None` otherwise.
    pub fn coa_target(&self, req: &Request) -> Option<IpAddr> {
        let tokens = self.operator.nas_tokens.as_ref()?;
        operator_nas_identifiers(&req.raw()[20..]).find_map(|t| tokens.resolve(t))
    }

    /// Forward a CoA-Request or Disconnect-Request (RFC 5176, RFC 8559) to
    /// the NAS at `nas` with its `secret`, and return its ACK or NAK for
    /// the requester. This proxy's Operator-NAS-Identifier is left out
    /// (the NAS never saw it); the NAS's retransmission policy is the
    /// client default. `Err` when the NAS does not answer.
    pub async fn forward_to_nas(
        &self,
        req: &Request,
        nas: SocketAddr,
        secret: &[u8],
    ) -> Result<Reply, ProxyError> {
        let client = {
            let mut m = lock(&self.inner.nas_clients);
            if m.len() >= NAS_CLIENTS_MAX && !m.contains_key(&(nas, secret.to_vec())) {
                m.clear();
            }
            m.entry((nas, secret.to_vec()))
                .or_insert_with(|| UdpClient::new(nas, secret))
                .clone()
        };
        let ps = self.next_proxy_state();
        let out = forward_request(
            req,
            &Secret::new(secret),
            &Rewrite {
                proxy_state: &ps,
                drop_operator_nas_id: true,
                ..Rewrite::default()
            },
        )?;
        let r = client
            .send(&out)
            .await
            .map_err(|e| ProxyError::NasUnreachable(nas, e.to_string()))?;
        let sent: [u8; 16] = r.request()[4..20].try_into().expect("header");
        Ok(relay_reply(
            req.code(),
            r.as_bytes(),
            &sent,
            &Secret::new(secret),
        )?)
    }

    fn next_proxy_state(&self) -> [u8; 8] {
        self.inner
            .proxy_state
            .fetch_add(1, Ordering::Relaxed)
            .to_be_bytes()
    }

    /// Whether a pool of this name exists.
    pub fn has_pool(&self, name: &str) -> bool {
        self.inner.pools.contains_key(name)
    }

    /// Per-server counters and health.
    pub fn stats(&self) -> Vec<HomeStats> {
        self.inner
            .homes
            .iter()
            .map(|h| {
                let (invalid_replies, timeouts) = h.link.counters();
                HomeStats {
                    name: h.cfg.name.clone(),
                    state: lock(&h.health).state(),
                    forwarded: h.forwarded.load(Ordering::Relaxed),
                    invalid_replies: invalid_replies + h.relay_invalid.load(Ordering::Relaxed),
                    timeouts: timeouts + h.relay_timeouts.load(Ordering::Relaxed),
                }
            })
            .collect()
    }

    /// Status-Server probes (RFC 5997) for the servers that use them, sent
    /// while a server is a zombie or dead; runs until the returned handle
    /// is aborted or the runtime stops.
    pub fn spawn_health_checks(&self) -> tokio::task::JoinHandle<()> {
        let inner = self.inner.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                for (i, h) in inner.homes.iter().enumerate() {
                    let now = Instant::now();
                    let due = {
                        let mut g = lock(&h.health);
                        g.poll(now);
                        let due = g.config().check == Check::StatusServer && g.probe_due(now);
                        if due {
                            g.on_probe_sent(now);
                        }
                        due
                    };
                    if due {
                        let inner = inner.clone();
                        tokio::spawn(async move {
                            let h = &inner.homes[i];
                            let ok = h.link.probe(h.cfg.health.response_window).await;
                            let now = Instant::now();
                            let mut g = lock(&h.health);
                            if ok {
                                if let Some(s) = g.on_probe_answer(now) {
                                    tracing::info!(home = %h.cfg.name, state = ?s, "home server health");
                                }
                            } else {
                                g.poll(now);
                            }
                        });
                    }
                }
            }
        })
    }

    /// Forward `req` to a server of `pool` (User-Name replaced by
    /// `user_name` when given) and return the reply for the NAS.
    pub async fn forward(
        &self,
        req: &Request,
        pool: &str,
        user_name: Option<&[u8]>,
    ) -> Result<Reply, ProxyError> {
        let &p = self
            .inner
            .pools
            .get(pool)
            .ok_or_else(|| ProxyError::UnknownPool(pool.to_owned()))?;
        let mut walk = self.walk(req, p);
        loop {
            let now = Instant::now();
            let Some(idx) = self.next_server(&mut walk, now) else {
                return Err(ProxyError::NoServer(pool.to_owned()));
            };
            let out = self.rewrite(req, idx, user_name, walk.token.as_deref())?;
            self.on_sent(idx, now);
            let r = self.inner.homes[idx].link.send(&out).await;
            let now = Instant::now();
            match r {
                Ok((resp, sent)) => {
                    return Ok(self.on_answer(idx, now, &resp, &sent, req.code())?)
                }
                // A timeout, or no connection: no answer either way.
                Err(e) => self.on_no_answer(idx, now, e.unreachable, &e.why),
            }
        }
    }

    /// A request to hand to the listener's datagram-level path (see
    /// [`crate::server::Builder::forward`]): `req`'s way through `pool`, or
    /// `None` when that pool does not exist or has a RadSec member (those
    /// are forwarded by [`forward`](Self::forward) in a handler).
    pub fn forwarding(&self, pool: &str, user_name: Option<&[u8]>) -> Option<Forward> {
        let &p = self.inner.pools.get(pool)?;
        self.inner.pool_list[p].all_udp.then(|| Forward {
            proxy: self.clone(),
            pool: p,
            user_name: user_name.map(Box::from),
            on_failure: default_failure,
            on_reply: None,
        })
    }

    /// The start of `req`'s way through pool `p`: its selection key, the
    /// server its EAP conversation is on, its Operator-NAS-Identifier.
    pub(crate) fn walk(&self, req: &Request, p: usize) -> Walk {
        let entry = &self.inner.pool_list[p];
        // Only keyed balance reads the conversation's attributes.
        let key = match entry.pool.kind() {
            PoolKind::KeyedBalance => select_key(req),
            _ => SelectKey::new(req.source().ip()),
        };
        let preferred = req
            .get::<StateAttr>()
            .and_then(Result::ok)
            .and_then(|s| self.sticky(s.value()));
        let token = match (&self.operator.nas_tokens, req.code()) {
            (Some(t), Code::ACCESS_REQUEST | Code::ACCOUNTING_REQUEST) => {
                Some(t.issue(req.source().ip()))
            }
            _ => None,
        };
        Walk {
            pool: p,
            key,
            preferred,
            tried: SmallVec::new(),
            token,
        }
    }

    /// The next server of the walk's pool to try (an index into the
    /// homes), or `None` when every usable one was tried.
    pub(crate) fn next_server(&self, w: &mut Walk, now: Instant) -> Option<usize> {
        let inner = &*self.inner;
        let entry = &inner.pool_list[w.pool];
        let cands: SmallVec<[Candidate; 8]> = entry
            .members
            .iter()
            .map(|&i| {
                let h = &inner.homes[i];
                // Transitions due by now count before choosing (the
                // probe timer may not have run since).
                let mut g = lock(&h.health);
                g.poll(now);
                Candidate::new(
                    &g,
                    now,
                    h.outstanding.load(Ordering::Relaxed),
                    h.cfg.max_outstanding,
                    h.id,
                )
            })
            .collect();
        let pos = match w
            .preferred
            .take()
            .and_then(|i| entry.members.iter().position(|&m| m == i))
        {
            Some(pos) if cands[pos].usable && !w.tried.contains(&pos) => Some(pos),
            _ => entry.pool.select(&cands, &w.key, &w.tried),
        }?;
        w.tried.push(pos);
        Some(entry.members[pos])
    }

    /// `req` rewritten for home server `idx`.
    pub(crate) fn rewrite(
        &self,
        req: &Request,
        idx: usize,
        user_name: Option<&[u8]>,
        token: Option<&[u8]>,
    ) -> Result<ClientRequest, ForwardError> {
        let ps = self.next_proxy_state();
        forward_request(
            req,
            &self.inner.homes[idx].secret,
            &Rewrite {
                user_name,
                proxy_state: &ps,
                operator_name: self.operator.name.as_deref(),
                operator_nas_id: token,
                drop_operator_nas_id: false,
            },
        )
    }

    /// A request went to home server `idx`.
    pub(crate) fn on_sent(&self, idx: usize, now: Instant) {
        let h = &self.inner.homes[idx];
        lock(&h.health).on_sent(now);
        h.forwarded.fetch_add(1, Ordering::Relaxed);
        h.outstanding.fetch_add(1, Ordering::Relaxed);
    }

    /// Home server `idx` answered (verified) `resp` to our request with
    /// authenticator `sent`: the reply for the NAS's request of code `asked`.
    pub(crate) fn on_answer(
        &self,
        idx: usize,
        now: Instant,
        resp: &[u8],
        sent: &[u8; 16],
        asked: Code,
    ) -> Result<Reply, ForwardError> {
        let h = &self.inner.homes[idx];
        h.outstanding.fetch_sub(1, Ordering::Relaxed);
        if let Some(s) = lock(&h.health).on_answer(now) {
            tracing::info!(home = %h.cfg.name, state = ?s, "home server health");
        }
        if Code(resp[0]) == Code::ACCESS_CHALLENGE {
            let ctx = radius_core::typed::CryptoCtx {
                secret: &h.secret,
                authenticator: sent,
            };
            if let Some(Ok(s)) = radius_core::typed::get_from::<StateAttr>(&resp[20..], &ctx) {
                self.remember(s.into_value(), idx, now);
            }
        }
        relay_reply(asked, resp, sent, &h.secret)
    }

    /// Home server `idx` gave no answer (`unreachable`: could not even be
    /// reached) to a request.
    pub(crate) fn on_no_answer(
        &self,
        idx: usize,
        now: Instant,
        unreachable: bool,
        why: &dyn std::fmt::Display,
    ) {
        let h = &self.inner.homes[idx];
        h.outstanding.fetch_sub(1, Ordering::Relaxed);
        let mut g = lock(&h.health);
        let changed = if unreachable {
            g.on_unreachable(now)
        } else {
            g.on_timeout(now)
        };
        drop(g);
        if let Some(s) = changed {
            tracing::warn!(home = %h.cfg.name, state = ?s, "home server health");
        }
        tracing::debug!(home = %h.cfg.name, error = %why, "no answer; trying the next home server");
    }

    /// Where home server `idx` is reached for a request of `code`, its
    /// secret and response window (a UDP server; see [`forwarding`]).
    ///
    /// [`forwarding`]: Self::forwarding
    pub(crate) fn udp_target(&self, idx: usize, code: Code) -> (SocketAddr, &Secret, Duration) {
        let h = &self.inner.homes[idx];
        let addr = if code == Code::ACCOUNTING_REQUEST {
            h.cfg.acct
        } else {
            h.cfg.auth
        };
        (addr, &h.secret, h.cfg.health.response_window)
    }

    /// Count a reply from home server `idx` that failed verification, or a
    /// request it did not answer in time, on the datagram path.
    pub(crate) fn count(&self, idx: usize, invalid: bool) {
        let h = &self.inner.homes[idx];
        let c = if invalid {
            &h.relay_invalid
        } else {
            &h.relay_timeouts
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// The name of pool `p`.
    pub(crate) fn pool_name(&self, p: usize) -> &str {
        &self.inner.pool_list[p].name
    }

    fn sticky(&self, state: &[u8]) -> Option<usize> {
        let m = lock(&self.inner.sticky);
        let (i, at) = m.get(state)?;
        (at.elapsed() < STICKY_TTL).then_some(*i)
    }

    fn remember(&self, state: Vec<u8>, idx: usize, now: Instant) {
        let mut m = lock(&self.inner.sticky);
        if m.len() >= STICKY_MAX {
            m.retain(|_, (_, at)| now.saturating_duration_since(*at) < STICKY_TTL);
            if m.len() >= STICKY_MAX {
                m.clear();
            }
        }
        m.insert(state, (idx, now));
    }
}

/// One request's way through a pool's servers ([`Proxy::walk`]).
pub(crate) struct Walk {
    pool: usize,
    key: SelectKey,
    /// The server its EAP conversation is on, tried first.
    preferred: Option<usize>,
    /// Positions in the pool tried so far.
    tried: SmallVec<[usize; 4]>,
    /// The Operator-NAS-Identifier to add.
    pub(crate) token: Option<Vec<u8>>,
}

/// A request for the listener to forward itself, at the datagram level:
/// made by [`Proxy::forwarding`], returned by the hook given to
/// [`crate::server::Builder::forward`]. The listener forwards it to the
/// pool's servers in turn (failing over on its own timers, as
/// [`Proxy::forward`] does), relays the reply, or answers with
/// [`on_failure`](Self::on_failure) when no server answers.
pub struct Forward {
    pub(crate) proxy: Proxy,
    pub(crate) pool: usize,
    pub(crate) user_name: Option<Box<[u8]>>,
    pub(crate) on_failure: fn(&Request, &ProxyError) -> Reply,
    pub(crate) on_reply: Option<fn(&Request, &Reply)>,
}

impl std::fmt::Debug for Forward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forward")
            .field("pool", &self.proxy.pool_name(self.pool))
            .finish_non_exhaustive()
    }
}

impl Forward {
    /// What to answer when no server of the pool answers (or the reply
    /// cannot be relayed). Default: an Access-Reject with a Reply-Message
    /// saying why for Access-Request, no reply otherwise (the NAS keeps
    /// an accounting record and retransmits).
    pub fn on_failure(mut self, f: fn(&Request, &ProxyError) -> Reply) -> Self {
        self.on_failure = f;
        self
    }

    /// Called with each reply relayed to the NAS (e.g. to log it).
    pub fn on_reply(mut self, f: fn(&Request, &Reply)) -> Self {
        self.on_reply = Some(f);
        self
    }
}

/// [`Forward`]'s default answer when nobody answers.
fn default_failure(req: &Request, e: &ProxyError) -> Reply {
    if req.code() == Code::ACCESS_REQUEST {
        radius_proto::reply::AccessReject::new()
            .with(radius_dict::prelude::ReplyMessage::new(format!(
                "home servers unavailable ({e})"
            )))
            .into()
    } else {
        Reply::NoReply
    }
}

/// Keyed-balance key: Calling-Station-Id and the NAS's identity, so every
/// round of a conversation hashes alike (State changes every round).
fn select_key(req: &Request) -> SelectKey {
    let nas: IpAddr = req.source().ip();
    let csi = req.get::<CallingStationId>().and_then(Result::ok);
    let nid = req.get::<NasIdentifier>().and_then(Result::ok);
    let nip = req.get::<NasIpAddress>().and_then(Result::ok);
    match csi {
        Some(c) => {
            let nas_id: Vec<u8> = match (&nid, &nip) {
                (Some(n), _) => n.value().as_bytes().to_vec(),
                (None, Some(ip)) => ip.value().octets().to_vec(),
                (None, None) => match nas {
                    IpAddr::V4(a) => a.octets().to_vec(),
                    IpAddr::V6(a) => a.octets().to_vec(),
                },
            };
            SelectKey::from_parts(nas, &[c.value().as_bytes(), &nas_id])
        }
        None => SelectKey::new(nas),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
