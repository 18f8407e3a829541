//! `forms/removed`: a form left over in base, and how much is lost with
//! it (an enquiry form, a retired feature, a copy still on another page).

use super::facts::{AttrValue, FormFacts};
use super::matching::same_form_elsewhere;
use super::page::PageSide;
use super::{one_line, Forms};
use crate::families::context::Context;
use crate::findings::finding::{Finding, Severity};
use crate::pipeline::changes::FileVersion;
use crate::pipeline::lang::Lang;

pub(super) fn commented_copy_of(comment: &str, form: &FormFacts) -> bool {
    let needle = |attr: &str, v: &str| {
        comment.contains(&format!("{attr}=\"{v}\""))
            || comment.contains(&format!("{attr}='{v}'"))
            || comment.contains(&format!("{attr}={v}"))
    };
    if let Some(id) = form.id() {
        return needle("id", id);
    }
    if let Some(AttrValue::Literal(a)) = form.action() {
        return needle("action", a);
    }
    form.fields
        .iter()
        .filter(|f| !f.hidden)
        .all(|f| needle("name", &f.name))
}

/// The change also removed the code that read the form: a changed Python,
/// PHP, Ruby or JS file quoted the form's submit-button name, or every one
/// of its field names, in base and no longer does in head. Says where.
pub(super) fn handler_code_retired(cx: &Context, form: &FormFacts) -> Option<String> {
    let buttons: Vec<&str> = form.control_names().into_iter().collect();
    let fields: Vec<&str> = form
        .fields
        .iter()
        .filter(|f| !f.hidden)
        .map(|f| f.name.as_str())
        .collect();
    if buttons.is_empty() && fields.is_empty() {
        return None;
    }
    // How code reads a submitted key: `request.POST["k"]`, `$_POST['k']`,
    // `input('k')`, `"k" in request.POST`, `params[:k]`. An HTML attribute
    // `name="k"` is not a read.
    let quoted = |t: &str, k: &str| {
        ['"', '\''].iter().any(|q| {
            t.contains(&format!("[{q}{k}{q}]"))
                || t.contains(&format!("({q}{k}{q}"))
                || t.contains(&format!("{q}{k}{q} in "))
        }) || t.contains(&format!("[:{k}]"))
            || t.contains(&format!("(:{k})"))
    };
    for file in cx.files {
        let Some(base) = file.base.as_ref().and_then(|v| v.text()) else {
            continue;
        };
        if !matches!(
            file.base_lang,
            Lang::Python | Lang::Php | Lang::Ruby | Lang::JavaScript | Lang::TypeScript
        ) {
            continue;
        }
        // Tests quote field names too; what counts is the code that serves.
        let path_lower = file.path().to_ascii_lowercase();
        let is_test = path_lower
            .split('/')
            .any(|seg| matches!(seg, "test" | "tests" | "spec" | "specs" | "__tests__"))
            || path_lower.rsplit('/').next().is_some_and(|n| {
                n.starts_with("test_")
                    || n.contains("_test.")
                    || n.contains(".test.")
                    || n.contains("_spec.")
            });
        if is_test {
            continue;
        }
        let head = file.head.as_ref().and_then(|v| v.text()).map_or("", |t| t);
        let gone = |k: &str| quoted(base, k) && !quoted(head, k);
        let path = &file.base.as_ref()?.path;
        if let Some(b) = buttons.iter().find(|b| gone(b)) {
            return Some(format!("`{b}` is no longer read in `{path}`"));
        }
        if !fields.is_empty() && fields.iter().all(|f| gone(f)) {
            return Some(format!("its fields are no longer read in `{path}`"));
        }
    }
    None
}

impl Forms {
    /// An enquiry form: a message box named like a message (`message`,
    /// `nachricht`, `comment`), not a settings text area (`signature`).
    pub(super) fn is_enquiry(&self, form: &FormFacts) -> bool {
        form.fields.iter().any(|f| {
            f.kind == "textarea"
                && crate::readers::words::words(&f.name)
                    .iter()
                    .any(|w| self.tables.message_field_words.contains(w))
        })
    }

