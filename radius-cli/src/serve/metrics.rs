//! Prometheus metrics for `radius serve` (`--metrics ADDR`): `GET /metrics`
//! answers the text exposition format (version 0.0.4) with the server's
//! counters, the RadSec listener's, the accounting store's (spool depth,
//! database errors), EAP conversations in progress and each home server's
//! health and counters.
//!
//! Names follow Prometheus conventions (`radius_` prefix, `_total` for
//! counters, one metric with a label where FreeRADIUS's exporter has one
//! metric per code), so its dashboards map over: `freeradius_total_access_accepts`
//! is `radius_replies_total{code="Access-Accept",transport="udp"}`.
//!
//! The HTTP side is the least a scraper needs: one request per connection,
//! bounded in size and time, `GET /metrics` or 404.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use radius_proto::host::ClientCounters;
use radius_proto::stats::{DropReason, StatsSnapshot, LATENCY_BUCKETS};
use radius_server::proxy::health::State;
use radius_server::proxy::HomeStats;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What one scrape reports.
#[derive(Debug, Default)]
pub struct Sample {
    /// The UDP listeners' counters.
    pub udp: StatsSnapshot,
    /// The RadSec listener's, when it runs.
    pub radsec: Option<StatsSnapshot>,
    /// EAP conversations waiting for the peer.
    pub eap_in_progress: usize,
    /// The accounting store: (records in the spool, failed database
    /// writes, records refused because the spool was full); `None` for
    /// SQLite, which has no spool.
    pub store: Option<(u64, u64, u64)>,
    /// Each home server, when proxying.
    pub homes: Vec<HomeStats>,
    /// Each client (by name; entries of one name summed).
    pub clients: Vec<(String, ClientCounters)>,
}

/// Reads one counter of a snapshot.
type Counter = fn(&StatsSnapshot) -> u64;

