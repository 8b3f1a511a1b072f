//! beian-server: the HTTP shell of the filing service (axum). Thin by design: handlers parse,
//! call the core (rules engine, workflow) and the store, and map errors to problem+json.
//!
//! Served so far: `/healthz`, `/metrics` (Prometheus text), `/api/openapi.json`, and the rules
//! engine as `POST /api/v1/check` and `POST /api/v1/filing-type`. Every request body is limited
//! to [`MAX_BODY_BYTES`].

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{Json, Router};
use beian_rules::{Engine, parse_document};
use beian_store::Store;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use serde::Serialize;
use tokio::net::TcpListener;

pub mod administration;
pub mod auth;
pub mod blacklist;
pub mod documents;
pub mod events;
pub mod idempotency;
pub mod orders;
pub mod record;
pub mod registrar;
pub mod registry;

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
    pub registrar: Arc<dyn registrar::RegistrarLibrary>,
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
            registrar: Arc::new(registrar::BuiltInRegistrar {
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

/// The application's routes.
pub fn router(state: AppState) -> Router {
    let state = Arc::new(state);
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
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(prometheus))
        .route("/api/openapi.json", get(openapi))
        .route("/api/v1/check", post(check))
        .route("/api/v1/filing-type", post(filing_type))
        .route("/api/v1/accounts", post(auth::register))
        .route(
            "/api/v1/sessions",
            post(auth::login).layer(login_layer).delete(auth::logout),
        )
        .route("/api/v1/me", get(auth::me))
        .route("/api/v1/orders", post(orders::create).get(orders::list))
        .route(
            "/api/v1/orders/{id}",
            get(orders::get_one).put(orders::update),
        )
        .route("/api/v1/orders/{id}/submit", post(orders::submit))
        .route("/api/v1/orders/{id}/withdraw", post(orders::withdraw))
        .route("/api/v1/orders/{id}/pass", post(orders::pass))
        .route("/api/v1/orders/{id}/reject", post(orders::reject))
        .route(
            "/api/v1/orders/{id}/complete-verification",
            post(orders::complete_verification),
        )
        .route(
            "/api/v1/orders/{id}/submit-to-administration",
            post(orders::submit_to_administration),
        )
        .route("/api/v1/review/queue", get(orders::queue))
        .route(
            "/api/v1/blacklist",
            post(blacklist::add).get(blacklist::list),
        )
        .route("/api/v1/orders/{id}/sms", post(registry::answer_sms))
        .route("/api/v1/orders/{id}/approve", post(registry::approve))
        .route(
            "/api/v1/orders/{id}/administration-reject",
            post(registry::reject),
        )
        .route("/api/v1/registry/sms-outbox", get(registry::outbox))
        .route(
            "/api/v1/registry/filings",
            post(record::record_foreign_filing),
        )
        .route("/api/v1/registry/revocations", post(record::revoke))
        .route(
            "/api/v1/products",
            get(record::products).post(record::put_product),
        )
        .route(
            "/api/v1/products/{instance}/service-numbers",
            post(record::apply_service_number),
        )
        .route(
            "/api/v1/public/query",
            get(record::public_query).layer(query_layer),
        )
        .route("/api/v1/gate/snapshot", get(record::gate_snapshot))
        .route("/api/v1/gate/changes", get(record::gate_changes))
        .route("/api/v1/gate/in-progress", get(record::gate_in_progress))
        .route(
            "/api/v1/rectifications",
            post(record::open_rectification).get(record::rectifications),
        )
        .route(
            "/api/v1/rectifications/{id}/resolve",
            post(record::resolve_rectification),
        )
        .route("/api/v1/jobs/run", post(record::run_jobs))
        .route(
            "/api/v1/orders/{id}/documents/{doc}/file",
            get(documents::file),
        )
        .route(
            "/api/v1/orders/{id}/documents/{doc}/review",
            post(documents::review),
        )
        .route(
            "/api/v1/orders/{id}/backdrop",
            post(documents::request_backdrop),
        )
        .route(
            "/api/v1/orders/{id}/backdrop/shipped",
            post(documents::backdrop_shipped),
        )
        .route(
            "/api/v1/orders/{id}/statements/require",
            post(documents::require_statements),
        )
        .route(
            "/api/v1/orders/{id}/statements/received",
            post(documents::statements_received),
        )
        .route("/api/v1/events", get(events::list))
        .route("/api/v1/events/{seq}/deliveries", get(events::deliveries))
        .route(
            "/api/v1/webhooks",
            get(events::list_webhooks).post(events::create_webhook),
        )
        .route("/api/v1/webhooks/{id}", delete(events::delete_webhook))
        .route("/api/v1/notifications/sms", get(events::sms_outbox))
        .route("/api/v1/registrar-records", get(registrar::list))
        .route("/api/v1/registrar-records/import", post(registrar::import))
        .route(
            "/api/v1/registrar-records/{domain}",
            put(registrar::put).delete(registrar::delete),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            idempotency::idempotency,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            MAX_BODY_BYTES,
        ))
        // Uploads have a limit of their own (one 4 MB document), outside the 1 MiB one.
        .merge(
            Router::new()
                .route(
                    "/api/v1/orders/{id}/documents",
                    post(documents::upload).get(documents::list),
                )
                .layer(DefaultBodyLimit::max(documents::UPLOAD_BODY_BYTES))
                .layer(tower_http::limit::RequestBodyLimitLayer::new(
                    documents::UPLOAD_BODY_BYTES,
                )),
        )
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
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
    let mut r = Problem {
        kind: "https://beian.invalid/problems/rate-limited",
        title: "尝试过于频繁 / Too many attempts",
        status: 429,
        detail: detail.into(),
        path: None,
    }
    .into_response();
    if let tower_governor::GovernorError::TooManyRequests { wait_time, .. } = e
        && let Ok(v) = HeaderValue::from_str(&wait_time.to_string())
    {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
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

/// An RFC 9457 problem document, bilingual where a person reads it.
#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// Where in the request the problem is (`application.subject.nature`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self)).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        response
    }
}

