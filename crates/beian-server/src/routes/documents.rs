//! Documents and the verification step (核验) over HTTP: the applicant uploads the documents its
//! order needs (judged by content, re-encoded, stored under server-generated names outside the
//! database), staff review each one, a backdrop (幕布) can be requested by post, staff record the
//! mailed authenticity statements (核验单) where they are asked for. The order leaves
//! `verification` only when every required document — the face photo included — is accepted and
//! the statements, where asked for, have arrived; the last acceptance moves it on by itself.

// A handler's early exit is an axum `Response`; boxing it would only add an allocation per error.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::workflow::{Command, OrderState, Role};
use beian_documents::{DocumentError, FileStore, ImageFormat};
use beian_rules::engine::RequiredDocument;
use beian_rules::model::{PreapprovalCategory, ReasonCode};
use beian_rules::{Application, parse_document};
use beian_store::{
    BackdropRequest, DocumentReview, DocumentRow, NewDocument, OrderRow, StoreError,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::orders::{internal, problem, role_of, visible};
use crate::{AppState, Problem};

/// The largest upload request: one 4 MB document plus the multipart framing and text fields.
pub const UPLOAD_BODY_BYTES: usize = 4 * 1024 * 1024 + 64 * 1024;

/// One document an order needs, as the applicant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequiredSlot {
    pub kind: &'static str,
    /// The website index for per-website documents, else -1.
    pub website: i32,
    /// The preapproval category for preapproval documents, else ''.
    pub category: String,
    pub name_zh: String,
    pub name_en: String,
}

impl RequiredSlot {
    fn from_required(d: &RequiredDocument, app: &Application) -> RequiredSlot {
        let (name_zh, name_en) = d.names(app);
        RequiredSlot {
            kind: d.kind(),
            website: d
                .website()
                .and_then(|w| i32::try_from(w).ok())
                .unwrap_or(-1),
            category: d
                .category()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default(),
            name_zh,
            name_en,
        }
    }

    fn fills(&self, d: &DocumentRow) -> bool {
        d.kind == self.kind && d.website == self.website && d.category == self.category
    }
}

/// Where an order's verification stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerificationStatus {
    pub slots: Vec<SlotStatus>,
    pub statements_required: bool,
    pub statements_received: bool,
    /// Everything required is accepted (and the statements arrived where asked for).
    pub complete: bool,
}

/// One required document and its live upload, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotStatus {
    #[serde(flatten)]
    pub slot: RequiredSlot,
    /// `missing`, `pending`, `accepted` or `rejected`.
    pub status: &'static str,
    pub document: Option<i64>,
    pub reason: String,
    pub note: String,
}

/// Decide where verification stands from the required slots and the order's documents (pure).
pub fn verification_status(
    required: &[RequiredSlot],
    documents: &[DocumentRow],
    statements_required: bool,
    statements_received: bool,
) -> VerificationStatus {
    let slots: Vec<SlotStatus> = required
        .iter()
        .map(|slot| {
            let live = documents
                .iter()
                .filter(|d| d.status != "superseded" && slot.fills(d))
                .max_by_key(|d| d.id);
            SlotStatus {
                slot: slot.clone(),
                status: match live.map(|d| d.status.as_str()) {
                    Some("accepted") => "accepted",
                    Some("rejected") => "rejected",
                    Some(_) => "pending",
                    None => "missing",
                },
                document: live.map(|d| d.id),
                reason: live.map(|d| d.reason.clone()).unwrap_or_default(),
                note: live.map(|d| d.note.clone()).unwrap_or_default(),
            }
        })
        .collect();
    let complete = slots.iter().all(|s| s.status == "accepted")
        && (!statements_required || statements_received);
    VerificationStatus {
        slots,
        statements_required,
        statements_received,
        complete,
    }
}

/// The documents an order's application needs.
pub(crate) fn required_slots(
    state: &AppState,
    o: &OrderRow,
) -> Result<Vec<RequiredSlot>, Response> {
    let doc =
        parse_document(&format!("{{\"application\": {}}}", o.application)).map_err(internal)?;
    let app = doc.application;
    Ok(state
        .engine
        .documents_required(&app)
        .iter()
        .map(|d| RequiredSlot::from_required(d, &app))
        .collect())
}

