//! The command line of `radius bench`.

/// Arguments of `radius bench`.
#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// PID of the server process, to report its CPU time per request.
    #[arg(long, value_name = "PID")]
    pub(super) pid: Option<u32>,
    /// Requests kept in flight (closed-loop clients).
    #[arg(short = 'c', value_name = "CONCURRENCY", default_value_t = 64)]
    pub(super) concurrency: usize,
    /// Seconds to run.
    #[arg(short = 'd', value_name = "DURATION", default_value_t = 10.0)]
    pub(super) duration: f64,
    /// Shared secret.
    #[arg(long, default_value = "testing123")]
    pub(super) secret: String,
    /// User-Name of the Access-Requests (and Accounting-Requests).
    #[arg(long = "user", value_name = "U", default_value = "bob")]
    pub(super) user: String,
    /// User-Password of the Access-Requests.
    #[arg(long = "password", value_name = "P", default_value = "hello")]
    pub(super) password: String,
    /// Client sockets (requests are spread over them; a server with
    /// SO_REUSEPORT workers spreads sockets over its workers).
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub(super) sockets: usize,
    /// Generator threads.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(super) threads: usize,
    /// Seconds before an unanswered request counts as a timeout (and is
    /// replaced by a new one).
    #[arg(long, value_name = "SECONDS", default_value_t = 2.0)]
    pub(super) timeout: f64,
    /// Print the result as JSON on stdout (progress stays on stderr).
    #[arg(long)]
    pub(super) json: bool,
    /// No progress lines.
    #[arg(short = 'q', long)]
    pub(super) quiet: bool,
    /// Load a RadSec (RADIUS over TLS) server instead: requests go over
    /// --connections TLS connections with the RFC 6614 secret "radsec"
    /// (unless --secret says otherwise); default port 2083.
    #[arg(long, requires_all = ["tls_cert", "tls_key", "tls_ca"])]
    pub(super) radsec: bool,
    /// RadSec: client certificate chain (PEM).
    #[arg(long, value_name = "PEM")]
    pub(super) tls_cert: Option<std::path::PathBuf>,
    /// RadSec: client private key (PEM).
    #[arg(long, value_name = "PEM")]
    pub(super) tls_key: Option<std::path::PathBuf>,
    /// RadSec: CA certificate(s) (PEM) the server's certificate must chain to.
    #[arg(long, value_name = "PEM")]
    pub(super) tls_ca: Option<std::path::PathBuf>,
    /// RadSec: the name the server's certificate must carry.
    #[arg(long, value_name = "NAME", default_value = "localhost")]
    pub(super) tls_name: String,
    /// RadSec: TLS connections (requests are spread over them).
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(super) connections: usize,
    /// Server: HOST[:PORT] (default port 1812 for auth, 1813 for acct).
    #[arg(value_name = "ADDR")]
    pub(super) server: String,
    /// Access-Request (PAP, with Message-Authenticator) or Accounting-Request.
    #[arg(value_enum, value_name = "auth|acct")]
    pub(super) kind: Kind,
}

/// What to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// PAP Access-Request with Message-Authenticator.
    Auth,
    /// Accounting-Request (Interim-Update).
    Acct,
}
