//! The standalone server's configuration: a TOML file, or the embedded
//! default. Every semantic error names file:line, like a parse error.
//!
//! ```toml
//! [server]
//! auth = ["127.0.0.1:1812"]
//! acct = ["127.0.0.1:1813"]
//! coa = ["127.0.0.1:3799"]
//! accounting_db = "radius-accounting.db"   # or "postgres://USER:PASS@HOST:PORT/DB"
//! # PostgreSQL only: where records wait while the database is away, and
//! # how many may wait before accounting is no longer answered.
//! # accounting_spool = "radius-accounting.spool"
//! # accounting_spool_max = 1000000
//! # accounting_writers = 2               # concurrent PostgreSQL connections
//!
//! [[client]]
//! name = "localhost"
//! address = "127.0.0.0/8"
//! secret = "testing123"
//! require_message_authenticator = "auto"   # yes | no | auto
//! limit_proxy_state = "auto"
//!
//! [[user]]
//! name = "bob"
//! password = "hello"                       # cleartext: PAP, CHAP, MS-CHAP, EAP-MD5
//! # password_hash = "$argon2id$v=19$..."   # PAP only; or $6$, $5$, $2b$, $1$, DES crypt
//! # nt_hash = "0123456789abcdef0123456789abcdef"   # MS-CHAP v1/v2 only
//! reply = ['Reply-Message = "Welcome, bob"', "Session-Timeout = 3600"]
//! ```
//!
//! `[eap]` is described in `eap.rs`; `[[home_server]]`, `[[pool]]` and
//! `[[realm]]` (proxying) in `proxy_config.rs`.

use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// The embedded default configuration `radius serve` runs without a file.
pub const DEFAULT_CONFIG: &str = r#"# Embedded default: loopback only, one demo user.
[server]
auth = ["127.0.0.1:1812"]
acct = ["127.0.0.1:1813"]
coa = ["127.0.0.1:3799"]
accounting_db = "radius-accounting.db"

[[client]]
name = "localhost"
address = "127.0.0.0/8"
secret = "testing123"

# The same for IPv6 loopback (`--auth [::1]:1812`).
[[client]]
name = "localhost6"
address = "::1"
secret = "testing123"

[[user]]
name = "bob"
password = "hello"
reply = ['Reply-Message = "Hello, bob"']
"#;

/// A configuration error with its location.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConfigError {
    /// File (or `<embedded default>`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong and how to fix it.
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: RawServer,
    #[serde(default, rename = "client")]
    clients: Vec<Spanned<RawClient>>,
    #[serde(default, rename = "user")]
    users: Vec<Spanned<RawUser>>,
    eap: Option<super::eap::RawEap>,
    #[serde(default, rename = "home_server")]
    home_servers: Vec<Spanned<super::proxy_config::RawHomeServer>>,
    #[serde(default, rename = "pool")]
    pools: Vec<Spanned<super::proxy_config::RawPool>>,
    #[serde(default, rename = "realm")]
    realms: Vec<Spanned<super::proxy_config::RawRealm>>,
    proxy: Option<Spanned<super::proxy_config::RawProxySettings>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServer {
    auth: Option<Vec<Spanned<String>>>,
    acct: Option<Vec<Spanned<String>>>,
    coa: Option<Vec<Spanned<String>>>,
    accounting_db: Option<Spanned<String>>,
    accounting_spool: Option<String>,
    accounting_spool_max: Option<Spanned<i64>>,
    accounting_writers: Option<Spanned<i64>>,
    metrics: Option<Spanned<String>>,
    users_db: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    name: Option<String>,
    address: Spanned<String>,
    secret: Spanned<String>,
    require_message_authenticator: Option<Spanned<String>>,
    limit_proxy_state: Option<Spanned<String>>,
    coa_port: Option<Spanned<u16>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    name: Spanned<String>,
    password: Option<String>,
    password_hash: Option<Spanned<String>>,
    nt_hash: Option<Spanned<String>>,
    #[serde(default)]
    reply: Vec<Spanned<String>>,
}

