//! Settings whose *value* destroys data, where the key's name says nothing:
//! `spring.jpa.hibernate.ddl-auto: create` drops every table at start-up,
//! `drop-and-create` does the same through JPA, TypeORM's `dropSchema` and
//! `synchronize` rewrite the schema. And switches that only mean harm on
//! one kind of document: GitOps pruning on an ArgoCD `Application` or a
//! Flux `Kustomization`, a forced Helm upgrade on a `HelmRelease`.

use super::{ConfigFamily, Hit, Tables};
use crate::readers::keypath::{ConfigEntry, KeyChange, Scalar};
use crate::readers::words::words;
use serde::Deserialize;

/// A key whose values destroy data (`rules/config.toml`, `destructive_values`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DestructiveValue {
    /// The property as its documentation names it.
    property: String,
    /// Endings of a key path, by words: `hibernate.ddl-auto` matches
    /// `spring.jpa.hibernate.ddl-auto` and `SPRING_JPA_HIBERNATE_DDL_AUTO`.
    keys: Vec<String>,
    /// Endings that count only in a file whose name has one of `files`'
    /// words (`synchronize` alone, in `ormconfig.json`).
    #[serde(default)]
    bare_keys: Vec<String>,
    #[serde(default)]
    files: Vec<String>,
    /// The values that destroy (lower case; `true` also matches `yes`, `on`).
    values: Vec<String>,
    /// What the value does, for the message.
    meaning: String,
}

/// A switch that destroys only on one kind of document
/// (`rules/config.toml`, `kind_switches`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct KindSwitch {
    kinds: Vec<String>,
    /// The API group its `apiVersion` starts with.
    api: String,
    /// The key path inside the document.
    key: String,
    meaning: String,
}

fn ends_with_words(path_words: &[String], key: &str) -> bool {
    let want = words(key);
    !want.is_empty() && path_words.ends_with(&want)
}

/// The documents of a side: `""` for a one-document file, else the
/// `Kind/name` (or `#i`) prefixes the YAML reader gives each document.
pub(super) fn documents(entries: &[ConfigEntry]) -> Vec<String> {
    let mut docs: Vec<String> = Vec::new();
    for e in entries {
        let doc = if e.path == "kind" {
            Some(String::new())
        } else if let Some(pre) = e.path.strip_suffix(".kind") {
            let kind = e.value.shown();
            (pre.starts_with(&format!("{kind}/")) || pre.starts_with(&format!("{kind}#")))
                .then(|| pre.to_string())
        } else if e.path.starts_with('#') {
            e.path.split('.').next().map(str::to_string)
        } else {
            None
        };
        if let Some(d) = doc {
            if !docs.contains(&d) {
                docs.push(d);
            }
        }
    }
    docs
}

/// The document a key path belongs to (the longest prefix), `""` if none.
pub(super) fn document_of<'d>(path: &str, docs: &'d [String]) -> &'d str {
    docs.iter()
        .filter(|d| !d.is_empty() && path.len() > d.len() && path.starts_with(d.as_str()))
        .filter(|d| path[d.len()..].starts_with('.'))
        .max_by_key(|d| d.len())
        .map_or("", |d| d.as_str())
}

fn join(doc: &str, key: &str) -> String {
    if doc.is_empty() {
        key.to_string()
    } else {
        format!("{doc}.{key}")
    }
}

/// A file's entries by key path, built on first use (the last entry of a
/// path wins, as in the file): scanning for `kind` once per switched flag
/// made 40,000 flags turned on take seconds.
pub(super) struct KeyIndex<'e> {
    entries: &'e [ConfigEntry],
    by_path: std::cell::OnceCell<std::collections::HashMap<&'e str, &'e ConfigEntry>>,
}

impl<'e> KeyIndex<'e> {
    pub(super) fn new(entries: &'e [ConfigEntry]) -> Self {
        KeyIndex {
            entries,
            by_path: std::cell::OnceCell::new(),
        }
    }

    fn get(&self, path: &str) -> Option<&'e ConfigEntry> {
        self.by_path
            .get_or_init(|| self.entries.iter().map(|e| (e.path.as_str(), e)).collect())
            .get(path)
            .copied()
    }
}

