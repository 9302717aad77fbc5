//! Deterministic Rust names for dictionary names, for code generation.
//!
//! # Rules
//!
//! [`rust_type_name`] turns a dictionary name into an `UpperCamelCase`
//! identifier:
//!
//! 1. The name is split into chunks at every character that is not an ASCII
//!    letter or digit (`-`, `_`, `.`, `/`, `+`, `,`, spaces, non-ASCII ...);
//!    those characters are dropped.
//! 2. A chunk is split into words before an uppercase letter that follows a
//!    lowercase letter (`AvPair` → `Av`, `Pair`) and before the last
//!    uppercase letter of an uppercase run followed by a lowercase letter
//!    (`AVPair` → `AV`, `Pair`), except before `v` and a digit, so `IPv6`
//!    stays one word (`NAS-IPv6-Address` → `NasIpv6Address`, like std's
//!    `Ipv6Addr`). Digits never start a word: they stay with
//!    what precedes them (`Octets64`, `3GPP`).
//! 3. Each word is written with its first character upper-cased and the
//!    rest lower-cased, and the words are concatenated:
//!    `Cisco-AVPair` → `CiscoAvPair`, `NAS-IP-Address` → `NasIpAddress`,
//!    `Acct-Input-Octets-64` → `AcctInputOctets64`.
//! 4. A result that starts with a digit is prefixed with `N` (for
//!    "number"): `3GPP-IMSI` → `N3gppImsi`, `1xRTT` → `N1xRtt`.
//! 5. An empty result (a name made only of punctuation) becomes `Unnamed`;
//!    the keyword `Self` becomes `SelfAttr`.
//!
//! [`rust_variant_name`] (the names of a VALUE type's constants) applies
//! the same rules and additionally renames `Other` to `OtherValue` (once the
//! case for unknown numbers; kept so generated names stay stable) and `Self`
//! to `SelfValue`. Names like `None`, `Some` or `Unknown` are valid constant
//! names and are kept.
//!
//! Different dictionary names can give the same identifier (for example
//! `Acct-Input-Octets-64` and `Acct-Input-Octets64`, or the aliases
//! `X-Ascend-Foo`/`X_Ascend_Foo`). [`resolve_collisions`] makes the names of
//! one module unique: within each group of colliding names, the members are
//! ordered by their original dictionary name (byte order, so the result
//! does not depend on file order); the first keeps the plain identifier and
//! the k-th (k = 2, 3, ...) gets the suffix `k`, written `_k` when the
//! identifier ends in a digit (`AcctInputOctets64_2`, `ServiceType2`). If a
//! suffixed identifier is itself taken, k is increased until it is free.
//! Nothing is ever dropped.

use std::collections::{HashMap, HashSet};

/// `UpperCamelCase` identifier for an attribute, vendor or module name
/// (see the [module rules](self)).
pub fn rust_type_name(name: &str) -> String {
    let camel = camel_case(name);
    match camel.as_str() {
        "" => "Unnamed".to_owned(),
        "Self" => "SelfAttr".to_owned(),
        _ => camel,
    }
}

/// `UpperCamelCase` identifier for the constant of a `VALUE` name:
/// [`rust_type_name`] except that `Other` becomes `OtherValue` (as when it
/// was the case for unknown numbers) and `Self` becomes `SelfValue`.
pub fn rust_variant_name(name: &str) -> String {
    let camel = camel_case(name);
    match camel.as_str() {
        "" => "Unnamed".to_owned(),
        "Self" => "SelfValue".to_owned(),
        "Other" => "OtherValue".to_owned(),
        _ => camel,
    }
}

fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for chunk in name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|c| !c.is_empty())
    {
        let chars: Vec<char> = chunk.chars().collect();
        let mut word_start = true;
        for (i, &c) in chars.iter().enumerate() {
            if i > 0 && c.is_ascii_uppercase() {
                let prev = chars[i - 1];
                // `IPv6`/`IPv4` stay one word, as in std's `Ipv6Addr`.
                let ip_version = chars.get(i + 1) == Some(&'v')
                    && chars.get(i + 2).is_some_and(|n| n.is_ascii_digit());
                let next_lower =
                    !ip_version && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
                if prev.is_ascii_lowercase() || (prev.is_ascii_uppercase() && next_lower) {
                    word_start = true;
                }
            }
            if word_start {
                out.push(c.to_ascii_uppercase());
                word_start = false;
            } else {
                out.push(c.to_ascii_lowercase());
            }
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'N');
    }
    out
}

/// Makes the identifiers of one module unique (see the [module
/// rules](self)). `names` are the dictionary names, `naming` the function
/// turning one into an identifier ([`rust_type_name`] or
/// [`rust_variant_name`]). Returns one identifier per input, in input order.
///
/// ```
/// use radius_core::dict::naming::{resolve_collisions, rust_type_name};
/// let names = ["Acct-Input-Octets64", "Acct-Input-Octets-64", "User-Name"];
/// assert_eq!(
///     resolve_collisions(&names, rust_type_name),
///     ["AcctInputOctets64_2", "AcctInputOctets64", "UserName"]
/// );
/// ```
pub fn resolve_collisions<S: AsRef<str>>(
    names: &[S],
    naming: impl Fn(&str) -> String,
) -> Vec<String> {
    let mut out: Vec<String> = names.iter().map(|n| naming(n.as_ref())).collect();
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, ident) in out.iter().enumerate() {
        groups.entry(ident.as_str()).or_default().push(i);
    }
    let mut taken: HashSet<String> = out.iter().cloned().collect();
    let mut collisions: Vec<(String, Vec<usize>)> = groups
        .into_iter()
        .filter(|(_, members)| members.len() > 1)
        .map(|(ident, members)| (ident.to_owned(), members))
        .collect();
    // Process groups in a fixed order so that suffix searches are
    // deterministic too.
    collisions.sort();
    for (ident, mut members) in collisions {
        members.sort_by(|&a, &b| names[a].as_ref().cmp(names[b].as_ref()).then(a.cmp(&b)));
        let separator = if ident.ends_with(|c: char| c.is_ascii_digit()) {
            "_"
        } else {
            ""
        };
        let mut k = 2;
        for &member in &members[1..] {
            let candidate = loop {
                let candidate = format!("{ident}{separator}{k}");
                k += 1;
                if !taken.contains(&candidate) {
                    break candidate;
                }
            };
            taken.insert(candidate.clone());
            out[member] = candidate;
        }
    }
    out
}
