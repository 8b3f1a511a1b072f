//! The HTTP modes: a reverse proxy (allowed requests go to the upstream, denied ones get the
//! block page) and an authorization endpoint (204 allow, 403 deny) for nginx `auth_request` and
//! Envoy `ext_authz`.
//!
//! Logs carry the host and the reason only: never a path, a query, a header or a client address.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{Either, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::http::uri::{Authority, PathAndQuery, Scheme};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri, Version};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

use crate::serve::{Limits, accept_loop, http_builder, http1_builder};
use crate::{Decision, Gate, Reason, Verdict};

/// The reason header on every denial.
pub const DENY_HEADER: &str = "x-beian-deny";

type Body = Either<Incoming, Full<Bytes>>;

/// Proxy settings.
#[derive(Debug, Clone)]
pub struct ProxyOptions {
    /// The upstream (`host:port`), spoken to in HTTP/1.1 with a keep-alive pool.
    pub upstream: String,
    /// The provider's contact line on the block page (plain text).
    pub contact: String,
    pub limits: Limits,
}

/// The block page for each reason, split around the host.
struct Pages {
    parts: Vec<(Bytes, Bytes)>,
}

impl Pages {
    fn new(contact: &str) -> Pages {
        let parts = Reason::ALL
            .iter()
            .map(|r| {
                let page = crate::page::render(*r, Some("\u{1}"), contact);
                let (a, b) = page.split_once('\u{1}').unwrap_or((&page, ""));
                (Bytes::from(a.to_owned()), Bytes::from(b.to_owned()))
            })
            .collect();
        Pages { parts }
    }

    fn page(&self, reason: Reason, host: Option<&str>) -> Bytes {
        let i = Reason::ALL.iter().position(|r| *r == reason).unwrap_or(0);
        let (a, b) = &self.parts[i];
        // The host is normalised (lower-case LDH ASCII): nothing to escape.
        let host = host.unwrap_or("");
        let mut out = Vec::with_capacity(a.len() + host.len() + b.len());
        out.extend_from_slice(a);
        out.extend_from_slice(host.as_bytes());
        out.extend_from_slice(b);
        Bytes::from(out)
    }
}

struct ProxyState {
    gate: Arc<Gate>,
    client: Client<HttpConnector, Limited<Incoming>>,
    upstream: Authority,
    pages: Pages,
    limits: Limits,
}

/// The raw host of a request: the URI's authority (HTTP/2 `:authority`, or an absolute-form
/// HTTP/1.1 target, which RFC 9112 §3.2.2 puts before `Host`), else the `Host` header. Two
/// `Host` headers are no host at all.
fn request_host(req: &Request<Incoming>) -> Option<&[u8]> {
    let mut hosts = req.headers().get_all(header::HOST).iter();
    let first = hosts.next();
    if hosts.next().is_some() {
        return None;
    }
    match req.uri().authority() {
        Some(a) => Some(a.as_str().as_bytes()),
        None => first.map(HeaderValue::as_bytes),
    }
}

fn deny_response(pages: &Pages, reason: Reason, verdict: &Verdict) -> Response<Body> {
    let host = verdict.host.as_ref().map(|h| h.as_str());
    let mut resp = Response::new(Either::Right(Full::new(pages.page(reason, host))));
    *resp.status_mut() = StatusCode::FORBIDDEN;
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        HeaderName::from_static(DENY_HEADER),
        HeaderValue::from_static(reason.as_str()),
    );
    resp
}

fn plain(status: StatusCode, text: &'static str) -> Response<Body> {
    let mut resp = Response::new(Either::Right(Full::new(Bytes::from_static(
        text.as_bytes(),
    ))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

/// Does `Connection` name this token?
fn connection_names(headers: &HeaderMap, token: &str) -> bool {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(token))
}

/// Remove hop-by-hop headers (RFC 9110 §7.6.1), including those named by `Connection`.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for n in named {
        headers.remove(n);
    }
    for n in [
        header::CONNECTION,
        header::PROXY_AUTHENTICATE,
        header::PROXY_AUTHORIZATION,
        header::TE,
        header::TRAILER,
        header::TRANSFER_ENCODING,
        header::UPGRADE,
    ] {
        headers.remove(n);
    }
    headers.remove("keep-alive");
    headers.remove("proxy-connection");
}

