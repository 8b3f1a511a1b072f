//! Products and service numbers (产品与备案服务号): the applicant's instances with their quota, the
//! numbers issued and where each stands, the exact reasons an instance cannot carry a filing, and
//! the form that applies for another number. What is eligible and why comes from
//! `service::products`, which asks the core's `ProductInstance`.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use beian_server::AppState;
use beian_server::service::products;
use serde::Deserialize;

use crate::PageResult;
use crate::error::{Failure, redirect};
use crate::page::{Chrome, encode_component, render};
use crate::session::Signed;

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/products", get(list))
        .route("/products/{instance}/numbers", post(apply))
}

pub struct NumberRow {
    pub number: String,
    pub state: &'static str,
    pub state_name: String,
    pub website_number: String,
    /// Just issued by the form (highlighted).
    pub fresh: bool,
}

pub struct InstanceCard {
    pub id: String,
    pub kind: String,
    pub region: String,
    pub billing: String,
    pub expires: String,
    pub public_bandwidth: bool,
    pub quota: i32,
    /// Numbers issued against the quota (the larger of issued and consumed).
    pub used: i32,
    pub eligible: bool,
    pub reasons: Vec<String>,
    pub numbers: Vec<NumberRow>,
}

#[derive(Template)]
#[template(path = "products.html")]
pub struct ProductsPage {
    pub c: Chrome,
    pub instances: Vec<InstanceCard>,
    pub issued: String,
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    issued: String,
}

/// `GET /products`: the caller's instances and their service numbers.
async fn list(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Query(q): Query<ListQuery>,
) -> PageResult {
    let c = Chrome::new(&s.viewer, "products-title");
    let tr = c.tr;
    let instances = products::list(&state, &s.caller)
        .await?
        .into_iter()
        .map(|p| InstanceCard {
            eligible: p.eligible,
            reasons: p
                .ineligible
                .iter()
                .map(|r| tr.lang.pick(r.message_zh, r.message_en).to_owned())
                .collect(),
            numbers: p
                .service_numbers
                .into_iter()
                .map(|n| NumberRow {
                    fresh: !q.issued.is_empty() && n.number == q.issued,
                    state_name: tr.t(&format!("products-number-{}", n.state)),
                    state: n.state,
                    website_number: n.website_number.unwrap_or_default(),
                    number: n.number,
                })
                .collect(),
            region: tr.t(&format!("products-region-{}", p.region)),
            billing: tr.t(&format!("products-billing-{}", p.billing)),
            used: p.issued.max(p.consumed),
            id: p.instance_id,
            kind: p.kind,
            expires: p.expires,
            public_bandwidth: p.public_bandwidth,
            quota: p.quota,
        })
        .collect();
    Ok(render(&ProductsPage {
        c,
        instances,
        issued: q.issued,
    }))
}

#[derive(Deserialize)]
struct ApplyForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /products/{instance}/numbers`: apply for a service number; back to the list with the
/// new number marked, or the refusal (why the instance is not eligible) as a page.
async fn apply(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(instance): Path<String>,
    axum::Form(f): axum::Form<ApplyForm>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    let number = products::apply(&state, &s.caller, &instance)
        .await
        .map_err(Failure::from)?;
    Ok(redirect(&format!(
        "/products?issued={}#number-{}",
        encode_component(&number),
        encode_component(&number)
    )))
}
