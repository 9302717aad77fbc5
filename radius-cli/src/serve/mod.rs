//! `radius serve`: the standalone server. Typed handlers for
//! authentication (PAP, CHAP, MS-CHAP v1/v2 and EAP-MD5 against the
//! configured users), accounting
//! (durable SQLite records) and CoA/Disconnect (acknowledged for sessions the
//! accounting database knows as active).

mod acct;
mod args;
mod auth;
mod coa;
pub mod config;
mod crypt;
mod eap;
mod metrics;
mod mschap;
mod proxy;
pub mod proxy_config;
mod reload;
pub mod sql_users;
pub mod store;

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use radius_core::dict::Dictionary;
use radius_core::dict::Encrypt;
use radius_core::text::{AttrRef, Codec, Pair};
use radius_server::radsec::{RadSecServer, TlsClient, TlsClientTable, TlsConfig};
use radius_server::{ClientConfig, HostTable, Policy, Server};

use config::{ClientEntry, Config, Password, PolicySetting};
use store::Store;

use acct::accounting;
pub use args::{LogFormat, ServeArgs};
use coa::{coa, disconnect};

/// A user with reply attributes checked against the dictionary at start-up.
struct User {
    password: Password,
    /// For MS-CHAP: stored, or made from the cleartext once at start-up.
    nt_hash: Option<radius_proto::mschap::NtHash>,
    reply: ReplyTemplate,
}

/// A user's reply attributes, encoded once at start-up unless one of them
/// is obfuscated (Tunnel-Password ...) and so depends on each request's
/// authenticator.
enum ReplyTemplate {
    /// Top-level (type, value) pairs, ready to append.
    Fixed(Vec<(u8, Vec<u8>)>),
    /// Encoded per request with the client's secret and the authenticator.
    PerRequest(Vec<Pair>),
}

/// Shared state of the handlers.
pub struct App {
    users: HashMap<String, Arc<User>>,
    /// Users from SQL, looked up after `users`.
    sql_users: Option<sql_users::SqlUsers>,
    /// Kept across reloads.
    store: Arc<Store>,
    dict: Arc<Dictionary>,
    /// Kept across a reload that changes neither `[eap]` nor its files, so
    /// conversations in progress go on.
    eap: Arc<radius_server::eap::Eap>,
    /// What `eap` was built from ([`eap::fingerprint`]).
    eap_print: Vec<u8>,
    /// Realm routing and home servers, when configured.
    proxy: Option<Arc<proxy::Routes>>,
}

fn policy(p: PolicySetting) -> Policy {
    match p {
        PolicySetting::Yes => Policy::Yes,
        PolicySetting::No => Policy::No,
        PolicySetting::Auto => Policy::Auto,
    }
}

/// Build the handler state from a configuration (validating reply
/// attributes against the dictionary: errors name the config line).
pub fn app_from_config(
    cfg: &Config,
    dict: Arc<Dictionary>,
    store: Arc<Store>,
    previous: Option<&App>,
) -> anyhow::Result<App> {
    let mut users = HashMap::new();
    for u in &cfg.users {
        let mut reply = Vec::new();
        for (line_text, line) in &u.reply {
            let attrs = Codec::new(&dict).parse(line_text).map_err(|e| {
                anyhow::anyhow!("{}:{line}: reply attribute {line_text:?}: {e}", cfg.source)
            })?;
            reply.extend(attrs);
        }
        // Encoding once here also reports an unencodable list (too long,
        // bad value) at start-up rather than on every Access-Accept.
        let bytes = Codec::new(&dict).encode(&reply).map_err(|e| {
            anyhow::anyhow!("{}: reply attributes of user {:?}: {e}", cfg.source, u.name)
        })?;
        let obfuscated = reply.iter().any(|p| {
            matches!(p.attr, AttrRef::Known(id) if dict.attr(id).flags.encrypt != Encrypt::None)
        });
        let reply = if obfuscated {
            ReplyTemplate::PerRequest(reply)
        } else {
            ReplyTemplate::Fixed(
                radius_core::attr::Attributes::new(&bytes)
                    .map(|a| (a.typ, a.value.to_vec()))
                    .collect(),
            )
        };
        users.insert(
            u.name.clone(),
            Arc::new(User {
                password: u.password.clone(),
                nt_hash: mschap::nt_hash(&u.password),
                reply,
            }),
        );
    }
    let eap_print = eap::fingerprint(&cfg.eap);
    let eap = match previous {
        Some(old) if old.eap_print == eap_print => old.eap.clone(),
        _ => Arc::new(eap::build(&cfg.source, &cfg.eap)?),
    };
    let sql_users = cfg
        .users_db
        .as_deref()
        .map(sql_users::SqlUsers::new)
        .transpose()?;
    Ok(App {
        users,
        sql_users,
        store,
        dict,
        eap,
        eap_print,
        proxy: cfg
            .proxy
            .as_ref()
            .map(|p| proxy::Routes::new(&cfg.source, p, &cfg.clients).map(Arc::new))
            .transpose()?,
    })
}

