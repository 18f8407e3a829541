//! A Compose file that mounts the repository's own source code into its
//! services is a development setup (appwrite's root `docker-compose.yml`
//! binds `./app` and `./src` into every worker), not what users run:
//! durability flags switched off there (`fsync=off` for a faster test
//! database) lose nothing that ships.

use crate::families::context::Context;
use crate::findings::finding::Revision;
use crate::pipeline::lang::{detect, Lang};
use crate::readers::keypath::{ConfigEntry, Scalar};
use std::collections::BTreeSet;

/// Whether a path names a Compose file.
pub(super) fn is_compose(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    (name.starts_with("docker-compose") || name.starts_with("compose"))
        && (name.ends_with(".yml") || name.ends_with(".yaml"))
}

/// The host side of a bind mount relative to the file, first segment
/// only: `./src:/usr/src/code/src` → `src`; `.:/app` → `.`.
fn bound_dir(volume: &str) -> Option<&str> {
    let host = volume.trim().split(':').next()?;
    if host == "." || host == "./" {
        return Some(".");
    }
    let rest = host.strip_prefix("./")?;
    rest.split('/').next().filter(|s| !s.is_empty())
}

/// Whether head's Compose file (at `path`) binds a directory of the
/// repository that holds source code into a service.
pub(super) fn mounts_source(cx: &Context, path: &str, entries: &[ConfigEntry]) -> bool {
    let mut dirs: BTreeSet<&str> = BTreeSet::new();
    for e in entries
        .iter()
        .filter(|e| e.path.starts_with("services.") && e.path.contains(".volumes"))
    {
        match &e.value {
            Scalar::Text(v) => dirs.extend(bound_dir(v)),
            Scalar::List(items) => dirs.extend(items.iter().filter_map(|v| bound_dir(v))),
            _ => {}
        }
    }
    if dirs.is_empty() {
        return false;
    }
    let here = path.rsplit_once('/').map_or("", |(d, _)| d);
    let is_code = |p: &str| {
        matches!(
            detect(p),
            Lang::Python | Lang::Php | Lang::JavaScript | Lang::TypeScript | Lang::Tsx | Lang::Ruby
        ) || [".go", ".java", ".rs", ".cs", ".kt"]
            .iter()
            .any(|x| p.ends_with(x))
    };
    cx.all_files(Revision::Head).iter().any(|(p, _)| {
        let Some(rel) = (if here.is_empty() {
            Some(p.as_str())
        } else {
            p.strip_prefix(here).and_then(|r| r.strip_prefix('/'))
        }) else {
            return false;
        };
        let first = rel.split('/').next().unwrap_or("");
        (dirs.contains(".") || (rel.contains('/') && dirs.contains(first))) && is_code(rel)
    })
}

#[cfg(test)]
mod tests {
    use super::{bound_dir, is_compose};

    #[test]
    fn bind_mounts_of_the_repository() {
        assert_eq!(bound_dir("./src:/usr/src/code/src"), Some("src"));
        assert_eq!(bound_dir("./app/config:/etc/app:ro"), Some("app"));
        assert_eq!(bound_dir(".:/app"), Some("."));
        assert_eq!(bound_dir("appwrite-cache:/storage/cache:rw"), None);
        assert_eq!(bound_dir("/var/run/docker.sock:/var/run/docker.sock"), None);
        assert!(is_compose("docker-compose.yml") && is_compose("deploy/compose.prod.yaml"));
        assert!(!is_compose("k8s/deployment.yaml"));
    }
}
