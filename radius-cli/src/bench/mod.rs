//! `radius bench`: a closed-loop load generator. `-c` requests are kept in
//! flight for `-d` seconds over several client sockets; every reply is
//! verified (Identifier, code, Response Authenticator, Message-Authenticator
//! when present) before it counts, and each answered request is at once
//! replaced by a new one.
//!
//! It is built to cost little so it can saturate a server on a small box:
//! one tokio task per socket, requests encoded into reused buffers (no
//! allocation per request), replies drained in batches, latencies in a
//! fixed log-linear histogram. Given `--pid`, the server's CPU time (user +
//! system, from `/proc/PID/stat`) is sampled each second and reported per
//! request; the generator's own CPU per request is reported too.
//!
//! Request Authenticators come from a fast non-cryptographic generator
//! seeded from the OS: fine for load, not for production traffic.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use radius_core::Secret;
use radius_server::client::proto::Jitter;

pub(crate) mod args;
mod radsec;
mod report;
pub(crate) mod request;
pub(crate) mod stats;
mod udp;

pub use args::BenchArgs;
use args::Kind;
use report::{print_report, Report};
use request::Template;
use stats::{clock_ticks, proc_cpu_ticks, Counters, Histogram};

/// Run `radius bench`.
pub fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.concurrency == 0 {
        bail!("-c must be at least 1");
    }
    if !(args.duration > 0.0 && args.duration.is_finite()) {
        bail!("-d must be a positive number of seconds");
    }
    let default_port = match (args.radsec, args.kind) {
        (true, _) => radius_server::radsec::RADSEC_PORT,
        (false, Kind::Auth) => 1812,
        (false, Kind::Acct) => 1813,
    };
    let server = crate::send::resolve(&args.server, default_port)?;
    if let Some(pid) = args.pid {
        proc_cpu_ticks(&pid.to_string())
            .with_context(|| format!("cannot read /proc/{pid}/stat (is --pid right?)"))?;
    }
    let sockets = args.sockets.clamp(1, args.concurrency);
    if args.concurrency > sockets * 256 {
        bail!(
            "-c {} needs at least {} sockets (256 requests in flight per socket)",
            args.concurrency,
            args.concurrency.div_ceil(256)
        );
    }
    let rt = if args.threads <= 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.threads)
            .enable_all()
            .build()?
    };
    let report = rt.block_on(bench(&args, server, sockets))?;
    print_report(&args, server, &report);
    Ok(())
}

async fn bench(args: &BenchArgs, server: SocketAddr, sockets: usize) -> anyhow::Result<Report> {
    let tpl = Arc::new(Template {
        kind: args.kind,
        secret: Secret::new(&args.secret),
        user: args.user.as_bytes().to_vec(),
        password: args.password.as_bytes().to_vec(),
    });
    if args.password.len() > 128 || args.user.len() > 253 {
        bail!("--user at most 253 octets, --password at most 128");
    }
    let counters = Arc::new(Counters::default());
    let stop = Arc::new(AtomicBool::new(false));
    let timeout = Duration::from_secs_f64(args.timeout.max(0.001));
    let ticks = clock_ticks() as f64;
    let pid = args.pid.map(|p| p.to_string());
    let self_cpu0 = proc_cpu_ticks("self");
    let server_cpu0 = pid.as_deref().and_then(proc_cpu_ticks);
    let start = Instant::now();
    let mut tasks = Vec::new();
    let seed = Jitter::from_os().next_u64();
    if args.radsec {
        tasks = radsec::radsec_tasks(args, server, &tpl, &counters, &stop)?;
    }
    for k in (0..sockets).filter(|_| !args.radsec) {
        let slots = args.concurrency / sockets + usize::from(k < args.concurrency % sockets);
        let sock = udp::client_socket(server).await?;
        tasks.push(tokio::spawn(udp::socket_loop(
            sock,
            slots,
            tpl.clone(),
            counters.clone(),
            stop.clone(),
            timeout,
            seed.wrapping_add((k as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)),
        )));
    }
    // Progress once per second; stop after the duration.
    let total = Duration::from_secs_f64(args.duration);
    let mut last = (0u64, server_cpu0, Instant::now());
    let mut second = 0u32;
    while start.elapsed() < total {
        let left = total.saturating_sub(start.elapsed());
        tokio::time::sleep(left.min(Duration::from_secs(1))).await;
        second += 1;
        if args.quiet {
            continue;
        }
        let done = counters.ok.load(Ordering::Relaxed) + counters.negative.load(Ordering::Relaxed);
        let now = Instant::now();
        let dt = now.duration_since(last.2).as_secs_f64();
        let rate = (done - last.0) as f64 / dt.max(1e-9);
        let mut line = format!("[{second:>3}s] {rate:>9.0} req/s  total {done}");
        let bad = counters.invalid.load(Ordering::Relaxed);
        let to = counters.timeouts.load(Ordering::Relaxed);
        let neg = counters.negative.load(Ordering::Relaxed);
        let _ = write!(line, "  rejects {neg}  invalid {bad}  timeouts {to}");
        let cpu_now = pid.as_deref().and_then(proc_cpu_ticks);
        if let (Some(a), Some(b)) = (last.1, cpu_now) {
            let sec = (b - a) as f64 / ticks;
            if done > last.0 {
                let _ = write!(
                    line,
                    "  server {:.1} µs/req ({:.0}% CPU)",
                    sec * 1e6 / (done - last.0) as f64,
                    sec / dt * 100.0
                );
            }
        }
        eprintln!("{line}");
        last = (done, cpu_now, now);
    }
    stop.store(true, Ordering::Relaxed);
    let end_cpu = pid.as_deref().and_then(proc_cpu_ticks);
    let elapsed = start.elapsed().as_secs_f64();
    let done_at_stop =
        counters.ok.load(Ordering::Relaxed) + counters.negative.load(Ordering::Relaxed);
    let self_cpu1 = proc_cpu_ticks("self");
    let mut hist = Histogram::default();
    for t in tasks {
        hist.merge(&t.await.context("socket task")??);
    }
    let per_req = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) if done_at_stop > 0 => {
            Some((b - a) as f64 / ticks * 1e6 / done_at_stop as f64)
        }
        _ => None,
    };
    Ok(Report {
        elapsed,
        ok: counters.ok.load(Ordering::Relaxed),
        negative: counters.negative.load(Ordering::Relaxed),
        invalid: counters.invalid.load(Ordering::Relaxed),
        stray: counters.stray.load(Ordering::Relaxed),
        timeouts: counters.timeouts.load(Ordering::Relaxed),
        send_errors: counters.send_errors.load(Ordering::Relaxed),
        server_cpu_us_per_req: per_req(server_cpu0, end_cpu),
        server_cpu_percent: match (server_cpu0, end_cpu) {
            (Some(a), Some(b)) => Some((b - a) as f64 / ticks / elapsed * 100.0),
            _ => None,
        },
        client_cpu_us_per_req: per_req(self_cpu0, self_cpu1),
        hist,
    })
}
