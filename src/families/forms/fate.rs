//! What happened to a form of base that has no counterpart on its page in
//! head, decided by what is lost rather than by what text changed: a form
//! that still stands somewhere users can send it from, a page nothing
//! rendered, a wrapper that never submitted, a feature retired together
//! with its server side, or a real loss.
//!
//! The cheap answers come first (the page itself, the change); the ones
//! that read beyond the change run only for a removal about to be
//! reported.

use super::facts::{AttrValue, FormFacts};
use super::lookups::template_names;
use super::matching::same_form_elsewhere;
use super::page::PageSide;
use super::removed::handler_code_retired;
use super::Forms;
use crate::families::context::{ChangedFile, Context, FileGroup};
use crate::findings::finding::Revision;
use crate::pipeline::changes::FileVersion;

/// What a leftover base form came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Fate {
    /// Nothing that submitted is lost: no finding.
    Kept,
    /// Gone knowingly, or with a copy left: reported low, saying why.
    Retired(String),
    /// Gone, but the same form stands on another page of head.
    Twin(String),
    /// Gone; with what still points at it, when something does (a view
    /// that still renders the deleted template).
    Lost(Option<String>),
    /// A sign-up form of a deleted component or partial that its page
    /// stopped rendering, while what received it lives on (a hosted form
    /// service, another site): how it stopped being rendered.
    Unrendered(String),
}

/// How a deleted template or component stood in the two revisions.
enum Rendered {
    /// Nothing in base named it: it was on no page.
    Never,
    /// Base named it only in code this change removed.
    RendererGone(String),
    /// Something in head still names it: the first such file.
    Still(String),
    /// Too common a name to search for.
    Unknown,
}

impl Forms {
    /// The fate of base form `b` of page `bp`, which matched nothing on its
    /// page nor in the other changed files.
    pub(super) fn fate(
        &self,
        cx: &Context,
        file: &ChangedFile,
        bp: &PageSide,
        head: Option<&PageSide>,
        b: &FormFacts,
        gone_routes: &dyn Fn() -> Vec<String>,
    ) -> Fate {
        if (head.is_some() && never_submitted(b) && self.submit_hook(&b.tag).is_none())
            || self.moved_into_partial(cx, file, b)
        {
            return Fate::Kept;
        }
        if let Some(hp) = head {
            if self.controls_kept_in_printed_form(hp, b) || replaced_by_link(hp, b) {
                return Fate::Kept;
            }
        }
        let enquiry = self.is_enquiry(b);
        let mut still_named = None;
        if head.is_none() && is_template_like(bp.path) {
            match rendered(cx, bp.path) {
                Rendered::Never => return Fate::Kept,
                // Sign-ups to a service that still receives them are lost
                // with the component, however deliberately it went.
                Rendered::RendererGone(how) if !enquiry && self.signs_up_elsewhere(b) => {
                    return Fate::Unrendered(how)
                }
                Rendered::RendererGone(how) if !enquiry => return Fate::Retired(how),
                Rendered::Still(by) => {
                    still_named = Some(format!(
                        "`{by}` still names it, so what rendered it now fails"
                    ))
                }
                _ => {}
            }
        }
        // A form with a message box is an enquiry form (incident 1): a
        // feature retired around it is still a lost enquiry.
        if !enquiry {
            if let Some(route) = posts_to_gone_route(b, &gone_routes()) {
                return Fate::Retired(format!("the route `{route}` it posted to went too"));
            }
            if let Some(how) = handler_code_retired(cx, b) {
                return Fate::Retired(how);
            }
        }
        match self.twin_on_other_page(cx, bp.path, b) {
            Some(page) => Fate::Twin(page),
            None => Fate::Lost(still_named),
        }
    }

