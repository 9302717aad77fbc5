//! Realm routing on User-Name: which target (a home-server pool, or the
//! server's own handlers) a request goes to, and the User-Name to forward.
//!
//! A User-Name's realm is the suffix after its **last** `@`
//! (`bob@example.org` → `example.org`) or, when it has no `@`, the prefix
//! before its **first** `/` or `\` (`EXAMPLE\bob` → `EXAMPLE`,
//! `example.org/bob` → `example.org`); see [`split_realm`]. An empty realm
//! (`bob@`, `/bob`) is no realm.
//!
//! A [`RealmTable`] is built from [`RealmRule`]s, each named in one of three
//! forms:
//!
//! - an **exact** realm (`example.org`): matches when the User-Name's realm
//!   equals it, compared case-insensitively (both sides lowercased);
//! - a **regex** written `/regex/` (`/^.*\.example\.org$/` is fine, but the
//!   anchors are implied): matches when the regex (the [`regex`] crate's
//!   syntax) matches the **whole** User-Name; use `(?i)` for case-insensitive
//!   matching;
//! - **`*`**: the default route.
//!
//! Precedence: exact realms first, then regexes in rule order, then `*`. A
//! User-Name without a realm can only take the `*` route (or a regex that
//! matches it); with neither there is no route.
//!
//! With [`RealmRule::strip`], the forwarded User-Name loses the realm and
//! its delimiter (`bob@example.org` and `EXAMPLE\bob` both become `bob`); a
//! `*` rule strips whatever realm the name had. A regex rule strips only
//! through a named capture group `user`: `/(?P<user>[^@]+)@.*\.example\.org/`
//! forwards what `user` captured; without that group (or when it did not
//! take part in the match) the name is forwarded unchanged.
//!
//! Everything here is pure: no I/O, no clock.

use std::collections::HashMap;

use regex::Regex;

/// Where a realm's requests go.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    /// Forward to the home-server pool of this name.
    Pool(String),
    /// Handle locally, with the server's own handlers.
    Local,
}

/// One configured realm, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealmRule {
    /// `example.org`, `/regex/` or `*` (see the [module docs](self)).
    pub name: String,
    /// Where matching requests go.
    pub target: Target,
    /// Forward the User-Name without its realm.
    pub strip: bool,
}

impl RealmRule {
    /// A rule routing `name` to `target`, without stripping.
    pub fn new(name: impl Into<String>, target: Target) -> RealmRule {
        RealmRule {
            name: name.into(),
            target,
            strip: false,
        }
    }

    /// The same rule with stripping set to `strip`.
    pub fn strip(mut self, strip: bool) -> RealmRule {
        self.strip = strip;
        self
    }
}

/// Why a set of rules is not a [`RealmTable`]. Each error carries the
/// index (0-based, in the order given) of the offending rule, so that a
/// configuration loader can name its file and line.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RealmError {
    /// A rule with an empty name (or `//`, an empty regex).
    #[error("empty realm name")]
    Empty {
        /// The offending rule.
        index: usize,
    },
    /// An exact name with `@` in it: no User-Name's realm can contain one.
    #[error(
        "realm {name:?} contains '@' and can never match (the realm is what follows the last '@')"
    )]
    Unmatchable {
        /// The offending rule.
        index: usize,
        /// Its name.
        name: String,
    },
    /// A name given twice (exact names compared case-insensitively,
    /// regexes by their text), or a second `*`.
    #[error("realm {name:?} is already defined by rule {first}")]
    Duplicate {
        /// The second rule of the name.
        index: usize,
        /// The index of the first.
        first: usize,
        /// The name as the second rule wrote it.
        name: String,
    },
    /// A `/regex/` that does not compile.
    #[error("invalid realm regex: {error}")]
    Regex {
        /// The offending rule.
        index: usize,
        /// What the regex crate said.
        error: regex::Error,
    },
}

impl RealmError {
    /// The index of the offending rule.
    pub fn index(&self) -> usize {
        match self {
            RealmError::Empty { index }
            | RealmError::Unmatchable { index, .. }
            | RealmError::Duplicate { index, .. }
            | RealmError::Regex { index, .. } => *index,
        }
    }
}

/// A request's route: the rule that matched and the User-Name to forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<'a> {
    /// Index of the matching rule, in the order given to [`RealmTable::new`].
    pub index: usize,
    /// The matching rule's name, as configured (`example.org`, `/re/`, `*`).
    pub realm: &'a str,
    /// Where the request goes.
    pub target: &'a Target,
    /// The User-Name to forward: stripped when the rule says so, else the
    /// name as received.
    pub user_name: &'a str,
}

