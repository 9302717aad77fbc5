//! Proxying in `radius serve`: the `[[home_server]]`, `[[pool]]` and
//! `[[realm]]` sections, parsed and checked into a [`ProxyConfig`]. Every
//! mistake (a bad address, an unknown or duplicate name, overlapping
//! realms) stops start-up with file:line. Forwarding itself is not wired
//! in yet: this is the schema and its validation.
//!
//! ```toml
//! [[home_server]]
//! name = "hs1"
//! address = "127.0.0.1:18120"        # authentication (ip:port)
//! acct_address = "127.0.0.1:18121"   # accounting; default: address's port + 1
//! secret = "testing123"              # UDP: required; RadSec: default "radsec"
//! status_check = "status-server"     # default; or "request" or "none"
//! transport = "udp"                  # default; or "radsec" (then tls_* below)
//! # tls_cert = "proxy.pem"           # our client certificate chain (PEM)
//! # tls_key = "proxy.key"
//! # tls_ca = "ca.pem"                # CA that signed the home server's certificate
//! # tls_server_name = "hs1.example"  # name its certificate carries; default: address's IP
//! # Tuning, defaults from radius_proto::proxy::health::HealthConfig:
//! response_window = 2.0              # seconds without an answer: zombie, fail over
//! zombie_period = 4.0                # seconds a silent zombie waits before dead
//! revive_after = 3                   # answers that make a dead server alive again
//! probe_interval = 1.0               # seconds between probes (or trial requests)
//! revive_interval = 30.0             # status_check = "none": seconds a server stays dead
//! max_outstanding = 1024             # requests in flight to this server
//!
//! [[pool]]
//! name = "main"
//! type = "fail-over"                 # or load-balance | client-balance | keyed-balance (default)
//! servers = ["hs1", "hs2"]
//!
//! [[realm]]
//! name = "example.org"               # exact (case-insensitive), "*", or "/regex/"
//! pool = "main"                      # or: local = true (our own users)
//! strip = true                       # forward "bob", not "bob@example.org"
//! ```
//!
//! A RadSec home server carries authentication and accounting on its one
//! connection (`acct_address` is refused there). Realm names and routing
//! are [`radius_proto::proxy::realm`]'s: the realm of `bob@example.org` and
//! of `EXAMPLE\bob`; exact names first, then regexes in file order, then
//! `*`; a regex matches the whole User-Name and strips only through a named
//! group `user`.

use std::net::SocketAddr;
use std::ops::Range;
use std::path::PathBuf;
use std::time::Duration;

use radius_proto::proxy::health::{Check, HealthConfig};
use radius_proto::proxy::pool::PoolKind;
use radius_proto::proxy::realm::{RealmError, RealmRule, RealmTable, Target};
use serde::Deserialize;
use toml::Spanned;

use super::config::ConfigError;
use super::eap::Located;

/// Requests in flight to one server (default).
pub const DEFAULT_MAX_OUTSTANDING: usize = 1024;

/// A `[[home_server]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHomeServer {
    name: Spanned<String>,
    address: Spanned<String>,
    acct_address: Option<Spanned<String>>,
    secret: Option<Spanned<String>>,
    status_check: Option<Spanned<String>>,
    transport: Option<Spanned<String>>,
    tls_cert: Option<Spanned<String>>,
    tls_key: Option<Spanned<String>>,
    tls_ca: Option<Spanned<String>>,
    tls_server_name: Option<Spanned<String>>,
    response_window: Option<Spanned<f64>>,
    zombie_period: Option<Spanned<f64>>,
    revive_after: Option<Spanned<u32>>,
    probe_interval: Option<Spanned<f64>>,
    revive_interval: Option<Spanned<f64>>,
    max_outstanding: Option<Spanned<usize>>,
}

/// The `[proxy]` section as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProxySettings {
    operator_name: Option<Spanned<String>>,
    operator_nas_identifier: Option<Spanned<bool>>,
    operator_nas_key: Option<Spanned<String>>,
    accounting_fallback: Option<Spanned<String>>,
}

