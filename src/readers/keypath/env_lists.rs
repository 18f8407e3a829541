//! Environment variables written as lists become key paths like any other
//! setting: Compose's `environment: [- KEY=value]` and Kubernetes'
//! `env: [- name: KEY, value: v]` both read `….environment.KEY = value`
//! (`….env.KEY`), so `SPRING_JPA_HIBERNATE_DDL_AUTO=create` is a key with a
//! value, not one item of a list.

use super::{plain_scalar, ConfigEntry, Scalar};
use crate::readers::words::words;

/// Whether a key names a list of environment variables: `environment`,
/// `env`, `extraEnv`, `envVars`, `extra_env_vars`.
fn is_env_key(segment: &str) -> bool {
    let w = words(segment);
    w.iter().any(|w| w == "env" || w == "environment")
        && w.iter()
            .all(|w| matches!(w.as_str(), "env" | "environment" | "extra" | "vars"))
}

/// `KEY=value` with a name a shell or Compose accepts as a variable (dots
/// and dashes too: Spring reads `spring.jpa.hibernate.ddl-auto=…`).
fn split_assignment(item: &str) -> Option<(&str, &str)> {
    let (k, v) = item.split_once('=')?;
    is_name(k).then_some((k, v))
}

fn is_name(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

/// The line of `text` at or after `from` that assigns `key` (the name
/// starting a token, so `A=` is never found inside `DATA=`), and where the
/// next item's search starts: items are searched in order, once each.
fn item_range(text: &str, from: usize, key: &str) -> Option<(std::ops::Range<usize>, usize)> {
    let rest = text.get(from..)?;
    let needle = format!("{key}=");
    let at = from
        + rest.match_indices(&needle).map(|(i, _)| i).find(|&i| {
            rest[..i]
                .chars()
                .next_back()
                .is_none_or(|c| c.is_whitespace() || matches!(c, '-' | '[' | ',' | '"' | '\''))
        })?;
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let indent = text[line_start..line_end]
        .find(|c: char| !c.is_whitespace() && c != '-')
        .unwrap_or(0);
    Some((line_start + indent..line_end, at + needle.len()))
}

/// Rewrites environment lists in `entries` into one entry per variable.
pub(super) fn expand(entries: &mut Vec<ConfigEntry>, text: &str) {
    let mut out = Vec::with_capacity(entries.len());
    // `….env.KEY.name = KEY` beside `….env.KEY.value`: the pair is one
    // variable.
    let named: std::collections::BTreeSet<String> = entries
        .iter()
        .filter_map(|e| {
            let owner = e.path.strip_suffix(".name")?;
            let (list, item) = owner.rsplit_once('.')?;
            let list_key = list.rsplit('.').next().unwrap_or(list);
            (is_env_key(list_key) && e.value.shown() == item).then(|| owner.to_string())
        })
        .collect();
    for e in entries.drain(..) {
        if let Some(owner) = e.path.strip_suffix(".name") {
            if named.contains(owner) {
                continue;
            }
        }
        if let Some(owner) = e.path.strip_suffix(".value") {
            if named.contains(owner) {
                out.push(ConfigEntry {
                    path: owner.to_string(),
                    ..e
                });
                continue;
            }
        }
        let last = e.path.rsplit('.').next().unwrap_or(&e.path);
        match &e.value {
            Scalar::List(items)
                if is_env_key(last)
                    && items.iter().any(|i| split_assignment(i).is_some())
                    && items
                        .iter()
                        .all(|i| split_assignment(i).is_some() || is_name(i)) =>
            {
                let mut cursor = e.range.start;
                for item in items {
                    // A bare `- DEBUG` passes the host's value through.
                    let (k, value) = match split_assignment(item) {
                        Some((k, v)) => (k, plain_scalar(v.trim_matches(['"', '\'']))),
                        None => (item.as_str(), Scalar::Null),
                    };
                    out.push(ConfigEntry {
                        path: format!("{}.{k}", e.path),
                        value,
                        range: match item_range(text, cursor, k) {
                            Some((range, next)) => {
                                cursor = next;
                                range
                            }
                            None => e.range.clone(),
                        },
                    });
                }
            }
            _ => out.push(e),
        }
    }
    *entries = out;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_keys() {
        for k in [
            "env",
            "environment",
            "extraEnv",
            "extra_env_vars",
            "envVars",
        ] {
            assert!(is_env_key(k), "{k}");
        }
        for k in ["envoy", "environments_url", "dev_env_name", "prevent"] {
            assert!(!is_env_key(k), "{k}");
        }
        assert_eq!(split_assignment("A_B=c=d"), Some(("A_B", "c=d")));
        assert_eq!(split_assignment("no value"), None);
        assert_eq!(split_assignment("a b=c"), None);
    }

    #[test]
    fn an_item_is_found_where_its_name_starts_a_token() {
        let text = "environment:\n  - DATA=1\n  - A=2\n";
        let (range, next) = item_range(text, 0, "A").unwrap();
        assert_eq!(&text[range], "A=2");
        assert!(item_range(text, next, "A").is_none());
        let (range, _) = item_range(text, 0, "DATA").unwrap();
        assert_eq!(&text[range], "DATA=1");
    }
}
