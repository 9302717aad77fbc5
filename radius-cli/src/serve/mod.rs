//! `radius serve`: the standalone server. Typed handlers for
//! authentication (PAP, CHAP, MS-CHAP v1/v2 and EAP-MD5 against the
//! configured users), accounting
//! (durable SQLite records) and CoA/Disconnect (acknowledged for sessions the
//! accounting database knows as active).

pub mod config;
mod eap;
mod mschap;
mod proxy;
pub mod proxy_config;
pub mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use radius_core::dict::Dictionary;
use radius_core::dict::Encrypt;
use radius_core::text::{AttrRef, Codec, Pair};
use radius_server::radsec::{RadSecServer, RadiusV11, TlsClient, TlsClientTable, TlsConfig};
use radius_server::{
    radius_handler, AccessAccept, AccessReject, AccessRequest, AccountingRequest,
    AccountingResponse, Client, ClientConfig, CoaAck, CoaNak, CoaRequest, DisconnectAck,
    DisconnectNak, DisconnectRequest, HostTable, Policy, Reply, Request, Server, Shared,
};
use typed_radius::dict::prelude::*;

use config::{Config, Password, PolicySetting};
use store::Store;

/// Arguments of `radius serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file; without it the embedded default runs
    /// (127.0.0.1 only, client 127.0.0.0/8 secret testing123, user bob/hello).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// Authentication listen address (repeatable; overrides the config).
    #[arg(long)]
    pub auth: Vec<SocketAddr>,
    /// Accounting listen address (repeatable; overrides the config).
    #[arg(long)]
    pub acct: Vec<SocketAddr>,
    /// CoA/Disconnect listen address (repeatable; overrides the config).
    #[arg(long)]
    pub coa: Vec<SocketAddr>,
    /// Accounting database (overrides the config).
    #[arg(long)]
    pub accounting_db: Option<PathBuf>,
    /// Worker sockets per listener, one thread each (default: half the CPUs, at least 1).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Load this FreeRADIUS dictionary tree instead of the embedded one.
    #[arg(long)]
    pub dict: Option<PathBuf>,
    /// Also serve RadSec (RADIUS over TLS, RFC 6614) on this address
    /// (usually port 2083); needs --tls-cert, --tls-key and --tls-ca.
    #[arg(long, requires_all = ["tls_cert", "tls_key", "tls_ca"])]
    pub radsec: Option<SocketAddr>,
    /// Server certificate chain (PEM) for RadSec.
    #[arg(long)]
    pub tls_cert: Option<PathBuf>,
    /// Server private key (PEM) for RadSec.
    #[arg(long)]
    pub tls_key: Option<PathBuf>,
    /// CA certificate(s) (PEM) that RadSec client certificates must chain to.
    #[arg(long)]
    pub tls_ca: Option<PathBuf>,
    /// RADIUS/1.1 (RFC 9765, ALPN) on the RadSec listener: off (RADIUS/1.0
    /// only), allowed (1.1 when the client offers it) or required.
    #[arg(long, value_enum, default_value_t = V11Mode::Off, requires = "radsec")]
    pub radius_v11: V11Mode,
    /// Accept RadSec connections only from this network (address or CIDR
    /// block; repeat for more). Others are closed before any TLS work.
    /// Default: any address.
    #[arg(long, value_name = "CIDR", requires = "radsec")]
    pub radsec_allow: Vec<radius_server::Cidr>,
    /// EAP server certificate chain (PEM): turns on PEAP and EAP-TTLS (and
    /// EAP-TLS with --eap-ca). Separate from the RadSec --tls-* files.
    #[arg(long, requires = "eap_key")]
    pub eap_cert: Option<PathBuf>,
    /// The EAP certificate's private key (PEM).
    #[arg(long, requires = "eap_cert")]
    pub eap_key: Option<PathBuf>,
    /// CA certificate(s) (PEM) that EAP-TLS client certificates must chain to.
    #[arg(long, requires = "eap_cert")]
    pub eap_ca: Option<PathBuf>,
}

/// `--radius-v11` values (see [`RadiusV11`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum V11Mode {
    /// RADIUS/1.0 only (what radsecproxy and FreeRADIUS 3 speak).
    Off,
    /// RADIUS/1.1 when the client offers it, else RADIUS/1.0.
    Allowed,
    /// RADIUS/1.1 only.
    Required,
}

