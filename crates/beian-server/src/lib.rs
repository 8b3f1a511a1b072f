//! beian-server: the filing service behind its faces. Three layers, each with one rule:
//!
//! - [`routes`] (and `auth`'s handlers): the JSON API, one router per resource. Handlers parse,
//!   call the service layer, and map results to JSON and errors to [`ApiError`] problem+json.
//! - [`service`]: what the service does — filing, verification, documents, events, jobs — with
//!   typed inputs, domain results and domain errors; never a request or a response. The console
//!   is a second adapter over the same functions.
//! - below them the pure core (`beian-rules`, `beian-core`) decides, and the store
//!   (`beian-store`) applies.
//!
//! Cross-cutting: [`authz`] is the one table of who may call which route, enforced before any
//! handler; [`error`] is the one error type; [`administration`] and [`domain_library`] are the
//! ports to the provincial administration (管局) and the registrars' domain library.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, header};
use axum::response::Response;
use beian_rules::Engine;
use beian_store::Store;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::net::TcpListener;

pub mod administration;
pub mod auth;
pub mod authz;
pub mod clock;
pub mod domain_library;
pub mod error;
pub mod idempotency;
pub mod openapi;
pub mod routes;
pub mod service;

pub use error::{ApiError, ApiJson, Problem, parse_body};

/// The largest request body accepted (an application with its context is a few kilobytes).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub engine: Engine<'static>,
    /// The working-day calendar for SLA deadlines.
    pub calendar: Arc<beian_core::calendar::WorkCalendar>,
    /// Login attempts allowed per client IP in a burst; one more every [`LOGIN_REPLENISH`].
    pub login_burst: u32,
    /// This provider's name in the national record (whose access an approval opens).
    pub provider: String,
    /// A shared secret access gates may present instead of a supervisor's token.
    pub gate_token: Option<String>,
    /// Public queries allowed per client IP in a burst; one more every [`QUERY_REPLENISH`].
    pub query_burst: u32,
    /// The administration (管局) behind its port: the built-in one unless replaced.
    pub administration: Arc<dyn administration::Administration>,
    registrar_seen: Arc<std::sync::atomic::AtomicBool>,
    registrar_checked: Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// Accounts of recently seen bearer tokens.
    pub token_cache: Arc<auth::TokenCache>,
    /// The registrars' library the DOMAIN_* rules read (the built-in table unless replaced).
    pub registrar: Arc<dyn domain_library::RegistrarLibrary>,
    /// The gate feed's head as last seen (woken by a watcher task), for long-polling gates.
    pub gate_head: tokio::sync::watch::Receiver<i64>,
    gate_head_tx: Arc<tokio::sync::watch::Sender<i64>>,
    /// The event outbox's head as last seen, for long-polling applicants and the dispatcher.
    pub event_head: tokio::sync::watch::Receiver<i64>,
    event_head_tx: Arc<tokio::sync::watch::Sender<i64>>,
    /// Where uploaded documents are stored (`documents_dir`); uploads answer 503 without it.
    pub documents: Option<Arc<beian_documents::FileStore>>,
    /// Size and pixel limits for uploaded documents.
    pub document_limits: beian_documents::Limits,
    /// Uploads decoded at once (each may hold up to twice `max_alloc` while it runs).
    pub decode_permits: Arc<tokio::sync::Semaphore>,
    /// The notification sink: SMTP when configured, else the log.
    pub mailer: Arc<beian_notify::Mailer>,
    /// The webhook client (signed POSTs).
    pub webhooks: Arc<beian_notify::WebhookClient>,
    /// Retry schedule of failed deliveries.
    pub backoff: beian_notify::Backoff,
    metrics: PrometheusHandle,
}

/// The provider name used when none is configured.
pub const DEFAULT_PROVIDER: &str = "beian";

/// One public query is given back to a client IP this often.
pub const QUERY_REPLENISH: std::time::Duration = std::time::Duration::from_millis(500);

/// One login attempt is given back to a client IP this often.
pub const LOGIN_REPLENISH: std::time::Duration = std::time::Duration::from_secs(6);

