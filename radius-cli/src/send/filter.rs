//! What a reply must be for its request to pass: radclient's filters
//! (`-f requests:filters`). A filter is a list of comparisons,
//! `Reply-Message == "welcome"`, `Session-Timeout >= 60`,
//! `Reply-Message =~ "^wel"`, `Class =* ANY`, `Class !* ANY`, and may name
//! the reply code with `Response-Packet-Type = Access-Reject`. Without a
//! filter, or without a code in it, the code must be the positive answer
//! to the request (Access-Accept, Accounting-Response, CoA-ACK,
//! Disconnect-ACK; either of the first two for Status-Server).
//!
//! A comparison holds when some attribute of its name in the reply
//! satisfies it (`!*`: when there is none). Where radclient 3.2 differs:
//! it pairs the filter's comparisons with the reply's attributes one to
//! one, so it also fails a reply with attributes the filter does not list
//! (its filter must describe the whole reply) and cannot check a range
//! (`Session-Timeout > 60, Session-Timeout < 4000` asks for two
//! Session-Timeouts), and it never passes `=` (not a comparison operator
//! to it). Here `=` is `==`, other reply attributes are allowed, and every
//! filter radclient passes passes.

use std::cmp::Ordering;

use anyhow::{bail, Context as _};
use radius_core::text::{AttrRef, Codec, Operator, Pair, Value};
use radius_core::Code;

/// The expected reply to one request.
#[derive(Debug, Default)]
pub(super) struct Expect {
    /// The reply code; `None`: the positive answer to the request.
    code: Option<Code>,
    checks: Vec<Check>,
}

/// One comparison of a filter.
#[derive(Debug)]
struct Check {
    attr: AttrRef,
    tag: Option<u8>,
    op: Operator,
    want: Want,
    /// The comparison as text, for messages.
    text: String,
    /// The attribute's name, for messages.
    name: String,
}

#[derive(Debug)]
enum Want {
    Value(Value),
    Regex(regex::Regex),
    Nothing,
}

impl Expect {
    /// Read one filter (a list in the text form, with comparison operators).
    pub(super) fn parse(codec: &Codec<'_>, text: &str) -> anyhow::Result<Expect> {
        let mut expect = Expect::default();
        for item in codec.parse_items(text)? {
            let value = String::from_utf8_lossy(&item.value).into_owned();
            if ["Response-Packet-Type", "Packet-Type"]
                .iter()
                .any(|n| item.name.eq_ignore_ascii_case(n))
            {
                let code = Code::from_name(&value)
                    .or_else(|| value.parse::<u8>().ok().map(Code))
                    .with_context(|| format!("{}: unknown packet type {value:?}", item.name))?;
                expect.code = Some(code);
                continue;
            }
            let (attr, tag, want, text) = match item.op {
                Operator::Equal
                | Operator::CmpEqual
                | Operator::NotEqual
                | Operator::Greater
                | Operator::GreaterEqual
                | Operator::Less
                | Operator::LessEqual => {
                    let p = codec.pair(&item)?;
                    let printed = codec.format_pair(&p);
                    let text = printed.replacen(" = ", &format!(" {} ", item.op), 1);
                    (p.attr, p.tag, Want::Value(p.value), text)
                }
                Operator::RegexMatch | Operator::RegexNoMatch => {
                    let re = regex::Regex::new(&value)
                        .with_context(|| format!("{} {} {value:?}", item.name, item.op))?;
                    let text = format!("{} {} \"{value}\"", item.name, item.op);
                    (codec.resolve(&item.name)?, None, Want::Regex(re), text)
                }
                Operator::Present | Operator::Absent => {
                    let text = format!("{} {} ANY", item.name, item.op);
                    (codec.resolve(&item.name)?, None, Want::Nothing, text)
                }
                op => bail!(
                    "{} {op}: not a comparison (use ==, !=, <, >, <=, >=, =~, !~, =* or !*)",
                    item.name
                ),
            };
            let tag = match (&item.tag, tag) {
                (_, Some(t)) => Some(t),
                (Some(t), None) => Some(t.parse().context("tag")?),
                (None, None) => None,
            };
            expect.checks.push(Check {
                attr,
                tag,
                op: item.op,
                want,
                text,
                name: item.name,
            });
        }
        Ok(expect)
    }

