//! One server-side TLS connection driven in memory: the EAP-TLS record
//! layer hands it the peer's TLS octets and takes back the server's.
//! rustls is sans-IO itself, so nothing here touches a socket.

use std::io::{Read, Write};
use std::sync::Arc;

use rustls::{HandshakeKind, ProtocolVersion, ServerConfig, ServerConnection};

use super::super::keys::Keys;

/// A TLS failure inside an EAP conversation.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// rustls refused the peer's data (bad handshake, bad certificate, ...).
    #[error("TLS: {0}")]
    Tls(#[from] rustls::Error),
    /// The peer's data could not be buffered.
    #[error("TLS I/O: {0}")]
    Io(#[from] std::io::Error),
}

/// A TLS server connection over in-memory buffers.
pub struct TlsConn {
    conn: ServerConnection,
}

impl TlsConn {
    /// A new connection under `config`.
    pub fn new(config: Arc<ServerConfig>) -> Result<TlsConn, TlsError> {
        Ok(TlsConn {
            conn: ServerConnection::new(config)?,
        })
    }

    /// Feed the peer's TLS records (one reassembled EAP-TLS message).
    pub fn feed(&mut self, mut data: &[u8]) -> Result<(), TlsError> {
        while !data.is_empty() {
            if self.conn.read_tls(&mut data)? == 0 {
                break;
            }
            self.conn.process_new_packets()?;
        }
        Ok(())
    }

    /// Everything the server has to send now (records, possibly an alert).
    pub fn drain(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while self.conn.wants_write() {
            if self.conn.write_tls(&mut out).is_err() {
                break;
            }
        }
        out
    }

    /// Application data received from the peer (the tunnel's inner data).
    pub fn read_plain(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let _ = self.conn.reader().read_to_end(&mut out);
        out
    }

    /// Application data to send to the peer.
    pub fn write_plain(&mut self, data: &[u8]) {
        // Writes to a ServerConnection buffer in memory; they fail only once
        // the connection is closed, and then drain() sends nothing.
        let _ = self.conn.writer().write_all(data);
    }

    /// Whether the handshake is still in progress.
    pub fn handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Whether the negotiated version is TLS 1.3.
    pub fn tls13(&self) -> bool {
        self.conn.protocol_version() == Some(ProtocolVersion::TLSv1_3)
    }

    /// The negotiated version, for logs.
    pub fn version(&self) -> Option<ProtocolVersion> {
        self.conn.protocol_version()
    }

    /// Whether the handshake resumed an earlier session.
    pub fn resumed(&self) -> bool {
        self.conn.handshake_kind() == Some(HandshakeKind::Resumed)
    }

    /// The peer's verified certificate chain (EAP-TLS), end entity first.
    /// On a resumed session, the chain of the original handshake.
    pub fn peer_certificates(&self) -> Option<&[rustls_pki_types::CertificateDer<'static>]> {
        self.conn.peer_certificates()
    }

    /// Data stored with the session for resumption (see
    /// [`set_resumption_data`](Self::set_resumption_data)).
    pub fn resumption_data(&self) -> Option<&[u8]> {
        self.conn.received_resumption_data()
    }

    /// Remember `data` with this session, returned on resumption.
    pub fn set_resumption_data(&mut self, data: &[u8]) {
        self.conn.set_resumption_data(data);
    }

    /// MSK and EMSK for EAP method `method`, by the labels of RFC 5216
    /// (TLS 1.2), RFC 5281 (TTLS) and RFC 9190 / RFC 9427 (TLS 1.3).
    pub fn keys(&self, method: u8) -> Result<Keys, TlsError> {
        let (label, context): (&[u8], Option<[u8; 1]>) = if self.tls13() {
            (b"EXPORTER_EAP_TLS_Key_Material", Some([method]))
        } else if method == super::super::TTLS {
            (b"ttls keying material", None)
        } else {
            (b"client EAP encryption", None)
        };
        let km = self.conn.export_keying_material(
            [0u8; 128],
            label,
            context.as_ref().map(|c| &c[..]),
        )?;
        Ok(Keys::from_material(&km))
    }

    /// `n` octets of keying material under `label` with no context (TTLS's
    /// implicit MS-CHAP challenge, "ttls challenge").
    pub fn export(&self, label: &[u8], out: &mut [u8]) -> Result<(), TlsError> {
        self.conn.export_keying_material(out, label, None)?;
        Ok(())
    }
}
