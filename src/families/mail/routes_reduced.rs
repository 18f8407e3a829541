//! `mail/routes-reduced`: mailboxes, aliases, fetch and routing entries
//! that a change removes or switches off, counted per file ("25 mailboxes
//! became 2").

use super::line_formats::{
    cf_items, cf_params, dovecot_users, fetchmail_entries, getmail_entries, map_entries, Entry,
};
use super::{basename, terraform, Mail};
use crate::families::context::{ChangedFile, Context};
use crate::findings::finding::{Finding, Location, Revision, Severity, Span};
use crate::findings::redact;
use std::collections::BTreeSet;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum RouteKind {
    Map,
    Fetchmail,
    Cf,
    Terraform,
    Getmail,
    DovecotUsers,
}

pub(super) struct RouteFile<'a> {
    pub(super) file: &'a ChangedFile,
    pub(super) kind: RouteKind,
}

/// A group of entries compared as a whole: a map file, or one parameter
/// of a `main.cf`.
pub(super) struct Group {
    pub(super) rev_path: (Revision, String),
    pub(super) subject: String,
    pub(super) what: String,
    /// `what` for one entry.
    pub(super) one: String,
    pub(super) entries: Vec<Entry>,
    /// Entries still written but switched off (`enabled = false`), at the
    /// line that switches them off.
    pub(super) disabled: Vec<Entry>,
    pub(super) text: String,
    /// `routed`, `fetched`: what the entries no longer are.
    pub(super) verb: &'static str,
}

