//! EAP in `radius serve`: the `[eap]` configuration section and the
//! `--eap-*` flags, compiled into [`radius_server::eap::Eap`], and the
//! backend that answers its credential lookups from the configured users.
//!
//! ```toml
//! [eap]
//! certificate = "eap-server.pem"     # chain, leaf first (PEM)
//! private_key = "eap-server.key"
//! ca = "eap-ca.pem"                  # client certificates for EAP-TLS
//! methods = ["peap", "ttls", "tls", "md5"]   # offered in this order
//! tls_min_version = "1.2"            # "1.2" or "1.3"
//! tls_max_version = "1.3"
//! fragment_size = 1000               # TLS octets per EAP-Request
//! resumption = true                  # TLS session resumption (bounded cache)
//! timeout = 30                       # seconds a conversation waits for a round
//! max_sessions = 4096                # conversations in progress
//! ```
//!
//! Without certificates only EAP-MD5 is offered.

use std::path::{Path, PathBuf};
use std::time::Duration;

use radius_server::eap::{
    tls_from_pem_files, Credential, Eap, EapBackend, EapConfig, Lookup, Method, TlsConfigs,
    TlsVersion,
};
use serde::Deserialize;
use toml::Spanned;

use super::config::{ConfigError, Password};
use super::App;

/// The `[eap]` section as written.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEap {
    certificate: Option<Spanned<String>>,
    private_key: Option<Spanned<String>>,
    ca: Option<Spanned<String>>,
    methods: Option<Spanned<Vec<Spanned<String>>>>,
    tls_min_version: Option<Spanned<String>>,
    tls_max_version: Option<Spanned<String>>,
    fragment_size: Option<Spanned<usize>>,
    resumption: Option<bool>,
    timeout: Option<Spanned<u64>>,
    max_sessions: Option<Spanned<usize>>,
}

/// A file named in the configuration, with its line (0: a flag).
#[derive(Debug, Clone)]
pub struct Located {
    /// The path.
    pub path: PathBuf,
    /// 1-based line of the setting, 0 when it came from a flag.
    pub line: usize,
}

/// The `[eap]` section, checked.
#[derive(Debug, Clone)]
pub struct EapEntry {
    /// Server certificate chain.
    pub certificate: Option<Located>,
    /// Its private key.
    pub private_key: Option<Located>,
    /// CA for EAP-TLS client certificates.
    pub ca: Option<Located>,
    /// Methods offered, in order; `None`: the default order.
    pub methods: Option<(Vec<Method>, usize)>,
    /// TLS version floor and ceiling.
    pub versions: (TlsVersion, TlsVersion),
    /// TLS octets per EAP-Request.
    pub fragment_size: usize,
    /// TLS session resumption on.
    pub resumption: bool,
    /// Round timeout.
    pub timeout: Duration,
    /// Conversations in progress.
    pub max_sessions: usize,
}

impl Default for EapEntry {
    fn default() -> Self {
        EapEntry {
            certificate: None,
            private_key: None,
            ca: None,
            methods: None,
            versions: (TlsVersion::Tls12, TlsVersion::Tls13),
            fragment_size: 1000,
            resumption: true,
            timeout: Duration::from_secs(30),
            max_sessions: 4096,
        }
    }
}

impl RawEap {
    /// Check the section; `line` maps a span to its line, `err` builds an
    /// error at a span.
    pub(super) fn check(
        &self,
        line: &dyn Fn(std::ops::Range<usize>) -> usize,
        err: &dyn Fn(std::ops::Range<usize>, String) -> ConfigError,
    ) -> Result<EapEntry, ConfigError> {
        let located = |s: &Option<Spanned<String>>| {
            s.as_ref().map(|s| Located {
                path: PathBuf::from(s.get_ref()),
                line: line(s.span()),
            })
        };
        let version = |s: &Option<Spanned<String>>, default| match s {
            None => Ok(default),
            Some(s) => match s.get_ref().trim().trim_start_matches("TLSv") {
                "1.2" => Ok(TlsVersion::Tls12),
                "1.3" => Ok(TlsVersion::Tls13),
                other => Err(err(
                    s.span(),
                    format!(
                        "TLS version {other:?}: use \"1.2\" or \"1.3\" (nothing older is offered)"
                    ),
                )),
            },
        };
        let versions = (
            version(&self.tls_min_version, TlsVersion::Tls12)?,
            version(&self.tls_max_version, TlsVersion::Tls13)?,
        );
        if versions.0 > versions.1 {
            let span = self.tls_min_version.as_ref().map_or(0..0, |s| s.span());
            return Err(err(span, "tls_min_version is above tls_max_version".into()));
        }
        let methods = match &self.methods {
            None => None,
            Some(list) => {
                let mut v = Vec::new();
                for m in list.get_ref() {
                    let method = Method::from_name(m.get_ref()).ok_or_else(|| {
                        err(
                            m.span(),
                            format!(
                                "unknown EAP method {:?}: use \"peap\", \"ttls\", \"tls\" or \"md5\"",
                                m.get_ref()
                            ),
                        )
                    })?;
                    if v.contains(&method) {
                        return Err(err(
                            m.span(),
                            format!("EAP method {:?} listed twice", m.get_ref()),
                        ));
                    }
                    v.push(method);
                }
                if v.is_empty() {
                    return Err(err(list.span(), "methods is empty".into()));
                }
                Some((v, line(list.span())))
            }
        };
        let fragment_size = match &self.fragment_size {
            None => 1000,
            Some(f) if (64..=4000).contains(f.get_ref()) => *f.get_ref(),
            Some(f) => {
                return Err(err(
                    f.span(),
                    "fragment_size must be 64..=4000 octets".into(),
                ))
            }
        };
        let timeout = match &self.timeout {
            None => Duration::from_secs(30),
            Some(t) if *t.get_ref() > 0 => Duration::from_secs(*t.get_ref()),
            Some(t) => return Err(err(t.span(), "timeout must be at least 1 second".into())),
        };
        let max_sessions = match &self.max_sessions {
            None => 4096,
            Some(m) if *m.get_ref() > 0 => *m.get_ref(),
            Some(m) => return Err(err(m.span(), "max_sessions must be at least 1".into())),
        };
        Ok(EapEntry {
            certificate: located(&self.certificate),
            private_key: located(&self.private_key),
            ca: located(&self.ca),
            methods,
            versions,
            fragment_size,
            resumption: self.resumption.unwrap_or(true),
            timeout,
            max_sessions,
        })
    }
}

