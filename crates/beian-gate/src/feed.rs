//! Following the filing server: load a snapshot, then long-poll the change feed.
//!
//! The follower survives the server being down (the gate keeps its last set and retries with a
//! back-off of up to ten seconds), catches up on reconnect (it asks for changes after the last
//! sequence number it applied), tolerates gaps and replays (a change whose `seq` is not above the
//! current one is ignored; applying a state is idempotent), and reloads the snapshot when the
//! server says `snapshot_required`, when the server's `last_seq` is behind the gate's (a restored
//! database), or when its local journal grows past its bound.
//!
//! With a state path the follower keeps, crash-safely (write a temporary file, `fsync`, rename,
//! `fsync` the directory), the last snapshot as received (`PATH`) and a journal of the changes
//! applied since (`PATH.journal`, bound to the snapshot's version), so that a restarted gate
//! serves its last known set before it reaches the server. The journal is written just after a
//! batch is enforced, so that enforcement never waits for the disk; a crash in between loses that
//! batch locally only, and the restarted gate reads it from the feed again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::snapshot::{self, Snapshot, SnapshotError};
use crate::{DomainState, Gate};

/// Largest snapshot accepted (10 million domains take ~100 MB).
pub const MAX_SNAPSHOT_BYTES: usize = 1 << 30;
/// Largest change-feed answer accepted.
pub const MAX_CHANGES_BYTES: usize = 32 << 20;

/// A feed failure; the follower logs it and retries.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("feed URL {0:?} is not usable (an http:// URL is expected)")]
    Url(String),
    #[error("request to the filing server failed: {0}")]
    Http(String),
    #[error("the filing server answered {0}")]
    Status(u16),
    #[error("the filing server took too long")]
    Timeout,
    #[error("bad change-feed answer: {0}")]
    Json(#[from] serde_json::Error),
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("local state {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The change feed's answer (`GET /api/v1/gate/changes`).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct Changes {
    pub last_seq: u64,
    #[serde(default)]
    pub snapshot_required: bool,
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// One change: `state` is a [`DomainState`] name or `not_filed` (removal).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct Change {
    pub seq: u64,
    pub domain: String,
    pub state: String,
}

/// How to reach the filing server and where to keep local state.
#[derive(Clone)]
pub struct FeedConfig {
    /// The filing server's base URL (`http://host:port`).
    pub url: String,
    /// Bearer token for the gate routes.
    pub token: Option<String>,
    /// Where to keep the last snapshot and journal (`None`: nowhere).
    pub state: Option<PathBuf>,
    /// Long-poll wait asked of the server (seconds; the server caps it at 30).
    pub wait_secs: u32,
    /// Changes per request.
    pub limit: u32,
    /// Journal entries before a fresh snapshot is fetched instead.
    pub max_journal: usize,
}

impl std::fmt::Debug for FeedConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FeedConfig")
            .field("url", &self.url)
            .field("token", &self.token.as_ref().map(|_| "***"))
            .field("state", &self.state)
            .field("wait_secs", &self.wait_secs)
            .field("limit", &self.limit)
            .finish()
    }
}

impl FeedConfig {
    /// Defaults: wait 25 s, 5,000 changes per request, journal of 20,000 entries.
    pub fn new(url: impl Into<String>) -> FeedConfig {
        FeedConfig {
            url: url.into(),
            token: None,
            state: None,
            wait_secs: 25,
            limit: 5000,
            max_journal: 20_000,
        }
    }
}

/// An HTTP client for the gate routes of the filing server.
#[derive(Clone)]
pub struct FeedClient {
    base: String,
    token: Option<String>,
    client: Client<HttpConnector, Empty<Bytes>>,
}

impl FeedClient {
    /// A client for `url` (`http://host:port`, optionally with a path prefix).
    pub fn new(url: &str, token: Option<String>) -> Result<FeedClient, FeedError> {
        let base = url.trim_end_matches('/').to_owned();
        let uri: hyper::Uri = base.parse().map_err(|_| FeedError::Url(base.clone()))?;
        if uri.scheme_str() != Some("http") || uri.host().is_none() {
            return Err(FeedError::Url(base));
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_connect_timeout(Some(Duration::from_secs(5)));
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connector);
        Ok(FeedClient {
            base,
            token,
            client,
        })
    }