/// `a, b, c and 4 more`.
pub(super) fn list_names(names: &[String], max: usize) -> String {
    let shown: Vec<&str> = names.iter().take(max).map(String::as_str).collect();
    let rest = names.len().saturating_sub(max);
    if rest > 0 {
        format!("{} and {rest} more", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

impl Mail {
    pub(super) fn route_kind(&self, path: &str) -> Option<RouteKind> {
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

    pub(super) fn groups(&self, cx: &Context, rf: &RouteFile, rev: Revision) -> Vec<Group> {
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
                let Some(routes) = terraform_routes_of(cx, version, lang) else {
                    return Vec::new();
                };
                vec![Group {
                    rev_path: (rev, path),
                    subject: format!("{shown_path} email routing"),
                    what: "routed addresses".to_string(),
                    one: "routed address".to_string(),
                    entries: routes.routed.clone(),
                    disabled: routes.disabled.clone(),
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
                let t = &self.tables;
                t.cf_route_keys
                    .iter()
                    .chain(&t.cf_copy_keys)
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
                            verb: if t.cf_copy_keys.contains(k) {
                                "copied to"
                            } else {
                                "routed"
                            },
                        })
                    })
                    .collect()
            }
        }
    }

    pub(super) fn check_routes(&self, cx: &Context, out: &mut Vec<Finding>) {
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
        let copies_added = self.copies_added(cx, &files);
        // Lines the change adds outside `*.cf` files: a parameter moved to
        // a start-up script (`postconf 'virtual_mailbox_maps = texthash:…'`,
        // docker-mailserver c75975d) still routes.
        let set_elsewhere = std::cell::OnceCell::new();
        let set_elsewhere = || set_elsewhere.get_or_init(|| self.lines_added_elsewhere(cx));
        for rf in &files {
            let heads = self.groups(cx, rf, Revision::Head);
            for base in self.groups(cx, rf, Revision::Base) {
                let copy = self.copy_key(&base);
                if copy && copies_added {
                    continue;
                }
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
                    .filter(|e| {
                        rf.kind != RouteKind::Cf
                            || e.key.len() < 4
                            || !set_elsewhere().iter().any(|l| l.contains(e.key.as_str()))
                    })
                    .collect();
                let after: BTreeSet<&str> = head
                    .map(|h| h.entries.iter().map(|e| e.key.as_str()).collect())
                    .unwrap_or_default();
                // A single-valued parameter pointed elsewhere still routes.
                let single = rf.kind == RouteKind::Cf
                    && (base.subject.ends_with(" relayhost")
                        || base.subject.ends_with(" always_bcc"));
                if removed.is_empty() || (single && !after.is_empty()) {
                    continue;
                }
                let deleted = rf.file.head.is_none();
                let f = self.routes_finding(&base, head, &before, &removed, after.len(), deleted);
                // A lost copy loses no delivery: the message still arrives.
                out.push(if copy {
                    f.severity(Severity::Medium)
                } else {
                    f
                });
            }
        }
    }

    /// The lines the change adds to files that are not `*.cf` files.
    fn lines_added_elsewhere(&self, cx: &Context) -> Vec<String> {
        cx.files
            .iter()
            .filter_map(|f| {
                let head = f.head.as_ref()?;
                if self.route_kind(&head.path) == Some(RouteKind::Cf) {
                    return None;
                }
                let text = head.text()?;
                let changes = f.line_changes();
                Some(
                    crate::families::context::touched_lines(text, &changes.head)
                        .map(str::to_string)
                        .collect::<Vec<_>>(),
                )
            })
            .flatten()
            .collect()
    }

    /// Whether a group is one of the `*.cf` parameters that copy mail.
    fn copy_key(&self, g: &Group) -> bool {
        self.tables
            .cf_copy_keys
            .iter()
            .any(|k| g.subject.ends_with(&format!(" {k}")))
    }

    /// Whether the change adds a copy of mail somewhere: a copy parameter
    /// a changed `*.cf` file did not have, or another file about BCC (by
    /// its path or the lines it adds: mailcow c8955284 moved its BCC maps
    /// into an rspamd plugin, `rspamd/dynmaps/bcc.php`). A copy removed
    /// elsewhere was then moved, not lost.
    fn copies_added(&self, cx: &Context, files: &[RouteFile]) -> bool {
        let cf_added = files
            .iter()
            .filter(|rf| rf.kind == RouteKind::Cf)
            .any(|rf| {
                let base = self.groups(cx, rf, Revision::Base);
                self.groups(cx, rf, Revision::Head).iter().any(|h| {
                    self.copy_key(h)
                        && !h.entries.is_empty()
                        && !base
                            .iter()
                            .any(|b| b.subject == h.subject && !b.entries.is_empty())
                })
            });
        let about_bcc = |s: &str| s.to_ascii_lowercase().contains("bcc");
        let bcc_elsewhere = cx.files.iter().any(|f| {
            let Some(head) = &f.head else { return false };
            if self.route_kind(&head.path) == Some(RouteKind::Cf) {
                return false;
            }
            about_bcc(&head.path)
                || head.text().is_some_and(|t| {
                    let changes = f.line_changes();
                    crate::families::context::touched_lines(t, &changes.head).any(about_bcc)
                })
        });
        cf_added || bcc_elsewhere
    }

    pub(super) fn routes_finding(
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
        let (location, related) = where_reduced(base, head, removed[0], switched_off(removed[0]));
        let message = reduction_message(base, before.len(), removed.len(), after, deleted, &listed);
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

/// Where a reduction is shown: in head where a rule was switched off or
/// where what is left starts; in base when nothing is left. The second
/// location is the first removed entry in base.
fn where_reduced(
    base: &Group,
    head: Option<&Group>,
    first_removed: &Entry,
    switched_off: Option<Entry>,
) -> (Location, Location) {
    let first = &first_removed.range;
    let related = Location {
        revision: Revision::Base,
        path: base.rev_path.1.clone(),
        span: Span::from_bytes(&base.text, first.start, first.end),
    };
    let location = match head {
        // A rule switched off is shown where it was switched off.
        Some(h) if switched_off.is_some() => {
            let off = switched_off.map_or(0..0, |e| e.range);
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
    (location, related)
}

/// "25 mailboxes in `virtual` became 2. No longer routed: … Mail for them
/// now bounces …", or the one-entry and relayhost forms of it.
fn reduction_message(
    base: &Group,
    before: usize,
    removed: usize,
    after: usize,
    deleted: bool,
    listed: &str,
) -> String {
    let gone = if deleted {
        format!(" (`{}` was deleted)", base.rev_path.1)
    } else {
        String::new()
    };
    let them = if removed == 1 { "it" } else { "them" };
    let consequence = if base.subject.ends_with(" relayhost") {
        "Postfix now delivers everything directly from this host, which most receiving \
             servers reject or file as spam, and nobody is told."
            .to_string()
    } else if base.verb == "fetched" {
        format!("Mail to {them} now piles up unread on the server, and nobody is told.")
    } else if base.verb == "copied to" {
        "Every message still arrives, but the copy that went there (an archive, a \
             compliance or shared mailbox) is no longer made, and nobody is told."
            .to_string()
    } else {
        format!("Mail for {them} now bounces or is dropped, and nobody is told.")
    };
    if deleted && before == 1 {
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
            before,
            if before == 1 { &base.one } else { &base.what },
            base.rev_path.1,
            after,
            gone,
            base.verb,
            listed,
            consequence,
        )
    }
}

/// The email routes of a Terraform file version that declares routing
/// resources, read once per run (by `extract`, while its parse is held).
pub(super) fn terraform_routes_of(
    cx: &Context,
    version: &crate::pipeline::changes::FileVersion,
    lang: crate::pipeline::lang::Lang,
) -> Option<std::sync::Arc<terraform::TerraformRoutes>> {
    let text = version.text()?;
    if !version.path.ends_with(".tf") || !terraform::ROUTING_TYPES.iter().any(|t| text.contains(t))
    {
        return None;
    }
    cx.parse_facts("mail.terraform_routes", version, lang, |p| {
        std::sync::Arc::new(terraform::terraform_routes(p.tree.root_node(), &p.text))
    })
}
