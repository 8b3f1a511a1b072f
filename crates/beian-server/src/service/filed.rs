//! What an applicant has on record: its subjects' filed websites with their ICP numbers, the
//! numbers an approved order's websites hold, and the rectification notices of its subject. The
//! JSON API (`crate::routes::rectifications`) and the console call these.

use beian_core::workflow::{OrderState, Role};
use beian_store::{OrderRow, RecordedWebsite, Rectification, StoreError};

use crate::AppState;
use crate::auth::Caller;
use crate::service::filing::{self, FilingError};

/// The subject number of an applicant's filed subject (one account ↔ one subject).
pub async fn own_subject(state: &AppState, caller: &Caller) -> Result<Option<String>, StoreError> {
    for o in state.store.orders_of(&caller.account_id()).await? {
        if let Some(s) = state.store.subject_on_record(&o.credential).await? {
            return Ok(Some(s));
        }
    }
    Ok(None)
}

/// Rectification notices, newest first: staff see every notice; an applicant its own
/// subject's (none without a filed subject).
pub async fn rectifications(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<Rectification>, StoreError> {
    let subject = if caller.role == Role::Applicant {
        match own_subject(state, caller).await? {
            Some(s) => Some(s),
            None => return Ok(Vec::new()),
        }
    } else {
        None
    };
    state.store.rectifications(subject.as_deref()).await
}

/// The websites on record of the subjects the caller's approved orders filed, by website number
/// (each once). A subject counts only through an approved order of this account.
pub async fn filed_websites(
    state: &AppState,
    caller: &Caller,
) -> Result<Vec<RecordedWebsite>, StoreError> {
    let mut credentials: Vec<String> = Vec::new();
    for o in state.store.orders_of(&caller.account_id()).await? {
        if o.state == OrderState::Approved && !credentials.contains(&o.credential) {
            credentials.push(o.credential);
        }
    }
    let mut out: Vec<RecordedWebsite> = Vec::new();
    for c in credentials {
        for w in state.store.filings_for(&c, &[], &state.provider).await? {
            if !out.iter().any(|x| x.website_number == w.website_number) {
                out.push(w);
            }
        }
    }
    out.sort_by(|a, b| a.website_number.cmp(&b.website_number));
    Ok(out)
}

/// The website numbers on record for each website of approved order `o`'s application, in its
/// order (`None` where the record holds none of the website's domains, e.g. after a
/// cancellation).
pub async fn website_numbers(
    state: &AppState,
    o: &OrderRow,
) -> Result<Vec<Option<String>>, FilingError> {
    let app = filing::application_of(o)?;
    let domains = filing::application_domains(&app);
    let recorded = state
        .store
        .filings_for(&o.credential, &domains, &state.provider)
        .await?;
    Ok(app
        .websites
        .iter()
        .flatten()
        .map(|w| {
            let own: Vec<String> = w
                .domains
                .iter()
                .flatten()
                .filter_map(|d| beian_rules::detect::registrable_ascii(d))
                .collect();
            recorded
                .iter()
                .find(|r| r.credential == o.credential && r.domains.iter().any(|d| own.contains(d)))
                .map(|r| r.website_number.clone())
        })
        .collect())
}
