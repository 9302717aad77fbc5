//! Password hashes a user may have (`password_hash` in the TOML file,
//! `Crypt-Password` in SQL): argon2 PHC strings (what `radius
//! hash-password` makes), and the crypt(3) formats FreeRADIUS's
//! Crypt-Password takes from the system's crypt: SHA-512-crypt (`$6$`),
//! SHA-256-crypt (`$5$`), bcrypt (`$2b$`, `$2a$`, `$2y$`), MD5-crypt
//! (`$1$`) and traditional DES crypt (13 characters). [`check`] tells
//! whether a string is one of them (at load time), [`verify`] whether a
//! password matches (slow by design: call it off the reactor threads).

use std::fmt;

/// The formats [`check`] accepts, for messages.
pub const SUPPORTED: &str = "argon2 ($argon2id$..., from `radius hash-password`), \
    SHA-512-crypt ($6$...), SHA-256-crypt ($5$...), bcrypt ($2b$, $2a$ or $2y$), \
    MD5-crypt ($1$...) or traditional DES crypt (13 characters)";

/// A supported hash format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `$argon2id$`, `$argon2i$`, `$argon2d$` (PHC strings).
    Argon2,
    /// `$6$`.
    Sha512Crypt,
    /// `$5$`.
    Sha256Crypt,
    /// `$2b$`, `$2a$`, `$2y$`.
    Bcrypt,
    /// `$1$`.
    Md5Crypt,
    /// Two salt characters and eleven of hash.
    Des,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Argon2 => "argon2",
            Scheme::Sha512Crypt => "SHA-512-crypt",
            Scheme::Sha256Crypt => "SHA-256-crypt",
            Scheme::Bcrypt => "bcrypt",
            Scheme::Md5Crypt => "MD5-crypt",
            Scheme::Des => "DES crypt",
        })
    }
}

/// crypt(3)'s base-64 alphabet.
fn is_b64(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'.' || c == b'/'
}

fn all_b64(s: &str) -> bool {
    s.bytes().all(is_b64)
}

/// The format of `hash`, or why it is none of the supported ones.
pub fn check(hash: &str) -> Result<Scheme, String> {
    let bad = |scheme: Scheme, why: &str| Err(format!("malformed {scheme} hash: {why}"));
    if hash.starts_with("$argon2") {
        use argon2::password_hash::PasswordHash;
        return match PasswordHash::new(hash) {
            Ok(h) if h.hash.is_some() => Ok(Scheme::Argon2),
            Ok(_) => bad(Scheme::Argon2, "no hash part"),
            Err(e) => bad(Scheme::Argon2, &e.to_string()),
        };
    }
    if let Some(rest) = hash
        .strip_prefix("$6$")
        .map(|r| (Scheme::Sha512Crypt, r, 86))
        .or_else(|| {
            hash.strip_prefix("$5$")
                .map(|r| (Scheme::Sha256Crypt, r, 43))
        })
    {
        let (scheme, rest, len) = rest;
        let mut fields: Vec<&str> = rest.split('$').collect();
        if let Some(r) = fields.first().and_then(|f| f.strip_prefix("rounds=")) {
            match r.parse::<u32>() {
                Ok(n) if (1000..=999_999_999).contains(&n) => {}
                _ => return bad(scheme, "rounds must be 1000 to 999999999"),
            }
            fields.remove(0);
        }
        return match fields[..] {
            [salt, h] if salt.len() <= 16 && all_b64(salt) && h.len() == len && all_b64(h) => {
                Ok(scheme)
            }
            _ => bad(
                scheme,
                &format!("expected [rounds=N$]salt$hash, a salt of up to 16 and a hash of {len} characters of ./0-9A-Za-z"),
            ),
        };
    }
    if let Some(v) = hash.get(..4).filter(|p| p.starts_with("$2")) {
        if !matches!(v, "$2a$" | "$2b$" | "$2y$") {
            return Err(format!(
                "unsupported bcrypt variant {v} (only $2a$, $2b$ and $2y$)"
            ));
        }
        let ok = hash.len() == 60
            && hash.as_bytes()[6] == b'$'
            && hash[4..6]
                .parse::<u32>()
                .is_ok_and(|c| (4..=31).contains(&c))
            && all_b64(&hash[7..]);
        return if ok {
            Ok(Scheme::Bcrypt)
        } else {
            bad(
                Scheme::Bcrypt,
                "expected $2b$NN$ (cost 04 to 31) and 53 characters of ./0-9A-Za-z",
            )
        };
    }
    if let Some(rest) = hash.strip_prefix("$1$") {
        return match rest.split_once('$') {
            Some((salt, h)) if salt.len() <= 8 && all_b64(salt) && h.len() == 22 && all_b64(h) => {
                Ok(Scheme::Md5Crypt)
            }
            _ => bad(
                Scheme::Md5Crypt,
                "expected $1$salt$hash, a salt of up to 8 and a hash of 22 characters of ./0-9A-Za-z",
            ),
        };
    }
    if hash.len() == 13 && all_b64(hash) {
        return Ok(Scheme::Des);
    }
    let shown = match hash.strip_prefix('$').and_then(|r| r.split_once('$')) {
        Some((id, _)) => format!("${id}$"),
        None => format!("{} characters", hash.chars().count()),
    };
    Err(format!(
        "not a supported password hash ({shown}); supported: {SUPPORTED}"
    ))
}

