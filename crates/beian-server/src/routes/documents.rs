//! Documents and the verification step (核验) over HTTP: the applicant uploads the documents its
//! order needs (judged by content, re-encoded, stored under server-generated names outside the
//! database), staff review each one, a backdrop (幕布) can be requested by post, staff record the
//! mailed authenticity statements (核验单) where they are asked for. The order leaves
//! `verification` only when every required document — the face photo included — is accepted and
//! the statements, where asked for, have arrived; the last acceptance moves it on by itself
//! ([`crate::service::documents`] decides where verification stands).

use std::sync::Arc;

use axum::Json;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::workflow::{OrderState, Role};
use beian_documents::{DocumentError, ImageFormat};
use beian_store::{BackdropRequest, DocumentRow, OrderRow, StoreError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Routes;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson, not_found_order};
use crate::service::documents::{
    DocumentsError, UploadFields, advance_if_complete, document_file, ready_for_upload, status_of,
    store_upload,
};
use crate::service::filing::{owned, visible};

/// The largest upload request: one 4 MB document plus the multipart framing and text fields.
pub const UPLOAD_BODY_BYTES: usize = 4 * 1024 * 1024 + 64 * 1024;

/// The verification routes but the uploads (their body limit is the JSON one).
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/orders/{id}/documents/{doc}/file", file)
        .post("/api/v1/orders/{id}/documents/{doc}/review", review)
        .post("/api/v1/orders/{id}/backdrop", request_backdrop)
        .post("/api/v1/orders/{id}/backdrop/shipped", backdrop_shipped)
        .post("/api/v1/orders/{id}/statements/require", require_statements)
        .post(
            "/api/v1/orders/{id}/statements/received",
            statements_received,
        )
}

/// The uploads and their list, with a body limit of their own ([`UPLOAD_BODY_BYTES`]): merge
/// them outside the JSON routes' 1 MiB limit.
pub fn upload_routes(r: Routes) -> Routes {
    r.on(
        Method::POST,
        "/api/v1/orders/{id}/documents",
        axum::routing::post(upload)
            .layer::<_, std::convert::Infallible>(DefaultBodyLimit::max(UPLOAD_BODY_BYTES))
            .layer(tower_http::limit::RequestBodyLimitLayer::new(
                UPLOAD_BODY_BYTES,
            )),
    )
    .get("/api/v1/orders/{id}/documents", list)
}

/// A file the document checks refuse (422 at `file`).
fn unusable_file(e: &DocumentError) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "unusable-file",
        "文件不可用 / Unusable file",
        format!("{}（{}） / {}", e.message_zh(), e.code(), e.message_en()),
    )
    .at("file")
}

/// The store's refusals of a verification step.
fn verification_refusal(e: StoreError) -> ApiError {
    match e {
        StoreError::NotInVerification(_) => ApiError::conflict(
            "not-in-verification",
            "订单不在核验阶段 / Order not in verification",
            "资料只能在初审通过后、核验阶段上传 / documents are uploaded after provider review passes, while the order is in verification",
        ),
        StoreError::DocumentNotPending(_) => ApiError::conflict(
            "document-not-pending",
            "该资料不在待审核状态 / Document not awaiting review",
            "它已被审核或已被新上传的资料替代，请刷新 / it was reviewed or replaced by a newer upload: reload",
        ),
        StoreError::BackdropShipped(_) => ApiError::conflict(
            "backdrop-shipped",
            "幕布已寄出 / Backdrop already posted",
            "幕布已寄出，地址不能再修改 / the backdrop has been posted: the address can no longer change",
        ),
        other => other.into(),
    }
}

/// A stored document as the applicant and staff see it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct DocumentView {
    id: i64,
    kind: String,
    website: i32,
    category: String,
    format: String,
    width: i32,
    height: i32,
    size: i64,
    sha256: String,
    status: String,
    reason: String,
    note: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    uploaded_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<String>")]
    reviewed_at: Option<OffsetDateTime>,
    /// Where to fetch the stored image.
    href: String,
}

