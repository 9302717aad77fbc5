//! The host table: which addresses may talk to the server, with which shared
//! secret and which BlastRADIUS (CVE-2024-3596) policy.
//!
//! Entries are exact addresses or CIDR blocks, IPv4 or IPv6. Lookup prefers
//! an exact address, then the longest matching prefix. IPv4-mapped IPv6
//! source addresses (`::ffff:a.b.c.d`, as a dual-stack socket reports them)
//! are matched as the IPv4 address.

use std::collections::HashMap;

/// A map keyed by addresses that come from the network: seeded per
/// process, and far cheaper than SipHash on the per-request path.
pub(crate) type AddrMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use radius_core::Secret;

/// A yes/no/auto switch, as FreeRADIUS 3.2.5 spells its BlastRADIUS options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Policy {
    /// Always enforce.
    Yes,
    /// Never enforce.
    No,
    /// Decide from what the client sends (see the option's documentation).
    #[default]
    Auto,
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "yes" | "true" | "on" => Ok(Policy::Yes),
            "no" | "false" | "off" => Ok(Policy::No),
            "auto" => Ok(Policy::Auto),
            _ => Err(format!("expected yes, no or auto, got {s:?}")),
        }
    }
}

/// Configuration of one RADIUS client (a NAS), before it enters a [`HostTable`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Short name used in logs.
    pub name: String,
    /// The shared secret.
    pub secret: Secret,
    /// Require Message-Authenticator in every Access-Request.
    /// `Auto` (the default): once the client has sent one, require it from then on.
    pub require_message_authenticator: Policy,
    /// Drop an Access-Request that has Proxy-State but no Message-Authenticator.
    /// `Auto` (the default), as FreeRADIUS 3.2.5: the client's first
    /// Access-Request decides; if it carries Proxy-State without
    /// Message-Authenticator the client is an old proxy and the limit is off
    /// (a warning is logged), otherwise the limit is on from then on.
    pub limit_proxy_state: Policy,
}

impl ClientConfig {
    /// A client with the default (auto/auto) BlastRADIUS policy.
    pub fn new(name: impl Into<String>, secret: impl AsRef<[u8]>) -> Self {
        ClientConfig {
            name: name.into(),
            secret: Secret::new(secret),
            require_message_authenticator: Policy::Auto,
            limit_proxy_state: Policy::Auto,
        }
    }

    /// Set `require_message_authenticator`.
    pub fn require_message_authenticator(mut self, p: Policy) -> Self {
        self.require_message_authenticator = p;
        self
    }

    /// Set `limit_proxy_state`.
    pub fn limit_proxy_state(mut self, p: Policy) -> Self {
        self.limit_proxy_state = p;
        self
    }
}

// Learned state bits of an `auto` client.
const SEEN_MA: u8 = 1;
const DECIDED_PROXY_STATE: u8 = 2;
const LIMIT_PROXY_STATE: u8 = 4;
// Per NAS, whatever the policy: a BlastRADIUS rule's drop was logged at warn
// (once per NAS and rule, see `Client::first_blast_drop`).
const WARNED_REQUIRE_MA: u8 = 8;
const WARNED_EAP_WITHOUT_MA: u8 = 16;
const WARNED_PROXY_STATE: u8 = 32;

/// Which BlastRADIUS rule dropped an Access-Request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlastRule {
    /// No Message-Authenticator, and `require_message_authenticator` wants one.
    RequireMessageAuthenticator,
    /// EAP-Message without Message-Authenticator (RFC 3579, no setting).
    EapWithoutMessageAuthenticator,
    /// Proxy-State without Message-Authenticator (`limit_proxy_state`).
    ProxyState,
}

impl BlastRule {
    fn warned_bit(self) -> u8 {
        match self {
            BlastRule::RequireMessageAuthenticator => WARNED_REQUIRE_MA,
            BlastRule::EapWithoutMessageAuthenticator => WARNED_EAP_WITHOUT_MA,
            BlastRule::ProxyState => WARNED_PROXY_STATE,
        }
    }
}

pub(crate) struct ClientInner {
    pub(crate) config: ClientConfig,
    learned: crate::learned::Learned,
    pub(crate) in_flight: AtomicU32,
    counters: [AtomicU64; 6],
}

/// What one client's requests came to (see [`Client::counters`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientCounters {
    /// Requests handed to a handler.
    pub requests: u64,
    /// Access-Accepts sent.
    pub accepts: u64,
    /// Access-Rejects sent.
    pub rejects: u64,
    /// Access-Challenges sent.
    pub challenges: u64,
    /// Accounting-Responses sent.
    pub accounting_responses: u64,
    /// Other replies (CoA/Disconnect ACK and NAK).
    pub other_replies: u64,
}