impl From<V11Mode> for RadiusV11 {
    fn from(m: V11Mode) -> Self {
        match m {
            V11Mode::Off => RadiusV11::Off,
            V11Mode::Allowed => RadiusV11::Allowed,
            V11Mode::Required => RadiusV11::Required,
        }
    }
}

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
    users: HashMap<String, User>,
    store: Store,
    dict: Arc<Dictionary>,
    eap: radius_server::eap::Eap,
    /// Realm routing and home servers, when configured.
    proxy: Option<proxy::Routes>,
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
pub fn app_from_config(cfg: &Config, dict: Arc<Dictionary>, store: Store) -> anyhow::Result<App> {
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
            User {
                password: u.password.clone(),
                nt_hash: mschap::nt_hash(&u.password),
                reply,
            },
        );
    }
    Ok(App {
        users,
        store,
        dict,
        eap: eap::build(&cfg.source, &cfg.eap)?,
        proxy: cfg
            .proxy
            .as_ref()
            .map(|p| proxy::Routes::new(&cfg.source, p, &cfg.clients))
            .transpose()?,
    })
}

/// The host table a configuration describes.
pub fn hosts_from_config(cfg: &Config) -> HostTable {
    let mut hosts = HostTable::new();
    for c in &cfg.clients {
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
    eap::apply_flags(
        &mut cfg.eap,
        args.eap_cert.as_deref(),
        args.eap_key.as_deref(),
        args.eap_ca.as_deref(),
    );
    let store = Store::open(
        &cfg.accounting_db,
        &store::PgSettings {
            spool: cfg.accounting_spool.clone(),
            spool_max: cfg.accounting_spool_max,
            writers: cfg.accounting_writers,
        },
    )
    .await?;
    let app = Arc::new(app_from_config(&cfg, dict, store)?);

    let mut b = Server::with_state(app.clone())
        .clients(hosts_from_config(&cfg))
        .auth(auth)
        .accounting(accounting)
        .coa(coa)
        .disconnect(disconnect);
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
    if let Some(r) = &app.proxy {
        r.start();
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
                .auth(auth)
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
    eprintln!("  accounting records: {}", app.store.describe());
    eprintln!(
        "  try: radtest bob hello {} 0 testing123",
        handle
            .auth_addrs()
            .first()
            .map(|a| a.ip().to_string())
            .unwrap_or_default()
    );
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    let s = handle.stats().snapshot();
    eprintln!("radius serve: shutting down ({s:?})");
    if let Some(s) = app.store.stats() {
        eprintln!("radius serve: accounting {s:?}");
    }
    if let Some(r) = radsec {
        r.shutdown().await;
    }
    handle.shutdown().await;
    Ok(())
}

fn check_password(p: &Password, given: &str) -> bool {
    match p {
        Password::Clear(c) => radius_core::crypto::ct_eq(c.as_bytes(), given.as_bytes()),
        Password::Hash(h) => {
            use argon2::password_hash::{PasswordHash, PasswordVerifier};
            PasswordHash::new(h)
                .map(|ph| {
                    argon2::Argon2::default()
                        .verify_password(given.as_bytes(), &ph)
                        .is_ok()
                })
                .unwrap_or(false)
        }
        // As FreeRADIUS's pap module checks NT-Password: the NT hash of
        // what was typed.
        Password::NtHash(h) => {
            radius_core::crypto::ct_eq(&radius_proto::mschap::NtHash::from_password(given).0, &h.0)
        }
    }
}

fn accept_for(user: &User, req: &Request, dict: &Dictionary) -> AccessAccept {
    user_reply(AccessAccept::new(), user, req, dict)
}

/// `a` with `user`'s reply attributes appended.
fn user_reply(mut a: AccessAccept, user: &User, req: &Request, dict: &Dictionary) -> AccessAccept {
    match &user.reply {
        ReplyTemplate::Fixed(attrs) => {
            for (typ, value) in attrs {
                a = a.with_raw(*typ, value);
            }
        }
        ReplyTemplate::PerRequest(pairs) => {
            // Obfuscated reply attributes are keyed on this request's authenticator.
            let codec = Codec::new(dict)
                .with_secret_key(req.client().secret())
                .with_authenticator(*req.authenticator());
            match codec.encode(pairs) {
                Ok(bytes) => {
                    for at in radius_core::attr::Attributes::new(&bytes) {
                        a = a.with_raw(at.typ, at.value);
                    }
                }
                Err(e) => tracing::warn!(
                    error = %e,
                    "cannot encode reply attributes; sending Access-Accept without them"
                ),
            }
        }
    }
    a
}

/// Access-Request: PAP (User-Password), CHAP (CHAP-Password), MS-CHAP
/// (MS-CHAP-Challenge, [`mschap`]) or EAP-MD5 (EAP-Message) against the
/// users.
#[radius_handler]
async fn auth(
    req: AccessRequest,
    name: UserName,
    pass: Option<UserPassword>,
    app: Shared<Arc<App>>,
) -> Reply {
    // A local realm may strip its suffix: the users are looked up by the
    // stripped name.
    let mut local = name.into_value();
    if let Some(r) = &app.proxy {
        match r.handle(&req).await {
            proxy::Routed::Reply(reply) => return reply,
            proxy::Routed::Local(Some(stripped)) => local = stripped,
            proxy::Routed::Local(None) => {}
        }
    }
    let name = local.as_str();
    if let Some(r) = app.eap.answer(&req, &**app).await {
        return eap_reply(r, &req, &app);
    }
    if let Some(reply) = mschap::answer(&req, name, &app) {
        return reply;
    }
    let Some(user) = app.users.get(name) else {
        tracing::debug!(user = %name, "unknown user");
        return AccessReject::new().into();
    };
    let ok = if let Some(pass) = pass {
        match &user.password {
            // Argon2 is deliberately slow: keep it off the reactor threads.
            Password::Hash(_) => {
                let (p, given) = (user.password.clone(), pass.into_value());
                tokio::task::spawn_blocking(move || check_password(&p, &given))
                    .await
                    .unwrap_or(false)
            }
            p => check_password(p, &pass),
        }
    } else {
        match &user.password {
            Password::Clear(c) => req.verify_chap(c.as_bytes()).unwrap_or(false),
            // CHAP needs the cleartext; a hash cannot answer it.
            Password::Hash(_) | Password::NtHash(_) => false,
        }
    };
    if ok {
        tracing::debug!(user = %name, "accepted");
        accept_for(user, &req, &app.dict).into()
    } else {
        tracing::debug!(user = %name, "rejected: bad credentials");
        AccessReject::new().into()
    }
}

/// An EAP round's reply; a successful one gets the authenticated
/// (inner) user's reply attributes, as a PAP Access-Accept would.
fn eap_reply(r: radius_server::eap::EapReply, req: &Request, app: &App) -> Reply {
    use radius_server::eap::EapReply;
    match r {
        EapReply::Accept {
            accept,
            identity,
            outer,
            method,
        } => {
            tracing::debug!(user = %identity, outer = %outer, method = method.name(), "accepted (EAP)");
            match app.users.get(&identity) {
                Some(u) => user_reply(accept, u, req, &app.dict).into(),
                None => accept.into(),
            }
        }
        EapReply::Reject { reject, reason } => {
            tracing::debug!(user = ?req.get::<UserName>().and_then(Result::ok).map(|n| n.into_value()), "rejected (EAP): {reason}");
            reject.into()
        }
        other => other.into(),
    }
}

/// Accounting-Request: answered only once its record is durable.
#[radius_handler]
async fn accounting(req: AccountingRequest, app: Shared<Arc<App>>) -> Reply {
    if let Some(r) = &app.proxy {
        if let proxy::Routed::Reply(reply) = r.handle(&req).await {
            return reply;
        }
    }
    match store_accounting(&req, &app).await {
        Ok(r) => r.into(),
        Err(e) => Reply::Error(e),
    }
}

/// Store one accounting record; the Accounting-Response goes out only once
/// it is committed.
async fn store_accounting(
    req: &Request,
    app: &App,
) -> Result<AccountingResponse, radius_server::HandlerError> {
    app.store
        .write(req, &app.dict)
        .await
        .map_err(radius_server::HandlerError::new)?;
    Ok(AccountingResponse::new())
}

async fn session_known(app: &App, session: Option<&str>) -> bool {
    match session {
        Some(s) => app.store.session_active(s).await,
        None => false,
    }
}

/// A CoA or Disconnect the proxy routes to a NAS ([`proxy::Routes::coa`]).
async fn forwarded_to_nas(req: &Request, app: &App) -> Option<Reply> {
    app.proxy.as_ref()?.coa(req).await
}

/// CoA-Request: forwarded to its NAS when the proxy has a route for it;
/// otherwise ACK for a session the accounting database has as active.
#[radius_handler]
async fn coa(
    req: CoaRequest,
    session: Option<AcctSessionId>,
    client: Client,
    app: Shared<Arc<App>>,
) -> Reply {
    if let Some(reply) = forwarded_to_nas(&req, &app).await {
        return reply;
    }
    if session_known(&app, session.as_ref().map(|s| s.as_str())).await {
        tracing::info!(client = client.name(), "CoA acknowledged");
        CoaAck::new().into()
    } else {
        CoaNak::new()
            .error_cause(ErrorCauseValue::SessionContextNotFound)
            .into()
    }
}

/// Disconnect-Request: ACK for a session the accounting database has as active.
#[radius_handler]
async fn disconnect(
    req: DisconnectRequest,
    session: Option<AcctSessionId>,
    client: Client,
    app: Shared<Arc<App>>,
) -> Reply {
    if let Some(reply) = forwarded_to_nas(&req, &app).await {
        return reply;
    }
    if session_known(&app, session.as_ref().map(|s| s.as_str())).await {
        tracing::info!(client = client.name(), "Disconnect acknowledged");
        DisconnectAck::new().into()
    } else {
        DisconnectNak::new()
            .error_cause(ErrorCauseValue::SessionContextNotFound)
            .into()
    }
}
