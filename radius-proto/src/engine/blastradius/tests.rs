//! The BlastRADIUS drop lines, read back from a tracing layer that keeps
//! every event's level and fields.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use radius_core::{Code, PacketWriter, Secret};
use tracing::field::{Field, Visit};
use tracing::{Event as TraceEvent, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::engine::{Engine, EngineConfig, Event, Incoming};
use crate::host::{Cidr, ClientConfig, HostTable, Policy};
use crate::live_hosts::LiveHosts;
use crate::stats::{DropReason, LogLimiter, Stats};
use crate::PortKind;

const SECRET: &str = "testing123";

/// One logged event: its level and fields (`message` included).
#[derive(Debug, Clone)]
struct Line {
    level: Level,
    fields: BTreeMap<String, String>,
}

impl Line {
    fn get(&self, k: &str) -> &str {
        self.fields.get(k).map_or("", |s| s.as_str())
    }
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Line>>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, f: &Field, v: &str) {
        self.0.insert(f.name().into(), v.into());
    }
    fn record_debug(&mut self, f: &Field, v: &dyn std::fmt::Debug) {
        self.0.insert(f.name().into(), format!("{v:?}"));
    }
}

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, e: &TraceEvent<'_>, _: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        e.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().push(Line {
            level: *e.metadata().level(),
            fields,
        });
    }
}

impl Capture {
    fn lines(&self) -> Vec<Line> {
        self.0.lock().unwrap().clone()
    }

    fn warns(&self) -> Vec<Line> {
        self.lines()
            .into_iter()
            .filter(|l| l.level == Level::WARN)
            .collect()
    }

    /// Run `f` with this layer as the thread's subscriber.
    fn during<R>(&self, f: impl FnOnce() -> R) -> R {
        let sub = tracing_subscriber::registry().with(self.clone());
        tracing::subscriber::with_default(sub, f)
    }
}

fn request(id: u8, ma: bool, attrs: &[(u8, &[u8])]) -> Vec<u8> {
    let secret = Secret::new(SECRET);
    let mut buf = Vec::new();
    let mut w = PacketWriter::request(&mut buf, Code::ACCESS_REQUEST, id);
    if ma {
        w.message_authenticator().unwrap();
    }
    w.attr(1, b"bob").unwrap();
    for (t, v) in attrs {
        w.attr(*t, v).unwrap();
    }
    w.finish(&secret).unwrap();
    buf
}

fn send(e: &Engine, pkt: &[u8], src: &str, now: Instant) -> Event {
    let src: SocketAddr = src.parse().unwrap();
    e.handle(
        Incoming::datagram(pkt, src, PortKind::Auth),
        now,
        &mut Vec::new(),
    )
}

fn net(s: &str) -> Cidr {
    s.parse().unwrap()
}

const EAP: (u8, &[u8]) = (79, &[2, 0, 0, 5, 1]);
const PS: (u8, &[u8]) = (33, b"ps");

