//! A changed configuration file on one side as key paths, read once from
//! its parse: what the config, backup, durability and batch families
//! compare.

use super::keypath::{self, ConfigEntry};
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Location, Revision, Span};
use crate::pipeline::changes::FileVersion;
use crate::pipeline::lang::Lang;
use std::sync::Arc;

/// A file's configuration on one side.
pub struct ConfigSide {
    pub path: String,
    pub text: Arc<str>,
    /// Shared with the other families that read the same blob.
    pub entries: Arc<Vec<ConfigEntry>>,
    /// Entries are default argument values of functions (`function.param`).
    pub code: bool,
}

impl ConfigSide {
    pub fn location(&self, rev: Revision, e: &ConfigEntry) -> Location {
        Location {
            revision: rev,
            path: self.path.clone(),
            span: Span::from_bytes(&self.text, e.range.start, e.range.end),
        }
    }
}

/// Reads a changed file's configuration on one side, if it is one.
pub fn config_side(cx: &Context, file: &ChangedFile, rev: Revision) -> Option<ConfigSide> {
    let (version, lang) = match rev {
        Revision::Base => (file.base.as_ref()?, file.base_lang),
        Revision::Head => (file.head.as_ref()?, file.head_lang),
    };
    version_side(cx, version, lang)
}

/// Reads any file version's configuration (a changed file's side, or a
/// file of head a cross-file lookup read), if it is one.
pub fn version_side(cx: &Context, version: &FileVersion, lang: Lang) -> Option<ConfigSide> {
    if !keypath::is_config(lang) {
        return None;
    }
    let text = version.text()?.clone();
    let entries = cx.config_keys(version, lang)?;
    Some(ConfigSide {
        path: version.path.clone(),
        text,
        entries,
        code: false,
    })
}
