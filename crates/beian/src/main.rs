//! The `beian` command. `anyhow` lives here, at the edge; the libraries use typed errors.

mod accounts;
mod check;
mod demo;
mod gate;
mod import;
mod query;

/// mimalloc: the batch checker allocates many small strings on every core, where glibc's
/// allocator spends a third of the time (measured in BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// beian — an open-source ICP filing system (ICP备案管理系统): the rules checker, the filing
/// service, the public query and the access gate, in one binary.
///
/// Start with `beian demo` (seeded data, logins printed), or create staff accounts with
/// `beian accounts create` and run `beian serve`. The rules are described in docs/rules.md, the
/// HTTP API at /api/openapi.json of a running server.
#[derive(Parser)]
#[command(name = "beian", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a filing application against every rule, offline, with a fix for each problem.
    ///
    /// The rules are described in docs/rules.md. Exit code 0: no errors; 1: errors found; 2: the
    /// input itself is unusable.
    Check(CheckArgs),
    /// Run the filing service over HTTP (migrates the database first).
    ///
    /// Accounts and sessions, orders from draft through provider review, verification documents,
    /// the SMS check and the built-in administration's approval, the national record and the
    /// public query, rectifications and the blacklist, products and service numbers, the access
    /// gates' feed, events with webhooks and e-mail, registrar records, the rules check, and the
    /// time-driven jobs (expiry, SMS timeouts, deadlines, SLA breaches). Health at
    /// /healthz, metrics at /metrics, the API description at /api/openapi.json. Applicants
    /// register over HTTP; staff accounts come from `beian accounts create`. Prints
    /// `listening on http://ADDR` on stdout once it listens; logs go to stderr (BEIAN_LOG).
    Serve(ServeArgs),
    /// Run the filing service on a demo data set and print its logins and gate token.
    ///
    /// The data: staff of every role, applicants with orders at several stages, products with
    /// service numbers, another provider's filing. Seeded on first use; later runs continue where
    /// the last one left off, and `--reset` starts afresh. Never use the printed passwords or
    /// gate token outside the demo.
    Demo(DemoArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(DatabaseArgs),
    /// Create, disable, enable or list accounts and reset passwords (staff accounts come from
    /// here).
    ///
    /// The database is chosen as for `beian serve` and migrated first. Exit code 0: done; 2: the
    /// input is unusable (login, role, password or e-mail address); 1: refused (the login is
    /// taken, no account has this login) or failed.
    #[command(subcommand)]
    Accounts(accounts::AccountsCommand),
    /// The access gate: allow only filed domains accessed here (proxy, tls, authz, check).
    Gate(gate::GateArgs),
    /// Import reference data from a file into the database.
    #[command(subcommand)]
    Import(ImportCommand),
    /// The public query: is a domain, ICP number, subject or credential filed?
    ///
    /// Exit code 0: filed; 1: not filed; 2: the record cannot be read.
    Query(query::QueryCommand),
    /// Print the API's OpenAPI 3.1 document (what `/api/openapi.json` serves), for client
    /// generators and validators.
    Openapi,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Domain registration records (the registrars' library of the DOMAIN_* rules) from a CSV
    /// file: header `domain,registrar,registrar_approved,expires,real_name_verified,
    /// real_name_date,registrant_name,registrant_credential_type,registrant_credential_number`;
    /// all rows are imported, or none.
    Registrar(ImportFileArgs),
}

#[derive(clap::Args)]
struct ImportFileArgs {
    /// The CSV file (UTF-8, header line first), or `-` for standard input.
    file: PathBuf,
    #[command(flatten)]
    db: DatabaseArgs,
}

#[derive(clap::Args)]
pub(crate) struct DatabaseArgs {
    /// `sqlite://PATH` (the embedded default; created if missing) or `postgres://…`.
    #[arg(long, env = "BEIAN_DATABASE", default_value = DEFAULT_DATABASE)]
    pub(crate) database: String,
}

#[derive(clap::Args)]
struct DemoArgs {
    /// Address to listen on.
    #[arg(long, env = "BEIAN_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
    /// The demo database (seeded on first use; later runs continue where the last one left off).
    #[arg(long, env = "BEIAN_DATABASE", default_value = "sqlite://beian-demo.db")]
    database: String,
    /// Delete the demo database (a SQLite file, with its -wal and -shm files) and the demo's
    /// documents directory first, and seed afresh.
    #[arg(long)]
    reset: bool,
    /// Where the demo's uploaded documents are stored.
    #[arg(
        long,
        env = "BEIAN_DOCUMENTS_DIR",
        default_value = "beian-demo-documents"
    )]
    documents_dir: PathBuf,
}