    async fn get(&self, path: &str, timeout: Duration, limit: usize) -> Result<Bytes, FeedError> {
        let url = format!("{}{path}", self.base);
        let uri: hyper::Uri = url.parse().map_err(|_| FeedError::Url(url.clone()))?;
        let mut req = hyper::Request::get(uri);
        if let Some(t) = &self.token {
            req = req.header(hyper::header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = req
            .body(Empty::new())
            .map_err(|e| FeedError::Http(e.to_string()))?;
        let work = async {
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| FeedError::Http(e.to_string()))?;
            let status = resp.status();
            let body = Limited::new(resp.into_body(), limit)
                .collect()
                .await
                .map_err(|e| FeedError::Http(e.to_string()))?
                .to_bytes();
            if status != hyper::StatusCode::OK {
                return Err(FeedError::Status(status.as_u16()));
            }
            Ok(body)
        };
        tokio::time::timeout(timeout, work)
            .await
            .map_err(|_| FeedError::Timeout)?
    }

    /// `GET /api/v1/gate/in-progress`: the registrable domains of filings in progress (for the
    /// ACME exception), each checked as a domain.
    pub async fn in_progress(&self) -> Result<Vec<String>, FeedError> {
        let bytes = self
            .get(
                "/api/v1/gate/in-progress",
                Duration::from_secs(60),
                64 << 20,
            )
            .await?;
        #[derive(serde::Deserialize)]
        struct InProgress {
            domains: Vec<String>,
        }
        let list: InProgress =
            serde_json::from_slice(&bytes).map_err(|e| FeedError::Http(e.to_string()))?;
        let text = list.domains.join("\n");
        crate::source::parse_domains(&text)
            .map(|v| v.into_iter().map(|(d, _)| d).collect())
            .map_err(|e| FeedError::Http(e.to_string()))
    }

    /// `GET /api/v1/gate/snapshot`: the bytes (validated by decoding).
    pub async fn snapshot(&self) -> Result<(Snapshot, Bytes), FeedError> {
        let bytes = self
            .get(
                "/api/v1/gate/snapshot",
                Duration::from_secs(300),
                MAX_SNAPSHOT_BYTES,
            )
            .await?;
        let decoded = tokio::task::spawn_blocking({
            let bytes = bytes.clone();
            move || snapshot::decode(&bytes)
        })
        .await
        .map_err(|e| FeedError::Http(e.to_string()))??;
        Ok((decoded, bytes))
    }

    /// `GET /api/v1/gate/changes?after=…&limit=…&wait=…`.
    pub async fn changes(&self, after: u64, limit: u32, wait: u32) -> Result<Changes, FeedError> {
        let body = self
            .get(
                &format!("/api/v1/gate/changes?after={after}&limit={limit}&wait={wait}"),
                Duration::from_secs(u64::from(wait) + 15),
                MAX_CHANGES_BYTES,
            )
            .await?;
        Ok(serde_json::from_slice(&body)?)
    }
}

/// Follows the feed into a gate.
pub struct Follower {
    gate: Arc<Gate>,
    client: FeedClient,
    config: FeedConfig,
    /// Changes since the snapshot, by domain (`None`: removed), for the journal.
    journal: BTreeMap<String, Option<DomainState>>,
    snapshot_version: u64,
    seq: u64,
    have_state: bool,
}

impl Follower {
    /// A follower for `gate`; nothing is loaded yet.
    pub fn new(gate: Arc<Gate>, config: FeedConfig) -> Result<Follower, FeedError> {
        let client = FeedClient::new(&config.url, config.token.clone())?;
        Ok(Follower {
            gate,
            client,
            config,
            journal: BTreeMap::new(),
            snapshot_version: 0,
            seq: 0,
            have_state: false,
        })
    }

    /// The sequence number applied so far.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// Load the local state (snapshot and journal), if the state path has one. True when loaded.
    pub async fn restore(&mut self) -> Result<bool, FeedError> {
        let Some(path) = self.config.state.clone() else {
            return Ok(false);
        };
        let loaded = tokio::task::spawn_blocking(move || read_state(&path))
            .await
            .map_err(|e| FeedError::Http(e.to_string()))??;
        let Some((snap, journal)) = loaded else {
            return Ok(false);
        };
        self.gate.load_snapshot(&snap);
        self.snapshot_version = snap.version();
        self.seq = snap.version();
        if let Some((seq, entries)) = journal {
            self.gate
                .apply(entries.iter().map(|(d, s)| (d.as_str(), *s)), seq);
            self.journal = entries.into_iter().collect();
            self.seq = seq;
        }
        self.have_state = true;
        tracing::info!(
            seq = self.seq,
            domains = self.gate.len(),
            "gate state restored from disk"
        );
        Ok(true)
    }

