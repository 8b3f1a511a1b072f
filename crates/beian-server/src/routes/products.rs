//! Products and service numbers (产品与备案服务号) over HTTP: the instances an applicant holds,
//! their quota and service numbers with each number's state, the exact reasons an instance is
//! ineligible, and applying for a number.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use beian_core::product::{Ineligible, ProductInstance};
use beian_core::workflow::Role;
use beian_store::{ProductRow, StoreError};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::Routes;
use crate::AppState;
use crate::auth::Caller;
use crate::error::{ApiError, ApiJson};

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/products", products)
        .post("/api/v1/products", put_product)
        .post(
            "/api/v1/products/{instance}/service-numbers",
            apply_service_number,
        )
}

// ---------------------------------------------------------------------------------------------
// Products and service numbers (产品与备案服务号)

/// Why an instance cannot take a filing, in both languages (what the console shows).
fn ineligible_text(i: Ineligible) -> (&'static str, &'static str) {
    match i {
        Ineligible::NotAServer => (
            "该产品不是服务器，不能用于备案",
            "this product is not a server and cannot carry a filing",
        ),
        Ineligible::Expired => (
            "实例已到期，其备案服务号已失效",
            "the instance has expired; its service numbers are invalid",
        ),
        Ineligible::OutsideMainland => {
            ("实例不在中国内地", "the instance is outside mainland China")
        }
        Ineligible::PayAsYouGo => (
            "按量付费实例不能备案，请改为包年包月",
            "pay-as-you-go instances cannot file: switch to a subscription",
        ),
        Ineligible::NoPublicBandwidth => {
            ("实例没有公网带宽", "the instance has no public bandwidth")
        }
        Ineligible::LessThanThreeMonthsLeft => (
            "实例剩余有效期不足 3 个月，请续费",
            "less than three months left on the instance: renew it",
        ),
        Ineligible::QuotaExhausted => (
            "该实例的备案服务号已达上限，请更换产品",
            "this instance has reached its limit of service numbers: switch to another product",
        ),
    }
}

#[derive(Serialize)]
pub struct IneligibleView {
    reason: Ineligible,
    message_zh: &'static str,
    message_en: &'static str,
}

#[derive(Serialize)]
pub struct ServiceNumberView {
    number: String,
    /// `unbound`, `bound` (named by a draft), `filing` (an order in progress), `filed`, `invalid`.
    state: &'static str,
    website_number: Option<String>,
}

#[derive(Serialize)]
pub struct ProductView {
    instance_id: String,
    kind: String,
    region: &'static str,
    billing: &'static str,
    expires: String,
    public_bandwidth: bool,
    quota: i32,
    issued: i32,
    consumed: i32,
    /// May this instance be given another service number now?
    eligible: bool,
    ineligible: Vec<IneligibleView>,
    service_numbers: Vec<ServiceNumberView>,
}

/// The instance as the core judges it: applying for a number counts numbers issued, not only
/// consumed, against the quota.
fn instance_of(p: &ProductRow) -> ProductInstance {
    ProductInstance {
        kind: p.kind.clone(),
        mainland: p.mainland,
        subscription: p.subscription,
        public_bandwidth: p.public_bandwidth,
        expires: p.expires,
        quota: u32::try_from(p.quota).unwrap_or(0),
        consumed: u32::try_from(p.issued.max(p.consumed)).unwrap_or(0),
    }
}

fn ineligibility(p: &ProductRow) -> Vec<IneligibleView> {
    instance_of(p)
        .ineligibility(crate::clock::today_in_china())
        .into_iter()
        .map(|reason| {
            let (zh, en) = ineligible_text(reason);
            IneligibleView {
                reason,
                message_zh: zh,
                message_en: en,
            }
        })
        .collect()
}