impl From<&DocumentRow> for DocumentView {
    fn from(d: &DocumentRow) -> DocumentView {
        DocumentView {
            id: d.id,
            kind: d.kind.clone(),
            website: d.website,
            category: d.category.clone(),
            format: d.format.clone(),
            width: d.width,
            height: d.height,
            size: d.size,
            sha256: d.sha256.clone(),
            status: d.status.clone(),
            reason: d.reason.clone(),
            note: d.note.clone(),
            uploaded_at: d.uploaded_at,
            reviewed_at: d.reviewed_at,
            href: format!("/api/v1/orders/{}/documents/{}/file", d.order_id, d.id),
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct BackdropView {
    recipient: String,
    mobile: String,
    province: i16,
    address: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    #[schemars(with = "Option<String>")]
    shipped_at: Option<OffsetDateTime>,
    tracking: String,
}

type View = Result<Json<VerificationView>, ApiError>;

/// Whether the three mailed originals of the authenticity statement are asked for and arrived.
#[derive(Serialize, schemars::JsonSchema)]
pub struct StatementsView {
    pub required: bool,
    pub received: bool,
}

/// Where an order's verification stands: what is needed, what was uploaded, the backdrop.
#[derive(Serialize, schemars::JsonSchema)]
pub struct VerificationView {
    pub order: i64,
    pub state: OrderState,
    /// Everything required is accepted (and the statements arrived where asked for).
    pub complete: bool,
    pub required: Vec<crate::service::documents::SlotStatus>,
    pub statements: StatementsView,
    pub backdrop: Option<BackdropView>,
    pub documents: Vec<DocumentView>,
}

/// The order's documents, what is still needed, the backdrop and the statements. Staff see the
/// backdrop address in full (they post it); the applicant sees it masked.
async fn verification_view(state: &AppState, caller: &Caller, o: &OrderRow) -> View {
    let status = status_of(state, o).await?;
    let documents = state.store.documents(o.id).await?;
    let backdrop = state.store.backdrop(o.id).await?;
    let staff = caller.role != Role::Applicant;
    let backdrop = backdrop.map(|b| BackdropView {
        recipient: b.recipient,
        mobile: if staff {
            b.mobile
        } else {
            beian_core::mask::mobile(&b.mobile)
        },
        province: b.province,
        address: if staff {
            b.address
        } else {
            beian_core::mask::address(&b.address)
        },
        requested_at: b.requested_at,
        shipped_at: b.shipped_at,
        tracking: b.tracking,
    });
    Ok(Json(VerificationView {
        order: o.id,
        state: o.state,
        complete: status.complete,
        required: status.slots,
        statements: StatementsView {
            required: status.statements_required,
            received: status.statements_received,
        },
        backdrop,
        documents: documents.iter().map(DocumentView::from).collect(),
    }))
}

/// `GET /api/v1/orders/{id}/documents`.
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller, Path(id): Path<i64>) -> View {
    let o = visible(&state, &caller, id).await?;
    verification_view(&state, &caller, &o).await
}

fn unusable_upload(detail: String) -> ApiError {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "unusable-input",
        "上传请求无法使用 / Unusable upload",
        detail,
    )
}

/// Read an upload's multipart fields: `kind`, `website`, `category` and `file` (reading stops
/// when the file exceeds `max`), and the `csrf` field the console's forms repeat (the API
/// ignores it). Nothing is stored here.
pub async fn read_upload(
    mut multipart: Multipart,
    max: u64,
) -> Result<(UploadFields, Option<String>), ApiError> {
    let mut out = UploadFields::default();
    let mut csrf = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(unusable_upload(format!(
                    "请以 multipart/form-data 上传，字段 kind、website、file / send multipart/form-data with fields kind, website, file: {e}"
                )));
            }
        };
        let name = field.name().unwrap_or("").to_owned();
        if name == "file" {
            let mut field = field;
            let mut bytes = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        let size = (bytes.len() + chunk.len()) as u64;
                        if size > max {
                            out.oversize = Some(size);
                            return Ok((out, csrf));
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        return Err(unusable_upload(format!(
                            "文件未完整上传，请重试 / the file did not arrive whole: {e}"
                        )));
                    }
                }
            }
            out.file = Some(bytes);
        } else {
            let text = field.text().await.map_err(|e| {
                unusable_upload(format!(
                    "字段 {name} 无法读取 / field {name} unreadable: {e}"
                ))
            })?;
            if text.len() > 200 {
                return Err(unusable_upload(format!(
                    "字段 {name} 过长 / field {name} is too long"
                )));
            }
            match name.as_str() {
                "kind" => out.kind = Some(text),
                "website" => out.website = Some(text),
                "category" => out.category = Some(text),
                "csrf" => csrf = Some(text),
                _ => {}
            }
        }
    }
    Ok((out, csrf))
}

