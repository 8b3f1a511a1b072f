//! `beian gate proxy|tls|authz|check`: the access gate's shell (the decision lives in
//! beian-gate). Settings come from flags, then `BEIAN_GATE_*` variables, then a TOML file given
//! by `--config`.

use std::io::{BufRead as _, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use beian_gate::feed::{FeedConfig, Follower};
use beian_gate::serve::Limits;
use beian_gate::{Decision, Gate};
use clap::Subcommand;

#[derive(clap::Args)]
pub struct GateArgs {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Subcommand)]
enum Mode {
    /// HTTP reverse proxy: allowed requests go to the upstream, denied ones get the block page
    /// (403, `X-Beian-Deny: <reason>`).
    Proxy(ServeArgs),
    /// TLS pass-through: read the ClientHello's server name, splice allowed connections to the
    /// upstream unchanged, close denied ones with a fatal `unrecognized_name` alert.
    Tls(ServeArgs),
    /// Authorization endpoint for nginx `auth_request` and Envoy `ext_authz` (HTTP): 204 allow,
    /// 403 deny with `X-Beian-Deny`.
    Authz(ServeArgs),
    /// Decide for hosts at the terminal: one line per host, `HOST allow` or `HOST deny REASON`.
    /// Exit 0 when every host is allowed, 1 when one is denied, 2 on error.
    Check(CheckArgs),
}

#[derive(clap::Args, Clone, Default)]
struct SourceArgs {
    /// A plain list: one registrable domain per line, optionally followed by a state
    /// (`allow` when absent); `#` comments.
    #[arg(long, env = "BEIAN_GATE_DOMAINS")]
    domains: Option<PathBuf>,
    /// A snapshot file (as served by the filing server at /api/v1/gate/snapshot).
    #[arg(long, env = "BEIAN_GATE_SNAPSHOT")]
    snapshot: Option<PathBuf>,
    /// A running filing server (`http://host:port`): load its snapshot, then follow its changes.
    #[arg(long, env = "BEIAN_GATE_FEED")]
    feed: Option<String>,
    /// Bearer token for the filing server's gate routes.
    #[arg(long, env = "BEIAN_GATE_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// With --feed: keep the last snapshot and the changes since in this file (and
    /// `FILE.journal`), so that a restarted gate serves before it reaches the server.
    #[arg(long, env = "BEIAN_GATE_STATE")]
    state: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// A TOML file with any of the keys below (snake_case); flags and variables override it.
    #[arg(long, env = "BEIAN_GATE_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "BEIAN_GATE_LISTEN")]
    listen: Option<String>,
    /// Upstream `host:port` (proxy and tls).
    #[arg(long, env = "BEIAN_GATE_UPSTREAM")]
    upstream: Option<String>,
    #[command(flatten)]
    source: SourceArgs,
    /// Serve Prometheus metrics at http://ADDR/metrics.
    #[arg(long, env = "BEIAN_GATE_METRICS")]
    metrics: Option<String>,
    /// The provider's contact line on the block page.
    #[arg(long, env = "BEIAN_GATE_CONTACT")]
    contact: Option<String>,
    /// Let `/.well-known/acme-challenge/` through for the registrable domains listed in this
    /// file (filings in progress), so that certificates can be issued before approval. Off when
    /// absent.
    #[arg(long, env = "BEIAN_GATE_ACME_IN_PROGRESS")]
    acme_in_progress: Option<PathBuf>,
    /// With --feed: let `/.well-known/acme-challenge/` through for the domains of the filing
    /// server's filings in progress, refreshed every 30 seconds. Off when absent.
    #[arg(long)]
    acme_from_feed: bool,
    /// Seconds between refreshes of the ACME list from the feed [default: 30].
    #[arg(long, env = "BEIAN_GATE_ACME_REFRESH_SECS")]
    acme_refresh_secs: Option<u64>,
    /// Client connections open at once [default: 10000].
    #[arg(long, env = "BEIAN_GATE_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Authz: read the host from `X-Forwarded-Host` when present (only when the front proxy
    /// sets it itself).
    #[arg(long)]
    trust_forwarded_host: bool,
    /// Worker threads, each with its own listening socket (`SO_REUSEPORT`) [default: one per
    /// core].
    #[arg(long, env = "BEIAN_GATE_WORKERS")]
    workers: Option<usize>,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Hosts as a client would send them (`www.example.cn`, `例子.中国:8443`).
    #[arg(required_unless_present = "hosts_from")]
    hosts: Vec<String>,
    /// Also check every line of this file (`-`: standard input), e.g. all the hosts a provider
    /// serves, for an audit; blank lines and `#` comments are skipped. Decided in batches.
    #[arg(long, value_name = "FILE")]
    hosts_from: Option<PathBuf>,
    #[command(flatten)]
    source: SourceArgs,
}

