//! What receives a form when no server route of the repository does: a
//! hosted form service (Formspree, Getform, Basin…), Netlify's form
//! detection, or a WordPress forms plugin behind a shortcode. Losing any of
//! them loses every submission as silently as a deleted handler.

use super::{is_dead_action, AttrValue, FormFacts, Forms, PageSide};
use crate::families::context::{Context, FileGroup};
use crate::findings::finding::{Finding, Location, Revision, Span};
use std::collections::{BTreeMap, BTreeSet};

/// The host of a literal `http(s)://` or protocol-relative (`//host/…`,
/// which the browser sends with the page's own scheme) action, lower case.
fn action_host(action: &str) -> Option<String> {
    let a = action.trim();
    let rest = ["https://", "http://", "//"].iter().find_map(|p| {
        a.get(..p.len())
            .filter(|h| h.eq_ignore_ascii_case(p))
            .map(|_| &a[p.len()..])
    })?;
    let host = rest.split(['/', '?', '#']).next()?.to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    Some(
        host.rsplit_once('@')
            .map_or(host.clone(), |(_, h)| h.to_string()),
    )
}

impl Forms {
    /// The hosted form service a form posts to, if any.
    pub(super) fn hosted_provider(&self, form: &FormFacts) -> Option<String> {
        let action = form.action()?.literal()?;
        let host = action_host(action)?;
        self.tables
            .hosted_form_hosts
            .iter()
            .find(|h| host == **h || host.ends_with(&format!(".{h}")))
            .cloned()
    }

    /// Why Netlify's form handling picks this form up, if it does.
    pub(super) fn netlify_marker(&self, form: &FormFacts) -> Option<String> {
        if let Some(attr) = self
            .tables
            .netlify_attributes
            .iter()
            .find(|a| form.tag.get(a).is_some())
        {
            return Some(format!("`{attr}`"));
        }
        form.fields
            .iter()
            .any(|f| f.hidden && f.name == "form-name")
            .then(|| "the hidden `form-name` field".to_string())
    }

    /// A hosted provider's action emptied, `#` or removed: reported as the
    /// provider being lost (instead of a generic broken action).
    pub(super) fn hosted_action_lost(&self, b: &FormFacts, h: &FormFacts) -> Option<String> {
        let provider = self.hosted_provider(b)?;
        let gone = match h.action() {
            None => !h.tag.templated,
            Some(AttrValue::Literal(a)) => is_dead_action(a),
            Some(AttrValue::Bare) => true,
            Some(AttrValue::Templated(_)) => false,
        };
        gone.then_some(provider)
    }

    /// Whether Netlify registers a head form: by its own attribute, or, for
    /// a form that only carries the hidden `form-name` field (a form a
    /// script renders), by a static copy with the attribute and the same
    /// name in another file of the site (Gatsby's `static/`, Next.js's
    /// `public/__forms.html`). The hidden field alone registers nothing.
    fn netlify_registers(&self, cx: &Context, page: &str, form: &FormFacts) -> bool {
        let attribute = self.netlify_attribute(form);
        if attribute || self.netlify_marker(form).is_none() {
            return attribute;
        }
        let Some(name) = form
            .fields
            .iter()
            .find(|f| f.hidden && f.name == "form-name")
            .and(form.tag.literal("name"))
            .map(str::trim)
            .filter(|n| !n.is_empty())
        else {
            // No name to look for: assume the site registers it.
            return true;
        };
        let spelled = [format!("name=\"{name}\""), format!("name='{name}'")];
        let copy_in = |files: &[crate::pipeline::changes::FileVersion]| {
            files.iter().any(|v| {
                v.path != page
                    && v.text().is_some_and(|t| {
                        self.tables
                            .netlify_attributes
                            .iter()
                            .any(|a| t.contains(a.as_str()))
                            && spelled.iter().any(|s| t.contains(s.as_str()))
                    })
            })
        };
        copy_in(&cx.head_files(FileGroup::Markup)) || copy_in(&cx.head_files(FileGroup::Script))
    }

    fn netlify_attribute(&self, form: &FormFacts) -> bool {
        self.tables
            .netlify_attributes
            .iter()
            .any(|a| form.tag.get(a).is_some())
    }

