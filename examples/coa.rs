//! Change of Authorization and Disconnect (RFC 5176): talk to a NAS's
//! dynamic-authorization port (3799; the example server's is its auth port + 2).
//!
//! ```sh
//! cargo run --example server                          # in one terminal
//! cargo run --example client                          # starts session ex-1
//! cargo run --example coa -- 127.0.0.1:18122 ex-1     # CoA-ACK
//! cargo run --example coa -- 127.0.0.1:18122 nope     # CoA-NAK, Error-Cause 503
//! cargo run --example coa -- 10.0.0.1:3799 abc disconnect   # a real NAS
//! ```

use std::net::SocketAddr;

use typed_radius::dict::prelude::*;
use typed_radius::server::client::{RetryPolicy, UdpClient, COA_PORT};
use typed_radius::Code;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let nas: SocketAddr = match args.next() {
        Some(a) => a.parse()?,
        None => SocketAddr::from(([127, 0, 0, 1], 18122)),
    };
    let session = args.next().unwrap_or_else(|| "ex-1".into());
    let disconnect = args.next().as_deref() == Some("disconnect");
    if nas.port() != COA_PORT {
        eprintln!("note: NASes listen on port {COA_PORT}; sending to {nas}");
    }

    let client = UdpClient::builder(nas, "testing123")
        .retry(RetryPolicy::fixed(std::time::Duration::from_secs(2), 3))
        .build();
    let request = if disconnect {
        client.disconnect_request()
    } else {
        // A CoA that changes the session's timeout; NASes identify the
        // session by Acct-Session-Id (and/or User-Name, NAS-Port ...).
        client
            .coa_request()
            .with(SessionTimeout::new(600))
            .with(ReplyMessage::new("limits changed"))
    };
    let reply = request
        .with(AcctSessionId::new(session.as_str()))
        .with(UserName::new("bob"))
        .message_authenticator()
        .send()
        .await?;
    match reply.code() {
        Code::COA_ACK | Code::DISCONNECT_ACK => {
            println!("{}: session {session} updated", reply.code())
        }
        code => {
            let cause = reply
                .get::<ErrorCause>()
                .transpose()?
                .map(|c| c.into_value());
            match cause {
                Some(c) => println!("{code}: Error-Cause {c} ({})", c.number()),
                None => println!("{code}"),
            }
        }
    }
    Ok(())
}