/// The configuration file's keys; unknown keys are an error.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    upstream: Option<String>,
    domains: Option<PathBuf>,
    snapshot: Option<PathBuf>,
    feed: Option<String>,
    token: Option<String>,
    state: Option<PathBuf>,
    metrics: Option<String>,
    contact: Option<String>,
    acme_in_progress: Option<PathBuf>,
    acme_from_feed: Option<bool>,
    acme_refresh_secs: Option<u64>,
    max_connections: Option<usize>,
    trust_forwarded_host: Option<bool>,
    header_timeout_secs: Option<u64>,
    hello_timeout_secs: Option<u64>,
    idle_timeout_secs: Option<u64>,
    max_body_bytes: Option<u64>,
    max_header_bytes: Option<usize>,
    workers: Option<usize>,
}

/// Settings after flags, environment, file and defaults.
struct Settings {
    listen: String,
    upstream: Option<String>,
    source: SourceArgs,
    metrics: Option<String>,
    contact: String,
    acme_in_progress: Option<PathBuf>,
    acme_from_feed: bool,
    acme_refresh: Duration,
    trust_forwarded_host: bool,
    workers: usize,
    limits: Limits,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("listen", &self.listen)
            .field("upstream", &self.upstream)
            .field("feed", &self.source.feed)
            .field("token", &self.source.token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

fn settings(args: ServeArgs) -> anyhow::Result<Settings> {
    let file = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str::<FileConfig>(&text)
                .with_context(|| format!("configuration file {}", path.display()))?
        }
        None => FileConfig::default(),
    };
    let defaults = Limits::default();
    let s = args.source;
    Ok(Settings {
        listen: args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8081".into()),
        upstream: args.upstream.or(file.upstream),
        source: SourceArgs {
            domains: s.domains.or(file.domains),
            snapshot: s.snapshot.or(file.snapshot),
            feed: s.feed.or(file.feed),
            token: s.token.or(file.token),
            state: s.state.or(file.state),
        },
        metrics: args.metrics.or(file.metrics),
        contact: args
            .contact
            .or(file.contact)
            .unwrap_or_else(|| "请联系您的服务商 / please contact your hosting provider".into()),
        acme_in_progress: args.acme_in_progress.or(file.acme_in_progress),
        acme_from_feed: args.acme_from_feed || file.acme_from_feed.unwrap_or(false),
        acme_refresh: Duration::from_secs(
            args.acme_refresh_secs
                .or(file.acme_refresh_secs)
                .unwrap_or(30)
                .max(1),
        ),
        trust_forwarded_host: args.trust_forwarded_host
            || file.trust_forwarded_host.unwrap_or(false),
        workers: args
            .workers
            .or(file.workers)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
            .clamp(1, 256),
        limits: Limits {
            max_connections: args
                .max_connections
                .or(file.max_connections)
                .unwrap_or(defaults.max_connections),
            header_timeout: file
                .header_timeout_secs
                .map_or(defaults.header_timeout, Duration::from_secs),
            hello_timeout: file
                .hello_timeout_secs
                .map_or(defaults.hello_timeout, Duration::from_secs),
            idle_timeout: file
                .idle_timeout_secs
                .map_or(defaults.idle_timeout, Duration::from_secs),
            max_header_bytes: file.max_header_bytes.unwrap_or(defaults.max_header_bytes),
            max_body_bytes: file.max_body_bytes.or(defaults.max_body_bytes),
            ..defaults
        },
    })
}

