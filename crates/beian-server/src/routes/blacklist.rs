//! The blacklist over HTTP: supervisors add credential numbers and website names that can never
//! file again; staff list them (credential numbers masked). The rules see the blacklist in the
//! context of every check (`CREDENTIAL_BLACKLISTED`, `WEBSITE_NAME_BLACKLISTED`).

// A handler's early exit is an axum `Response`; boxing it would only add an allocation per error.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use beian_store::BlacklistKind;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::auth::Caller;
use crate::{ApiJson, AppState, Problem};

fn problem(status: u16, title: &'static str, detail: &str, path: Option<&str>) -> Response {
    Problem {
        kind: "https://beian.invalid/problems/blacklist",
        title,
        status,
        detail: detail.into(),
        path: path.map(str::to_owned),
    }
    .into_response()
}

#[derive(Deserialize)]
pub struct NewEntry {
    pub kind: String,
    pub value: String,
    pub reason: String,
}

#[derive(Serialize)]
struct EntryView {
    kind: String,
    value: String,
    reason: String,
    actor: String,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
}

/// `POST /api/v1/blacklist` (supervisors).
pub async fn add(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    ApiJson(e): ApiJson<NewEntry>,
) -> Response {
    if caller.account.role != "supervisor" {
        return problem(
            403,
            "仅限主管 / Supervisors only",
            "only a supervisor may change the blacklist",
            None,
        );
    }
    let (kind, value) = match e.kind.as_str() {
        "credential" => (
            BlacklistKind::Credential,
            beian_rules::detect::normalise_credential_number(&e.value),
        ),
        "website_name" => (BlacklistKind::WebsiteName, e.value.trim().to_owned()),
        _ => {
            return problem(
                422,
                "类型无效 / Unknown kind",
                "kind is credential or website_name",
                Some("kind"),
            );
        }
    };
    if value.is_empty() {
        return problem(
            422,
            "缺少内容 / Value missing",
            "give the credential number or website name",
            Some("value"),
        );
    }
    if e.reason.trim().is_empty() {
        return problem(
            422,
            "缺少原因 / Reason missing",
            "say why: the entry is permanent",
            Some("reason"),
        );
    }
    let actor = format!("account:{}", caller.account.id);
    match state
        .store
        .blacklist_add(
            kind,
            &value,
            e.reason.trim(),
            &actor,
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "blacklist add failed");
            problem(
                500,
                "内部错误 / Internal error",
                "the server could not complete the request",
                None,
            )
        }
    }
}

/// `GET /api/v1/blacklist` (staff); credential numbers masked.
pub async fn list(State(state): State<Arc<AppState>>, caller: Caller) -> Response {
    if caller.account.role == "applicant" {
        return problem(
            403,
            "仅限审核人员 / Staff only",
            "the blacklist is for staff",
            None,
        );
    }
    match state.store.blacklist().await {
        Ok(entries) => Json(
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
                .collect::<Vec<_>>(),
        )
        .into_response(),
        Err(err) => {
            tracing::error!(error = %err, "blacklist list failed");
            problem(
                500,
                "内部错误 / Internal error",
                "the server could not complete the request",
                None,
            )
        }
    }
}
