//! A configuration file as a flat list of key paths with scalar values, so
//! two revisions compare by meaning: reordering keys, reformatting, quoting
//! differently or moving a list item are not changes, and every changed
//! value has a path (`rollout.maintenance.factory_reset`) and a line.
//!
//! YAML, JSON, TOML and HCL are read from their tree-sitter trees; `.env`
//! and INI-style files (`.ini`, `.conf`, `.properties`, systemd units) with
//! a small line reader, since no grammar of ours parses them.

use crate::pipeline::lang::Lang;
use crate::readers::syntax::{first_line, named_children, text_of};
use std::ops::Range;
use tree_sitter::{Node, Tree};

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
            Scalar::Number(n) => *n != 0.0,
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
            if let Some(value) = root.named_child(0) {
                json_value(value, text, "", root.byte_range(), &mut out);
            }
        }
        Lang::Toml => toml_document(tree?.root_node(), text, &mut out),
        Lang::Hcl => hcl_body(tree?.root_node(), text, "", &mut out),
        _ => return None,
    }
    Some(out)
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn unquote(s: &str) -> String {
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
fn plain_scalar(raw: &str) -> Scalar {
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
fn item_segment(i: usize, name: Option<String>) -> String {
    match name {
        Some(n) if !n.is_empty() => n,
        _ => i.to_string(),
    }
}

const ITEM_NAME_KEYS: &[&str] = &["name", "id", "key", "job", "task"];

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

// ------------------------------------------------------------------ yaml --

fn yaml_stream(root: Node, text: &str, out: &mut Vec<ConfigEntry>) {
    let docs: Vec<Node> = named_children(root)
        .into_iter()
        .filter(|d| d.kind() == "document")
        .collect();
    let many = docs.len() > 1;
    for (i, doc) in docs.iter().enumerate() {
        let Some(body) = named_children(*doc)
            .into_iter()
            .find(|n| n.kind() == "block_node" || n.kind() == "flow_node")
        else {
            continue;
        };
        let prefix = if many {
            // Kubernetes manifests: `CronJob/backup` reads better than `1`.
            let kind = yaml_lookup(body, text, "kind");
            let name = yaml_nested_name(body, text);
            match (kind, name) {
                (Some(k), Some(n)) => format!("{k}/{n}"),
                (Some(k), None) => format!("{k}#{i}"),
                _ => format!("#{i}"),
            }
        } else {
            String::new()
        };
        yaml_value(body, text, &prefix, doc.byte_range(), out);
    }
}

fn yaml_inner(node: Node) -> Node {
    let mut n = node;
    while matches!(n.kind(), "block_node" | "flow_node") {
        match named_children(n)
            .into_iter()
            .find(|c| !matches!(c.kind(), "tag" | "anchor"))
        {
            Some(c) => n = c,
            None => break,
        }
    }
    n
}

fn yaml_scalar(node: Node, text: &str) -> Option<Scalar> {
    let n = yaml_inner(node);
    Some(match n.kind() {
        "plain_scalar" => plain_scalar(text_of(n, text)),
        "double_quote_scalar" | "single_quote_scalar" => Scalar::Text(unquote(text_of(n, text))),
        "block_scalar" => {
            let t = text_of(n, text);
            let body = t.split_once('\n').map_or("", |(_, b)| b);
            Scalar::Text(body.lines().map(str::trim).collect::<Vec<_>>().join("\n"))
        }
        _ => return None,
    })
}

fn yaml_pairs(node: Node) -> Vec<Node> {
    let n = yaml_inner(node);
    if matches!(n.kind(), "block_mapping" | "flow_mapping") {
        named_children(n)
            .into_iter()
            .filter(|p| matches!(p.kind(), "block_mapping_pair" | "flow_pair"))
            .collect()
    } else {
        Vec::new()
    }
}

fn yaml_key(pair: Node, text: &str) -> Option<String> {
    let key = pair.child_by_field_name("key")?;
    // A key is a name, not a value: GitHub's `on:` must stay `on`, not
    // become YAML 1.1's `true`.
    if yaml_inner(key).kind() == "plain_scalar" {
        return Some(text_of(yaml_inner(key), text).trim().to_string());
    }
    Some(match yaml_scalar(key, text)? {
        Scalar::Text(t) => t,
        other => other.shown(),
    })
}

fn yaml_lookup(mapping: Node, text: &str, key: &str) -> Option<String> {
    yaml_pairs(mapping).into_iter().find_map(|p| {
        if yaml_key(p, text)? != key {
            return None;
        }
        let v = p.child_by_field_name("value")?;
        yaml_scalar(v, text).map(|s| s.shown())
    })
}

fn yaml_nested_name(body: Node, text: &str) -> Option<String> {
    yaml_pairs(body).into_iter().find_map(|p| {
        if yaml_key(p, text)? != "metadata" {
            return None;
        }
        yaml_lookup(p.child_by_field_name("value")?, text, "name")
    })
}

fn yaml_value(node: Node, text: &str, path: &str, range: Range<usize>, out: &mut Vec<ConfigEntry>) {
    let inner = yaml_inner(node);
    match inner.kind() {
        "block_mapping" | "flow_mapping" => {
            for pair in yaml_pairs(inner) {
                let (Some(key), Some(value)) =
                    (yaml_key(pair, text), pair.child_by_field_name("value"))
                else {
                    continue;
                };
                let range = first_line(pair, text);
                yaml_value(value, text, &join(path, &key), range, out);
            }
        }
        "block_sequence" | "flow_sequence" => {
            let items: Vec<Node> = named_children(inner)
                .into_iter()
                .map(|i| {
                    if i.kind() == "block_sequence_item" {
                        i.named_child(0).unwrap_or(i)
                    } else {
                        i
                    }
                })
                .collect();
            let scalars: Option<Vec<String>> = items
                .iter()
                .map(|i| yaml_scalar(*i, text).map(|s| s.shown()))
                .collect();
            match scalars {
                Some(list) => out.push(ConfigEntry {
                    path: path.to_string(),
                    value: Scalar::List(list),
                    range,
                }),
                None => {
                    for (i, item) in items.into_iter().enumerate() {
                        let name = ITEM_NAME_KEYS
                            .iter()
                            .find_map(|k| yaml_lookup(item, text, k));
                        let seg = item_segment(i, name);
                        yaml_value(item, text, &join(path, &seg), first_line(item, text), out);
                    }
                }
            }
        }
        _ => {
            if let Some(value) = yaml_scalar(node, text) {
                out.push(ConfigEntry {
                    path: path.to_string(),
                    value,
                    range,
                });
            }
        }
    }
}

// ------------------------------------------------------------------ json --

fn json_scalar(node: Node, text: &str) -> Option<Scalar> {
    Some(match node.kind() {
        "true" => Scalar::Bool(true),
        "false" => Scalar::Bool(false),
        "null" => Scalar::Null,
        "number" => text_of(node, text).parse().map_or_else(
            |_| Scalar::Text(text_of(node, text).to_string()),
            Scalar::Number,
        ),
        "string" => Scalar::Text(unquote(text_of(node, text))),
        _ => return None,
    })
}

fn json_value(node: Node, text: &str, path: &str, range: Range<usize>, out: &mut Vec<ConfigEntry>) {
    match node.kind() {
        "object" => {
            for pair in named_children(node)
                .into_iter()
                .filter(|p| p.kind() == "pair")
            {
                let (Some(k), Some(v)) = (
                    pair.child_by_field_name("key"),
                    pair.child_by_field_name("value"),
                ) else {
                    continue;
                };
                let key = unquote(text_of(k, text));
                json_value(v, text, &join(path, &key), first_line(pair, text), out);
            }
        }
        "array" => {
            let items = named_children(node);
            let scalars: Option<Vec<String>> = items
                .iter()
                .map(|i| json_scalar(*i, text).map(|s| s.shown()))
                .collect();
            match scalars {
                Some(list) => out.push(ConfigEntry {
                    path: path.to_string(),
                    value: Scalar::List(list),
                    range,
                }),
                None => {
                    for (i, item) in items.into_iter().enumerate() {
                        let name = (item.kind() == "object")
                            .then(|| {
                                named_children(item).into_iter().find_map(|p| {
                                    let k = unquote(text_of(p.child_by_field_name("key")?, text));
                                    if !ITEM_NAME_KEYS.contains(&k.as_str()) {
                                        return None;
                                    }
                                    json_scalar(p.child_by_field_name("value")?, text)
                                        .map(|s| s.shown())
                                })
                            })
                            .flatten();
                        let seg = item_segment(i, name);
                        json_value(item, text, &join(path, &seg), first_line(item, text), out);
                    }
                }
            }
        }
        _ => {
            if let Some(value) = json_scalar(node, text) {
                out.push(ConfigEntry {
                    path: path.to_string(),
                    value,
                    range,
                });
            }
        }
    }
}

// ------------------------------------------------------------------ toml --

fn toml_key(node: Node, text: &str) -> String {
    match node.kind() {
        "dotted_key" => named_children(node)
            .into_iter()
            .map(|k| toml_key(k, text))
            .collect::<Vec<_>>()
            .join("."),
        "quoted_key" => unquote(text_of(node, text)),
        _ => text_of(node, text).to_string(),
    }
}

fn toml_scalar(node: Node, text: &str) -> Option<Scalar> {
    Some(match node.kind() {
        "boolean" => Scalar::Bool(text_of(node, text) == "true"),
        "integer" | "float" => {
            let t = text_of(node, text).replace('_', "");
            t.parse()
                .map_or_else(|_| Scalar::Text(t.clone()), Scalar::Number)
        }
        "string" => Scalar::Text(
            unquote(text_of(node, text).trim_matches('"').trim_matches('\'')).to_string(),
        ),
        "local_date" | "local_date_time" | "offset_date_time" | "local_time" => {
            Scalar::Text(text_of(node, text).to_string())
        }
        _ => return None,
    })
}

fn toml_pairs(container: Node, text: &str, path: &str, out: &mut Vec<ConfigEntry>) {
    for pair in named_children(container)
        .into_iter()
        .filter(|p| p.kind() == "pair")
    {
        let kids = named_children(pair);
        let (Some(k), Some(v)) = (kids.first(), kids.get(1)) else {
            continue;
        };
        toml_value(
            *v,
            text,
            &join(path, &toml_key(*k, text)),
            first_line(pair, text),
            out,
        );
    }
}

fn toml_value(node: Node, text: &str, path: &str, range: Range<usize>, out: &mut Vec<ConfigEntry>) {
    match node.kind() {
        "inline_table" => toml_pairs(node, text, path, out),
        "array" => {
            let items = named_children(node);
            let scalars: Option<Vec<String>> = items
                .iter()
                .map(|i| toml_scalar(*i, text).map(|s| s.shown()))
                .collect();
            match scalars {
                Some(list) => out.push(ConfigEntry {
                    path: path.to_string(),
                    value: Scalar::List(list),
                    range,
                }),
                None => {
                    for (i, item) in items.into_iter().enumerate() {
                        toml_value(
                            item,
                            text,
                            &join(path, &i.to_string()),
                            first_line(item, text),
                            out,
                        );
                    }
                }
            }
        }
        _ => {
            if let Some(value) = toml_scalar(node, text) {
                out.push(ConfigEntry {
                    path: path.to_string(),
                    value,
                    range,
                });
            }
        }
    }
}

fn toml_document(root: Node, text: &str, out: &mut Vec<ConfigEntry>) {
    toml_pairs(root, text, "", out);
    let mut array_counts: Vec<(String, usize)> = Vec::new();
    for table in named_children(root) {
        let Some(key) = table.named_child(0).filter(|k| k.kind().ends_with("key")) else {
            continue;
        };
        let mut path = toml_key(key, text);
        match table.kind() {
            "table" => {}
            "table_array_element" => {
                // `[[jobs]]` items: by their `name` when they have one.
                let name = named_children(table).into_iter().find_map(|p| {
                    let kids = named_children(p);
                    let k = toml_key(*kids.first()?, text);
                    if !ITEM_NAME_KEYS.contains(&k.as_str()) {
                        return None;
                    }
                    toml_scalar(*kids.get(1)?, text).map(|s| s.shown())
                });
                let n = match array_counts.iter_mut().find(|(p, _)| *p == path) {
                    Some((_, n)) => {
                        *n += 1;
                        *n - 1
                    }
                    None => {
                        array_counts.push((path.clone(), 1));
                        0
                    }
                };
                path = join(&path, &item_segment(n, name));
            }
            _ => continue,
        }
        toml_pairs(table, text, &path, out);
    }
}

// ------------------------------------------------------------------- hcl --

fn hcl_expression_scalar(expr: Node, text: &str) -> Option<Scalar> {
    let mut n = expr;
    while matches!(n.kind(), "expression" | "literal_value") {
        n = n.named_child(0)?;
    }
    Some(match n.kind() {
        "bool_lit" => Scalar::Bool(text_of(n, text) == "true"),
        "numeric_lit" => text_of(n, text).parse().map_or_else(
            |_| Scalar::Text(text_of(n, text).to_string()),
            Scalar::Number,
        ),
        "null_lit" => Scalar::Null,
        "string_lit" => Scalar::Text(unquote(text_of(n, text))),
        "template_expr" | "heredoc_template" => Scalar::Text(text_of(n, text).to_string()),
        _ => Scalar::Text(text_of(expr, text).trim().to_string()),
    })
}

fn hcl_collection(expr: Node) -> Option<Node> {
    let mut n = expr;
    while matches!(n.kind(), "expression" | "collection_value") {
        n = n.named_child(0)?;
    }
    matches!(n.kind(), "tuple" | "object").then_some(n)
}

fn hcl_value(expr: Node, text: &str, path: &str, range: Range<usize>, out: &mut Vec<ConfigEntry>) {
    match hcl_collection(expr) {
        Some(c) if c.kind() == "object" => {
            for elem in named_children(c)
                .into_iter()
                .filter(|e| e.kind() == "object_elem")
            {
                let (Some(k), Some(v)) = (
                    elem.child_by_field_name("key"),
                    elem.child_by_field_name("val"),
                ) else {
                    continue;
                };
                let key = unquote(text_of(k, text));
                hcl_value(v, text, &join(path, &key), first_line(elem, text), out);
            }
        }
        Some(c) => {
            let items: Vec<Node> = named_children(c)
                .into_iter()
                .filter(|e| e.kind() == "expression")
                .collect();
            let list: Vec<String> = items
                .iter()
                .filter_map(|i| hcl_expression_scalar(*i, text).map(|s| s.shown()))
                .collect();
            out.push(ConfigEntry {
                path: path.to_string(),
                value: Scalar::List(list),
                range,
            });
        }
        None => {
            if let Some(value) = hcl_expression_scalar(expr, text) {
                out.push(ConfigEntry {
                    path: path.to_string(),
                    value,
                    range,
                });
            }
        }
    }
}

fn hcl_body(node: Node, text: &str, path: &str, out: &mut Vec<ConfigEntry>) {
    let body = if node.kind() == "config_file" {
        match node.named_child(0) {
            Some(b) => b,
            None => return,
        }
    } else {
        node
    };
    for item in named_children(body) {
        match item.kind() {
            "attribute" => {
                let (Some(k), Some(v)) = (item.named_child(0), item.named_child(1)) else {
                    continue;
                };
                hcl_value(
                    v,
                    text,
                    &join(path, text_of(k, text)),
                    first_line(item, text),
                    out,
                );
            }
            "block" => {
                let kids = named_children(item);
                let mut segs: Vec<String> = Vec::new();
                for k in &kids {
                    match k.kind() {
                        "identifier" => segs.push(text_of(*k, text).to_string()),
                        "string_lit" => segs.push(unquote(text_of(*k, text))),
                        _ => {}
                    }
                }
                let block_path = join(path, &segs.join("."));
                if let Some(inner) = kids.iter().find(|k| k.kind() == "body") {
                    hcl_body(*inner, text, &block_path, out);
                }
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------- env and INI --

/// `.env` lines (`KEY=value`, `export KEY=value`) or INI lines (`[section]`,
/// `key = value`, `key: value`). Lines that are neither are skipped.
fn line_entries(text: &str, ini: bool) -> Vec<ConfigEntry> {
    let mut out = Vec::new();
    let mut section = String::new();
    for (start, line) in crate::pipeline::source::lines(text) {
        let t = line.trim();
        if t.is_empty() || t.starts_with(['#', ';']) || t.starts_with("//") {
            continue;
        }
        if ini && t.starts_with('[') {
            if let Some(end) = t.find(']') {
                section = t[1..end].trim().to_string();
            }
            continue;
        }
        let t = if ini {
            t
        } else {
            t.strip_prefix("export ").unwrap_or(t).trim_start()
        };
        let sep = if ini { t.find(['=', ':']) } else { t.find('=') };
        let Some(sep) = sep else {
            continue;
        };
        let key = t[..sep].trim();
        if key.is_empty() || key.contains(char::is_whitespace) {
            continue;
        }
        let raw_value = t[sep + 1..].trim();
        let quoted = raw_value.starts_with(['"', '\'']);
        let value = if quoted {
            Scalar::Text(unquote(raw_value.split(" #").next().unwrap_or(raw_value)))
        } else {
            let v = raw_value
                .split(" #")
                .next()
                .unwrap_or(raw_value)
                .split(" ;")
                .next()
                .unwrap_or(raw_value);
            plain_scalar(v)
        };
        out.push(ConfigEntry {
            path: join(&section, key),
            value,
            range: start..start + line.len(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::parse::grammar;

    fn read(lang: Lang, text: &str) -> Vec<(String, String)> {
        let tree = grammar(lang).map(|g| {
            let mut p = tree_sitter::Parser::new();
            p.set_language(&g).unwrap();
            p.parse(text, None).unwrap()
        });
        entries(lang, text, tree.as_ref())
            .unwrap()
            .into_iter()
            .map(|e| (e.path, e.value.shown()))
            .collect()
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn yaml_paths_lists_and_named_items() {
        assert_eq!(
            read(Lang::Yaml, "on:\n  push:\n    branches: [main]\n")[0].0,
            "on.push.branches"
        );
        let text = "rollout:\n  targets: [a, \"b\"]\n  factory_reset: yes\ntasks:\n  - name: \"Reset\"\n    command: reboot\n  - plain\nretention: 7\n";
        assert_eq!(
            read(Lang::Yaml, text),
            pairs(&[
                ("rollout.targets", "[a, b]"),
                ("rollout.factory_reset", "true"),
                ("tasks.Reset.name", "Reset"),
                ("tasks.Reset.command", "reboot"),
                ("tasks.1", "plain"),
                ("retention", "7"),
            ])
        );
    }

    #[test]
    fn yaml_documents_are_named_by_kind_and_name() {
        let text = "kind: CronJob\nmetadata:\n  name: backup\nspec:\n  schedule: \"0 3 * * *\"\n---\nkind: Service\nmetadata: {name: web}\n";
        let got = read(Lang::Yaml, text);
        assert!(
            got.contains(&("CronJob/backup.spec.schedule".into(), "0 3 * * *".into())),
            "{got:?}"
        );
        assert!(
            got.contains(&("Service/web.kind".into(), "Service".into())),
            "{got:?}"
        );
    }

    #[test]
    fn reordering_and_reformatting_give_the_same_entries() {
        let a = "a:\n  x: 1\n  y: true\nlist:\n  - name: one\n    v: 1\n  - name: two\n    v: 2\n";
        let b = "list:\n- {name: two, v: 2}\n- name: one\n  v: 1\na: {y: yes, x: 1.0}\n";
        let mut ea = read(Lang::Yaml, a);
        let mut eb = read(Lang::Yaml, b);
        ea.sort();
        eb.sort();
        assert_eq!(ea, eb);
    }

    #[test]
    fn json_toml_hcl() {
        assert_eq!(
            read(
                Lang::Json,
                "{\"a\": {\"b\": [1, 2], \"c\": [{\"name\": \"x\", \"v\": true}]}, \"d\": null}"
            ),
            pairs(&[
                ("a.b", "[1, 2]"),
                ("a.c.x.name", "x"),
                ("a.c.x.v", "true"),
                ("d", "null")
            ])
        );
        assert_eq!(
            read(
                Lang::Toml,
                "a = 1\nb.c = \"x\"\n[server.opts]\ndry_run = false\ninline = { k = true }\n[[jobs]]\nname = \"nightly\"\n[[jobs]]\nkeep = 3\n"
            ),
            pairs(&[
                ("a", "1"),
                ("b.c", "x"),
                ("server.opts.dry_run", "false"),
                ("server.opts.inline.k", "true"),
                ("jobs.nightly.name", "nightly"),
                ("jobs.1.keep", "3"),
            ])
        );
        assert_eq!(
            read(
                Lang::Hcl,
                "resource \"aws_db_instance\" \"crm\" {\n  deletion_protection = false\n  tags = { env = \"prod\" }\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n"
            ),
            pairs(&[
                ("resource.aws_db_instance.crm.deletion_protection", "false"),
                ("resource.aws_db_instance.crm.tags.env", "prod"),
                ("resource.aws_db_instance.crm.lifecycle.prevent_destroy", "true"),
            ])
        );
    }

    #[test]
    fn env_and_ini_lines() {
        assert_eq!(
            read(
                Lang::Env,
                "# c\nexport DRY_RUN=false\nFACTORY_RESET=\"yes\"\nURL=http://x#y\nbroken\n"
            ),
            pairs(&[
                ("DRY_RUN", "false"),
                ("FACTORY_RESET", "yes"),
                ("URL", "http://x#y")
            ])
        );
        assert_eq!(
            read(
                Lang::Ini,
                "[maintenance]\nfactory_reset = On ; note\n[rollout]\ntargets: all\n"
            ),
            pairs(&[
                ("maintenance.factory_reset", "true"),
                ("rollout.targets", "all")
            ])
        );
    }

    #[test]
    fn ranges_point_at_the_key_line() {
        let text = "a:\n  deep:\n    dry_run: false\n";
        let tree = {
            let mut p = tree_sitter::Parser::new();
            p.set_language(&grammar(Lang::Yaml).unwrap()).unwrap();
            p.parse(text, None).unwrap()
        };
        let e = entries(Lang::Yaml, text, Some(&tree)).unwrap();
        assert_eq!(&text[e[0].range.clone()], "dry_run: false");
    }

    #[test]
    fn compare_reports_changed_added_and_removed_paths_only() {
        let parse = |t: &str| {
            let mut p = tree_sitter::Parser::new();
            p.set_language(&grammar(Lang::Yaml).unwrap()).unwrap();
            let tree = p.parse(t, None).unwrap();
            entries(Lang::Yaml, t, Some(&tree)).unwrap()
        };
        let base = parse(
            "a: 1
b: true
c: x
",
        );
        let head = parse(
            "c: x
b: false
d: 2
",
        );
        let got: Vec<(&str, Option<String>, Option<String>)> = compare(&base, &head)
            .into_iter()
            .map(|c| {
                (
                    c.path,
                    c.before.map(|e| e.value.shown()),
                    c.after.map(|e| e.value.shown()),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("b", Some("true".into()), Some("false".into())),
                ("d", None, Some("2".into())),
                ("a", Some("1".into()), None),
            ]
        );
    }

    #[test]
    fn garbage_never_panics() {
        for lang in [
            Lang::Yaml,
            Lang::Json,
            Lang::Toml,
            Lang::Hcl,
            Lang::Ini,
            Lang::Env,
        ] {
            for text in [
                "[\n=\n\u{0}\n'",
                "{{{",
                "a: [b, {c: ",
                "- - - :",
                "\u{feff}x = \"\n",
            ] {
                let _ = read(lang, text);
            }
        }
    }
}