/// Service numbers named by the account's orders: (drafts, orders in progress).
async fn named_service_numbers(
    state: &AppState,
    account: Option<&str>,
) -> Result<(Vec<String>, Vec<String>), StoreError> {
    let orders = match account {
        Some(a) => state.store.orders_of(a).await?,
        None => Vec::new(),
    };
    let (mut drafts, mut filing) = (Vec::new(), Vec::new());
    for o in orders {
        if o.state.is_terminal() {
            continue;
        }
        let Ok(app) = serde_json::from_str::<beian_rules::Application>(&o.application) else {
            continue;
        };
        let target = if o.in_progress {
            &mut filing
        } else {
            &mut drafts
        };
        target.extend(
            app.websites
                .iter()
                .flatten()
                .filter_map(|w| w.service_number.as_deref())
                .map(|s| s.trim().to_owned()),
        );
    }
    Ok((drafts, filing))
}

async fn product_view(
    state: &AppState,
    p: ProductRow,
    named: &(Vec<String>, Vec<String>),
) -> Result<ProductView, StoreError> {
    let expired = p.expires < crate::clock::today_in_china();
    let numbers = state.store.service_numbers_of(&p.instance_id).await?;
    Ok(ProductView {
        ineligible: ineligibility(&p),
        eligible: ineligibility(&p).is_empty(),
        service_numbers: numbers
            .into_iter()
            .map(|n| ServiceNumberView {
                state: if n.website_number.is_some() {
                    "filed"
                } else if expired {
                    "invalid"
                } else if named.1.contains(&n.number) {
                    "filing"
                } else if named.0.contains(&n.number) {
                    "bound"
                } else {
                    "unbound"
                },
                number: n.number,
                website_number: n.website_number,
            })
            .collect(),
        instance_id: p.instance_id,
        kind: p.kind,
        region: if p.mainland { "mainland" } else { "outside" },
        billing: if p.subscription {
            "subscription"
        } else {
            "pay_as_you_go"
        },
        expires: beian_rules::input::format_date(p.expires),
        public_bandwidth: p.public_bandwidth,
        quota: p.quota,
        issued: p.issued,
        consumed: p.consumed,
    })
}

/// `GET /api/v1/products`: the caller's instances (staff: every instance) with quota, service
/// numbers and their states, and the exact reasons an instance is ineligible.
pub async fn products(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<ProductView>>, ApiError> {
    let account = caller.account_id();
    let mine = (caller.role == Role::Applicant).then_some(account.as_str());
    let rows = state.store.products_of(mine).await?;
    let named = named_service_numbers(&state, mine).await?;
    let mut out = Vec::with_capacity(rows.len());
    for p in rows {
        out.push(product_view(&state, p, &named).await?);
    }
    Ok(Json(out))
}

/// A product instance as the provider's billing system reports it (supervisors register them).
#[derive(Deserialize)]
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
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
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
        Json(serde_json::json!({"instance_id": row.instance_id})),
    ))
}

fn not_eligible(detail: String) -> ApiError {
    ApiError::conflict(
        "instance-not-eligible",
        "实例不符合备案条件 / Instance not eligible",
        detail,
    )
}

/// `POST /api/v1/products/{instance}/service-numbers` (the owner): apply for a service number.
pub async fn apply_service_number(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(instance): Path<String>,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let account = caller.account_id();
    let p = match state.store.product(&instance).await? {
        Some(p) if p.account.as_deref() == Some(account.as_str()) => p,
        _ => {
            return Err(ApiError::not_found(
                "instance-not-found",
                "实例不存在 / Instance not found",
                "no such instance in this account",
            ));
        }
    };
    let reasons = ineligibility(&p);
    if !reasons.is_empty() {
        return Err(not_eligible(
            reasons
                .iter()
                .map(|r| format!("{} / {}", r.message_zh, r.message_en))
                .collect::<Vec<_>>()
                .join("; "),
        ));
    }
    match state
        .store
        .issue_service_number(&instance, OffsetDateTime::now_utc())
        .await
    {
        Ok(number) => Ok((
            StatusCode::CREATED,
            Json(serde_json::json!({"service_number": number, "state": "unbound"})),
        )),
        Err(StoreError::QuotaExhausted(_)) => {
            let (zh, en) = ineligible_text(Ineligible::QuotaExhausted);
            Err(not_eligible(format!("{zh} / {en}")))
        }
        Err(e) => Err(e.into()),
    }
}