/// Where `o`'s verification stands now.
pub(crate) async fn status_of(
    state: &AppState,
    o: &OrderRow,
) -> Result<VerificationStatus, Response> {
    let required = required_slots(state, o)?;
    let documents = state.store.documents(o.id).await.map_err(internal)?;
    let (asked, received) = state.store.statements(o.id).await.map_err(internal)?;
    let province = u8::try_from(o.province).unwrap_or(0);
    let needed = asked
        || state
            .engine
            .data()
            .province_rules
            .mailed_statement
            .contains(province);
    Ok(verification_status(
        &required,
        &documents,
        needed,
        received.is_some(),
    ))
}

/// The bilingual list of what is still missing, for a refusal.
pub(crate) fn missing_detail(s: &VerificationStatus) -> String {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    for slot in s.slots.iter().filter(|s| s.status != "accepted") {
        let (z, e) = match slot.status {
            "missing" => ("未上传", "not uploaded"),
            "rejected" => ("未通过审核，请重新上传", "rejected: upload again"),
            _ => ("待审核", "awaiting review"),
        };
        let site = if slot.slot.website >= 0 {
            format!("（网站 {}）", slot.slot.website + 1)
        } else {
            String::new()
        };
        let site_en = if slot.slot.website >= 0 {
            format!(" (website {})", slot.slot.website + 1)
        } else {
            String::new()
        };
        zh.push(format!("{}{site}：{z}", slot.slot.name_zh));
        en.push(format!("{}{site_en}: {e}", slot.slot.name_en));
    }
    if s.statements_required && !s.statements_received {
        zh.push("真实性核验单原件（三份）：未收到".into());
        en.push("the three mailed originals of the authenticity statement: not received".into());
    }
    format!(
        "核验未完成：{} / verification is not complete: {}",
        zh.join("；"),
        en.join("; ")
    )
}

/// Move an order whose verification has just become complete on to the next step, as `actor`.
/// Anything else (not complete, moved meanwhile) leaves it as it is.
async fn advance_if_complete(state: &AppState, order_id: i64, role: Role, actor: &str) {
    let Ok(Some(o)) = state.store.order(order_id).await else {
        return;
    };
    if o.state != OrderState::Verification {
        return;
    }
    match status_of(state, &o).await {
        Ok(s) if s.complete => {
            let now = OffsetDateTime::now_utc();
            if crate::orders::step(state, &o, Command::CompleteVerification, role, actor, now)
                .await
                .is_err()
            {
                tracing::info!(
                    order = o.id,
                    "verification complete, but the order moved meanwhile"
                );
            }
        }
        _ => {}
    }
}

fn document_problem(e: &DocumentError) -> Response {
    Problem {
        kind: "https://beian.invalid/problems/document",
        title: "文件不可用 / Unusable file",
        status: 422,
        detail: format!("{}（{}） / {}", e.message_zh(), e.code(), e.message_en()),
        path: Some("file".into()),
    }
    .into_response()
}

fn store_problem(e: StoreError) -> Response {
    match e {
        StoreError::NotInVerification(_) => problem(
            409,
            "订单不在核验阶段 / Order not in verification",
            "资料只能在初审通过后、核验阶段上传 / documents are uploaded after provider review passes, while the order is in verification",
            None,
        ),
        StoreError::DocumentNotPending(_) => problem(
            409,
            "该资料不在待审核状态 / Document not awaiting review",
            "它已被审核或已被新上传的资料替代，请刷新 / it was reviewed or replaced by a newer upload: reload",
            None,
        ),
        StoreError::BackdropShipped(_) => problem(
            409,
            "幕布已寄出 / Backdrop already posted",
            "幕布已寄出，地址不能再修改 / the backdrop has been posted: the address can no longer change",
            None,
        ),
        other => crate::orders::store_error(other),
    }
}

fn staff_only(caller: &Caller) -> Result<(), Response> {
    match role_of(caller) {
        Role::Reviewer | Role::Supervisor => Ok(()),
        _ => Err(problem(
            403,
            "无权操作 / Forbidden",
            "只有审核人员可以执行此操作 / only reviewers and supervisors may do this",
            None,
        )),
    }
}