#[derive(clap::Args)]
struct ServeArgs {
    /// A TOML configuration file whose keys are the long flags below in snake_case (`listen`,
    /// `database`, `login_burst`, `gate_token`, `smtp_url`, …; an unknown key is an error);
    /// flags and environment variables override it.
    #[arg(long, env = "BEIAN_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "BEIAN_LISTEN")]
    listen: Option<String>,
    /// `sqlite://PATH` (created if missing) or `postgres://…` [default: sqlite://beian.db].
    #[arg(long, env = "BEIAN_DATABASE")]
    database: Option<String>,
    /// Login attempts per client IP in a burst, one more every six seconds [default: 10].
    #[arg(long, env = "BEIAN_LOGIN_BURST")]
    login_burst: Option<u32>,
    /// Public queries per client IP in a burst, two more every second [default: 30].
    #[arg(long, env = "BEIAN_QUERY_BURST")]
    query_burst: Option<u32>,
    /// This provider's name in the national record [default: beian].
    #[arg(long, env = "BEIAN_PROVIDER")]
    provider: Option<String>,
    /// Seconds between runs of the time-driven jobs (expiry, SMS timeouts, rectification
    /// deadlines); 0 turns them off [default: 60].
    #[arg(long, env = "BEIAN_JOBS_INTERVAL")]
    jobs_interval: Option<u64>,
    /// SQLite durability: `normal` (survives a process crash; the default) or `full` (survives a
    /// power cut too, one fsync per commit) [default: normal].
    #[arg(long, env = "BEIAN_SQLITE_SYNCHRONOUS")]
    sqlite_synchronous: Option<String>,
    /// A shared secret access gates (`beian gate … --feed URL --token TOKEN`) present as a bearer
    /// token to read /api/v1/gate/* (otherwise a supervisor's token is needed).
    #[arg(long, env = "BEIAN_GATE_TOKEN", hide_env_values = true)]
    gate_token: Option<String>,
    /// Where uploaded documents are stored, outside the database [default: beian-documents].
    #[arg(long, env = "BEIAN_DOCUMENTS_DIR")]
    documents_dir: Option<PathBuf>,
    /// SMTP server for e-mail notifications: `smtp://host:port` (plain, a local relay),
    /// `smtp://user:pass@host:587?tls=required` or `smtps://host:465`; without it notifications
    /// go to the log.
    #[arg(long, env = "BEIAN_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The sender of e-mail notifications [default: "beian <beian@localhost>"].
    #[arg(long, env = "BEIAN_MAIL_FROM")]
    mail_from: Option<String>,
    /// Milliseconds between delivery rounds for retries (new events are delivered at once);
    /// 0 turns delivery off [default: 1000].
    #[arg(long, env = "BEIAN_DISPATCH_INTERVAL_MS")]
    dispatch_interval_ms: Option<u64>,
    /// The first retry delay of a failed delivery in milliseconds, doubled per attempt up to an
    /// hour [default: 5000].
    #[arg(long, env = "BEIAN_RETRY_BASE_MS")]
    retry_base_ms: Option<u64>,
}

/// The configuration file's keys (unknown keys are an error: a typo must not pass silently).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    database: Option<String>,
    login_burst: Option<u32>,
    query_burst: Option<u32>,
    provider: Option<String>,
    gate_token: Option<String>,
    sqlite_synchronous: Option<String>,
    jobs_interval: Option<u64>,
    documents_dir: Option<PathBuf>,
    smtp_url: Option<String>,
    mail_from: Option<String>,
    dispatch_interval_ms: Option<u64>,
    retry_base_ms: Option<u64>,
}

/// Read the configuration file, if any.
fn read_config(path: Option<&Path>) -> anyhow::Result<FileConfig> {
    use anyhow::Context as _;
    match path {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            toml::from_str::<FileConfig>(&text)
                .with_context(|| format!("configuration file {}", path.display()))
        }
        None => Ok(FileConfig::default()),
    }
}

/// The database URL as `beian serve` chooses it: the flag or `BEIAN_DATABASE`, else the
/// configuration file's `database`, else `sqlite://beian.db`.
pub(crate) fn database_url(
    config: Option<&Path>,
    database: Option<String>,
) -> anyhow::Result<String> {
    Ok(match database {
        Some(d) => d,
        None => read_config(config)?
            .database
            .unwrap_or_else(|| DEFAULT_DATABASE.into()),
    })
}

const DEFAULT_DATABASE: &str = "sqlite://beian.db";

