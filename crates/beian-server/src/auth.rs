//! Accounts and authentication: registration of applicant accounts, login with argon2id password
//! hashes (hashed and verified off the async workers), bearer tokens stored as SHA-256 digests,
//! and the [`Caller`] extractor that every protected route takes.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use beian_store::{AccountRow, StoreError};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use crate::AppState;
use crate::error::{ApiError, ApiJson};
use beian_core::workflow::Role;

/// How long a token lives.
pub const TOKEN_LIFETIME: Duration = Duration::days(30);

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub account: AccountRow,
    /// The account's role (an unknown stored name counts as the least: an applicant).
    pub role: Role,
    /// Where the request came from (the peer address the server saw), for the audit trail.
    pub from: Option<std::net::IpAddr>,
}

impl Caller {
    fn of(account: AccountRow) -> Caller {
        let role = Role::parse(&account.role).unwrap_or(Role::Applicant);
        Caller {
            account,
            role,
            from: None,
        }
    }

    /// The same caller, seen coming from the request's peer address.
    pub fn from_request(mut self, parts: &Parts) -> Caller {
        self.from = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        self
    }

    /// The actor named in history entries.
    pub fn actor(&self) -> String {
        format!("account:{}", self.account.id)
    }

    /// The account id as orders store it.
    pub fn account_id(&self) -> String {
        self.account.id.to_string()
    }
}

/// The SHA-256 digest (hex) a token is stored under.
pub fn token_digest(token: &str) -> String {
    let d = Sha256::digest(token.as_bytes());
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_token() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    Ok(format!(
        "bn_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Caller, ApiError> {
        // The authorization middleware has resolved it already on every non-public route.
        if let Some(c) = parts.extensions.get::<Caller>() {
            return Ok(c.clone());
        }
        resolve_caller(parts, state).await
    }
}

/// The caller a request authenticates as: its bearer token, else its session cookie (with the
/// CSRF check for anything but GET and HEAD).
pub async fn resolve_caller(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let token = match bearer_token(&parts.headers) {
        Some(t) => t.to_owned(),
        None => session_from_cookies(parts)?,
    };
    caller_for_token(state, &token)
        .await?
        .map(|c| c.from_request(parts))
        .ok_or_else(ApiError::unauthenticated)
}

/// The account a token (bearer or session cookie) belongs to, if it is live.
pub async fn caller_for_token(state: &AppState, token: &str) -> Result<Option<Caller>, ApiError> {
    let digest = token_digest(token);
    if let Some(account) = state.token_cache.get(&digest) {
        return Ok(Some(Caller::of(account)));
    }
    match state
        .store
        .account_for_token(&digest, OffsetDateTime::now_utc())
        .await?
    {
        Some(account) => {
            state.token_cache.put(digest, account.clone());
            Ok(Some(Caller::of(account)))
        }
        None => Ok(None),
    }
}

/// The session cookie the console uses (HttpOnly, Secure, SameSite=Lax), and its CSRF companion:
/// a request that changes anything and authenticates by cookie must repeat the `beian_csrf`
/// cookie's value in an `X-CSRF-Token` header (or, in the console's forms, a field), which a page
/// of another site cannot read.
pub const SESSION_COOKIE: &str = "beian_session";
pub const CSRF_COOKIE: &str = "beian_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The token in `Authorization: Bearer …`, if any.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// The token a request presents: its bearer token, else its session cookie.
pub fn presented_token(headers: &axum::http::HeaderMap) -> Option<String> {
    bearer_token(headers)
        .or_else(|| cookie_in(headers, SESSION_COOKIE))
        .map(str::to_owned)
}

fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    cookie_in(&parts.headers, name)
}

