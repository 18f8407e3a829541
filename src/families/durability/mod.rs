//! The durability family: the settings that decide whether written data
//! survives a lost disk or server. Fewer replicas, `fsync = off`, storage
//! replication from GRS to LRS: nothing fails, until the day a node does.
//! Incident 3 of INCIDENTS.md is where that day ends.

use super::context::{Analyzer, ChangedFile, Context, FamilyDef};
use crate::findings::finding::{Finding, Revision};
use crate::pipeline::lang::Lang;
use crate::readers::config_files::config_side;
use crate::readers::keypath::{self, ConfigEntry, Scalar};
use crate::readers::words::{is_ignored_path, words};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

mod command_flags;
mod store_removed;

pub const FAMILY: FamilyDef = FamilyDef {
    name: "durability",
    rules: include_str!("../../../rules/durability.toml"),
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    replica_keys: Vec<String>,
    availability_kinds: Vec<String>,
    weak_values: BTreeMap<String, Vec<String>>,
    weak_by_default: Vec<String>,
    consequences: BTreeMap<String, String>,
    ignored_path_words: Vec<String>,
    store_types: Vec<String>,
    store_module_sources: Vec<String>,
    disposable_words: Vec<String>,
    instance_kinds: Vec<String>,
    persistence_blocks: Vec<String>,
}

fn build(tables: &toml::Table) -> Result<Box<dyn Analyzer>, String> {
    Ok(Box::new(Durability {
        tables: crate::families::context::read_tables("durability", tables)?,
    }))
}

struct Durability {
    tables: Tables,
}

/// A key's last segment as `words_joined_by_underscores`.
fn key_name(path: &str) -> String {
    words(path.rsplit('.').next().unwrap_or(path)).join("_")
}

impl Durability {
    fn weak(&self, key: &str, v: &Scalar) -> bool {
        let Some(weak) = self.tables.weak_values.get(key) else {
            return false;
        };
        let shown = v.shown().to_ascii_lowercase();
        weak.iter().any(|w| {
            *w == shown || (v.is_off() && matches!(w.as_str(), "off" | "false" | "no" | "0"))
        })
    }

    /// Replica counts of Deployments and autoscalers are about capacity,
    /// not about keeping data.
    fn availability_only(&self, path: &str, side_kind: Option<&str>) -> bool {
        let doc_kind = path.split_once('/').map(|(k, _)| k).or(side_kind);
        doc_kind.is_some_and(|k| self.tables.availability_kinds.iter().any(|a| a == k))
    }

    fn consequence(&self, key: &str) -> String {
        self.tables.consequences.get(key).cloned().unwrap_or_else(|| {
            "fewer copies of the data now exist, so losing one node or disk can lose data that was acknowledged as written".to_string()
        })
    }

    /// `instances` counts copies of data only in the kinds that say so
    /// (CloudNativePG's `Cluster`); elsewhere it is anyone's word.
    fn counts_copies(&self, key: &str, path: &str, side_kind: Option<&str>) -> bool {
        if key == "instances" {
            let doc_kind = path.split_once('/').map(|(k, _)| k).or(side_kind);
            return doc_kind.is_some_and(|k| self.tables.instance_kinds.iter().any(|i| i == k));
        }
        self.tables.replica_keys.iter().any(|r| r == key)
            && !self.availability_only(path, side_kind)
    }