/// The checked `[proxy]` section.
#[derive(Debug, Clone, Default)]
pub struct ProxySettings {
    /// Operator-Name added to forwarded requests that lack one.
    pub operator_name: Option<String>,
    /// Issue Operator-NAS-Identifier tokens (under this key, random when
    /// `None`) and route CoA/Disconnect back by them.
    pub operator_nas_identifier: Option<Option<String>>,
    /// Accounting nobody upstream answered is stored locally and answered
    /// (`accounting_fallback = "local"`) instead of left unanswered.
    pub accounting_fallback_local: bool,
}

/// A `[[pool]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPool {
    name: Spanned<String>,
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    servers: Spanned<Vec<Spanned<String>>>,
}

/// A `[[realm]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRealm {
    name: Spanned<String>,
    pool: Option<Spanned<String>>,
    local: Option<Spanned<bool>>,
    #[serde(default)]
    strip: bool,
}

/// How the proxy reaches a home server (`transport`).
#[derive(Debug, Clone)]
pub enum HomeTransport {
    /// RADIUS over UDP (default).
    Udp,
    /// RADIUS over TLS (RFC 6614), authentication and accounting on one
    /// connection.
    RadSec {
        /// Our client certificate chain.
        cert: Located,
        /// Its private key.
        key: Located,
        /// CA for the home server's certificate.
        ca: Located,
        /// The name the home server's certificate must carry.
        server_name: String,
    },
}

/// A checked `[[home_server]]`.
#[derive(Debug, Clone)]
pub struct HomeServerEntry {
    /// Its name (for pools and logs).
    pub name: String,
    /// Line of its `name`.
    pub line: usize,
    /// Authentication (and for RadSec, everything) goes here.
    pub auth: SocketAddr,
    /// Accounting goes here (`acct_address`, or `auth`'s port + 1 over
    /// UDP; `auth` over RadSec).
    pub acct: SocketAddr,
    /// Shared secret (`"radsec"` by default over RadSec).
    pub secret: String,
    /// Health checking: `status_check` and the tuning, defaults from
    /// [`HealthConfig::default`].
    pub health: HealthConfig,
    /// UDP or RadSec.
    pub transport: HomeTransport,
    /// Requests in flight to this server at most.
    pub max_outstanding: usize,
}

/// A pool's `type`.
fn pool_kind(s: &str) -> Option<PoolKind> {
    Some(match s {
        "fail-over" => PoolKind::FailOver,
        "load-balance" => PoolKind::LoadBalance,
        "client-balance" => PoolKind::ClientBalance,
        "keyed-balance" => PoolKind::KeyedBalance,
        _ => return None,
    })
}

/// A checked `[[pool]]`.
#[derive(Debug, Clone)]
pub struct PoolEntry {
    /// Its name (for realms).
    pub name: String,
    /// Line of its `name`.
    pub line: usize,
    /// Policy (`type`; default keyed-balance).
    pub kind: PoolKind,
    /// Its servers, as indices into [`ProxyConfig::home_servers`], in the
    /// order written.
    pub servers: Vec<usize>,
}

/// The proxy sections, checked.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// Home servers, in file order.
    pub home_servers: Vec<HomeServerEntry>,
    /// Pools, in file order; realms name them by [`Target::Pool`].
    pub pools: Vec<PoolEntry>,
    /// The realm routes.
    pub realms: RealmTable,
    /// The line of each realm rule (by [`RealmTable::rules`] index).
    pub realm_lines: Vec<usize>,
    /// The `[proxy]` section.
    pub settings: ProxySettings,
}

#[cfg(test)]
impl ProxyConfig {
    /// The pool named `name`.
    pub fn pool(&self, name: &str) -> Option<&PoolEntry> {
        self.pools.iter().find(|p| p.name == name)
    }
}

