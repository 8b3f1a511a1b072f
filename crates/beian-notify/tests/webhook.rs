//! WebhookClient against a real HTTP server on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant, UNIX_EPOCH};

use beian_notify::testing::WebhookReceiver;
use beian_notify::{
    DeliveryError, SIGNATURE_HEADER, SignatureError, USER_AGENT, WebhookClient, WebhookDelivery,
    verify,
};

const SECRET: &[u8] = b"whsec_0123456789";
const BODY: &str = r#"{"event":"order.approved","order_id":12,"note":"您的备案订单 #12 已通过初审","marker":"BODY-MARKER-7f3a"}"#;
const WAIT: Duration = Duration::from_secs(5);

fn now() -> i64 {
    UNIX_EPOCH.elapsed().unwrap().as_secs() as i64
}

fn delivery<'a>(url: &'a str, timestamp: i64) -> WebhookDelivery<'a> {
    WebhookDelivery {
        url,
        secret: SECRET,
        event_id: 4711,
        event_kind: "order.approved",
        idempotency_key: "evt-4711",
        body: BODY.as_bytes(),
        timestamp,
    }
}

fn client() -> WebhookClient {
    WebhookClient::new(Duration::from_secs(10)).unwrap()
}

/// A port nobody listens on.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/hook")
}

fn assert_no_secrets(error: &DeliveryError, url: &str) {
    let text = error.to_string();
    assert!(!text.contains("BODY-MARKER"), "{text}");
    assert!(!text.contains(url), "{text}");
}

#[tokio::test]
async fn delivers_signed_request_with_all_headers() {
    let receiver = WebhookReceiver::start(vec![]).await;
    let url = receiver.url();
    let t = now();
    assert_eq!(client().deliver(&delivery(&url, t)).await, Ok(200));

    let requests = receiver.wait_for(1, WAIT).await;
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/hook");
    assert_eq!(r.body_text(), BODY);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("user-agent"), Some(USER_AGENT));
    assert_eq!(
        USER_AGENT,
        concat!("beian-webhook/", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(r.header("idempotency-key"), Some("evt-4711"));
    assert_eq!(r.header("x-beian-event-id"), Some("4711"));
    assert_eq!(r.header("x-beian-event"), Some("order.approved"));
    assert_eq!(r.status, 200);

    // What a receiver does: verify the header against the raw body with its secret.
    let header = r.header(SIGNATURE_HEADER).unwrap();
    assert!(header.starts_with(&format!("t={t},v1=")), "{header}");
    let received = r
        .received_wall
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert_eq!(verify(SECRET, header, &r.body, received, 300), Ok(()));
    assert_eq!(
        verify(b"another secret", header, &r.body, received, 300),
        Err(SignatureError::Mismatch)
    );
}

#[tokio::test]
async fn non_2xx_is_a_status_error_and_the_script_runs_in_order() {
    let receiver = WebhookReceiver::start(vec![500, 503, 404, 204]).await;
    let url = receiver.url();
    let client = client();
    let d = delivery(&url, now());
    let first = client.deliver(&d).await;
    assert_eq!(first, Err(DeliveryError::Status(500)));
    assert!(first.unwrap_err().is_retryable());
    assert_eq!(client.deliver(&d).await, Err(DeliveryError::Status(503)));
    assert_eq!(client.deliver(&d).await, Err(DeliveryError::Status(404)));
    assert_eq!(client.deliver(&d).await, Ok(204));
    assert_eq!(client.deliver(&d).await, Ok(200));
    let statuses: Vec<u16> = receiver.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [500, 503, 404, 204, 200]);
    // Every retry of one event carries the same idempotency key.
    assert!(
        receiver
            .requests()
            .iter()
            .all(|r| r.header("idempotency-key") == Some("evt-4711"))
    );
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let receiver = WebhookReceiver::start(vec![302, 307]).await;
    let url = receiver.url();
    let client = client();
    assert_eq!(
        client.deliver(&delivery(&url, now())).await,
        Err(DeliveryError::Status(302))
    );
    assert_eq!(
        client.deliver(&delivery(&url, now())).await,
        Err(DeliveryError::Status(307))
    );
    assert_eq!(receiver.requests().len(), 2);
}