/// The order if the caller is staff (others: 404 for an order they cannot see, else 403).
async fn staff_order(state: &AppState, caller: &Caller, id: i64) -> Result<OrderRow, Response> {
    let o = visible(state, caller, id).await?;
    staff_only(caller)?;
    Ok(o)
}

/// The order if the caller owns it (applicants act only on their own orders; staff get 403).
async fn owned(state: &AppState, caller: &Caller, id: i64) -> Result<OrderRow, Response> {
    let o = visible(state, caller, id).await?;
    if o.account != caller.account.id.to_string() {
        return Err(problem(
            403,
            "无权操作 / Forbidden",
            "只有申请人本人可以上传资料 / only the applicant uploads documents",
            None,
        ));
    }
    Ok(o)
}

fn files(state: &AppState) -> Result<&Arc<FileStore>, Response> {
    state.documents.as_ref().ok_or_else(|| {
        problem(
            503,
            "资料存储未配置 / Document storage not configured",
            "the server has no documents directory (documents_dir)",
            None,
        )
    })
}

#[derive(Serialize)]
struct DocumentView {
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
    uploaded_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
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

#[derive(Serialize)]
struct BackdropView {
    recipient: String,
    mobile: String,
    province: i16,
    address: String,
    #[serde(with = "time::serde::rfc3339")]
    requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    shipped_at: Option<OffsetDateTime>,
    tracking: String,
}

/// The order's documents, what is still needed, the backdrop and the statements. Staff see the
/// backdrop address in full (they post it); the applicant sees it masked.
async fn verification_view(state: &AppState, caller: &Caller, o: &OrderRow) -> Response {
    let status = match status_of(state, o).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let documents = match state.store.documents(o.id).await {
        Ok(d) => d,
        Err(e) => return internal(e),
    };
    let backdrop = match state.store.backdrop(o.id).await {
        Ok(b) => b,
        Err(e) => return internal(e),
    };
    let staff = role_of(caller) != Role::Applicant;
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
    Json(serde_json::json!({
        "order": o.id,
        "state": o.state.as_str(),
        "complete": status.complete,
        "required": status.slots,
        "statements": {"required": status.statements_required, "received": status.statements_received},
        "backdrop": backdrop,
        "documents": documents.iter().map(DocumentView::from).collect::<Vec<_>>(),
    }))
    .into_response()
}

/// `GET /api/v1/orders/{id}/documents`.
pub async fn list(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    match visible(&state, &caller, id).await {
        Ok(o) => verification_view(&state, &caller, &o).await,
        Err(r) => r,
    }
}

/// What an upload names besides the file.
#[derive(Default)]
struct UploadFields {
    kind: Option<String>,
    website: Option<String>,
    category: Option<String>,
    file: Option<Vec<u8>>,
    /// The file field exceeded the size limit (reading stopped there).
    oversize: Option<u64>,
}

async fn read_upload(mut multipart: Multipart, max: u64) -> Result<UploadFields, Response> {
    let unusable = |detail: String| {
        Problem {
            kind: "https://beian.invalid/problems/unusable-input",
            title: "上传请求无法使用 / Unusable upload",
            status: 422,
            detail,
            path: None,
        }
        .into_response()
    };
    let mut out = UploadFields::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(unusable(format!(
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
                            return Ok(out);
                        }
                        bytes.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        return Err(unusable(format!(
                            "文件未完整上传，请重试 / the file did not arrive whole: {e}"
                        )));
                    }
                }
            }
            out.file = Some(bytes);
        } else {
            let text = field.text().await.map_err(|e| {
                unusable(format!(
                    "字段 {name} 无法读取 / field {name} unreadable: {e}"
                ))
            })?;
            if text.len() > 200 {
                return Err(unusable(format!(
                    "字段 {name} 过长 / field {name} is too long"
                )));
            }
            match name.as_str() {
                "kind" => out.kind = Some(text),
                "website" => out.website = Some(text),
                "category" => out.category = Some(text),
                _ => {}
            }
        }
    }
    Ok(out)
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
) -> Response {
    // Who may upload is decided before the body is read.
    let o = match owned(&state, &caller, id).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let multipart = match Multipart::from_request(request, &state).await {
        Ok(m) => m,
        Err(e) => {
            return problem(
                422,
                "上传请求无法使用 / Unusable upload",
                format!("请以 multipart/form-data 上传 / send multipart/form-data: {e}"),
                None,
            );
        }
    };
    let files = match files(&state) {
        Ok(f) => f.clone(),
        Err(r) => return r,
    };
    if o.state != OrderState::Verification {
        return store_problem(StoreError::NotInVerification(o.id));
    }
    let limits = state.document_limits;
    let fields = match read_upload(multipart, limits.max_bytes).await {
        Ok(f) => f,
        Err(r) => return r,
    };
    if let Some(size) = fields.oversize {
        return document_problem(&DocumentError::TooLarge {
            size,
            max: limits.max_bytes,
        });
    }
    let required = match required_slots(&state, &o) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let slot = match which_slot(&required, &fields) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(bytes) = fields.file else {
        return problem(
            422,
            "缺少文件 / File missing",
            "请在 file 字段上传 JPG、PNG 或 GIF 图片 / upload a JPG, PNG or GIF image in the field `file`",
            Some("file".into()),
        );
    };
    let size = bytes.len() as u64;
    // A decode may take a second and 256 MiB at the limits: a few at a time, the rest queue.
    let Ok(_permit) = state.decode_permits.acquire().await else {
        return internal("decode permits closed");
    };
    let judged =
        tokio::task::spawn_blocking(move || beian_documents::inspect(&bytes, &limits)).await;
    let clean = match judged {
        Ok(Ok(c)) => c,
        Ok(Err(e)) => {
            metrics::counter!("beian_uploads_refused_total", "code" => e.code()).increment(1);
            return document_problem(&e);
        }
        Err(e) => return internal(e),
    };
    let store_files = files.clone();
    let (format, bytes) = (clean.format, clean.bytes);
    let name = match tokio::task::spawn_blocking(move || store_files.put(&bytes, format)).await {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    };
    let new = NewDocument {
        order_id: o.id,
        kind: slot.kind.to_owned(),
        website: slot.website,
        category: slot.category.clone(),
        file_name: name.clone(),
        format: format.as_str().to_owned(),
        width: clean.width,
        height: clean.height,
        size,
        sha256: clean.sha256,
        uploaded_by: format!("account:{}", caller.account.id),
    };
    match state
        .store
        .add_document(&new, OffsetDateTime::now_utc())
        .await
    {
        Ok(d) => {
            metrics::counter!("beian_uploads_total", "kind" => slot.kind).increment(1);
            (StatusCode::CREATED, Json(DocumentView::from(&d))).into_response()
        }
        Err(e) => {
            // The row was not written: the file must not stay behind.
            if let Err(io) = files.remove(&name) {
                tracing::error!(error = %io, "removing the file of a failed upload");
            }
            store_problem(e)
        }
    }
}

