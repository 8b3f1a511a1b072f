//! The administration port (管局接口): everything the provider's side asks of the provincial
//! communications administration goes through [`Administration`], so that a real integration can
//! replace the built-in one ([`BuiltInAdministration`], the registry that shares this database).
//!
//! What crosses the port:
//! - **submissions**: a reviewed order handed over ([`Administration::receive`]); in the SMS
//!   pilot provinces the administration then texts the subject;
//! - **the national record** the rules need ([`Administration::filings`]): the subject's filings
//!   and those holding the application's domains, with whether this provider serves them;
//! - **the public query** ([`Administration::query`]); an administration that does not answer
//!   makes the outcome `unknown`, never `not_filed`.
//!
//! Results come back as decisions of the administration's reviewers. The built-in administration
//! applies a decision to the provider's order in the same transaction as it records it
//! (`Store::approve_order`, the workflow's rejection): a result is never lost between the two
//! sides and, because the order is claimed by `version` and state, never applied twice. A remote
//! administration's adapter would poll its results and apply each through the same calls, moving
//! its cursor only after the apply: a repeated delivery finds the order already decided.

use std::future::Future;
use std::pin::Pin;

use beian_rules::Application;
use beian_store::{OrderRow, QueryBy, RecordedWebsite, Store};
use time::OffsetDateTime;

/// A boxed future, so that the port can be held as `Arc<dyn Administration>`.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The administration did not answer.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    #[error("the administration did not answer: {0}")]
    Unavailable(String),
}

/// An order handed to the administration, in the state the provider left it in
/// (`sms_verification` in the pilot provinces, else `administration_review`).
pub struct Submission<'a> {
    pub order: &'a OrderRow,
    pub application: &'a Application,
    pub at: OffsetDateTime,
}

/// The provincial communications administration, as the provider sees it.
pub trait Administration: Send + Sync {
    /// Receive a submission.
    fn receive<'a>(&'a self, submission: Submission<'a>) -> BoxFuture<'a, Result<(), PortError>>;

    /// Filings on record: every filed website of the subject with credential `credential` and
    /// the filed websites holding any of `domains` (registrable, ASCII), whoever's they are.
    fn filings<'a>(
        &'a self,
        credential: &'a str,
        domains: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<RecordedWebsite>, PortError>>;

    /// The public query (SPEC §10); the caller masks what the public must not see.
    fn query<'a>(
        &'a self,
        by: QueryBy,
        value: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RecordedWebsite>, PortError>>;
}

/// The built-in administration: the national record and the SMS gateway in this database.
#[derive(Debug, Clone)]
pub struct BuiltInAdministration {
    pub store: Store,
    /// This provider's name in the national record.
    pub provider: String,
}

impl Administration for BuiltInAdministration {
    fn receive<'a>(&'a self, s: Submission<'a>) -> BoxFuture<'a, Result<(), PortError>> {
        Box::pin(async move {
            if s.order.state == beian_core::workflow::OrderState::SmsVerification {
                crate::service::verification::open_challenge(
                    &self.store,
                    s.order,
                    s.application,
                    s.at,
                )
                .await
                .map_err(PortError::Unavailable)?;
            }
            Ok(())
        })
    }

    fn filings<'a>(
        &'a self,
        credential: &'a str,
        domains: &'a [String],
    ) -> BoxFuture<'a, Result<Vec<RecordedWebsite>, PortError>> {
        Box::pin(async move {
            self.store
                .filings_for(credential, domains, &self.provider)
                .await
                .map_err(|e| PortError::Unavailable(e.to_string()))
        })
    }

    fn query<'a>(
        &'a self,
        by: QueryBy,
        value: &'a str,
    ) -> BoxFuture<'a, Result<Vec<RecordedWebsite>, PortError>> {
        Box::pin(async move {
            self.store
                .public_query(by, value, &self.provider)
                .await
                .map_err(|e| PortError::Unavailable(e.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use std::sync::Arc;

    /// An administration that never answers.
    struct Down;

    impl Administration for Down {
        fn receive<'a>(&'a self, _: Submission<'a>) -> BoxFuture<'a, Result<(), PortError>> {
            Box::pin(async { Err(PortError::Unavailable("timed out".into())) })
        }
        fn filings<'a>(
            &'a self,
            _: &'a str,
            _: &'a [String],
        ) -> BoxFuture<'a, Result<Vec<RecordedWebsite>, PortError>> {
            Box::pin(async { Err(PortError::Unavailable("timed out".into())) })
        }
        fn query<'a>(
            &'a self,
            _: QueryBy,
            _: &'a str,
        ) -> BoxFuture<'a, Result<Vec<RecordedWebsite>, PortError>> {
            Box::pin(async { Err(PortError::Unavailable("timed out".into())) })
        }
    }

    #[tokio::test]
    async fn an_administration_that_does_not_answer_makes_the_public_query_unknown() {
        let dir = std::env::temp_dir().join(format!("beian-admin-port-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}", dir.join("beian.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let mut state = crate::AppState::new(store).unwrap();
        let served = |state: crate::AppState| async move {
            let app =
                crate::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            tokio::spawn(async move { axum::serve(listener, app).await });
            format!("http://{addr}/api/v1/public/query?domain=yunfan.cn")
        };
        // The built-in administration answers: not filed.
        let url_up = served(state.clone()).await;
        let r = reqwest::get(&url_up).await.unwrap();
        assert_eq!(r.status(), 200);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["outcome"], "not_filed");
        // One that does not answer: unknown, never "not filed".
        state.administration = Arc::new(Down);
        let url_down = served(state).await;
        let r = reqwest::get(&url_down).await.unwrap();
        assert_eq!(r.status(), 503);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["outcome"], "unknown");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