    /// Fetch and install a snapshot (and persist it).
    pub async fn load_snapshot(&mut self) -> Result<(), FeedError> {
        let (snap, bytes) = self.client.snapshot().await?;
        self.gate
            .stats
            .feed_last_ok_ms
            .store(crate::metrics::now_ms(), Ordering::Relaxed);
        let gate = Arc::clone(&self.gate);
        let snap = tokio::task::spawn_blocking(move || {
            gate.load_snapshot(&snap);
            snap
        })
        .await
        .map_err(|e| FeedError::Http(e.to_string()))?;
        self.snapshot_version = snap.version();
        self.seq = snap.version();
        self.journal.clear();
        self.have_state = true;
        if let Some(path) = self.config.state.clone() {
            let version = self.snapshot_version;
            tokio::task::spawn_blocking(move || {
                write_atomic(&path, &bytes)?;
                write_journal(&journal_path(&path), version, version, &BTreeMap::new())
            })
            .await
            .map_err(|e| FeedError::Http(e.to_string()))??;
        }
        tracing::info!(
            version = self.seq,
            domains = snap.len(),
            "gate snapshot loaded"
        );
        Ok(())
    }

    /// Until a set is held: restore local state, or fetch a snapshot, retrying on failure.
    pub async fn ensure_state(&mut self) {
        match self.restore().await {
            Ok(true) => return,
            Ok(false) => {}
            Err(e) => tracing::warn!(error = %e, "local gate state unusable; fetching a snapshot"),
        }
        let mut backoff = Duration::from_millis(200);
        while let Err(e) = self.load_snapshot().await {
            self.gate.stats.feed_errors.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "waiting for the first snapshot");
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(10));
        }
    }

    /// One round: a long poll, then its changes applied. `Ok(true)` when a snapshot is needed.
    pub async fn poll_once(&mut self) -> Result<bool, FeedError> {
        let answer = self
            .client
            .changes(self.seq, self.config.limit, self.config.wait_secs)
            .await?;
        self.gate
            .stats
            .feed_last_ok_ms
            .store(crate::metrics::now_ms(), Ordering::Relaxed);
        if answer.snapshot_required || answer.last_seq < self.seq {
            return Ok(true);
        }
        self.apply(answer.changes).await?;
        Ok(self.journal.len() > self.config.max_journal)
    }

    /// Apply changes: those at or below the current sequence number are replays and ignored;
    /// gaps are logged and tolerated.
    pub async fn apply(&mut self, mut changes: Vec<Change>) -> Result<(), FeedError> {
        changes.sort_by_key(|c| c.seq);
        let mut batch: Vec<(String, Option<DomainState>)> = Vec::new();
        let mut seq = self.seq;
        for c in changes {
            if c.seq <= seq {
                continue;
            }
            if c.seq > seq + 1 {
                tracing::debug!(from = seq, to = c.seq, "gap in the change feed");
            }
            seq = c.seq;
            let state = match c.state.as_str() {
                "not_filed" => None,
                s => match DomainState::parse(s) {
                    Some(s) => Some(s),
                    None => {
                        // An unknown state denies: the gate errs towards not serving.
                        tracing::warn!(
                            state = s,
                            "unknown state in the change feed; treated as not_filed"
                        );
                        None
                    }
                },
            };
            match crate::host::normalize(&c.domain) {
                Ok(h) => batch.push((h.as_str().to_owned(), state)),
                Err(e) => {
                    tracing::warn!(seq = c.seq, error = %e, "unusable domain in the change feed")
                }
            }
        }
        if seq == self.seq {
            return Ok(());
        }
        // Off the async workers: past the overlay's bound, applying rebuilds the table.
        let gate = Arc::clone(&self.gate);
        let batch = tokio::task::spawn_blocking(move || {
            gate.apply(batch.iter().map(|(d, s)| (d.as_str(), *s)), seq);
            batch
        })
        .await
        .map_err(|e| FeedError::Http(e.to_string()))?;
        self.seq = seq;
        self.journal.extend(batch);
        if let Some(path) = &self.config.state {
            let path = journal_path(path);
            let (version, journal) = (self.snapshot_version, self.journal.clone());
            tokio::task::spawn_blocking(move || write_journal(&path, version, seq, &journal))
                .await
                .map_err(|e| FeedError::Http(e.to_string()))??;
        }
        Ok(())
    }

    /// Follow forever: never returns; failures are counted, logged and retried.
    pub async fn run(mut self) {
        if !self.have_state {
            self.ensure_state().await;
        }
        let mut need_snapshot = false;
        let mut backoff = Duration::from_millis(200);
        let mut failing = false;
        loop {
            let result = if need_snapshot {
                self.load_snapshot().await.map(|()| false)
            } else {
                self.poll_once().await
            };
            match result {
                Ok(snap) => {
                    need_snapshot = snap;
                    backoff = Duration::from_millis(200);
                    if failing {
                        tracing::info!(seq = self.seq, "filing server reachable again");
                        failing = false;
                    }
                }
                Err(e) => {
                    self.gate.stats.feed_errors.fetch_add(1, Ordering::Relaxed);
                    if !failing {
                        tracing::warn!(error = %e, seq = self.seq, "change feed failing; serving the last known set");
                        failing = true;
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(10));
                }
            }
        }
    }
}

