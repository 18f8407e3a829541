//! Email routing declared in Terraform: Cloudflare Email Routing rules and
//! Amazon SES receipt rules. A rule removed or switched to `enabled = false`
//! stops mail for the addresses it matched just like a line deleted from a
//! Postfix virtual map, so these become the same kind of routed entries.

use super::line_formats::Entry;
use super::mx::hcl_values;
use crate::readers::syntax::{children, text_of};
use std::collections::BTreeMap;
use tree_sitter::Node;

/// The resource types that route mail, as `text.contains` prefilters.
pub(super) const ROUTING_TYPES: &[&str] = &[
    "cloudflare_email_routing_rule",
    "cloudflare_email_routing_catch_all",
    "aws_ses_receipt_rule",
];

/// What a file's routing resources route: the entries that are live, and
/// those present but switched off (with the range of the `enabled` line).
#[derive(Default)]
pub(super) struct TerraformRoutes {
    pub routed: Vec<Entry>,
    pub disabled: Vec<Entry>,
}

struct Resource<'t> {
    rtype: &'t str,
    name: &'t str,
    /// `attr` → values, for the resource body and its nested blocks
    /// (`matcher.value`), and list-of-object attributes (`matchers`).
    attrs: BTreeMap<String, Vec<String>>,
    enabled_attr: Option<(bool, std::ops::Range<usize>)>,
    header: std::ops::Range<usize>,
}

/// Attributes of a body, nested blocks prefixed with their type
/// (`matcher.value`); object keys inside lists (`matchers = [{ value = … }]`)
/// are flattened the same way under the attribute name.
fn collect_attrs(body: Node, text: &str, prefix: &str, out: &mut BTreeMap<String, Vec<String>>) {
    for child in children(body) {
        match child.kind() {
            "attribute" => {
                let (Some(key), Some(expr)) = (child.named_child(0), child.named_child(1)) else {
                    continue;
                };
                let key = format!("{prefix}{}", text_of(key, text));
                collect_objects(expr, text, &format!("{key}."), out);
                out.entry(key).or_default().extend(hcl_values(expr, text));
            }
            "block" => {
                let parts = children(child);
                let Some(kind) = parts.first().filter(|p| p.kind() == "identifier") else {
                    continue;
                };
                if let Some(inner) = parts.iter().find(|p| p.kind() == "body") {
                    let nested = format!("{prefix}{}.", text_of(*kind, text));
                    collect_attrs(*inner, text, &nested, out);
                }
            }
            _ => {}
        }
    }
}

fn collect_objects(expr: Node, text: &str, prefix: &str, out: &mut BTreeMap<String, Vec<String>>) {
    let mut stack = vec![expr];
    while let Some(n) = stack.pop() {
        if n.kind() == "object_elem" {
            if let (Some(k), Some(v)) = (n.named_child(0), n.named_child(1)) {
                let key = text_of(k, text).trim_matches('"');
                out.entry(format!("{prefix}{key}"))
                    .or_default()
                    .extend(hcl_values(v, text));
            }
            continue;
        }
        stack.extend(children(n));
    }
}

fn resources<'t>(root: Node, text: &'t str) -> Vec<Resource<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.kind() != "block" {
            stack.extend(children(node));
            continue;
        }
        let parts = children(node);
        let is_resource = parts
            .first()
            .is_some_and(|c| c.kind() == "identifier" && text_of(*c, text) == "resource");
        let labels: Vec<&str> = parts
            .iter()
            .filter(|c| c.kind() == "string_lit")
            .map(|c| text_of(*c, text).trim_matches('"'))
            .collect();
        let Some(body) = parts.iter().find(|c| c.kind() == "body") else {
            continue;
        };
        if !is_resource || labels.len() < 2 || !ROUTING_TYPES.contains(&labels[0]) {
            continue;
        }
        let mut attrs = BTreeMap::new();
        collect_attrs(*body, text, "", &mut attrs);
        let enabled_attr = children(*body).into_iter().find_map(|a| {
            if a.kind() != "attribute"
                || a.named_child(0).map(|k| text_of(k, text)) != Some("enabled")
            {
                return None;
            }
            let value = a.named_child(1).map(|v| text_of(v, text).trim())?;
            Some((value != "false", a.byte_range()))
        });
        let start = node.start_byte();
        let header = start
            ..text[start..]
                .find('\n')
                .map_or(node.end_byte(), |i| start + i);
        out.push(Resource {
            rtype: labels[0],
            name: labels[1],
            attrs,
            enabled_attr,
            header,
        });
    }
    out.sort_by_key(|r| r.header.start);
    out
}