/// Errors at the server's edge.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("reference data: {0}")]
    Data(#[from] beian_rules::DataError),
    #[error("working-day calendar: {0}")]
    Calendar(#[from] beian_core::calendar::CalendarError),
    #[error("metrics recorder: {0}")]
    Metrics(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("notifications: {0}")]
    Notify(String),
}

impl AppState {
    /// State over a connected, migrated store. The Prometheus recorder is process-wide: a second
    /// state in one process (tests) reuses the first one's.
    pub fn new(store: Store) -> Result<AppState, ServerError> {
        // Installed once, under a lock: two states made at once (tests) must not both try.
        static HANDLE: std::sync::Mutex<Option<PrometheusHandle>> = std::sync::Mutex::new(None);
        let mut installed = HANDLE
            .lock()
            .map_err(|_| ServerError::Metrics("metrics lock poisoned".into()))?;
        let metrics = match installed.as_ref() {
            Some(h) => h.clone(),
            None => {
                let h = PrometheusBuilder::new()
                    .install_recorder()
                    .map_err(|e| ServerError::Metrics(e.to_string()))?;
                *installed = Some(h.clone());
                h
            }
        };
        drop(installed);
        let (gate_head_tx, gate_head) = tokio::sync::watch::channel(0);
        let (event_head_tx, event_head) = tokio::sync::watch::channel(0);
        let webhooks = beian_notify::WebhookClient::new(std::time::Duration::from_secs(10))
            .map_err(|e| ServerError::Notify(e.to_string()))?;
        Ok(AppState {
            administration: Arc::new(administration::BuiltInAdministration {
                store: store.clone(),
                provider: DEFAULT_PROVIDER.to_owned(),
            }),
            token_cache: Arc::new(auth::TokenCache::default()),
            registrar_seen: Arc::default(),
            registrar_checked: Arc::default(),
            registrar: Arc::new(domain_library::BuiltInRegistrar {
                store: store.clone(),
            }),
            gate_head,
            gate_head_tx: Arc::new(gate_head_tx),
            event_head,
            event_head_tx: Arc::new(event_head_tx),
            documents: None,
            document_limits: beian_documents::Limits::default(),
            decode_permits: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            mailer: Arc::new(beian_notify::Mailer::log()),
            webhooks: Arc::new(webhooks),
            backoff: beian_notify::Backoff::default(),
            store,
            engine: Engine::embedded()?,
            calendar: Arc::new(beian_core::calendar::WorkCalendar::embedded()?),
            login_burst: 10,
            provider: DEFAULT_PROVIDER.to_owned(),
            gate_token: None,
            query_burst: 30,
            metrics,
        })
    }
}

impl AppState {
    /// Does the registrars' library hold records (so that the DOMAIN_* rules can run)? Once it
    /// does, that is remembered; while it does not, the store is asked at most once a second.
    pub async fn registrar_configured(&self) -> Result<bool, beian_store::StoreError> {
        use std::sync::atomic::Ordering;
        if self.registrar_seen.load(Ordering::Relaxed) {
            return Ok(true);
        }
        let now = std::time::Instant::now();
        if let Ok(mut last) = self.registrar_checked.lock() {
            if last.is_some_and(|t| now.duration_since(t) < std::time::Duration::from_secs(1)) {
                return Ok(false);
            }
            *last = Some(now);
        }
        let has = self.store.registrar_has_records().await?;
        if has {
            self.registrar_seen.store(true, Ordering::Relaxed);
        }
        Ok(has)
    }

    /// Store uploaded documents under `dir` (created if missing).
    pub fn set_documents_dir(
        &mut self,
        dir: impl Into<std::path::PathBuf>,
    ) -> Result<(), ServerError> {
        self.documents = Some(Arc::new(beian_documents::FileStore::open(dir)?));
        Ok(())
    }

    /// Name this provider (its access in the national record), for the built-in administration
    /// too.
    pub fn set_provider(&mut self, provider: String) {
        self.administration = Arc::new(administration::BuiltInAdministration {
            store: self.store.clone(),
            provider: provider.clone(),
        });
        self.provider = provider;
    }
}

/// Every route the API serves, and the (method, path) pairs registered: the JSON routes inside
/// the 1 MiB body limit, the uploads with a limit of their own.
fn api_routes(state: &AppState) -> (Router<Arc<AppState>>, Vec<(Method, &'static str)>) {
    // Login is rate limited per client IP (brute force); the limiter's memory is trimmed below.
    let login_limit = Arc::new(
        tower_governor::governor::GovernorConfigBuilder::default()
            .period(LOGIN_REPLENISH)
            .burst_size(state.login_burst.max(1))
            .finish()
            .unwrap_or_default(),
    );
    let limiter = login_limit.limiter().clone();
    // The public query is rate limited per client IP too (scraping the record).
    let query_limit = Arc::new(
        tower_governor::governor::GovernorConfigBuilder::default()
            .period(QUERY_REPLENISH)
            .burst_size(state.query_burst.max(1))
            .finish()
            .unwrap_or_default(),
    );
    let query_limiter = query_limit.limiter().clone();
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
            loop {
                tick.tick().await;
                limiter.retain_recent();
                query_limiter.retain_recent();
            }
        });
    }
    let login_layer = tower_governor::GovernorLayer::new(login_limit).error_handler(|e| {
        too_many(
            e,
            "登录尝试过多，请稍后再试 / too many login attempts: wait and retry",
        )
    });
    let query_layer = tower_governor::GovernorLayer::new(query_limit).error_handler(|e| {
        too_many(
            e,
            "查询过于频繁，请稍后再试 / too many queries: wait and retry",
        )
    });
    let r = routes::Routes::default()
        .post("/api/v1/accounts", auth::register)
        .on(
            Method::POST,
            "/api/v1/sessions",
            axum::routing::post(auth::login).layer(login_layer),
        )
        .delete("/api/v1/sessions", auth::logout)
        .get("/api/v1/me", auth::me)
        .on(
            Method::GET,
            "/api/v1/public/query",
            axum::routing::get(routes::public_query::public_query).layer(query_layer),
        );
    let r = [
        routes::system::routes,
        routes::rules::routes,
        routes::orders::routes,
        routes::administration::routes,
        routes::national_record::routes,
        routes::products::routes,
        routes::gate_feed::routes,
        routes::rectifications::routes,
        routes::audit::routes,
        routes::jobs::routes,
        routes::blacklist::routes,
        routes::documents::routes,
        routes::events::routes,
        routes::domain_library::routes,
        routes::staff_accounts::routes,
    ]
    .into_iter()
    .fold(r, |r, add| add(r));
    let (json, mut registered) = r.into_parts();
    let (uploads, more) = routes::documents::upload_routes(routes::Routes::default()).into_parts();
    registered.extend(more);
    let router = json
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
        .merge(uploads);
    (router, registered)
}

