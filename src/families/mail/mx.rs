//! `mail/mx-changed`: MX records removed or pointed elsewhere (or at a
//! name their zone does not define), in BIND zone files, Terraform DNS
//! resources, DNSControl and octoDNS.

use super::dnscontrol::{dangling_targets, dnscontrol_zones, is_dnscontrol};
use super::{basename, Mail};
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision, Severity, Span};
use crate::pipeline::changes::FileVersion;
use crate::pipeline::lang::Lang;
use crate::pipeline::parse::Parsed;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use tree_sitter::Node;

/// One MX record: the domain it serves and the host that receives.
#[derive(Clone, Debug)]
pub(super) struct Mx {
    /// Compared: absolute owner name (zone files), or zone and name
    /// expressions (Terraform).
    pub(super) owner: String,
    pub(super) shown_owner: String,
    pub(super) host: String,
    pub(super) range: Range<usize>,
}

pub(super) fn is_zone_file(path: &str, lang: Lang) -> bool {
    let name = basename(path);
    lang == Lang::Unknown
        && (name.ends_with(".zone") || name.starts_with("db.") || name.ends_with(".db"))
}

pub(super) fn zone_origin_from_name(path: &str) -> String {
    let name = basename(path);
    let name = name.strip_prefix("db.").unwrap_or(&name);
    let name = name.strip_suffix(".zone").unwrap_or(name);
    let name = name.strip_suffix(".db").unwrap_or(name);
    name.trim_end_matches('.').to_string()
}

pub(super) fn absolute(name: &str, origin: &str) -> String {
    let name = name.to_ascii_lowercase();
    if name == "@" {
        origin.to_string()
    } else if let Some(abs) = name.strip_suffix('.') {
        abs.to_string()
    } else if origin.is_empty() {
        name
    } else {
        format!("{name}.{origin}")
    }
}

/// The MX records of a BIND zone file. Comments (`;`) are dropped,
/// parenthesised records joined, a record starting with whitespace
/// belongs to the owner before it, `$ORIGIN` is followed.
pub(super) fn zone_mx(text: &str, path: &str) -> Vec<Mx> {
    let mut origin = zone_origin_from_name(path).to_ascii_lowercase();
    let mut owner = origin.clone();
    let mut out = Vec::new();
    let mut pos = 0;
    let mut pending: Option<(bool, String, usize)> = None; // (continues owner, text, start)
    let mut depth = 0i32;
    for raw in text.split_inclusive('\n') {
        let start = pos;
        pos += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let body = line.split(';').next().unwrap_or("");
        depth += body.matches('(').count() as i32 - body.matches(')').count() as i32;
        let entry =
            pending.get_or_insert_with(|| (line.starts_with([' ', '\t']), String::new(), start));
        entry.1.push(' ');
        entry.1.push_str(&body.replace(['(', ')'], " "));
        if depth > 0 {
            continue;
        }
        depth = 0;
        let Some((continues, record, rstart)) = pending.take() else {
            continue;
        };
        let tokens: Vec<&str> = record.split_whitespace().collect();
        let Some(first) = tokens.first() else {
            continue;
        };
        if first.eq_ignore_ascii_case("$ORIGIN") {
            if let Some(o) = tokens.get(1) {
                origin = absolute(o, &origin);
            }
            continue;
        }
        if first.starts_with('$') {
            continue;
        }
        let fields = if continues {
            &tokens[..]
        } else {
            owner = absolute(first, &origin);
            &tokens[1..]
        };
        let mut i = 0;
        while i < fields.len()
            && (fields[i].starts_with(|c: char| c.is_ascii_digit())
                || ["IN", "CH", "HS"]
                    .iter()
                    .any(|c| fields[i].eq_ignore_ascii_case(c)))
        {
            i += 1;
        }
        if fields.get(i).is_some_and(|t| t.eq_ignore_ascii_case("MX")) {
            if let Some(host) = fields.get(i + 2) {
                out.push(Mx {
                    owner: owner.clone(),
                    shown_owner: owner.clone(),
                    host: absolute(host, &origin),
                    range: rstart..start + line.len(),
                });
            }
        }
    }
    out
}

