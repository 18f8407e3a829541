//! HCL (Terraform) bodies as key paths: `resource "type" "name" { … }` is
//! the prefix `resource.type.name`.

use super::{join, unquote, ConfigEntry, Scalar};
use crate::readers::syntax::{first_line, named_children, text_of};
use std::ops::Range;
use tree_sitter::Node;

pub(super) fn hcl_expression_scalar(expr: Node, text: &str) -> Option<Scalar> {
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

pub(super) fn hcl_collection(expr: Node) -> Option<Node> {
    let mut n = expr;
    while matches!(n.kind(), "expression" | "collection_value") {
        n = n.named_child(0)?;
    }
    matches!(n.kind(), "tuple" | "object").then_some(n)
}

pub(super) fn hcl_value(
    expr: Node,
    text: &str,
    path: &str,
    range: Range<usize>,
    out: &mut Vec<ConfigEntry>,
) {
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

pub(super) fn hcl_body(node: Node, text: &str, path: &str, out: &mut Vec<ConfigEntry>) {
    // A licence header or a `/* … */` block before the first block is a
    // comment child of the file, not its body: look the body up by kind.
    let body = if node.kind() == "config_file" {
        match named_children(node)
            .into_iter()
            .find(|c| c.kind() == "body")
        {
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