/// Whether `given` is the password `hash` was made from (`false` for a
/// hash [`check`] refuses).
pub fn verify(hash: &str, given: &[u8]) -> bool {
    match check(hash) {
        Ok(Scheme::Argon2) => {
            use argon2::password_hash::{PasswordHash, PasswordVerifier};
            PasswordHash::new(hash)
                .is_ok_and(|h| argon2::Argon2::default().verify_password(given, &h).is_ok())
        }
        Ok(Scheme::Sha512Crypt | Scheme::Sha256Crypt) => {
            use sha_crypt::{PasswordVerifier, ShaCrypt};
            ShaCrypt::default().verify_password(given, hash).is_ok()
        }
        Ok(Scheme::Bcrypt) => bcrypt::verify(given, hash).unwrap_or(false),
        Ok(Scheme::Md5Crypt) => pwhash::md5_crypt::verify(given, hash),
        Ok(Scheme::Des) => pwhash::unix_crypt::verify(given, hash),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised() {
        // Made by OpenSSL (`openssl passwd -5/-6 -salt saltsalt`) and by
        // libxcrypt's crypt(3) through Perl, for the password "pw".
        let ok = [
            ("$6$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D.PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/", Scheme::Sha512Crypt),
            ("$6$rounds=5000$saltsalt$pauPrmdmG4BTE9h2HPmywiw152IFch6BJCEsaY6D.PLTfpV8sqvXwWdyfsgVgozkYH9B80bAip/08R2BPH2xk/", Scheme::Sha512Crypt),
            ("$5$saltsalt$0rl.MZtoLLPP3X0Rdl8riRnphIcAXJY27/aOAyK2hB5", Scheme::Sha256Crypt),
            ("$2b$05$abcdefghijklmnopqrstuuHIrMEWpUCQe2YqFR3sXwQ75u4od..9q", Scheme::Bcrypt),
            ("$2y$04$0123456789./abcdefghieWCPAMR4jjXbvJl6m37Z/ycF.keQvKSe", Scheme::Bcrypt),
            ("$1$abcdefgh$IQtUouv7y7Q9dRWkQEPCc.", Scheme::Md5Crypt),
            ("abzlUXK5ed5rs", Scheme::Des),
        ];
        for (h, s) in ok {
            assert_eq!(check(h), Ok(s), "{h}");
            assert!(verify(h, b"pw"), "{h}");
            assert!(!verify(h, b"pW"), "{h}");
        }
        assert_eq!(
            check("$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"),
            Ok(Scheme::Argon2)
        );
        let bad = [
            ("$y$j9T$salt$hash", "($y$)"),
            ("$7$CU..../....salt$hash", "($7$)"),
            (
                "$2x$05$abcdefghijklmnopqrstuuHIrMEWpUCQe2YqFR3sXwQ75u4od..9q",
                "$2x$",
            ),
            ("$2b$05$short", "malformed bcrypt"),
            (
                "$2b$99$abcdefghijklmnopqrstuuHIrMEWpUCQe2YqFR3sXwQ75u4od..9q",
                "cost 04 to 31",
            ),
            ("$6$salt$short", "malformed SHA-512-crypt"),
            (
                "$5$rounds=10$saltsalt$lbO8dg1Bfl2tfuWbiQDJJuYhTeVPvXdR/E4Ls38jw/B",
                "rounds",
            ),
            (
                "$1$toolongsalt$IQtUouv7y7Q9dRWkQEPCc.",
                "malformed MD5-crypt",
            ),
            ("$argon2id$nonsense", "malformed argon2"),
            ("abzlUXK5ed5r!", "13 characters"),
            ("hello", "5 characters"),
            ("", "0 characters"),
        ];
        for (h, needle) in bad {
            let e = check(h).unwrap_err();
            assert!(e.contains(needle), "{h}: {e}");
            assert!(!verify(h, b"hello"));
        }
        assert!(check("$y$j9T$salt$hash").unwrap_err().contains(SUPPORTED));
    }

    /// Hashes made now by other implementations (OpenSSL's passwd, the C
    /// library's crypt(3) through Perl):
    /// the right password matches, a wrong one does not.
    #[test]
    fn hashes_from_openssl_and_system_crypt_verify() {
        let pw = "s3cr\u{e9}t pass";
        let mut seen = Vec::new();
        for (scheme, flag) in [
            (Scheme::Md5Crypt, "-1"),
            (Scheme::Sha256Crypt, "-5"),
            (Scheme::Sha512Crypt, "-6"),
        ] {
            let Some(h) = openssl_passwd(flag, pw) else {
                eprintln!("SKIPPED: openssl passwd {flag} unavailable");
                continue;
            };
            seen.push((scheme, h));
        }
        for (scheme, salt) in [
            (Scheme::Bcrypt, "$2b$05$abcdefghijklmnopqrstuu"),
            (Scheme::Bcrypt, "$2a$04$ABCDEFGHIJKLMNOPQRSTUu"),
            (Scheme::Bcrypt, "$2y$04$0123456789./abcdefghij"),
            (Scheme::Des, "xy"),
            (Scheme::Sha512Crypt, "$6$rounds=1234$pepper"),
        ] {
            let Some(h) = system_crypt(pw, salt) else {
                eprintln!("SKIPPED: perl crypt() with {salt} unavailable");
                continue;
            };
            seen.push((scheme, h));
        }
        for (scheme, h) in &seen {
            assert_eq!(check(h), Ok(*scheme), "{h}");
            assert!(
                verify(h, pw.as_bytes()),
                "{scheme} {h}: right password refused"
            );
            assert!(
                !verify(h, "S3cr\u{e9}t pass".as_bytes()),
                "{scheme} {h}: wrong password taken"
            );
            assert!(!verify(h, b""), "{scheme} {h}: empty password taken");
        }
        // DES crypt takes eight characters; bcrypt 72 octets.
        if let Some(h) = system_crypt("longpassword", "ab") {
            assert!(verify(&h, b"longpass"));
            assert!(verify(&h, b"longpassXYZ"));
        }
        eprintln!("{} hashes from openssl and crypt(3) checked", seen.len());
    }

    fn openssl_passwd(flag: &str, pw: &str) -> Option<String> {
        let out = std::process::Command::new("openssl")
            .args(["passwd", flag, "-stdin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .ok()
            .and_then(|mut c| {
                use std::io::Write;
                c.stdin
                    .take()?
                    .write_all(format!("{pw}\n").as_bytes())
                    .ok()?;
                c.wait_with_output().ok()
            })?;
        let h = String::from_utf8(out.stdout).ok()?.trim().to_owned();
        (out.status.success() && !h.is_empty()).then_some(h)
    }

    /// The C library's crypt(3) (libxcrypt on Debian), through Perl.
    fn system_crypt(pw: &str, salt: &str) -> Option<String> {
        let out = std::process::Command::new("perl")
            .args([
                "-e",
                "my $h = crypt($ARGV[0], $ARGV[1]); print $h if defined $h",
                pw,
                salt,
            ])
            .output()
            .ok()?;
        let h = String::from_utf8(out.stdout).ok()?;
        // A crypt that does not know the format fails ("*0", "*1", empty).
        (out.status.success() && h.len() > 2 && !h.starts_with('*')).then_some(h)
    }
}
