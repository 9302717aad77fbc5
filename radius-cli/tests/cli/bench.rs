//! `radius bench` end to end against an in-process radius-server.

use std::net::SocketAddr;
use std::process::Command;

use radius_server::{
    radius_handler, AccessAccept, AccessReject, AccessRequest, AccountingRequest,
    AccountingResponse, Cidr, ClientConfig, HostTable, Reply, Server, ServerHandle,
};

use radius_dict::prelude::{UserName, UserPassword};

#[radius_handler]
async fn auth(_req: AccessRequest, name: UserName, pass: UserPassword) -> Reply {
    if name.as_str() == "bob" && pass.as_str() == "hello" {
        AccessAccept::new().into()
    } else {
        AccessReject::new().into()
    }
}

#[radius_handler]
async fn acct(_req: AccountingRequest) -> AccountingResponse {
    AccountingResponse::new()
}

async fn server() -> ServerHandle {
    let hosts = HostTable::new().with(
        "127.0.0.0/8".parse::<Cidr>().unwrap(),
        ClientConfig::new("localhost", "testing123"),
    );
    let lo: SocketAddr = "127.0.0.1:0".parse().unwrap();
    Server::builder()
        .clients(hosts)
        .auth(auth)
        .accounting(acct)
        .bind_auth(lo)
        .bind_acct(lo)
        .workers(2)
        .spawn()
        .await
        .unwrap()
}

fn bench(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_radius"))
        .arg("bench")
        .args(["--json", "-d", "1"])
        .args(args)
        .output()
        .expect("run radius bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    // Progress went to stderr, once per second.
    assert!(stderr.contains("req/s"), "{stderr}");
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_auth_and_acct() {
    let srv = server().await;
    let auth = srv.auth_addrs()[0].to_string();
    let acct = srv.acct_addrs()[0].to_string();
    let pid = std::process::id().to_string();

    let j = bench(&["-c", "16", "--pid", &pid, &auth, "auth"]);
    let n = j["requests"].as_u64().unwrap();
    assert!(n > 100, "{j}");
    assert_eq!(j["accepted"].as_u64().unwrap(), n);
    assert_eq!(j["invalid_replies"], 0);
    assert_eq!(j["timeouts"], 0);
    assert!(j["req_per_s"].as_f64().unwrap() > 100.0);
    let lat = &j["latency_us"];
    assert!(lat["p50"].as_f64().unwrap() <= lat["p99"].as_f64().unwrap());
    assert!(lat["p99"].as_f64().unwrap() <= lat["max"].as_f64().unwrap() + 1.0);
    assert!(j["server_cpu_us_per_req"].as_f64().unwrap() > 0.0, "{j}");
    assert!(j["client_cpu_us_per_req"].is_number());
    // Every reply went through the server's counters exactly once.
    let st = srv.stats().snapshot();
    assert!(st.accepted >= n, "{st:?} vs {n}");

    // Wrong password: all rejects, still verified replies.
    let j = bench(&["-c", "4", "--password", "nope", &auth, "auth"]);
    assert_eq!(j["accepted"], 0);
    assert!(j["rejected"].as_u64().unwrap() > 10, "{j}");

    // Wrong secret: the server drops everything; the bench counts timeouts.
    let j = bench(&[
        "-c",
        "4",
        "--secret",
        "wrong",
        "--timeout",
        "0.2",
        &auth,
        "auth",
    ]);
    assert_eq!(j["requests"], 0);
    assert!(j["timeouts"].as_u64().unwrap() >= 4, "{j}");

    // Accounting.
    let j = bench(&["-c", "8", &acct, "acct"]);
    assert!(j["accepted"].as_u64().unwrap() > 100, "{j}");
    assert_eq!(j["invalid_replies"], 0);
    srv.shutdown().await;
}

#[test]
fn bench_rejects_bad_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_radius"))
        .args(["bench", "--pid", "999999999", "127.0.0.1:1", "auth"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/proc/999999999/stat"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_reports_the_steady_clients_phases_and_what_the_server_dropped() {
    let srv = server().await;
    let addr = srv.auth_addrs()[0].to_string();
    let pid = std::process::id().to_string();
    // A short, light flood of every kind (bounded: 1.5 s in all): the
    // report must account for each steady request and the flood sent.
    let out = Command::new(env!("CARGO_BIN_EXE_radius"))
        .args([
            "flood", "--json", "-d", "0.5", "--warmup", "0.5", "--after", "0.5",
        ])
        .args([
            "--rate",
            "20000",
            "--ports",
            "4",
            "--interval",
            "20",
            "--pid",
            &pid,
            &addr,
        ])
        .output()
        .expect("run radius flood");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    let sent = v["flood"]["sent"].as_u64().unwrap();
    assert!(sent > 1000, "{v}");
    for phase in ["before", "during", "after"] {
        let p = &v[phase];
        assert!(p["sent"].as_u64().unwrap() >= 10, "{phase}: {v}");
        assert!(p["served_percent"].as_f64().unwrap() <= 100.0);
    }
    // Nothing floods before: every steady request is answered.
    assert_eq!(v["before"]["answered_in_time"], v["before"]["sent"], "{v}");
    assert!(v["server_rss_kib"]["peak"].as_u64().unwrap() > 0);
    // The server saw the flood's junk: garbage, truncated and forged
    // requests dropped, copies answered from the cache.
    let s = srv.stats().snapshot();
    assert!(s.duplicates > 0, "{s:?}");
    assert!(
        s.dropped(radius_server::DropReason::BadMessageAuthenticator) > 0,
        "{s:?}"
    );
    srv.shutdown().await;
}