/// Render `s` in the Prometheus text format.
pub fn render(s: &Sample) -> String {
    let mut out = String::with_capacity(4096);
    let transports: Vec<(&str, &StatsSnapshot)> = std::iter::once(("udp", &s.udp))
        .chain(s.radsec.as_ref().map(|r| ("radsec", r)))
        .collect();
    let mut family = |name: &str, kind: &str, help: &str, rows: Vec<(String, u64)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in rows {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    let per = |f: &dyn Fn(&StatsSnapshot) -> u64| {
        transports
            .iter()
            .map(|(t, x)| (format!("{{transport=\"{t}\"}}"), f(x)))
            .collect::<Vec<_>>()
    };
    family(
        "radius_datagrams_received_total",
        "counter",
        "Datagrams (or RadSec packets) received.",
        per(&|x| x.received),
    );
    family(
        "radius_requests_total",
        "counter",
        "Requests handed to a handler (after every check, duplicates excluded).",
        per(&|x| x.dispatched),
    );
    let codes: [(&str, Counter); 8] = [
        ("Access-Accept", |x| x.accepted),
        ("Access-Reject", |x| x.rejected),
        ("Access-Challenge", |x| x.challenged),
        ("Accounting-Response", |x| x.accounting_responses),
        ("CoA-ACK", |x| x.coa_acks),
        ("CoA-NAK", |x| x.coa_naks),
        ("Disconnect-ACK", |x| x.disconnect_acks),
        ("Disconnect-NAK", |x| x.disconnect_naks),
    ];
    let mut rows = Vec::new();
    for (t, x) in &transports {
        for (code, f) in &codes {
            rows.push((format!("{{transport=\"{t}\",code=\"{code}\"}}"), f(x)));
        }
    }
    family(
        "radius_replies_total",
        "counter",
        "Replies sent, by code.",
        rows,
    );
    family(
        "radius_status_server_total",
        "counter",
        "Status-Server requests answered (RFC 5997).",
        per(&|x| x.status_server),
    );
    family(
        "radius_duplicates_total",
        "counter",
        "Retransmissions answered from the reply cache.",
        per(&|x| x.duplicates),
    );
    let mut rows = Vec::new();
    for (t, x) in &transports {
        for r in DropReason::ALL {
            rows.push((
                format!("{{transport=\"{t}\",reason=\"{}\"}}", r.as_str()),
                x.dropped(*r),
            ));
        }
    }
    family(
        "radius_dropped_total",
        "counter",
        "Datagrams or requests dropped without an answer, by reason.",
        rows,
    );
    let mut hist = String::from(
        "# HELP radius_request_duration_seconds Time from a request's arrival to its reply being sent.\n\
         # TYPE radius_request_duration_seconds histogram\n",
    );
    for (t, x) in &transports {
        let mut cumulative = 0;
        // Every bucket, present or not in the snapshot.
        let counts = (0..=LATENCY_BUCKETS.len()).map(|i| x.latency.get(i).copied().unwrap_or(0));
        for (i, n) in counts.enumerate() {
            cumulative += n;
            let le = LATENCY_BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(
                hist,
                "radius_request_duration_seconds_bucket{{transport=\"{t}\",le=\"{le}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            hist,
            "radius_request_duration_seconds_sum{{transport=\"{t}\"}} {}\nradius_request_duration_seconds_count{{transport=\"{t}\"}} {cumulative}",
            x.latency_sum_ns as f64 / 1e9
        );
    }
    let mut merged: Vec<(String, ClientCounters)> = Vec::new();
    for (name, c) in &s.clients {
        match merged.iter_mut().find(|(n, _)| n == name) {
            Some((_, m)) => {
                m.requests += c.requests;
                m.accepts += c.accepts;
                m.rejects += c.rejects;
                m.challenges += c.challenges;
                m.accounting_responses += c.accounting_responses;
                m.other_replies += c.other_replies;
            }
            None => merged.push((name.clone(), *c)),
        }
    }
    let client_rows = |f: &dyn Fn(&ClientCounters) -> u64| {
        merged
            .iter()
            .map(|(n, c)| (format!("{{client=\"{}\"}}", escape(n)), f(c)))
            .collect::<Vec<_>>()
    };
    family(
        "radius_client_requests_total",
        "counter",
        "Requests handed to a handler, per client.",
        client_rows(&|c| c.requests),
    );
    let mut rows = Vec::new();
    for (n, c) in &merged {
        for (code, v) in [
            ("Access-Accept", c.accepts),
            ("Access-Reject", c.rejects),
            ("Access-Challenge", c.challenges),
            ("Accounting-Response", c.accounting_responses),
            ("other", c.other_replies),
        ] {
            rows.push((format!("{{client=\"{}\",code=\"{code}\"}}", escape(n)), v));
        }
    }
    family(
        "radius_client_replies_total",
        "counter",
        "Replies sent, per client and code.",
        rows,
    );
    family(
        "radius_eap_sessions_in_progress",
        "gauge",
        "EAP conversations waiting for the peer's next round.",
        vec![(String::new(), s.eap_in_progress as u64)],
    );
    if let Some((depth, errors, refused)) = s.store {
        family(
            "radius_accounting_spool_records",
            "gauge",
            "Accounting records in the local spool, waiting for the database.",
            vec![(String::new(), depth)],
        );
        family(
            "radius_accounting_db_errors_total",
            "counter",
            "Failed accounting database writes and connection attempts.",
            vec![(String::new(), errors)],
        );
        family(
            "radius_accounting_refused_total",
            "counter",
            "Accounting requests left unanswered because the spool was full.",
            vec![(String::new(), refused)],
        );
    }
    if !s.homes.is_empty() {
        let label = |h: &HomeStats| format!("{{home_server=\"{}\"}}", escape(&h.name));
        let rows = |f: &dyn Fn(&HomeStats) -> u64| {
            s.homes.iter().map(|h| (label(h), f(h))).collect::<Vec<_>>()
        };
        family(
            "radius_proxy_forwarded_total",
            "counter",
            "Requests forwarded to the home server.",
            rows(&|h| h.forwarded),
        );
        family(
            "radius_proxy_invalid_replies_total",
            "counter",
            "Replies from the home server that failed verification (dropped).",
            rows(&|h| h.invalid_replies),
        );
        family(
            "radius_proxy_timeouts_total",
            "counter",
            "Requests the home server did not answer in time.",
            rows(&|h| h.timeouts),
        );
        let mut states = Vec::new();
        for h in &s.homes {
            for (name, st) in [
                ("alive", State::Alive),
                ("zombie", State::Zombie),
                ("dead", State::Dead),
            ] {
                states.push((
                    format!("{{home_server=\"{}\",state=\"{name}\"}}", escape(&h.name)),
                    u64::from(h.state == st),
                ));
            }
        }
        family(
            "radius_proxy_home_server_state",
            "gauge",
            "1 for the home server's current health state.",
            states,
        );
    }
    out.push_str(&hist);
    out
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Serve `GET /metrics` on `addr` with what `sample` returns, until the
/// runtime stops. Returns the bound address (port 0 picks one).
pub async fn serve(
    addr: SocketAddr,
    sample: Arc<dyn Fn() -> Sample + Send + Sync>,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                continue;
            };
            let sample = sample.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(Duration::from_secs(5), async {
                    let mut buf = Vec::with_capacity(1024);
                    let mut chunk = [0u8; 1024];
                    // The request head, at most 8 KiB.
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < 8192 {
                        let n = conn.read(&mut chunk).await?;
                        if n == 0 {
                            break;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                    }
                    let line = buf.split(|&b| b == b'\r').next().unwrap_or_default();
                    let mut parts = line.split(|&b| b == b' ');
                    let (method, path) = (parts.next(), parts.next());
                    let path = path.map(|p| p.split(|&b| b == b'?').next().unwrap_or(p));
                    let resp = if method == Some(b"GET") && path == Some(b"/metrics") {
                        let body = render(&sample());
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                    } else {
                        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                            .to_owned()
                    };
                    conn.write_all(resp.as_bytes()).await?;
                    conn.shutdown().await
                })
                .await;
            });
        }
    });
    Ok(local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family_with_help_type_and_labels() {
        let mut udp = StatsSnapshot {
            received: 10,
            dispatched: 9,
            accepted: 5,
            rejected: 3,
            ..StatsSnapshot::default()
        };
        udp.dropped = DropReason::ALL.iter().map(|r| (*r, 0)).collect();
        udp.dropped[0].1 = 1;
        let text = render(&Sample {
            udp,
            radsec: None,
            eap_in_progress: 2,
            store: Some((4, 1, 0)),
            homes: vec![],
            clients: vec![],
        });
        assert!(text.contains("# TYPE radius_replies_total counter\n"));
        assert!(text.contains("radius_replies_total{transport=\"udp\",code=\"Access-Accept\"} 5\n"));
        assert!(text.contains("radius_requests_total{transport=\"udp\"} 9\n"));
        assert!(text.contains("radius_dropped_total{transport=\"udp\",reason=\"too_short\"} 1\n"));
        assert!(text.contains("radius_eap_sessions_in_progress 2\n"));
        assert!(text.contains("radius_accounting_spool_records 4\n"));
        assert!(!text.contains("transport=\"radsec\""));
        assert!(!text.contains("radius_proxy_"));
        assert!(text.contains("# TYPE radius_request_duration_seconds histogram\n"));
        assert!(text
            .contains("radius_request_duration_seconds_bucket{transport=\"udp\",le=\"+Inf\"} 0\n"));
        // Every sample line belongs to a family declared just before.
        let mut declared = std::collections::HashSet::new();
        for l in text.lines() {
            if let Some(rest) = l.strip_prefix("# TYPE ") {
                declared.insert(rest.split(' ').next().unwrap().to_owned());
            } else if !l.starts_with('#') {
                let name = l.split(['{', ' ']).next().unwrap();
                let base = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s))
                    .filter(|b| declared.contains(*b))
                    .unwrap_or(name);
                assert!(declared.contains(base), "{l}");
            }
        }
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }
}
