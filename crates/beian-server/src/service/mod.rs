//! The service layer: what the filing service does, independent of the face that asks. The JSON
//! API (`crate::routes`) and the console are adapters over these functions: they parse, call,
//! and map the domain results and errors to their own answers. Functions here take typed inputs
//! and the [`Caller`](crate::auth::Caller) (account and role), never a request or a response.
//!
//! - [`filing`]: orders — the rules' context and report, creating and editing drafts, workflow
//!   steps decided by `beian_core::workflow::transition`, the approval plan and approval, the
//!   provider's review queue.
//! - [`verification`]: the built-in administration's SMS challenge and its answer.
//! - [`documents`]: the documents an order needs, where its verification stands, the move on at
//!   the last acceptance, orphan files.
//! - [`products`]: instances, their service numbers' states and why an instance is ineligible.
//! - [`events`]: the dispatcher (webhooks, e-mail, texts), and which events a caller follows.
//! - [`filed`]: an applicant's filed websites and numbers, its rectification notices.
//! - [`jobs`]: the time-driven transitions, as a function of `now`.
//! - [`public_query`]: the public query of the record (no personal data).
//! - [`audit`]: the audit trail of staff actions and reads.
//! - [`staff`]: staff accounts (list, create, disable, enable).
//! - [`dashboard`]: the supervisors' dashboard (counts, breaches, durations, throughput).

pub mod audit;
pub mod dashboard;
pub mod documents;
pub mod events;
pub mod filed;
pub mod filing;
pub mod jobs;
pub mod products;
pub mod public_query;
pub mod staff;
pub mod verification;

pub use filing::FilingError;
