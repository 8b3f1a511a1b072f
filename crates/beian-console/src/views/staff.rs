//! Staff accounts for supervisors: the list with disable and enable, and the form that creates a
//! reviewer's, a supervisor's or the administration's account (`service::staff`).

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use beian_core::workflow::Role;
use beian_server::AppState;
use beian_server::service::staff::{self, NewStaffAccount};
use serde::Deserialize;

use crate::PageResult;
use crate::error::{Failure, redirect};
use crate::page::{Chrome, render};
use crate::session::Signed;

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/staff", get(page).post(create))
        .route("/staff/{login}/disable", post(disable))
        .route("/staff/{login}/enable", post(enable))
}

pub struct Row {
    pub login: String,
    pub name: String,
    pub role: String,
    pub disabled: bool,
    pub me: bool,
}

#[derive(Template)]
#[template(path = "staff.html")]
pub struct StaffPage {
    pub c: Chrome,
    pub rows: Vec<Row>,
    pub alert: Option<(&'static str, String)>,
    /// The field a refusal names, and what was typed (kept on the form).
    pub field: String,
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
}

impl StaffPage {
    /// The roles a staff account may have: (value, label, chosen).
    pub fn role_choices(&self) -> Vec<(&'static str, String, bool)> {
        ["reviewer", "supervisor", "administration"]
            .into_iter()
            .map(|r| (r, self.c.tr.t(&format!("audit-role-{r}")), self.role == r))
            .collect()
    }
}

fn supervisor(s: &Signed) -> Result<(), Failure> {
    if s.caller.role == Role::Supervisor {
        Ok(())
    } else {
        Err(Failure::new(StatusCode::FORBIDDEN, "error-forbidden"))
    }
}

async fn staff_page(state: &AppState, s: &Signed) -> Result<StaffPage, Failure> {
    let c = Chrome::new(&s.viewer, "staff-title");
    let tr = c.tr;
    let rows = staff::list(state)
        .await?
        .into_iter()
        .map(|a| Row {
            me: a.id == s.caller.account.id,
            role: tr.t(&format!("audit-role-{}", a.role)),
            login: a.login,
            name: a.display_name,
            disabled: a.disabled,
        })
        .collect();
    Ok(StaffPage {
        c,
        rows,
        alert: None,
        field: String::new(),
        login: String::new(),
        display_name: String::new(),
        email: String::new(),
        role: "reviewer".into(),
    })
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    done: String,
}

/// `GET /staff`.
async fn page(State(state): State<Arc<AppState>>, s: Signed, Query(q): Query<Done>) -> PageResult {
    supervisor(&s)?;
    let mut p = staff_page(&state, &s).await?;
    if !q.done.is_empty() {
        p.alert = Some(("ok", p.c.tr.t1("staff-done", "login", &q.done)));
    }
    Ok(render(&p))
}

#[derive(Deserialize)]
struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
}

/// `POST /staff`: create an account; a refusal comes back on the form, naming the field.
async fn create(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Form(f): Form<CreateForm>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    supervisor(&s)?;
    let n = NewStaffAccount {
        login: f.login.clone(),
        password: f.password,
        role: f.role.clone(),
        display_name: f.display_name.clone(),
        email: f.email.clone(),
    };
    match staff::create(&state, n).await {
        Ok(a) => Ok(redirect(&format!(
            "/staff?done={}",
            crate::page::encode_component(&a.login)
        ))),
        Err(e) if e.status.is_client_error() => {
            let lang = s.viewer.lang;
            let mut p = staff_page(&state, &s).await?;
            p.alert = Some((
                "error",
                format!("{} {}", lang.half(&e.title), lang.half(&e.detail)),
            ));
            p.field = e.path.clone().unwrap_or_default();
            p.login = f.login;
            p.display_name = f.display_name;
            p.email = f.email;
            p.role = f.role;
            let mut r = render(&p);
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn set(state: &AppState, s: &Signed, login: &str, disabled: bool) -> PageResult {
    supervisor(s)?;
    match staff::set_disabled(state, &s.caller, login, disabled).await {
        Ok(a) => Ok(redirect(&format!(
            "/staff?done={}",
            crate::page::encode_component(&a.login)
        ))),
        Err(e) if e.status == StatusCode::CONFLICT => {
            let lang = s.viewer.lang;
            let mut p = staff_page(state, s).await?;
            p.alert = Some((
                "error",
                format!("{} {}", lang.half(&e.title), lang.half(&e.detail)),
            ));
            let mut r = render(&p);
            *r.status_mut() = e.status;
            Ok(r)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /staff/{login}/disable`.
async fn disable(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(login): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    set(&state, &s, &login, true).await
}

/// `POST /staff/{login}/enable`.
async fn enable(
    State(state): State<Arc<AppState>>,
    s: Signed,
    Path(login): Path<String>,
    Form(f): Form<CsrfForm>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    set(&state, &s, &login, false).await
}