async fn proxy_request(
    state: Arc<ProxyState>,
    mut req: Request<Incoming>,
    peer: SocketAddr,
) -> Result<Response<Body>, Infallible> {
    let raw_host = request_host(&req).unwrap_or(b"");
    let verdict = state
        .gate
        .decide_request(raw_host, req.uri().path().as_bytes());
    if let Decision::Deny(reason) = verdict.decision {
        tracing::debug!(
            host = verdict.host.as_ref().map(|h| h.as_str()),
            reason = reason.as_str(),
            "denied"
        );
        return Ok(deny_response(&state.pages, reason, &verdict));
    }
    // The host as the client sent it, for the upstream: the `Host` header's own value (shared,
    // not copied) or, for an absolute-form target, its authority.
    let host_value = match req.uri().authority() {
        Some(a) => HeaderValue::from_str(a.as_str()).ok(),
        None => req.headers().get(header::HOST).cloned(),
    };
    // The target moves to the upstream: its path and query kept, the authority replaced (parsed
    // once at start).
    let mut target = std::mem::take(req.uri_mut()).into_parts();
    target.scheme = Some(Scheme::HTTP);
    target.authority = Some(state.upstream.clone());
    if target.path_and_query.is_none() {
        target.path_and_query = Some(PathAndQuery::from_static("/"));
    }
    let Ok(uri) = Uri::from_parts(target) else {
        return Ok(plain(StatusCode::BAD_REQUEST, "bad request target\n"));
    };
    *req.uri_mut() = uri;
    *req.version_mut() = Version::HTTP_11;
    // An upgrade (WebSocket): `Upgrade` and `Connection: upgrade` go to the upstream, and both
    // upgraded connections are spliced once it answers 101.
    let upgrade = req
        .headers()
        .get(header::UPGRADE)
        .filter(|_| connection_names(req.headers(), "upgrade"))
        .cloned();
    let client_upgrade = upgrade.as_ref().map(|_| hyper::upgrade::on(&mut req));
    let headers = req.headers_mut();
    strip_hop_by_hop(headers);
    if let Some(u) = upgrade {
        headers.insert(header::UPGRADE, u);
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
    }
    if let Some(h) = host_value {
        // The upstream sees the host that was decided on, under every name an application might
        // route by: a client's own `X-Forwarded-Host: unfiled.cn` must not ride on a filed Host.
        headers.insert(header::HOST, h.clone());
        headers.insert("x-forwarded-host", h);
    }
    for spoofable in [
        "forwarded",
        "x-original-host",
        "x-host",
        "x-forwarded-server",
    ] {
        headers.remove(spoofable);
    }
    headers.insert("x-forwarded-proto", HeaderValue::from_static("http"));
    let xff = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(prev) => format!("{prev}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        headers.insert("x-forwarded-for", v);
    }
    let max_body = state.limits.max_body_bytes;
    if let Some(max) = max_body {
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        if declared.is_some_and(|n| n > max) {
            return Ok(plain(
                StatusCode::PAYLOAD_TOO_LARGE,
                "请求体过大 / request body too large\n",
            ));
        }
    }
    let limit = max_body.map_or(usize::MAX, |m| usize::try_from(m).unwrap_or(usize::MAX));
    let req = req.map(|body| Limited::new(body, limit));
    match tokio::time::timeout(state.limits.upstream_timeout, state.client.request(req)).await {
        Ok(Ok(mut resp)) => {
            if resp.status() == StatusCode::SWITCHING_PROTOCOLS
                && let Some(client_upgrade) = client_upgrade
            {
                let upstream_upgrade = hyper::upgrade::on(&mut resp);
                tokio::spawn(async move {
                    if let (Ok(c), Ok(u)) = (client_upgrade.await, upstream_upgrade.await) {
                        let _ = tokio::io::copy_bidirectional(
                            &mut TokioIo::new(c),
                            &mut TokioIo::new(u),
                        )
                        .await;
                    }
                });
                let (parts, body) = resp.into_parts();
                return Ok(Response::from_parts(parts, Either::Left(body)));
            }
            let (mut parts, body) = resp.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Ok(Response::from_parts(parts, Either::Left(body)))
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "upstream request failed");
            Ok(plain(StatusCode::BAD_GATEWAY, "upstream unavailable\n"))
        }
        Err(_) => Ok(plain(StatusCode::GATEWAY_TIMEOUT, "upstream timed out\n")),
    }
}

