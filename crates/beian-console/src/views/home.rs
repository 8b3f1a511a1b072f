//! The home page (the filing process in five steps, the filing types), the language switch and
//! the error page.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::Query;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use beian_server::AppState;
use serde::Deserialize;

use crate::error::redirect;
use crate::i18n::{LANG_COOKIE, Lang};
use crate::page::{Chrome, local_path, render};
use crate::session::Viewer;

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/", get(home)).route("/lang", get(switch_language))
}

#[derive(Template)]
#[template(path = "home.html")]
pub struct HomePage {
    pub c: Chrome,
}

/// `GET /`.
async fn home(v: Viewer) -> Response {
    render(&HomePage {
        c: Chrome::new(&v, "home-title"),
    })
}

#[derive(Deserialize)]
struct Switch {
    to: String,
    #[serde(default)]
    back: String,
}

/// `GET /lang?to=en&back=/path`: remember the language (a year) and go back.
async fn switch_language(Query(s): Query<Switch>) -> Response {
    let lang = Lang::parse(&s.to).unwrap_or_default();
    let mut r = redirect(local_path(&s.back));
    if let Ok(v) = HeaderValue::from_str(&format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        lang.tag()
    )) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r.into_response()
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub c: Chrome,
    pub status: u16,
    pub detail: String,
}
