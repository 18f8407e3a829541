//! The mail family: incident 5 in INCIDENTS.md. A cleanup of a Postfix
//! virtual map left 2 of 25 mailboxes of a law firm routed; mail to the
//! others bounced and a patent deadline was missed.
//!
//! Facts are read from line-based mail configuration (Postfix maps and
//! `main.cf`, aliases files, `.fetchmailrc`), from `.env` files, and from
//! Django settings (python grammar) and Rails environments (ruby grammar).

use crate::families::context::{Analyzer, ChangedFile, Context, FamilyDef};
use crate::findings::finding::{Finding, Location, Revision, Severity, Span};
use crate::findings::redact;
use crate::pipeline::lang::Lang;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use tree_sitter::Node;

mod recipients;
mod terraform;
mod transports;

pub const FAMILY: FamilyDef = FamilyDef {
    name: "mail",
    rules: include_str!("../../../rules/mail.toml"),
    build,
};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Tables {
    map_files: Vec<String>,
    map_dirs: Vec<String>,
    fetchmail_files: Vec<String>,
    getmail_prefixes: Vec<String>,
    dovecot_user_files: Vec<String>,
    cf_route_keys: Vec<String>,
    production_names: Vec<String>,
    non_production_names: Vec<String>,
    sink_backends: Vec<String>,
    sink_mailers: Vec<String>,
    mailer_keys: Vec<String>,
    dsn_keys: Vec<String>,
    host_keys: Vec<String>,
    recipient_key_suffixes: Vec<String>,
}

fn build(tables: &toml::Table) -> Result<Box<dyn Analyzer>, String> {
    Ok(Box::new(Mail {
        tables: crate::families::context::read_tables("mail", tables)?,
    }))
}

struct Mail {
    tables: Tables,
}

fn basename(path: &str) -> String {
    path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase()
}

// ------------------------------------------------------------ tokenizer --

/// A logical line of a Postfix-style file: comments (`#` as the first
/// non-blank character) dropped, lines starting with whitespace joined to
/// the line before. `range` covers the physical lines it was made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogicalLine {
    pub text: String,
    pub range: Range<usize>,
}

pub fn logical_lines(text: &str) -> Vec<LogicalLine> {
    let mut out: Vec<LogicalLine> = Vec::new();
    for (start, line) in crate::pipeline::source::lines(text) {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let continues = line.starts_with([' ', '\t']);
        match out.last_mut() {
            Some(last) if continues => {
                last.text.push(' ');
                last.text.push_str(trimmed.trim_end());
                last.range.end = start + line.len();
            }
            _ => out.push(LogicalLine {
                text: trimmed.trim_end().to_string(),
                range: start..start + line.len(),
            }),
        }
    }
    out
}

/// One routed entry: a map key, a fetched user, a `main.cf` list item.
#[derive(Clone, Debug)]
struct Entry {
    /// Compared case-insensitively.
    key: String,
    /// As written, for messages.
    shown: String,
    range: Range<usize>,
}

/// The keys of a lookup table or aliases file (`key value`, `key: value`).
fn map_entries(text: &str) -> Vec<Entry> {
    logical_lines(text)
        .into_iter()
        .filter_map(|l| {
            let first = l.text.split_whitespace().next()?;
            let key = first.split(':').next().unwrap_or(first);
            if key.is_empty() {
                return None;
            }
            Some(Entry {
                key: key.to_ascii_lowercase(),
                shown: key.to_string(),
                range: l.range,
            })
        })
        .collect()
}

/// Words of a `.fetchmailrc`, with their byte ranges; quotes stripped,
/// comments dropped.
fn rc_words(text: &str) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() || c == b',' || c == b';' || c == b':' {
            i += 1;
        } else if c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if c == b'"' || c == b'\'' {
            let start = i;
            i += 1;
            let mut word = Vec::new();
            while i < bytes.len() && bytes[i] != c {
                if bytes[i] == b'\\' && i + 1 < bytes.len() {
                    i += 1;
                }
                word.push(bytes[i]);
                i += 1;
            }
            i = (i + 1).min(bytes.len());
            out.push((String::from_utf8_lossy(&word).into_owned(), start..i));
        } else {
            let start = i;
            while i < bytes.len()
                && !bytes[i].is_ascii_whitespace()
                && !matches!(bytes[i], b',' | b';' | b'#')
            {
                i += 1;
            }
            out.push((
                String::from_utf8_lossy(&bytes[start..i]).into_owned(),
                start..i,
            ));
        }
    }
    out
}

/// The mailboxes a `.fetchmailrc` fetches: `user NAME` under each
/// `poll`/`server` HOST, as `NAME on HOST`.
fn fetchmail_entries(text: &str) -> Vec<Entry> {
    let words = rc_words(text);
    let mut out = Vec::new();
    let mut server = String::new();
    // Entries point at their `poll HOST` words, never at the `user` line,
    // which usually carries the password.
    let mut server_range = 0..0;
    let mut k = 0;
    while k < words.len() {
        let w = words[k].0.to_ascii_lowercase();
        match w.as_str() {
            "poll" | "server" | "skip" => {
                if let Some((host, range)) = words.get(k + 1) {
                    server = host.clone();
                    server_range = words[k].1.start..range.end;
                    k += 1;
                }
            }
            "user" | "username" => {
                if let Some((name, _)) = words.get(k + 1) {
                    let shown = format!("{name} on {server}");
                    out.push(Entry {
                        key: shown.to_ascii_lowercase(),
                        shown,
                        range: server_range.clone(),
                    });
                    k += 1;
                }
            }
            _ => {}
        }
        k += 1;
    }
    out
}

/// The mailbox a getmail rc file fetches: `username on server` of its
/// `[retriever]` section (one rc file per mailbox is getmail's layout).
fn getmail_entries(text: &str) -> Vec<Entry> {
    let mut section = String::new();
    let (mut user, mut server) = (None, None);
    let mut pos = 0;
    for raw in text.split_inclusive('\n') {
        let start = pos;
        pos += raw.len();
        let line = raw.trim();
        if line.starts_with(['#', ';']) || line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = name.trim().to_ascii_lowercase();
            continue;
        }
        if section != "retriever" {
            continue;
        }
        let Some((k, v)) = line.split_once(['=', ':']) else {
            continue;
        };
        let range = start..start + raw.trim_end().len();
        match k.trim().to_ascii_lowercase().as_str() {
            "username" => user = Some((v.trim().to_string(), range)),
            "server" => server = Some(v.trim().to_string()),
            _ => {}
        }
    }
    user.map(|(u, range)| {
        let shown = match server {
            Some(s) => format!("{u} on {s}"),
            None => u,
        };
        Entry {
            key: shown.to_ascii_lowercase(),
            shown,
            range,
        }
    })
    .into_iter()
    .collect()
}

/// The users of a Dovecot passwd-file (`user:{SCHEME}hash:uid:gid:…`):
/// the name before the first `:`. Hashes are never part of an entry.
fn dovecot_users(text: &str) -> Vec<Entry> {
    logical_lines(text)
        .into_iter()
        .filter_map(|l| {
            let user = l.text.split(':').next()?.trim();
            (!user.is_empty()).then(|| Entry {
                key: user.to_ascii_lowercase(),
                shown: user.to_string(),
                range: l.range.start..l.range.start + user.len(),
            })
        })
        .collect()
}

