//! Whether the real peers (Debian's FreeRADIUS tools, radsecproxy,
//! eapol_test) and Debian's dictionary tree are there, and what a test
//! does when they are not.

use std::path::{Path, PathBuf};

/// Whether `RADIUS_REQUIRE_PEERS=1` (as in CI): a missing peer is then a
/// failure instead of a skip.
pub fn peers_required() -> bool {
    std::env::var("RADIUS_REQUIRE_PEERS").is_ok_and(|v| v == "1")
}

/// Give up on a peer test for `reason`: a panic under
/// `RADIUS_REQUIRE_PEERS=1`, otherwise a printed SKIPPED line (the caller
/// then returns).
pub fn skip(reason: &str) {
    if peers_required() {
        panic!("RADIUS_REQUIRE_PEERS=1 but {reason}");
    }
    eprintln!("SKIPPED: {reason} (set RADIUS_REQUIRE_PEERS=1 to make this a failure)");
}

/// Where a tool is: `name` itself when it is a path, otherwise the first
/// match on PATH or in /usr/sbin, /usr/bin (sbin is not on every PATH).
pub fn find_tool(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        return Path::new(name).is_file().then(|| PathBuf::from(name));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/usr/bin".into()])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// The Debian package that has a peer tool, for the skip message.
fn package_of(tool: &str) -> &'static str {
    match tool.rsplit('/').next().unwrap_or(tool) {
        "radclient" | "radtest" => "freeradius-utils",
        "freeradius" => "freeradius",
        "radsecproxy" => "radsecproxy",
        "eapol_test" => "eapoltest",
        "sqlite3" => "sqlite3",
        _ => "its package",
    }
}

/// Whether a peer tool is usable; otherwise [`skip`] (print why, or panic
/// under `RADIUS_REQUIRE_PEERS=1`) and false.
pub fn have_tool(name: &str) -> bool {
    if find_tool(name).is_some() {
        return true;
    }
    skip(&format!(
        "{name} is not installed (apt-get install {})",
        package_of(name)
    ));
    false
}

/// Debian's FreeRADIUS dictionary tree (freeradius-common).
pub const DEBIAN_DICTIONARY: &str = "/usr/share/freeradius/dictionary";

/// Debian's dictionary tree, or `None` after a printed SKIPPED line; its
/// absence is a failure under `RADIUS_REQUIRE_DEBIAN_DICT=1` (CI).
pub fn debian_dictionary() -> Option<&'static Path> {
    let root = Path::new(DEBIAN_DICTIONARY);
    if root.exists() {
        return Some(root);
    }
    assert!(
        std::env::var("RADIUS_REQUIRE_DEBIAN_DICT").as_deref() != Ok("1"),
        "{DEBIAN_DICTIONARY} is missing and RADIUS_REQUIRE_DEBIAN_DICT=1 \
         (apt-get install freeradius-common)"
    );
    eprintln!(
        "SKIPPED: {DEBIAN_DICTIONARY} not found (apt-get install freeradius-common; \
         set RADIUS_REQUIRE_DEBIAN_DICT=1 to make its absence a failure)"
    );
    None
}
