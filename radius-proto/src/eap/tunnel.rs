//! What PEAP and TTLS have in common once the TLS tunnel is up: a phase-2
//! machine that takes the peer's decrypted data and returns data to send
//! back through the tunnel, a credential lookup, or the outcome.

use super::{Credential, InnerMethod};

/// A phase-2 machine's answer.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum InnerOut {
    /// Send this through the tunnel.
    Send(Vec<u8>),
    /// Look up `identity`'s credential for `method`, then call
    /// [`Phase2::resolve`].
    Lookup {
        /// The inner identity.
        identity: String,
        /// The inner method that needs it.
        method: InnerMethod,
    },
    /// Authenticated as this inner identity: send the outer EAP-Success.
    Success(String),
    /// Failed: send the outer EAP-Failure.
    Failure(&'static str),
}

/// The inner side of a tunneled method.
pub(crate) trait Phase2 {
    /// The peer's decrypted application data.
    fn receive(&mut self, plain: &[u8]) -> InnerOut;
    /// The peer acknowledged the server's last flight and sent nothing.
    fn on_ack(&mut self) -> InnerOut;
    /// The credential asked for by the last [`InnerOut::Lookup`].
    fn resolve(&mut self, cred: &Credential) -> InnerOut;
}
