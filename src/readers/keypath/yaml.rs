//! YAML documents as key paths. Items of a list with a `name`/`id` are
//! keyed by it; multi-document streams are keyed `Kind/name`.

use super::{item_segment, join, plain_scalar, unquote, ConfigEntry, Scalar, ITEM_NAME_KEYS};
use crate::readers::syntax::{first_line, named_children, text_of};
use std::ops::Range;
use tree_sitter::Node;

pub(super) fn yaml_stream(root: Node, text: &str, out: &mut Vec<ConfigEntry>) {
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

pub(super) fn yaml_inner(node: Node) -> Node {
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

pub(super) fn yaml_scalar(node: Node, text: &str) -> Option<Scalar> {
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

pub(super) fn yaml_pairs(node: Node) -> Vec<Node> {
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

pub(super) fn yaml_key(pair: Node, text: &str) -> Option<String> {
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

pub(super) fn yaml_lookup(mapping: Node, text: &str, key: &str) -> Option<String> {
    yaml_pairs(mapping).into_iter().find_map(|p| {
        if yaml_key(p, text)? != key {
            return None;
        }
        let v = p.child_by_field_name("value")?;
        yaml_scalar(v, text).map(|s| s.shown())
    })
}

pub(super) fn yaml_nested_name(body: Node, text: &str) -> Option<String> {
    yaml_pairs(body).into_iter().find_map(|p| {
        if yaml_key(p, text)? != "metadata" {
            return None;
        }
        yaml_lookup(p.child_by_field_name("value")?, text, "name")
    })
}

pub(super) fn yaml_value(
    node: Node,
    text: &str,
    path: &str,
    range: Range<usize>,
    out: &mut Vec<ConfigEntry>,
) {
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