/// The required slot an upload fills, or a problem naming the field and the choices.
fn which_slot<'r>(
    required: &'r [RequiredSlot],
    fields: &UploadFields,
) -> Result<&'r RequiredSlot, Response> {
    let kinds = || {
        let mut k: Vec<&str> = required.iter().map(|s| s.kind).collect();
        k.dedup();
        k.join(", ")
    };
    let Some(kind) = fields.kind.as_deref().map(str::trim) else {
        return Err(problem(
            422,
            "缺少资料类型 / Document kind missing",
            format!(
                "请在 kind 字段注明资料类型，可选：{} / name the document in the field `kind`, one of: {}",
                kinds(),
                kinds()
            ),
            Some("kind".into()),
        ));
    };
    let website = match fields.website.as_deref().map(str::trim) {
        None | Some("") => -1,
        Some(w) => match w.parse::<i32>() {
            Ok(n) if n >= 0 => n,
            _ => {
                return Err(problem(
                    422,
                    "网站序号无效 / Invalid website index",
                    "website 是网站在申请中的序号，从 0 开始 / website is the website's index in the application, from 0",
                    Some("website".into()),
                ));
            }
        },
    };
    let category = fields
        .category
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    if !category.is_empty() && PreapprovalCategory::parse(&category).is_none() {
        return Err(problem(
            422,
            "前置审批类别无效 / Invalid preapproval category",
            "category 须为申请中的前置审批类别 / category is one of the application's preapproval categories",
            Some("category".into()),
        ));
    }
    if !required.iter().any(|s| s.kind == kind) {
        return Err(problem(
            422,
            "本订单不需要此类资料 / Document kind not needed",
            format!("本订单需要：{} / this order needs: {}", kinds(), kinds()),
            Some("kind".into()),
        ));
    }
    let candidates: Vec<&RequiredSlot> = required.iter().filter(|s| s.kind == kind).collect();
    // A per-website document names its website; with one website, 0 is assumed.
    let website = if website < 0 && candidates.iter().all(|s| s.website >= 0) {
        if candidates.len() == 1 {
            candidates[0].website
        } else {
            return Err(problem(
                422,
                "请注明网站序号 / Website index needed",
                "此类资料每个网站各需一份，请在 website 字段注明网站序号（从 0 开始） / this document is needed per website: give the website index (from 0) in the field `website`",
                Some("website".into()),
            ));
        }
    } else {
        website
    };
    candidates
        .into_iter()
        .find(|s| s.website == website && (category.is_empty() || s.category == category))
        .ok_or_else(|| {
            problem(
                422,
                "资料与订单不符 / Document does not match the order",
                "该网站不需要此类资料（或类别不符），请查看 GET …/documents 中的 required 列表 / this website does not need this document (or the category differs): see `required` in GET …/documents",
                Some("website".into()),
            )
        })
}