/// Check the three sections; `None` when all are absent. `line` maps a
/// span to its line, `err` builds an error at a span.
pub(super) fn check(
    servers: &[Spanned<RawHomeServer>],
    pools: &[Spanned<RawPool>],
    realms: &[Spanned<RawRealm>],
    raw_settings: Option<&Spanned<RawProxySettings>>,
    line: &dyn Fn(Range<usize>) -> usize,
    err: &dyn Fn(Range<usize>, String) -> ConfigError,
) -> Result<Option<ProxyConfig>, ConfigError> {
    if servers.is_empty() && pools.is_empty() && realms.is_empty() {
        if let Some(s) = raw_settings {
            return Err(err(
                s.span(),
                "[proxy] settings without any [[home_server]] to forward to".into(),
            ));
        }
        return Ok(None);
    }
    let settings = match raw_settings {
        None => ProxySettings::default(),
        Some(s) => settings(s.get_ref(), err)?,
    };
    let addr = |s: &Spanned<String>| -> Result<SocketAddr, ConfigError> {
        s.get_ref().trim().parse().map_err(|_| {
            err(
                s.span(),
                format!(
                    "{:?} is not an address:port (e.g. \"192.0.2.1:1812\" or \"[2001:db8::1]:1812\")",
                    s.get_ref()
                ),
            )
        })
    };
    let seconds = |s: &Option<Spanned<f64>>, what: &str, default: Duration| match s {
        None => Ok(default),
        Some(s) => Duration::try_from_secs_f64(*s.get_ref())
            .ok()
            .filter(|d| !d.is_zero() && d.as_secs() < 86_400)
            .ok_or_else(|| {
                err(
                    s.span(),
                    format!("{what} must be a number of seconds above 0 and below a day"),
                )
            }),
    };
    let mut home_servers: Vec<HomeServerEntry> = Vec::new();
    for s in servers {
        let s = s.get_ref();
        let name = s.name.get_ref();
        if name.is_empty() {
            return Err(err(s.name.span(), "empty home_server name".into()));
        }
        if let Some(prev) = home_servers.iter().find(|h| &h.name == name) {
            return Err(err(
                s.name.span(),
                format!("home_server {name:?} already defined at line {}", prev.line),
            ));
        }
        let auth = addr(&s.address)?;
        let located = |f: &Option<Spanned<String>>| {
            f.as_ref().map(|f| Located {
                path: PathBuf::from(f.get_ref()),
                line: line(f.span()),
            })
        };
        let tls_fields = [
            ("tls_cert", &s.tls_cert),
            ("tls_key", &s.tls_key),
            ("tls_ca", &s.tls_ca),
            ("tls_server_name", &s.tls_server_name),
        ];
        let radsec = match &s.transport {
            None => false,
            Some(t) => match t.get_ref().as_str() {
                "udp" => false,
                "radsec" | "tls" => true,
                other => {
                    return Err(err(
                        t.span(),
                        format!("unknown transport {other:?}: use \"udp\" or \"radsec\""),
                    ))
                }
            },
        };
        let transport = if radsec {
            if let Some(a) = &s.acct_address {
                return Err(err(
                    a.span(),
                    "acct_address is for UDP home servers: RadSec carries accounting on the same connection".into(),
                ));
            }
            for (field, v) in &tls_fields[..3] {
                if v.is_none() {
                    return Err(err(
                        s.transport.as_ref().expect("radsec").span(),
                        format!(
                            "transport = \"radsec\" needs {field} (and tls_cert, tls_key, tls_ca)"
                        ),
                    ));
                }
            }
            HomeTransport::RadSec {
                cert: located(&s.tls_cert).expect("checked"),
                key: located(&s.tls_key).expect("checked"),
                ca: located(&s.tls_ca).expect("checked"),
                server_name: s
                    .tls_server_name
                    .as_ref()
                    .map_or_else(|| auth.ip().to_string(), |n| n.get_ref().clone()),
            }
        } else {
            if let Some((field, Some(v))) = tls_fields.iter().find(|(_, v)| v.is_some()) {
                return Err(err(
                    v.span(),
                    format!("{field} is only for transport = \"radsec\""),
                ));
            }
            HomeTransport::Udp
        };
        let acct = match &s.acct_address {
            Some(a) => addr(a)?,
            None if radsec => auth,
            None => {
                let port = auth.port().checked_add(1).ok_or_else(|| {
                    err(
                        s.address.span(),
                        "port 65535 has no port + 1 for accounting: give acct_address".into(),
                    )
                })?;
                SocketAddr::new(auth.ip(), port)
            }
        };
        let secret = match &s.secret {
            Some(v) if v.get_ref().is_empty() => {
                return Err(err(v.span(), "empty shared secret".into()))
            }
            Some(v) => v.get_ref().clone(),
            None if radsec => radius_proto::radsec::RADSEC_SECRET.to_owned(),
            None => {
                return Err(err(
                    s.name.span(),
                    format!("home_server {name:?} has no secret"),
                ))
            }
        };
        let check = match &s.status_check {
            None => Check::default(),
            Some(c) => match c.get_ref().as_str() {
                "status-server" => Check::StatusServer,
                "request" => Check::Request,
                "none" => Check::None,
                other => {
                    return Err(err(
                        c.span(),
                        format!("unknown status_check {other:?}: use \"status-server\", \"request\" or \"none\""),
                    ))
                }
            },
        };
        let d = HealthConfig::default();
        let revive_after = match &s.revive_after {
            None => d.revive_after,
            Some(v) if *v.get_ref() > 0 => *v.get_ref(),
            Some(v) => return Err(err(v.span(), "revive_after must be at least 1".into())),
        };
        let health = HealthConfig {
            check,
            response_window: seconds(&s.response_window, "response_window", d.response_window)?,
            zombie_period: seconds(&s.zombie_period, "zombie_period", d.zombie_period)?,
            revive_after,
            probe_interval: seconds(&s.probe_interval, "probe_interval", d.probe_interval)?,
            revive_interval: seconds(&s.revive_interval, "revive_interval", d.revive_interval)?,
        };
        let max_outstanding = match &s.max_outstanding {
            None => DEFAULT_MAX_OUTSTANDING,
            Some(v) if *v.get_ref() > 0 => *v.get_ref(),
            Some(v) => return Err(err(v.span(), "max_outstanding must be at least 1".into())),
        };
        home_servers.push(HomeServerEntry {
            name: name.clone(),
            line: line(s.name.span()),
            auth,
            acct,
            secret,
            health,
            transport,
            max_outstanding,
        });
    }

    let mut checked_pools: Vec<PoolEntry> = Vec::new();
    for p in pools {
        let p = p.get_ref();
        let name = p.name.get_ref();
        if name.is_empty() {
            return Err(err(p.name.span(), "empty pool name".into()));
        }
        if let Some(prev) = checked_pools.iter().find(|q| &q.name == name) {
            return Err(err(
                p.name.span(),
                format!("pool {name:?} already defined at line {}", prev.line),
            ));
        }
        let kind = match &p.kind {
            None => PoolKind::default(),
            Some(k) => pool_kind(k.get_ref()).ok_or_else(|| {
                err(
                    k.span(),
                    format!(
                        "unknown pool type {:?}: use \"fail-over\", \"load-balance\", \"client-balance\" or \"keyed-balance\"",
                        k.get_ref()
                    ),
                )
            })?,
        };
        let mut members = Vec::new();
        for s in p.servers.get_ref() {
            let i = home_servers
                .iter()
                .position(|h| &h.name == s.get_ref())
                .ok_or_else(|| {
                    err(
                        s.span(),
                        format!("pool {name:?} names unknown home_server {:?}", s.get_ref()),
                    )
                })?;
            if members.contains(&i) {
                return Err(err(
                    s.span(),
                    format!(
                        "home_server {:?} listed twice in pool {name:?}",
                        s.get_ref()
                    ),
                ));
            }
            members.push(i);
        }
        if members.is_empty() {
            return Err(err(
                p.servers.span(),
                format!("pool {name:?} has no servers"),
            ));
        }
        checked_pools.push(PoolEntry {
            name: name.clone(),
            line: line(p.name.span()),
            kind,
            servers: members,
        });
    }

    let mut rules = Vec::new();
    let mut realm_lines = Vec::new();
    for r in realms {
        let r = r.get_ref();
        let local = r.local.as_ref().is_some_and(|l| *l.get_ref());
        let target = match (&r.pool, local) {
            (Some(p), true) => {
                return Err(err(p.span(), "give pool or local = true, not both".into()))
            }
            (None, true) => Target::Local,
            (None, false) => {
                return Err(err(
                    r.name.span(),
                    format!(
                        "realm {:?} needs pool = \"...\" or local = true",
                        r.name.get_ref()
                    ),
                ))
            }
            (Some(p), false) => {
                if !checked_pools.iter().any(|q| &q.name == p.get_ref()) {
                    return Err(err(
                        p.span(),
                        format!(
                            "realm {:?} names unknown pool {:?}",
                            r.name.get_ref(),
                            p.get_ref()
                        ),
                    ));
                }
                Target::Pool(p.get_ref().clone())
            }
        };
        rules.push(RealmRule::new(r.name.get_ref().clone(), target).strip(r.strip));
        realm_lines.push(line(r.name.span()));
    }
    let realm_table = RealmTable::new(rules).map_err(|e| {
        let span = realms[e.index()].get_ref().name.span();
        let message = match &e {
            RealmError::Duplicate { name, first, .. } => {
                format!(
                    "realm {name:?} already defined at line {}",
                    realm_lines[*first]
                )
            }
            RealmError::Regex { error, .. } => format!("invalid realm regex: {error}"),
            other => other.to_string(),
        };
        err(span, message)
    })?;
    Ok(Some(ProxyConfig {
        home_servers,
        pools: checked_pools,
        realms: realm_table,
        realm_lines,
        settings,
    }))
}

