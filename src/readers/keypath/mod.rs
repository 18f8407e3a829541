//! A configuration file as a flat list of key paths with scalar values, so
//! two revisions compare by meaning: reordering keys, reformatting, quoting
//! differently or moving a list item are not changes, and every changed
//! value has a path (`rollout.maintenance.factory_reset`) and a line.
//!
//! YAML, JSON, TOML and HCL are read from their tree-sitter trees; `.env`
//! and INI-style files (`.ini`, `.conf`, `.properties`, systemd units) with
//! a small line reader, since no grammar of ours parses them.

use crate::pipeline::lang::Lang;
use hcl::hcl_body;
use json::json_value;
use lines::line_entries;
use std::ops::Range;
use toml::toml_document;
use tree_sitter::Tree;
use yaml::yaml_stream;

mod env_lists;
mod hcl;
mod json;
mod lines;
mod toml;
mod yaml;

/// A leaf value, normalised: `yes`/`on`/`"true"` are not the same in every
/// format, but `true` and `True` are.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Number(f64),
    Text(String),
    Null,
    /// A list of scalars (`targets: [a, b]`), kept whole: `[a, b]` → `all`
    /// is one change, not two.
    List(Vec<String>),
}

impl Scalar {
    /// As a person would write it in a message.
    pub fn shown(&self) -> String {
        match self {
            Scalar::Bool(b) => b.to_string(),
            Scalar::Number(n) => {
                if n.fract() == 0.0 && n.abs() < 1e15 {
                    format!("{}", *n as i64)
                } else {
                    n.to_string()
                }
            }
            Scalar::Text(t) => t.clone(),
            Scalar::Null => "null".to_string(),
            Scalar::List(items) => format!("[{}]", items.join(", ")),
        }
    }

    /// Whether the value switches something on (`true`, `yes`, `1`, `on`).
    pub fn is_on(&self) -> bool {
        match self {
            Scalar::Bool(b) => *b,
            // `1` is a switch; `2` or `58880` is a count, a version or a
            // code point (`format_version = 2`, `resetPoint: 58880`).
            Scalar::Number(n) => *n == 1.0,
            Scalar::Text(t) => matches!(
                t.to_ascii_lowercase().as_str(),
                "true" | "yes" | "on" | "1" | "enabled" | "enable"
            ),
            Scalar::Null | Scalar::List(_) => false,
        }
    }

    /// Whether the value switches something off.
    pub fn is_off(&self) -> bool {
        match self {
            Scalar::Bool(b) => !*b,
            Scalar::Number(n) => *n == 0.0,
            Scalar::Text(t) => matches!(
                t.to_ascii_lowercase().as_str(),
                "false" | "no" | "off" | "0" | "disabled" | "disable"
            ),
            Scalar::Null => false,
            Scalar::List(_) => false,
        }
    }

    pub fn number(&self) -> Option<f64> {
        match self {
            Scalar::Number(n) => Some(*n),
            Scalar::Text(t) => t.trim().trim_end_matches('%').parse().ok(),
            _ => None,
        }
    }
}

/// One key path with its value, at the bytes of its `key: value`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigEntry {
    pub path: String,
    pub value: Scalar,
    pub range: Range<usize>,
}

/// Whether riskdiff reads a language as configuration.
pub fn is_config(lang: Lang) -> bool {
    matches!(
        lang,
        Lang::Yaml | Lang::Json | Lang::Toml | Lang::Hcl | Lang::Env | Lang::Ini
    )
}

/// The entries of a configuration file. `tree` is the cached parse for the
/// grammar-backed languages; `None` when the language is not configuration.
pub fn entries(lang: Lang, text: &str, tree: Option<&Tree>) -> Option<Vec<ConfigEntry>> {
    let mut out = Vec::new();
    match lang {
        Lang::Env => return Some(line_entries(text, false)),
        Lang::Ini => return Some(line_entries(text, true)),
        Lang::Yaml => yaml_stream(tree?.root_node(), text, &mut out),
        Lang::Json => {
            let root = tree?.root_node();
            // JSONC (`tsconfig.json`, `.vscode/`, `renovate.json5`) may
            // open with a comment: the value is the first non-comment.
            let value = crate::readers::syntax::named_children(root)
                .into_iter()
                .find(|c| c.kind() != "comment");
            if let Some(value) = value {
                json_value(value, text, "", root.byte_range(), &mut out);
            }
        }
        Lang::Toml => toml_document(tree?.root_node(), text, &mut out),
        Lang::Hcl => hcl_body(tree?.root_node(), text, "", &mut out),
        _ => return None,
    }
    env_lists::expand(&mut out, text);
    Some(out)
}

pub(super) fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

pub(super) fn unquote(s: &str) -> String {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return s[1..s.len() - 1].to_string();
        }
    }
    s.to_string()
}

/// A plain (unquoted) word as a scalar: YAML 1.1 and INI spell booleans in
/// more ways than JSON.
pub(super) fn plain_scalar(raw: &str) -> Scalar {
    let t = raw.trim();
    match t.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => return Scalar::Bool(true),
        "false" | "no" | "off" => return Scalar::Bool(false),
        "null" | "~" | "" => return Scalar::Null,
        _ => {}
    }
    match t.parse::<f64>() {
        Ok(n) if !t.starts_with('+') => Scalar::Number(n),
        _ => Scalar::Text(t.to_string()),
    }
}

/// The segment for the `i`-th item of a list of mappings: its `name`, `id`
/// or `key` when it has one, so reordering items is not a change.
pub(super) fn item_segment(i: usize, name: Option<String>) -> String {
    match name {
        Some(n) if !n.is_empty() => n,
        _ => i.to_string(),
    }
}

pub(super) const ITEM_NAME_KEYS: &[&str] = &["name", "id", "key", "job", "task"];

/// A key path whose value differs between two revisions.
#[derive(Clone, Debug)]
pub struct KeyChange<'a> {
    pub path: &'a str,
    /// `None`: added in head.
    pub before: Option<&'a ConfigEntry>,
    /// `None`: removed in head.
    pub after: Option<&'a ConfigEntry>,
}

/// The key paths that were added, removed or changed value, in head order
/// then base order. A path written twice counts by its last occurrence, as
/// most loaders read it.
pub fn compare<'a>(base: &'a [ConfigEntry], head: &'a [ConfigEntry]) -> Vec<KeyChange<'a>> {
    use std::collections::BTreeMap;
    let last = |list: &'a [ConfigEntry]| {
        let mut m: BTreeMap<&'a str, &'a ConfigEntry> = BTreeMap::new();
        for e in list {
            m.insert(e.path.as_str(), e);
        }
        m
    };
    let (b, h) = (last(base), last(head));
    let mut out = Vec::new();
    for e in head {
        if h.get(e.path.as_str()) != Some(&e) {
            continue;
        }
        match b.get(e.path.as_str()) {
            Some(old) if old.value == e.value => {}
            old => out.push(KeyChange {
                path: &e.path,
                before: old.copied(),
                after: Some(e),
            }),
        }
    }
    for e in base {
        if b.get(e.path.as_str()) == Some(&e) && !h.contains_key(e.path.as_str()) {
            out.push(KeyChange {
                path: &e.path,
                before: Some(e),
                after: None,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests;
