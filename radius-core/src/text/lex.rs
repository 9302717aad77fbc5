//! The hand-written lexer under [`Codec::parse`](super::Codec::parse):
//! names, operators and quoted or bare values of one line, with
//! FreeRADIUS's escapes and 1-based columns for errors.

use super::types::{Result, TextError};

/// A hand-written lexer for one line of pairs.
pub(super) struct Lexer<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Lexer<'a> {
    /// A lexer at the start of `s`.
    pub(super) fn new(s: &'a str) -> Self {
        Lexer { s, pos: 0 }
    }
    pub(super) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }
    pub(super) fn peek(&self) -> Option<char> {
        self.s[self.pos..].chars().next()
    }
    pub(super) fn peek2(&self) -> Option<char> {
        let mut it = self.s[self.pos..].chars();
        it.next();
        it.next()
    }
    pub(super) fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }
    pub(super) fn column(&self) -> usize {
        self.s[..self.pos].chars().count() + 1
    }
    pub(super) fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }
    pub(super) fn take_while(&mut self, f: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.bump();
        }
        &self.s[start..self.pos]
    }
    pub(super) fn name(&mut self) -> String {
        self.take_while(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
            .to_owned()
    }
    pub(super) fn describe_next(&self) -> String {
        match self.peek() {
            None => "end of line".to_owned(),
            Some(c) => format!("\"{c}\""),
        }
    }
    pub(super) fn error(&self, message: String) -> TextError {
        TextError::Syntax {
            column: self.column(),
            message,
        }
    }
    /// The operator here (longest first), consumed.
    pub(super) fn take_operator(&mut self) -> Option<&'static str> {
        for op in [
            ":=", "+=", "-=", "==", "!=", ">=", "<=", "=~", "!~", "=*", "!*", "=", ">", "<",
        ] {
            if self.s[self.pos..].starts_with(op) {
                self.pos += op.len();
                return Some(op);
            }
        }
        None
    }
    /// A quoted or bare value: (text, was quoted).
    pub(super) fn value(&mut self, name: &str) -> Result<(Vec<u8>, bool)> {
        match self.peek() {
            Some(q @ ('"' | '\'')) => {
                let col = self.column();
                self.bump();
                let mut out: Vec<u8> = Vec::new();
                loop {
                    let Some(c) = self.bump() else {
                        return Err(TextError::Syntax {
                            column: col,
                            message: format!("unterminated {q}-quoted value of {name}"),
                        });
                    };
                    if c == q {
                        break;
                    }
                    if c != '\\' {
                        let mut b = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                        continue;
                    }
                    let Some(e) = self.peek() else {
                        return Err(self.error(format!("escape at end of the value of {name}")));
                    };
                    let rest = &self.s[self.pos..];
                    let oct = rest.as_bytes();
                    if oct.len() >= 3 && oct[..3].iter().all(|b| b.is_ascii_digit()) {
                        if let Ok(n) = u8::from_str_radix(&rest[..3], 8) {
                            out.push(n);
                            self.pos += 3;
                            continue;
                        }
                    }
                    match e {
                        'r' => out.push(b'\r'),
                        'n' => out.push(b'\n'),
                        't' => out.push(b'\t'),
                        '\\' => out.push(b'\\'),
                        c if c == q => out.push(q as u8),
                        _ => {
                            // Not an escape: keep the backslash (as FreeRADIUS).
                            out.push(b'\\');
                            continue;
                        }
                    }
                    self.bump();
                }
                Ok((out, true))
            }
            Some('`') => Err(self.error(format!(
                "back-quoted (expanded) values are not supported for {name}"
            ))),
            _ => {
                let v = self.take_while(|c| !c.is_whitespace() && c != ',');
                if v.is_empty() {
                    return Err(self.error(format!(
                        "expected a value for {name}, found {}",
                        self.describe_next()
                    )));
                }
                Ok((v.as_bytes().to_vec(), false))
            }
        }
    }
}