impl ConfigFamily {
    pub(super) fn destructive_value(&self, file: &str, path: &str) -> Option<&DestructiveValue> {
        let path_words = words(path);
        let name_words = words(file.rsplit('/').next().unwrap_or(file));
        self.tables.destructive_values.iter().find(|d| {
            d.keys.iter().any(|k| ends_with_words(&path_words, k))
                || (d.files.iter().any(|f| name_words.contains(f))
                    && d.bare_keys.iter().any(|k| ends_with_words(&path_words, k)))
        })
    }

    pub(super) fn destroys(d: &DestructiveValue, v: &Scalar) -> bool {
        Self::destroys_shown(d, v, &Self::shown_lower(v))
    }

    /// A value as the tables spell theirs: trimmed, lower case.
    fn shown_lower(v: &Scalar) -> String {
        v.shown().trim().to_ascii_lowercase()
    }

    /// [`destroys`](Self::destroys) with `v` already shown in lower case.
    fn destroys_shown(d: &DestructiveValue, v: &Scalar, shown: &str) -> bool {
        d.values
            .iter()
            .any(|x| x == shown || (x == "true" && v.is_on()))
    }

    /// A test or development profile: by the file's name
    /// (`application-test.yml`, `docker-compose.dev.yml`) or the document's
    /// Spring profile.
    fn test_profile(&self, file: &str, doc: &str, entries: &[ConfigEntry]) -> bool {
        let name = file.rsplit('/').next().unwrap_or(file);
        let is_test = |s: &str| {
            words(s)
                .iter()
                .any(|w| self.tables.test_profiles.contains(w))
        };
        if is_test(name.rsplit_once('.').map_or(name, |(n, _)| n)) {
            return true;
        }
        entries.iter().any(|e| {
            let w = words(&e.path);
            document_of(&e.path, &[doc.to_string()]) == doc
                && (w.ends_with(&["spring".into(), "profiles".into()])
                    || w.ends_with(&["on".into(), "profile".into()]))
                && is_test(&e.value.shown())
        })
    }

