//! A RADIUS client in a page: a typed Access-Request, Status-Server and
//! accounting Start, each verified (Response Authenticator,
//! Message-Authenticator) and retransmitted per RFC 5080 if unanswered.
//!
//! ```sh
//! cargo run --example server                 # in one terminal
//! cargo run --example client -- 127.0.0.1:18120 testing123
//! ```
//! Accounting goes to the next port (as the example server listens).

use std::net::SocketAddr;
use std::time::Duration;

use typed_radius::dict::prelude::*;
use typed_radius::server::client::{RetryPolicy, UdpClient};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let server: SocketAddr = args
        .next()
        .unwrap_or_else(|| "127.0.0.1:18120".into())
        .parse()?;
    let secret = args.next().unwrap_or_else(|| "testing123".into());

    // Retransmit after 1 s, then 2 s, 4 s (±10%), give up after 4 sends or 10 s.
    let policy = RetryPolicy {
        initial: Duration::from_secs(1),
        max_interval: Duration::from_secs(4),
        max_attempts: 4,
        total: Duration::from_secs(10),
    };
    let auth = UdpClient::builder(server, &secret).retry(policy).build();

    // Attributes are the generated types: a wrong value type does not compile.
    let reply = auth
        .access_request()
        .with(UserName::new("bob"))
        .with(UserPassword::new("hello"))
        .with(NasIpAddress::new(std::net::Ipv4Addr::LOCALHOST))
        .with(ServiceType::new(ServiceTypeValue::FramedUser))
        .send()
        .await?;
    println!(
        "{} (Id {}, {:.2} ms, {} attempt(s), Message-Authenticator: {})",
        reply.code(),
        reply.identifier(),
        reply.rtt().as_secs_f64() * 1e3,
        reply.attempts(),
        reply.has_message_authenticator()
    );
    for msg in reply.get_all::<ReplyMessage>() {
        println!("  Reply-Message = {:?}", msg?.value());
    }
    if let Some(st) = reply.get::<ServiceType>() {
        println!("  Service-Type = {}", st?.value());
    }
    if let Some(t) = reply.get::<SessionTimeout>() {
        println!("  Session-Timeout = {}", t?.value());
    }

    // Is the server alive? (RFC 5997)
    let status = auth.status_server().send().await?;
    println!("Status-Server: {}", status.code());

    // Accounting Start on the next port.
    let acct_addr = SocketAddr::new(server.ip(), server.port() + 1);
    let acct = UdpClient::builder(acct_addr, &secret).retry(policy).build();
    let r = acct
        .accounting_request()
        .with(AcctStatusType::new(AcctStatusTypeValue::Start))
        .with(AcctSessionId::new("ex-1"))
        .with(UserName::new("bob"))
        .send()
        .await?;
    println!("accounting Start: {}", r.code());
    println!("client counters: {:?}", auth.stats());
    Ok(())
}
