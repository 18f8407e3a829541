//! JSON documents as key paths.

use super::{item_segment, join, unquote, ConfigEntry, Scalar, ITEM_NAME_KEYS};
use crate::readers::syntax::{first_line, named_children, text_of};
use std::ops::Range;
use tree_sitter::Node;

pub(super) fn json_scalar(node: Node, text: &str) -> Option<Scalar> {
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

pub(super) fn json_value(
    node: Node,
    text: &str,
    path: &str,
    range: Range<usize>,
    out: &mut Vec<ConfigEntry>,
) {
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
