//! `forms/removed`: a form left over in base, and how much is lost with
//! it (an enquiry form, a retired feature, a copy still on another page).

use super::facts::{AttrValue, FormFacts};
use super::fate::Fate;
use super::page::PageSide;
use super::{one_line, Forms};
use crate::families::context::Context;
use crate::findings::finding::{Finding, Severity};
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

/// How code reads a submitted key: `request.POST["k"]`, `$_POST['k']`,
/// `input('k')`, `"k" in request.POST`, `params[:k]`. An HTML attribute
/// `name="k"` is not a read.
pub(super) fn code_reads(t: &str, k: &str) -> bool {
    ['"', '\''].iter().any(|q| {
        t.contains(&format!("[{q}{k}{q}]"))
            || t.contains(&format!("({q}{k}{q}"))
            || t.contains(&format!("{q}{k}{q} in "))
    }) || t.contains(&format!("[:{k}]"))
        || t.contains(&format!("(:{k})"))
}

/// The changed files of server or script code (tests left out: they quote
/// field names too, but what counts is the code that serves), with their
/// base and head texts.
pub(super) fn changed_server_code<'c>(
    cx: &'c Context,
) -> impl Iterator<Item = (&'c crate::families::context::ChangedFile, &'c str, &'c str)> {
    cx.files.iter().filter_map(|file| {
        let base = file.base.as_ref().and_then(|v| v.text())?;
        if !matches!(
            file.base_lang,
            Lang::Python | Lang::Php | Lang::Ruby | Lang::JavaScript | Lang::TypeScript
        ) {
            return None;
        }
        if crate::readers::words::is_test_file(file.path()) {
            return None;
        }
        let head = file.head.as_ref().and_then(|v| v.text()).map_or("", |t| t);
        Some((file, &**base, head))
    })
}

/// The change also moved the code that reads field `old` along: it stopped
/// reading it, or reads `new` (the field's new name) where it did not.
pub(super) fn handler_follows_field(cx: &Context, old: &str, new: Option<&str>) -> bool {
    changed_server_code(cx).any(|(_, base, head)| {
        (code_reads(base, old) && !code_reads(head, old))
            || new.is_some_and(|n| code_reads(head, n) && !code_reads(base, n))
    })
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
    let quoted = code_reads;
    for (file, base, head) in changed_server_code(cx) {
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

    /// A form that collects e-mail addresses (a sign-up, a newsletter, a
    /// waiting list) for a receiver outside the repository: a hosted form
    /// service or an absolute URL, which outlive any change here.
    pub(super) fn signs_up_elsewhere(&self, form: &FormFacts) -> bool {
        let email = form.fields.iter().any(|f| {
            !f.hidden
                && (f.kind == "input:email"
                    || crate::readers::words::words(&f.name)
                        .iter()
                        .any(|w| w == "email" || w == "mail"))
        });
        let elsewhere = self.hosted_provider(form).is_some()
            || form.action().and_then(AttrValue::literal).is_some_and(|a| {
                a.trim().starts_with("https://") || a.trim().starts_with("http://")
            });
        email && elsewhere
    }

    pub(super) fn removed(
        &self,
        bp: &PageSide,
        b: &FormFacts,
        head: Option<&PageSide>,
        fate: Fate,
        out: &mut Vec<Finding>,
    ) {
        let label = b.label();
        let action = b
            .action()
            .map(AttrValue::shown)
            .filter(|a| !a.trim().is_empty());
        let hook = self
            .submit_hook(&b.tag)
            .map(|h| (h, b.tag.get(h).map(AttrValue::shown).unwrap_or_default()));
        let posted = match (&action, hook) {
            (Some(a), _) => format!("it posted to `{}`", a.trim()),
            (None, Some((attr, value))) => {
                let value = value.trim();
                if value.starts_with('{') {
                    format!("it was submitted by script (`{attr}={value}`)")
                } else {
                    format!("it was submitted by script (`{attr}=\"{value}\"`)")
                }
            }
            (None, None) => "it posted to the page itself".to_string(),
        };
        let (twin, retired, still_named, unrendered) = match fate {
            Fate::Twin(t) => (Some(t), None, None, None),
            Fate::Retired(r) => (None, Some(r), None, None),
            Fate::Lost(n) => (None, None, n, None),
            Fate::Unrendered(how) => (None, None, None, Some(how)),
            Fate::Kept => return,
        };
        let why = match head {
            None => match &still_named {
                Some(n) => format!("the page `{}` was deleted ({n})", bp.path),
                None => format!("the page `{}` was deleted", bp.path),
            },
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
        let (message, finding_severity) = if let Some(how) = &unrendered {
            (
                format!(
                    "The {label} on `{}` is gone: {why}, and no page renders it any more ({how}). In base {posted}{field_list}, a receiver outside this repository that still takes sign-ups: the people who signed up on that page no longer can. Reported at medium: components leave pages in redesigns on purpose too; check that this one was meant to.",
                    bp.path
                ),
                Some(Severity::Medium),
            )
        } else if let Some(retired) = &retired {
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
                // An enquiry form missing from one page is still worth a
                // look before shipping (incident 1 began with one page).
                Some(if self.is_enquiry(b) {
                    Severity::Medium
                } else {
                    Severity::Low
                }),
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
