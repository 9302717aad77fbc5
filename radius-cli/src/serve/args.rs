//! The command line of `radius serve`.

use std::net::SocketAddr;
use std::path::PathBuf;

use radius_server::radsec::RadiusV11;

/// Arguments of `radius serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file; without it the embedded default runs
    /// (127.0.0.1 only, client 127.0.0.0/8 secret testing123, user bob/hello).
    #[arg(long, short = 'c')]
    pub config: Option<PathBuf>,
    /// Authentication listen address (repeatable; overrides the config).
    #[arg(long)]
    pub auth: Vec<SocketAddr>,
    /// Accounting listen address (repeatable; overrides the config).
    #[arg(long)]
    pub acct: Vec<SocketAddr>,
    /// CoA/Disconnect listen address (repeatable; overrides the config).
    #[arg(long)]
    pub coa: Vec<SocketAddr>,
    /// Accounting database (overrides the config).
    #[arg(long)]
    pub accounting_db: Option<PathBuf>,
    /// Log lines as text (default) or JSON objects, one per line, for log
    /// shippers. The auth log (target `radius::auth`, one line per
    /// Access-Request outcome) is at info; per-request spans at debug
    /// (`RUST_LOG=radius_server=debug`).
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Users from PostgreSQL in FreeRADIUS's schema (radcheck, radreply,
    /// radusergroup, radgroupcheck, radgroupreply), after the config's
    /// users (overrides the config's `users_db`).
    #[arg(long, value_name = "postgres://USER:PASS@HOST:PORT/DB")]
    pub users_db: Option<String>,
    /// Prometheus metrics: answer `GET /metrics` on this address
    /// (overrides the config's `metrics`).
    #[arg(long)]
    pub metrics: Option<SocketAddr>,
    /// Worker sockets per listener, one thread each (default: half the CPUs, at least 1).
    #[arg(long)]
    pub workers: Option<usize>,
    /// Load this FreeRADIUS dictionary tree instead of the embedded one.
    #[arg(long)]
    pub dict: Option<PathBuf>,
    /// Also serve RadSec (RADIUS over TLS, RFC 6614) on this address
    /// (usually port 2083); needs --tls-cert, --tls-key and --tls-ca.
    #[arg(long, requires_all = ["tls_cert", "tls_key", "tls_ca"])]
    pub radsec: Option<SocketAddr>,
    /// Server certificate chain (PEM) for RadSec.
    #[arg(long)]
    pub tls_cert: Option<PathBuf>,
    /// Server private key (PEM) for RadSec.
    #[arg(long)]
    pub tls_key: Option<PathBuf>,
    /// CA certificate(s) (PEM) that RadSec client certificates must chain to.
    #[arg(long)]
    pub tls_ca: Option<PathBuf>,
    /// RADIUS/1.1 (RFC 9765, ALPN) on the RadSec listener: off (RADIUS/1.0
    /// only), allowed (1.1 when the client offers it) or required.
    #[arg(long, value_enum, default_value_t = V11Mode::Off, requires = "radsec")]
    pub radius_v11: V11Mode,
    /// Accept RadSec connections only from this network (address or CIDR
    /// block; repeat for more). Others are closed before any TLS work.
    /// Default: any address.
    #[arg(long, value_name = "CIDR", requires = "radsec")]
    pub radsec_allow: Vec<radius_server::Cidr>,
    /// EAP server certificate chain (PEM): turns on PEAP and EAP-TTLS (and
    /// EAP-TLS with --eap-ca). Separate from the RadSec --tls-* files.
    #[arg(long, requires = "eap_key")]
    pub eap_cert: Option<PathBuf>,
    /// The EAP certificate's private key (PEM).
    #[arg(long, requires = "eap_cert")]
    pub eap_key: Option<PathBuf>,
    /// CA certificate(s) (PEM) that EAP-TLS client certificates must chain to.
    #[arg(long, requires = "eap_cert")]
    pub eap_ca: Option<PathBuf>,
}

/// `--log-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (timestamp, level, target, fields, spans).
    Json,
}

/// `--radius-v11` values (see [`RadiusV11`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum V11Mode {
    /// RADIUS/1.0 only (what radsecproxy and FreeRADIUS 3 speak).
    Off,
    /// RADIUS/1.1 when the client offers it, else RADIUS/1.0.
    Allowed,
    /// RADIUS/1.1 only.
    Required,
}

impl From<V11Mode> for RadiusV11 {
    fn from(m: V11Mode) -> Self {
        match m {
            V11Mode::Off => RadiusV11::Off,
            V11Mode::Allowed => RadiusV11::Allowed,
            V11Mode::Required => RadiusV11::Required,
        }
    }
}