    /// The page lost the `<form>` tag but kept its named controls, and
    /// prints a form from code (`formStart()`, `Form::open()`): the
    /// controls still submit, inside the form the template prints.
    fn controls_kept_in_printed_form(&self, hp: &PageSide, b: &FormFacts) -> bool {
        let text = hp.full_text();
        let names: Vec<&str> = b
            .fields
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| f.name.as_str())
            .chain(b.control_names())
            .collect();
        !names.is_empty()
            && self
                .tables
                .form_printing_calls
                .iter()
                .any(|c| text.contains(c.as_str()))
            && names.iter().all(|n| {
                text.contains(&format!("name=\"{n}\"")) || text.contains(&format!("name='{n}'"))
            })
    }
}

/// A wrapper that never submitted anything: no action, no named field, and
/// only `type="button"` controls (a `<form>` holding script buttons).
fn never_submitted(b: &FormFacts) -> bool {
    let no_action = b
        .action()
        .is_none_or(|a| a.literal().is_some_and(|a| a.trim().is_empty()));
    no_action
        && b.fields.is_empty()
        && !b.controls.is_empty()
        && b.controls.iter().all(|c| !c.submits)
}

/// The form became a link to the same endpoint (a confirmation view): a
/// head link's `href` starts with the form's action.
fn replaced_by_link(hp: &PageSide, b: &FormFacts) -> bool {
    let Some(action) = b.action().map(AttrValue::shown) else {
        return false;
    };
    let action: String = action.split_whitespace().collect::<Vec<_>>().join(" ");
    let action = action.split(['?', '#']).next().unwrap_or("").trim();
    if action.len() < 3 {
        return false;
    }
    let text = hp.full_text();
    text.match_indices("href=").any(|(i, _)| {
        let rest = &text[i + 5..];
        let rest = rest.trim_start_matches(['"', '\'']);
        let value: String = rest
            .chars()
            .take(action.len() + 64)
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        value.starts_with(action)
    })
}

/// A route this change removed that the form posted to, by the name its
/// action resolves (`url_for('x')`, `{% url 'x' %}`, `route('x')`) or by
/// its literal path.
fn posts_to_gone_route(b: &FormFacts, gone: &[String]) -> Option<String> {
    if gone.is_empty() {
        return None;
    }
    let action = b.action()?.shown();
    let action = action.trim();
    let name = crate::readers::routes::referenced_name(action)
        .map(|n| n.trim_start_matches('.').to_string());
    let path = action.split(['?', '#']).next().unwrap_or("");
    gone.iter()
        .find(|g| name.as_deref() == Some(g.as_str()) || (!path.is_empty() && path == g.as_str()))
        .cloned()
}

/// Files rendered by code or included by other templates, never served by
/// their own path: templates of a framework, includes, layouts, partials,
/// components.
pub(super) fn is_template_like(path: &str) -> bool {
    const DIRS: &[&str] = &[
        "templates",
        "views",
        "_includes",
        "_layouts",
        "includes",
        "partials",
        "_partials",
        "layouts",
        "components",
        "snippets",
        "macros",
    ];
    let lower = path.to_ascii_lowercase();
    let name = lower.rsplit('/').next().unwrap_or(&lower);
    lower.split('/').any(|seg| DIRS.contains(&seg))
        || name.starts_with('_')
        || [".vue", ".svelte", ".jsx", ".tsx"]
            .iter()
            .any(|e| name.ends_with(e))
}

/// Whether `text` (a head page) names the template at `partial`, directly
/// or through one template of `others` (the head pages of the change) that
/// names it: `user.php` renders `user.twig`, which includes `tfa_keys.twig`.
pub(super) fn names_partial<'t>(
    page: &str,
    text: &str,
    partial: &str,
    others: impl Iterator<Item = (&'t str, &'t str)>,
) -> bool {
    let names = reference_names(partial);
    let named = |t: &str| names.iter().any(|n| t.contains(n.as_str()));
    named(text)
        || local_partial_named(page, text, partial)
        || others
            .filter(|(path, t)| *path != partial && named(t))
            .any(|(path, _)| {
                reference_names(path)
                    .iter()
                    .any(|n| text.contains(n.as_str()))
            })
}

