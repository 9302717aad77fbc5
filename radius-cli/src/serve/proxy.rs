//! Proxying in `radius serve`: the checked `[[home_server]]`, `[[pool]]`
//! and `[[realm]]` sections ([`super::proxy_config`]) become a
//! [`radius_server::proxy::Proxy`] and a realm table, and the handlers ask
//! [`Routes::handle`] first: a request whose realm routes to a pool is
//! forwarded and its reply relayed; a local realm, or a user without a
//! realm when no `*` realm catches it, stays with the server's own users.
//!
//! When nothing answers, an Access-Request gets an Access-Reject with a
//! Reply-Message saying why (never silence); an Accounting-Request gets no
//! reply, so the NAS keeps the record and retransmits (an
//! Accounting-Response would claim it stored).

use radius_proto::proxy::realm::{split_realm, RealmTable, Target};
use std::net::{IpAddr, SocketAddr};

use radius_core::Code;
use radius_proto::proxy::operator::operator_nas_identifiers;
use radius_server::proxy::{
    Forward, HomeServer, NasTokens, Operator, PoolConfig, Proxy, ProxyError, Transport,
};
use radius_server::radsec::TlsConfig;
use radius_server::{AccessReject, CoaNak, DisconnectNak, Reply, Request};
use typed_radius::dict::prelude::{ErrorCauseValue, NasIpAddress, ReplyMessage, UserName};

use super::config::ClientEntry;
use super::proxy_config::{HomeTransport, ProxyConfig};

/// Where a request goes.
pub enum Routed {
    /// Forwarded (or refused): send this.
    Reply(Reply),
    /// Answered by the local handlers, for this (stripped) user name when
    /// the local realm strips.
    Local(Option<String>),
}

/// The proxy and its routing table.
pub struct Routes {
    proxy: Proxy,
    realms: RealmTable,
    clients: Vec<ClientEntry>,
    accounting_fallback_local: bool,
    issues_tokens: bool,
    /// The Status-Server probes, stopped when a reload replaces these routes.
    probes: std::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Drop for Routes {
    fn drop(&mut self) {
        if let Some(p) = self.probes.get_mut().ok().and_then(Option::take) {
            p.abort();
        }
    }
}

impl Routes {
    /// Build from a checked configuration (`file` names it in errors).
    pub fn new(file: &str, cfg: &ProxyConfig, clients: &[ClientEntry]) -> anyhow::Result<Routes> {
        let mut homes = Vec::new();
        for h in &cfg.home_servers {
            let mut home = HomeServer::new(h.name.clone(), h.auth, h.secret.as_bytes());
            if let HomeTransport::RadSec {
                cert,
                key,
                ca,
                server_name,
            } = &h.transport
            {
                let tls =
                    TlsConfig::from_pem_files(&cert.path, &key.path, &ca.path).map_err(|e| {
                        anyhow::anyhow!("{file}:{}: home server {:?}: {e}", cert.line, h.name)
                    })?;
                home.transport = Transport::RadSec {
                    tls,
                    server_name: server_name.clone(),
                };
            }
            home.acct = h.acct;
            home.max_outstanding = h.max_outstanding;
            home.health = h.health;
            homes.push(home);
        }
        let pools = cfg
            .pools
            .iter()
            .map(|p| PoolConfig {
                name: p.name.clone(),
                kind: p.kind,
                servers: p
                    .servers
                    .iter()
                    .map(|&i| cfg.home_servers[i].name.clone())
                    .collect(),
            })
            .collect();
        let set = &cfg.settings;
        let proxy = Proxy::new(homes, pools)
            .map_err(|e| anyhow::anyhow!("{file}: {e}"))?
            .with_operator(Operator {
                name: set.operator_name.as_ref().map(|n| n.as_bytes().to_vec()),
                nas_tokens: set.operator_nas_identifier.as_ref().map(|key| match key {
                    Some(k) => NasTokens::new(k),
                    None => NasTokens::random(),
                }),
            });
        Ok(Routes {
            proxy,
            realms: cfg.realms.clone(),
            clients: clients.to_vec(),
            accounting_fallback_local: set.accounting_fallback_local,
            issues_tokens: set.operator_nas_identifier.is_some(),
            probes: std::sync::Mutex::new(None),
        })
    }

    /// Each home server's health and counters.
    pub fn stats(&self) -> Vec<radius_server::proxy::HomeStats> {
        self.proxy.stats()
    }

    /// Start the Status-Server probes (needs the runtime).
    pub fn start(&self) {
        let mut p = self.probes.lock().unwrap_or_else(|e| e.into_inner());
        if p.is_none() {
            *p = Some(self.proxy.spawn_health_checks());
        }
    }

    /// Route `req`: forwarded to a home-server pool (or refused, for a
    /// realm nobody serves), or left to the local handlers.
    pub async fn handle(&self, req: &Request) -> Routed {
        let Some(Ok(name)) = req.get::<UserName>() else {
            return Routed::Local(None);
        };
        let name = name.value();
        let access = req.code() == radius_core::Code::ACCESS_REQUEST;
        let Some(route) = self.realms.route(name) else {
            // No rule: local for a bare user name, refused for a realm we
            // do not serve.
            let Some(realm) = split_realm(name) else {
                return Routed::Local(None);
            };
            tracing::info!(user = %name, realm = %realm.realm, "no route for this realm");
            return Routed::Reply(if access {
                AccessReject::new()
                    .with(ReplyMessage::new(format!(
                        "unknown realm {:?}",
                        realm.realm
                    )))
                    .into()
            } else {
                Reply::NoReply
            });
        };
        let renamed = route.user_name != name;
        let Target::Pool(pool) = route.target else {
            return Routed::Local(renamed.then(|| route.user_name.to_owned()));
        };
        let rename = renamed.then_some(route.user_name.as_bytes());
        match self.proxy.forward(req, pool, rename).await {
            Ok(reply) => Routed::Reply(reply),
            Err(e) => {
                if access {
                    Routed::Reply(refused(req, &e))
                } else if self.accounting_fallback_local {
                    tracing::warn!(user = %name, pool = %pool, error = %e, "not forwarded");
                    // Stored here (durably) and answered: the record is
                    // not lost, only not upstream.
                    Routed::Local(None)
                } else {
                    Routed::Reply(refused(req, &e))
                }
            }
        }
    }