/// A client of the host table, as a cheap shared handle. Also an extractor:
/// a handler parameter of type `Client` receives the entry that matched.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
}

/// One request of a client in flight; see [`Client::track_in_flight`].
#[derive(Debug)]
pub struct InFlight(Client);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.inner.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Client {
    /// Wrap a configuration (normally done by [`HostTable::insert`]).
    pub fn new(config: ClientConfig) -> Self {
        Client {
            inner: Arc::new(ClientInner {
                config,
                learned: Default::default(),
                in_flight: AtomicU32::new(0),
                counters: Default::default(),
            }),
        }
    }

    /// The client's short name.
    pub fn name(&self) -> &str {
        &self.inner.config.name
    }

    /// The shared secret.
    pub fn secret(&self) -> &Secret {
        &self.inner.config.secret
    }

    /// The configuration it was created from.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Requests of this client being handled right now (spawned handlers).
    pub fn in_flight(&self) -> u32 {
        self.inner.in_flight.load(Ordering::Relaxed)
    }

    /// Count one request of this client as in flight until the returned
    /// guard is dropped (the I/O layer's per-client overload bound).
    pub fn track_in_flight(&self) -> InFlight {
        self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Whether an Access-Request without Message-Authenticator from the NAS
    /// at `src` is refused now (`auto` learns per NAS address).
    pub fn requires_message_authenticator(&self, src: IpAddr) -> bool {
        match self.inner.config.require_message_authenticator {
            Policy::Yes => true,
            Policy::No => false,
            Policy::Auto => self.inner.learned.load(src) & SEEN_MA != 0,
        }
    }

    /// Whether some NAS of this entry has taught `auto` mode to require
    /// Message-Authenticator (for status displays).
    pub fn any_requires_message_authenticator(&self) -> bool {
        match self.inner.config.require_message_authenticator {
            Policy::Yes => true,
            Policy::No => false,
            Policy::Auto => self.inner.learned.any() & SEEN_MA != 0,
        }
    }

    /// Its counters so far (carried over a reload when unchanged).
    pub fn counters(&self) -> ClientCounters {
        let n = |i: usize| self.inner.counters[i].load(Ordering::Relaxed);
        ClientCounters {
            requests: n(0),
            accepts: n(1),
            rejects: n(2),
            challenges: n(3),
            accounting_responses: n(4),
            other_replies: n(5),
        }
    }

    pub(crate) fn count_request(&self) {
        self.inner.counters[0].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn count_reply(&self, code: radius_core::Code) {
        use radius_core::Code;
        let i = match code {
            Code::ACCESS_ACCEPT => 1,
            Code::ACCESS_REJECT => 2,
            Code::ACCESS_CHALLENGE => 3,
            Code::ACCOUNTING_RESPONSE => 4,
            _ => 5,
        };
        self.inner.counters[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Record that a verified Message-Authenticator arrived (auto mode learns from it).
    pub(crate) fn saw_message_authenticator(&self, src: IpAddr) {
        if self.inner.config.require_message_authenticator == Policy::Auto
            && self.inner.learned.load(src) & SEEN_MA == 0
        {
            let prev = self.inner.learned.fetch_or(src, SEEN_MA);
            if prev & SEEN_MA == 0 {
                tracing::info!(client = %self.name(), nas = %src,
                    "NAS sent Message-Authenticator: requiring it from this NAS from now on (require_message_authenticator = auto)");
            }
        }
    }

    /// Whether a drop by `rule` from the NAS at `src` has been logged at
    /// warn already (a lock, as every `auto` lookup takes; drops only).
    pub(crate) fn blast_drop_warned(&self, src: IpAddr, rule: BlastRule) -> bool {
        self.inner.learned.load(src) & rule.warned_bit() != 0
    }

    /// Record that a drop by `rule` from `src` is being logged at warn:
    /// `true` if no other thread recorded it first (then log it).
    pub(crate) fn mark_blast_drop_warned(&self, src: IpAddr, rule: BlastRule) -> bool {
        let bit = rule.warned_bit();
        self.inner.learned.fetch_or(src, bit) & bit == 0
    }

    /// Whether an Access-Request with Proxy-State and no Message-Authenticator
    /// must be dropped. In auto mode the first call decides (FreeRADIUS 3.2.5):
    /// `first_has_proxy_state_without_ma` describes the packet being checked.
    pub(crate) fn limits_proxy_state(&self, src: IpAddr, proxy_state_without_ma: bool) -> bool {
        match self.inner.config.limit_proxy_state {
            Policy::Yes => true,
            Policy::No => false,
            Policy::Auto => {
                let l = self.inner.learned.load(src);
                if l & DECIDED_PROXY_STATE != 0 {
                    return l & LIMIT_PROXY_STATE != 0;
                }
                let bits = if proxy_state_without_ma {
                    DECIDED_PROXY_STATE
                } else {
                    DECIDED_PROXY_STATE | LIMIT_PROXY_STATE
                };
                let prev = self.inner.learned.fetch_or(src, bits);
                if prev & DECIDED_PROXY_STATE != 0 {
                    // Another thread decided first.
                    return prev & LIMIT_PROXY_STATE != 0;
                }
                if proxy_state_without_ma {
                    tracing::warn!(client = %self.name(), nas = %src,
                        "first Access-Request has Proxy-State but no Message-Authenticator: \
                         limit_proxy_state = auto turns off for this client, which stays \
                         vulnerable to BlastRADIUS (CVE-2024-3596); upgrade it and set \
                         require_message_authenticator = yes");
                }
                !proxy_state_without_ma
            }
        }
    }
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("name", &self.name())
            .field(
                "require_message_authenticator",
                &self.inner.config.require_message_authenticator,
            )
            .field("limit_proxy_state", &self.inner.config.limit_proxy_state)
            .finish_non_exhaustive()
    }
}

/// An address or CIDR block: `192.0.2.1`, `10.0.0.0/8`, `2001:db8::/32`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// A block; host bits of `addr` are cleared. Errors if `prefix` exceeds
    /// the address width.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, CidrError> {
        let addr = canonical(addr);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        if prefix > max {
            return Err(CidrError(format!(
                "prefix /{prefix} longer than {max} bits"
            )));
        }
        Ok(Cidr {
            addr: mask(addr, prefix),
            prefix,
        })
    }

    /// A single address.
    pub fn host(addr: IpAddr) -> Self {
        let addr = canonical(addr);
        Cidr {
            addr,
            prefix: if addr.is_ipv4() { 32 } else { 128 },
        }
    }

    /// The network address.
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether this is a single address.
    pub fn is_host(&self) -> bool {
        self.prefix == if self.addr.is_ipv4() { 32 } else { 128 }
    }

    /// Whether `ip` lies in this block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.prefix) == self.addr
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

/// A string that is not an address or CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad address or CIDR block: {0}")]
pub struct CidrError(String);

impl FromStr for Cidr {
    type Err = CidrError;
    fn from_str(s: &str) -> Result<Self, CidrError> {
        let s = s.trim();
        match s.split_once('/') {
            None => s
                .parse::<IpAddr>()
                .map(Cidr::host)
                .map_err(|e| CidrError(format!("{s:?}: {e}"))),
            Some((a, p)) => {
                let addr = a
                    .parse::<IpAddr>()
                    .map_err(|e| CidrError(format!("{a:?}: {e}")))?;
                let prefix = p
                    .parse::<u8>()
                    .map_err(|_| CidrError(format!("{p:?} is not a prefix length")))?;
                Cidr::new(addr, prefix)
            }
        }
    }
}

impl From<IpAddr> for Cidr {
    fn from(a: IpAddr) -> Self {
        Cidr::host(a)
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ip,
        },
        v4 => v4,
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let m = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix as u32)
            };
            IpAddr::V4((u32::from(a) & m).into())
        }
        IpAddr::V6(a) => {
            let m = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix as u32)
            };
            IpAddr::V6((u128::from(a) & m).into())
        }
    }
}