fn unusable(e: beian_rules::InputError) -> Problem {
    Problem {
        kind: "https://beian.invalid/problems/unusable-input",
        title: "输入无法使用 / Unusable input",
        status: 422,
        detail: e.message,
        path: (!e.path.is_empty()).then_some(e.path),
    }
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, Json(serde_json::json!({"status": "ok"}))).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            Problem {
                kind: "https://beian.invalid/problems/unavailable",
                title: "服务不可用 / Service unavailable",
                status: 503,
                detail: "the database does not answer".into(),
                path: None,
            }
            .into_response()
        }
    }
}

async fn prometheus(State(state): State<Arc<AppState>>) -> Response {
    // Gauges that mirror the store are refreshed at scrape time.
    match state.store.count_by_state().await {
        Ok(counts) => {
            for (order_state, n) in counts {
                metrics::gauge!("beian_orders", "state" => order_state).set(n as f64);
            }
        }
        Err(e) => tracing::warn!(error = %e, "metrics: counting orders failed"),
    }
    match orders::overdue_count(&state).await {
        Ok(n) => metrics::gauge!("beian_sla_breaches").set(n as f64),
        Err(e) => tracing::warn!(error = %e, "metrics: SLA breaches failed"),
    }
    let mut response = state.metrics.render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}

