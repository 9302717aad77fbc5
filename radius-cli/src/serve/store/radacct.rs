//! FreeRADIUS's `radacct` table: our DDL for it (the same table, column
//! names and types as FreeRADIUS 3.2's PostgreSQL schema, so daloRADIUS and
//! existing reports read it unchanged) and the row an Accounting-Request
//! makes.
//!
//! The values are those FreeRADIUS's default `queries.conf` writes:
//! missing text attributes are empty strings (`'%{Called-Station-Id}'`),
//! `realm`, `nasportid` and the framed addresses are NULL when missing, the
//! octet counters include the Gigawords, the times are Event-Timestamp (or
//! when the request arrived), and `acctuniqueid` is the `acct_unique`
//! policy's MD5. [`super::upsert`] applies rows to the table.

use std::fmt::Write as _;
use std::net::IpAddr;

use md5::{Digest, Md5};
use radius_core::dict::Dictionary;
use radius_core::text::{AttrRef, Codec, Pair, Value};

/// The schema: `radius db init` prints it and the server runs it at start.
/// Idempotent (`IF NOT EXISTS`).
pub const DDL: &str = "\
CREATE TABLE IF NOT EXISTS radacct (
    radacctid           bigserial PRIMARY KEY,
    acctsessionid       text NOT NULL,
    acctuniqueid        text NOT NULL UNIQUE,
    username            text,
    realm               text,
    nasipaddress        inet NOT NULL,
    nasportid           text,
    nasporttype         text,
    acctstarttime       timestamp with time zone,
    acctupdatetime      timestamp with time zone,
    acctstoptime        timestamp with time zone,
    acctinterval        bigint,
    acctsessiontime     bigint,
    acctauthentic       text,
    connectinfo_start   text,
    connectinfo_stop    text,
    acctinputoctets     bigint,
    acctoutputoctets    bigint,
    calledstationid     text,
    callingstationid    text,
    acctterminatecause  text,
    servicetype         text,
    framedprotocol      text,
    framedipaddress     inet,
    framedipv6address   inet,
    framedipv6prefix    inet,
    framedinterfaceid   text,
    delegatedipv6prefix inet,
    class               text
);
-- Open sessions by id (interim and stop updates), bulk close on
-- Accounting-On/Off, usage reports, Class look-ups.
CREATE INDEX IF NOT EXISTS radacct_active_session_idx ON radacct (acctuniqueid) WHERE acctstoptime IS NULL;
CREATE INDEX IF NOT EXISTS radacct_bulk_close ON radacct (nasipaddress, acctstarttime) WHERE acctstoptime IS NULL;
CREATE INDEX IF NOT EXISTS radacct_start_user_idx ON radacct (acctstarttime, username);
CREATE INDEX IF NOT EXISTS radacct_class_idx ON radacct (class);
";

/// What an Accounting-Request does to `radacct`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Kind {
    /// Create the row.
    Start,
    /// Update the counters of an open row (create it if missing).
    Interim,
    /// Close the row (create it closed if missing).
    Stop,
    /// Accounting-On or -Off: close the NAS's open sessions.
    NasReboot,
}

/// One Accounting-Request as a `radacct` row (and what to do with it).
/// A field named after a column holds that column's value as FreeRADIUS's
/// queries write it (times come from `event`). Serializable: the spool
/// keeps these.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RadAcct {
    pub kind: Kind,
    /// Event-Timestamp, or when the request arrived (Unix seconds).
    pub event: i64,
    pub acctsessionid: String,
    pub acctuniqueid: String,
    pub username: String,
    pub realm: Option<String>,
    pub nasipaddress: String,
    pub nasportid: Option<String>,
    pub nasporttype: String,
    pub acctsessiontime: Option<i64>,
    pub acctauthentic: String,
    /// Connect-Info (connectinfo_start on Start, _stop on Stop).
    pub connectinfo: String,
    pub acctinputoctets: i64,
    pub acctoutputoctets: i64,
    pub calledstationid: String,
    pub callingstationid: String,
    /// Acct-Terminate-Cause ("" when missing; "NAS-Reboot" for
    /// Accounting-On/Off without one).
    pub acctterminatecause: String,
    pub servicetype: String,
    pub framedprotocol: String,
    pub framedipaddress: Option<String>,
    pub framedipv6address: Option<String>,
    pub framedipv6prefix: Option<String>,
    pub framedinterfaceid: Option<String>,
    pub delegatedipv6prefix: Option<String>,
    /// Class as 0x-hex (NULL without one: FreeRADIUS's default queries
    /// leave the column out).
    pub class: Option<String>,
}

/// The attributes of a request by (lower-case) name, as FreeRADIUS's
/// `%{Name}` expands them: the first instance, strings raw, numbers with
/// their value names, octets as 0x-hex, dates as Unix seconds.
struct Attrs<'d>(Vec<(&'d str, String)>);

impl<'d> Attrs<'d> {
    fn new(dict: &'d Dictionary, attrs: &[u8]) -> Attrs<'d> {
        let codec = Codec::new(dict);
        let pairs: Vec<Pair> = codec.decode(attrs).unwrap_or_default();
        let mut out = Vec::with_capacity(pairs.len());
        for p in &pairs {
            let AttrRef::Known(id) = p.attr else { continue };
            let name = dict.attr(id).name.as_str();
            let text = match &p.value {
                // PostgreSQL's text cannot hold NUL.
                Value::String(b) => match std::str::from_utf8(b) {
                    Ok(t) if !t.contains('\0') => t.to_owned(),
                    _ => String::from_utf8_lossy(b).replace('\0', ""),
                },
                Value::Date(t) => t.to_string(),
                _ => {
                    let f = codec.format_pair(p);
                    match f.split_once(" = ") {
                        Some((_, v)) => v.to_owned(),
                        None => continue,
                    }
                }
            };
            out.push((name, text));
        }
        Attrs(out)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    fn opt(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).map(str::to_owned)
    }

    fn int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(|v| v.parse().ok())
    }
}