/// The string literals of an HCL expression, unquoted, or its text.
pub(super) fn hcl_values(node: Node, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        if n.kind() == "string_lit" {
            let t = text.get(n.byte_range()).unwrap_or("");
            out.push(t.trim_matches('"').to_string());
            continue;
        }
        let mut cursor = n.walk();
        let children: Vec<Node> = n.children(&mut cursor).collect();
        stack.extend(children.into_iter().rev());
    }
    if out.is_empty() {
        out.push(text.get(node.byte_range()).unwrap_or("").trim().to_string());
    }
    out
}

/// MX records of Terraform DNS resources.
/// A Terraform value as the same reference in every syntax: `"${x.y}"`
/// (Terraform 0.11 interpolation) and `x.y` (0.12 and later) are one zone,
/// so upgrading the syntax moves no record.
fn bare_reference(value: &str) -> String {
    let v = value.trim().trim_matches('"').trim();
    match v.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        Some(inner) if !inner.contains("${") => inner.trim().to_string(),
        _ => v.to_string(),
    }
}

pub(super) fn terraform_mx(root: Node, text: &str) -> Vec<Mx> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.kind() != "block" {
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
            continue;
        }
        let mut cursor = node.walk();
        let children: Vec<Node> = node.children(&mut cursor).collect();
        let is_resource = children.first().is_some_and(|c| {
            c.kind() == "identifier" && text.get(c.byte_range()) == Some("resource")
        });
        let rtype = children
            .iter()
            .find(|c| c.kind() == "string_lit")
            .and_then(|c| text.get(c.byte_range()))
            .unwrap_or("")
            .trim_matches('"');
        let Some(body) = children.iter().find(|c| c.kind() == "body") else {
            continue;
        };
        if !is_resource {
            stack.push(*body);
            continue;
        }
        let mut attrs: BTreeMap<String, Vec<String>> = BTreeMap::new();
        // Azure writes each MX host as a nested `record { exchange = … }`.
        let mut exchanges: Vec<String> = Vec::new();
        let mut bc = body.walk();
        for attr in body.children(&mut bc) {
            if attr.kind() == "block" {
                let mut inner_cursor = attr.walk();
                let inner: Vec<Node> = attr.children(&mut inner_cursor).collect();
                let is_record = inner
                    .first()
                    .is_some_and(|c| text.get(c.byte_range()) == Some("record"));
                if let (true, Some(rbody)) = (is_record, inner.iter().find(|c| c.kind() == "body"))
                {
                    let mut rc = rbody.walk();
                    for a in rbody.children(&mut rc) {
                        if let (Some(k), Some(v)) = (a.named_child(0), a.named_child(1)) {
                            if text.get(k.byte_range()) == Some("exchange") {
                                exchanges.extend(hcl_values(v, text));
                            }
                        }
                    }
                }
                continue;
            }
            if attr.kind() != "attribute" {
                continue;
            }
            let (Some(key), Some(expr)) = (attr.named_child(0), attr.named_child(1)) else {
                continue;
            };
            attrs.insert(
                text.get(key.byte_range()).unwrap_or("").to_string(),
                hcl_values(expr, text),
            );
        }
        let first = |k: &str| attrs.get(k).and_then(|v| v.first()).cloned();
        let mx_type = rtype == "azurerm_dns_mx_record"
            || first("type").is_some_and(|t| t.eq_ignore_ascii_case("MX"));
        if !mx_type {
            continue;
        }
        let name = bare_reference(&first("name").unwrap_or_default());
        let zone = bare_reference(
            &first("zone_id")
                .or_else(|| first("zone"))
                .or_else(|| first("managed_zone"))
                .or_else(|| first("zone_name"))
                .unwrap_or_default(),
        );
        let last_word = |r: &String| {
            r.split_whitespace()
                .last()
                .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
        };
        let hosts: Vec<String> = match rtype {
            "aws_route53_record" => attrs
                .get("records")
                .map(|rs| {
                    rs.iter()
                        .filter_map(|r| r.split_whitespace().last())
                        .map(|h| h.trim_end_matches('.').to_ascii_lowercase())
                        .collect()
                })
                .unwrap_or_default(),
            "google_dns_record_set" => attrs
                .get("rrdatas")
                .map(|rs| rs.iter().filter_map(last_word).collect())
                .unwrap_or_default(),
            "azurerm_dns_mx_record" => exchanges.iter().filter_map(last_word).collect(),
            "cloudflare_record" | "cloudflare_dns_record" => first("content")
                .or_else(|| first("value"))
                .map(|h| vec![h.trim_end_matches('.').to_ascii_lowercase()])
                .unwrap_or_default(),
            _ => continue,
        };
        // The `resource "…" "…" {` line: the block itself is too long to show.
        let start = node.start_byte();
        let header = start
            ..text[start..]
                .find('\n')
                .map_or(node.end_byte(), |i| start + i);
        for host in hosts {
            out.push(Mx {
                owner: format!("{zone}\0{}", name.to_ascii_lowercase()),
                shown_owner: name.clone(),
                host,
                range: header.clone(),
            });
        }
    }
    out
}

