//! The pipeline stages, in the order a run goes through them:
//! [`revisions`] (what to compare) → [`changes`] (which files, which lines;
//! [`source`] decodes what is read) → [`lang`] and [`parse`] (with
//! [`template`] blanking) → the families → filter and report ([`check`]).

pub mod changes;
pub mod check;
pub mod lang;
pub mod parse;
pub mod revisions;
pub mod source;
pub mod template;
