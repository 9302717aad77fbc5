//! `radius send`: radclient's job with the typed-radius client. Reads
//! attribute lists in FreeRADIUS text form (stdin or `-f FILE`), sends one
//! request per list, prints the verified replies in the same text form.
//!
//! Exit status: 0 when every reply is positive (Access-Accept,
//! Accounting-Response, CoA-ACK, Disconnect-ACK), 1 when some reply is
//! negative (Access-Reject, Access-Challenge, NAK) and none timed out,
//! 2 on any timeout or error.

use std::fmt::Write as _;
use std::io::{IsTerminal, Read, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _};
use radius_core::dict::Dictionary;
use radius_core::text::{Codec, Pair};
use radius_core::Code;
use radius_server::client::{ClientRequest, RequireMessageAuthenticator, RetryPolicy, UdpClient};

/// Arguments of `radius send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {
    /// Print requests and replies in full (radclient -x style).
    #[arg(short = 'x')]
    verbose: bool,
    /// Print one JSON object per request on stdout (for scripts): index,
    /// code, id, server, rtt_ms, attempts and the reply's attributes as
    /// name/value pairs in the FreeRADIUS text form; or index and error.
    #[arg(long, conflicts_with = "verbose")]
    json: bool,
    /// Send each packet this many times (each a new request).
    #[arg(short = 'c', value_name = "COUNT", default_value_t = 1)]
    count: u32,
    /// Requests in flight at once.
    #[arg(short = 'p', value_name = "PARALLEL", default_value_t = 20)]
    parallel: usize,
    /// Read attribute lists from FILE instead of stdin.
    #[arg(short = 'f', value_name = "FILE")]
    file: Option<PathBuf>,
    /// Seconds to wait for a reply before retransmitting.
    #[arg(short = 't', value_name = "TIMEOUT", default_value_t = 3.0)]
    timeout: f64,
    /// Transmissions per request (the first included), as radclient's -r.
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
    /// Server: HOST[:PORT] (default port 1812 for auth and status, 1813 for
    /// acct, 3799 for coa and disconnect).
    #[arg(value_name = "ADDR")]
    server: String,
    /// What to send.
    #[arg(value_enum, value_name = "auth|acct|status|coa|disconnect")]
    kind: Kind,
    /// Shared secret.
    #[arg(value_name = "SECRET")]
    secret: String,
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

/// Resolve `HOST[:PORT]` (IPv6 as `[::1]:1812` or a bare `::1`).
pub fn resolve(addr: &str, default_port: u16) -> anyhow::Result<SocketAddr> {
    if let Ok(a) = addr.parse::<SocketAddr>() {
        return Ok(a);
    }
    if let Ok(ip) = addr.parse::<std::net::IpAddr>() {
        return Ok(SocketAddr::new(ip, default_port));
    }
    let with_port = if addr
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        addr.to_string()
    } else {
        format!("{addr}:{default_port}")
    };
    with_port
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {addr:?}"))?
        .next()
        .with_context(|| format!("{addr:?} resolves to no address"))
}

/// Split input into attribute lists: (1-based first line, text).
fn split_input(text: &str, per_line: bool) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('#') {
            continue;
        }
        if t.is_empty() {
            out.extend(cur.take());
            continue;
        }
        if per_line {
            out.push((i + 1, t.to_string()));
            continue;
        }
        match &mut cur {
            None => cur = Some((i + 1, t.to_string())),
            Some((_, s)) => {
                // Lines of one block are one list; join with a comma unless
                // the previous line already ends with one.
                if !s.trim_end().ends_with(',') {
                    s.push(',');
                }
                s.push(' ');
                s.push_str(t);
            }
        }
    }
    out.extend(cur);
    out
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