/// MX records of an octoDNS zone file (`example.com.yaml`): records by
/// name, a record or a list of records each with `type: MX` and
/// `value`/`values` holding `exchange`.
pub(super) fn octodns_mx(entries: &[crate::readers::keypath::ConfigEntry], path: &str) -> Vec<Mx> {
    let name = basename(path);
    let zone = name
        .trim_end_matches(".yaml")
        .trim_end_matches(".yml")
        .trim_end_matches('.')
        .to_string();
    let mut out = Vec::new();
    for t in entries.iter().filter(|e| {
        (e.path == "type" || e.path.ends_with(".type"))
            && e.value.shown().eq_ignore_ascii_case("MX")
    }) {
        let prefix = t.path.strip_suffix("type").unwrap_or("");
        // `''` (the apex) holding a list reads as `0.type`.
        let first = prefix.split('.').next().unwrap_or("");
        let record = if first.chars().all(|c| c.is_ascii_digit()) {
            ""
        } else {
            first
        };
        for e in entries.iter().filter(|e| {
            e.path.starts_with(prefix)
                && e.path.ends_with("exchange")
                && e.path.len() > prefix.len()
        }) {
            let host = e.value.shown().trim_end_matches('.').to_ascii_lowercase();
            out.push(Mx {
                owner: format!("{zone}\0{}", record.to_ascii_lowercase()),
                shown_owner: if record.is_empty() {
                    zone.clone()
                } else {
                    format!("{record}.{zone}")
                },
                host,
                range: e.range.clone(),
            });
        }
    }
    out
}

/// `MX` in any case: Azure names its resource `azurerm_dns_mx_record`.
pub(super) fn mentions_mx(text: &str) -> bool {
    text.contains("MX") || text.contains("_mx_")
}

pub(super) fn rec(list: &[MxSide], (s, r): (usize, usize)) -> &Mx {
    &list[s].records[r]
}

pub(super) struct MxSide {
    pub(super) path: String,
    pub(super) text: String,
    pub(super) records: Vec<Mx>,
    /// The host names of the zones the file declares in whole (DNSControl),
    /// for MX targets inside them; `None` where a reader sees only MX
    /// records.
    pub(super) hosts: Option<BTreeSet<String>>,
}

impl Mail {
    pub(super) fn mx_side(
        &self,
        cx: &Context,
        file: &ChangedFile,
        rev: Revision,
    ) -> Option<MxSide> {
        let (version, lang) = match rev {
            Revision::Base => (file.base.as_ref()?, file.base_lang),
            Revision::Head => (file.head.as_ref()?, file.head_lang),
        };
        let (mut records, hosts) = self.mx_records(cx, version, lang)?;
        if lang == Lang::Hcl {
            records = super::terraform_locals::resolve_locals(cx, rev, &version.path, records);
        }
        Some(MxSide {
            path: version.path.clone(),
            text: version.text()?.to_string(),
            records,
            hosts,
        })
    }

