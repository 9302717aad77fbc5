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
use radius_server::proxy::{HomeServer, PoolConfig, Proxy, Transport};
use radius_server::radsec::TlsConfig;
use radius_server::{AccessReject, Reply, Request};
use typed_radius::dict::prelude::{ReplyMessage, UserName};

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
}

impl Routes {
    /// Build from a checked configuration (`file` names it in errors).
    pub fn new(file: &str, cfg: &ProxyConfig) -> anyhow::Result<Routes> {
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
        let proxy = Proxy::new(homes, pools).map_err(|e| anyhow::anyhow!("{file}: {e}"))?;
        Ok(Routes {
            proxy,
            realms: cfg.realms.clone(),
        })
    }

    /// Start the Status-Server probes (needs the runtime).
    pub fn start(&self) {
        let _probes = self.proxy.spawn_health_checks();
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
                tracing::warn!(user = %name, pool = %pool, error = %e, "not forwarded");
                Routed::Reply(if access {
                    AccessReject::new()
                        .with(ReplyMessage::new(format!("home servers unavailable ({e})")))
                        .into()
                } else {
                    Reply::NoReply
                })
            }
        }
    }
}