fn settings(
    s: &RawProxySettings,
    err: &dyn Fn(Range<usize>, String) -> ConfigError,
) -> Result<ProxySettings, ConfigError> {
    let operator_name = match &s.operator_name {
        None => None,
        // RFC 5580 §4.1: a namespace digit ('1' is REALM) and the name.
        Some(n) if n.get_ref().len() < 2 || !n.get_ref().as_bytes()[0].is_ascii_digit() => {
            return Err(err(
                n.span(),
                "operator_name is a namespace digit and a name, e.g. \"1visited.example\" \
                 (1 = REALM, RFC 5580)"
                    .into(),
            ))
        }
        Some(n) if n.get_ref().len() > 253 => {
            return Err(err(
                n.span(),
                "operator_name is longer than 253 octets".into(),
            ))
        }
        Some(n) => Some(n.get_ref().clone()),
    };
    let on = s
        .operator_nas_identifier
        .as_ref()
        .is_some_and(|b| *b.get_ref());
    let key = s.operator_nas_key.as_ref();
    if let (Some(k), false) = (key, on) {
        return Err(err(
            k.span(),
            "operator_nas_key without operator_nas_identifier = true".into(),
        ));
    }
    if let Some(k) = key.filter(|k| k.get_ref().len() < 16) {
        return Err(err(
            k.span(),
            "operator_nas_key must be at least 16 characters".into(),
        ));
    }
    let accounting_fallback_local = match &s.accounting_fallback {
        None => false,
        Some(v) => match v.get_ref().as_str() {
            "none" => false,
            "local" => true,
            other => {
                return Err(err(
                    v.span(),
                    format!("accounting_fallback {other:?}: use \"none\" or \"local\""),
                ))
            }
        },
    };
    Ok(ProxySettings {
        operator_name,
        operator_nas_identifier: on.then(|| key.map(|k| k.get_ref().clone())),
        accounting_fallback_local,
    })
}