/// A BlastRADIUS policy setting (FreeRADIUS 3.2.5 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySetting {
    /// Always.
    Yes,
    /// Never.
    No,
    /// Once the client has shown it can.
    Auto,
}

/// One RADIUS client.
#[derive(Debug, Clone)]
pub struct ClientEntry {
    /// Name for logs.
    pub name: String,
    /// Address or CIDR.
    pub address: radius_server::Cidr,
    /// Shared secret.
    pub secret: String,
    /// require_message_authenticator.
    pub require_ma: PolicySetting,
    /// limit_proxy_state.
    pub limit_proxy_state: PolicySetting,
    /// Where the NAS takes CoA and Disconnect requests (`coa_port`; RFC
    /// 5176's 3799 when `None`). Setting it is also a route: the proxy
    /// forwards CoA/Disconnect whose NAS-IP-Address is this client's.
    pub coa_port: Option<u16>,
}

/// How a user's password is stored.
#[derive(Debug, Clone)]
pub enum Password {
    /// Cleartext: PAP, CHAP, MS-CHAP (hashed on use) and EAP-MD5.
    Clear(String),
    /// A password hash: argon2 (PHC string) or crypt(3)'s SHA-512-crypt,
    /// SHA-256-crypt, bcrypt, MD5-crypt or DES (see `crypt.rs`): PAP only.
    Hash(String),
    /// The NT hash, MD4 of the UTF-16LE password (`nt_hash`, 32 hex
    /// digits): MS-CHAP v1 and v2 only. CHAP and EAP-MD5 need the
    /// cleartext; PAP is not checked against an unsalted MD4.
    NtHash(radius_proto::mschap::NtHash),
}

/// One user.
#[derive(Debug, Clone)]
pub struct UserEntry {
    /// User-Name.
    pub name: String,
    /// Credential.
    pub password: Password,
    /// Reply attributes in FreeRADIUS text form, with their line numbers.
    pub reply: Vec<(String, usize)>,
}

/// A loaded configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where it came from (for messages).
    pub source: String,
    /// Auth listeners.
    pub auth: Vec<SocketAddr>,
    /// Accounting listeners.
    pub acct: Vec<SocketAddr>,
    /// CoA/Disconnect listeners.
    pub coa: Vec<SocketAddr>,
    /// Prometheus metrics (`GET /metrics`) on this address.
    pub metrics: Option<SocketAddr>,
    /// Users from SQL (`postgres://` URL, FreeRADIUS's radcheck tables),
    /// after the `[[user]]` entries.
    pub users_db: Option<String>,
    /// Accounting database: a SQLite file or a `postgres://` URL
    /// (see [`super::store::Backend`]).
    pub accounting_db: PathBuf,
    /// PostgreSQL's spool file.
    pub accounting_spool: PathBuf,
    /// Records the spool may hold.
    pub accounting_spool_max: u64,
    /// Concurrent PostgreSQL writer connections.
    pub accounting_writers: usize,
    /// Clients.
    pub clients: Vec<ClientEntry>,
    /// Users.
    pub users: Vec<UserEntry>,
    /// The `[eap]` section (defaults when absent).
    pub eap: super::eap::EapEntry,
    /// The `[[home_server]]`, `[[pool]]` and `[[realm]]` sections; `None`
    /// when there are none.
    pub proxy: Option<super::proxy_config::ProxyConfig>,
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        self.text[..span.start.min(self.text.len())]
            .matches('\n')
            .count()
            + 1
    }
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ConfigError {
        ConfigError {
            file: self.file.to_owned(),
            line: self.line(span),
            message: message.into(),
        }
    }
}

impl Config {
    /// The embedded default.
    pub fn embedded() -> Config {
        Config::parse("<embedded default>", DEFAULT_CONFIG)
            .expect("embedded default config is valid")
    }

