//! riskdiff: compares two git revisions and reports the changes that are
//! likely to break something silently once shipped.
//!
//! The pipeline runs in one direction, one module per stage:
//! [`revisions`] → [`changes`] → [`parse`] → facts (one module per rule
//! family, e.g. [`forms`]) → compare → filter (in [`check`]) → [`report`].

pub mod ack;
pub mod backup;
pub mod batch;
pub mod changes;
pub mod check;
pub mod cli;
pub mod config;
pub mod durability;
pub mod error;
pub mod family;
pub mod finding;
pub mod forms;
pub mod keypath;
pub mod lang;
pub mod mail;
pub mod parse;
pub mod progress;
pub mod redact;
pub mod report;
pub mod revisions;
pub mod routes;
pub mod rules;
pub mod settings;
pub mod source;
pub mod suppress;
pub mod template;

pub use check::{run_check, CheckOptions, Report};
pub use error::Error;
pub use finding::{Finding, Severity};