#[cfg(test)]
mod tests {
    use super::super::config::Config;
    use super::*;

    const GOOD: &str = r#"
[[home_server]]
name = "hs1"
address = "127.0.0.1:18120"
secret = "testing123"
status_check = "status-server"

[[home_server]]
name = "hs2"
address = "[::1]:1812"
acct_address = "[::1]:1913"
secret = "s2"
status_check = "request"
response_window = 0.5
zombie_period = 5
revive_after = 2
max_outstanding = 64
probe_interval = 3
revive_interval = 60

[[home_server]]
name = "tls1"
address = "192.0.2.9:2083"
transport = "radsec"
tls_cert = "proxy.pem"
tls_key = "proxy.key"
tls_ca = "ca.pem"
status_check = "none"

[[pool]]
name = "main"
type = "fail-over"
servers = ["hs1", "hs2"]

[[pool]]
name = "eap"
servers = ["tls1", "hs1"]

[[realm]]
name = "example.org"
pool = "main"
strip = true

[[realm]]
name = "/.*@.*\\.eduroam\\.example/"
pool = "eap"

[[realm]]
name = "LOCAL"
local = true

[[realm]]
name = "*"
pool = "main"
"#;

    #[test]
    fn happy_path() {
        let c = Config::parse("p.toml", GOOD).unwrap();
        let p = c.proxy.expect("proxy sections");
        assert_eq!(p.home_servers.len(), 3);
        let hs1 = &p.home_servers[0];
        assert_eq!((hs1.name.as_str(), hs1.line), ("hs1", 3));
        assert_eq!(hs1.auth, "127.0.0.1:18120".parse().unwrap());
        assert_eq!(hs1.acct, "127.0.0.1:18121".parse().unwrap());
        assert_eq!(hs1.secret, "testing123");
        assert_eq!(hs1.health, HealthConfig::default());
        assert!(matches!(hs1.transport, HomeTransport::Udp));
        assert_eq!(hs1.max_outstanding, DEFAULT_MAX_OUTSTANDING);
        let hs2 = &p.home_servers[1];
        assert_eq!(hs2.acct, "[::1]:1913".parse().unwrap());
        assert_eq!(hs2.health.check, Check::Request);
        assert_eq!(hs2.health.response_window, Duration::from_millis(500));
        assert_eq!(hs2.health.zombie_period, Duration::from_secs(5));
        assert_eq!(hs2.health.probe_interval, Duration::from_secs(3));
        assert_eq!(hs2.health.revive_interval, Duration::from_secs(60));
        assert_eq!((hs2.health.revive_after, hs2.max_outstanding), (2, 64));
        let tls1 = &p.home_servers[2];
        assert_eq!(tls1.acct, tls1.auth);
        assert_eq!(tls1.secret, "radsec");
        assert_eq!(tls1.health.check, Check::None);
        match &tls1.transport {
            HomeTransport::RadSec {
                cert,
                ca,
                server_name,
                ..
            } => {
                assert_eq!((cert.path.to_str(), cert.line), (Some("proxy.pem"), 25));
                assert_eq!(ca.path.to_str(), Some("ca.pem"));
                assert_eq!(server_name, "192.0.2.9");
            }
            other => panic!("{other:?}"),
        }
        let main = p.pool("main").unwrap();
        assert_eq!(
            (main.kind, main.servers.as_slice()),
            (PoolKind::FailOver, &[0, 1][..])
        );
        let eap = p.pool("eap").unwrap();
        assert_eq!(
            (eap.kind, eap.servers.as_slice()),
            (PoolKind::KeyedBalance, &[2, 0][..])
        );
        assert_eq!(p.realm_lines, vec![40, 45, 49, 53]);
        let r = p.realms.route("bob@Example.ORG").unwrap();
        assert_eq!(
            (r.target, r.user_name),
            (&Target::Pool("main".into()), "bob")
        );
        let r = p.realms.route("ann@x.eduroam.example").unwrap();
        assert_eq!(
            (r.target, r.user_name),
            (&Target::Pool("eap".into()), "ann@x.eduroam.example")
        );
        assert_eq!(
            p.realms.route("local\\carol").unwrap().target,
            &Target::Local
        );
        assert_eq!(p.realms.route("dave").unwrap().realm, "*");
    }