/// `GET /api/v1/orders/{id}/documents/{doc}/file` (the applicant or staff): the stored image.
pub async fn file(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path((id, doc)): Path<(i64, i64)>,
) -> Response {
    if let Err(r) = visible(&state, &caller, id).await {
        return r;
    }
    let files = match files(&state) {
        Ok(f) => f.clone(),
        Err(r) => return r,
    };
    let d = match state.store.document(doc).await {
        Ok(Some(d)) if d.order_id == id => d,
        Ok(_) => {
            return problem(
                404,
                "资料不存在 / Document not found",
                "no such document in this order",
                None,
            );
        }
        Err(e) => return internal(e),
    };
    let name = d.file_name.clone();
    let bytes = match tokio::task::spawn_blocking(move || files.read(&name)).await {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return internal(e),
        Err(e) => return internal(e),
    };
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

#[derive(Deserialize)]
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
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = staff_order(&state, &caller, id).await {
        return r;
    }
    let body: ReviewBody = match crate::parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let accept = match body.decision.as_str() {
        "accept" => true,
        "reject" => false,
        _ => {
            return problem(
                422,
                "审核结论无效 / Invalid decision",
                "decision 为 accept 或 reject / decision is accept or reject",
                Some("decision".into()),
            );
        }
    };
    let reason = match (accept, body.reason.as_deref()) {
        (true, _) => String::new(),
        (false, Some(r)) if ReasonCode::parse(r).is_some() => r.to_owned(),
        (false, _) => {
            return problem(
                422,
                "请选择驳回原因 / Reason needed",
                "驳回资料须给出原因代码，如 P01（幕布照片不合格）、P02（资料不清晰或不完整） / a rejection names a catalogued reason, e.g. P01 (face photo unqualified) or P02 (documents unclear or incomplete)",
                Some("reason".into()),
            );
        }
    };
    if body.note.chars().count() > 500 {
        return problem(
            422,
            "说明过长 / Note too long",
            "说明最多 500 字 / at most 500 characters",
            Some("note".into()),
        );
    }
    let actor = format!("account:{}", caller.account.id);
    let review = DocumentReview {
        accept,
        reason: &reason,
        note: body.note.trim(),
        reviewer: &actor,
    };
    let d = match state
        .store
        .review_document(id, doc, &review, OffsetDateTime::now_utc())
        .await
    {
        Ok(d) => d,
        Err(e) => return store_problem(e),
    };
    if accept {
        advance_if_complete(&state, id, role_of(&caller), &actor).await;
    }
    Json(DocumentView::from(&d)).into_response()
}

