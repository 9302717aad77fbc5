//! `radius send`: radclient's job with the typed-radius client. Reads
//! attribute lists in FreeRADIUS text form (stdin or `-f FILE`, blocks
//! separated by blank lines), sends one request per list over UDP or
//! RadSec (`--radsec`), prints the verified replies in the same text form.
//! As radclient: `CHAP-Password = "secret"` is sent as a CHAP response
//! ([`chap`]), `-f requests:filters` checks each reply against a filter
//! ([`filter`]), `-s` prints radclient's summary ([`summary`]), `-n` paces
//! the requests, `-q` prints nothing per request.
//!
//! Exit status: 0 when every reply passes its filter (without one: is
//! positive, Access-Accept, Accounting-Response, CoA-ACK, Disconnect-ACK),
//! 1 when some reply does not and none is missing, 2 on any timeout or
//! error.

mod addr;
mod chap;
mod filter;
mod input;
mod output;
mod summary;
mod transport;

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use radius_core::dict::Dictionary;
use radius_core::text::Codec;
use radius_core::Code;
use radius_server::client::ClientRequest;

use addr::host_of;
pub use addr::resolve;
use input::Request;
use output::Mode;
use summary::{Outcome, Summary};
use transport::{RadSecOpts, Transport};

/// Arguments of `radius send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Print requests and replies in full (radclient -x style).
    #[arg(short = 'x')]
    verbose: bool,
    /// Print one JSON object per request on stdout (for scripts): index,
    /// code, id, server, rtt_ms, attempts, the reply's attributes as
    /// name/value pairs in the FreeRADIUS text form, passed (its filter)
    /// and failure (why not); or index and error. With -s, a last object
    /// {"summary": {...}}.
    #[arg(long, conflicts_with = "verbose")]
    json: bool,
    /// Quiet: nothing per request on stdout (failed filters, timeouts and
    /// errors still go to stderr; -s still prints the summary). The exit
    /// status is the same.
    #[arg(short = 'q', conflicts_with_all = ["verbose", "json"])]
    quiet: bool,
    /// Print radclient's summary at the end: accepted, rejected, lost,
    /// passed and failed filter.
    #[arg(short = 's')]
    summary: bool,
    /// Send each packet this many times (each a new request).
    #[arg(short = 'c', value_name = "COUNT", default_value_t = 1)]
    count: u32,
    /// Requests in flight at once.
    #[arg(short = 'p', value_name = "PARALLEL", default_value_t = 20)]
    parallel: usize,
    /// Requests per second at most, evenly spaced (radclient's -n);
    /// default: as fast as -p allows.
    #[arg(short = 'n', value_name = "PER_SECOND")]
    rate: Option<f64>,
    /// Read attribute lists from FILE instead of stdin; FILE:FILTERS also
    /// reads one filter per request from FILTERS (same layout): the
    /// comparisons its reply must pass, e.g. Reply-Message == "hi",
    /// Session-Timeout >= 60, Class =* ANY, Response-Packet-Type =
    /// Access-Reject. Repeatable; files are sent in order.
    #[arg(short = 'f', value_name = "FILE[:FILTERS]")]
    file: Vec<String>,
    /// Seconds to wait for a reply before retransmitting (with --radsec:
    /// for the connection, and for each reply).
    #[arg(short = 't', value_name = "TIMEOUT", default_value_t = 3.0)]
    timeout: f64,
    /// Transmissions per request (the first included), as radclient's -r.
    /// Ignored with --radsec: TCP does not retransmit (RFC 6613 §2.6.1).
    #[arg(short = 'r', value_name = "RETRIES", default_value_t = 3)]
    retries: u32,
    /// One packet per input line (default: blank-line-separated blocks, as
    /// radclient reads them; the lines of a block form one packet).
    #[arg(long)]
    per_line: bool,
    /// Refuse replies to Access-Request that lack Message-Authenticator.
    #[arg(long)]
    require_message_authenticator: bool,
    /// A FreeRADIUS dictionary to load at run time (a file, or a directory
    /// holding `dictionary`). A complete tree (one that defines User-Name)
    /// replaces the compiled-in dictionaries; a file that does not, such as
    /// one vendor's, is loaded on top of them.
    #[arg(long, value_name = "PATH")]
    dict: Option<PathBuf>,
    /// Send over RadSec (RADIUS over TLS, RFC 6614) with the client
    /// certificate of --tls-cert/--tls-key, to a server whose certificate
    /// chains to --tls-ca; default port 2083, shared secret "radsec".
    #[arg(long, requires_all = ["tls_cert", "tls_key", "tls_ca"])]
    radsec: bool,
    /// RadSec: client certificate chain (PEM).
    #[arg(long, value_name = "PEM", requires = "radsec")]
    tls_cert: Option<PathBuf>,
    /// RadSec: client private key (PEM).
    #[arg(long, value_name = "PEM", requires = "radsec")]
    tls_key: Option<PathBuf>,
    /// RadSec: CA certificate(s) (PEM) the server's certificate must chain to.
    #[arg(long, value_name = "PEM", requires = "radsec")]
    tls_ca: Option<PathBuf>,
    /// RadSec: the name the server's certificate must carry (default: the
    /// host of ADDR).
    #[arg(long, value_name = "NAME", requires = "radsec")]
    tls_name: Option<String>,
    /// Server: HOST[:PORT] (default port 1812 for auth and status, 1813 for
    /// acct, 3799 for coa and disconnect; 2083 with --radsec).
    #[arg(value_name = "ADDR")]
    server: String,
    /// What to send.
    #[arg(value_enum, value_name = "auth|acct|status|coa|disconnect")]
    kind: Kind,
    /// Shared secret (optional with --radsec, where it is "radsec").
    #[arg(value_name = "SECRET", required_unless_present = "radsec")]
    secret: Option<String>,
}

