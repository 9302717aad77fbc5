//! `radius`: the typed-radius command line.
//!
//! Each subcommand lives in its own module with an `Args` struct and a
//! `run` function; adding one is a module plus one [`Commands`] variant.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod acct;
mod attr;
mod bench;
mod dict;
mod embedded;
mod send;
mod serve;

/// RADIUS toolkit: encode and decode attributes, check dictionaries.
#[derive(Debug, Parser)]
#[command(name = "radius", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Commands,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Commands {
    /// Encode or decode attribute lists in FreeRADIUS's text form.
    Attr(attr::AttrArgs),
    /// Check a dictionary tree or show one attribute's definition.
    Dict(dict::DictArgs),
    /// Run the standalone server (embedded default config without --config).
    Serve(serve::ServeArgs),
    /// Read the accounting records `radius serve` stored.
    Acct(acct::AcctArgs),
    /// Send requests read in FreeRADIUS text form (like radclient); exit 0 accept, 1 reject, 2 timeout/error.
    Send(send::SendArgs),
    /// Closed-loop load generator: req/s, latency percentiles, server CPU per request (--pid).
    Bench(bench::BenchArgs),
    /// Read a password on stdin, print an argon2id hash for a config file.
    HashPassword,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Commands::Attr(a) => attr::run(a),
        Commands::Dict(a) => dict::run(a),
        Commands::Serve(a) => run_serve(a),
        Commands::Acct(a) => acct::run(a),
        Commands::Send(a) => send::run(a),
        Commands::Bench(a) => bench::run(a),
        Commands::HashPassword => acct::hash_password(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run_serve(args: serve::ServeArgs) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let dict = std::sync::Arc::new(embedded::load(args.dict.as_deref())?);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(serve::run(args, dict))
}