    /// The guide's "Proxying" example is a valid configuration.
    #[test]
    fn guide_example_parses() {
        let guide = include_str!("../../../docs/guide.md");
        let section = &guide[guide.find("### Proxying").expect("section")..];
        let start = section.find("```toml\n").expect("toml block") + 8;
        let text = &section[start..start + section[start..].find("```").unwrap()];
        let p = Config::parse("guide", text).unwrap().proxy.unwrap();
        assert!(matches!(
            p.home_servers[1].transport,
            HomeTransport::RadSec { .. }
        ));
        let r = p.realms.route("ann@x.example.net").unwrap();
        assert_eq!(
            (r.target, r.user_name),
            (&Target::Pool("main".into()), "ann")
        );
        assert_eq!(p.realms.route("bob@EXAMPLE.org").unwrap().user_name, "bob");
        assert_eq!(p.realms.route("carol").unwrap().target, &Target::Local);
    }

    #[test]
    fn proxy_settings() {
        let text = format!(
            "{GOOD}\n[proxy]\noperator_name = \"1visited.example\"\noperator_nas_identifier = true\n\
             operator_nas_key = \"0123456789abcdef\"\naccounting_fallback = \"local\"\n"
        );
        let s = Config::parse("p.toml", &text)
            .unwrap()
            .proxy
            .unwrap()
            .settings;
        assert_eq!(s.operator_name.as_deref(), Some("1visited.example"));
        assert_eq!(
            s.operator_nas_identifier,
            Some(Some("0123456789abcdef".to_owned()))
        );
        assert!(s.accounting_fallback_local);
        let s = Config::parse("p.toml", GOOD)
            .unwrap()
            .proxy
            .unwrap()
            .settings;
        assert!(s.operator_name.is_none() && s.operator_nas_identifier.is_none());
        assert!(!s.accounting_fallback_local);
        let c = Config::parse(
            "p.toml",
            "[[client]]\naddress = \"10.0.0.1\"\nsecret = \"s\"\ncoa_port = 0\n",
        );
        assert_eq!(c.unwrap_err().line, 4);
    }

