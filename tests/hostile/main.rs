//! Hostile repositories: everything in the repository under review is
//! input from a stranger. Each test is a reproduction from issue 14, built
//! on the fly in a temporary repository (large inputs generated, never
//! committed to riskdiff's own tree).

#[path = "../common/mod.rs"]
mod common;

mod crashes;
mod files;
mod secrets;
mod silent;
mod sizes;
mod trust;
