//! The pipeline stages, in the order a run goes through them:
//! [`revisions`] (what to compare) → [`changes`] (which files, which lines)
//! → `read` (both sides of the files a family reads, decoded by
//! [`source`], with their [`lang`]) → [`parse`] (with [`template`]
//! blanking, and `markdown` blanking the code of Markdown pages) → the
//! families → `filter` → the [`check::Report`]. [`check`]
//! drives one run through them.

pub mod changes;
pub mod check;
mod filter;
pub mod history;
pub mod lang;
mod markdown;
pub mod parse;
mod parse_errors;
mod read;
pub mod repo_files;
pub mod revisions;
pub mod source;
pub mod template;
pub mod trust;
mod weakened;
