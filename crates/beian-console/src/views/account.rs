//! Login, registration and logout: forms over the same session service as the API's
//! `POST /api/v1/sessions` and `POST /api/v1/accounts`.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use beian_core::workflow::Role;
use beian_server::auth::{Registration, cleared_session_cookies, open_session};
use beian_server::{ApiError, AppState};
use serde::Deserialize;

use crate::PageResult;
use crate::error::redirect;
use crate::page::{Chrome, local_path, render};
use crate::session::{Signed, Viewer};

pub fn routes(r: Router<Arc<AppState>>, state: &AppState) -> Router<Arc<AppState>> {
    // The same budget of attempts per address as the API's login.
    let limit = Arc::new(
        tower_governor::governor::GovernorConfigBuilder::default()
            .period(beian_server::LOGIN_REPLENISH)
            .burst_size(state.login_burst.max(1))
            .finish()
            .unwrap_or_default(),
    );
    let limited = tower_governor::GovernorLayer::new(limit).error_handler(|_| {
        crate::error::Failure::new(StatusCode::TOO_MANY_REQUESTS, "error-too-many").into_response()
    });
    r.route("/login", get(login_form))
        .route("/login", post(login).layer(limited))
        .route("/register", get(register_form).post(register))
        .route("/logout", post(logout))
}

/// A form's problem, shown beside its field (`field` empty: above the form).
#[derive(Debug, Clone, Default)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    fn from_api(e: &ApiError, lang: crate::i18n::Lang) -> FieldError {
        FieldError {
            field: e.path.clone().unwrap_or_default(),
            message: format!("{} {}", lang.half(&e.title), lang.half(&e.detail)),
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub c: Chrome,
    pub login: String,
    pub next: String,
    pub error: Option<FieldError>,
}

#[derive(Deserialize, Default)]
struct Next {
    #[serde(default)]
    next: String,
}

/// `GET /login`.
async fn login_form(v: Viewer, Query(n): Query<Next>) -> Response {
    render(&LoginPage {
        c: Chrome::new(&v, "login-title"),
        login: String::new(),
        next: n.next,
        error: None,
    })
}

#[derive(Deserialize)]
struct LoginForm {
    login: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Where a newly logged-in account goes: back where it came from, else its home.
fn landing(role: Role, next: &str) -> String {
    if !next.is_empty() && local_path(next) != "/" {
        return local_path(next).to_owned();
    }
    match role {
        Role::Applicant => "/orders".to_owned(),
        _ => "/".to_owned(),
    }
}

/// `POST /login`: no CSRF field (there is no session yet); the same-origin check applies.
async fn login(
    State(state): State<Arc<AppState>>,
    v: Viewer,
    Form(f): Form<LoginForm>,
) -> Response {
    match open_session(&state, &f.login, &f.password).await {
        Ok(opened) => {
            let role = Role::parse(&opened.account.role).unwrap_or(Role::Applicant);
            let mut r = redirect(&landing(role, &f.next));
            for c in opened.cookies() {
                r.headers_mut().append(header::SET_COOKIE, c);
            }
            r
        }
        Err(e) => {
            let mut r = render(&LoginPage {
                c: Chrome::new(&v, "login-title"),
                error: Some(FieldError::from_api(&e, v.lang)),
                login: f.login,
                next: f.next,
            });
            *r.status_mut() = e.status;
            r
        }
    }
}

#[derive(Template)]
#[template(path = "register.html")]
pub struct RegisterPage {
    pub c: Chrome,
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub error: Option<FieldError>,
}

impl RegisterPage {
    /// The error's message if it is about `field`.
    pub fn error_at(&self, field: &str) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|e| e.field == field)
            .map(|e| e.message.as_str())
    }
}

/// `GET /register`.
async fn register_form(v: Viewer) -> Response {
    render(&RegisterPage {
        c: Chrome::new(&v, "register-title"),
        login: String::new(),
        display_name: String::new(),
        email: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
struct RegisterForm {
    login: String,
    password: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
}

/// `POST /register`: create an applicant account (the API's rules) and log it in.
async fn register(
    State(state): State<Arc<AppState>>,
    v: Viewer,
    Form(f): Form<RegisterForm>,
) -> Response {
    let registration = Registration {
        login: f.login.clone(),
        password: f.password.clone(),
        display_name: f.display_name.clone(),
        email: f.email.clone(),
    };
    let created = beian_server::auth::create_account(&state, &registration, Role::Applicant).await;
    let opened = match created {
        Ok(_) => open_session(&state, &f.login, &f.password).await,
        Err(e) => Err(e),
    };
    match opened {
        Ok(opened) => {
            let mut r = redirect("/check");
            for c in opened.cookies() {
                r.headers_mut().append(header::SET_COOKIE, c);
            }
            r
        }
        Err(e) => {
            let mut r = render(&RegisterPage {
                c: Chrome::new(&v, "register-title"),
                error: Some(FieldError::from_api(&e, v.lang)),
                login: f.login,
                display_name: f.display_name,
                email: f.email,
            });
            *r.status_mut() = e.status;
            r
        }
    }
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /logout`.
async fn logout(
    State(state): State<Arc<AppState>>,
    s: Signed,
    headers: axum::http::HeaderMap,
    Form(f): Form<CsrfOnly>,
) -> PageResult {
    s.viewer.check_csrf(&f.csrf)?;
    if let Some(token) = beian_server::auth::cookie_in(&headers, beian_server::auth::SESSION_COOKIE)
    {
        beian_server::auth::close_session(&state, token).await?;
    }
    let mut r = redirect("/");
    for c in cleared_session_cookies() {
        r.headers_mut().append(header::SET_COOKIE, c);
    }
    Ok(r)
}