/// The server's settings after flags, environment, file and defaults, in that order.
struct Settings {
    listen: String,
    database: String,
    login_burst: u32,
    query_burst: u32,
    provider: String,
    gate_token: Option<String>,
    durability: beian_store::SqliteDurability,
    jobs_interval: u64,
    documents_dir: PathBuf,
    smtp_url: Option<String>,
    mail_from: String,
    dispatch_interval_ms: u64,
    retry_base_ms: u64,
}

fn settings(args: &ServeArgs) -> anyhow::Result<Settings> {
    let file = read_config(args.config.as_deref())?;
    Ok(Settings {
        listen: args
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into()),
        database: args
            .database
            .clone()
            .or(file.database)
            .unwrap_or_else(|| DEFAULT_DATABASE.into()),
        login_burst: args.login_burst.or(file.login_burst).unwrap_or(10),
        query_burst: args.query_burst.or(file.query_burst).unwrap_or(30),
        provider: args
            .provider
            .clone()
            .or(file.provider)
            .unwrap_or_else(|| beian_server::DEFAULT_PROVIDER.into()),
        gate_token: args.gate_token.clone().or(file.gate_token),
        jobs_interval: args.jobs_interval.or(file.jobs_interval).unwrap_or(60),
        documents_dir: args
            .documents_dir
            .clone()
            .or(file.documents_dir)
            .unwrap_or_else(|| PathBuf::from("beian-documents")),
        smtp_url: args.smtp_url.clone().or(file.smtp_url),
        mail_from: args
            .mail_from
            .clone()
            .or(file.mail_from)
            .unwrap_or_else(|| "beian <beian@localhost>".into()),
        dispatch_interval_ms: args
            .dispatch_interval_ms
            .or(file.dispatch_interval_ms)
            .unwrap_or(1000),
        retry_base_ms: args.retry_base_ms.or(file.retry_base_ms).unwrap_or(5000),
        durability: match args.sqlite_synchronous.clone().or(file.sqlite_synchronous) {
            None => beian_store::SqliteDurability::default(),
            Some(s) => beian_store::SqliteDurability::parse(&s).ok_or_else(|| {
                anyhow::anyhow!("sqlite_synchronous is `normal` or `full`, not {s:?}")
            })?,
        },
    })
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The input document (`{"application": …, "context": …}`), or `-` for standard input.
    /// With --batch: a JSON-lines file, one document per line.
    file: String,
    /// Output format (single document only; --batch always writes JSON lines).
    #[arg(long, value_enum, default_value = "text")]
    format: check::Format,
    /// Check a JSON-lines file: one result per line on stdout, in input order, on all cores.
    #[arg(long)]
    batch: bool,
    /// A directory holding edited copies of reference data files (each file found there replaces
    /// the built-in one; validated before use).
    #[arg(long, env = "BEIAN_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check(args) => run_check(args),
        Command::Serve(args) => edge(serve(args)),
        Command::Demo(args) => edge(run_demo(args)),
        Command::Migrate(args) => edge(migrate(args)),
        Command::Accounts(command) => accounts::run(command),
        Command::Gate(args) => gate::run(args),
        Command::Query(args) => query::run(args),
        Command::Openapi => {
            println!("{}", beian_server::openapi::document());
            ExitCode::SUCCESS
        }
        Command::Import(ImportCommand::Registrar(args)) => {
            edge(import::registrar_csv(&args.db.database, &args.file))
        }
    }
}

