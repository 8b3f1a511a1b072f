//! Documents and the verification step (核验): which documents an order's application needs,
//! where its verification stands (every required document — the face photo included — accepted,
//! and the mailed authenticity statements arrived where they are asked for), the step that moves
//! an order on when the last of them is accepted, and the sweep of stored files no document
//! names. The JSON API (`crate::routes::documents`) and the console call these.

use std::sync::Arc;

use beian_core::workflow::{Command, OrderState, Role};
use beian_documents::{DocumentError, FileStore};
use beian_rules::Application;
use beian_rules::engine::RequiredDocument;
use beian_rules::model::PreapprovalCategory;
use beian_store::{DocumentRow, NewDocument, OrderRow, StoreError};
use serde::Serialize;
use time::OffsetDateTime;

use crate::AppState;
use crate::auth::Caller;
use crate::service::filing::{self, FilingError};

/// One document an order needs, as the applicant sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
    pub fn of(d: &RequiredDocument, app: &Application) -> RequiredSlot {
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

    /// Does document `d` fill this slot?
    pub fn fills(&self, d: &DocumentRow) -> bool {
        d.kind == self.kind && d.website == self.website && d.category == self.category
    }
}

/// Where an order's verification stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct VerificationStatus {
    pub slots: Vec<SlotStatus>,
    pub statements_required: bool,
    pub statements_received: bool,
    /// Everything required is accepted (and the statements arrived where asked for).
    pub complete: bool,
}

/// One required document and its live upload, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
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
pub fn required_slots(state: &AppState, o: &OrderRow) -> Result<Vec<RequiredSlot>, FilingError> {
    let app = filing::application_of(o)?;
    Ok(state
        .engine
        .documents_required(&app)
        .iter()
        .map(|d| RequiredSlot::of(d, &app))
        .collect())
}