/// What the EAP component is built from, without the lines settings sit
/// on: the settings and the certificate files' contents. A reload with the
/// same fingerprint keeps the running component (and its conversations).
pub fn fingerprint(e: &EapEntry) -> Vec<u8> {
    let mut out = format!(
        "{:?}|{:?}|{}|{}|{:?}|{}",
        e.methods.as_ref().map(|(m, _)| m),
        e.versions,
        e.fragment_size,
        e.resumption,
        e.timeout,
        e.max_sessions
    )
    .into_bytes();
    for f in [&e.certificate, &e.private_key, &e.ca]
        .into_iter()
        .flatten()
    {
        out.extend_from_slice(f.path.as_os_str().as_encoded_bytes());
        out.push(0);
        // An unreadable file differs from any readable one.
        out.extend(std::fs::read(&f.path).unwrap_or_else(|_| b"\0unreadable".to_vec()));
        out.push(0);
    }
    out
}

fn at(file: &str, l: &Located) -> String {
    if l.line == 0 {
        format!("{}", l.path.display())
    } else {
        format!("{file}:{}", l.line)
    }
}

/// Build the EAP component of `entry` (configuration `file` for messages);
/// `--eap-*` flags were already folded into `entry` (line 0).
pub fn build(file: &str, entry: &EapEntry) -> anyhow::Result<Eap> {
    let tls = match (&entry.certificate, &entry.private_key) {
        (Some(cert), Some(key)) => {
            let ca = entry.ca.as_ref().map(|c| c.path.clone());
            let mut s = tls_from_pem_files(&cert.path, &key.path, ca.as_deref())
                .map_err(|e| anyhow::anyhow!("{}: EAP TLS: {e}", at(file, cert)))?;
            s.min_version = entry.versions.0;
            s.max_version = entry.versions.1;
            s.resumption_cache = if entry.resumption { 4096 } else { 0 };
            Some(
                TlsConfigs::build(&s)
                    .map_err(|e| anyhow::anyhow!("{}: EAP TLS: {e}", at(file, cert)))?,
            )
        }
        (Some(c), None) | (None, Some(c)) => anyhow::bail!(
            "{}: EAP needs both a certificate and a private key (eap-cert / eap-key)",
            at(file, c)
        ),
        (None, None) => None,
    };
    let methods = match &entry.methods {
        Some((m, _)) => m.clone(),
        None if tls.is_some() => {
            let mut m = vec![Method::Peap, Method::Ttls];
            if entry.ca.is_some() {
                m.push(Method::Tls);
            }
            m.push(Method::Md5);
            m
        }
        None => vec![Method::Md5],
    };
    let cfg = EapConfig {
        methods,
        tls,
        fragment_size: entry.fragment_size,
        timeout: entry.timeout,
        max_sessions: entry.max_sessions,
        ..EapConfig::default()
    };
    Eap::new(cfg).map_err(|e| {
        let line = entry.methods.as_ref().map_or(0, |(_, l)| *l);
        anyhow::anyhow!("{file}:{line}: [eap] methods: {e}")
    })
}

/// Fold `--eap-cert`, `--eap-key`, `--eap-ca` into `entry`.
pub fn apply_flags(
    entry: &mut EapEntry,
    cert: Option<&Path>,
    key: Option<&Path>,
    ca: Option<&Path>,
) {
    let flag = |p: &Path| Located {
        path: p.to_owned(),
        line: 0,
    };
    if let Some(c) = cert {
        entry.certificate = Some(flag(c));
    }
    if let Some(k) = key {
        entry.private_key = Some(flag(k));
    }
    if let Some(c) = ca {
        entry.ca = Some(flag(c));
    }
}

/// The configured users (then SQL's) answer the EAP component's lookups.
impl EapBackend for App {
    async fn credential(&self, who: &Lookup<'_>) -> Credential {
        let user = super::auth::find_user(self, None, who.identity, false).await;
        match user.as_deref().map(|u| &u.password) {
            Some(Password::Clear(p)) => Credential::Password(p.clone()),
            Some(Password::NtHash(h)) => Credential::NtHash(radius_server::eap::NtHash(h.0)),
            // A password hash answers no EAP method (they all need the
            // cleartext or the NT hash); such users fail like unknown ones.
            Some(Password::Hash(_)) | None => Credential::Unknown,
        }
    }
}
