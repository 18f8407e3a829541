//! Plain forms that a script sends: `<form id="contact-form">` with no
//! action, and a script the page loads that selects it (`$('#contact-form')`,
//! `getElementById('contact-form')`) and posts its fields (`$.ajax`,
//! `fetch`, `XMLHttpRequest`). When the change deletes or rewrites that
//! script so that no script of head selects and sends the form any more,
//! submitting it reloads the page and the message is lost, while the form
//! looks exactly as before.

use super::facts::AttrValue;
use super::{is_dead_action, Forms};
use crate::families::context::{Context, FileGroup};
use crate::findings::finding::{Finding, Location, Revision, Span};
use crate::pipeline::lang::Lang;
use crate::pipeline::parse::Parsed;
use std::collections::{BTreeMap, BTreeSet};

/// A form id a script of base selected and sent, and where.
struct Binding {
    script: String,
    /// The send call as written, and its byte range in the base script.
    send: String,
    at: std::ops::Range<usize>,
    text: std::sync::Arc<str>,
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
        self.tables
            .script_send_calls
            .iter()
            .filter_map(|c| text.find(c.as_str()).map(|at| (at, c.clone())))
            .min()
    }

    /// Ids of forms the change's base scripts selected and sent, whose
    /// head version (if any) no longer does.
    fn lost_bindings(&self, cx: &Context) -> BTreeMap<String, Binding> {
        let mut out = BTreeMap::new();
        for f in cx.files {
            let (Some(base), Lang::JavaScript | Lang::TypeScript) = (&f.base, f.base_lang) else {
                continue;
            };
            let Some(text) = base.text() else { continue };
            let Some((at, send)) = self.send_call(text) else {
                continue;
            };
            let Some(parsed) = cx.parsed(base, f.base_lang) else {
                continue;
            };
            // The line of the call, as written, for the message.
            let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
            let line_end = text[at..].find('\n').map_or(text.len(), |n| at + n);
            let line: String = text[line_start..line_end].trim().chars().take(80).collect();
            // Most edits of a script keep its bindings: an id its head
            // still names, with a sender, is not lost (and costs no look at
            // the site's pages).
            let head = f.head.as_ref().and_then(|h| h.text());
            let kept =
                |id: &str| head.is_some_and(|t| names_id(t, id) && self.send_call(t).is_some());
            for id in selected_ids(&parsed).into_iter().filter(|id| !kept(id)) {
                out.entry(id).or_insert_with(|| Binding {
                    script: base.path.clone(),
                    send: line.clone(),
                    at: at..at + send.len(),
                    text: std::sync::Arc::clone(text),
                });
            }
        }
        out
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
                let no_action = match form.action() {
                    None => !form.tag.templated,
                    Some(AttrValue::Literal(a)) => is_dead_action(a),
                    _ => false,
                };
                if no_action && self.submit_hook(&form.tag).is_none() && lost.contains_key(id) {
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
}