/// The upstream (`host:port`) as a URI authority; `beian gate proxy` checks it at start.
pub fn upstream_authority(upstream: &str) -> Result<Authority, hyper::http::uri::InvalidUri> {
    Authority::try_from(upstream)
}

/// Run the reverse proxy on `listener` for ever.
pub async fn serve_proxy(listener: TcpListener, gate: Arc<Gate>, options: ProxyOptions) {
    let upstream = match upstream_authority(&options.upstream) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(upstream = %options.upstream, error = %e, "the upstream is not HOST:PORT");
            return;
        }
    };
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(options.limits.connect_timeout));
    let client = Client::builder(TokioExecutor::new())
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .pool_max_idle_per_host(1024)
        .build(connector);
    let state = Arc::new(ProxyState {
        gate: Arc::clone(&gate),
        client,
        upstream,
        pages: Pages::new(&options.contact),
        limits: options.limits.clone(),
    });
    let builder = Arc::new(http1_builder(&options.limits));
    accept_loop(listener, gate, &options.limits, move |stream, peer| {
        let state = Arc::clone(&state);
        let builder = Arc::clone(&builder);
        async move {
            let svc = service_fn(move |req| proxy_request(Arc::clone(&state), req, peer));
            let _ = builder
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        }
    })
    .await;
}

/// Authorization endpoint settings.
#[derive(Debug, Clone, Default)]
pub struct AuthzOptions {
    /// Read the host from `X-Forwarded-Host` when present. Only safe when the front proxy sets
    /// that header itself (otherwise a client could name a filed domain there).
    pub trust_forwarded_host: bool,
    pub limits: Limits,
}

async fn authz_request(
    gate: Arc<Gate>,
    options: Arc<AuthzOptions>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let forwarded = if options.trust_forwarded_host {
        req.headers()
            .get("x-forwarded-host")
            .map(HeaderValue::as_bytes)
    } else {
        None
    };
    let host = match forwarded {
        Some(h) => Some(h),
        None => request_host(&req),
    };
    // nginx passes the original request's URI in a header the configuration sets; Envoy appends
    // the original path to the check request's own.
    let path = req
        .headers()
        .get("x-original-uri")
        .map_or(req.uri().path().as_bytes(), HeaderValue::as_bytes);
    let verdict = gate.decide_request(host.unwrap_or(b""), path);
    let mut resp = Response::new(Full::new(Bytes::new()));
    match verdict.decision {
        Decision::Allow | Decision::AllowAcme => *resp.status_mut() = StatusCode::NO_CONTENT,
        Decision::Deny(reason) => {
            tracing::debug!(
                host = verdict.host.as_ref().map(|h| h.as_str()),
                reason = reason.as_str(),
                "denied"
            );
            *resp.status_mut() = StatusCode::FORBIDDEN;
            resp.headers_mut().insert(
                HeaderName::from_static(DENY_HEADER),
                HeaderValue::from_static(reason.as_str()),
            );
        }
    }
    Ok(resp)
}

/// Run the authorization endpoint on `listener` for ever.
pub async fn serve_authz(listener: TcpListener, gate: Arc<Gate>, options: AuthzOptions) {
    let builder = Arc::new(http_builder(&options.limits));
    let limits = options.limits.clone();
    let options = Arc::new(options);
    accept_loop(listener, Arc::clone(&gate), &limits, move |stream, _| {
        let gate = Arc::clone(&gate);
        let options = Arc::clone(&options);
        let builder = Arc::clone(&builder);
        async move {
            let svc =
                service_fn(move |req| authz_request(Arc::clone(&gate), Arc::clone(&options), req));
            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
        }
    })
    .await;
}