/// Where `o`'s verification stands now.
pub async fn status_of(state: &AppState, o: &OrderRow) -> Result<VerificationStatus, FilingError> {
    let required = required_slots(state, o)?;
    let documents = state.store.documents(o.id).await?;
    let (asked, received) = state.store.statements(o.id).await?;
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
pub fn missing_detail(s: &VerificationStatus) -> String {
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
pub async fn advance_if_complete(state: &AppState, order_id: i64, role: Role, actor: &str) {
    let Ok(Some(o)) = state.store.order(order_id).await else {
        return;
    };
    if o.state != OrderState::Verification {
        return;
    }
    match status_of(state, &o).await {
        Ok(s) if s.complete => {
            let now = OffsetDateTime::now_utc();
            if filing::step(state, &o, Command::CompleteVerification, role, actor, now)
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

/// Why an upload or a document's file was refused.
#[derive(Debug, thiserror::Error)]
pub enum DocumentsError {
    /// No such order, or not the caller's.
    #[error(transparent)]
    Filing(#[from] FilingError),
    /// The server has no documents directory.
    #[error("document storage not configured")]
    NotConfigured,
    /// The store refused (not in verification, …) or failed.
    #[error(transparent)]
    Store(StoreError),
    /// The file's content is refused (size, format, dimensions, corrupt).
    #[error("{0}")]
    File(DocumentError),
    /// A field of the upload names no slot of the order: the field and bilingual words.
    #[error("{detail}")]
    Invalid {
        field: &'static str,
        title: &'static str,
        detail: String,
    },
    /// No such document in this order.
    #[error("no such document in this order")]
    DocumentNotFound,
    /// Reading or writing the file failed (never the caller's fault).
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for DocumentsError {
    fn from(e: StoreError) -> DocumentsError {
        DocumentsError::Store(e)
    }
}

/// What an upload names besides the file, as read from its form.
#[derive(Debug, Default)]
pub struct UploadFields {
    pub kind: Option<String>,
    pub website: Option<String>,
    pub category: Option<String>,
    pub file: Option<Vec<u8>>,
    /// The file field exceeded the size limit (reading stopped there).
    pub oversize: Option<u64>,
}

/// The file store, if the server has one.
pub fn files(state: &AppState) -> Result<Arc<FileStore>, DocumentsError> {
    state.documents.clone().ok_or(DocumentsError::NotConfigured)
}

/// Can order `o` take an upload now? (Checked before its body is read.) The file store.
pub fn ready_for_upload(state: &AppState, o: &OrderRow) -> Result<Arc<FileStore>, DocumentsError> {
    let files = files(state)?;
    if o.state != OrderState::Verification {
        return Err(DocumentsError::Store(StoreError::NotInVerification(o.id)));
    }
    Ok(files)
}

/// Judge an upload to order `o` (already the caller's, in verification) by its content and
/// store it in the slot it names; what is refused leaves nothing behind.
pub async fn store_upload(
    state: &AppState,
    caller: &Caller,
    o: &OrderRow,
    files: &Arc<FileStore>,
    fields: UploadFields,
) -> Result<DocumentRow, DocumentsError> {
    let limits = state.document_limits;
    if let Some(size) = fields.oversize {
        return Err(DocumentsError::File(DocumentError::TooLarge {
            size,
            max: limits.max_bytes,
        }));
    }
    let required = required_slots(state, o)?;
    let slot = which_slot(&required, &fields)?;
    let Some(bytes) = fields.file else {
        return Err(DocumentsError::Invalid {
            field: "file",
            title: "缺少文件 / File missing",
            detail: "请在 file 字段上传 JPG、PNG 或 GIF 图片 / upload a JPG, PNG or GIF image in the field `file`".into(),
        });
    };
    let size = bytes.len() as u64;
    // A decode may take a second and 256 MiB at the limits: a few at a time, the rest queue.
    let _permit = state
        .decode_permits
        .acquire()
        .await
        .map_err(|e| DocumentsError::Internal(e.to_string()))?;
    let clean = tokio::task::spawn_blocking(move || beian_documents::inspect(&bytes, &limits))
        .await
        .map_err(|e| DocumentsError::Internal(e.to_string()))?
        .map_err(|e| {
            metrics::counter!("beian_uploads_refused_total", "code" => e.code()).increment(1);
            DocumentsError::File(e)
        })?;
    let store_files = files.clone();
    let (format, bytes) = (clean.format, clean.bytes);
    let name = tokio::task::spawn_blocking(move || store_files.put(&bytes, format))
        .await
        .map_err(|e| DocumentsError::Internal(e.to_string()))?
        .map_err(|e| DocumentsError::Internal(e.to_string()))?;
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
        uploaded_by: caller.actor(),
    };
    match state
        .store
        .add_document(&new, OffsetDateTime::now_utc())
        .await
    {
        Ok(d) => {
            metrics::counter!("beian_uploads_total", "kind" => slot.kind).increment(1);
            Ok(d)
        }
        Err(e) => {
            // The row was not written: the file must not stay behind.
            if let Err(io) = files.remove(&name) {
                tracing::error!(error = %io, "removing the file of a failed upload");
            }
            Err(DocumentsError::Store(e))
        }
    }
}

/// The required slot an upload fills, or a problem naming the field and the choices.
pub fn which_slot<'r>(
    required: &'r [RequiredSlot],
    fields: &UploadFields,
) -> Result<&'r RequiredSlot, DocumentsError> {
    let kinds = || {
        let mut k: Vec<&str> = required.iter().map(|s| s.kind).collect();
        k.dedup();
        k.join(", ")
    };
    let invalid =
        |field: &'static str, title: &'static str, detail: String| DocumentsError::Invalid {
            field,
            title,
            detail,
        };
    let Some(kind) = fields.kind.as_deref().map(str::trim) else {
        return Err(invalid(
            "kind",
            "缺少资料类型 / Document kind missing",
            format!(
                "请在 kind 字段注明资料类型，可选：{} / name the document in the field `kind`, one of: {}",
                kinds(),
                kinds()
            ),
        ));
    };
    let website = match fields.website.as_deref().map(str::trim) {
        None | Some("") => -1,
        Some(w) => match w.parse::<i32>() {
            Ok(n) if n >= 0 => n,
            _ => {
                return Err(invalid(
                    "website",
                    "网站序号无效 / Invalid website index",
                    "website 是网站在申请中的序号，从 0 开始 / website is the website's index in the application, from 0".into(),
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
        return Err(invalid(
            "category",
            "前置审批类别无效 / Invalid preapproval category",
            "category 须为申请中的前置审批类别 / category is one of the application's preapproval categories".into(),
        ));
    }
    if !required.iter().any(|s| s.kind == kind) {
        return Err(invalid(
            "kind",
            "本订单不需要此类资料 / Document kind not needed",
            format!("本订单需要：{} / this order needs: {}", kinds(), kinds()),
        ));
    }
    let candidates: Vec<&RequiredSlot> = required.iter().filter(|s| s.kind == kind).collect();
    // A per-website document names its website; with one website, 0 is assumed.
    let website = if website < 0 && candidates.iter().all(|s| s.website >= 0) {
        if candidates.len() == 1 {
            candidates[0].website
        } else {
            return Err(invalid(
                "website",
                "请注明网站序号 / Website index needed",
                "此类资料每个网站各需一份，请在 website 字段注明网站序号（从 0 开始） / this document is needed per website: give the website index (from 0) in the field `website`".into(),
            ));
        }
    } else {
        website
    };
    candidates
        .into_iter()
        .find(|s| s.website == website && (category.is_empty() || s.category == category))
        .ok_or_else(|| {
            invalid(
                "website",
                "资料与订单不符 / Document does not match the order",
                "该网站不需要此类资料（或类别不符），请查看 GET …/documents 中的 required 列表 / this website does not need this document (or the category differs): see `required` in GET …/documents".into(),
            )
        })
}

/// Document `doc` of order `id` (the applicant's own, or any for staff) and its stored image.
pub async fn document_file(
    state: &AppState,
    caller: &Caller,
    id: i64,
    doc: i64,
) -> Result<(DocumentRow, Vec<u8>), DocumentsError> {
    filing::visible(state, caller, id).await?;
    let files = files(state)?;
    let d = match state.store.document(doc).await? {
        Some(d) if d.order_id == id => d,
        _ => return Err(DocumentsError::DocumentNotFound),
    };
    let name = d.file_name.clone();
    let bytes = tokio::task::spawn_blocking(move || files.read(&name))
        .await
        .map_err(|e| DocumentsError::Internal(e.to_string()))?
        .map_err(|e| DocumentsError::Internal(e.to_string()))?;
    Ok((d, bytes))
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

/// Why a document review did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// No such order, or another reviewer's claim.
    #[error(transparent)]
    Filing(#[from] FilingError),
    /// Not in verification, not awaiting review, or storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A rejection without a catalogued reason, or a note too long: the field and bilingual words.
    #[error("{detail}")]
    Invalid { field: &'static str, detail: String },
}

/// A reviewer accepts or rejects one document of order `id`; when the last one needed is
/// accepted the order moves on to the administration's queue.
pub async fn review(
    state: &AppState,
    caller: &Caller,
    id: i64,
    doc: i64,
    accept: bool,
    reason: Option<&str>,
    note: &str,
) -> Result<DocumentRow, ReviewError> {
    let o = filing::visible(state, caller, id).await?;
    let now = OffsetDateTime::now_utc();
    let actor = caller.actor();
    if let Some(by) = beian_core::workflow::blocking_claim(
        o.claimed_by.as_deref(),
        o.claimed_at,
        &actor,
        caller.role,
        now,
    ) {
        return Err(FilingError::ClaimedBy(by.to_owned()).into());
    }
    let reason = match (accept, reason.map(str::trim)) {
        (true, _) => String::new(),
        (false, Some(r)) if beian_rules::ReasonCode::parse(r).is_some() => r.to_owned(),
        (false, _) => {
            return Err(ReviewError::Invalid {
                field: "reason",
                detail: "驳回资料须给出原因代码，如 P01（幕布照片不合格）、P02（资料不清晰或不完整） / a rejection names a catalogued reason, e.g. P01 (face photo unqualified) or P02 (documents unclear or incomplete)".into(),
            });
        }
    };
    if note.chars().count() > 500 {
        return Err(ReviewError::Invalid {
            field: "note",
            detail: "说明最多 500 字 / a note has at most 500 characters".into(),
        });
    }
    let review = beian_store::DocumentReview {
        accept,
        reason: &reason,
        note: note.trim(),
        reviewer: &actor,
    };
    let d = state.store.review_document(id, doc, &review, now).await?;
    if accept {
        advance_if_complete(state, id, caller.role, &actor).await;
    }
    Ok(d)
}
