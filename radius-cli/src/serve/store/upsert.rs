//! The statements that apply [`RadAcct`] rows to `radacct`. Each status
//! type is one `INSERT ... ON CONFLICT (acctuniqueid) DO UPDATE` whose
//! rules never regress a stopped row, so retransmissions, replays and
//! out-of-order arrival (a Stop before its Start) leave one correct row,
//! whichever node wrote them. The batch form inserts many rows in one
//! statement (`INSERT ... SELECT FROM unnest($1::bigint[], ...)`): one
//! parse, plan and execution for a whole group commit.

use std::fmt::Write as _;

use tokio_postgres::types::ToSql;

use super::radacct::{Kind, RadAcct};

const COLUMNS: &str = "acctsessionid, acctuniqueid, username, realm, nasipaddress, nasportid, \
    nasporttype, acctstarttime, acctupdatetime, acctstoptime, acctsessiontime, acctauthentic, \
    connectinfo_start, connectinfo_stop, acctinputoctets, acctoutputoctets, calledstationid, \
    callingstationid, acctterminatecause, servicetype, framedprotocol, framedipaddress, \
    framedipv6address, framedipv6prefix, framedinterfaceid, delegatedipv6prefix, class";

/// The identity and NAS columns every insert starts with.
const HEAD: &str = ":sid, :uid, :user, :realm, :nas::text::inet, :portid, :porttype";
/// The framed columns every insert ends with.
const TAIL: &str = ":service, :fproto, :fip::text::inet, :fip6::text::inet, \
    :fprefix6::text::inet, :fifid, :dprefix6::text::inet, :class";
const FRAMED_UPDATE: &str = "framedipaddress = EXCLUDED.framedipaddress, \
    framedipv6address = EXCLUDED.framedipv6address, framedipv6prefix = EXCLUDED.framedipv6prefix, \
    framedinterfaceid = EXCLUDED.framedinterfaceid, \
    delegatedipv6prefix = EXCLUDED.delegatedipv6prefix";

/// The statement for `kind`, with `:name` placeholders.
fn statement(kind: Kind) -> String {
    let ev = "to_timestamp(:event::bigint)";
    match kind {
        // A Start on an existing row (an Interim or Stop came first, or a
        // retransmission) sets the start time; it never reopens a row.
        Kind::Start => format!(
            "INSERT INTO radacct ({COLUMNS}) VALUES ({HEAD}, {ev}, {ev}, NULL, 0, :authentic, \
             :connect, NULL, 0, 0, :called, :calling, NULL, {TAIL}) \
             ON CONFLICT (acctuniqueid) DO UPDATE SET acctstarttime = EXCLUDED.acctstarttime, \
             acctupdatetime = GREATEST(radacct.acctupdatetime, EXCLUDED.acctupdatetime), \
             connectinfo_start = EXCLUDED.connectinfo_start"
        ),
        // Only an open row, and only forward in time: a late or repeated
        // Interim-Update does not regress the counters.
        Kind::Interim => format!(
            "INSERT INTO radacct ({COLUMNS}) VALUES ({HEAD}, {ev}, {ev}, NULL, :stime::bigint, \
             :authentic, :connect, NULL, :input::bigint, :output::bigint, :called, :calling, NULL, \
             {TAIL}) \
             ON CONFLICT (acctuniqueid) DO UPDATE SET {FRAMED_UPDATE}, \
             acctsessiontime = EXCLUDED.acctsessiontime, \
             acctinterval = CASE WHEN EXCLUDED.acctupdatetime = radacct.acctupdatetime \
               AND EXCLUDED.acctsessiontime IS NOT DISTINCT FROM radacct.acctsessiontime \
               THEN radacct.acctinterval \
               ELSE EXTRACT(EPOCH FROM EXCLUDED.acctupdatetime) \
                 - EXTRACT(EPOCH FROM COALESCE(radacct.acctupdatetime, radacct.acctstarttime)) END, \
             acctupdatetime = EXCLUDED.acctupdatetime, \
             acctinputoctets = EXCLUDED.acctinputoctets, \
             acctoutputoctets = EXCLUDED.acctoutputoctets \
             WHERE radacct.acctstoptime IS NULL \
             AND (radacct.acctupdatetime IS NULL OR radacct.acctupdatetime <= EXCLUDED.acctupdatetime)"
        ),
        // The first Stop closes the row; later ones change nothing.
        Kind::Stop => format!(
            "INSERT INTO radacct ({COLUMNS}) VALUES ({HEAD}, \
             to_timestamp(:event::bigint - COALESCE(:stime::bigint, 0)), {ev}, {ev}, \
             :stime::bigint, :authentic, :connect, NULL, :input::bigint, :output::bigint, :called, \
             :calling, :cause, {TAIL}) \
             ON CONFLICT (acctuniqueid) DO UPDATE SET acctstoptime = EXCLUDED.acctstoptime, \
             acctupdatetime = EXCLUDED.acctupdatetime, \
             acctsessiontime = COALESCE(EXCLUDED.acctsessiontime, \
               EXTRACT(EPOCH FROM EXCLUDED.acctstoptime) - EXTRACT(EPOCH FROM radacct.acctstarttime)), \
             acctinputoctets = EXCLUDED.acctinputoctets, \
             acctoutputoctets = EXCLUDED.acctoutputoctets, \
             acctterminatecause = EXCLUDED.acctterminatecause, {FRAMED_UPDATE}, \
             connectinfo_stop = EXCLUDED.connectinfo_start \
             WHERE radacct.acctstoptime IS NULL"
        ),
        // FreeRADIUS's "bulk update" Accounting-On/Off strategy.
        Kind::NasReboot => format!(
            "UPDATE radacct SET acctstoptime = {ev}, acctupdatetime = {ev}, \
             acctsessiontime = :event::bigint - EXTRACT(EPOCH FROM acctstarttime), \
             acctterminatecause = :cause \
             WHERE acctstoptime IS NULL AND nasipaddress = :nas::text::inet \
             AND acctstarttime <= {ev}"
        ),
    }
}

