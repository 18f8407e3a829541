//! `forms/handler-missing`: the file a relative action reached in base is
//! gone in head, for changed pages and for unchanged pages that post to a
//! file this change deletes or renames.

use super::facts::{AttrValue, FormFacts};
use super::fate::is_template_like;
use super::page::PageSide;
use super::{is_dead_action, Forms, Tables};
use crate::families::context::Context;
use crate::findings::finding::{Finding, Location, Revision, Span};
use std::collections::BTreeSet;

/// Where a relative action may be served from, as repository paths.
pub(super) fn handler_candidates(page: &str, action: &str, tables: &Tables) -> Vec<String> {
    let action = action.trim();
    let action = action.split(['?', '#']).next().unwrap_or("");
    if action.is_empty()
        || action.contains("://")
        || action.starts_with("//")
        || action.contains(':')
        || action.contains(['{', '}', '<', '>', '$'])
    {
        return Vec::new();
    }
    let page_dir = page.rsplit_once('/').map_or("", |(d, _)| d);
    let mut bases: Vec<String> = Vec::new();
    let rel = if let Some(rooted) = action.strip_prefix('/') {
        bases.push(String::new());
        let mut dir = String::new();
        for part in page_dir.split('/').filter(|p| !p.is_empty()) {
            dir.push_str(part);
            dir.push('/');
            bases.push(dir.clone());
        }
        for w in &tables.webroots {
            bases.push(format!("{w}/"));
        }
        rooted
    } else {
        bases.push(if page_dir.is_empty() {
            String::new()
        } else {
            format!("{page_dir}/")
        });
        action
    };
    let mut out = Vec::new();
    for base in bases {
        let Some(path) = normalize(&format!("{base}{rel}")) else {
            continue;
        };
        if path.is_empty() || rel.ends_with('/') {
            for index in &tables.index_files {
                out.push(if path.is_empty() {
                    index.clone()
                } else {
                    format!("{path}/{index}")
                });
            }
        } else {
            out.push(path);
        }
    }
    out.dedup();
    out
}

/// Resolves `.` and `..`; `None` when the path climbs above the root.
pub(super) fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

impl Forms {
    /// `forms/handler-missing` for one head form: its relative action
    /// resolved to a file in base (the matched base form's, or its own) and
    /// resolves to nothing in head.
    pub(super) fn check_handler(
        &self,
        cx: &Context,
        hp: &PageSide,
        h: &FormFacts,
        base: Option<(&PageSide, &FormFacts)>,
        out: &mut Vec<Finding>,
    ) {
        let Some(AttrValue::Literal(action)) = h.action() else {
            return;
        };
        if is_dead_action(action) {
            return;
        }
        // A template is served at the URL of the page that renders it, not
        // at its own path: a form moved verbatim from a PHP page into the
        // Twig template the page now renders still posts next to the page.
        let mut served_at = hp.path;
        let relative = !action.trim_start().starts_with('/');
        if relative && is_template_like(hp.path) {
            match base {
                Some((bp, _)) if !is_template_like(bp.path) => {
                    if !cx.exists(Revision::Head, bp.path) {
                        return;
                    }
                    served_at = bp.path;
                }
                _ => {}
            }
        }
        let head_candidates = handler_candidates(served_at, action, &self.tables);
        if head_candidates.is_empty()
            || head_candidates.iter().any(|c| cx.exists(Revision::Head, c))
        {
            return;
        }
        let mut base_candidates = head_candidates.clone();
        if let Some((bp, b)) = base {
            if let Some(AttrValue::Literal(old)) = b.action() {
                base_candidates.extend(handler_candidates(bp.path, old, &self.tables));
            }
        }
        let Some(was) = base_candidates
            .iter()
            .find(|c| cx.exists(Revision::Base, c))
        else {
            return;
        };
        let label = h.label();
        let why = if cx.exists(Revision::Head, was) {
            // The handler is still there; the page moved or the action
            // changed, and the action no longer reaches it.
            format!(
                "which now resolves to `{}`, where nothing exists (in base it reached `{was}`)",
                head_candidates[0]
            )
        } else {
            format!("but `{was}` {}", gone_how(cx, was))
        };
        let mut f = Finding::new(
            "forms/handler-missing",
            hp.loc(
                h.tag
                    .attr("action")
                    .map_or(h.tag.range.clone(), |a| a.span.clone()),
            ),
            // The form as it stood in base, when it was there.
            base.map_or_else(|| h.subject(), |(_, b)| b.subject()),
            format!(
                "The {label} on `{}` posts to `{}`, {why}: every submission now ends in a 404.",
                hp.path,
                action.trim()
            ),
        )
        .evidence("page", hp.path)
        .evidence("form", label)
        .evidence("action", action.trim())
        .evidence("handler", was.clone());
        if let Some(at) = self.handler_in_base(cx, was) {
            f = f.related(at, "the handler as it stood in base");
        }
        out.push(f);
    }

