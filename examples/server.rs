//! A RADIUS server in a page: typed handlers for authentication,
//! accounting and CoA, on the embedded defaults of this example
//! (127.0.0.1, client 127.0.0.0/8 with secret testing123).
//!
//! ```sh
//! cargo run --example server -- 127.0.0.1:18120
//! radtest bob hello 127.0.0.1:18120 0 testing123
//! ```
//! Accounting listens on the next port, CoA on the one after.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use typed_radius::dict::prelude::*;
use typed_radius::server::{
    radius_handler, AccessAccept, AccessReject, AccountingResponse, ClientConfig, CoaAck, CoaNak,
    HostTable, Reply, Server, Shared,
};

/// Users and the sessions accounting has seen.
#[derive(Clone, Default)]
struct App {
    users: Arc<HashMap<&'static str, &'static str>>,
    sessions: Arc<Mutex<HashMap<String, String>>>,
}

/// PAP (User-Password) or CHAP: the extractors do the decoding, a missing
/// User-Name is rejected before this runs.
#[radius_handler]
async fn auth(
    req: typed_radius::server::AccessRequest,
    name: UserName,
    pass: Option<UserPassword>,
    app: Shared<App>,
) -> Reply {
    let Some(&want) = app.users.get(name.value().as_str()) else {
        return AccessReject::new()
            .with(ReplyMessage::new("unknown user"))
            .into();
    };
    let ok = match pass {
        Some(p) => p.value() == want,
        None => req.verify_chap(want.as_bytes()).unwrap_or(false),
    };
    if ok {
        AccessAccept::new()
            .with(ReplyMessage::new(format!("Welcome, {}", name.value())))
            .with(ServiceType::new(ServiceTypeValue::FramedUser))
            .with(SessionTimeout::new(3600))
            .into()
    } else {
        AccessReject::new().into()
    }
}

/// Accounting: remember which sessions are up.
#[radius_handler]
async fn accounting(
    status: AcctStatusType,
    session: AcctSessionId,
    user: Option<UserName>,
    app: Shared<App>,
) -> AccountingResponse {
    let mut s = app.sessions.lock().unwrap();
    match *status.value() {
        AcctStatusTypeValue::Start | AcctStatusTypeValue::InterimUpdate => {
            s.insert(
                session.into_value(),
                user.map(|u| u.into_value()).unwrap_or_default(),
            );
        }
        AcctStatusTypeValue::Stop => {
            s.remove(session.value());
        }
        other => eprintln!("accounting: {} ({})", other, other.number()),
    }
    AccountingResponse::new()
}

/// CoA: acknowledge changes for sessions we know, NAK the rest.
#[radius_handler]
async fn coa(session: AcctSessionId, app: Shared<App>) -> Reply {
    if app.sessions.lock().unwrap().contains_key(session.value()) {
        CoaAck::new().into()
    } else {
        CoaNak::new()
            .error_cause(ErrorCauseValue::SessionContextNotFound)
            .into()
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Without a subscriber, dropped packets (unknown client, bad
    // authenticator) leave no trace: their log lines go nowhere.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let auth_addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18120".into())
        .parse()?;
    let next = |n: u16| SocketAddr::new(auth_addr.ip(), auth_addr.port() + n);
    let app = App {
        users: Arc::new(HashMap::from([("bob", "hello")])),
        ..Default::default()
    };
    let hosts = HostTable::new().with(
        "127.0.0.0/8".parse()?,
        ClientConfig::new("localhost", "testing123"),
    );
    let server = Server::with_state(app)
        .clients(hosts)
        .auth(auth)
        .accounting(accounting)
        .coa(coa)
        .bind_auth(auth_addr)
        .bind_acct(next(1))
        .bind_coa(next(2))
        .spawn()
        .await?;
    eprintln!("listening: {:?}", server.local_addrs());
    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    Ok(())
}