    fn check_file(&self, cx: &Context, file: &ChangedFile, out: &mut Vec<Finding>) {
        let (Some(mut head), Some(mut base)) = (
            config_side(cx, file, Revision::Head),
            config_side(cx, file, Revision::Base),
        ) else {
            return;
        };
        let weak_key = |k: &str| self.tables.weak_values.contains_key(k);
        for side in [&mut head, &mut base] {
            let flags = command_flags::command_flag_entries(&side.entries, weak_key);
            if !flags.is_empty() {
                std::sync::Arc::make_mut(&mut side.entries).extend(flags);
            }
        }
        let kind = head
            .entries
            .iter()
            .find(|e| e.path == "kind")
            .map(|e| e.value.shown());
        self.check_persistence(&base, &head, kind.as_deref(), out);
        for change in keypath::compare(&base.entries, &head.entries) {
            let key = key_name(change.path);
            // A weak setting written into a file that did without it
            // (`-c fsync=off` added to a command line) weakens a default.
            if let (None, Some(a)) = (change.before, change.after) {
                // Written out as the software's own default, it changes nothing.
                if !self.weak(&key, &a.value) || self.tables.weak_by_default.contains(&key) {
                    continue;
                }
                // A weak value that only moved (another path, same key) is
                // old. Looked for only now: per added key over every base
                // key was quadratic (monica's 10,000-key JSON: 5 s).
                let moved = base
                    .entries
                    .iter()
                    .any(|e| key_name(&e.path) == key && self.weak(&key, &e.value));
                if !moved {
                    out.push(self.added_finding(change.path, &key, &head, a));
                }
                continue;
            }
            let (Some(b), Some(a)) = (change.before, change.after) else {
                continue;
            };
            // Down to 0 is the workload switched off (a game server scaled
            // to zero), an outage at worst: its volumes, and the data, stay.
            let reduced_count = self.counts_copies(&key, change.path, kind.as_deref())
                && matches!((b.value.number(), a.value.number()), (Some(x), Some(y)) if y < x && y >= 1.0);
            let weakened = self.weak(&key, &a.value) && !self.weak(&key, &b.value);
            if !reduced_count && !weakened {
                continue;
            }
            out.push(self.finding(change.path, &key, &head.path, b, a, &head, &base));
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn finding(
        &self,
        path: &str,
        key: &str,
        file: &str,
        b: &ConfigEntry,
        a: &ConfigEntry,
        head: &crate::readers::config_files::ConfigSide,
        base: &crate::readers::config_files::ConfigSide,
    ) -> Finding {
        let (before, after) = (b.value.shown(), a.value.shown());
        Finding::new(
            "durability/replication-reduced",
            head.location(Revision::Head, a),
            format!("{file} {path}"),
            format!(
                "`{path}` in `{file}` went from `{before}` to `{after}`: {}.",
                self.consequence(key)
            ),
        )
        .related(
            base.location(Revision::Base, b),
            format!("in base it was `{before}`"),
        )
        .evidence("key", path.to_string())
        .evidence("before", before)
        .evidence("after", after)
    }

    /// A store's persistence block (`Kind:path` in `persistence_blocks`,
    /// Dragonfly's `spec.snapshot`) that base had and head has not: the
    /// data now lives only in memory.
    fn check_persistence(
        &self,
        base: &crate::readers::config_files::ConfigSide,
        head: &crate::readers::config_files::ConfigSide,
        kind: Option<&str>,
        out: &mut Vec<Finding>,
    ) {
        for block in &self.tables.persistence_blocks {
            let Some((want_kind, path)) = block.split_once(':') else {
                continue;
            };
            // The block of each document: `Dragonfly/cache.spec.snapshot`
            // in a multi-document file, `spec.snapshot` in a one-document one.
            let block_of = |e: &ConfigEntry| -> Option<String> {
                let (doc, rest) = match e.path.split_once('/') {
                    Some((k, rest)) if k == want_kind => {
                        let (name, rest) = rest.split_once('.')?;
                        (format!("{k}/{name}."), rest)
                    }
                    _ if kind == Some(want_kind) => (String::new(), e.path.as_str()),
                    _ => return None,
                };
                (rest == path || rest.starts_with(&format!("{path}.")))
                    .then(|| format!("{doc}{path}"))
            };
            let kept: BTreeSet<String> = head.entries.iter().filter_map(block_of).collect();
            let mut lost: BTreeMap<String, &ConfigEntry> = BTreeMap::new();
            for e in base.entries.iter() {
                if let Some(b) = block_of(e).filter(|b| !kept.contains(b)) {
                    lost.entry(b).or_insert(e);
                }
            }
            for (block_path, first) in lost {
                out.push(
                Finding::new(
                    "durability/replication-reduced",
                    base.location(Revision::Base, first),
                    format!("{} {block_path}", head.path),
                    format!(
                        "`{block_path}` was removed from the {want_kind} in `{}`: it no longer writes its data to disk, so a restart or a lost node loses everything it holds.",
                        head.path
                    ),
                )
                .evidence("key", block_path.clone())
                .evidence("before", first.value.shown())
                .evidence("after", "removed"),
            );
            }
        }
    }

    fn added_finding(
        &self,
        path: &str,
        key: &str,
        head: &crate::readers::config_files::ConfigSide,
        a: &ConfigEntry,
    ) -> Finding {
        let after = a.value.shown();
        Finding::new(
            "durability/replication-reduced",
            head.location(Revision::Head, a),
            format!("{} {path}", head.path),
            format!(
                "`{path}` in `{}` is now set to `{after}` where the default applied before: {}.",
                head.path,
                self.consequence(key)
            ),
        )
        .evidence("key", path.to_string())
        .evidence("before", "default")
        .evidence("after", after)
    }

    /// Whether Terraform text declares a store type or a module call whose
    /// source makes one.
    fn mentions_store(&self, text: &str) -> bool {
        self.tables
            .store_types
            .iter()
            .any(|t| text.contains(&format!("\"{t}\"")))
            || (text.contains("module")
                && self
                    .tables
                    .store_module_sources
                    .iter()
                    .any(|s| text.contains(s.as_str())))
    }

    fn mentions_key(&self, text: &str) -> bool {
        let squashed = crate::readers::words::squashed(text);
        let persistence_kinds = self
            .tables
            .persistence_blocks
            .iter()
            .filter_map(|b| b.split_once(':').map(|(k, _)| k.to_ascii_lowercase()));
        self.tables
            .replica_keys
            .iter()
            .chain(self.tables.weak_values.keys())
            .map(|k| k.replace('_', ""))
            .chain(persistence_kinds)
            .chain(std::iter::once("instances".to_string()))
            .any(|k| crate::readers::words::squashed_contains(&squashed, &k))
    }
}

impl Analyzer for Durability {
    fn reads(&self, _path: &str, lang: Lang) -> bool {
        keypath::is_config(lang)
    }

    fn wants(&self, path: &str, lang: Lang, text: &str) -> bool {
        keypath::is_config(lang)
            && !matches!(lang, Lang::Env | Lang::Ini)
            && !is_ignored_path(path, &self.tables.ignored_path_words, &[])
            && (self.mentions_key(text) || (lang == Lang::Hcl && self.mentions_store(text)))
    }

    fn extract(&self, cx: &Context, file: &ChangedFile) {
        cx.extract_config_keys(file);
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        let stores: Vec<&ChangedFile> = cx
            .files
            .iter()
            .filter(|f| {
                let path = f.path();
                f.base_lang == Lang::Hcl
                    && !cx.is_excluded(path)
                    && !is_ignored_path(path, &self.tables.ignored_path_words, &[])
                    && f.base
                        .as_ref()
                        .and_then(|v| v.text())
                        .is_some_and(|t| self.mentions_store(t))
            })
            .collect();
        if !stores.is_empty() {
            // Head sides of every changed Terraform file: a store may have
            // moved to another file, or a `moved` block may stand there.
            let mut hcl: Vec<&ChangedFile> = cx
                .files
                .iter()
                .filter(|f| {
                    f.head_lang == Lang::Hcl && !stores.iter().any(|s| std::ptr::eq(*s, *f))
                })
                .collect();
            hcl.extend(stores.iter().copied());
            self.check_stores(cx, &hcl, &mut out);
        }
        for file in cx.files {
            let path = file.path();
            if cx.is_excluded(path) || is_ignored_path(path, &self.tables.ignored_path_words, &[]) {
                continue;
            }
            if !keypath::is_config(file.head_lang) && !keypath::is_config(file.base_lang) {
                continue;
            }
            let names_key = [file.base.as_ref(), file.head.as_ref()]
                .into_iter()
                .flatten()
                .any(|v| v.text().is_some_and(|t| self.mentions_key(t)));
            if names_key {
                self.check_file(cx, file, &mut out);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn family() -> Durability {
        let rules: toml::Table =
            toml::from_str(include_str!("../../../rules/durability.toml")).unwrap();
        let tables: Tables = toml::Value::Table(rules["tables"].as_table().unwrap().clone())
            .try_into()
            .unwrap();
        Durability { tables }
    }

    #[test]
    fn weak_values_by_key() {
        let d = family();
        assert!(d.weak("fsync", &Scalar::Bool(false)));
        assert!(d.weak("account_replication_type", &Scalar::Text("LRS".into())));
        assert!(!d.weak("account_replication_type", &Scalar::Text("GRS".into())));
        assert!(d.weak("innodb_flush_log_at_trx_commit", &Scalar::Number(2.0)));
        assert!(!d.weak("innodb_flush_log_at_trx_commit", &Scalar::Number(1.0)));
        assert_eq!(key_name("min.insync.replicas"), "replicas");
        assert_eq!(key_name("kafka.minInsyncReplicas"), "min_insync_replicas");
    }
}
