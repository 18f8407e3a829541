//! Rails `config/routes.rb`: verbs, `match via:`, `resources only:/except:`,
//! inside `namespace` and `scope`.

use super::{normalize, unquote, Route};
use crate::readers::syntax::{named_children, text_of};
use tree_sitter::Node;

pub fn symbol_or_string(node: Node, text: &str) -> Option<String> {
    match node.kind() {
        "simple_symbol" => Some(text_of(node, text).trim_start_matches(':').to_string()),
        "string" => Some(unquote(text_of(node, text))),
        _ => None,
    }
}

pub(super) fn rails_routes(node: Node, text: &str, prefix: &str, out: &mut Vec<Route>) {
    for child in named_children(node) {
        if child.kind() != "call" || child.child_by_field_name("receiver").is_some() {
            rails_routes(child, text, prefix, out);
            continue;
        }
        let method = child
            .child_by_field_name("method")
            .map_or("", |m| text_of(m, text));
        let args: Vec<Node> = child
            .child_by_field_name("arguments")
            .map(named_children)
            .unwrap_or_default();
        let first = args.first().and_then(|a| symbol_or_string(*a, text));
        let pairs: Vec<(String, String)> = args
            .iter()
            .filter(|a| a.kind() == "pair")
            .filter_map(|p| {
                let k = text_of(p.child_by_field_name("key")?, text)
                    .trim_end_matches(':')
                    .trim_start_matches(':')
                    .to_string();
                Some((
                    k,
                    text_of(p.child_by_field_name("value")?, text).to_string(),
                ))
            })
            .collect();
        let opt = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        match (method, first) {
            ("namespace" | "scope", Some(p)) => {
                let inner = format!("{prefix}/{}", p.trim_matches('/'));
                if let Some(block) = child.child_by_field_name("block") {
                    rails_routes(block, text, &inner, out);
                }
            }
            ("post" | "put" | "patch" | "delete" | "get" | "match", Some(p)) => {
                let methods = if method == "match" {
                    opt("via")
                        .map(|v| {
                            v.split(|c: char| !c.is_alphabetic())
                                .filter(|w| !w.is_empty())
                                .map(str::to_ascii_uppercase)
                                .filter(|w| w != "ALL")
                                .collect()
                        })
                        .unwrap_or_default()
                } else {
                    vec![method.to_ascii_uppercase()]
                };
                let name = opt("as").map(|v| v.trim_matches([':', '"', '\'']).to_string());
                out.push(Route {
                    methods,
                    path: normalize(&format!("{prefix}/{}", p.trim_start_matches('/'))),
                    name,
                    framework: "Rails",
                    relative: false,
                    range: child.byte_range(),
                });
            }
            ("resources" | "resource", Some(p)) => {
                let only = opt("only");
                let except = opt("except");
                let allowed = |action: &str| {
                    only.as_ref().is_none_or(|o| o.contains(action))
                        && !except.as_ref().is_some_and(|e| e.contains(action))
                };
                let base = normalize(&format!("{prefix}/{p}"));
                let member = if method == "resources" {
                    format!("{base}/*")
                } else {
                    base.clone()
                };
                if allowed("create") {
                    out.push(Route {
                        methods: vec!["POST".into()],
                        path: base.clone(),
                        name: Some(p.clone()),
                        framework: "Rails",
                        relative: false,
                        range: child.byte_range(),
                    });
                }
                if allowed("update") {
                    out.push(Route {
                        methods: vec!["PATCH".into(), "PUT".into()],
                        path: member.clone(),
                        name: None,
                        framework: "Rails",
                        relative: false,
                        range: child.byte_range(),
                    });
                }
                if allowed("destroy") {
                    out.push(Route {
                        methods: vec!["DELETE".into()],
                        path: member,
                        name: None,
                        framework: "Rails",
                        relative: false,
                        range: child.byte_range(),
                    });
                }
                if let Some(block) = child.child_by_field_name("block") {
                    rails_routes(block, text, &format!("{base}/*"), out);
                }
            }
            _ => rails_routes(child, text, prefix, out),
        }
    }
}