/// Address or CIDR block → [`Client`]. Exact addresses are found by hash,
/// blocks by longest prefix.
#[derive(Debug, Default, Clone)]
pub struct HostTable {
    exact: AddrMap<IpAddr, Client>,
    /// Sorted by prefix length, longest first.
    nets: Vec<(Cidr, Client)>,
}

impl HostTable {
    /// An empty table (every packet is from an unknown client).
    pub fn new() -> Self {
        Self::default()
    }

    /// Add a client for an address or block, replacing an entry for the same one.
    ///
    /// `net` is a [`Cidr`] (not `impl Into<Cidr>`) so that text parses in
    /// place: `hosts.insert("10.0.0.0/8".parse()?, config)`; an address is
    /// `Cidr::host(ip)` or `ip.into()`.
    pub fn insert(&mut self, net: Cidr, config: ClientConfig) -> &mut Self {
        let client = Client::new(config);
        if net.is_host() {
            self.exact.insert(net.addr, client);
        } else {
            self.nets.retain(|(n, _)| *n != net);
            self.nets.push((net, client));
            self.nets.sort_by_key(|n| std::cmp::Reverse(n.0.prefix));
        }
        self
    }

    /// Builder form of [`insert`](Self::insert).
    pub fn with(mut self, net: Cidr, config: ClientConfig) -> Self {
        self.insert(net, config);
        self
    }