/// A User-Name split into its realm and the rest (see [`split_realm`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split<'a> {
    /// The realm, as written in the User-Name.
    pub realm: &'a str,
    /// The User-Name without the realm and its delimiter.
    pub user: &'a str,
}

/// The realm of `user_name`: the suffix after the last `@`, or (without
/// `@`) the prefix before the first `/` or `\`. `None` when there is no
/// delimiter or the realm would be empty.
pub fn split_realm(user_name: &str) -> Option<Split<'_>> {
    let (user, realm) = if let Some(at) = user_name.rfind('@') {
        (&user_name[..at], &user_name[at + 1..])
    } else {
        let sep = user_name.find(['/', '\\'])?;
        (&user_name[sep + 1..], &user_name[..sep])
    };
    (!realm.is_empty()).then_some(Split { realm, user })
}

#[derive(Debug, Clone)]
struct RegexRule {
    index: usize,
    /// Anchored at both ends.
    regex: Regex,
    /// Whether the regex has a group named `user`.
    has_user: bool,
}

/// Compiled realm rules; [`route`](RealmTable::route) finds a User-Name's
/// route.
#[derive(Debug, Clone)]
pub struct RealmTable {
    rules: Vec<RealmRule>,
    /// Lowercased exact name → rule index.
    exact: HashMap<String, usize>,
    regexes: Vec<RegexRule>,
    default: Option<usize>,
}

impl RealmTable {
    /// Check and compile `rules`. Rejects empty names, exact names with `@`,
    /// duplicates (a second `*` too) and regexes that do not compile.
    pub fn new(rules: Vec<RealmRule>) -> Result<RealmTable, RealmError> {
        let mut exact = HashMap::new();
        let mut regex_names: HashMap<&str, usize> = HashMap::new();
        let mut regexes = Vec::new();
        let mut default = None;
        for (index, rule) in rules.iter().enumerate() {
            let name = rule.name.as_str();
            let duplicate = |first: usize| RealmError::Duplicate {
                index,
                first,
                name: name.to_owned(),
            };
            if name.is_empty() {
                return Err(RealmError::Empty { index });
            } else if name == "*" {
                if let Some(first) = default {
                    return Err(duplicate(first));
                }
                default = Some(index);
            } else if let Some(pattern) = regex_pattern(name) {
                if pattern.is_empty() {
                    return Err(RealmError::Empty { index });
                }
                if let Some(&first) = regex_names.get(pattern) {
                    return Err(duplicate(first));
                }
                // Compile the pattern as written first, so that an error
                // quotes the operator's text rather than the anchored form.
                Regex::new(pattern).map_err(|error| RealmError::Regex { index, error })?;
                let regex = Regex::new(&format!("^(?:{pattern})$"))
                    .map_err(|error| RealmError::Regex { index, error })?;
                let has_user = regex.capture_names().any(|n| n == Some("user"));
                regex_names.insert(pattern, index);
                regexes.push(RegexRule {
                    index,
                    regex,
                    has_user,
                });
            } else {
                if name.contains('@') {
                    return Err(RealmError::Unmatchable {
                        index,
                        name: name.to_owned(),
                    });
                }
                if let Some(&first) = exact.get(&name.to_lowercase()) {
                    return Err(duplicate(first));
                }
                exact.insert(name.to_lowercase(), index);
            }
        }
        Ok(RealmTable {
            rules,
            exact,
            regexes,
            default,
        })
    }

    /// The rules, in the order given.
    pub fn rules(&self) -> &[RealmRule] {
        &self.rules
    }

    /// The route for `user_name`, or `None` when no rule matches.
    pub fn route<'a>(&'a self, user_name: &'a str) -> Option<Route<'a>> {
        let split = split_realm(user_name);
        let found = |index: usize, forward: &'a str| {
            let rule = &self.rules[index];
            Route {
                index,
                realm: &rule.name,
                target: &rule.target,
                user_name: if rule.strip { forward } else { user_name },
            }
        };
        if let Some(split) = split {
            let hit = if split.realm.chars().any(char::is_uppercase) {
                self.exact.get(&split.realm.to_lowercase())
            } else {
                self.exact.get(split.realm)
            };
            if let Some(&index) = hit {
                return Some(found(index, split.user));
            }
        }
        for r in &self.regexes {
            if !self.rules[r.index].strip || !r.has_user {
                if r.regex.is_match(user_name) {
                    return Some(found(r.index, user_name));
                }
            } else if let Some(caps) = r.regex.captures(user_name) {
                let forward = caps.name("user").map_or(user_name, |m| m.as_str());
                return Some(found(r.index, forward));
            }
        }
        self.default
            .map(|index| found(index, split.map_or(user_name, |s| s.user)))
    }
}

