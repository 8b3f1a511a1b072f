//! The OpenAPI document. Every route of the authorization table (`crate::authz::ROUTES`) is a
//! path and operation here with its `operationId` and the security it needs; the descriptions,
//! request and response schemas of the routes that have them are written beside. The check
//! input is the shipped JSON Schema, its `$defs` lifted into `components/schemas` so that every
//! reference resolves inside the document.

use schemars::{JsonSchema, Schema, SchemaGenerator};

use crate::auth::{AccountView, Login, Registration, Session};
use crate::authz::{Access, ROUTES};
use crate::routes;
use crate::service::{filing, jobs, products, verification};

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
    for more in [
        crate::routes::domain_library::openapi_paths(&problem),
        crate::routes::national_record::openapi_paths(&problem),
        crate::routes::documents::openapi_paths(&problem),
        crate::routes::events::openapi_paths(&problem),
    ] {
        if let (Some(paths), Some(more)) = (doc["paths"].as_object_mut(), more.as_object()) {
            paths.extend(more.clone());
        }
    }
    lift_defs(&mut doc);
    complete_from_table(&mut doc, &problem);
    attach_schemas(&mut doc);
    doc.to_string()
});

/// The document, as served at `/api/openapi.json`.
pub fn document() -> &'static str {
    OPENAPI.as_str()
}

/// Move the check schema's `$defs` into `components/schemas` and point its references there, so
/// that `#/$defs/person` (which resolves only in the schema's own file) becomes
/// `#/components/schemas/person`.
fn lift_defs(doc: &mut serde_json::Value) {
    let defs = doc
        .pointer_mut("/components/schemas/CheckInput")
        .and_then(|s| s.as_object_mut())
        .and_then(|s| s.remove("$defs"));
    if let Some(serde_json::Value::Object(defs)) = defs
        && let Some(schemas) = doc
            .pointer_mut("/components/schemas")
            .and_then(|s| s.as_object_mut())
    {
        for (name, schema) in defs {
            schemas.entry(name).or_insert(schema);
        }
    }
    rewrite_refs(doc);
}

fn rewrite_refs(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map.iter_mut() {
                if k == "$ref"
                    && let serde_json::Value::String(r) = val
                    && let Some(name) = r.strip_prefix("#/$defs/")
                {
                    *r = format!("#/components/schemas/{name}");
                } else {
                    rewrite_refs(val);
                }
            }
            // `$schema` and `$id` belong to a standalone schema file, not inside a document.
            map.remove("$schema");
            map.remove("$id");
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(rewrite_refs),
        _ => {}
    }
}

