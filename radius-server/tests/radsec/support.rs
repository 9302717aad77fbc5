//! Shared helpers of the RadSec tests: a typed test server and packets;
//! certificates (rcgen), radsecproxy, ports and peer detection come from
//! radius-test-support.
#![allow(dead_code, unused_imports)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use radius_core::{Code, PacketWriter, Secret};
use radius_server::radsec::{
    RadSecClient, RadSecClientConfig, RadSecConfig, RadSecHandle, RadSecServer, TlsClient,
    TlsClientTable, TlsConfig,
};
use radius_server::{
    radius_handler, AccessAccept, AccessReject, AccessRequest, Reply, Shared, Transport,
};

pub use radius_dict::prelude::{ReplyMessage, UserName, UserPassword};
pub use radius_test_support::*;

/// How often the auth handler ran.
#[derive(Clone, Default)]
pub struct Calls(pub Arc<AtomicU64>);

impl Calls {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// bob/hello accepted; "slow" (any password) answered after 30 ms with
/// Access-Accept; others rejected. Reply-Message names the transport.
#[radius_handler]
pub async fn auth(
    _req: AccessRequest,
    name: UserName,
    pass: Option<UserPassword>,
    t: Transport,
    calls: Shared<Calls>,
) -> Reply {
    calls.0 .0.fetch_add(1, Ordering::Relaxed);
    let msg = ReplyMessage::new(format!("{:?} {}", t.protocol, &*name));
    if &*name == "slow" {
        tokio::time::sleep(Duration::from_millis(30)).await;
        return AccessAccept::new().with(msg).into();
    }
    match pass {
        Some(p) if &*name == "bob" && &*p == "hello" => AccessAccept::new().with(msg).into(),
        _ => AccessReject::new().with(msg).into(),
    }
}

pub fn localhost() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A RadSec server with `auth`, clients: any verified certificate from 127/8.
pub async fn start_server(tls: TlsConfig, calls: Calls, config: RadSecConfig) -> RadSecHandle {
    RadSecServer::with_state(tls, calls)
        .clients(TlsClientTable::new().with(
            TlsClient::new("loopback").addr("127.0.0.0/8".parse::<radius_server::Cidr>().unwrap()),
        ))
        .auth(auth)
        .bind(localhost())
        .config(config)
        .spawn()
        .await
        .expect("RadSec server starts")
}

/// A raw Access-Request (with Message-Authenticator) for the "radsec" secret.
pub fn raw_pap(id: u8, user: &str, pass: &str) -> Vec<u8> {
    let s = Secret::new("radsec");
    let mut buf = Vec::new();
    let mut w = PacketWriter::request(&mut buf, Code::ACCESS_REQUEST, id);
    w.message_authenticator().unwrap();
    w.add(&UserName::new(user), &s).unwrap();
    w.add(&UserPassword::new(pass), &s).unwrap();
    w.finish(&s).unwrap();
    buf
}
