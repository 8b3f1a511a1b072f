//! The feed follower against a fake filing server (axum) that speaks the gate contract:
//! snapshot, long-polled changes, gaps, replays, `snapshot_required`, the server going down and
//! coming back, and a restart from local state with the server unreachable.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use beian_gate::feed::{Change, Changes, FeedConfig, Follower};
use beian_gate::{Decision, DomainState, Gate, Reason, snapshot};
use tokio::sync::Notify;

const TOKEN: &str = "t0ken";

#[derive(Default)]
struct Fake {
    snapshot_version: u64,
    snapshot: Vec<(String, DomainState)>,
    changes: Vec<Change>,
    snapshot_required: bool,
    down: bool,
    snapshot_calls: u32,
}

#[derive(Clone)]
struct Shared {
    fake: Arc<Mutex<Fake>>,
    notify: Arc<Notify>,
}

impl Shared {
    fn change(&self, seq: u64, domain: &str, state: &str) {
        self.fake.lock().unwrap().changes.push(Change {
            seq,
            domain: domain.into(),
            state: state.into(),
        });
        self.notify.notify_waiters();
    }
    fn set(&self, f: impl FnOnce(&mut Fake)) {
        f(&mut self.fake.lock().unwrap());
        self.notify.notify_waiters();
    }
}

fn authorised(h: &HeaderMap) -> bool {
    h.get("authorization").and_then(|v| v.to_str().ok()) == Some(&format!("Bearer {TOKEN}"))
}

async fn snapshot_route(State(s): State<Shared>, h: HeaderMap) -> Response {
    if !authorised(&h) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let mut f = s.fake.lock().unwrap();
    if f.down {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    f.snapshot_calls += 1;
    f.snapshot_required = false;
    snapshot::encode(
        f.snapshot_version,
        f.snapshot.iter().map(|(d, s)| (d.as_str(), *s)),
    )
    .into_response()
}

#[derive(serde::Deserialize)]
struct Params {
    after: u64,
    limit: usize,
    wait: u64,
}

async fn changes_route(State(s): State<Shared>, h: HeaderMap, Query(p): Query<Params>) -> Response {
    if !authorised(&h) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    let deadline = Instant::now() + Duration::from_secs(p.wait.min(30));
    loop {
        let notified = s.notify.notified();
        {
            let f = s.fake.lock().unwrap();
            if f.down {
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
            let last_seq = f
                .changes
                .iter()
                .map(|c| c.seq)
                .max()
                .unwrap_or(f.snapshot_version);
            let mut out: Vec<Change> = f
                .changes
                .iter()
                .filter(|c| c.seq > p.after)
                .cloned()
                .collect();
            out.sort_by_key(|c| c.seq);
            out.truncate(p.limit);
            if !out.is_empty() || f.snapshot_required || Instant::now() >= deadline {
                return axum::Json(Changes {
                    last_seq,
                    snapshot_required: f.snapshot_required,
                    changes: out,
                })
                .into_response();
            }
        }
        let _ = tokio::time::timeout_at(deadline.into(), notified).await;
    }
}

async fn start_fake(
    shared: Shared,
    listener: tokio::net::TcpListener,
) -> tokio::task::JoinHandle<()> {
    let app = Router::new()
        .route("/api/v1/gate/snapshot", get(snapshot_route))
        .route("/api/v1/gate/changes", get(changes_route))
        .with_state(shared);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    })
}

