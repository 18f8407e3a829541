//! riskdiff: compares two git revisions and reports the changes that are
//! likely to break something silently once shipped.
//!
//! The pipeline runs in one direction, and the folders follow it:
//! - [`pipeline`]: [`revisions`](pipeline::revisions) →
//!   [`changes`](pipeline::changes) → [`parse`](pipeline::parse), and the
//!   run itself ([`check`](pipeline::check)) that drives the families and
//!   filters what they find;
//! - [`readers`]: fact readers several families share (key paths of
//!   configuration files, the route index, words of names);
//! - [`families`]: one folder per rule family, each extracting facts from
//!   both sides and comparing them ([`forms`](families::forms),
//!   [`mail`](families::mail), [`batch`](families::batch),
//!   [`config`](families::config), [`backup`](families::backup),
//!   [`durability`](families::durability));
//! - [`findings`]: the findings, their metadata, suppressions,
//!   acknowledgements and masking;
//! - [`report`]: one renderer per output format.
//!
//! [`settings`] is riskdiff's own configuration (`riskdiff.toml`), [`cli`]
//! the command line.

pub mod cli;
pub mod error;
pub mod families;
pub mod findings;
pub mod pipeline;
pub mod progress;
pub mod readers;
pub mod report;
pub mod settings;

pub use error::Error;
pub use findings::finding::{Finding, Severity};
pub use pipeline::check::{run_check, CheckOptions, Report};