    /// Load a file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: path.display().to_string(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        Config::parse(&path.display().to_string(), &text)
    }

    /// Parse configuration text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Config, ConfigError> {
        let cx = Ctx { file, text };
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            // toml has no message for some errors (a control character in
            // a comment, found by the serve_config fuzz target).
            match e.message() {
                "" => cx.err(span, "invalid TOML (a control character?)"),
                m => cx.err(span, m.to_owned()),
            }
        })?;
        let addrs = |v: &Option<Vec<Spanned<String>>>,
                     default: &str|
         -> Result<Vec<SocketAddr>, ConfigError> {
            match v {
                None => Ok(vec![default.parse().expect("valid default")]),
                Some(list) => list
                    .iter()
                    .map(|s| {
                        s.get_ref().parse().map_err(|_| {
                            cx.err(s.span(), format!("{:?} is not an address:port (e.g. \"127.0.0.1:1812\" or \"[::1]:1812\")", s.get_ref()))
                        })
                    })
                    .collect(),
            }
        };
        let auth = addrs(&raw.server.auth, "127.0.0.1:1812")?;
        let acct = addrs(&raw.server.acct, "127.0.0.1:1813")?;
        let coa = addrs(&raw.server.coa, "127.0.0.1:3799")?;
        let users_db = match &raw.server.users_db {
            None => None,
            Some(u)
                if u.get_ref().starts_with("postgres://")
                    || u.get_ref().starts_with("postgresql://") =>
            {
                Some(u.get_ref().clone())
            }
            Some(u) => {
                return Err(cx.err(
                    u.span(),
                    "users_db is a PostgreSQL URL: postgres://USER:PASS@HOST:PORT/DB",
                ))
            }
        };
        let metrics = match &raw.server.metrics {
            None => None,
            Some(m) => Some(m.get_ref().parse::<SocketAddr>().map_err(|_| {
                cx.err(
                    m.span(),
                    format!(
                        "metrics {:?} is not an address:port (e.g. \"127.0.0.1:9812\")",
                        m.get_ref()
                    ),
                )
            })?),
        };
        let accounting_db = raw
            .server
            .accounting_db
            .as_ref()
            .map(|s| PathBuf::from(s.get_ref()))
            .unwrap_or_else(|| PathBuf::from("radius-accounting.db"));
        if let Some(db) = &raw.server.accounting_db {
            super::store::Backend::parse(&accounting_db).map_err(|m| cx.err(db.span(), m))?;
        }
        let accounting_spool = PathBuf::from(
            raw.server
                .accounting_spool
                .as_deref()
                .unwrap_or(super::store::DEFAULT_SPOOL),
        );
        let accounting_spool_max = match &raw.server.accounting_spool_max {
            None => super::store::DEFAULT_SPOOL_MAX,
            Some(n) if *n.get_ref() >= 1 => *n.get_ref() as u64,
            Some(n) => {
                return Err(cx.err(
                    n.span(),
                    "accounting_spool_max must be at least 1 (records)",
                ))
            }
        };
        let accounting_writers = match &raw.server.accounting_writers {
            None => super::store::DEFAULT_WRITERS,
            Some(n) if (1..=64).contains(n.get_ref()) => *n.get_ref() as usize,
            Some(n) => {
                return Err(cx.err(
                    n.span(),
                    "accounting_writers must be 1 to 64 (PostgreSQL connections)",
                ))
            }
        };

        let policy = |v: &Option<Spanned<String>>| -> Result<PolicySetting, ConfigError> {
            match v
                .as_ref()
                .map(|s| (s.get_ref().to_ascii_lowercase(), s.span()))
            {
                None => Ok(PolicySetting::Auto),
                Some((s, span)) => match s.as_str() {
                    "yes" | "true" => Ok(PolicySetting::Yes),
                    "no" | "false" => Ok(PolicySetting::No),
                    "auto" => Ok(PolicySetting::Auto),
                    other => Err(cx.err(
                        span,
                        format!("{other:?} is not a policy: use \"yes\", \"no\" or \"auto\""),
                    )),
                },
            }
        };
        let mut clients = Vec::new();
        for c in &raw.clients {
            let span = c.span();
            let c = c.get_ref();
            let address =
                parse_cidr(c.address.get_ref()).map_err(|m| cx.err(c.address.span(), m))?;
            if c.secret.get_ref().is_empty() {
                return Err(cx.err(c.secret.span(), "empty shared secret"));
            }
            clients.push(ClientEntry {
                name: c
                    .name
                    .clone()
                    .unwrap_or_else(|| c.address.get_ref().clone()),
                address,
                secret: c.secret.get_ref().clone(),
                require_ma: policy(&c.require_message_authenticator)?,
                limit_proxy_state: policy(&c.limit_proxy_state)?,
                coa_port: match &c.coa_port {
                    Some(p) if *p.get_ref() == 0 => {
                        return Err(cx.err(p.span(), "coa_port 0 is not a port"))
                    }
                    p => p.as_ref().map(|p| *p.get_ref()),
                },
            });
            let _ = span;
        }
        let mut users = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for u in &raw.users {
            let span = u.span();
            let u = u.get_ref();
            let name = u.name.get_ref().clone();
            if let Some(prev) = seen.insert(name.clone(), cx.line(u.name.span())) {
                return Err(cx.err(
                    u.name.span(),
                    format!("user {name:?} already defined at line {prev}"),
                ));
            }
            let given = [
                u.password.is_some(),
                u.password_hash.is_some(),
                u.nt_hash.is_some(),
            ];
            if given.iter().filter(|&&g| g).count() > 1 {
                let span = u
                    .nt_hash
                    .as_ref()
                    .or(u.password_hash.as_ref())
                    .map_or(span.clone(), |s| s.span());
                return Err(cx.err(
                    span,
                    "give one of password, password_hash and nt_hash, not several",
                ));
            }
            let password = if let Some(p) = &u.password {
                Password::Clear(p.clone())
            } else if let Some(h) = &u.password_hash {
                if let Err(e) = super::crypt::check(h.get_ref()) {
                    return Err(cx.err(h.span(), format!("password_hash: {e}")));
                }
                Password::Hash(h.get_ref().clone())
            } else if let Some(h) = &u.nt_hash {
                let hash = radius_proto::mschap::NtHash::from_hex(h.get_ref().trim()).ok_or_else(
                    || {
                        cx.err(
                            h.span(),
                            format!(
                            "nt_hash must be 32 hexadecimal digits (MD4 of the UTF-16LE password), \
                             got {} characters",
                            h.get_ref().trim().chars().count()
                        ),
                        )
                    },
                )?;
                Password::NtHash(hash)
            } else {
                return Err(cx.err(
                    span,
                    format!("user {name:?} has no password, password_hash or nt_hash"),
                ));
            };
            let reply = u
                .reply
                .iter()
                .map(|r| (r.get_ref().clone(), cx.line(r.span())))
                .collect();
            users.push(UserEntry {
                name,
                password,
                reply,
            });
        }
        let eap = match &raw.eap {
            Some(e) => e.check(&|span| cx.line(span), &|span, m| cx.err(span, m))?,
            None => super::eap::EapEntry::default(),
        };
        let proxy = super::proxy_config::check(
            &raw.home_servers,
            &raw.pools,
            &raw.realms,
            raw.proxy.as_ref(),
            &|span| cx.line(span),
            &|span, m| cx.err(span, m),
        )?;
        Ok(Config {
            eap,
            proxy,
            source: file.to_owned(),
            auth,
            acct,
            coa,
            metrics,
            users_db,
            accounting_db,
            accounting_spool,
            accounting_spool_max,
            accounting_writers,
            clients,
            users,
        })
    }
}