/// The host table a configuration describes.
pub fn hosts_from_config(cfg: &Config) -> HostTable {
    hosts_from(&cfg.clients, &[])
}

/// The host table of the configured clients and those of the `nas` table
/// (a configured entry wins over a `nas` row for the same block).
pub fn hosts_from(configured: &[ClientEntry], from_sql: &[ClientEntry]) -> HostTable {
    let mut hosts = HostTable::new();
    for c in from_sql.iter().chain(configured) {
        hosts.insert(
            c.address,
            ClientConfig::new(c.name.clone(), c.secret.as_bytes())
                .require_message_authenticator(policy(c.require_ma))
                .limit_proxy_state(policy(c.limit_proxy_state)),
        );
    }
    hosts
}

/// Run `radius serve` until Ctrl-C.
pub async fn run(args: ServeArgs, dict: Arc<Dictionary>) -> anyhow::Result<()> {
    let mut cfg = match &args.config {
        Some(p) => Config::load(p)?,
        None => Config::embedded(),
    };
    apply_args(&mut cfg, &args);
    let store = Store::open(
        &cfg.accounting_db,
        &store::PgSettings {
            spool: cfg.accounting_spool.clone(),
            spool_max: cfg.accounting_spool_max,
            writers: cfg.accounting_writers,
        },
    )
    .await?;
    let first = app_from_config(&cfg, dict.clone(), Arc::new(store), None)?;
    let app = Arc::new(reload::Live::new(first, cfg.clients.clone()));
    serve_with(args, cfg, dict, app).await
}

/// Read the `nas` table now and every [`sql_users::NAS_REFRESH`]; a
/// change replaces the server's clients (unchanged ones carried over).
fn spawn_nas_poller(live: Arc<reload::Live>, hosts: radius_proto::live_hosts::LiveHosts) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(sql_users::NAS_REFRESH);
        loop {
            tick.tick().await;
            let app = live.current();
            let Some(sql) = &app.sql_users else { continue };
            match sql.nas_clients().await {
                Ok(now) => {
                    let before = live.sql_clients();
                    let same = now.len() == before.len()
                        && now.iter().zip(&before).all(|(a, b)| {
                            (&a.name, a.address, &a.secret) == (&b.name, b.address, &b.secret)
                        });
                    if !same {
                        let n = now.len();
                        live.set_clients(&hosts, None, Some(now));
                        tracing::info!(clients = n, "nas table changed: clients replaced");
                    }
                }
                Err(e) => tracing::warn!("reading the nas table: {e}"),
            }
        }
    });
}

/// Command-line settings over the configuration's (also on reload).
fn apply_args(cfg: &mut Config, args: &ServeArgs) {
    if !args.auth.is_empty() {
        cfg.auth = args.auth.clone();
    }
    if !args.acct.is_empty() {
        cfg.acct = args.acct.clone();
    }
    if !args.coa.is_empty() {
        cfg.coa = args.coa.clone();
    }
    if let Some(db) = &args.accounting_db {
        cfg.accounting_db = db.clone();
    }
    if let Some(u) = &args.users_db {
        cfg.users_db = Some(u.clone());
    }
    eap::apply_flags(
        &mut cfg.eap,
        args.eap_cert.as_deref(),
        args.eap_key.as_deref(),
        args.eap_ca.as_deref(),
    );
}