/// Run an async command on a runtime; report its error (with context) and exit 1.
fn edge(f: impl std::future::Future<Output = anyhow::Result<()>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("beian: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(f) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("beian: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn init_logs() {
    init_logs_at("info");
}

/// Logs at `default` level unless `BEIAN_LOG` says otherwise.
pub(crate) fn init_logs_at(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BEIAN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    use std::io::IsTerminal as _;
    // Logs go to stderr (stdout carries the listening address for scripts), coloured on a terminal.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

pub(crate) async fn open_store(db: &DatabaseArgs) -> anyhow::Result<beian_store::Store> {
    open_store_with(db, beian_store::SqliteDurability::default()).await
}

async fn open_store_with(
    db: &DatabaseArgs,
    durability: beian_store::SqliteDurability,
) -> anyhow::Result<beian_store::Store> {
    use anyhow::Context as _;
    let store = beian_store::Store::connect_with(&db.database, durability)
        .await
        .with_context(|| format!("connecting to {}", redact(&db.database)))?;
    store.migrate().await.context("migrating the schema")?;
    Ok(store)
}

/// A database URL without its password, for messages and logs.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

async fn migrate(args: DatabaseArgs) -> anyhow::Result<()> {
    init_logs();
    open_store(&args).await?;
    tracing::info!(database = %redact(&args.database), "schema up to date");
    Ok(())
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    init_logs();
    let settings = settings(&args)?;
    let db = DatabaseArgs {
        database: settings.database.clone(),
    };
    let store = open_store_with(&db, settings.durability).await?;
    let mut state = beian_server::AppState::new(store)?;
    state.login_burst = settings.login_burst;
    state.query_burst = settings.query_burst;
    state.set_provider(settings.provider);
    state.gate_token = settings.gate_token;
    state
        .set_documents_dir(&settings.documents_dir)
        .with_context(|| format!("documents directory {}", settings.documents_dir.display()))?;
    if let Some(url) = &settings.smtp_url {
        state.mailer = std::sync::Arc::new(
            beian_notify::Mailer::smtp(url, &settings.mail_from)
                .map_err(|e| anyhow::anyhow!("smtp_url: {e}"))?,
        );
    }
    state.backoff.base = std::time::Duration::from_millis(settings.retry_base_ms.max(1));
    // Files a crash left without a row (older than ten minutes: not an upload in flight).
    match beian_server::service::documents::sweep_orphans(
        &state,
        std::time::Duration::from_secs(600),
    )
    .await
    {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "removed document files no order names"),
        Err(e) => tracing::warn!(error = %e, "sweeping document files"),
    }
    beian_server::service::events::spawn_dispatcher(
        state.clone(),
        std::time::Duration::from_millis(settings.dispatch_interval_ms),
    );
    beian_server::service::jobs::spawn_jobs(
        state.clone(),
        std::time::Duration::from_secs(settings.jobs_interval),
    );
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, database = %redact(&settings.database), "beian serving");
    // Printed for scripts and tests that listen on port 0.
    println!("listening on http://{addr}");
    beian_console::serve(listener, state, shutdown_signal()).await?;
    Ok(())
}

async fn run_demo(args: DemoArgs) -> anyhow::Result<()> {
    use anyhow::Context as _;
    init_logs();
    let db = DatabaseArgs {
        database: args.database.clone(),
    };
    if args.reset {
        demo::reset(&args.database, &args.documents_dir)?;
    }
    let store = open_store(&db).await?;
    let seeded = demo::seed(&store).await.context("seeding the demo data")?;
    store.close().await;
    println!("beian demo: database {}", redact(&args.database));
    if !seeded {
        println!(
            "  (seeded by an earlier run: orders are where that run left them; `beian demo --reset` starts afresh)"
        );
    }
    println!("logins (POST /api/v1/sessions with login and password):");
    for (login, password, role, name) in demo::LOGINS {
        println!("  {role:<14} {login:<10} {password:<24} {name}");
    }
    println!(
        "gate token: {token} (beian gate … --feed http://ADDR --token {token}; or Authorization: Bearer on /api/v1/gate/*)",
        token = demo::GATE_TOKEN
    );
    serve(ServeArgs {
        config: None,
        listen: Some(args.listen),
        database: Some(db.database),
        login_burst: None,
        query_burst: None,
        provider: None,
        gate_token: Some(demo::GATE_TOKEN.to_owned()),
        sqlite_synchronous: None,
        jobs_interval: None,
        documents_dir: Some(args.documents_dir),
        smtp_url: None,
        mail_from: None,
        dispatch_interval_ms: None,
        retry_base_ms: None,
    })
    .await
}

pub(crate) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

fn run_check(args: CheckArgs) -> ExitCode {
    let owned;
    let data = match &args.data_dir {
        Some(dir) => match check::load_data_dir(dir) {
            Ok(d) => {
                owned = d;
                &owned
            }
            Err(e) => return fail(&format!("{e:#}")),
        },
        None => match beian_rules::ReferenceData::embedded() {
            Ok(d) => d,
            Err(e) => return fail(&format!("built-in reference data: {e}")),
        },
    };
    let engine = beian_rules::Engine::new(data, beian_rules::beian_domain::SuffixList::miit());
    let today = beian_rules::date_in_china(time::OffsetDateTime::now_utc());
    let result = if args.batch {
        check::run_batch(&engine, &args.file, today)
    } else {
        check::run_single(&engine, &args.file, args.format, today)
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(check::Unusable(message)) => fail(&message),
    }
}

fn fail(message: &str) -> ExitCode {
    eprintln!("beian check: {message}");
    ExitCode::from(2)
}