/// The (method, path) pairs the router serves, for tests that hold the authorization table and
/// the OpenAPI document to them.
pub fn registered_routes(state: &AppState) -> Vec<(Method, &'static str)> {
    api_routes(state).1
}

/// The application's routes with their middleware: problem+json for every refusal (outermost),
/// tracing, the authorization table, then idempotency keys.
pub fn router(state: AppState) -> Router {
    let state = Arc::new(state);
    let store = state.store.clone();
    spawn_head_watcher((*state.gate_head_tx).clone(), move || {
        let store = store.clone();
        async move { store.gate_last_seq().await }
    });
    let store = state.store.clone();
    spawn_head_watcher((*state.event_head_tx).clone(), move || {
        let store = store.clone();
        async move { store.event_head().await }
    });
    let (api, _) = api_routes(&state);
    api.layer(axum::middleware::from_fn_with_state(
        state.clone(),
        idempotency::idempotency,
    ))
    .layer(axum::middleware::from_fn_with_state(
        state.clone(),
        authz::authorize,
    ))
    .fallback(no_such_route)
    .layer(tower_http::trace::TraceLayer::new_for_http())
    .layer(axum::middleware::from_fn(error::framework_refusals))
    .with_state(state)
}

async fn no_such_route() -> ApiError {
    ApiError::not_found(
        "no-such-route",
        "路径不存在 / Not found",
        "没有这个接口，请查看 /api/openapi.json / no such route: see /api/openapi.json",
    )
}

/// Watch a head (a sequence number `poll` reads from the store) every 100 ms, so that waiters on
/// `tx` wake within that of a commit by any server instance on the same database.
fn spawn_head_watcher<F, Fut>(tx: tokio::sync::watch::Sender<i64>, poll: F)
where
    F: Fn() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<i64, beian_store::StoreError>> + Send,
{
    if let Ok(handle) = tokio::runtime::Handle::try_current() {
        handle.spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_millis(100));
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if tx.is_closed() {
                    break;
                }
                if let Ok(seq) = poll().await {
                    tx.send_if_modified(|old| {
                        let changed = *old != seq;
                        *old = seq;
                        changed
                    });
                }
            }
        });
    }
}

/// A 429 problem with `Retry-After`.
fn too_many(e: tower_governor::GovernorError, detail: &str) -> Response {
    let mut err = ApiError::new(
        axum::http::StatusCode::TOO_MANY_REQUESTS,
        "rate-limited",
        "尝试过于频繁 / Too many attempts",
        detail,
    );
    if let tower_governor::GovernorError::TooManyRequests { wait_time, .. } = e
        && let Ok(v) = HeaderValue::from_str(&wait_time.to_string())
    {
        err = err.with_header(header::RETRY_AFTER, v);
    }
    axum::response::IntoResponse::into_response(err)
}

/// Serve until the future `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

impl AppState {
    /// The Prometheus text of every metric recorded in this process.
    pub fn metrics_text(&self) -> String {
        self.metrics.render()
    }
}