/// Parse `10.0.0.0/8`, `::1` or `192.0.2.7` into a CIDR.
fn parse_cidr(s: &str) -> Result<radius_server::Cidr, String> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (s, None),
    };
    let ip: std::net::IpAddr = addr
        .trim()
        .parse()
        .map_err(|_| format!("{s:?} is not an IP address or CIDR (e.g. \"10.0.0.0/8\")"))?;
    match prefix {
        None => Ok(radius_server::Cidr::host(ip)),
        Some(p) => {
            let p: u8 = p
                .trim()
                .parse()
                .map_err(|_| format!("bad prefix length in {s:?}"))?;
            radius_server::Cidr::new(ip, p).map_err(|e| format!("{s:?}: {e}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_is_what_readme_promises() {
        let c = Config::embedded();
        assert_eq!(
            c.auth,
            vec!["127.0.0.1:1812".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(
            c.acct,
            vec!["127.0.0.1:1813".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(c.coa, vec!["127.0.0.1:3799".parse::<SocketAddr>().unwrap()]);
        assert_eq!(c.clients.len(), 2);
        assert_eq!(c.clients[0].secret, "testing123");
        // ::1 is a client too, so `radius serve --auth [::1]:1812` answers.
        assert!(c.clients[1].address.contains("::1".parse().unwrap()));
        assert_eq!(c.clients[1].secret, "testing123");
        assert!(c.clients[0].address.contains("127.9.9.9".parse().unwrap()));
        assert!(!c.clients[0].address.contains("10.0.0.1".parse().unwrap()));
        assert!(matches!(&c.users[0].password, Password::Clear(p) if p == "hello"));
    }

    #[test]
    fn nt_hash_users() {
        let c = Config::parse(
            "t.toml",
            "[[user]]\nname = \"u\"\nnt_hash = \"44ebba8d5312b8d611474411f56989AE\"\n",
        )
        .unwrap();
        match &c.users[0].password {
            Password::NtHash(h) => {
                assert_eq!(
                    *h,
                    radius_proto::mschap::NtHash::from_password("clientPass")
                )
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("[server]\nauth = [\"127.0.0.1\"]\n", 2, "address:port"),
            ("[[client]]\naddress = \"10.0.0.0/33\"\nsecret = \"x\"\n", 2, "10.0.0.0/33"),
            ("[[client]]\naddress = \"nonsense\"\nsecret = \"x\"\n", 2, "not an IP"),
            ("[[client]]\naddress = \"::1\"\nsecret = \"x\"\nlimit_proxy_state = \"maybe\"\n", 4, "yes"),
            ("[[user]]\nname = \"a\"\npassword = \"x\"\n\n[[user]]\nname = \"a\"\npassword = \"y\"\n", 6, "already defined at line 2"),
            ("[[user]]\nname = \"a\"\npassword_hash = \"$1$md5\"\n", 3, "malformed MD5-crypt"),
            ("[[user]]\nname = \"a\"\n\npassword_hash = \"$y$j9T$abc$def\"\n", 4, "not a supported password hash ($y$); supported: argon2"),
            ("[[user]]\nname = \"a\"\npassword_hash = \"plaintext\"\n", 3, "not a supported password hash (9 characters)"),
            ("[[user]]\nname = \"a\"\n\nnt_hash = \"44EBBA8D5312B8D611474411F56989A\"\n", 4, "32 hexadecimal digits"),
            ("[[user]]\nname = \"a\"\nnt_hash = \"44EBBA8D5312B8D611474411F56989AZ\"\n", 3, "nt_hash must be"),
            ("[[user]]\nname = \"a\"\npassword = \"x\"\nnt_hash = \"44EBBA8D5312B8D611474411F56989AE\"\n", 4, "not several"),
            ("[server]\nport = 5\n", 2, "unknown field"),
            ("[server]\n\naccounting_db = \"postgres://u:p@h:x/db\"\n", 3, "not a PostgreSQL URL"),
            ("[server]\naccounting_spool_max = 0\n", 2, "at least 1"),
            ("[server]\naccounting_writers = 65\n", 2, "1 to 64"),
            ("[server\n", 1, ""),
        ];
        for (text, line, needle) in cases {
            let e = Config::parse("t.toml", text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(
                e.to_string().starts_with(&format!("t.toml:{line}: ")),
                "{e}"
            );
            assert!(e.message.contains(needle), "{text:?}: {e}");
        }
    }
}
