//! DNSControl's JavaScript zones for `mail/mx-changed`: the `MX` records
//! of `D("domain", …)` calls, and the names a zone defines, so that an MX
//! pointed at a name of its own zone that the zone never defines (NixOS
//! 3f56afd: `MX("@", 10, "umbriel")` in `nixcon.org`, i.e.
//! `umbriel.nixcon.org`, which did not exist) is seen.

use super::basename;
use super::mx::{Mx, MxSide};
use std::collections::BTreeSet;
use tree_sitter::Node;

/// Whether a JavaScript file is a DNSControl zone: `dnsconfig.js`, or a
/// file it `require`s (one per domain: `dns/nixos.org.js`), which declares
/// a domain with its DNS provider or extends one (`D_EXTEND`).
pub(super) fn is_dnscontrol(path: &str, text: &str) -> bool {
    let declares =
        text.contains("DnsProvider(") && ["D(\"", "D('", "D(`"].iter().any(|d| text.contains(d));
    basename(path) == "dnsconfig.js"
        || (path.ends_with(".js") && (declares || text.contains("D_EXTEND(")))
}

/// Record types whose name can receive mail or hand the name on: an
/// address, an alias, or a delegation.
const HOST_RECORDS: &[&str] = &[
    "A",
    "AAAA",
    "CNAME",
    "ALIAS",
    "NS",
    "R53_ALIAS",
    "AZURE_ALIAS",
    "CF_WORKER_ROUTE",
];

/// Calls with which a zone keeps records the file does not list
/// (`IGNORE…`; `NO_PURGE` is a bare name): a name it does not define may
/// exist anyway.
const KEEPS_UNLISTED: &[&str] = &["IGNORE", "IGNORE_NAME", "IGNORE_TARGET"];

/// What a DNSControl file declares for the mail family.
pub(super) struct DnsControlZones {
    pub(super) mx: Vec<Mx>,
    /// The absolute names of the host records of its zones; `None` when
    /// the file adds records to a zone declared elsewhere (`D_EXTEND`),
    /// so that a name it does not define may be defined there.
    pub(super) hosts: Option<BTreeSet<String>>,
}

/// A record target as DNSControl reads it: with a trailing dot a full
/// name; a short name (no dot at all) is relative to the domain. A dotted
/// name without the final dot is an error DNSControl refuses to push, read
/// here as the full name it was meant to be.
fn target(host: &str, domain: &str) -> String {
    let host = host.to_ascii_lowercase();
    if host == "@" {
        domain.to_string()
    } else if host.contains('.') {
        host.trim_end_matches('.').to_string()
    } else {
        format!("{host}.{domain}")
    }
}

fn string_arg(node: Node, text: &str) -> Option<String> {
    matches!(node.kind(), "string" | "template_string").then(|| {
        text.get(node.byte_range())
            .unwrap_or("")
            .trim_matches(['"', '\'', '`'])
            .to_string()
    })
}

/// The MX records and host names of the `D("domain", …)` calls of a
/// DNSControl file.
pub(super) fn dnscontrol_zones(root: Node, text: &str) -> DnsControlZones {
    let mut out = DnsControlZones {
        mx: Vec::new(),
        hosts: Some(BTreeSet::new()),
    };
    let mut stack = vec![(root, String::new())];
    while let Some((node, domain)) = stack.pop() {
        let mut domain = domain;
        // `NO_PURGE` is written bare, `IGNORE(…)` called.
        if node.kind() == "identifier" && text.get(node.byte_range()) == Some("NO_PURGE") {
            out.hosts = None;
        }
        if node.kind() == "call_expression" {
            let callee = node
                .child_by_field_name("function")
                .and_then(|f| text.get(f.byte_range()))
                .unwrap_or("");
            let args: Vec<Node> = node
                .child_by_field_name("arguments")
                .map(|a| {
                    let mut c = a.walk();
                    a.named_children(&mut c).collect()
                })
                .unwrap_or_default();
            let arg = |i: usize| args.get(i).and_then(|a| string_arg(*a, text));
            match callee {
                "D" | "D_EXTEND" => {
                    domain = arg(0).unwrap_or_default().to_ascii_lowercase();
                    if callee == "D_EXTEND" {
                        out.hosts = None;
                    }
                }
                // Records kept at the provider that the file does not list.
                t if KEEPS_UNLISTED.contains(&t) => out.hosts = None,
                "MX" => {
                    if let (Some(name), Some(host)) = (arg(0), arg(2)) {
                        out.mx.push(Mx {
                            owner: format!("{domain}\0{}", name.to_ascii_lowercase()),
                            shown_owner: if name == "@" {
                                domain.clone()
                            } else {
                                format!("{name}.{domain}")
                            },
                            host: target(&host, &domain),
                            range: node.byte_range(),
                        });
                    }
                    continue;
                }
                t if HOST_RECORDS.contains(&t) => {
                    if let (Some(name), Some(hosts)) = (arg(0), out.hosts.as_mut()) {
                        hosts.insert(target(&name, &domain));
                    }
                    continue;
                }
                _ => {}
            }
        }
        let mut cursor = node.walk();
        let kids: Vec<Node> = node.children(&mut cursor).collect();
        for k in kids.into_iter().rev() {
            stack.push((k, domain.clone()));
        }
    }
    out
}

