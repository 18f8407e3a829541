//! Plain forms that a script sends: `<form id="contact-form">` with no
//! action, and a script the page loads that selects it (`$('#contact-form')`,
//! `getElementById('contact-form')`) and posts its fields (`$.ajax`,
//! `fetch`, `XMLHttpRequest`). When the change deletes or rewrites that
//! script so that no script of head selects and sends the form any more,
//! submitting it reloads the page and the message is lost, while the form
//! looks exactly as before.

use super::facts::AttrValue;
use super::{is_dead_action, Forms};
use crate::families::context::{ChangedFile, Context, FileGroup};
use crate::findings::finding::{Finding, Location, Revision, Span};
use crate::pipeline::changes::FileVersion;
use crate::pipeline::lang::Lang;
use crate::pipeline::parse::Parsed;
use crate::readers::words::is_test_file;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

/// A form id a script of base selected and sent, and where.
struct Binding {
    script: String,
    /// The send call as written, and its byte range in the base script.
    send: String,
    at: std::ops::Range<usize>,
    text: std::sync::Arc<str>,
}

/// [`selected_ids`] of a script version, read once per run (by `extract`
/// for a changed script that sends, while its parse is held).
pub(super) fn script_ids(
    cx: &Context,
    version: &FileVersion,
    lang: Lang,
) -> Option<Arc<BTreeSet<String>>> {
    cx.parse_facts("forms.script_ids", version, lang, |p| {
        Arc::new(selected_ids(p))
    })
}

/// The ids a script selects as string literals (`'#contact-form'`,
/// `"form#contact"`, `getElementById('contact')`), read from its syntax
/// tree's strings.
fn selected_ids(parsed: &Parsed) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![parsed.tree.root_node()];
    while let Some(n) = stack.pop() {
        if n.kind() == "string_fragment" {
            let s = parsed.text_of(n).trim();
            let by_id = n
                .parent()
                .and_then(|string| string.parent())
                .and_then(|args| args.parent())
                .and_then(|call| call.child_by_field_name("function"))
                .is_some_and(|f| parsed.text_of(f).ends_with("getElementById"));
            let id = if by_id {
                Some(s)
            } else {
                s.rsplit_once('#')
                    .filter(|(before, _)| before.is_empty() || *before == "form")
                    .map(|(_, id)| id)
            };
            if let Some(id) = id.filter(|i| {
                !i.is_empty()
                    && i.chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
            }) {
                out.insert(id.to_string());
            }
        }
        let mut cursor = n.walk();
        stack.extend(n.named_children(&mut cursor));
    }
    out
}

/// Whether a script's text names the id as a selector or an element id.
fn names_id(text: &str, id: &str) -> bool {
    [
        format!("#{id}'"),
        format!("#{id}\""),
        format!("#{id}`"),
        format!("('{id}')"),
        format!("(\"{id}\")"),
    ]
    .iter()
    .any(|n| text.contains(n.as_str()))
}

impl Forms {
    /// The first call of a script that sends data to a server, if any.
    fn send_call(&self, text: &str) -> Option<(usize, String)> {
        let m = self.send_calls.find(text)?;
        Some((m.start(), text[m.range()].to_string()))
    }

    /// Whether a script version sends something (a form, by the ids it
    /// selects): the scripts whose bindings are read.
    pub(super) fn sends_forms(&self, version: &FileVersion, lang: Lang) -> bool {
        matches!(lang, Lang::JavaScript | Lang::TypeScript)
            && version.text().is_some_and(|t| self.send_call(t).is_some())
    }

    /// Ids of forms the change's base scripts selected and sent, whose
    /// head version (if any) no longer does.
    fn lost_bindings(&self, cx: &Context) -> BTreeMap<String, Binding> {
        // A file per task: a base script no family parsed is parsed here
        // for its ids (NodeBB's 600 commits: a third of forms' check).
        let per_file: Vec<Vec<(String, Binding)>> = cx
            .files
            .par_iter()
            .with_max_len(1)
            .map(|f| self.lost_bindings_of(cx, f))
            .collect();
        let mut out = BTreeMap::new();
        for (id, binding) in per_file.into_iter().flatten() {
            out.entry(id).or_insert(binding);
        }
        out
    }