    /// The MX records of a file version as written (Terraform locals not
    /// yet resolved) and, for DNSControl, the hosts its zones declare;
    /// what is read from a parse is kept for the run (`extract` reads it
    /// while the tree is held).
    pub(super) fn mx_records(
        &self,
        cx: &Context,
        version: &FileVersion,
        lang: Lang,
    ) -> Option<(Vec<Mx>, Option<BTreeSet<String>>)> {
        let text = version.text()?;
        type Read = (Vec<Mx>, Option<BTreeSet<String>>);
        let from_tree =
            |read: &dyn Fn(&Parsed) -> Read| cx.parse_facts("mail.mx", version, lang, read);
        if lang == Lang::Hcl {
            if !mentions_mx(text) {
                return None;
            }
            from_tree(&|p| (terraform_mx(p.tree.root_node(), &p.text), None))
        } else if is_zone_file(&version.path, lang) {
            Some((zone_mx(text, &version.path), None))
        } else if is_dnscontrol(&version.path, text) {
            from_tree(&|p| {
                let zones = dnscontrol_zones(p.tree.root_node(), &p.text);
                (zones.mx, zones.hosts)
            })
        } else if lang == Lang::Yaml && text.contains("MX") && text.contains("exchange") {
            let entries = cx.config_keys(version, lang)?;
            Some((octodns_mx(&entries, &version.path), None))
        } else {
            None
        }
    }

    pub(super) fn check_mx(&self, cx: &Context, out: &mut Vec<Finding>) {
        let mut sides: [Vec<MxSide>; 2] = [Vec::new(), Vec::new()];
        for file in cx.files.iter().filter(|f| !cx.is_excluded(f.path())) {
            for (k, rev) in [Revision::Base, Revision::Head].into_iter().enumerate() {
                if let Some(side) = self.mx_side(cx, file, rev) {
                    sides[k].push(side);
                }
            }
        }
        // owner → [(side index, record index)]
        let index = |list: &Vec<MxSide>| {
            let mut m: BTreeMap<String, Vec<(usize, usize)>> = BTreeMap::new();
            for (s, side) in list.iter().enumerate() {
                for (r, rec) in side.records.iter().enumerate() {
                    m.entry(rec.owner.clone()).or_default().push((s, r));
                }
            }
            m
        };
        let (base_ix, head_ix) = (index(&sides[0]), index(&sides[1]));
        // An MX sent to a name its zone lacks is said as that, once per
        // domain, in place of what replaced what.
        let dangling = dangling_targets(&sides[0], &sides[1]);
        let mut said: BTreeSet<&str> = BTreeSet::new();
        for &(hs, hr) in &dangling {
            let owner = rec(&sides[1], (hs, hr)).owner.as_str();
            if said.insert(owner) {
                let base_recs = base_ix.get(owner).map_or(&[][..], |v| &v[..]);
                out.push(dangling_finding(&sides, (hs, hr), base_recs));
            }
        }
        for (owner, base_recs) in &base_ix {
            if said.contains(owner.as_str()) {
                continue;
            }
            let base_hosts: BTreeSet<&str> = base_recs
                .iter()
                .map(|&i| rec(&sides[0], i).host.as_str())
                .collect();
            let head_recs = head_ix.get(owner).map_or(&[][..], |v| &v[..]);
            let head_hosts: BTreeSet<&str> = head_recs
                .iter()
                .map(|&i| rec(&sides[1], i).host.as_str())
                .collect();
            let removed: Vec<&str> = base_hosts.difference(&head_hosts).copied().collect();
            if removed.is_empty() {
                continue;
            }
            let added: Vec<&str> = head_hosts.difference(&base_hosts).copied().collect();
            let Some(&(bs, br)) = base_recs
                .iter()
                .find(|&&i| rec(&sides[0], i).host == removed[0])
            else {
                continue;
            };
            let base_side = &sides[0][bs];
            let base_rec = &base_side.records[br];
            let domain = if base_rec.shown_owner == "@" || base_rec.shown_owner.is_empty() {
                "the zone apex (`@`)".to_string()
            } else {
                format!("`{}`", base_rec.shown_owner)
            };
            let before: Vec<&str> = base_hosts.iter().copied().collect();
            let after: Vec<&str> = head_hosts.iter().copied().collect();
            let (mut severity, mut message) =
                mx_message(&domain, &before, &after, &removed, added.is_empty());
            let shown = before
                .iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(", ");
            if after.is_empty() && name_retired(cx, &base_side.path, base_rec) {
                severity = Severity::Low;
                message = format!(
                    "The MX record of {domain} is gone (it pointed to {shown}), with every other \
                     record of the name: the name is retired, so mail to it bounces from now \
                     on. If addresses under it are still in use, keep the MX record."
                );
            } else if let Some(target) = after
                .is_empty()
                .then(|| cname_in_head(cx, &base_side.path, base_rec))
                .flatten()
            {
                severity = Severity::Low;
                message = format!(
                    "The MX record of {domain} is gone (it pointed to {shown}); the name is a \
                     CNAME to `{target}` in head, and a CNAME cannot stand beside an MX record. \
                     The name was handed to another host (or its MX never worked beside the \
                     CNAME): mail to it now follows the CNAME. If addresses under it are still \
                     in use, give them another name."
                );
            }
            let base_loc = Location {
                revision: Revision::Base,
                path: base_side.path.clone(),
                span: Span::from_bytes(&base_side.text, base_rec.range.start, base_rec.range.end),
            };
            let mut f = match head_recs.first() {
                Some(&(hs, hr)) => {
                    let hside = &sides[1][hs];
                    let hrec = &hside.records[hr];
                    Finding::new(
                        "mail/mx-changed",
                        Location {
                            revision: Revision::Head,
                            path: hside.path.clone(),
                            span: Span::from_bytes(&hside.text, hrec.range.start, hrec.range.end),
                        },
                        format!("MX {}", base_rec.shown_owner),
                        message,
                    )
                    .related(
                        base_loc,
                        format!("in base mail for {domain} went to `{}`", removed[0]),
                    )
                }
                None => Finding::new(
                    "mail/mx-changed",
                    base_loc,
                    format!("MX {}", base_rec.shown_owner),
                    message,
                ),
            };
            f = f
                .evidence("domain", base_rec.shown_owner.clone())
                .evidence("before", before.join(", "))
                .evidence("after", after.join(", "))
                .evidence("removed", removed.join(", "))
                .severity(severity);
            out.push(f);
        }
    }
}