/// The zone an MX record of a DNSControl side belongs to.
fn zone_of(rec: &Mx) -> &str {
    rec.owner.split('\0').next().unwrap_or("")
}

/// Whether `host` is the zone's apex or a name one label below it that
/// `hosts` (the zone's host records) does not define, nor a wildcard or
/// delegation above it. Deeper names (`mx.lists.example.org`) may belong
/// to a subzone another file declares, so they are left alone.
fn undefined_in_zone(host: &str, zone: &str, hosts: &BTreeSet<String>) -> bool {
    let in_zone = host == zone
        || host
            .strip_suffix(zone)
            .and_then(|h| h.strip_suffix('.'))
            .is_some_and(|label| !label.is_empty() && !label.contains('.'));
    in_zone
        && !hosts.contains(host)
        && !hosts.contains(&format!("*.{zone}"))
        && !hosts
            .iter()
            .any(|n| n != zone && host.ends_with(&format!(".{n}")))
}

/// The head MX records (side, record) that point at a name of their own
/// zone which the zone does not define, and which base did not already
/// point there: the change sent the domain's mail nowhere.
pub(super) fn dangling_targets(base: &[MxSide], head: &[MxSide]) -> Vec<(usize, usize)> {
    let before: BTreeSet<(&str, &str)> = base
        .iter()
        .flat_map(|s| &s.records)
        .map(|r| (r.owner.as_str(), r.host.as_str()))
        .collect();
    let mut out = Vec::new();
    for (s, side) in head.iter().enumerate() {
        let Some(hosts) = &side.hosts else { continue };
        for (r, rec) in side.records.iter().enumerate() {
            if undefined_in_zone(&rec.host, zone_of(rec), hosts)
                && !before.contains(&(rec.owner.as_str(), rec.host.as_str()))
            {
                out.push((s, r));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zones(js: &str) -> DnsControlZones {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_javascript::LANGUAGE.into())
            .expect("grammar");
        let tree = p.parse(js, None).expect("tree");
        dnscontrol_zones(tree.root_node(), js)
    }

    #[test]
    fn short_targets_are_relative_to_the_domain() {
        let z = zones(
            "D(\"nixcon.org\", REG, DnsProvider(G),\n  MX(\"@\", 10, \"umbriel\"),\n  MX(\"lists\", 10, \"mx.example.net.\"),\n  A(\"www\", \"192.0.2.1\"),\n  CNAME(\"docs\", \"pages.example.net.\"));\n",
        );
        let hosts: Vec<&str> = z.mx.iter().map(|m| m.host.as_str()).collect();
        assert_eq!(hosts, ["umbriel.nixcon.org", "mx.example.net"]);
        let defined = z.hosts.expect("no D_EXTEND");
        assert!(defined.contains("www.nixcon.org") && defined.contains("docs.nixcon.org"));
        assert!(undefined_in_zone(
            "umbriel.nixcon.org",
            "nixcon.org",
            &defined
        ));
        assert!(!undefined_in_zone("www.nixcon.org", "nixcon.org", &defined));
        assert!(!undefined_in_zone("mx.example.net", "nixcon.org", &defined));
    }

    #[test]
    fn wildcards_delegations_and_extended_zones_define_what_they_may() {
        let defined: BTreeSet<String> = ["*.a.org", "mail.b.org"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(!undefined_in_zone("mx.a.org", "a.org", &defined));
        assert!(!undefined_in_zone("in.mail.b.org", "b.org", &defined));
        assert!(undefined_in_zone("mx.b.org", "b.org", &defined));
        assert!(
            !undefined_in_zone("mx.sub.b.org", "b.org", &defined),
            "a subzone may be declared in another file"
        );
        let z = zones("D_EXTEND(\"lists.a.org\", MX(\"@\", 10, \"mx\"));\n");
        assert!(z.hosts.is_none());
        assert_eq!(z.mx[0].host, "mx.lists.a.org");
        let z = zones("D(\"a.org\", REG, DnsProvider(P), NO_PURGE, MX(\"@\", 10, \"mx\"));\n");
        assert!(z.hosts.is_none(), "records kept at the provider");
        let z =
            zones("D(\"a.org\", REG, DnsProvider(P), IGNORE(\"mx\"), MX(\"@\", 10, \"mx\"));\n");
        assert!(z.hosts.is_none(), "records ignored at the provider");
    }

    #[test]
    fn zone_files_are_told_by_their_domain_and_provider() {
        let zone = "D(\"nixos.org\",\n\tREG_NONE,\n\tDnsProvider(DSP_GANDI),\n\tMX(\"@\", 10, \"umbriel\"));\n";
        assert!(is_dnscontrol("dns/nixos.org.js", zone));
        assert!(is_dnscontrol("dnsconfig.js", "require('a.js');"));
        assert!(is_dnscontrol(
            "dns/lists.a.org.js",
            "D_EXTEND(\"lists.a.org\", A(\"@\", \"192.0.2.1\"));"
        ));
        assert!(!is_dnscontrol("src/app.js", "const D = (x) => x; D('a');"));
    }
}