/// A Rails view names a partial of its own directory by its bare name:
/// `render "edit"` in `users/edit.mobile.haml` is `users/_edit.haml`.
fn local_partial_named(page: &str, text: &str, partial: &str) -> bool {
    let (partial_dir, file) = partial.rsplit_once('/').unwrap_or(("", partial));
    let Some(stem) = file.strip_prefix('_').and_then(|n| n.split('.').next()) else {
        return false;
    };
    let page_dir = page.rsplit_once('/').map_or("", |(d, _)| d);
    !stem.is_empty()
        && page_dir == partial_dir
        && [format!("\"{stem}\""), format!("'{stem}'")]
            .iter()
            .any(|q| text.contains(q.as_str()))
}

/// The names code and templates use for a template or component: its path
/// under a template root, its file name, and a component's name. Names too
/// common to search for (`form`, `index`) are left out.
fn reference_names(path: &str) -> Vec<String> {
    let mut out = template_names(path);
    let name = path.rsplit('/').next().unwrap_or(path);
    out.push(name.to_string());
    let stem = name
        .split('.')
        .next()
        .unwrap_or(name)
        .trim_start_matches('_');
    if [".vue", ".svelte", ".jsx", ".tsx"]
        .iter()
        .any(|e| name.ends_with(e))
        || name.starts_with('_')
    {
        out.push(stem.to_string());
    }
    if let Some(i) = path.find("_includes/") {
        out.push(path[i + "_includes/".len()..].to_string());
    }
    out.retain(|n| n.len() >= 6 || n.contains('/') || n.contains('.'));
    out.sort();
    out.dedup();
    out
}

/// Whether `namer`, which named the deleted template `partial` in base, is
/// a template this change deletes too and that nothing else in base named:
/// the two were an unused chain (`coc.html` including `coc_form.html`,
/// both removed as unused templates).
fn dead_includer(cx: &Context, namer: &str, partial: &str) -> bool {
    if !is_template_like(namer) || cx.lookup(Revision::Head, namer).is_some() {
        return false;
    }
    let names = reference_names(namer);
    !names.is_empty()
        && [FileGroup::Markup, FileGroup::Code].iter().all(|g| {
            !cx.side_files(Revision::Base, *g).iter().any(|v| {
                v.path != namer
                    && v.path != partial
                    && v.text()
                        .is_some_and(|t| names.iter().any(|n| names_file(t, n)))
            })
        })
}

/// Whether `text` names a file by `name` anywhere but inside an absolute
/// URL: `http://speakup.io/coc.html` is another site's page, not the
/// template `contact/coc.html`.
fn names_file(text: &str, name: &str) -> bool {
    // A URL is read back at most this far: a minified file is one token.
    const MAX_URL_BYTES: usize = 512;
    text.match_indices(name).any(|(at, _)| {
        let mut from = at.saturating_sub(MAX_URL_BYTES);
        while !text.is_char_boundary(from) {
            from += 1;
        }
        let before = &text[from..at];
        let token = before
            .rsplit(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '(' | '='))
            .next()
            .unwrap_or(before);
        !token.contains("://")
    })
}