    /// An in-memory datasource in the same document: dropping it loses
    /// nothing that outlives the process.
    fn in_memory<'e>(&self, doc: &str, entries: &'e [ConfigEntry]) -> Option<&'e ConfigEntry> {
        let docs = [doc.to_string()];
        entries.iter().find(|e| {
            let v = e.value.shown().to_ascii_lowercase();
            document_of(&e.path, &docs) == doc
                && self.tables.in_memory_markers.iter().any(|m| v.contains(m))
        })
    }

    /// A datasource URL that is not in memory, set by a key path of this
    /// side (`spring.datasource.url`, `SPRING_DATASOURCE_URL`) outside a
    /// test or development profile.
    pub(super) fn persistent_datasource<'e>(
        &self,
        file: &str,
        entries: &'e [ConfigEntry],
    ) -> Option<&'e ConfigEntry> {
        let docs = documents(entries);
        entries.iter().find(|e| {
            let doc = document_of(&e.path, &docs);
            if self.test_profile(file, doc, entries) {
                return false;
            }
            let w = words(&e.path);
            let v = e.value.shown().to_ascii_lowercase();
            w.ends_with(&["datasource".into(), "url".into()])
                && v.starts_with("jdbc:")
                && !self.tables.in_memory_markers.iter().any(|m| v.contains(m))
        })
    }

    /// A destructive value set by this change, with what keeps it quiet:
    /// `None` when it is no change, a test profile, or an in-memory
    /// database (unless `override_url` says another file of the change
    /// points the application at a real one).
    pub(super) fn value_hit<'a>(
        &self,
        file: &'a str,
        change: &KeyChange,
        head: &[ConfigEntry],
        docs: &[String],
        override_url: &dyn Fn() -> Option<(String, String)>,
    ) -> Option<Hit<'a>> {
        let after = change.after?;
        // The value before the key's words: most values destroy nothing.
        // Shown once, not once per table entry (an added 50,000-key JSON
        // file spent a tenth of a run here).
        let shown = Self::shown_lower(&after.value);
        if !self
            .tables
            .destructive_values
            .iter()
            .any(|d| Self::destroys_shown(d, &after.value, &shown))
        {
            return None;
        }
        let d = self.destructive_value(file, change.path)?;
        if !Self::destroys(d, &after.value)
            || change.before.is_some_and(|b| Self::destroys(d, &b.value))
        {
            return None;
        }
        let doc = document_of(change.path, docs);
        if self.test_profile(file, doc, head) {
            return None;
        }
        let key_words = words(change.path.rsplit('.').next().unwrap_or(change.path));
        let named = if key_words.len() > 2 && !change.path.ends_with(&d.property) {
            format!("`{}` (`{}`)", change.path, d.property)
        } else {
            format!("`{}`", change.path)
        };
        let was = change
            .before
            .map_or_else(|| "unset".to_string(), |b| format!("`{}`", b.value.shown()));
        let mut meaning = format!(
            "{named} in `{file}` is now `{}` (was {was}): {}.",
            after.value.shown(),
            d.meaning
        );
        if let Some(mem) = self.in_memory(doc, head) {
            let (other, url) = override_url()?;
            meaning.push_str(&format!(
                " The datasource here is in memory (`{}`), but `{other}` points the application at `{url}` in the same change, and that database is the one emptied.",
                mem.value.shown()
            ));
        }
        Some(Hit::destructive(file, change, after, meaning))
    }

    /// A kind-scoped switch (GitOps pruning, forced Helm upgrades) turned
    /// on for a document that existed in base, outside non-production
    /// paths.
    pub(super) fn kind_switch_hit<'a>(
        &self,
        file: &'a str,
        change: &KeyChange,
        base: &KeyIndex,
        head: &KeyIndex,
        docs: &[String],
    ) -> Option<Hit<'a>> {
        let after = change.after?;
        if !after.value.is_on() || change.before.is_some_and(|b| b.value.is_on()) {
            return None;
        }
        let doc = document_of(change.path, docs);
        let kind = head.get(&join(doc, "kind"))?.value.shown();
        let api = head
            .get(&join(doc, "apiVersion"))
            .map(|e| e.value.shown())
            .unwrap_or_default();
        let s = self.tables.kind_switches.iter().find(|s| {
            s.kinds.contains(&kind) && api.starts_with(&s.api) && join(doc, &s.key) == change.path
        })?;
        // An application created with pruning on has nothing to lose yet.
        let name = head
            .get(&join(doc, "metadata.name"))
            .map(|e| e.value.shown());
        let existed = base
            .get(&join(doc, "kind"))
            .is_some_and(|k| k.value.shown() == kind)
            && base
                .get(&join(doc, "metadata.name"))
                .map(|e| e.value.shown())
                == name;
        let path_words = words(file);
        if !existed
            || path_words
                .iter()
                .any(|w| self.tables.nonproduction_path_words.contains(w))
        {
            return None;
        }
        let was = change
            .before
            .map_or_else(|| "unset".to_string(), |b| format!("`{}`", b.value.shown()));
        let meaning = format!(
            "`{}` of the {kind} `{}` in `{file}` was switched on ({was} → `{}`): {}.",
            s.key,
            name.as_deref().unwrap_or("unnamed"),
            after.value.shown(),
            s.meaning
        );
        Some(Hit::destructive(file, change, after, meaning))
    }

    /// Squashed words the byte pre-filter looks for on behalf of these
    /// tables.
    pub(super) fn value_filter_words_of(tables: &Tables) -> Vec<String> {
        let squash = |s: &str| -> String {
            s.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase()
        };
        let mut out: Vec<String> = Vec::new();
        for d in &tables.destructive_values {
            for k in d.keys.iter().chain(&d.bare_keys) {
                // The last two words: `ddlauto`, `hbm2ddlauto`, `databaseaction`.
                let w = words(k);
                out.push(w[w.len().saturating_sub(2)..].concat());
            }
        }
        for s in &tables.kind_switches {
            out.push(squash(&s.api));
        }
        out
    }
}
