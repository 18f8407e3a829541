//! Cross-file lookups: head files beyond the change that decide whether a
//! form is really lost (a script that submits it, a view that handles its
//! POST, a partial it moved into). They read head only when a finding is
//! about to fire, and each group of files at most once per run.

use super::facts::FormFacts;
use super::matching::{same_form_elsewhere, similarity};
use super::page::PageSide;
use super::Forms;
use crate::families::context::{ChangedFile, Context, FileGroup};
use crate::findings::finding::Revision;
use crate::pipeline::changes::FileVersion;
use crate::pipeline::lang::Lang;
use std::collections::BTreeSet;

/// Whether script submits the form: an inline `<script>` of the page or
/// a JavaScript file of head calls `.submit()` / `requestSubmit()` and
/// names the form (`#create-key-form`, `getElementById("form")`) or one of
/// its fields in a selector (`input[name=theme]` … `this.form.submit()`).
/// Such a form needs no button; losing one is a design choice.
pub(super) fn submitted_by_script(cx: &Context, page: &PageSide, form: &FormFacts) -> bool {
    script_handles(cx, page, form, &[".submit(", "requestSubmit("])
}

/// Whether script sets the form's action (`$("#f").attr("action", url)`,
/// `form.action = url`): a form without an `action` in its markup is then
/// not posting to the page itself.
pub(super) fn action_set_by_script(cx: &Context, page: &PageSide, form: &FormFacts) -> bool {
    script_handles(
        cx,
        page,
        form,
        &[
            "attr(\"action\"",
            "attr('action'",
            ".action =",
            ".action=",
            "setAttribute(\"action\"",
            "setAttribute('action'",
            "formAction",
        ],
    )
}

/// Whether an inline script of the page or a JS file of head does one of
/// `verbs` and names the form by id or one of its fields by a selector.
pub(super) fn script_handles(
    cx: &Context,
    page: &PageSide,
    form: &FormFacts,
    verbs: &[&str],
) -> bool {
    let mut needles: Vec<String> = Vec::new();
    if let Some(id) = form.id() {
        needles.extend([format!("#{id}"), format!("\"{id}\""), format!("'{id}'")]);
    }
    for f in &form.fields {
        let n = &f.name;
        needles.extend([
            format!("name={n}]"),
            format!("name=\"{n}\"]"),
            format!("name='{n}']"),
        ]);
    }
    if needles.is_empty() {
        return false;
    }
    let names_form = |t: &str| {
        verbs.iter().any(|v| t.contains(v)) && needles.iter().any(|n| t.contains(n.as_str()))
    };
    let page_text = if page.read.is_some() {
        page.full_text()
    } else {
        ""
    };
    let inline = page_text
        .split("<script")
        .skip(1)
        .any(|s| names_form(s.split("</script>").next().unwrap_or("")));
    if inline {
        return true;
    }
    cx.head_files(FileGroup::Script)
        .iter()
        .any(|v| v.text().is_some_and(|t| names_form(t)))
}

/// How code names a template: `integrations/add_slack.html` under a
/// `templates/` root (Django, Flask, Symfony), `emails.contact` or
/// `emails/contact` under Laravel's `resources/views/`.
pub(super) fn template_names(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((_, rest)) = page.rsplit_once("resources/views/") {
        let bare = rest.trim_end_matches(".blade.php").trim_end_matches(".php");
        out.push(bare.replace('/', "."));
        out.push(bare.to_string());
    } else if let Some(rest) = page
        .rsplit_once("templates/")
        .map(|(_, r)| r)
        .or_else(|| page.strip_prefix("templates/"))
    {
        out.push(rest.to_string());
    }
    out
}

/// Whether the view that renders a page also handles its POST: a Python
/// or PHP function that names the template and reads a submission
/// (`request.method == "POST"`, `validate_on_submit()`, `isSubmitted()`).
/// A form without an `action` posts to its page's own URL, so that view
/// receives it.
pub(super) fn page_view_handles_post(cx: &Context, page: &str) -> bool {
    const READS_POST: &[&str] = &[
        "\"POST\"",
        "'POST'",
        "request.POST",
        "request.form",
        "validate_on_submit",
        "isMethod('post')",
        "isMethod('POST')",
        "isSubmitted()",
        "handleRequest(",
        "$_POST",
        "$request->validate(",
        "$request->input(",
    ];
    let names = template_names(page);
    if names.is_empty() {
        return false;
    }
    cx.head_files(FileGroup::ServerCode).iter().any(|v| {
        let Some(text) = v.text() else {
            return false;
        };
        names.iter().any(|name| {
            [format!("\"{name}\""), format!("'{name}'")]
                .iter()
                .any(|quoted| {
                    text.match_indices(quoted.as_str()).any(|(at, _)| {
                        // The function around the mention: from the `def` or
                        // `function` line before it to the next one.
                        let start = text[..at]
                            .rfind("def ")
                            .into_iter()
                            .chain(text[..at].rfind("function "))
                            .max()
                            .unwrap_or(0);
                        let after = &text[at..];
                        let end = at
                            + [
                                after.find("\ndef "),
                                after.find("\n    def "),
                                after.find("function "),
                            ]
                            .into_iter()
                            .flatten()
                            .min()
                            .unwrap_or(after.len());
                        let body = &text[start..end];
                        READS_POST.iter().any(|m| body.contains(m))
                    })
                })
        })
    })
}