fn init_logs() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_env("BEIAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Run `beian gate …`.
pub fn run(args: GateArgs) -> ExitCode {
    // The feed, the metrics and `check` run here; serving runs on worker threads of its own.
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("beian gate: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async move {
        match args.mode {
            Mode::Check(a) => check(a).await,
            Mode::Proxy(a) => serve(Kind::Proxy, a).await.map(|()| true),
            Mode::Tls(a) => serve(Kind::Tls, a).await.map(|()| true),
            Mode::Authz(a) => serve(Kind::Authz, a).await.map(|()| true),
        }
    });
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("beian gate: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Load the domain set from the one source given. With a feed, also return the follower to run.
async fn load(
    gate: &Arc<Gate>,
    source: &SourceArgs,
    wait: u32,
    once: bool,
) -> anyhow::Result<Option<Follower>> {
    let given = [
        source.domains.is_some(),
        source.snapshot.is_some(),
        source.feed.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        bail!("give exactly one of --domains FILE, --snapshot FILE, --feed URL");
    }
    if let Some(path) = &source.domains {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let list = beian_gate::source::parse_domains(&text)
            .with_context(|| format!("domain list {}", path.display()))?;
        gate.replace(list.iter().map(|(d, s)| (d.as_str(), *s)), 0);
        return Ok(None);
    }
    if let Some(path) = &source.snapshot {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let snap = beian_gate::snapshot::decode(&bytes)
            .with_context(|| format!("snapshot {}", path.display()))?;
        gate.load_snapshot(&snap);
        return Ok(None);
    }
    let url = source.feed.clone().unwrap_or_default();
    let mut config = FeedConfig::new(url);
    config.token = source.token.clone();
    config.state = source.state.clone();
    config.wait_secs = wait;
    let mut follower = Follower::new(Arc::clone(gate), config).context("--feed")?;
    if once {
        if !follower.restore().await.context("local gate state")? {
            follower
                .load_snapshot()
                .await
                .context("fetching the snapshot")?;
        }
        return Ok(Some(follower));
    }
    // A refused token is a configuration error, not an outage: stop at once.
    match follower.restore().await {
        Ok(true) => {}
        Ok(false) => match follower.load_snapshot().await {
            Ok(()) => {}
            Err(e @ beian_gate::feed::FeedError::Status(401 | 403)) => {
                return Err(e).context("fetching the snapshot");
            }
            Err(e) => {
                tracing::warn!(error = %e, "filing server unreachable; waiting for the first snapshot");
                follower.ensure_state().await;
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "local gate state unusable; fetching a snapshot");
            follower.ensure_state().await;
        }
    }
    Ok(Some(follower))
}

async fn check(args: CheckArgs) -> anyhow::Result<bool> {
    let gate = Arc::new(Gate::new());
    if let Some(mut follower) = load(&gate, &args.source, 0, true).await? {
        // Bring the snapshot (or restored state) up to date once; no following.
        follower
            .poll_once()
            .await
            .context("reading the change feed")?;
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut all = print_decisions(&gate, &args.hosts, &mut out)?;
    if let Some(path) = &args.hosts_from {
        let (name, input): (String, Box<dyn std::io::BufRead>) = if path.as_os_str() == "-" {
            ("standard input".into(), Box::new(std::io::stdin().lock()))
        } else {
            let file =
                std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
            (
                path.display().to_string(),
                Box::new(std::io::BufReader::new(file)),
            )
        };
        // Streamed in chunks, so that a list of any length runs in flat memory; each chunk is
        // one batch whose lookups overlap (`Gate::decide_batch`).
        const CHUNK: usize = 4096;
        let mut chunk: Vec<String> = Vec::with_capacity(CHUNK);
        for (n, line) in input.lines().enumerate() {
            let line = line.with_context(|| {
                format!(
                    "{name}, line {}: not text (one host per line, UTF-8)",
                    n + 1
                )
            })?;
            let host = line.trim();
            if host.is_empty() || host.starts_with('#') {
                continue;
            }
            chunk.push(host.to_owned());
            if chunk.len() == CHUNK {
                all &= print_decisions(&gate, &chunk, &mut out)?;
                chunk.clear();
            }
        }
        all &= print_decisions(&gate, &chunk, &mut out)?;
    }
    out.flush()?;
    Ok(all)
}

/// Decide `hosts` as one batch and print a line for each; true when all are allowed.
fn print_decisions(gate: &Gate, hosts: &[String], out: &mut impl Write) -> anyhow::Result<bool> {
    let mut decisions = Vec::with_capacity(hosts.len());
    gate.decide_batch(hosts, &mut decisions);
    let mut all = true;
    for (host, decision) in hosts.iter().zip(decisions) {
        match decision {
            Decision::Allow | Decision::AllowAcme => writeln!(out, "{host} allow")?,
            Decision::Deny(reason) => {
                all = false;
                writeln!(out, "{host} deny {}", reason.as_str())?;
            }
        }
    }
    Ok(all)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Proxy,
    Tls,
    Authz,
}

async fn serve(kind: Kind, args: ServeArgs) -> anyhow::Result<()> {
    init_logs();
    let settings = settings(args)?;
    if kind != Kind::Authz && settings.upstream.is_none() {
        bail!("--upstream HOST:PORT is required in this mode");
    }
    if kind == Kind::Proxy
        && let Some(u) = &settings.upstream
        && let Err(e) = beian_gate::proxy::upstream_authority(u)
    {
        bail!("--upstream {u:?} is not HOST:PORT ({e})");
    }
    let gate = Gate::new();
    if let Some(path) = &settings.acme_in_progress {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let list = beian_gate::source::parse_domains(&text)
            .with_context(|| format!("ACME list {}", path.display()))?;
        gate.set_acme_in_progress(list.iter().map(|(d, _)| d.as_str()));
    }
    let gate = Arc::new(gate);
    if settings.acme_from_feed {
        if settings.acme_in_progress.is_some() {
            bail!("--acme-from-feed and --acme-in-progress: choose one source for the ACME list");
        }
        let Some(feed) = &settings.source.feed else {
            bail!("--acme-from-feed needs --feed URL (the filing server)");
        };
        let client = beian_gate::feed::FeedClient::new(feed, settings.source.token.clone())
            .context("--feed")?;
        tokio::spawn(beian_gate::feed::follow_acme(
            Arc::clone(&gate),
            client,
            settings.acme_refresh,
        ));
    }
    let follower = load(&gate, &settings.source, 25, false).await?;
    if let Some(f) = follower {
        tokio::spawn(f.run());
    }
    let listeners = beian_gate::serve::bind_reuseport(&settings.listen, settings.workers)
        .with_context(|| format!("listening on {}", settings.listen))?;
    let addr = listeners
        .first()
        .map(std::net::TcpListener::local_addr)
        .transpose()?
        .context("no listener")?;
    let metrics_addr = match &settings.metrics {
        Some(m) => {
            let l = tokio::net::TcpListener::bind(m)
                .await
                .with_context(|| format!("metrics listener {m}"))?;
            let a = l.local_addr()?;
            tokio::spawn(beian_gate::serve::serve_metrics(l, Arc::clone(&gate)));
            Some(a)
        }
        None => None,
    };
    let mut limits = settings.limits.clone();
    limits.max_connections = (limits.max_connections / settings.workers).max(1);
    let upstream = settings.upstream.clone().unwrap_or_default();
    for (i, listener) in listeners.into_iter().enumerate() {
        let gate = Arc::clone(&gate);
        let (limits, upstream) = (limits.clone(), upstream.clone());
        let (contact, trust) = (settings.contact.clone(), settings.trust_forwarded_host);
        std::thread::Builder::new()
            .name(format!("beian-gate-{i}"))
            .spawn(move || worker(kind, listener, gate, limits, upstream, contact, trust))
            .context("starting a worker thread")?;
    }
    tracing::info!(%addr, domains = gate.len(), version = gate.version(), workers = settings.workers, "beian gate serving");
    // Printed for scripts and tests that listen on port 0.
    println!("listening on {addr}");
    if let Some(m) = metrics_addr {
        println!("metrics on http://{m}/metrics");
    }
    crate::shutdown_signal().await;
    tracing::info!("beian gate stopping");
    Ok(())
}

/// One serving thread: a single-threaded runtime on its own socket (nginx's worker model: no
/// work stealing, no cross-core wake-ups on the request path).
fn worker(
    kind: Kind,
    listener: std::net::TcpListener,
    gate: Arc<Gate>,
    limits: Limits,
    upstream: String,
    contact: String,
    trust_forwarded_host: bool,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "cannot start a worker runtime");
            return;
        }
    };
    runtime.block_on(async move {
        let listener = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => l,
            Err(e) => {
                tracing::error!(error = %e, "cannot register the listener");
                return;
            }
        };
        match kind {
            Kind::Proxy => {
                beian_gate::proxy::serve_proxy(
                    listener,
                    gate,
                    beian_gate::proxy::ProxyOptions {
                        upstream,
                        contact,
                        limits,
                    },
                )
                .await
            }
            Kind::Tls => {
                beian_gate::tls::serve_tls(
                    listener,
                    gate,
                    beian_gate::tls::TlsOptions { upstream, limits },
                )
                .await
            }
            Kind::Authz => {
                beian_gate::authz::serve_authz(
                    listener,
                    gate,
                    beian_gate::authz::AuthzOptions {
                        trust_forwarded_host,
                        limits,
                    },
                )
                .await
            }
        }
    });
}
