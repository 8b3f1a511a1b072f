//! After approval: the applicant's filed subjects and websites with their ICP numbers, the
//! footer snippet to copy (the number linked to the MIIT site), the changes and cancellations
//! started from a filed website, and the rectification notices with their deadlines. What is on
//! record and whose it is comes from `service::filed`.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use beian_server::AppState;
use time::OffsetDateTime;

use crate::PageResult;
use crate::page::{Chrome, encode_component, render};
use crate::session::Signed;
use crate::views::order::china_time;

pub fn routes(r: Router<Arc<AppState>>) -> Router<Arc<AppState>> {
    r.route("/filed", get(filed))
        .route("/rectifications", get(filed))
}

/// The MIIT filing system the footer number links to.
pub const MIIT_URL: &str = "https://beian.miit.gov.cn/";

/// A link that starts a change or a cancellation from a filed website.
pub struct StartLink {
    pub filing_type: &'static str,
    pub label: String,
    pub href: String,
}

pub struct FiledWebsite {
    pub n: usize,
    pub name: String,
    pub number: String,
    pub domains: String,
    pub service_number: String,
    pub accessed_here: bool,
    /// The footer snippet, as text.
    pub snippet: String,
    pub changes: Vec<StartLink>,
    pub cancellations: Vec<StartLink>,
}

pub struct FiledSubject {
    pub number: String,
    pub name: String,
    pub credential: String,
    pub websites: Vec<FiledWebsite>,
}

pub struct NoticeView {
    pub id: i64,
    pub subject_number: String,
    pub reason: String,
    pub deadline: String,
    pub deadline_iso: String,
    pub state: String,
    pub state_name: String,
    pub overdue: bool,
}

#[derive(Template)]
#[template(path = "filed.html")]
pub struct FiledPage {
    pub c: Chrome,
    pub subjects: Vec<FiledSubject>,
    pub notices: Vec<NoticeView>,
}

/// The footer snippet of a website number: the number linked to the MIIT site.
pub fn snippet(number: &str) -> String {
    format!("<a href=\"{MIIT_URL}\" target=\"_blank\" rel=\"noopener\">{number}</a>")
}

/// `GET /filed` (and `/rectifications`): the caller's filed websites and its notices.
async fn filed(State(state): State<Arc<AppState>>, s: Signed) -> PageResult {
    let c = Chrome::new(&s.viewer, "filed-title");
    let tr = c.tr;
    let websites = beian_server::service::filed::filed_websites(&state, &s.caller).await?;
    let mut subjects: Vec<FiledSubject> = Vec::new();
    for (i, w) in websites.into_iter().enumerate() {
        let start = |types: &[&'static str]| -> Vec<StartLink> {
            types
                .iter()
                .map(|t| StartLink {
                    filing_type: t,
                    label: tr.t(&format!("filed-start-{t}")),
                    href: format!(
                        "/orders/new?type={t}&website={}",
                        encode_component(&w.website_number)
                    ),
                })
                .collect()
        };
        let website = FiledWebsite {
            n: i + 1,
            snippet: snippet(&w.website_number),
            changes: start(&["change_website", "change_subject", "change_access"]),
            cancellations: start(&["cancel_website", "cancel_access", "cancel_subject"]),
            name: w.website_name.clone(),
            number: w.website_number.clone(),
            domains: w.domains.join(", "),
            service_number: w.service_number.clone().unwrap_or_default(),
            accessed_here: w.accessed_here,
        };
        match subjects.iter_mut().find(|x| x.number == w.subject_number) {
            Some(subject) => subject.websites.push(website),
            None => subjects.push(FiledSubject {
                number: w.subject_number.clone(),
                name: w.subject_name.clone(),
                credential: beian_core::mask::credential_number(&w.credential),
                websites: vec![website],
            }),
        }
    }
    let now = OffsetDateTime::now_utc();
    let notices = beian_server::service::filed::rectifications(&state, &s.caller)
        .await?
        .into_iter()
        .map(|r| {
            // Due at the end of its last day: shown as that day's 23:59, not the next midnight.
            let (deadline, deadline_iso) = china_time(r.deadline - time::Duration::seconds(1));
            NoticeView {
                id: r.id,
                subject_number: r.subject_number,
                reason: r.reason,
                deadline,
                deadline_iso,
                state_name: tr.t(&format!("filed-notice-{}", r.state)),
                overdue: r.state == "overdue" || (r.state == "open" && r.deadline <= now),
                state: r.state,
            }
        })
        .collect();
    Ok(render(&FiledPage {
        c,
        subjects,
        notices,
    }))
}
