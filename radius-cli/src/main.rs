//! `radius`: the typed-radius command line.
//!
//! Each subcommand lives in its own module with an `Args` struct and a
//! `run` function; adding one is a module plus one [`Commands`] variant.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod attr;
mod dict;
mod embedded;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Commands::Attr(a) => attr::run(a),
        Commands::Dict(a) => dict::run(a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