    /// The ids one changed script selected and sent in base and no longer
    /// does in head, with how it sent them.
    fn lost_bindings_of(&self, cx: &Context, f: &ChangedFile) -> Vec<(String, Binding)> {
        // A test script binds no page's form: it is never served.
        let Some(base) = f.base.as_ref().filter(|b| {
            !is_test_file(&b.path) && matches!(f.base_lang, Lang::JavaScript | Lang::TypeScript)
        }) else {
            return Vec::new();
        };
        let Some(text) = base.text() else {
            return Vec::new();
        };
        let Some((at, send)) = self.send_call(text) else {
            return Vec::new();
        };
        let Some(ids) = script_ids(cx, base, f.base_lang) else {
            return Vec::new();
        };
        // The line of the call, as written, for the message.
        let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
        let line_end = text[at..].find('\n').map_or(text.len(), |n| at + n);
        let line: String = text[line_start..line_end].trim().chars().take(80).collect();
        // Most edits of a script keep its bindings: an id its head still
        // names, with a sender, is not lost (and costs no look at the
        // site's pages).
        let head = f
            .head
            .as_ref()
            .and_then(|h| h.text())
            .filter(|t| self.send_call(t).is_some());
        ids.iter()
            .filter(|id| !head.is_some_and(|t| names_id(t, id)))
            .map(|id| {
                let binding = Binding {
                    script: base.path.clone(),
                    send: line.clone(),
                    at: at..at + send.len(),
                    text: std::sync::Arc::clone(text),
                };
                (id.clone(), binding)
            })
            .collect()
    }

    /// Whether any script of head (a file, or a page's inline script)
    /// names `id` and sends: the binding moved, was renamed or bundled.
    fn still_sent(&self, cx: &Context, id: &str) -> bool {
        [FileGroup::Script, FileGroup::Markup].into_iter().any(|g| {
            cx.head_files(g).iter().any(|v| {
                v.text()
                    .is_some_and(|t| names_id(t, id) && self.send_call(t).is_some())
            })
        })
    }

    /// `forms/action-broken` for head forms without an action whose only
    /// sender, a script of base, this change deleted or stopped sending.
    pub(super) fn check_script_senders(&self, cx: &Context, out: &mut Vec<Finding>) {
        let lost = self.lost_bindings(cx);
        if lost.is_empty() {
            return;
        }
        let ids: Vec<String> = lost.keys().map(|id| format!("id=\"{id}\"")).collect();
        let needles: Vec<&str> = ids.iter().map(String::as_str).collect();
        let mut hits = Vec::new();
        self.visit_unchanged_pages(cx, &BTreeSet::new(), &needles, |page| {
            for form in &page.forms.forms {
                let Some(id) = form.tag.literal("id").map(str::trim) else {
                    continue;
                };
                if self.sent_by_script(form) && lost.contains_key(id) {
                    hits.push((
                        id.to_string(),
                        page.path.to_string(),
                        page.form_loc(form),
                        form.label(),
                    ));
                }
            }
        });
        let mut checked: BTreeMap<String, bool> = BTreeMap::new();
        for (id, page, location, label) in hits {
            let sent = *checked
                .entry(id.clone())
                .or_insert_with(|| self.still_sent(cx, &id));
            if sent {
                continue;
            }
            let b = &lost[&id];
            let fate =
                if cx.files.iter().any(|f| {
                    f.base.as_ref().is_some_and(|v| v.path == b.script) && f.head.is_none()
                }) {
                    "this change deleted it"
                } else {
                    "this change rewrote it so that it no longer selects the form and sends"
                };
            let message = format!(
                "The {label} on `{page}` has no action of its own: in base the script `{}` selected `#{id}` and sent it (`{}`), and {fate}. No script in head selects `#{id}` and sends it, so submitting the form now reloads the page and what was typed is lost. Restore the script, or give the form an action.",
                b.script, b.send
            );
            out.push(
                Finding::new(
                    "forms/action-broken",
                    location,
                    format!("{page} #{id} script"),
                    message,
                )
                .related(
                    Location {
                        revision: Revision::Base,
                        path: b.script.clone(),
                        span: Span::from_bytes(&b.text, b.at.start, b.at.end),
                    },
                    "in base this script sent the form",
                )
                .evidence("page", page.clone())
                .evidence("form", label)
                .evidence("script", b.script.clone()),
            );
        }
    }
}

