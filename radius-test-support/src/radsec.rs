//! RadSec test material: certificates made at test time with rcgen
//! (nothing private is committed) and Debian's radsecproxy in the
//! foreground.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose as Eku, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// A test CA.
pub struct Ca {
    cert: rcgen::Certificate,
    key: KeyPair,
    pub pem: String,
}

/// A leaf certificate and its key, PEM.
#[derive(Clone)]
pub struct Leaf {
    pub cert: String,
    pub key: String,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().unwrap();
        let cert = p.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            cert,
            key,
        }
    }

    /// A leaf with subject CN `cn`, SANs (DNS names or IP addresses), EKUs,
    /// and optionally a validity window given as years.
    pub fn leaf(&self, cn: &str, sans: &[&str], eku: &[Eku], years: Option<(i32, i32)>) -> Leaf {
        let sans: Vec<String> = sans.iter().map(|s| s.to_string()).collect();
        let mut p = CertificateParams::new(sans).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.extended_key_usages = eku.to_vec();
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        if let Some((from, to)) = years {
            p.not_before = rcgen::date_time_ymd(from, 1, 1);
            p.not_after = rcgen::date_time_ymd(to, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.cert, &self.key).unwrap();
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    /// Sign arbitrary parameters with a fresh key.
    pub fn sign(&self, p: CertificateParams) -> Leaf {
        let key = KeyPair::generate().unwrap();
        let cert = p.signed_by(&key, &self.cert, &self.key).unwrap();
        Leaf {
            cert: cert.pem(),
            key: key.serialize_pem(),
        }
    }

    /// A CRL (PEM) revoking these serial numbers.
    pub fn crl(&self, serials: &[Vec<u8>]) -> String {
        let p = rcgen::CertificateRevocationListParams {
            this_update: rcgen::date_time_ymd(2020, 1, 1),
            next_update: rcgen::date_time_ymd(2200, 1, 1),
            crl_number: rcgen::SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: serials
                .iter()
                .map(|s| rcgen::RevokedCertParams {
                    serial_number: rcgen::SerialNumber::from(s.clone()),
                    revocation_time: rcgen::date_time_ymd(2020, 1, 2),
                    reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        p.signed_by(&self.cert, &self.key).unwrap().pem().unwrap()
    }

    pub fn server(&self) -> Leaf {
        self.leaf(
            "localhost",
            &["localhost", "127.0.0.1"],
            &[Eku::ServerAuth],
            None,
        )
    }

    pub fn client(&self, cn: &str) -> Leaf {
        self.leaf(cn, &[cn], &[Eku::ClientAuth], None)
    }

    /// Write ca.pem, NAME.pem and NAME.key into `dir`.
    pub fn write(&self, dir: &Path, name: &str, leaf: &Leaf) -> (PathBuf, PathBuf, PathBuf) {
        let ca = dir.join("ca.pem");
        let cert = dir.join(format!("{name}.pem"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&ca, &self.pem).unwrap();
        std::fs::write(&cert, &leaf.cert).unwrap();
        std::fs::write(&key, &leaf.key).unwrap();
        (ca, cert, key)
    }
}

/// Debian's radsecproxy.
pub const RADSECPROXY: &str = "/usr/sbin/radsecproxy";

/// radsecproxy in the foreground; killed (and its log printed) on drop.
pub struct Proxy {
    child: Child,
    log: PathBuf,
}

impl Proxy {
    pub fn start(dir: &Path, conf: &str) -> Proxy {
        let path = dir.join("radsecproxy.conf");
        std::fs::write(&path, conf).unwrap();
        let check = Command::new(RADSECPROXY)
            .arg("-p")
            .arg("-c")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "radsecproxy -p rejects the config:\n{conf}\n{}{}",
            String::from_utf8_lossy(&check.stdout),
            String::from_utf8_lossy(&check.stderr)
        );
        let log = dir.join("radsecproxy.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(RADSECPROXY)
            .arg("-f")
            .arg("-d")
            .arg("4")
            .arg("-c")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap();
        Proxy { child, log }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("---- radsecproxy log ----\n{}", self.log());
        }
    }
}

pub fn tls_block(ca: &Path, cert: &Path, key: &Path) -> String {
    format!(
        "tls default {{\n    CACertificateFile {}\n    CertificateFile {}\n    CertificateKeyFile {}\n}}\n",
        ca.display(),
        cert.display(),
        key.display()
    )
}

/// The proxy's certificate: usable as client and as server, named like the host.
pub fn proxy_leaf(ca: &Ca) -> Leaf {
    ca.leaf(
        "radsecproxy",
        &["radsecproxy", "localhost", "127.0.0.1"],
        &[Eku::ClientAuth, Eku::ServerAuth],
        None,
    )
}

/// The test certificates as radius-server TLS settings, and a RadSec
/// client for them.
#[cfg(feature = "radsec")]
mod server {
    use std::net::SocketAddr;
    use std::time::Duration;

    use radius_core::Code;
    use radius_dict::prelude::{UserName, UserPassword};
    use radius_server::radsec::{
        ClientError, RadSecClient, RadSecClientConfig, Response, TlsConfig,
    };

    use super::{Ca, Leaf};

    impl Ca {
        /// `leaf` with this CA as the trust anchor.
        pub fn tls(&self, leaf: &Leaf) -> TlsConfig {
            TlsConfig::from_pem(
                leaf.cert.as_bytes(),
                leaf.key.as_bytes(),
                self.pem.as_bytes(),
            )
            .unwrap()
        }
    }

    /// A RadSec client of `addr` (certificate name "localhost"), 5 s
    /// connect and request timeouts.
    pub fn client(addr: SocketAddr, tls: TlsConfig) -> RadSecClient {
        let mut cfg = RadSecClientConfig::new(addr, "localhost");
        cfg.request_timeout = Duration::from_secs(5);
        cfg.connect_timeout = Duration::from_secs(5);
        RadSecClient::new(cfg, tls).unwrap()
    }

    /// PAP for user/pass through a RadSec client.
    pub async fn pap(c: &RadSecClient, user: &str, pass: &str) -> Result<Response, ClientError> {
        let (u, p) = (user.to_owned(), pass.to_owned());
        c.request(Code::ACCESS_REQUEST, move |w, secret| {
            w.add(&UserName::new(u), secret)?;
            w.add(&UserPassword::new(p), secret)
        })
        .await
    }
}

#[cfg(feature = "radsec")]
pub use server::{client, pap};