#[tokio::test]
async fn closed_port_is_a_transport_error() {
    let url = closed_port_url();
    let started = Instant::now();
    let result = client().deliver(&delivery(&url, now())).await;
    let Err(error @ DeliveryError::Transport(_)) = result else {
        panic!("expected a transport error, got {result:?}");
    };
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(error.is_retryable());
    assert!(error.to_string().contains("connect"), "{error}");
    assert_no_secrets(&error, &url);
}

#[tokio::test]
async fn slower_than_the_timeout_is_a_transport_error() {
    let receiver = WebhookReceiver::start(vec![]).await;
    receiver.set_delay(Duration::from_secs(3));
    let url = receiver.url();
    let client = WebhookClient::new(Duration::from_millis(300)).unwrap();
    let started = Instant::now();
    let result = client.deliver(&delivery(&url, now())).await;
    let elapsed = started.elapsed();
    let Err(error @ DeliveryError::Transport(_)) = result else {
        panic!("expected a transport error, got {result:?}");
    };
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
    assert!(error.to_string().contains("timed out"), "{error}");
    assert_no_secrets(&error, &url);
    // The receiver did get it: a timed-out delivery may have been processed (hence the
    // idempotency key).
    assert_eq!(receiver.wait_for(1, WAIT).await.len(), 1);
}

#[tokio::test]
async fn receiver_down_then_back_on_the_same_port() {
    let receiver = WebhookReceiver::start(vec![]).await;
    let url = receiver.url();
    let client = client();
    assert_eq!(client.deliver(&delivery(&url, now())).await, Ok(200));

    receiver.stop().await;
    assert!(!receiver.is_running());
    for _ in 0..2 {
        let result = client.deliver(&delivery(&url, now())).await;
        assert!(
            matches!(result, Err(DeliveryError::Transport(_))),
            "{result:?}"
        );
    }

    receiver.restart().await.unwrap();
    assert_eq!(client.deliver(&delivery(&url, now())).await, Ok(200));
    assert_eq!(receiver.requests().len(), 2);

    // Or a new receiver on the stopped one's address, with its own log and script.
    let addr = receiver.addr();
    receiver.stop().await;
    let second = WebhookReceiver::start_on(addr, vec![500]).await.unwrap();
    assert_eq!(second.url(), url);
    assert_eq!(
        client.deliver(&delivery(&url, now())).await,
        Err(DeliveryError::Status(500))
    );
    assert_eq!(second.requests().len(), 1);
    assert_eq!(receiver.requests().len(), 2);
}

#[tokio::test]
async fn invalid_requests_are_not_retryable() {
    let receiver = WebhookReceiver::start(vec![]).await;
    let url = receiver.url();
    let client = client();

    let mut bad_kind = delivery(&url, now());
    bad_kind.event_kind = "order.approved\r\nX-Injected: 1";
    let result = client.deliver(&bad_kind).await;
    assert!(
        matches!(&result, Err(e @ DeliveryError::InvalidRequest(_)) if !e.is_retryable()),
        "{result:?}"
    );

    for bad_url in ["not a url", "ftp://127.0.0.1/hook", "/relative"] {
        let result = client.deliver(&delivery(bad_url, now())).await;
        assert!(
            matches!(result, Err(DeliveryError::InvalidRequest(_))),
            "{bad_url}: {result:?}"
        );
    }
    assert!(receiver.requests().is_empty());
}

#[tokio::test]
async fn https_runs_rustls_and_fails_cleanly_against_a_plain_server() {
    // The receiver speaks plain HTTP: the TLS handshake fails, as a transport error (the ring
    // provider is wired in: no "no crypto provider" panic).
    let receiver = WebhookReceiver::start(vec![]).await;
    let url = format!("https://{}/hook", receiver.addr());
    let result = client().deliver(&delivery(&url, now())).await;
    assert!(
        matches!(result, Err(DeliveryError::Transport(_))),
        "{result:?}"
    );
}

#[test]
fn debug_output_leaves_out_secret_and_body() {
    let d = delivery("http://127.0.0.1:1/hook", 1);
    let debug = format!("{d:?}");
    assert!(!debug.contains("whsec_0123456789"), "{debug}");
    assert!(!debug.contains("BODY-MARKER"), "{debug}");
    assert!(debug.contains("evt-4711"), "{debug}");
}