/// A script of head that sends data to a server file this change deletes
/// or renames: the URL as written and the ids of the forms it selects.
struct HandlerCall {
    script: String,
    url: String,
    /// Where the URL stands in the head script.
    url_at: std::ops::Range<usize>,
    text: std::sync::Arc<str>,
    send: String,
    ids: BTreeSet<String>,
}

/// The string literals of `text` whose path ends with a file of `names`
/// (`'/mail/send.php'`, `"send.php?lang=de"`): URLs a script may send to,
/// each with where it starts. One pass over the text, each literal read
/// within a bounded window, so a large script and a change deleting
/// thousands of files stay linear.
fn urls_naming(text: &str, names: &HashSet<&str>) -> BTreeMap<String, usize> {
    const MAX_URL: usize = 200;
    let bytes = text.as_bytes();
    let mut out = BTreeMap::new();
    let mut i = 0;
    while i < bytes.len() {
        let q = bytes[i];
        if matches!(q, b'\'' | b'"' | b'`') {
            let close = bytes[i + 1..]
                .iter()
                .take(MAX_URL + 1)
                .position(|&b| b == q || b == b'\n')
                .filter(|&len| bytes[i + 1 + len] == q);
            if let Some(len) = close {
                let url = &text[i + 1..i + 1 + len];
                let path = url.split(['?', '#']).next().unwrap_or("");
                let file = path.rsplit('/').next().unwrap_or(path);
                if names.contains(file) && !url.contains(char::is_whitespace) {
                    out.entry(url.to_string()).or_insert(i + 1);
                }
                i += len + 2;
                continue;
            }
        }
        i += 1;
    }
    out
}

impl Forms {
    /// The scripts of head that send to a file of `gone`.
    fn calls_to_gone(&self, cx: &Context, gone: &[&str]) -> Vec<HandlerCall> {
        let names: HashSet<&str> = super::handler::file_names(gone).into_iter().collect();
        let mut calls = Vec::new();
        for v in cx.head_files(FileGroup::Script).iter() {
            let Some(text) = v.text() else { continue };
            let urls = urls_naming(text, &names);
            if urls.is_empty() {
                continue;
            }
            let Some((at, _)) = self.send_call(text) else {
                continue;
            };
            let lang = crate::pipeline::lang::detect(&v.path);
            let Some(ids) = script_ids(cx, v, lang) else {
                continue;
            };
            let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
            let send: String = text[line_start..]
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .chars()
                .take(80)
                .collect();
            for (url, start) in urls {
                calls.push(HandlerCall {
                    script: v.path.clone(),
                    url_at: start..start + url.len(),
                    text: std::sync::Arc::clone(text),
                    url,
                    send: send.clone(),
                    ids: (*ids).clone(),
                });
            }
        }
        calls
    }

