//! `radius acct list`: read the accounting records `radius serve` stored.

use std::path::PathBuf;

use crate::serve::store;

/// Arguments of `radius acct`.
#[derive(Debug, clap::Args)]
pub struct AcctArgs {
    #[command(subcommand)]
    cmd: AcctCmd,
}

#[derive(Debug, clap::Subcommand)]
enum AcctCmd {
    /// Print the most recent accounting records, newest first.
    List {
        /// The SQLite database `radius serve` writes.
        #[arg(long, default_value = "radius-accounting.db")]
        db: PathBuf,
        /// How many records.
        #[arg(long, short = 'n', default_value_t = 20)]
        limit: usize,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
    },
}

/// Run `radius acct`.
pub fn run(args: AcctArgs) -> anyhow::Result<()> {
    match args.cmd {
        AcctCmd::List { db, limit, json } => {
            if let Ok(store::Backend::Postgres(url)) = store::Backend::parse(&db) {
                anyhow::bail!(
                    "{}: `radius acct list` reads SQLite; query PostgreSQL's radacct with psql",
                    store::postgres::redact(&url)
                );
            }
            let rows = store::list(&db, limit)?;
            if json {
                for r in &rows {
                    println!("{}", serde_json::to_string(r)?);
                }
                return Ok(());
            }
            println!(
                "{:>6}  {:<20}  {:<14}  {:<12}  {:<20}  {:>8}  {:>12}  {:>12}",
                "id", "received", "status", "user", "session", "time", "in", "out"
            );
            for r in &rows {
                println!(
                    "{:>6}  {:<20}  {:<14}  {:<12}  {:<20}  {:>8}  {:>12}  {:>12}",
                    r.id,
                    r.received_at,
                    r.status_type.as_deref().unwrap_or("-"),
                    r.user_name.as_deref().unwrap_or("-"),
                    r.session_id.as_deref().unwrap_or("-"),
                    r.session_time
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "-".into()),
                    r.input_octets
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "-".into()),
                    r.output_octets
                        .map(|v| v.to_string())
                        .unwrap_or_else(|| "-".into()),
                );
            }
            Ok(())
        }
    }
}

/// `radius hash-password`: read a password from stdin, print an argon2id
/// PHC string for a config file's `password_hash`.
pub fn hash_password() -> anyhow::Result<()> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let pw = line.trim_end_matches(['\r', '\n']);
    anyhow::ensure!(!pw.is_empty(), "empty password on stdin");
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2::Argon2::default()
        .hash_password(pw.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))?;
    println!("{hash}");
    Ok(())
}
