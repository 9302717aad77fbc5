//! `radius attr encode|decode`: FreeRADIUS's attribute text form, one
//! list per line, through [`radius_core::text`].

use std::io::{BufRead, Write};
use std::path::PathBuf;

use radius_core::text::{hex_decode, hex_spaced, Codec};

/// Arguments of `radius attr`.
#[derive(Debug, clap::Args)]
pub struct AttrArgs {
    #[command(subcommand)]
    cmd: AttrCmd,
}

#[derive(Debug, clap::Subcommand)]
enum AttrCmd {
    /// Read one attribute list per line (`User-Name = "bob", Tunnel-Type:1 = PPTP`)
    /// and print its encoding as lowercase hex octets separated by spaces,
    /// or a line starting with `error:`.
    Encode(CodecOpts),
    /// Read one hex string per line (spaces allowed) and print it as
    /// `Name = value, ...` the way FreeRADIUS prints it, or `error: ...`.
    Decode(CodecOpts),
}

/// What the text form is encoded and decoded with.
#[derive(Debug, clap::Args)]
struct CodecOpts {
    /// A FreeRADIUS dictionary to load at run time: a tree's root file (e.g.
    /// /usr/share/freeradius/dictionary) or a directory holding one, which
    /// replaces the compiled-in dictionaries, or a file that defines no
    /// User-Name (one vendor's), which is loaded on top of them.
    #[arg(long, value_name = "PATH")]
    dict: Option<PathBuf>,
    /// Shared secret for encrypted attributes (User-Password, Tunnel-Password ...).
    #[arg(long, default_value = "testing123")]
    secret: String,
    /// Request Authenticator for encrypted attributes, 32 hex digits.
    #[arg(
        long,
        value_name = "HEX",
        default_value = "000102030405060708090a0b0c0d0e0f"
    )]
    authenticator: String,
    /// Fixed Tunnel-Password salt, 4 hex digits (random when absent).
    #[arg(long, value_name = "HEX")]
    salt: Option<String>,
}

/// Run `radius attr`. Exits non-zero when any line failed (after printing
/// every line).
pub fn run(args: AttrArgs) -> anyhow::Result<()> {
    let (opts, encode) = match &args.cmd {
        AttrCmd::Encode(o) => (o, true),
        AttrCmd::Decode(o) => (o, false),
    };
    let dict = crate::embedded::load_layered(opts.dict.as_deref())?;
    let auth: [u8; 16] = hex_decode(&opts.authenticator)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| anyhow::anyhow!("--authenticator must be 32 hex digits (16 octets)"))?;
    let mut codec = Codec::new(&dict)
        .with_secret(opts.secret.as_bytes())
        .with_authenticator(auth);
    if let Some(s) = &opts.salt {
        let salt: [u8; 2] = hex_decode(s)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| anyhow::anyhow!("--salt must be 4 hex digits (2 octets)"))?;
        codec = codec.with_salt(salt);
    }
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let (mut lines, mut failed) = (0usize, 0usize);
    for line in stdin.lock().lines() {
        let line = line?;
        let line = line.trim_end_matches('\r');
        lines += 1;
        let result = if encode {
            codec.encode_line(line).map(|b| hex_spaced(&b))
        } else {
            hex_decode(line)
                .map_err(radius_core::text::TextError::Hex)
                .and_then(|b| codec.decode_to_string(&b))
        };
        match result {
            Ok(s) => writeln!(out, "{s}")?,
            Err(e) => {
                failed += 1;
                writeln!(out, "error: {e}")?;
            }
        }
    }
    out.flush()?;
    if failed > 0 {
        anyhow::bail!("{failed} of {lines} input lines failed");
    }
    Ok(())
}
