//! The one error type of the HTTP faces. Every refusal the server gives, its own and the
//! framework's, is an [`ApiError`] answered as RFC 9457 problem+json: a stable `type`, a
//! bilingual title, a detail that says what to do, and the JSON path of the problem where there
//! is one. Handlers return `Result<_, ApiError>` and use `?`; service errors convert with `From`.

use std::borrow::Cow;

use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The prefix of every problem `type`; the rest is a stable slug ([`ApiError::kind`]).
pub const PROBLEM_BASE: &str = "https://beian.invalid/problems/";

/// An RFC 9457 problem document, as serialised.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: Cow<'static, str>,
    pub status: u16,
    pub detail: String,
    /// Where in the request the problem is (`application.subject.nature`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// A refusal on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// The stable slug of the problem type (`order-not-found`, `forbidden`, …).
    pub kind: &'static str,
    /// `中文 / English`.
    pub title: Cow<'static, str>,
    pub detail: String,
    pub path: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    pub fn new(
        status: StatusCode,
        kind: &'static str,
        title: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            kind,
            title: title.into(),
            detail: detail.into(),
            path: None,
            headers: Vec::new(),
        }
    }

    /// The same problem, pointing at `path` in the request.
    pub fn at(mut self, path: impl Into<String>) -> ApiError {
        let path = path.into();
        self.path = (!path.is_empty() && path != ".").then_some(path);
        self
    }

    /// The same problem with a response header (`Retry-After`, `WWW-Authenticate`).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> ApiError {
        self.headers.push((name, value));
        self
    }

    /// 422: the request is well-formed but a field is unusable; `path` names it.
    pub fn unusable(path: impl Into<String>, detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unusable-input",
            "输入无法使用 / Unusable input",
            detail,
        )
        .at(path)
    }

    /// 422 with a title of its own.
    pub fn invalid(
        path: impl Into<String>,
        title: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid-field",
            title,
            detail,
        )
        .at(path)
    }

    /// 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "需要登录 / Authentication required",
            "send Authorization: Bearer <token> from POST /api/v1/sessions",
        )
        .with_header(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// 403: the caller's role may not do this (decided before anything about the target is read).
    pub fn forbidden(title: impl Into<Cow<'static, str>>, detail: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", title, detail)
    }

    /// 404 for a resource the caller cannot see (absent or someone else's: the same answer).
    pub fn not_found(
        kind: &'static str,
        title: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, kind, title, detail)
    }

    /// 409: the request does not fit the target's current state.
    pub fn conflict(
        kind: &'static str,
        title: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, kind, title, detail)
    }

    /// 503: a dependency (database, administration, file store) does not answer.
    pub fn unavailable(detail: impl Into<String>) -> ApiError {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "服务不可用 / Service unavailable",
            detail,
        )
    }

    /// 500, logged with its cause; the client learns nothing of the cause.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %cause, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "内部错误 / Internal error",
            "the server could not complete the request",
        )
    }

    /// The problem document this error is answered with.
    pub fn problem(&self) -> Problem {
        Problem {
            kind: format!("{PROBLEM_BASE}{}", self.kind),
            title: self.title.clone(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            path: self.path.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.title,
            self.detail
        )
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.problem())).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        for (name, value) in self.headers {
            headers.insert(name, value);
        }
        response
    }
}

impl From<beian_store::StoreError> for ApiError {
    fn from(e: beian_store::StoreError) -> ApiError {
        use beian_store::StoreError as E;
        match e {
            E::Conflict(_) => ApiError::conflict(
                "order-changed",
                "订单已变化 / Order changed",
                "reload the order and try again",
            ),
            E::OrderInProgress => ApiError::conflict(
                "order-in-progress",
                "该证件已有进行中的订单 / Order in progress",
                "该证件已有进行中的订单，请等待其完成或撤回 / there is an order in progress for this credential: wait for it or withdraw it",
            )
            .at("application.subject.credential.number"),
            E::OrderNotFound(_) => not_found_order(),
            other => ApiError::internal(other),
        }
    }
}

impl From<beian_rules::InputError> for ApiError {
    fn from(e: beian_rules::InputError) -> ApiError {
        ApiError::unusable(e.path, e.message)
    }
}

/// The answer for an order that is absent or not the caller's.
pub fn not_found_order() -> ApiError {
    ApiError::not_found(
        "order-not-found",
        "订单不存在 / Order not found",
        "no such order in this account",
    )
}