async fn serve_with(
    args: ServeArgs,
    cfg: Config,
    dict: Arc<Dictionary>,
    app: Arc<reload::Live>,
) -> anyhow::Result<()> {
    let mut b = Server::with_state(app.clone())
        .clients(hosts_from_config(&cfg))
        .auth(auth::auth)
        .accounting(accounting)
        .coa(coa)
        .disconnect(disconnect)
        // Requests whose realm routes to a pool of UDP home servers are
        // forwarded by the listener itself (no task per request).
        .forward(|live: &Arc<reload::Live>, req: &radius_server::Request| {
            live.current().proxy.as_ref()?.forwarding(req)
        });
    for a in &cfg.auth {
        b = b.bind_auth(*a);
    }
    for a in &cfg.acct {
        b = b.bind_acct(*a);
    }
    for a in &cfg.coa {
        b = b.bind_coa(*a);
    }
    if let Some(w) = args.workers {
        b = b.workers(w);
    }
    let handle = b.spawn().await.context("starting listeners")?;
    if let Some(r) = &app.current().proxy {
        r.start();
    }
    if app.current().sql_users.is_some() {
        spawn_nas_poller(app.clone(), handle.live_clients());
    }
    let radsec = match (&args.radsec, &args.tls_cert, &args.tls_key, &args.tls_ca) {
        (Some(addr), Some(cert), Some(key), Some(ca)) => {
            let tls = TlsConfig::from_pem_files(cert, key, ca)?;
            // Every client whose certificate chains to the CA is served with
            // the RFC 6614 secret "radsec"; narrow it in code with TlsClient.
            let clients = TlsClientTable::new().with(TlsClient::new("radsec-clients"));
            let h = RadSecServer::with_state(tls, app.clone())
                .clients(clients)
                .radius_v11(args.radius_v11.into())
                .allowed_sources(args.radsec_allow.iter().copied())
                .auth(auth::auth)
                .accounting(accounting)
                .coa(coa)
                .disconnect(disconnect)
                .bind(*addr)
                .spawn()
                .await
                .context("starting the RadSec listener")?;
            Some(h)
        }
        _ => None,
    };
    if let Some(addr) = args.metrics.or(cfg.metrics) {
        let udp = handle.stats().clone();
        let clients = handle.live_clients();
        let tls = radsec.as_ref().map(|r| r.stats().clone());
        let live = app.clone();
        let sample = move || {
            let app = live.current();
            metrics::Sample {
                udp: udp.snapshot(),
                radsec: tls.as_ref().map(|t| t.snapshot()),
                eap_in_progress: app.eap.server().in_progress(),
                store: app
                    .store
                    .stats()
                    .map(|s| (s.spool_depth, s.db_errors, s.refused)),
                homes: app.proxy.as_ref().map(|p| p.stats()).unwrap_or_default(),
                clients: clients
                    .load()
                    .clients()
                    .map(|c| (c.name().to_owned(), c.counters()))
                    .collect(),
            }
        };
        let local = metrics::serve(addr, Arc::new(sample))
            .await
            .with_context(|| format!("starting the metrics listener on {addr}"))?;
        eprintln!("  metrics on http://{local}/metrics");
    }
    eprintln!("radius serve: configuration {}", cfg.source);
    for (kind, addr) in handle.local_addrs() {
        eprintln!("  listening {kind:?} on {addr}");
    }
    if let Some(r) = &radsec {
        eprintln!(
            "  RadSec RADIUS/1.1: {:?}; listening RadSec on {}",
            args.radius_v11,
            r.local_addr()
        );
    }
    for c in &cfg.clients {
        eprintln!(
            "  client {} at {}/{}",
            c.name,
            c.address.addr(),
            c.address.prefix()
        );
    }
    if let Some(p) = &cfg.proxy {
        for h in &p.home_servers {
            eprintln!(
                "  home_server {} at {} (accounting {}), {:?}, {:?}",
                h.name, h.auth, h.acct, h.transport, h.health.check
            );
        }
        for pool in &p.pools {
            eprintln!(
                "  pool {} ({:?}): {} servers",
                pool.name,
                pool.kind,
                pool.servers.len()
            );
        }
        for (r, line) in p.realms.rules().iter().zip(&p.realm_lines) {
            eprintln!("  realm {} -> {:?} (line {line})", r.name, r.target);
        }
    }
    if args.config.is_none() {
        eprintln!(
            "  demo user: bob / hello (embedded default; pass --config FILE for your own users)"
        );
    }
    eprintln!("  accounting records: {}", app.current().store.describe());
    if let Some(u) = &app.current().sql_users {
        eprintln!("  users also from: {} (radcheck)", u.describe());
    }
    eprintln!(
        "  try: radtest bob hello {} 0 testing123",
        handle
            .auth_addrs()
            .first()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    );
    let mut running = cfg;
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
        .context("installing the SIGHUP handler")?;
    loop {
        tokio::select! {
            r = tokio::signal::ctrl_c() => {
                r.context("waiting for Ctrl-C")?;
                break;
            }
            _ = hup.recv() => {
                match &args.config {
                    Some(path) => {
                        if let Err(e) = reload::reload(&app, path, &args, &dict, &handle, &mut running) {
                            tracing::error!("reload refused, the running configuration stays: {e:#}");
                        }
                    }
                    None => tracing::warn!("SIGHUP: the embedded default has no file to reload"),
                }
                // The RadSec certificate files are read again too.
                if let (Some(r), Some(cert), Some(key), Some(ca)) =
                    (&radsec, &args.tls_cert, &args.tls_key, &args.tls_ca)
                {
                    match TlsConfig::from_pem_files(cert, key, ca).and_then(|t| r.replace_tls(&t)) {
                        Ok(()) => tracing::info!("RadSec certificates reloaded"),
                        Err(e) => tracing::error!("RadSec certificates not reloaded, the running ones stay: {e}"),
                    }
                }
            }
        }
    }
    let s = handle.stats().snapshot();
    eprintln!("radius serve: shutting down ({s:?})");
    if let Some(s) = app.current().store.stats() {
        eprintln!("radius serve: accounting {s:?}");
    }
    if let Some(r) = radsec {
        r.shutdown().await;
    }
    handle.shutdown().await;
    Ok(())
}
