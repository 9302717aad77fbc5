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
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use radius_core::crypto::encrypt_user_password;
use radius_core::{Code, EncodeError, PacketWriter, Secret};
use radius_server::client::proto::{verify_reply, Jitter};
use tokio::net::UdpSocket;

/// Arguments of `radius bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// PID of the server process, to report its CPU time per request.
    #[arg(long, value_name = "PID")]
    pid: Option<u32>,
    /// Requests kept in flight (closed-loop clients).
    #[arg(short = 'c', value_name = "CONCURRENCY", default_value_t = 64)]
    concurrency: usize,
    /// Seconds to run.
    #[arg(short = 'd', value_name = "DURATION", default_value_t = 10.0)]
    duration: f64,
    /// Shared secret.
    #[arg(long, default_value = "testing123")]
    secret: String,
    /// User-Name of the Access-Requests (and Accounting-Requests).
    #[arg(long = "user", value_name = "U", default_value = "bob")]
    user: String,
    /// User-Password of the Access-Requests.
    #[arg(long = "password", value_name = "P", default_value = "hello")]
    password: String,
    /// Client sockets (requests are spread over them; a server with
    /// SO_REUSEPORT workers spreads sockets over its workers).
    #[arg(long, value_name = "N", default_value_t = 8)]
    sockets: usize,
    /// Generator threads.
    #[arg(long, value_name = "N", default_value_t = 1)]
    threads: usize,
    /// Seconds before an unanswered request counts as a timeout (and is
    /// replaced by a new one).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    timeout: f64,
    /// Print the result as JSON on stdout (progress stays on stderr).
    #[arg(long)]
    json: bool,
    /// No progress lines.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// Load a RadSec (RADIUS over TLS) server instead: requests go over
    /// --connections TLS connections with the RFC 6614 secret "radsec"
    /// (unless --secret says otherwise); default port 2083.
    #[arg(long, requires_all = ["tls_cert", "tls_key", "tls_ca"])]
    radsec: bool,
    /// RadSec: client certificate chain (PEM).
    #[arg(long, value_name = "PEM")]
    tls_cert: Option<std::path::PathBuf>,
    /// RadSec: client private key (PEM).
    #[arg(long, value_name = "PEM")]
    tls_key: Option<std::path::PathBuf>,
    /// RadSec: CA certificate(s) (PEM) the server's certificate must chain to.
    #[arg(long, value_name = "PEM")]
    tls_ca: Option<std::path::PathBuf>,
    /// RadSec: the name the server's certificate must carry.
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    tls_name: String,
    /// RadSec: TLS connections (requests are spread over them).
    #[arg(long, value_name = "N", default_value_t = 1)]
    connections: usize,
    /// Server: HOST[:PORT] (default port 1812 for auth, 1813 for acct).
    #[arg(value_name = "ADDR")]
    server: String,
    /// Access-Request (PAP, with Message-Authenticator) or Accounting-Request.
    #[arg(value_enum, value_name = "auth|acct")]
    kind: Kind,
}

/// What to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// PAP Access-Request with Message-Authenticator.
    Auth,
    /// Accounting-Request (Interim-Update).
    Acct,
}

/// Counters shared between socket tasks and the progress reporter.
#[derive(Default)]
struct Counters {
    ok: AtomicU64,
    negative: AtomicU64,
    invalid: AtomicU64,
    stray: AtomicU64,
    timeouts: AtomicU64,
    send_errors: AtomicU64,
}

/// Log-linear latency histogram in nanoseconds: 32 sub-buckets per power
/// of two (about 3% resolution), fixed size, no allocation when recording.
#[derive(Clone)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    max: u64,
    sum: u128,
}

const SUB: u32 = 32;
const SUB_BITS: u32 = 5;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: vec![0; (64 * SUB) as usize],
            count: 0,
            max: 0,
            sum: 0,
        }
    }
}

impl Histogram {
    #[inline]
    fn index(v: u64) -> usize {
        if v < SUB as u64 {
            return v as usize;
        }
        let exp = 63 - v.leading_zeros(); // >= SUB_BITS
        let shift = exp - SUB_BITS;
        let sub = (v >> shift) as u32 - SUB; // 0..SUB
        ((exp - SUB_BITS + 1) * SUB + sub) as usize
    }