fn run_inner(args: SendArgs) -> anyhow::Result<i32> {
    if !(args.timeout > 0.0 && args.timeout.is_finite()) {
        bail!("-t must be a positive number of seconds");
    }
    let dict = Arc::new(crate::embedded::load_layered(args.dict.as_deref())?);
    let server = resolve(&args.server, args.kind.default_port())?;
    let text = match &args.file {
        Some(f) => {
            std::fs::read_to_string(f).with_context(|| format!("reading {}", f.display()))?
        }
        None if std::io::stdin().is_terminal() && matches!(args.kind, Kind::Status) => {
            String::new()
        }
        None => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading stdin")?;
            s
        }
    };
    let mut lists = split_input(&text, args.per_line);
    if lists.is_empty() {
        if matches!(args.kind, Kind::Status) {
            lists.push((0, String::new()));
        } else {
            bail!("no attribute lists on input (one per line or blank-line-separated blocks, e.g. User-Name = \"bob\", User-Password = \"hello\")");
        }
    }
    // Parse everything before sending anything.
    let codec = Codec::new(&dict);
    let mut packets: Vec<Vec<Pair>> = Vec::with_capacity(lists.len());
    let source = args
        .file
        .as_ref()
        .map_or_else(|| "stdin".to_string(), |f| f.display().to_string());
    for (line, text) in &lists {
        if text.is_empty() {
            packets.push(Vec::new());
            continue;
        }
        let pairs = codec
            .parse(text)
            .map_err(|e| anyhow::anyhow!("{source}:{line}: {e}"))?;
        packets.push(pairs);
    }
    let timeout = Duration::from_secs_f64(args.timeout);
    let policy = RetryPolicy::fixed(timeout, args.retries.max(1));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let opts = Opts {
        verbose: args.verbose,
        json: args.json,
        code: args.kind.code(),
        secret: args.secret.clone(),
    };
    let require = if args.require_message_authenticator {
        RequireMessageAuthenticator::Yes
    } else {
        RequireMessageAuthenticator::Auto
    };
    rt.block_on(async move {
        let client = UdpClient::builder(server, &args.secret)
            .retry(policy)
            .require_message_authenticator(require)
            .build();
        let sem = Arc::new(tokio::sync::Semaphore::new(args.parallel.max(1)));
        let packets = Arc::new(packets);
        let opts = Arc::new(opts);
        let mut set = tokio::task::JoinSet::new();
        let mut n = 0usize;
        let mut worst = 0;
        for _ in 0..args.count.max(1) {
            for i in 0..packets.len() {
                let permit = sem.clone().acquire_owned().await.expect("open");
                let (client, packets, dict, opts) =
                    (client.clone(), packets.clone(), dict.clone(), opts.clone());
                let index = n;
                n += 1;
                set.spawn(async move {
                    let _permit = permit;
                    one(&client, &dict, &packets[i], index, &opts).await
                });
                // Reap finished ones as we go so memory stays flat.
                while let Some(r) = set.try_join_next() {
                    worst = worst.max(r.unwrap_or(2));
                }
            }
        }
        // Each task printed its result; combine the exit codes.
        while let Some(r) = set.join_next().await {
            worst = worst.max(r.unwrap_or(2));
        }
        Ok(worst)
    })
}

struct Opts {
    verbose: bool,
    json: bool,
    code: Code,
    secret: String,
}