/// A cookie's value from the request's headers.
pub fn cookie_in<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// The session token from the cookies; for anything but GET and HEAD, only with the CSRF token.
fn session_from_cookies(parts: &Parts) -> Result<String, ApiError> {
    let token = cookie(parts, SESSION_COOKIE).ok_or_else(ApiError::unauthenticated)?;
    let safe = matches!(
        parts.method,
        axum::http::Method::GET | axum::http::Method::HEAD
    );
    if !safe {
        let expected = cookie(parts, CSRF_COOKIE);
        let presented = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        if expected.is_none() || expected != presented {
            return Err(ApiError::forbidden(
                "请求来源无法验证 / CSRF check failed",
                "a change made with the session cookie must carry the X-CSRF-Token header with the beian_csrf cookie's value",
            )
            .at(CSRF_HEADER));
        }
    }
    Ok(token.to_owned())
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Registration {
    pub login: String,
    pub password: String,
    #[serde(default)]
    pub display_name: String,
    /// Where status notifications are e-mailed (optional).
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AccountView {
    pub id: i64,
    pub login: String,
    pub role: String,
    pub display_name: String,
}

impl From<AccountRow> for AccountView {
    fn from(a: AccountRow) -> AccountView {
        AccountView {
            id: a.id,
            login: a.login,
            role: a.role,
            display_name: a.display_name,
        }
    }
}

/// Hash a password with argon2id (blocking: call it off the async workers).
pub fn hash_password(password: &str) -> Result<String, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
}

/// Check a login and a password; the problem names the field and the fix, in both languages.
fn validate(r: &Registration) -> Result<(), ApiError> {
    // The same rules as every other way of creating an account (`beian accounts create`).
    let invalid = |field: &'static str, e: beian_store::CredentialError| {
        let text = e.to_string();
        let (title, detail) = text
            .split_once(": ")
            .unwrap_or(("字段无效 / Invalid field", &text));
        ApiError::invalid(field, title.to_owned(), detail.to_owned())
    };
    beian_store::validate_login(&r.login).map_err(|e| invalid("login", e))?;
    beian_store::validate_email(&r.email).map_err(|e| invalid("email", e))?;
    beian_store::validate_password(&r.password).map_err(|e| invalid("password", e))?;
    Ok(())
}

/// `POST /api/v1/accounts`: register an applicant account.
pub async fn register(
    State(state): State<Arc<AppState>>,
    ApiJson(r): ApiJson<Registration>,
) -> Result<Response, ApiError> {
    let account = create_account(&state, &r, Role::Applicant).await?;
    Ok((StatusCode::CREATED, Json(account)).into_response())
}