    /// Lowest value of bucket `i`.
    fn value_of(i: usize) -> u64 {
        let i = i as u32;
        if i < SUB {
            return i as u64;
        }
        let exp = i / SUB - 1 + SUB_BITS;
        let sub = i % SUB;
        ((SUB + sub) as u64) << (exp - SUB_BITS)
    }

    /// Record one value.
    #[inline]
    pub fn record(&mut self, v: u64) {
        self.buckets[Self::index(v)] += 1;
        self.count += 1;
        self.sum += v as u128;
        self.max = self.max.max(v);
    }

    /// Add another histogram's values.
    pub fn merge(&mut self, o: &Histogram) {
        for (a, b) in self.buckets.iter_mut().zip(&o.buckets) {
            *a += b;
        }
        self.count += o.count;
        self.sum += o.sum;
        self.max = self.max.max(o.max);
    }

    /// The value below which a fraction `q` of values fall (bucket midpoint).
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let target = ((self.count as f64 * q).ceil() as u64).clamp(1, self.count);
        if target == self.count {
            return self.max;
        }
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= target {
                let lo = Self::value_of(i);
                let hi = Self::value_of(i + 1);
                return ((lo + hi) / 2).min(self.max);
            }
        }
        self.max
    }

    /// Largest value.
    pub fn max(&self) -> u64 {
        self.max
    }

    /// Mean value.
    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }
}

