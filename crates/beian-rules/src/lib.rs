//! beian-rules: the ICP filing rules engine (备案规则引擎).
//!
//! - [`refdata`]: reference data from the workspace's `data/` files, validated at start-up.
//! - [`validate`]: credential, phone and e-mail validators.
//! - [`input`]: the input document of SPEC §7.1 with path-naming parse errors.
//! - [`detect`]: filing-type detection and its refusals (SPEC §4).
//! - [`engine`]: every rule of SPEC §7, one ordered pipeline; `check(&Application, &Context) -> Report`.
//! - [`catalogue`]: rule IDs, severities, rejection reasons and message templates.
//!
//! Architecture invariant: no I/O. The check date is a parameter (`context.today` or the caller's
//! date); files named by `documents` are read by the caller and judged by [`engine::document_findings`].

pub mod catalogue;
pub mod detect;
pub mod engine;
pub mod input;
pub mod model;
pub mod refdata;
pub mod validate;

pub use beian_domain;
pub use catalogue::RuleId;
pub use detect::{Refusal, detect, detect_filing_type};
pub use engine::{Engine, Finding, Report, RequiredDocument, Summary, check, date_in_china};
pub use input::{Application, Context, Document, InputError, parse_document};
pub use model::{FilingType, ReasonCode, Severity};
pub use refdata::{DataError, DataSources, ReferenceData};