/// The markup files of head that hold a `<form`, outside excluded paths.
pub(crate) fn head_form_pages(cx: &Context) -> Vec<FileVersion> {
    cx.head_files(FileGroup::Markup)
        .iter()
        .filter(|v| {
            v.text()
                .is_some_and(|t| super::may_hold_form(crate::pipeline::lang::detect(&v.path), t))
        })
        .cloned()
        .collect()
}

/// The templates a page includes, as written: `{% include 'a/b.html' %}`,
/// `{{ include('a.twig') }}`, `@include('partials.form')`,
/// `<%= render 'shared/form' %>`, `{% render 'contact' %}`.
pub(super) fn included_templates(text: &str, lang: Lang) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Haml has no tags around its code: a `= render "form"` line is one.
    let codes: Vec<&str> = if lang == Lang::Haml {
        text.lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with(['=', '-']) && l.contains("render"))
            .collect()
    } else {
        crate::pipeline::template::template_regions(text, lang)
            .into_iter()
            .map(|r| text.get(r).unwrap_or(""))
            .collect()
    };
    for code in codes {
        let inner = code.trim_matches(|c: char| "{}%<>=@-!# ".contains(c));
        let verb = inner
            .split(|c: char| !c.is_alphanumeric())
            .next()
            .unwrap_or("");
        if !matches!(
            verb,
            "include" | "embed" | "render" | "partial" | "includeIf" | "includeWhen"
        ) {
            continue;
        }
        let Some(q) = inner.find(['\'', '"']) else {
            continue;
        };
        let quote = inner[q..].chars().next().unwrap_or('"');
        if let Some(end) = inner[q + 1..].find(quote) {
            out.insert(inner[q + 1..q + 1 + end].to_string());
        }
    }
    out
}

/// Whether a repository path is what an include names, in the conventions
/// of Django/Jinja/Twig (path under a template root), Blade (dotted names
/// under `views/`), Rails (`_partial`) and Liquid (`snippets/`).
pub(super) fn include_names(path: &str, include: &str) -> bool {
    let include = include.trim_start_matches('/');
    if include.is_empty() {
        return false;
    }
    let under = |p: &str| path == p || path.ends_with(&format!("/{p}"));
    if under(include) {
        return true;
    }
    let dotted = include.replace('.', "/");
    if under(&format!("{dotted}.blade.php")) || under(&format!("snippets/{include}.liquid")) {
        return true;
    }
    // Rails: `shared/form` is `shared/_form.html.erb`.
    let (dir, name) = include.rsplit_once('/').unwrap_or(("", include));
    let file = path.rsplit('/').next().unwrap_or(path);
    file.starts_with(&format!("_{name}."))
        && (dir.is_empty() || path.contains(&format!("{dir}/_{name}.")))
}

impl Forms {
    /// A form that left a page into a partial the page now includes (the
    /// "extract the form into an include" refactor) is not removed. When
    /// the partial is part of the change, its forms were compared there.
    pub(super) fn moved_into_partial(
        &self,
        cx: &Context,
        file: &ChangedFile,
        b: &FormFacts,
    ) -> bool {
        let (Some(hv), Some(bv)) = (file.head.as_ref(), file.base.as_ref()) else {
            return false;
        };
        let (Some(ht), Some(bt)) = (hv.text(), bv.text()) else {
            return false;
        };
        let before = included_templates(bt, file.base_lang);
        let new: Vec<String> = included_templates(ht, file.head_lang)
            .into_iter()
            .filter(|i| !before.contains(i))
            .collect();
        if new.is_empty() {
            return false;
        }
        let listing = cx.all_files(Revision::Head);
        listing
            .iter()
            .filter(|(path, _)| new.iter().any(|i| include_names(path, i)))
            .filter_map(|(path, _)| cx.lookup(Revision::Head, path))
            .any(|v| {
                let lang = crate::pipeline::lang::detect(&v.path);
                let Some(parsed) = v
                    .text()
                    .filter(|t| super::holds_forms(lang) && super::may_hold_form(lang, t))
                    .and_then(|_| cx.parsed(&v, lang))
                else {
                    return false;
                };
                self.page_facts(&parsed).forms.iter().any(|h| {
                    h.method() == b.method()
                        && (same_form_elsewhere(b, h) || similarity(b, h) > 5 || {
                            // Fields rendered by the template on both sides.
                            b.field_names().is_empty() && h.field_names().is_empty()
                        })
                })
            })
    }

    /// Head pages outside `skip` that hold a form and mention one of
    /// `needles`, parsed, one at a time: the pages a change did not touch
    /// that a cross-file rule still has to read.
    pub(super) fn visit_unchanged_pages(
        &self,
        cx: &Context,
        skip: &BTreeSet<&str>,
        needles: &[&str],
        mut visit: impl FnMut(&PageSide),
    ) {
        for version in head_form_pages(cx) {
            if skip.contains(version.path.as_str()) {
                continue;
            }
            let Some(text) = version.text() else { continue };
            if !needles.iter().any(|n| text.contains(n)) {
                continue;
            }
            let lang = crate::pipeline::lang::detect(&version.path);
            let Some(read) = self.page_read(cx, &version, lang) else {
                continue;
            };
            let page = PageSide {
                revision: Revision::Head,
                path: &version.path,
                forms: std::sync::Arc::clone(&read.forms),
                read: Some(read),
                text: text.clone(),
            };
            visit(&page);
        }
    }
}
