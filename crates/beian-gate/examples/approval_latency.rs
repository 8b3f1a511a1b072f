//! How long an approval takes to be enforced by a running gate that follows the change feed.
//!
//! Runs a stand-in filing server in this process (the gate contract: snapshot of N synthetic
//! domains, long-polled changes), starts the real `beian gate authz --feed …`, then, ROUNDS
//! times: publishes an approval of a new domain (t0) and asks the gate about that domain over
//! one keep-alive connection until it answers 204 (t1).
//!
//! `cargo run --release -p beian-gate --example approval_latency -- target/release/beian 1000000 20`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use beian_gate::feed::{Change, Changes};
use beian_gate::{DomainState, snapshot, testdata};
use tokio::sync::Notify;

#[derive(Clone)]
struct Feed {
    snapshot: Arc<Vec<u8>>,
    changes: Arc<Mutex<Vec<Change>>>,
    notify: Arc<Notify>,
    base: u64,
}

#[derive(serde::Deserialize)]
struct Params {
    after: u64,
    wait: u64,
}

async fn snap(State(f): State<Feed>) -> impl IntoResponse {
    f.snapshot.as_ref().clone()
}

async fn changes(State(f): State<Feed>, Query(p): Query<Params>) -> impl IntoResponse {
    let deadline = Instant::now() + Duration::from_secs(p.wait.min(30));
    loop {
        let notified = f.notify.notified();
        {
            let c = f.changes.lock().unwrap();
            let out: Vec<Change> = c.iter().filter(|c| c.seq > p.after).cloned().collect();
            if !out.is_empty() || Instant::now() >= deadline {
                let last_seq = c.last().map_or(f.base, |c| c.seq);
                return axum::Json(Changes {
                    last_seq,
                    snapshot_required: false,
                    changes: out,
                });
            }
        }
        let _ = tokio::time::timeout_at(deadline.into(), notified).await;
    }
}

fn ask(conn: &mut BufReader<std::net::TcpStream>, host: &str) -> u16 {
    write!(conn.get_mut(), "GET /auth HTTP/1.1\r\nHost: {host}\r\n\r\n").unwrap();
    let mut status = String::new();
    conn.read_line(&mut status).unwrap();
    let mut len = 0usize;
    loop {
        let mut line = String::new();
        conn.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).unwrap();
    status.split(' ').nth(1).unwrap().parse().unwrap()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let beian = args.next().expect("path to the beian binary");
    let n: u64 = args.next().map_or(1_000_000, |a| a.parse().unwrap());
    let rounds: usize = args.next().map_or(20, |a| a.parse().unwrap());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let names: Vec<String> = (0..n).map(testdata::domain).collect();
    let feed = Feed {
        snapshot: Arc::new(snapshot::encode(
            1,
            names.iter().map(|d| (d.as_str(), DomainState::Allow)),
        )),
        changes: Arc::new(Mutex::new(Vec::new())),
        notify: Arc::new(Notify::new()),
        base: 1,
    };
    drop(names);
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let feed_url = format!("http://{}", listener.local_addr().unwrap());
    let app = Router::new()
        .route("/api/v1/gate/snapshot", get(snap))
        .route("/api/v1/gate/changes", get(changes))
        .with_state(feed.clone());
    rt.spawn(async move { axum::serve(listener, app).await });

    let t = Instant::now();
    let mut child = std::process::Command::new(&beian)
        .args([
            "gate",
            "authz",
            "--listen",
            "127.0.0.1:0",
            "--feed",
            &feed_url,
        ])
        .env("BEIAN_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .to_owned();
    println!(
        "gate serving {n} domains from the feed after {:.2?} (snapshot fetched, decoded, set built)",
        t.elapsed()
    );
    let mut conn = BufReader::new(std::net::TcpStream::connect(&addr).unwrap());
    conn.get_ref().set_nodelay(true).unwrap();
    let mut times = Vec::new();
    for i in 0..rounds {
        let domain = format!("approved{i}.cn");
        assert_eq!(ask(&mut conn, &format!("www.{domain}")), 403);
        // Let the gate settle into its long poll, as it would be between approvals.
        std::thread::sleep(Duration::from_millis(200));
        let t0 = Instant::now();
        {
            let mut c = feed.changes.lock().unwrap();
            let seq = c.last().map_or(feed.base, |c| c.seq) + 1;
            c.push(Change {
                seq,
                domain: domain.clone(),
                state: "allow".into(),
            });
        }
        feed.notify.notify_waiters();
        while ask(&mut conn, &format!("www.{domain}")) != 204 {
            assert!(
                t0.elapsed() < Duration::from_secs(10),
                "not enforced in 10 s"
            );
        }
        times.push(t0.elapsed());
    }
    let _ = child.kill();
    let _ = child.wait();
    times.sort();
    println!(
        "approval enforced after: min {:.2?}, median {:.2?}, max {:.2?} ({rounds} approvals)",
        times[0],
        times[times.len() / 2],
        times[times.len() - 1]
    );
}
