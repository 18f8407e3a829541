//! The one list of rule families. Families never import it: the pipeline
//! reads it to build the analyzers a run uses.

use super::context::FamilyDef;

/// Every rule family. Adding a family means adding its module and one line
/// here; its rules come from its rule file.
pub const FAMILIES: &[FamilyDef] = &[
    super::forms::FAMILY,
    super::mail::FAMILY,
    super::batch::FAMILY,
    super::config::FAMILY,
    super::backup::FAMILY,
    super::durability::FAMILY,
];
