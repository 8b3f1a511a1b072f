//! A page's refusal. Handlers return `Result<_, Failure>` and use `?` on the service's errors; the
//! error page itself is rendered by [`render_failures`], which knows the request's language. A
//! page that needs a login answers with a redirect to the login form instead.

use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use beian_server::ApiError;
use beian_server::service::filing::FilingError;

use crate::i18n::Tr;
use crate::page::{Chrome, render};
use crate::session::lang_of;

/// What went wrong, as the error page shows it.
#[derive(Debug, Clone)]
pub struct Failure {
    pub status: StatusCode,
    /// The catalogue key of the title, when the console has its own words for it.
    pub key: Option<&'static str>,
    /// `中文 / English` title and detail (the service's words), when it has none.
    pub title: String,
    pub detail: String,
    /// For a login redirect: where to come back to.
    pub next: Option<String>,
}

impl Failure {
    pub fn new(status: StatusCode, key: &'static str) -> Failure {
        Failure {
            status,
            key: Some(key),
            title: String::new(),
            detail: String::new(),
            next: None,
        }
    }

    pub fn csrf() -> Failure {
        Failure::new(StatusCode::FORBIDDEN, "error-csrf")
    }

    pub fn not_found() -> Failure {
        Failure::new(StatusCode::NOT_FOUND, "error-not-found")
    }

    pub fn login_needed(here: &str) -> Failure {
        Failure {
            next: Some(here.to_owned()),
            ..Failure::new(StatusCode::UNAUTHORIZED, "error-login")
        }
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Failure {
        if e.status.is_server_error() {
            tracing::error!(kind = e.kind, detail = %e.detail, "console page failed");
        }
        Failure {
            status: e.status,
            key: match e.status {
                StatusCode::NOT_FOUND => Some("error-not-found"),
                StatusCode::FORBIDDEN => Some("error-forbidden"),
                s if s.is_server_error() => Some("error-internal"),
                _ => None,
            },
            title: e.title.into_owned(),
            detail: if e.status.is_server_error() {
                String::new()
            } else {
                e.detail
            },
            next: None,
        }
    }
}

impl From<FilingError> for Failure {
    fn from(e: FilingError) -> Failure {
        Failure::from(ApiError::from(e))
    }
}

impl From<beian_store::StoreError> for Failure {
    fn from(e: beian_store::StoreError) -> Failure {
        Failure::from(ApiError::from(e))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut r = self.status.into_response();
        r.extensions_mut().insert(self);
        r
    }
}

/// Turns a [`Failure`] left in a response into its page (or the login redirect).
pub async fn render_failures(request: Request, next: Next) -> Response {
    let lang = lang_of(request.headers());
    let here = request
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    let Some(failure) = response.extensions().get::<Failure>().cloned() else {
        return response;
    };
    if let Some(back) = &failure.next {
        let target = format!("/login?next={}", crate::page::encode_component(back));
        return redirect(&target);
    }
    failure_page(&failure, lang, &here)
}

/// The error page of `failure` in `lang`.
pub fn failure_page(failure: &Failure, lang: crate::i18n::Lang, here: &str) -> Response {
    let tr = Tr { lang };
    let (title, detail) = match failure.key {
        Some(key) => (
            tr.t(key),
            if failure.detail.is_empty() {
                tr.t(&format!("{key}-detail"))
            } else {
                lang.half(&failure.detail)
            },
        ),
        None => (lang.half(&failure.title), lang.half(&failure.detail)),
    };
    let page = crate::views::home::ErrorPage {
        c: Chrome::bare(lang, here, &title),
        status: failure.status.as_u16(),
        detail,
    };
    let mut response = render(&page);
    *response.status_mut() = failure.status;
    response
}

/// 303 See Other to `to` (after a form: the browser GETs the next page).
pub fn redirect(to: &str) -> Response {
    let mut r = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}