    #[test]
    fn absent_sections_mean_no_proxy() {
        assert!(Config::embedded().proxy.is_none());
        let c = Config::parse("p.toml", "[[realm]]\nname = \"*\"\nlocal = true\n").unwrap();
        assert_eq!(
            c.proxy.unwrap().realms.route("x").unwrap().target,
            &Target::Local
        );
    }

    #[test]
    fn errors_name_the_line() {
        const HS: &str =
            "[[home_server]]\nname = \"hs1\"\naddress = \"127.0.0.1:1812\"\nsecret = \"s\"\n";
        const POOL: &str = "[[pool]]\nname = \"main\"\nservers = [\"hs1\"]\n";
        let with = |more: &str| format!("{HS}{POOL}{more}");
        let cases = [
            // Home servers.
            ("[[home_server]]\nname = \"a\"\naddress = \"127.0.0.1\"\nsecret = \"s\"\n".to_owned(), 3, "not an address:port"),
            ("[[home_server]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\nacct_address = \"x:y\"\nsecret = \"s\"\n".into(), 4, "not an address:port"),
            ("[[home_server]]\nname = \"a\"\naddress = \"127.0.0.1:65535\"\nsecret = \"s\"\n".into(), 3, "give acct_address"),
            ("[[home_server]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\nsecret = \"\"\n".into(), 4, "empty shared secret"),
            ("[[home_server]]\nname = \"a\"\naddress = \"127.0.0.1:1\"\n".into(), 2, "has no secret"),
            ("[[home_server]]\nname = \"\"\naddress = \"127.0.0.1:1\"\nsecret = \"s\"\n".into(), 2, "empty home_server name"),
            (format!("{HS}\n[[home_server]]\nname = \"hs1\"\naddress = \"127.0.0.1:1\"\nsecret = \"s\"\n"), 7, "home_server \"hs1\" already defined at line 2"),
            (format!("{HS}status_check = \"ping\"\n"), 5, "unknown status_check \"ping\""),
            (format!("{HS}transport = \"dtls\"\n"), 5, "unknown transport"),
            (format!("{HS}transport = \"radsec\"\ntls_cert = \"c\"\ntls_ca = \"a\"\n"), 5, "needs tls_key"),
            (format!("{HS}transport = \"radsec\"\n"), 5, "needs tls_cert"),
            (format!("{HS}tls_ca = \"a\"\n"), 5, "only for transport = \"radsec\""),
            (format!("{HS}transport = \"radsec\"\ntls_cert = \"c\"\ntls_key = \"k\"\ntls_ca = \"a\"\nacct_address = \"127.0.0.1:2\"\n"), 9, "same connection"),
            (format!("{HS}response_window = 0\n"), 5, "response_window must be"),
            (format!("{HS}zombie_period = -1.5\n"), 5, "zombie_period must be"),
            (format!("{HS}probe_interval = 1e9\n"), 5, "probe_interval must be"),
            (format!("{HS}revive_after = 0\n"), 5, "revive_after must be at least 1"),
            (format!("{HS}max_outstanding = 0\n"), 5, "max_outstanding must be at least 1"),
            (format!("{HS}port = 1\n"), 5, "unknown field"),
            // Pools.
            (format!("{HS}[[pool]]\nname = \"p\"\ntype = \"round-robin\"\nservers = [\"hs1\"]\n"), 7, "unknown pool type \"round-robin\""),
            (format!("{HS}[[pool]]\nname = \"p\"\nservers = [\n  \"hs1\",\n  \"hs9\",\n]\n"), 9, "pool \"p\" names unknown home_server \"hs9\""),
            (format!("{HS}[[pool]]\nname = \"p\"\nservers = [\"hs1\", \"hs1\"]\n"), 7, "listed twice"),
            (format!("{HS}[[pool]]\nname = \"p\"\nservers = []\n"), 7, "has no servers"),
            (with("[[pool]]\nname = \"main\"\nservers = [\"hs1\"]\n"), 9, "pool \"main\" already defined at line 6"),
            // Realms.
            (with("[[realm]]\nname = \"a.org\"\npool = \"nope\"\n"), 10, "realm \"a.org\" names unknown pool \"nope\""),
            (with("[[realm]]\nname = \"a.org\"\npool = \"main\"\nlocal = true\n"), 10, "not both"),
            (with("[[realm]]\nname = \"a.org\"\n"), 9, "needs pool"),
            (with("[[realm]]\nname = \"a.org\"\nlocal = false\n"), 9, "needs pool"),
            (with("[[realm]]\nname = \"a.org\"\nlocal = true\n\n[[realm]]\nname = \"A.Org\"\npool = \"main\"\n"), 13, "realm \"A.Org\" already defined at line 9"),
            (with("[[realm]]\nname = \"*\"\nlocal = true\n[[realm]]\nname = \"*\"\nlocal = true\n"), 12, "realm \"*\" already defined at line 9"),
            (with("[[realm]]\nname = \"x\"\nlocal = true\n[[realm]]\nname = \"/(a/\"\nlocal = true\n"), 12, "invalid realm regex"),
            (with("[[realm]]\nname = \"\"\nlocal = true\n"), 9, "empty realm name"),
            (with("[[realm]]\nname = \"bob@a.org\"\nlocal = true\n"), 9, "never match"),
            (with("[[realm]]\nname = \"a\"\nlocal = true\nstrip = \"yes\"\n"), 11, "invalid type"),
            // [proxy].
            (with("[proxy]\noperator_name = \"visited.example\"\n"), 9, "namespace digit"),
            (with("[proxy]\noperator_nas_key = \"0123456789abcdef\"\n"), 9, "without operator_nas_identifier"),
            (with("[proxy]\noperator_nas_identifier = true\noperator_nas_key = \"short\"\n"), 10, "at least 16"),
            (with("[proxy]\naccounting_fallback = \"drop\"\n"), 9, "use \"none\" or \"local\""),
            (with("[proxy]\nfoo = 1\n"), 9, "unknown field"),
            ("[proxy]\noperator_name = \"1x\"\n".into(), 1, "without any [[home_server]]"),
        ];
        for (text, line, needle) in cases {
            let e = Config::parse("p.toml", &text).unwrap_err();
            assert_eq!(e.line, line, "{text}\n{e}");
            assert!(
                e.to_string().starts_with(&format!("p.toml:{line}: ")),
                "{e}"
            );
            assert!(e.message.contains(needle), "{text}\n{e}");
        }
    }
}
