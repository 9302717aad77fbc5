//! What `radius send` prints for one reply or failure: a compact line
//! (default), radclient's `-x` blocks, one JSON object (`--json`) or
//! nothing (`-q`); filter failures and errors go to stderr.

use std::fmt::Write as _;

use radius_core::text::{Codec, Pair};
use radius_core::Code;

use super::transport::{Failed, Reply};

/// How much to print per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    /// One line per reply.
    Compact,
    /// `-x`: what was sent and what came back, attribute by attribute.
    Verbose,
    /// `--json`: one object per request.
    Json,
    /// `-q`: nothing on stdout.
    Quiet,
}

/// One verified reply, decoded.
pub(super) struct Shown<'a> {
    /// Which request (0-based, in sending order).
    pub index: usize,
    /// The request's code.
    pub code: Code,
    /// The reply and its request.
    pub reply: &'a Reply,
    /// Decodes the request's attributes.
    pub request_codec: &'a Codec<'a>,
    /// Decodes the reply's attributes.
    pub reply_codec: &'a Codec<'a>,
    /// The reply's attributes.
    pub pairs: &'a [Pair],
    /// Whether it passed its filter; why not.
    pub verdict: &'a Result<(), String>,
}

/// The stdout text for a reply in `mode`.
pub(super) fn reply(mode: Mode, s: &Shown<'_>) -> String {
    let r = s.reply;
    let code = Code(r.bytes[0]);
    let id = r.bytes[1];
    let mut out = String::new();
    match mode {
        Mode::Quiet => {}
        Mode::Json => {
            let attrs: Vec<serde_json::Value> = s
                .pairs
                .iter()
                .map(|p| {
                    let text = s.reply_codec.format_pair(p);
                    let (name, value) = text.split_once(" = ").unwrap_or((&text, ""));
                    serde_json::json!({ "name": name, "value": value })
                })
                .collect();
            let mut v = serde_json::json!({
                "index": s.index,
                "code": code.to_string(),
                "id": id,
                "server": r.server.to_string(),
                "rtt_ms": r.rtt.as_secs_f64() * 1000.0,
                "attempts": r.attempts,
                "attributes": attrs,
                "passed": s.verdict.is_ok(),
            });
            if let Err(why) = s.verdict {
                v["failure"] = why.as_str().into();
            }
            let _ = writeln!(out, "{v}");
        }
        Mode::Verbose => {
            let (from, to) = match r.local {
                Some(local) => (format!("from {local}"), format!("to {local}")),
                None => ("over TLS".to_owned(), "over TLS".to_owned()),
            };
            let _ = writeln!(
                out,
                "Sent {} Id {} {from} to {} length {}",
                s.code,
                r.request.get(1).copied().unwrap_or_default(),
                r.server,
                r.request.len()
            );
            // What was sent, decoded from the octets: the pairs given (a
            // CHAP response in place of its password) plus what the client
            // added (Message-Authenticator).
            let sent = r.request.get(20..).unwrap_or_default();
            for p in &s.request_codec.decode(sent).unwrap_or_default() {
                let _ = writeln!(out, "\t{}", s.request_codec.format_pair(p));
            }
            let _ = writeln!(
                out,
                "Received {code} Id {id} from {} {to} length {}",
                r.server,
                r.bytes.len()
            );
            for p in s.pairs {
                let _ = writeln!(out, "\t{}", s.reply_codec.format_pair(p));
            }
        }
        Mode::Compact => {
            let _ = write!(
                out,
                "({}) {code} Id {id} from {} in {:.1} ms",
                s.index,
                r.server,
                r.rtt.as_secs_f64() * 1000.0
            );
            if r.attempts > 1 {
                let _ = write!(out, " ({} attempts)", r.attempts);
            }
            if !s.pairs.is_empty() {
                let _ = write!(out, ": {}", s.reply_codec.format(s.pairs));
            }
            out.push('\n');
        }
    }
    out
}

/// A request without a reply: a JSON object on stdout (`--json`), or a
/// line on stderr.
pub(super) fn failed(mode: Mode, index: usize, f: &Failed) {
    if mode == Mode::Json {
        let v = serde_json::json!({
            "index": index,
            "error": f.message,
            "timeout": f.timeout,
        });
        println!("{v}");
    } else if f.timeout {
        eprintln!("({index}) {}", f.message);
    } else {
        eprintln!("({index}) error: {}", f.message);
    }
}