    /// Whether the listener forwards `req` itself, at the datagram level
    /// (`Builder::forward`): an Access-Request, or an Accounting-Request
    /// when no local fallback is configured, whose realm routes to a pool
    /// of UDP home servers. The outcome is the same as [`handle`]'s;
    /// anything else (local realms, unknown realms, RadSec pools, CoA)
    /// goes to the handlers, which call [`handle`].
    ///
    /// [`handle`]: Self::handle
    pub fn forwarding(&self, req: &Request) -> Option<Forward> {
        let access = match req.code() {
            Code::ACCESS_REQUEST => true,
            Code::ACCOUNTING_REQUEST if !self.accounting_fallback_local => false,
            _ => return None,
        };
        // Borrowed from the packet: a User-Name that is no UTF-8 goes to
        // the handlers, which refuse it.
        let name = std::str::from_utf8(req.raw_attrs(USER_NAME).next()?).ok()?;
        let route = self.realms.route(name)?;
        let Target::Pool(pool) = route.target else {
            return None;
        };
        let rename = (route.user_name != name).then_some(route.user_name.as_bytes());
        let fw = self.proxy.forwarding(pool, rename)?.on_failure(refused);
        Some(if access {
            fw.on_reply(super::auth::log_proxied)
        } else {
            fw
        })
    }

    /// A CoA-Request or Disconnect-Request routed to a NAS: by an
    /// Operator-NAS-Identifier this proxy issued, or by a NAS-IP-Address
    /// of a client with `coa_port` set. `None`: not for a NAS (the local
    /// handlers answer it).
    pub async fn coa(&self, req: &Request) -> Option<Reply> {
        let by_token = self.proxy.coa_target(req);
        let nas = match by_token {
            Some(ip) => ip,
            None if self.issues_tokens
                && operator_nas_identifiers(&req.raw()[20..]).next().is_some() =>
            {
                // A token, but not one of ours (or altered): nowhere to go.
                tracing::warn!("CoA/Disconnect with an Operator-NAS-Identifier we did not issue");
                return Some(not_routable(req.code()));
            }
            None => {
                let ip = req
                    .get::<NasIpAddress>()
                    .and_then(Result::ok)
                    .map(|a| IpAddr::V4(a.into_value()))?;
                self.clients
                    .iter()
                    .find(|c| c.coa_port.is_some() && c.address.contains(ip))?;
                ip
            }
        };
        // The most specific client entry holding the NAS gives its secret.
        let Some(c) = self
            .clients
            .iter()
            .filter(|c| c.address.contains(nas))
            .max_by_key(|c| c.address.prefix())
        else {
            tracing::warn!(%nas, "CoA/Disconnect for a NAS that is not a client: refused");
            return Some(not_routable(req.code()));
        };
        let to = SocketAddr::new(nas, c.coa_port.unwrap_or(COA_PORT));
        match self
            .proxy
            .forward_to_nas(req, to, c.secret.as_bytes())
            .await
        {
            Ok(reply) => {
                tracing::info!(nas = %to, client = %c.name, "CoA/Disconnect forwarded to the NAS");
                Some(reply)
            }
            Err(e) => {
                // No answer from the NAS: none to the requester either, which
                // retransmits (a NAK would claim the NAS refused).
                tracing::warn!(nas = %to, error = %e, "CoA/Disconnect not answered by the NAS");
                Some(Reply::NoReply)
            }
        }
    }
}

/// No home server answered `req`: an Access-Reject saying why, or no reply
/// to accounting (the NAS keeps the record and retransmits; an
/// Accounting-Response would claim it stored).
fn refused(req: &Request, e: &ProxyError) -> Reply {
    let user = req.get::<UserName>().and_then(Result::ok);
    let user = user.as_ref().map_or("", |u| u.value());
    tracing::warn!(user, error = %e, "not forwarded");
    if req.code() == Code::ACCESS_REQUEST {
        AccessReject::new()
            .with(ReplyMessage::new(format!("home servers unavailable ({e})")))
            .into()
    } else {
        Reply::NoReply
    }
}

/// RFC 5176 §3.4 (and RFC 8559 §3.4): a NAK with Error-Cause 502, "Request
/// Not Routable (Proxy)".
fn not_routable(code: Code) -> Reply {
    if code == Code::DISCONNECT_REQUEST {
        DisconnectNak::new()
            .error_cause(ErrorCauseValue::ProxyRequestNotRoutable)
            .into()
    } else {
        CoaNak::new()
            .error_cause(ErrorCauseValue::ProxyRequestNotRoutable)
            .into()
    }
}

/// User-Name (RFC 2865 §5.1).
const USER_NAME: u8 = 1;

/// RFC 5176's CoA and Disconnect port.
const COA_PORT: u16 = 3799;
