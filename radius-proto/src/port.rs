//! Which listener a packet arrived on, and which codes have handlers.

use std::fmt;

use radius_core::Code;

/// Which kind of listener a datagram arrived on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortKind {
    /// Authentication (1812): Access-Request, Status-Server.
    Auth,
    /// Accounting (1813): Accounting-Request, Status-Server.
    Acct,
    /// Dynamic authorization (3799): CoA-Request, Disconnect-Request.
    Coa,
}

impl PortKind {
    /// Whether this listener serves `code`.
    pub fn serves(self, code: Code) -> bool {
        matches!(
            (self, code),
            (PortKind::Auth, Code::ACCESS_REQUEST)
                | (PortKind::Auth, Code::STATUS_SERVER)
                | (PortKind::Acct, Code::ACCOUNTING_REQUEST)
                | (PortKind::Acct, Code::STATUS_SERVER)
                | (PortKind::Coa, Code::COA_REQUEST)
                | (PortKind::Coa, Code::DISCONNECT_REQUEST)
        )
    }

    /// The default UDP port (1812, 1813, 3799).
    pub fn default_port(self) -> u16 {
        match self {
            PortKind::Auth => 1812,
            PortKind::Acct => 1813,
            PortKind::Coa => 3799,
        }
    }
}

impl fmt::Display for PortKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PortKind::Auth => "auth",
            PortKind::Acct => "acct",
            PortKind::Coa => "coa",
        })
    }
}

/// Which request codes have a handler (others are dropped as `NoHandler`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Served {
    /// Access-Request.
    pub access: bool,
    /// Accounting-Request.
    pub accounting: bool,
    /// CoA-Request.
    pub coa: bool,
    /// Disconnect-Request.
    pub disconnect: bool,
}

impl Served {
    /// Every code.
    pub const ALL: Served = Served {
        access: true,
        accounting: true,
        coa: true,
        disconnect: true,
    };

    pub(crate) fn serves(&self, code: Code) -> bool {
        match code {
            Code::ACCESS_REQUEST => self.access,
            Code::ACCOUNTING_REQUEST => self.accounting,
            Code::COA_REQUEST => self.coa,
            Code::DISCONNECT_REQUEST => self.disconnect,
            _ => false,
        }
    }
}