/// The finding for a head MX record (`at`) that points at a name of its
/// own zone which the zone does not define.
fn dangling_finding(
    sides: &[Vec<MxSide>; 2],
    at: (usize, usize),
    base_recs: &[(usize, usize)],
) -> Finding {
    let hside = &sides[1][at.0];
    let hrec = rec(&sides[1], at);
    let domain = hrec.shown_owner.clone();
    let before: Vec<String> = base_recs
        .iter()
        .map(|&i| format!("`{}`", rec(&sides[0], i).host))
        .collect();
    let was = if before.is_empty() {
        String::new()
    } else {
        format!(" In base it went to {}.", before.join(", "))
    };
    let written = hside.text.get(hrec.range.clone()).unwrap_or("").to_string();
    let message = format!(
        "The MX record of `{domain}` now points to `{}`, a name of its own zone that the zone \
         does not define (no A, AAAA, CNAME or alias record for it): mail for the domain has \
         no host to go to, and senders retry, then bounce.{was} In DNSControl a target without \
         a dot is relative to the domain (`{written}`); write the full name with a trailing dot \
         if the host lives in another zone.",
        hrec.host
    );
    let mut f = Finding::new(
        "mail/mx-changed",
        Location {
            revision: Revision::Head,
            path: hside.path.clone(),
            span: Span::from_bytes(&hside.text, hrec.range.start, hrec.range.end),
        },
        format!("MX {domain}"),
        message,
    );
    if let Some(&(bs, br)) = base_recs.first() {
        let bside = &sides[0][bs];
        let brec = &bside.records[br];
        f = f.related(
            Location {
                revision: Revision::Base,
                path: bside.path.clone(),
                span: Span::from_bytes(&bside.text, brec.range.start, brec.range.end),
            },
            format!("in base mail for `{domain}` went to `{}`", brec.host),
        );
    }
    if !base_recs.is_empty() {
        let before: Vec<&str> = base_recs
            .iter()
            .map(|&i| rec(&sides[0], i).host.as_str())
            .collect();
        f = f.evidence("before", before.join(", "));
    }
    f.evidence("domain", domain)
        .evidence("after", hrec.host.clone())
        .evidence("undefined", hrec.host.clone())
        .severity(Severity::High)
}