    pub(super) fn check_netlify(
        &self,
        cx: &Context,
        bp: &PageSide,
        hp: &PageSide,
        b: &FormFacts,
        h: &FormFacts,
        out: &mut Vec<Finding>,
    ) {
        let Some(marker) = self.netlify_marker(b) else {
            return;
        };
        // A form that carried only the hidden field in base too registers
        // as it did (through a static copy, or not at all): nothing this
        // change did, and no reason to read the site for a copy.
        if !self.netlify_attribute(b) && self.netlify_marker(h).is_some() {
            return;
        }
        if self.hosted_provider(h).is_some() || self.netlify_registers(cx, hp.path, h) {
            return;
        }
        // Posting somewhere real now (a same-site handler, another provider)
        // is a migration, not a loss.
        let posts_elsewhere = match (b.action(), h.action()) {
            (_, Some(AttrValue::Templated(_))) => true,
            (ba, Some(AttrValue::Literal(ha))) => {
                !is_dead_action(ha)
                    && ba.and_then(AttrValue::literal).map(str::trim) != Some(ha.trim())
            }
            _ => false,
        };
        if posts_elsewhere || self.submit_hook(&h.tag).is_some() {
            return;
        }
        let label = h.label();
        let page = hp.path;
        let kept = if self.netlify_marker(h).is_some() {
            " The hidden `form-name` field it kept registers nothing by itself: only a form with the attribute does, here or in a static copy elsewhere in the site, and there is none."
        } else {
            ""
        };
        out.push(
            Finding::new(
                "forms/provider-removed",
                hp.form_loc(h),
                b.subject(),
                format!(
                    "The {label} on `{page}` lost {marker}, which is what made Netlify collect its submissions.{kept} Netlify no longer detects the form at build time, so a submission now ends on a page that does not accept POST and is lost."
                ),
            )
            .related(bp.form_loc(b), format!("in base Netlify collected it ({marker})"))
            .evidence("page", page)
            .evidence("form", label)
            .evidence("provider", "Netlify Forms"),
        );
    }

    pub(super) fn hosted_finding(
        &self,
        bp: &PageSide,
        hp: &PageSide,
        b: &FormFacts,
        h: &FormFacts,
        provider: &str,
    ) -> Finding {
        let label = h.label();
        let page = hp.path;
        let old = b.action().map(AttrValue::shown).unwrap_or_default();
        let new = match h.action() {
            Some(v) if !v.shown().trim().is_empty() => format!("`{}`", v.shown().trim()),
            Some(_) => "empty".to_string(),
            None => "removed".to_string(),
        };
        let at = h
            .tag
            .attr("action")
            .map_or(h.tag.range.clone(), |a| a.span.clone());
        Finding::new(
            "forms/provider-removed",
            hp.loc(at),
            b.subject(),
            format!(
                "The {label} on `{page}` no longer posts to {provider}, the hosted service that received it: its action changed from `{old}` to {new}. Submissions now go nowhere, and {provider} stops forwarding them to anyone."
            ),
        )
        .related(bp.form_loc(b), format!("in base it posted to `{old}`"))
        .evidence("page", page)
        .evidence("form", label)
        .evidence("provider", provider.to_string())
        .evidence("old_action", old)
        .evidence("new_action", new)
    }

    /// Occurrences of form shortcodes in a text: (shortcode name, byte range).
    /// One pass over the `[` of the text: this runs on every changed page.
    fn shortcodes(&self, text: &str) -> Vec<(String, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        for at in memchr::memchr_iter(b'[', text.as_bytes()) {
            let rest = &text[at + 1..];
            let Some(name) = self.tables.form_shortcodes.iter().find(|n| {
                // `[wpforms id=…]`, `[wpforms]`, not `[wpforms_extra…`.
                rest.starts_with(n.as_str()) && rest[n.len()..].starts_with([' ', ']', '\t', '\n'])
            }) else {
                continue;
            };
            let end = rest
                .find(']')
                .map_or(at + 1 + name.len(), |e| at + 1 + e + 1);
            out.push((name.clone(), at..end));
        }
        out
    }

    /// Form shortcodes that disappear from the changed files (counted per
    /// shortcode across files, so moving one to another page is quiet).
    pub(super) fn check_shortcodes(&self, cx: &Context, out: &mut Vec<Finding>) {
        let mut totals: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        let mut per_file = Vec::new();
        for f in cx.files {
            if cx.is_excluded(f.path()) {
                continue;
            }
            let base = f
                .base
                .as_ref()
                .and_then(|v| v.text().map(|t| (v, self.shortcodes(t))));
            let head = f
                .head
                .as_ref()
                .and_then(|v| v.text().map(|t| (v, self.shortcodes(t))));
            for (name, _) in base.iter().flat_map(|(_, s)| s) {
                totals.entry(name.clone()).or_default().0 += 1;
            }
            for (name, _) in head.iter().flat_map(|(_, s)| s) {
                totals.entry(name.clone()).or_default().1 += 1;
            }
            per_file.push((f, base, head));
        }
        for (name, (before, after)) in totals {
            if after >= before {
                continue;
            }
            let mut missing = before - after;
            for (f, base, head) in &per_file {
                let Some((bv, codes)) = base else {
                    continue;
                };
                let head_texts: BTreeSet<&str> = head
                    .as_ref()
                    .map(|(hv, hs)| {
                        let t = hv.text().map_or("", |t| &t[..]);
                        hs.iter().filter_map(|(_, r)| t.get(r.clone())).collect()
                    })
                    .unwrap_or_default();
                let Some(btext) = bv.text() else {
                    continue;
                };
                for (n, range) in codes.iter().filter(|(n, _)| *n == name) {
                    let written = btext.get(range.clone()).unwrap_or("");
                    let still_in_file = head.as_ref().is_some_and(|(_, hs)| {
                        hs.iter().filter(|(hn, _)| *hn == name).count()
                            >= codes.iter().filter(|(bn, _)| *bn == name).count()
                    });
                    if missing == 0 || head_texts.contains(written) || still_in_file {
                        continue;
                    }
                    missing -= 1;
                    let gone = if f.head.is_none() {
                        format!(" (`{}` was deleted)", bv.path)
                    } else {
                        String::new()
                    };
                    out.push(
                        Finding::new(
                            "forms/provider-removed",
                            Location {
                                revision: Revision::Base,
                                path: bv.path.clone(),
                                span: Span::from_bytes(btext, range.start, range.end),
                            },
                            format!("{} [{n}]", bv.path),
                            format!(
                                "The form shortcode `{written}` was removed from `{}`{gone}. The forms plugin rendered the form there and delivered its submissions; the page now shows no form, and nothing in this change puts it back elsewhere.",
                                bv.path
                            ),
                        )
                        .evidence("shortcode", written.to_string())
                        .evidence("provider", n.clone()),
                    );
                }
            }
        }
    }

