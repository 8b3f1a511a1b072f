//! Who is looking: the language cookie, the session cookie (the same session the API's login
//! opens) and the CSRF value forms repeat. Pages take a [`Viewer`] (anyone) or a [`Signed`]
//! (logged in; otherwise the page redirects to the login form).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use beian_server::AppState;
use beian_server::auth::{CSRF_COOKIE, Caller, SESSION_COOKIE, cookie_in};

use crate::error::Failure;
use crate::i18n::{LANG_COOKIE, Lang, Tr};

/// What every page knows about its request: the language, the caller if logged in, the CSRF value.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub lang: Lang,
    pub caller: Option<Caller>,
    /// The `beian_csrf` cookie's value, repeated in every form.
    pub csrf: String,
    /// The path and query of this request (the language switch and the login come back here).
    pub here: String,
}

impl Viewer {
    pub fn tr(&self) -> Tr {
        Tr { lang: self.lang }
    }

    /// Does a form's `csrf` field repeat this session's value? (A page of another site can
    /// neither read the cookie nor set it.)
    pub fn check_csrf(&self, presented: &str) -> Result<(), Failure> {
        if self.csrf.is_empty() || presented != self.csrf {
            return Err(Failure::csrf());
        }
        Ok(())
    }
}

/// The language a request asks for: the cookie, else Simplified Chinese.
pub fn lang_of(headers: &axum::http::HeaderMap) -> Lang {
    cookie_in(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_default()
}

impl FromRequestParts<Arc<AppState>> for Viewer {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Viewer, Failure> {
        if let Some(v) = parts.extensions.get::<Viewer>() {
            return Ok(v.clone());
        }
        let caller = match cookie_in(&parts.headers, SESSION_COOKIE) {
            Some(token) => beian_server::auth::caller_for_token(state, token)
                .await?
                .map(|c| c.from_request(parts)),
            None => None,
        };
        let viewer = Viewer {
            lang: lang_of(&parts.headers),
            csrf: cookie_in(&parts.headers, CSRF_COOKIE)
                .unwrap_or_default()
                .to_owned(),
            caller,
            here: parts
                .uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
        };
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}

/// A logged-in viewer (any role).
#[derive(Debug, Clone)]
pub struct Signed {
    pub viewer: Viewer,
    pub caller: Caller,
}

impl FromRequestParts<Arc<AppState>> for Signed {
    type Rejection = Failure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Signed, Failure> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        match viewer.caller.clone() {
            Some(caller) => Ok(Signed { viewer, caller }),
            None => Err(Failure::login_needed(&viewer.here)),
        }
    }
}