    /// Parse `net` (address or CIDR) and add a client with the default policy.
    pub fn add(
        mut self,
        net: &str,
        name: impl Into<String>,
        secret: impl AsRef<[u8]>,
    ) -> Result<Self, CidrError> {
        let net: Cidr = net.parse()?;
        self.insert(net, ClientConfig::new(name, secret));
        Ok(self)
    }

    /// The client for a source address, if any.
    pub fn lookup(&self, ip: IpAddr) -> Option<&Client> {
        let ip = canonical(ip);
        if !self.exact.is_empty() {
            if let Some(c) = self.exact.get(&ip) {
                return Some(c);
            }
        }
        self.nets
            .iter()
            .find(|(n, _)| n.contains(ip))
            .map(|(_, c)| c)
    }

    pub(crate) fn exact_mut(&mut self) -> impl Iterator<Item = (&IpAddr, &mut Client)> {
        self.exact.iter_mut()
    }

    pub(crate) fn nets_mut(&mut self) -> impl Iterator<Item = (&Cidr, &mut Client)> {
        self.nets.iter_mut().map(|(n, c)| (&*n, c))
    }

    pub(crate) fn exact_get(&self, ip: &IpAddr) -> Option<&Client> {
        self.exact.get(ip)
    }

    pub(crate) fn net_get(&self, net: &Cidr) -> Option<&Client> {
        self.nets.iter().find(|(n, _)| n == net).map(|(_, c)| c)
    }

    /// Every client of the table (an address's and a block's alike).
    pub fn clients(&self) -> impl Iterator<Item = &Client> {
        self.exact.values().chain(self.nets.iter().map(|(_, c)| c))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.exact.len() + self.nets.len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_exact_and_longest_prefix_v4_v6() {
        let t = HostTable::new()
            .add("10.0.0.0/8", "wide", "a")
            .unwrap()
            .add("10.1.0.0/16", "narrow", "b")
            .unwrap()
            .add("10.1.2.3", "exact", "c")
            .unwrap()
            .add("2001:db8::/32", "v6net", "d")
            .unwrap()
            .add("::1", "v6lo", "e")
            .unwrap();
        let name = |s: &str| t.lookup(s.parse().unwrap()).map(|c| c.name().to_owned());
        assert_eq!(name("10.9.9.9").as_deref(), Some("wide"));
        assert_eq!(name("10.1.9.9").as_deref(), Some("narrow"));
        assert_eq!(name("10.1.2.3").as_deref(), Some("exact"));
        assert_eq!(name("::ffff:10.1.2.3").as_deref(), Some("exact"));
        assert_eq!(name("11.0.0.1"), None);
        assert_eq!(name("2001:db8:1::5").as_deref(), Some("v6net"));
        assert_eq!(name("2001:db9::5"), None);
        assert_eq!(name("::1").as_deref(), Some("v6lo"));
        assert_eq!(t.len(), 5);
    }

    #[test]
    fn cidr_parse_errors_and_masking() {
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("::/129".parse::<Cidr>().is_err());
        assert!("nonsense".parse::<Cidr>().is_err());
        let c: Cidr = "192.168.1.77/24".parse().unwrap();
        assert_eq!(c.to_string(), "192.168.1.0/24");
        let all: Cidr = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains("8.8.8.8".parse().unwrap()));
        assert!(!all.contains("::2".parse().unwrap()));
    }

    #[test]
    fn auto_policies_learn() {
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let c = Client::new(ClientConfig::new("n", "s"));
        assert!(!c.requires_message_authenticator(a));
        c.saw_message_authenticator(a);
        assert!(c.requires_message_authenticator(a));
        // Per NAS: the other NAS of the entry is not affected.
        assert!(!c.requires_message_authenticator(b));
        assert!(c.any_requires_message_authenticator());
        // First packet without Proxy-State: limit turns on (for that NAS).
        assert!(c.limits_proxy_state(a, false));
        assert!(c.limits_proxy_state(a, true));
        // The other NAS is an old proxy: its own first packet decides.
        assert!(!c.limits_proxy_state(b, true));
        assert!(!c.limits_proxy_state(b, true));
        assert!(c.limits_proxy_state(a, true));
        let no =
            Client::new(ClientConfig::new("no", "s").require_message_authenticator(Policy::No));
        no.saw_message_authenticator(a);
        assert!(!no.requires_message_authenticator(a));
    }
}
