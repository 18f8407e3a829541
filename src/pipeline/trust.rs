//! Where riskdiff's own files come from. By default `riskdiff.toml`,
//! `.gitattributes` and `.riskdiff/acknowledged.toml` are read from the
//! change under review; with `--trust base` from the base revision, so a
//! pull request from a stranger cannot switch its own check off.

use super::revisions::Side;
use crate::error::{Error, Result};
use crate::findings::ack;
use crate::findings::rules::Registry;
use crate::settings::{Config, CONFIG_NAMES};
use git2::Repository;
use std::collections::HashSet;
use std::path::Path;

/// Which revision riskdiff's own configuration is read from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Trust {
    /// The change under review (the working tree, else the head commit).
    #[default]
    Change,
    /// The base revision: what was reviewed and merged before.
    Base,
}

const ATTRIBUTES: &str = ".gitattributes";

/// The text of `path` in the commit of `side`: `None` when it is absent,
/// or not a regular file (a link is never followed, even inside git).
/// Refused when larger than the cap for settings or not UTF-8.
pub fn read_in(repo: &Repository, side: &Side, path: &str) -> Result<Option<String>> {
    let Side::Commit { tree, .. } = side else {
        return Ok(None);
    };
    let tree = repo
        .find_tree(*tree)
        .map_err(|e| Error::new(format!("cannot read the base tree: {}", e.message())))?;
    let Ok(entry) = tree.get_path(Path::new(path)) else {
        return Ok(None);
    };
    if entry.kind() != Some(git2::ObjectType::Blob) || entry.filemode() & 0o170000 != 0o100000 {
        return Ok(None);
    }
    let blob = repo
        .find_blob(entry.id())
        .map_err(|e| Error::new(format!("cannot read {path} in base: {}", e.message())))?;
    if blob.size() as u64 > super::repo_files::SETTINGS_CAP {
        return Err(Error::new(format!(
            "{path} in base is too large to be a setting"
        )));
    }
    String::from_utf8(blob.content().to_vec())
        .map(Some)
        .map_err(|_| Error::new(format!("{path} in base is not valid UTF-8")))
}

/// The configuration and acknowledgements of the base revision. An
/// explicit `--config` file, chosen by whoever runs the check, still wins.
pub fn base_settings(
    repo: &Repository,
    base: &Side,
    explicit: Option<&Path>,
    registry: &Registry,
) -> Result<(Config, HashSet<String>)> {
    let config = match explicit {
        Some(_) => Config::load(repo, explicit, registry)?,
        None => base_config(repo, base, registry)?,
    };
    let attributes = read_in(repo, base, ATTRIBUTES).ok().flatten();
    let config = config.with_attributes_text(attributes.as_deref());
    let acknowledged = match read_in(repo, base, ack::FILE)? {
        Some(text) => ack::parse(&text)?
            .into_iter()
            .map(|a| a.fingerprint)
            .collect(),
        None => HashSet::new(),
    };
    Ok((config, acknowledged))
}

fn base_config(repo: &Repository, base: &Side, registry: &Registry) -> Result<Config> {
    for name in CONFIG_NAMES {
        if let Some(text) = read_in(repo, base, name)? {
            return Config::parse(&text, &format!("{name} (base)"), registry);
        }
    }
    Config::defaults(registry)
}