async fn fake(
    entries: &[(&str, DomainState)],
    version: u64,
) -> (Shared, String, tokio::task::JoinHandle<()>) {
    let shared = Shared {
        fake: Arc::new(Mutex::new(Fake {
            snapshot_version: version,
            snapshot: entries.iter().map(|(d, s)| ((*d).to_owned(), *s)).collect(),
            ..Fake::default()
        })),
        notify: Arc::new(Notify::new()),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = start_fake(shared.clone(), listener).await;
    (shared, url, handle)
}

fn config(url: &str) -> FeedConfig {
    let mut c = FeedConfig::new(url);
    c.token = Some(TOKEN.into());
    c.wait_secs = 5;
    c
}

async fn wait_for(what: &str, limit: Duration, mut cond: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    start.elapsed()
}

fn decision(gate: &Gate, host: &str) -> Decision {
    gate.decide_uncounted(host.as_bytes(), None).decision
}

#[tokio::test]
async fn follows_changes_within_a_second_with_gaps_and_replays() {
    let (feed, url, _h) = fake(
        &[
            ("yunfan.cn", DomainState::Allow),
            ("old.cn", DomainState::Allow),
        ],
        12,
    )
    .await;
    let gate = Arc::new(Gate::new());
    let follower = Follower::new(Arc::clone(&gate), config(&url)).unwrap();
    tokio::spawn(follower.run());
    wait_for("snapshot", Duration::from_secs(5), || gate.version() == 12).await;
    assert_eq!(decision(&gate, "www.yunfan.cn"), Decision::Allow);

    // An approval and a cancellation reach the running gate while it long-polls.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let t = Instant::now();
    feed.change(13, "new.cn", "allow");
    feed.change(14, "old.cn", "not_filed");
    wait_for("changes 13-14", Duration::from_secs(1), || {
        gate.version() == 14
    })
    .await;
    eprintln!("approval enforced after {:?}", t.elapsed());
    assert_eq!(decision(&gate, "new.cn"), Decision::Allow);
    assert_eq!(decision(&gate, "old.cn"), Decision::Deny(Reason::NotFiled));

    // A gap (16 and 17 missing) is tolerated; a replay of 13 (an old approval) is ignored.
    feed.set(|f| {
        f.changes.push(Change {
            seq: 18,
            domain: "NEW.cn".into(),
            state: "revoked".into(),
        });
        f.changes.push(Change {
            seq: 15,
            domain: "gone.com.cn".into(),
            state: "access_cancelled".into(),
        });
    });
    wait_for("change 18", Duration::from_secs(2), || gate.version() == 18).await;
    assert_eq!(decision(&gate, "new.cn"), Decision::Deny(Reason::Revoked));
    assert_eq!(
        decision(&gate, "x.gone.com.cn"),
        Decision::Deny(Reason::AccessCancelled)
    );
    feed.set(|f| {
        f.changes.retain(|c| c.seq != 13);
        f.changes.push(Change {
            seq: 13,
            domain: "new.cn".into(),
            state: "allow".into(),
        });
        f.changes.push(Change {
            seq: 19,
            domain: "later.cn".into(),
            state: "filed_elsewhere".into(),
        });
        f.changes.push(Change {
            seq: 20,
            domain: "not a domain!".into(),
            state: "allow".into(),
        });
        f.changes.push(Change {
            seq: 21,
            domain: "odd.cn".into(),
            state: "suspended".into(),
        });
    });
    wait_for("change 21", Duration::from_secs(2), || gate.version() == 21).await;
    assert_eq!(decision(&gate, "new.cn"), Decision::Deny(Reason::Revoked));
    assert_eq!(
        decision(&gate, "later.cn"),
        Decision::Deny(Reason::FiledElsewhere)
    );
    assert_eq!(decision(&gate, "odd.cn"), Decision::Deny(Reason::NotFiled));
}

#[tokio::test]
async fn survives_the_server_going_down_and_reloads_when_told() {
    let (feed, url, handle) = fake(&[("a.cn", DomainState::Allow)], 1).await;
    let gate = Arc::new(Gate::new());
    tokio::spawn(
        Follower::new(Arc::clone(&gate), config(&url))
            .unwrap()
            .run(),
    );
    wait_for("snapshot", Duration::from_secs(5), || gate.version() == 1).await;

    // Down (503): the gate keeps its set.
    feed.set(|f| f.down = true);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(decision(&gate, "a.cn"), Decision::Allow);
    assert!(
        gate.stats
            .feed_errors
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );

    // Gone (connection refused), changes made meanwhile, back on the same port: caught up.
    handle.abort();
    let _ = handle.await;
    feed.set(|f| {
        f.down = false;
        f.changes.push(Change {
            seq: 2,
            domain: "b.cn".into(),
            state: "allow".into(),
        });
        f.changes.push(Change {
            seq: 3,
            domain: "a.cn".into(),
            state: "revoked".into(),
        });
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(decision(&gate, "a.cn"), Decision::Allow);
    let addr = url.strip_prefix("http://").unwrap();
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let _h2 = start_fake(feed.clone(), listener).await;
    wait_for("catch-up", Duration::from_secs(15), || gate.version() == 3).await;
    assert_eq!(decision(&gate, "b.cn"), Decision::Allow);
    assert_eq!(decision(&gate, "a.cn"), Decision::Deny(Reason::Revoked));

    // snapshot_required: the follower reloads the snapshot.
    feed.set(|f| {
        f.snapshot_version = 50;
        f.snapshot = vec![("fresh.cn".into(), DomainState::Allow)];
        f.changes.clear();
        f.snapshot_required = true;
    });
    wait_for("reload", Duration::from_secs(5), || gate.version() == 50).await;
    assert_eq!(decision(&gate, "fresh.cn"), Decision::Allow);
    assert_eq!(decision(&gate, "b.cn"), Decision::Deny(Reason::NotFiled));
    assert!(feed.fake.lock().unwrap().snapshot_calls >= 2);
}

#[tokio::test]
async fn a_restarted_gate_serves_its_last_state_before_reaching_the_server() {
    let dir = std::env::temp_dir().join(format!("beian-gate-feed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("gate.state");
    let (feed, url, handle) = fake(&[("a.cn", DomainState::Allow)], 7).await;
    {
        let gate = Arc::new(Gate::new());
        let mut c = config(&url);
        c.state = Some(state.clone());
        let task = tokio::spawn(Follower::new(Arc::clone(&gate), c).unwrap().run());
        wait_for("snapshot", Duration::from_secs(5), || gate.version() == 7).await;
        feed.change(8, "b.cn", "allow");
        feed.change(9, "a.cn", "access_cancelled");
        wait_for("changes", Duration::from_secs(2), || gate.version() == 9).await;
        // The journal follows enforcement by a moment (enforcement never waits for the disk).
        let journal = dir.join("gate.state.journal");
        wait_for("journal", Duration::from_secs(5), || {
            std::fs::read_to_string(&journal).is_ok_and(|j| j.contains("a.cn access_cancelled"))
        })
        .await;
        task.abort();
    }
    handle.abort();
    // The server is gone; a new gate restores from disk at once.
    let gate = Arc::new(Gate::new());
    let mut c = config(&url);
    c.state = Some(state.clone());
    let mut follower = Follower::new(Arc::clone(&gate), c).unwrap();
    let t = Instant::now();
    follower.ensure_state().await;
    assert!(t.elapsed() < Duration::from_secs(1));
    assert_eq!(gate.version(), 9);
    assert_eq!(decision(&gate, "b.cn"), Decision::Allow);
    assert_eq!(
        decision(&gate, "a.cn"),
        Decision::Deny(Reason::AccessCancelled)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_wrong_token_is_an_error_not_a_set() {
    let (_feed, url, _h) = fake(&[("a.cn", DomainState::Allow)], 1).await;
    let client = beian_gate::feed::FeedClient::new(&url, Some("wrong".into())).unwrap();
    assert!(matches!(
        client.snapshot().await,
        Err(beian_gate::feed::FeedError::Status(401))
    ));
    assert!(beian_gate::feed::FeedClient::new("https://x.example", None).is_err());
    assert!(beian_gate::feed::FeedClient::new("not a url", None).is_err());
}

#[tokio::test]
async fn replays_and_out_of_order_batches_apply_idempotently() {
    let (_feed, url, _h) = fake(&[("a.cn", DomainState::Allow)], 10).await;
    let gate = Arc::new(Gate::new());
    let mut f = Follower::new(Arc::clone(&gate), config(&url)).unwrap();
    f.ensure_state().await;
    assert_eq!(f.seq(), 10);
    let c = |seq, d: &str, s: &str| Change {
        seq,
        domain: d.into(),
        state: s.into(),
    };
    // Out of order within a batch, with a replay of an already included seq (9 ≤ 10).
    f.apply(vec![
        c(12, "b.cn", "allow"),
        c(9, "a.cn", "revoked"),
        c(11, "b.cn", "revoked"),
    ])
    .await
    .unwrap();
    assert_eq!(f.seq(), 12);
    assert_eq!(decision(&gate, "a.cn"), Decision::Allow);
    assert_eq!(decision(&gate, "b.cn"), Decision::Allow);
    // The same batch again: nothing changes.
    f.apply(vec![c(12, "b.cn", "allow"), c(11, "b.cn", "revoked")])
        .await
        .unwrap();
    assert_eq!(f.seq(), 12);
    assert_eq!(decision(&gate, "b.cn"), Decision::Allow);
    // A gap: 13–19 never seen.
    f.apply(vec![c(20, "a.cn", "not_filed")]).await.unwrap();
    assert_eq!((f.seq(), gate.version()), (20, 20));
    assert_eq!(decision(&gate, "a.cn"), Decision::Deny(Reason::NotFiled));
}