/// Whether base rendered the deleted template, and whether head still does.
fn rendered(cx: &Context, path: &str) -> Rendered {
    let names = reference_names(path);
    if names.is_empty() {
        return Rendered::Unknown;
    }
    let mentions = |v: &FileVersion| {
        v.path != path
            && v.text()
                .is_some_and(|t| names.iter().any(|n| names_file(t, n)))
    };
    let in_base: Vec<String> = [FileGroup::Markup, FileGroup::Code]
        .iter()
        .flat_map(|g| {
            cx.side_files(Revision::Base, *g)
                .iter()
                .filter(|v| mentions(v))
                .map(|v| v.path.clone())
                .collect::<Vec<_>>()
        })
        .collect();
    if in_base.is_empty() || in_base.iter().all(|namer| dead_includer(cx, namer, path)) {
        return Rendered::Never;
    }
    let in_head = [FileGroup::Markup, FileGroup::Code].iter().find_map(|g| {
        let files = cx.side_files(Revision::Head, *g);
        let mut hits: Vec<&str> = files
            .iter()
            .filter(|v| mentions(v))
            .map(|v| v.path.as_str())
            .collect();
        hits.sort();
        hits.first().map(|p| p.to_string())
    });
    if let Some(by) = in_head {
        return Rendered::Still(by);
    }
    let mut in_base = in_base;
    in_base.sort();
    Rendered::RendererGone(format!(
        "nothing in head renders it any more; in base `{}` did",
        in_base[0]
    ))
}

impl Forms {
    /// Another page of head that still holds the same form (same method,
    /// and same id, name, action and fields, or submit buttons): the
    /// removal leaves a copy users can reach. Candidates are found by a
    /// byte search for the form's rarest name and tried in path order; the
    /// first real copy ends the search.
    pub(super) fn twin_on_other_page(
        &self,
        cx: &Context,
        page: &str,
        b: &FormFacts,
    ) -> Option<String> {
        let mut needles: Vec<&str> = b
            .fields
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| f.name.as_str())
            .chain(b.control_names())
            .collect();
        if let Some(id) = b.id() {
            needles.push(id);
        }
        // The longest name is the least common one to look for.
        let needle = needles.into_iter().max_by_key(|n| n.len())?;
        if needle.len() < 3 {
            return None;
        }
        let quoted = [format!("\"{needle}\""), format!("'{needle}'")];
        let pages = cx.head_files(FileGroup::Markup);
        let mut candidates: Vec<&FileVersion> = pages
            .iter()
            .filter(|v| v.path != page)
            .filter(|v| {
                v.text()
                    .is_some_and(|t| quoted.iter().any(|q| t.contains(q.as_str())))
            })
            .collect();
        candidates.sort_by(|x, y| x.path.cmp(&y.path));
        candidates.into_iter().find_map(|v| {
            let lang = crate::pipeline::lang::detect(&v.path);
            let parsed = cx.parsed(v, lang)?;
            self.page_facts(&parsed)
                .forms
                .iter()
                .any(|h| h.method() == b.method() && same_form_elsewhere(b, h))
                .then(|| v.path.clone())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::names_file;

    #[test]
    fn a_rails_view_names_a_partial_of_its_own_directory_by_its_bare_name() {
        let page = "app/views/users/edit.mobile.haml";
        let partial = "app/views/users/_edit.haml";
        assert!(super::local_partial_named(
            page,
            "= render \"edit\"",
            partial
        ));
        assert!(super::local_partial_named(
            page,
            "<%= render 'edit' %>",
            partial
        ));
        assert!(!super::local_partial_named(
            page,
            "= render \"show\"",
            partial
        ));
        assert!(!super::local_partial_named(
            "app/views/admins/edit.haml",
            "= render \"edit\"",
            partial
        ));
        assert!(!super::local_partial_named(
            page,
            "= render \"edit\"",
            "app/views/users/edit.haml"
        ));
    }

    #[test]
    fn a_name_inside_an_absolute_url_is_another_sites_file() {
        assert!(names_file("{% include \"contact/coc.html\" %}", "coc.html"));
        assert!(!names_file(
            "<a href=\"http://speakup.io/coc.html\">",
            "coc.html"
        ));
        // A multi-byte space before the name, and a minified line.
        assert!(names_file("x\u{a0}coc.html", "coc.html"));
        let minified = format!("{}coc.html", "a".repeat(100_000));
        assert!(names_file(&minified, "coc.html"));
    }
}