/// `POST /api/v1/orders/{id}/documents` (the order's applicant, in `verification`): a
/// multipart upload with `kind`, `website` (per-website kinds, counted from 0), `category`
/// (preapproval documents) and `file`. The file is judged by its content; what is refused leaves
/// nothing behind.
pub async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    request: axum::extract::Request,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    // Whose order it is is decided before the body is read.
    let o = owned(&state, &caller, id).await?;
    let multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|e| {
            unusable_upload(format!(
                "请以 multipart/form-data 上传 / send multipart/form-data: {e}"
            ))
        })?;
    let files = ready_for_upload(&state, &o)?;
    let (fields, _) = read_upload(multipart, state.document_limits.max_bytes).await?;
    let d = store_upload(&state, &caller, &o, &files, fields).await?;
    Ok((StatusCode::CREATED, Json(DocumentView::from(&d))))
}

/// `GET /api/v1/orders/{id}/documents/{doc}/file` (the applicant or staff): the stored image.
pub async fn file(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, doc)): Path<(i64, i64)>,
) -> Result<Response, ApiError> {
    let (d, bytes) = document_file(&state, &caller, id, doc).await?;
    Ok(image_response(&d, bytes))
}

/// A stored document's image as an answer: its type, never sniffed, never cached, inline.
pub fn image_response(d: &DocumentRow, bytes: Vec<u8>) -> Response {
    let format = ImageFormat::parse(&d.format).unwrap_or(ImageFormat::Png);
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.mime()),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "inline; filename=\"document-{}.{}\"",
        d.id,
        format.extension()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

