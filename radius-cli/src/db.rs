//! `radius db init`: print the PostgreSQL schema `radius serve` writes
//! accounting into (FreeRADIUS's `radacct`), for `psql -f`.

use crate::serve::store::radacct;

/// Arguments of `radius db`.
#[derive(Debug, clap::Args)]
pub struct DbArgs {
    #[command(subcommand)]
    cmd: DbCmd,
}

#[derive(Debug, clap::Subcommand)]
enum DbCmd {
    /// Print the DDL of the PostgreSQL schema (radacct, and the user tables
    /// radcheck, radreply, radusergroup, radgroupcheck, radgroupreply, and the nas clients, as
    /// FreeRADIUS 3.2 names them); `radius serve` creates radacct if missing.
    Init,
}

/// Run `radius db`.
pub fn run(args: DbArgs) -> anyhow::Result<()> {
    match args.cmd {
        DbCmd::Init => {
            print!("{}", radacct::DDL);
            print!("{}", crate::serve::sql_users::DDL);
            print!("{}", crate::serve::sql_users::NAS_DDL);
            Ok(())
        }
    }
}
