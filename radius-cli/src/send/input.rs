//! The input of `radius send`: attribute lists from stdin or `-f` files,
//! blank-line-separated blocks as radclient reads them (or one per line),
//! each with its expected reply, read from the filter file of
//! `-f requests:filters` (one filter per request, in the same layout).

use std::io::{IsTerminal, Read};
use std::path::Path;

use anyhow::{bail, Context as _};
use radius_core::dict::Dictionary;
use radius_core::text::{Codec, Pair};

use super::chap::Chap;
use super::filter::Expect;

/// One request to send, as read.
#[derive(Debug)]
pub(super) struct Request {
    /// Its attributes.
    pub pairs: Vec<Pair>,
    /// A CHAP-Password given in clear, answered per transmission.
    pub chap: Option<Chap>,
    /// What the reply must be.
    pub expect: Expect,
    /// Where it was read ("stdin" or the file name), for messages.
    pub source: String,
}

/// Where to read: `-f` values (`FILE` or `FILE:FILTERS`), none for stdin.
pub(super) struct Sources<'a> {
    /// The `-f` values.
    pub files: &'a [String],
    /// One list per line instead of per block.
    pub per_line: bool,
    /// Status-Server: no input is one empty request.
    pub status: bool,
    /// Access-Request: answer clear-text CHAP-Passwords.
    pub chap: bool,
}

/// Read and parse every request (and filter) before anything is sent.
pub(super) fn read(dict: &Dictionary, src: &Sources<'_>) -> anyhow::Result<Vec<Request>> {
    let codec = Codec::new(dict);
    let mut out = Vec::new();
    if src.files.is_empty() {
        let text = if std::io::stdin().is_terminal() && src.status {
            String::new()
        } else {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("reading stdin")?;
            s
        };
        requests(&codec, src, "stdin", &text, None, &mut out)?;
    }
    for arg in src.files {
        let (file, filters) = split_file_arg(arg);
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
        let filters = match filters {
            Some(f) => Some((
                f,
                std::fs::read_to_string(f).with_context(|| format!("reading {f}"))?,
            )),
            None => None,
        };
        let filters = filters.as_ref().map(|(f, t)| (*f, t.as_str()));
        requests(&codec, src, file, &text, filters, &mut out)?;
    }
    if out.is_empty() {
        if src.status {
            out.push(Request {
                pairs: Vec::new(),
                chap: None,
                expect: Expect::default(),
                source: "stdin".to_owned(),
            });
        } else {
            bail!("no attribute lists on input (one per line or blank-line-separated blocks, e.g. User-Name = \"bob\", User-Password = \"hello\")");
        }
    }
    Ok(out)
}

/// `FILE:FILTERS` as radclient splits it (at the first colon), unless
/// `FILE` with its colon exists.
fn split_file_arg(arg: &str) -> (&str, Option<&str>) {
    if Path::new(arg).exists() {
        return (arg, None);
    }
    match arg.split_once(':') {
        Some((f, filters)) if !f.is_empty() && !filters.is_empty() => (f, Some(filters)),
        _ => (arg, None),
    }
}

/// The requests of one text (and their filters) onto `out`.
fn requests(
    codec: &Codec<'_>,
    src: &Sources<'_>,
    source: &str,
    text: &str,
    filters: Option<(&str, &str)>,
    out: &mut Vec<Request>,
) -> anyhow::Result<()> {
    let lists = split_input(text, src.per_line);
    let mut expects: Vec<Expect> = Vec::new();
    if let Some((name, ftext)) = filters {
        let blocks = split_input(ftext, src.per_line);
        if blocks.len() != lists.len() {
            bail!(
                "{source} has {} request(s) but {name} has {} filter(s): they must be as many",
                lists.len(),
                blocks.len()
            );
        }
        for (line, t) in &blocks {
            expects.push(
                Expect::parse(codec, t).map_err(|e| anyhow::anyhow!("{name}:{line}: {e:#}"))?,
            );
        }
    }
    let mut expects = expects.into_iter();
    for (line, t) in &lists {
        let at = |e: &dyn std::fmt::Display| anyhow::anyhow!("{source}:{line}: {e}");
        let items = codec.parse_items(t).map_err(|e| at(&e))?;
        let pairs = items
            .iter()
            .map(|i| codec.pair(i))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| at(&e))?;
        let chap = if src.chap {
            Chap::find(codec.dictionary(), &items, &pairs)
        } else {
            None
        };
        out.push(Request {
            pairs,
            chap,
            expect: expects.next().unwrap_or_default(),
            source: source.to_owned(),
        });
    }
    Ok(())
}

/// Split input into attribute lists: (1-based first line, text).
pub(super) fn split_input(text: &str, per_line: bool) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('#') {
            continue;
        }
        if t.is_empty() {
            out.extend(cur.take());
            continue;
        }
        if per_line {
            out.push((i + 1, t.to_string()));
            continue;
        }
        match &mut cur {
            None => cur = Some((i + 1, t.to_string())),
            Some((_, s)) => {
                // Lines of one block are one list; join with a comma unless
                // the previous line already ends with one.
                if !s.trim_end().ends_with(',') {
                    s.push(',');
                }
                s.push(' ');
                s.push_str(t);
            }
        }
    }
    out.extend(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_blocks_and_lines() {
        let t = "# comment\nUser-Name = \"a\"\nUser-Password = \"p\"\n\n\nUser-Name = \"b\",\n  NAS-Port = 1\n";
        let b = split_input(t, false);
        assert_eq!(
            b,
            vec![
                (2, "User-Name = \"a\", User-Password = \"p\"".to_string()),
                (6, "User-Name = \"b\", NAS-Port = 1".to_string())
            ]
        );
        let l = split_input("a = 1\nb = 2\n\nc = 3", true);
        assert_eq!(l.len(), 3);
    }

    #[test]
    fn file_and_filters() {
        assert_eq!(split_file_arg("req"), ("req", None));
        assert_eq!(split_file_arg("req:filt"), ("req", Some("filt")));
        assert_eq!(split_file_arg("req:"), ("req:", None));
        let dir = std::env::temp_dir();
        let odd = dir.join(format!("radius-send-{}:x", std::process::id()));
        std::fs::write(&odd, "").unwrap();
        let name = odd.to_str().unwrap();
        assert_eq!(
            split_file_arg(name),
            (name, None),
            "an existing name is whole"
        );
        let _ = std::fs::remove_file(&odd);
    }
}