async fn openapi() -> Response {
    let mut response = OPENAPI.as_str().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// The OpenAPI document: the check input is the shipped JSON Schema (OpenAPI 3.1 speaks JSON
/// Schema 2020-12).
static OPENAPI: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let input: serde_json::Value =
        serde_json::from_str(include_str!("../../../schema/check-input.schema.json"))
            .unwrap_or(serde_json::Value::Null);
    let problem = serde_json::json!({"description": "problem+json", "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}});
    let mut doc = serde_json::json!({
        "openapi": "3.1.0",
        "info": {"title": "beian", "version": env!("CARGO_PKG_VERSION"), "description": "ICP filing system API"},
        "paths": {
            "/healthz": {"get": {"summary": "Liveness and database reachability", "responses": {"200": {"description": "ok"}, "503": problem}}},
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": {"200": {"description": "text exposition format"}}}},
            "/api/v1/check": {"post": {
                "summary": "Check an application against every rule (SPEC §7)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CheckInput"}}}},
                "responses": {"200": {"description": "the report: findings, detected filing type, summary", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Report"}}}}, "422": problem, "413": {"description": "body larger than 1 MiB"}}
            }},
            "/api/v1/accounts": {"post": {
                "summary": "Register an applicant account",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["login", "password"], "properties": {"login": {"type": "string", "minLength": 3, "maxLength": 64}, "password": {"type": "string", "minLength": 10}, "display_name": {"type": "string"}}}}}},
                "responses": {"201": {"description": "the account"}, "409": problem, "422": problem}
            }},
            "/api/v1/sessions": {"post": {
                "summary": "Log in: a bearer token for the Authorization header",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["login", "password"], "properties": {"login": {"type": "string"}, "password": {"type": "string"}}}}}},
                "responses": {"200": {"description": "token, expires_at, account; also sets the console's cookies beian_session (HttpOnly, Secure, SameSite=Lax) and beian_csrf (changes made with the cookie repeat it in X-CSRF-Token)"}, "401": problem}
            },
            "delete": {
                "summary": "Log out: revoke the token (bearer or cookie) and clear the cookies",
                "security": [{"bearer": []}],
                "responses": {"204": {"description": "logged out"}, "401": problem, "403": problem}
            }},
            "/api/v1/me": {"get": {
                "summary": "The account the bearer token belongs to",
                "security": [{"bearer": []}],
                "responses": {"200": {"description": "the account"}, "401": problem}
            }},
            "/api/v1/orders": {
                "post": {"summary": "Create a draft order from {application} (applicants); the rules run at once", "security": [{"bearer": []}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CheckInput"}}}}, "responses": {"201": {"description": "the order with its report, actions and history"}, "401": problem, "403": problem, "422": problem}},
                "get": {"summary": "The caller's orders", "security": [{"bearer": []}], "responses": {"200": {"description": "id, state, filing_type, version of each"}, "401": problem}}
            },
            "/api/v1/orders/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}}],
                "get": {"summary": "An order with its report, available actions and history (owner or staff; 404 for anyone else)", "security": [{"bearer": []}], "responses": {"200": {"description": "the order"}, "401": problem, "404": problem}},
                "put": {"summary": "Replace a draft's application (owner)", "security": [{"bearer": []}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CheckInput"}}}}, "responses": {"200": {"description": "the order"}, "404": problem, "409": problem, "422": problem}}
            },
            "/api/v1/orders/{id}/{action}": {
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}},
                    {"name": "action", "in": "path", "required": true, "schema": {"enum": ["submit", "withdraw", "pass", "reject", "complete-verification", "submit-to-administration", "sms", "approve", "administration-reject"]}},
                    {"name": "Idempotency-Key", "in": "header", "required": false, "schema": {"type": "string", "maxLength": 128}}
                ],
                "post": {"summary": "A workflow step: submit and withdraw (applicant); pass, reject {reasons, note, paths}, complete-verification, submit-to-administration (reviewer); sms {code, mobile, credential_tail} (applicant); approve, administration-reject {reasons, note} (administration)", "security": [{"bearer": []}], "responses": {"200": {"description": "the order after the step (approve: subject_number and website_numbers)"}, "401": problem, "403": problem, "404": problem, "409": problem, "422": problem}}
            },
            "/api/v1/review/queue": {"get": {"summary": "The provider's work, most urgent working-day deadline first (staff)", "security": [{"bearer": []}], "responses": {"200": {"description": "id, state, entered_at, due, overdue, estimated"}, "403": problem}}},
            "/api/v1/blacklist": {
                "post": {"summary": "Add a credential number or website name for good (supervisors)", "security": [{"bearer": []}], "requestBody": {"required": true, "content": {"application/json": {"schema": {"type": "object", "required": ["kind", "value", "reason"], "properties": {"kind": {"enum": ["credential", "website_name"]}, "value": {"type": "string"}, "reason": {"type": "string"}}}}}}, "responses": {"201": {"description": "added"}, "403": problem, "422": problem}},
                "get": {"summary": "The blacklist, credential numbers masked (staff)", "security": [{"bearer": []}], "responses": {"200": {"description": "entries"}, "403": problem}}
            },
            "/api/v1/registry/sms-outbox": {"get": {"summary": "The built-in administration's simulated SMS gateway (administration)", "security": [{"bearer": []}], "responses": {"200": {"description": "order_id, mobile, text"}, "403": problem}}},
            "/api/v1/filing-type": {"post": {
                "summary": "Detect the filing type and the refusals (SPEC §4)",
                "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CheckInput"}}}},
                "responses": {"200": {"description": "filing_type and refusals"}, "422": problem}
            }}
        },
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}, "schemas": {
            "CheckInput": input,
            "Report": {"type": "object", "required": ["findings", "filing_type", "summary"], "properties": {
                "findings": {"type": "array", "items": {"type": "object", "required": ["rule", "severity", "path", "message_zh", "message_en", "fix_zh", "fix_en"], "properties": {
                    "rule": {"type": "string"}, "severity": {"enum": ["error", "warning", "info"]}, "path": {"type": "string"},
                    "message_zh": {"type": "string"}, "message_en": {"type": "string"}, "fix_zh": {"type": "string"}, "fix_en": {"type": "string"},
                    "rejection_reason": {"type": ["string", "null"]}}}},
                "filing_type": {"type": "string"},
                "summary": {"type": "object", "properties": {"errors": {"type": "integer"}, "warnings": {"type": "integer"}}}}},
            "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}, "path": {"type": "string"}}}
        }}
    });
    if let (Some(paths), Some(more)) = (
        doc["paths"].as_object_mut(),
        registrar::openapi_paths(&problem).as_object(),
    ) {
        paths.extend(more.clone());
    }
    for more in [
        record::openapi_paths(&problem),
        documents::openapi_paths(&problem),
        events::openapi_paths(&problem),
    ] {
        if let (Some(paths), Some(more)) = (doc["paths"].as_object_mut(), more.as_object()) {
            paths.extend(more.clone());
        }
    }
    doc.to_string()
});