/// A statement with `$n` placeholders and the parameter names in order.
pub struct Compiled {
    pub sql: String,
    pub params: Vec<&'static str>,
}

const NAMES: &[&str] = &[
    "event",
    "sid",
    "uid",
    "user",
    "realm",
    "nas",
    "portid",
    "porttype",
    "stime",
    "authentic",
    "connect",
    "input",
    "output",
    "called",
    "calling",
    "cause",
    "service",
    "fproto",
    "fip6",
    "fip",
    "fprefix6",
    "fifid",
    "dprefix6",
    "class",
];

/// `src` with each `:name` placeholder replaced by `f(name)` (`::type`
/// casts stay).
fn substitute(src: &str, mut f: impl FnMut(&'static str) -> String) -> String {
    let mut out = String::with_capacity(src.len());
    let mut rest = src;
    while let Some(i) = rest.find(':') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(cast) = after.strip_prefix(':') {
            out.push_str("::");
            rest = cast;
            continue;
        }
        let len = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        let name = NAMES
            .iter()
            .find(|n| **n == &after[..len])
            .unwrap_or_else(|| panic!("unknown placeholder :{}", &after[..len]));
        out.push_str(&f(name));
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

/// [`statement`] for one row: `:name` replaced by `$1, $2 ...` (a name
/// used twice is one parameter).
pub fn compile(kind: Kind) -> Compiled {
    let mut params: Vec<&'static str> = Vec::new();
    let sql = substitute(&statement(kind), |name| {
        let n = match params.iter().position(|p| *p == name) {
            Some(n) => n,
            None => {
                params.push(name);
                params.len() - 1
            }
        };
        format!("${}", n + 1)
    });
    Compiled { sql, params }
}

/// The SQL type of a parameter.
fn sql_type(name: &str) -> &'static str {
    match name {
        "event" | "stime" | "input" | "output" => "bigint",
        _ => "text",
    }
}

/// [`statement`] for many rows of one kind (Start, Interim or Stop): the
/// `VALUES (...)` row becomes a `SELECT` over `unnest` of one array
/// parameter per placeholder ([`columns`] makes them). The rows must have
/// distinct `acctuniqueid`s.
pub fn compile_batch(kind: Kind) -> Compiled {
    assert!(kind != Kind::NasReboot, "Accounting-On/Off is one row");
    let src = statement(kind);
    let (head, rest) = src.split_once("VALUES (").expect("an INSERT");
    let end = rest.find(") ON CONFLICT").expect("an upsert");
    let (values, tail) = (&rest[..end], &rest[end + 1..]);
    assert!(
        !tail.replace("::", "").contains(':'),
        "placeholders after VALUES: {tail}"
    );
    let mut params: Vec<&'static str> = Vec::new();
    let select = substitute(values, |name| {
        if !params.contains(&name) {
            params.push(name);
        }
        format!("t.c_{name}")
    });
    let mut arrays = String::new();
    let mut aliases = String::new();
    for (i, name) in params.iter().enumerate() {
        let sep = if i == 0 { "" } else { ", " };
        let _ = write!(arrays, "{sep}${}::{}[]", i + 1, sql_type(name));
        let _ = write!(aliases, "{sep}c_{name}");
    }
    Compiled {
        sql: format!("{head}SELECT {select} FROM unnest({arrays}) AS t({aliases}){tail}"),
        params,
    }
}

/// One array parameter of [`compile_batch`]'s statements, borrowing the
/// records' values (a batch's columns are encoded once, never copied).
#[derive(Debug)]
pub enum Column<'a> {
    /// bigint[]
    Int(Vec<i64>),
    /// bigint[] with NULLs
    OptInt(Vec<Option<i64>>),
    /// text[]
    Text(Vec<&'a str>),
    /// text[] with NULLs
    OptText(Vec<Option<&'a str>>),
    /// Not an array: the one row of an Accounting-On/Off.
    Reboot(&'a RadAcct),
}

impl Column<'_> {
    /// As a statement parameter.
    pub fn as_param(&self) -> &(dyn ToSql + Sync) {
        match self {
            Column::Int(v) => v,
            Column::OptInt(v) => v,
            Column::Text(v) => v,
            Column::OptText(v) => v,
            Column::Reboot(r) => r.param("event"),
        }
    }
}

/// The array of parameter `name` over `rows`.
pub fn column<'a>(rows: &[&'a RadAcct], name: &str) -> Column<'a> {
    let text =
        |f: fn(&RadAcct) -> &String| Column::Text(rows.iter().map(|r| f(r).as_str()).collect());
    let opt = |f: fn(&RadAcct) -> &Option<String>| {
        Column::OptText(rows.iter().map(|r| f(r).as_deref()).collect())
    };
    match name {
        "event" => Column::Int(rows.iter().map(|r| r.event).collect()),
        "stime" => Column::OptInt(rows.iter().map(|r| r.acctsessiontime).collect()),
        "input" => Column::Int(rows.iter().map(|r| r.acctinputoctets).collect()),
        "output" => Column::Int(rows.iter().map(|r| r.acctoutputoctets).collect()),
        "sid" => text(|r| &r.acctsessionid),
        "uid" => text(|r| &r.acctuniqueid),
        "user" => text(|r| &r.username),
        "nas" => text(|r| &r.nasipaddress),
        "porttype" => text(|r| &r.nasporttype),
        "authentic" => text(|r| &r.acctauthentic),
        "connect" => text(|r| &r.connectinfo),
        "called" => text(|r| &r.calledstationid),
        "calling" => text(|r| &r.callingstationid),
        "cause" => text(|r| &r.acctterminatecause),
        "service" => text(|r| &r.servicetype),
        "fproto" => text(|r| &r.framedprotocol),
        "realm" => opt(|r| &r.realm),
        "portid" => opt(|r| &r.nasportid),
        "fip" => opt(|r| &r.framedipaddress),
        "fip6" => opt(|r| &r.framedipv6address),
        "fprefix6" => opt(|r| &r.framedipv6prefix),
        "fifid" => opt(|r| &r.framedinterfaceid),
        "dprefix6" => opt(|r| &r.delegatedipv6prefix),
        _ => opt(|r| &r.class),
    }
}