    /// Whether a reply with `code` and attributes `reply` (decoded by
    /// `codec`) passes, for a request of `request`; the reason when not,
    /// in radclient's words.
    pub(super) fn check(
        &self,
        request: Code,
        code: Code,
        reply: &[Pair],
        codec: &Codec<'_>,
    ) -> Result<(), String> {
        match self.code {
            Some(want) if want != code => return Err(format!("Expected {want} got {code}")),
            Some(_) => {}
            None => {
                let want = positive(request);
                if !want.contains(&code) {
                    let names: Vec<String> = want.iter().map(Code::to_string).collect();
                    return Err(format!("Expected {} got {code}", names.join(" or ")));
                }
            }
        }
        for c in &self.checks {
            let mut instances = reply
                .iter()
                .filter(|p| p.attr == c.attr && (c.tag.is_none() || p.tag == c.tag))
                .peekable();
            let fail = |why: String| Err(format!("Response for failed filter: {why}"));
            let Some(&first) = instances.peek() else {
                if c.op == Operator::Absent {
                    continue;
                }
                return fail(format!("Attribute \"{}\" not found in list", c.name));
            };
            let ok = match &c.want {
                Want::Nothing => c.op == Operator::Present,
                Want::Value(v) => instances.any(|p| holds(c.op, order(&p.value, v))),
                Want::Regex(re) => instances
                    .any(|p| re.is_match(&value_text(codec, p)) == (c.op == Operator::RegexMatch)),
            };
            if !ok && c.op == Operator::Absent {
                return fail(format!(
                    "Attribute \"{}\" found in list: {}",
                    c.name,
                    codec.format_pair(first)
                ));
            }
            if !ok {
                return fail(format!(
                    "Attribute value \"{}\" didn't match filter: {}",
                    value_text(codec, first),
                    c.text
                ));
            }
        }
        Ok(())
    }
}

/// The positive answers to a request code.
fn positive(request: Code) -> &'static [Code] {
    match request {
        Code::ACCESS_REQUEST => &[Code::ACCESS_ACCEPT],
        Code::ACCOUNTING_REQUEST => &[Code::ACCOUNTING_RESPONSE],
        Code::COA_REQUEST => &[Code::COA_ACK],
        Code::DISCONNECT_REQUEST => &[Code::DISCONNECT_ACK],
        _ => &[Code::ACCESS_ACCEPT, Code::ACCOUNTING_RESPONSE],
    }
}

/// Whether `op` holds for a reply value ordered `o` against the filter's.
fn holds(op: Operator, o: Option<Ordering>) -> bool {
    match (op, o) {
        (Operator::NotEqual, o) => o != Some(Ordering::Equal),
        (_, None) => false,
        (Operator::Greater, Some(o)) => o == Ordering::Greater,
        (Operator::GreaterEqual, Some(o)) => o != Ordering::Less,
        (Operator::Less, Some(o)) => o == Ordering::Less,
        (Operator::LessEqual, Some(o)) => o != Ordering::Greater,
        (_, Some(o)) => o == Ordering::Equal,
    }
}

/// How a reply value compares with a filter's: numerically for numbers,
/// octet by octet for the rest; `None` for values of different types.
fn order(reply: &Value, filter: &Value) -> Option<Ordering> {
    match (reply, filter) {
        (Value::Signed(a), Value::Signed(b)) => Some(a.cmp(b)),
        (a, b) if a.data_type() == b.data_type() => Some(a.to_bytes().cmp(&b.to_bytes())),
        _ => None,
    }
}

