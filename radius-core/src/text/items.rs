//! [`Codec::parse_items`]: a line of `Name[:tag] op value` items as
//! written (operator and quoting kept), for readers that give operators a
//! meaning (radclient's reply filters) or need to know how a value was
//! written; [`Codec::pair`] then types one item.

use std::fmt;

use super::codec::Codec;
use super::lex::Lexer;
use super::types::{Pair, Result};

/// An operator of the text form. [`Codec::parse`] ignores them; what
/// they mean is the reader's (FreeRADIUS gives assignments to request and
/// reply lists, comparisons to check items and filters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operator {
    /// `=`
    Equal,
    /// `:=`
    Set,
    /// `+=`
    Add,
    /// `-=`
    Sub,
    /// `==`
    CmpEqual,
    /// `!=`
    NotEqual,
    /// `>=`
    GreaterEqual,
    /// `<=`
    LessEqual,
    /// `>`
    Greater,
    /// `<`
    Less,
    /// `=~` (regular expression match)
    RegexMatch,
    /// `!~` (regular expression mismatch)
    RegexNoMatch,
    /// `=*` (present, whatever the value)
    Present,
    /// `!*` (absent)
    Absent,
}

impl Operator {
    /// As written.
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Equal => "=",
            Operator::Set => ":=",
            Operator::Add => "+=",
            Operator::Sub => "-=",
            Operator::CmpEqual => "==",
            Operator::NotEqual => "!=",
            Operator::GreaterEqual => ">=",
            Operator::LessEqual => "<=",
            Operator::Greater => ">",
            Operator::Less => "<",
            Operator::RegexMatch => "=~",
            Operator::RegexNoMatch => "!~",
            Operator::Present => "=*",
            Operator::Absent => "!*",
        }
    }

    fn from_token(t: &str) -> Operator {
        match t {
            ":=" => Operator::Set,
            "+=" => Operator::Add,
            "-=" => Operator::Sub,
            "==" => Operator::CmpEqual,
            "!=" => Operator::NotEqual,
            ">=" => Operator::GreaterEqual,
            "<=" => Operator::LessEqual,
            ">" => Operator::Greater,
            "<" => Operator::Less,
            "=~" => Operator::RegexMatch,
            "!~" => Operator::RegexNoMatch,
            "=*" => Operator::Present,
            "!*" => Operator::Absent,
            _ => Operator::Equal,
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One `Name[:tag] op value` item of a line as written: the name not yet
/// resolved, the value not yet typed (quotes removed, escapes applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The attribute name as written.
    pub name: String,
    /// The tag as written (`Tunnel-Type:1`), not yet checked.
    pub tag: Option<String>,
    /// The operator.
    pub op: Operator,
    /// The value's octets: the text of a bare value, or the content of a
    /// quoted one with its escapes applied.
    pub value: Vec<u8>,
    /// Whether the value was quoted (`"..."` or `'...'`).
    pub quoted: bool,
}

impl Codec<'_> {
    /// Split one line into its items without resolving names or typing
    /// values (the grammar of [`parse`](Self::parse), which is this
    /// followed by [`pair`](Self::pair) for each item).
    pub fn parse_items(&self, line: &str) -> Result<Vec<Item>> {
        let mut lx = Lexer::new(line);
        let mut out = Vec::new();
        loop {
            lx.skip_ws();
            if lx.at_end() || lx.peek() == Some('#') {
                break;
            }
            let name = lx.name();
            if name.is_empty() {
                return Err(lx.error(format!(
                    "expected an attribute name, found {}",
                    lx.describe_next()
                )));
            }
            let tag = if lx.peek() == Some(':') && lx.peek2() != Some('=') {
                lx.bump();
                let t = lx.take_while(|c| c.is_ascii_digit());
                if t.is_empty() {
                    return Err(lx.error(format!("expected a tag number after \"{name}:\"")));
                }
                Some(t.to_owned())
            } else {
                None
            };
            lx.skip_ws();
            let Some(op) = lx.take_operator() else {
                return Err(lx.error(format!(
                    "expected an operator (=, :=, +=, ==, ...) after \"{name}\", found {}",
                    lx.describe_next()
                )));
            };
            lx.skip_ws();
            let (value, quoted) = lx.value(&name)?;
            out.push(Item {
                name,
                tag,
                op: Operator::from_token(op),
                value,
                quoted,
            });
            lx.skip_ws();
            match lx.peek() {
                None => break,
                Some(',') => {
                    lx.bump();
                }
                Some(_) => {
                    let name = &out.last().expect("just pushed").name;
                    return Err(lx.error(format!(
                        "expected \",\" or end of line after the value of {name}, found {}",
                        lx.describe_next()
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The typed pair of one item: its name resolved in the dictionary,
    /// its tag checked and its value parsed for the attribute's type (the
    /// operator plays no part).
    pub fn pair(&self, item: &Item) -> Result<Pair> {
        self.make_pair(&item.name, item.tag.as_deref(), &item.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dict::Dictionary;

    #[test]
    fn items_keep_operators_and_quoting() {
        let d = Dictionary::parse_str(
            "d",
            "ATTRIBUTE Reply-Message 18 string\nATTRIBUTE Session-Timeout 27 integer\n\
             ATTRIBUTE CHAP-Password 3 octets\n",
        )
        .unwrap();
        let c = Codec::new(&d);
        let items = c
            .parse_items(
                "Reply-Message =~ \"^a\\\\.b, c\", Session-Timeout>=5, Class !* ANY, \
                 CHAP-Password = 0x01",
            )
            .unwrap();
        let ops: Vec<&str> = items.iter().map(|i| i.op.as_str()).collect();
        assert_eq!(ops, ["=~", ">=", "!*", "="]);
        assert_eq!(items[0].value, b"^a\\.b, c");
        assert!(items[0].quoted);
        assert_eq!(
            (items[1].value.as_slice(), items[1].quoted),
            (&b"5"[..], false)
        );
        assert_eq!(items[2].name, "Class");
        assert_eq!(items[3].value, b"0x01");
        // pair() types an item as parse() would.
        assert_eq!(
            c.pair(&items[1]).unwrap(),
            c.parse("Session-Timeout = 5").unwrap()[0]
        );
        assert!(
            c.pair(&items[2]).is_err(),
            "Class is not in this dictionary"
        );
        let e = c.parse_items("Reply-Message = \"x\" y").unwrap_err();
        assert!(
            e.to_string().contains("after the value of Reply-Message"),
            "{e}"
        );
    }
}