/// Give every route of the authorization table its operation: `operationId`, the security it
/// needs, path parameters, and the refusals every route can give; a route without a hand-written
/// entry gets a summary naming who may call it.
fn complete_from_table(doc: &mut serde_json::Value, problem: &serde_json::Value) {
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for e in ROUTES {
        let item = paths
            .entry(e.path.to_owned())
            .or_insert_with(|| serde_json::json!({}));
        let params: Vec<serde_json::Value> = e
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| {
                let schema = if matches!(name, "id" | "seq" | "doc") {
                    serde_json::json!({"type": "integer"})
                } else {
                    serde_json::json!({"type": "string"})
                };
                serde_json::json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
            .collect();
        if !params.is_empty()
            && let Some(obj) = item.as_object_mut()
        {
            obj.insert("parameters".into(), serde_json::Value::Array(params));
        }
        let method = e.method.as_str().to_ascii_lowercase();
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        let op = item
            .entry(method)
            .or_insert_with(|| serde_json::json!({"responses": {"200": {"description": "ok"}}}));
        let Some(op) = op.as_object_mut() else {
            continue;
        };
        op.insert("operationId".into(), e.operation.into());
        let who = match e.access {
            Access::Public => "anyone".to_owned(),
            Access::Account => "any logged-in account".to_owned(),
            Access::Roles(roles) => roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            Access::GateOrSupervisor => "an access gate (gate token) or a supervisor".to_owned(),
        };
        op.entry("summary")
            .or_insert_with(|| format!("{} ({who})", e.operation).into());
        op.insert("x-beian-roles".into(), who.into());
        if e.access != Access::Public {
            op.insert("security".into(), serde_json::json!([{"bearer": []}]));
        }
        if let Some(responses) = op.get_mut("responses").and_then(|r| r.as_object_mut()) {
            if e.access != Access::Public {
                responses.entry("401").or_insert_with(|| problem.clone());
                if !matches!(e.access, Access::Account) {
                    responses.entry("403").or_insert_with(|| problem.clone());
                }
            }
            if e.path.contains('{') {
                // Absent, or not the caller's: the same answer.
                responses.entry("404").or_insert_with(|| problem.clone());
            }
            if e.method != axum::http::Method::GET && e.path.starts_with("/api/v1/orders/{id}/") {
                // The step does not fit the order's state (the workflow's refusal).
                responses.entry("409").or_insert_with(|| problem.clone());
            }
            if matches!(e.operation, "login" | "publicQuery") {
                responses.entry("429").or_insert_with(|| problem.clone());
            }
            if e.body == crate::authz::BodyKind::Json {
                responses.entry("413").or_insert_with(|| problem.clone());
                responses.entry("415").or_insert_with(|| problem.clone());
                responses.entry("422").or_insert_with(|| problem.clone());
            }
        }
    }
}

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// The JSON an operation takes and answers with, by operation id: (request body, success status,
/// answer), each generated from the Rust type the handler parses or returns. `None` for a body:
/// none, or not JSON (uploads, CSV, files, snapshots), or one written by hand above (the check
/// input).
const BODIES: &[(&str, Option<SchemaFn>, &str, Option<SchemaFn>)] = &[
    ("health", None, "200", Some(of::<routes::system::Health>)),
    ("check", None, "200", Some(of::<beian_rules::Report>)),
    (
        "filingType",
        None,
        "200",
        Some(of::<routes::rules::Detection>),
    ),
    (
        "rejectionReasons",
        None,
        "200",
        Some(of::<Vec<routes::rules::RejectionReason>>),
    ),
    (
        "register",
        Some(of::<Registration>),
        "201",
        Some(of::<AccountView>),
    ),
    ("login", Some(of::<Login>), "200", Some(of::<Session>)),
    ("me", None, "200", Some(of::<AccountView>)),
    (
        "listOrders",
        None,
        "200",
        Some(of::<Vec<filing::OrderSummary>>),
    ),
    ("createOrder", None, "201", Some(of::<filing::OrderDetail>)),
    ("getOrder", None, "200", Some(of::<filing::OrderDetail>)),
    ("updateOrder", None, "200", Some(of::<filing::OrderDetail>)),
    ("submit", None, "200", Some(of::<filing::OrderDetail>)),
    ("withdraw", None, "200", Some(of::<filing::OrderDetail>)),
    ("pass", None, "200", Some(of::<filing::OrderDetail>)),
    (
        "reject",
        Some(of::<crate::service::filing::RejectionInput>),
        "200",
        Some(of::<filing::OrderDetail>),
    ),
    (
        "completeVerification",
        None,
        "200",
        Some(of::<filing::OrderDetail>),
    ),
    (
        "submitToAdministration",
        None,
        "200",
        Some(of::<filing::OrderDetail>),
    ),
    (
        "sms",
        Some(of::<verification::SmsAnswer>),
        "200",
        Some(of::<filing::OrderDetail>),
    ),
    ("approve", None, "200", Some(of::<filing::Approved>)),
    (
        "administrationReject",
        Some(of::<crate::service::filing::RejectionInput>),
        "200",
        Some(of::<filing::OrderDetail>),
    ),
    (
        "administrationSmsOutbox",
        None,
        "200",
        Some(of::<Vec<verification::OutboxMessage>>),
    ),
    (
        "reviewQueue",
        None,
        "200",
        Some(of::<Vec<filing::QueueItem>>),
    ),
    ("claimOrder", None, "200", Some(of::<filing::OrderDetail>)),
    (
        "dashboard",
        None,
        "200",
        Some(of::<crate::service::dashboard::Dashboard>),
    ),
    (
        "listAudit",
        None,
        "200",
        Some(of::<Vec<crate::service::audit::AuditView>>),
    ),
    ("releaseOrder", None, "200", Some(of::<filing::OrderDetail>)),
    (
        "listBlacklist",
        None,
        "200",
        Some(of::<Vec<routes::blacklist::EntryView>>),
    ),
    (
        "addToBlacklist",
        Some(of::<routes::blacklist::NewEntry>),
        "201",
        None,
    ),
    (
        "listDocuments",
        None,
        "200",
        Some(of::<routes::documents::VerificationView>),
    ),
    (
        "uploadDocument",
        None,
        "201",
        Some(of::<routes::documents::DocumentView>),
    ),
    (
        "reviewDocument",
        Some(of::<routes::documents::ReviewBody>),
        "200",
        Some(of::<routes::documents::DocumentView>),
    ),
    (
        "requestBackdrop",
        Some(of::<routes::documents::BackdropBody>),
        "200",
        Some(of::<routes::documents::VerificationView>),
    ),
    (
        "backdropShipped",
        Some(of::<routes::documents::ShippedBody>),
        "200",
        Some(of::<routes::documents::VerificationView>),
    ),
    (
        "requireStatements",
        None,
        "200",
        Some(of::<routes::documents::VerificationView>),
    ),
    (
        "statementsReceived",
        None,
        "200",
        Some(of::<routes::documents::VerificationView>),
    ),
    (
        "listProducts",
        None,
        "200",
        Some(of::<Vec<products::ProductView>>),
    ),
    (
        "putProduct",
        Some(of::<routes::products::NewProduct>),
        "201",
        Some(of::<routes::products::Registered>),
    ),
    (
        "applyServiceNumber",
        None,
        "201",
        Some(of::<routes::products::IssuedServiceNumber>),
    ),
    (
        "openRectification",
        Some(of::<routes::rectifications::NewRectification>),
        "201",
        Some(of::<routes::rectifications::RectificationView>),
    ),
    (
        "listRectifications",
        None,
        "200",
        Some(of::<Vec<routes::rectifications::RectificationView>>),
    ),
    (
        "resolveRectification",
        None,
        "200",
        Some(of::<routes::rectifications::Resolved>),
    ),
    (
        "recordForeignFiling",
        Some(of::<routes::national_record::ForeignFiling>),
        "201",
        Some(of::<routes::national_record::RecordedFiling>),
    ),
    (
        "revoke",
        Some(of::<routes::national_record::Revocation>),
        "200",
        Some(of::<routes::national_record::Revoked>),
    ),
    ("runJobs", None, "200", Some(of::<jobs::JobReport>)),
    (
        "listEvents",
        None,
        "200",
        Some(of::<routes::events::EventsPage>),
    ),
    (
        "listDeliveries",
        None,
        "200",
        Some(of::<Vec<routes::events::DeliveryView>>),
    ),
    (
        "listWebhooks",
        None,
        "200",
        Some(of::<Vec<routes::events::WebhookView>>),
    ),
    (
        "createWebhook",
        Some(of::<routes::events::NewWebhook>),
        "201",
        Some(of::<routes::events::WebhookView>),
    ),
    (
        "notificationSms",
        None,
        "200",
        Some(of::<Vec<routes::events::SentSms>>),
    ),
    (
        "listRegistrarRecords",
        None,
        "200",
        Some(of::<routes::domain_library::ListView>),
    ),
    (
        "importRegistrarRecords",
        None,
        "200",
        Some(of::<routes::domain_library::ImportView>),
    ),
    (
        "putRegistrarRecord",
        Some(of::<routes::domain_library::RecordBody>),
        "200",
        Some(of::<routes::domain_library::RecordView>),
    ),
    (
        "listStaffAccounts",
        None,
        "200",
        Some(of::<Vec<crate::service::staff::StaffAccount>>),
    ),
    (
        "createStaffAccount",
        Some(of::<crate::service::staff::NewStaffAccount>),
        "201",
        Some(of::<AccountView>),
    ),
    (
        "disableStaffAccount",
        None,
        "200",
        Some(of::<crate::service::staff::StaffAccount>),
    ),
    (
        "enableStaffAccount",
        None,
        "200",
        Some(of::<crate::service::staff::StaffAccount>),
    ),
    (
        "gateChanges",
        None,
        "200",
        Some(of::<routes::gate_feed::GateChanges>),
    ),
    (
        "publicQuery",
        None,
        "200",
        Some(of::<routes::public_query::PublicAnswer>),
    ),
    (
        "gateInProgress",
        None,
        "200",
        Some(of::<routes::gate_feed::InProgress>),
    ),
];

/// The operations whose success answer is not JSON: text, binary, a page, or no body at all.
pub const NOT_JSON: &[&str] = &[
    "metrics",
    "openapi",
    "apiDocs",
    "apiDocsAsset",
    "documentFile",
    "gateSnapshot",
    "logout",
    "addToBlacklist",
    "deleteWebhook",
    "deleteRegistrarRecord",
];

/// Put the generated schemas on their operations, and their definitions in
/// `components/schemas`.
fn attach_schemas(doc: &mut serde_json::Value) {
    // Bodies are read (`#[serde(default)]` makes a field optional), answers written (a field
    // skipped when empty is optional): one generator for each contract.
    let generator = |contract| {
        let mut settings = schemars::generate::SchemaSettings::draft2020_12();
        settings.definitions_path = "/components/schemas/".into();
        settings.contract = contract;
        settings.into_generator()
    };
    let mut reads = generator(schemars::generate::Contract::Deserialize);
    let mut writes = generator(schemars::generate::Contract::Serialize);
    let mut by_op: Vec<(&str, Option<Schema>, &str, Option<Schema>)> = Vec::new();
    for (op, request, status, answer) in BODIES {
        by_op.push((
            op,
            request.map(|f| f(&mut reads)),
            status,
            answer.map(|f| f(&mut writes)),
        ));
    }
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.as_object_mut())
    {
        for (name, schema) in reads
            .take_definitions(true)
            .into_iter()
            .chain(writes.take_definitions(true))
        {
            schemas.entry(name).or_insert(schema);
        }
    }
    let Some(paths) = doc.get_mut("paths").and_then(|p| p.as_object_mut()) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let Some(id) = op.get("operationId").and_then(|i| i.as_str()) else {
                continue;
            };
            let Some((_, request, status, answer)) = by_op.iter().find(|(o, ..)| *o == id) else {
                continue;
            };
            if let Some(schema) = request {
                op["requestBody"] = serde_json::json!({"required": true, "content": {"application/json": {"schema": schema}}});
            }
            if let Some(schema) = answer {
                let description = op["responses"][*status]["description"]
                    .as_str()
                    .unwrap_or("ok")
                    .to_owned();
                op["responses"][*status] = serde_json::json!({"description": description, "content": {"application/json": {"schema": schema}}});
                if *status != "200"
                    && let Some(r) = op["responses"].as_object_mut()
                {
                    // A hand-written entry's 200 for an operation that answers otherwise.
                    if r.get("200").and_then(|v| v.get("content")).is_none() {
                        r.remove("200");
                    }
                }
            }
        }
    }
}