#[derive(Deserialize)]
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
) -> Response {
    let o = match owned(&state, &caller, id).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let body: BackdropBody = match crate::parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let recipient = body.recipient.trim();
    if recipient.is_empty() || recipient.chars().count() > 50 {
        return problem(
            422,
            "收件人无效 / Invalid recipient",
            "请填写收件人姓名（1–50 字） / give the recipient's name (1 to 50 characters)",
            Some("recipient".into()),
        );
    }
    let mobile = body.mobile.trim();
    if !beian_rules::validate::mobile_format(mobile) {
        return problem(
            422,
            "手机号码无效 / Invalid mobile number",
            "请填写 11 位中国大陆手机号码，快递员会联系此号码 / give an 11-digit mainland mobile number for the courier",
            Some("mobile".into()),
        );
    }
    let wanted = body.province.trim();
    let province = state
        .engine
        .data()
        .provinces()
        .iter()
        .find(|p| wanted == p.code.to_string() || wanted == p.name || wanted == p.short);
    let Some(province) = province else {
        return problem(
            422,
            "省份无效 / Invalid province",
            "幕布只寄往中国大陆地址：请填写大陆省份的代码或名称（如 33 或 浙江） / backdrops are posted to mainland addresses only: give a mainland province's code or name (e.g. 33 or 浙江)",
            Some("province".into()),
        );
    };
    let address = body.address.trim();
    let n = address.chars().count();
    if !(5..=200).contains(&n) {
        return problem(
            422,
            "地址无效 / Invalid address",
            "请填写详细地址（5–200 字，含市、区、街道门牌） / give the full address (5 to 200 characters: city, district, street and number)",
            Some("address".into()),
        );
    }
    let request = BackdropRequest {
        order_id: o.id,
        recipient: recipient.to_owned(),
        mobile: mobile.to_owned(),
        province: i16::from(province.code),
        address: address.to_owned(),
        requested_by: format!("account:{}", caller.account.id),
        requested_at: OffsetDateTime::now_utc(),
        shipped_at: None,
        tracking: String::new(),
    };
    match state.store.request_backdrop(&request).await {
        Ok(_) => verification_view(&state, &caller, &o).await,
        Err(e) => store_problem(e),
    }
}

#[derive(Deserialize)]
pub struct ShippedBody {
    #[serde(default)]
    pub tracking: String,
}

/// `POST /api/v1/orders/{id}/backdrop/shipped` (reviewers): the backdrop was posted.
pub async fn backdrop_shipped(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let o = match staff_order(&state, &caller, id).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    let body: ShippedBody = match crate::parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    if body.tracking.chars().count() > 64 {
        return problem(
            422,
            "运单号过长 / Tracking number too long",
            "运单号最多 64 个字符 / at most 64 characters",
            Some("tracking".into()),
        );
    }
    let actor = format!("account:{}", caller.account.id);
    match state
        .store
        .ship_backdrop(id, body.tracking.trim(), &actor, OffsetDateTime::now_utc())
        .await
    {
        Ok(true) => verification_view(&state, &caller, &o).await,
        Ok(false) => problem(
            409,
            "没有待寄出的幕布申请 / No backdrop request to post",
            "the applicant has not asked for a backdrop, or it has been posted",
            None,
        ),
        Err(e) => store_problem(e),
    }
}

/// `POST /api/v1/orders/{id}/statements/require` (reviewers): this order needs the three mailed
/// originals of the authenticity statement.
pub async fn require_statements(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    let o = match staff_order(&state, &caller, id).await {
        Ok(o) => o,
        Err(r) => return r,
    };
    match state.store.require_statements(id).await {
        Ok(true) => verification_view(&state, &caller, &o).await,
        Ok(false) => store_problem(StoreError::NotInVerification(id)),
        Err(e) => store_problem(e),
    }
}

