//! Quick RadSec throughput measurement on loopback (not a test): a RadSec
//! server and RadSec clients in one process, certificates generated at
//! start, closed loop with a fixed number of requests in flight per
//! connection.
//!
//! ```sh
//! cargo run --release -p radius-server --example radsec_bench -- [SECONDS] [IN_FLIGHT]
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use radius_core::Code;
use radius_server::radsec::{
    RadSecClient, RadSecClientConfig, RadSecServer, TlsClient, TlsClientTable, TlsConfig,
};
use radius_server::{AccessAccept, AccessReject, AccessRequest, Reply};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose as Eku, IsCa, KeyPair,
};

radius_core::attribute! { UserName(UserName_) = "User-Name", Std(1), String }
radius_core::attribute! { UserPassword(UserPassword_) = "User-Password", Std(2), String, encrypt = UserPassword }

async fn auth(_r: AccessRequest, name: UserName, pass: UserPassword) -> Reply {
    if &*name == "bob" && &*pass == "hello" {
        AccessAccept::new().into()
    } else {
        AccessReject::new().into()
    }
}

fn tls(ca: &rcgen::Certificate, ca_key: &KeyPair, ca_pem: &str, cn: &str, eku: Eku) -> TlsConfig {
    let mut p = CertificateParams::new(vec![cn.to_string()]).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.extended_key_usages = vec![eku];
    let key = KeyPair::generate().unwrap();
    let cert = p.signed_by(&key, ca, ca_key).unwrap();
    TlsConfig::from_pem(
        cert.pem().as_bytes(),
        key.serialize_pem().as_bytes(),
        ca_pem.as_bytes(),
    )
    .unwrap()
}

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let depth: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(32);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let mut cp = CertificateParams::new(Vec::<String>::new()).unwrap();
        cp.distinguished_name.push(DnType::CommonName, "bench CA");
        cp.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_key = KeyPair::generate().unwrap();
        let ca = cp.self_signed(&ca_key).unwrap();
        let ca_pem = ca.pem();
        let server_tls = tls(&ca, &ca_key, &ca_pem, "localhost", Eku::ServerAuth);
        let client_tls = tls(&ca, &ca_key, &ca_pem, "nas", Eku::ClientAuth);
        let srv = RadSecServer::builder(server_tls)
            .clients(TlsClientTable::new().with(TlsClient::new("any")))
            .auth(auth)
            .bind("127.0.0.1:0".parse().unwrap())
            .spawn()
            .await
            .unwrap();
        for conns in [1usize, 8] {
            let done = Arc::new(AtomicU64::new(0));
            let stop = Instant::now() + Duration::from_secs(secs);
            let mut tasks = Vec::new();
            let cpu0 = cpu_time();
            for _ in 0..conns {
                let c = RadSecClient::new(
                    RadSecClientConfig::new(srv.local_addr(), "localhost"),
                    client_tls.clone(),
                )
                .unwrap();
                c.connect().await.unwrap();
                for _ in 0..depth {
                    let c = c.clone();
                    let done = done.clone();
                    tasks.push(tokio::spawn(async move {
                        while Instant::now() < stop {
                            let r = c
                                .request(Code::ACCESS_REQUEST, |w, s| {
                                    w.add(&UserName::new("bob"), s)?;
                                    w.add(&UserPassword::new("hello"), s)
                                })
                                .await
                                .unwrap();
                            assert_eq!(r.code(), Code::ACCESS_ACCEPT);
                            done.fetch_add(1, Ordering::Relaxed);
                        }
                    }));
                }
            }
            let t0 = Instant::now();
            for t in tasks {
                t.await.unwrap();
            }
            let el = t0.elapsed().as_secs_f64();
            let n = done.load(Ordering::Relaxed);
            let cpu = cpu_time() - cpu0;
            println!(
                "{conns} connection(s) x {depth} in flight: {n} requests in {el:.2}s = {:.0} req/s; \
                 process CPU (client+server) {:.1} us/request",
                n as f64 / el,
                cpu * 1e6 / n as f64
            );
        }
        srv.shutdown().await;
    });
}

/// User+system CPU seconds of this process (Linux /proc).
fn cpu_time() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = s.rsplit_once(')').map(|x| x.1).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