/// The pattern of a `/regex/` name.
fn regex_pattern(name: &str) -> Option<&str> {
    (name.len() >= 2 && name.starts_with('/') && name.ends_with('/'))
        .then(|| &name[1..name.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pool(name: &str, p: &str) -> RealmRule {
        RealmRule::new(name, Target::Pool(p.into()))
    }

    fn table(rules: Vec<RealmRule>) -> RealmTable {
        RealmTable::new(rules).unwrap()
    }

    /// (rule name, forwarded User-Name) of a route.
    fn at<'a>(t: &'a RealmTable, user: &'a str) -> Option<(&'a str, &'a str)> {
        t.route(user).map(|r| (r.realm, r.user_name))
    }

    #[test]
    fn splits_suffix_and_prefix() {
        let s = |u| split_realm(u).map(|s| (s.realm, s.user));
        assert_eq!(s("bob@example.org"), Some(("example.org", "bob")));
        assert_eq!(s("a@b@example.org"), Some(("example.org", "a@b")));
        assert_eq!(s("EXAMPLE\\bob"), Some(("EXAMPLE", "bob")));
        assert_eq!(s("example.org/bob"), Some(("example.org", "bob")));
        assert_eq!(s("a/b\\c"), Some(("a", "b\\c")));
        assert_eq!(s("DOM\\bob@example.org"), Some(("example.org", "DOM\\bob")));
        assert_eq!(s("bob"), None);
        assert_eq!(s("bob@"), None);
        assert_eq!(s("/bob"), None);
        assert_eq!(s(""), None);
    }

    #[test]
    fn exact_realms_case_insensitive_with_and_without_strip() {
        let t = table(vec![
            pool("example.org", "main").strip(true),
            pool("Other.NET", "other"),
            RealmRule::new("EXAMPLE", Target::Local).strip(true),
        ]);
        assert_eq!(at(&t, "bob@example.org"), Some(("example.org", "bob")));
        assert_eq!(at(&t, "bob@EXAMPLE.Org"), Some(("example.org", "bob")));
        assert_eq!(at(&t, "example.org/bob"), Some(("example.org", "bob")));
        assert_eq!(at(&t, "al@other.net"), Some(("Other.NET", "al@other.net")));
        assert_eq!(at(&t, "example\\bob"), Some(("EXAMPLE", "bob")));
        let r = t.route("EXAMPLE\\bob").unwrap();
        assert_eq!((r.index, r.target), (2, &Target::Local));
        assert_eq!(
            t.route("bob@example.org").unwrap().target,
            &Target::Pool("main".into())
        );
        // Exact means exact: no subdomain match, no realm, unknown realm.
        assert_eq!(at(&t, "bob@sub.example.org"), None);
        assert_eq!(at(&t, "bob"), None);
        assert_eq!(at(&t, "bob@example.com"), None);
    }

    #[test]
    fn default_route_and_its_strip() {
        let t = table(vec![
            pool("example.org", "main"),
            pool("*", "any").strip(true),
        ]);
        assert_eq!(
            at(&t, "bob@example.org"),
            Some(("example.org", "bob@example.org"))
        );
        assert_eq!(at(&t, "bob@elsewhere.org"), Some(("*", "bob")));
        assert_eq!(at(&t, "DOM\\bob"), Some(("*", "bob")));
        assert_eq!(at(&t, "bob"), Some(("*", "bob")));
        let t = table(vec![pool("*", "any")]);
        assert_eq!(
            at(&t, "bob@elsewhere.org"),
            Some(("*", "bob@elsewhere.org"))
        );
    }

    #[test]
    fn regexes_match_the_whole_name_in_order() {
        let t = table(vec![
            pool("*", "any"),
            pool("/.*@.*\\.example\\.org/", "sub"),
            pool("/.*@staff\\.example\\.org/", "never"),
            pool("/(?i)guest-.*/", "guests"),
            pool("/example/", "partial"),
        ]);
        assert_eq!(
            at(&t, "bob@a.example.org").unwrap().0,
            "/.*@.*\\.example\\.org/"
        );
        // The earlier regex wins over the more specific later one.
        assert_eq!(
            at(&t, "bob@staff.example.org").unwrap().0,
            "/.*@.*\\.example\\.org/"
        );
        assert_eq!(at(&t, "GUEST-7"), Some(("/(?i)guest-.*/", "GUEST-7")));
        // Anchored: `example` does not match inside a longer name.
        assert_eq!(at(&t, "bob@example.org").unwrap().0, "*");
        assert_eq!(at(&t, "example").unwrap().0, "/example/");
    }

    #[test]
    fn precedence_exact_then_regex_then_default() {
        let t = table(vec![
            pool("*", "any"),
            pool("/.*@example\\.org/", "re"),
            pool("example.org", "exact"),
        ]);
        assert_eq!(at(&t, "bob@example.org").unwrap().0, "example.org");
        let t = table(vec![pool("*", "any"), pool("/bob@.*/", "re")]);
        assert_eq!(at(&t, "bob@example.org").unwrap().0, "/bob@.*/");
        assert_eq!(at(&t, "al@example.org").unwrap().0, "*");
    }

    #[test]
    fn regex_strips_only_through_the_user_group() {
        let t = table(vec![
            pool("/(?P<user>[^@]+)@(?i:corp\\.example)/", "c").strip(true),
            pool("/(?P<user>[^@]+)@keep\\.example/", "k"),
            pool("/[^@]+@plain\\.example/", "p").strip(true),
            pool("/(?:(?P<user>x+)|y+)@opt\\.example/", "o").strip(true),
        ]);
        assert_eq!(at(&t, "bob@CORP.example").unwrap().1, "bob");
        assert_eq!(at(&t, "bob@keep.example").unwrap().1, "bob@keep.example");
        assert_eq!(at(&t, "bob@plain.example").unwrap().1, "bob@plain.example");
        assert_eq!(at(&t, "xx@opt.example").unwrap().1, "xx");
        assert_eq!(at(&t, "yy@opt.example").unwrap().1, "yy@opt.example");
    }

    #[test]
    fn errors_carry_the_rule_index() {
        let err = |rules: Vec<RealmRule>| RealmTable::new(rules).unwrap_err();
        let e = err(vec![pool("a.org", "p"), pool("", "p")]);
        assert!(matches!(e, RealmError::Empty { index: 1 }), "{e:?}");
        let e = err(vec![pool("//", "p")]);
        assert!(matches!(e, RealmError::Empty { index: 0 }), "{e:?}");
        let e = err(vec![
            pool("a.org", "p"),
            pool("b.org", "p"),
            pool("A.ORG", "q"),
        ]);
        assert!(
            matches!(
                e,
                RealmError::Duplicate {
                    index: 2,
                    first: 0,
                    ..
                }
            ),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            "realm \"A.ORG\" is already defined by rule 0"
        );
        let e = err(vec![pool("*", "p"), RealmRule::new("*", Target::Local)]);
        assert!(
            matches!(
                e,
                RealmError::Duplicate {
                    index: 1,
                    first: 0,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = err(vec![pool("/a+/", "p"), pool("/a+/", "q")]);
        assert!(
            matches!(
                e,
                RealmError::Duplicate {
                    index: 1,
                    first: 0,
                    ..
                }
            ),
            "{e:?}"
        );
        let e = err(vec![pool("x", "p"), pool("/a(/", "p")]);
        assert_eq!(e.index(), 1);
        assert!(matches!(e, RealmError::Regex { .. }), "{e:?}");
        let msg = e.to_string();
        assert!(
            msg.starts_with("invalid realm regex: ") && msg.contains("a("),
            "{msg}"
        );
        let e = err(vec![pool("bob@a.org", "p")]);
        assert!(
            matches!(e, RealmError::Unmatchable { index: 0, .. }),
            "{e:?}"
        );
        // Regexes differing in case are different regexes.
        assert!(RealmTable::new(vec![pool("/a/", "p"), pool("/A/", "p")]).is_ok());
        // An exact name that only looks like a regex.
        let t = table(vec![pool("/", "p")]);
        assert_eq!(t.rules().len(), 1);
    }

    #[test]
    fn empty_table_routes_nothing() {
        let t = table(Vec::new());
        assert_eq!(t.route("bob@example.org"), None);
        assert_eq!(t.route("bob"), None);
    }
}
