//! `radius dict check|show`: validate a dictionary tree, print one
//! attribute's definition.

use std::fmt::Write as _;
use std::path::PathBuf;

use radius_core::dict::{DataType, Dictionary, Encrypt, Flags};
use radius_core::text::{AttrRef, Codec};

/// Arguments of `radius dict`.
#[derive(Debug, clap::Args)]
pub struct DictArgs {
    #[command(subcommand)]
    cmd: DictCmd,
}

#[derive(Debug, clap::Subcommand)]
enum DictCmd {
    /// Load a dictionary tree from its root file and print its counts;
    /// exits non-zero with file:line and the reason on the first error.
    Check {
        /// The root file, e.g. /usr/share/freeradius/dictionary, or a
        /// directory holding one (/usr/share/freeradius).
        path: PathBuf,
    },
    /// Print one attribute's definition: name, OID, type, flags, vendor,
    /// values and where it is defined.
    Show {
        /// Attribute name (case-insensitive; TLV members also as Parent.Child).
        name: String,
        /// Dictionary tree (root file or directory) to use instead of the
        /// compiled-in one.
        #[arg(long, value_name = "PATH")]
        dict: Option<PathBuf>,
    },
}

/// Run `radius dict`.
pub fn run(args: DictArgs) -> anyhow::Result<()> {
    match args.cmd {
        DictCmd::Check { path } => {
            let d = Dictionary::from_file(&path)?;
            println!(
                "{}: OK: {} files, {} vendors, {} attributes, {} values",
                path.display(),
                d.files().len(),
                d.num_vendors(),
                d.num_attributes(),
                d.num_values()
            );
            Ok(())
        }
        DictCmd::Show { name, dict } => {
            let d = crate::embedded::load_layered(dict.as_deref())?;
            print!("{}", show(&d, &name)?);
            Ok(())
        }
    }
}

fn flags_text(t: DataType, f: &Flags) -> String {
    let mut v: Vec<String> = Vec::new();
    if let Some(n) = f.length {
        v.push(format!("length={n}"));
    }
    if f.has_tag {
        v.push("has_tag".into());
    }
    if f.encrypt != Encrypt::None {
        v.push(format!("encrypt={}", f.encrypt.number()));
    }
    for (on, name) in [
        (f.array, "array"),
        (f.concat, "concat"),
        (f.virtual_, "virtual"),
        (f.secret && f.encrypt == Encrypt::None, "secret"),
        (f.abinary && t != DataType::Abinary, "abinary"),
    ] {
        if on {
            v.push(name.into());
        }
    }
    if v.is_empty() {
        "-".into()
    } else {
        v.join(",")
    }
}

/// The text `radius dict show` prints.
fn show(d: &Dictionary, name: &str) -> anyhow::Result<String> {
    let codec = Codec::new(d);
    let id = match codec.resolve(name)? {
        AttrRef::Known(id) => id,
        AttrRef::Raw(o) => anyhow::bail!("{name} is the raw form {o}, not a dictionary attribute"),
    };
    let a = d.attr(id);
    let mut s = String::new();
    writeln!(s, "name:     {}", a.name)?;
    writeln!(s, "oid:      {}", d.oid(id))?;
    writeln!(s, "type:     {}", a.data_type)?;
    writeln!(s, "flags:    {}", flags_text(a.data_type, &a.flags))?;
    let vendor = match a.vendor {
        Some(v) => match d.vendor_by_id(v) {
            Some(vd) => format!(
                "{} ({v}, format={},{}{})",
                vd.name,
                vd.type_width,
                vd.length_width,
                if vd.continuation { ",c" } else { "" }
            ),
            None => v.to_string(),
        },
        None => "-".into(),
    };
    writeln!(s, "vendor:   {vendor}")?;
    if let Some(p) = a.parent {
        writeln!(s, "parent:   {}", d.attr(p).name)?;
    }
    if d.is_alias(id) {
        writeln!(
            s,
            "alias of: {} (printed name of this number)",
            d.attr(d.canonical(id)).name
        )?;
    }
    writeln!(s, "location: {}", a.location)?;
    let children = d.children(id);
    if !children.is_empty() {
        writeln!(s, "members:")?;
        for &c in children {
            let ca = d.attr(c);
            writeln!(s, "  {} {} {}", d.oid(c), ca.name, ca.data_type)?;
        }
    }
    let values = d.values_of(id);
    if !values.is_empty() {
        writeln!(s, "values:")?;
        for v in values {
            writeln!(s, "  {} = {}", v.name, v.value)?;
        }
    }
    Ok(s)
}