/// The bilingual title and stable type of a status the framework refuses with, for
/// [`framework_refusals`].
fn framework_problem(status: StatusCode) -> Option<(&'static str, &'static str, &'static str)> {
    Some(match status.as_u16() {
        400 => (
            "bad-request",
            "请求无法解析 / Bad request",
            "请求体必须是 UTF-8 编码的 JSON / the body must be JSON in UTF-8",
        ),
        404 => (
            "no-such-route",
            "路径不存在 / Not found",
            "没有这个接口，请查看 /api/docs / no such route: see /api/docs",
        ),
        405 => (
            "method-not-allowed",
            "方法不允许 / Method not allowed",
            "此路径不接受该方法，允许的方法见 Allow 头 / this path does not take that method: see the Allow header",
        ),
        408 => (
            "timeout",
            "请求超时 / Request timeout",
            "请重试 / retry the request",
        ),
        413 => (
            "body-too-large",
            "请求体过大 / Body too large",
            "请求体超过上限（JSON 1 MiB，上传 4 MB）/ the body is over the limit (JSON 1 MiB, uploads 4 MB)",
        ),
        415 => (
            "unsupported-media-type",
            "内容类型不支持 / Unsupported media type",
            "JSON 接口只接受 Content-Type: application/json / a JSON route accepts only Content-Type: application/json",
        ),
        422 => (
            "unusable-input",
            "请求体无法使用 / Unusable request body",
            "请按接口文档填写 / see /api/docs",
        ),
        _ => return None,
    })
}

/// Middleware: a refusal that is not already problem+json (the framework's own 404, 405, 413,
/// the body extractors' 400 and 422) is answered as one, keeping its status and headers.
pub async fn framework_refusals(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/problem+json"));
    if is_problem {
        return response;
    }
    let Some((kind, title, fix)) = framework_problem(status) else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    // The framework's text says which part failed ("Failed to buffer the request body: length
    // limit exceeded"); it carries nothing of the request's content, so it is kept as context.
    let said = axum::body::to_bytes(body, 4096)
        .await
        .ok()
        .and_then(|b| String::from_utf8(b.to_vec()).ok())
        .unwrap_or_default();
    let detail = if said.trim().is_empty() {
        fix.to_owned()
    } else {
        format!("{fix} ({})", said.trim())
    };
    let mut problem = ApiError::new(status, kind, title, detail).into_response();
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    let body = std::mem::take(problem.body_mut());
    Response::from_parts(parts, body)
}

/// A JSON body whose problems are answered as problem+json naming the field, in both languages
/// (axum's own `Json` answers in plain English text). The body must be sent as
/// `application/json` (checked by [`crate::authz`] before the handler runs).
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                let status = e.status();
                ApiError::new(
                    status,
                    if status == StatusCode::PAYLOAD_TOO_LARGE {
                        "body-too-large"
                    } else {
                        "bad-request"
                    },
                    if status == StatusCode::PAYLOAD_TOO_LARGE {
                        "请求体过大 / Body too large"
                    } else {
                        "请求体无法读取 / Body unreadable"
                    },
                    e.body_text(),
                )
            })?;
        parse_body(&bytes).map(ApiJson)
    }
}

/// Parse a JSON body, answering problems as problem+json naming the field (for handlers that
/// check something about the target before they look at the body).
pub fn parse_body<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if std::str::from_utf8(bytes).is_err() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "请求体不是 UTF-8 / Body not UTF-8",
            "请求体必须是 UTF-8 编码的 JSON / the body must be JSON in UTF-8",
        ));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unusable-input",
            "请求体无法使用 / Unusable request body",
            format!("请按接口文档填写 / see /api/docs: {}", e.inner()),
        )
        .at(path)
    })
}

/// A request body as UTF-8 text (the rules' documents), refused as problem+json otherwise.
pub struct Utf8Body(pub String);

impl<S: Send + Sync> axum::extract::FromRequest<S> for Utf8Body {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| {
                ApiError::new(
                    e.status(),
                    "bad-request",
                    "请求体无法读取 / Body unreadable",
                    e.body_text(),
                )
            })?;
        String::from_utf8(bytes.to_vec())
            .map(Utf8Body)
            .map_err(|e| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad-request",
                    "请求体不是 UTF-8 / Body not UTF-8",
                    format!(
                        "第 {} 字节起不是 UTF-8 / the body is not UTF-8 from byte {}",
                        e.utf8_error().valid_up_to(),
                        e.utf8_error().valid_up_to()
                    ),
                )
            })
    }
}
