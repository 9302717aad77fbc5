//! A RadSec (RADIUS over TLS, RFC 6614) server with a typed handler that
//! accepts bob/hello. It makes a throwaway CA, a server certificate and a
//! client certificate at start, writes them to a temporary directory and
//! prints where, with a radsecproxy configuration that talks to it.
//!
//! ```sh
//! cargo run --example radsec_server -- 127.0.0.1:2083
//! ```
//! Any client whose certificate the generated CA signed is served, with
//! the RadSec secret "radsec".

use std::net::SocketAddr;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use typed_radius::dict::prelude::*;
use typed_radius::server::radsec::{RadSecServer, TlsClient, TlsClientTable, TlsConfig};
use typed_radius::server::{radius_handler, AccessAccept, AccessReject, Reply, Transport};

/// bob/hello gets in; the reply says which transport carried the request.
#[radius_handler]
async fn auth(name: UserName, pass: Option<UserPassword>, transport: Transport) -> Reply {
    let ok = name.value() == "bob" && pass.is_some_and(|p| p.value() == "hello");
    let msg = ReplyMessage::new(format!("{} over {:?}", name.value(), transport.protocol));
    if ok {
        AccessAccept::new().with(msg).into()
    } else {
        AccessReject::new().with(msg).into()
    }
}

fn leaf(
    cn: &str,
    eku: ExtendedKeyUsagePurpose,
    ca: &rcgen::Certificate,
    ca_key: &KeyPair,
) -> Result<(String, String), rcgen::Error> {
    let mut p = CertificateParams::new(vec![cn.to_string(), "127.0.0.1".to_string()])?;
    p.distinguished_name.push(DnType::CommonName, cn);
    p.extended_key_usages = vec![eku];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate()?;
    let cert = p.signed_by(&key, ca, ca_key)?;
    Ok((cert.pem(), key.serialize_pem()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Without a subscriber, dropped packets (unknown client, bad
    // authenticator) leave no trace: their log lines go nowhere.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:2083".into())
        .parse()?;

    // A throwaway PKI: CA, server certificate, one client certificate.
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "typed-radius example CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate()?;
    let ca = ca_params.self_signed(&ca_key)?;
    let (server_pem, server_key) = leaf(
        "localhost",
        ExtendedKeyUsagePurpose::ServerAuth,
        &ca,
        &ca_key,
    )?;
    let (client_pem, client_key) = leaf("nas1", ExtendedKeyUsagePurpose::ClientAuth, &ca, &ca_key)?;

    let dir = std::env::temp_dir().join(format!("typed-radius-radsec-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let write = |name: &str, data: &str| -> std::io::Result<std::path::PathBuf> {
        let p = dir.join(name);
        std::fs::write(&p, data)?;
        Ok(p)
    };
    let ca_path = write("ca.pem", &ca.pem())?;
    let cert_path = write("server.pem", &server_pem)?;
    let key_path = write("server.key", &server_key)?;
    let ccert = write("client.pem", &client_pem)?;
    let ckey = write("client.key", &client_key)?;

    let tls = TlsConfig::from_pem_files(&cert_path, &key_path, &ca_path)?;
    let server = RadSecServer::builder(tls)
        .clients(TlsClientTable::new().with(TlsClient::new("any-client-of-the-ca")))
        .auth(auth)
        .bind(addr)
        .spawn()
        .await?;

    println!(
        "RadSec server on {} (secret \"radsec\")",
        server.local_addr()
    );
    println!("certificates in {}:", dir.display());
    println!("  CA          {}", ca_path.display());
    println!(
        "  server      {} / {}",
        cert_path.display(),
        key_path.display()
    );
    println!("  client      {} / {}", ccert.display(), ckey.display());
    println!();
    println!("Try it through radsecproxy (UDP 127.0.0.1:11812 in, TLS out):");
    println!("---- radsecproxy.conf ----");
    println!(
        "ListenUDP 127.0.0.1:11812\ntls default {{\n    CACertificateFile {}\n    CertificateFile {}\n    CertificateKeyFile {}\n}}\nclient local {{\n    host 127.0.0.1\n    type udp\n    secret testing123\n}}\nserver ours {{\n    host 127.0.0.1\n    port {}\n    type tls\n    secret radsec\n}}\nrealm * {{\n    server ours\n}}",
        ca_path.display(),
        ccert.display(),
        ckey.display(),
        server.local_addr().port()
    );
    println!("--------------------------");
    println!("radsecproxy -f -c radsecproxy.conf &");
    println!("echo 'User-Name = bob\nUser-Password = hello\nMessage-Authenticator = 0x00' | radclient -x 127.0.0.1:11812 auth testing123");

    tokio::signal::ctrl_c().await?;
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