/// `POST /api/v1/orders/{id}/statements/received` (reviewers): the mailed originals arrived.
pub async fn statements_received(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<i64>,
) -> Response {
    if let Err(r) = staff_order(&state, &caller, id).await {
        return r;
    }
    let actor = format!("account:{}", caller.account.id);
    match state
        .store
        .statements_received(id, &actor, OffsetDateTime::now_utc())
        .await
    {
        Ok(true) => {
            advance_if_complete(&state, id, role_of(&caller), &actor).await;
            match state.store.order(id).await {
                Ok(Some(o)) => verification_view(&state, &caller, &o).await,
                Ok(None) => problem(404, "订单不存在 / Order not found", "no such order", None),
                Err(e) => internal(e),
            }
        }
        Ok(false) => store_problem(StoreError::NotInVerification(id)),
        Err(e) => store_problem(e),
    }
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

/// Remove stored files no document row names (left by a crash between writing a file and
/// recording it), older than `min_age` so that an upload in flight on another instance is safe.
pub async fn sweep_orphans(
    state: &AppState,
    min_age: std::time::Duration,
) -> Result<usize, String> {
    let Some(files) = state.documents.clone() else {
        return Ok(0);
    };
    let known: std::collections::HashSet<String> = state
        .store
        .document_file_names()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .collect();
    tokio::task::spawn_blocking(move || {
        let mut removed = 0;
        for name in files.names().map_err(|e| e.to_string())? {
            if known.contains(&name) {
                continue;
            }
            let old = files
                .path(&name)
                .and_then(|p| std::fs::metadata(p)?.modified())
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|a| a >= min_age);
            if old && files.remove(&name).is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    })
    .await
    .map_err(|e| e.to_string())?
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn slot(kind: &'static str, website: i32) -> RequiredSlot {
        RequiredSlot {
            kind,
            website,
            category: String::new(),
            name_zh: kind.into(),
            name_en: kind.into(),
        }
    }

    fn doc(id: i64, kind: &str, website: i32, status: &str) -> DocumentRow {
        DocumentRow {
            id,
            order_id: 1,
            kind: kind.into(),
            website,
            category: String::new(),
            file_name: format!("{id:032x}.png"),
            format: "png".into(),
            width: 1,
            height: 1,
            size: 1,
            sha256: String::new(),
            status: status.into(),
            reason: String::new(),
            note: String::new(),
            uploaded_by: "account:1".into(),
            uploaded_at: OffsetDateTime::UNIX_EPOCH,
            reviewed_by: None,
            reviewed_at: None,
        }
    }

    #[test]
    fn complete_only_when_every_slot_is_accepted() {
        let required = [slot("subject_credential", -1), slot("face_photo", 0)];
        let s = verification_status(&required, &[], false, false);
        assert!(!s.complete);
        assert_eq!(s.slots[0].status, "missing");
        let docs = [doc(1, "subject_credential", -1, "accepted")];
        let s = verification_status(&required, &docs, false, false);
        assert!(!s.complete, "the face photo is still missing");
        let docs = [
            doc(1, "subject_credential", -1, "accepted"),
            doc(2, "face_photo", 0, "pending"),
        ];
        assert!(!verification_status(&required, &docs, false, false).complete);
        let docs = [
            doc(1, "subject_credential", -1, "accepted"),
            doc(2, "face_photo", 0, "accepted"),
        ];
        assert!(verification_status(&required, &docs, false, false).complete);
        // Mailed statements, where asked for, must have arrived too.
        assert!(!verification_status(&required, &docs, true, false).complete);
        assert!(verification_status(&required, &docs, true, true).complete);
    }

    #[test]
    fn a_face_photo_of_another_website_does_not_count() {
        let required = [slot("face_photo", 0), slot("face_photo", 1)];
        let docs = [doc(1, "face_photo", 0, "accepted")];
        let s = verification_status(&required, &docs, false, false);
        assert!(!s.complete);
        assert_eq!(s.slots[1].status, "missing");
    }

    #[test]
    fn superseded_and_rejected_documents_do_not_count() {
        let required = [slot("face_photo", 0)];
        let docs = [
            doc(1, "face_photo", 0, "superseded"),
            doc(2, "face_photo", 0, "rejected"),
        ];
        let s = verification_status(&required, &docs, false, false);
        assert_eq!(s.slots[0].status, "rejected");
        assert!(!s.complete);
        assert!(missing_detail(&s).contains("upload again"));
        let docs = [doc(1, "face_photo", 0, "superseded")];
        assert_eq!(
            verification_status(&required, &docs, false, false).slots[0].status,
            "missing"
        );
    }
}
