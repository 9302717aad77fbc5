//! The peer side for the EAP tests and benchmark: test certificates and a
//! rustls client behind the EAP-TLS record layer, answering an
//! `EapServer`'s requests in memory.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::Arc;

use radius_proto::eap::tls::{Frames, Inbound, TlsVersion};
use radius_proto::eap::{avp, packet, Keys, Method};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore};

pub struct Pki {
    pub ca: CertificateDer<'static>,
    pub server: (CertificateDer<'static>, PrivateKeyDer<'static>),
    pub client: (CertificateDer<'static>, PrivateKeyDer<'static>),
}

pub fn pki() -> Pki {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.distinguished_name.push(DnType::CommonName, "eap test CA");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = p.self_signed(&ca_key).unwrap();
    let leaf = |cn: &str, eku| {
        let mut p = CertificateParams::new(vec![cn.to_owned()]).unwrap();
        p.distinguished_name.push(DnType::CommonName, cn);
        p.extended_key_usages = vec![eku];
        let k = KeyPair::generate().unwrap();
        let c = p.signed_by(&k, &ca, &ca_key).unwrap();
        (
            CertificateDer::from(c.der().to_vec()),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(k.serialize_der())),
        )
    };
    Pki {
        ca: CertificateDer::from(ca.der().to_vec()),
        server: leaf("eap.example", ExtendedKeyUsagePurpose::ServerAuth),
        client: leaf("bob", ExtendedKeyUsagePurpose::ClientAuth),
    }
}

/// The peer: a rustls client behind the EAP-TLS record layer.
pub struct Peer {
    conn: ClientConnection,
    frames: Frames,
    pub method: Method,
    avps_sent: bool,
}

impl Peer {
    pub fn new(pki: &Pki, method: Method, version: TlsVersion, fragment: usize) -> Peer {
        let mut roots = RootCertStore::empty();
        roots.add(pki.ca.clone()).unwrap();
        let v: &[&rustls::SupportedProtocolVersion] = match version {
            TlsVersion::Tls12 => &[&rustls::version::TLS12],
            TlsVersion::Tls13 => &[&rustls::version::TLS13],
        };
        let b =
            ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_protocol_versions(v)
                .unwrap()
                .with_root_certificates(roots);
        let cfg = if method == Method::Tls {
            b.with_client_auth_cert(vec![pki.client.0.clone()], pki.client.1.clone_key())
                .unwrap()
        } else {
            b.with_no_client_auth()
        };
        let name = ServerName::try_from("eap.example").unwrap();
        Peer {
            conn: ClientConnection::new(Arc::new(cfg), name).unwrap(),
            frames: Frames::new(fragment, 1 << 16),
            method,
            avps_sent: false,
        }
    }

    /// Answer one EAP-Request.
    pub fn respond(&mut self, req: &[u8]) -> Vec<u8> {
        let p = packet::Packet::parse(req).unwrap();
        assert_eq!(p.typ, Some(self.method.typ()));
        let data = if p.data.first().is_some_and(|f| f & 0x20 != 0) {
            self.flight()
        } else {
            match self.frames.receive(p.data).unwrap() {
                Inbound::More => Frames::ack(0),
                Inbound::Ack => self.frames.next_fragment(0),
                Inbound::Message(m) => {
                    let mut rd = &m[..];
                    while !rd.is_empty() {
                        self.conn.read_tls(&mut rd).unwrap();
                        self.conn.process_new_packets().unwrap();
                    }
                    let mut plain = Vec::new();
                    let _ = self.conn.reader().read_to_end(&mut plain);
                    if self.method == Method::Tls
                        && self.conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)
                        && !plain.is_empty()
                    {
                        assert_eq!(plain, [0], "RFC 9190 commitment message");
                    }
                    if self.method == Method::Ttls && !self.conn.is_handshaking() && !self.avps_sent
                    {
                        self.avps_sent = true;
                        let mut a = Vec::new();
                        avp::push(&mut a, 1, 0, b"bob");
                        avp::push(&mut a, 2, 0, b"hello\0\0\0\0\0\0\0\0\0\0\0");
                        self.conn.writer().write_all(&a).unwrap();
                    }
                    self.flight()
                }
            }
        };
        packet::typed(2, p.id, self.method.typ(), &data)
    }

    fn flight(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        while self.conn.wants_write() {
            self.conn.write_tls(&mut out).unwrap();
        }
        if out.is_empty() {
            return Frames::ack(0);
        }
        self.frames.queue(out);
        self.frames.next_fragment(0)
    }

    pub fn keys(&self) -> Keys {
        let tls13 = self.conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3);
        let typ = [self.method.typ()];
        let (label, ctx): (&[u8], Option<&[u8]>) = match (tls13, self.method) {
            (true, _) => (b"EXPORTER_EAP_TLS_Key_Material", Some(&typ)),
            (false, Method::Ttls) => (b"ttls keying material", None),
            (false, _) => (b"client EAP encryption", None),
        };
        Keys::from_material(
            &self
                .conn
                .export_keying_material([0u8; 128], label, ctx)
                .unwrap(),
        )
    }
}