/// The request type.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    /// Access-Request.
    Auth,
    /// Accounting-Request.
    Acct,
    /// Status-Server.
    Status,
    /// CoA-Request.
    Coa,
    /// Disconnect-Request.
    Disconnect,
}

impl Kind {
    fn code(self) -> Code {
        match self {
            Kind::Auth => Code::ACCESS_REQUEST,
            Kind::Acct => Code::ACCOUNTING_REQUEST,
            Kind::Status => Code::STATUS_SERVER,
            Kind::Coa => Code::COA_REQUEST,
            Kind::Disconnect => Code::DISCONNECT_REQUEST,
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Kind::Auth | Kind::Status => 1812,
            Kind::Acct => 1813,
            Kind::Coa | Kind::Disconnect => 3799,
        }
    }
}

/// Run `radius send`; exits with 0/1/2 as the module documents.
pub fn run(args: SendArgs) -> anyhow::Result<()> {
    let code = match run_inner(args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {}", crate::describe(&e));
            2
        }
    };
    let _ = std::io::stdout().flush();
    if code != 0 {
        std::process::exit(code);
    }
    Ok(())
}

/// What every request task needs.
struct Opts {
    mode: Mode,
    code: Code,
    secret: String,
    dict: Arc<Dictionary>,
    transport: Transport,
}

