//! Helpers shared by the UDP client tests (against our server and against
//! FreeRADIUS).
#![allow(dead_code, unused_imports)]

use radius_core::Code;
use radius_server::UdpClient;

pub use radius_dict::prelude::{
    AcctSessionId, AcctStatusType, ReplyMessage, UserName, UserPassword,
};

/// `n` PAP Access-Requests in flight at once through `c`; every one must
/// come back as Access-Accept.
pub async fn all_accepted(c: &UdpClient, n: usize, user: &'static str, pass: &'static str) {
    let mut tasks = Vec::new();
    for _ in 0..n {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            c.access_request()
                .with(UserName::new(user))
                .with(UserPassword::new(pass))
                .send()
                .await
        }));
    }
    for t in tasks {
        let r = t.await.expect("request task").expect("a verified reply");
        assert_eq!(r.code(), Code::ACCESS_ACCEPT);
    }
}