    /// Another page of head that still holds the same form (same action
    /// and fields, or the same id or name): the removal leaves a copy
    /// users can reach. Only distinctive forms are looked for, and the
    /// head pages are read only when a form is removed.
    pub(super) fn twin_on_other_page(
        &self,
        cx: &Context,
        pages: &[FileVersion],
        page: &str,
        b: &FormFacts,
    ) -> Option<String> {
        let fields: Vec<&str> = b
            .fields
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| f.name.as_str())
            .collect();
        if fields.len() < 2 && b.id().is_none() && b.name().is_none() {
            return None;
        }
        // The longest field name is the least common one to look for.
        let needle = fields.iter().copied().max_by_key(|f| f.len())?;
        let mut twins: Vec<String> = pages
            .iter()
            .filter(|v| v.path != page)
            .filter(|v| {
                v.text().is_some_and(|t| {
                    t.contains(&format!("name=\"{needle}\""))
                        || t.contains(&format!("name='{needle}'"))
                })
            })
            .filter(|v| {
                let lang = crate::pipeline::lang::detect(&v.path);
                cx.parsed(v, lang).is_some_and(|parsed| {
                    self.facts(&parsed)
                        .forms
                        .iter()
                        .any(|h| h.method() == b.method() && same_form_elsewhere(b, h))
                })
            })
            .map(|v| v.path.clone())
            .collect();
        twins.sort();
        twins.into_iter().next()
    }

    pub(super) fn removed(
        &self,
        bp: &PageSide,
        b: &FormFacts,
        head: Option<&PageSide>,
        twin: Option<String>,
        retired: Option<String>,
        out: &mut Vec<Finding>,
    ) {
        let label = b.label();
        let action = b
            .action()
            .map(AttrValue::shown)
            .filter(|a| !a.trim().is_empty());
        let hook = self
            .submit_hook(&b.tag)
            .and_then(|h| b.tag.get(h))
            .map(AttrValue::shown);
        let posted = match (&action, hook) {
            (Some(a), _) => format!("it posted to `{}`", a.trim()),
            (None, Some(h)) => format!("it was submitted by `{}`", h.trim()),
            (None, None) => "it posted to the page itself".to_string(),
        };
        let why = match head {
            None => format!("the page `{}` was deleted", bp.path),
            Some(hp) if hp.forms.commented.iter().any(|c| commented_copy_of(c, b)) => {
                "it was commented out".to_string()
            }
            Some(hp) if hp.path != bp.path => {
                format!("the page was moved to `{}` without it", hp.path)
            }
            Some(_) => "the form element was removed".to_string(),
        };
        let mut fields: Vec<&str> = b
            .fields
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| f.name.as_str())
            .collect();
        fields.dedup();
        let field_list = if fields.is_empty() {
            String::new()
        } else {
            format!(" (fields: {})", one_line(&fields.join(", "), 80))
        };
        let (message, finding_severity) = if let Some(retired) = &retired {
            (
                format!(
                    "The {label} on `{}` is gone: {why}. In base {posted}{field_list}. Its server side went in the same change ({retired}): a feature retired on purpose, not a form that lost its handler.",
                    bp.path
                ),
                Some(Severity::Low),
            )
        } else if let Some(twin) = &twin {
            (
                format!(
                    "The {label} on `{}` is gone: {why}. In base {posted}{field_list}. The same form is still on `{twin}`, so users who find that page can still send it; check that this page no longer needs it.",
                    bp.path
                ),
                Some(Severity::Low),
            )
        } else if b.nothing_to_fill_in() {
            // A POST form that is only a button (`show_keys`, `leave
            // project`): an action in an application screen, not a
            // message anybody writes.
            (
                if b.controls.is_empty() {
                    format!(
                        "The {label} on `{}` is gone: {why}. In base {posted}; it had no fields and no button (a form that script submits): no enquiries are lost.",
                        bp.path
                    )
                } else {
                    format!(
                        "The {label} on `{}` is gone: {why}. In base {posted}; it had no fields a visitor fills in, only its button: no enquiries are lost, but users lose what the button did.",
                        bp.path
                    )
                },
                Some(Severity::Low),
            )
        } else if b.submits_data() {
            (
                format!("The {label} on `{}` is gone: {why}. In base {posted}{field_list}; visitors can no longer send it.", bp.path),
                None,
            )
        } else if let (None, Some(h)) = (&action, self.submit_hook(&b.tag)) {
            // An application form sent by script (`@submit.prevent`,
            // `onSubmit`), without message or contact fields: settings and
            // admin screens, usually removed on purpose.
            (
                format!(
                    "The {label} on `{}` is gone: {why}. It was sent by script (`{h}`) and had no message or contact fields{field_list}: no enquiries are lost, but users lose what it did.",
                    bp.path
                ),
                Some(Severity::Low),
            )
        } else {
            (
                format!(
                    "The {label} on `{}` is gone: {why}. It was a GET form without message or contact fields (search or navigation){field_list}: no enquiries are lost, but visitors lose what it did.",
                    bp.path
                ),
                Some(Severity::Low),
            )
        };
        let mut f = Finding::new("forms/removed", bp.form_loc(b), b.subject(), message)
            .evidence("page", bp.path)
            .evidence("form", label)
            .evidence(
                "old_action",
                action
                    .map(|a| a.trim().to_string())
                    .unwrap_or_else(|| "(none)".into()),
            );
        if let Some(s) = finding_severity {
            f = f.severity(s);
        }
        out.push(f);
    }
}