    /// A forms plugin removed: its `wp-content/plugins/NAME/` directory
    /// deleted, or its package dropped from `composer.json`/`package.json`.
    pub(super) fn check_plugins(&self, cx: &Context, out: &mut Vec<Finding>) {
        // dir → (plugin name, deleted files, first deleted file)
        let mut deleted_dirs: BTreeMap<String, (String, usize, String)> = BTreeMap::new();
        for f in cx.files {
            let (Some(b), None) = (&f.change.base, &f.change.head) else {
                continue;
            };
            let Some(rest) = b.path.split_once("wp-content/plugins/") else {
                continue;
            };
            let Some(name) = rest.1.split('/').next() else {
                continue;
            };
            if self.tables.form_plugins.iter().any(|p| p == name) {
                let dir = format!("{}wp-content/plugins/{name}", rest.0);
                let entry = deleted_dirs
                    .entry(dir)
                    .or_insert_with(|| (name.to_string(), 0, b.path.clone()));
                entry.1 += 1;
                if b.path < entry.2 {
                    entry.2 = b.path.clone();
                }
            }
        }
        for (dir, (name, files, first)) in deleted_dirs {
            if cx.exists(Revision::Head, &dir) {
                continue;
            }
            out.push(
                Finding::new(
                    "forms/provider-removed",
                    Location {
                        revision: Revision::Base,
                        path: first,
                        span: Span::from_bytes("", 0, 0),
                    },
                    format!("plugin {name}"),
                    format!(
                        "The forms plugin `{name}` was removed (`{dir}/`, {files} files). Every form it rendered stops working: its shortcodes print as plain text and submissions are no longer delivered."
                    ),
                )
                .evidence("plugin", name.clone())
                .evidence("provider", name),
            );
        }
        // Dependency manifests.
        for f in cx.files {
            let name = f.path().rsplit('/').next().unwrap_or("");
            if name != "composer.json" && name != "package.json" {
                continue;
            }
            let (Some(bv), Some(hv)) = (&f.base, &f.head) else {
                continue;
            };
            let (Some(bt), Some(ht)) = (bv.text(), hv.text()) else {
                continue;
            };
            let (Ok(bj), Ok(hj)) = (
                // serde_json refuses a byte order mark; editors on Windows write one.
                serde_json::from_str::<serde_json::Value>(bt.trim_start_matches('\u{feff}')),
                serde_json::from_str::<serde_json::Value>(ht.trim_start_matches('\u{feff}')),
            ) else {
                continue;
            };
            for section in ["require", "dependencies", "devDependencies", "require-dev"] {
                let (Some(bd), hd) = (
                    bj.get(section).and_then(|v| v.as_object()),
                    hj.get(section).and_then(|v| v.as_object()),
                ) else {
                    continue;
                };
                for pkg in bd.keys() {
                    let short = pkg.rsplit('/').next().unwrap_or(pkg);
                    if !self.tables.form_plugins.iter().any(|p| p == short)
                        || hd.is_some_and(|h| h.contains_key(pkg))
                    {
                        continue;
                    }
                    let at = bt.find(&format!("\"{pkg}\"")).unwrap_or(0);
                    let end = bt[at..].find('\n').map_or(bt.len(), |e| at + e);
                    out.push(
                        Finding::new(
                            "forms/provider-removed",
                            Location {
                                revision: Revision::Base,
                                path: bv.path.clone(),
                                span: Span::from_bytes(bt, at, end),
                            },
                            format!("plugin {pkg}"),
                            format!(
                                "The forms plugin `{pkg}` was dropped from `{}`. The next install removes it, and every form it rendered stops working: shortcodes print as plain text and submissions are no longer delivered.",
                                bv.path
                            ),
                        )
                        .evidence("plugin", pkg.clone())
                        .evidence("provider", short.to_string()),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_actions() {
        assert_eq!(
            action_host("https://formspree.io/f/xayz").as_deref(),
            Some("formspree.io")
        );
        assert_eq!(
            action_host("//formspree.io/f/xayz").as_deref(),
            Some("formspree.io")
        );
        assert_eq!(
            action_host("HTTPS://Getform.io/f/1").as_deref(),
            Some("getform.io")
        );
        assert_eq!(action_host("///").as_deref(), None);
        assert_eq!(action_host("/contact").as_deref(), None);
    }
}