/// Whether head's zone file no longer names the MX record's owner at all:
/// the whole name (or the whole zone file) was retired with its MX record,
/// as when an unused subdomain is cleaned up. Terraform writes a record's
/// name out in full, so a text search finds it; an octoDNS zone keys its
/// records by relative label, so head's top-level keys are asked. A BIND
/// zone file names records by labels a text search cannot tell apart.
fn name_retired(cx: &Context, base_path: &str, record: &Mx) -> bool {
    if base_path.ends_with(".yaml") || base_path.ends_with(".yml") {
        return label_retired(cx, base_path, record);
    }
    let name = record.shown_owner.trim_end_matches('.');
    // A relative name (`@`, `mail`) is the zone's, not a name of its own.
    if !base_path.ends_with(".tf") || !name.contains('.') || name.contains(['$', '{', '(']) {
        return false;
    }
    let quoted = [format!("\"{name}\""), format!("\"{name}.\"")];
    // The file as head holds it, MX records or none; gone means retired.
    cx.lookup(Revision::Head, base_path).is_none_or(|v| {
        v.text()
            .is_some_and(|t| !quoted.iter().any(|q| t.contains(q.as_str())))
    })
}

/// The CNAME target an octoDNS label has in head, if it has one: a name
/// that is a CNAME holds no MX record (hackclub/dns 4ffb42c repointed
/// `shop` to Vercel; 8d2b86c dropped an MX that sat beside a CNAME).
fn cname_in_head(cx: &Context, base_path: &str, record: &Mx) -> Option<String> {
    if !(base_path.ends_with(".yaml") || base_path.ends_with(".yml")) {
        return None;
    }
    let label = record.owner.split('\0').nth(1).filter(|l| !l.is_empty())?;
    let head = cx.lookup(Revision::Head, base_path)?;
    let entries = cx.config_keys(&head, Lang::Yaml)?;
    // `label.type` or `label.N.type` = CNAME, with `value` beside it.
    let under = |e: &crate::readers::keypath::ConfigEntry| {
        e.path
            .get(..label.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(label))
            && e.path.as_bytes().get(label.len()) == Some(&b'.')
    };
    let cname = entries.iter().find(|e| {
        under(e)
            && (e.path.ends_with(".type"))
            && e.path[label.len() + 1..].split('.').count() <= 2
            && e.value.shown().eq_ignore_ascii_case("CNAME")
    })?;
    let prefix = cname.path.strip_suffix("type")?;
    let target = entries
        .iter()
        .find(|e| e.path == format!("{prefix}value"))
        .map(|e| e.value.shown())
        .unwrap_or_else(|| "another name".into());
    Some(target)
}

/// An octoDNS label (`clubs` in `hackclub.com.yaml`) that head's zone file
/// no longer holds any record of. The apex is never retired this way.
fn label_retired(cx: &Context, base_path: &str, record: &Mx) -> bool {
    let label = record.owner.split('\0').nth(1).unwrap_or("");
    if label.is_empty() {
        return false;
    }
    let Some(head) = cx.lookup(Revision::Head, base_path) else {
        return true;
    };
    let Some(entries) = cx.config_keys(&head, Lang::Yaml) else {
        return false;
    };
    !entries.iter().any(|e| {
        e.path
            .get(..label.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(label))
            && matches!(e.path.as_bytes().get(label.len()), None | Some(b'.' | b'#'))
    })
}

/// What a reduction of MX hosts does: all gone (high), a fallback removed
/// (high), or mail moved to other hosts (medium).
fn mx_message(
    domain: &str,
    before: &[&str],
    after: &[&str],
    removed: &[&str],
    nothing_added: bool,
) -> (Severity, String) {
    let list = |hosts: &[&str]| {
        hosts
            .iter()
            .map(|h| format!("`{h}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if after.is_empty() {
        (
            Severity::High,
            format!(
                "The MX record of {domain} is gone (it pointed to {}). Senders now fall \
                 back to the domain's address record or give up: mail for every mailbox \
                 there bounces or goes astray.",
                list(before)
            ),
        )
    } else if nothing_added {
        (
            Severity::High,
            format!(
                "The MX host {} was removed from {domain}; only {} still receives its \
                 mail. Whenever that host is down, mail for the domain now queues at the \
                 senders and eventually bounces instead of going to the fallback.",
                list(removed),
                list(after)
            ),
        )
    } else {
        (
            Severity::Medium,
            format!(
                "Mail for {domain} now goes to {} instead of {}. Unless every mailbox and \
                 alias was set up on the new host first, mail for the missing ones bounces.",
                list(after),
                list(before)
            ),
        )
    }
}