fn journal_path(state: &Path) -> PathBuf {
    let mut p = state.as_os_str().to_owned();
    p.push(".journal");
    PathBuf::from(p)
}

type Journal = (u64, Vec<(String, Option<DomainState>)>);

/// Read `PATH` (snapshot) and `PATH.journal`; `None` when there is no snapshot file.
pub fn read_state(path: &Path) -> Result<Option<(Snapshot, Option<Journal>)>, FeedError> {
    let io = |source| FeedError::Io {
        path: path.to_owned(),
        source,
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let snap = snapshot::decode(&bytes)?;
    let journal = match std::fs::read_to_string(journal_path(path)) {
        Ok(text) => parse_journal(&text, snap.version()),
        Err(_) => None,
    };
    Ok(Some((snap, journal)))
}

/// The journal if it belongs to this snapshot and parses whole; otherwise `None` (ignored).
fn parse_journal(text: &str, snapshot_version: u64) -> Option<Journal> {
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next()?.split(' ').collect();
    if head.len() != 4 || head[0] != "beian-gate-journal" || head[1] != "1" {
        return None;
    }
    if head[2].parse::<u64>().ok()? != snapshot_version {
        return None;
    }
    let seq = head[3].parse::<u64>().ok()?;
    let mut entries = Vec::new();
    let mut ended = false;
    for line in lines {
        if line == "end" {
            ended = true;
            break;
        }
        let (d, s) = line.split_once(' ')?;
        let state = if s == "not_filed" {
            None
        } else {
            Some(DomainState::parse(s)?)
        };
        entries.push((d.to_owned(), state));
    }
    ended.then_some((seq, entries))
}

fn write_journal(
    path: &Path,
    snapshot_version: u64,
    seq: u64,
    entries: &BTreeMap<String, Option<DomainState>>,
) -> Result<(), FeedError> {
    let mut text = format!("beian-gate-journal 1 {snapshot_version} {seq}\n");
    for (d, s) in entries {
        text.push_str(d);
        text.push(' ');
        text.push_str(s.map_or("not_filed", |s| s.as_str()));
        text.push('\n');
    }
    text.push_str("end\n");
    write_atomic(path, text.as_bytes())
}

/// Write a file crash-safely: temporary file, `fsync`, rename over, `fsync` the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FeedError> {
    use std::io::Write as _;
    let io = |source| FeedError::Io {
        path: path.to_owned(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = std::fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes).map_err(io)?;
    f.sync_all().map_err(io)?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(io)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Keep the gate's ACME exception list equal to the filing server's filings in progress,
/// fetched every `every`; when the server does not answer, the last list stays.
pub async fn follow_acme(gate: Arc<Gate>, client: FeedClient, every: Duration) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match client.in_progress().await {
            Ok(domains) => {
                gate.set_acme_in_progress(domains.iter().map(String::as_str));
                tracing::debug!(domains = domains.len(), "ACME list refreshed");
            }
            Err(e) => {
                tracing::warn!(error = %e, "ACME list: the filing server did not answer; keeping the last list")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn journal_round_trip_and_binding() {
        let dir = std::env::temp_dir().join(format!("beian-gate-j-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state");
        let snap = snapshot::encode(5, [("a.cn", DomainState::Allow)].into_iter());
        write_atomic(&path, &snap).unwrap();
        let mut j = BTreeMap::new();
        j.insert("b.cn".to_owned(), Some(DomainState::Allow));
        j.insert("a.cn".to_owned(), None);
        write_journal(&journal_path(&path), 5, 9, &j).unwrap();
        let (s, journal) = read_state(&path).unwrap().unwrap();
        assert_eq!(s.version(), 5);
        let (seq, entries) = journal.unwrap();
        assert_eq!(seq, 9);
        assert_eq!(entries.len(), 2);
        // A journal of another snapshot, or a torn one, is ignored.
        write_journal(&journal_path(&path), 4, 9, &j).unwrap();
        assert!(read_state(&path).unwrap().unwrap().1.is_none());
        std::fs::write(
            journal_path(&path),
            "beian-gate-journal 1 5 9\nb.cn allow\n",
        )
        .unwrap();
        assert!(read_state(&path).unwrap().unwrap().1.is_none());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
