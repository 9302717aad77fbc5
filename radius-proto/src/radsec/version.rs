//! RADIUS/1.1 negotiation (RFC 9765 §3.1): the ALPN names and the three
//! settings a listener, client entry or client can have.

use std::fmt;

/// ALPN name of RADIUS/1.0 over TLS (RFC 9765 §3.1).
pub const ALPN_RADIUS_1_0: &[u8] = b"radius/1.0";
/// ALPN name of RADIUS/1.1 over TLS (RFC 9765 §3.1).
pub const ALPN_RADIUS_1_1: &[u8] = b"radius/1.1";

/// Whether a RadSec listener, client entry or client speaks RADIUS/1.1
/// (RFC 9765 §3.1's configuration, in three settings).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum RadiusV11 {
    /// RADIUS/1.0 only: offer ALPN `radius/1.0` (the default; what
    /// radsecproxy and FreeRADIUS 3 speak).
    #[default]
    Off,
    /// Offer `radius/1.1` and `radius/1.0`; RADIUS/1.1 when the peer offers
    /// it too, else RADIUS/1.0 (also when the peer sends no ALPN).
    Allowed,
    /// RADIUS/1.1 only: offer `radius/1.1`; a peer offering only
    /// `radius/1.0` fails the handshake (no_application_protocol), and a
    /// connection that ends up without `radius/1.1` (peer sent no ALPN) is
    /// closed.
    Required,
}

impl RadiusV11 {
    /// The ALPN names offered, in order of preference.
    pub fn alpn_protocols(self) -> Vec<Vec<u8>> {
        match self {
            RadiusV11::Off => vec![ALPN_RADIUS_1_0.to_vec()],
            RadiusV11::Allowed => vec![ALPN_RADIUS_1_1.to_vec(), ALPN_RADIUS_1_0.to_vec()],
            RadiusV11::Required => vec![ALPN_RADIUS_1_1.to_vec()],
        }
    }

    /// Whether a connection in `version` is acceptable under this setting.
    pub fn accepts(self, version: radius_core::RadiusVersion) -> bool {
        use radius_core::RadiusVersion as V;
        matches!(
            (self, version),
            (RadiusV11::Off, V::V1_0) | (RadiusV11::Allowed, _) | (RadiusV11::Required, V::V1_1)
        )
    }
}

impl fmt::Display for RadiusV11 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RadiusV11::Off => "off",
            RadiusV11::Allowed => "allowed",
            RadiusV11::Required => "required",
        })
    }
}