impl From<DocumentsError> for ApiError {
    fn from(e: DocumentsError) -> ApiError {
        match e {
            DocumentsError::Filing(e) => e.into(),
            DocumentsError::NotConfigured => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "documents-not-configured",
                "资料存储未配置 / Document storage not configured",
                "the server has no documents directory (documents_dir)",
            ),
            DocumentsError::Store(e) => verification_refusal(e),
            DocumentsError::File(e) => unusable_file(&e),
            DocumentsError::Invalid {
                field,
                title,
                detail,
            } => ApiError::invalid(field, title, detail),
            DocumentsError::DocumentNotFound => ApiError::not_found(
                "document-not-found",
                "资料不存在 / Document not found",
                "no such document in this order",
            ),
            DocumentsError::Internal(e) => ApiError::internal(e),
        }
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct ReviewBody {
    /// `accept` or `reject`.
    pub decision: String,
    /// The catalogued reason when rejecting (P01 face photo unqualified, P02 documents unclear
    /// or incomplete, …).
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// `POST /api/v1/orders/{id}/documents/{doc}/review` (reviewers): accept or reject one document.
/// When the last one needed is accepted the order moves on to the administration's queue.
pub async fn review(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, doc)): Path<(i64, i64)>,
    ApiJson(body): ApiJson<ReviewBody>,
) -> Result<Json<DocumentView>, ApiError> {
    let accept = match body.decision.as_str() {
        "accept" => true,
        "reject" => false,
        _ => {
            return Err(ApiError::invalid(
                "decision",
                "审核结论无效 / Invalid decision",
                "decision 为 accept 或 reject / decision is accept or reject",
            ));
        }
    };
    let d = crate::service::documents::review(
        &state,
        &caller,
        id,
        doc,
        accept,
        body.reason.as_deref(),
        &body.note,
    )
    .await
    .map_err(|e| match e {
        crate::service::documents::ReviewError::Filing(f) => ApiError::from(f),
        crate::service::documents::ReviewError::Store(s) => verification_refusal(s),
        crate::service::documents::ReviewError::Invalid { field, detail } => {
            ApiError::invalid(field, "资料审核无效 / Invalid document review", detail)
        }
    })?;
    Ok(Json(DocumentView::from(&d)))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct BackdropBody {
    pub recipient: String,
    pub mobile: String,
    /// The province: its code (`33`) or name (`浙江` / `浙江省`).
    pub province: String,
    pub address: String,
}

/// `POST /api/v1/orders/{id}/backdrop` (the applicant, in verification): post a backdrop to a
/// mainland address. Asking again before it ships corrects the address.
pub async fn request_backdrop(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> View {
    // Whose order it is is decided before the body is read.
    let o = owned(&state, &caller, id).await?;
    let body: BackdropBody = crate::error::parse_body(&body)?;
    let recipient = body.recipient.trim();
    if recipient.is_empty() || recipient.chars().count() > 50 {
        return Err(ApiError::invalid(
            "recipient",
            "收件人无效 / Invalid recipient",
            "请填写收件人姓名（1–50 字） / give the recipient's name (1 to 50 characters)",
        ));
    }
    let mobile = body.mobile.trim();
    if !beian_rules::validate::mobile_format(mobile) {
        return Err(ApiError::invalid(
            "mobile",
            "手机号码无效 / Invalid mobile number",
            "请填写 11 位中国大陆手机号码，快递员会联系此号码 / give an 11-digit mainland mobile number for the courier",
        ));
    }
    let wanted = body.province.trim();
    let province = state
        .engine
        .data()
        .provinces()
        .iter()
        .find(|p| wanted == p.code.to_string() || wanted == p.name || wanted == p.short);
    let Some(province) = province else {
        return Err(ApiError::invalid(
            "province",
            "省份无效 / Invalid province",
            "幕布只寄往中国大陆地址：请填写大陆省份的代码或名称（如 33 或 浙江） / backdrops are posted to mainland addresses only: give a mainland province's code or name (e.g. 33 or 浙江)",
        ));
    };
    let address = body.address.trim();
    let n = address.chars().count();
    if !(5..=200).contains(&n) {
        return Err(ApiError::invalid(
            "address",
            "地址无效 / Invalid address",
            "请填写详细地址（5–200 字，含市、区、街道门牌） / give the full address (5 to 200 characters: city, district, street and number)",
        ));
    }
    let request = BackdropRequest {
        order_id: o.id,
        recipient: recipient.to_owned(),
        mobile: mobile.to_owned(),
        province: i16::from(province.code),
        address: address.to_owned(),
        requested_by: caller.actor(),
        requested_at: OffsetDateTime::now_utc(),
        shipped_at: None,
        tracking: String::new(),
    };
    state
        .store
        .request_backdrop(&request)
        .await
        .map_err(verification_refusal)?;
    verification_view(&state, &caller, &o).await
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct ShippedBody {
    #[serde(default)]
    pub tracking: String,
}

/// `POST /api/v1/orders/{id}/backdrop/shipped` (reviewers): the backdrop was posted.
pub async fn backdrop_shipped(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    ApiJson(body): ApiJson<ShippedBody>,
) -> View {
    let o = visible(&state, &caller, id).await?;
    if body.tracking.chars().count() > 64 {
        return Err(ApiError::invalid(
            "tracking",
            "运单号过长 / Tracking number too long",
            "运单号最多 64 个字符 / at most 64 characters",
        ));
    }
    let shipped = state
        .store
        .ship_backdrop(
            id,
            body.tracking.trim(),
            &caller.actor(),
            OffsetDateTime::now_utc(),
        )
        .await
        .map_err(verification_refusal)?;
    if !shipped {
        return Err(ApiError::conflict(
            "no-backdrop-request",
            "没有待寄出的幕布申请 / No backdrop request to post",
            "the applicant has not asked for a backdrop, or it has been posted",
        ));
    }
    verification_view(&state, &caller, &o).await
}

/// `POST /api/v1/orders/{id}/statements/require` (reviewers): this order needs the three mailed
/// originals of the authenticity statement.
pub async fn require_statements(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> View {
    let o = visible(&state, &caller, id).await?;
    let required = state
        .store
        .require_statements(id)
        .await
        .map_err(verification_refusal)?;
    if !required {
        return Err(verification_refusal(StoreError::NotInVerification(id)));
    }
    verification_view(&state, &caller, &o).await
}

/// `POST /api/v1/orders/{id}/statements/received` (reviewers): the mailed originals arrived.
pub async fn statements_received(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> View {
    visible(&state, &caller, id).await?;
    let actor = caller.actor();
    let received = state
        .store
        .statements_received(id, &actor, OffsetDateTime::now_utc())
        .await
        .map_err(verification_refusal)?;
    if !received {
        return Err(verification_refusal(StoreError::NotInVerification(id)));
    }
    advance_if_complete(&state, id, caller.role, &actor).await;
    let o = state.store.order(id).await?.ok_or_else(not_found_order)?;
    verification_view(&state, &caller, &o).await
}

/// The OpenAPI entries of the verification routes.
pub fn openapi_paths(problem: &serde_json::Value) -> serde_json::Value {
    let bearer = serde_json::json!([{"bearer": []}]);
    let id = serde_json::json!({"name": "id", "in": "path", "required": true, "schema": {"type": "integer"}});
    let doc = serde_json::json!({"name": "doc", "in": "path", "required": true, "schema": {"type": "integer"}});
    serde_json::json!({
        "/api/v1/orders/{id}/documents": {
            "parameters": [id],
            "get": {"summary": "The documents the order needs (required: kind, website, category, names, status missing/pending/accepted/rejected), its uploads, the backdrop request (masked for the applicant) and the mailed statements", "security": bearer,
                "responses": {"200": {"description": "verification status"}, "401": problem, "404": problem}},
            "post": {"summary": "Upload one document (the order's applicant, in verification): multipart/form-data with kind, website (per-website kinds, from 0), category (preapproval documents) and file (JPG, PNG or GIF by content, ≤ 4 MB; decoded with pixel limits and re-encoded)", "security": bearer,
                "requestBody": {"content": {"multipart/form-data": {"schema": {"type": "object", "required": ["kind", "file"], "properties": {
                    "kind": {"type": "string", "enum": ["subject_credential", "subject_admin_credential", "website_admin_credential", "face_photo", "app_verification", "authenticity_statement", "authorisation_letter", "domain_certificate", "preapproval_document"]},
                    "website": {"type": "integer"}, "category": {"type": "string"}, "file": {"type": "string", "format": "binary"}}}}}},
                "responses": {"201": {"description": "the stored document"}, "401": problem, "403": problem, "404": problem, "409": problem, "413": problem, "422": problem}}
        },
        "/api/v1/orders/{id}/documents/{doc}/file": {"parameters": [id, doc], "get": {"summary": "The stored (re-encoded) image (the applicant or staff)", "security": bearer,
            "responses": {"200": {"description": "image/jpeg or image/png"}, "401": problem, "404": problem}}},
        "/api/v1/orders/{id}/documents/{doc}/review": {"parameters": [id, doc], "post": {"summary": "Accept or reject a pending document (reviewers): decision accept|reject, reason (a catalogued code such as P01, P02; required to reject), note. The last acceptance moves the order on", "security": bearer,
            "responses": {"200": {"description": "the document"}, "401": problem, "403": problem, "404": problem, "409": problem, "422": problem}}},
        "/api/v1/orders/{id}/backdrop": {"parameters": [id], "post": {"summary": "Ask for a backdrop by post (the applicant, in verification): recipient, mobile, province (a mainland province's code or name), address", "security": bearer,
            "responses": {"200": {"description": "verification status"}, "401": problem, "403": problem, "404": problem, "409": problem, "422": problem}}},
        "/api/v1/orders/{id}/backdrop/shipped": {"parameters": [id], "post": {"summary": "The backdrop was posted (reviewers): tracking", "security": bearer,
            "responses": {"200": {"description": "verification status"}, "401": problem, "403": problem, "404": problem, "409": problem}}},
        "/api/v1/orders/{id}/statements/require": {"parameters": [id], "post": {"summary": "Ask for the three mailed originals of the authenticity statement (reviewers)", "security": bearer,
            "responses": {"200": {"description": "verification status"}, "401": problem, "403": problem, "404": problem, "409": problem}}},
        "/api/v1/orders/{id}/statements/received": {"parameters": [id], "post": {"summary": "The mailed originals arrived (reviewers); may complete verification", "security": bearer,
            "responses": {"200": {"description": "verification status"}, "401": problem, "403": problem, "404": problem, "409": problem}}}
    })
}
