//! `radius flood`: does a server keep serving a well-behaved client while
//! other sources flood it far past its capacity?
//!
//! One steady client sends a new Access-Request every `--interval` from its
//! own port and never retransmits. After `--warmup` seconds, `--ports`
//! other sockets of the same address (the same client entry) send
//! `--rate` datagrams per second for `-d` seconds: a repeating `--mix` of
//! valid requests, exact duplicates, garbage, truncated requests and
//! requests with a wrong Message-Authenticator. The steady client goes on
//! for `--after` seconds once the flood stops. The report gives, per phase,
//! the share of steady requests answered within `--deadline` and their
//! latency percentiles; with `--pid`, the server's CPU and resident memory
//! (before, peak, after); and the datagrams the kernel dropped at the
//! server's port (`/proc/net/udp{,6}` drops of the sockets bound to it).
//!
//! Loopback only: the target must be a loopback address, and everything
//! stops by itself.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use radius_core::Secret;
use radius_server::client::proto::Jitter;

use crate::bench::request::Template;
use crate::bench::stats::{clock_ticks, proc_cpu_ticks, Histogram};

mod blast;
mod craft;
mod proc;
mod steady;

use craft::{Crafter, Kind};

/// Arguments of `radius flood`.
#[derive(Debug, clap::Args)]
pub struct FloodArgs {
    /// Server: a loopback HOST:PORT (its auth port).
    #[arg(value_name = "ADDR")]
    server: String,
    /// Shared secret of the client entry both the flood and the steady
    /// client use.
    #[arg(long, default_value = "testing123")]
    secret: String,
    /// User-Name of every request.
    #[arg(long = "user", value_name = "U", default_value = "bob")]
    user: String,
    /// User-Password of every request.
    #[arg(long = "password", value_name = "P", default_value = "hello")]
    password: String,
    /// Flood datagrams per second (in total).
    #[arg(long, default_value_t = 400_000.0)]
    rate: f64,
    /// Flood source ports.
    #[arg(long, default_value_t = 32)]
    ports: usize,
    /// Flooding threads.
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// The flood's repeating mix.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "valid,dup,garbage,truncated,bad-ma"
    )]
    mix: Vec<Kind>,
    /// Seconds of flood.
    #[arg(short = 'd', default_value_t = 10.0)]
    duration: f64,
    /// Seconds of steady traffic before the flood.
    #[arg(long, default_value_t = 2.0)]
    warmup: f64,
    /// Seconds of steady traffic after the flood.
    #[arg(long, default_value_t = 3.0)]
    after: f64,
    /// Milliseconds between the steady client's requests.
    #[arg(long, default_value_t = 10.0)]
    interval: f64,
    /// Seconds within which a steady request counts as served.
    #[arg(long, default_value_t = 1.0)]
    deadline: f64,
    /// PID of the server, for its CPU and memory.
    #[arg(long)]
    pid: Option<u32>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Steady requests of one phase.
#[derive(Default)]
struct Phase {
    sent: u64,
    in_time: u64,
    late: u64,
    hist: Histogram,
}

impl Phase {
    fn percent(&self) -> f64 {
        if self.sent == 0 {
            100.0
        } else {
            self.in_time as f64 * 100.0 / self.sent as f64
        }
    }

    fn json(&self) -> serde_json::Value {
        let ms = |ns: u64| ns as f64 / 1e6;
        serde_json::json!({
            "sent": self.sent,
            "answered_in_time": self.in_time,
            "answered_late": self.late,
            "served_percent": self.percent(),
            "p50_ms": ms(self.hist.quantile(0.5)),
            "p99_ms": ms(self.hist.quantile(0.99)),
            "max_ms": ms(self.hist.max()),
        })
    }
}