/// Send one list; print the outcome; return 0/1/2.
async fn one(
    client: &UdpClient,
    dict: &Dictionary,
    pairs: &[Pair],
    index: usize,
    opts: &Opts,
) -> i32 {
    let mut req = ClientRequest::new(opts.code);
    let codec = Codec::new(dict)
        .with_secret(&opts.secret)
        .with_authenticator(*req.authenticator());
    let encoded = match codec.encode(pairs) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("({index}) error: {e}");
            return 2;
        }
    };
    if let Err(e) = req.raw(&encoded) {
        eprintln!("({index}) error: {e}");
        return 2;
    }
    match client.send(&req).await {
        Ok(resp) => {
            let mut out = String::new();
            let reply_codec = Codec::new(dict)
                .with_secret(&opts.secret)
                .with_authenticator(*resp.crypto().authenticator);
            let reply_pairs = reply_codec
                .decode(&resp.as_bytes()[20..])
                .unwrap_or_default();
            if opts.json {
                let attrs: Vec<serde_json::Value> = reply_pairs
                    .iter()
                    .map(|p| {
                        let text = reply_codec.format_pair(p);
                        let (name, value) = text.split_once(" = ").unwrap_or((&text, ""));
                        serde_json::json!({ "name": name, "value": value })
                    })
                    .collect();
                let v = serde_json::json!({
                    "index": index,
                    "code": resp.code().to_string(),
                    "id": resp.identifier(),
                    "server": resp.server().to_string(),
                    "rtt_ms": resp.rtt().as_secs_f64() * 1000.0,
                    "attempts": resp.attempts(),
                    "attributes": attrs,
                });
                let _ = writeln!(out, "{v}");
            } else if opts.verbose {
                let sent = resp.request();
                let _ = writeln!(
                    out,
                    "Sent {} Id {} from {} to {} length {}",
                    opts.code,
                    sent[1],
                    resp.local_addr(),
                    resp.server(),
                    sent.len()
                );
                // What was sent, decoded from the octets: the pairs given
                // plus what the client added (Message-Authenticator).
                let sent_pairs = codec.decode(&sent[20..]).unwrap_or_default();
                for p in &sent_pairs {
                    let _ = writeln!(out, "\t{}", codec.format_pair(p));
                }
                let _ = writeln!(
                    out,
                    "Received {} Id {} from {} to {} length {}",
                    resp.code(),
                    resp.identifier(),
                    resp.server(),
                    resp.local_addr(),
                    resp.as_bytes().len()
                );
                for p in &reply_pairs {
                    let _ = writeln!(out, "\t{}", reply_codec.format_pair(p));
                }
            } else {
                let _ = write!(
                    out,
                    "({index}) {} Id {} from {} in {:.1} ms",
                    resp.code(),
                    resp.identifier(),
                    resp.server(),
                    resp.rtt().as_secs_f64() * 1000.0
                );
                if resp.attempts() > 1 {
                    let _ = write!(out, " ({} attempts)", resp.attempts());
                }
                if !reply_pairs.is_empty() {
                    let _ = write!(out, ": {}", reply_codec.format(&reply_pairs));
                }
                out.push('\n');
            }
            let mut so = std::io::stdout().lock();
            let _ = so.write_all(out.as_bytes());
            if resp.is_positive() {
                0
            } else {
                1
            }
        }
        Err(e) => {
            if opts.json {
                let v = serde_json::json!({
                    "index": index,
                    "error": e.to_string(),
                    "timeout": e.is_timeout(),
                });
                println!("{v}");
            } else if e.is_timeout() {
                eprintln!("({index}) {e}");
            } else {
                eprintln!("({index}) error: {e}");
            }
            2
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_blocks_and_lines() {
        let t = "# comment\nUser-Name = \"a\"\nUser-Password = \"p\"\n\n\nUser-Name = \"b\",\n  NAS-Port = 1\n";
        let b = split_input(t, false);
        assert_eq!(
            b,
            vec![
                (2, "User-Name = \"a\", User-Password = \"p\"".to_string()),
                (6, "User-Name = \"b\", NAS-Port = 1".to_string())
            ]
        );
        let l = split_input("a = 1\nb = 2\n\nc = 3", true);
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn resolves_with_default_ports() {
        assert_eq!(resolve("127.0.0.1", 1812).unwrap().port(), 1812);
        assert_eq!(resolve("127.0.0.1:99", 1812).unwrap().port(), 99);
        assert_eq!(resolve("::1", 3799).unwrap().port(), 3799);
        assert_eq!(resolve("[::1]:5", 3799).unwrap().port(), 5);
        assert_eq!(resolve("localhost", 1813).unwrap().port(), 1813);
    }
}