/// The `acct_unique` policy of FreeRADIUS 3.2 (policy.d/accounting): with
/// a Class of our own form (`ai:` and 32 hex digits) the MD5 of
/// "hex,Acct-Session-Id", otherwise the MD5 of "User-Name,Acct-Session-Id,
/// NAS address,NAS-Identifier,NAS-Port-Id,NAS-Port"; lower-case hex.
pub fn acct_unique(
    class: Option<&[u8]>,
    user: &str,
    session: &str,
    nas: &str,
    nas_identifier: &str,
    nas_port_id: &str,
    nas_port: &str,
) -> String {
    let ours = class
        .and_then(|c| c.strip_prefix(b"ai:"))
        .filter(|h| h.len() >= 32 && h[..32].iter().all(u8::is_ascii_hexdigit))
        .map(|h| String::from_utf8_lossy(&h[..32]).into_owned());
    let input = match ours {
        Some(h) => format!("{h},{session}"),
        None => format!("{user},{session},{nas},{nas_identifier},{nas_port_id},{nas_port}"),
    };
    let mut s = String::with_capacity(32);
    for b in Md5::digest(input.as_bytes()) {
        let _ = write!(s, "{b:02x}");
    }
    s
}

impl RadAcct {
    /// The row for an Accounting-Request (its attribute octets), or `None`
    /// for a status type FreeRADIUS's queries do not write (Failed,
    /// Tunnel-*, none). `source` is the request's source address: the NAS
    /// address when it names none (as FreeRADIUS's preprocess module adds
    /// NAS-IP-Address); `now` the arrival time.
    pub fn from_request(
        dict: &Dictionary,
        attrs: &[u8],
        source: IpAddr,
        now: i64,
    ) -> Option<RadAcct> {
        let a = Attrs::new(dict, attrs);
        let kind = match a.get("Acct-Status-Type")?.to_ascii_lowercase().as_str() {
            "start" => Kind::Start,
            "interim-update" | "alive" => Kind::Interim,
            "stop" => Kind::Stop,
            "accounting-on" | "accounting-off" => Kind::NasReboot,
            _ => return None,
        };
        let nas = a
            .opt("NAS-IPv6-Address")
            .or_else(|| a.opt("NAS-IP-Address"))
            .unwrap_or_else(|| source.to_string());
        let class_raw = a.get("Class").and_then(|c| {
            c.strip_prefix("0x")
                .and_then(|h| radius_core::text::hex_decode(h).ok())
        });
        let user = a.text("User-Name");
        let session = a.text("Acct-Session-Id");
        let acctuniqueid = acct_unique(
            class_raw.as_deref(),
            &user,
            &session,
            &nas,
            &a.text("NAS-Identifier"),
            &a.text("NAS-Port-Id"),
            &a.text("NAS-Port"),
        );
        let octets = |lo: &str, hi: &str| {
            (a.int(hi).unwrap_or(0) << 32).wrapping_add(a.int(lo).unwrap_or(0))
        };
        let cause = a.text("Acct-Terminate-Cause");
        Some(RadAcct {
            kind,
            event: a.int("Event-Timestamp").unwrap_or(now),
            acctsessionid: session,
            acctuniqueid,
            username: user,
            realm: None,
            nasipaddress: nas,
            nasportid: a.opt("NAS-Port-Id").or_else(|| a.opt("NAS-Port")),
            nasporttype: a.text("NAS-Port-Type"),
            acctsessiontime: a.int("Acct-Session-Time"),
            acctauthentic: a.text("Acct-Authentic"),
            connectinfo: a.text("Connect-Info"),
            acctinputoctets: octets("Acct-Input-Octets", "Acct-Input-Gigawords"),
            acctoutputoctets: octets("Acct-Output-Octets", "Acct-Output-Gigawords"),
            calledstationid: a.text("Called-Station-Id"),
            callingstationid: a.text("Calling-Station-Id"),
            acctterminatecause: if kind == Kind::NasReboot && cause.is_empty() {
                "NAS-Reboot".into()
            } else {
                cause
            },
            servicetype: a.text("Service-Type"),
            framedprotocol: a.text("Framed-Protocol"),
            framedipaddress: a.opt("Framed-IP-Address"),
            framedipv6address: a.opt("Framed-IPv6-Address"),
            framedipv6prefix: a.opt("Framed-IPv6-Prefix"),
            framedinterfaceid: a.opt("Framed-Interface-Id"),
            delegatedipv6prefix: a.opt("Delegated-IPv6-Prefix"),
            class: a.opt("Class"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acct_unique_is_freeradius_md5() {
        // md5("bob,S1,192.0.2.1,,,7"), as `echo -n ... | md5sum` prints it.
        assert_eq!(
            acct_unique(None, "bob", "S1", "192.0.2.1", "", "", "7"),
            "ebe5ae2292784304ce8847e8c08ce1aa"
        );
        // Our own Class form: md5("<32 hex>,S1"), whatever else is there.
        let class = b"ai:0123456789abcdef0123456789abcdef";
        assert_eq!(
            acct_unique(Some(class), "x", "S1", "y", "", "", ""),
            "6800807dd593842f6e4a12bb7c6637d7"
        );
        // Any other Class: the attribute hash.
        assert_eq!(
            acct_unique(Some(b"other"), "bob", "S1", "192.0.2.1", "", "", "7"),
            "ebe5ae2292784304ce8847e8c08ce1aa"
        );
    }
}