/// CPU time (user + system) of a process in clock ticks, from /proc/PID/stat.
pub fn proc_cpu_ticks(pid: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces.
    let rest = &s[s.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Field 3 (state) is f[0]; utime is field 14, stime field 15.
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Clock ticks per second (`getconf CLK_TCK`), 100 if that fails.
pub fn clock_ticks() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// What one request looks like; encodes fresh requests into a slot buffer.
struct Template {
    kind: Kind,
    secret: Secret,
    user: Vec<u8>,
    password: Vec<u8>,
}

impl Template {
    /// The request's attributes for a client that writes the header,
    /// Message-Authenticator and authenticators itself (RadSec).
    fn add_attrs(
        &self,
        w: &mut PacketWriter<'_>,
        secret: &Secret,
        seq: u64,
    ) -> Result<(), EncodeError> {
        match self.kind {
            Kind::Auth => {
                let auth = w.authenticator();
                w.attr(1, &self.user)?;
                w.attr_with(2, |b| {
                    encrypt_user_password(&self.password, secret, &auth, b)
                        .map_err(EncodeError::from)
                })?;
            }
            Kind::Acct => {
                w.attr(40, &3u32.to_be_bytes())?;
                w.attr(1, &self.user)?;
                w.attr(44, format!("{seq:016x}").as_bytes())?;
                w.attr(46, &1u32.to_be_bytes())?;
            }
        }
        w.attr(4, &[127, 0, 0, 1])
    }

    fn code(&self) -> Code {
        match self.kind {
            Kind::Auth => Code::ACCESS_REQUEST,
            Kind::Acct => Code::ACCOUNTING_REQUEST,
        }
    }

    /// Encode a new request with Identifier `id`; returns its authenticator.
    fn encode(
        &self,
        buf: &mut Vec<u8>,
        id: u8,
        rng: &mut Jitter,
        seq: u64,
    ) -> Result<[u8; 16], EncodeError> {
        match self.kind {
            Kind::Auth => {
                let mut auth = [0u8; 16];
                auth[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
                auth[8..].copy_from_slice(&rng.next_u64().to_le_bytes());
                let mut w =
                    PacketWriter::request_with_authenticator(buf, Code::ACCESS_REQUEST, id, auth);
                w.message_authenticator()?;
                w.attr(1, &self.user)?;
                w.attr_with(2, |b| {
                    encrypt_user_password(&self.password, &self.secret, &auth, b)
                        .map_err(EncodeError::from)
                })?;
                w.attr(4, &[127, 0, 0, 1])?; // NAS-IP-Address
                w.attr(5, &(id as u32).to_be_bytes())?; // NAS-Port
                w.finish(&self.secret)?;
            }
            Kind::Acct => {
                let mut w = PacketWriter::request_with_authenticator(
                    buf,
                    Code::ACCOUNTING_REQUEST,
                    id,
                    [0; 16],
                );
                w.attr(40, &3u32.to_be_bytes())?; // Acct-Status-Type = Interim-Update
                w.attr(1, &self.user)?;
                // Acct-Session-Id: 16 hex digits of the sequence number.
                w.attr_with(44, |b| {
                    for k in (0..16).rev() {
                        b.push(b"0123456789abcdef"[((seq >> (k * 4)) & 15) as usize]);
                    }
                    Ok(())
                })?;
                w.attr(4, &[127, 0, 0, 1])?;
                w.attr(5, &(id as u32).to_be_bytes())?;
                w.attr(46, &1u32.to_be_bytes())?; // Acct-Session-Time
                w.finish(&self.secret)?;
            }
        }
        Ok(buf[4..20].try_into().expect("header"))
    }
}

struct Slot {
    buf: Vec<u8>,
    auth: [u8; 16],
    sent: Instant,
    /// The Identifier in use, if a request is in flight.
    id: Option<u8>,
}

/// Which slot each Identifier of a socket is lent to. Identifiers rotate
/// (the next free one after the last handed out), so an Identifier comes
/// back only after the others: a server that still holds the previous
/// request under it (a duplicate-detection window) is not confused, as it
/// would be by a client that reuses one Identifier back to back.
struct Ids {
    owner: [u16; 256],
    next: u8,
}

const FREE: u16 = u16::MAX;

impl Ids {
    fn take(&mut self, slot: usize) -> u8 {
        for k in 0..=255u8 {
            let id = self.next.wrapping_add(k);
            if self.owner[id as usize] == FREE {
                self.owner[id as usize] = slot as u16;
                self.next = id.wrapping_add(1);
                return id;
            }
        }
        unreachable!("at most 256 slots per socket")
    }
}

/// RadSec load: `concurrency` closed loops over `connections` TLS
/// connections; the client verifies every reply (Response Authenticator,
/// Message-Authenticator) and matches it to its request.
fn radsec_tasks(
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

/// One socket's closed loop: `slots` requests in flight until `stop`.
async fn socket_loop(
    sock: UdpSocket,
    slots: usize,
    tpl: Arc<Template>,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
    timeout: Duration,
    seed: u64,
) -> anyhow::Result<Histogram> {
    let mut hist = Histogram::default();
    let mut rng = Jitter::seeded(seed);
    let code = tpl.code();
    let mut seq = seed << 20;
    let mut ids = Ids {
        owner: [FREE; 256],
        next: 0,
    };
    let mut slot: Vec<Slot> = (0..slots)
        .map(|_| Slot {
            buf: Vec::with_capacity(128),
            auth: [0; 16],
            sent: Instant::now(),
            id: None,
        })
        .collect();
    let mut rbuf = vec![0u8; 4096];
    // Start every slot.
    for (k, s) in slot.iter_mut().enumerate() {
        seq += 1;
        let id = ids.take(k);
        s.auth = tpl.encode(&mut s.buf, id, &mut rng, seq)?;
        s.sent = Instant::now();
        s.id = Some(id);
        send(&sock, &s.buf, &counters).await;
    }
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            r = sock.readable() => { r.context("socket")?; }
            _ = tick.tick() => {
                // Timeouts: count, and replace with a fresh request.
                let now = Instant::now();
                let stopping = stop.load(Ordering::Relaxed);
                for (k, s) in slot.iter_mut().enumerate() {
                    let Some(old) = s.id else { continue };
                    if now.duration_since(s.sent) >= timeout {
                        counters.timeouts.fetch_add(1, Ordering::Relaxed);
                        ids.owner[old as usize] = FREE;
                        s.id = None;
                        if !stopping {
                            seq += 1;
                            let id = ids.take(k);
                            s.auth = tpl.encode(&mut s.buf, id, &mut rng, seq)?;
                            s.sent = now;
                            s.id = Some(id);
                            send(&sock, &s.buf, &counters).await;
                        }
                    }
                }
                if stopping {
                    return Ok(hist);
                }
                continue;
            }
        }
        loop {
            let n = match sock.try_recv(&mut rbuf) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => {
                    // ICMP errors (nobody listening) surface here.
                    counters.send_errors.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            };
            let now = Instant::now();
            let data = &rbuf[..n];
            let owner = if n >= 20 {
                ids.owner[data[1] as usize]
            } else {
                FREE
            };
            if owner == FREE {
                counters.stray.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            let k = owner as usize;
            let s = &mut slot[k];
            let id = data[1];
            match verify_reply(data, code, id, &s.auth, &tpl.secret, false) {
                Ok((p, _)) => {
                    hist.record(now.duration_since(s.sent).as_nanos() as u64);
                    if matches!(p.code(), Code::ACCESS_ACCEPT | Code::ACCOUNTING_RESPONSE) {
                        counters.ok.fetch_add(1, Ordering::Relaxed);
                    } else {
                        counters.negative.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Err(_) => {
                    // Not the reply to this request (forged, late, corrupt):
                    // keep waiting for the real one.
                    counters.invalid.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
            }
            ids.owner[id as usize] = FREE;
            s.id = None;
            if stop.load(Ordering::Relaxed) {
                if slot.iter().all(|s| s.id.is_none()) {
                    return Ok(hist);
                }
                continue;
            }
            seq += 1;
            let id = ids.take(k);
            s.auth = tpl.encode(&mut s.buf, id, &mut rng, seq)?;
            s.sent = now;
            s.id = Some(id);
            send(&sock, &s.buf, &counters).await;
        }
    }
}

#[inline]
async fn send(sock: &UdpSocket, buf: &[u8], counters: &Counters) {
    let r = match sock.try_send(buf) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => sock.send(buf).await,
        r => r,
    };
    if r.is_err() {
        counters.send_errors.fetch_add(1, Ordering::Relaxed);
    }
}

/// The result of a run.
struct Report {
    elapsed: f64,
    hist: Histogram,
    ok: u64,
    negative: u64,
    invalid: u64,
    stray: u64,
    timeouts: u64,
    send_errors: u64,
    server_cpu_us_per_req: Option<f64>,
    server_cpu_percent: Option<f64>,
    client_cpu_us_per_req: Option<f64>,
}

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
        tasks = radsec_tasks(args, server, &tpl, &counters, &stop)?;
    }
    for k in (0..sockets).filter(|_| !args.radsec) {
        let slots = args.concurrency / sockets + usize::from(k < args.concurrency % sockets);
        let bind: SocketAddr = if server.is_ipv4() {
            "0.0.0.0:0".parse().expect("addr")
        } else {
            "[::]:0".parse().expect("addr")
        };
        let sock = UdpSocket::bind(bind)
            .await
            .context("binding a client socket")?;
        sock.connect(server)
            .await
            .context("connecting a client socket")?;
        // Room for every reply in flight on this socket (up to 256): with
        // the default buffer a burst of replies can overflow it, and the
        // lost ones would count against the server as timeouts.
        let _ = socket2::SockRef::from(&sock).set_recv_buffer_size(4 << 20);
        tasks.push(tokio::spawn(socket_loop(
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

fn print_report(args: &BenchArgs, server: SocketAddr, r: &Report) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles() {
        let mut h = Histogram::default();
        for v in 1..=100_000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5) as f64;
        assert!((p50 / 50_000_000.0 - 1.0).abs() < 0.04, "{p50}");
        let p99 = h.quantile(0.99) as f64;
        assert!((p99 / 99_000_000.0 - 1.0).abs() < 0.04, "{p99}");
        assert_eq!(h.max(), 100_000_000);
        assert_eq!(h.quantile(1.0), 100_000_000);
        for v in [0u64, 1, 31, 32, 33, 1000, u64::MAX / 2] {
            let i = Histogram::index(v);
            assert!(Histogram::value_of(i) <= v && v < Histogram::value_of(i + 1).max(v + 1));
        }
    }

    #[test]
    fn reads_own_cpu() {
        assert!(proc_cpu_ticks("self").is_some());
        assert!(clock_ticks() > 0);
    }

    #[test]
    fn templates_verify() {
        let s = Secret::new("testing123");
        for kind in [Kind::Auth, Kind::Acct] {
            let t = Template {
                kind,
                secret: s.clone(),
                user: b"bob".to_vec(),
                password: b"hello".to_vec(),
            };
            let mut buf = Vec::new();
            let mut j = Jitter::seeded(1);
            t.encode(&mut buf, 5, &mut j, 77).unwrap();
            let p = radius_core::Packet::decode(&buf).unwrap();
            assert_eq!(p.verify_request(&s), Ok(kind == Kind::Auth));
            let cap = buf.capacity();
            t.encode(&mut buf, 6, &mut j, 78).unwrap();
            assert_eq!(buf.capacity(), cap, "no reallocation");
        }
    }
}
