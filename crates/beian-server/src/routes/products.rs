//! Products and service numbers (产品与备案服务号) over HTTP: the instances an applicant holds,
//! their quota and service numbers with each number's state, the exact reasons an instance is
//! ineligible, and applying for a number.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use beian_core::workflow::Role;
use beian_store::ProductRow;
use serde::Deserialize;

use super::Routes;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};
use crate::service::products::ProductView;

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/products", products)
        .post("/api/v1/products", put_product)
        .post(
            "/api/v1/products/{instance}/service-numbers",
            apply_service_number,
        )
}

/// `GET /api/v1/products`: the caller's instances (staff: every instance) with quota, service
/// numbers and their states, and the exact reasons an instance is ineligible.
pub async fn products(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<ProductView>>, ApiError> {
    Ok(Json(crate::service::products::list(&state, &caller).await?))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct NewProduct {
    pub instance_id: String,
    /// The owner's login.
    pub owner: Option<String>,
    pub kind: String,
    pub region: String,
    pub billing: String,
    pub expires: String,
    pub public_bandwidth: bool,
    pub quota: Option<i32>,
}

fn field_problem(path: &str, detail: impl Into<String>) -> ApiError {
    ApiError::invalid(path, "字段无效 / Invalid field", detail)
}

/// `POST /api/v1/products` (supervisors): register or update an instance.
pub async fn put_product(
    State(state): State<Arc<AppState>>,
    ApiJson(p): ApiJson<NewProduct>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let instance_id = p.instance_id.trim().to_owned();
    if instance_id.is_empty() || instance_id.len() > 64 {
        return Err(field_problem(
            "instance_id",
            "实例 ID 应为 1–64 个字符 / instance_id is 1–64 characters",
        ));
    }
    let Ok(expires) = beian_rules::input::parse_date(p.expires.trim()) else {
        return Err(field_problem(
            "expires",
            "日期格式应为 YYYY-MM-DD / dates are YYYY-MM-DD",
        ));
    };
    let subscription = match p.billing.as_str() {
        "subscription" => true,
        "pay_as_you_go" => false,
        _ => {
            return Err(field_problem(
                "billing",
                "应为 subscription 或 pay_as_you_go / billing is subscription or pay_as_you_go",
            ));
        }
    };
    let quota = p.quota.unwrap_or(beian_core::product::DEFAULT_QUOTA as i32);
    if !(0..=beian_core::product::DEFAULT_QUOTA as i32).contains(&quota) {
        return Err(field_problem(
            "quota",
            "每个实例最多 5 个备案服务号 / at most 5 service numbers per instance",
        ));
    }
    let account = match p.owner.as_deref().map(str::trim).filter(|o| !o.is_empty()) {
        None => None,
        Some(login) => match state.store.account_by_login(login).await? {
            Some((a, _)) if Role::parse(&a.role) == Some(Role::Applicant) => Some(a.id.to_string()),
            _ => {
                return Err(field_problem(
                    "owner",
                    "没有这个申请人账号 / no applicant account with this login",
                ));
            }
        },
    };
    let row = ProductRow {
        instance_id,
        account,
        kind: p.kind.trim().to_owned(),
        mainland: p.region.trim() == "mainland",
        subscription,
        public_bandwidth: p.public_bandwidth,
        expires,
        quota,
        issued: 0,
        consumed: 0,
    };
    state.store.put_product(&row).await?;
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            instance_id: row.instance_id,
        }),
    ))
}

/// `POST /api/v1/products/{instance}/service-numbers` (the owner): apply for a service number.
pub async fn apply_service_number(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(instance): Path<String>,
) -> Result<(StatusCode, Json<IssuedServiceNumber>), ApiError> {
    let number = crate::service::products::apply(&state, &caller, &instance).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedServiceNumber {
            service_number: number,
            state: "unbound",
        }),
    ))
}

/// An instance registered or updated.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Registered {
    pub instance_id: String,
}

/// A service number just issued: not yet named by any order.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub struct IssuedServiceNumber {
    pub service_number: String,
    pub state: &'static str,
}
