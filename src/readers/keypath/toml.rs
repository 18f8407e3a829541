//! TOML documents as key paths: tables and arrays of tables open their
//! own prefixes.

use super::{item_segment, join, unquote, ConfigEntry, Scalar, ITEM_NAME_KEYS};
use crate::readers::syntax::{first_line, named_children, text_of};
use std::ops::Range;
use tree_sitter::Node;

pub(super) fn toml_key(node: Node, text: &str) -> String {
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

pub(super) fn toml_scalar(node: Node, text: &str) -> Option<Scalar> {
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

pub(super) fn toml_pairs(container: Node, text: &str, path: &str, out: &mut Vec<ConfigEntry>) {
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

pub(super) fn toml_value(
    node: Node,
    text: &str,
    path: &str,
    range: Range<usize>,
    out: &mut Vec<ConfigEntry>,
) {
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

pub(super) fn toml_document(root: Node, text: &str, out: &mut Vec<ConfigEntry>) {
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
