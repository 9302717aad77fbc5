//! `radius coa` and `radius disconnect`: look a user's (or a session id's)
//! open sessions up in the accounting database `radius serve` writes
//! (SQLite or PostgreSQL) and send each session's NAS a CoA-Request or
//! Disconnect-Request (RFC 5176) naming it: User-Name, Acct-Session-Id,
//! NAS-IP-Address, plus the attributes given (e.g. `Session-Timeout = 60`
//! for a CoA). Exit 0 when every NAS acknowledged.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use radius_core::Code;
use radius_server::client::RetryPolicy;
use radius_server::UdpClient;

use crate::serve::store::sessions::{open_sessions, Lookup, OpenSession};

/// Arguments of `radius coa` and `radius disconnect`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("by").required(true).args(["user", "session"])))]
pub struct CoaArgs {
    /// Accounting database: a SQLite file or a `postgres://` URL (as
    /// `radius serve --accounting-db`).
    #[arg(long, default_value = "radius-accounting.db")]
    pub db: PathBuf,
    /// Every open session of this User-Name.
    #[arg(long)]
    pub user: Option<String>,
    /// The open session with this Acct-Session-Id.
    #[arg(long)]
    pub session: Option<String>,
    /// The NASes' shared secret for dynamic authorization.
    #[arg(long, short = 's')]
    pub secret: String,
    /// The NASes' CoA/Disconnect port.
    #[arg(long, default_value_t = 3799)]
    pub port: u16,
    /// Seconds to wait for each answer (three tries).
    #[arg(long, default_value_t = 3.0)]
    pub timeout: f64,
    /// Attributes to add, in FreeRADIUS text form (`Session-Timeout = 60`).
    pub attributes: Vec<String>,
}

/// Run `radius coa` (`code` CoA-Request) or `radius disconnect`.
pub fn run(args: CoaArgs, code: Code) -> anyhow::Result<()> {
    let dict = crate::embedded::load(None)?;
    let by = match (&args.user, &args.session) {
        (Some(u), _) => Lookup::User(u.clone()),
        (None, Some(s)) => Lookup::Session(s.clone()),
        (None, None) => unreachable!("clap requires one"),
    };
    let window = Duration::try_from_secs_f64(args.timeout / 3.0)
        .ok()
        .filter(|d| !d.is_zero())
        .context("--timeout must be a positive number of seconds")?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let sessions = open_sessions(&args.db, &by)
                .await
                .map_err(anyhow::Error::msg)?;
            if sessions.is_empty() {
                bail!("no open session for {by:?} in {}", args.db.display());
            }
            let mut failed = 0;
            for s in &sessions {
                match send(&args, code, s, &dict, window).await {
                    Ok((answer, text)) => {
                        println!(
                            "{answer} from {}:{} for session {:?} (user {})",
                            s.nas,
                            args.port,
                            s.session_id,
                            s.user.as_deref().unwrap_or("?")
                        );
                        for t in &text {
                            println!("\t{t}");
                        }
                        if !matches!(answer, Code::COA_ACK | Code::DISCONNECT_ACK) {
                            failed += 1;
                        }
                    }
                    Err(e) => {
                        println!(
                            "no answer from {}:{} for session {:?}: {e:#}",
                            s.nas, args.port, s.session_id
                        );
                        failed += 1;
                    }
                }
            }
            if failed > 0 {
                bail!("{failed} of {} sessions not acknowledged", sessions.len());
            }
            Ok(())
        })
}

async fn send(
    args: &CoaArgs,
    code: Code,
    s: &OpenSession,
    dict: &radius_core::dict::Dictionary,
    window: Duration,
) -> anyhow::Result<(Code, Vec<String>)> {
    let q = |v: &str| format!("\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""));
    let mut text = vec![format!("Acct-Session-Id = {}", q(&s.session_id))];
    if let Some(u) = &s.user {
        text.push(format!("User-Name = {}", q(u)));
    }
    if s.nas.is_ipv4() {
        text.push(format!("NAS-IP-Address = {}", s.nas));
    } else {
        text.push(format!("NAS-IPv6-Address = {}", s.nas));
    }
    text.extend(args.attributes.iter().cloned());
    let client = UdpClient::builder((s.nas, args.port).into(), args.secret.as_bytes())
        .retry(RetryPolicy::fixed(window, 3))
        .build();
    let r = client
        .request(code)
        .with_text(dict, &text.join(", "))
        .send()
        .await?;
    let attrs = r.to_text(dict).unwrap_or_default();
    Ok((r.code(), attrs))
}
