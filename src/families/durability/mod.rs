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
use std::collections::BTreeMap;

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
    consequences: BTreeMap<String, String>,
    ignored_path_words: Vec<String>,
    store_types: Vec<String>,
    store_module_sources: Vec<String>,
    disposable_words: Vec<String>,
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

    fn check_file(&self, cx: &Context, file: &ChangedFile, out: &mut Vec<Finding>) {
        let (Some(head), Some(base)) = (
            config_side(cx, file, Revision::Head),
            config_side(cx, file, Revision::Base),
        ) else {
            return;
        };
        let kind = head
            .entries
            .iter()
            .find(|e| e.path == "kind")
            .map(|e| e.value.shown());
        for change in keypath::compare(&base.entries, &head.entries) {
            let (Some(b), Some(a)) = (change.before, change.after) else {
                continue;
            };
            let key = key_name(change.path);
            let reduced_count = self.tables.replica_keys.contains(&key)
                && !self.availability_only(change.path, kind.as_deref())
                && matches!((b.value.number(), a.value.number()), (Some(x), Some(y)) if y < x);
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
        let squashed: String = text
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        self.tables
            .replica_keys
            .iter()
            .chain(self.tables.weak_values.keys())
            .any(|k| squashed.contains(&k.replace('_', "")))
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