fn run_inner(args: SendArgs) -> anyhow::Result<i32> {
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        bail!("-t must be a positive number of seconds");
    }
    let pace = match args.rate {
        None => None,
        Some(n) if n > 0.0 && n.is_finite() => Some(Duration::from_secs_f64(1.0 / n)),
        Some(_) => bail!("-n must be a positive number of requests per second"),
    };
    let dict = Arc::new(crate::embedded::load_layered(args.dict.as_deref())?);
    let default_port = if args.radsec {
        2083 // RFC 6614 §2.1
    } else {
        args.kind.default_port()
    };
    let server = resolve(&args.server, default_port)?;
    // Parse everything before sending anything.
    let requests = input::read(
        &dict,
        &input::Sources {
            files: &args.file,
            per_line: args.per_line,
            status: matches!(args.kind, Kind::Status),
            chap: matches!(args.kind, Kind::Auth),
        },
    )?;
    let secret = match (&args.secret, args.radsec) {
        (Some(s), _) => s.clone(),
        (None, true) => radius_proto::radsec::RADSEC_SECRET.to_owned(),
        (None, false) => bail!("a shared secret is needed"),
    };
    let mode = if args.quiet {
        Mode::Quiet
    } else if args.json {
        Mode::Json
    } else if args.verbose {
        Mode::Verbose
    } else {
        Mode::Compact
    };
    let timeout = Duration::from_secs_f64(args.timeout);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let transport = match (&args.tls_cert, &args.tls_key, &args.tls_ca) {
            (Some(cert), Some(key), Some(ca)) if args.radsec => {
                let tls = RadSecOpts {
                    cert,
                    key,
                    ca,
                    name: args
                        .tls_name
                        .clone()
                        .unwrap_or_else(|| host_of(&args.server)),
                };
                Transport::radsec(
                    server,
                    &secret,
                    timeout,
                    args.require_message_authenticator,
                    &tls,
                )?
            }
            _ => Transport::udp(
                server,
                &secret,
                timeout,
                args.retries,
                args.require_message_authenticator,
            ),
        };
        let opts = Arc::new(Opts {
            mode,
            code: args.kind.code(),
            secret,
            dict,
            transport,
        });
        let sem = Arc::new(tokio::sync::Semaphore::new(args.parallel.max(1)));
        let requests = Arc::new(requests);
        let mut set = tokio::task::JoinSet::new();
        let mut n = 0usize;
        let mut summary = Summary::default();
        let mut worst = 0;
        let mut tally = |o: Outcome| {
            summary.record(o);
            worst = worst.max(o.exit_code());
        };
        let mut next_at = tokio::time::Instant::now();
        for _ in 0..args.count.max(1) {
            for i in 0..requests.len() {
                let permit = sem.clone().acquire_owned().await.expect("open");
                if let Some(gap) = pace {
                    // Evenly spaced: a request waits for its turn, and a
                    // late one does not let the next ones catch up.
                    tokio::time::sleep_until(next_at).await;
                    next_at = next_at.max(tokio::time::Instant::now()) + gap;
                }
                let (requests, opts) = (requests.clone(), opts.clone());
                let index = n;
                n += 1;
                set.spawn(async move {
                    let _permit = permit;
                    one(&opts, &requests[i], index).await
                });
                // Reap finished ones as we go so memory stays flat.
                while let Some(r) = set.try_join_next() {
                    tally(r.unwrap_or(Outcome::Lost));
                }
            }
        }
        while let Some(r) = set.join_next().await {
            tally(r.unwrap_or(Outcome::Lost));
        }
        if args.summary {
            if mode == Mode::Json {
                println!("{}", summary.json());
            } else {
                print!("{}", summary.text());
            }
        }
        Ok(worst)
    })
}

/// Send one request; print the outcome.
async fn one(opts: &Opts, request: &Request, index: usize) -> Outcome {
    let mut req = ClientRequest::new(opts.code);
    let codec = Codec::new(&opts.dict)
        .with_secret(&opts.secret)
        .with_authenticator(*req.authenticator());
    let mut pairs = request.pairs.clone();
    if let Some(chap) = &request.chap {
        chap.fill(&mut pairs, req.authenticator());
    }
    let encoded = match codec.encode(&pairs) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("({index}) error: {e}");
            return Outcome::Lost;
        }
    };
    if let Err(e) = req.raw(&encoded) {
        eprintln!("({index}) error: {e}");
        return Outcome::Lost;
    }
    let reply = match opts.transport.send(&req).await {
        Ok(r) => r,
        Err(f) => {
            output::failed(opts.mode, index, &f);
            return Outcome::Lost;
        }
    };
    let reply_codec = Codec::new(&opts.dict)
        .with_secret(&opts.secret)
        .with_authenticator(reply.request_auth);
    let reply_pairs = reply_codec.decode(&reply.bytes[20..]).unwrap_or_default();
    let code = Code(reply.bytes[0]);
    let verdict = request
        .expect
        .check(opts.code, code, &reply_pairs, &reply_codec);
    let text = output::reply(
        opts.mode,
        &output::Shown {
            index,
            code: opts.code,
            reply: &reply,
            request_codec: &codec,
            reply_codec: &reply_codec,
            pairs: &reply_pairs,
            verdict: &verdict,
        },
    );
    {
        let mut so = std::io::stdout().lock();
        let _ = so.write_all(text.as_bytes());
    }
    if let (Err(why), false) = (&verdict, opts.mode == Mode::Json) {
        eprintln!("({index}) {}: {why}", request.source);
    }
    Outcome::Reply {
        code,
        passed: verdict.is_ok(),
    }
}