/// A value as a regular expression sees it: a string's own text, anything
/// else as printed.
fn value_text(codec: &Codec<'_>, p: &Pair) -> String {
    if let Value::String(s) = &p.value {
        return String::from_utf8_lossy(s).into_owned();
    }
    let printed = codec.format_pair(p);
    match printed.split_once(" = ") {
        Some((_, v)) => v.to_owned(),
        None => printed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_core::dict::Dictionary;

    fn dict() -> Dictionary {
        Dictionary::parse_str(
            "d",
            "ATTRIBUTE Reply-Message 18 string\nATTRIBUTE Session-Timeout 27 integer\n\
             ATTRIBUTE Class 25 octets\nATTRIBUTE Framed-IP-Address 8 ipaddr\n",
        )
        .unwrap()
    }

    fn verdict(filter: &str, code: Code, reply: &str) -> Result<(), String> {
        let d = dict();
        let c = Codec::new(&d);
        let e = Expect::parse(&c, filter).unwrap();
        e.check(Code::ACCESS_REQUEST, code, &c.parse(reply).unwrap(), &c)
    }

    const REPLY: &str = "Reply-Message = \"hello bob\", Reply-Message = \"second\", \
                         Session-Timeout = 3600, Framed-IP-Address = 10.0.0.9";

    #[test]
    fn comparisons() {
        let ok = |f: &str| verdict(f, Code::ACCESS_ACCEPT, REPLY);
        ok("").unwrap();
        ok("Reply-Message == \"hello bob\"").unwrap();
        ok("Reply-Message = \"hello bob\"").unwrap();
        ok("Reply-Message == \"hello bob\", Reply-Message == \"second\"").unwrap();
        ok("Session-Timeout > 60, Session-Timeout < 4000").unwrap();
        ok("Session-Timeout >= 3600, Session-Timeout <= 3600, Session-Timeout != 1").unwrap();
        ok("Reply-Message =~ \"^hello\\\\s\", Reply-Message !~ \"^x\"").unwrap();
        ok("Framed-IP-Address == 10.0.0.9, Framed-IP-Address =~ \"^10\\\\.\"").unwrap();
        ok("Class !* ANY, Session-Timeout =* ANY").unwrap();
        ok("Response-Packet-Type = Access-Accept").unwrap();

        let e = ok("Reply-Message == \"nope\"").unwrap_err();
        assert_eq!(
            e,
            "Response for failed filter: Attribute value \"hello bob\" didn't match filter: Reply-Message == \"nope\""
        );
        let e = ok("Class =* ANY").unwrap_err();
        assert!(e.ends_with("Attribute \"Class\" not found in list"), "{e}");
        let e = ok("Session-Timeout !* ANY").unwrap_err();
        assert!(e.contains("found in list: Session-Timeout = 3600"), "{e}");
        let e = ok("Class == 0x01").unwrap_err();
        assert!(e.ends_with("Attribute \"Class\" not found in list"), "{e}");
        // Some Reply-Message matches each: any instance will do.
        ok("Reply-Message == \"second\", Reply-Message != \"second\"").unwrap();
        ok("Reply-Message =~ \"^sec\"").unwrap();
        assert!(ok("Reply-Message !~ \"e\"").is_err(), "both have an e");
        assert!(ok("Session-Timeout > 3600").is_err());
        assert!(ok("Session-Timeout < 3600").is_err());
        let e = ok("Response-Packet-Type = Access-Reject").unwrap_err();
        assert_eq!(e, "Expected Access-Reject got Access-Accept");
    }

    #[test]
    fn codes() {
        let e = verdict("", Code::ACCESS_REJECT, "").unwrap_err();
        assert_eq!(e, "Expected Access-Accept got Access-Reject");
        verdict(
            "Response-Packet-Type == Access-Reject",
            Code::ACCESS_REJECT,
            "",
        )
        .unwrap();
        verdict("Packet-Type = 3", Code::ACCESS_REJECT, "").unwrap();
        let d = dict();
        let c = Codec::new(&d);
        let status = Expect::default();
        status
            .check(Code::STATUS_SERVER, Code::ACCOUNTING_RESPONSE, &[], &c)
            .unwrap();
        let e = status
            .check(Code::STATUS_SERVER, Code::ACCESS_REJECT, &[], &c)
            .unwrap_err();
        assert_eq!(
            e,
            "Expected Access-Accept or Accounting-Response got Access-Reject"
        );
    }

    #[test]
    fn bad_filters_are_errors() {
        let d = dict();
        let c = Codec::new(&d);
        for f in [
            "Reply-Message := \"x\"",
            "Reply-Message += \"x\"",
            "No-Such == 1",
            "Session-Timeout == abc",
            "Reply-Message =~ \"(\"",
            "Response-Packet-Type = Nonsense",
        ] {
            assert!(Expect::parse(&c, f).is_err(), "{f}");
        }
    }
}