/// Run `radius flood`.
pub fn run(args: FloodArgs) -> anyhow::Result<()> {
    let server = crate::send::resolve(&args.server, 1812)?;
    if !server.ip().is_loopback() {
        bail!("radius flood only targets loopback addresses (127.0.0.0/8, ::1)");
    }
    if args.ports == 0 || args.mix.is_empty() || args.rate.is_nan() || args.rate <= 0.0 {
        bail!("--ports, --mix and --rate must not be empty or zero");
    }
    for (name, v) in [
        ("-d", args.duration),
        ("--warmup", args.warmup),
        ("--after", args.after),
        ("--interval", args.interval),
        ("--deadline", args.deadline),
    ] {
        if !(v >= 0.0 && v.is_finite() && v < 3600.0) {
            bail!("{name} must be between 0 and 3600");
        }
    }
    if let Some(pid) = args.pid {
        proc_cpu_ticks(&pid.to_string())
            .with_context(|| format!("cannot read /proc/{pid}/stat (is --pid right?)"))?;
    }
    let tpl = |_| Template {
        kind: crate::bench::args::Kind::Auth,
        secret: Secret::new(&args.secret),
        user: args.user.as_bytes().to_vec(),
        password: args.password.as_bytes().to_vec(),
    };
    let seed = Jitter::from_os().next_u64();
    let steady_sock = blast::sockets(server, 1)?.remove(0);
    let flood_socks = blast::sockets(server, args.ports)?;
    let crafters = (0..args.ports)
        .map(|i| Crafter::new(tpl(()), args.mix.clone(), seed ^ (i as u64 + 1)))
        .collect();

    let secs = Duration::from_secs_f64;
    let (warm, flood, after) = (secs(args.warmup), secs(args.duration), secs(args.after));
    let deadline = secs(args.deadline);
    let steady_tpl = tpl(());
    let interval = secs(args.interval / 1000.0);
    let steady = std::thread::spawn(move || {
        steady::run(
            steady_sock,
            &steady_tpl,
            interval,
            warm + flood + after,
            deadline,
            seed,
        )
    });

    let pid = args.pid.map(|p| p.to_string());
    let ticks = clock_ticks() as f64;
    let drops0 = proc::port_drops(server.port());
    let rss0 = pid.as_deref().and_then(proc::rss_kib);
    std::thread::sleep(warm);

    let stop = Arc::new(AtomicBool::new(false));
    let (sent, errors) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let cpu0 = pid.as_deref().and_then(proc_cpu_ticks);
    let t0 = Instant::now();
    let threads = blast::start(
        flood_socks,
        crafters,
        args.threads,
        args.rate,
        stop.clone(),
        sent.clone(),
        errors.clone(),
    );
    let mut rss_peak = rss0;
    while t0.elapsed() < flood {
        std::thread::sleep((flood - t0.elapsed().min(flood)).min(Duration::from_millis(200)));
        if let Some(r) = pid.as_deref().and_then(proc::rss_kib) {
            rss_peak = Some(rss_peak.map_or(r, |p: u64| p.max(r)));
        }
    }
    stop.store(true, Ordering::Relaxed);
    let flood_secs = t0.elapsed().as_secs_f64();
    let cpu1 = pid.as_deref().and_then(proc_cpu_ticks);
    for t in threads {
        let _ = t.join();
    }
    let outcomes = steady
        .join()
        .map_err(|_| anyhow::anyhow!("the steady client panicked"))??;
    let rss1 = pid.as_deref().and_then(proc::rss_kib);
    let drops1 = proc::port_drops(server.port());

    // Sort the steady requests into phases by when they were sent.
    let mut phases: [Phase; 3] = Default::default();
    for o in &outcomes {
        let p = if o.sent_at < warm {
            0
        } else if o.sent_at < warm + flood {
            1
        } else {
            2
        };
        let ph = &mut phases[p];
        ph.sent += 1;
        if let Some(l) = o.latency {
            ph.hist.record(l.as_nanos() as u64);
            if l <= deadline {
                ph.in_time += 1;
            } else {
                ph.late += 1;
            }
        }
    }
    let flood_sent = sent.load(Ordering::Relaxed);
    let cpu = match (cpu0, cpu1) {
        (Some(a), Some(b)) => Some((b - a) as f64 / ticks / flood_secs * 100.0),
        _ => None,
    };
    let dropped = match (drops0, drops1) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a)),
        _ => None,
    };
    if args.json {
        let v = serde_json::json!({
            "server": server.to_string(),
            "flood": {
                "ports": args.ports,
                "target_rate": args.rate,
                "sent": flood_sent,
                "send_errors": errors.load(Ordering::Relaxed),
                "rate": flood_sent as f64 / flood_secs,
                "duration_s": flood_secs,
            },
            "before": phases[0].json(),
            "during": phases[1].json(),
            "after": phases[2].json(),
            "server_cpu_percent": cpu,
            "server_rss_kib": { "before": rss0, "peak": rss_peak, "after": rss1 },
            "kernel_drops_at_port": dropped,
        });
        println!("{v}");
        return Ok(());
    }
    println!(
        "flood: {} datagrams from {} ports in {:.1} s ({:.0}/s; {} refused)",
        flood_sent,
        args.ports,
        flood_secs,
        flood_sent as f64 / flood_secs,
        errors.load(Ordering::Relaxed)
    );
    for (name, p) in ["before", "during", "after"].iter().zip(&phases) {
        println!(
            "steady {name:<6}: {:>5} sent, {:>5.1}% answered within {:.1} s ({} late), p50 {:.2} ms, p99 {:.2} ms",
            p.sent,
            p.percent(),
            args.deadline,
            p.late,
            p.hist.quantile(0.5) as f64 / 1e6,
            p.hist.quantile(0.99) as f64 / 1e6,
        );
    }
    if let Some(c) = cpu {
        println!("server CPU during the flood: {c:.0}%");
    }
    if let (Some(a), Some(p), Some(b)) = (rss0, rss_peak, rss1) {
        println!("server RSS: {a} KiB before, {p} KiB peak, {b} KiB after");
    }
    if let Some(d) = dropped {
        println!(
            "kernel drops at port {}: {d} ({:.1}% of the flood)",
            server.port(),
            d as f64 * 100.0 / flood_sent.max(1) as f64
        );
    }
    Ok(())
}
