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
//!
//! [`Proxy::forwarding`] makes a [`Forward`] instead, for the listener to
//! forward a request itself at the datagram level
//! ([`Builder::forward`](crate::server::Builder::forward));
//! both paths take the same steps (`walk`). `link` is how one home server
//! is reached by the handler path and the probes.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use radius_core::{Code, Secret};
use radius_proto::proxy::forward::{forward_request, relay_reply, ForwardError, Rewrite};
use radius_proto::proxy::health::{Check, Health, HealthConfig, State};
use radius_proto::proxy::operator::operator_nas_identifiers;
pub use radius_proto::proxy::operator::NasTokens;
use radius_proto::proxy::pool::{server_id, Pool, PoolKind};
use radius_proto::{Reply, Request};

use crate::client::UdpClient;
use crate::radsec::TlsConfig;
use radius_proto::radsec::RADSEC_SECRET;

pub use radius_proto::proxy::health;
pub use radius_proto::proxy::pool;

mod link;
mod walk;

use link::Link;
pub(crate) use walk::Walk;

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
    /// The listener could not open its socket towards the home servers.
    #[error("no socket towards the home servers: {0}")]
    Socket(std::io::Error),
    /// A RadSec home server's TLS settings are unusable.
    #[error("home server {0:?}: {1}")]
    RadSec(String, crate::radsec::ClientError),
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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
