//! MX hosts written as a Terraform local (`records = local.mandrill_mx`,
//! `["${local.mandrill_mx}"]`). 18F/dns moved its Mandrill MX pair into a
//! `locals` block of `mandrill.tf` and pointed twenty records at it: read
//! as text, every one of them "moved to `local.mandrill_mx`". A module is
//! its directory, so the local is looked up in the `.tf` files beside the
//! record, on the same side, and only when a record names one.

use super::mx::{hcl_values, Mx};
use crate::families::context::Context;
use crate::findings::finding::Revision;
use crate::pipeline::lang::Lang;
use crate::readers::syntax::{children, text_of};
use std::collections::BTreeMap;

/// The local a host names, if it is one: `local.x` or `${local.x}`.
fn local_name(host: &str) -> Option<&str> {
    // `["${local.x}"]`: a list of one interpolation, read as written.
    let v = host.trim();
    let v = v
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(v)
        .trim()
        .trim_matches('"');
    let v = v
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
        .unwrap_or(v)
        .trim();
    let name = v.strip_prefix("local.")?;
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        .then_some(name)
}

/// Records whose host is a local get the local's hosts instead (one record
/// per host, at the same place). A local riskdiff cannot find stays as
/// written.
pub(super) fn resolve_locals(cx: &Context, rev: Revision, path: &str, records: Vec<Mx>) -> Vec<Mx> {
    if !records.iter().any(|r| local_name(&r.host).is_some()) {
        return records;
    }
    let locals = module_locals(cx, rev, path);
    let mut out = Vec::with_capacity(records.len());
    for r in records {
        match local_name(&r.host).and_then(|n| locals.get(&n.to_ascii_lowercase())) {
            Some(hosts) => out.extend(hosts.iter().map(|h| Mx {
                host: h.clone(),
                ..r.clone()
            })),
            None => out.push(r),
        }
    }
    out
}

/// The locals of the module `path` is in (its directory), as MX hosts:
/// the last word of each value, lower case, without the final dot.
fn module_locals(cx: &Context, rev: Revision, path: &str) -> BTreeMap<String, Vec<String>> {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let listing = cx.all_files(rev);
    let mut out = BTreeMap::new();
    let siblings = listing
        .iter()
        .filter(|(p, _)| p.ends_with(".tf") && p.rsplit_once('/').map_or("", |(d, _)| d) == dir);
    for (p, _) in siblings {
        let Some(version) = cx.lookup(rev, p) else {
            continue;
        };
        if !version.text().is_some_and(|t| t.contains("locals")) {
            continue;
        }
        let Some(parsed) = cx.parsed(&version, Lang::Hcl) else {
            continue;
        };
        let text = &parsed.text;
        let mut stack = vec![parsed.tree.root_node()];
        while let Some(node) = stack.pop() {
            if node.kind() != "block" {
                // `locals` blocks sit at the top of a module's files.
                stack.extend(
                    children(node)
                        .into_iter()
                        .filter(|c| matches!(c.kind(), "body" | "block")),
                );
                continue;
            }
            let parts = children(node);
            let is_locals = parts.first().is_some_and(|c| text_of(*c, text) == "locals");
            let Some(body) = parts
                .iter()
                .find(|c| c.kind() == "body")
                .filter(|_| is_locals)
            else {
                continue;
            };
            for attr in children(*body)
                .into_iter()
                .filter(|a| a.kind() == "attribute")
            {
                let (Some(key), Some(expr)) = (attr.named_child(0), attr.named_child(1)) else {
                    continue;
                };
                let hosts = hcl_values(expr, text)
                    .iter()
                    .filter_map(|v| v.split_whitespace().last())
                    .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
                    .collect();
                out.insert(text_of(key, text).to_ascii_lowercase(), hosts);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::local_name;

    #[test]
    fn a_host_that_names_a_local() {
        assert_eq!(local_name("${local.mandrill_mx}"), Some("mandrill_mx"));
        assert_eq!(local_name("local.mandrill_mx"), Some("mandrill_mx"));
        assert_eq!(local_name("\"${local.mx}\""), Some("mx"));
        assert_eq!(
            local_name("[\"${local.mandrill_mx}\"]"),
            Some("mandrill_mx")
        );
        assert_eq!(local_name("mx1.example.com"), None);
        assert_eq!(local_name("${local.a}${local.b}"), None);
        assert_eq!(local_name("var.mx"), None);
    }
}
