//! Documents and the verification step (核验): which documents an order's application needs,
//! where its verification stands (every required document — the face photo included — accepted,
//! and the mailed authenticity statements arrived where they are asked for), the step that moves
//! an order on when the last of them is accepted, and the sweep of stored files no document
//! names. The JSON API (`crate::routes::documents`) and the console call these.

use beian_core::workflow::{Command, OrderState, Role};
use beian_rules::Application;
use beian_rules::engine::RequiredDocument;
use beian_store::{DocumentRow, OrderRow};
use serde::Serialize;
use time::OffsetDateTime;

use crate::AppState;
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
        .map(|d| RequiredSlot::from_required(d, &app))
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