/// `main.cf` parameters: name → (value, range of the logical line).
fn cf_params(text: &str) -> BTreeMap<String, (String, Range<usize>)> {
    let mut out = BTreeMap::new();
    for l in logical_lines(text) {
        if let Some((k, v)) = l.text.split_once('=') {
            out.insert(k.trim().to_string(), (v.trim().to_string(), l.range));
        }
    }
    out
}

fn cf_items(value: &str) -> Vec<String> {
    value
        .split([',', ' ', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

// --------------------------------------------------------------- routes --

#[derive(Clone, Copy, PartialEq, Eq)]
enum RouteKind {
    Map,
    Fetchmail,
    Cf,
    Terraform,
    Getmail,
    DovecotUsers,
}

struct RouteFile<'a> {
    file: &'a ChangedFile,
    kind: RouteKind,
}

/// A group of entries compared as a whole: a map file, or one parameter
/// of a `main.cf`.
struct Group {
    rev_path: (Revision, String),
    subject: String,
    what: String,
    /// `what` for one entry.
    one: String,
    entries: Vec<Entry>,
    /// Entries still written but switched off (`enabled = false`), at the
    /// line that switches them off.
    disabled: Vec<Entry>,
    text: String,
    /// `routed`, `fetched`: what the entries no longer are.
    verb: &'static str,
}

impl Mail {
    fn route_kind(&self, path: &str) -> Option<RouteKind> {
        let name = basename(path);
        if self.tables.fetchmail_files.contains(&name) {
            Some(RouteKind::Fetchmail)
        } else if self.tables.map_files.contains(&name)
            || self
                .tables
                .map_dirs
                .iter()
                .any(|d| path.contains(d.as_str()))
        {
            Some(RouteKind::Map)
        } else if self
            .tables
            .getmail_prefixes
            .iter()
            .any(|p| name.starts_with(p.as_str()))
        {
            Some(RouteKind::Getmail)
        } else if path.contains("dovecot") && self.tables.dovecot_user_files.contains(&name) {
            Some(RouteKind::DovecotUsers)
        } else if name.ends_with(".cf") {
            Some(RouteKind::Cf)
        } else if name.ends_with(".tf") {
            Some(RouteKind::Terraform)
        } else {
            None
        }
    }

    fn groups(&self, cx: &Context, rf: &RouteFile, rev: Revision) -> Vec<Group> {
        let (version, lang) = match rev {
            Revision::Base => (rf.file.base.as_ref(), rf.file.base_lang),
            Revision::Head => (rf.file.head.as_ref(), rf.file.head_lang),
        };
        let Some(version) = version else {
            return Vec::new();
        };
        let Some(text) = version.text() else {
            return Vec::new();
        };
        let path = version.path.clone();
        let shown_path = rf.file.path().to_string();
        match rf.kind {
            RouteKind::Map => {
                let entries = map_entries(text);
                let (what, one) =
                    if !entries.is_empty() && entries.iter().all(|e| e.key.contains('@')) {
                        ("routed addresses", "routed address")
                    } else {
                        ("routing entries", "routing entry")
                    };
                vec![Group {
                    rev_path: (rev, path),
                    subject: format!("{shown_path} entries"),
                    what: what.to_string(),
                    one: one.to_string(),
                    entries,
                    disabled: Vec::new(),
                    text: text.to_string(),
                    verb: "routed",
                }]
            }
            RouteKind::Terraform => {
                if !terraform::ROUTING_TYPES.iter().any(|t| text.contains(t)) {
                    return Vec::new();
                }
                let Some(parsed) = cx.parsed(version, lang) else {
                    return Vec::new();
                };
                let routes = terraform::terraform_routes(parsed.tree.root_node(), &parsed.text);
                vec![Group {
                    rev_path: (rev, path),
                    subject: format!("{shown_path} email routing"),
                    what: "routed addresses".to_string(),
                    one: "routed address".to_string(),
                    entries: routes.routed,
                    disabled: routes.disabled,
                    text: text.to_string(),
                    verb: "routed",
                }]
            }
            RouteKind::Getmail => vec![Group {
                rev_path: (rev, path),
                subject: format!("{shown_path} fetched mailboxes"),
                what: "fetched mailboxes".to_string(),
                one: "fetched mailbox".to_string(),
                entries: getmail_entries(text),
                disabled: Vec::new(),
                text: text.to_string(),
                verb: "fetched",
            }],
            RouteKind::DovecotUsers => vec![Group {
                rev_path: (rev, path),
                subject: format!("{shown_path} mailboxes"),
                what: "mailbox users".to_string(),
                one: "mailbox user".to_string(),
                entries: dovecot_users(text),
                disabled: Vec::new(),
                text: text.to_string(),
                verb: "served",
            }],
            RouteKind::Fetchmail => vec![Group {
                rev_path: (rev, path),
                subject: format!("{shown_path} fetched mailboxes"),
                what: "fetched mailboxes".to_string(),
                one: "fetched mailbox".to_string(),
                entries: fetchmail_entries(text),
                disabled: Vec::new(),
                text: text.to_string(),
                verb: "fetched",
            }],
            RouteKind::Cf => {
                let params = cf_params(text);
                self.tables
                    .cf_route_keys
                    .iter()
                    .filter_map(|k| {
                        let (value, range) = params.get(k)?;
                        let entries = cf_items(value)
                            .into_iter()
                            .map(|item| {
                                let shown = redact::value_for(k, &item);
                                Entry {
                                    key: item.to_ascii_lowercase(),
                                    shown,
                                    range: range.clone(),
                                }
                            })
                            .collect();
                        Some(Group {
                            rev_path: (rev, path.clone()),
                            subject: format!("{shown_path} {k}"),
                            what: format!("values of `{k}`"),
                            one: format!("value of `{k}`"),
                            entries,
                            disabled: Vec::new(),
                            text: text.to_string(),
                            verb: "routed",
                        })
                    })
                    .collect()
            }
        }
    }

    fn check_routes(&self, cx: &Context, out: &mut Vec<Finding>) {
        let files: Vec<RouteFile> = cx
            .files
            .iter()
            .filter(|f| !cx.is_excluded(f.path()))
            .filter_map(|f| {
                let kind = self
                    .route_kind(f.path())
                    .or_else(|| f.base.as_ref().and_then(|b| self.route_kind(&b.path)))?;
                Some(RouteFile { file: f, kind })
            })
            .collect();
        // Entries that still exist in head in any changed file of the same
        // kind: moving an alias from one map to another is not a loss.
        let mut head_keys: BTreeSet<(u8, String)> = BTreeSet::new();
        let kind_id = |k: RouteKind| k as u8;
        for rf in &files {
            for g in self.groups(cx, rf, Revision::Head) {
                let tag = if rf.kind == RouteKind::Cf {
                    format!("{}\0", g.what)
                } else {
                    String::new()
                };
                for e in g.entries {
                    head_keys.insert((kind_id(rf.kind), format!("{tag}{}", e.key)));
                }
            }
        }
        for rf in &files {
            let heads = self.groups(cx, rf, Revision::Head);
            for base in self.groups(cx, rf, Revision::Base) {
                let head = heads.iter().find(|h| h.subject == base.subject);
                let tag = if rf.kind == RouteKind::Cf {
                    format!("{}\0", base.what)
                } else {
                    String::new()
                };
                let mut seen = BTreeSet::new();
                let before: Vec<&Entry> = base
                    .entries
                    .iter()
                    .filter(|e| seen.insert(e.key.clone()))
                    .collect();
                let removed: Vec<&Entry> = before
                    .iter()
                    .copied()
                    .filter(|e| !head_keys.contains(&(kind_id(rf.kind), format!("{tag}{}", e.key))))
                    .collect();
                let after: BTreeSet<&str> = head
                    .map(|h| h.entries.iter().map(|e| e.key.as_str()).collect())
                    .unwrap_or_default();
                // A single-valued parameter pointed elsewhere still routes.
                let single = rf.kind == RouteKind::Cf && base.subject.ends_with(" relayhost");
                if removed.is_empty() || (single && !after.is_empty()) {
                    continue;
                }
                let deleted = rf.file.head.is_none();
                out.push(self.routes_finding(&base, head, &before, &removed, after.len(), deleted));
            }
        }
    }

    fn routes_finding(
        &self,
        base: &Group,
        head: Option<&Group>,
        before: &[&Entry],
        removed: &[&Entry],
        after: usize,
        deleted: bool,
    ) -> Finding {
        let high = removed.len() >= 5 || removed.len() * 2 >= before.len();
        let switched_off = |e: &Entry| {
            head.and_then(|h| h.disabled.iter().find(|d| d.key == e.key))
                .cloned()
        };
        let labels: Vec<String> = removed
            .iter()
            .map(|e| match switched_off(e) {
                Some(_) => format!("`{}` (switched off)", e.shown),
                None => format!("`{}`", e.shown),
            })
            .collect();
        let names: Vec<&str> = removed.iter().map(|e| e.shown.as_str()).collect();
        let listed = list_names(&labels, 8);
        let first = &removed[0].range;
        let related = Location {
            revision: Revision::Base,
            path: base.rev_path.1.clone(),
            span: Span::from_bytes(&base.text, first.start, first.end),
        };
        let location = match head {
            // A rule switched off is shown where it was switched off.
            Some(h) if switched_off(removed[0]).is_some() => {
                let off = switched_off(removed[0]).map_or(0..0, |e| e.range);
                Location {
                    revision: Revision::Head,
                    path: h.rev_path.1.clone(),
                    span: Span::from_bytes(&h.text, off.start, off.end),
                }
            }
            Some(h) => {
                let first = h.entries.first().map_or(0..0, |e| e.range.clone());
                Location {
                    revision: Revision::Head,
                    path: h.rev_path.1.clone(),
                    span: if h.entries.is_empty() {
                        Span::line_of(&h.text, 1)
                    } else {
                        Span::from_bytes(&h.text, first.start, first.end)
                    },
                }
            }
            // Nothing left in head: the removed entries in base are the place.
            None => related.clone(),
        };
        let gone = if deleted {
            format!(" (`{}` was deleted)", base.rev_path.1)
        } else {
            String::new()
        };
        let them = if removed.len() == 1 { "it" } else { "them" };
        let consequence = if base.subject.ends_with(" relayhost") {
            "Postfix now delivers everything directly from this host, which most receiving \
             servers reject or file as spam, and nobody is told."
                .to_string()
        } else if base.verb == "fetched" {
            format!("Mail to {them} now piles up unread on the server, and nobody is told.")
        } else {
            format!("Mail for {them} now bounces or is dropped, and nobody is told.")
        };
        let message = if deleted && before.len() == 1 {
            format!(
                "`{}` was deleted, so {listed} is no longer {}. {consequence}",
                base.rev_path.1, base.verb
            )
        } else if base.subject.ends_with(" relayhost") {
            format!(
                "`relayhost` ({listed}) was removed from `{}`. {consequence}",
                base.rev_path.1
            )
        } else {
            format!(
                "{} {} in `{}` became {}{}. No longer {}: {}. {}",
                before.len(),
                if before.len() == 1 {
                    &base.one
                } else {
                    &base.what
                },
                base.rev_path.1,
                after,
                gone,
                base.verb,
                listed,
                consequence,
            )
        };
        let related_msg = if removed.len() == 1 {
            format!("in base `{}` was {} here", removed[0].shown, base.verb)
        } else {
            format!(
                "in base `{}` and {} more were {} here",
                removed[0].shown,
                removed.len() - 1,
                base.verb
            )
        };
        let mut f = Finding::new(
            "mail/routes-reduced",
            location,
            base.subject.clone(),
            message,
        );
        if let Some(h) = head {
            let label = if switched_off(removed[0]).is_some() {
                "switched off here".to_string()
            } else if after == 0 {
                format!("nothing is {} any more", base.verb)
            } else {
                if after == 1 {
                    format!("1 {} left: this one", h.one)
                } else {
                    format!("{after} {} left, starting here", h.what)
                }
            };
            f = f.label(label).related(related, related_msg);
        }
        f.evidence("before", before.len().to_string())
            .evidence("after", after.to_string())
            .evidence("removed", names.join(", "))
            .severity(if high {
                Severity::High
            } else {
                Severity::Medium
            })
    }
}

/// `a, b, c and 4 more`.
fn list_names(names: &[String], max: usize) -> String {
    let shown: Vec<&str> = names.iter().take(max).map(String::as_str).collect();
    let rest = names.len().saturating_sub(max);
    if rest > 0 {
        format!("{} and {rest} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

// -------------------------------------------------------------- backend --

/// `smtp://user:****@host`: the password of a DSN masked.
fn mask_url_password(value: &str) -> String {
    let Some(scheme_end) = value.find("://").map(|i| i + 3) else {
        return value.to_string();
    };
    let rest = &value[scheme_end..];
    let Some(at) = rest.rfind('@') else {
        return value.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:****{}",
            &value[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => value.to_string(),
    }
}

/// Whether a settings file is meant for production, by the words of its
/// path. `None`: the path says neither.
fn production_by_name(path: &str, tables: &Tables) -> Option<bool> {
    let lower = path.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(['/', '.', '_', '-'])
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[String]| words.iter().any(|w| list.iter().any(|n| n == w));
    if has(&tables.non_production_names) {
        Some(false)
    } else if has(&tables.production_names) {
        Some(true)
    } else {
        None
    }
}

/// One mail-transport setting as it stands on one side.
#[derive(Clone, Debug)]
struct Setting {
    key: String,
    value: String,
    range: Range<usize>,
}

fn env_settings(text: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    for (start, line) in crate::pipeline::source::lines(text) {
        let t = line.trim_start();
        if t.starts_with('#') {
            continue;
        }
        let t = t.strip_prefix("export ").unwrap_or(t);
        let Some((k, v)) = t.split_once('=') else {
            continue;
        };
        let v = v.trim();
        let v = match v.chars().next() {
            Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or(""),
            Some('#') => "",
            _ => v.split(" #").next().unwrap_or(v).trim(),
        };
        out.push(Setting {
            key: k.trim().to_string(),
            value: v.to_string(),
            range: start..start + line.len(),
        });
    }
    out
}

fn string_content(node: Node, text: &str) -> Option<String> {
    if node.kind() != "string" {
        return None;
    }
    let mut s = String::new();
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        if child.kind() == "string_content" {
            s.push_str(text.get(child.byte_range())?);
        }
    }
    Some(s)
}

/// Module-level `NAME = "…"` assignments of a Python settings file.
fn python_settings(root: Node, text: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    let mut cursor = root.walk();
    for stmt in root.children(&mut cursor) {
        if stmt.kind() != "expression_statement" {
            continue;
        }
        let Some(assign) = stmt.named_child(0) else {
            continue;
        };
        if assign.kind() != "assignment" {
            continue;
        }
        let (Some(left), Some(right)) = (
            assign.child_by_field_name("left"),
            assign.child_by_field_name("right"),
        ) else {
            continue;
        };
        if left.kind() != "identifier" {
            continue;
        }
        let Some(value) = string_content(right, text) else {
            continue;
        };
        out.push(Setting {
            key: text.get(left.byte_range()).unwrap_or("").to_string(),
            value,
            range: stmt.byte_range(),
        });
    }
    out
}

/// `config.action_mailer.X = value` assignments of a Rails environment.
fn rails_settings(root: Node, text: &str) -> Vec<Setting> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.kind() == "assignment" {
            if let (Some(l), Some(r)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                let key: String = text
                    .get(l.byte_range())
                    .unwrap_or("")
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                if key.contains("action_mailer.") {
                    out.push(Setting {
                        key,
                        value: text.get(r.byte_range()).unwrap_or("").trim().to_string(),
                        range: node.byte_range(),
                    });
                }
            }
            continue;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            stack.push(child);
        }
    }
    out
}

const SPRING_NO_HOST: &str =
    "without `spring.mail.host` Spring Boot configures no mail sender, so nothing can be sent";

/// `application.properties`, `application-prod.properties`, …
fn is_spring_properties(path: &str) -> bool {
    let name = basename(path);
    name.starts_with("application") && name.ends_with(".properties")
}

/// Whether a Python file may hold mail settings worth a parse.
fn mentions_mail(text: &str) -> bool {
    text.contains("EMAIL_BACKEND")
        || text.contains("MAIL")
        || text.contains("RECIPIENT")
        || mentions_mail_call(text)
}

/// Whether a file may call a mail function whose recipient we read.
fn mentions_mail_call(text: &str) -> bool {
    text.contains("mail(")
        || text.contains("EmailMessage")
        || text.contains("EmailMultiAlternatives")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum BackendKind {
    Env,
    Django,
    Rails,
    Spring,
    Nodemailer,
    LaravelConfig,
}

impl Mail {
    fn backend_kind(&self, path: &str, lang: Lang) -> Option<BackendKind> {
        match lang {
            Lang::Env => Some(BackendKind::Env),
            Lang::Python => Some(BackendKind::Django),
            Lang::Ruby if path.contains("config/environments/") => Some(BackendKind::Rails),
            Lang::Ini if is_spring_properties(path) => Some(BackendKind::Spring),
            Lang::JavaScript | Lang::TypeScript => Some(BackendKind::Nodemailer),
            Lang::Php if path == "config/mail.php" || path.ends_with("/config/mail.php") => {
                Some(BackendKind::LaravelConfig)
            }
            _ => None,
        }
    }

    /// Whether a file configures production. A file whose name says
    /// neither counts as production, except a plain `.env` beside an
    /// `.env.production` (then that file is what production reads).
    fn is_production(&self, cx: &Context, path: &str, kind: BackendKind) -> bool {
        match production_by_name(path, &self.tables) {
            Some(p) => p,
            None => match kind {
                BackendKind::Rails => false,
                BackendKind::Django
                | BackendKind::Spring
                | BackendKind::Nodemailer
                | BackendKind::LaravelConfig => true,
                BackendKind::Env => {
                    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                    let sibling = if dir.is_empty() {
                        ".env.production".to_string()
                    } else {
                        format!("{dir}/.env.production")
                    };
                    !cx.exists(Revision::Head, &sibling)
                }
            },
        }
    }

    fn settings(
        &self,
        cx: &Context,
        file: &ChangedFile,
        rev: Revision,
    ) -> Option<(String, Vec<Setting>)> {
        let (version, lang) = match rev {
            Revision::Base => (file.base.as_ref()?, file.base_lang),
            Revision::Head => (file.head.as_ref()?, file.head_lang),
        };
        let text = version.text()?;
        let kind = self.backend_kind(&version.path, lang)?;
        let settings = match kind {
            BackendKind::Env => env_settings(text),
            BackendKind::Django => {
                if !mentions_mail(text) {
                    return Some((text.to_string(), Vec::new()));
                }
                let parsed = cx.parsed(version, lang)?;
                python_settings(parsed.tree.root_node(), &parsed.text)
            }
            BackendKind::Rails => {
                if !text.contains("action_mailer") {
                    return Some((text.to_string(), Vec::new()));
                }
                let parsed = cx.parsed(version, lang)?;
                rails_settings(parsed.tree.root_node(), &parsed.text)
            }
            BackendKind::Spring => transports::spring_properties(text),
            BackendKind::Nodemailer => {
                if !text.contains("createTransport") {
                    return Some((text.to_string(), Vec::new()));
                }
                let parsed = cx.parsed(version, lang)?;
                transports::nodemailer_transports(parsed.tree.root_node(), &parsed.text)
            }
            BackendKind::LaravelConfig => transports::laravel_default_mailer(text),
        };
        Some((text.to_string(), settings))
    }

    /// Why a setting makes the transport a sink, or `None`.
    fn sink(&self, kind: BackendKind, s: &Setting, base: Option<&Setting>) -> Option<String> {
        let key_up = s.key.to_ascii_uppercase();
        let value = s.value.trim();
        let lower = value.to_ascii_lowercase();
        match kind {
            BackendKind::Django if self.tables.host_keys.contains(&key_up) => (value.is_empty()
                && base.is_some_and(|b| !b.value.trim().is_empty()))
            .then(|| "with no mail host nothing can be sent".to_string()),
            BackendKind::Django => {
                if s.key != "EMAIL_BACKEND"
                    || !self
                        .tables
                        .sink_backends
                        .iter()
                        .any(|b| value.ends_with(b.as_str()))
                {
                    return None;
                }
                let kind = value.rsplit('.').nth(1).unwrap_or("");
                Some(match kind {
                    "console" => "Django now prints every message to the server's console instead of sending it".to_string(),
                    "dummy" => "Django's dummy backend throws every message away".to_string(),
                    "locmem" => "Django now keeps every message in memory instead of sending it".to_string(),
                    "filebased" => "Django now writes every message to a file instead of sending it".to_string(),
                    _ => format!("the `{kind}` backend keeps mail instead of sending it"),
                })
            }
            BackendKind::Rails => {
                if s.key.ends_with("action_mailer.perform_deliveries") && lower == "false" {
                    Some("Rails renders mail but never delivers it".to_string())
                } else if s.key.ends_with("action_mailer.delivery_method")
                    && matches!(lower.as_str(), ":test" | ":file")
                {
                    Some(format!(
                        "Rails keeps mail in {} instead of sending it",
                        if lower == ":test" { "memory" } else { "files" }
                    ))
                } else {
                    None
                }
            }
            BackendKind::Spring => (s.key == "spring.mail.host"
                && value.is_empty()
                && base.is_some_and(|b| !b.value.trim().is_empty()))
            .then(|| SPRING_NO_HOST.to_string()),
            BackendKind::Nodemailer => match value {
                "jsonTransport" => Some(
                    "nodemailer's `jsonTransport` only renders each message to JSON and sends nothing"
                        .to_string(),
                ),
                "streamTransport" => Some(
                    "nodemailer's `streamTransport` only renders each message to a stream and sends nothing"
                        .to_string(),
                ),
                _ => None,
            },
            BackendKind::LaravelConfig => self.tables.sink_mailers.contains(&lower).then(|| {
format!("the `{value}` mailer keeps mail instead of sending it")
            }),
            BackendKind::Env => {
                if self.tables.mailer_keys.contains(&key_up)
                    && self.tables.sink_mailers.contains(&lower)
                {
                    Some(format!(
                        "the `{value}` mailer keeps mail instead of sending it"
                    ))
                } else if self.tables.dsn_keys.contains(&key_up) && lower.starts_with("null://") {
                    Some("a `null://` DSN discards every message".to_string())
                } else if self.tables.host_keys.contains(&key_up)
                    && value.is_empty()
                    && base.is_some_and(|b| !b.value.trim().is_empty())
                {
                    Some("with no mail host nothing can be sent".to_string())
                } else {
                    None
                }
            }
        }
    }

    fn is_recipient_key(&self, key: &str) -> bool {
        let up = key.to_ascii_uppercase();
        self.tables
            .recipient_key_suffixes
            .iter()
            .any(|k| up.ends_with(k.as_str()))
    }

    /// Recipient settings (`*_MAIL_TO`, `*_RECIPIENTS`, …) of production
    /// configurations that held an address in base and are empty or gone
    /// in head.
    fn check_recipients(&self, cx: &Context, out: &mut Vec<Finding>) {
        for file in cx.files {
            let (Some(head), Some(base_v)) = (file.head.as_ref(), file.base.as_ref()) else {
                continue;
            };
            if cx.is_excluded(&head.path) {
                continue;
            }
            let Some(kind) = self.backend_kind(&head.path, file.head_lang) else {
                continue;
            };
            if !matches!(kind, BackendKind::Env | BackendKind::Django)
                || !self.is_production(cx, &head.path, kind)
            {
                continue;
            }
            let (Some((head_text, head_settings)), Some((base_text, base_settings))) = (
                self.settings(cx, file, Revision::Head),
                self.settings(cx, file, Revision::Base),
            ) else {
                continue;
            };
            let mut seen = BTreeSet::new();
            for old in base_settings.iter().rev() {
                if !self.is_recipient_key(&old.key)
                    || !old.value.contains('@')
                    || !seen.insert(old.key.clone())
                {
                    continue;
                }
                let new = head_settings.iter().rev().find(|h| h.key == old.key);
                if new.is_some_and(|n| !n.value.trim().is_empty()) {
                    continue;
                }
                let was = redact::value_for(&old.key, &old.value);
                let base_loc = Location {
                    revision: Revision::Base,
                    path: base_v.path.clone(),
                    span: Span::from_bytes(&base_text, old.range.start, old.range.end),
                };
                let (now, f) = match new {
                    Some(n) => (
                        "empty",
                        Finding::new(
                            "mail/recipient-removed",
                            Location {
                                revision: Revision::Head,
                                path: head.path.clone(),
                                span: Span::from_bytes(&head_text, n.range.start, n.range.end),
                            },
                            old.key.clone(),
                            format!(
                                "`{}` in `{}`, a production configuration, was `{was}` and is now \
                                 empty. Whatever the application mails to that address \
                                 (notifications, contact-form mail, alerts) now goes to nobody, \
                                 and no error says so.",
                                old.key, head.path
                            ),
                        )
                        .related(base_loc, format!("in base it was `{was}`")),
                    ),
                    None => (
                        "removed",
                        Finding::new(
                            "mail/recipient-removed",
                            base_loc,
                            old.key.clone(),
                            format!(
                                "`{}` (`{was}`) was removed from `{}`, a production configuration. \
                                 Whatever the application mailed to that address \
                                 (notifications, contact-form mail, alerts) now goes to nobody, \
                                 or to a fallback nobody reads.",
                                old.key, head.path
                            ),
                        ),
                    ),
                };
                out.push(
                    f.evidence("key", old.key.clone())
                        .evidence("before", was)
                        .evidence("after", now),
                );
            }
        }
    }

    fn check_backends(&self, cx: &Context, out: &mut Vec<Finding>) {
        for file in cx.files {
            let Some(head) = file.head.as_ref() else {
                continue;
            };
            if cx.is_excluded(&head.path) {
                continue;
            }
            let Some(kind) = self.backend_kind(&head.path, file.head_lang) else {
                continue;
            };
            if !self.is_production(cx, &head.path, kind) {
                continue;
            }
            let Some((head_text, head_settings)) = self.settings(cx, file, Revision::Head) else {
                continue;
            };
            // A new file is not a switch away from a working transport.
            let Some(base) = self.settings(cx, file, Revision::Base) else {
                continue;
            };
            let base = Some(base);
            let base_settings = base.as_ref().map_or(&[][..], |b| &b.1[..]);
            for s in &head_settings {
                // The last assignment of a key is the one that counts.
                let old = base_settings.iter().rev().find(|b| b.key == s.key);
                if head_settings
                    .iter()
                    .rev()
                    .find(|h| h.key == s.key)
                    .map(|h| h.range.start)
                    != Some(s.range.start)
                {
                    continue;
                }
                // A transport added beside the real one is not a switch.
                if kind == BackendKind::Nodemailer && old.is_none() {
                    continue;
                }
                let Some(why) = self.sink(kind, s, old) else {
                    continue;
                };
                if old.is_some_and(|o| self.sink(kind, o, None).is_some()) {
                    continue;
                }
                let show = |v: &str| {
                    if kind == BackendKind::Nodemailer && v == transports::SENDING {
                        return "a sending transport".to_string();
                    }
                    let v = mask_url_password(&redact::value_for(&s.key, v));
                    if v.is_empty() {
                        "empty".to_string()
                    } else {
                        format!("`{v}`")
                    }
                };
                let before = old.map_or_else(
                    || "unset (the real transport)".to_string(),
                    |o| show(&o.value),
                );
                let after = show(&s.value);
                let message = if kind == BackendKind::Nodemailer {
                    format!(
                        "The nodemailer transport in `{}` changed from {} to {}: {}. \
                         Every message the application sends from now on is silently lost.",
                        head.path, before, after, why
                    )
                } else if kind == BackendKind::LaravelConfig {
                    format!(
                        "The default mailer in `{}` changed from {} to {}: {}. Every deployment \
                         whose environment does not set `MAIL_MAILER` now loses every message \
                         silently.",
                        head.path, before, after, why
                    )
                } else {
                    format!(
                        "`{}` in `{}`, a production configuration, changed from {} to {}: {}. \
                         Every message the application sends from now on is silently lost.",
                        s.key, head.path, before, after, why
                    )
                };
                let mut f = Finding::new(
                    "mail/backend-disabled",
                    Location {
                        revision: Revision::Head,
                        path: head.path.clone(),
                        span: Span::from_bytes(&head_text, s.range.start, s.range.end),
                    },
                    s.key.clone(),
                    message,
                )
                .evidence("key", s.key.clone())
                .evidence("before", before.clone())
                .evidence("after", after);
                // Only a fallback changed: production usually sets
                // MAIL_MAILER itself, so this is a question, not a verdict.
                if kind == BackendKind::LaravelConfig {
                    f = f.severity(Severity::Medium);
                }
                // A base line whose value had to be masked is not shown.
                let masked = old.is_some_and(|o| show(&o.value) != format!("`{}`", o.value));
                if let (Some(o), Some((base_text, _)), Some(bv), false) =
                    (old, base.as_ref(), file.base.as_ref(), masked)
                {
                    f = f.related(
                        Location {
                            revision: Revision::Base,
                            path: bv.path.clone(),
                            span: Span::from_bytes(base_text, o.range.start, o.range.end),
                        },
                        format!("in base it was {before}"),
                    );
                }
                out.push(f);
            }
            if kind == BackendKind::Spring {
                self.spring_host_removed(cx, file, &head_settings, base.as_ref(), out);
            }
        }
    }

    /// `spring.mail.host` deleted from a production properties file while
    /// no other changed properties file took it over.
    fn spring_host_removed(
        &self,
        cx: &Context,
        file: &ChangedFile,
        head_settings: &[Setting],
        base: Option<&(String, Vec<Setting>)>,
        out: &mut Vec<Finding>,
    ) {
        const HOST: &str = "spring.mail.host";
        let (Some((base_text, base_settings)), Some(bv)) = (base, file.base.as_ref()) else {
            return;
        };
        let Some(old) = base_settings
            .iter()
            .rev()
            .find(|b| b.key == HOST && !b.value.trim().is_empty())
        else {
            return;
        };
        if head_settings.iter().any(|h| h.key == HOST) {
            return;
        }
        let moved = cx.files.iter().any(|f| {
            f.head.as_ref().is_some_and(|h| {
                is_spring_properties(&h.path)
                    && h.text().is_some_and(|t| {
                        transports::spring_properties(t)
                            .iter()
                            .any(|s| s.key == HOST)
                    })
            })
        });
        if moved {
            return;
        }
        let was = redact::value_for(HOST, &old.value);
        out.push(
            Finding::new(
                "mail/backend-disabled",
                Location {
                    revision: Revision::Base,
                    path: bv.path.clone(),
                    span: Span::from_bytes(base_text, old.range.start, old.range.end),
                },
                HOST,
                format!(
                    "`{HOST}` (`{was}`) was removed from `{}`, a production configuration: \
                     {SPRING_NO_HOST}. Every message the application sends from now on fails \
                     or is lost.",
                    bv.path
                ),
            )
            .evidence("key", HOST)
            .evidence("before", format!("`{was}`"))
            .evidence("after", "removed"),
        );
    }
}

// ------------------------------------------------------------ mail calls --

impl Mail {
    fn mail_calls(
        &self,
        cx: &Context,
        file: &ChangedFile,
        rev: Revision,
    ) -> Option<(String, Vec<recipients::MailCall>)> {
        let (version, lang) = match rev {
            Revision::Base => (file.base.as_ref()?, file.base_lang),
            Revision::Head => (file.head.as_ref()?, file.head_lang),
        };
        let text = version.text()?;
        if !mentions_mail_call(text) {
            return None;
        }
        let calls = match lang {
            Lang::Php => recipients::php_mail_calls(text),
            Lang::Python => {
                let parsed = cx.parsed(version, lang)?;
                recipients::python_mail_calls(parsed.tree.root_node(), &parsed.text)
            }
            _ => return None,
        };
        Some((text.to_string(), calls))
    }

    /// A mail call in code that sent to a literal address in base and
    /// sends to nobody in head: the contact form of incident 1 that
    /// "works" and reaches no one.
    fn check_mail_calls(&self, cx: &Context, out: &mut Vec<Finding>) {
        for file in cx.files {
            let (Some(head), Some(base_v)) = (file.head.as_ref(), file.base.as_ref()) else {
                continue;
            };
            if cx.is_excluded(&head.path)
                || production_by_name(&head.path, &self.tables) == Some(false)
            {
                continue;
            }
            let Some((base_text, base_calls)) = self.mail_calls(cx, file, Revision::Base) else {
                continue;
            };
            // A head without any mail call is still a head: the call may be
            // what was removed.
            let Some((head_text, head_calls)) = self
                .mail_calls(cx, file, Revision::Head)
                .or_else(|| head.text().map(|t| (t.to_string(), Vec::new())))
            else {
                continue;
            };
            out.extend(self.notification_removed(
                cx,
                &base_v.path,
                &base_text,
                &base_calls,
                &head_text,
                &head_calls,
            ));
            for old in &base_calls {
                let recipients::Recipients::Addresses(addresses) = &old.recipients else {
                    continue;
                };
                let Some(new) = head_calls.iter().find(|h| {
                    h.callee == old.callee && h.function == old.function && h.ordinal == old.ordinal
                }) else {
                    continue;
                };
                if new.recipients != recipients::Recipients::Empty {
                    continue;
                }
                let was: Vec<String> = addresses.iter().map(|a| format!("`{a}`")).collect();
                let was = list_names(&was, 5);
                let place = if old.function.is_empty() {
                    format!("`{}`", head.path)
                } else {
                    format!("`{}()` in `{}`", old.function, head.path)
                };
                let subject = format!("{} in {}", old.callee, place);
                out.push(
                    Finding::new(
                        "mail/recipient-removed",
                        Location {
                            revision: Revision::Head,
                            path: head.path.clone(),
                            span: Span::from_bytes(
                                &head_text,
                                new.decided_at.start,
                                new.decided_at.end,
                            ),
                        },
                        subject,
                        format!(
                            "`{}` (line {}) in {place} sent to {was} in base; its recipient \
                             (`{}`) is now empty. The code still runs and reports no error, but \
                             the message reaches nobody: a contact form behind it looks like it \
                             works.",
                            old.callee,
                            Span::from_bytes(&head_text, new.range.start, new.range.start).line,
                            new.written
                        ),
                    )
                    .related(
                        Location {
                            revision: Revision::Base,
                            path: base_v.path.clone(),
                            span: Span::from_bytes(
                                &base_text,
                                old.decided_at.start,
                                old.decided_at.end,
                            ),
                        },
                        format!("in base it sent to {was}"),
                    )
                    .evidence("call", old.callee.clone())
                    .evidence("before", addresses.join(", "))
                    .evidence("after", "empty"),
                );
            }
        }
    }
}

/// Signs that a file handles a submitted form.
const FORM_INPUT: &[&str] = &[
    "$_POST",
    "$_REQUEST",
    "INPUT_POST",
    "request.POST",
    "request.form",
    "cleaned_data",
];

/// Signs that a file still sends mail some other way.
const OTHER_SENDERS: &[&str] = &[
    "mail(",
    "Mail::",
    "->send(",
    ".send(",
    "send_mail",
    "sendMail",
    "sendEmail",
    "PHPMailer",
    "mailer",
    "notify(",
    "Notification",
];

impl Mail {
    /// A form handler's notification mail removed while it still handles the
    /// form: submissions are accepted, thanked for, and reach nobody.
    fn notification_removed(
        &self,
        cx: &Context,
        path: &str,
        base_text: &str,
        base_calls: &[recipients::MailCall],
        head_text: &str,
        head_calls: &[recipients::MailCall],
    ) -> Option<Finding> {
        if !head_calls.is_empty()
            || !FORM_INPUT
                .iter()
                .any(|m| base_text.contains(m) && head_text.contains(m))
            || OTHER_SENDERS.iter().any(|m| head_text.contains(m))
        {
            return None;
        }
        let old = base_calls.first()?;
        let to = match &old.recipients {
            recipients::Recipients::Addresses(a) => {
                let shown: Vec<String> = a.iter().map(|x| format!("`{x}`")).collect();
                list_names(&shown, 5)
            }
            _ => format!("`{}`", old.written),
        };
        // The other end: pages of head whose forms post to this handler.
        let forms = forms_posting_to(cx, path);
        let posted_from = match forms.first() {
            Some((page, text, at)) => {
                let line = Span::from_bytes(text, at.start, at.end).line;
                let more = match forms.len() - 1 {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                format!(" The form on `{page}` (line {line}){more} still posts to it.")
            }
            None => String::new(),
        };
        let mut f = Finding::new(
            "mail/recipient-removed",
            Location {
                revision: Revision::Base,
                path: path.to_string(),
                span: Span::from_bytes(base_text, old.range.start, old.range.end),
            },
            format!("{} in `{path}`", old.callee),
            format!(
                "`{path}` still handles a submitted form, but the `{}` call that sent each submission to {to} was removed, and nothing else in the file sends mail. Visitors are thanked as before, and their messages reach nobody.{posted_from}",
                old.callee
            ),
        )
        .evidence("call", old.callee.clone())
        .evidence("before", to)
        .evidence("after", "removed");
        for (page, text, at) in forms.iter().take(3) {
            f = f.related(
                Location {
                    revision: Revision::Head,
                    path: page.clone(),
                    span: Span::from_bytes(text, at.start, at.end),
                },
                "this form posts to the handler",
            );
        }
        if let Some((page, _, _)) = forms.first() {
            f = f.evidence("form_page", page.clone());
        }
        Some(f)
    }
}

/// Head pages with a form whose `action` resolves to `handler`: a path
/// relative to the page, or rooted (matched as a suffix, since the web
/// root may be a subdirectory). The span is the `action` value.
fn forms_posting_to(cx: &Context, handler: &str) -> Vec<(String, String, Range<usize>)> {
    let name = basename(handler);
    let name = name.as_str();
    let mut out = Vec::new();
    for v in crate::families::forms::head_form_pages(cx) {
        let Some(text) = v.text() else {
            continue;
        };
        if !text.contains(name) {
            continue;
        }
        let dir = v.path.rsplit_once('/').map_or("", |(d, _)| d);
        for (i, _) in text.match_indices("action=") {
            let rest = &text[i + 7..];
            let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else {
                continue;
            };
            let Some(end) = rest[1..].find(quote) else {
                continue;
            };
            let value = &rest[1..1 + end];
            let target = value.split(['?', '#']).next().unwrap_or("");
            if target.contains("://") || !target.ends_with(name) {
                continue;
            }
            let resolved = if let Some(rooted) = target.strip_prefix('/') {
                handler == rooted || handler.ends_with(&format!("/{rooted}"))
            } else {
                let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                for seg in target.split('/') {
                    match seg {
                        "" | "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                parts.join("/") == handler
            };
            if resolved {
                let start = i + 8;
                out.push((v.path.clone(), text.to_string(), start..start + value.len()));
                break;
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

// ------------------------------------------------------------------- mx --

/// One MX record: the domain it serves and the host that receives.
#[derive(Clone, Debug)]
struct Mx {
    /// Compared: absolute owner name (zone files), or zone and name
    /// expressions (Terraform).
    owner: String,
    shown_owner: String,
    host: String,
    range: Range<usize>,
}

fn is_zone_file(path: &str, lang: Lang) -> bool {
    let name = basename(path);
    lang == Lang::Unknown
        && (name.ends_with(".zone") || name.starts_with("db.") || name.ends_with(".db"))
}

fn zone_origin_from_name(path: &str) -> String {
    let name = basename(path);
    let name = name.strip_prefix("db.").unwrap_or(&name);
    let name = name.strip_suffix(".zone").unwrap_or(name);
    let name = name.strip_suffix(".db").unwrap_or(name);
    name.trim_end_matches('.').to_string()
}

fn absolute(name: &str, origin: &str) -> String {
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
fn zone_mx(text: &str, path: &str) -> Vec<Mx> {
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
fn hcl_values(node: Node, text: &str) -> Vec<String> {
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
fn terraform_mx(root: Node, text: &str) -> Vec<Mx> {
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
        let name = first("name").unwrap_or_default();
        let zone = first("zone_id")
            .or_else(|| first("zone"))
            .or_else(|| first("managed_zone"))
            .or_else(|| first("zone_name"))
            .unwrap_or_default();
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
fn octodns_mx(entries: &[crate::readers::keypath::ConfigEntry], path: &str) -> Vec<Mx> {
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
fn mentions_mx(text: &str) -> bool {
    text.contains("MX") || text.contains("_mx_")
}

/// DNSControl's configuration, a JavaScript file.
fn is_dnscontrol(path: &str) -> bool {
    basename(path) == "dnsconfig.js"
}

/// `MX(name, priority, host)` records inside `D("domain", …)` calls of a
/// DNSControl `dnsconfig.js`.
fn dnscontrol_mx(root: Node, text: &str) -> Vec<Mx> {
    fn string_arg(node: Node, text: &str) -> Option<String> {
        matches!(node.kind(), "string" | "template_string").then(|| {
            text.get(node.byte_range())
                .unwrap_or("")
                .trim_matches(['"', '\'', '`'])
                .to_string()
        })
    }
    let mut out = Vec::new();
    let mut stack = vec![(root, String::new())];
    while let Some((node, domain)) = stack.pop() {
        let mut domain = domain;
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
            match callee {
                "D" => {
                    if let Some(d) = args.first().and_then(|a| string_arg(*a, text)) {
                        domain = d.to_ascii_lowercase();
                    }
                }
                "MX" => {
                    if let (Some(name), Some(host)) = (
                        args.first().and_then(|a| string_arg(*a, text)),
                        args.get(2).and_then(|a| string_arg(*a, text)),
                    ) {
                        let start = node.start_byte();
                        out.push(Mx {
                            owner: format!("{domain}\0{}", name.to_ascii_lowercase()),
                            shown_owner: if name == "@" {
                                domain.clone()
                            } else {
                                format!("{name}.{domain}")
                            },
                            host: host.trim_end_matches('.').to_ascii_lowercase(),
                            range: start..node.end_byte(),
                        });
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

fn rec(list: &[MxSide], (s, r): (usize, usize)) -> &Mx {
    &list[s].records[r]
}

struct MxSide {
    path: String,
    text: String,
    records: Vec<Mx>,
}

impl Mail {
    fn mx_side(&self, cx: &Context, file: &ChangedFile, rev: Revision) -> Option<MxSide> {
        let (version, lang) = match rev {
            Revision::Base => (file.base.as_ref()?, file.base_lang),
            Revision::Head => (file.head.as_ref()?, file.head_lang),
        };
        let text = version.text()?;
        let records = if lang == Lang::Hcl {
            if !mentions_mx(text) {
                return None;
            }
            let parsed = cx.parsed(version, lang)?;
            terraform_mx(parsed.tree.root_node(), &parsed.text)
        } else if is_zone_file(&version.path, lang) {
            zone_mx(text, &version.path)
        } else if is_dnscontrol(&version.path) {
            let parsed = cx.parsed(version, lang)?;
            dnscontrol_mx(parsed.tree.root_node(), &parsed.text)
        } else if lang == Lang::Yaml && text.contains("MX") && text.contains("exchange") {
            let parsed = cx.parsed(version, lang)?;
            let entries = crate::readers::keypath::entries(lang, &parsed.text, Some(&parsed.tree))?;
            octodns_mx(&entries, &version.path)
        } else {
            return None;
        };
        Some(MxSide {
            path: version.path.clone(),
            text: text.to_string(),
            records,
        })
    }

    fn check_mx(&self, cx: &Context, out: &mut Vec<Finding>) {
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
        for (owner, base_recs) in &base_ix {
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
            let list = |hosts: &[&str]| {
                hosts
                    .iter()
                    .map(|h| format!("`{h}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let before: Vec<&str> = base_hosts.iter().copied().collect();
            let after: Vec<&str> = head_hosts.iter().copied().collect();
            let (severity, message) = if head_hosts.is_empty() {
                (
                    Severity::High,
                    format!(
                        "The MX record of {domain} is gone (it pointed to {}). Senders now fall \
                         back to the domain's address record or give up: mail for every mailbox \
                         there bounces or goes astray.",
                        list(&before)
                    ),
                )
            } else if added.is_empty() {
                (
                    Severity::High,
                    format!(
                        "The MX host {} was removed from {domain}; only {} still receives its \
                         mail. Whenever that host is down, mail for the domain now queues at the \
                         senders and eventually bounces instead of going to the fallback.",
                        list(&removed),
                        list(&after)
                    ),
                )
            } else {
                (
                    Severity::Medium,
                    format!(
                        "Mail for {domain} now goes to {} instead of {}. Unless every mailbox and \
                         alias was set up on the new host first, mail for the missing ones bounces.",
                        list(&after),
                        list(&before)
                    ),
                )
            };
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
                        format!("MX {domain}"),
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

impl Analyzer for Mail {
    fn reads(&self, path: &str, lang: Lang) -> bool {
        self.route_kind(path).is_some()
            || self.backend_kind(path, lang).is_some()
            || lang == Lang::Hcl
            || lang == Lang::Php
            || lang == Lang::Yaml
            || is_zone_file(path, lang)
    }

    fn wants(&self, path: &str, lang: Lang, text: &str) -> bool {
        match lang {
            Lang::Python => mentions_mail(text),
            // PHP code is parsed here with the PHP grammar; the cache's parse
            // is the HTML around it, which this family does not read.
            Lang::Php => false,
            Lang::Ruby => text.contains("action_mailer"),
            Lang::Yaml => text.contains("MX") && text.contains("exchange"),
            Lang::JavaScript | Lang::TypeScript => {
                text.contains("createTransport") || is_dnscontrol(path)
            }
            Lang::Hcl => {
                mentions_mx(text) || terraform::ROUTING_TYPES.iter().any(|t| text.contains(t))
            }
            _ => self.reads(path, lang),
        }
    }

    fn check(&self, cx: &Context) -> Vec<Finding> {
        let mut out = Vec::new();
        self.check_routes(cx, &mut out);
        self.check_backends(cx, &mut out);
        self.check_mail_calls(cx, &mut out);
        self.check_recipients(cx, &mut out);
        self.check_mx(cx, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_lines_join_continuations_and_drop_comments() {
        let text = "# header\nfristen@k.de  fristen\n  , archiv\n\n   # indented comment\npatente@k.de patente\r\n";
        let lines = logical_lines(text);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].text, "fristen@k.de  fristen , archiv");
        assert_eq!(lines[1].text, "patente@k.de patente");
        assert_eq!(&text[lines[1].range.clone()], "patente@k.de patente");
    }

    #[test]
    fn map_entries_read_aliases_and_virtual_keys() {
        let keys: Vec<String> = map_entries("postmaster: root\nabuse:root\n@k.de catchall\n")
            .into_iter()
            .map(|e| e.key)
            .collect();
        assert_eq!(keys, ["postmaster", "abuse", "@k.de"]);
    }

    #[test]
    fn fetchmail_users_are_read_per_server() {
        let rc = "set daemon 300\npoll imap.k.de proto imap\n  user \"fristen\" there with password \"x#y\" is fristen here\n  user 'patente' is patente here\n# user ghost\npoll pop.other.de user anna\n";
        let keys: Vec<String> = fetchmail_entries(rc).into_iter().map(|e| e.shown).collect();
        assert_eq!(
            keys,
            [
                "fristen on imap.k.de",
                "patente on imap.k.de",
                "anna on pop.other.de"
            ]
        );
    }

    #[test]
    fn cf_lists_split_on_commas_and_blanks() {
        let p = cf_params(
            "mydestination = $myhostname,\n    localhost, k.de\nrelayhost=[smtp.k.de]:587\n",
        );
        assert_eq!(
            cf_items(&p["mydestination"].0),
            ["$myhostname", "localhost", "k.de"]
        );
        assert_eq!(p["relayhost"].0, "[smtp.k.de]:587");
    }

    #[test]
    fn env_values_lose_quotes_and_comments() {
        let s = env_settings("export MAIL_MAILER=\"log\"\nMAIL_HOST= # none\n#X=1\n");
        assert_eq!(
            (s[0].key.as_str(), s[0].value.as_str()),
            ("MAIL_MAILER", "log")
        );
        assert_eq!(s[1].value, "");
        assert_eq!(s.len(), 2);
    }

    #[test]
    fn dsn_passwords_are_masked() {
        assert_eq!(
            mask_url_password("smtp://u:pw@h:587"),
            "smtp://u:****@h:587"
        );
        assert_eq!(mask_url_password("null://null"), "null://null");
        assert_eq!(mask_url_password("smtp://h@x"), "smtp://h@x");
    }

    #[test]
    fn production_is_decided_by_path_words() {
        let t: Tables = toml::from_str::<toml::Table>(include_str!("../../../rules/mail.toml"))
            .unwrap()["tables"]
            .clone()
            .try_into()
            .unwrap();
        assert_eq!(production_by_name(".env.production", &t), Some(true));
        assert_eq!(production_by_name("config/prod/.env", &t), Some(true));
        assert_eq!(production_by_name("settings/dev.py", &t), Some(false));
        assert_eq!(
            production_by_name(".env.production.example", &t),
            Some(false)
        );
        assert_eq!(production_by_name(".env", &t), None);
        assert_eq!(production_by_name("portal/settings.py", &t), None);
    }

    #[test]
    fn zone_mx_follows_origin_owners_and_parentheses() {
        let zone = "$TTL 3600\n@ IN SOA ns1 hostmaster (\n  2024 ; serial\n  3600 )\n@ 300 IN MX 10 mx1 ; primary\n  IN MX 20 mx2.other.de.\n$ORIGIN sub.k.de.\nwww IN A 1.2.3.4\nlists MX 5 @\n";
        let mx: Vec<(String, String)> = zone_mx(zone, "zones/db.k.de")
            .into_iter()
            .map(|m| (m.owner, m.host))
            .collect();
        assert_eq!(
            mx,
            [
                ("k.de".into(), "mx1.k.de".into()),
                ("k.de".into(), "mx2.other.de".into()),
                ("lists.sub.k.de".into(), "sub.k.de".into())
            ]
        );
    }

    #[test]
    fn terraform_mx_reads_route53_and_cloudflare() {
        let tf = "resource \"aws_route53_record\" \"mx\" {\n  zone_id = aws_route53_zone.k.zone_id\n  name = \"k.de\"\n  type = \"MX\"\n  records = [\"10 mx1.k.de\", \"20 mx2.k.de.\"]\n}\nresource \"cloudflare_record\" \"mx\" {\n  zone_id = var.zone\n  name = \"@\"\n  type = \"MX\"\n  content = \"mx.cf.de\"\n  priority = 10\n}\nresource \"aws_route53_record\" \"a\" {\n  name = \"k.de\"\n  type = \"A\"\n  records = [\"1.2.3.4\"]\n}\n";
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_hcl::LANGUAGE.into()).unwrap();
        let t = p.parse(tf, None).unwrap();
        let hosts: Vec<String> = terraform_mx(t.root_node(), tf)
            .into_iter()
            .map(|m| m.host)
            .collect();
        assert_eq!(hosts.len(), 3);
        for h in ["mx1.k.de", "mx2.k.de", "mx.cf.de"] {
            assert!(hosts.iter().any(|x| x == h), "{h} in {hosts:?}");
        }
    }

    #[test]
    fn broken_input_never_panics() {
        for t in [
            "\"unterminated",
            "user",
            "poll",
            "=",
            " \n\t",
            "a:\n:b",
            "ü\"ß",
        ] {
            map_entries(t);
            fetchmail_entries(t);
            cf_params(t);
            env_settings(t);
            zone_mx(t, "db.x");
        }
    }
}