/// The addresses a rule receives mail for; the rule's own name when it
/// matches no literal address (a catch-all, an SES rule for every domain).
fn matched(r: &Resource) -> Vec<String> {
    let addresses: Vec<String> = match r.rtype {
        "aws_ses_receipt_rule" => r.attrs.get("recipients").cloned().unwrap_or_default(),
        "cloudflare_email_routing_rule" => ["matcher.value", "matchers.value"]
            .iter()
            .filter_map(|k| r.attrs.get(*k))
            .flatten()
            .filter(|v| v.contains('@'))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    if addresses.is_empty() {
        let what = match r.rtype {
            "cloudflare_email_routing_catch_all" => "catch-all rule",
            _ => "rule",
        };
        vec![format!("{what} {}", r.name)]
    } else {
        addresses
    }
}

pub(super) fn terraform_routes(root: Node, text: &str) -> TerraformRoutes {
    let mut out = TerraformRoutes::default();
    for r in resources(root, text) {
        let (enabled, range) = match &r.enabled_attr {
            Some((on, range)) => (*on, range.clone()),
            None => (true, r.header.clone()),
        };
        for shown in matched(&r) {
            let entry = Entry {
                key: shown.to_ascii_lowercase(),
                shown,
                range: if enabled {
                    r.header.clone()
                } else {
                    range.clone()
                },
            };
            if enabled {
                out.routed.push(entry);
            } else {
                out.disabled.push(entry);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::lang::Lang;
    use crate::pipeline::parse::grammar;

    fn routes(src: &str) -> TerraformRoutes {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&grammar(Lang::Hcl).unwrap()).unwrap();
        let tree = parser.parse(src, None).unwrap();
        terraform_routes(tree.root_node(), src)
    }

    fn keys(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|e| e.shown.as_str()).collect()
    }

    #[test]
    fn cloudflare_rules_in_both_provider_shapes_and_ses_recipients() {
        let src = r#"
resource "cloudflare_email_routing_rule" "fristen" {
  zone_id = var.zone
  enabled = true
  matcher {
    type  = "literal"
    field = "to"
    value = "fristen@kanzlei.de"
  }
  action {
    type  = "forward"
    value = ["fristen@inbox.example"]
  }
}
resource "cloudflare_email_routing_rule" "patente" {
  zone_id  = var.zone
  enabled  = false
  matchers = [{ type = "literal", field = "to", value = "patente@kanzlei.de" }]
  actions  = [{ type = "forward", value = ["p@inbox.example"] }]
}
resource "cloudflare_email_routing_catch_all" "rest" {
  zone_id = var.zone
}
resource "aws_ses_receipt_rule" "store" {
  rule_set_name = "main"
  recipients    = ["info@k.de", "office@k.de"]
}
resource "aws_route53_record" "mx" {
  name = "k.de"
}
"#;
        let r = routes(src);
        assert_eq!(
            keys(&r.routed),
            [
                "fristen@kanzlei.de",
                "catch-all rule rest",
                "info@k.de",
                "office@k.de"
            ]
        );
        assert_eq!(keys(&r.disabled), ["patente@kanzlei.de"]);
        assert!(src[r.disabled[0].range.clone()].starts_with("enabled  = false"));
        assert!(src[r.routed[0].range.clone()]
            .starts_with("resource \"cloudflare_email_routing_rule\" \"fristen\""));
    }
}
