//! The RadSec load: closed loops over shared TLS connections.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use radius_core::{Code, Secret};

use super::args::BenchArgs;
use super::request::Template;
use super::stats::{Counters, Histogram};

/// RadSec load: `concurrency` closed loops over `connections` TLS
/// connections; the client verifies every reply (Response Authenticator,
/// Message-Authenticator) and matches it to its request.
pub(super) fn radsec_tasks(
    args: &BenchArgs,
    server: SocketAddr,
    tpl: &Arc<Template>,
    counters: &Arc<Counters>,
    stop: &Arc<AtomicBool>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<anyhow::Result<Histogram>>>> {
    use radius_server::radsec::{ClientError, RadSecClient, RadSecClientConfig, TlsConfig};
    let (Some(cert), Some(key), Some(ca)) = (&args.tls_cert, &args.tls_key, &args.tls_ca) else {
        bail!("--radsec needs --tls-cert, --tls-key and --tls-ca");
    };
    let tls = TlsConfig::from_pem_files(cert, key, ca)?;
    let mut clients = Vec::new();
    for _ in 0..args.connections.max(1) {
        let mut cfg = RadSecClientConfig::new(server, args.tls_name.clone());
        if args.secret != "testing123" {
            cfg.secret = Secret::new(&args.secret);
        }
        cfg.request_timeout = Duration::from_secs_f64(args.timeout.max(0.001));
        cfg.watchdog_interval = None;
        clients.push(RadSecClient::new(cfg, tls.clone())?);
    }
    let mut tasks = Vec::new();
    for i in 0..args.concurrency {
        let c = clients[i % clients.len()].clone();
        let (tpl, counters, stop) = (tpl.clone(), counters.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut hist = Histogram::default();
            let mut seq = i as u64;
            while !stop.load(Ordering::Relaxed) {
                seq += 1 << 20;
                let t0 = Instant::now();
                let tpl = tpl.clone();
                let r = c
                    .request(tpl.code(), move |w, secret| tpl.add_attrs(w, secret, seq))
                    .await;
                match r {
                    Ok(rep) => {
                        hist.record(t0.elapsed().as_nanos() as u64);
                        let good =
                            matches!(rep.code(), Code::ACCESS_ACCEPT | Code::ACCOUNTING_RESPONSE);
                        if good {
                            &counters.ok
                        } else {
                            &counters.negative
                        }
                        .fetch_add(1, Ordering::Relaxed);
                    }
                    Err(ClientError::Timeout(_)) => {
                        counters.timeouts.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(ClientError::Encode(_)) => bail!("cannot encode the request"),
                    Err(e @ (ClientError::Connect { .. } | ClientError::Backoff { .. })) => {
                        if counters.send_errors.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("radius bench: {e}");
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    Err(e) => {
                        // Say why once: a bad certificate or secret shows
                        // up here, not as a count alone.
                        if counters.invalid.fetch_add(1, Ordering::Relaxed) == 0 {
                            eprintln!("radius bench: first failed request: {e}");
                        }
                    }
                }
            }
            Ok(hist)
        }));
    }
    Ok(tasks)
}
