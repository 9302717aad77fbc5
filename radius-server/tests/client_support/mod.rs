//! Helpers shared by the UDP client tests (against our server and against
//! FreeRADIUS).
#![allow(dead_code)]

use radius_core::Code;
use radius_server::UdpClient;

radius_core::attribute! { UserName(UserName_) = "User-Name", Std(1), String }
radius_core::attribute! { UserPassword(UserPassword_) = "User-Password", Std(2), String, encrypt = UserPassword }
radius_core::attribute! { AcctStatusType(AcctStatusType_) = "Acct-Status-Type", Std(40), u32 }
radius_core::attribute! { AcctSessionId(AcctSessionId_) = "Acct-Session-Id", Std(44), String }

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
