//! The result of a run, printed as text or JSON.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;

use super::args::{BenchArgs, Kind};
use super::stats::Histogram;

/// The result of a run.
pub(super) struct Report {
    pub(super) elapsed: f64,
    pub(super) hist: Histogram,
    pub(super) ok: u64,
    pub(super) negative: u64,
    pub(super) invalid: u64,
    pub(super) stray: u64,
    pub(super) timeouts: u64,
    pub(super) send_errors: u64,
    pub(super) server_cpu_us_per_req: Option<f64>,
    pub(super) server_cpu_percent: Option<f64>,
    pub(super) client_cpu_us_per_req: Option<f64>,
}

pub(super) fn print_report(args: &BenchArgs, server: SocketAddr, r: &Report) {
    let done = r.ok + r.negative;
    let rate = done as f64 / r.elapsed;
    let us = |ns: u64| ns as f64 / 1000.0;
    let h = &r.hist;
    if args.json {
        let v = serde_json::json!({
            "server": server.to_string(),
            "kind": match args.kind { Kind::Auth => "auth", Kind::Acct => "acct" },
            "concurrency": args.concurrency,
            "duration_s": r.elapsed,
            "requests": done,
            "accepted": r.ok,
            "rejected": r.negative,
            "invalid_replies": r.invalid,
            "stray_replies": r.stray,
            "timeouts": r.timeouts,
            "send_errors": r.send_errors,
            "req_per_s": rate,
            "latency_us": {
                "mean": h.mean() / 1000.0,
                "p50": us(h.quantile(0.50)),
                "p90": us(h.quantile(0.90)),
                "p99": us(h.quantile(0.99)),
                "max": us(h.max()),
            },
            "server_pid": args.pid,
            "server_cpu_us_per_req": r.server_cpu_us_per_req,
            "server_cpu_percent": r.server_cpu_percent,
            "client_cpu_us_per_req": r.client_cpu_us_per_req,
        });
        println!("{v}");
        return;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {:?} requests to {server}, {} in flight, {:.1} s",
        done, args.kind, args.concurrency, r.elapsed
    );
    let _ = writeln!(out, "  throughput   {rate:.0} req/s");
    let _ = writeln!(
        out,
        "  latency      p50 {:.0} µs  p90 {:.0} µs  p99 {:.0} µs  max {:.0} µs  (mean {:.0} µs)",
        us(h.quantile(0.5)),
        us(h.quantile(0.9)),
        us(h.quantile(0.99)),
        us(h.max()),
        h.mean() / 1000.0
    );
    let _ = writeln!(
        out,
        "  replies      {} positive, {} negative; {} invalid, {} stray; {} timeouts, {} send errors",
        r.ok, r.negative, r.invalid, r.stray, r.timeouts, r.send_errors
    );
    if let Some(c) = r.server_cpu_us_per_req {
        let _ = writeln!(
            out,
            "  server CPU   {c:.2} µs/request (user+system, pid {}; {:.0}% of one core)",
            args.pid.unwrap_or(0),
            r.server_cpu_percent.unwrap_or(0.0)
        );
    }
    if let Some(c) = r.client_cpu_us_per_req {
        let _ = writeln!(out, "  bench CPU    {c:.2} µs/request");
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
}
