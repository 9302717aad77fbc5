//! Access-Request in `radius serve`: routing to the proxy, EAP, MS-CHAP,
//! PAP and CHAP against the configured (then SQL) users, the reply
//! attributes, and one auth log line per outcome.

use std::sync::Arc;

use radius_core::dict::Dictionary;
use radius_core::text::Codec;
use radius_server::{
    radius_handler, AccessAccept, AccessReject, AccessRequest, Reply, Request, Shared,
};
use typed_radius::dict::prelude::*;

use super::config::Password;
use super::{mschap, proxy, reload, App, ReplyTemplate, User};

fn check_password(p: &Password, given: &str) -> bool {
    match p {
        Password::Clear(c) => radius_core::crypto::ct_eq(c.as_bytes(), given.as_bytes()),
        Password::Hash(h) => super::crypt::verify(h, given.as_bytes()),
        // As FreeRADIUS's pap module checks NT-Password: the NT hash of
        // what was typed.
        Password::NtHash(h) => {
            radius_core::crypto::ct_eq(&radius_proto::mschap::NtHash::from_password(given).0, &h.0)
        }
    }
}

pub(super) fn accept_for(user: &User, req: &Request, dict: &Dictionary) -> AccessAccept {
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
pub(super) async fn auth(
    req: AccessRequest,
    name: UserName,
    pass: Option<UserPassword>,
    live: Shared<Arc<reload::Live>>,
) -> Reply {
    let app = live.current();
    let name = name.into_value();
    let (reply, outcome) = decide(&req, &name, pass, &app).await;
    auth_log(&req, &name, &reply, &outcome);
    reply
}

/// The auth log line of an Access-Request the listener forwarded itself
/// (the datagram path, [`proxy::Routes::forwarding`]): what the handler
/// would have logged for it.
pub(super) fn log_proxied(req: &Request, reply: &Reply) {
    // Borrowed: this runs for every relayed reply, logged or not. The
    // listener forwards only requests whose User-Name is UTF-8.
    let name = req
        .raw_attrs(USER_NAME)
        .next()
        .and_then(|v| std::str::from_utf8(v).ok())
        .unwrap_or_default();
    auth_log(req, name, reply, &proxied(reply));
}

/// User-Name (RFC 2865 §5.1).
const USER_NAME: u8 = 1;

fn proxied(reply: &Reply) -> Outcome {
    let why = match reply.code() {
        Some(radius_core::Code::ACCESS_REJECT) => "home server rejected, or no route",
        _ => "answered by a home server",
    };
    Outcome::new("proxy", why)
}

/// How an Access-Request was decided, for the auth log.
struct Outcome {
    /// pap, chap, mschap, eap-peap ..., proxy.
    method: &'static str,
    /// Why (never a password).
    reason: String,
    /// The authenticated identity when it differs (EAP's inner one, a
    /// stripped realm).
    identity: Option<String>,
}

impl Outcome {
    fn new(method: &'static str, reason: impl Into<String>) -> Self {
        Outcome {
            method,
            reason: reason.into(),
            identity: None,
        }
    }
}

/// One line per Access-Request outcome, at info (target `radius::auth`):
/// user, client, NAS, method, result, reason. Challenges are intermediate
/// rounds: debug.
fn auth_log(req: &Request, user: &str, reply: &Reply, o: &Outcome) {
    let result = match (reply, reply.code()) {
        (_, Some(radius_core::Code::ACCESS_ACCEPT)) => "accept",
        // A handler error is answered with an Access-Reject.
        (Reply::Error(_), _) | (_, Some(radius_core::Code::ACCESS_REJECT)) => "reject",
        (_, Some(radius_core::Code::ACCESS_CHALLENGE)) => "challenge",
        _ => "no-reply",
    };
    // The NAS's name is formatted for the line only: skip it all when the
    // line would be filtered out (measured: 2.4% of the server's CPU).
    let enabled = if result == "challenge" {
        tracing::enabled!(target: "radius::auth", tracing::Level::DEBUG)
    } else {
        tracing::enabled!(target: "radius::auth", tracing::Level::INFO)
    };
    if !enabled {
        return;
    }
    let nas = req
        .get::<NasIdentifier>()
        .and_then(Result::ok)
        .map(|n| n.into_value())
        .or_else(|| {
            req.get::<NasIpAddress>()
                .and_then(Result::ok)
                .map(|a| a.value().to_string())
        })
        .unwrap_or_else(|| req.source().ip().to_string());
    let identity = o.identity.as_deref().unwrap_or(user);
    if result == "challenge" {
        tracing::debug!(target: "radius::auth", user, identity, client = req.client().name(),
            nas = %nas, method = o.method, result, reason = %o.reason, "Access-Request");
    } else {
        tracing::info!(target: "radius::auth", user, identity, client = req.client().name(),
            nas = %nas, method = o.method, result, reason = %o.reason, "Access-Request");
    }
}

/// The user `name`: from the configuration, else from SQL (its check
/// items compared with `req`). With `strip_domain`, a `CORP\bob` that is
/// not known as such is looked up as `bob` (MS-CHAP).
pub(super) async fn find_user(
    app: &App,
    req: Option<&Request>,
    name: &str,
    strip_domain: bool,
) -> Option<Arc<User>> {
    let bare = strip_domain
        .then(|| std::str::from_utf8(radius_proto::mschap::strip_domain(name.as_bytes())).ok())
        .flatten()
        .filter(|b| b.len() != name.len());
    for n in std::iter::once(name).chain(bare) {
        if let Some(u) = app.users.get(n) {
            return Some(u.clone());
        }
    }
    let sql = app.sql_users.as_ref()?;
    for n in std::iter::once(name).chain(bare) {
        match Box::pin(sql.user(n, req, &app.dict)).await {
            Ok(Some(u)) => {
                let password = u.password.unwrap_or(Password::Hash(String::new()));
                return Some(Arc::new(User {
                    nt_hash: mschap::nt_hash(&password),
                    password,
                    reply: ReplyTemplate::PerRequest(u.reply),
                }));
            }
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(user = %n, "users_db lookup failed: {e}");
                return None;
            }
        }
    }
    None
}

