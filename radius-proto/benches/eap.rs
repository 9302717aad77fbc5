//! 802.1X server cost, in process: the time `EapServer` spends per
//! completed authentication (EAP-TLS, TTLS-PAP; TLS 1.2 and 1.3; RSA-2048
//! and ECDSA P-256 server certificates), the share of it one server
//! signature takes, and the memory one conversation holds while in
//! progress. The peer is a rustls client in the same process; only the
//! server's calls are timed. `cargo bench -p radius-proto --bench eap`
//! (RSA keys come from the `openssl` command; without it, ECDSA only).
//! Live, against FreeRADIUS: scripts/side-by-side-eap.sh.

#[path = "../tests/eap/peer.rs"]
mod peer;

use std::process::Command;
use std::time::{Duration, Instant};

use peer::{pki, Peer, Pki};
use radius_proto::eap::tls::{TlsConfigs, TlsSettings, TlsVersion};
use radius_proto::eap::{
    packet, Answer, Credential, EapConfig, EapServer, Method, Need, Resolution, Step,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// An RSA-2048 CA and server certificate from openssl (ring cannot
/// generate RSA keys), in place of the ECDSA ones.
fn rsa(ec: &Pki) -> Option<Pki> {
    let dir = std::env::temp_dir().join(format!("eap-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let sh = format!(
        "set -e; cd {d}; \
         openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=bench-ca \
           -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null; \
         openssl req -newkey rsa:2048 -nodes -keyout s.key -out s.csr -subj /CN=eap.example 2>/dev/null; \
         printf 'subjectAltName=DNS:eap.example\\nextendedKeyUsage=serverAuth\\n' > s.ext; \
         openssl x509 -req -in s.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out s.pem -days 2 -extfile s.ext 2>/dev/null",
        d = dir.display()
    );
    let ok = Command::new("sh")
        .arg("-c")
        .arg(sh)
        .status()
        .ok()?
        .success();
    if !ok {
        return None;
    }
    let read = |n: &str| std::fs::read(dir.join(n)).ok();
    let p = Pki {
        ca: CertificateDer::from_pem_slice(&read("ca.pem")?).ok()?,
        server: (
            CertificateDer::from_pem_slice(&read("s.pem")?).ok()?,
            PrivateKeyDer::from_pem_slice(&read("s.key")?).ok()?,
        ),
        // The EAP-TLS client keeps its ECDSA certificate from `ec`'s CA.
        client: (ec.client.0.clone(), ec.client.1.clone_key()),
    };
    let _ = std::fs::remove_dir_all(&dir);
    Some(p)
}

fn server(
    p: &Pki,
    client_ca: &CertificateDer<'static>,
    method: Method,
    sessions: usize,
) -> EapServer {
    let mut s = TlsSettings::new(vec![p.server.0.clone()], p.server.1.clone_key());
    s.client_ca = vec![client_ca.clone()];
    EapServer::new(EapConfig {
        methods: vec![method],
        tls: Some(TlsConfigs::build(&s).unwrap()),
        max_sessions: sessions,
        ..EapConfig::default()
    })
    .unwrap()
}

/// One authentication; returns the time spent inside the server.
fn authenticate(s: &EapServer, peer: &mut Peer) -> Duration {
    let mut spent = Duration::ZERO;
    let now = Instant::now();
    let mut resp = packet::typed(2, 1, 1, b"anonymous");
    let mut state: Option<[u8; 16]> = None;
    loop {
        let t = Instant::now();
        let mut step = s.step(&resp, state.as_ref().map(|s| &s[..]), now);
        let answer = loop {
            match step {
                Step::Done(a) => break a,
                Step::Pending(p) => {
                    let r = match p.need() {
                        Need::Credential { .. } => {
                            Resolution::Credential(Credential::Password("hello".into()))
                        }
                        Need::Certificate { .. } => Resolution::Certificate(true),
                    };
                    step = s.resume(p, r, now);
                }
            }
        };
        spent += t.elapsed();
        match answer {
            Answer::Challenge { eap, state: st } => {
                state = Some(st);
                resp = peer.respond(&eap);
            }
            Answer::Accept { .. } => return spent,
            Answer::Reject { reason, .. } => panic!("rejected: {reason}"),
        }
    }
}

/// The server's signature alone, through rustls's signing key.
fn signature_cost(key: &PrivateKeyDer<'static>, rsa: bool) -> Duration {
    let provider = rustls::crypto::ring::default_provider();
    let k = provider
        .key_provider
        .load_private_key(key.clone_key())
        .unwrap();
    let scheme = if rsa {
        rustls::SignatureScheme::RSA_PSS_SHA256
    } else {
        rustls::SignatureScheme::ECDSA_NISTP256_SHA256
    };
    let signer = k.choose_scheme(&[scheme]).unwrap();
    let n = 200;
    let t = Instant::now();
    for _ in 0..n {
        signer.sign(b"TLS 1.3, server CertificateVerify").unwrap();
    }
    t.elapsed() / n
}

fn rss_kib() -> usize {
    let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = s
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4
}

/// Memory per conversation waiting for the peer's second flight (the
/// server's certificate flight queued in fragments, rustls mid-handshake).
fn memory_per_session(p: &Pki, method: Method) -> usize {
    let n = 2000;
    let s = server(p, &p.ca, method, n + 1);
    let now = Instant::now();
    let mut peers = Vec::with_capacity(n);
    let before = rss_kib();
    for _ in 0..n {
        let mut peer = Peer::new(p, method, TlsVersion::Tls13, 1000);
        let Step::Done(Answer::Challenge { eap, state }) =
            s.step(&packet::typed(2, 1, 1, b"bob"), None, now)
        else {
            panic!()
        };
        let hello = peer.respond(&eap);
        let Step::Done(Answer::Challenge { .. }) = s.step(&hello, Some(&state), now) else {
            panic!()
        };
        peers.push(peer);
    }
    let peer_only = {
        // The peers' own share, measured alike and subtracted.
        let before = rss_kib();
        let more: Vec<Peer> = (0..n)
            .map(|_| Peer::new(p, method, TlsVersion::Tls13, 1000))
            .collect();
        let d = rss_kib() - before;
        drop(more);
        d
    };
    let total = rss_kib() - before;
    assert_eq!(s.in_progress(), n);
    (total.saturating_sub(peer_only)) * 1024 / n
}

fn main() {
    let ec = pki();
    let rsa = rsa(&ec);
    let n = 200;
    println!("server time per completed authentication ({n} each, in process):");
    for (kind, p) in [("ECDSA P-256", Some(&ec)), ("RSA-2048", rsa.as_ref())] {
        let Some(p) = p else {
            println!("  {kind}: skipped (no openssl)");
            continue;
        };
        let sig = signature_cost(&p.server.1, kind.starts_with("RSA"));
        println!(
            "  {kind}: one server signature {:.1} µs",
            sig.as_secs_f64() * 1e6
        );
        for method in [Method::Tls, Method::Ttls] {
            for version in [TlsVersion::Tls12, TlsVersion::Tls13] {
                let s = server(p, &ec.ca, method, 16);
                let mut total = Duration::ZERO;
                for _ in 0..n {
                    let mut peer = Peer::new(p, method, version, 1000);
                    total += authenticate(&s, &mut peer);
                }
                let per = total / n;
                println!(
                    "    {:<5} {:?}: {:7.1} µs per authentication, signature {:4.1}%",
                    method.name(),
                    version,
                    per.as_secs_f64() * 1e6,
                    100.0 * sig.as_secs_f64() / per.as_secs_f64()
                );
            }
        }
    }
    for method in [Method::Tls, Method::Peap] {
        println!(
            "memory per in-progress {} conversation (TLS 1.3, mid-handshake): {} bytes",
            method.name(),
            memory_per_session(&ec, method)
        );
    }
}