async fn check(State(state): State<Arc<AppState>>, body: String) -> Response {
    let doc = match parse_document(&body) {
        Ok(d) => d,
        Err(e) => return unusable(e).into_response(),
    };
    let report = state.engine.check(
        &doc.application,
        &doc.context,
        beian_rules::today_in_china(),
    );
    metrics::counter!("beian_checks_total", "outcome" => if report.passes() { "pass" } else { "errors" }).increment(1);
    Json(report).into_response()
}

#[derive(Serialize)]
struct Detection {
    filing_type: beian_rules::FilingType,
    refusals: Vec<beian_rules::Refusal>,
}

async fn filing_type(body: String) -> Response {
    match parse_document(&body) {
        Ok(doc) => {
            let (filing_type, refusals) = beian_rules::detect(&doc.application, &doc.context);
            Json(Detection {
                filing_type,
                refusals,
            })
            .into_response()
        }
        Err(e) => unusable(e).into_response(),
    }
}

/// A JSON body whose problems are answered as problem+json naming the field, in both languages
/// (axum's own `Json` answers in plain English text).
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        parse_body(&bytes).map(ApiJson)
    }
}

/// Parse a JSON body, answering problems as problem+json naming the field (for handlers that
/// check the caller's role before they look at the body). The error is the response itself, as
/// every handler's early exit is.
#[allow(clippy::result_large_err)]
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Response> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        Problem {
            kind: "https://beian.invalid/problems/unusable-input",
            title: "请求体无法使用 / Unusable request body",
            status: 422,
            detail: format!("请按接口文档填写 / see /api/openapi.json: {}", e.inner()),
            path: (path != ".").then_some(path),
        }
        .into_response()
    })
}