/// EAP-Message (RFC 3579).
const EAP_MESSAGE: u8 = 79;

async fn decide(
    req: &Request,
    name: &str,
    pass: Option<UserPassword>,
    app: &App,
) -> (Reply, Outcome) {
    // A local realm may strip its suffix: the users are looked up by the
    // stripped name.
    let mut local = name.to_owned();
    // The proxy, EAP and SQL paths are boxed: their states are large, and
    // unboxed they would make every request's future as large (measured:
    // moving it was 3.6% of the server's CPU on plain PAP).
    if let Some(r) = &app.proxy {
        match Box::pin(r.handle(req)).await {
            proxy::Routed::Reply(reply) => {
                let o = proxied(&reply);
                return (reply, o);
            }
            proxy::Routed::Local(Some(stripped)) => local = stripped,
            proxy::Routed::Local(None) => {}
        }
    }
    let stripped = (local != name).then(|| local.clone());
    let name = local.as_str();
    if req.raw_attrs(EAP_MESSAGE).next().is_some() {
        if let Some(r) = Box::pin(app.eap.answer(req, app)).await {
            return Box::pin(eap_reply(r, req, app)).await;
        }
    }
    if mschap::is_mschap(req) {
        let user = find_user(app, Some(req), name, true).await;
        let reply = mschap::answer(req, name, user.as_deref(), &app.dict);
        let why = match reply.code() {
            Some(radius_core::Code::ACCESS_ACCEPT) => "password matched",
            _ => "unknown user or wrong password",
        };
        let mut o = Outcome::new("mschap", why);
        o.identity = stripped;
        return (reply, o);
    }
    let method = if pass.is_some() { "pap" } else { "chap" };
    let with = |reason: &str| Outcome {
        method,
        reason: reason.to_owned(),
        identity: stripped.clone(),
    };
    let Some(user) = find_user(app, Some(req), name, false).await else {
        return (AccessReject::new().into(), with("unknown user"));
    };
    let user = &*user;
    let ok = if let Some(pass) = pass {
        match &user.password {
            // Argon2, bcrypt and SHA-crypt are deliberately slow: keep
            // them off the reactor threads.
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
            Password::Hash(_) | Password::NtHash(_) => {
                return (
                    AccessReject::new().into(),
                    with("CHAP needs a cleartext password; this user has a hash"),
                )
            }
        }
    };
    if ok {
        (
            accept_for(user, req, &app.dict).into(),
            with("password matched"),
        )
    } else {
        (AccessReject::new().into(), with("wrong password"))
    }
}

/// An EAP round's reply; a successful one gets the authenticated
/// (inner) user's reply attributes, as a PAP Access-Accept would.
async fn eap_reply(r: radius_server::eap::EapReply, req: &Request, app: &App) -> (Reply, Outcome) {
    use radius_server::eap::EapReply;
    match r {
        EapReply::Accept {
            accept,
            identity,
            outer,
            method,
        } => {
            let reply = match find_user(app, Some(req), &identity, false).await {
                Some(u) => user_reply(accept, &u, req, &app.dict).into(),
                None => accept.into(),
            };
            let o = Outcome {
                method: eap_method(method),
                reason: format!("EAP success (outer identity {outer})"),
                identity: Some(identity),
            };
            (reply, o)
        }
        EapReply::Reject { reject, reason } => (
            reject.into(),
            Outcome::new("eap", format!("EAP failure: {reason}")),
        ),
        other => (other.into(), Outcome::new("eap", "next EAP round")),
    }
}

/// "eap-" and the method's name, as a label.
fn eap_method(m: radius_server::eap::Method) -> &'static str {
    use radius_server::eap::Method;
    match m {
        Method::Md5 => "eap-md5",
        Method::Tls => "eap-tls",
        Method::Peap => "eap-peap",
        Method::Ttls => "eap-ttls",
    }
}