impl RadAcct {
    /// The value of parameter `name` (one of [`compile`]'s names).
    pub fn param(&self, name: &str) -> &(dyn tokio_postgres::types::ToSql + Sync) {
        match name {
            "event" => &self.event,
            "sid" => &self.acctsessionid,
            "uid" => &self.acctuniqueid,
            "user" => &self.username,
            "realm" => &self.realm,
            "nas" => &self.nasipaddress,
            "portid" => &self.nasportid,
            "porttype" => &self.nasporttype,
            "stime" => &self.acctsessiontime,
            "authentic" => &self.acctauthentic,
            "connect" => &self.connectinfo,
            "input" => &self.acctinputoctets,
            "output" => &self.acctoutputoctets,
            "called" => &self.calledstationid,
            "calling" => &self.callingstationid,
            "cause" => &self.acctterminatecause,
            "service" => &self.servicetype,
            "fproto" => &self.framedprotocol,
            "fip" => &self.framedipaddress,
            "fip6" => &self.framedipv6address,
            "fprefix6" => &self.framedipv6prefix,
            "fifid" => &self.framedinterfaceid,
            "dprefix6" => &self.delegatedipv6prefix,
            _ => &self.class,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_statement_compiles_to_numbered_parameters() {
        for kind in [Kind::Start, Kind::Interim, Kind::Stop, Kind::NasReboot] {
            let c = compile(kind);
            assert!(!c.sql.contains(" :"), "{}", c.sql);
            assert!(c.sql.contains("$1"), "{}", c.sql);
            assert!(c.sql.contains("::bigint"), "{}", c.sql);
            assert!(!c.params.is_empty());
        }
        let c = compile(Kind::NasReboot);
        assert_eq!(c.params, ["event", "cause", "nas"]);
        for kind in [Kind::Start, Kind::Interim, Kind::Stop] {
            let b = compile_batch(kind);
            assert!(b.sql.contains("FROM unnest($1::text[]"), "{}", b.sql);
            assert!(b.sql.contains("AS t(c_sid, c_uid"), "{}", b.sql);
            assert!(b.sql.contains("::bigint[]"), "{}", b.sql);
            assert!(!b.sql.contains(" :"), "{}", b.sql);
            let n = b.params.len();
            assert!(b.sql.contains(&format!("${n}::")) && !b.sql.contains(&format!("${}", n + 1)));
        }
    }
}