/// Create an account of `role` after checking login, e-mail and password (the service behind
/// registration and the supervisors' staff accounts).
pub async fn create_account(
    state: &AppState,
    r: &Registration,
    role: Role,
) -> Result<AccountView, ApiError> {
    validate(r)?;
    let password = r.password.clone();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    match state
        .store
        .create_account(
            r.login.trim(),
            &hash,
            role.as_str(),
            r.display_name.trim(),
            r.email.trim(),
            OffsetDateTime::now_utc(),
        )
        .await
    {
        Ok(a) => Ok(AccountView::from(a)),
        Err(StoreError::LoginTaken) => Err(ApiError::conflict(
            "login-taken",
            "登录名已被使用 / Login taken",
            "请换一个登录名 / choose another login",
        )
        .at("login")),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct Login {
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Session {
    pub token: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schemars(with = "String")]
    pub expires_at: OffsetDateTime,
    pub account: AccountView,
}

/// A hash to verify against when the login does not exist, so that a wrong login and a wrong
/// password take the same time.
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(b"no such account", &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// A session just opened: the bearer token, the console's CSRF value, when it ends, who.
#[derive(Debug)]
pub struct OpenedSession {
    pub token: String,
    pub csrf: String,
    pub expires_at: OffsetDateTime,
    pub account: AccountRow,
}

impl OpenedSession {
    /// The `Set-Cookie` values of the console's session: the token in a cookie script cannot
    /// read, and the CSRF value pages repeat.
    pub fn cookies(&self) -> Vec<HeaderValue> {
        let max_age = TOKEN_LIFETIME.whole_seconds();
        [
            format!(
                "{SESSION_COOKIE}={}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax",
                self.token
            ),
            format!(
                "{CSRF_COOKIE}={}; Path=/; Max-Age={max_age}; Secure; SameSite=Lax",
                self.csrf
            ),
        ]
        .iter()
        .filter_map(|c| HeaderValue::from_str(c).ok())
        .collect()
    }
}

/// The `Set-Cookie` values that end the console's session.
pub fn cleared_session_cookies() -> Vec<HeaderValue> {
    [SESSION_COOKIE, CSRF_COOKIE]
        .iter()
        .filter_map(|name| {
            HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0; Secure; SameSite=Lax")).ok()
        })
        .collect()
}

/// Check a login and password (argon2id, off the async workers; an unknown login takes as long
/// as a wrong password) and open a session: the service behind the API's and the console's login.
pub async fn open_session(
    state: &AppState,
    login: &str,
    password: &str,
) -> Result<OpenedSession, ApiError> {
    let found = state.store.account_by_login(login.trim()).await?;
    let stored = found.as_ref().map(|(_, h)| h.clone());
    let password = password.to_owned();
    let verified = tokio::task::spawn_blocking(move || {
        let stored = stored.unwrap_or_else(|| DUMMY_HASH.clone());
        PasswordHash::new(&stored).is_ok_and(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false);
    let Some((account, _)) = found.filter(|_| verified) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "login-failed",
            "登录失败 / Login failed",
            "登录名或密码错误 / wrong login or password",
        ));
    };
    let token = new_token().map_err(ApiError::internal)?;
    let now = OffsetDateTime::now_utc();
    let expires_at = now + TOKEN_LIFETIME;
    state
        .store
        .create_token(&token_digest(&token), account.id, now, expires_at)
        .await?;
    let csrf = new_token().map_err(ApiError::internal)?;
    Ok(OpenedSession {
        token,
        csrf,
        expires_at,
        account,
    })
}

/// End the session of `token` (at once here; other server instances may honour it for up to
/// [`TokenCache::TTL`]).
pub async fn close_session(state: &AppState, token: &str) -> Result<(), ApiError> {
    let digest = token_digest(token);
    state.token_cache.forget(&digest);
    state.store.delete_token(&digest).await?;
    Ok(())
}

/// `POST /api/v1/sessions`: log in, receive a bearer token.
pub async fn login(
    State(state): State<Arc<AppState>>,
    ApiJson(l): ApiJson<Login>,
) -> Result<Response, ApiError> {
    let opened = open_session(&state, &l.login, &l.password).await?;
    let cookies = opened.cookies();
    let mut response = Json(Session {
        token: opened.token,
        expires_at: opened.expires_at,
        account: opened.account.into(),
    })
    .into_response();
    for v in cookies {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// `DELETE /api/v1/sessions`: log out: the token is revoked (at once here; other server instances
/// may honour it for up to [`TokenCache::TTL`]) and the cookies are cleared.
pub async fn logout(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    parts: Parts,
) -> Result<Response, ApiError> {
    let token = presented_token(&parts.headers).unwrap_or_default();
    close_session(&state, &token).await?;
    tracing::info!(account = caller.account.id, "logged out");
    let mut response = StatusCode::NO_CONTENT.into_response();
    for v in cleared_session_cookies() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

/// `GET /api/v1/me`: who the token belongs to.
pub async fn me(caller: Caller) -> Json<AccountView> {
    Json(caller.account.into())
}

/// Accounts of recently seen tokens, so that a burst of requests does not read the token table for
/// each one. Entries live [`TokenCache::TTL`]: a token that expires or an account whose role
/// changes is seen as such within that time. Bounded: cleared when full.
#[derive(Debug, Default)]
pub struct TokenCache {
    entries: std::sync::Mutex<std::collections::HashMap<String, (AccountRow, std::time::Instant)>>,
}

impl TokenCache {
    pub const TTL: std::time::Duration = std::time::Duration::from_secs(5);
    const CAPACITY: usize = 10_000;

    fn get(&self, digest: &str) -> Option<AccountRow> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(digest)
            .filter(|(_, at)| at.elapsed() < Self::TTL)
            .map(|(a, _)| a.clone())
    }

    /// Forget every cached token (an account was disabled: its tokens stop working here at once).
    pub fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    fn forget(&self, digest: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.remove(digest);
        }
    }

    fn put(&self, digest: String, account: AccountRow) {
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::CAPACITY {
                entries.clear();
            }
            entries.insert(digest, (account, std::time::Instant::now()));
        }
    }
}
