//! Rule families: each extracts facts from both sides of the changed files
//! and compares them (stages 4 and 5 of the pipeline). [`context`] is the
//! seam they are given, [`registry`] the one list of them; a family's rule
//! metadata and pattern tables live in `rules/<family>.toml`.

pub mod backup;
pub mod batch;
pub mod config;
pub mod context;
pub mod durability;
pub mod forms;
pub mod mail;
pub mod registry;