    /// The server files this change deletes or renames that a form or a
    /// script could post to (by extension; autoloaded classes are no URL).
    pub(super) fn gone_handlers<'c>(&self, cx: &'c Context) -> Vec<&'c str> {
        let can_receive = |path: &str| {
            let name = path.rsplit('/').next().unwrap_or(path);
            match name.rsplit_once('.') {
                Some((_, ext)) => self
                    .tables
                    .handler_extensions
                    .iter()
                    .any(|e| e.eq_ignore_ascii_case(ext)),
                // `cgi-bin/mail` and friends.
                None => true,
            }
        };
        cx.files
            .iter()
            .filter(|f| {
                !f.base
                    .as_ref()
                    .is_some_and(|b| b.text().is_some_and(|t| autoloaded_class(t)))
            })
            .filter_map(|f| match (&f.change.base, &f.change.head) {
                (Some(b), None) => Some(b.path.as_str()),
                (Some(b), Some(h)) if b.path != h.path => Some(b.path.as_str()),
                _ => None,
            })
            .filter(|p| can_receive(p))
            .collect()
    }

    /// Pages the change does not touch can still lose the handler they post
    /// to. Only when the change deletes or renames files, the head pages
    /// that mention one of those file names are read and checked.
    pub(super) fn unchanged_pages_losing_handlers(
        &self,
        cx: &Context,
        gone: &[&str],
        out: &mut Vec<Finding>,
    ) {
        if gone.is_empty() {
            return;
        }
        let names = file_names(gone);
        let in_change: BTreeSet<&str> = cx.files.iter().map(|f| f.path()).collect();
        self.visit_unchanged_pages(cx, &in_change, &names, |page| {
            for form in &page.forms.forms {
                self.check_handler(cx, page, form, None, out);
            }
        });
    }

    /// The handler `was` as it stood in base, when the change holds it: the
    /// related location of a finding about losing it.
    pub(super) fn handler_in_base(&self, cx: &Context, was: &str) -> Option<Location> {
        let v = cx
            .files
            .iter()
            .find(|f| f.change.base.as_ref().is_some_and(|b| b.path == was))
            .and_then(|f| f.base.as_ref())?;
        Some(Location {
            revision: Revision::Base,
            path: was.to_string(),
            span: Span::line_of(v.text()?, 1),
        })
    }
}

/// What became of a handler file of base that head lacks, as the end of a
/// sentence: renamed (and to what) or deleted by this change, or gone
/// before it.
pub(super) fn gone_how(cx: &Context, was: &str) -> String {
    let renamed_to = cx
        .files
        .iter()
        .find(|f| f.change.base.as_ref().is_some_and(|b| b.path == was))
        .map(|f| f.change.head.as_ref().map(|h| h.path.as_str()));
    match renamed_to {
        Some(Some(moved)) if moved != was => format!("was renamed to `{moved}` in this change"),
        Some(_) => "was deleted in this change".to_string(),
        None => "no longer exists".to_string(),
    }
}

/// The distinct file names of `paths`: what a page or script that posts to
/// one of them must mention.
pub(super) fn file_names<'p>(paths: &[&'p str]) -> Vec<&'p str> {
    let names: BTreeSet<&str> = paths
        .iter()
        .map(|p| p.rsplit('/').next().unwrap_or(p))
        .filter(|n| !n.is_empty())
        .collect();
    names.into_iter().collect()
}

/// Whether a PHP file is a class an autoloader loads (a namespace and a
/// class, interface, trait or enum, reading no request itself): no URL
/// runs it, so no form posts to it, and moving it (appwrite's
/// `src/Appwrite/Specification` to `src/Appwrite/SDK/Specification`)
/// breaks no form. Spares reading every page of head for its name.
fn autoloaded_class(text: &str) -> bool {
    let declares = |what: &str| {
        text.lines().any(|l| {
            let l = l.trim_start();
            let l = ["final ", "abstract ", "readonly "]
                .iter()
                .fold(l, |l, m| l.strip_prefix(m).unwrap_or(l));
            l.starts_with(what)
        })
    };
    text.trim_start().starts_with("<?php")
        && declares("namespace ")
        && ["class ", "interface ", "trait ", "enum "]
            .iter()
            .any(|k| declares(k))
        && !["$_POST", "$_REQUEST", "$_FILES", "$_GET", "php://input"]
            .iter()
            .any(|g| text.contains(g))
}

#[cfg(test)]
mod tests {
    use super::autoloaded_class;

    #[test]
    fn only_namespaced_classes_that_read_no_request_are_autoloaded() {
        let class = "<?php\n\nnamespace Appwrite\\SDK\\Specification\\Format;\n\nuse Appwrite\\SDK\\Specification\\Format;\n\nfinal class Swagger2 extends Format\n{\n    public function parse(): array { return []; }\n}\n";
        assert!(autoloaded_class(class));
        let handler = "<?php\nnamespace App;\nclass Mailer {}\n$m = new Mailer();\n$m->send($_POST['email']);\n";
        assert!(!autoloaded_class(handler), "reads the request");
        let script = "<?php\nrequire 'lib.php';\nsend_contact();\nheader('Location: /danke');\n";
        assert!(!autoloaded_class(script), "no namespace: an entry script");
        let page = "<html><?php namespace X; class Y {} ?></html>";
        assert!(!autoloaded_class(page), "markup around the code");
    }
}
