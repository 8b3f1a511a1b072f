//! The blacklist over HTTP: supervisors add credential numbers and website names that can never
//! file again; staff list them (credential numbers masked). The rules see the blacklist in the
//! context of every check (`CREDENTIAL_BLACKLISTED`, `WEBSITE_NAME_BLACKLISTED`).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use beian_store::BlacklistKind;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Routes;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};

pub fn routes(r: Routes) -> Routes {
    r.post("/api/v1/blacklist", add)
        .get("/api/v1/blacklist", list)
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct NewEntry {
    pub kind: String,
    pub value: String,
    pub reason: String,
}

/// A blacklist entry as staff see it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct EntryView {
    kind: String,
    value: String,
    reason: String,
    actor: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    at: OffsetDateTime,
}

/// `POST /api/v1/blacklist` (supervisors).
pub async fn add(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(e): ApiJson<NewEntry>,
) -> Result<StatusCode, ApiError> {
    let (kind, value) = match e.kind.as_str() {
        "credential" => (
            BlacklistKind::Credential,
            beian_rules::detect::normalise_credential_number(&e.value),
        ),
        "website_name" => (BlacklistKind::WebsiteName, e.value.trim().to_owned()),
        _ => {
            return Err(ApiError::invalid(
                "kind",
                "类型无效 / Unknown kind",
                "kind is credential or website_name",
            ));
        }
    };
    if value.is_empty() {
        return Err(ApiError::invalid(
            "value",
            "缺少内容 / Value missing",
            "give the credential number or website name",
        ));
    }
    if e.reason.trim().is_empty() {
        return Err(ApiError::invalid(
            "reason",
            "缺少原因 / Reason missing",
            "say why: the entry is permanent",
        ));
    }
    state
        .store
        .blacklist_add(
            kind,
            &value,
            e.reason.trim(),
            &caller.actor(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(StatusCode::CREATED)
}

/// `GET /api/v1/blacklist` (staff); credential numbers masked.
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<Vec<EntryView>>, ApiError> {
    let entries = state.store.blacklist().await?;
    Ok(Json(
        entries
            .into_iter()
            .map(|e| EntryView {
                value: if e.kind == "credential" {
                    beian_core::mask::credential_number(&e.value)
                } else {
                    e.value
                },
                kind: e.kind,
                reason: e.reason,
                actor: e.actor,
                at: e.at,
            })
            .collect(),
    ))
}
