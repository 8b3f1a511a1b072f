//! beian-core: the filing domain as plain Rust with no I/O and no clock reads (time is a parameter).
//!
//! - [`calendar`]: the PRC working-day calendar (holidays and make-up working days) for SLA
//!   deadlines and expected completion dates.
//! - [`workflow`]: the order state machine of SPEC §5 as one pure transition function.
//! - [`numbers`]: subject and website ICP numbers, formatting, parsing and next-number arithmetic.
//! - [`product`]: instance eligibility and service-number quota.
//! - [`rejection`]: field-level rejection: the fields and documents named, the diff since a
//!   rejection and what it leaves open to change.
//! - [`sla`]: working-day deadlines of each step and their breach.
//! - [`mask`]: personal data masked for lists, logs and notifications.

pub mod calendar;
pub mod mask;
pub mod numbers;
pub mod product;
pub mod rejection;
pub mod sla;
pub mod workflow;