#[test]
fn first_drop_per_nas_and_rule_is_one_warn_with_the_fix() {
    let hosts = HostTable::new()
        .with(
            net("10.0.0.0/8"),
            ClientConfig::new("lab", SECRET).require_message_authenticator(Policy::Yes),
        )
        .with(net("192.0.2.1/32"), ClientConfig::new("edge", SECRET))
        .with(
            net("198.51.100.0/24"),
            ClientConfig::new("wifi", SECRET)
                .require_message_authenticator(Policy::No)
                .limit_proxy_state(Policy::Yes),
        );
    let e = Engine::new(hosts, EngineConfig::default());
    let cap = Capture::default();
    let now = Instant::now();
    let dropped =
        |ev: Event, r: DropReason| assert!(matches!(ev, Event::Drop(x) if x == r), "{ev:?}");
    let missing = DropReason::MissingMessageAuthenticator;
    let ps = DropReason::ProxyStateWithoutMessageAuthenticator;
    cap.during(|| {
        // require_message_authenticator = yes: two NASes of one entry, the
        // first from two source ports.
        for id in 0..5 {
            dropped(
                send(&e, &request(id, false, &[]), "10.0.0.1:1812", now),
                missing,
            );
        }
        dropped(
            send(&e, &request(9, false, &[]), "10.0.0.1:4000", now),
            missing,
        );
        for id in 0..3 {
            dropped(
                send(&e, &request(id, false, &[]), "10.0.0.2:1812", now),
                missing,
            );
        }
        // auto: learned from a request with Message-Authenticator.
        assert!(matches!(
            send(&e, &request(0, true, &[]), "192.0.2.1:1812", now),
            Event::Dispatch(_)
        ));
        for id in 1..5 {
            dropped(
                send(&e, &request(id, false, &[]), "192.0.2.1:1812", now),
                missing,
            );
        }
        // EAP without Message-Authenticator, and Proxy-State
        // (limit_proxy_state = yes): one line per rule.
        for id in 0..3 {
            dropped(
                send(&e, &request(id, false, &[EAP]), "198.51.100.7:1812", now),
                missing,
            );
            dropped(
                send(
                    &e,
                    &request(id + 10, false, &[PS]),
                    "198.51.100.7:1812",
                    now,
                ),
                ps,
            );
        }
    });
    let warns = cap.warns();
    let got: Vec<(&str, &str, &str)> = warns
        .iter()
        .map(|l| (l.get("client"), l.get("nas"), l.get("reason")))
        .collect();
    assert_eq!(
        got,
        [
            ("lab", "10.0.0.1", "missing_message_authenticator"),
            ("lab", "10.0.0.2", "missing_message_authenticator"),
            ("edge", "192.0.2.1", "missing_message_authenticator"),
            ("wifi", "198.51.100.7", "missing_message_authenticator"),
            (
                "wifi",
                "198.51.100.7",
                "proxy_state_without_message_authenticator"
            ),
        ],
        "{warns:#?}"
    );
    let msg = |i: usize| warns[i].get("message");
    for i in [0, 1] {
        assert!(
            msg(i).contains("without Message-Authenticator (require_message_authenticator = yes)"),
            "{}",
            msg(i)
        );
        assert!(msg(i).contains("the NAS must send Message-Authenticator in every Access-Request (upgrade it), or set require_message_authenticator = no for this client, which leaves it vulnerable to BlastRADIUS (CVE-2024-3596)"), "{}", msg(i));
    }
    assert!(
        msg(2).contains("(require_message_authenticator = auto)"),
        "{}",
        msg(2)
    );
    assert!(
        msg(2).contains("this NAS has sent Message-Authenticator before"),
        "{}",
        msg(2)
    );
    assert!(
        msg(2).contains("require_message_authenticator = no for this client"),
        "{}",
        msg(2)
    );
    assert!(
        msg(3).contains("with EAP-Message but no Message-Authenticator"),
        "{}",
        msg(3)
    );
    assert!(
        !msg(3).contains("= no"),
        "no setting allows EAP without MA: {}",
        msg(3)
    );
    assert!(msg(4).contains("(limit_proxy_state = yes)"), "{}", msg(4));
    assert!(msg(4).contains("set limit_proxy_state = no for this client, which leaves it vulnerable to BlastRADIUS (CVE-2024-3596)"), "{}", msg(4));
    assert_eq!(warns[0].get("src"), "10.0.0.1:1812");
    assert_eq!(warns[0].get("suppressed"), "0");

    // Every drop counted; every one but the first per NAS and rule at debug.
    let s = e.stats().snapshot();
    assert_eq!(s.dropped(missing), 6 + 3 + 4 + 3);
    assert_eq!(s.dropped(ps), 3);
    let debug = cap
        .lines()
        .into_iter()
        .filter(|l| l.level == Level::DEBUG && l.get("message").starts_with("dropped packet:"))
        .count();
    assert_eq!(debug, 6 + 3 + 4 + 3 + 3 - warns.len());
}

#[test]
fn a_first_line_held_back_by_the_limiter_comes_at_the_next_drop() {
    let hosts = HostTable::new().with(
        net("10.0.0.0/8"),
        ClientConfig::new("lab", SECRET).require_message_authenticator(Policy::Yes),
    );
    // One line per reason per second.
    let e = Engine::with_shared(
        LiveHosts::new(hosts),
        EngineConfig::default(),
        Arc::new(Stats::default()),
        Arc::new(LogLimiter::new(1)),
    );
    let cap = Capture::default();
    let t0 = Instant::now();
    cap.during(|| {
        send(&e, &request(1, false, &[]), "10.0.0.1:1812", t0);
        // Same second: the limiter holds the second NAS's line back.
        send(&e, &request(1, false, &[]), "10.0.0.2:1812", t0);
        send(&e, &request(2, false, &[]), "10.0.0.2:1812", t0);
        let t1 = t0 + Duration::from_secs(1);
        send(&e, &request(3, false, &[]), "10.0.0.2:1812", t1);
        send(&e, &request(2, false, &[]), "10.0.0.1:1812", t1);
        send(
            &e,
            &request(4, false, &[]),
            "10.0.0.2:1812",
            t1 + Duration::from_secs(1),
        );
    });
    let warns = cap.warns();
    let got: Vec<(&str, &str)> = warns
        .iter()
        .map(|l| (l.get("nas"), l.get("suppressed")))
        .collect();
    assert_eq!(got, [("10.0.0.1", "0"), ("10.0.0.2", "2")], "{warns:#?}");
}