    /// `forms/handler-missing` for head forms without an action that a
    /// script sends to a server file this change deletes or renames: the
    /// form and its script look as before, and every submission fails.
    pub(super) fn check_script_handlers(
        &self,
        cx: &Context,
        gone: &[&str],
        out: &mut Vec<Finding>,
    ) {
        if gone.is_empty() {
            return;
        }
        // Scripts are read only when a page of head has a form with an id
        // for one to send (a change deleting Python modules in a project
        // with thousands of scripts and no such form reads none of them).
        let form_ids: std::collections::HashSet<String> = super::lookups::head_form_pages(cx)
            .iter()
            .filter_map(|v| v.text())
            .flat_map(|t| super::matching::form_tag_idents(t))
            .filter(|(attr, _)| *attr == "id")
            .map(|(_, id)| id)
            .collect();
        if form_ids.is_empty() {
            return;
        }
        let mut calls = self.calls_to_gone(cx, gone);
        calls.retain_mut(|c| {
            c.ids.retain(|id| form_ids.contains(id));
            !c.ids.is_empty()
        });
        if calls.is_empty() {
            return;
        }
        let ids: BTreeSet<String> = calls
            .iter()
            .flat_map(|c| c.ids.iter().map(|id| format!("id=\"{id}\"")))
            .collect();
        let needles: Vec<&str> = ids.iter().map(String::as_str).collect();
        self.visit_unchanged_pages(cx, &BTreeSet::new(), &needles, |page| {
            for form in &page.forms.forms {
                let Some(id) = form.tag.literal("id").map(str::trim) else {
                    continue;
                };
                if !self.sent_by_script(form) {
                    continue;
                }
                let Some(call) = calls.iter().find(|c| c.ids.contains(id)) else {
                    continue;
                };
                let candidates = super::handler::handler_candidates(page.path, &call.url, &self.tables);
                if candidates.iter().any(|c| cx.exists(Revision::Head, c)) {
                    continue;
                }
                let Some(was) = candidates.iter().find(|c| gone.contains(&c.as_str())) else {
                    continue;
                };
                let label = form.label();
                let fate = super::handler::gone_how(cx, was);
                let message = format!(
                    "The {label} on `{}` has no action of its own: the script `{}` sends it to `{}` (`{}`), but `{was}` {fate}. The form and its script look as before, and every submission now ends in a 404. Restore the handler, or point the script at the new one.",
                    page.path, call.script, call.url, call.send
                );
                let mut f = Finding::new(
                    "forms/handler-missing",
                    page.form_loc(form),
                    format!("{} #{id} handler", page.path),
                    message,
                )
                .evidence("page", page.path)
                .evidence("form", label)
                .evidence("script", call.script.clone())
                .evidence("action", call.url.clone())
                .evidence("handler", was.clone())
                .related(
                    Location {
                        revision: Revision::Head,
                        path: call.script.clone(),
                        span: Span::from_bytes(&call.text, call.url_at.start, call.url_at.end),
                    },
                    "the script still sends the form here",
                );
                if let Some(at) = self.handler_in_base(cx, was) {
                    f = f.related(at, "the handler as it stood in base");
                }
                out.push(f);
            }
        });
    }

    /// A form with no action of its own and no provider hook: what a
    /// script sends, if anything does.
    fn sent_by_script(&self, form: &super::facts::FormFacts) -> bool {
        let no_action = match form.action() {
            None => !form.tag.templated,
            Some(AttrValue::Literal(a)) => is_dead_action(a),
            _ => false,
        };
        no_action && self.submit_hook(&form.tag).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::selected_ids;
    use crate::pipeline::lang::Lang;
    use std::sync::Arc;

    #[test]
    fn ids_come_from_selector_strings_and_get_element_by_id() {
        let src = "$('#contact-form').on('submit', f);\ndocument.getElementById(\"signup\");\ndocument.querySelector('form#order');\n$('.slider, #nav a');\nconst url = 'https://example.com/#anchor';\nconst css = 'color: #fff';\n";
        let parsed = crate::pipeline::parse::parse(Arc::from(src), Lang::JavaScript).unwrap();
        let ids: Vec<String> = selected_ids(&parsed).into_iter().collect();
        // A descendant selector, a URL fragment and a colour are no form ids.
        assert_eq!(ids, ["contact-form", "order", "signup"]);
    }

    #[test]
    fn urls_are_the_literals_that_name_a_gone_file() {
        let names = ["send.php", "notify.php"].into_iter().collect();
        let src = "$.ajax({ url: '/mail/send.php?lang=de' });\n// see send.php for the fields\nfetch(\"api/notify.php\");\nconst x = 'resend.php';\nconst msg = 'it didn't send.php';\n";
        let urls: Vec<(String, usize)> = super::urls_naming(src, &names).into_iter().collect();
        let at = src.find("/mail").unwrap();
        assert_eq!(
            urls,
            [
                ("/mail/send.php?lang=de".to_string(), at),
                ("api/notify.php".to_string(), src.find("api/").unwrap()),
            ]
        );
        // An unclosed quote on a huge line costs a bounded look per byte.
        let long = format!("'{}", "a/".repeat(100_000));
        assert!(super::urls_naming(&long, &names).is_empty());
    }
}
